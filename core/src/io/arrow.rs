//! Arrow interchange (feature `arrow`): snapshots out as a `RecordBatch`, the four tables in from
//! record batches. Events are read straight from the Arrow columns (no Rust value per row);
//! accounts, users and subscriptions are small and go through the row types.
//!
//! Column types accepted on input:
//!
//! | role | Arrow types |
//! |---|---|
//! | text (ids, names, …) | `Utf8`, `LargeUtf8`, `Utf8View`, `Dictionary(int, any of those)` |
//! | timestamp | `Timestamp(any unit, any zone)` (zone-less = UTC), `Date32`, `Date64`, `Int64` (ms since the epoch), text (parsed by [`Timestamp::parse`]) |
//! | number | any integer or float type (whole-number columns such as `seats` also accept integral floats, as pandas makes them) |
//! | bool | `Boolean` |
//!
//! A column of Arrow type `Null` counts as all-absent. Any other type is a `parse_error` naming
//! the column. Row numbers in errors and reports count across batches, starting at 0.
//!
//! - events: `account_id`, `timestamp`, `name` required; `user_id` optional; every other column
//!   is a property (text, number or bool; null = absent).
//! - accounts: `id`, `created_at` required; `name`, `owner`, `parent_id`, `seats` optional; every
//!   other column is an attribute (text, number, bool, or date for timestamp columns).
//! - users: `id`, `account_id`, `created_at` required; `role`, `deactivated_at` optional.
//! - subscriptions: `account_id`, `plan`, `start`, `mrr_minor`, `currency` required; `end`,
//!   `quantity`, `status` optional.
//!
//! Unknown columns in users and subscriptions are an error rather than silently ignored (a typo
//! such as `deactivated` would otherwise lose data).

use std::cell::Cell;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{
    Array, ArrayRef, BooleanArray, DictionaryArray, Float64Array, Int64Array, LargeStringArray, RecordBatch, StringArray,
    StringViewArray, TimestampMillisecondArray,
};
use arrow_schema::{DataType as ArrowType, Field, Schema, TimeUnit as ArrowUnit};

use crate::data::{
    Account, AttributeValue, Dataset, EventSource, FieldError, IngestOptions, IngestReport, Money, PropRef, Role, Subscription,
    SubscriptionStatus, User,
};
use crate::error::{Entity, Error, ErrorKind, Result};
use crate::metrics::{AccountColumns, Column, ColumnData, Snapshot};
use crate::time::{Timestamp, MIN_INPUT_MILLIS, MS_PER_DAY};

// ------------------------------------------------------------------------------------------ out

/// The snapshot as one record batch: `account_id` (Utf8, non-null) first, then every column in
/// order. Int → Int64, Float → Float64, Bool → Boolean, Str → Utf8, Timestamp →
/// Timestamp(Millisecond, "UTC"); missing values are nulls.
pub fn snapshot_to_record_batch(snapshot: &Snapshot) -> Result<RecordBatch> {
    columns_to_record_batch(Some(snapshot.account_ids()), snapshot.columns())
}

/// Columns as one record batch, with `account_id` first when `account_ids` is given; types as in
/// [`snapshot_to_record_batch`].
fn columns_to_record_batch(account_ids: Option<&[String]>, columns: &[Column]) -> Result<RecordBatch> {
    let mut fields = Vec::with_capacity(columns.len() + 1);
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(columns.len() + 1);
    if let Some(ids) = account_ids {
        fields.push(Field::new("account_id", ArrowType::Utf8, false));
        arrays.push(Arc::new(StringArray::from_iter_values(ids)));
    }
    for c in columns {
        let (ty, array): (ArrowType, ArrayRef) = match &c.data {
            ColumnData::Int(v) => (ArrowType::Int64, Arc::new(Int64Array::from(v.clone()))),
            ColumnData::Float(v) => (ArrowType::Float64, Arc::new(Float64Array::from(v.clone()))),
            ColumnData::Bool(v) => (ArrowType::Boolean, Arc::new(BooleanArray::from(v.clone()))),
            ColumnData::Str(v) => (ArrowType::Utf8, Arc::new(v.iter().map(Option::as_deref).collect::<StringArray>())),
            ColumnData::Timestamp(v) => (
                ArrowType::Timestamp(ArrowUnit::Millisecond, Some("UTC".into())),
                Arc::new(
                    TimestampMillisecondArray::from(v.iter().map(|t| t.map(Timestamp::millis)).collect::<Vec<_>>())
                        .with_timezone("UTC"),
                ),
            ),
        };
        fields.push(Field::new(c.name.clone(), ty, true));
        arrays.push(array);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(|e| Error::argument("columns", e.to_string()))
}

impl AccountColumns {
    /// The columns of a per-account result (tiers, segments, clusters, health scores, churn
    /// risk …) as one Arrow record batch: `account_id` first when the result carries ids, then
    /// its columns; types as in [`snapshot_to_record_batch`].
    pub fn to_arrow(&self) -> Result<RecordBatch> {
        columns_to_record_batch(self.account_ids.as_deref(), &self.columns)
    }
}

impl Snapshot {
    /// The snapshot as an Arrow record batch; see [`snapshot_to_record_batch`].
    pub fn to_arrow(&self) -> Result<RecordBatch> {
        snapshot_to_record_batch(self)
    }
}

// ------------------------------------------------------------------------------------------ column readers

fn unsupported(what: &str, column: &str, ty: &ArrowType, expected: &str) -> Error {
    Error::Parse { what: format!("{what} Arrow table"), reason: format!("column `{column}` has type {ty}; expected {expected}") }
}

fn missing(what: &str, column: &str, schema: &Schema) -> Error {
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    Error::Parse {
        what: format!("{what} Arrow table"),
        reason: format!("missing column `{column}` (columns: {})", names.join(", ")),
    }
}

/// Generates an enum over the integer key types of dictionary arrays.
macro_rules! dict_keys {
    ($($variant:ident => $ty:ty),* $(,)?) => {
        enum DictKeys<'a> {
            $($variant(&'a DictionaryArray<$ty>),)*
        }

        impl<'a> DictKeys<'a> {
            fn new(array: &'a dyn Array) -> Option<Self> {
                $(if let Some(d) = array.as_dictionary_opt::<$ty>() {
                    return Some(DictKeys::$variant(d));
                })*
                None
            }

            fn values(&self) -> &'a ArrayRef {
                match self {
                    $(DictKeys::$variant(d) => d.values(),)*
                }
            }

            fn key(&self, i: usize) -> Option<usize> {
                match self {
                    $(DictKeys::$variant(d) => d.key(i),)*
                }
            }
        }
    };
}

dict_keys! {
    I8 => Int8Type, I16 => Int16Type, I32 => Int32Type, I64 => Int64Type,
    U8 => UInt8Type, U16 => UInt16Type, U32 => UInt32Type, U64 => UInt64Type,
}

/// A text column of any of the string layouts.
enum TextCol<'a> {
    Utf8(&'a StringArray),
    Large(&'a LargeStringArray),
    View(&'a StringViewArray),
    Dict(DictKeys<'a>, Box<TextCol<'a>>),
    Null,
}

impl<'a> TextCol<'a> {
    fn new(array: &'a dyn Array) -> Option<Self> {
        match array.data_type() {
            ArrowType::Utf8 => array.as_string_opt::<i32>().map(TextCol::Utf8),
            ArrowType::LargeUtf8 => array.as_string_opt::<i64>().map(TextCol::Large),
            ArrowType::Utf8View => array.as_string_view_opt().map(TextCol::View),
            ArrowType::Null => Some(TextCol::Null),
            ArrowType::Dictionary(_, value)
                if matches!(**value, ArrowType::Utf8 | ArrowType::LargeUtf8 | ArrowType::Utf8View) =>
            {
                let keys = DictKeys::new(array)?;
                let values = TextCol::new(keys.values().as_ref())?;
                Some(TextCol::Dict(keys, Box::new(values)))
            }
            _ => None,
        }
    }

    fn len(&self) -> usize {
        match self {
            TextCol::Utf8(a) => a.len(),
            TextCol::Large(a) => a.len(),
            TextCol::View(a) => a.len(),
            TextCol::Dict(_, v) => v.len(),
            TextCol::Null => 0,
        }
    }

    /// The text at `i` (`i` within the batch), `None` when null.
    fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            TextCol::Utf8(a) => a.is_valid(i).then(|| a.value(i)),
            TextCol::Large(a) => a.is_valid(i).then(|| a.value(i)),
            TextCol::View(a) => a.is_valid(i).then(|| a.value(i)),
            // A key outside the dictionary is a malformed array: read it as null.
            TextCol::Dict(keys, values) => keys.key(i).filter(|&k| k < values.len()).and_then(|k| values.get(k)),
            TextCol::Null => None,
        }
    }
}

const TEXT_TYPES: &str = "text (Utf8, LargeUtf8, Utf8View or a dictionary of them)";
const TIMESTAMP_TYPES: &str = "Timestamp, Date32, Date64, Int64 milliseconds or text";
const NUMBER_TYPES: &str = "an integer or float type";

/// A numeric column of any integer or float type.
enum NumCol<'a> {
    I8(&'a [i8], &'a dyn Array),
    I16(&'a [i16], &'a dyn Array),
    I32(&'a [i32], &'a dyn Array),
    I64(&'a [i64], &'a dyn Array),
    U8(&'a [u8], &'a dyn Array),
    U16(&'a [u16], &'a dyn Array),
    U32(&'a [u32], &'a dyn Array),
    U64(&'a [u64], &'a dyn Array),
    F32(&'a [f32], &'a dyn Array),
    F64(&'a [f64], &'a dyn Array),
    Null,
}

