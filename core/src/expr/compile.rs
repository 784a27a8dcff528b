//! Type checking: the syntax tree becomes a typed plan, compiled once against a schema.
//!
//! Names are resolved to columns, every operator is checked for operand types, numeric
//! promotions (int → float) are made explicit, and constant sub-expressions are folded, so the
//! evaluators only meet homogeneous operations.

use crate::error::{closest, Error, ErrorKind, Result};
use crate::metrics::{DataType, Value};
use crate::time::Timestamp;

use super::parse::{err, Ast, AstKind, BinOp};
use super::reference;

/// Names of the built-in functions of the conditions language.
pub const FUNCTIONS: &[&str] = &["has", "size", "abs", "min", "max", "int", "double", "timestamp", "days_since", "days_until"];
/// Names of the built-in methods of the conditions language (called as `text.name(…)`).
pub const METHODS: &[&str] = &["startsWith", "endsWith", "contains", "size"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Min,
    Max,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    pub fn test(self, o: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            Cmp::Eq => o == Equal,
            Cmp::Ne => o != Equal,
            Cmp::Lt => o == Less,
            Cmp::Le => o != Greater,
            Cmp::Gt => o == Greater,
            Cmp::Ge => o != Less,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StrOp {
    StartsWith,
    EndsWith,
    Contains,
}

impl StrOp {
    pub fn test(self, s: &str, pat: &str) -> bool {
        match self {
            StrOp::StartsWith => s.starts_with(pat),
            StrOp::EndsWith => s.ends_with(pat),
            StrOp::Contains => s.contains(pat),
        }
    }
}

/// A typed plan node. `ty` is the type of its value; any value may also be missing.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub kind: NodeKind,
    pub ty: DataType,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NodeKind {
    /// A constant (possibly missing, e.g. a folded `1 / 0`).
    Const(Value),
    /// Column `i` of the compiled expression's column list.
    Column(usize),
    /// True when column `i` has a value.
    Has(usize),
    Not(Box<Node>),
    Neg(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    /// Homogeneous arithmetic: both operands have the node's type (int or float).
    Arith(Arith, Box<Node>, Box<Node>),
    /// Homogeneous comparison: both operands have the same type.
    Cmp(Cmp, Box<Node>, Box<Node>),
    /// Membership in a list of constants of the operand's type.
    In(Box<Node>, Vec<Value>),
    StrPred(StrOp, Box<Node>, String),
    Size(Box<Node>),
    Abs(Box<Node>),
    ToFloat(Box<Node>),
    ToInt(Box<Node>),
    DaysSince(Box<Node>),
    DaysUntil(Box<Node>),
    Cond(Box<Node>, Box<Node>, Box<Node>),
}

impl Node {
    fn konst(v: Value, ty: DataType) -> Node {
        Node { kind: NodeKind::Const(v), ty }
    }

    pub fn is_const(&self) -> bool {
        matches!(self.kind, NodeKind::Const(_))
    }

    /// Number of nodes (the unit of evaluation cost).
    pub fn count(&self) -> usize {
        1 + match &self.kind {
            NodeKind::Const(_) | NodeKind::Column(_) | NodeKind::Has(_) => 0,
            NodeKind::Not(a)
            | NodeKind::Neg(a)
            | NodeKind::In(a, _)
            | NodeKind::StrPred(_, a, _)
            | NodeKind::Size(a)
            | NodeKind::Abs(a)
            | NodeKind::ToFloat(a)
            | NodeKind::ToInt(a)
            | NodeKind::DaysSince(a)
            | NodeKind::DaysUntil(a) => a.count(),
            NodeKind::And(a, b) | NodeKind::Or(a, b) | NodeKind::Arith(_, a, b) | NodeKind::Cmp(_, a, b) => a.count() + b.count(),
            NodeKind::Cond(a, b, c) => a.count() + b.count() + c.count(),
        }
    }
}

pub(crate) struct Compiler<'a> {
    pub schema: &'a [(String, DataType)],
    /// Columns the expression reads, in first-use order.
    pub used: Vec<(String, DataType)>,
}

fn type_err(pos: usize, msg: impl Into<String>) -> Error {
    err(ErrorKind::ExprType, pos, msg)
}

fn tname(t: DataType) -> &'static str {
    t.as_str()
}

impl Compiler<'_> {
    fn column(&mut self, name: &str, pos: usize) -> Result<(usize, DataType)> {
        if let Some(i) = self.used.iter().position(|(n, _)| n == name) {
            return Ok((i, self.used[i].1));
        }
        match self.schema.iter().find(|(n, _)| n == name) {
            Some((_, t)) => {
                self.used.push((name.to_string(), *t));
                Ok((self.used.len() - 1, *t))
            }
            None => {
                let known = self.schema.iter().map(|(n, _)| n.as_str());
                let suggestion = closest(name, known);
                let message = if FUNCTIONS.contains(&name) {
                    format!("`{name}` is a function; call it with parentheses")
                } else {
                    format!("unknown name `{name}`: no such column in the snapshot")
                };
                Err(Error::Expr { kind: ErrorKind::UnknownName, position: pos, message, suggestion })
            }
        }
    }

    pub fn compile(&mut self, ast: &Ast) -> Result<Node> {
        let node = self.build(ast)?;
        Ok(fold(node))
    }

    fn to_float(&self, n: Node) -> Node {
        if n.ty == DataType::Int {
            fold(Node { kind: NodeKind::ToFloat(Box::new(n)), ty: DataType::Float })
        } else {
            n
        }
    }

    /// Brings two numeric operands to a common type.
    fn unify_numeric(&self, a: Node, b: Node) -> (Node, Node, DataType) {
        if a.ty == DataType::Float || b.ty == DataType::Float {
            (self.to_float(a), self.to_float(b), DataType::Float)
        } else {
            (a, b, DataType::Int)
        }
    }

    fn expect_bool(&mut self, ast: &Ast, what: &str) -> Result<Node> {
        let n = self.compile(ast)?;
        if n.ty != DataType::Bool {
            return Err(type_err(ast.pos, format!("{what} must be a bool, found {}", tname(n.ty))));
        }
        Ok(n)
    }

    fn build(&mut self, ast: &Ast) -> Result<Node> {
        let pos = ast.pos;
        Ok(match &ast.kind {
            AstKind::Int(v) => Node::konst(Value::Int(*v), DataType::Int),
            AstKind::Float(v) => Node::konst(Value::Float(*v), DataType::Float),
            AstKind::Str(s) => Node::konst(Value::Str(s.clone()), DataType::Str),
            AstKind::Bool(b) => Node::konst(Value::Bool(*b), DataType::Bool),
            AstKind::Null => {
                return Err(type_err(pos, "`null` is not supported; test for a missing value with `has(name)`"));
            }
            AstKind::Ident(name) => {
                let (i, ty) = self.column(name, pos)?;
                Node { kind: NodeKind::Column(i), ty }
            }
            AstKind::List(_) => return Err(type_err(pos, "a list may only appear on the right of `in`")),
            AstKind::Not(a) => {
                let a = self.expect_bool(a, "the operand of `!`")?;
                Node { kind: NodeKind::Not(Box::new(a)), ty: DataType::Bool }
            }
            AstKind::Neg(a) => {
                let n = self.compile(a)?;
                if !n.ty.is_numeric() {
                    return Err(type_err(pos, format!("`-` needs a number, found {}", tname(n.ty))));
                }
                let ty = n.ty;
                Node { kind: NodeKind::Neg(Box::new(n)), ty }
            }
            AstKind::Binary(op, a, b) => self.binary(*op, a, b, pos)?,
            AstKind::In(a, list) => {
                let left = self.compile(a)?;
                let AstKind::List(items) = &list.kind else {
                    return Err(type_err(
                        list.pos,
                        "`in` needs a list literal on its right, e.g. `plan in [\"pro\", \"enterprise\"]`",
                    ));
                };
                let mut values = Vec::with_capacity(items.len());
                let mut target = left.ty;
                let mut nodes = Vec::with_capacity(items.len());
                for item in items {
                    let n = self.compile(item)?;
                    if !n.is_const() {
                        return Err(type_err(item.pos, "list items must be constants"));
                    }
                    let ok = n.ty == left.ty || (n.ty.is_numeric() && left.ty.is_numeric());
                    if !ok {
                        return Err(type_err(
                            item.pos,
                            format!("list item is {} but the value tested is {}", tname(n.ty), tname(left.ty)),
                        ));
                    }
                    if n.ty == DataType::Float {
                        target = DataType::Float;
                    }
                    nodes.push(n);
                }
                for n in nodes {
                    let n = if target == DataType::Float { self.to_float(n) } else { n };
                    if let NodeKind::Const(v) = n.kind {
                        values.push(v);
                    }
                }
                let left = if target == DataType::Float { self.to_float(left) } else { left };
                Node { kind: NodeKind::In(Box::new(left), values), ty: DataType::Bool }
            }
            AstKind::Cond(c, a, b) => {
                let c = self.expect_bool(c, "the condition of `? :`")?;
                let a2 = self.compile(a)?;
                let b2 = self.compile(b)?;
                let (a2, b2, ty) = if a2.ty.is_numeric() && b2.ty.is_numeric() {
                    self.unify_numeric(a2, b2)
                } else if a2.ty == b2.ty {
                    let t = a2.ty;
                    (a2, b2, t)
                } else {
                    return Err(type_err(
                        b.pos,
                        format!("both branches must have one type, found {} and {}", tname(a2.ty), tname(b2.ty)),
                    ));
                };
                Node { kind: NodeKind::Cond(Box::new(c), Box::new(a2), Box::new(b2)), ty }
            }
            AstKind::Call(name, args) => self.call(name, args, pos)?,
            AstKind::Method(recv, name, args) => {
                let r = self.compile(recv)?;
                let op = match name.as_str() {
                    "startsWith" => StrOp::StartsWith,
                    "endsWith" => StrOp::EndsWith,
                    "contains" => StrOp::Contains,
                    "size" => {
                        if !args.is_empty() {
                            return Err(type_err(pos, "`size()` takes no arguments"));
                        }
                        return self.size(r, pos);
                    }
                    other => {
                        let suggestion = closest(other, METHODS.iter().copied());
                        return Err(Error::Expr {
                            kind: ErrorKind::UnknownName,
                            position: pos,
                            message: format!("unknown method `{other}`"),
                            suggestion,
                        });
                    }
                };
                if r.ty != DataType::Str {
                    return Err(type_err(recv.pos, format!("`{name}` needs a str receiver, found {}", tname(r.ty))));
                }
                let [arg] = args.as_slice() else {
                    return Err(type_err(pos, format!("`{name}` takes exactly one argument")));
                };
                let a = self.compile(arg)?;
                let NodeKind::Const(Value::Str(pat)) = a.kind else {
                    return Err(type_err(arg.pos, format!("the argument of `{name}` must be a string literal")));
                };
                Node { kind: NodeKind::StrPred(op, Box::new(r), pat), ty: DataType::Bool }
            }
        })
    }

    fn size(&mut self, r: Node, pos: usize) -> Result<Node> {
        if r.ty != DataType::Str {
            return Err(type_err(pos, format!("`size` needs a str, found {}", tname(r.ty))));
        }
        Ok(Node { kind: NodeKind::Size(Box::new(r)), ty: DataType::Int })
    }

    fn binary(&mut self, op: BinOp, a: &Ast, b: &Ast, pos: usize) -> Result<Node> {
        match op {
            BinOp::And | BinOp::Or => {
                let what = format!("each side of `{}`", op.symbol());
                let l = self.expect_bool(a, &what)?;
                let r = self.expect_bool(b, &what)?;
                let kind = if op == BinOp::And {
                    NodeKind::And(Box::new(l), Box::new(r))
                } else {
                    NodeKind::Or(Box::new(l), Box::new(r))
                };
                Ok(Node { kind, ty: DataType::Bool })
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let l = self.compile(a)?;
                let r = self.compile(b)?;
                let cmp = match op {
                    BinOp::Eq => Cmp::Eq,
                    BinOp::Ne => Cmp::Ne,
                    BinOp::Lt => Cmp::Lt,
                    BinOp::Le => Cmp::Le,
                    BinOp::Gt => Cmp::Gt,
                    _ => Cmp::Ge,
                };
                let (l, r) = if l.ty.is_numeric() && r.ty.is_numeric() {
                    let (l, r, _) = self.unify_numeric(l, r);
                    (l, r)
                } else if l.ty == r.ty {
                    if l.ty == DataType::Bool && !matches!(cmp, Cmp::Eq | Cmp::Ne) {
                        return Err(type_err(
                            pos,
                            format!("bools can only be compared with `==` or `!=`, not `{}`", op.symbol()),
                        ));
                    }
                    (l, r)
                } else {
                    let hint = if r.ty == DataType::Str && l.ty == DataType::Timestamp {
                        "; wrap the text in timestamp(\"…\")"
                    } else {
                        ""
                    };
                    return Err(type_err(
                        pos,
                        format!("cannot compare {} with {} using `{}`{hint}", tname(l.ty), tname(r.ty), op.symbol()),
                    ));
                };
                Ok(Node { kind: NodeKind::Cmp(cmp, Box::new(l), Box::new(r)), ty: DataType::Bool })
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => {
                let l = self.compile(a)?;
                let r = self.compile(b)?;
                if !l.ty.is_numeric() || !r.ty.is_numeric() {
                    let bad = if l.ty.is_numeric() { (r.ty, b.pos) } else { (l.ty, a.pos) };
                    return Err(type_err(bad.1, format!("`{}` needs numbers, found {}", op.symbol(), tname(bad.0))));
                }
                let (l, r, ty) = self.unify_numeric(l, r);
                let arith = match op {
                    BinOp::Add => Arith::Add,
                    BinOp::Sub => Arith::Sub,
                    BinOp::Mul => Arith::Mul,
                    BinOp::Div => Arith::Div,
                    _ => Arith::Rem,
                };
                if arith == Arith::Rem && ty != DataType::Int {
                    return Err(type_err(pos, "`%` needs integers"));
                }
                Ok(Node { kind: NodeKind::Arith(arith, Box::new(l), Box::new(r)), ty })
            }
        }
    }

    fn call(&mut self, name: &str, args: &[Ast], pos: usize) -> Result<Node> {
        let arity = |n: usize| -> Result<()> {
            if args.len() != n {
                return Err(type_err(
                    pos,
                    format!("`{name}` takes {n} argument{}, got {}", if n == 1 { "" } else { "s" }, args.len()),
                ));
            }
            Ok(())
        };
        match name {
            "has" => {
                arity(1)?;
                let AstKind::Ident(col) = &args[0].kind else {
                    return Err(type_err(args[0].pos, "`has` takes a column name, e.g. `has(last_survey_score)`"));
                };
                let (i, _) = self.column(col, args[0].pos)?;
                Ok(Node { kind: NodeKind::Has(i), ty: DataType::Bool })
            }
            "size" => {
                arity(1)?;
                let r = self.compile(&args[0])?;
                self.size(r, args[0].pos)
            }
            "abs" => {
                arity(1)?;
                let a = self.compile(&args[0])?;
                if !a.ty.is_numeric() {
                    return Err(type_err(args[0].pos, format!("`abs` needs a number, found {}", tname(a.ty))));
                }
                let ty = a.ty;
                Ok(Node { kind: NodeKind::Abs(Box::new(a)), ty })
            }
            "min" | "max" => {
                arity(2)?;
                let a = self.compile(&args[0])?;
                let b = self.compile(&args[1])?;
                for (n, ast) in [(&a, &args[0]), (&b, &args[1])] {
                    if !n.ty.is_numeric() {
                        return Err(type_err(ast.pos, format!("`{name}` needs numbers, found {}", tname(n.ty))));
                    }
                }
                let (a, b, ty) = self.unify_numeric(a, b);
                let op = if name == "min" { Arith::Min } else { Arith::Max };
                Ok(Node { kind: NodeKind::Arith(op, Box::new(a), Box::new(b)), ty })
            }
            "double" => {
                arity(1)?;
                let a = self.compile(&args[0])?;
                if !a.ty.is_numeric() {
                    return Err(type_err(args[0].pos, format!("`double` needs a number, found {}", tname(a.ty))));
                }
                Ok(self.to_float(a))
            }
            "int" => {
                arity(1)?;
                let a = self.compile(&args[0])?;
                match a.ty {
                    DataType::Int => Ok(a),
                    DataType::Float => Ok(Node { kind: NodeKind::ToInt(Box::new(a)), ty: DataType::Int }),
                    t => Err(type_err(args[0].pos, format!("`int` needs a number, found {}", tname(t)))),
                }
            }
            "timestamp" => {
                arity(1)?;
                let a = self.compile(&args[0])?;
                let NodeKind::Const(Value::Str(text)) = &a.kind else {
                    return Err(type_err(args[0].pos, "`timestamp` takes a string literal, e.g. timestamp(\"2024-01-31\")"));
                };
                let ts = Timestamp::parse(text)
                    .map_err(|e| type_err(args[0].pos, format!("invalid timestamp literal \"{text}\": {e}")))?;
                Ok(Node::konst(Value::Timestamp(ts), DataType::Timestamp))
            }
            "days_since" | "days_until" => {
                arity(1)?;
                let a = self.compile(&args[0])?;
                if a.ty != DataType::Timestamp {
                    return Err(type_err(args[0].pos, format!("`{name}` needs a timestamp, found {}", tname(a.ty))));
                }
                let kind = if name == "days_since" { NodeKind::DaysSince(Box::new(a)) } else { NodeKind::DaysUntil(Box::new(a)) };
                Ok(Node { kind, ty: DataType::Int })
            }
            other => {
                let suggestion = closest(other, FUNCTIONS.iter().copied());
                let message = if METHODS.contains(&other) {
                    format!("`{other}` is a method: write `text.{other}(\"…\")`")
                } else {
                    format!("unknown function `{other}`")
                };
                Err(Error::Expr { kind: ErrorKind::UnknownName, position: pos, message, suggestion })
            }
        }
    }
}

/// Folds a node whose children are all constants (and which does not depend on the snapshot).
fn fold(node: Node) -> Node {
    let foldable = match &node.kind {
        NodeKind::Const(_) | NodeKind::Column(_) | NodeKind::Has(_) | NodeKind::DaysSince(_) | NodeKind::DaysUntil(_) => false,
        NodeKind::Not(a)
        | NodeKind::Neg(a)
        | NodeKind::In(a, _)
        | NodeKind::StrPred(_, a, _)
        | NodeKind::Size(a)
        | NodeKind::Abs(a)
        | NodeKind::ToFloat(a)
        | NodeKind::ToInt(a) => a.is_const(),
        NodeKind::And(a, b) | NodeKind::Or(a, b) | NodeKind::Arith(_, a, b) | NodeKind::Cmp(_, a, b) => {
            a.is_const() && b.is_const()
        }
        NodeKind::Cond(a, b, c) => a.is_const() && b.is_const() && c.is_const(),
    };
    if !foldable {
        return node;
    }
    let v = reference::eval_const(&node);
    Node::konst(v, node.ty)
}
