//! The conditions language (`custfit::expr`): `Expr` compiled against a snapshot's schema and
//! evaluated over whole columns.

use custfit::{DataType, Expr, ExprLimits};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::document::document_json;
use crate::error::{guard, invalid_argument, IntoPyResult};
use crate::metrics::PySnapshot;

fn parse_type(name: &str, ty: &str) -> custfit::Result<DataType> {
    Ok(match ty {
        "int" => DataType::Int,
        "float" => DataType::Float,
        "bool" => DataType::Bool,
        "str" => DataType::Str,
        "timestamp" => DataType::Timestamp,
        other => {
            return Err(invalid_argument(
                "schema",
                format!("column `{name}` has type `{other}`; expected int, float, bool, str or timestamp"),
            ))
        }
    })
}

/// A schema from a Snapshot or a ``{name: type}`` dict.
fn schema_arg(obj: &Bound<'_, PyAny>) -> PyResult<custfit::Result<Vec<(String, DataType)>>> {
    if let Ok(s) = obj.cast::<PySnapshot>() {
        return Ok(Ok(s.get().inner.schema()));
    }
    let Ok(d) = obj.cast::<PyDict>() else {
        return Ok(Err(invalid_argument("schema", "expected a Snapshot or a {name: type} dict")));
    };
    let mut out = Vec::new();
    for (k, v) in d.iter() {
        let name: String = k.extract()?;
        let ty: String = v.extract()?;
        match parse_type(&name, &ty) {
            Ok(t) => out.push((name, t)),
            Err(e) => return Ok(Err(e)),
        }
    }
    Ok(Ok(out))
}

/// A compiled condition or value expression (a subset of CEL).
///
/// ``Expr(source, schema, limits=None)``: ``schema`` is a Snapshot or a ``{name: type}`` dict;
/// ``limits`` an ``ExprLimits`` document (dict or JSON). Unknown names raise
/// ``UnknownMetricError`` (code ``unknown_name``, with ``.position`` and ``.suggestion``), syntax
/// errors ``ParseError`` (``expr_syntax``), type errors and limits ``InvalidInputError``.
#[pyclass(name = "Expr", module = "custfit", frozen)]
pub struct PyExpr {
    pub inner: Expr,
}

#[pymethods]
impl PyExpr {
    #[new]
    #[pyo3(signature = (source, schema, limits=None))]
    fn new(py: Python<'_>, source: &str, schema: &Bound<'_, PyAny>, limits: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let schema = schema_arg(schema)?.py(py)?;
        let limits: ExprLimits = match limits.filter(|l| !l.is_none()) {
            None => ExprLimits::default(),
            Some(l) => {
                let text = document_json(l, "limits")?.py(py)?;
                guard(py, || {
                    serde_json::from_str(&text)
                        .map_err(|e| custfit::Error::Parse { what: "limits".into(), reason: e.to_string() })
                })?
            }
        };
        let inner = guard(py, || Expr::compile_with(source, &schema, &limits))?;
        Ok(PyExpr { inner })
    }

    /// The source text.
    #[getter]
    fn source(&self) -> &str {
        self.inner.source()
    }

    /// The result type: ``int``, ``float``, ``bool``, ``str`` or ``timestamp``.
    #[getter]
    fn result_type(&self) -> &'static str {
        self.inner.result_type().as_str()
    }

    /// ``{name: type}`` of the columns the expression reads.
    #[getter]
    fn columns<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (n, t) in self.inner.columns() {
            d.set_item(n, t.as_str())?;
        }
        Ok(d)
    }

    /// The value for every row (None where missing).
    fn evaluate<'py>(&self, py: Python<'py>, snapshot: &PySnapshot) -> PyResult<Bound<'py, PyList>> {
        let col = guard(py, || self.inner.evaluate(&snapshot.inner))?;
        let values: Vec<custfit::Value> = (0..col.len()).map(|i| col.value(i)).collect();
        let out = crate::health::to_py(py, &values)?;
        Ok(out.cast_into::<PyList>()?)
    }

    /// For a condition: True where it is true (missing and false give False).
    fn matches(&self, py: Python<'_>, snapshot: &PySnapshot) -> PyResult<Vec<bool>> {
        guard(py, || self.inner.matches(&snapshot.inner))
    }

    fn __repr__(&self) -> String {
        format!("Expr({:?})", self.inner.source())
    }
}
