//! The conditions language: a small, sandboxed subset of [CEL](https://cel.dev) used by segment
//! rules, play triggers and effectiveness behaviours.
//!
//! An [`Expr`] is compiled once against a snapshot's schema (unknown names and type errors are
//! rejected with a position and a did-you-mean suggestion) and then evaluated over whole
//! columns. Missing values follow three-valued (Kleene) logic: any operation on a missing value
//! is missing, except that `false && x` is `false`, `true || x` is `true` and `has(name)` is
//! never missing. A rule *matches* a row only when it evaluates to `true`.
//!
//! ```
//! use custfit::{Column, ColumnData, Expr, Snapshot, Timestamp};
//!
//! let snapshot = Snapshot::from_columns(
//!     Timestamp::from_ymd(2024, 6, 1)?,
//!     vec!["a".into(), "b".into(), "c".into()],
//!     vec![
//!         Column::new("mrr", ColumnData::Float(vec![Some(6000.0), Some(80.0), None])),
//!         Column::new("plan", ColumnData::Str(vec![Some("enterprise".into()), Some("starter".into()), Some("enterprise".into())])),
//!     ],
//! )?;
//! let rule = Expr::compile("mrr >= 5000 && plan == \"enterprise\"", &snapshot.schema())?;
//! assert_eq!(rule.evaluate(&snapshot)?, ColumnData::Bool(vec![Some(true), Some(false), None]));
//! assert_eq!(rule.matches(&snapshot)?, vec![true, false, false]);
//!
//! let typo = Expr::compile("mrrr > 5", &snapshot.schema()).unwrap_err();
//! assert_eq!(typo.code(), "unknown_name");
//! assert!(typo.to_string().contains("did you mean `mrr`"));
//! # Ok::<(), custfit::Error>(())
//! ```
//!
//! The full reference (grammar, functions, missing-value rules, errors) is in the user guide,
//! `docs/src/expr.md`.

mod compile;
mod eval;
mod parse;
mod reference;

use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::metrics::{Column, ColumnData, DataType, Snapshot, Value};

use compile::{Compiler, Node};
use eval::{Bound, Ctx};

pub use compile::{FUNCTIONS, METHODS};

/// Sandbox limits of the conditions language. Every limit is checked before any work it bounds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct ExprLimits {
    /// Longest accepted source text, in bytes (default 4096).
    pub max_source_len: usize,
    /// Deepest accepted nesting of the syntax tree (default 64). `a && b && c` nests 2 deep.
    pub max_depth: usize,
    /// Most syntax-tree nodes (default 1024).
    pub max_nodes: usize,
    /// Largest evaluation cost, counted as plan nodes × rows (default 10 000 000 000).
    pub max_cost: u64,
}

impl Default for ExprLimits {
    fn default() -> Self {
        ExprLimits { max_source_len: 4096, max_depth: 64, max_nodes: 1024, max_cost: 10_000_000_000 }
    }
}

impl ExprLimits {
    /// Sets [`max_source_len`](Self::max_source_len).
    pub fn with_max_source_len(mut self, v: usize) -> Self {
        self.max_source_len = v;
        self
    }

    /// Sets [`max_depth`](Self::max_depth).
    pub fn with_max_depth(mut self, v: usize) -> Self {
        self.max_depth = v;
        self
    }

    /// Sets [`max_nodes`](Self::max_nodes).
    pub fn with_max_nodes(mut self, v: usize) -> Self {
        self.max_nodes = v;
        self
    }

    /// Sets [`max_cost`](Self::max_cost).
    pub fn with_max_cost(mut self, v: u64) -> Self {
        self.max_cost = v;
        self
    }

    /// Checks that every limit is positive and the depth stays within what the stack allows.
    pub fn validate(&self) -> Result<()> {
        if self.max_source_len == 0 {
            return Err(Error::config("max_source_len", "must be positive"));
        }
        if self.max_depth == 0 || self.max_depth > 256 {
            return Err(Error::config("max_depth", "must be between 1 and 256"));
        }
        if self.max_nodes == 0 {
            return Err(Error::config("max_nodes", "must be positive"));
        }
        if self.max_cost == 0 {
            return Err(Error::config("max_cost", "must be positive"));
        }
        Ok(())
    }
}

