//! The four row types a [`Dataset`](crate::Dataset) is built from, and money.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// An amount of money in integer minor units (cents for USD) with its ISO 4217 currency code.
/// Sums never drift: arithmetic is on integers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Money {
    /// Amount in minor units (e.g. 12_345 = $123.45).
    pub minor: i64,
    /// Three-letter uppercase ISO 4217 code, e.g. `"USD"`.
    pub currency: String,
}

impl Money {
    /// A new amount.
    pub fn new(minor: i64, currency: impl Into<String>) -> Self {
        Money { minor, currency: currency.into() }
    }

    /// The amount in major units (e.g. dollars) as a float, for display and scoring.
    pub fn major(&self) -> f64 {
        self.minor as f64 / 10f64.powi(currency_exponent(&self.currency) as i32)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exp = currency_exponent(&self.currency);
        if exp == 0 {
            return write!(f, "{} {}", self.minor, self.currency);
        }
        let scale = 10i64.pow(exp);
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        write!(f, "{sign}{}.{:0width$} {}", abs / scale as u64, abs % scale as u64, self.currency, width = exp as usize)
    }
}

/// Digits after the decimal point for a currency (ISO 4217 minor unit); 2 unless listed.
pub fn currency_exponent(code: &str) -> u32 {
    match code {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "UYI" | "VND" | "VUV" | "XAF"
        | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// The largest integer a number attribute or property holds exactly: 2^53. Numbers are 64-bit
/// floats, and a float cannot tell 2^53 + 1 from 2^53, so an integer beyond ±2^53 given as an
/// integer (JSON, a Python int, an Arrow or CSV integer) is refused — send such identifiers as
/// text. A value given as a float (`1e20`, an Arrow float column) is taken as the float it is.
pub const MAX_EXACT_INTEGER: u64 = 1 << 53;

/// An integer as a number value, refused beyond ±[`MAX_EXACT_INTEGER`].
pub(crate) fn exact_integer(v: i128) -> std::result::Result<f64, String> {
    if v.unsigned_abs() <= u128::from(MAX_EXACT_INTEGER) {
        Ok(v as f64)
    } else {
        Err(format!(
            "the integer {v} is beyond ±2^53 ({MAX_EXACT_INTEGER}) and would lose digits as a number; send it as a string"
        ))
    }
}

/// Deserialises a string, number (integers checked by [`exact_integer`]) or boolean; an object
/// only when `date_object` (the `{"date": …}` form of attributes).
struct ScalarVisitor {
    date_object: bool,
}

/// What [`ScalarVisitor`] read.
enum Scalar {
    Bool(bool),
    Number(f64),
    String(String),
    Date(Timestamp),
}

impl<'de> serde::de::Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.date_object { "a string, number, boolean or {\"date\": …}" } else { "a string, number or boolean" })
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> std::result::Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<Scalar, E> {
        exact_integer(i128::from(v)).map(Scalar::Number).map_err(E::custom)
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<Scalar, E> {
        exact_integer(i128::from(v)).map(Scalar::Number).map_err(E::custom)
    }
    fn visit_i128<E: serde::de::Error>(self, v: i128) -> std::result::Result<Scalar, E> {
        exact_integer(v).map(Scalar::Number).map_err(E::custom)
    }
    fn visit_u128<E: serde::de::Error>(self, v: u128) -> std::result::Result<Scalar, E> {
        exact_integer(i128::try_from(v).unwrap_or(i128::MAX)).map(Scalar::Number).map_err(E::custom)
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<Scalar, E> {
        Ok(Scalar::Number(v))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Scalar, E> {
        Ok(Scalar::String(v.to_string()))
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> std::result::Result<Scalar, E> {
        Ok(Scalar::String(v))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> std::result::Result<Scalar, A::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct DateForm {
            date: Timestamp,
        }
        if !self.date_object {
            return Err(serde::de::Error::invalid_type(serde::de::Unexpected::Map, &self));
        }
        let form = DateForm::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        Ok(Scalar::Date(form.date))
    }
}

/// A typed account attribute (plan, region, industry, company size …).
///
/// In JSON a string, number or boolean stands for itself; a date is written `{"date": "2024-01-31"}`.
/// An integer beyond ±2^53 is refused ([`MAX_EXACT_INTEGER`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum AttributeValue {
    /// Boolean attribute.
    Bool(bool),
    /// Numeric attribute (finite).
    Number(f64),
    /// Text attribute.
    String(String),
    /// Date attribute.
    Date {
        /// The instant.
        date: Timestamp,
    },
}

impl<'de> Deserialize<'de> for AttributeValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(match d.deserialize_any(ScalarVisitor { date_object: true })? {
            Scalar::Bool(b) => AttributeValue::Bool(b),
            Scalar::Number(x) => AttributeValue::Number(x),
            Scalar::String(s) => AttributeValue::String(s),
            Scalar::Date(date) => AttributeValue::Date { date },
        })
    }
}

impl AttributeValue {
    /// The type name used in messages and schemas.
    pub fn type_name(&self) -> &'static str {
        match self {
            AttributeValue::Bool(_) => "bool",
            AttributeValue::Number(_) => "number",
            AttributeValue::String(_) => "string",
            AttributeValue::Date { .. } => "date",
        }
    }
}

/// A customer account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "AccountRow"))]
pub struct Account {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// When the account was created; the account appears in snapshots from then on.
    pub created_at: Timestamp,
    /// The owning CSM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Parent account id (hierarchies); the parent must be in the dataset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// Licensed seats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seats: Option<u32>,
    /// Typed attributes; each name has one type across all accounts.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, AttributeValue>,
}

impl Account {
    /// A new account with no owner, parent, seats or attributes.
    pub fn new(id: impl Into<String>, name: impl Into<String>, created_at: Timestamp) -> Self {
        Account {
            id: id.into(),
            name: name.into(),
            created_at,
            owner: None,
            parent_id: None,
            seats: None,
            attributes: BTreeMap::new(),
        }
    }

    /// Sets the licensed seats.
    pub fn with_seats(mut self, seats: u32) -> Self {
        self.seats = Some(seats);
        self
    }

    /// Sets the owning CSM.
    pub fn with_owner(mut self, owner: impl Into<String>) -> Self {
        self.owner = Some(owner.into());
        self
    }

    /// Sets the parent account.
    pub fn with_parent(mut self, parent_id: impl Into<String>) -> Self {
        self.parent_id = Some(parent_id.into());
        self
    }

    /// Adds an attribute.
    pub fn with_attribute(mut self, name: impl Into<String>, value: AttributeValue) -> Self {
        self.attributes.insert(name.into(), value);
        self
    }
}

/// The role of a user within an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Administers the account.
    Admin,
    /// Internal advocate of the product.
    Champion,
    /// Executive sponsor or C-level user.
    Executive,
    /// Ordinary user.
    Member,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Admin, Role::Champion, Role::Executive, Role::Member];

    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Champion => "champion",
            Role::Executive => "executive",
            Role::Member => "member",
        }
    }

    /// Parses a lowercase role name; the error lists the valid names.
    pub fn parse(text: &str) -> std::result::Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == text)
            .ok_or_else(|| format!("unknown role `{text}` (expected one of: admin, champion, executive, member)"))
    }
}