/// A number read exactly where possible: integers stay integers.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Num {
    Int(i128),
    Float(f64),
}

impl Num {
    fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(x) => x,
        }
    }

    /// The value as a number attribute or property: integers beyond ±2^53 are refused
    /// (`crate::data::MAX_EXACT_INTEGER`), floats taken as they are.
    fn exact(self) -> std::result::Result<f64, String> {
        match self {
            Num::Int(i) => crate::data::exact_integer(i),
            Num::Float(x) => Ok(x),
        }
    }

    /// The value as a whole number, if it is one (integral floats included).
    fn as_int(self) -> Option<i128> {
        match self {
            Num::Int(i) => Some(i),
            Num::Float(x) if x.is_finite() && x.fract() == 0.0 && x.abs() < 9.0e18 => Some(x as i128),
            Num::Float(_) => None,
        }
    }
}

fn valid(array: &dyn Array, i: usize) -> bool {
    array.is_valid(i)
}

macro_rules! prim {
    ($array:expr, $ty:ty, $variant:ident) => {
        $array.as_primitive_opt::<$ty>().map(|a| NumCol::$variant(a.values(), $array))
    };
}

impl<'a> NumCol<'a> {
    fn new(array: &'a dyn Array) -> Option<Self> {
        match array.data_type() {
            ArrowType::Int8 => prim!(array, Int8Type, I8),
            ArrowType::Int16 => prim!(array, Int16Type, I16),
            ArrowType::Int32 => prim!(array, Int32Type, I32),
            ArrowType::Int64 => prim!(array, Int64Type, I64),
            ArrowType::UInt8 => prim!(array, UInt8Type, U8),
            ArrowType::UInt16 => prim!(array, UInt16Type, U16),
            ArrowType::UInt32 => prim!(array, UInt32Type, U32),
            ArrowType::UInt64 => prim!(array, UInt64Type, U64),
            ArrowType::Float32 => prim!(array, Float32Type, F32),
            ArrowType::Float64 => prim!(array, Float64Type, F64),
            ArrowType::Null => Some(NumCol::Null),
            _ => None,
        }
    }

    fn get(&self, i: usize) -> Option<Num> {
        match self {
            NumCol::I8(v, n) => valid(*n, i).then(|| Num::Int(i128::from(v[i]))),
            NumCol::I16(v, n) => valid(*n, i).then(|| Num::Int(i128::from(v[i]))),
            NumCol::I32(v, n) => valid(*n, i).then(|| Num::Int(i128::from(v[i]))),
            NumCol::I64(v, n) => valid(*n, i).then(|| Num::Int(i128::from(v[i]))),
            NumCol::U8(v, n) => valid(*n, i).then(|| Num::Int(i128::from(v[i]))),
            NumCol::U16(v, n) => valid(*n, i).then(|| Num::Int(i128::from(v[i]))),
            NumCol::U32(v, n) => valid(*n, i).then(|| Num::Int(i128::from(v[i]))),
            NumCol::U64(v, n) => valid(*n, i).then(|| Num::Int(i128::from(v[i]))),
            NumCol::F32(v, n) => valid(*n, i).then(|| Num::Float(f64::from(v[i]))),
            NumCol::F64(v, n) => valid(*n, i).then(|| Num::Float(v[i])),
            NumCol::Null => None,
        }
    }
}

/// How raw `i64` values of a timestamp column become milliseconds.
#[derive(Clone, Copy)]
enum Scale {
    Mul(i64),
    Div(i64),
    /// A plain integer column read as milliseconds (refused when it looks like seconds).
    PlainMillis,
}

/// A timestamp column.
enum TsCol<'a> {
    I64(&'a [i64], &'a dyn Array, Scale),
    Days(&'a [i32], &'a dyn Array),
    Text(TextCol<'a>),
    Null,
}

impl<'a> TsCol<'a> {
    fn new(array: &'a dyn Array) -> Option<Self> {
        use arrow_array::types::{
            Date32Type, Date64Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
            TimestampSecondType,
        };
        let raw = |values: &'a [i64], scale| TsCol::I64(values, array, scale);
        match array.data_type() {
            ArrowType::Timestamp(ArrowUnit::Second, _) => {
                array.as_primitive_opt::<TimestampSecondType>().map(|a| raw(a.values(), Scale::Mul(1000)))
            }
            ArrowType::Timestamp(ArrowUnit::Millisecond, _) => {
                array.as_primitive_opt::<TimestampMillisecondType>().map(|a| raw(a.values(), Scale::Mul(1)))
            }
            ArrowType::Timestamp(ArrowUnit::Microsecond, _) => {
                array.as_primitive_opt::<TimestampMicrosecondType>().map(|a| raw(a.values(), Scale::Div(1000)))
            }
            ArrowType::Timestamp(ArrowUnit::Nanosecond, _) => {
                array.as_primitive_opt::<TimestampNanosecondType>().map(|a| raw(a.values(), Scale::Div(1_000_000)))
            }
            ArrowType::Date64 => array.as_primitive_opt::<Date64Type>().map(|a| raw(a.values(), Scale::Mul(1))),
            ArrowType::Int64 => array.as_primitive_opt::<Int64Type>().map(|a| raw(a.values(), Scale::PlainMillis)),
            ArrowType::Date32 => array.as_primitive_opt::<Date32Type>().map(|a| TsCol::Days(a.values(), array)),
            ArrowType::Null => Some(TsCol::Null),
            _ => TextCol::new(array).map(TsCol::Text),
        }
    }

