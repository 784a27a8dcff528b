//! Small values across the boundary: Python objects ⇄ JSON values, and lists of dicts → the
//! core's row types through their serde forms (so the binding never restates their fields,
//! except which ones hold timestamps).

use custfit::data::RowInput;
use custfit::document::MAX_DEPTH;
use custfit::Entity;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDate, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple};
use serde_json::{Map, Number, Value};

use crate::time::try_timestamp;

/// A value that could not be converted: where, why, and (if not the table's own kind) what kind.
pub struct Bad {
    /// The value was meant as an instant (`invalid_timestamp` when it is a row's).
    pub timestamp: bool,
    pub path: String,
    pub reason: String,
}

impl Bad {
    fn new(path: &str, reason: impl Into<String>) -> Self {
        Bad { timestamp: false, path: path.to_string(), reason: reason.into() }
    }
}

/// Why a Python `str` holding a lone surrogate (e.g. `"\ud800"`, from a bad decode) is refused.
const NOT_UNICODE: &str = "text is not valid Unicode (it holds a lone surrogate)";

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_default()
}

/// A Python value as JSON, for documents (options, configs): datetimes and dates become
/// milliseconds since the epoch.
pub fn to_json(obj: &Bound<'_, PyAny>, path: &str) -> PyResult<Result<Value, Bad>> {
    value_to_json(obj, path, true, 0)
}

/// A Python value as JSON; datetimes and dates become milliseconds when `dates` allows, and
/// are an error otherwise (row values other than timestamps have no date type). `depth` is the
/// nesting of `obj`; deeper than `MAX_DEPTH` is an error before any recursion (a dict nested
/// thousands deep would otherwise overflow the native stack).
fn value_to_json(obj: &Bound<'_, PyAny>, path: &str, dates: bool, depth: usize) -> PyResult<Result<Value, Bad>> {
    if depth > MAX_DEPTH {
        return Ok(Err(Bad::new(path, format!("nested deeper than {MAX_DEPTH} levels"))));
    }
    if obj.is_none() {
        return Ok(Ok(Value::Null));
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Ok(Value::Bool(b.is_true())));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Ok(Value::from(i)));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Ok(Value::from(u)));
        }
        return Ok(Err(Bad::new(path, format!("integer {obj} is too large"))));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        let x = f.value();
        return Ok(match Number::from_f64(x) {
            Some(n) => Ok(Value::Number(n)),
            None => Err(Bad::new(path, format!("{x} is not a finite number"))),
        });
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(match s.to_cow() {
            Ok(text) => Ok(Value::String(text.into_owned())),
            Err(_) => Err(Bad::new(path, NOT_UNICODE)),
        });
    }
    if obj.is_instance_of::<PyDate>() && !dates {
        return Ok(Err(Bad::new(path, "a date or datetime is not a valid value here (use text or a number)")));
    }
    if obj.is_instance_of::<PyDate>() {
        return Ok(match try_timestamp(obj, path)? {
            Some(Ok(t)) => Ok(Value::String(t.to_rfc3339())),
            Some(Err(e)) => Err(Bad { timestamp: true, path: path.to_string(), reason: e.to_string() }),
            None => Err(Bad::new(path, "unreadable date")),
        });
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        return map_to_json(d.as_any(), path, |_, v, p| value_to_json(v, p, dates, depth + 1));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut out = Vec::new();
        for (i, item) in obj.try_iter()?.enumerate() {
            match value_to_json(&item?, &format!("{path}[{i}]"), dates, depth + 1)? {
                Ok(v) => out.push(v),
                Err(b) => return Ok(Err(b)),
            }
        }
        return Ok(Ok(Value::Array(out)));
    }
    if obj.cast::<PyMapping>().is_ok() {
        return map_to_json(obj, path, |_, v, p| value_to_json(v, p, dates, depth + 1));
    }
    // numpy scalars and other number-likes.
    if let Ok(x) = obj.call_method0("item") {
        if !x.is(obj) && (x.is_instance_of::<PyInt>() || x.is_instance_of::<PyFloat>() || x.is_instance_of::<PyBool>()) {
            return value_to_json(&x, path, dates, depth);
        }
    }
    Ok(Err(Bad::new(path, format!("unsupported value of type {}", type_name(obj)))))
}

type ItemFn<'a> = dyn Fn(&str, &Bound<'_, PyAny>, &str) -> PyResult<Result<Value, Bad>> + 'a;

/// A mapping as a JSON object, converting each value with `item(key, value, path)`.
fn map_to_json(
    obj: &Bound<'_, PyAny>,
    path: &str,
    item: impl Fn(&str, &Bound<'_, PyAny>, &str) -> PyResult<Result<Value, Bad>>,
) -> PyResult<Result<Value, Bad>> {
    let item: &ItemFn<'_> = &item;
    let items = obj.call_method0("items")?;
    let mut out = Map::new();
    for pair in items.try_iter()? {
        let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = pair?.extract()?;
        let Ok(key) = k.cast::<PyString>() else {
            return Ok(Err(Bad::new(path, format!("keys must be str, got {}", type_name(&k)))));
        };
        let Ok(key) = key.to_cow() else {
            return Ok(Err(Bad::new(path, format!("a key {NOT_UNICODE}"))));
        };
        let key: &str = &key;
        match item(key, &v, &join(path, key))? {
            Ok(v) => {
                out.insert(key.to_string(), v);
            }
            Err(b) => return Ok(Err(b)),
        }
    }
    Ok(Ok(Value::Object(out)))
}

/// JSON as Python objects.
pub fn from_json<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any(),
            (_, Some(u)) => u.into_pyobject(py)?.into_any(),
            _ => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(a) => PyList::new(py, a.iter().map(|x| from_json(py, x)).collect::<PyResult<Vec<_>>>()?)?.into_any(),
        Value::Object(o) => {
            let d = PyDict::new(py);
            for (k, x) in o {
                d.set_item(k, from_json(py, x)?)?;
            }
            d.into_any()
        }
    })
}

