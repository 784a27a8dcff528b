//! CSV reading and writing of the four row types.
//!
//! Layouts (header row required, column order free, empty cell = absent):
//! - accounts: `id, name, created_at, owner, parent_id, seats`, then one column per attribute;
//! - users: `id, account_id, role, created_at, deactivated_at`;
//! - subscriptions: `account_id, plan, start, end, mrr_minor, currency, quantity, status`;
//! - events: `account_id, user_id, timestamp, name`, then one column per property.
//!
//! Attribute and property columns are text unless the header names a type:
//! `employees:number`, `is_trial:bool`, `renewal_date:date` (attributes only).
//!
//! **Spreadsheet formulas.** A text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage
//! return is run as a formula when the file is opened in Excel, LibreOffice or Google Sheets
//! (CSV injection). The writers put a `'` in front of such a text cell (and of one that already
//! starts with quotes followed by such a character); the readers take exactly one such `'` off.
//! Writing and reading back therefore give the same text, and a spreadsheet shows the text
//! instead of running it. Numbers, timestamps and booleans are written as they are.
//!
//! ```
//! use custfit::io::csv::{read_accounts, write_accounts};
//! use custfit::{Account, Timestamp};
//!
//! let evil = Account::new("a1", "=HYPERLINK(\"http://x\")", Timestamp::parse("2024-01-01")?);
//! let mut out = Vec::new();
//! write_accounts(&mut out, &[evil.clone()])?;
//! assert!(String::from_utf8_lossy(&out).contains("\"'=HYPERLINK"));
//! assert_eq!(read_accounts(out.as_slice())?, vec![evil]);
//! # Ok::<(), custfit::Error>(())
//! ```

use std::collections::BTreeMap;
use std::io::{Read, Write};

use crate::data::{Account, AttributeValue, Event, Money, PropertyValue, Role, Subscription, SubscriptionStatus, User};
use crate::error::{Entity, Error, ErrorKind, Result};
use crate::time::Timestamp;

/// Rows read from a text file: each row, or the error that refused it (located), and the
/// 1-based line each starts on.
pub(crate) struct ReadRows<T> {
    pub(crate) rows: Vec<Result<T>>,
    pub(crate) lines: Vec<u64>,
}

/// Reads a table and converts its records with `convert`, each row error located.
fn read_located<R: Read, T>(reader: R, what: &str, convert: fn(&Table) -> Result<Vec<Result<T>>>) -> Result<ReadRows<T>> {
    let t = read_table(reader, what)?;
    let rows = convert(&t)?.into_iter().map(|r| r.map_err(|e| t.locate(e))).collect();
    Ok(ReadRows { rows, lines: t.lines })
}

impl<T> ReadRows<T> {
    /// Every row, or the first error.
    pub(crate) fn all(self) -> Result<Vec<T>> {
        self.rows.into_iter().collect()
    }
}

struct Table {
    /// What is read (a file path, or `accounts CSV`).
    what: String,
    headers: Vec<String>,
    records: Vec<csv::StringRecord>,
    /// 1-based line each record starts on.
    lines: Vec<u64>,
}

fn read_table<R: Read>(reader: R, what: &str) -> Result<Table> {
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(reader);
    let headers: Vec<String> =
        rdr.headers().map_err(|e| Error::parse(what, e))?.iter().map(|h| unescape_formula(h.trim()).to_string()).collect();
    // Every header names one column once, with a known type suffix if any: a repeated column or a
    // mistyped suffix (`x:huge`) would otherwise be read silently (the first copy wins; the rest
    // becomes a text column named `x:huge`).
    let mut seen = std::collections::HashSet::new();
    for h in &headers {
        if let Some((_, suffix)) = h.rsplit_once(':') {
            if !["number", "bool", "date", "string"].contains(&suffix) {
                return Err(Error::Parse {
                    what: what.to_string(),
                    reason: format!("column `{h}`: unknown type `{suffix}` (use number, bool, date or string after the colon)"),
                });
            }
        }
        let (name, _) = split_typed(h);
        if !seen.insert(name.to_string()) {
            return Err(Error::Parse { what: what.to_string(), reason: format!("column `{name}` appears twice in the header") });
        }
    }
    let mut records = Vec::new();
    let mut lines = Vec::new();
    for r in rdr.records() {
        let r = r.map_err(|e| Error::parse(what, e))?;
        lines.push(r.position().map_or(0, csv::Position::line));
        records.push(r);
    }
    Ok(Table { what: what.to_string(), headers, records, lines })
}

