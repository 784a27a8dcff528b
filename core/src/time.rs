//! Instants and windows. Time is explicit in custfit: an instant is a UTC [`Timestamp`] with
//! millisecond precision, and every window carries its [`TimeUnit`].
//!
//! Text forms accepted wherever a timestamp is read: RFC 3339 (`2024-03-01T12:00:00Z`,
//! offsets allowed), `YYYY-MM-DD` (midnight UTC), `YYYY-MM-DD HH:MM:SS[.fff]` (UTC), and an
//! integer meaning milliseconds since the Unix epoch. Supported years: 1900–2199.

use std::fmt;

use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// Milliseconds in one day.
pub const MS_PER_DAY: i64 = 86_400_000;

/// The smallest magnitude accepted for a timestamp given as an integer (10^10 ms, 26 April 1970):
/// anything smaller is taken for seconds and refused (see [`Timestamp::from_input_millis`]).
pub const MIN_INPUT_MILLIS: i64 = 10_000_000_000;

/// Smallest supported instant: 1900-01-01T00:00:00Z.
pub const MIN_TIMESTAMP_MS: i64 = -2_208_988_800_000;
/// One past the largest supported instant: 2200-01-01T00:00:00Z.
pub const MAX_TIMESTAMP_MS: i64 = 7_258_118_400_000;

/// A UTC instant with millisecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// An instant a caller gave as an integer: milliseconds since the epoch, within 1900–2199, and
    /// not below [`MIN_INPUT_MILLIS`] in magnitude — such a number is almost surely *seconds*
    /// (1.7e9 s is 2023; read as ms it is 20 January 1970), so it is refused with a hint instead
    /// of landing silently in 1970.
    pub fn from_input_millis(ms: i64) -> Result<Self> {
        if ms.unsigned_abs() < MIN_INPUT_MILLIS.unsigned_abs() {
            return Err(invalid_ts(format!(
                "{ms} looks like seconds since the epoch: integer timestamps are milliseconds (multiply by 1000); \
                 an instant within four months of 1970-01-01 must be given as text"
            )));
        }
        Self::from_millis(ms).map_err(|_| invalid_ts(format!("{ms} ms since the epoch is outside the supported years 1900-2199")))
    }

    /// From milliseconds since the Unix epoch; errors outside 1900–2199.
    pub fn from_millis(ms: i64) -> Result<Self> {
        if (MIN_TIMESTAMP_MS..MAX_TIMESTAMP_MS).contains(&ms) {
            Ok(Timestamp(ms))
        } else {
            Err(Error::Argument {
                kind: crate::ErrorKind::InvalidTimestamp,
                name: "timestamp".into(),
                reason: format!("{ms} ms since the epoch is outside the supported years 1900-2199"),
            })
        }
    }

    /// Milliseconds since the Unix epoch.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// From a calendar date at midnight UTC.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Result<Self> {
        let date = NaiveDate::from_ymd_opt(year, month, day)
            .ok_or_else(|| invalid_ts(format!("{year:04}-{month:02}-{day:02} is not a calendar date")))?;
        let dt = date.and_hms_opt(0, 0, 0).ok_or_else(|| invalid_ts("invalid time"))?;
        Self::from_millis(dt.and_utc().timestamp_millis())
    }

    /// The current wall-clock instant.
    pub fn now() -> Self {
        Timestamp(Utc::now().timestamp_millis())
    }

    /// Parses the text forms listed in the module docs.
    pub fn parse(text: &str) -> Result<Self> {
        let t = text.trim();
        if t.is_empty() {
            return Err(invalid_ts("empty timestamp"));
        }
        if let Ok(ms) = t.parse::<i64>() {
            return Self::from_input_millis(ms);
        }
        let ms = if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
            dt.timestamp_millis()
        } else if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            d.and_hms_opt(0, 0, 0).map(|x| x.and_utc().timestamp_millis()).ok_or_else(|| invalid_ts("invalid date"))?
        } else if let Ok(dt) = NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f") {
            dt.and_utc().timestamp_millis()
        } else if let Ok(dt) = NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f") {
            dt.and_utc().timestamp_millis()
        } else {
            return Err(invalid_ts(format!(
                "`{t}` is not a timestamp (use RFC 3339, YYYY-MM-DD, or integer milliseconds since the epoch)"
            )));
        };
        Self::from_millis(ms).map_err(|_| invalid_ts(format!("`{t}` is outside the supported years 1900-2199")))
    }

    /// This instant plus `ms` milliseconds (saturating at the supported range).
    pub fn add_millis(self, ms: i64) -> Self {
        Timestamp(self.0.saturating_add(ms).clamp(MIN_TIMESTAMP_MS, MAX_TIMESTAMP_MS - 1))
    }

    /// This instant plus `days` days.
    pub fn add_days(self, days: i64) -> Self {
        self.add_millis(days.saturating_mul(MS_PER_DAY))
    }

    /// Whole days from `earlier` to `self` (floored; negative if `earlier` is later).
    pub fn days_since(self, earlier: Timestamp) -> i64 {
        (self.0 - earlier.0).div_euclid(MS_PER_DAY)
    }

    /// Start of the UTC day containing this instant.
    pub fn floor_day(self) -> Self {
        Timestamp(self.0.div_euclid(MS_PER_DAY) * MS_PER_DAY)
    }

    /// RFC 3339 text with millisecond precision when needed, always `Z`.
    pub fn to_rfc3339(self) -> String {
        match Utc.timestamp_millis_opt(self.0).single() {
            Some(dt) if self.0 % 1000 == 0 => dt.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            Some(dt) => dt.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            None => self.0.to_string(),
        }
    }

    /// The UTC calendar date as `YYYY-MM-DD`.
    pub fn date_string(self) -> String {
        match Utc.timestamp_millis_opt(self.0).single() {
            Some(dt) if (0..=9999).contains(&dt.year()) => {
                // Hand-written: strftime parsing is the cost when millions of keys are built.
                let (y, m, d) = (dt.year() as u32, dt.month(), dt.day());
                let mut out = String::with_capacity(10);
                for digit in [y / 1000, y / 100 % 10, y / 10 % 10, y % 10] {
                    out.push(char::from(b'0' + digit as u8));
                }
                out.push('-');
                out.push(char::from(b'0' + (m / 10) as u8));
                out.push(char::from(b'0' + (m % 10) as u8));
                out.push('-');
                out.push(char::from(b'0' + (d / 10) as u8));
                out.push(char::from(b'0' + (d % 10) as u8));
                out
            }
            Some(dt) => dt.format("%Y-%m-%d").to_string(),
            None => self.0.to_string(),
        }
    }

    pub(crate) fn add_months(self, months: u32) -> Self {
        match Utc.timestamp_millis_opt(self.0).single().and_then(|dt| dt.checked_add_months(Months::new(months))) {
            Some(dt) => Timestamp(dt.timestamp_millis().min(MAX_TIMESTAMP_MS - 1)),
            None => Timestamp(MAX_TIMESTAMP_MS - 1),
        }
    }

    pub(crate) fn sub_months(self, months: u32) -> Self {
        match Utc.timestamp_millis_opt(self.0).single().and_then(|dt| dt.checked_sub_months(Months::new(months))) {
            Some(dt) => Timestamp(dt.timestamp_millis().max(MIN_TIMESTAMP_MS)),
            None => Timestamp(MIN_TIMESTAMP_MS),
        }
    }
}

