//! Snapshots: `ds.snapshot(asOf, config?)`, `ds.snapshotAsync(…)`, the `Snapshot` class and
//! `metricCatalog()`.
//!
//! Cells come out as JS values: numbers (ints and floats) as `number`, text as `string`,
//! booleans as `boolean`, instants as `Date`, missing as `null`. `toJSON()` is the core's JSON
//! form (`{as_of, columns, types}`, instants as ISO strings), the same in every language, read
//! back by `snapshotFromJson`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use custfit::metrics::BUILTIN_METRICS;
use custfit::{ColumnData, Dataset as CoreDataset, ErrorKind, Snapshot as CoreSnapshot, SnapshotConfig, Timestamp, Value};
use napi::bindgen_prelude::{Either4, Env, Object, PromiseRaw, Unknown, ValueType};
use napi::{JsValue, Task};
use napi_derive::napi;

use crate::arg;
use crate::data::{to_json, Dataset};
use crate::error::{argument, guard, invalid_argument, throw, IntoCore, Result, Throw};
use crate::time::{date, timestamp_arg};

/// A column's values: one array type per column type.
pub type Cells = Either4<Vec<Option<f64>>, Vec<Option<String>>, Vec<Option<bool>>, Vec<Option<DateTime<Utc>>>>;
/// One cell.
pub type Cell = Either4<f64, String, bool, DateTime<Utc>>;

/// A snapshot configuration document (serde form of `custfit::SnapshotConfig`, snake_case keys):
/// the same JSON file works in Rust, Python and Node.
#[napi(object, object_to_js = false, js_name = "SnapshotConfig")]
pub struct SnapshotConfigJs {
    /// Document version (currently 1).
    pub version: Option<u32>,
    /// User-defined metrics, computed after the built-ins in this order, e.g.
    /// `{type: 'count', name: 'exports_30d', event: 'export', window: {amount: 30, unit: 'days'}}`
    /// or `{type: 'ratio', name: 'r', numerator: 'logins_7d', denominator: 'logins_30d'}`.
    #[napi(
        ts_type = "Array<{ type: 'count' | 'sum' | 'distinct_users' | 'ratio'; name: string; event?: string; property?: string; filter?: { property: string; in: Array<string | number | boolean> }; window?: { amount: number; unit: 'days' | 'weeks' | 'months' }; numerator?: string; denominator?: string }>"
    )]
    pub metrics: Option<serde_json::Value>,
    /// Rules for the built-in metrics (`non_activity_events`, `pricing_pages`, `high_severity`,
    /// `high_severity_at_least`).
    #[napi(
        ts_type = "{ non_activity_events?: string[]; pricing_pages?: string[]; high_severity?: string[]; high_severity_at_least?: number }"
    )]
    pub activity: Option<serde_json::Value>,
}

/// Reads a snapshot config: absent → defaults; a JSON string or an object → parsed and validated
/// by the core (`parse_error`, `invalid_config`, `unknown_metric`, `duplicate_metric`, …).
pub fn config_arg(value: Option<&Unknown<'_>>, name: &str) -> Result<SnapshotConfig> {
    crate::document::optional_document(value, name)
}

/// The type and name of a snapshot column.
#[napi(object, object_from_js = false)]
pub struct ColumnSchema {
    /// Column name.
    pub name: String,
    /// The column's type.
    #[napi(js_name = "data_type", ts_type = "DataTypeName")]
    pub data_type: String,
}

/// Every built-in metric, in snapshot column order.
#[napi(catch_unwind, ts_return_type = "Array<MetricInfo>")]
pub fn metric_catalog(env: &Env) -> napi::Result<serde_json::Value> {
    crate::health::json(&BUILTIN_METRICS).throw(env)
}

fn cells(data: &ColumnData) -> Cells {
    match data {
        ColumnData::Int(v) => Either4::A(v.iter().map(|x| x.map(|x| x as f64)).collect()),
        ColumnData::Float(v) => Either4::A(v.clone()),
        ColumnData::Str(v) => Either4::B(v.clone()),
        ColumnData::Bool(v) => Either4::C(v.clone()),
        ColumnData::Timestamp(v) => Either4::D(v.iter().map(|x| x.map(date)).collect()),
        // `ColumnData` is not `#[non_exhaustive]`; this arm only guards future core types.
        #[allow(unreachable_patterns)]
        _ => Either4::A(vec![None; data.len()]),
    }
}

