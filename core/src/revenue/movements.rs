//! MRR movements per period: new, expansion, contraction, churn and reactivation, with the
//! retention rates they imply — in integer minor units that reconcile exactly.
//!
//! An account's MRR at an instant is the MRR of its non-trial subscriptions in force then; a gap
//! between contracts no longer than the churn definition's `gap_tolerance` carries the MRR held
//! before it (a late renewal is not churn), and so does a gap still open at `as_of` whose
//! tolerance has not run out (not yet known to be churn). A period's opening MRR is the MRR at the
//! last instant before it, its closing MRR the MRR at its last instant (at `as_of` for the
//! running period). Per account and period: from nothing to something is **new** the first time
//! the account pays and **reactivation** after that; from something to nothing is **churn**; up
//! is **expansion**, down **contraction**. So opening + new + reactivation + expansion −
//! contraction − churn = closing, exactly, period after period (movements within a period net
//! out: an account that leaves and returns inside one month shows its net change).

use serde::{Deserialize, Serialize};

use crate::data::{Dataset, SubscriptionStatus};
use crate::error::{Error, Result};
use crate::lifecycle::Period;
use crate::metrics::{AccountColumns, Column, ColumnData, ToColumns};
use crate::outcome::SubscriptionChurn;
use crate::time::{Timestamp, Window};

/// Version of the movements config document.
pub const MOVEMENTS_VERSION: u32 = 1;

/// Most periods one computation reports.
pub const MAX_MOVEMENT_PERIODS: usize = 10_000;

/// How MRR movements are computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MovementsConfig {
    /// Document version ([`MOVEMENTS_VERSION`]).
    #[serde(default = "version")]
    pub version: u32,
    /// The period (default month).
    #[serde(default)]
    pub period: Period,
    /// Report periods from the one holding this instant (default: the period of the first
    /// subscription).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Timestamp>,
    /// When a gap between contracts is churn (default: longer than 30 days).
    #[serde(default)]
    pub churn: SubscriptionChurn,
    /// The window of the trailing retention rates (default 12 months).
    #[serde(default = "twelve_months")]
    pub trailing: Window,
}

fn version() -> u32 {
    MOVEMENTS_VERSION
}
fn twelve_months() -> Window {
    Window::months(12)
}

impl Default for MovementsConfig {
    fn default() -> Self {
        MovementsConfig {
            version: MOVEMENTS_VERSION,
            period: Period::Month,
            from: None,
            churn: SubscriptionChurn::default(),
            trailing: twelve_months(),
        }
    }
}

impl MovementsConfig {
    /// Checks the windows.
    pub fn validate(&self) -> Result<()> {
        if self.version != MOVEMENTS_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "movements config".into(),
                found: self.version,
                supported: MOVEMENTS_VERSION,
            });
        }
        self.churn.validate()?;
        self.trailing.validate("trailing")?;
        if self.trailing.amount == 0 {
            return Err(Error::config("trailing", "must be longer than 0"));
        }
        Ok(())
    }
}

crate::document::document! {
    MovementsConfig => "movements config", MOVEMENTS_VERSION;
}

/// What happened to an account's MRR in a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Movement {
    /// It paid for the first time.
    New,
    /// It paid more.
    Expansion,
    /// It paid less (but something).
    Contraction,
    /// It stopped paying.
    Churn,
    /// It paid again after churning.
    Reactivation,
    /// No change.
    Flat,
}

impl Movement {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Movement::New => "new",
            Movement::Expansion => "expansion",
            Movement::Contraction => "contraction",
            Movement::Churn => "churn",
            Movement::Reactivation => "reactivation",
            Movement::Flat => "flat",
        }
    }
}

