//! Integration tests: one binary.

mod expr;
mod segment;