fn cell(value: Value) -> Option<Cell> {
    match value {
        Value::Null => None,
        Value::Bool(b) => Some(Either4::C(b)),
        Value::Int(i) => Some(Either4::A(i as f64)),
        Value::Float(f) => Some(Either4::A(f)),
        Value::Str(s) => Some(Either4::B(s)),
        Value::Timestamp(t) => Some(Either4::D(date(t))),
    }
}

/// One row per account, one column per metric, computed as of an instant (no look-ahead).
#[napi]
pub struct Snapshot {
    pub(crate) inner: Arc<CoreSnapshot>,
}

#[napi]
impl Snapshot {
    /// Not made with `new` (no typing): `Dataset.snapshot`, `healthSnapshot` and `snapshotFromJson`
    /// make them. Throws `invalid_argument` instead of napi-rs's uncoded "Class contains no
    /// `constructor`" error.
    #[napi(constructor, catch_unwind, skip_typescript)]
    pub fn js_new(env: &Env) -> napi::Result<Self> {
        Err(arg::not_constructible(env, "Snapshot", "`Dataset.snapshot`, `healthSnapshot` and `snapshotFromJson`"))
    }

    /// The as-of instant.
    #[napi(getter, catch_unwind)]
    pub fn as_of(&self) -> DateTime<Utc> {
        date(self.inner.as_of())
    }

    /// Number of rows (accounts that existed at the as-of instant).
    #[napi(getter, catch_unwind)]
    pub fn length(&self) -> u32 {
        self.inner.len() as u32
    }

    /// Account ids, one per row.
    #[napi(getter, catch_unwind)]
    pub fn account_ids(&self) -> Vec<String> {
        self.inner.account_ids().to_vec()
    }

    /// Column names, without `account_id`.
    #[napi(getter, catch_unwind)]
    pub fn column_names(&self) -> Vec<String> {
        self.inner.column_names().into_iter().map(str::to_string).collect()
    }

    /// `[{name, dataType}]` for every column, `account_id` first.
    #[napi(getter, catch_unwind)]
    pub fn schema(&self) -> Vec<ColumnSchema> {
        self.inner.schema().into_iter().map(|(name, t)| ColumnSchema { name, data_type: t.as_str().to_string() }).collect()
    }

