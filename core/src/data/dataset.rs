//! The [`Dataset`]: validated accounts, users, subscriptions and events, held columnar with ids
//! interned and events sorted by account and time.

use std::collections::{BTreeMap, HashMap};

use rustc_hash::FxHashMap;

use serde::{Deserialize, Serialize};

use crate::error::{Entity, Error, ErrorKind, Result};
use crate::time::{Timestamp, MAX_TIMESTAMP_MS, MIN_TIMESTAMP_MS, MS_PER_DAY};

use super::entity::{Account, AttributeValue, Event, Money, Role, Subscription, SubscriptionStatus, User};
use super::ingest::{DuplicatePolicy, EventSource, FieldError, IngestMode, IngestOptions, IngestReport, PropRef, RejectedRow};
use super::intern::{Interner, Staged};
use super::props::{num_bits, Prop, PropSets, StagedProps, Stored};

/// Marks an event without a user.
pub(crate) const NO_USER: u32 = u32::MAX;
/// Longest id, name or property key accepted, in bytes.
const MAX_TEXT_BYTES: usize = 1024;
/// Largest MRR accepted, in minor units (10^15: ARR and totals stay far from overflow).
const MAX_MONEY_MINOR: i64 = 1_000_000_000_000_000;

/// A user as held by the dataset.
#[derive(Debug, Clone)]
pub(crate) struct UserRow {
    pub(crate) id: String,
    pub(crate) account: u32,
    pub(crate) role: Role,
    pub(crate) created_at: i64,
    pub(crate) deactivated_at: Option<i64>,
}

/// A subscription row as held by the dataset.
#[derive(Debug, Clone)]
pub(crate) struct SubscriptionRow {
    pub(crate) account: u32,
    pub(crate) plan: String,
    pub(crate) start: i64,
    pub(crate) end: Option<i64>,
    pub(crate) mrr_minor: i64,
    pub(crate) quantity: u32,
    pub(crate) status: SubscriptionStatus,
}

/// Everything that makes two subscription rows identical (a re-send).
#[derive(PartialEq, Eq, Hash)]
struct SubscriptionKey<'a> {
    account: u32,
    plan: &'a str,
    start: i64,
    end: Option<i64>,
    mrr_minor: i64,
    quantity: u32,
    status: SubscriptionStatus,
}

impl<'a> SubscriptionKey<'a> {
    fn with_plan(r: &SubscriptionRow, plan: &'a str) -> Self {
        SubscriptionKey {
            account: r.account,
            plan,
            start: r.start,
            end: r.end,
            mrr_minor: r.mrr_minor,
            quantity: r.quantity,
            status: r.status,
        }
    }

    fn of(r: &'a SubscriptionRow) -> Self {
        Self::with_plan(r, &r.plan)
    }
}

/// Events, columnar, sorted by (account, timestamp). Account `a` owns rows `offsets[a]..offsets[a+1]`.
#[derive(Debug, Clone, Default)]
pub(crate) struct EventStore {
    pub(crate) offsets: Vec<usize>,
    pub(crate) ts: Vec<i64>,
    pub(crate) user: Vec<u32>,
    pub(crate) name: Vec<u32>,
    pub(crate) props: Vec<u32>,
}

impl EventStore {
    pub(crate) fn range(&self, account: usize) -> std::ops::Range<usize> {
        self.offsets[account]..self.offsets[account + 1]
    }

    fn len(&self) -> usize {
        self.ts.len()
    }

    fn with_capacity(accounts: usize, events: usize) -> Self {
        let mut offsets = Vec::with_capacity(accounts + 1);
        offsets.push(0);
        EventStore {
            offsets,
            ts: Vec::with_capacity(events),
            user: Vec::with_capacity(events),
            name: Vec::with_capacity(events),
            props: Vec::with_capacity(events),
        }
    }
}

/// One account's events within a time range, as parallel slices sorted by time: the one way
/// modules outside `data` and `metrics` read events (see [`Dataset::scan`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct EventScan<'a> {
    pub(crate) ts: &'a [i64],
    pub(crate) name: &'a [u32],
    user: &'a [u32],
    props: &'a [u32],
}

/// One event of an [`EventScan`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct ScannedEvent {
    pub(crate) ts: i64,
    /// Interned event name (compare with [`Dataset::name_id`]).
    pub(crate) name: u32,
    /// Interned user, if the event has one.
    pub(crate) user: Option<u32>,
    /// Interned property set.
    pub(crate) props: u32,
}

impl ScannedEvent {
    /// Whole 24-hour buckets between the event and a later instant `t` (`(t - ts) / day`): the
    /// "days ago" bucket counted back from `t`.
    pub(crate) fn days_before(&self, t: i64) -> usize {
        ((t - self.ts) / MS_PER_DAY) as usize
    }

    /// Whole 24-hour buckets from `t0` forward to the event; `t0` must not be later than it.
    pub(crate) fn days_after(&self, t0: i64) -> usize {
        ((self.ts - t0) / MS_PER_DAY) as usize
    }
}

