//! Plays and playbooks: the engine that fires the right play at the right account.
//!
//! A **play** is a trigger condition + a tactic + a customer cohort ("hasn't logged in for 30
//! days" + "check-in call" + "MRR above $5,000"). A [`Playbook`] is data — versioned JSON, the
//! same file in Rust, Python and Node — and [`run`] applies it to a frame (a snapshot plus any
//! added columns: health band, churn probability, segment, tier …) as of the frame's instant,
//! carrying a [`PlayState`] (the ledger) from run to run.
//!
//! The rules of one run:
//! 1. **Expressions** (cohort, trigger, goal, suppression, `rank_by`) are compiled against the
//!    frame. Besides its columns they may read `days_since_last_run` and `prev_<column>` (the
//!    column's value at the previous run, missing for an account not seen then), so a change —
//!    a band dropped, usage halved, a segment entered — is a condition too.
//! 2. **Close**: an open action whose play's `goal` holds closes as `goal_met`; with
//!    `exit_when_trigger_clears`, one whose trigger no longer holds closes as `trigger_cleared`.
//! 3. **Eligible** accounts of a play: its cohort and trigger hold; for an edge-triggered play
//!    the pair did not hold at the previous run; for a schedule, a period boundary
//!    (`anchor + k × every`) fell since the previous run (on the first run: within the last
//!    period).
//! 4. **Arbitration**: plays are served by tactic priority (1 first), then playbook order; the
//!    accounts of a play by `rank_by` (higher first, missing last), then account id — never by
//!    the frame's row order. Each eligible account either gets an action or a [`Skip`] with a
//!    reason, checked in this order: `suppressed`; an open action of the play for the account
//!    is refreshed (reasons, `updated_at`) instead of duplicated; `cooldown` (level-triggered
//!    plays); `reentry` (the play's last action for the account closed within the window);
//!    `already_fired` (the idempotency key exists); `account_cap` (open actions across plays);
//!    `play_cap` (the play's `max_per_run`); `capacity_exhausted` (the owner's hours for the
//!    run). A run at the same instant as the previous one is the same run: its caps and hours
//!    count what that run granted. An edge-triggered play does not retry an account it skipped
//!    (the trigger did not become true again); a level-triggered play does, at its next run.
//! 5. Every action carries its **idempotency key** `{play}@{version}:{account}:{instance}` and
//!    the values that made its cohort and trigger true.
//! 6. **Holdouts** (experiments): an account that passed every check above is in the
//!    playbook's global holdout ([`GlobalHoldout`]), the play's holdout ([`Holdout`]), or the
//!    treated arm. A held-out account gets an action recorded with arm `holdout` or
//!    `global_holdout` and status `held_out` (closed when recorded, with the same key and
//!    reasons; listed in [`PlayRun::held_out`], not in `fired`): nobody acts on it, it spends no
//!    hours and counts against no cap; its cooldown runs from its record as a treated account's
//!    from its action, and its re-entry window from its record (it is closed then) — intent to
//!    treat from eligibility. An account keeps the arm of its first
//!    enrollment in a play version ([`Holdout`] says how new accounts are dealt).
//!
//! Running again on the same frame and the state a run returned fires nothing new.
//!
//! ```
//! use custfit::play::{run, PlayState, Playbook};
//! use custfit::{Column, ColumnData, Snapshot, Timestamp};
//! use custfit::document::Document;
//!
//! let book = Playbook::from_json_str(r#"{"version": 1, "name": "mine", "plays": [
//!   {"id": "check_in_call", "cohort": "mrr > 5000",
//!    "trigger": {"type": "condition", "when": "days_since_last_activity > 30"},
//!    "firing": {"type": "edge"},
//!    "tactic": {"kind": "call", "effort_hours": 0.5}}]}"#)?;
//! let snap = Snapshot::from_columns(
//!     Timestamp::parse("2024-06-01")?,
//!     vec!["a".into(), "b".into()],
//!     vec![
//!         Column::new("mrr", ColumnData::Float(vec![Some(6000.0), Some(50.0)])),
//!         Column::new("days_since_last_activity", ColumnData::Int(vec![Some(45), Some(60)])),
//!     ],
//! )?;
//! let (first, state) = run(&book, &snap, &PlayState::new())?;
//! assert_eq!(first.fired.len(), 1);
//! assert_eq!(first.fired[0].key, "check_in_call@1:a:2024-06-01");
//! let (again, _) = run(&book, &snap, &state)?;
//! assert!(again.fired.is_empty());
//! # Ok::<(), custfit::Error>(())
//! ```

#[cfg(feature = "arrow")]
mod arrow;
mod assign;
mod book;
mod dry_run;
mod engine;
mod state;

pub use assign::{holdout_draw, is_held_out};
pub use book::{
    Firing, GlobalHoldout, Holdout, Limits, Play, Playbook, Suppression, Tactic, Trigger, KNOWN_TACTICS, MAX_PLAYS, MAX_SALT_LEN,
    PLAYBOOK_VERSION, STARTER_COLUMNS,
};
pub use dry_run::{dry_run, DryRun, DryRunConfig, FrameRecipe, PlayOutcome, DRY_RUN_VERSION, MAX_DRY_RUN_STEPS};
pub use engine::{run, run_mut, DAYS_SINCE_LAST_RUN, PREVIOUS};
pub use state::{
    Action, ActionStatus, Arm, PlayMemory, PlayRun, PlayState, PreviousValues, Reasons, SharedStr, Skip, SkipReason,
    MAX_PLAY_STATE_BYTES, PLAY_STATE_VERSION,
};
