//! Lexer and recursive-descent parser for the conditions language (a subset of CEL).
//!
//! The parser is bounded: the source length, the nesting depth of the syntax tree and the number
//! of nodes are checked while parsing, so no input can exhaust the stack or the memory.

use crate::error::{Error, ErrorKind, Result};

use super::ExprLimits;

/// A syntax-tree node with its position (0-based character offset) and depth.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ast {
    pub kind: AstKind,
    pub pos: usize,
    pub depth: usize,
}

/// Binary operators of the surface syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "||",
            BinOp::And => "&&",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AstKind {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Null,
    Ident(String),
    Not(Box<Ast>),
    Neg(Box<Ast>),
    Binary(BinOp, Box<Ast>, Box<Ast>),
    In(Box<Ast>, Box<Ast>),
    List(Vec<Ast>),
    Cond(Box<Ast>, Box<Ast>, Box<Ast>),
    Call(String, Vec<Ast>),
    Method(Box<Ast>, String, Vec<Ast>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Int(u64),
    Float(f64),
    Str(String),
    Ident(String),
    True,
    False,
    Null,
    In,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    Question,
    Colon,
    Bang,
    Minus,
    Plus,
    Star,
    Slash,
    Percent,
    EqEq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    AndAnd,
    OrOr,
    Eof,
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Int(v) => format!("number `{v}`"),
        Tok::Float(v) => format!("number `{v}`"),
        Tok::Str(_) => "a string".into(),
        Tok::Ident(n) => format!("name `{n}`"),
        Tok::True => "`true`".into(),
        Tok::False => "`false`".into(),
        Tok::Null => "`null`".into(),
        Tok::In => "`in`".into(),
        Tok::LParen => "`(`".into(),
        Tok::RParen => "`)`".into(),
        Tok::LBracket => "`[`".into(),
        Tok::RBracket => "`]`".into(),
        Tok::Comma => "`,`".into(),
        Tok::Dot => "`.`".into(),
        Tok::Question => "`?`".into(),
        Tok::Colon => "`:`".into(),
        Tok::Bang => "`!`".into(),
        Tok::Minus => "`-`".into(),
        Tok::Plus => "`+`".into(),
        Tok::Star => "`*`".into(),
        Tok::Slash => "`/`".into(),
        Tok::Percent => "`%`".into(),
        Tok::EqEq => "`==`".into(),
        Tok::NotEq => "`!=`".into(),
        Tok::Lt => "`<`".into(),
        Tok::Le => "`<=`".into(),
        Tok::Gt => "`>`".into(),
        Tok::Ge => "`>=`".into(),
        Tok::AndAnd => "`&&`".into(),
        Tok::OrOr => "`||`".into(),
        Tok::Eof => "the end of the expression".into(),
    }
}

pub(crate) fn err(kind: ErrorKind, position: usize, message: impl Into<String>) -> Error {
    Error::Expr { kind, position, message: message.into(), suggestion: None }
}

fn syntax(position: usize, message: impl Into<String>) -> Error {
    err(ErrorKind::ExprSyntax, position, message)
}

