//! Integration tests: one binary.
mod churn;
