//! Frames (`custfit::frame`): what `Snapshot.withColumns` accepts, turned into the core's
//! `AccountColumns` — `HealthScores`, `GrowthAccounting`, `EngagementMoments`,
//! `MaturityAssessment`, `PlanCheck` and `Snapshot` objects, result objects and arrays, and
//! objects of column arrays (through their JSON form).

use std::collections::BTreeMap;

use arrow_ipc::writer::StreamWriter;
use custfit::{AccountColumns, DataType, ToColumns};
use napi::bindgen_prelude::{Array, Env, JavaScriptClassExt, Object, Uint8Array, Unknown, ValueType};
use napi::JsValue;
use napi_derive::napi;

use crate::arg;
use crate::data::to_json;
use crate::effectiveness::{MaturityAssessment, PlanCheck};
use crate::error::{invalid_argument, rename_argument, IntoCore, Result, Throw};
use crate::health::HealthScores;
use crate::lifecycle::{EngagementMoments, GrowthAccounting};
use crate::metrics::Snapshot;

/// The columns `source` adds, named after `name` when given (see `Snapshot.withColumns`).
pub fn account_columns(env: &Env, source: &Unknown<'_>, name: Option<&Unknown<'_>>) -> Result<AccountColumns> {
    let name = arg::optional_string(name, "name")?;
    if source.get_type().core()? != ValueType::Object {
        return Err(invalid_argument(
            "source",
            format!(
                "expected HealthScores, GrowthAccounting, EngagementMoments, MaturityAssessment, PlanCheck, a Snapshot, a per-account result or an object of column arrays, got {}",
                arg::describe(source)
            ),
        ));
    }
    if Snapshot::instance_of(env, source).core()? {
        return Ok(arg::instance::<Snapshot>(source, "source")?.inner.account_columns(""));
    }
    if HealthScores::instance_of(env, source).core()? {
        let scores = arg::instance::<HealthScores>(source, "source")?;
        return Ok(scores.inner.account_columns(name.as_deref().unwrap_or("health")));
    }
    if GrowthAccounting::instance_of(env, source).core()? {
        let growth = arg::instance::<GrowthAccounting>(source, "source")?;
        return Ok(growth.inner.account_columns(name.as_deref().unwrap_or("lifecycle")));
    }
    if EngagementMoments::instance_of(env, source).core()? {
        let moments = arg::instance::<EngagementMoments>(source, "source")?;
        return Ok(moments.inner.account_columns(name.as_deref().unwrap_or("moments")));
    }
    if MaturityAssessment::instance_of(env, source).core()? {
        let maturity = arg::instance::<MaturityAssessment>(source, "source")?;
        return Ok(maturity.inner.account_columns(name.as_deref().unwrap_or("maturity")));
    }
    if PlanCheck::instance_of(env, source).core()? {
        let check = arg::instance::<PlanCheck>(source, "source")?;
        return Ok(check.inner.account_columns(name.as_deref().unwrap_or("plan")));
    }
    let types = date_columns(source)?;
    let json = to_json(source, "", 0)
        .map_err(|u| invalid_argument("source", format!("at `{}`: {}", u.path, u.reason)))?
        .unwrap_or(serde_json::Value::Null);
    // (the core calls its input `columns`)
    custfit::frame::columns_from_json_typed(&json, name.as_deref(), &types).map_err(|e| rename_argument(e, "columns", "source"))
}

/// The columns of an object of column arrays whose values are all `Date`s (or null): timestamp
/// columns (Dates cross as RFC 3339 text, which inference alone would read as `str`).
fn date_columns(source: &Unknown<'_>) -> Result<BTreeMap<String, DataType>> {
    let mut types = BTreeMap::new();
    if source.get_type().core()? != ValueType::Object || source.is_array().core()? {
        return Ok(types);
    }
    // SAFETY: the type was just checked.
    let obj = unsafe { source.cast::<Object<'_>>() }.core()?;
    for key in Object::keys(&obj).core()? {
        let Some(value) = obj.get::<Unknown<'_>>(&key).core()? else { continue };
        if !value.is_array().core()? {
            continue;
        }
        // SAFETY: `is_array` was checked.
        let arr = unsafe { value.cast::<Array<'_>>() }.core()?;
        let (mut any, mut all) = (false, true);
        for i in 0..arr.len() {
            let Some(x) = arr.get::<Unknown<'_>>(i).core()? else { continue };
            match x.get_type().core()? {
                ValueType::Null | ValueType::Undefined => {}
                ValueType::Object if x.is_date().core()? => any = true,
                _ => {
                    all = false;
                    break;
                }
            }
        }
        if any && all {
            types.insert(key, DataType::Timestamp);
        }
    }
    Ok(types)
}

/// A per-account result as Arrow IPC bytes (stream format): `account_id` first (when the result
/// carries ids), then the columns `Snapshot.withColumns` would add from it. Read them with
/// apache-arrow's `tableFromIPC(bytes)`. Takes what `withColumns` takes; `name` renames the
/// columns as there.
#[napi(
    catch_unwind,
    ts_args_type = "source: HealthScores | GrowthAccounting | EngagementMoments | MaturityAssessment | PlanCheck | Snapshot | ParetoTiers | SegmentAssignment | Clustering | QuantileBuckets | RfmScores | Array<RiskEntry> | Record<string, Array<number | string | boolean | Date | null>>, name?: string"
)]
pub fn to_arrow(env: &Env, source: Unknown<'_>, name: Option<Unknown<'_>>) -> napi::Result<Uint8Array> {
    let run = || -> Result<Vec<u8>> { ipc_bytes(&account_columns(env, &source, name.as_ref())?.to_arrow()?) };
    Ok(Uint8Array::from(run().throw(env)?))
}

/// One record batch as Arrow IPC stream bytes.
pub(crate) fn ipc_bytes(batch: &arrow_array::RecordBatch) -> Result<Vec<u8>> {
    let bad = |e: arrow_schema::ArrowError| invalid_argument("source", e.to_string());
    let mut out = Vec::new();
    let mut writer = StreamWriter::try_new(&mut out, &batch.schema()).map_err(bad)?;
    writer.write(batch).map_err(bad)?;
    writer.finish().map_err(bad)?;
    drop(writer);
    Ok(out)
}