    /// Milliseconds since the epoch at `i`; `Ok(None)` when null. Range checks are the caller's.
    fn get(&self, i: usize, field: &str) -> std::result::Result<Option<i64>, FieldError> {
        let out_of_range = || FieldError::new(ErrorKind::InvalidTimestamp, field, "outside the supported years 1900-2199");
        match self {
            TsCol::I64(v, n, scale) => {
                if !valid(*n, i) {
                    return Ok(None);
                }
                match scale {
                    Scale::PlainMillis if v[i].unsigned_abs() < MIN_INPUT_MILLIS.unsigned_abs() => Err(FieldError::new(
                        ErrorKind::InvalidTimestamp,
                        field,
                        format!("{} looks like seconds since the epoch: integer timestamps are milliseconds", v[i]),
                    )),
                    Scale::PlainMillis => Ok(Some(v[i])),
                    Scale::Mul(m) => v[i].checked_mul(*m).map(Some).ok_or_else(out_of_range),
                    Scale::Div(d) => Ok(Some(v[i].div_euclid(*d))),
                }
            }
            TsCol::Days(v, n) => Ok(valid(*n, i).then(|| i64::from(v[i]) * MS_PER_DAY)),
            TsCol::Text(t) => match t.get(i) {
                None => Ok(None),
                Some(s) => Timestamp::parse(s)
                    .map(|t| Some(t.millis()))
                    .map_err(|e| FieldError::new(ErrorKind::InvalidTimestamp, field, e.to_string())),
            },
            TsCol::Null => Ok(None),
        }
    }

    /// A checked [`Timestamp`] at `i`, for the row-type tables.
    fn timestamp(&self, i: usize, field: &str) -> std::result::Result<Option<Timestamp>, FieldError> {
        match self.get(i, field)? {
            None => Ok(None),
            Some(ms) => Timestamp::from_millis(ms)
                .map(Some)
                .map_err(|_| FieldError::new(ErrorKind::InvalidTimestamp, field, "outside the supported years 1900-2199")),
        }
    }
}

fn bool_col(array: &dyn Array) -> Option<Option<&BooleanArray>> {
    match array.data_type() {
        ArrowType::Boolean => array.as_boolean_opt().map(Some),
        ArrowType::Null => Some(None),
        _ => None,
    }
}

/// A typed extra column (event property or account attribute).
enum ExtraCol<'a> {
    Text(TextCol<'a>),
    Num(NumCol<'a>),
    Bool(&'a BooleanArray),
    /// Dates (attributes only).
    Time(TsCol<'a>),
    Null,
}

impl<'a> ExtraCol<'a> {
    fn new(array: &'a dyn Array, dates: bool) -> Option<Self> {
        let ty = array.data_type();
        if matches!(ty, ArrowType::Null) {
            return Some(ExtraCol::Null);
        }
        if dates && matches!(ty, ArrowType::Timestamp(..) | ArrowType::Date32 | ArrowType::Date64) {
            return TsCol::new(array).map(ExtraCol::Time);
        }
        if let Some(t) = TextCol::new(array) {
            return Some(ExtraCol::Text(t));
        }
        if let Some(n) = NumCol::new(array) {
            return Some(ExtraCol::Num(n));
        }
        if let Some(Some(b)) = bool_col(array) {
            return Some(ExtraCol::Bool(b));
        }
        None
    }
}

/// The column named `name`, if present.
fn column<'a>(batch: &'a RecordBatch, name: &str) -> Option<&'a dyn Array> {
    batch.schema_ref().index_of(name).ok().map(|i| batch.column(i).as_ref())
}

fn text_col<'a>(batch: &'a RecordBatch, what: &str, name: &str, required: bool) -> Result<Option<TextCol<'a>>> {
    match column(batch, name) {
        None if required => Err(missing(what, name, batch.schema_ref())),
        None => Ok(None),
        Some(a) => TextCol::new(a).map(Some).ok_or_else(|| unsupported(what, name, a.data_type(), TEXT_TYPES)),
    }
}

fn ts_col<'a>(batch: &'a RecordBatch, what: &str, name: &str, required: bool) -> Result<Option<TsCol<'a>>> {
    match column(batch, name) {
        None if required => Err(missing(what, name, batch.schema_ref())),
        None => Ok(None),
        Some(a) => TsCol::new(a).map(Some).ok_or_else(|| unsupported(what, name, a.data_type(), TIMESTAMP_TYPES)),
    }
}

fn num_col<'a>(batch: &'a RecordBatch, what: &str, name: &str, required: bool) -> Result<Option<NumCol<'a>>> {
    match column(batch, name) {
        None if required => Err(missing(what, name, batch.schema_ref())),
        None => Ok(None),
        Some(a) => NumCol::new(a).map(Some).ok_or_else(|| unsupported(what, name, a.data_type(), NUMBER_TYPES)),
    }
}

/// Extra columns (not in `fixed`) of a batch, with their readers.
fn extra_cols<'a>(batch: &'a RecordBatch, what: &str, fixed: &[&str], dates: bool) -> Result<Vec<(&'a str, ExtraCol<'a>)>> {
    let mut out = Vec::new();
    for (field, array) in batch.schema_ref().fields().iter().zip(batch.columns()) {
        let name = field.name().as_str();
        if fixed.contains(&name) {
            continue;
        }
        let expected = if dates { "text, number, bool, Timestamp or Date" } else { "text, number or bool" };
        let col = ExtraCol::new(array.as_ref(), dates).ok_or_else(|| unsupported(what, name, array.data_type(), expected))?;
        out.push((name, col));
    }
    Ok(out)
}

/// Rejects columns other than `known` (tables without free-form columns).
fn only_known(batch: &RecordBatch, what: &str, known: &[&str]) -> Result<()> {
    for f in batch.schema_ref().fields() {
        if !known.contains(&f.name().as_str()) {
            return Err(Error::Parse {
                what: format!("{what} Arrow table"),
                reason: format!("unknown column `{}` (expected: {})", f.name(), known.join(", ")),
            });
        }
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------ events

/// The readers of one event batch.
struct EventBatch<'a> {
    account: TextCol<'a>,
    user: Option<TextCol<'a>>,
    timestamp: TsCol<'a>,
    name: TextCol<'a>,
    properties: Vec<(&'a str, ExtraCol<'a>)>,
}

/// Events read in place from record batches: implements the crate's `EventSource`, so the usual
/// validation runs over the Arrow buffers without building an `Event` per row.
pub(crate) struct ArrowEvents<'a> {
    batches: Vec<EventBatch<'a>>,
    /// Global row of each batch's first row, plus the total at the end.
    starts: Vec<usize>,
    /// The batch of the last lookup (rows are read in order, so this almost always hits).
    current: Cell<usize>,
}

