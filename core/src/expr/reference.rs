//! The reference evaluator: one row at a time over [`Value`]s.
//!
//! It is the executable definition of the language's semantics (missing values included). The
//! vectorised evaluator must agree with it on every input; a property test checks that. It is
//! also used for constant folding and for explaining single rows.

use crate::metrics::Value;
use crate::time::MS_PER_DAY;

use super::compile::{Arith, Node, NodeKind};

/// What the reference evaluator needs from a row.
pub(crate) trait RowSource {
    /// Value of the expression's column `i` in this row.
    fn get(&self, i: usize) -> Value;
    /// The snapshot's as-of instant in epoch milliseconds (for date helpers).
    fn as_of(&self) -> i64;
}

struct NoRow;

impl RowSource for NoRow {
    fn get(&self, _: usize) -> Value {
        Value::Null
    }
    fn as_of(&self) -> i64 {
        0
    }
}

/// Evaluates a node without any row (constant folding; only called on snapshot-independent nodes).
pub(crate) fn eval_const(node: &Node) -> Value {
    eval(node, &NoRow)
}

fn float(v: f64) -> Value {
    if v.is_finite() {
        Value::Float(v)
    } else {
        Value::Null
    }
}

fn int(v: Option<i64>) -> Value {
    v.map_or(Value::Null, Value::Int)
}

/// Total order of two non-missing values of the same type.
pub(crate) fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y),
        (Value::Str(x), Value::Str(y)) => Some(x.as_str().cmp(y.as_str())),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Timestamp(x), Value::Timestamp(y)) => Some(x.millis().cmp(&y.millis())),
        _ => None,
    }
}

pub(crate) fn arith_int(op: Arith, x: i64, y: i64) -> Option<i64> {
    match op {
        Arith::Add => x.checked_add(y),
        Arith::Sub => x.checked_sub(y),
        Arith::Mul => x.checked_mul(y),
        Arith::Div => x.checked_div(y),
        Arith::Rem => x.checked_rem(y),
        Arith::Min => Some(x.min(y)),
        Arith::Max => Some(x.max(y)),
    }
}

pub(crate) fn arith_float(op: Arith, x: f64, y: f64) -> Option<f64> {
    let r = match op {
        Arith::Add => x + y,
        Arith::Sub => x - y,
        Arith::Mul => x * y,
        Arith::Div => {
            if y == 0.0 {
                return None;
            }
            x / y
        }
        Arith::Rem => return None,
        Arith::Min => x.min(y),
        Arith::Max => x.max(y),
    };
    r.is_finite().then_some(r)
}

/// `int(x)` of a float: truncation toward zero; missing when out of range.
pub(crate) fn float_to_int(x: f64) -> Option<i64> {
    let t = x.trunc();
    // i64::MAX as f64 rounds up to 2^63, which is out of range.
    (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&t).then_some(t as i64)
}

pub(crate) fn eval(node: &Node, row: &dyn RowSource) -> Value {
    match &node.kind {
        NodeKind::Const(v) => v.clone(),
        NodeKind::Column(i) => row.get(*i),
        NodeKind::Has(i) => Value::Bool(!matches!(row.get(*i), Value::Null)),
        NodeKind::Not(a) => match eval(a, row) {
            Value::Bool(b) => Value::Bool(!b),
            _ => Value::Null,
        },
        NodeKind::Neg(a) => match eval(a, row) {
            Value::Int(x) => int(x.checked_neg()),
            Value::Float(x) => float(-x),
            _ => Value::Null,
        },
        NodeKind::And(a, b) => match (eval(a, row), eval(b, row)) {
            (Value::Bool(false), _) | (_, Value::Bool(false)) => Value::Bool(false),
            (Value::Bool(true), Value::Bool(true)) => Value::Bool(true),
            _ => Value::Null,
        },
        NodeKind::Or(a, b) => match (eval(a, row), eval(b, row)) {
            (Value::Bool(true), _) | (_, Value::Bool(true)) => Value::Bool(true),
            (Value::Bool(false), Value::Bool(false)) => Value::Bool(false),
            _ => Value::Null,
        },
        NodeKind::Arith(op, a, b) => match (eval(a, row), eval(b, row)) {
            (Value::Int(x), Value::Int(y)) => int(arith_int(*op, x, y)),
            (Value::Float(x), Value::Float(y)) => arith_float(*op, x, y).map_or(Value::Null, Value::Float),
            _ => Value::Null,
        },
        NodeKind::Cmp(op, a, b) => {
            let (x, y) = (eval(a, row), eval(b, row));
            match compare(&x, &y) {
                Some(o) => Value::Bool(op.test(o)),
                None => Value::Null,
            }
        }
        NodeKind::In(a, list) => match eval(a, row) {
            Value::Null => Value::Null,
            v => Value::Bool(list.iter().any(|item| compare(&v, item) == Some(std::cmp::Ordering::Equal))),
        },
        NodeKind::StrPred(op, a, pat) => match eval(a, row) {
            Value::Str(s) => Value::Bool(op.test(&s, pat)),
            _ => Value::Null,
        },
        NodeKind::Size(a) => match eval(a, row) {
            Value::Str(s) => Value::Int(s.chars().count() as i64),
            _ => Value::Null,
        },
        NodeKind::Abs(a) => match eval(a, row) {
            Value::Int(x) => int(x.checked_abs()),
            Value::Float(x) => Value::Float(x.abs()),
            _ => Value::Null,
        },
        NodeKind::ToFloat(a) => match eval(a, row) {
            Value::Int(x) => Value::Float(x as f64),
            Value::Float(x) => Value::Float(x),
            _ => Value::Null,
        },
        NodeKind::ToInt(a) => match eval(a, row) {
            Value::Float(x) => int(float_to_int(x)),
            Value::Int(x) => Value::Int(x),
            _ => Value::Null,
        },
        NodeKind::DaysSince(a) => match eval(a, row) {
            Value::Timestamp(t) => Value::Int((row.as_of() - t.millis()).div_euclid(MS_PER_DAY)),
            _ => Value::Null,
        },
        NodeKind::DaysUntil(a) => match eval(a, row) {
            Value::Timestamp(t) => Value::Int((t.millis() - row.as_of()).div_euclid(MS_PER_DAY)),
            _ => Value::Null,
        },
        NodeKind::Cond(c, a, b) => match eval(c, row) {
            Value::Bool(true) => eval(a, row),
            Value::Bool(false) => eval(b, row),
            _ => Value::Null,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_to_int_bounds() {
        assert_eq!(float_to_int(-2.7), Some(-2));
        assert_eq!(float_to_int(9.3e18), None);
        assert_eq!(float_to_int(-9.223_372_036_854_776e18), Some(i64::MIN));
        assert_eq!(arith_int(Arith::Div, i64::MIN, -1), None);
        assert_eq!(arith_float(Arith::Div, 1.0, 0.0), None);
        assert!(super::super::compile::Cmp::Ge.test(std::cmp::Ordering::Equal));
    }
}
