//! The one golden-case runner: every `tests/cases/<folder>/*.json` is `{"description", "call",
//! "input", "expected" | "error", "tolerance"?}` (see tests/cases/README.md). `call` picks a
//! handler below, which runs the call on `input` and returns its result as JSON; the runner
//! compares `expected` (a subset) and `error` (a subset of `{"code", "row", "position",
//! "suggestion", "stage"}`) the same way the Python and Node runners do.

use std::path::{Path, PathBuf};

use custfit::churn::{
    annual_to_monthly, evaluate, learn_weights, monthly_to_annual, ChurnFeatures, ChurnModel, ChurnModelConfig, LogisticConfig,
    LogisticModel, TrainingSet, TrainingSetConfig,
};
use custfit::document::Document;
use custfit::frame::columns_from_json;
use custfit::health::{Scorecard, ScorecardSet};
use custfit::segment::{CapacityConfig, ClusterConfig, ParetoConfig, QuantileConfig, RfmConfig, RuleSegmentation};
use custfit::{Dataset, Error, Expr, ExprLimits, IngestOptions, Snapshot, SnapshotConfig, Timestamp, Window};
use serde_json::{json, Map, Value};

/// The folders of golden cases.
pub const FOLDERS: &[&str] = &[
    "data",
    "metrics",
    "document",
    "stats",
    "outcome",
    "expr",
    "frame",
    "segment",
    "health",
    "activity",
    "churn",
    "play",
    "experiment",
    "lifecycle",
    "effectiveness",
];

/// Every case file of a folder, sorted.
pub fn case_files(folder: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/cases").join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no golden cases in {}", dir.display());
    files
}

type Outcome = Result<Value, Error>;

