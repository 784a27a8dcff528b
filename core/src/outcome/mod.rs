//! Outcomes: what happened to an account after a given instant — the ground every backtest,
//! training set and experiment measures against. Subscription churn (coverage ended and not
//! renewed within a gap tolerance), activity churn (silence longer than a window, the window
//! chosen from data if asked), MRR churn, outcome labels over a horizon after a lead time, the
//! subscriptions in force and the next renewal of each account, and churn-rate conversion.
//!
//! It sits below `health` and `churn` (both read outcomes; neither is read here).
//!
//! ```
//! use custfit::outcome::{churn_dates, churn_labels, SubscriptionChurn};
//! use custfit::{Simulation, SimulationConfig, Window};
//!
//! let sim = Simulation::generate(&SimulationConfig::default().with_accounts(60).with_days(200).with_seed(2))?;
//! let dates = churn_dates(&sim.dataset, &SubscriptionChurn::default(), sim.end);
//! let as_of = sim.end.add_days(-120);
//! let labels = churn_labels(&sim.dataset, &dates, as_of, Window::days(0), Window::days(90));
//! assert_eq!(labels.len(), sim.dataset.account_count());
//! # Ok::<(), custfit::Error>(())
//! ```

mod activity;
mod subscription;

pub use activity::{
    activity_churn_dates, annual_to_monthly, choose_inactivity_window, monthly_to_annual, mrr_churn, ActivityChurn,
    InactivityWindowChoice, MrrChurn,
};
pub use subscription::{churn_dates, churn_labels, in_force, is_active, InForce, SubscriptionChurn};

use crate::time::{Timestamp, Window};

/// `t + w`, calendar-aware for months ([`Window::end`]).
pub(crate) fn forward(t: Timestamp, w: Window) -> Timestamp {
    w.end(t)
}
