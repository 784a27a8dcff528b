//! Phases of the customer journey (onboarding, training, adoption, renewal, expansion — any
//! names, any number): ordered rules in the conditions language, the first whose condition
//! holds naming an account's phase — a first-match [`RuleSegmentation`] — and, replayed over a
//! series of dates, each account's phase transitions with their dates.

use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::metrics::SnapshotConfig;
use crate::segment::{RuleSegmentation, SegmentMode};
use crate::time::Timestamp;

/// Most dates one phase history replays.
pub const MAX_PHASE_DATES: usize = 1_000;

/// An account's change of phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PhaseTransition {
    /// The account.
    pub account_id: String,
    /// The date it was first seen in the new phase.
    pub at: Timestamp,
    /// The phase before (missing: none — no rule held, or the account was not there yet).
    pub from: Option<String>,
    /// The phase after (missing: none).
    pub to: Option<String>,
}

/// Each account's phases over a series of dates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PhaseHistory {
    /// The dates, ascending.
    pub dates: Vec<Timestamp>,
    /// The accounts (dataset order).
    pub account_ids: Vec<String>,
    /// Each account's phase at the last date.
    pub current: Vec<Option<String>>,
    /// Every change, in date then account order (an account's first phase counts as a change
    /// from none).
    pub transitions: Vec<PhaseTransition>,
}

/// Replays `phases` (a first-match rule segmentation over snapshot columns) on the snapshots of
/// `ds` at `dates` (ascending, at most [`MAX_PHASE_DATES`]) built with `snapshot`, and records
/// every account's phase changes.
pub fn phase_history(
    ds: &Dataset,
    dates: &[Timestamp],
    snapshot: &SnapshotConfig,
    phases: &RuleSegmentation,
) -> Result<PhaseHistory> {
    phases.validate()?;
    if phases.mode != SegmentMode::FirstMatch {
        return Err(Error::config("mode", "phases are first-match rules: an account is in one phase at a time"));
    }
    if dates.is_empty() || dates.len() > MAX_PHASE_DATES {
        return Err(Error::argument("dates", format!("1 to {MAX_PHASE_DATES} dates, got {}", dates.len())));
    }
    if let Some(w) = dates.windows(2).find(|w| w[0] >= w[1]) {
        return Err(Error::argument("dates", format!("must be ascending and distinct: {} then {}", w[0], w[1])));
    }
    let n = ds.account_count();
    let index: rustc_hash::FxHashMap<&str, usize> = ds.accounts().iter().enumerate().map(|(i, a)| (a.id.as_str(), i)).collect();
    let mut current: Vec<Option<String>> = vec![None; n];
    let mut transitions = Vec::new();
    for &date in dates {
        let snap = ds.snapshot_with(date, snapshot)?;
        let labels = phases.apply(&snap)?.label;
        for (id, label) in snap.account_ids().iter().zip(labels) {
            let Some(&a) = index.get(id.as_str()) else { continue };
            if current[a] != label {
                transitions.push(PhaseTransition {
                    account_id: id.to_string(),
                    at: date,
                    from: current[a].take(),
                    to: label.clone(),
                });
                current[a] = label;
            }
        }
    }
    Ok(PhaseHistory {
        dates: dates.to_vec(),
        account_ids: ds.accounts().iter().map(|a| a.id.to_string()).collect(),
        current,
        transitions,
    })
}
