//! The conditions language (`custfit::expr`): `Expr.compile(source, snapshot)` or
//! `new Expr(source, schema)`, then `evaluate` / `matches` over a snapshot.

use std::sync::Arc;

use custfit::{DataType, Expr as CoreExpr, ExprLimits};
use napi::bindgen_prelude::{Env, JavaScriptClassExt, Unknown, ValueType};
use napi_derive::napi;

use crate::arg;
use crate::data::to_json;
use crate::document::part;
use crate::error::{invalid_argument, IntoCore, Result, Throw};
use crate::metrics::Snapshot;

fn schema_from(value: serde_json::Value) -> Result<Vec<(String, DataType)>> {
    let serde_json::Value::Object(map) = value else {
        return Err(invalid_argument("schema", "expected an object {name: type}"));
    };
    map.into_iter()
        .map(|(name, ty)| {
            let t = match ty.as_str() {
                Some("int") => DataType::Int,
                Some("float") => DataType::Float,
                Some("bool") => DataType::Bool,
                Some("str") => DataType::Str,
                Some("timestamp") => DataType::Timestamp,
                _ => {
                    return Err(invalid_argument(
                        "schema",
                        format!("column `{name}` has type {ty}; expected int, float, bool, str or timestamp"),
                    ))
                }
            };
            Ok((name, t))
        })
        .collect()
}

/// A compiled condition or value expression (a subset of CEL), compiled once against a schema
/// and evaluated over whole columns. Errors carry `.code` (`expr_syntax`, `expr_type`,
/// `unknown_name`, `expr_limit`), `.position` and `.suggestion`.
#[napi]
pub struct Expr {
    inner: Arc<CoreExpr>,
}

#[napi]
impl Expr {
    /// Compiles `source` against a schema `{name: 'int' | 'float' | 'bool' | 'str' | 'timestamp'}`
    /// or against a `Snapshot`'s columns.
    #[napi(constructor, catch_unwind)]
    pub fn new(
        env: Env,
        #[napi(ts_arg_type = "string")] source: Unknown<'_>,
        #[napi(ts_arg_type = "Record<string, 'int' | 'float' | 'bool' | 'str' | 'timestamp'> | Snapshot")] schema: Unknown<'_>,
        #[napi(ts_arg_type = "{ max_source_len?: number; max_depth?: number; max_nodes?: number; max_cost?: number } | string")]
        limits: Option<Unknown<'_>>,
    ) -> napi::Result<Self> {
        let run = || {
            let source = arg::string(&source, "source")?;
            let schema = if schema.get_type().core()? == ValueType::Object && Snapshot::instance_of(&env, &schema).core()? {
                arg::instance::<Snapshot>(&schema, "schema")?.inner.schema()
            } else {
                let json = to_json(&schema, "", 0)
                    .map_err(|u| invalid_argument("schema", format!("at `{}`: {}", u.path, u.reason)))?
                    .unwrap_or(serde_json::Value::Null);
                schema_from(json)?
            };
            let limits: ExprLimits = part(limits.as_ref(), "limits")?;
            Ok(Expr { inner: Arc::new(CoreExpr::compile_with(&source, &schema, &limits)?) })
        };
        run().throw(&env)
    }

    /// Compiles `source` against a snapshot's schema.
    #[napi(factory, catch_unwind)]
    pub fn compile(
        env: Env,
        #[napi(ts_arg_type = "string")] source: Unknown<'_>,
        #[napi(ts_arg_type = "Snapshot")] snapshot: Unknown<'_>,
        #[napi(ts_arg_type = "{ max_source_len?: number; max_depth?: number; max_nodes?: number; max_cost?: number } | string")]
        limits: Option<Unknown<'_>>,
    ) -> napi::Result<Self> {
        let run = || {
            let source = arg::string(&source, "source")?;
            let snapshot = arg::instance::<Snapshot>(&snapshot, "snapshot")?;
            let limits: ExprLimits = part(limits.as_ref(), "limits")?;
            Ok(Expr { inner: Arc::new(CoreExpr::compile_with(&source, &snapshot.inner.schema(), &limits)?) })
        };
        run().throw(&env)
    }

    /// The source text.
    #[napi(getter, catch_unwind)]
    pub fn source(&self) -> String {
        self.inner.source().to_string()
    }

    /// The result type.
    #[napi(getter, catch_unwind, ts_return_type = "'int' | 'float' | 'bool' | 'str' | 'timestamp'")]
    pub fn result_type(&self) -> String {
        self.inner.result_type().as_str().to_string()
    }

    /// `{name: type}` of the columns the expression reads.
    #[napi(getter, catch_unwind, ts_return_type = "Record<string, 'int' | 'float' | 'bool' | 'str' | 'timestamp'>")]
    pub fn columns(&self) -> serde_json::Value {
        self.inner.columns().iter().map(|(n, t)| (n.clone(), serde_json::Value::from(t.as_str()))).collect()
    }

    /// The value for every row (`null` where missing; instants as ISO strings).
    #[napi(catch_unwind, ts_args_type = "snapshot: Snapshot", ts_return_type = "Array<number | string | boolean | null>")]
    pub fn evaluate(&self, env: Env, snapshot: Unknown<'_>) -> napi::Result<Vec<serde_json::Value>> {
        let run = || {
            let col = self.inner.evaluate(&arg::instance::<Snapshot>(&snapshot, "snapshot")?.inner)?;
            Ok((0..col.len()).map(|i| serde_json::to_value(col.value(i)).unwrap_or_default()).collect())
        };
        run().throw(&env)
    }

    /// For a condition: `true` where it is true (missing and false give `false`).
    #[napi(catch_unwind, ts_args_type = "snapshot: Snapshot")]
    pub fn matches(&self, env: Env, snapshot: Unknown<'_>) -> napi::Result<Vec<bool>> {
        let run = || self.inner.matches(&arg::instance::<Snapshot>(&snapshot, "snapshot")?.inner);
        run().throw(&env)
    }
}
