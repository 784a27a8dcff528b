//! Timestamps across the boundary.
//!
//! In: `datetime` (aware ones converted to UTC, naive ones read as UTC), `date` (midnight UTC),
//! `str` (the core's text forms: RFC 3339, `YYYY-MM-DD`, …) or `int` (milliseconds since the
//! epoch). Out: an aware `datetime` in UTC.

use chrono::{DateTime, Datelike, NaiveDate, Timelike};
use custfit::{Error, ErrorKind, Timestamp};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDate, PyDateAccess, PyDateTime, PyInt, PyString, PyTimeAccess, PyTzInfo, PyTzInfoAccess};

fn invalid(name: &str, reason: impl Into<String>) -> Error {
    Error::Argument { kind: ErrorKind::InvalidTimestamp, name: name.to_string(), reason: reason.into() }
}

fn from_parts(name: &str, (y, mo, d): (i32, u32, u32), (h, mi, s, us): (u32, u32, u32, u32)) -> Result<Timestamp, Error> {
    let dt = NaiveDate::from_ymd_opt(y, mo, d)
        .and_then(|date| date.and_hms_micro_opt(h, mi, s, us))
        .ok_or_else(|| invalid(name, format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} is not a valid instant")))?;
    Timestamp::from_millis(dt.and_utc().timestamp_millis())
        .map_err(|_| invalid(name, format!("{y:04}-{mo:02}-{d:02} is outside the supported years 1900-2199")))
}

/// What a Python value means as a timestamp. `Ok(None)` when it is not a timestamp-like type.
/// Errors: `invalid_timestamp` for a timestamp-like value that is out of range or unparseable.
pub fn try_timestamp(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Option<Result<Timestamp, Error>>> {
    if let Ok(dt) = obj.cast::<PyDateTime>() {
        let utc = match dt.get_tzinfo() {
            Some(_) => obj.call_method1("astimezone", (PyTzInfo::utc(obj.py())?,))?.cast_into::<PyDateTime>()?,
            None => dt.clone(),
        };
        return Ok(Some(from_parts(
            name,
            (utc.get_year(), u32::from(utc.get_month()), u32::from(utc.get_day())),
            (u32::from(utc.get_hour()), u32::from(utc.get_minute()), u32::from(utc.get_second()), utc.get_microsecond()),
        )));
    }
    if let Ok(d) = obj.cast::<PyDate>() {
        return Ok(Some(from_parts(name, (d.get_year(), u32::from(d.get_month()), u32::from(d.get_day())), (0, 0, 0, 0))));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        let text = s.to_cow()?;
        return Ok(Some(Timestamp::parse(&text).map_err(|e| invalid(name, e.to_string()))));
    }
    if obj.is_instance_of::<PyInt>() && !obj.is_instance_of::<PyBool>() {
        return Ok(Some(match obj.extract::<i64>() {
            Ok(ms) => Timestamp::from_input_millis(ms).map_err(|e| invalid(name, e.to_string())),
            Err(_) => Err(invalid(name, format!("{obj} ms since the epoch is outside the supported years 1900-2199"))),
        }));
    }
    Ok(None)
}

/// A timestamp argument; errors are core errors (`invalid_timestamp`, `invalid_argument`).
pub fn to_timestamp(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Result<Timestamp, Error>> {
    Ok(match try_timestamp(obj, name)? {
        Some(r) => r,
        None => Err(crate::error::invalid_argument(
            name,
            format!(
                "expected a datetime, date, str or int (ms since the epoch), got {}",
                obj.get_type().name().map(|n| n.to_string()).unwrap_or_default()
            ),
        )),
    })
}

/// Reads a timestamp argument, raising the mapped exception on failure.
pub fn timestamp_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Timestamp> {
    to_timestamp(obj, name)?.map_err(|e| crate::error::to_py(obj.py(), &e))
}

/// An aware UTC `datetime`.
pub fn to_datetime(py: Python<'_>, t: Timestamp) -> PyResult<Bound<'_, PyDateTime>> {
    let dt = DateTime::from_timestamp_millis(t.millis())
        .ok_or_else(|| crate::error::to_py(py, &invalid("timestamp", "out of range")))?;
    let utc = PyTzInfo::utc(py)?.to_owned();
    // chrono's fields are within the ranges `datetime` accepts.
    PyDateTime::new(
        py,
        dt.year(),
        dt.month() as u8,
        dt.day() as u8,
        dt.hour() as u8,
        dt.minute() as u8,
        dt.second() as u8,
        dt.nanosecond() / 1000,
        Some(&utc),
    )
}
