//! A seeded, deterministic generator of a realistic SaaS customer base with known ground truth.
//!
//! What it models: long-tailed MRR (log-normal, σ = 1.15, so the top ~10% of accounts hold ~45%
//! of revenue and the top ~30% ~75%); seats and users with roles; onboarding for new accounts
//! (kickoff, training, first value, each after a log-normal delay that is longer for less
//! engaged accounts; a fifth get stuck — never training, or training late and never reaching
//! value — and churn more); daily usage per user driven by a latent per-account engagement that drifts
//! and, for some accounts, declines; usage cadences (daily, weekly, month-end); champions who
//! leave; support tickets that pile up when things go badly; quarterly surveys; CSM touches;
//! invoices; pricing-page visits and data-extraction bursts before cancelling; and renewals whose
//! outcome depends on the engagement at renewal time. [`AccountTruth`] exposes the hidden state.
//!
//! Accounts are generated independently from their own random stream, so the result depends on
//! the seed only, not on threading.

pub use crate::stats::Rng;

use serde::{Deserialize, Serialize};

use crate::data::{
    Account, AttributeValue, Dataset, EventSource, FieldError, IngestOptions, Money, PropRef, Role, Subscription,
    SubscriptionStatus, User,
};
use crate::error::{Error, Result};
use crate::time::{Timestamp, MS_PER_DAY};

/// Settings of a simulation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct SimulationConfig {
    /// Random seed; the same seed gives the same customer base.
    pub seed: u64,
    /// Number of accounts (1 to 10,000,000; with `days`, `activity_scale` and
    /// `max_users_per_account` within [`MAX_SIMULATION_VOLUME`]).
    pub accounts: usize,
    /// First simulated day (events start here; older accounts have subscription history before it).
    pub start: Timestamp,
    /// Number of simulated days.
    pub days: u32,
    /// Multiplies every user's activity rate (use < 1 for lighter, faster data sets).
    pub activity_scale: f64,
    /// Cap on users per account.
    pub max_users_per_account: u32,
    /// Currency of all money.
    pub currency: String,
}

impl Default for SimulationConfig {
    fn default() -> Self {
        SimulationConfig {
            seed: 42,
            accounts: 2000,
            start: Timestamp::from_ymd(2024, 1, 1).unwrap_or_else(|_| Timestamp::now()),
            days: 365,
            activity_scale: 1.0,
            max_users_per_account: 60,
            currency: "USD".into(),
        }
    }
}

impl SimulationConfig {
    /// Sets the number of accounts.
    pub fn with_accounts(mut self, n: usize) -> Self {
        self.accounts = n;
        self
    }

    /// Sets the seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the number of days.
    pub fn with_days(mut self, days: u32) -> Self {
        self.days = days;
        self
    }

    /// Sets the first day.
    pub fn with_start(mut self, start: Timestamp) -> Self {
        self.start = start;
        self
    }

    /// Sets the activity scale.
    pub fn with_activity_scale(mut self, scale: f64) -> Self {
        self.activity_scale = scale;
        self
    }

    /// Checks the ranges.
    pub fn validate(&self) -> Result<()> {
        if self.accounts == 0 || self.accounts > 10_000_000 {
            return Err(Error::config("accounts", "must be between 1 and 10,000,000"));
        }
        if self.days == 0 || self.days > 3650 {
            return Err(Error::config("days", "must be between 1 and 3650"));
        }
        if !(self.activity_scale.is_finite() && self.activity_scale > 0.0 && self.activity_scale <= 100.0) {
            return Err(Error::config("activity_scale", "must be in (0, 100]"));
        }
        if self.max_users_per_account == 0 || self.max_users_per_account > 100_000 {
            return Err(Error::config("max_users_per_account", "must be between 1 and 100,000"));
        }
        // Each setting is bounded, and so is their product: the events generated grow with
        // accounts × days × activity (about 19 events per unit at the defaults) and with the
        // users an account may have.
        let volume = self.accounts as f64
            * f64::from(self.days)
            * self.activity_scale
            * (self.max_users_per_account as f64 / 60.0).max(1.0);
        if volume > MAX_SIMULATION_VOLUME {
            return Err(Error::config(
                "accounts",
                format!(
                    "accounts × days × activity_scale × max(1, max_users_per_account / 60) is {volume:.3e}, more than \
                     {MAX_SIMULATION_VOLUME:.0e} (about 200 million events); simulate fewer accounts, days or activity"
                ),
            ));
        }
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(Error::config("currency", "must be a three-letter uppercase ISO 4217 code"));
        }
        if self.start.add_days(i64::from(self.days) + 400).millis() >= crate::time::MAX_TIMESTAMP_MS - MS_PER_DAY
            || self.start.add_days(-1000).millis() <= crate::time::MIN_TIMESTAMP_MS + MS_PER_DAY
        {
            return Err(Error::config("start", "too close to the supported range of years 1900-2199"));
        }
        Ok(())
    }
}