fn lex(src: &[char]) -> Result<Vec<(Tok, usize)>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < src.len() {
        let c = src[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let two = |n: char| src.get(i + 1) == Some(&n);
        let tok = match c {
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            '[' => Tok::LBracket,
            ']' => Tok::RBracket,
            ',' => Tok::Comma,
            '?' => Tok::Question,
            ':' => Tok::Colon,
            '+' => Tok::Plus,
            '-' => Tok::Minus,
            '*' => Tok::Star,
            '/' => Tok::Slash,
            '%' => Tok::Percent,
            '.' if !src.get(i + 1).is_some_and(|d| d.is_ascii_digit()) => Tok::Dot,
            '!' if two('=') => {
                i += 1;
                Tok::NotEq
            }
            '!' => Tok::Bang,
            '=' if two('=') => {
                i += 1;
                Tok::EqEq
            }
            '=' => return Err(syntax(i, "`=` is not an operator; use `==` to compare")),
            '<' if two('=') => {
                i += 1;
                Tok::Le
            }
            '<' => Tok::Lt,
            '>' if two('=') => {
                i += 1;
                Tok::Ge
            }
            '>' => Tok::Gt,
            '&' if two('&') => {
                i += 1;
                Tok::AndAnd
            }
            '&' => return Err(syntax(i, "`&` is not an operator; use `&&`")),
            '|' if two('|') => {
                i += 1;
                Tok::OrOr
            }
            '|' => return Err(syntax(i, "`|` is not an operator; use `||`")),
            '"' | '\'' => {
                let (s, next) = lex_string(src, i)?;
                out.push((Tok::Str(s), start));
                i = next;
                continue;
            }
            c if c.is_ascii_digit() || c == '.' => {
                let (t, next) = lex_number(src, i)?;
                out.push((t, start));
                i = next;
                continue;
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut j = i;
                while j < src.len() && (src[j].is_ascii_alphanumeric() || src[j] == '_') {
                    j += 1;
                }
                let word: String = src[i..j].iter().collect();
                let t = match word.as_str() {
                    "true" => Tok::True,
                    "false" => Tok::False,
                    "null" => Tok::Null,
                    "in" => Tok::In,
                    "and" | "or" | "not" => {
                        let sym = match word.as_str() {
                            "and" => "&&",
                            "or" => "||",
                            _ => "!",
                        };
                        return Err(syntax(i, format!("`{word}` is not an operator; use `{sym}`")));
                    }
                    _ => Tok::Ident(word),
                };
                out.push((t, start));
                i = j;
                continue;
            }
            other => return Err(syntax(i, format!("unexpected character `{other}`"))),
        };
        out.push((tok, start));
        i += 1;
    }
    out.push((Tok::Eof, src.len()));
    Ok(out)
}

fn lex_string(src: &[char], start: usize) -> Result<(String, usize)> {
    let quote = src[start];
    let mut s = String::new();
    let mut i = start + 1;
    loop {
        let Some(&c) = src.get(i) else {
            return Err(syntax(start, "unterminated string"));
        };
        match c {
            c if c == quote => return Ok((s, i + 1)),
            '\n' => return Err(syntax(start, "unterminated string (line break inside)")),
            '\\' => {
                let Some(&e) = src.get(i + 1) else {
                    return Err(syntax(i, "unterminated escape"));
                };
                match e {
                    'n' => s.push('\n'),
                    't' => s.push('\t'),
                    'r' => s.push('\r'),
                    '\\' => s.push('\\'),
                    '"' => s.push('"'),
                    '\'' => s.push('\''),
                    'u' => {
                        let hex: String = src.iter().skip(i + 2).take(4).collect();
                        let ch = (hex.len() == 4 && hex.chars().all(|h| h.is_ascii_hexdigit()))
                            .then(|| u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32))
                            .flatten()
                            .ok_or_else(|| syntax(i, "`\\u` must be followed by 4 hex digits of a valid character"))?;
                        s.push(ch);
                        i += 4;
                    }
                    other => return Err(syntax(i, format!("unknown escape `\\{other}`"))),
                }
                i += 2;
            }
            c => {
                s.push(c);
                i += 1;
            }
        }
    }
}

fn lex_number(src: &[char], start: usize) -> Result<(Tok, usize)> {
    let mut j = start;
    let digits = |j: &mut usize| {
        while *j < src.len() && src[*j].is_ascii_digit() {
            *j += 1;
        }
    };
    digits(&mut j);
    let mut is_float = false;
    if src.get(j) == Some(&'.') && src.get(j + 1).is_some_and(|d| d.is_ascii_digit()) {
        is_float = true;
        j += 1;
        digits(&mut j);
    }
    if matches!(src.get(j), Some('e' | 'E')) {
        let mut k = j + 1;
        if matches!(src.get(k), Some('+' | '-')) {
            k += 1;
        }
        if src.get(k).is_some_and(|d| d.is_ascii_digit()) {
            is_float = true;
            j = k;
            digits(&mut j);
        } else {
            return Err(syntax(j, "exponent without digits"));
        }
    }
    if src.get(j).is_some_and(|c| c.is_ascii_alphabetic() || *c == '_') {
        return Err(syntax(j, "a name cannot start with a digit"));
    }
    let text: String = src[start..j].iter().collect();
    if is_float {
        let v: f64 = text.parse().map_err(|_| syntax(start, format!("invalid number `{text}`")))?;
        if !v.is_finite() {
            return Err(syntax(start, format!("number `{text}` is out of range")));
        }
        Ok((Tok::Float(v), j))
    } else {
        let v: u64 = text.parse().map_err(|_| syntax(start, format!("integer `{text}` is out of range")))?;
        Ok((Tok::Int(v), j))
    }
}