const EVENT_COLUMNS: [&str; 4] = ["account_id", "user_id", "timestamp", "name"];

impl<'a> ArrowEvents<'a> {
    /// Checks the schemas and prepares the column readers; errors name the offending column.
    pub(crate) fn new(batches: &'a [RecordBatch]) -> Result<Self> {
        let what = "events";
        unique_columns(batches, what)?;
        let mut out = Vec::with_capacity(batches.len());
        let mut starts = Vec::with_capacity(batches.len() + 1);
        let mut total = 0usize;
        for b in batches {
            let account = text_col(b, what, "account_id", true)?.ok_or_else(|| missing(what, "account_id", b.schema_ref()))?;
            let timestamp = ts_col(b, what, "timestamp", true)?.ok_or_else(|| missing(what, "timestamp", b.schema_ref()))?;
            let name = text_col(b, what, "name", true)?.ok_or_else(|| missing(what, "name", b.schema_ref()))?;
            let user = text_col(b, what, "user_id", false)?;
            let properties = extra_cols(b, what, &EVENT_COLUMNS, false)?;
            starts.push(total);
            total += b.num_rows();
            out.push(EventBatch { account, user, timestamp, name, properties });
        }
        starts.push(total);
        Ok(ArrowEvents { batches: out, starts, current: Cell::new(0) })
    }

    /// The batch holding global row `i` and the row within it.
    fn locate(&self, i: usize) -> (&EventBatch<'a>, usize) {
        let mut b = self.current.get();
        if !(self.starts[b] <= i && i < self.starts[b + 1]) {
            // The last start <= i; empty batches share their start with the next one.
            b = self.starts.partition_point(|&s| s <= i).saturating_sub(1).min(self.batches.len().saturating_sub(1));
            while b + 1 < self.batches.len() && self.starts[b + 1] <= i {
                b += 1;
            }
            self.current.set(b);
        }
        (&self.batches[b], i - self.starts[b])
    }
}

fn required_text<'a>(col: &TextCol<'a>, i: usize, field: &str) -> std::result::Result<&'a str, FieldError> {
    col.get(i).ok_or_else(|| FieldError::new(ErrorKind::InvalidEvent, field, "is required"))
}

impl EventSource for ArrowEvents<'_> {
    fn len(&self) -> usize {
        self.starts.last().copied().unwrap_or(0)
    }

    fn account_id(&self, i: usize) -> std::result::Result<&str, FieldError> {
        let (b, r) = self.locate(i);
        required_text(&b.account, r, "account_id")
    }

    fn user_id(&self, i: usize) -> std::result::Result<Option<&str>, FieldError> {
        let (b, r) = self.locate(i);
        Ok(b.user.as_ref().and_then(|u| u.get(r)))
    }

    fn timestamp_ms(&self, i: usize) -> std::result::Result<i64, FieldError> {
        let (b, r) = self.locate(i);
        b.timestamp.get(r, "timestamp")?.ok_or_else(|| FieldError::new(ErrorKind::InvalidEvent, "timestamp", "is required"))
    }

    fn name(&self, i: usize) -> std::result::Result<&str, FieldError> {
        let (b, r) = self.locate(i);
        required_text(&b.name, r, "name")
    }

    fn properties(&self, i: usize, out: &mut dyn FnMut(&str, PropRef<'_>)) -> std::result::Result<(), FieldError> {
        let (b, r) = self.locate(i);
        for (key, col) in &b.properties {
            match col {
                ExtraCol::Text(t) => {
                    if let Some(s) = t.get(r) {
                        out(key, PropRef::Str(s));
                    }
                }
                ExtraCol::Num(n) => {
                    if let Some(x) = n.get(r) {
                        let x =
                            x.exact().map_err(|m| FieldError::new(ErrorKind::InvalidEvent, format!("properties.{key}"), m))?;
                        out(key, PropRef::Number(x));
                    }
                }
                ExtraCol::Bool(a) => {
                    if a.is_valid(r) {
                        out(key, PropRef::Bool(a.value(r)));
                    }
                }
                ExtraCol::Time(_) | ExtraCol::Null => {}
            }
        }
        Ok(())
    }
}

// ------------------------------------------------------------------------------------------ accounts, users, subscriptions

fn row_error(e: FieldError, entity: Entity, row: usize) -> Error {
    e.into_error(entity, row)
}

fn required<T>(value: Option<T>, kind: ErrorKind, field: &str) -> std::result::Result<T, FieldError> {
    value.ok_or_else(|| FieldError::new(kind, field, "is required"))
}

fn whole<T: TryFrom<i128>>(n: Num, kind: ErrorKind, field: &str, range: &str) -> std::result::Result<T, FieldError> {
    n.as_int()
        .and_then(|i| T::try_from(i).ok())
        .ok_or_else(|| FieldError::new(kind, field, format!("{} is not a whole number in {range}", n.as_f64())))
}

/// Accounts from record batches (rows numbered across batches).
pub fn accounts_from_arrow(batches: &[RecordBatch]) -> Result<Vec<Account>> {
    const FIXED: [&str; 6] = ["id", "name", "created_at", "owner", "parent_id", "seats"];
    let (what, entity, k) = ("accounts", Entity::Account, ErrorKind::InvalidAccount);
    unique_columns(batches, "accounts")?;
    let mut out = Vec::with_capacity(batches.iter().map(RecordBatch::num_rows).sum());
    for b in batches {
        let id = text_col(b, what, "id", true)?;
        let created = ts_col(b, what, "created_at", true)?;
        let name = text_col(b, what, "name", false)?;
        let owner = text_col(b, what, "owner", false)?;
        let parent = text_col(b, what, "parent_id", false)?;
        let seats = num_col(b, what, "seats", false)?;
        let extra = extra_cols(b, what, &FIXED, true)?;
        let base = out.len();
        for r in 0..b.num_rows() {
            let row = (|| {
                let mut acc = Account::new(
                    required(id.as_ref().and_then(|c| c.get(r)), k, "id")?,
                    name.as_ref().and_then(|c| c.get(r)).unwrap_or(""),
                    required(created.as_ref().map(|c| c.timestamp(r, "created_at")).transpose()?.flatten(), k, "created_at")?,
                );
                acc.owner = owner.as_ref().and_then(|c| c.get(r)).map(str::to_string);
                acc.parent_id = parent.as_ref().and_then(|c| c.get(r)).map(str::to_string);
                if let Some(s) = seats.as_ref().and_then(|c| c.get(r)) {
                    acc.seats = Some(whole::<u32>(s, k, "seats", "0..=4294967295")?);
                }
                for (n, col) in &extra {
                    let value = match col {
                        ExtraCol::Text(t) => t.get(r).map(|s| AttributeValue::String(s.to_string())),
                        ExtraCol::Num(c) => match c.get(r) {
                            Some(x) => Some(AttributeValue::Number(
                                x.exact().map_err(|m| FieldError::new(k, format!("attributes.{n}"), m))?,
                            )),
                            None => None,
                        },
                        ExtraCol::Bool(a) => a.is_valid(r).then(|| AttributeValue::Bool(a.value(r))),
                        ExtraCol::Time(t) => {
                            t.timestamp(r, &format!("attributes.{n}"))?.map(|date| AttributeValue::Date { date })
                        }
                        ExtraCol::Null => None,
                    };
                    if let Some(v) = value {
                        acc.attributes.insert((*n).to_string(), v);
                    }
                }
                Ok(acc)
            })();
            out.push(row.map_err(|e| row_error(e, entity, base + r))?);
        }
    }
    Ok(out)
}