fn handler(call: &str) -> Option<fn(&Value) -> Outcome> {
    Some(match call {
        "dataset" => dataset,
        "read_document" => read_document,
        "roc_auc" => roc_auc,
        "wilson_interval" => wilson_interval,
        "monthly_to_annual" => |i| Ok(json!({"value": monthly_to_annual(f64_of(&i["rate"]))?})),
        "annual_to_monthly" => |i| Ok(json!({"value": annual_to_monthly(f64_of(&i["rate"]))?})),
        "churn_dates" => churn_dates_case,
        "activity_churn_dates" => activity_churn_dates_case,
        "expr" => expr,
        "with_columns" => with_columns,
        "segment_rules" => |i| segment(i, |c, s| to_json(doc::<RuleSegmentation>(c)?.apply(s)?)),
        "pareto_tiers" => |i| segment(i, |c, s| to_json(doc::<ParetoConfig>(c)?.apply(s)?)),
        "quantile_buckets" => |i| segment(i, |c, s| to_json(doc::<QuantileConfig>(c)?.apply(s)?)),
        "rfm_scores" => |i| segment(i, |c, s| to_json(doc::<RfmConfig>(c)?.apply(s)?)),
        "fit_clusters" => |i| segment(i, |c, s| to_json(doc::<ClusterConfig>(c)?.fit(s)?)),
        "capacity_plan" => |i| segment(i, |c, s| to_json(doc::<CapacityConfig>(c)?.plan(s)?)),
        "score" => score,
        "goal_progress" => goal_progress,
        "logistic_fit" => logistic_fit,
        "evaluate" => |i| to_json(evaluate(&floats(&i["probabilities"]), &labels(&i["labels"]))?),
        "rate_conversion" => rate_conversion,
        "model_fit" => model_fit,
        "model_predict" => model_predict,
        "learn_weights" => learn_weights_case,
        "play_run" => play_run,
        "holdout_draw" => |i| {
            let text = |k: &str| i[k].as_str().unwrap_or_default().to_string();
            Ok(json!({"value": custfit::experiment::holdout_draw(&text("account"), &text("play"), &text("salt"))}))
        },
        "sample_ratio_mismatch" => |i| {
            let observed: Vec<u64> = parse("observed", &i["observed"])?;
            to_json(custfit::experiment::sample_ratio_mismatch(&observed, &floats(&i["shares"]), f64_of(&i["threshold"]))?)
        },
        "sample_size_proportions" => |i| {
            let f = |k: &str| f64_of(&i[k]);
            to_json(custfit::experiment::sample_size_proportions(f("baseline"), f("mde"), f("alpha"), f("power"), f("ratio"))?)
        },
        "sample_size_means" => |i| {
            let f = |k: &str| f64_of(&i[k]);
            to_json(custfit::experiment::sample_size_means(f("sd"), f("mde"), f("alpha"), f("power"), f("ratio"))?)
        },
        "mde_proportions" => |i| {
            let f = |k: &str| f64_of(&i[k]);
            let n = |k: &str| -> Result<u64, Error> { parse(k, &i[k]) };
            Ok(
                json!({"value": custfit::experiment::mde_proportions(f("baseline"), n("control")?, n("treatment")?, f("alpha"), f("power"))?}),
            )
        },
        "mde_means" => |i| {
            let f = |k: &str| f64_of(&i[k]);
            let n = |k: &str| -> Result<u64, Error> { parse(k, &i[k]) };
            Ok(json!({"value": custfit::experiment::mde_means(f("sd"), n("control")?, n("treatment")?, f("alpha"), f("power"))?}))
        },
        "welch" => {
            |i| to_json(custfit::experiment::welch(&floats(&i["control"]), &floats(&i["treatment"]), f64_of(&i["confidence"]))?)
        }
        "welch_summary" => welch_summary_case,
        "cuped" => |i| {
            let arm = |k: &str| (floats(&i[k]["y"]), floats(&i[k]["x"]));
            let ((yc, xc), (yt, xt)) = (arm("control"), arm("treatment"));
            to_json(custfit::experiment::cuped((&yc, &xc), (&yt, &xt), f64_of(&i["confidence"]))?)
        },
        "kaplan_meier" => |i| {
            to_json(custfit::experiment::KaplanMeier::fit(
                &floats(&i["durations"]),
                &labels(&i["events"]),
                f64_of(&i["confidence"]),
            )?)
        },
        "log_rank" => |i| {
            let arm = |k: &str| (floats(&i[k]["durations"]), labels(&i[k]["events"]));
            let ((da, ea), (db, eb)) = (arm("a"), arm("b"));
            to_json(custfit::experiment::log_rank((&da, &ea), (&db, &eb))?)
        },
        "growth_accounting" => |i| {
            let ds = loaded(i)?;
            to_json(custfit::lifecycle::growth_accounting(&ds, parse("as_of", &i["as_of"])?, &doc(&i["config"])?)?)
        },
        "retention_cohorts" => |i| {
            let ds = loaded(i)?;
            to_json(custfit::lifecycle::retention_cohorts(&ds, parse("as_of", &i["as_of"])?, &doc(&i["config"])?)?)
        },
        "assess_maturity" => |i| to_json(custfit::effectiveness::assess(&snapshot(&i["snapshot"])?, &doc(&i["model"])?)?),
        "track_plans" => |i| {
            let mut tracker: custfit::effectiveness::PlanTracker = match i.get("tracker") {
                Some(t) if !t.is_null() => doc(t)?,
                _ => custfit::effectiveness::PlanTracker::default(),
            };
            let model: custfit::effectiveness::MaturityModel = doc(&i["model"])?;
            let mut checks = Vec::new();
            for step in i["checks"].as_array().map_or(&[][..], Vec::as_slice) {
                let m = match step.get("model") {
                    Some(m) => doc(m)?,
                    None => model.clone(),
                };
                checks.push(tracker.track(&snapshot(&step["snapshot"])?, &m)?);
            }
            to_json(serde_json::json!({"checks": checks, "tracker": tracker}))
        },
        "engagement_moments" => |i| {
            let ds = loaded(i)?;
            to_json(custfit::lifecycle::engagement_moments(&ds, parse("as_of", &i["as_of"])?, &doc(&i["config"])?)?)
        },
        "analyse_observations" => |i| {
            let observations: Vec<custfit::experiment::Observation> = parse("observations", &i["observations"])?;
            to_json(custfit::experiment::analyse_observations(&observations, &doc(&i["config"])?)?)
        },
        _ => return None,
    })
}