/// A person using the product on behalf of an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "UserRow"))]
pub struct User {
    /// Unique id.
    pub id: String,
    /// The account the user belongs to.
    pub account_id: String,
    /// Role within the account.
    #[serde(default = "default_role")]
    pub role: Role,
    /// When the user was created.
    pub created_at: Timestamp,
    /// When the user was deactivated, if ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deactivated_at: Option<Timestamp>,
}

fn default_role() -> Role {
    Role::Member
}

impl User {
    /// A new active user.
    pub fn new(id: impl Into<String>, account_id: impl Into<String>, role: Role, created_at: Timestamp) -> Self {
        User { id: id.into(), account_id: account_id.into(), role, created_at, deactivated_at: None }
    }
}

/// Status of a subscription row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    /// Paying and in force between `start` and `end`.
    Active,
    /// A free trial: in force but contributes no MRR.
    Trial,
    /// Ended by cancellation at `end`.
    Canceled,
    /// Payment overdue; still counted as revenue.
    PastDue,
}

impl SubscriptionStatus {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::Trial => "trial",
            SubscriptionStatus::Canceled => "canceled",
            SubscriptionStatus::PastDue => "past_due",
        }
    }

    /// Parses a status name; the error lists the valid names.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        [SubscriptionStatus::Active, SubscriptionStatus::Trial, SubscriptionStatus::Canceled, SubscriptionStatus::PastDue]
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| format!("unknown status `{text}` (expected one of: active, trial, canceled, past_due)"))
    }
}

