//! Integration tests: one binary. Golden cases from ../tests/cases are run by `cases` (foundation),
//! `expr` and `segment`.

mod activity;
mod cases;
mod churn;
mod data;
mod document;
mod exports;
mod expr;
mod frame;
mod guide;
mod health;
mod layers;
mod metrics;
mod properties;
mod segment;
mod stats;