/// One row dict as the serde form of its table.
fn row_to_json(row: &Bound<'_, PyAny>, entity: Entity) -> PyResult<Result<Value, Bad>> {
    if row.cast::<PyDict>().is_err() && row.cast::<PyMapping>().is_err() {
        return Ok(Err(Bad::new("", format!("each row must be a dict, got {}", type_name(row)))));
    }
    let ts_fields = entity.timestamp_fields();
    map_to_json(row, "", |key, value, path| {
        if value.is_none() {
            return Ok(Ok(Value::Null));
        }
        if ts_fields.contains(&key) {
            return Ok(match try_timestamp(value, path)? {
                Some(Ok(t)) => Ok(Value::String(t.to_rfc3339())),
                Some(Err(e)) => Err(Bad { timestamp: true, path: path.to_string(), reason: e.to_string() }),
                None => Err(Bad::new(path, format!("expected a datetime, date, str or int, got {}", type_name(value)))),
            });
        }
        if entity == Entity::Account && key == "attributes" && value.cast::<PyDict>().is_ok() {
            // A datetime or date attribute is a date attribute: `{"date": ms}` in serde form.
            return map_to_json(value, path, |_, v, p| {
                if v.is_instance_of::<PyDate>() {
                    return Ok(to_json(v, p)?.map(|ms| serde_json::json!({ "date": ms })));
                }
                value_to_json(v, p, false, 2)
            });
        }
        value_to_json(value, path, false, 1)
    })
}

/// A list of row dicts in the serde form the core reads (`Dataset::add_json_rows`, which owns
/// strict/lenient handling, codes and positions); a row that cannot be expressed in JSON is
/// handed over as unreadable, with its field and reason.
pub fn rows_from_py(data: &Bound<'_, PyAny>, entity: Entity) -> PyResult<Vec<RowInput>> {
    let mut out = Vec::new();
    for row in data.try_iter()? {
        out.push(match row_to_json(&row?, entity)? {
            Ok(v) => RowInput::Json(v),
            Err(b) => RowInput::Unreadable { field: b.path, reason: b.reason, timestamp: b.timestamp },
        });
    }
    Ok(out)
}

/// A whole-number argument taken as any Python int, so that a negative or huge value gets a
/// coded `invalid_argument` naming the parameter instead of a bare `OverflowError`. A value
/// that is not an int (a bool included) is a `TypeError`, as for any other int parameter.
pub struct Whole {
    /// The value, or its text when it is beyond even `u64` (only an error message needs it).
    value: Result<i128, String>,
}

impl<'a, 'py> FromPyObject<'a, 'py> for Whole {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if obj.is_instance_of::<PyBool>() || !obj.is_instance_of::<PyInt>() {
            let got = obj.get_type().name().map(|n| n.to_string()).unwrap_or_default();
            return Err(pyo3::exceptions::PyTypeError::new_err(format!("expected an int, got {got}")));
        }
        let value = match obj.extract::<i64>() {
            Ok(i) => Ok(i128::from(i)),
            Err(_) => match obj.extract::<u64>() {
                Ok(u) => Ok(i128::from(u)),
                Err(_) => Err(obj.str()?.to_cow()?.into_owned()),
            },
        };
        Ok(Whole { value })
    }
}

impl Whole {
    /// A default value.
    pub fn of(value: u32) -> Self {
        Whole { value: Ok(i128::from(value)) }
    }

    fn within<T: TryFrom<i128>>(&self, name: &str, max: u128) -> custfit::Result<T> {
        let out_of_range = |got: &dyn std::fmt::Display| {
            crate::error::invalid_argument(name, format!("must be a whole number from 0 to {max}, got {got}"))
        };
        match &self.value {
            Ok(v) => T::try_from(*v).map_err(|_| out_of_range(v)),
            Err(text) => Err(out_of_range(text)),
        }
    }

    /// The value as a row index; `None` when negative or too large for one.
    pub fn index(&self) -> Option<usize> {
        self.value.as_ref().ok().and_then(|&v| usize::try_from(v).ok())
    }

    /// The value as a `u32`, or `invalid_argument` naming `name`.
    pub fn to_u32(&self, name: &str) -> custfit::Result<u32> {
        self.within(name, u128::from(u32::MAX))
    }

    /// The value as a `u64`, or `invalid_argument` naming `name`.
    pub fn to_u64(&self, name: &str) -> custfit::Result<u64> {
        self.within(name, u128::from(u64::MAX))
    }

    /// The value as a `usize`, or `invalid_argument` naming `name`.
    pub fn to_usize(&self, name: &str) -> custfit::Result<usize> {
        self.within(name, usize::MAX as u128)
    }
}