    /// The named column as an array (`null` = missing; instants as `Date`). `'account_id'`
    /// gives the ids. Unknown names throw `unknown_metric` with a did-you-mean suggestion.
    #[napi(
        catch_unwind,
        ts_args_type = "name: string",
        ts_return_type = "Array<number | null> | Array<string | null> | Array<boolean | null> | Array<Date | null>"
    )]
    pub fn column(&self, env: &Env, name: Unknown<'_>) -> napi::Result<Cells> {
        let run = || {
            let name = arg::string(&name, "name")?;
            if name == "account_id" {
                return Ok(Either4::B(self.inner.account_ids().iter().cloned().map(Some).collect()));
            }
            Ok(cells(self.inner.column(&name)?))
        };
        run().throw(env)
    }

    /// Every column by name, `account_id` first.
    #[napi(
        catch_unwind,
        ts_return_type = "Record<string, Array<number | null> | Array<string | null> | Array<boolean | null> | Array<Date | null>>"
    )]
    pub fn columns<'env>(&self, env: &'env Env) -> napi::Result<Object<'env>> {
        let mut out = Object::new(env)?;
        let ids: Vec<Option<String>> = self.inner.account_ids().iter().cloned().map(Some).collect();
        out.set("account_id", ids)?;
        for c in self.inner.columns() {
            out.set(&c.name, cells(&c.data))?;
        }
        Ok(out)
    }

    /// One cell (`null` = missing). Throws `unknown_account` / `unknown_metric`.
    #[napi(
        catch_unwind,
        ts_args_type = "accountId: string, column: string",
        ts_return_type = "number | string | boolean | Date | null"
    )]
    pub fn value(&self, env: &Env, account_id: Unknown<'_>, column: Unknown<'_>) -> napi::Result<Option<Cell>> {
        let run = || {
            let account_id = arg::string(&account_id, "accountId")?;
            let column = arg::string(&column, "column")?;
            if column == "account_id" {
                return match self.inner.row_of(&account_id) {
                    Some(_) => Ok(Some(Either4::B(account_id))),
                    None => Err(argument(
                        ErrorKind::UnknownAccount,
                        "account_id",
                        format!("no account `{account_id}` in the snapshot"),
                    )),
                };
            }
            self.inner.value(&account_id, &column).map(cell)
        };
        run().throw(env)
    }

    /// A new snapshot with columns added, for conditions, scorecard sets and plays to read.
    ///
    /// `source` is a per-account result — `HealthScores` (`{name}_score`, `{name}_band`; name
    /// `health`), `GrowthAccounting` (`{name}`, the bucket, and `{name}_first_active`; name
    /// `lifecycle`), `EngagementMoments` (`{name}_current`, `{name}_status`, `{name}_stuck` …;
    /// name `moments`), `MaturityAssessment` (`{name}`, the phase, `{name}_level`, `{name}_next`,
    /// `{name}_gaps`; name `maturity`), `PlanCheck` (`{name}_status`, `{name}_progress`,
    /// `{name}_elapsed`, `{name}_target`, `{name}_due`, `{name}_revision`; name `plan`), the
    /// objects of `paretoTiers` (`tier`), `segmentRules`
    /// (`segment` and `segment_<name>`), `fitClusters` (`cluster`), `quantileBuckets` (`bucket`),
    /// `rfmScores` (`rfm_r` …) or the array of `ChurnModel.forecast` (`churn_probability`,
    /// `churn_rank`, `churn_top_driver`, `churn_opportunity_at`) —, another `Snapshot`, or an
    /// object of column name to array. `name` renames a result's columns. Rows match by an `account_id` array
    /// when there is one, else by position. Throws `unknown_account`, `duplicate_id`,
    /// `duplicate_metric`, `invalid_argument` or `parse_error`; the snapshot is unchanged.
    #[napi(
        catch_unwind,
        ts_args_type = "source: HealthScores | GrowthAccounting | EngagementMoments | MaturityAssessment | PlanCheck | Snapshot | ParetoTiers | SegmentAssignment | Clustering | QuantileBuckets | RfmScores | Array<RiskEntry> | Record<string, Array<number | string | boolean | Date | null>>, name?: string"
    )]
    pub fn with_columns(&self, env: &Env, source: Unknown<'_>, name: Option<Unknown<'_>>) -> napi::Result<Snapshot> {
        let run = || -> Result<CoreSnapshot> {
            let add = crate::frame::account_columns(env, &source, name.as_ref())?;
            self.inner.with_columns(add)
        };
        run().map(|inner| Snapshot { inner: Arc::new(inner) }).throw(env)
    }

    /// A new snapshot with only `columns` (in that order; `account_id` is always kept): with
    /// `withColumns`, the way to a table of per-account results.
    #[napi(catch_unwind, ts_args_type = "columns: Array<string>")]
    pub fn select(&self, env: &Env, columns: Unknown<'_>) -> napi::Result<Snapshot> {
        let run = || {
            let columns = arg::strings(&columns, "columns")?;
            let names: Vec<&str> = columns.iter().map(String::as_str).collect();
            self.inner.select(&names).map(|inner| Snapshot { inner: Arc::new(inner) })
        };
        run().throw(env)
    }

    /// The snapshot's JSON form `{as_of, columns: {account_id: […], …}, types: {name: type}}`
    /// (instants as ISO strings), so `JSON.stringify(snapshot)` matches the Rust and Python
    /// output and `snapshotFromJson` reads it back.
    #[napi(
        js_name = "toJSON",
        catch_unwind,
        ts_return_type = "{ as_of: string; columns: Record<string, Array<number | string | boolean | null>>; types: Record<string, 'int' | 'float' | 'bool' | 'str' | 'timestamp'> }"
    )]
    pub fn to_json(&self) -> serde_json::Value {
        self.inner.to_json_value()
    }
}

/// Computes a snapshot on libuv's thread pool.
pub struct SnapshotTask {
    dataset: Arc<CoreDataset>,
    /// The parsed arguments, or the error to reject with.
    job: Option<Result<(Timestamp, SnapshotConfig)>>,
}