// ------------------------------------------------------------------------------------ the runner

#[test]
fn golden_cases() {
    let mut failures = Vec::new();
    let mut count = 0;
    for folder in FOLDERS {
        for path in case_files(folder) {
            count += 1;
            let name = format!("{folder}/{}", path.file_name().unwrap_or_default().to_string_lossy());
            if let Err(e) = run_case(&path) {
                failures.push(format!("{name}: {e}"));
            }
        }
    }
    assert!(count >= 150, "only {count} golden cases");
    assert!(failures.is_empty(), "{} failing golden cases:\n{}", failures.len(), failures.join("\n"));
}

fn run_case(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let case: Value = serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))?;
    let keys: Vec<&str> = case.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
    if let Some(k) = keys.iter().find(|k| !["description", "call", "input", "expected", "error", "tolerance"].contains(k)) {
        return Err(format!("unknown key `{k}`"));
    }
    let call = case["call"].as_str().ok_or("no `call`")?;
    let run = handler(call).ok_or_else(|| format!("unknown call `{call}`"))?;
    let outcome = match run(&case["input"]) {
        Ok(v) => v,
        Err(e) => json!({ "error": error_json(&e) }),
    };
    let tol = case.get("tolerance").and_then(Value::as_f64).unwrap_or(1e-9);
    match (case.get("error"), outcome.get("error")) {
        (Some(want), Some(got)) => subset(want, got, tol, "error")?,
        (Some(want), None) => return Err(format!("expected error {want}, got {outcome}")),
        (None, Some(got)) => return Err(format!("unexpected error {got}")),
        (None, None) => {}
    }
    match case.get("expected") {
        Some(want) => subset(want, &outcome, tol, "expected"),
        None if case.get("error").is_some() => Ok(()),
        None => Err("neither `expected` nor `error`".into()),
    }
}

/// The error fields the cases can name; the same in every language.
fn error_json(e: &Error) -> Value {
    let mut out = json!({"code": e.code()});
    match e {
        Error::Row { row, .. } => out["row"] = json!(row),
        Error::Expr { position, suggestion, .. } => {
            out["position"] = json!(position);
            out["suggestion"] = json!(suggestion);
        }
        _ => {}
    }
    out
}

/// Every key of an expected object matches (a key the result lacks reads as null; extra keys
/// are ignored), arrays element by element with equal length, numbers within
/// `tol · max(1, |expected|)`.
fn subset(expected: &Value, actual: &Value, tol: f64, path: &str) -> Result<(), String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            e.iter().try_for_each(|(k, v)| subset(v, a.get(k).unwrap_or(&Value::Null), tol, &format!("{path}.{k}")))
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                return Err(format!("{path}: expected {} items, got {}: {actual}", e.len(), a.len()));
            }
            e.iter().zip(a).enumerate().try_for_each(|(i, (x, y))| subset(x, y, tol, &format!("{path}[{i}]")))
        }
        (Value::Number(e), Value::Number(a)) => {
            let (e, a) = (e.as_f64().unwrap_or(f64::NAN), a.as_f64().unwrap_or(f64::NAN));
            if (e - a).abs() <= tol * e.abs().max(1.0) {
                Ok(())
            } else {
                Err(format!("{path}: expected {e}, got {a} (tolerance {tol})"))
            }
        }
        _ if expected == actual => Ok(()),
        _ => Err(format!("{path}: expected {expected}, got {actual}")),
    }
}

#[test]
fn error_codes_match_shared_list() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/cases/error_codes.json");
    let list: Vec<String> = serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json");
    let ours: Vec<&str> = custfit::ErrorKind::ALL.iter().map(|k| k.code()).collect();
    assert_eq!(list, ours);
}

// ------------------------------------------------------------------------------------ helpers

fn bad_case(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Parse { what: format!("case {what}"), reason: e.to_string() }
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, v: &Value) -> Result<T, Error> {
    serde_json::from_value(v.clone()).map_err(|e| bad_case(what, e))
}

