//! Conditions language: the property that the vectorised evaluator agrees with the row-by-row
//! reference evaluator (the golden cases of tests/cases/expr run in `cases`).

use custfit::sim::Rng;
use custfit::{Column, ColumnData, Expr, Frame, Snapshot, Timestamp, Value};
use proptest::prelude::*;

#[test]
fn rejects_garbage_without_panicking() {
    let schema = vec![("x".to_string(), custfit::DataType::Int)];
    for src in
        ["", "(", ")", "[", "x in", "x in [", "x ? 1", "has()", "has(1)", "x.", "\"\\u12\"", "1..2", "x[0]", "!!", "x = 1", "é"]
    {
        assert!(Expr::compile(src, &schema).is_err(), "{src:?} should be rejected");
    }
}

// ---------------------------------------------------------------------------------------------
// Vectorised evaluator == reference evaluator, on random data and random expressions.

const TYPES: [&str; 5] = ["int", "float", "str", "bool", "ts"];

fn pick<'a>(rng: &mut Rng, items: &[&'a str]) -> &'a str {
    items[rng.below(items.len() as u64) as usize]
}

/// A random well-typed expression of type `ty` over columns i1, i2, f1, f2, s1, s2, b1, b2, t1.
fn gen(rng: &mut Rng, ty: &str, depth: u32) -> String {
    let leaf = depth == 0 || rng.chance(0.25);
    match ty {
        "int" => {
            if leaf {
                return match rng.below(4) {
                    0 => pick(rng, &["i1", "i2"]).to_string(),
                    1 => pick(rng, &["0", "1", "-3", "7", "9223372036854775807", "-9223372036854775808"]).to_string(),
                    2 => format!("size({})", gen(rng, "str", 0)),
                    _ => format!("days_since({})", gen(rng, "ts", 0)),
                };
            }
            let d = depth - 1;
            match rng.below(6) {
                0 => format!("({} {} {})", gen(rng, "int", d), pick(rng, &["+", "-", "*", "/", "%"]), gen(rng, "int", d)),
                1 => format!("-{}", gen(rng, "int", d)),
                2 => format!("{}({}, {})", pick(rng, &["min", "max"]), gen(rng, "int", d), gen(rng, "int", d)),
                3 => format!("abs({})", gen(rng, "int", d)),
                4 => format!("int({})", gen(rng, "float", d)),
                _ => format!("({} ? {} : {})", gen(rng, "bool", d), gen(rng, "int", d), gen(rng, "int", d)),
            }
        }
        "float" => {
            if leaf {
                return match rng.below(2) {
                    0 => pick(rng, &["f1", "f2"]).to_string(),
                    _ => pick(rng, &["0.0", "2.5", "-1.5", "1e308"]).to_string(),
                };
            }
            let d = depth - 1;
            match rng.below(5) {
                0 => {
                    let rhs = pick(rng, &["int", "float"]);
                    format!("({} {} {})", gen(rng, "float", d), pick(rng, &["+", "-", "*", "/"]), gen(rng, rhs, d))
                }
                1 => format!("double({})", gen(rng, "int", d)),
                2 => format!("{}({}, {})", pick(rng, &["min", "max"]), gen(rng, "float", d), gen(rng, "int", d)),
                3 => format!("-{}", gen(rng, "float", d)),
                _ => format!("({} ? {} : {})", gen(rng, "bool", d), gen(rng, "float", d), gen(rng, "int", d)),
            }
        }
        "str" => {
            if leaf || rng.chance(0.5) {
                return match rng.below(2) {
                    0 => pick(rng, &["s1", "s2"]).to_string(),
                    _ => pick(rng, &["\"\"", "\"a\"", "\"ab\"", "\"enterprise\""]).to_string(),
                };
            }
            let d = depth - 1;
            format!("({} ? {} : {})", gen(rng, "bool", d), gen(rng, "str", d), gen(rng, "str", d))
        }
        "ts" => {
            if leaf || rng.chance(0.5) {
                return pick(rng, &["t1", "timestamp(\"2024-01-01\")", "timestamp(\"2024-03-01T12:00:00Z\")"]).to_string();
            }
            let d = depth - 1;
            format!("({} ? {} : {})", gen(rng, "bool", d), gen(rng, "ts", d), gen(rng, "ts", d))
        }
        _ => {
            if leaf {
                return match rng.below(4) {
                    0 => pick(rng, &["b1", "b2", "true", "false"]).to_string(),
                    1 => format!("has({})", pick(rng, &["i1", "f1", "s1", "b1", "t1"])),
                    2 => format!(
                        "{}.{}({})",
                        pick(rng, &["s1", "s2"]),
                        pick(rng, &["startsWith", "endsWith", "contains"]),
                        pick(rng, &["\"\"", "\"a\"", "\"b\""])
                    ),
                    _ => format!(
                        "({} {} {})",
                        pick(rng, &["i1", "i2"]),
                        pick(rng, &["<", "<=", "==", "!=", ">", ">="]),
                        pick(rng, &["f1", "0", "3"])
                    ),
                };
            }
            let d = depth - 1;
            match rng.below(7) {
                0 | 1 => format!("({} {} {})", gen(rng, "bool", d), pick(rng, &["&&", "||"]), gen(rng, "bool", d)),
                2 => format!("!{}", gen(rng, "bool", d)),
                3 => {
                    let t = pick(rng, &TYPES);
                    let ops: &[&str] = if t == "bool" { &["==", "!="] } else { &["<", "<=", "==", "!=", ">", ">="] };
                    let rhs_ty = match t {
                        "int" | "float" => pick(rng, &["int", "float"]),
                        other => other,
                    };
                    format!("({} {} {})", gen(rng, t, d), pick(rng, ops), gen(rng, rhs_ty, d))
                }
                4 => format!("({} in [1, 3, 7, 9223372036854775807])", gen(rng, "int", d)),
                5 => format!("({} in [\"a\", \"enterprise\", \"\"])", gen(rng, "str", d)),
                _ => format!("({} ? {} : {})", gen(rng, "bool", d), gen(rng, "bool", d), gen(rng, "bool", d)),
            }
        }
    }
}

