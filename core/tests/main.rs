//! Integration tests: one binary. Golden cases from ../tests/cases are run by `cases`.

mod cases;
mod data;
mod goals;
mod guide;
mod health;
mod metrics;
mod properties;