fn invalid_ts(reason: impl Into<String>) -> Error {
    Error::Argument { kind: crate::ErrorKind::InvalidTimestamp, name: "timestamp".into(), reason: reason.into() }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl std::str::FromStr for Timestamp {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Timestamp::parse(s)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 timestamp, a YYYY-MM-DD date, or integer milliseconds since the epoch")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Timestamp, E> {
                Timestamp::parse(v).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<Timestamp, E> {
                Timestamp::from_input_millis(v).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<Timestamp, E> {
                let v = i64::try_from(v).map_err(|_| E::custom("timestamp out of range"))?;
                Timestamp::from_input_millis(v).map_err(E::custom)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<Timestamp, E> {
                if v.is_finite() && v.fract() == 0.0 && v.abs() < 9.0e15 {
                    Timestamp::from_input_millis(v as i64).map_err(E::custom)
                } else {
                    Err(E::custom(format!("{v} is not an integer millisecond timestamp")))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// The unit of a [`Window`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum TimeUnit {
    /// 24-hour days.
    Days,
    /// 7-day weeks.
    Weeks,
    /// Calendar months (counted back on the calendar from the as-of instant).
    Months,
}

impl TimeUnit {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Days => "days",
            TimeUnit::Weeks => "weeks",
            TimeUnit::Months => "months",
        }
    }
}

/// A trailing window such as "30 days": events with `start < t <= as_of` belong to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// How many units.
    pub amount: u32,
    /// Which unit.
    pub unit: TimeUnit,
}

impl Window {
    /// `amount` days.
    pub const fn days(amount: u32) -> Self {
        Window { amount, unit: TimeUnit::Days }
    }

    /// `amount` weeks.
    pub const fn weeks(amount: u32) -> Self {
        Window { amount, unit: TimeUnit::Weeks }
    }

    /// `amount` calendar months.
    pub const fn months(amount: u32) -> Self {
        Window { amount, unit: TimeUnit::Months }
    }

    /// The exclusive start of the window ending at `as_of`.
    pub fn start(self, as_of: Timestamp) -> Timestamp {
        match self.unit {
            TimeUnit::Days => as_of.add_days(-i64::from(self.amount)),
            TimeUnit::Weeks => as_of.add_days(-7 * i64::from(self.amount)),
            TimeUnit::Months => as_of.sub_months(self.amount),
        }
    }

    /// The exclusive end of the window starting at `from`: `from` plus the window, calendar-aware
    /// for months (1 month from 1 March is 1 April; from 31 January it is 29 February — the day
    /// is clamped to the month's last).
    pub fn end(self, from: Timestamp) -> Timestamp {
        match self.unit {
            TimeUnit::Days => from.add_days(i64::from(self.amount)),
            TimeUnit::Weeks => from.add_days(7 * i64::from(self.amount)),
            TimeUnit::Months => from.add_months(self.amount),
        }
    }

    /// Checks the window is usable (non-zero, at most 100 years).
    pub fn validate(self, path: &str) -> Result<()> {
        let days = match self.unit {
            TimeUnit::Days => u64::from(self.amount),
            TimeUnit::Weeks => 7 * u64::from(self.amount),
            TimeUnit::Months => 31 * u64::from(self.amount),
        };
        if self.amount == 0 {
            return Err(Error::config(path, "window amount must be at least 1"));
        }
        if days > 36_600 {
            return Err(Error::config(path, "window longer than 100 years"));
        }
        Ok(())
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.unit.as_str())
    }
}

/// Written as RFC 3339 text (UTC, millisecond precision); read also from a date or milliseconds.
#[cfg(feature = "schema")]
impl schemars::JsonSchema for Timestamp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "format": "date-time"})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_that_look_like_seconds_are_refused() {
        assert_eq!(Timestamp::parse("1709200800000").expect("ms"), Timestamp::parse("2024-02-29T10:00:00Z").expect("text"));
        for bad in ["1709200800", "0", "-5", "9999999999"] {
            let e = Timestamp::parse(bad).expect_err(bad);
            assert_eq!(e.code(), "invalid_timestamp");
            assert!(e.to_string().contains("seconds"), "{e}");
        }
        assert!(Timestamp::from_input_millis(-10_000_000_000).is_ok(), "1969-09 as ms is fine");
        // Serde input (rows and documents) follows the same rule.
        assert!(serde_json::from_str::<Timestamp>("1709200800").is_err());
        assert!(serde_json::from_str::<Timestamp>("1709200800000").is_ok());
    }

    #[test]
    fn a_month_forward_is_the_calendar_month_from_the_start() {
        let t = |s: &str| Timestamp::parse(s).expect("timestamp");
        assert_eq!(Window::months(1).end(t("2024-03-01")), t("2024-04-01"));
        assert_eq!(Window::months(1).end(t("2024-01-31")), t("2024-02-29"));
        assert_eq!(Window::months(12).end(t("2024-02-29T10:00:00Z")), t("2025-02-28T10:00:00Z"));
        assert_eq!(Window::weeks(2).end(t("2024-03-01")), t("2024-03-15"));
        // A monthly grid keeps its day of the month.
        let mut d = t("2024-01-01");
        let mut days = Vec::new();
        for _ in 0..5 {
            d = Window::months(1).end(d);
            days.push(d.to_rfc3339()[..10].to_string());
        }
        assert_eq!(days, ["2024-02-01", "2024-03-01", "2024-04-01", "2024-05-01", "2024-06-01"]);
        // `start` and `end` are inverse for whole months from the first of a month.
        assert_eq!(Window::months(3).start(Window::months(3).end(t("2024-01-01"))), t("2024-01-01"));
        assert_eq!(Window::months(1).end(Timestamp(MAX_TIMESTAMP_MS - 1)), Timestamp(MAX_TIMESTAMP_MS - 1));
    }

    #[test]
    fn parses_all_forms() {
        let a = Timestamp::parse("2024-03-01T00:00:00Z").unwrap_or(Timestamp(0));
        assert_eq!(Timestamp::parse("2024-03-01").ok(), Some(a));
        assert_eq!(Timestamp::parse("2024-03-01 00:00:00").ok(), Some(a));
        assert_eq!(Timestamp::parse("2024-03-01T01:00:00+01:00").ok(), Some(a));
        assert_eq!(Timestamp::parse(&a.millis().to_string()).ok(), Some(a));
        assert_eq!(a.to_rfc3339(), "2024-03-01T00:00:00Z");
        assert!(Timestamp::parse("yesterday").is_err());
        assert!(Timestamp::parse("").is_err());
        assert!(Timestamp::parse("99999-01-01").is_err());
        assert!(Timestamp::parse("2024-02-30").is_err());
    }

    #[test]
    fn windows() {
        let t = Timestamp::parse("2024-03-31").unwrap_or(Timestamp(0));
        assert_eq!(Window::days(1).start(t), Timestamp::parse("2024-03-30").unwrap_or(Timestamp(0)));
        assert_eq!(Window::months(1).start(t), Timestamp::parse("2024-02-29").unwrap_or(Timestamp(0)));
        assert!(Window::days(0).validate("w").is_err());
    }
}