impl Table {
    /// A row error of this table with the row's line as its location.
    fn locate(&self, e: Error) -> Error {
        e.located(|row| self.lines.get(row).map(|l| format!("{} line {l}", self.what)))
    }

    fn col(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    fn require(&self, name: &str) -> Result<usize> {
        self.col(name).ok_or_else(|| Error::Parse {
            what: self.what.clone(),
            reason: format!("missing column `{name}` (columns: {})", self.headers.join(", ")),
        })
    }
}

fn cell(r: &csv::StringRecord, i: Option<usize>) -> Option<&str> {
    i.and_then(|i| r.get(i)).filter(|s| !s.is_empty()).map(unescape_formula)
}

/// First characters that make a spreadsheet run a cell as a formula.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `text` is quotes (none or more) followed by a formula character.
fn formula_like(text: &str) -> bool {
    text.trim_start_matches('\'').starts_with(FORMULA_START)
}

/// A text cell as written: `'` in front when a spreadsheet would run it (see the module docs).
fn escape_formula(text: &str) -> std::borrow::Cow<'_, str> {
    if formula_like(text) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// A cell as read: the one `'` that [`escape_formula`] adds taken off.
fn unescape_formula(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if formula_like(rest) => rest,
        _ => text,
    }
}

fn row_err(kind: ErrorKind, entity: Entity, row: usize, field: &str, reason: impl Into<String>) -> Error {
    Error::Row { kind, entity, row, field: field.to_string(), reason: reason.into(), location: None }
}

fn parse_ts(text: &str, entity: Entity, row: usize, field: &str) -> Result<Timestamp> {
    Timestamp::parse(text).map_err(|e| row_err(ErrorKind::InvalidTimestamp, entity, row, field, e.to_string()))
}

fn required<'a>(r: &'a csv::StringRecord, i: usize, kind: ErrorKind, entity: Entity, row: usize, field: &str) -> Result<&'a str> {
    cell(r, Some(i)).ok_or_else(|| row_err(kind, entity, row, field, "is required"))
}

/// A typed extra column (attribute or property).
#[derive(Clone, Copy, PartialEq)]
enum Typed {
    Text,
    Number,
    Bool,
    Date,
}

fn split_typed(header: &str) -> (&str, Typed) {
    match header.rsplit_once(':') {
        Some((n, "number")) => (n, Typed::Number),
        Some((n, "bool")) => (n, Typed::Bool),
        Some((n, "date")) => (n, Typed::Date),
        Some((n, "string")) => (n, Typed::Text),
        _ => (header, Typed::Text),
    }
}

/// A number cell: finite; an integer literal beyond ±2^53 is refused (it would lose digits).
fn parse_number(text: &str) -> std::result::Result<f64, String> {
    let text = text.trim();
    if let Ok(i) = text.parse::<i128>() {
        return crate::data::exact_integer(i);
    }
    text.parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| format!("`{text}` is not a finite number"))
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim() {
        "true" | "TRUE" | "True" | "1" => Some(true),
        "false" | "FALSE" | "False" | "0" => Some(false),
        _ => None,
    }
}

/// Reads accounts; a row error names the row's line (`accounts CSV line 7`).
pub fn read_accounts<R: Read>(reader: R) -> Result<Vec<Account>> {
    read_accounts_located(reader, "accounts CSV")?.all()
}

/// Reads accounts from a source named `what` (a file path): each row or its located error.
pub(crate) fn read_accounts_located<R: Read>(reader: R, what: &str) -> Result<ReadRows<Account>> {
    read_located(reader, what, accounts_from)
}