/// Users from record batches (rows numbered across batches).
pub fn users_from_arrow(batches: &[RecordBatch]) -> Result<Vec<User>> {
    const KNOWN: [&str; 5] = ["id", "account_id", "role", "created_at", "deactivated_at"];
    let (what, entity, k) = ("users", Entity::User, ErrorKind::InvalidUser);
    unique_columns(batches, "users")?;
    let mut out = Vec::with_capacity(batches.iter().map(RecordBatch::num_rows).sum());
    for b in batches {
        only_known(b, what, &KNOWN)?;
        let id = text_col(b, what, "id", true)?;
        let account = text_col(b, what, "account_id", true)?;
        let created = ts_col(b, what, "created_at", true)?;
        let role = text_col(b, what, "role", false)?;
        let deactivated = ts_col(b, what, "deactivated_at", false)?;
        let base = out.len();
        for r in 0..b.num_rows() {
            let row = (|| {
                let role = match role.as_ref().and_then(|c| c.get(r)) {
                    None => Role::Member,
                    Some(s) => Role::parse(s).map_err(|m| FieldError::new(k, "role", m))?,
                };
                Ok(User {
                    id: required(id.as_ref().and_then(|c| c.get(r)), k, "id")?.to_string(),
                    account_id: required(account.as_ref().and_then(|c| c.get(r)), k, "account_id")?.to_string(),
                    role,
                    created_at: required(
                        created.as_ref().map(|c| c.timestamp(r, "created_at")).transpose()?.flatten(),
                        k,
                        "created_at",
                    )?,
                    deactivated_at: deactivated.as_ref().map(|c| c.timestamp(r, "deactivated_at")).transpose()?.flatten(),
                })
            })();
            out.push(row.map_err(|e| row_error(e, entity, base + r))?);
        }
    }
    Ok(out)
}

/// Subscriptions from record batches: columns as in the CSV layout (rows numbered across batches).
pub fn subscriptions_from_arrow(batches: &[RecordBatch]) -> Result<Vec<Subscription>> {
    const KNOWN: [&str; 8] = ["account_id", "plan", "start", "end", "mrr_minor", "currency", "quantity", "status"];
    let (what, entity, k) = ("subscriptions", Entity::Subscription, ErrorKind::InvalidSubscription);
    unique_columns(batches, "subscriptions")?;
    let mut out = Vec::with_capacity(batches.iter().map(RecordBatch::num_rows).sum());
    for b in batches {
        only_known(b, what, &KNOWN)?;
        let account = text_col(b, what, "account_id", true)?;
        let plan = text_col(b, what, "plan", true)?;
        let start = ts_col(b, what, "start", true)?;
        let end = ts_col(b, what, "end", false)?;
        let mrr = num_col(b, what, "mrr_minor", true)?;
        let currency = text_col(b, what, "currency", true)?;
        let quantity = num_col(b, what, "quantity", false)?;
        let status = text_col(b, what, "status", false)?;
        let base = out.len();
        for r in 0..b.num_rows() {
            let row = (|| {
                let minor = required(mrr.as_ref().and_then(|c| c.get(r)), k, "mrr_minor")?;
                let status = match status.as_ref().and_then(|c| c.get(r)) {
                    None => SubscriptionStatus::Active,
                    Some(s) => SubscriptionStatus::parse(s).map_err(|m| FieldError::new(k, "status", m))?,
                };
                let quantity = match quantity.as_ref().and_then(|c| c.get(r)) {
                    None => 1,
                    Some(q) => whole::<u32>(q, k, "quantity", "0..=4294967295")?,
                };
                Ok(Subscription {
                    account_id: required(account.as_ref().and_then(|c| c.get(r)), k, "account_id")?.to_string(),
                    plan: required(plan.as_ref().and_then(|c| c.get(r)), k, "plan")?.to_string(),
                    start: required(start.as_ref().map(|c| c.timestamp(r, "start")).transpose()?.flatten(), k, "start")?,
                    end: end.as_ref().map(|c| c.timestamp(r, "end")).transpose()?.flatten(),
                    mrr: Money::new(
                        whole::<i64>(minor, k, "mrr_minor", "the 64-bit integer range")?,
                        required(currency.as_ref().and_then(|c| c.get(r)), k, "currency")?,
                    ),
                    quantity,
                    status,
                })
            })();
            out.push(row.map_err(|e| row_error(e, entity, base + r))?);
        }
    }
    Ok(out)
}

