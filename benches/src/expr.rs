//! Conditions language benchmark: custfit's vectorised evaluator against the `cel` crate's
//! interpreter evaluating row by row (the way a rule engine is usually embedded), on the rule
//! `days_since_last_login > 30 && mrr >= 5000 && plan == "enterprise"` over 1M accounts.
//!
//! `cargo run --release -p custfit-benches --bin expr [rows]` prints a JSON summary.

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use cel::common::types::{CelDouble, CelInt, CelString};
use cel::common::value::CowVal;
use cel::context::VariableResolver;
use cel::{Context, Program};
use custfit::sim::Rng;
use custfit::{Column, ColumnData, Expr, Frame, Snapshot, Timestamp};

const RULE: &str = r#"days_since_last_login > 30 && mrr >= 5000 && plan == "enterprise""#;
const PLANS: [&str; 4] = ["starter", "growth", "pro", "enterprise"];

/// A borrowing resolver over the columns; `row` moves the cursor, so one `Context` (with its
/// standard library) serves every row, as an embedding service would do.
struct Rows<'a> {
    days: &'a [Option<i64>],
    mrr: &'a [Option<f64>],
    plan: &'a [Option<String>],
    row: AtomicUsize,
}

impl VariableResolver for Rows<'_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        let i = self.row.load(Ordering::Relaxed);
        match variable {
            "days_since_last_login" => self.days.get(i).copied().flatten().map(|v| CowVal::owned(CelInt::from(v))),
            "mrr" => self.mrr.get(i).copied().flatten().map(|v| CowVal::owned(CelDouble::from(v))),
            "plan" => self.plan.get(i).and_then(|p| p.as_deref()).map(|v| CowVal::owned(CelString::from(v))),
            _ => None,
        }
    }
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(r);
    }
    (best, out.expect("at least one run"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args().nth(1).map(|a| a.parse()).transpose()?.unwrap_or(1_000_000);
    let mut rng = Rng::new(42, 0);
    let days: Vec<Option<i64>> = (0..n).map(|_| Some(rng.below(120) as i64)).collect();
    let mrr: Vec<Option<f64>> = (0..n).map(|_| Some((rng.lognormal(6.5, 1.5) * 100.0).round() / 100.0)).collect();
    let plan: Vec<Option<String>> = (0..n).map(|_| Some(PLANS[rng.weighted(&[0.5, 0.3, 0.15, 0.05])].to_string())).collect();
    let snapshot = Snapshot::from_columns(
        Timestamp::from_ymd(2024, 6, 1)?,
        (0..n).map(|i| format!("acct{i}")).collect(),
        vec![
            Column::new("days_since_last_login", ColumnData::Int(days.clone())),
            Column::new("mrr", ColumnData::Float(mrr.clone())),
            Column::new("plan", ColumnData::Str(plan.clone())),
        ],
    )?;

    // custfit: compile once; then (a) bind + evaluate from the Snapshot, (b) evaluate on a bound frame.
    let t = Instant::now();
    let expr = Expr::compile(RULE, &snapshot.schema())?;
    let compile_s = t.elapsed().as_secs_f64();
    let (cold_s, cold) = best_of(5, || Expr::matches(&expr, &snapshot));
    let cold = cold?;
    let frame = Frame::new(&snapshot);
    expr.matches_frame(&frame)?;
    let (warm_s, warm) = best_of(10, || expr.matches_frame(&frame));
    let warm = warm?;
    assert_eq!(cold, warm);
    let hits = warm.iter().filter(|b| **b).count();

    // Native closure over the same Vec<Option<_>> columns (the floor).
    let (native_s, native_hits) = best_of(5, || {
        (0..n)
            .filter(|&i| {
                black_box(
                    days[i].is_some_and(|d| d > 30)
                        && mrr[i].is_some_and(|m| m >= 5000.0)
                        && plan[i].as_deref() == Some("enterprise"),
                )
            })
            .count()
    });
    assert_eq!(native_hits, hits);

    // cel: compiled once, executed row by row with a borrowing resolver.
    let program = Program::compile(RULE).map_err(|e| format!("cel compile: {e:?}"))?;
    let rows = Rows { days: &days, mrr: &mrr, plan: &plan, row: AtomicUsize::new(0) };
    let mut ctx = Context::default();
    ctx.set_variable_resolver(&rows);
    let (cel_s, cel_hits) = best_of(3, || {
        let mut count = 0usize;
        for i in 0..n {
            rows.row.store(i, Ordering::Relaxed);
            if let Ok(cel::Value::Bool(true)) = program.execute(&ctx) {
                count += 1;
            }
        }
        count
    });
    assert_eq!(cel_hits, hits, "cel and custfit disagree");

    let per_row = |s: f64| s * 1e9 / n as f64;
    let summary = serde_json::json!({
        "rule": RULE,
        "rows": n,
        "matches": hits,
        "compile_us": compile_s * 1e6,
        "custfit_bound_frame_ns_per_row": per_row(warm_s),
        "custfit_from_snapshot_ns_per_row": per_row(cold_s),
        "native_closure_ns_per_row": per_row(native_s),
        "cel_row_by_row_ns_per_row": per_row(cel_s),
        "speedup_vs_cel_bound_frame": cel_s / warm_s,
        "speedup_vs_cel_from_snapshot": cel_s / cold_s,
    });
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}