/// A compiled condition or value expression.
///
/// Compile with [`Expr::compile`] against a schema (`snapshot.schema()`), evaluate with
/// [`Expr::evaluate`] / [`Expr::matches`], or over a [`Frame`] when several expressions read
/// the same snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    source: String,
    root: Node,
    columns: Vec<(String, DataType)>,
    limits: ExprLimits,
    cost_per_row: u64,
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl Expr {
    /// Compiles `source` against `schema` (`(name, type)` pairs, e.g. [`Snapshot::schema`])
    /// with the default [`ExprLimits`].
    pub fn compile(source: &str, schema: &[(String, DataType)]) -> Result<Expr> {
        Self::compile_with(source, schema, &ExprLimits::default())
    }

    /// Compiles `source` against `schema` with explicit limits.
    pub fn compile_with(source: &str, schema: &[(String, DataType)], limits: &ExprLimits) -> Result<Expr> {
        limits.validate()?;
        let ast = parse::parse(source, limits)?;
        let mut compiler = Compiler { schema, used: Vec::new() };
        let root = compiler.compile(&ast)?;
        let cost_per_row = root.count() as u64;
        Ok(Expr { source: source.to_string(), root, columns: compiler.used, limits: limits.clone(), cost_per_row })
    }

    /// The source text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The type of the expression's value.
    pub fn result_type(&self) -> DataType {
        self.root.ty
    }

    /// True for conditions (bool-valued expressions).
    pub fn is_condition(&self) -> bool {
        self.root.ty == DataType::Bool
    }

    /// The columns the expression reads, with their compiled types, in first-use order.
    pub fn columns(&self) -> &[(String, DataType)] {
        &self.columns
    }

    /// Evaluates over every row of `snapshot`; missing results are `None`.
    pub fn evaluate(&self, snapshot: &Snapshot) -> Result<ColumnData> {
        self.evaluate_frame(&Frame::new(snapshot))
    }

    /// Evaluates over every row of a [`Frame`] (columns bound once, shared by expressions).
    pub fn evaluate_frame(&self, frame: &Frame<'_>) -> Result<ColumnData> {
        let ctx = self.bind(frame)?;
        Ok(eval::to_column(ctx.n, eval::eval(&self.root, &ctx)))
    }

    /// For a condition: per row, true where it evaluates to `true` (missing and false are false).
    pub fn matches(&self, snapshot: &Snapshot) -> Result<Vec<bool>> {
        self.matches_frame(&Frame::new(snapshot))
    }

    /// [`Expr::matches`] over a [`Frame`].
    pub fn matches_frame(&self, frame: &Frame<'_>) -> Result<Vec<bool>> {
        self.require_condition()?;
        let ctx = self.bind(frame)?;
        Ok(eval::to_mask(ctx.n, eval::eval(&self.root, &ctx)))
    }

    /// Evaluates one row with the row-at-a-time reference evaluator: slow, but the definition of
    /// the semantics (the vectorised evaluator is tested against it) and handy for explaining a
    /// single account.
    pub fn evaluate_row(&self, frame: &Frame<'_>, row: usize) -> Result<Value> {
        let ctx = self.bind(frame)?;
        if row >= ctx.n {
            return Err(Error::argument("row", format!("row {row} is out of range (the snapshot has {} rows)", ctx.n)));
        }
        struct R<'c> {
            cols: &'c [&'c Bound],
            row: usize,
            as_of: i64,
        }
        impl reference::RowSource for R<'_> {
            fn get(&self, i: usize) -> Value {
                self.cols.get(i).map_or(Value::Null, |b| eval::bound_value(b, self.row))
            }
            fn as_of(&self) -> i64 {
                self.as_of
            }
        }
        Ok(reference::eval(&self.root, &R { cols: &ctx.columns, row, as_of: ctx.as_of }))
    }

    /// The values of the columns this expression reads, for one row (the "reason" behind a match).
    pub fn inputs_at(&self, frame: &Frame<'_>, row: usize) -> Result<Vec<(String, Value)>> {
        let ctx = self.bind(frame)?;
        Ok(self.columns.iter().zip(&ctx.columns).map(|((n, _), b)| (n.clone(), eval::bound_value(b, row))).collect())
    }

    fn require_condition(&self) -> Result<()> {
        if self.root.ty != DataType::Bool {
            return Err(Error::Expr {
                kind: ErrorKind::ExprType,
                position: 0,
                message: format!("a condition must be a bool, but this expression is {}", self.root.ty.as_str()),
                suggestion: None,
            });
        }
        Ok(())
    }

    fn bind<'a>(&self, frame: &'a Frame<'a>) -> Result<Ctx<'a>> {
        let n = frame.snapshot.len();
        let cost = self.cost_per_row.saturating_mul(n as u64);
        if cost > self.limits.max_cost {
            return Err(Error::Expr {
                kind: ErrorKind::ExprLimit,
                position: 0,
                message: format!(
                    "evaluation would cost {cost} ({} plan nodes x {n} rows); the limit is {}",
                    self.cost_per_row, self.limits.max_cost
                ),
                suggestion: None,
            });
        }
        let mut columns = Vec::with_capacity(self.columns.len());
        for (name, ty) in &self.columns {
            let b = frame.bound(name)?;
            if b.data_type() != *ty {
                return Err(Error::Expr {
                    kind: ErrorKind::ExprType,
                    position: 0,
                    message: format!(
                        "column `{name}` was {} when the expression was compiled but is {} in this snapshot",
                        ty.as_str(),
                        b.data_type().as_str()
                    ),
                    suggestion: None,
                });
            }
            columns.push(b);
        }
        Ok(Ctx { n, as_of: frame.snapshot.as_of().millis(), columns })
    }
}