/// One contract period of an account. Renewals and up/downgrades are successive rows; a row is
/// in force for `start <= t < end` (open-ended when `end` is absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "SubscriptionRow"))]
pub struct Subscription {
    /// The subscribing account.
    pub account_id: String,
    /// Plan name.
    pub plan: String,
    /// First instant in force.
    pub start: Timestamp,
    /// Renewal date: first instant no longer in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Timestamp>,
    /// Monthly recurring revenue of this row.
    pub mrr: Money,
    /// Quantity (seats, units).
    #[serde(default = "one")]
    pub quantity: u32,
    /// Row status.
    #[serde(default = "active")]
    pub status: SubscriptionStatus,
}

fn one() -> u32 {
    1
}

fn active() -> SubscriptionStatus {
    SubscriptionStatus::Active
}

/// A property value of an event: a string, number or boolean. An integer beyond ±2^53 is
/// refused ([`MAX_EXACT_INTEGER`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum PropertyValue {
    /// Boolean property.
    Bool(bool),
    /// Numeric property (finite).
    Number(f64),
    /// Text property.
    String(String),
}

impl<'de> Deserialize<'de> for PropertyValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(match d.deserialize_any(ScalarVisitor { date_object: false })? {
            Scalar::Bool(b) => PropertyValue::Bool(b),
            Scalar::Number(x) => PropertyValue::Number(x),
            Scalar::String(s) => PropertyValue::String(s),
            Scalar::Date(_) => return Err(serde::de::Error::custom("a property is a string, number or boolean")),
        })
    }
}

impl fmt::Display for PropertyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PropertyValue::Bool(b) => write!(f, "{b}"),
            PropertyValue::Number(n) => write!(f, "{n}"),
            PropertyValue::String(s) => f.write_str(s),
        }
    }
}

impl From<&str> for PropertyValue {
    fn from(s: &str) -> Self {
        PropertyValue::String(s.to_string())
    }
}

impl From<f64> for PropertyValue {
    fn from(n: f64) -> Self {
        PropertyValue::Number(n)
    }
}

/// Well-known event names. Any other name is a custom event.
pub mod event_name {
    /// A user logged in.
    pub const LOGIN: &str = "login";
    /// A user used a feature; property `feature` names it.
    pub const FEATURE_USED: &str = "feature_used";
    /// A user viewed a page; property `page` names it.
    pub const PAGE_VIEW: &str = "page_view";
    /// A support ticket was opened; property `severity`.
    pub const SUPPORT_TICKET: &str = "support_ticket";
    /// A survey was answered; property `score`.
    pub const SURVEY_RESPONSE: &str = "survey_response";
    /// An invoice was paid; property `amount`.
    pub const INVOICE_PAID: &str = "invoice_paid";
    /// A CSM touched the account; property `channel`.
    pub const TOUCH: &str = "touch";
}

/// Something that happened in an account at an instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "EventRow"))]
pub struct Event {
    /// The account.
    pub account_id: String,
    /// The acting user, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// When it happened (UTC).
    pub timestamp: Timestamp,
    /// Event name, e.g. `login`.
    pub name: String,
    /// Properties (feature, page, severity, score, amount, channel, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, PropertyValue>,
}

impl Event {
    /// A new event without properties.
    pub fn new(account_id: impl Into<String>, user_id: Option<&str>, timestamp: Timestamp, name: impl Into<String>) -> Self {
        Event {
            account_id: account_id.into(),
            user_id: user_id.map(str::to_string),
            timestamp,
            name: name.into(),
            properties: BTreeMap::new(),
        }
    }

    /// Adds a property.
    pub fn with_property(mut self, key: impl Into<String>, value: impl Into<PropertyValue>) -> Self {
        self.properties.insert(key.into(), value.into());
        self
    }
}