/// Snapshot columns from record batches (a table the caller brings, to add with
/// [`Snapshot::add_columns`]): an `account_id` text column, if present, keys the rows; every
/// other column becomes a snapshot column — integer types → int, float types → float (NaN =
/// missing), `Boolean` → bool, text (any layout, dictionaries included) → str, `Timestamp` /
/// `Date32` / `Date64` → timestamp, `Null` → an all-missing float column.
///
/// # Errors
/// `parse_error` naming the column for any other type or an unsigned value beyond `i64`;
/// `invalid_timestamp` for an instant outside the supported years; `invalid_argument` when the
/// batches disagree on their columns or an account id is null.
pub fn columns_from_arrow(batches: &[RecordBatch]) -> Result<AccountColumns> {
    unique_columns(batches, "source")?;
    let Some(first) = batches.first() else {
        return Ok(AccountColumns::by_row(Vec::new()));
    };
    let schema = first.schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let has_ids = names.contains(&"account_id");
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let mut ids: Vec<String> = Vec::with_capacity(if has_ids { rows } else { 0 });
    let mut columns: Vec<Option<ColumnData>> = vec![None; names.len()];
    let mut base = 0usize;
    for batch in batches {
        let here: Vec<&str> = batch.schema_ref().fields().iter().map(|f| f.name().as_str()).collect();
        if here != names {
            return Err(Error::argument("columns", "every record batch must have the same columns"));
        }
        for (k, name) in names.iter().enumerate() {
            let array = batch.column(k).as_ref();
            if *name == "account_id" {
                let text = TextCol::new(array).ok_or_else(|| unsupported("columns", name, array.data_type(), TEXT_TYPES))?;
                for i in 0..batch.num_rows() {
                    let id = text
                        .get(i)
                        .ok_or_else(|| Error::argument("account_id", format!("row {} has no account id", base + i)))?;
                    ids.push(id.to_string());
                }
                continue;
            }
            let col = ExtraCol::new(array, true)
                .ok_or_else(|| unsupported("columns", name, array.data_type(), "a number, bool, text or timestamp type"))?;
            let integer = array.data_type().is_integer();
            let slot = &mut columns[k];
            let n = batch.num_rows();
            let out_of_range = |i: usize| Error::Parse {
                what: "columns Arrow table".into(),
                reason: format!("column `{name}` row {}: value beyond the 64-bit integer range", base + i),
            };
            match col {
                ExtraCol::Num(c) if integer => {
                    let data = slot.get_or_insert_with(|| ColumnData::Int(Vec::with_capacity(rows)));
                    let ColumnData::Int(v) = data else { return Err(mixed_batches(name)) };
                    for i in 0..n {
                        v.push(match c.get(i) {
                            None => None,
                            Some(x) => Some(x.as_int().and_then(|x| i64::try_from(x).ok()).ok_or_else(|| out_of_range(i))?),
                        });
                    }
                }
                ExtraCol::Num(c) => {
                    let data = slot.get_or_insert_with(|| ColumnData::Float(Vec::with_capacity(rows)));
                    let ColumnData::Float(v) = data else { return Err(mixed_batches(name)) };
                    v.extend((0..n).map(|i| c.get(i).map(Num::as_f64).filter(|x| !x.is_nan())));
                }
                ExtraCol::Null => {
                    let data = slot.get_or_insert_with(|| ColumnData::Float(Vec::with_capacity(rows)));
                    let ColumnData::Float(v) = data else { return Err(mixed_batches(name)) };
                    v.extend(std::iter::repeat_n(None, n));
                }
                ExtraCol::Bool(b) => {
                    let data = slot.get_or_insert_with(|| ColumnData::Bool(Vec::with_capacity(rows)));
                    let ColumnData::Bool(v) = data else { return Err(mixed_batches(name)) };
                    v.extend((0..n).map(|i| b.is_valid(i).then(|| b.value(i))));
                }
                ExtraCol::Text(t) => {
                    let data = slot.get_or_insert_with(|| ColumnData::Str(Vec::with_capacity(rows)));
                    let ColumnData::Str(v) = data else { return Err(mixed_batches(name)) };
                    v.extend((0..n).map(|i| t.get(i).map(str::to_string)));
                }
                ExtraCol::Time(t) => {
                    let data = slot.get_or_insert_with(|| ColumnData::Timestamp(Vec::with_capacity(rows)));
                    let ColumnData::Timestamp(v) = data else { return Err(mixed_batches(name)) };
                    for i in 0..n {
                        v.push(t.timestamp(i, name).map_err(|e| Error::Argument {
                            kind: e.kind,
                            name: e.field,
                            reason: format!("row {}: {}", base + i, e.reason),
                        })?);
                    }
                }
            }
        }
        base += batch.num_rows();
    }
    let columns = names.iter().zip(columns).filter_map(|(name, data)| data.map(|d| Column::new(*name, d))).collect();
    Ok(AccountColumns { account_ids: has_ids.then_some(ids), columns })
}

/// A table must not name a column twice (the reader would silently use the first).
fn unique_columns(batches: &[RecordBatch], what: &str) -> Result<()> {
    for b in batches {
        let mut seen = std::collections::HashSet::new();
        for f in b.schema_ref().fields() {
            if !seen.insert(f.name().as_str()) {
                return Err(Error::argument(what, format!("the table has two columns named `{}`", f.name())));
            }
        }
    }
    Ok(())
}

fn mixed_batches(name: &str) -> Error {
    Error::argument(name, "has different types in different record batches")
}

impl Dataset {
    /// Adds events read in place from record batches (see the [module docs](self) for the
    /// columns). The batches form one ingestion batch: all-or-nothing in strict mode, and row
    /// numbers in errors and reports count across batches.
    pub fn add_events_arrow(&mut self, batches: &[RecordBatch], options: &IngestOptions) -> Result<IngestReport> {
        let source = ArrowEvents::new(batches)?;
        self.add_event_source(&source, options)
    }

    /// Adds accounts from record batches, as one batch.
    pub fn add_accounts_arrow(&mut self, batches: &[RecordBatch], options: &IngestOptions) -> Result<IngestReport> {
        self.add_accounts(&accounts_from_arrow(batches)?, options)
    }

    /// Adds users from record batches, as one batch.
    pub fn add_users_arrow(&mut self, batches: &[RecordBatch], options: &IngestOptions) -> Result<IngestReport> {
        self.add_users(&users_from_arrow(batches)?, options)
    }