/// A document through the one document reader (object or JSON text).
fn doc<T: Document>(v: &Value) -> Result<T, Error> {
    match v {
        Value::String(text) => T::from_json_str(text),
        other => T::from_json_value(other.clone()),
    }
}

fn to_json<T: serde::Serialize>(v: T) -> Outcome {
    serde_json::to_value(v).map_err(|e| bad_case("result", e))
}

fn f64_of(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().map(|a| a.iter().map(f64_of).collect()).unwrap_or_default()
}

fn labels(v: &Value) -> Vec<bool> {
    v.as_array().map(|a| a.iter().map(|b| b.as_i64() == Some(1) || b.as_bool() == Some(true)).collect()).unwrap_or_default()
}

/// A JSON matrix (rows of numbers, null = missing) as a row-major vector with NaN.
fn matrix(v: &Value) -> (Vec<f64>, usize) {
    let rows = v.as_array().cloned().unwrap_or_default();
    let p = rows.first().and_then(Value::as_array).map_or(0, Vec::len);
    let x = rows.iter().flat_map(|r| r.as_array().cloned().unwrap_or_default()).map(|c| f64_of(&c)).collect();
    (x, p)
}

fn snapshot(v: &Value) -> Result<Snapshot, Error> {
    Snapshot::from_json_value(v)
}

// ------------------------------------------------------------------------------------ handlers

fn counts(ds: &Dataset) -> Value {
    json!({"accounts": ds.account_count(), "users": ds.user_count(), "subscriptions": ds.subscription_count(), "events": ds.event_count()})
}

/// `dataset`: adds each table of `input` as one batch (accounts, users, subscriptions, events)
/// with `options`, then with `as_of` takes a snapshot with `config`. The result: `counts`,
/// `reports` per table, `row_count` and `rows` (`{account: {column: value}}`); on a failing
/// call also `error` with its `stage` (the table or `snapshot`). A failed add must leave the
/// dataset unchanged.
fn dataset(input: &Value) -> Outcome {
    let options: IngestOptions = input.get("options").map_or_else(|| Ok(IngestOptions::default()), |o| parse("options", o))?;
    let mut ds = Dataset::new();
    let mut reports = Map::new();
    for table in ["accounts", "users", "subscriptions", "events"] {
        let Some(rows) = input.get(table) else { continue };
        let before = counts(&ds);
        // Through the core's one entry point for rows as JSON (the one the bindings use).
        let entity = match table {
            "accounts" => custfit::Entity::Account,
            "users" => custfit::Entity::User,
            "subscriptions" => custfit::Entity::Subscription,
            _ => custfit::Entity::Event,
        };
        let rows: Vec<Value> = parse(table, rows)?;
        let result = ds.add_json_rows(entity, rows.into_iter().map(custfit::data::RowInput::Json).collect(), &options);
        match result {
            Ok(r) => {
                reports.insert(table.into(), to_json(r)?);
            }
            Err(e) => {
                assert_eq!(counts(&ds), before, "a failed add changed the dataset");
                let mut err = error_json(&e);
                err["stage"] = json!(table);
                return Ok(json!({"error": err, "counts": counts(&ds), "reports": reports}));
            }
        }
    }
    let mut out = json!({"counts": counts(&ds), "reports": reports});
    if let Some(as_of) = input.get("as_of") {
        let as_of: Timestamp = parse("as_of", as_of)?;
        let config = input.get("config").map_or_else(|| Ok(SnapshotConfig::default()), doc::<SnapshotConfig>);
        let snap = match config.and_then(|c| ds.snapshot_with(as_of, &c)) {
            Ok(s) => s,
            Err(e) => {
                let mut err = error_json(&e);
                err["stage"] = json!("snapshot");
                out["error"] = err;
                return Ok(out);
            }
        };
        let mut rows = Map::new();
        for (i, id) in snap.account_ids().iter().enumerate() {
            let mut cells = Map::new();
            for c in snap.columns() {
                cells.insert(c.name.clone(), to_json(c.data.value(i))?);
            }
            rows.insert(id.clone(), Value::Object(cells));
        }
        out["row_count"] = json!(snap.len());
        out["rows"] = Value::Object(rows);
    }
    Ok(out)
}

