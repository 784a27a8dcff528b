//! The JSON Schema subset schemars writes for serde types, read into a small type model that both
//! renderers print: named objects (interfaces / TypedDicts) and named aliases (unions, literal
//! sets). A schema construct outside the subset is an error naming where it was met, so a new
//! serde feature in a core type cannot slip through as `any`.

use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// A value type.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    /// Anything (a schema without constraints).
    Any,
    Bool,
    Int,
    Float,
    Str,
    Null,
    /// One of these strings.
    Lit(Vec<String>),
    /// A named definition.
    Ref(String),
    Array(Box<Ty>),
    Tuple(Vec<Ty>),
    /// An object with string keys and values of one type.
    Map(Box<Ty>),
    Union(Vec<Ty>),
}

/// A key of an object.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub ty: Ty,
    /// Always present (it may still be `null` when `ty` allows it).
    pub required: bool,
    pub doc: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Kind {
    Object(Vec<Field>),
    Alias(Ty),
}

/// A named type of the generated files.
#[derive(Debug, Clone)]
pub struct Def {
    pub name: String,
    pub doc: Option<String>,
    pub kind: Kind,
}

/// Reads every definition, names the inline objects of unions (`{Tag}{Union}` for a tagged
/// variant, e.g. `TiersScoring`), and orders the result so that every type comes after the
/// types it uses (depth first from `roots`, in their order).
pub fn build(defs: &Map<String, Value>, roots: &[String]) -> Result<Vec<Def>, String> {
    let mut all: BTreeMap<String, Def> = BTreeMap::new();
    for (name, schema) in defs {
        let mut extra = Vec::new();
        let def = read_def(name, schema, &mut extra)?;
        for d in extra {
            insert(&mut all, d)?;
        }
        insert(&mut all, def)?;
    }
    let mut order = Vec::new();
    let mut seen = BTreeSet::new();
    for r in roots {
        visit(r, &all, &mut seen, &mut order)?;
    }
    Ok(order)
}

fn insert(all: &mut BTreeMap<String, Def>, def: Def) -> Result<(), String> {
    if all.contains_key(&def.name) {
        return Err(format!("two types are named {:?}; rename one with #[schemars(rename = ...)]", def.name));
    }
    all.insert(def.name.clone(), def);
    Ok(())
}

fn visit(name: &str, all: &BTreeMap<String, Def>, seen: &mut BTreeSet<String>, order: &mut Vec<Def>) -> Result<(), String> {
    if !seen.insert(name.to_string()) {
        return Ok(());
    }
    let def = all.get(name).ok_or_else(|| format!("no definition named {name:?}"))?;
    let mut used = Vec::new();
    match &def.kind {
        Kind::Object(fields) => fields.iter().for_each(|f| refs(&f.ty, &mut used)),
        Kind::Alias(t) => refs(t, &mut used),
    }
    for u in used {
        visit(&u, all, seen, order)?;
    }
    order.push(def.clone());
    Ok(())
}