impl<'a> EventScan<'a> {
    /// The events, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = ScannedEvent> + 'a {
        self.iter_from(0)
    }

    /// The events from position `start` on.
    pub(crate) fn iter_from(&self, start: usize) -> impl Iterator<Item = ScannedEvent> + 'a {
        let (ts, name, user, props) = (self.ts, self.name, self.user, self.props);
        (start.min(ts.len())..ts.len()).map(move |i| ScannedEvent {
            ts: ts[i],
            name: name[i],
            user: (user[i] != NO_USER).then_some(user[i]),
            props: props[i],
        })
    }
}

/// Bytes held by a dataset, by part.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MemoryUsage {
    /// Bytes of the event columns (timestamps, users, names, property sets, offsets).
    pub event_bytes: usize,
    /// Bytes of the interned strings and property sets.
    pub dictionary_bytes: usize,
    /// Bytes of accounts, users and subscriptions (estimated).
    pub entity_bytes: usize,
    /// Events held.
    pub events: usize,
    /// `(event_bytes + dictionary_bytes) / events`.
    pub bytes_per_event: f64,
}

/// An event staged for merging: its sort key plus its row in the batch (`u32::MAX` = already held).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct StagedEvent {
    account: u32,
    ts: i64,
    name: u32,
    user: u32,
    props: u32,
    row: u32,
}

/// Validated customer data, held columnar. See the crate docs for the data's way through custfit.
///
/// Every `add_*` call is all-or-nothing in [`IngestMode::Strict`]: on error the dataset is
/// exactly as it was. Accounts must be added before the users, subscriptions and events that
/// refer to them.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub(crate) currency: Option<String>,
    pub(crate) accounts: Vec<Account>,
    pub(crate) account_index: FxHashMap<String, u32>,
    pub(crate) attribute_types: BTreeMap<String, &'static str>,
    pub(crate) users: Vec<UserRow>,
    pub(crate) user_index: FxHashMap<String, u32>,
    pub(crate) subscriptions: Vec<SubscriptionRow>,
    pub(crate) subscription_offsets: Vec<usize>,
    pub(crate) events: EventStore,
    pub(crate) event_names: Interner,
    pub(crate) prop_keys: Interner,
    pub(crate) prop_strings: Interner,
    pub(crate) prop_sets: PropSets,
}

fn check_text(field: &str, value: &str, kind: ErrorKind) -> Result<(), FieldError> {
    if value.is_empty() {
        return Err(FieldError::new(kind, field, "must not be empty"));
    }
    if value.len() > MAX_TEXT_BYTES {
        return Err(FieldError::new(kind, field, format!("longer than {MAX_TEXT_BYTES} bytes")));
    }
    if value.chars().any(char::is_control) {
        return Err(FieldError::new(kind, field, "contains control characters"));
    }
    Ok(())
}

fn check_future(field: &str, ms: i64, latest: Option<i64>) -> Result<(), FieldError> {
    match latest {
        Some(limit) if ms > limit => Err(FieldError::new(
            ErrorKind::FutureTimestamp,
            field,
            format!(
                "{} is in the future (latest allowed {}); set allow_future to ingest it",
                Timestamp::from_millis(ms).map(|t| t.to_rfc3339()).unwrap_or_else(|_| ms.to_string()),
                Timestamp::from_millis(limit.min(MAX_TIMESTAMP_MS - 1)).map(|t| t.to_rfc3339()).unwrap_or_default()
            ),
        )),
        _ => Ok(()),
    }
}

/// Collects per-row outcomes for strict or lenient mode.
struct Outcome {
    mode: IngestMode,
    entity: Entity,
    rejected: Vec<RejectedRow>,
}

impl Outcome {
    fn new(mode: IngestMode, entity: Entity) -> Self {
        Outcome { mode, entity, rejected: Vec::new() }
    }

    /// `Ok(true)` keep the row, `Ok(false)` skip it (lenient), `Err` abort (strict).
    fn check(&mut self, row: usize, result: Result<(), FieldError>) -> Result<bool> {
        match result {
            Ok(()) => Ok(true),
            Err(e) if self.mode == IngestMode::Strict => Err(e.into_error(self.entity, row)),
            Err(e) => {
                self.rejected.push(e.into_rejected(row));
                Ok(false)
            }
        }
    }
}

impl Dataset {
    /// Whether held user `h` is the same row as `u` (a re-send).
    fn user_equals(&self, h: usize, u: &User) -> bool {
        let held = &self.users[h];
        held.id == u.id
            && self.accounts[held.account as usize].id == u.account_id
            && held.role == u.role
            && held.created_at == u.created_at.millis()
            && held.deactivated_at == u.deactivated_at.map(Timestamp::millis)
    }

    /// The error of account `a`'s MRR (or ARR) summed beyond 64-bit minor units: money is exact,
    /// never clamped.
    pub(crate) fn mrr_overflow(&self, a: usize) -> Error {
        Error::Argument {
            kind: ErrorKind::InvalidSubscription,
            name: "mrr.minor".into(),
            reason: format!("account `{}`: MRR (or ARR) in force exceeds 64-bit minor units", self.accounts[a].id),
        }
    }
}