impl Task for SnapshotTask {
    /// `None` when the arguments were bad (nothing to compute).
    type Output = Option<custfit::Result<CoreSnapshot>>;
    type JsValue = Snapshot;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        match &self.job {
            Some(Ok((as_of, config))) => {
                let ds = &self.dataset;
                guard(|| Some(ds.snapshot_with(*as_of, config)))
            }
            // Argument errors are reported in `resolve`, on the JS thread.
            _ => Ok(None),
        }
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Snapshot> {
        if let Some(Err(e)) = self.job.take() {
            return Err(throw(&env, &e));
        }
        match output {
            Some(Ok(snapshot)) => Ok(Snapshot { inner: Arc::new(snapshot) }),
            Some(Err(e)) => Err(throw(&env, &e)),
            None => Err(throw(&env, &invalid_argument("asOf", "snapshot task started twice"))),
        }
    }
}

#[napi]
impl Dataset {
    /// The snapshot as of `asOf` (Date, ISO string or ms): the built-in metrics plus `config`'s
    /// (a `SnapshotConfig` object or its JSON text).
    #[napi(catch_unwind, ts_args_type = "asOf: Date | string | number, config?: SnapshotConfig | string")]
    pub fn snapshot(&self, env: &Env, as_of: Unknown<'_>, config: Option<Unknown<'_>>) -> napi::Result<Snapshot> {
        let run = || {
            let as_of = timestamp_arg(&as_of, "asOf")?;
            let config = config_arg(config.as_ref(), "config")?;
            let snap = self.inner.snapshot_with(as_of, &config)?;
            Ok(Snapshot { inner: Arc::new(snap) })
        };
        run().throw(env)
    }

    /// `snapshot` off the event loop: computed on libuv's thread pool from the data as it is
    /// now (later `add…` calls, allowed while it runs, do not affect it). Every error rejects
    /// the promise.
    #[napi(
        catch_unwind,
        ts_args_type = "asOf: Date | string | number, config?: SnapshotConfig | string",
        ts_return_type = "Promise<Snapshot>"
    )]
    pub fn snapshot_async<'env>(
        &self,
        env: &'env Env,
        as_of: Unknown<'_>,
        config: Option<Unknown<'_>>,
    ) -> napi::Result<PromiseRaw<'env, Snapshot>> {
        let job = timestamp_arg(&as_of, "asOf").and_then(|t| Ok((t, config_arg(config.as_ref(), "config")?)));
        // `env.spawn` rather than returning an `AsyncTask`: napi keeps `&self` borrowed until a
        // returned task settles, which would make `add…` throw meanwhile. The task owns an
        // `Arc` of the data instead, and `add…` copies on write.
        let task = SnapshotTask { dataset: Arc::clone(&self.inner), job: Some(job) };
        Ok(env.spawn(task)?.promise_object())
    }
}

/// A snapshot from its JSON form (an object or its JSON text), the one `toJSON()` writes in every
/// language: `{as_of, columns: {account_id: [...], name: [...]}, types: {name: 'int' | 'float' |
/// 'bool' | 'str' | 'timestamp'}}`. `types` may be partial or absent (types are then inferred
/// from the values; timestamps need theirs); `null` is a missing value.
#[napi(
    catch_unwind,
    ts_args_type = "value: { as_of: string | Date; columns: Record<string, Array<number | string | boolean | null>>; types?: Record<string, 'int' | 'float' | 'bool' | 'str' | 'timestamp'> } | string"
)]
pub fn snapshot_from_json(env: &Env, value: Unknown<'_>) -> napi::Result<Snapshot> {
    let run = || {
        let v = match value.get_type().core()? {
            ValueType::String => {
                let text = arg::string(&value, "value")?;
                serde_json::from_str(&text)
                    .map_err(|e| custfit::Error::Parse { what: "snapshot JSON".into(), reason: e.to_string() })?
            }
            ValueType::Object if !value.is_array().core()? => to_json(&value, "", 0)
                .map_err(|u| custfit::Error::Parse {
                    what: "snapshot JSON".into(),
                    reason: format!("at `{}`: {}", u.path, u.reason),
                })?
                .unwrap_or_default(),
            _ => {
                return Err(invalid_argument(
                    "value",
                    format!("expected a snapshot object or its JSON text, got {}", arg::describe(&value)),
                ))
            }
        };
        Ok(Snapshot { inner: Arc::new(CoreSnapshot::from_json_value(&v)?) })
    };
    run().throw(env)
}
