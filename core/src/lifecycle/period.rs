//! Calendar periods in UTC: days, ISO weeks (Monday to Sunday) and calendar months, numbered so
//! that consecutive periods have consecutive indices.

use serde::{Deserialize, Serialize};

use crate::time::{Timestamp, MS_PER_DAY};

/// A period of the calendar, in UTC.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// A UTC day.
    Day,
    /// An ISO week, Monday 00:00 to Sunday 24:00 UTC.
    Week,
    /// A calendar month.
    #[default]
    Month,
}

/// Days from 1970-01-01 to `year-month-day` (proleptic Gregorian).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month) of the day `days` after 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month)
}

impl Period {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }

    /// The index of the period holding the day `day` (days since 1970-01-01).
    pub(crate) fn of_day(self, day: i64) -> i64 {
        match self {
            Period::Day => day,
            // 1970-01-01 was a Thursday: Monday-based weeks start 3 days earlier.
            Period::Week => (day + 3).div_euclid(7),
            Period::Month => {
                let (y, m) = civil_from_days(day);
                y * 12 + (m - 1)
            }
        }
    }

    /// The index of the period holding `t`.
    pub(crate) fn of(self, t: Timestamp) -> i64 {
        self.of_day(t.millis().div_euclid(MS_PER_DAY))
    }

    /// The first day (days since 1970-01-01) of period `index`.
    pub(crate) fn first_day(self, index: i64) -> i64 {
        match self {
            Period::Day => index,
            Period::Week => index * 7 - 3,
            Period::Month => days_from_civil(index.div_euclid(12), index.rem_euclid(12) + 1, 1),
        }
    }

    /// The instant period `index` starts.
    pub(crate) fn start(self, index: i64) -> i64 {
        self.first_day(index) * MS_PER_DAY
    }

    /// The instant period `index` ends (the next one's start).
    pub(crate) fn end(self, index: i64) -> i64 {
        self.start(index + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_consecutive_and_agree_with_the_calendar() {
        let t = |s: &str| Timestamp::parse(s).expect("date");
        // 2024-01-01 is a Monday; 2023-12-31 a Sunday.
        assert_eq!(Period::Week.of(t("2024-01-01")), Period::Week.of(t("2024-01-07T23:59:59Z")));
        assert_eq!(Period::Week.of(t("2023-12-31")) + 1, Period::Week.of(t("2024-01-01")));
        assert_eq!(Period::Week.start(Period::Week.of(t("2024-01-03"))), t("2024-01-01").millis());
        assert_eq!(Period::Month.start(Period::Month.of(t("2024-02-29T12:00:00Z"))), t("2024-02-01").millis());
        assert_eq!(Period::Month.end(Period::Month.of(t("2024-02-29"))), t("2024-03-01").millis());
        assert_eq!(Period::Month.of(t("1969-12-31")) + 1, Period::Month.of(t("1970-01-01")));
        // Every day of four centuries: the month index never skips, the first day maps back.
        let mut last = Period::Month.of_day(-60_000);
        for day in -60_000..90_000 {
            let m = Period::Month.of_day(day);
            assert!(m == last || m == last + 1, "{day}");
            assert!(Period::Month.first_day(m) <= day && day < Period::Month.first_day(m + 1));
            last = m;
            let w = Period::Week.of_day(day);
            assert!(Period::Week.first_day(w) <= day && day < Period::Week.first_day(w) + 7);
        }
    }
}