fn accounts_from(t: &Table) -> Result<Vec<Result<Account>>> {
    let e = Entity::Account;
    let (id, created) = (t.require("id")?, t.require("created_at")?);
    let (name, owner, parent, seats) = (t.col("name"), t.col("owner"), t.col("parent_id"), t.col("seats"));
    let fixed = ["id", "name", "created_at", "owner", "parent_id", "seats"];
    let extra: Vec<(usize, &str, Typed)> = t
        .headers
        .iter()
        .enumerate()
        .filter(|(_, h)| !fixed.contains(&h.as_str()))
        .map(|(i, h)| {
            let (n, ty) = split_typed(h);
            (i, n, ty)
        })
        .collect();
    let mut out = Vec::with_capacity(t.records.len());
    for (row, r) in t.records.iter().enumerate() {
        out.push((|| {
            let mut acc = Account::new(
                required(r, id, ErrorKind::InvalidAccount, e, row, "id")?,
                cell(r, name).unwrap_or(""),
                parse_ts(required(r, created, ErrorKind::InvalidAccount, e, row, "created_at")?, e, row, "created_at")?,
            );
            acc.owner = cell(r, owner).map(str::to_string);
            acc.parent_id = cell(r, parent).map(str::to_string);
            if let Some(s) = cell(r, seats) {
                acc.seats = Some(s.trim().parse().map_err(|_| {
                    row_err(
                        ErrorKind::InvalidAccount,
                        e,
                        row,
                        "seats",
                        format!("`{s}` is not a whole number of seats (0..=4294967295)"),
                    )
                })?);
            }
            for &(i, n, ty) in &extra {
                let Some(v) = cell(r, Some(i)) else { continue };
                let field = format!("attributes.{n}");
                let value =
                    match ty {
                        Typed::Text => AttributeValue::String(v.to_string()),
                        Typed::Number => AttributeValue::Number(
                            parse_number(v).map_err(|m| row_err(ErrorKind::InvalidAccount, e, row, &field, m))?,
                        ),
                        Typed::Bool => AttributeValue::Bool(parse_bool(v).ok_or_else(|| {
                            row_err(ErrorKind::InvalidAccount, e, row, &field, format!("`{v}` is not true/false"))
                        })?),
                        Typed::Date => AttributeValue::Date { date: parse_ts(v, e, row, &field)? },
                    };
                acc.attributes.insert(n.to_string(), value);
            }
            Ok(acc)
        })());
    }
    Ok(out)
}

/// Reads users; a row error names the row's line (`users CSV line 7`).
pub fn read_users<R: Read>(reader: R) -> Result<Vec<User>> {
    read_users_located(reader, "users CSV")?.all()
}

/// Reads users from a source named `what` (a file path): each row or its located error.
pub(crate) fn read_users_located<R: Read>(reader: R, what: &str) -> Result<ReadRows<User>> {
    read_located(reader, what, users_from)
}

fn users_from(t: &Table) -> Result<Vec<Result<User>>> {
    let e = Entity::User;
    let (id, account, created) = (t.require("id")?, t.require("account_id")?, t.require("created_at")?);
    let (role, deact) = (t.col("role"), t.col("deactivated_at"));
    let mut out = Vec::with_capacity(t.records.len());
    for (row, r) in t.records.iter().enumerate() {
        out.push((|| {
            let role = match cell(r, role) {
                None => Role::Member,
                Some(s) => Role::parse(s).map_err(|m| row_err(ErrorKind::InvalidUser, e, row, "role", m))?,
            };
            Ok(User {
                id: required(r, id, ErrorKind::InvalidUser, e, row, "id")?.to_string(),
                account_id: required(r, account, ErrorKind::InvalidUser, e, row, "account_id")?.to_string(),
                role,
                created_at: parse_ts(required(r, created, ErrorKind::InvalidUser, e, row, "created_at")?, e, row, "created_at")?,
                deactivated_at: cell(r, deact).map(|s| parse_ts(s, e, row, "deactivated_at")).transpose()?,
            })
        })());
    }
    Ok(out)
}

/// Reads subscriptions; a row error names the row's line (`subscriptions CSV line 7`).
pub fn read_subscriptions<R: Read>(reader: R) -> Result<Vec<Subscription>> {
    read_subscriptions_located(reader, "subscriptions CSV")?.all()
}

/// Reads subscriptions from a source named `what` (a file path): each row or its located error.
pub(crate) fn read_subscriptions_located<R: Read>(reader: R, what: &str) -> Result<ReadRows<Subscription>> {
    read_located(reader, what, subscriptions_from)
}