impl Dataset {
    /// An empty dataset.
    pub fn new() -> Self {
        let mut ds = Dataset::default();
        ds.events.offsets.push(0);
        ds.subscription_offsets.push(0);
        ds
    }

    /// Number of accounts.
    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }

    /// Number of users.
    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    /// Number of subscription rows.
    pub fn subscription_count(&self) -> usize {
        self.subscriptions.len()
    }

    /// Number of events.
    pub fn event_count(&self) -> usize {
        self.events.len()
    }

    /// The dataset's currency (set by the first subscription), if any.
    pub fn currency(&self) -> Option<&str> {
        self.currency.as_deref()
    }

    /// Accounts in insertion order.
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    /// The account with this id.
    pub fn account(&self, id: &str) -> Option<&Account> {
        self.account_index.get(id).map(|&i| &self.accounts[i as usize])
    }

    pub(crate) fn account_position(&self, id: &str) -> Result<usize> {
        self.account_index.get(id).map(|&i| i as usize).ok_or_else(|| Error::Argument {
            kind: ErrorKind::UnknownAccount,
            name: "account_id".into(),
            reason: format!("no account `{id}` in the dataset"),
        })
    }

    /// Attribute names and their types (`string`, `number`, `bool`, `date`).
    pub fn attribute_types(&self) -> &BTreeMap<String, &'static str> {
        &self.attribute_types
    }

    /// Users in insertion order.
    pub fn users(&self) -> Vec<User> {
        self.users
            .iter()
            .map(|u| User {
                id: u.id.clone(),
                account_id: self.accounts[u.account as usize].id.clone(),
                role: u.role,
                created_at: ts(u.created_at),
                deactivated_at: u.deactivated_at.map(ts),
            })
            .collect()
    }

    /// Subscriptions sorted by account (insertion order) and start.
    pub fn subscriptions(&self) -> Vec<Subscription> {
        let currency = self.currency.clone().unwrap_or_default();
        self.subscriptions
            .iter()
            .map(|s| Subscription {
                account_id: self.accounts[s.account as usize].id.clone(),
                plan: s.plan.clone(),
                start: ts(s.start),
                end: s.end.map(ts),
                mrr: Money::new(s.mrr_minor, currency.clone()),
                quantity: s.quantity,
                status: s.status,
            })
            .collect()
    }

    /// Events sorted by account (insertion order) and time, as owned values.
    pub fn events(&self) -> Vec<Event> {
        let mut out = Vec::with_capacity(self.event_count());
        for a in 0..self.accounts.len() {
            for i in self.events.range(a) {
                out.push(self.event_at(a, i));
            }
        }
        out
    }

    pub(crate) fn event_at(&self, account: usize, i: usize) -> Event {
        let user = self.events.user[i];
        let properties = self
            .prop_sets
            .get(self.events.props[i])
            .iter()
            .map(|(k, v)| (self.prop_keys.resolve(*k).to_string(), v.to_value(&self.prop_strings)))
            .collect();
        Event {
            account_id: self.accounts[account].id.clone(),
            user_id: (user != NO_USER).then(|| self.users[user as usize].id.clone()),
            timestamp: ts(self.events.ts[i]),
            name: self.event_names.resolve(self.events.name[i]).to_string(),
            properties,
        }
    }

    /// Events of one account with `from < t <= to`, in time order.
    pub fn account_events(&self, account_id: &str, from: Timestamp, to: Timestamp) -> Result<Vec<Event>> {
        let a = self.account_position(account_id)?;
        let r = self.events.range(a);
        let ts = &self.events.ts[r.clone()];
        let lo = r.start + ts.partition_point(|&t| t <= from.millis());
        let hi = r.start + ts.partition_point(|&t| t <= to.millis());
        Ok((lo..hi.max(lo)).map(|i| self.event_at(a, i)).collect())
    }

    /// First and last event instants, if any events are held.
    pub fn event_time_range(&self) -> Option<(Timestamp, Timestamp)> {
        let min = self.events.ts.iter().min()?;
        let max = self.events.ts.iter().max()?;
        Some((ts(*min), ts(*max)))
    }

    /// The latest instant the dataset records as having happened: the last event, account
    /// creation, or user creation or deactivation. Subscriptions do not count: contracts are
    /// written ahead (a renewal starting next month, an end date), so their dates are schedules,
    /// not observations.
    /// Outcomes (churn, retention) are only known up to this instant; every `known_at` is checked
    /// against it (`outcome::known_at`).
    pub fn data_end(&self) -> Option<Timestamp> {
        let events = self.events.ts.iter().copied().max();
        let accounts = self.accounts.iter().map(|a| a.created_at.millis()).max();
        let users = self.users.iter().map(|u| u.deactivated_at.map_or(u.created_at, |d| d.max(u.created_at))).max();
        [events, accounts, users].into_iter().flatten().max().map(ts)
    }

    /// Distinct event names seen, in first-seen order.
    pub fn event_names(&self) -> Vec<String> {
        self.event_names.iter().map(|(_, s)| s.to_string()).collect()
    }

    /// Bytes held, by part.
    pub fn memory_usage(&self) -> MemoryUsage {
        let e = &self.events;
        let event_bytes = e.ts.capacity() * 8
            + e.user.capacity() * 4
            + e.name.capacity() * 4
            + e.props.capacity() * 4
            + e.offsets.capacity() * std::mem::size_of::<usize>();
        let dictionary_bytes = self.event_names.heap_bytes()
            + self.prop_keys.heap_bytes()
            + self.prop_strings.heap_bytes()
            + self.prop_sets.heap_bytes();
        let entity_bytes = self.accounts.len() * (std::mem::size_of::<Account>() + 64)
            + self.users.len() * (std::mem::size_of::<UserRow>() + 48)
            + self.subscriptions.len() * (std::mem::size_of::<SubscriptionRow>() + 24);
        let events = e.len();
        MemoryUsage {
            event_bytes,
            dictionary_bytes,
            entity_bytes,
            events,
            bytes_per_event: if events == 0 { 0.0 } else { (event_bytes + dictionary_bytes) as f64 / events as f64 },
        }
    }

    // ---------------------------------------------------------------- accounts

    /// Adds accounts. Parents may be earlier in the same batch or already held.
    pub fn add_accounts(&mut self, rows: &[Account], options: &IngestOptions) -> Result<IngestReport> {
        let mut out = Outcome::new(options.mode, Entity::Account);
        let latest = options.latest_allowed();
        let reserved = super::reserved_column_names();
        let mut keep = vec![false; rows.len()];
        let mut batch_ids: HashMap<&str, usize> = HashMap::new();
        let mut attr_types: BTreeMap<String, &'static str> = self.attribute_types.clone();
        let mut dropped = 0;
        for (i, acc) in rows.iter().enumerate() {
            // One lookup each: the held account and the batch's earlier row with this id.
            let (held, earlier) = (self.account_index.get(&acc.id).copied(), batch_ids.get(acc.id.as_str()).copied());
            // A row identical to one held (or earlier in the batch) is a re-send: dropped and
            // counted under `duplicates: drop`, so retrying a batch changes nothing.
            if options.duplicates == DuplicatePolicy::Drop
                && (held.is_some_and(|h| self.accounts[h as usize] == *acc) || earlier.is_some_and(|j| rows[j] == *acc))
            {
                dropped += 1;
                continue;
            }
            let result = (|| {
                check_text("id", &acc.id, ErrorKind::InvalidAccount)?;
                if held.is_some() || earlier.is_some() {
                    return Err(FieldError::new(ErrorKind::DuplicateId, "id", format!("account `{}` already exists", acc.id)));
                }
                check_future("created_at", acc.created_at.millis(), latest)?;
                if acc.name.len() > MAX_TEXT_BYTES {
                    return Err(FieldError::new(
                        ErrorKind::InvalidAccount,
                        "name",
                        format!("longer than {MAX_TEXT_BYTES} bytes"),
                    ));
                }
                if let Some(p) = &acc.parent_id {
                    if p == &acc.id {
                        return Err(FieldError::new(
                            ErrorKind::InvalidAccount,
                            "parent_id",
                            "an account cannot be its own parent",
                        ));
                    }
                    if !self.account_index.contains_key(p) && !batch_ids.contains_key(p.as_str()) {
                        return Err(FieldError::new(
                            ErrorKind::UnknownAccount,
                            "parent_id",
                            format!("parent account `{p}` is not in the dataset (add parents before children)"),
                        ));
                    }
                }
                for (name, value) in &acc.attributes {
                    let field = format!("attributes.{name}");
                    check_text(&field, name, ErrorKind::InvalidAccount)?;
                    if reserved.contains(&name.as_str()) {
                        return Err(FieldError::new(
                            ErrorKind::InvalidAccount,
                            field,
                            format!("`{name}` is a built-in snapshot column; rename the attribute"),
                        ));
                    }
                    if let AttributeValue::Number(x) = value {
                        if !x.is_finite() {
                            return Err(FieldError::new(ErrorKind::InvalidAccount, field, "not a finite number"));
                        }
                    }
                    if let AttributeValue::String(s) = value {
                        if s.len() > MAX_TEXT_BYTES {
                            return Err(FieldError::new(
                                ErrorKind::InvalidAccount,
                                field,
                                format!("longer than {MAX_TEXT_BYTES} bytes"),
                            ));
                        }
                    }
                    if let Some(t) = attr_types.get(name) {
                        if *t != value.type_name() {
                            return Err(FieldError::new(
                                ErrorKind::InvalidAccount,
                                field,
                                format!("is {} here but {} in other accounts", value.type_name(), t),
                            ));
                        }
                    }
                }
                Ok(())
            })();
            if out.check(i, result)? {
                keep[i] = true;
                batch_ids.insert(&acc.id, i);
                for (name, value) in &acc.attributes {
                    attr_types.entry(name.clone()).or_insert(value.type_name());
                }
            }
        }
        // Parents that were themselves rejected make their children invalid too (lenient mode).
        if options.mode == IngestMode::Lenient {
            loop {
                let mut changed = false;
                for (i, acc) in rows.iter().enumerate() {
                    if !keep[i] {
                        continue;
                    }
                    if let Some(p) = &acc.parent_id {
                        if !self.account_index.contains_key(p) && batch_ids.get(p.as_str()).is_none_or(|&j| !keep[j]) {
                            keep[i] = false;
                            batch_ids.remove(acc.id.as_str());
                            out.rejected.push(RejectedRow {
                                row: i,
                                field: "parent_id".into(),
                                code: ErrorKind::UnknownAccount.code().into(),
                                reason: format!("parent account `{p}` was rejected"),
                                location: None,
                            });
                            changed = true;
                        }
                    }
                }
                if !changed {
                    break;
                }
            }
            out.rejected.sort_by_key(|r| r.row);
            attr_types = self.attribute_types.clone();
            for (i, acc) in rows.iter().enumerate() {
                if keep[i] {
                    for (name, value) in &acc.attributes {
                        attr_types.entry(name.clone()).or_insert(value.type_name());
                    }
                }
            }
        }
        // Commit.
        let mut accepted = 0;
        for (i, acc) in rows.iter().enumerate() {
            if !keep[i] {
                continue;
            }
            let id = self.accounts.len() as u32;
            self.account_index.insert(acc.id.clone(), id);
            self.accounts.push(acc.clone());
            let last = *self.events.offsets.last().unwrap_or(&0);
            self.events.offsets.push(last);
            let last = *self.subscription_offsets.last().unwrap_or(&0);
            self.subscription_offsets.push(last);
            accepted += 1;
        }
        self.attribute_types = attr_types;
        Ok(IngestReport { accepted, rejected: out.rejected, duplicates_dropped: dropped, before_account_created: 0 })
    }

    // ---------------------------------------------------------------- users

    /// Adds users of accounts already held.
    pub fn add_users(&mut self, rows: &[User], options: &IngestOptions) -> Result<IngestReport> {
        let mut out = Outcome::new(options.mode, Entity::User);
        let latest = options.latest_allowed();
        let mut staged: Vec<UserRow> = Vec::new();
        // Ids accepted so far in this batch, with their rows (for the re-send check).
        let mut batch_ids: HashMap<&str, &User> = HashMap::new();
        let mut dropped = 0;
        for (i, u) in rows.iter().enumerate() {
            // One lookup each: the held user and the batch's earlier row with this id.
            let (held, earlier) = (self.user_index.get(&u.id).copied(), batch_ids.get(u.id.as_str()).copied());
            // An identical re-send is dropped and counted (see `add_accounts`).
            if options.duplicates == DuplicatePolicy::Drop
                && (held.is_some_and(|h| self.user_equals(h as usize, u)) || earlier.is_some_and(|b| b == u))
            {
                dropped += 1;
                continue;
            }
            let result = (|| {
                check_text("id", &u.id, ErrorKind::InvalidUser)?;
                if held.is_some() || earlier.is_some() {
                    return Err(FieldError::new(ErrorKind::DuplicateId, "id", format!("user `{}` already exists", u.id)));
                }
                let account = *self.account_index.get(&u.account_id).ok_or_else(|| {
                    FieldError::new(
                        ErrorKind::UnknownAccount,
                        "account_id",
                        format!("no account `{}` in the dataset", u.account_id),
                    )
                })?;
                check_future("created_at", u.created_at.millis(), latest)?;
                if let Some(d) = u.deactivated_at {
                    if d < u.created_at {
                        return Err(FieldError::new(ErrorKind::InvalidUser, "deactivated_at", "is before created_at"));
                    }
                }
                Ok(UserRow {
                    id: u.id.clone(),
                    account,
                    role: u.role,
                    created_at: u.created_at.millis(),
                    deactivated_at: u.deactivated_at.map(Timestamp::millis),
                })
            })();
            match result {
                Ok(row) => {
                    batch_ids.insert(&u.id, u);
                    staged.push(row);
                }
                Err(e) => {
                    out.check(i, Err(e))?;
                }
            }
        }
        let accepted = staged.len();
        let early = staged.iter().filter(|u| u.created_at < self.accounts[u.account as usize].created_at.millis()).count();
        for row in staged {
            self.user_index.insert(row.id.clone(), self.users.len() as u32);
            self.users.push(row);
        }
        Ok(IngestReport { accepted, rejected: out.rejected, duplicates_dropped: dropped, before_account_created: early })
    }

    // ---------------------------------------------------------------- subscriptions

    /// Adds subscription rows. All money must share one currency (the first row's sets it).
    pub fn add_subscriptions(&mut self, rows: &[Subscription], options: &IngestOptions) -> Result<IngestReport> {
        let mut out = Outcome::new(options.mode, Entity::Subscription);
        let mut currency = self.currency.clone();
        let mut staged: Vec<SubscriptionRow> = Vec::new();
        let mut batch_keys: rustc_hash::FxHashSet<SubscriptionKey<'_>> = rustc_hash::FxHashSet::default();
        let mut dropped = 0;
        for (i, s) in rows.iter().enumerate() {
            let result = (|| {
                let account = *self.account_index.get(&s.account_id).ok_or_else(|| {
                    FieldError::new(
                        ErrorKind::UnknownAccount,
                        "account_id",
                        format!("no account `{}` in the dataset", s.account_id),
                    )
                })?;
                check_text("plan", &s.plan, ErrorKind::InvalidSubscription)?;
                let c = &s.mrr.currency;
                if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                    return Err(FieldError::new(
                        ErrorKind::InvalidSubscription,
                        "mrr.currency",
                        format!("`{c}` is not a three-letter uppercase ISO 4217 code"),
                    ));
                }
                if let Some(expected) = &currency {
                    if expected != c {
                        return Err(FieldError::new(
                            ErrorKind::CurrencyMismatch,
                            "mrr.currency",
                            format!("`{c}` differs from the dataset's currency `{expected}`; convert before ingesting"),
                        ));
                    }
                }
                if !(0..=MAX_MONEY_MINOR).contains(&s.mrr.minor) {
                    return Err(FieldError::new(
                        ErrorKind::InvalidSubscription,
                        "mrr.minor",
                        format!("{} is outside 0..={MAX_MONEY_MINOR}", s.mrr.minor),
                    ));
                }
                if let Some(end) = s.end {
                    if end <= s.start {
                        return Err(FieldError::new(ErrorKind::InvalidSubscription, "end", "must be after start"));
                    }
                }
                Ok(SubscriptionRow {
                    account,
                    plan: s.plan.clone(),
                    start: s.start.millis(),
                    end: s.end.map(Timestamp::millis),
                    mrr_minor: s.mrr.minor,
                    quantity: s.quantity,
                    status: s.status,
                })
            })();
            // A row identical to one held or earlier in the batch: dropped and counted (`drop`,
            // the default: a retried batch does not double MRR), kept (`keep`) or refused (`reject`).
            let result = result.and_then(|row| {
                let key = SubscriptionKey::with_plan(&row, &s.plan);
                let seen = batch_keys.contains(&key)
                    || self.subscription_rows(row.account as usize).iter().any(|h| SubscriptionKey::of(h) == key);
                match (seen, options.duplicates) {
                    (true, DuplicatePolicy::Drop) => Ok(None),
                    (true, DuplicatePolicy::Reject) => Err(FieldError::new(
                        ErrorKind::InvalidSubscription,
                        "start",
                        "identical to a subscription already held (duplicates: 'reject')",
                    )),
                    _ => Ok(Some(row)),
                }
            });
            match result {
                Ok(None) => dropped += 1,
                Ok(Some(row)) => {
                    currency.get_or_insert_with(|| s.mrr.currency.clone());
                    batch_keys.insert(SubscriptionKey::with_plan(&row, &s.plan));
                    staged.push(row);
                }
                Err(e) => {
                    out.check(i, Err(e))?;
                }
            }
        }
        let accepted = staged.len();
        let early = staged.iter().filter(|r| r.start < self.accounts[r.account as usize].created_at.millis()).count();
        self.currency = currency;
        self.subscriptions.extend(staged);
        self.subscriptions.sort_by_key(|s| (s.account, s.start));
        self.subscription_offsets.clear();
        self.subscription_offsets.push(0);
        let mut j = 0;
        for a in 0..self.accounts.len() as u32 {
            while j < self.subscriptions.len() && self.subscriptions[j].account == a {
                j += 1;
            }
            self.subscription_offsets.push(j);
        }
        Ok(IngestReport { accepted, rejected: out.rejected, duplicates_dropped: dropped, before_account_created: early })
    }

    // ---------------------------------------------------------------- events

    /// Adds events of accounts (and users) already held. Order within the batch does not matter.
    pub fn add_events(&mut self, rows: &[Event], options: &IngestOptions) -> Result<IngestReport> {
        self.add_event_source(rows, options)
    }

    pub(crate) fn add_event_source<S: EventSource + ?Sized>(&mut self, src: &S, options: &IngestOptions) -> Result<IngestReport> {
        if src.len() >= u32::MAX as usize {
            return Err(Error::argument("events", "a batch holds at most 4,294,967,294 events; split it"));
        }
        let mut out = Outcome::new(options.mode, Entity::Event);
        let latest = options.latest_allowed();
        let mut names = Staged::new(&self.event_names);
        let mut props = StagedProps::new(&self.prop_keys, &self.prop_strings, &self.prop_sets);
        let mut staged: Vec<StagedEvent> = Vec::with_capacity(src.len());
        let mut buf: Vec<Prop> = Vec::new();
        let mut memo = Memo::default();
        let created: Vec<i64> = self.accounts.iter().map(|a| a.created_at.millis()).collect();
        let mut early = 0;
        for i in 0..src.len() {
            buf.clear();
            let result = stage_event(self, src, i, latest, &mut names, &mut props, &mut buf, &mut memo);
            match result {
                Ok(ev) => {
                    early += usize::from(ev.ts < created[ev.account as usize]);
                    staged.push(ev);
                }
                Err(e) => {
                    out.check(i, Err(e))?;
                }
            }
        }
        if names.total_len() > u32::MAX as usize - 1 || props.keys.total_len() > u32::MAX as usize - 1 {
            return Err(Error::argument("events", "too many distinct event names or property keys"));
        }
        sort_staged(&mut staged);
        let (store, duplicates) = self.merge_events(&staged, options.duplicates);
        let mut dropped = 0;
        if !duplicates.is_empty() {
            match options.duplicates {
                DuplicatePolicy::Reject => {
                    if options.mode == IngestMode::Strict {
                        let row = duplicates.iter().min().copied().unwrap_or(0);
                        return Err(Error::row(
                            ErrorKind::DuplicateEvent,
                            Entity::Event,
                            row,
                            "timestamp",
                            "identical to an event already held or earlier in the batch",
                        ));
                    }
                    for &row in &duplicates {
                        out.rejected.push(RejectedRow {
                            row,
                            field: "timestamp".into(),
                            code: ErrorKind::DuplicateEvent.code().into(),
                            reason: "identical to an event already held or earlier in the batch".into(),
                            location: None,
                        });
                    }
                    out.rejected.sort_by_key(|r| r.row);
                }
                DuplicatePolicy::Drop => dropped = duplicates.len(),
                DuplicatePolicy::Keep => {}
            }
        }
        let accepted = if options.duplicates == DuplicatePolicy::Keep { staged.len() } else { staged.len() - duplicates.len() };
        let new_names = names.into_new();
        let (new_keys, new_strings, new_sets) = props.into_parts();
        self.event_names.extend_committed(new_names);
        self.prop_keys.extend_committed(new_keys);
        self.prop_strings.extend_committed(new_strings);
        self.prop_sets.extend_committed(new_sets);
        self.events = store;
        Ok(IngestReport { accepted, rejected: out.rejected, duplicates_dropped: dropped, before_account_created: early })
    }

    /// Merges sorted staged events into a copy of the store. Returns the new store and the batch
    /// rows found to duplicate an earlier event (dropped from the store unless `Keep`).
    fn merge_events(&self, staged: &[StagedEvent], policy: DuplicatePolicy) -> (EventStore, Vec<usize>) {
        let old = &self.events;
        let n_acc = self.accounts.len();
        let mut store = EventStore::with_capacity(n_acc, old.len() + staged.len());
        let mut dups = Vec::new();
        let mut s = 0;
        for a in 0..n_acc {
            let r = old.range(a);
            let mut o = r.start;
            let s_end = s + staged[s..].partition_point(|e| e.account as usize == a);
            let mut last: Option<(i64, u32, u32, u32)> = None;
            while o < r.end || s < s_end {
                let take_old = if o >= r.end {
                    false
                } else if s >= s_end {
                    true
                } else {
                    let ok = (old.ts[o], old.name[o], old.user[o], old.props[o]);
                    let e = &staged[s];
                    ok <= (e.ts, e.name, e.user, e.props)
                };
                let key = if take_old {
                    let k = (old.ts[o], old.name[o], old.user[o], old.props[o]);
                    o += 1;
                    k
                } else {
                    let e = staged[s];
                    s += 1;
                    let k = (e.ts, e.name, e.user, e.props);
                    if last == Some(k) {
                        dups.push(e.row as usize);
                        if policy != DuplicatePolicy::Keep {
                            continue;
                        }
                    }
                    k
                };
                last = Some(key);
                store.ts.push(key.0);
                store.name.push(key.1);
                store.user.push(key.2);
                store.props.push(key.3);
            }
            store.offsets.push(store.ts.len());
        }
        (store, dups)
    }

    // ---------------------------------------------------------------- helpers for metrics

    pub(crate) fn name_id(&self, name: &str) -> Option<u32> {
        self.event_names.get(name)
    }

    pub(crate) fn key_id(&self, key: &str) -> Option<u32> {
        self.prop_keys.get(key)
    }

    pub(crate) fn string_id(&self, s: &str) -> Option<u32> {
        self.prop_strings.get(s)
    }

    /// For each property set, the value of `key` (None when absent or `key` unknown).
    pub(crate) fn prop_column(&self, key: Option<u32>) -> Vec<Option<Stored>> {
        match key {
            None => vec![None; self.prop_sets.len()],
            Some(k) => (0..self.prop_sets.len() as u32).map(|id| self.prop_sets.lookup(id, k)).collect(),
        }
    }

    /// The events of account `account` (dataset position) with `from <= timestamp <= to`
    /// (milliseconds), found by binary search in the account's time-sorted block.
    pub(crate) fn scan(&self, account: usize, from: i64, to: i64) -> EventScan<'_> {
        let r = self.events.range(account);
        let ts = &self.events.ts[r.clone()];
        let lo = r.start + ts.partition_point(|&x| x < from);
        let hi = r.start + ts.partition_point(|&x| x <= to).max(lo - r.start);
        EventScan {
            ts: &self.events.ts[lo..hi],
            name: &self.events.name[lo..hi],
            user: &self.events.user[lo..hi],
            props: &self.events.props[lo..hi],
        }
    }

    pub(crate) fn subscription_rows(&self, account: usize) -> &[SubscriptionRow] {
        &self.subscriptions[self.subscription_offsets[account]..self.subscription_offsets[account + 1]]
    }
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms.clamp(MIN_TIMESTAMP_MS, MAX_TIMESTAMP_MS - 1)).unwrap_or_else(|_| Timestamp::now())
}