/// A snapshot whose columns are converted once, on first use, to the evaluator's layout
/// (values + validity; text dictionary-encoded). Share one frame among the expressions that read
/// the same snapshot.
#[derive(Debug)]
pub struct Frame<'a> {
    snapshot: &'a Snapshot,
    /// Columns added to the snapshot's, owned by the frame.
    extra: Vec<Column>,
    /// Slot 0 is `account_id`, slot `i + 1` is `snapshot.columns()[i]`, then `extra`.
    bound: Vec<OnceLock<Bound>>,
}

impl<'a> Frame<'a> {
    /// A frame over `snapshot` (nothing is converted yet).
    pub fn new(snapshot: &'a Snapshot) -> Self {
        Frame { snapshot, extra: Vec::new(), bound: (0..=snapshot.columns().len()).map(|_| OnceLock::new()).collect() }
    }

    /// A frame over `snapshot` plus `extra` columns (without copying the snapshot). An extra
    /// column must have a new name and one value per row.
    pub fn with_columns(snapshot: &'a Snapshot, extra: Vec<Column>) -> Result<Self> {
        for (i, c) in extra.iter().enumerate() {
            if c.name == "account_id" || snapshot.has_column(&c.name) || extra[..i].iter().any(|d| d.name == c.name) {
                return Err(Error::argument("columns", format!("column `{}` is already in the frame", c.name)));
            }
            if c.data.len() != snapshot.len() {
                return Err(Error::argument(
                    "columns",
                    format!("column `{}` has {} values for {} rows", c.name, c.data.len(), snapshot.len()),
                ));
            }
        }
        let slots = 1 + snapshot.columns().len() + extra.len();
        Ok(Frame { snapshot, extra, bound: (0..slots).map(|_| OnceLock::new()).collect() })
    }

    /// The named column: the snapshot's, or an added one.
    pub fn column(&self, name: &str) -> Result<&ColumnData> {
        match self.extra.iter().find(|c| c.name == name) {
            Some(c) => Ok(&c.data),
            None => self.snapshot.column(name),
        }
    }

    /// The snapshot.
    pub fn snapshot(&self) -> &'a Snapshot {
        self.snapshot
    }

    fn bound(&self, name: &str) -> Result<&Bound> {
        let extra = self.extra.iter().position(|c| c.name == name);
        let slot = if name == "account_id" {
            0
        } else if let Some(i) = extra {
            1 + self.snapshot.columns().len() + i
        } else {
            self.snapshot.column(name).map_err(|e| match e {
                Error::UnknownMetric { name, suggestion } => Error::Expr {
                    kind: ErrorKind::UnknownName,
                    position: 0,
                    message: format!("column `{name}` is not in this snapshot"),
                    suggestion,
                },
                other => other,
            })?;
            self.snapshot.columns().iter().position(|c| c.name == name).map_or(0, |i| i + 1)
        };
        let cell = self.bound.get(slot).ok_or_else(|| Error::argument("frame", "the frame does not match its snapshot"))?;
        Ok(cell.get_or_init(|| {
            let k = self.snapshot.columns().len();
            if slot == 0 {
                Bound::from_column(&ColumnData::Str(self.snapshot.account_ids().iter().cloned().map(Some).collect()))
            } else if slot > k {
                self.extra
                    .get(slot - 1 - k)
                    .map_or_else(|| Bound::from_column(&ColumnData::Bool(Vec::new())), |c| Bound::from_column(&c.data))
            } else {
                self.snapshot
                    .columns()
                    .get(slot - 1)
                    .map_or_else(|| Bound::from_column(&ColumnData::Bool(Vec::new())), |c| Bound::from_column(&c.data))
            }
        }))
    }
}

