//! # custfit for Node
//!
//! The napi-rs binding of the `custfit` core. Each module mirrors one core module and only
//! converts JS values, calls the core and maps errors (one mapping point: [`error`]). Every
//! export is `#[napi(catch_unwind)]`, so a Rust panic becomes a thrown error instead of
//! aborting Node.
//!
//! ```js
//! const { Dataset, simulate, metricCatalog, errorCodes } = require('custfit')
//! ```

#![deny(clippy::unwrap_used)]

pub mod activity;
pub mod arg;
pub mod churn;
pub mod data;
pub mod document;
pub mod effectiveness;
pub mod error;
pub mod experiment;
pub mod expr;
pub mod frame;
pub mod health;
pub mod io;
pub mod lifecycle;
pub mod metrics;
pub mod outcome;
pub mod play;
pub mod segment;
pub mod sim;
pub mod stats;
pub mod time;