/// `read_document`: `{kind, document}` read by the kind's one reader; `{"ok": true}` when it reads.
fn read_document(input: &Value) -> Outcome {
    let d = &input["document"];
    match input["kind"].as_str().unwrap_or_default() {
        "scorecard" => doc::<Scorecard>(d).map(drop),
        "scorecard_set" => doc::<ScorecardSet>(d).map(drop),
        "snapshot_config" => doc::<SnapshotConfig>(d).map(drop),
        "training_set_config" => doc::<TrainingSetConfig>(d).map(drop),
        "pareto_config" => doc::<ParetoConfig>(d).map(drop),
        "rule_segmentation" => doc::<RuleSegmentation>(d).map(drop),
        "churn_model" => doc::<ChurnModel>(d).map(drop),
        other => return Err(bad_case("kind", format!("unknown document kind `{other}`"))),
    }?;
    Ok(json!({"ok": true}))
}

fn roc_auc(input: &Value) -> Outcome {
    Ok(json!({"value": custfit::health::roc_auc(&floats(&input["risk"]), &labels(&input["labels"]))?}))
}

fn wilson_interval(input: &Value) -> Outcome {
    let (k, n) = (input["k"].as_u64().unwrap_or(0), input["n"].as_u64().unwrap_or(0));
    Ok(json!({"value": custfit::stats::wilson_interval(k, n)?.map(|(lo, hi)| vec![lo, hi])}))
}

/// `expr`: `expression` compiled against `snapshot`'s schema (with `limits`) and evaluated:
/// `{"type", "values"}`.
fn expr(input: &Value) -> Outcome {
    let snap = snapshot(&input["snapshot"])?;
    let limits: ExprLimits = input.get("limits").map_or_else(|| Ok(ExprLimits::default()), |l| parse("limits", l))?;
    let source = input["expression"].as_str().unwrap_or_default();
    let col = Expr::compile_with(source, &snap.schema(), &limits)?.evaluate(&snap)?;
    let values: Vec<Value> = (0..col.len()).map(|i| to_json(col.value(i))).collect::<Result<_, _>>()?;
    Ok(json!({"type": col.data_type().as_str(), "values": values}))
}

/// `with_columns`: `source` (a result's JSON form or a column map, named `name`) added to
/// `snapshot`: the new snapshot's JSON form.
fn with_columns(input: &Value) -> Outcome {
    let snap = snapshot(&input["snapshot"])?;
    let add = columns_from_json(&input["source"], input.get("name").and_then(Value::as_str))?;
    Ok(snap.with_columns(add)?.to_json_value())
}

fn segment(input: &Value, run: fn(&Value, &Snapshot) -> Outcome) -> Outcome {
    run(&input["config"], &snapshot(&input["snapshot"])?)
}

/// `score`: `snapshot` scored by `scorecard` or `scorecard_set`: `{"rows"}`, plus `changes`
/// since the scores of `earlier` and `rollup` by `rollup_weight` when given.
fn score(input: &Value) -> Outcome {
    let snap = snapshot(&input["snapshot"])?;
    let score_with = |s: &Snapshot| -> Result<custfit::HealthScores, Error> {
        match input.get("scorecard") {
            Some(card) => doc::<Scorecard>(card)?.score(s),
            None => doc::<ScorecardSet>(&input["scorecard_set"])?.score(s),
        }
    };
    let scores = score_with(&snap)?;
    let mut out = json!({ "rows": scores.rows() });
    if let Some(earlier) = input.get("earlier") {
        out["changes"] = to_json(scores.changes_since(&score_with(&snapshot(earlier)?)?))?;
    }
    if let Some(w) = input.get("rollup_weight").and_then(Value::as_str) {
        out["rollup"] = to_json(scores.rollup(&snap, w)?)?;
    }
    Ok(out)
}

