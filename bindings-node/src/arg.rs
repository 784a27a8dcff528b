//! Arguments of a plain JS type, read by the binding itself.
//!
//! napi-rs converts a typed parameter (`f64`, `String`, `Vec<bool>`, `&Snapshot`, …) before the
//! export runs and refuses a value of another type with its own status (`NumberExpected`,
//! `InvalidArg`, …), which is not a custfit code. So exports take such arguments as `Unknown`
//! and read them here, inside their `run` closure: a value of the wrong type is
//! `invalid_argument` naming the argument (JS camelCase), e.g. "expected a Dataset, got a
//! number", and is thrown through [`crate::error::Throw`] like every other error.
//!
//! Arrays are read item by item with one napi call per item (as napi-rs does); a `Float64Array`
//! is read without a JS value per cell.

use std::ops::Deref;
use std::ptr;

use napi::bindgen_prelude::{
    acquire_native_borrow, sys, Array, ClassInstance, Either, Env, Float64Array, MaybeTypeTag, NativeBorrowGuard, TypeName,
    TypedArrayType, Unknown, ValueType,
};
use napi::JsValue;

use crate::error::{invalid_argument, IntoCore, Result};
use crate::time::type_name;

// ------------------------------------------------------------------ messages

/// `name` with its indefinite article: `a Dataset`, `an Expr`.
fn article(name: &str) -> String {
    // (`Uint8Array` is said "a you-int")
    let vowel = name.chars().next().is_some_and(|c| "AEIOUaeiou".contains(c)) && !name.starts_with("Uint");
    format!("{} {name}", if vowel { "an" } else { "a" })
}

/// What a value is, for messages: its `typeof`-style name, with arrays, Dates, typed arrays and
/// instances of the binding's classes told apart from other objects. Runs no JavaScript.
pub fn describe(value: &Unknown<'_>) -> String {
    let Ok(t) = value.get_type() else { return "an unknown value".into() };
    if t != ValueType::Object {
        return type_name(t).into();
    }
    if value.is_array().unwrap_or(false) {
        return "an array".into();
    }
    if value.is_date().unwrap_or(false) {
        return "a Date".into();
    }
    if value.is_typedarray().unwrap_or(false) {
        return typed_array_name(value).map_or_else(|| "a typed array".into(), |n| article(&format!("{n}Array")));
    }
    class_name(value).map_or_else(|| "an object".into(), article)
}