fn subscriptions_from(t: &Table) -> Result<Vec<Result<Subscription>>> {
    let e = Entity::Subscription;
    let k = ErrorKind::InvalidSubscription;
    let (account, plan, start, mrr, currency) =
        (t.require("account_id")?, t.require("plan")?, t.require("start")?, t.require("mrr_minor")?, t.require("currency")?);
    let (end, quantity, status) = (t.col("end"), t.col("quantity"), t.col("status"));
    let mut out = Vec::with_capacity(t.records.len());
    for (row, r) in t.records.iter().enumerate() {
        out.push((|| {
            let m = required(r, mrr, k, e, row, "mrr_minor")?;
            let minor: i64 = m
                .trim()
                .parse()
                .map_err(|_| row_err(k, e, row, "mrr_minor", format!("`{m}` is not an integer amount in minor units")))?;
            let status = match cell(r, status) {
                None => SubscriptionStatus::Active,
                Some(s) => SubscriptionStatus::parse(s).map_err(|m| row_err(k, e, row, "status", m))?,
            };
            let quantity = match cell(r, quantity) {
                None => 1,
                Some(q) => {
                    q.trim().parse().map_err(|_| row_err(k, e, row, "quantity", format!("`{q}` is not a whole number")))?
                }
            };
            Ok(Subscription {
                account_id: required(r, account, k, e, row, "account_id")?.to_string(),
                plan: required(r, plan, k, e, row, "plan")?.to_string(),
                start: parse_ts(required(r, start, k, e, row, "start")?, e, row, "start")?,
                end: cell(r, end).map(|s| parse_ts(s, e, row, "end")).transpose()?,
                mrr: Money::new(minor, required(r, currency, k, e, row, "currency")?),
                quantity,
                status,
            })
        })());
    }
    Ok(out)
}

/// Reads events; a row error names the row's line (`events CSV line 7`).
pub fn read_events<R: Read>(reader: R) -> Result<Vec<Event>> {
    read_events_located(reader, "events CSV")?.all()
}

/// Reads events from a source named `what` (a file path): each row or its located error.
pub(crate) fn read_events_located<R: Read>(reader: R, what: &str) -> Result<ReadRows<Event>> {
    read_located(reader, what, events_from)
}

fn events_from(t: &Table) -> Result<Vec<Result<Event>>> {
    let e = Entity::Event;
    let k = ErrorKind::InvalidEvent;
    let (account, ts, name) = (t.require("account_id")?, t.require("timestamp")?, t.require("name")?);
    let user = t.col("user_id");
    let fixed = ["account_id", "user_id", "timestamp", "name"];
    let extra: Vec<(usize, &str, Typed)> = t
        .headers
        .iter()
        .enumerate()
        .filter(|(_, h)| !fixed.contains(&h.as_str()))
        .map(|(i, h)| {
            let (n, ty) = split_typed(h);
            (i, n, ty)
        })
        .collect();
    let mut out = Vec::with_capacity(t.records.len());
    for (row, r) in t.records.iter().enumerate() {
        out.push((|| {
            let mut properties = BTreeMap::new();
            for &(i, n, ty) in &extra {
                let Some(v) = cell(r, Some(i)) else { continue };
                let field = format!("properties.{n}");
                let value = match ty {
                    Typed::Number => PropertyValue::Number(parse_number(v).map_err(|m| row_err(k, e, row, &field, m))?),
                    Typed::Bool => PropertyValue::Bool(
                        parse_bool(v).ok_or_else(|| row_err(k, e, row, &field, format!("`{v}` is not true/false")))?,
                    ),
                    Typed::Text | Typed::Date => PropertyValue::String(v.to_string()),
                };
                properties.insert(n.to_string(), value);
            }
            Ok(Event {
                account_id: required(r, account, k, e, row, "account_id")?.to_string(),
                user_id: cell(r, user).map(str::to_string),
                timestamp: parse_ts(required(r, ts, k, e, row, "timestamp")?, e, row, "timestamp")?,
                name: required(r, name, k, e, row, "name")?.to_string(),
                properties,
            })
        })());
    }
    Ok(out)
}

fn writer<W: Write>(w: W) -> csv::Writer<W> {
    csv::WriterBuilder::new().has_headers(false).from_writer(w)
}

fn csv_err(e: impl std::fmt::Display) -> Error {
    Error::io("CSV output", e)
}

fn number_text(x: f64) -> String {
    format!("{x}")
}

/// The header of an extra column: its name (escaped as a text cell) and its type suffix (also
/// `:string` when the name holds a colon, which would otherwise read as a type).
fn typed_header(name: &str, ty: &str) -> String {
    if ty == "string" && !name.contains(':') {
        escape_formula(name).into_owned()
    } else {
        format!("{}:{ty}", escape_formula(name))
    }
}

