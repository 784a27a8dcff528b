//! Integration tests: one binary.
mod goals;
mod health;
