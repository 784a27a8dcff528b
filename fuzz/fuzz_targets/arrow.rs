//! The Arrow readers on arbitrary record batches: column names drawn from the ones the readers
//! know (repeats included) and a few others, every Arrow type they accept and some they refuse,
//! nulls anywhere, extreme values, one or two batches with the same or different schemas. Each
//! table goes to every reader (accounts, users, subscriptions, columns, and events ingested into
//! a small dataset, strict and lenient). Never a panic; a rejected strict batch leaves the
//! dataset as it was.
#![no_main]

use std::sync::Arc;

use arrow_array::builder::StringDictionaryBuilder;
use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BinaryArray, BooleanArray, Date32Array, Date64Array, Float32Array, Float64Array, Int16Array, Int32Array,
    Int64Array, Int8Array, LargeStringArray, NullArray, RecordBatch, StringArray, StringViewArray, TimestampMicrosecondArray,
    TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray, UInt64Array, UInt8Array,
};
use arrow_schema::{Field, Schema};
use custfit::io::arrow::{accounts_from_arrow, columns_from_arrow, subscriptions_from_arrow, users_from_arrow};
use custfit::{IngestMode, IngestOptions};
use libfuzzer_sys::arbitrary::{Arbitrary, Result as ArbResult, Unstructured};
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 24] = [
    "id", "account_id", "name", "created_at", "owner", "parent_id", "seats", "role", "deactivated_at", "user_id", "plan",
    "start", "end", "mrr", "mrr_minor", "currency", "quantity", "status", "timestamp", "properties", "x", "plan_tier",
    "é", "",
];

fn text(u: &mut Unstructured<'_>) -> ArbResult<Option<String>> {
    Ok(match u.int_in_range(0..=9)? {
        0 => None,
        1 => Some(String::new()),
        2..=5 => Some((*u.choose(&["a", "b", "é", "login", "pro", "USD", "owner", "active", "2024-01-05", "1e3"])?).to_string()),
        _ => Some(String::arbitrary(u)?),
    })
}

fn int(u: &mut Unstructured<'_>) -> ArbResult<Option<i64>> {
    Ok(match u.int_in_range(0..=7)? {
        0 => None,
        1 => Some(*u.choose(&[i64::MIN, i64::MAX, 0, -1, 1 << 53, (1 << 53) + 1, 1_704_067_200_000, 1_704_067_200])?),
        _ => Some(i64::arbitrary(u)? % 2_000_000_000_000_000),
    })
}

fn float(u: &mut Unstructured<'_>) -> ArbResult<Option<f64>> {
    Ok(match u.int_in_range(0..=7)? {
        0 => None,
        1 => Some(*u.choose(&[f64::NAN, f64::INFINITY, -f64::INFINITY, -0.0, 1e308, f64::MIN_POSITIVE, 4.5e15])?),
        _ => Some(f64::arbitrary(u)?),
    })
}

