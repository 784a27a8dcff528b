//! Integration tests: one binary. Golden cases from ../tests/cases are run by `cases`.

mod cases;
mod churn;
mod data;
mod guide;
mod metrics;
mod properties;
