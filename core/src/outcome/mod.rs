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
//! let dates = churn_dates(&sim.dataset, &SubscriptionChurn::default(), sim.end)?;
//! let as_of = sim.end.add_days(-120);
//! let labels = churn_labels(&sim.dataset, &dates, as_of, Window::days(0), Window::days(90));
//! assert_eq!(labels.len(), sim.dataset.account_count());
//! # Ok::<(), custfit::Error>(())
//! ```

mod activity;
mod subscription;

pub use activity::{
    active_days, activity_churn_dates, annual_to_monthly, choose_inactivity_window, monthly_to_annual, mrr_churn, ActivityChurn,
    InactivityWindowChoice, MrrChurn,
};
pub(crate) use subscription::gap_end;
pub use subscription::{churn_dates, churn_labels, in_force, is_active, InForce, SubscriptionChurn};

use crate::data::Dataset;
use crate::error::{Error, ErrorKind, Result};
use crate::time::{Timestamp, Window};

/// The instant up to which outcomes are known: `asked`, or the dataset's [`Dataset::data_end`]
/// when `None`. An instant after the end of the (UTC) day of the data's end is refused
/// (`invalid_argument`): past the last observation a silence is not yet churn and a contract end
/// is not yet final, so such a `known_at` would count outcomes nobody has seen. (The rest of the
/// last day is allowed because exports are daily: midnight after the last event is a natural
/// `known_at`.) An empty dataset has no end (`insufficient_data`).
pub fn known_at(ds: &Dataset, asked: Option<Timestamp>) -> Result<Timestamp> {
    let end = ds.data_end().ok_or_else(|| Error::Argument {
        kind: ErrorKind::InsufficientData,
        name: "dataset".into(),
        reason: "holds no accounts, users, subscriptions or events: outcomes are unknown".into(),
    })?;
    match asked {
        None => Ok(end),
        Some(k) if k <= end.floor_day().add_days(1) => Ok(k),
        Some(k) => Err(Error::argument(
            "known_at",
            format!(
                "{k} is after the data's last recorded instant {end}: outcomes after {end} are not observed yet \
                 (use a known_at at or before it)"
            ),
        )),
    }
}

/// `t + w`, calendar-aware for months ([`Window::end`]).
pub(crate) fn forward(t: Timestamp, w: Window) -> Timestamp {
    w.end(t)
}