fn refs(t: &Ty, out: &mut Vec<String>) {
    match t {
        Ty::Ref(n) => out.push(n.clone()),
        Ty::Array(x) | Ty::Map(x) => refs(x, out),
        Ty::Tuple(xs) | Ty::Union(xs) => xs.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

fn doc(schema: &Value) -> Option<String> {
    let d = schema.get("description")?.as_str()?;
    // Rust intra-doc links read as plain code in the other languages.
    Some(d.replace("[`", "`").replace("`]", "`"))
}

fn read_def(name: &str, schema: &Value, extra: &mut Vec<Def>) -> Result<Def, String> {
    let kind = match object_fields(schema, name, extra)? {
        Some(fields) => Kind::Object(fields),
        None => Kind::Alias(read_ty(schema, name, extra)?),
    };
    Ok(Def { name: name.to_string(), doc: doc(schema), kind })
}

/// The fields of an object schema with `properties`; `None` for any other schema.
fn object_fields(schema: &Value, ctx: &str, extra: &mut Vec<Def>) -> Result<Option<Vec<Field>>, String> {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return Ok(None);
    };
    if schema.get("type").and_then(Value::as_str) != Some("object") {
        return Err(format!("{ctx}: properties on a schema that is not an object"));
    }
    if let Some(a) = schema.get("additionalProperties") {
        if a != &Value::Bool(false) {
            return Err(format!("{ctx}: an object with both properties and additionalProperties (serde flatten of a map?)"));
        }
    }
    let required: BTreeSet<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut fields = Vec::new();
    for (key, p) in props {
        fields.push(Field {
            name: key.clone(),
            ty: read_ty(p, &format!("{ctx}{}", pascal(key)), extra)?,
            required: required.contains(key.as_str()),
            doc: doc(p),
        });
    }
    // Keep serde's field order (schemars lists `required` in declaration order; optional keys follow).
    let position = |f: &Field| {
        schema
            .get("required")
            .and_then(Value::as_array)
            .and_then(|r| r.iter().position(|x| x.as_str() == Some(f.name.as_str())))
            .unwrap_or(usize::MAX)
    };
    fields.sort_by_key(position);
    Ok(Some(fields))
}

fn read_ty(schema: &Value, ctx: &str, extra: &mut Vec<Def>) -> Result<Ty, String> {
    let Some(obj) = schema.as_object() else {
        return match schema {
            Value::Bool(true) => Ok(Ty::Any),
            _ => Err(format!("{ctx}: unsupported schema {schema}")),
        };
    };
    if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/$defs/").ok_or_else(|| format!("{ctx}: unsupported $ref {r}"))?;
        return Ok(Ty::Ref(name.to_string()));
    }
    if let Some(c) = obj.get("const") {
        let s = c.as_str().ok_or_else(|| format!("{ctx}: a const that is not a string: {c}"))?;
        return Ok(Ty::Lit(vec![s.to_string()]));
    }
    if let Some(e) = obj.get("enum").and_then(Value::as_array) {
        let mut lits = Vec::new();
        let mut null = false;
        for v in e {
            match v {
                Value::String(s) => lits.push(s.clone()),
                Value::Null => null = true,
                _ => return Err(format!("{ctx}: an enum value that is not a string: {v}")),
            }
        }
        return Ok(if null { union(vec![Ty::Lit(lits), Ty::Null]) } else { Ty::Lit(lits) });
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(branches) = obj.get(key).and_then(Value::as_array) {
            let mut tys = Vec::new();
            for b in branches {
                if b.get("properties").is_some() {
                    let name = variant_name(b, ctx);
                    let fields = object_fields(b, &name, extra)?.unwrap_or_default();
                    extra.push(Def { name: name.clone(), doc: doc(b), kind: Kind::Object(fields) });
                    tys.push(Ty::Ref(name));
                } else {
                    tys.push(read_ty(b, ctx, extra)?);
                }
            }
            return Ok(union(tys));
        }
    }
    if obj.contains_key("allOf") {
        return Err(format!("{ctx}: allOf is not supported"));
    }
    let types: Vec<&str> = match obj.get("type") {
        None => return Ok(Ty::Any),
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        Some(t) => return Err(format!("{ctx}: unsupported type {t}")),
    };
    let mut tys = Vec::new();
    for t in types {
        tys.push(match t {
            "null" => Ty::Null,
            "boolean" => Ty::Bool,
            "integer" => Ty::Int,
            "number" => Ty::Float,
            "string" => Ty::Str,
            "array" => {
                if let Some(items) = obj.get("prefixItems").and_then(Value::as_array) {
                    Ty::Tuple(items.iter().map(|i| read_ty(i, ctx, extra)).collect::<Result<_, _>>()?)
                } else {
                    Ty::Array(Box::new(obj.get("items").map(|i| read_ty(i, ctx, extra)).transpose()?.unwrap_or(Ty::Any)))
                }
            }
            "object" => {
                if obj.contains_key("properties") {
                    return Err(format!("{ctx}: an inline object outside a union; give it a named type"));
                }
                match obj.get("additionalProperties") {
                    None | Some(Value::Bool(true)) => Ty::Map(Box::new(Ty::Any)),
                    Some(v) => Ty::Map(Box::new(read_ty(v, ctx, extra)?)),
                }
            }
            other => return Err(format!("{ctx}: unsupported type {other:?}")),
        });
    }
    Ok(union(tys))
}

/// `{Tag}{Union}` for a variant tagged by a `type` constant, else `{Union}{Keys}`.
fn variant_name(branch: &Value, ctx: &str) -> String {
    let tag = branch.pointer("/properties/type/const").and_then(Value::as_str);
    match tag {
        Some(t) => format!("{}{ctx}", pascal(t)),
        None => {
            let keys: Vec<String> = branch
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| p.keys().map(|k| pascal(k)).collect())
                .unwrap_or_default();
            format!("{ctx}{}", keys.join(""))
        }
    }
}

/// A union with nested unions flattened, literal sets merged and duplicates dropped; a single
/// member stands for itself.
fn union(tys: Vec<Ty>) -> Ty {
    let mut out: Vec<Ty> = Vec::new();
    let mut lits: Vec<String> = Vec::new();
    let mut flat = Vec::new();
    for t in tys {
        match t {
            Ty::Union(xs) => flat.extend(xs),
            t => flat.push(t),
        }
    }
    for t in flat {
        match t {
            Ty::Lit(ls) => {
                for l in ls {
                    if !lits.contains(&l) {
                        lits.push(l);
                    }
                }
            }
            t if !out.contains(&t) => out.push(t),
            _ => {}
        }
    }
    if !lits.is_empty() {
        out.insert(0, Ty::Lit(lits));
    }
    if out.len() == 1 {
        out.remove(0)
    } else {
        Ty::Union(out)
    }
}

/// `snake_case` or `kebab-case` text as `PascalCase`.
pub fn pascal(s: &str) -> String {
    s.split(['_', '-', ' '])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
        })
        .collect()
}
