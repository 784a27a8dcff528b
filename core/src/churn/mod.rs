//! Churn: definitions, labels, training sets and models.
//!
//! This file holds the subscription-churn definition and outcome labels, which the health
//! backtest and the churn models share.

mod label;

pub use label::{churn_dates, churn_labels, is_active, SubscriptionChurn};
