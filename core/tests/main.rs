//! Integration tests: one binary. Every golden case of ../tests/cases is run by `cases`.

mod activity;
mod bounds;
mod cases;
mod churn;
mod data;
mod effectiveness;
mod experiment;
mod exports;
mod expr;
mod frame;
mod guide;
mod hardening;
mod health;
mod layers;
mod lifecycle;
mod metrics;
mod play;
mod properties;
mod readers;
mod revenue;
mod segment;