/// The largest simulation accepted: accounts × days × activity_scale × max(1,
/// max_users_per_account / 60) — about 200 million events, a few GiB.
pub const MAX_SIMULATION_VOLUME: f64 = 1e7;

/// The usage rhythm of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Cadence {
    /// Weekdays, lighter weekends.
    Daily,
    /// Mostly Mondays.
    Weekly,
    /// Mostly around month end.
    Monthly,
}

/// Hidden state of a simulated account (ground truth).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AccountTruth {
    /// Account id.
    pub account_id: String,
    /// Whether the account churned within the simulated period.
    pub churned: bool,
    /// When its last subscription ended without renewal.
    pub churned_at: Option<Timestamp>,
    /// When its engagement began to decline, if it did.
    pub decline_started_at: Option<Timestamp>,
    /// When its champion left, if they did.
    pub champion_left_at: Option<Timestamp>,
    /// Usage rhythm.
    pub cadence: Cadence,
    /// Baseline latent engagement (0 = typical; ±1 = one standard deviation).
    pub base_engagement: f64,
    /// New account that never reached first value.
    pub onboarding_stuck: bool,
    /// When its onboarding kickoff happened (new accounts, within the simulated period).
    #[serde(default)]
    pub kickoff_at: Option<Timestamp>,
    /// When it completed training (new accounts, within the simulated period).
    #[serde(default)]
    pub training_done_at: Option<Timestamp>,
    /// When it reached first value (new accounts, within the simulated period).
    #[serde(default)]
    pub first_value_at: Option<Timestamp>,
    /// Had a data-extraction burst before leaving.
    pub extraction_burst: bool,
    /// Clicks a lot without reaching value (confusion).
    pub confused: bool,
}

/// A simulated customer base.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// The generated data.
    pub dataset: Dataset,
    /// First simulated instant.
    pub start: Timestamp,
    /// End of the simulated period (the last simulated day's end).
    pub end: Timestamp,
    /// Ground truth per account, in account order.
    pub truth: Vec<AccountTruth>,
    /// The settings used.
    pub config: SimulationConfig,
}

const FEATURES: [&str; 12] = [
    "dashboards",
    "reports",
    "alerts",
    "integrations",
    "automation",
    "api",
    "sharing",
    "search",
    "forecasting",
    "audit",
    "sso",
    "mobile",
];
const PAGES: [&str; 7] = ["dashboard", "docs", "settings", "reports", "pricing", "billing", "plans"];
const SEVERITIES: [&str; 4] = ["low", "medium", "high", "urgent"];
const CHANNELS: [&str; 3] = ["email", "call", "meeting"];
const STEPS: [&str; 3] = ["kickoff", "training_done", "first_value"];
const REGIONS: [&str; 4] = ["NA", "EMEA", "APAC", "LATAM"];
const INDUSTRIES: [&str; 6] = ["software", "finance", "healthcare", "retail", "manufacturing", "education"];

#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Kind {
    Login,
    Feature,
    Page,
    Ticket,
    Survey,
    Touch,
    Invoice,
    Onboarding,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Login => "login",
            Kind::Feature => "feature_used",
            Kind::Page => "page_view",
            Kind::Ticket => "support_ticket",
            Kind::Survey => "survey_response",
            Kind::Touch => "touch",
            Kind::Invoice => "invoice_paid",
            Kind::Onboarding => "onboarding_step",
        }
    }
}