/// The element type of a typed array (`Uint8`, `Float64`, …).
fn typed_array_name(value: &Unknown<'_>) -> Option<&'static str> {
    let raw = value.value();
    let mut t = 0;
    // SAFETY: a live value of this call; every output but the type is optional (null).
    let status = unsafe {
        sys::napi_get_typedarray_info(
            raw.env,
            raw.value,
            &mut t,
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    if status != sys::Status::napi_ok {
        return None;
    }
    let name = match TypedArrayType::from(t) {
        TypedArrayType::Int8 => "Int8",
        TypedArrayType::Uint8 => "Uint8",
        TypedArrayType::Uint8Clamped => "Uint8Clamped",
        TypedArrayType::Int16 => "Int16",
        TypedArrayType::Uint16 => "Uint16",
        TypedArrayType::Int32 => "Int32",
        TypedArrayType::Uint32 => "Uint32",
        TypedArrayType::Float32 => "Float32",
        TypedArrayType::Float64 => "Float64",
        TypedArrayType::BigInt64 => "BigInt64",
        TypedArrayType::BigUint64 => "BigUint64",
        _ => return None,
    };
    Some(name)
}

/// Whether `value` wraps a `T` (napi's unwrap and class check: no JavaScript runs).
fn is<T: TypeName + MaybeTypeTag + 'static>(value: &Unknown<'_>) -> bool {
    // SAFETY: `ClassInstance` unwraps the object and checks the class recorded at wrap time,
    // erroring for any other value.
    unsafe { value.cast::<ClassInstance<'_, T>>() }.is_ok()
}

/// The class of an object wrapping one of the binding's classes.
fn class_name(value: &Unknown<'_>) -> Option<&'static str> {
    use crate::churn::{ChurnModel, TrainingSet};
    use crate::data::Dataset;
    use crate::expr::Expr;
    use crate::health::{HealthScores, Scorecard, ScorecardSet};
    use crate::metrics::Snapshot;
    use crate::play::{PlayState, Playbook};
    [
        (is::<Dataset> as fn(&Unknown<'_>) -> bool, Dataset::type_name()),
        (is::<Snapshot>, Snapshot::type_name()),
        (is::<Scorecard>, Scorecard::type_name()),
        (is::<ScorecardSet>, ScorecardSet::type_name()),
        (is::<HealthScores>, HealthScores::type_name()),
        (is::<TrainingSet>, TrainingSet::type_name()),
        (is::<ChurnModel>, ChurnModel::type_name()),
        (is::<Expr>, Expr::type_name()),
        (is::<Playbook>, Playbook::type_name()),
        (is::<PlayState>, PlayState::type_name()),
    ]
    .into_iter()
    .find_map(|(test, name)| test(value).then_some(name))
}

fn wrong(name: &str, expected: &str, value: &Unknown<'_>) -> custfit::Error {
    invalid_argument(name, format!("expected {expected}, got {}", describe(value)))
}

fn is_nullish(value: &Unknown<'_>) -> Result<bool> {
    Ok(matches!(value.get_type().core()?, ValueType::Undefined | ValueType::Null))
}

/// An optional argument: `None` when absent, `undefined` or `null`, else `read` of it.
pub fn optional<T>(value: Option<&Unknown<'_>>, read: impl FnOnce(&Unknown<'_>) -> Result<T>) -> Result<Option<T>> {
    match value {
        Some(v) if !is_nullish(v)? => read(v).map(Some),
        _ => Ok(None),
    }
}

// ------------------------------------------------------------------ class instances

/// A class instance argument, borrowed for the call. Like napi-rs's own `&T` parameters it
/// holds a shared borrow of the wrapped value, so a reentrant `&mut self` call on the same
/// object (from a getter of a later argument) fails instead of aliasing it.
pub struct Instance<'a, T> {
    value: &'a T,
    _borrow: NativeBorrowGuard,
}

impl<T> Deref for Instance<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value
    }
}

/// An instance of the class `T` (`Dataset`, `Snapshot`, …) named `name`.
pub fn instance<'a, T: TypeName + MaybeTypeTag + 'static>(value: &'a Unknown<'_>, name: &str) -> Result<Instance<'a, T>> {
    let expected = || wrong(name, &article(T::type_name()), value);
    if value.get_type().core()? != ValueType::Object {
        return Err(expected());
    }
    // SAFETY: `ClassInstance` unwraps the object and checks the class recorded at wrap time,
    // erroring for a plain object or an instance of another class.
    let Ok(object) = (unsafe { value.cast::<ClassInstance<'_, T>>() }) else { return Err(expected()) };
    let ptr: *const T = &*object;
    let borrow = acquire_native_borrow(ptr.cast_mut(), false).map_err(|e| invalid_argument(name, e.reason.clone()))?;
    // SAFETY: the wrapped value lives as long as its JS object, which the argument `value`
    // (borrowed for 'a) keeps alive for the call; the borrow guard rules out a `&mut` alias.
    Ok(Instance { value: unsafe { &*ptr }, _borrow: borrow })
}

/// An array of instances of the class `T` named `name`.
pub fn instances<'a, T: TypeName + MaybeTypeTag + 'static>(value: &'a Unknown<'_>, name: &str) -> Result<Vec<Instance<'a, T>>> {
    let expected = format!("an array of {} objects", T::type_name());
    let mut out = Vec::new();
    for_each_item(value, name, &expected, |_, item| {
        if item.get_type().core()? != ValueType::Object || !is::<T>(item) {
            return Ok(false);
        }
        // SAFETY: `is` just checked the class.
        let object = unsafe { item.cast::<ClassInstance<'_, T>>() }.core()?;
        let ptr: *const T = &*object;
        let borrow = acquire_native_borrow(ptr.cast_mut(), false).map_err(|e| invalid_argument(name, e.reason.clone()))?;
        // SAFETY: the item is held by a handle of this call's scope (and by the array), so the
        // wrapped value outlives 'a; the guard rules out a `&mut` alias.
        out.push(Instance { value: unsafe { &*ptr }, _borrow: borrow });
        Ok(true)
    })?;
    Ok(out)
}

/// The error of `new T()` for a class made only by the binding (`made_by` says what makes it).
pub fn not_constructible(env: &Env, class: &str, made_by: &str) -> napi::Error {
    let reason = format!("{} cannot be made with `new`; {made_by} make them", article(class));
    crate::error::throw(env, &invalid_argument(class, reason))
}

// ------------------------------------------------------------------ scalars

/// A number argument named `name` (any number, NaN included: range checks are the caller's).
pub fn number(value: &Unknown<'_>, name: &str) -> Result<f64> {
    match value.get_type().core()? {
        // SAFETY: the type was just checked.
        ValueType::Number => unsafe { value.cast::<f64>() }.core(),
        _ => Err(wrong(name, "a number", value)),
    }
}

/// An optional number argument: `None` when absent, `undefined` or `null`.
pub fn optional_number(value: Option<&Unknown<'_>>, name: &str) -> Result<Option<f64>> {
    optional(value, |v| number(v, name))
}

/// A boolean argument named `name`.
pub fn boolean(value: &Unknown<'_>, name: &str) -> Result<bool> {
    match value.get_type().core()? {
        // SAFETY: the type was just checked.
        ValueType::Boolean => unsafe { value.cast::<bool>() }.core(),
        _ => Err(wrong(name, "a boolean", value)),
    }
}

/// An optional boolean argument: `None` when absent, `undefined` or `null`.
pub fn optional_boolean(value: Option<&Unknown<'_>>, name: &str) -> Result<Option<bool>> {
    optional(value, |v| boolean(v, name))
}

/// Why a JS string with a lone surrogate is refused.
pub const LONE_SURROGATE: &str =
    "holds a lone surrogate (half of a UTF-16 pair, usually from a bad decode), which UTF-8 cannot hold; fix the text";

/// The text of a JS string value, or `None` when it holds a lone surrogate. napi's UTF-8
/// conversion would silently put U+FFFD in its place; the binding refuses it instead, as the
/// Python binding does. Only text that came out holding U+FFFD is looked at again (as UTF-16),
/// so ordinary text costs nothing more.
pub fn js_text(value: &Unknown<'_>) -> napi::Result<Option<String>> {
    // SAFETY: callers checked the value is a string.
    let text = unsafe { value.cast::<String>() }?;
    if !text.contains('\u{FFFD}') {
        return Ok(Some(text));
    }
    // SAFETY: as above.
    let units = unsafe { value.cast::<napi::JsString<'_>>() }?.into_utf16()?;
    Ok(String::from_utf16(units.as_slice()).is_ok().then_some(text))
}

/// A string argument named `name`.
pub fn string(value: &Unknown<'_>, name: &str) -> Result<String> {
    match value.get_type().core()? {
        ValueType::String => js_text(value).core()?.ok_or_else(|| invalid_argument(name, LONE_SURROGATE)),
        _ => Err(wrong(name, "a string", value)),
    }
}

/// An optional string argument: `None` when absent, `undefined` or `null`.
pub fn optional_string(value: Option<&Unknown<'_>>, name: &str) -> Result<Option<String>> {
    optional(value, |v| string(v, name))
}

// ------------------------------------------------------------------ arrays

/// Calls `item` on every item of the array `value` (named `name`, described as `expected`);
/// `item` (given the item's index) returns `false` for a value of the wrong type.
fn for_each_item(
    value: &Unknown<'_>,
    name: &str,
    expected: &str,
    mut item: impl FnMut(u32, &Unknown<'_>) -> Result<bool>,
) -> Result<()> {
    if !value.is_array().core()? {
        return Err(wrong(name, expected, value));
    }
    // SAFETY: `is_array` was checked.
    let arr = unsafe { value.cast::<Array<'_>>() }.core()?;
    for i in 0..arr.len() {
        let Some(v) = arr.get::<Unknown<'_>>(i).core()? else {
            return Err(invalid_argument(name, format!("expected {expected}, item {i} is missing")));
        };
        if !item(i, &v)? {
            return Err(invalid_argument(name, format!("expected {expected}, item {i} is {}", describe(&v))));
        }
    }
    Ok(())
}

/// Reads every item with `read` (`None` = wrong type).
fn array_of<T>(
    value: &Unknown<'_>,
    name: &str,
    expected: &str,
    mut read: impl FnMut(&Unknown<'_>) -> Result<Option<T>>,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    for_each_item(value, name, expected, |_, v| match read(v)? {
        Some(x) => {
            out.push(x);
            Ok(true)
        }
        None => Ok(false),
    })?;
    Ok(out)
}

// Item readers: one napi call for an item of the right type (the type is only looked up to
// tell `null` apart or to report a wrong one).

fn number_item(v: &Unknown<'_>) -> Result<Option<f64>> {
    // SAFETY: `napi_get_value_double` refuses a non-number with a status (no exception).
    Ok(unsafe { v.cast::<f64>() }.ok())
}

fn optional_number_item(v: &Unknown<'_>) -> Result<Option<Option<f64>>> {
    match number_item(v)? {
        Some(x) => Ok(Some(Some(x))),
        None if is_nullish(v)? => Ok(Some(None)),
        None => Ok(None),
    }
}

fn string_item(v: &Unknown<'_>) -> Result<Option<String>> {
    if v.get_type().core()? != ValueType::String {
        return Ok(None);
    }
    js_text(v).core()?.map(Some).ok_or_else(|| invalid_argument("value", LONE_SURROGATE))
}

/// An array of strings named `name`.
pub fn strings(value: &Unknown<'_>, name: &str) -> Result<Vec<String>> {
    array_of(value, name, "an array of strings", string_item)
}

/// An array of strings or `null`/`undefined` (= `None`) named `name`.
pub fn optional_strings(value: &Unknown<'_>, name: &str) -> Result<Vec<Option<String>>> {
    array_of(value, name, "an array of strings or null", |v| match string_item(v)? {
        Some(s) => Ok(Some(Some(s))),
        None if is_nullish(v)? => Ok(Some(None)),
        None => Ok(None),
    })
}

/// An array of numbers named `name`.
pub fn numbers(value: &Unknown<'_>, name: &str) -> Result<Vec<f64>> {
    array_of(value, name, "an array of numbers", number_item)
}

/// An array of numbers or `null`/`undefined` (= `None`, missing) named `name`.
pub fn optional_numbers(value: &Unknown<'_>, name: &str) -> Result<Vec<Option<f64>>> {
    array_of(value, name, "an array of numbers or null", optional_number_item)
}

/// An array of booleans named `name`.
pub fn booleans(value: &Unknown<'_>, name: &str) -> Result<Vec<bool>> {
    // SAFETY: `napi_get_value_bool` refuses a non-boolean with a status (no exception).
    array_of(value, name, "an array of booleans", |v| Ok(unsafe { v.cast::<bool>() }.ok()))
}

const ROWS: &str = "an array of rows of numbers or null";

/// Rows of numbers (`null`/`undefined` = missing) named `name`: `Array<Array<number | null>>`.
/// Rows may differ in length (the caller checks the shape).
pub fn rows(value: &Unknown<'_>, name: &str) -> Result<Vec<Vec<Option<f64>>>> {
    let mut out = Vec::new();
    for_each_item(value, name, ROWS, |i, v| {
        if !v.is_array().core()? {
            return Ok(false);
        }
        // SAFETY: `is_array` was checked.
        let arr = unsafe { v.cast::<Array<'_>>() }.core()?;
        let mut row = Vec::with_capacity(arr.len() as usize);
        for j in 0..arr.len() {
            // (an item past the end of an array shrunk meanwhile reads as missing)
            let Some(cell) = arr.get::<Unknown<'_>>(j).core()? else {
                row.push(None);
                continue;
            };
            match optional_number_item(&cell)? {
                Some(x) => row.push(x),
                None => return Err(invalid_argument(name, format!("expected {ROWS}, row {i} item {j} is {}", describe(&cell)))),
            }
        }
        out.push(row);
        Ok(true)
    })?;
    Ok(out)
}

/// A matrix named `name`: a `Float64Array` holding the rows one after another (read without a
/// JS value per cell), or rows of numbers ([`rows`]).
pub fn matrix(value: &Unknown<'_>, name: &str) -> Result<Either<Float64Array, Vec<Vec<Option<f64>>>>> {
    const EXPECTED: &str = "a Float64Array or an array of rows of numbers or null";
    if value.is_typedarray().core()? {
        // SAFETY: a typed array; `Float64Array` checks the element type and errors otherwise.
        return unsafe { value.cast::<Float64Array>() }.map(Either::A).map_err(|_| wrong(name, EXPECTED, value));
    }
    if !value.is_array().core()? {
        return Err(wrong(name, EXPECTED, value));
    }
    rows(value, name).map(Either::B)
}

/// A sample named `name`: a `Float64Array` (read without a JS value per item) or an array of
/// numbers (range and finiteness are the caller's checks).
pub fn floats(value: &Unknown<'_>, name: &str) -> Result<Floats> {
    const EXPECTED: &str = "a Float64Array or an array of numbers";
    if value.is_typedarray().core()? {
        // SAFETY: a typed array; `Float64Array` checks the element type and errors otherwise.
        return unsafe { value.cast::<Float64Array>() }.map(|a| Floats(Either::A(a))).map_err(|_| wrong(name, EXPECTED, value));
    }
    array_of(value, name, EXPECTED, number_item).map(|v| Floats(Either::B(v)))
}

/// The values of a [`floats`] argument.
pub struct Floats(Either<Float64Array, Vec<f64>>);

impl Deref for Floats {
    type Target = [f64];

    fn deref(&self) -> &[f64] {
        match &self.0 {
            Either::A(a) => a,
            Either::B(v) => v,
        }
    }
}