/// Writes accounts (attributes as typed columns).
pub fn write_accounts<W: Write>(w: W, rows: &[Account]) -> Result<()> {
    let mut types: BTreeMap<&str, &str> = BTreeMap::new();
    for a in rows {
        for (n, v) in &a.attributes {
            types.entry(n).or_insert(v.type_name());
        }
    }
    let mut wr = writer(w);
    let mut header: Vec<String> = ["id", "name", "created_at", "owner", "parent_id", "seats"].map(String::from).to_vec();
    header.extend(types.iter().map(|(n, t)| typed_header(n, t)));
    wr.write_record(&header).map_err(csv_err)?;
    for a in rows {
        let text = |s: &str| escape_formula(s).into_owned();
        let mut rec = vec![
            text(&a.id),
            text(&a.name),
            a.created_at.to_rfc3339(),
            a.owner.as_deref().map(text).unwrap_or_default(),
            a.parent_id.as_deref().map(text).unwrap_or_default(),
            a.seats.map(|s| s.to_string()).unwrap_or_default(),
        ];
        for n in types.keys() {
            rec.push(match a.attributes.get(*n) {
                None => String::new(),
                Some(AttributeValue::String(s)) => text(s),
                Some(AttributeValue::Number(x)) => number_text(*x),
                Some(AttributeValue::Bool(b)) => b.to_string(),
                Some(AttributeValue::Date { date }) => date.to_rfc3339(),
            });
        }
        wr.write_record(&rec).map_err(csv_err)?;
    }
    wr.flush().map_err(csv_err)
}

/// Writes users.
pub fn write_users<W: Write>(w: W, rows: &[User]) -> Result<()> {
    let mut wr = writer(w);
    wr.write_record(["id", "account_id", "role", "created_at", "deactivated_at"]).map_err(csv_err)?;
    for u in rows {
        wr.write_record([
            &*escape_formula(&u.id),
            &escape_formula(&u.account_id),
            u.role.as_str(),
            &u.created_at.to_rfc3339(),
            &u.deactivated_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        ])
        .map_err(csv_err)?;
    }
    wr.flush().map_err(csv_err)
}

/// Writes subscriptions.
pub fn write_subscriptions<W: Write>(w: W, rows: &[Subscription]) -> Result<()> {
    let mut wr = writer(w);
    wr.write_record(["account_id", "plan", "start", "end", "mrr_minor", "currency", "quantity", "status"]).map_err(csv_err)?;
    for s in rows {
        wr.write_record([
            &*escape_formula(&s.account_id),
            &escape_formula(&s.plan),
            &s.start.to_rfc3339(),
            &s.end.map(|t| t.to_rfc3339()).unwrap_or_default(),
            &s.mrr.minor.to_string(),
            &escape_formula(&s.mrr.currency),
            &s.quantity.to_string(),
            s.status.as_str(),
        ])
        .map_err(csv_err)?;
    }
    wr.flush().map_err(csv_err)
}

/// Writes events (properties as typed columns).
pub fn write_events<W: Write>(w: W, rows: &[Event]) -> Result<()> {
    let mut types: BTreeMap<&str, &str> = BTreeMap::new();
    for e in rows {
        for (n, v) in &e.properties {
            let t = match v {
                PropertyValue::String(_) => "string",
                PropertyValue::Number(_) => "number",
                PropertyValue::Bool(_) => "bool",
            };
            let entry = types.entry(n).or_insert(t);
            if *entry != t {
                return Err(Error::argument(
                    "events",
                    format!("property `{n}` mixes {entry} and {t} values; CSV columns hold one type"),
                ));
            }
        }
    }
    let mut wr = writer(w);
    let mut header: Vec<String> = ["account_id", "user_id", "timestamp", "name"].map(String::from).to_vec();
    header.extend(types.iter().map(|(n, t)| typed_header(n, t)));
    wr.write_record(&header).map_err(csv_err)?;
    for e in rows {
        let text = |s: &str| escape_formula(s).into_owned();
        let mut rec = vec![
            text(&e.account_id),
            e.user_id.as_deref().map(text).unwrap_or_default(),
            e.timestamp.to_rfc3339(),
            text(&e.name),
        ];
        for n in types.keys() {
            rec.push(
                e.properties
                    .get(*n)
                    .map(|v| match v {
                        PropertyValue::Number(x) => number_text(*x),
                        PropertyValue::String(s) => text(s),
                        other => other.to_string(),
                    })
                    .unwrap_or_default(),
            );
        }
        wr.write_record(&rec).map_err(csv_err)?;
    }
    wr.flush().map_err(csv_err)
}