/// A compact simulated event; `value` is interpreted per kind.
#[derive(Clone, Copy)]
struct SimEvent {
    account: u32,
    user: u32,
    ts: i64,
    kind: Kind,
    value: u32,
}

struct Generated {
    accounts: Vec<Account>,
    users: Vec<User>,
    subscriptions: Vec<Subscription>,
    events: Vec<SimEvent>,
    truth: Vec<AccountTruth>,
    /// Global user index of each account's first user.
    user_base: Vec<u32>,
}

struct SimSource<'a> {
    events: &'a [SimEvent],
    account_ids: Vec<&'a str>,
    user_ids: Vec<&'a str>,
}

impl EventSource for SimSource<'_> {
    fn len(&self) -> usize {
        self.events.len()
    }
    fn account_id(&self, i: usize) -> std::result::Result<&str, FieldError> {
        Ok(self.account_ids[self.events[i].account as usize])
    }
    fn user_id(&self, i: usize) -> std::result::Result<Option<&str>, FieldError> {
        let u = self.events[i].user;
        Ok((u != u32::MAX).then(|| self.user_ids[u as usize]))
    }
    fn timestamp_ms(&self, i: usize) -> std::result::Result<i64, FieldError> {
        Ok(self.events[i].ts)
    }
    fn name(&self, i: usize) -> std::result::Result<&str, FieldError> {
        Ok(self.events[i].kind.name())
    }
    fn properties(&self, i: usize, out: &mut dyn FnMut(&str, PropRef<'_>)) -> std::result::Result<(), FieldError> {
        let e = self.events[i];
        let v = e.value as usize;
        match e.kind {
            Kind::Feature => out("feature", PropRef::Str(FEATURES.get(v).copied().unwrap_or("export"))),
            Kind::Page => out("page", PropRef::Str(PAGES[v % PAGES.len()])),
            Kind::Ticket => out("severity", PropRef::Str(SEVERITIES[v % SEVERITIES.len()])),
            Kind::Survey => out("score", PropRef::Number(f64::from(e.value))),
            Kind::Touch => out("channel", PropRef::Str(CHANNELS[v % CHANNELS.len()])),
            Kind::Invoice => out("amount", PropRef::Number(f64::from(e.value) / 100.0)),
            Kind::Onboarding => out("step", PropRef::Str(STEPS[v % STEPS.len()])),
            Kind::Login => {}
        }
        Ok(())
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Day of week of a day index from the epoch: 0 = Monday.
fn weekday(epoch_day: i64) -> i64 {
    (epoch_day + 3).rem_euclid(7)
}

/// Day of month (1-based) of an epoch day.
fn day_of_month(epoch_day: i64) -> u32 {
    use chrono::Datelike;
    chrono::DateTime::from_timestamp(epoch_day * 86_400, 0).map(|d| d.day()).unwrap_or(15)
}

/// A treatment the simulator applies to one account (what a play did to it), for experiments
/// with a known effect: from the first day starting at or after `start`, the account's latent
/// engagement shifts by `engagement` (standard deviations of the account mix; its usage and its
/// renewals follow) and its odds of not renewing at each later renewal are multiplied by
/// `churn_odds`. Several treatments of one account add their shifts and multiply their odds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Treatment {
    /// The account.
    pub account_id: String,
    /// When it was treated.
    pub start: Timestamp,
    /// Shift of the latent engagement (−3 to 3; 0: none).
    #[serde(default)]
    pub engagement: f64,
    /// Multiplier of the odds of not renewing (0.01 to 100; 1: none).
    #[serde(default = "one")]
    pub churn_odds: f64,
}

fn one() -> f64 {
    1.0
}

/// Most treatments one simulation takes.
pub const MAX_TREATMENTS: usize = 10_000_000;

/// Per account: (first day of effect, engagement shift, churn log-odds shift), by start.
type Effects = Vec<(i64, f64, f64)>;

impl Simulation {
    /// Generates a customer base.
    pub fn generate(config: &SimulationConfig) -> Result<Simulation> {
        Self::build(config, None)
    }

    /// Generates the customer base of `config` as it would be had `treatments` been applied.
    /// Each account's randomness is split into independent streams (contracts, pre-churn
    /// signals, the rest), so an account is the same before its first treatment as in the
    /// untreated base `generate_treated(config, &[])` (which differs from
    /// [`generate`](Self::generate) by that split) — but for the pricing-page visits planted in
    /// the 30 days before a churn, which move with the churn — and untreated accounts are the
    /// same throughout: the difference is the treatment's effect, account by account.
    pub fn generate_treated(config: &SimulationConfig, treatments: &[Treatment]) -> Result<Simulation> {
        if treatments.len() > MAX_TREATMENTS {
            return Err(Error::argument("treatments", format!("at most {MAX_TREATMENTS}")));
        }
        let index: std::collections::HashMap<String, usize> = (0..config.accounts).map(|i| (account_id(i), i)).collect();
        let mut effects: Vec<Effects> = vec![Vec::new(); config.accounts];
        for (k, t) in treatments.iter().enumerate() {
            let Some(&i) = index.get(&t.account_id) else {
                return Err(Error::argument("treatments", format!("[{k}]: no simulated account `{}`", t.account_id)));
            };
            if !(t.engagement.is_finite() && (-3.0..=3.0).contains(&t.engagement)) {
                return Err(Error::argument("treatments", format!("[{k}]: engagement must lie in -3..=3, got {}", t.engagement)));
            }
            if !(t.churn_odds.is_finite() && (0.01..=100.0).contains(&t.churn_odds)) {
                return Err(Error::argument(
                    "treatments",
                    format!("[{k}]: churn_odds must lie in 0.01..=100, got {}", t.churn_odds),
                ));
            }
            let day = t.start.millis().div_euclid(MS_PER_DAY) + i64::from(t.start.millis().rem_euclid(MS_PER_DAY) != 0);
            effects[i].push((day, t.engagement, t.churn_odds.ln()));
        }
        for e in &mut effects {
            e.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.total_cmp(&b.2)));
        }
        Self::build(config, Some(&effects))
    }

    fn build(config: &SimulationConfig, effects: Option<&[Effects]>) -> Result<Simulation> {
        config.validate()?;
        let n = config.accounts;
        let threads = if n < 256 { 1 } else { crate::stats::max_threads() };
        let parts: Vec<Generated> = crate::stats::map_ranges(n, threads, |r| generate_range(config, r.start, r.end, effects));
        let mut g = Generated {
            accounts: vec![],
            users: vec![],
            subscriptions: vec![],
            events: vec![],
            truth: vec![],
            user_base: vec![],
        };
        for mut p in parts {
            let offset = g.users.len() as u32;
            for e in &mut p.events {
                if e.user != u32::MAX {
                    e.user += offset;
                }
            }
            g.user_base.extend(p.user_base.iter().map(|b| b + offset));
            g.accounts.append(&mut p.accounts);
            g.users.append(&mut p.users);
            g.subscriptions.append(&mut p.subscriptions);
            g.events.append(&mut p.events);
            g.truth.append(&mut p.truth);
        }
        if g.accounts.len() != n {
            return Err(Error::argument("config", "simulation worker failed"));
        }
        let options = IngestOptions { allow_future: true, ..IngestOptions::default() };
        let mut ds = Dataset::new();
        ds.add_accounts(&g.accounts, &options)?;
        ds.add_users(&g.users, &options)?;
        ds.add_subscriptions(&g.subscriptions, &options)?;
        let source = SimSource {
            events: &g.events,
            account_ids: g.accounts.iter().map(|a| a.id.as_str()).collect(),
            user_ids: g.users.iter().map(|u| u.id.as_str()).collect(),
        };
        ds.add_event_source(&source, &options)?;
        Ok(Simulation {
            dataset: ds,
            start: config.start,
            end: config.start.add_days(i64::from(config.days)).add_millis(-1000),
            truth: g.truth,
            config: config.clone(),
        })
    }

    /// Ground truth of one account.
    pub fn truth_of(&self, account_id: &str) -> Option<&AccountTruth> {
        self.truth.iter().find(|t| t.account_id == account_id)
    }
}