struct Parser<'a> {
    toks: Vec<(Tok, usize)>,
    at: usize,
    limits: &'a ExprLimits,
    nodes: usize,
}

/// Parses `source` into a syntax tree, enforcing the limits.
pub(crate) fn parse(source: &str, limits: &ExprLimits) -> Result<Ast> {
    if source.len() > limits.max_source_len {
        return Err(err(
            ErrorKind::ExprLimit,
            0,
            format!("expression is {} bytes long; the limit is {}", source.len(), limits.max_source_len),
        ));
    }
    let chars: Vec<char> = source.chars().collect();
    let toks = lex(&chars)?;
    let mut p = Parser { toks, at: 0, limits, nodes: 0 };
    let ast = p.expr(0)?;
    let (tok, pos) = p.peek();
    if *tok != Tok::Eof {
        let msg = format!("unexpected {} after a complete expression", describe(tok));
        return Err(syntax(pos, msg));
    }
    Ok(ast)
}

impl Parser<'_> {
    fn peek(&self) -> (&Tok, usize) {
        let (t, p) = &self.toks[self.at.min(self.toks.len() - 1)];
        (t, *p)
    }

    fn bump(&mut self) -> (Tok, usize) {
        let t = self.toks[self.at.min(self.toks.len() - 1)].clone();
        if self.at < self.toks.len() - 1 {
            self.at += 1;
        }
        t
    }

    fn eat(&mut self, t: &Tok) -> bool {
        if self.peek().0 == t {
            self.bump();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, t: &Tok, context: &str) -> Result<()> {
        let (got, pos) = self.peek();
        if got == t {
            self.bump();
            Ok(())
        } else {
            Err(syntax(pos, format!("expected {} {context}, found {}", describe(t), describe(got))))
        }
    }

    fn node(&mut self, kind: AstKind, pos: usize, child_depth: usize) -> Result<Ast> {
        self.nodes += 1;
        if self.nodes > self.limits.max_nodes {
            return Err(err(ErrorKind::ExprLimit, pos, format!("expression has more than {} nodes", self.limits.max_nodes)));
        }
        let depth = child_depth + 1;
        if depth > self.limits.max_depth {
            return Err(err(ErrorKind::ExprLimit, pos, format!("expression nests deeper than {} levels", self.limits.max_depth)));
        }
        Ok(Ast { kind, pos, depth })
    }

    fn check_recursion(&self, level: usize, pos: usize) -> Result<()> {
        if level > self.limits.max_depth {
            return Err(err(ErrorKind::ExprLimit, pos, format!("expression nests deeper than {} levels", self.limits.max_depth)));
        }
        Ok(())
    }

    /// `level` counts the recursion of the parser itself, so the stack stays bounded even
    /// before a node is built.
    fn expr(&mut self, level: usize) -> Result<Ast> {
        let pos = self.peek().1;
        self.check_recursion(level, pos)?;
        let cond = self.or(level)?;
        if self.eat(&Tok::Question) {
            let a = self.expr(level + 1)?;
            self.expect(&Tok::Colon, "in a conditional `c ? a : b`")?;
            let b = self.expr(level + 1)?;
            let d = cond.depth.max(a.depth).max(b.depth);
            return self.node(AstKind::Cond(Box::new(cond), Box::new(a), Box::new(b)), pos, d);
        }
        Ok(cond)
    }

    fn or(&mut self, level: usize) -> Result<Ast> {
        let mut left = self.and(level)?;
        while let (Tok::OrOr, pos) = self.peek() {
            self.bump();
            let right = self.and(level)?;
            let d = left.depth.max(right.depth);
            left = self.node(AstKind::Binary(BinOp::Or, Box::new(left), Box::new(right)), pos, d)?;
        }
        Ok(left)
    }

    fn and(&mut self, level: usize) -> Result<Ast> {
        let mut left = self.relation(level)?;
        while let (Tok::AndAnd, pos) = self.peek() {
            self.bump();
            let right = self.relation(level)?;
            let d = left.depth.max(right.depth);
            left = self.node(AstKind::Binary(BinOp::And, Box::new(left), Box::new(right)), pos, d)?;
        }
        Ok(left)
    }

    fn relation(&mut self, level: usize) -> Result<Ast> {
        let mut left = self.additive(level)?;
        loop {
            let (tok, pos) = self.peek();
            let op = match tok {
                Tok::EqEq => BinOp::Eq,
                Tok::NotEq => BinOp::Ne,
                Tok::Lt => BinOp::Lt,
                Tok::Le => BinOp::Le,
                Tok::Gt => BinOp::Gt,
                Tok::Ge => BinOp::Ge,
                Tok::In => {
                    self.bump();
                    let right = self.additive(level)?;
                    let d = left.depth.max(right.depth);
                    left = self.node(AstKind::In(Box::new(left), Box::new(right)), pos, d)?;
                    continue;
                }
                _ => return Ok(left),
            };
            self.bump();
            let right = self.additive(level)?;
            let d = left.depth.max(right.depth);
            left = self.node(AstKind::Binary(op, Box::new(left), Box::new(right)), pos, d)?;
        }
    }

    fn additive(&mut self, level: usize) -> Result<Ast> {
        let mut left = self.multiplicative(level)?;
        loop {
            let (tok, pos) = self.peek();
            let op = match tok {
                Tok::Plus => BinOp::Add,
                Tok::Minus => BinOp::Sub,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.multiplicative(level)?;
            let d = left.depth.max(right.depth);
            left = self.node(AstKind::Binary(op, Box::new(left), Box::new(right)), pos, d)?;
        }
    }

    fn multiplicative(&mut self, level: usize) -> Result<Ast> {
        let mut left = self.unary(level)?;
        loop {
            let (tok, pos) = self.peek();
            let op = match tok {
                Tok::Star => BinOp::Mul,
                Tok::Slash => BinOp::Div,
                Tok::Percent => BinOp::Rem,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.unary(level)?;
            let d = left.depth.max(right.depth);
            left = self.node(AstKind::Binary(op, Box::new(left), Box::new(right)), pos, d)?;
        }
    }

    fn unary(&mut self, level: usize) -> Result<Ast> {
        let (tok, pos) = self.peek();
        self.check_recursion(level, pos)?;
        match tok {
            Tok::Bang => {
                self.bump();
                let inner = self.unary(level + 1)?;
                let d = inner.depth;
                self.node(AstKind::Not(Box::new(inner)), pos, d)
            }
            Tok::Minus => {
                self.bump();
                // Fold negative literals so that i64::MIN is expressible.
                match self.peek().0.clone() {
                    Tok::Int(v) => {
                        self.bump();
                        let value = if v == 1u64 << 63 {
                            i64::MIN
                        } else {
                            -i64::try_from(v).map_err(|_| syntax(pos, "integer literal is out of range"))?
                        };
                        let lit = self.node(AstKind::Int(value), pos, 0)?;
                        self.postfix(lit, level)
                    }
                    Tok::Float(v) => {
                        self.bump();
                        let lit = self.node(AstKind::Float(-v), pos, 0)?;
                        self.postfix(lit, level)
                    }
                    _ => {
                        let inner = self.unary(level + 1)?;
                        let d = inner.depth;
                        self.node(AstKind::Neg(Box::new(inner)), pos, d)
                    }
                }
            }
            _ => {
                let p = self.primary(level)?;
                self.postfix(p, level)
            }
        }
    }

    fn postfix(&mut self, mut left: Ast, level: usize) -> Result<Ast> {
        while let (Tok::Dot, _) = self.peek() {
            self.bump();
            let (tok, pos) = self.bump();
            let Tok::Ident(name) = tok else {
                return Err(syntax(pos, format!("expected a method name after `.`, found {}", describe(&tok))));
            };
            if !matches!(self.peek().0, Tok::LParen) {
                return Err(syntax(
                    pos,
                    format!("field selection `.{name}` is not supported; columns are referenced by their bare name"),
                ));
            }
            let args = self.args(level)?;
            let d = args.iter().map(|a| a.depth).max().unwrap_or(0).max(left.depth);
            left = self.node(AstKind::Method(Box::new(left), name, args), pos, d)?;
        }
        Ok(left)
    }

    fn args(&mut self, level: usize) -> Result<Vec<Ast>> {
        self.expect(&Tok::LParen, "to open the argument list")?;
        let mut args = Vec::new();
        if self.eat(&Tok::RParen) {
            return Ok(args);
        }
        loop {
            args.push(self.expr(level + 1)?);
            if self.eat(&Tok::Comma) {
                continue;
            }
            self.expect(&Tok::RParen, "to close the argument list")?;
            return Ok(args);
        }
    }

    fn primary(&mut self, level: usize) -> Result<Ast> {
        let (tok, pos) = self.bump();
        match tok {
            Tok::Int(v) => {
                let v = i64::try_from(v).map_err(|_| syntax(pos, "integer literal is out of range"))?;
                self.node(AstKind::Int(v), pos, 0)
            }
            Tok::Float(v) => self.node(AstKind::Float(v), pos, 0),
            Tok::Str(s) => self.node(AstKind::Str(s), pos, 0),
            Tok::True => self.node(AstKind::Bool(true), pos, 0),
            Tok::False => self.node(AstKind::Bool(false), pos, 0),
            Tok::Null => self.node(AstKind::Null, pos, 0),
            Tok::Ident(name) => {
                if matches!(self.peek().0, Tok::LParen) {
                    let args = self.args(level)?;
                    let d = args.iter().map(|a| a.depth).max().unwrap_or(0);
                    self.node(AstKind::Call(name, args), pos, d)
                } else {
                    self.node(AstKind::Ident(name), pos, 0)
                }
            }
            Tok::LParen => {
                let inner = self.expr(level + 1)?;
                self.expect(&Tok::RParen, "to close `(`")?;
                Ok(inner)
            }
            Tok::LBracket => {
                let mut items = Vec::new();
                if !self.eat(&Tok::RBracket) {
                    loop {
                        items.push(self.expr(level + 1)?);
                        if self.eat(&Tok::Comma) {
                            if self.eat(&Tok::RBracket) {
                                break;
                            }
                            continue;
                        }
                        self.expect(&Tok::RBracket, "to close the list")?;
                        break;
                    }
                }
                let d = items.iter().map(|a| a.depth).max().unwrap_or(0);
                self.node(AstKind::List(items), pos, d)
            }
            other => Err(syntax(pos, format!("expected a value, a name or `(`, found {}", describe(&other)))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Ast> {
        parse(s, &ExprLimits::default())
    }

    #[test]
    fn precedence() {
        let ast = p("a || b && c").expect("parses");
        let AstKind::Binary(BinOp::Or, _, r) = ast.kind else { panic!("or at the top") };
        assert!(matches!(r.kind, AstKind::Binary(BinOp::And, _, _)));
        let ast = p("1 + 2 * 3 > 4").expect("parses");
        assert!(matches!(ast.kind, AstKind::Binary(BinOp::Gt, _, _)));
    }

    #[test]
    fn positions_and_messages() {
        let e = p("mrr >= ").expect_err("incomplete");
        assert!(matches!(e, Error::Expr { kind: ErrorKind::ExprSyntax, position: 7, .. }), "{e:?}");
        let e = p("mrr = 5").expect_err("single =");
        assert!(e.to_string().contains("=="), "{e}");
        let e = p("a and b").expect_err("and");
        assert!(e.to_string().contains("&&"));
        assert!(p("'unterminated").is_err());
        assert!(p("x.y").is_err());
    }

    #[test]
    fn literals() {
        assert_eq!(p("-9223372036854775808").expect("min").kind, AstKind::Int(i64::MIN));
        assert!(p("9223372036854775808").is_err());
        assert_eq!(p("1.5e3").expect("float").kind, AstKind::Float(1500.0));
        assert_eq!(p(r#""a\"b\u00e9""#).expect("escapes").kind, AstKind::Str("a\"bé".into()));
        assert!(p("1e999").is_err());
    }

    #[test]
    fn limits() {
        let deep = format!("{}1{}", "(".repeat(500), ")".repeat(500));
        assert!(matches!(p(&deep), Err(Error::Expr { kind: ErrorKind::ExprLimit, .. })));
        let bangs = format!("{}true", "!".repeat(1000));
        assert!(matches!(p(&bangs), Err(Error::Expr { kind: ErrorKind::ExprLimit, .. })));
        let chain = vec!["a"; 300].join(" + ");
        assert!(matches!(p(&chain), Err(Error::Expr { kind: ErrorKind::ExprLimit, .. })));
        let long = "a".repeat(10_000);
        assert!(matches!(p(&long), Err(Error::Expr { kind: ErrorKind::ExprLimit, .. })));
    }
}