/// Sorts staged events by (account, time, …). Input grouped by account (the usual case: exports
/// per account, simulators) is sorted in place one account at a time, which keeps the work in cache.
fn sort_staged(staged: &mut [StagedEvent]) {
    if staged.windows(2).all(|w| w[0] <= w[1]) {
        return;
    }
    if staged.windows(2).all(|w| w[0].account <= w[1].account) {
        let mut lo = 0;
        while lo < staged.len() {
            let a = staged[lo].account;
            let hi = lo + staged[lo..].partition_point(|e| e.account == a);
            staged[lo..hi].sort_unstable();
            lo = hi;
        }
    } else {
        staged.sort_unstable();
    }
}

/// The last ids looked up: consecutive rows usually share account and user.
#[derive(Default)]
struct Memo {
    account: (String, Option<u32>),
    user: (String, Option<u32>),
}

fn memo_get(slot: &mut (String, Option<u32>), key: &str, lookup: impl FnOnce() -> Option<u32>) -> Option<u32> {
    if slot.1.is_some() && slot.0 == key {
        return slot.1;
    }
    let v = lookup()?;
    slot.0.clear();
    slot.0.push_str(key);
    slot.1 = Some(v);
    Some(v)
}

#[allow(clippy::too_many_arguments)]
fn stage_event<S: EventSource + ?Sized>(
    ds: &Dataset,
    src: &S,
    i: usize,
    latest: Option<i64>,
    names: &mut Staged<'_>,
    props: &mut StagedProps<'_>,
    buf: &mut Vec<Prop>,
    memo: &mut Memo,
) -> Result<StagedEvent, FieldError> {
    let account_id = src.account_id(i)?;
    if account_id.is_empty() {
        return Err(FieldError::new(ErrorKind::InvalidEvent, "account_id", "must not be empty"));
    }
    let account = memo_get(&mut memo.account, account_id, || ds.account_index.get(account_id).copied()).ok_or_else(|| {
        FieldError::new(ErrorKind::UnknownAccount, "account_id", format!("no account `{account_id}` in the dataset"))
    })?;
    let user = match src.user_id(i)? {
        None | Some("") => NO_USER,
        Some(uid) => {
            let u = memo_get(&mut memo.user, uid, || ds.user_index.get(uid).copied())
                .ok_or_else(|| FieldError::new(ErrorKind::UnknownUser, "user_id", format!("no user `{uid}` in the dataset")))?;
            let owner = ds.users[u as usize].account;
            if owner != account {
                return Err(FieldError::new(
                    ErrorKind::InvalidEvent,
                    "user_id",
                    format!("user `{uid}` belongs to account `{}`, not `{account_id}`", ds.accounts[owner as usize].id),
                ));
            }
            u
        }
    };
    let t = src.timestamp_ms(i)?;
    if !(MIN_TIMESTAMP_MS..MAX_TIMESTAMP_MS).contains(&t) {
        return Err(FieldError::new(ErrorKind::InvalidTimestamp, "timestamp", "outside the supported years 1900-2199"));
    }
    check_future("timestamp", t, latest)?;
    let name = src.name(i)?;
    check_text("name", name, ErrorKind::InvalidEvent)?;
    let name = names.intern(name);
    let mut err: Option<FieldError> = None;
    src.properties(i, &mut |key, value| {
        if err.is_some() {
            return;
        }
        let field = || format!("properties.{key}");
        if key.is_empty() || key.len() > MAX_TEXT_BYTES || key.chars().any(char::is_control) {
            err = check_text(&field(), key, ErrorKind::InvalidEvent).err();
            return;
        }
        let stored = match value {
            PropRef::Bool(b) => Stored::Bool(b),
            PropRef::Number(x) if x.is_finite() => Stored::Num(num_bits(x)),
            PropRef::Number(x) => {
                err = Some(FieldError::new(ErrorKind::InvalidEvent, field(), format!("{x} is not a finite number")));
                return;
            }
            PropRef::Str(s) if s.len() > MAX_TEXT_BYTES => {
                err = Some(FieldError::new(ErrorKind::InvalidEvent, field(), format!("longer than {MAX_TEXT_BYTES} bytes")));
                return;
            }
            PropRef::Str(s) => Stored::Str(props.strings.intern(s)),
        };
        let k = props.keys.intern(key);
        buf.push((k, stored));
    })?;
    if let Some(e) = err {
        return Err(e);
    }
    buf.sort_unstable_by_key(|p| p.0);
    if buf.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(FieldError::new(ErrorKind::InvalidEvent, "properties", "a property key appears twice"));
    }
    let set = props.intern_set(buf);
    Ok(StagedEvent { account, ts: t, name, user, props: set, row: i as u32 })
}