/// The `accounts`, `users`, `subscriptions` and `events` of `input` (those given), loaded with
/// the default options.
fn loaded(input: &Value) -> Result<Dataset, Error> {
    let mut ds = Dataset::new();
    let opts = IngestOptions::default();
    ds.add_accounts(&parse::<Vec<custfit::Account>>("accounts", &input["accounts"])?, &opts)?;
    if let Some(users) = input.get("users") {
        ds.add_users(&parse::<Vec<custfit::User>>("users", users)?, &opts)?;
    }
    if let Some(subscriptions) = input.get("subscriptions") {
        ds.add_subscriptions(&parse::<Vec<custfit::Subscription>>("subscriptions", subscriptions)?, &opts)?;
    }
    if let Some(events) = input.get("events") {
        ds.add_events(&parse::<Vec<custfit::Event>>("events", events)?, &opts)?;
    }
    Ok(ds)
}

/// Churn instants per account id, and the data's end.
fn churn_dates_json(ds: &Dataset, dates: Vec<Vec<Timestamp>>) -> Value {
    let dates: Map<String, Value> = ds.accounts().iter().zip(dates).map(|(a, d)| (a.id.clone(), json!(d))).collect();
    json!({"data_end": ds.data_end(), "dates": dates})
}

/// `churn_dates`: the rows loaded, then subscription churn under `config` known by `known_at`.
fn churn_dates_case(input: &Value) -> Outcome {
    let ds = loaded(input)?;
    let config: custfit::outcome::SubscriptionChurn =
        input.get("config").map_or_else(|| Ok(Default::default()), |c| parse("config", c))?;
    let dates = custfit::outcome::churn_dates(&ds, &config, parse("known_at", &input["known_at"])?)?;
    Ok(churn_dates_json(&ds, dates))
}

/// `activity_churn_dates`: the rows loaded, then activity churn under `config` known by `known_at`.
fn activity_churn_dates_case(input: &Value) -> Outcome {
    let ds = loaded(input)?;
    let config: custfit::outcome::ActivityChurn =
        input.get("config").map_or_else(|| Ok(Default::default()), |c| parse("config", c))?;
    let dates = custfit::outcome::activity_churn_dates(&ds, &config, parse("known_at", &input["known_at"])?)?;
    Ok(churn_dates_json(&ds, dates))
}

/// `goal_progress`: `accounts`, `users`, `events` loaded, then the progress of `account_id`
/// towards `goal` as of `as_of` over `lookback`.
fn goal_progress(input: &Value) -> Outcome {
    let ds = loaded(input)?;
    let goal: custfit::activity::Goal = doc(&input["goal"])?;
    let as_of: Timestamp = parse("as_of", &input["as_of"])?;
    let lookback: Window = parse("lookback", &input["lookback"])?;
    let account = input["account_id"].as_str().unwrap_or_default();
    to_json(custfit::activity::goal_progress(&ds, account, &goal, as_of, lookback)?)
}

fn logistic_fit(input: &Value) -> Outcome {
    let (x, p) = matrix(&input["x"]);
    let cfg: LogisticConfig = input.get("config").map_or_else(|| Ok(LogisticConfig::default()), |c| parse("config", c))?;
    let m = LogisticModel::fit(&x, p, &labels(&input["y"]), &cfg)?;
    let head: Vec<f64> = m.predict(&x[..5 * p]);
    Ok(json!({"coefficients": m.coefficients, "intercept": m.intercept, "probabilities_head": head}))
}

fn rate_conversion(input: &Value) -> Outcome {
    let annual = monthly_to_annual(f64_of(&input["monthly"]))?;
    Ok(json!({"annual": annual, "monthly_again": annual_to_monthly(annual)?}))
}

fn model_fit(input: &Value) -> Outcome {
    let (x, _) = matrix(&input["x"]);
    let names: Vec<String> = parse("features", &input["features"])?;
    let set = TrainingSet::from_matrix(names.clone(), x.clone(), labels(&input["y"]))?;
    let cfg: ChurnModelConfig = input.get("config").map_or_else(|| Ok(ChurnModelConfig::default()), |c| parse("config", c))?;
    let m = ChurnModel::fit(&set, &ChurnFeatures::new(&names), &cfg)?;
    Ok(json!({"probabilities": m.predict(&x)?}))
}