/// Compiles `source` for `path`, naming the path in any error.
pub(crate) fn compile_at(source: &str, schema: &[(String, DataType)], path: &str, condition: bool) -> Result<Expr> {
    let expr = Expr::compile(source, schema).map_err(|e| match e {
        Error::Expr { kind, position, message, suggestion } => {
            Error::Expr { kind, position, message: format!("{path}: {message}"), suggestion }
        }
        other => other,
    })?;
    let ok = if condition { expr.is_condition() } else { expr.result_type().is_numeric() };
    if !ok {
        return Err(Error::Expr {
            kind: ErrorKind::ExprType,
            position: 0,
            message: format!(
                "{path}: must be {}, but `{source}` is {}",
                if condition { "a condition (bool)" } else { "a number" },
                expr.result_type().as_str()
            ),
            suggestion: None,
        });
    }
    Ok(expr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Column;
    use crate::time::Timestamp;

    fn snap() -> Snapshot {
        let day = crate::time::MS_PER_DAY;
        let as_of = Timestamp::from_millis(100 * day).expect("ts");
        Snapshot::from_columns(
            as_of,
            vec!["a".into(), "b".into(), "c".into(), "d".into()],
            vec![
                Column::new("mrr", ColumnData::Float(vec![Some(6000.0), Some(80.0), None, Some(5000.0)])),
                Column::new("days", ColumnData::Int(vec![Some(45), Some(3), Some(31), None])),
                Column::new(
                    "plan",
                    ColumnData::Str(vec![Some("enterprise".into()), Some("starter".into()), None, Some("enterprise".into())]),
                ),
                Column::new("flag", ColumnData::Bool(vec![Some(true), None, Some(false), Some(true)])),
                Column::new(
                    "created_at",
                    ColumnData::Timestamp(vec![
                        Some(Timestamp::from_millis(10 * day).expect("ts")),
                        Some(Timestamp::from_millis(99 * day + 1).expect("ts")),
                        None,
                        Some(Timestamp::from_millis(130 * day).expect("ts")),
                    ]),
                ),
            ],
        )
        .expect("snapshot")
    }

    fn eval(src: &str) -> ColumnData {
        let s = snap();
        let e = Expr::compile(src, &s.schema()).unwrap_or_else(|err| panic!("{src}: {err}"));
        let out = e.evaluate(&s).expect("evaluates");
        // The reference evaluator agrees.
        let frame = Frame::new(&s);
        for r in 0..s.len() {
            assert_eq!(e.evaluate_row(&frame, r).expect("row"), out.value(r), "{src} row {r}");
        }
        out
    }

    fn bools(v: &[Option<bool>]) -> ColumnData {
        ColumnData::Bool(v.to_vec())
    }

    #[test]
    fn the_benchmark_rule() {
        let out = eval(r#"days > 30 && mrr >= 5000 && plan == "enterprise""#);
        assert_eq!(out, bools(&[Some(true), Some(false), None, None]));
    }

    #[test]
    fn kleene_logic() {
        assert_eq!(eval("flag || days > 40"), bools(&[Some(true), None, Some(false), Some(true)]));
        assert_eq!(eval("flag && days > 40"), bools(&[Some(true), Some(false), Some(false), None]));
        assert_eq!(eval("!flag"), bools(&[Some(false), None, Some(true), Some(false)]));
        assert_eq!(eval("has(mrr)"), bools(&[Some(true), Some(true), Some(false), Some(true)]));
        assert_eq!(eval("!has(mrr) || mrr > 100"), bools(&[Some(true), Some(false), Some(true), Some(true)]));
    }

    #[test]
    fn strings_lists_and_dates() {
        assert_eq!(eval(r#"plan in ["starter", "pro"]"#), bools(&[Some(false), Some(true), None, Some(false)]));
        assert_eq!(eval(r#"plan.startsWith("ent")"#), bools(&[Some(true), Some(false), None, Some(true)]));
        assert_eq!(eval(r#"plan.contains("art")"#), bools(&[Some(false), Some(true), None, Some(false)]));
        assert_eq!(eval("size(plan)"), ColumnData::Int(vec![Some(10), Some(7), None, Some(10)]));
        assert_eq!(eval("days_since(created_at)"), ColumnData::Int(vec![Some(90), Some(0), None, Some(-30)]));
        assert_eq!(eval("days_until(created_at)"), ColumnData::Int(vec![Some(-90), Some(-1), None, Some(30)]));
        assert_eq!(eval(r#"created_at < timestamp("1970-02-01")"#), bools(&[Some(true), Some(false), None, Some(false)]));
        assert_eq!(eval(r#"plan < "m""#), bools(&[Some(true), Some(false), None, Some(true)]));
        assert_eq!(eval(r#""m" > plan"#), bools(&[Some(true), Some(false), None, Some(true)]));
        assert_eq!(
            eval(r#"days > 10 ? plan : "small""#),
            ColumnData::Str(vec![Some("enterprise".into()), Some("small".into()), None, None])
        );
    }

    #[test]
    fn arithmetic() {
        assert_eq!(eval("days / 2 + 1"), ColumnData::Int(vec![Some(23), Some(2), Some(16), None]));
        assert_eq!(eval("mrr / 0"), ColumnData::Float(vec![None, None, None, None]));
        assert_eq!(eval("days % 0"), ColumnData::Int(vec![None, None, None, None]));
        assert_eq!(eval("mrr * 12 > 60000.5"), bools(&[Some(true), Some(false), None, Some(false)]));
        assert_eq!(eval("max(days, 10) - min(1, 2)"), ColumnData::Int(vec![Some(44), Some(9), Some(30), None]));
        assert_eq!(eval("int(mrr / 7.0)"), ColumnData::Int(vec![Some(857), Some(11), None, Some(714)]));
        assert_eq!(eval("1 + 2 * 3"), ColumnData::Int(vec![Some(7); 4]));
        assert_eq!(eval("-days"), ColumnData::Int(vec![Some(-45), Some(-3), Some(-31), None]));
    }

    fn compile_err(src: &str) -> Error {
        Expr::compile(src, &snap().schema()).expect_err(src)
    }

    #[test]
    fn compile_errors_have_positions_and_suggestions() {
        let e = compile_err("mrr > 5 && plann == \"x\"");
        assert_eq!(e.code(), "unknown_name");
        let Error::Expr { position, suggestion, .. } = &e else { panic!("expr error") };
        assert_eq!((*position, suggestion.as_deref()), (11, Some("plan")));
        assert_eq!(compile_err("plan > 5").code(), "expr_type");
        assert_eq!(compile_err("mrr && flag").code(), "expr_type");
        assert_eq!(compile_err("mrr == null").code(), "expr_type");
        assert_eq!(compile_err("startswith(plan)").code(), "unknown_name");
        assert!(compile_err("plan.startWith(\"a\")").to_string().contains("startsWith"));
        assert_eq!(compile_err("mrr >").code(), "expr_syntax");
        assert_eq!(compile_err("mrr % 2").code(), "expr_type");
    }

    #[test]
    fn conditions_only_match_when_true() {
        let s = snap();
        let e = Expr::compile("days > 30", &s.schema()).expect("compiles");
        assert_eq!(e.matches(&s).expect("mask"), vec![true, false, true, false]);
        let v = Expr::compile("days", &s.schema()).expect("compiles");
        assert_eq!(v.matches(&s).expect_err("not bool").code(), "expr_type");
    }

    #[test]
    fn cost_limit() {
        let s = snap();
        let e =
            Expr::compile_with("days > 1 && mrr > 2", &s.schema(), &ExprLimits::default().with_max_cost(10)).expect("compiles");
        assert_eq!(e.evaluate(&s).expect_err("too costly").code(), "expr_limit");
    }

    #[test]
    fn type_drift_is_detected() {
        let s = snap();
        let e = Expr::compile("days > 1", &s.schema()).expect("compiles");
        let other =
            Snapshot::from_columns(s.as_of(), vec!["x".into()], vec![Column::new("days", ColumnData::Float(vec![Some(1.0)]))])
                .expect("snapshot");
        assert_eq!(e.evaluate(&other).expect_err("drift").code(), "expr_type");
    }
}