/// One period's movements. Money in minor units of the dataset's currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MovementPeriod {
    /// Its first instant.
    pub start: Timestamp,
    /// The next period's first instant.
    pub end: Timestamp,
    /// Whether it ended by `as_of` (the last period usually has not).
    pub complete: bool,
    /// MRR at the last instant before it.
    pub opening_mrr: i64,
    /// MRR of accounts paying for the first time.
    pub new_mrr: i64,
    /// MRR of accounts paying again after churning.
    pub reactivation_mrr: i64,
    /// Increases of accounts paying before and after.
    pub expansion_mrr: i64,
    /// Decreases of accounts paying before and after (positive).
    pub contraction_mrr: i64,
    /// MRR of accounts that stopped paying (positive).
    pub churned_mrr: i64,
    /// MRR at its last instant (at `as_of` for a running period): opening + new + reactivation +
    /// expansion − contraction − churned.
    pub closing_mrr: i64,
    /// Accounts paying at the opening.
    pub opening_accounts: u64,
    /// Accounts paying at the closing.
    pub closing_accounts: u64,
    /// Accounts new in it.
    pub new_accounts: u64,
    /// Accounts reactivated in it.
    pub reactivated_accounts: u64,
    /// Accounts that expanded.
    pub expanded_accounts: u64,
    /// Accounts that contracted.
    pub contracted_accounts: u64,
    /// Accounts that churned.
    pub churned_accounts: u64,
    /// Gross revenue retention: (opening − contraction − churned) / opening (missing without
    /// opening MRR).
    pub gross_retention: Option<f64>,
    /// Net revenue retention: (opening + expansion − contraction − churned) / opening.
    pub net_retention: Option<f64>,
    /// Logo churn rate: churned accounts / opening accounts.
    pub logo_churn_rate: Option<f64>,
    /// Average revenue per paying account at the closing (minor units).
    pub arpa: Option<f64>,
    /// Trailing gross retention at the closing: of the accounts paying `trailing` earlier, the
    /// MRR they still pay, capped at what each paid then, over what they paid then.
    pub trailing_gross_retention: Option<f64>,
    /// Trailing net retention: the MRR those accounts pay now over what they paid then.
    pub trailing_net_retention: Option<f64>,
}

/// MRR movements of a dataset per period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MrrMovements {
    /// The instant they are as of.
    pub as_of: Timestamp,
    /// The period.
    pub period: Period,
    /// The dataset's currency (ISO 4217) and its minor-unit exponent.
    pub currency: Option<String>,
    /// Digits after the decimal point of the currency's minor unit.
    pub exponent: u32,
    /// The periods, oldest first.
    pub periods: Vec<MovementPeriod>,
    /// The accounts (dataset order).
    pub account_ids: Vec<String>,
    /// Each account's movement in the last period.
    pub movements: Vec<Movement>,
    /// Each account's MRR change in the last period (minor units).
    pub mrr_change: Vec<i64>,
    /// Each account's MRR at `as_of` (minor units).
    pub mrr: Vec<i64>,
}

impl ToColumns for MrrMovements {
    /// By account id: `{name}_movement` (new, expansion, contraction, churn, reactivation, flat —
    /// in the last period) and `{name}_mrr_change` (its change in minor units).
    fn account_columns(&self, name: &str) -> AccountColumns {
        AccountColumns::by_account(
            self.account_ids.clone(),
            vec![
                Column::new(
                    format!("{name}_movement"),
                    ColumnData::Str(self.movements.iter().map(|m| Some(m.as_str().to_string())).collect()),
                ),
                Column::new(format!("{name}_mrr_change"), ColumnData::Int(self.mrr_change.iter().map(|x| Some(*x)).collect())),
            ],
        )
    }
}

/// An account's contracts, merged into spans of continuous coverage.
struct Coverage {
    /// Non-trial rows: (start, end, MRR).
    rows: Vec<(i64, Option<i64>, i64)>,
    /// Gaps that do not count as churn, during which the MRR before them is carried: (from, to).
    carried: Vec<(i64, i64)>,
}

impl Coverage {
    fn new(ds: &Dataset, a: usize, churn: &SubscriptionChurn, as_of: i64) -> Self {
        let mut rows: Vec<(i64, Option<i64>, i64)> = ds
            .subscription_rows(a)
            .iter()
            .filter(|r| r.status != SubscriptionStatus::Trial)
            .map(|r| (r.start, r.end, r.mrr_minor))
            .collect();
        rows.sort_unstable();
        // Walk the coverage; a gap within the tolerance (or still open at as_of within it) is
        // carried.
        let mut carried = Vec::new();
        let mut end: Option<Option<i64>> = None;
        for &(start, e, _) in &rows {
            match end {
                None => end = Some(e),
                Some(None) => {}
                Some(Some(cur)) => {
                    if start > cur && start <= crate::outcome::gap_end(churn, cur) {
                        carried.push((cur, start));
                    }
                    end = Some(if start > crate::outcome::gap_end(churn, cur) { e } else { e.map(|x| x.max(cur)) });
                }
            }
        }
        if let Some(Some(cur)) = end {
            if cur <= as_of && crate::outcome::gap_end(churn, cur) > as_of {
                carried.push((cur, as_of + 1));
            }
        }
        Coverage { rows, carried }
    }