fn account_id(i: usize) -> String {
    format!("acc-{:06}", i + 1)
}

/// The stream to draw from: `split`'s own when the streams are split, else the main one.
fn pick<'a>(split: bool, own: &'a mut Rng, main: &'a mut Rng) -> &'a mut Rng {
    if split {
        own
    } else {
        main
    }
}

fn generate_range(cfg: &SimulationConfig, lo: usize, hi: usize, effects: Option<&[Effects]>) -> Generated {
    let mut g =
        Generated { accounts: vec![], users: vec![], subscriptions: vec![], events: vec![], truth: vec![], user_base: vec![] };
    let mut engagement = Vec::new();
    for i in lo..hi {
        generate_account(cfg, i, &mut g, &mut engagement, effects.map(|e| e[i].as_slice()));
    }
    g
}

#[allow(clippy::too_many_lines)]
fn generate_account(cfg: &SimulationConfig, i: usize, g: &mut Generated, e: &mut Vec<f64>, effects: Option<&[(i64, f64, f64)]>) {
    let mut rng = Rng::new(cfg.seed, i as u64);
    // Treated simulations split the streams whose number of draws depends on the outcome (the
    // contracts and the signals before a churn), so a treatment changes nothing before it.
    let split = effects.is_some();
    let effects = effects.unwrap_or(&[]);
    let mut contracts = Rng::new(cfg.seed ^ 0x636f_6e74_7261_6374, i as u64);
    // The onboarding's pace has its own stream: its delays move no other draw.
    let mut journey = Rng::new(cfg.seed ^ 0x6a6f_7572_6e65_7973, i as u64);
    let mut signals = Rng::new(cfg.seed ^ 0x7369_676e_616c_7321, i as u64);
    let odds_shift = |day: i64| -> f64 { effects.iter().filter(|e| e.0 <= day).map(|e| e.2).sum() };
    let start_day = cfg.start.millis().div_euclid(MS_PER_DAY);
    let days = i64::from(cfg.days);
    let end_day = start_day + days;
    let account_idx = i as u32;
    let id = account_id(i);

    // Firmographics and money.
    let existing = rng.chance(0.7);
    let created_day =
        if existing { start_day - 30 - rng.below(870) as i64 } else { start_day + rng.below((days - 1).max(1) as u64) as i64 };
    let mrr_dollars = rng.lognormal(800f64.ln(), 1.15).max(20.0);
    let (plan, price) = if mrr_dollars < 500.0 {
        ("starter", 20.0)
    } else if mrr_dollars < 5000.0 {
        ("growth", 35.0)
    } else {
        ("enterprise", 60.0)
    };
    let mut mrr_minor = (mrr_dollars * 100.0).round() as i64;
    let seats = ((mrr_dollars / price).round() as u32).max(1);
    let annual = plan == "enterprise" || (plan == "growth" && rng.chance(0.5));
    let term = if annual { 365 } else { 30 };
    let region = REGIONS[rng.weighted(&[0.45, 0.3, 0.17, 0.08])];
    let industry = INDUSTRIES[rng.below(INDUSTRIES.len() as u64) as usize];
    let created = day_ts(created_day, 9 * 3600 + rng.below(8 * 3600) as i64);
    let mut account = Account::new(id.clone(), format!("Customer {}", i + 1), created)
        .with_seats(seats)
        .with_attribute("plan", AttributeValue::String(plan.into()))
        .with_attribute("region", AttributeValue::String(region.into()))
        .with_attribute("industry", AttributeValue::String(industry.into()))
        .with_attribute("employees", AttributeValue::Number(f64::from(seats) * rng.range(2.0, 8.0).round()))
        .with_attribute("billing", AttributeValue::String(if annual { "annual" } else { "monthly" }.into()));
    if mrr_dollars >= 2000.0 {
        account = account.with_owner(format!("csm-{:02}", 1 + rng.below(12)));
    }

    // Users and roles.
    let n_users = ((f64::from(seats) * rng.range(0.4, 0.9)).round() as u32).clamp(1, cfg.max_users_per_account) as usize;
    let base_user = g.users.len() as u32;
    g.user_base.push(base_user);
    let mut roles = vec![Role::Member; n_users];
    roles[0] = if n_users == 1 { Role::Champion } else { Role::Admin };
    if n_users >= 2 {
        roles[1] = Role::Champion;
    }
    if n_users >= 5 {
        roles[2] = Role::Executive;
    }
    if n_users >= 30 {
        roles[3] = Role::Executive;
    }
    let champion = roles.iter().position(|r| *r == Role::Champion);
    let mut user_created = Vec::with_capacity(n_users);
    let mut rate = Vec::with_capacity(n_users);
    for (k, role) in roles.iter().enumerate() {
        let join = created_day + if k < 2 { rng.below(3) as i64 } else { rng.below(60) as i64 };
        // Nobody joins after the simulated period (an account created near its end has its
        // later users invited on the last day).
        user_created.push(join.min(end_day - 1));
        rate.push(
            match role {
                Role::Champion => 0.6,
                Role::Admin => 0.45,
                Role::Executive => 0.12,
                Role::Member => rng.lognormal(0.25f64.ln(), 0.6).min(0.85),
            } * cfg.activity_scale,
        );
    }

    // Hidden state.
    let base = 0.5 * rng.normal();
    let cadence = match rng.weighted(&[0.75, 0.1, 0.15]) {
        0 => Cadence::Daily,
        1 => Cadence::Weekly,
        _ => Cadence::Monthly,
    };
    let stuck = !existing && rng.chance(0.2);
    let confused = rng.chance(0.05);
    let champion_left = (champion.is_some() && rng.chance(0.15)).then(|| start_day + rng.below(days as u64) as i64);
    let mut decline = if stuck {
        Some(created_day + 20)
    } else if rng.chance(0.22) {
        Some(start_day - 60 + rng.below((days + 60) as u64) as i64)
    } else {
        None
    };
    if let Some(cl) = champion_left {
        if rng.chance(0.6) {
            let d = cl + rng.below(30) as i64;
            decline = Some(decline.map_or(d, |x| x.min(d)));
        }
    }
    // Onboarding (new accounts): kickoff, training done, first value, each some days after the
    // one before — lognormal delays, slower for less engaged accounts. A stuck account either
    // never trains or trains late and never reaches value.
    let onboarding: [Option<i64>; 3] = if existing {
        [None; 3]
    } else {
        let pace = (-0.6 * base).exp();
        let kickoff = created_day + 1 + (journey.lognormal(1.5f64.ln(), 0.6) * pace).round() as i64;
        let never_trains = stuck && journey.chance(0.6);
        let slow = if stuck { 2.0 } else { 1.0 };
        let training = kickoff + ((journey.lognormal(9f64.ln(), 0.45) * pace * slow).round() as i64).max(2);
        let value = training + ((journey.lognormal(8f64.ln(), 0.5) * pace).round() as i64).max(1);
        [Some(kickoff), (!never_trains).then_some(training), (!stuck).then_some(value)]
    };
    let mut onboarding_at: [Option<Timestamp>; 3] = [None; 3];
    let slope = rng.range(0.01, 0.04);
    let breadth0 = (4.0 + 3.0 * base + rng.normal()).clamp(1.0, 12.0);
    let mut order: Vec<u32> = (0..FEATURES.len() as u32).collect();
    for k in (1..order.len()).rev() {
        order.swap(k, rng.below(k as u64 + 1) as usize);
    }

    // Latent engagement for each simulated day (and 120 days before, for renewals).
    let lead = 120;
    e.clear();
    let mut noise = 0.0;
    for d in (start_day - lead)..end_day {
        noise = 0.97 * noise + 0.05 * rng.normal();
        let mut v = base + noise;
        if let Some(on) = decline {
            if d > on {
                v -= (slope * (d - on) as f64).min(3.0);
            }
        }
        e.push(v + effects.iter().filter(|x| x.0 <= d).map(|x| x.1).sum::<f64>());
    }
    let eng = |d: i64| -> f64 { e.get((d - (start_day - lead)).clamp(0, e.len() as i64 - 1) as usize).copied().unwrap_or(0.0) };

    // Contracts and renewals.
    let mut churn_day: Option<i64> = None;
    let mut row_start = created_day;
    let mut renewal = created_day + term;
    while renewal < start_day {
        renewal += term;
    }
    let currency = cfg.currency.clone();
    let mut subs = Vec::new();
    loop {
        let row_mrr = mrr_minor;
        if renewal >= end_day {
            subs.push((row_start, renewal, row_mrr, false));
            break;
        }
        let z = (0..14).map(|k| eng(renewal - k)).sum::<f64>() / 14.0;
        let left = champion_left.is_some_and(|c| c < renewal);
        let c0 = if annual { -2.8 } else { -4.3 };
        let p = sigmoid(c0 - 2.4 * z + 0.9 * f64::from(u8::from(left)) + 0.8 * f64::from(u8::from(stuck)) + odds_shift(renewal));
        if pick(split, &mut contracts, &mut rng).chance(p) {
            subs.push((row_start, renewal, row_mrr, true));
            churn_day = Some(renewal);
            break;
        }
        subs.push((row_start, renewal, row_mrr, false));
        let r = pick(split, &mut contracts, &mut rng);
        if z > 0.4 && r.chance(0.25) {
            mrr_minor = (mrr_minor as f64 * r.range(1.1, 1.5)).round() as i64;
        } else if z < -0.8 && r.chance(0.3) {
            mrr_minor = (mrr_minor as f64 * r.range(0.6, 0.9)).round() as i64;
        }
        row_start = renewal;
        renewal += term;
    }
    for (s, en, m, canceled) in subs {
        g.subscriptions.push(Subscription {
            account_id: id.clone(),
            plan: plan.into(),
            start: day_ts(s, 0),
            end: Some(day_ts(en, 0)),
            mrr: Money::new(m, currency.clone()),
            quantity: seats,
            status: if canceled { SubscriptionStatus::Canceled } else { SubscriptionStatus::Active },
        });
    }
    let last_day = churn_day.unwrap_or(end_day);
    for (k, role) in roles.iter().enumerate() {
        let mut deactivated = churn_day.map(|d| day_ts(d, 0));
        if Some(k) == champion {
            if let Some(cl) = champion_left {
                if cl < last_day {
                    deactivated = Some(day_ts(cl, 12 * 3600));
                }
            }
        }
        let created_at = day_ts(user_created[k], 8 * 3600);
        g.users.push(User {
            id: format!("{id}-u{k:03}"),
            account_id: id.clone(),
            role: *role,
            created_at,
            deactivated_at: deactivated.filter(|d| *d >= created_at),
        });
    }
    let extraction = churn_day.is_some() && pick(split, &mut contracts, &mut rng).chance(0.35);

    // Usage.
    let first = start_day.max(created_day);
    let push = |g: &mut Generated, user: u32, day: i64, secs: i64, kind: Kind, value: u32| {
        g.events.push(SimEvent { account: account_idx, user, ts: day * MS_PER_DAY + secs * 1000, kind, value });
    };
    for d in first..last_day {
        let m = eng(d).exp() * if d - created_day < 30 { 0.3 + 0.7 * (d - created_day) as f64 / 30.0 } else { 1.0 };
        let wd = weekday(d);
        let rhythm = match cadence {
            Cadence::Daily => {
                if wd >= 5 {
                    0.2
                } else {
                    1.0
                }
            }
            Cadence::Weekly => match wd {
                0 => 3.0,
                5 | 6 => 0.05,
                _ => 0.15,
            },
            Cadence::Monthly => {
                let dom = day_of_month(d);
                if dom >= 25 || dom <= 2 {
                    3.0
                } else {
                    0.1
                }
            }
        };
        let breadth = ((breadth0 + 2.0 * (eng(d) - base)).round() as i64).clamp(1, 12) as u64;
        let breadth = if confused { breadth.min(2) } else { breadth };
        let pre_churn = churn_day.is_some_and(|c| c - d <= 30);
        for k in 0..n_users {
            if d < user_created[k] || (Some(k) == champion && champion_left.is_some_and(|cl| d >= cl)) {
                continue;
            }
            let p = (rate[k] * m * rhythm).min(0.95);
            if !rng.chance(p) {
                continue;
            }
            let user = base_user + k as u32;
            let mut secs = 7 * 3600 + rng.below(10 * 3600) as i64;
            push(g, user, d, secs, Kind::Login, 0);
            let mut n_feat = 1 + rng.poisson(1.5 * m.min(3.0));
            if confused {
                n_feat *= 3;
            }
            for _ in 0..n_feat {
                secs += 1 + rng.below(900) as i64;
                push(g, user, d, secs, Kind::Feature, order[rng.below(breadth) as usize]);
            }
            if rng.chance(0.3) {
                secs += 1 + rng.below(600) as i64;
                push(g, user, d, secs, Kind::Page, rng.below(4) as u32);
            }
            let r = pick(split, &mut signals, &mut rng);
            if r.chance(if pre_churn { 0.15 } else { 0.004 }) {
                secs += 1 + r.below(600) as i64;
                push(g, user, d, secs, Kind::Page, 4 + r.below(3) as u32);
            }
        }
        let trouble = (-eng(d)).max(0.0);
        let ticket_rate = 0.002 * (n_users as f64).sqrt() * (1.0 + 2.0 * trouble) * if confused { 3.0 } else { 1.0 };
        for _ in 0..rng.poisson(ticket_rate) {
            let sev = rng.weighted(&[0.4, 0.35, 0.2 + 0.1 * trouble, 0.05 + 0.05 * trouble]) as u32;
            let u = base_user + rng.below(n_users as u64) as u32;
            push(g, u, d, 8 * 3600 + rng.below(9 * 3600) as i64, Kind::Ticket, sev);
        }
        if account.owner.is_some() && rng.chance(1.0 / 21.0) {
            push(g, u32::MAX, d, 10 * 3600 + rng.below(7 * 3600) as i64, Kind::Touch, rng.weighted(&[0.5, 0.35, 0.15]) as u32);
        }
        let age = d - created_day;
        if age > 0 && age % 90 == 45 && rng.chance(0.6) {
            let score = (7.5 + 1.5 * eng(d) + 1.5 * rng.normal()).round().clamp(0.0, 10.0) as u32;
            let u = base_user + rng.below(n_users as u64) as u32;
            push(g, u, d, 15 * 3600, Kind::Survey, score);
        }
        if age > 0 && age % 30 == 0 {
            push(g, u32::MAX, d, 3 * 3600, Kind::Invoice, mrr_minor.clamp(0, i64::from(u32::MAX)) as u32);
        }
        for (step, day) in onboarding.iter().enumerate() {
            if *day == Some(d) {
                push(g, base_user, d, 11 * 3600, Kind::Onboarding, step as u32);
                onboarding_at[step] = Some(day_ts(d, 11 * 3600));
            }
        }
    }
    if extraction {
        if let Some(c) = churn_day {
            let r = pick(split, &mut contracts, &mut rng);
            let d = c - 2 - r.below(12) as i64;
            if d >= first {
                let n = 40 + r.below(110);
                for k in 0..n {
                    push(g, base_user, d, 20 * 3600 + k as i64 * 7, Kind::Feature, 99);
                }
            }
        }
    }
    g.truth.push(AccountTruth {
        account_id: id,
        churned: churn_day.is_some(),
        churned_at: churn_day.map(|d| day_ts(d, 0)),
        decline_started_at: decline.map(|d| day_ts(d, 0)),
        champion_left_at: champion_left.filter(|&c| c < last_day).map(|d| day_ts(d, 12 * 3600)),
        cadence,
        base_engagement: base,
        onboarding_stuck: stuck,
        kickoff_at: onboarding_at[0],
        training_done_at: onboarding_at[1],
        first_value_at: onboarding_at[2],
        extraction_burst: extraction,
        confused,
    });
    g.accounts.push(account);
}

fn day_ts(day: i64, secs: i64) -> Timestamp {
    Timestamp::from_millis(day * MS_PER_DAY + secs * 1000).unwrap_or_else(|_| Timestamp::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_long_tailed() {
        let cfg = SimulationConfig::default().with_accounts(300).with_days(60).with_seed(3);
        let a = Simulation::generate(&cfg).expect("sim");
        let b = Simulation::generate(&cfg).expect("sim");
        assert_eq!(a.dataset.event_count(), b.dataset.event_count());
        assert_eq!(a.truth, b.truth);
        assert!(a.dataset.event_count() > 10_000);
    }
}