/// One column of `rows` values of an arbitrary type.
fn column(u: &mut Unstructured<'_>, rows: usize) -> ArbResult<ArrayRef> {
    let texts = |u: &mut Unstructured<'_>| (0..rows).map(|_| text(u)).collect::<ArbResult<Vec<_>>>();
    let ints = |u: &mut Unstructured<'_>| (0..rows).map(|_| int(u)).collect::<ArbResult<Vec<_>>>();
    let floats = |u: &mut Unstructured<'_>| (0..rows).map(|_| float(u)).collect::<ArbResult<Vec<_>>>();
    let tz = || Some(Arc::<str>::from("UTC"));
    Ok(match u.int_in_range(0..=20)? {
        0 => Arc::new(StringArray::from(texts(u)?)),
        1 => Arc::new(LargeStringArray::from(texts(u)?)),
        2 => Arc::new(StringViewArray::from(texts(u)?)),
        3 => {
            let mut b = StringDictionaryBuilder::<Int32Type>::new();
            for t in texts(u)? {
                b.append_option(t);
            }
            Arc::new(b.finish())
        }
        4 => Arc::new(Int64Array::from(ints(u)?)),
        5 => Arc::new(Int32Array::from(ints(u)?.into_iter().map(|v| v.map(|x| x as i32)).collect::<Vec<_>>())),
        6 => Arc::new(Int8Array::from(ints(u)?.into_iter().map(|v| v.map(|x| x as i8)).collect::<Vec<_>>())),
        7 => Arc::new(Int16Array::from(ints(u)?.into_iter().map(|v| v.map(|x| x as i16)).collect::<Vec<_>>())),
        8 => Arc::new(UInt8Array::from(ints(u)?.into_iter().map(|v| v.map(|x| x as u8)).collect::<Vec<_>>())),
        9 => Arc::new(UInt64Array::from(ints(u)?.into_iter().map(|v| v.map(|x| x as u64)).collect::<Vec<_>>())),
        10 => Arc::new(Float64Array::from(floats(u)?)),
        11 => Arc::new(Float32Array::from(floats(u)?.into_iter().map(|v| v.map(|x| x as f32)).collect::<Vec<_>>())),
        12 => Arc::new(BooleanArray::from((0..rows).map(|_| Option::<bool>::arbitrary(u)).collect::<ArbResult<Vec<_>>>()?)),
        13 => Arc::new(TimestampSecondArray::from(ints(u)?).with_timezone_opt(tz())),
        14 => Arc::new(TimestampMillisecondArray::from(ints(u)?).with_timezone_opt(if bool::arbitrary(u)? { tz() } else { None })),
        15 => Arc::new(TimestampMicrosecondArray::from(ints(u)?).with_timezone_opt(tz())),
        16 => Arc::new(TimestampNanosecondArray::from(ints(u)?)),
        17 => Arc::new(Date32Array::from(ints(u)?.into_iter().map(|v| v.map(|x| x as i32)).collect::<Vec<_>>())),
        18 => Arc::new(Date64Array::from(ints(u)?)),
        19 => Arc::new(NullArray::new(rows)),
        _ => Arc::new(BinaryArray::from(vec![Some(&b"\xff"[..]); rows])),
    })
}

fn batch(u: &mut Unstructured<'_>, rows: usize) -> ArbResult<RecordBatch> {
    let k = u.int_in_range(0..=7)?;
    let mut fields = Vec::with_capacity(k);
    let mut arrays = Vec::with_capacity(k);
    for _ in 0..k {
        let name = if u.ratio(1, 8)? { String::arbitrary(u)? } else { (*u.choose(&NAMES)?).to_string() };
        let array = column(u, rows)?;
        fields.push(Field::new(name, array.data_type().clone(), true));
        arrays.push(array);
    }
    let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(rows));
    RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), arrays, &options)
        .map_err(|_| libfuzzer_sys::arbitrary::Error::IncorrectFormat)
}

// `ingest` is for the row targets.
#[allow(dead_code)]
#[path = "common.rs"]
mod common;
use common::{base, state};

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(rows) = u.int_in_range(0..=6usize) else { return };
    let Ok(first) = batch(&mut u, rows) else { return };
    let mut batches = vec![first];
    if u.ratio(1, 3).unwrap_or(false) {
        // A second batch: the same schema with other values, or another schema altogether.
        let next = if u.ratio(1, 2).unwrap_or(true) {
            let arrays: Result<Vec<ArrayRef>, _> = batches[0].schema().fields().iter().map(|_| column(&mut u, rows)).collect();
            arrays.ok().and_then(|a| RecordBatch::try_new(batches[0].schema(), a).ok())
        } else {
            batch(&mut u, rows).ok()
        };
        batches.extend(next);
    }
    let _ = accounts_from_arrow(&batches);
    let _ = users_from_arrow(&batches);
    let _ = subscriptions_from_arrow(&batches);
    let _ = columns_from_arrow(&batches);
    let mut ds = base().clone();
    let before = state(&ds);
    if ds.add_events_arrow(&batches, &IngestOptions::default()).is_err() {
        assert_eq!(state(&ds), before, "a rejected strict batch changed the dataset");
    }
    let lenient = IngestOptions { mode: IngestMode::Lenient, ..IngestOptions::default() };
    let _ = base().clone().add_events_arrow(&batches, &lenient);
    let _ = base().clone().add_accounts_arrow(&batches, &lenient);
});