    /// Adds subscriptions from record batches, as one batch.
    pub fn add_subscriptions_arrow(&mut self, batches: &[RecordBatch], options: &IngestOptions) -> Result<IngestReport> {
        self.add_subscriptions(&subscriptions_from_arrow(batches)?, options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{DuplicatePolicy, Event, IngestMode};
    use arrow_array::{
        Date32Array, DictionaryArray, Float32Array, Int32Array, NullArray, StringViewArray, TimestampMicrosecondArray,
        TimestampSecondArray, UInt64Array,
    };

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
        RecordBatch::try_from_iter(columns).unwrap_or_else(|e| panic!("{e}"))
    }

    fn base() -> Dataset {
        let opts = IngestOptions::default();
        let mut ds = Dataset::new();
        let accounts =
            vec![Account::new("a1", "One", ts("2023-01-01")).with_seats(10), Account::new("a2", "Two", ts("2023-06-01"))];
        ds.add_accounts(&accounts, &opts).unwrap_or_else(|e| panic!("{e}"));
        let users = vec![
            User::new("u1", "a1", Role::Champion, ts("2023-01-02")),
            User::new("u2", "a1", Role::Member, ts("2023-01-02")),
            User::new("u3", "a2", Role::Admin, ts("2023-06-02")),
        ];
        ds.add_users(&users, &opts).unwrap_or_else(|e| panic!("{e}"));
        ds
    }

    fn opts() -> IngestOptions {
        IngestOptions::default().with_now(ts("2024-06-01"))
    }

    fn ms(s: &str) -> i64 {
        ts(s).millis()
    }

    fn events_batch() -> RecordBatch {
        batch(vec![
            ("account_id", Arc::new(StringArray::from(vec!["a1", "a1", "a2", "a1"])) as ArrayRef),
            ("user_id", Arc::new(StringArray::from(vec![Some("u1"), Some("u2"), None, Some("u1")]))),
            (
                "timestamp",
                Arc::new(
                    TimestampMillisecondArray::from(vec![
                        ms("2024-03-01T10:00:00Z"),
                        ms("2024-02-28T10:00:00Z"),
                        ms("2024-02-29T10:00:00Z"),
                        ms("2024-02-20T10:00:00Z"),
                    ])
                    .with_timezone("UTC"),
                ),
            ),
            ("name", Arc::new(StringArray::from(vec!["login", "feature_used", "touch", "feature_used"]))),
            ("feature", Arc::new(StringArray::from(vec![None, Some("reports"), None, Some("alerts")]))),
            ("score", Arc::new(Float64Array::from(vec![None, Some(1.5), None, None]))),
            ("flag", Arc::new(BooleanArray::from(vec![Some(true), None, None, None]))),
        ])
    }

    #[test]
    fn events_match_the_row_path() {
        let b = events_batch();
        let mut via_arrow = base();
        let rep = via_arrow.add_events_arrow(std::slice::from_ref(&b), &opts()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rep.accepted, 4);
        let rows = vec![
            Event::new("a1", Some("u1"), ts("2024-03-01T10:00:00Z"), "login").with_property("flag", PropRef::Bool(true)),
            Event::new("a1", Some("u2"), ts("2024-02-28T10:00:00Z"), "feature_used")
                .with_property("feature", "reports")
                .with_property("score", 1.5),
            Event::new("a2", None, ts("2024-02-29T10:00:00Z"), "touch"),
            Event::new("a1", Some("u1"), ts("2024-02-20T10:00:00Z"), "feature_used").with_property("feature", "alerts"),
        ];
        let mut via_rows = base();
        via_rows.add_events(&rows, &opts()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(via_arrow.events(), via_rows.events());
        let as_of = ts("2024-03-02");
        assert_eq!(via_arrow.snapshot(as_of).ok(), via_rows.snapshot(as_of).ok());
    }

    impl From<PropRef<'_>> for crate::data::PropertyValue {
        fn from(p: PropRef<'_>) -> Self {
            match p {
                PropRef::Bool(b) => crate::data::PropertyValue::Bool(b),
                PropRef::Number(x) => crate::data::PropertyValue::Number(x),
                PropRef::Str(s) => crate::data::PropertyValue::String(s.to_string()),
            }
        }
    }

    #[test]
    fn other_layouts_read_the_same() {
        let b = events_batch();
        let mut expected = base();
        expected.add_events_arrow(std::slice::from_ref(&b), &opts()).unwrap_or_else(|e| panic!("{e}"));
        // Views, dictionaries, microseconds, two batches (one empty).
        let keys = Int32Array::from(vec![0, 0, 1, 0]);
        let dict = DictionaryArray::<Int32Type>::try_new(keys, Arc::new(StringArray::from(vec!["a1", "a2"])))
            .unwrap_or_else(|e| panic!("{e}"));
        let micros: Vec<i64> = ["2024-03-01T10:00:00Z", "2024-02-28T10:00:00Z", "2024-02-29T10:00:00Z", "2024-02-20T10:00:00Z"]
            .iter()
            .map(|s| ms(s) * 1000)
            .collect();
        let other = batch(vec![
            ("account_id", Arc::new(dict) as ArrayRef),
            ("user_id", Arc::new(StringViewArray::from(vec![Some("u1"), Some("u2"), None, Some("u1")]))),
            ("timestamp", Arc::new(TimestampMicrosecondArray::from(micros).with_timezone("Europe/Paris"))),
            ("name", Arc::new(StringViewArray::from(vec!["login", "feature_used", "touch", "feature_used"]))),
            ("feature", Arc::new(LargeStringArray::from(vec![None, Some("reports"), None, Some("alerts")]))),
            ("score", Arc::new(Float32Array::from(vec![None, Some(1.5), None, None]))),
            ("flag", Arc::new(BooleanArray::from(vec![Some(true), None, None, None]))),
            ("nothing", Arc::new(NullArray::new(4))),
        ]);
        let (first, second) = (other.slice(0, 2), other.slice(2, 2));
        let empty = other.slice(0, 0);
        let mut ds = base();
        let rep = ds.add_events_arrow(&[first, empty, second], &opts()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rep.accepted, 4);
        assert_eq!(ds.events(), expected.events());
    }

    #[test]
    fn timestamp_forms() {
        let want = ms("2024-02-01");
        let days = (want / MS_PER_DAY) as i32;
        let cols: Vec<ArrayRef> = vec![
            Arc::new(TimestampSecondArray::from(vec![want / 1000])),
            Arc::new(Date32Array::from(vec![days])),
            Arc::new(Int64Array::from(vec![want])),
            Arc::new(StringArray::from(vec!["2024-02-01T00:00:00Z"])),
        ];
        for c in cols {
            let b = batch(vec![
                ("account_id", Arc::new(StringArray::from(vec!["a1"])) as ArrayRef),
                ("timestamp", c),
                ("name", Arc::new(StringArray::from(vec!["login"]))),
            ]);
            let mut ds = base();
            ds.add_events_arrow(&[b], &opts()).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(ds.events()[0].timestamp.millis(), want);
        }
    }

    #[test]
    fn bad_input_is_an_error_and_leaves_the_dataset_unchanged() {
        let mut ds = base();
        ds.add_events_arrow(&[events_batch()], &opts()).unwrap_or_else(|e| panic!("{e}"));
        let before = ds.events();
        let check = |ds: &mut Dataset, b: RecordBatch, code: &str| {
            let err = ds.add_events_arrow(&[b], &opts()).err().unwrap_or_else(|| panic!("expected {code}"));
            assert_eq!(err.code(), code, "{err}");
        };
        // Unsupported property type.
        let b = events_batch();
        let mut cols: Vec<(&str, ArrayRef)> = vec![];
        let schema = b.schema();
        for (f, c) in schema.fields().iter().zip(b.columns()) {
            cols.push((f.name().as_str(), c.clone()));
        }
        let date = Arc::new(Date32Array::from(vec![1, 2, 3, 4])) as ArrayRef;
        let mut with_date = cols.clone();
        with_date.push(("when", date));
        let err = ds.add_events_arrow(&[batch(with_date)], &opts()).err();
        assert!(matches!(&err, Some(Error::Parse { reason, .. }) if reason.contains("`when`")), "{err:?}");
        // Missing column.
        let err = ds.add_events_arrow(&[batch(cols[..3].to_vec())], &opts()).err();
        assert!(matches!(&err, Some(Error::Parse { reason, .. }) if reason.contains("`name`")), "{err:?}");
        // Unknown account in the second batch: the first batch is not kept either.
        let bad = batch(vec![
            ("account_id", Arc::new(StringArray::from(vec!["zz"])) as ArrayRef),
            ("timestamp", Arc::new(Int64Array::from(vec![ms("2024-01-01")]))),
            ("name", Arc::new(StringArray::from(vec!["login"]))),
        ]);
        let good = batch(vec![
            ("account_id", Arc::new(StringArray::from(vec!["a2"])) as ArrayRef),
            ("timestamp", Arc::new(Int64Array::from(vec![ms("2024-01-05")]))),
            ("name", Arc::new(StringArray::from(vec!["login"]))),
        ]);
        let err = ds.add_events_arrow(&[good.clone(), bad.clone()], &opts()).err();
        assert!(matches!(&err, Some(Error::Row { row: 1, kind: ErrorKind::UnknownAccount, .. })), "{err:?}");
        // Lenient: the good batch goes in, the bad row comes back with its global number.
        let mut lenient = ds.clone();
        let rep =
            lenient.add_events_arrow(&[good, bad], &opts().with_mode(IngestMode::Lenient)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((rep.accepted, rep.rejected.len(), rep.rejected[0].row), (1, 1, 1));
        // Null required field, NaN property, year 3000, future, duplicate (reject).
        let one = |acc: Option<&str>, t: i64, score: f64| {
            batch(vec![
                ("account_id", Arc::new(StringArray::from(vec![acc])) as ArrayRef),
                ("timestamp", Arc::new(Int64Array::from(vec![t]))),
                ("name", Arc::new(StringArray::from(vec!["login"]))),
                ("score", Arc::new(Float64Array::from(vec![score]))),
            ])
        };
        check(&mut ds, one(None, ms("2024-01-01"), 1.0), "invalid_event");
        check(&mut ds, one(Some("a1"), ms("2024-01-01"), f64::NAN), "invalid_event");
        check(&mut ds, one(Some("a1"), 32_503_680_000_000, 1.0), "invalid_timestamp");
        check(&mut ds, one(Some("a1"), ms("2025-01-01"), 1.0), "future_timestamp");
        let huge = batch(vec![
            ("account_id", Arc::new(StringArray::from(vec!["a1"])) as ArrayRef),
            ("timestamp", Arc::new(TimestampSecondArray::from(vec![i64::MAX]))),
            ("name", Arc::new(StringArray::from(vec!["login"]))),
        ]);
        check(&mut ds, huge, "invalid_timestamp");
        let reject = opts().with_duplicates(DuplicatePolicy::Reject);
        let err = ds.add_events_arrow(&[events_batch()], &reject).err();
        assert_eq!(err.map(|e| e.code()), Some("duplicate_event"));
        assert_eq!(ds.events(), before);
        let rep = ds.add_events_arrow(&[events_batch()], &opts()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((rep.accepted, rep.duplicates_dropped), (0, 4));
        assert_eq!(ds.events(), before);
    }

    #[test]
    fn accounts_users_subscriptions() {
        let accounts = batch(vec![
            ("id", Arc::new(StringArray::from(vec!["p", "c"])) as ArrayRef),
            ("name", Arc::new(StringArray::from(vec![Some("Parent"), None]))),
            ("created_at", Arc::new(StringArray::from(vec!["2023-01-01", "2023-02-01"]))),
            ("parent_id", Arc::new(StringArray::from(vec![None, Some("p")]))),
            ("seats", Arc::new(Float64Array::from(vec![Some(5.0), None]))),
            ("region", Arc::new(StringArray::from(vec![Some("EMEA"), None]))),
            ("employees", Arc::new(UInt64Array::from(vec![Some(40), Some(3)]))),
            ("renews", Arc::new(Date32Array::from(vec![Some(19_800), None]))),
        ]);
        let mut ds = Dataset::new();
        let o = opts();
        assert_eq!(ds.add_accounts_arrow(&[accounts], &o).map(|r| r.accepted).ok(), Some(2));
        let p = ds.account("p").cloned().unwrap_or_else(|| panic!("p"));
        assert_eq!(p.seats, Some(5));
        assert_eq!(p.attributes.get("employees"), Some(&AttributeValue::Number(40.0)));
        assert!(matches!(p.attributes.get("renews"), Some(AttributeValue::Date { .. })));
        assert_eq!(ds.account("c").map(|c| c.name.as_str()), Some(""));

        let users = batch(vec![
            ("id", Arc::new(StringArray::from(vec!["u1"])) as ArrayRef),
            ("account_id", Arc::new(StringArray::from(vec!["c"]))),
            ("role", Arc::new(StringArray::from(vec!["champion"]))),
            ("created_at", Arc::new(Int64Array::from(vec![ms("2023-03-01")]))),
        ]);
        assert_eq!(ds.add_users_arrow(&[users], &o).map(|r| r.accepted).ok(), Some(1));
        let subs = batch(vec![
            ("account_id", Arc::new(StringArray::from(vec!["p"])) as ArrayRef),
            ("plan", Arc::new(StringArray::from(vec!["growth"]))),
            ("start", Arc::new(StringArray::from(vec!["2023-01-01"]))),
            ("mrr_minor", Arc::new(Int64Array::from(vec![120_000]))),
            ("currency", Arc::new(StringArray::from(vec!["EUR"]))),
        ]);
        assert_eq!(ds.add_subscriptions_arrow(&[subs], &o).map(|r| r.accepted).ok(), Some(1));
        assert_eq!(ds.subscriptions()[0].quantity, 1);
        assert_eq!(ds.currency(), Some("EUR"));

        // Errors: seats beyond u32, mrr beyond 10^15, unknown column, bad role.
        let seats = batch(vec![
            ("id", Arc::new(StringArray::from(vec!["x"])) as ArrayRef),
            ("created_at", Arc::new(StringArray::from(vec!["2023-01-01"]))),
            ("seats", Arc::new(Int64Array::from(vec![5_000_000_000]))),
        ]);
        let err = ds.add_accounts_arrow(&[seats], &o).err();
        assert!(matches!(&err, Some(Error::Row { kind: ErrorKind::InvalidAccount, field, .. }) if field == "seats"), "{err:?}");
        let subs = batch(vec![
            ("account_id", Arc::new(StringArray::from(vec!["p"])) as ArrayRef),
            ("plan", Arc::new(StringArray::from(vec!["growth"]))),
            ("start", Arc::new(StringArray::from(vec!["2023-01-01"]))),
            ("mrr_minor", Arc::new(Int64Array::from(vec![2_000_000_000_000_000]))),
            ("currency", Arc::new(StringArray::from(vec!["EUR"]))),
        ]);
        assert_eq!(ds.add_subscriptions_arrow(&[subs], &o).err().map(|e| e.code()), Some("invalid_subscription"));
        let users = batch(vec![
            ("id", Arc::new(StringArray::from(vec!["u2"])) as ArrayRef),
            ("account_id", Arc::new(StringArray::from(vec!["c"]))),
            ("created_at", Arc::new(StringArray::from(vec!["2023-03-01"]))),
            ("deactivated", Arc::new(StringArray::from(vec!["2023-03-01"]))),
        ]);
        assert_eq!(ds.add_users_arrow(&[users], &o).err().map(|e| e.code()), Some("parse_error"));
        let users = batch(vec![
            ("id", Arc::new(StringArray::from(vec!["u2"])) as ArrayRef),
            ("account_id", Arc::new(StringArray::from(vec!["c"]))),
            ("created_at", Arc::new(StringArray::from(vec!["3000-03-01"]))),
        ]);
        assert_eq!(ds.add_users_arrow(&[users], &o).err().map(|e| e.code()), Some("invalid_timestamp"));
        assert_eq!((ds.account_count(), ds.user_count(), ds.subscription_count()), (2, 1, 1));
    }

    #[test]
    fn snapshot_round_trip() {
        let mut ds = base();
        ds.add_events_arrow(&[events_batch()], &opts()).unwrap_or_else(|e| panic!("{e}"));
        let snap = ds.snapshot(ts("2024-03-02")).unwrap_or_else(|e| panic!("{e}"));
        let b = snap.to_arrow().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(b.num_rows(), snap.len());
        assert_eq!(b.num_columns(), snap.columns().len() + 1);
        assert_eq!(b.schema().field(0).name(), "account_id");
        let created = b.column_by_name("created_at").map(|c| c.data_type().clone());
        assert_eq!(created, Some(ArrowType::Timestamp(ArrowUnit::Millisecond, Some("UTC".into()))));
        let mau = b.column_by_name("mau").and_then(|c| c.as_primitive_opt::<Int64Type>().map(|a| a.value(0)));
        assert_eq!(mau, snap.value("a1", "mau").ok().and_then(|v| v.as_f64()).map(|x| x as i64));
        let stick = b.column_by_name("days_to_renewal").map(|c| c.null_count());
        assert_eq!(stick, Some(snap.len()));
    }
}