fn random_snapshot(rng: &mut Rng, n: usize) -> Snapshot {
    let miss = |rng: &mut Rng| rng.chance(0.2);
    let ints = [0, 1, -1, 3, 7, 100, i64::MAX, i64::MIN];
    let floats = [0.0, -0.0, 2.5, -1.5, 3.0, 1e308, 7.0];
    let strs = ["", "a", "ab", "b", "enterprise", "é"];
    let i = |rng: &mut Rng| -> Vec<Option<i64>> {
        (0..n).map(|_| (!miss(rng)).then(|| ints[rng.below(ints.len() as u64) as usize])).collect()
    };
    let i1 = i(rng);
    let i2 = i(rng);
    let f = |rng: &mut Rng| -> Vec<Option<f64>> {
        (0..n).map(|_| (!miss(rng)).then(|| floats[rng.below(floats.len() as u64) as usize])).collect()
    };
    let f1 = f(rng);
    let f2 = f(rng);
    let s = |rng: &mut Rng| -> Vec<Option<String>> {
        (0..n).map(|_| (!miss(rng)).then(|| strs[rng.below(strs.len() as u64) as usize].to_string())).collect()
    };
    let s1 = s(rng);
    let s2 = s(rng);
    let b = |rng: &mut Rng| -> Vec<Option<bool>> { (0..n).map(|_| (!miss(rng)).then(|| rng.chance(0.5))).collect() };
    let b1 = b(rng);
    let b2 = b(rng);
    let base = Timestamp::from_ymd(2024, 1, 1).expect("ts");
    let t1: Vec<Option<Timestamp>> =
        (0..n).map(|_| (!miss(rng)).then(|| base.add_millis(rng.below(200 * 86_400_000) as i64 - 100 * 86_400_000))).collect();
    Snapshot::from_columns(
        base.add_days(30),
        (0..n).map(|k| format!("a{k}")).collect(),
        vec![
            Column::new("i1", ColumnData::Int(i1)),
            Column::new("i2", ColumnData::Int(i2)),
            Column::new("f1", ColumnData::Float(f1)),
            Column::new("f2", ColumnData::Float(f2)),
            Column::new("s1", ColumnData::Str(s1)),
            Column::new("s2", ColumnData::Str(s2)),
            Column::new("b1", ColumnData::Bool(b1)),
            Column::new("b2", ColumnData::Bool(b2)),
            Column::new("t1", ColumnData::Timestamp(t1)),
        ],
    )
    .expect("snapshot")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn vectorised_agrees_with_reference(seed in any::<u64>(), rows in 1usize..40, depth in 0u32..5) {
        let mut rng = Rng::new(seed, 7);
        let snapshot = random_snapshot(&mut rng, rows);
        let ty = TYPES[rng.below(5) as usize];
        let source = gen(&mut rng, ty, depth);
        let expr = Expr::compile(&source, &snapshot.schema()).map_err(|e| TestCaseError::fail(format!("{source}: {e}")))?;
        let column = expr.evaluate(&snapshot).map_err(|e| TestCaseError::fail(format!("{source}: {e}")))?;
        let frame = Frame::new(&snapshot);
        for r in 0..rows {
            let reference = expr.evaluate_row(&frame, r).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(column.value(r), reference, "{} at row {}", source, r);
        }
        if expr.is_condition() {
            let mask = expr.matches(&snapshot).map_err(|e| TestCaseError::fail(e.to_string()))?;
            for (r, m) in mask.iter().enumerate() {
                prop_assert_eq!(*m, column.value(r) == Value::Bool(true));
            }
        }
    }

    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,80}") {
        let schema = vec![("mrr".to_string(), custfit::DataType::Float), ("plan".to_string(), custfit::DataType::Str)];
        let _ = Expr::compile(&src, &schema);
    }
}

#[test]
fn guide_expr_rust() -> custfit::Result<()> {
    // ANCHOR: expr_rust
    use custfit::{Expr, Frame, Simulation, SimulationConfig};

    let sim = Simulation::generate(&SimulationConfig::default().with_accounts(100).with_days(60).with_activity_scale(0.1))?;
    let snapshot = sim.dataset.snapshot(sim.end)?;

    // Compile once against the schema: names and types are checked here.
    let rule = Expr::compile(r#"days_since_last_activity > 30 && mrr >= 5000 && plan == "enterprise""#, &snapshot.schema())?;
    // Evaluate over whole columns. A Frame converts each column once and is shared by rules.
    let frame = Frame::new(&snapshot);
    let hits = rule.matches_frame(&frame)?;
    // Explain one account: the inputs the rule read, and its value.
    if let Some(row) = hits.iter().position(|h| *h) {
        let inputs = rule.inputs_at(&frame, row)?;
        assert_eq!(inputs.len(), 3);
    }
    // ANCHOR_END: expr_rust
    assert_eq!(hits.len(), snapshot.len());
    Ok(())
}