fn model_predict(input: &Value) -> Outcome {
    let m: ChurnModel = doc(&input["model"])?;
    let (x, _) = matrix(&input["rows"]);
    let p = m.predict(&x)?;
    let drivers: Vec<String> =
        m.explain(&x[..m.features.metrics.len()])?.drivers.into_iter().take(3).map(|d| d.feature).collect();
    Ok(json!({"probabilities": p, "top_drivers_first_row": drivers}))
}

fn learn_weights_case(input: &Value) -> Outcome {
    let config = &input["config"];
    let card: Scorecard = doc(&config["scorecard"])?;
    let logistic: LogisticConfig = parse("logistic", &config["logistic"])?;
    let points: Vec<Vec<Option<f64>>> = parse("points", &input["points"])?;
    let learned = learn_weights(&card, &points, &labels(&input["y"]), &logistic)?;
    Ok(json!({
        "shares_after": learned.weights.iter().map(|w| w.share_after).collect::<Vec<_>>(),
        "coefficients_per_10_points": learned.weights.iter().map(|w| w.coefficient_per_10_points).collect::<Vec<_>>(),
        "intercept": learned.intercept,
        "statuses": learned.weights.iter().map(|w| w.status).collect::<Vec<_>>(),
        "scorecard": learned.scorecard,
    }))
}

/// `play_run`: `playbook` run over each of `runs` in turn (`{"frame": <snapshot>, "close":
/// [{"key", "status", "at"}]}`: the frame of the run, and actions the caller closes after it),
/// starting from `state` (a saved ledger) or an empty one: `{"runs": [{"fired", "updated",
/// "closed", "skipped"}], "state": <the last state>}`.
/// An arm from `{n, mean, variance}` or `{n, sum, sum_squares}`.
fn arm_summary(name: &str, v: &Value) -> Result<custfit::experiment::ArmSummary, Error> {
    use custfit::experiment::ArmSummary;
    if v.get("sum").is_some() {
        let n: u64 = parse(name, &v["n"])?;
        ArmSummary::from_sums(name, n, f64_of(&v["sum"]), f64_of(&v["sum_squares"]))
    } else {
        parse(name, v)
    }
}

fn welch_summary_case(i: &Value) -> Outcome {
    let effect = custfit::experiment::welch_summary(
        &arm_summary("control", &i["control"])?,
        &arm_summary("treatment", &i["treatment"])?,
        f64_of(&i["confidence"]),
    )?;
    let sequential = match i.get("tuning") {
        Some(t) => Some(custfit::experiment::sequential(&effect, f64_of(t))?),
        None => None,
    };
    Ok(json!({"effect": to_json(&effect)?, "sequential": to_json(&sequential)?}))
}

fn play_run(input: &Value) -> Outcome {
    use custfit::play::{run, ActionStatus, PlayState, Playbook};
    let book: Playbook = doc(&input["playbook"])?;
    let mut state = match input.get("state") {
        Some(Value::String(text)) => PlayState::from_json(text)?,
        Some(v) => PlayState::from_json(&v.to_string())?,
        None => PlayState::new(),
    };
    let mut runs = Vec::new();
    for step in input["runs"].as_array().cloned().unwrap_or_default() {
        // A run may bring its own playbook (a play changed between runs).
        let own: Option<Playbook> = step.get("playbook").map(doc).transpose()?;
        let (result, next) = run(own.as_ref().unwrap_or(&book), &snapshot(&step["frame"])?, &state)?;
        state = next;
        for c in step.get("close").and_then(Value::as_array).cloned().unwrap_or_default() {
            let status: ActionStatus = parse("close.status", &c["status"])?;
            state.close(c["key"].as_str().unwrap_or_default(), status, parse("close.at", &c["at"])?)?;
        }
        runs.push(to_json(result)?);
    }
    Ok(json!({"runs": runs, "state": to_json(&state)?}))
}