    /// The MRR in force at `t` (`start <= t < end`), or carried over a gap; `overflow` is the
    /// error of a sum beyond 64 bits.
    fn mrr_at(&self, t: i64, overflow: impl Fn() -> Error) -> Result<i64> {
        let t = match self.carried.iter().find(|(from, to)| *from <= t && t < *to) {
            Some((from, _)) => from - 1,
            None => t,
        };
        self.rows
            .iter()
            .filter(|(s, e, _)| *s <= t && e.is_none_or(|e| t < e))
            .try_fold(0i64, |acc, (_, _, m)| acc.checked_add(*m).ok_or_else(&overflow))
    }

    fn first_start(&self) -> Option<i64> {
        self.rows.first().map(|r| r.0)
    }
}

/// MRR movements of every period from `config.from` (default: the first subscription's period)
/// to the one holding `as_of`, at most [`MAX_MOVEMENT_PERIODS`] (refused before any work).
pub fn mrr_movements(ds: &Dataset, as_of: Timestamp, config: &MovementsConfig) -> Result<MrrMovements> {
    config.validate()?;
    let n = ds.account_count();
    let end_ms = as_of.millis();
    let coverage: Vec<Coverage> = (0..n).map(|a| Coverage::new(ds, a, &config.churn, end_ms)).collect();
    let first = match config.from {
        Some(f) => {
            if f > as_of {
                return Err(Error::config("from", format!("{f} is after as_of ({as_of})")));
            }
            f.millis()
        }
        None => coverage.iter().filter_map(Coverage::first_start).min().unwrap_or(end_ms).min(end_ms),
    };
    let period = config.period;
    let (lo, hi) = (period.of(Timestamp::from_millis(first)?), period.of(as_of));
    let count = usize::try_from(hi - lo + 1).unwrap_or(usize::MAX);
    if count > MAX_MOVEMENT_PERIODS {
        return Err(Error::config(
            "from",
            format!(
                "{count} {}s from {} to as_of, more than {MAX_MOVEMENT_PERIODS}: set `from`, or a longer period",
                period.as_str(),
                Timestamp::from_millis(first)?
            ),
        ));
    }
    // The instants MRR is read at: before each period, and each period's last instant (as_of for
    // the running one).
    let boundaries: Vec<i64> =
        (lo..=hi).map(|k| period.start(k) - 1).chain(std::iter::once(period.end(hi).min(end_ms + 1) - 1)).collect();
    let trailing_at: Vec<i64> = boundaries[1..]
        .iter()
        .map(|&t| Ok(config.trailing.start(Timestamp::from_millis(t + 1)?).millis() - 1))
        .collect::<Result<_>>()?;
    let mut periods: Vec<MovementPeriod> = (lo..=hi)
        .map(|k| -> Result<MovementPeriod> {
            Ok(MovementPeriod {
                start: Timestamp::from_millis(period.start(k))?,
                end: Timestamp::from_millis(period.end(k))?,
                complete: period.end(k) <= end_ms + 1,
                opening_mrr: 0,
                new_mrr: 0,
                reactivation_mrr: 0,
                expansion_mrr: 0,
                contraction_mrr: 0,
                churned_mrr: 0,
                closing_mrr: 0,
                opening_accounts: 0,
                closing_accounts: 0,
                new_accounts: 0,
                reactivated_accounts: 0,
                expanded_accounts: 0,
                contracted_accounts: 0,
                churned_accounts: 0,
                gross_retention: None,
                net_retention: None,
                logo_churn_rate: None,
                arpa: None,
                trailing_gross_retention: None,
                trailing_net_retention: None,
            })
        })
        .collect::<Result<_>>()?;
    let mut trailing = vec![(0i64, 0i64, 0i64); periods.len()]; // (base, kept capped, now)
    let mut movements = vec![Movement::Flat; n];
    let mut mrr_change = vec![0i64; n];
    let mut mrr_now = vec![0i64; n];
    let overflow = || Error::Argument {
        kind: crate::error::ErrorKind::InvalidSubscription,
        name: "mrr.minor".into(),
        reason: "the MRR of all accounts together exceeds 64-bit minor units".into(),
    };
    let add = |x: &mut i64, v: i64| -> Result<()> {
        *x = x.checked_add(v).ok_or_else(overflow)?;
        Ok(())
    };
    for (a, cov) in coverage.iter().enumerate() {
        if cov.rows.is_empty() {
            continue;
        }
        // Whether the account paid at any instant before the first boundary.
        // Whether it paid before the first period: a row (trials aside) with MRR started by then.
        let mut paid_before = cov.rows.iter().any(|(s, _, m)| *s <= boundaries[0] && *m > 0);
        let mut open = cov.mrr_at(boundaries[0], || ds.mrr_overflow(a))?;
        for (k, p) in periods.iter_mut().enumerate() {
            let close = cov.mrr_at(boundaries[k + 1], || ds.mrr_overflow(a))?;
            let movement = match (open > 0, close > 0) {
                (false, true) if paid_before => Movement::Reactivation,
                (false, true) => Movement::New,
                (true, false) => Movement::Churn,
                (true, true) if close > open => Movement::Expansion,
                (true, true) if close < open => Movement::Contraction,
                _ => Movement::Flat,
            };
            add(&mut p.opening_mrr, open)?;
            add(&mut p.closing_mrr, close)?;
            p.opening_accounts += u64::from(open > 0);
            p.closing_accounts += u64::from(close > 0);
            match movement {
                Movement::New => {
                    add(&mut p.new_mrr, close)?;
                    p.new_accounts += 1;
                }
                Movement::Reactivation => {
                    add(&mut p.reactivation_mrr, close)?;
                    p.reactivated_accounts += 1;
                }
                Movement::Expansion => {
                    add(&mut p.expansion_mrr, close - open)?;
                    p.expanded_accounts += 1;
                }
                Movement::Contraction => {
                    add(&mut p.contraction_mrr, open - close)?;
                    p.contracted_accounts += 1;
                }
                Movement::Churn => {
                    add(&mut p.churned_mrr, open)?;
                    p.churned_accounts += 1;
                }
                Movement::Flat => {}
            }
            // Trailing retention: the accounts paying `trailing` before this period's closing.
            let base = cov.mrr_at(trailing_at[k], || ds.mrr_overflow(a))?;
            if base > 0 {
                let t = &mut trailing[k];
                add(&mut t.0, base)?;
                add(&mut t.1, close.min(base))?;
                add(&mut t.2, close)?;
            }
            paid_before |= close > 0;
            if k + 1 == boundaries.len() - 1 {
                movements[a] = movement;
                mrr_change[a] = close - open;
                mrr_now[a] = close;
            }
            open = close;
        }
    }
    for (p, (base, kept, now)) in periods.iter_mut().zip(trailing) {
        let ratio = |x: i64, of: i64| (of > 0).then(|| x as f64 / of as f64);
        p.gross_retention = ratio(p.opening_mrr - p.contraction_mrr - p.churned_mrr, p.opening_mrr);
        p.net_retention = ratio(p.opening_mrr + p.expansion_mrr - p.contraction_mrr - p.churned_mrr, p.opening_mrr);
        p.logo_churn_rate = (p.opening_accounts > 0).then(|| p.churned_accounts as f64 / p.opening_accounts as f64);
        p.arpa = (p.closing_accounts > 0).then(|| p.closing_mrr as f64 / p.closing_accounts as f64);
        p.trailing_gross_retention = ratio(kept, base);
        p.trailing_net_retention = ratio(now, base);
    }
    Ok(MrrMovements {
        as_of,
        period,
        currency: ds.currency().map(str::to_string),
        exponent: ds.currency().map_or(2, crate::data::currency_exponent),
        periods,
        account_ids: ds.accounts().iter().map(|a| a.id.to_string()).collect(),
        movements,
        mrr_change,
        mrr: mrr_now,
    })
}
