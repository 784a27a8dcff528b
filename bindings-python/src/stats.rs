//! Statistics (`custfit::stats`): the rank AUC and the Wilson interval the backtests use.

use custfit::{health, stats};
use pyo3::prelude::*;

use crate::convert::Whole;
use crate::error::{guard, IntoPyResult};

/// ROC AUC of ``risk`` (higher = more likely positive; any finite scale) for ``labels``, ties
/// counted half; None when either class is empty. Raises ``invalid_argument`` when the lengths
/// differ and ``non_finite`` for NaN or infinite risk.
#[pyfunction]
pub fn roc_auc(py: Python<'_>, risk: Vec<f64>, labels: Vec<bool>) -> PyResult<Option<f64>> {
    guard(py, || health::roc_auc(&risk, &labels))
}

/// Wilson 95% score interval ``(low, high)`` for ``k`` successes in ``n`` trials; None when
/// ``n`` is 0. Raises ``invalid_argument`` when ``k`` exceeds ``n``.
#[pyfunction]
pub fn wilson_interval(py: Python<'_>, k: Whole, n: Whole) -> PyResult<Option<(f64, f64)>> {
    let (k, n) = (k.to_u64("k").py(py)?, n.to_u64("n").py(py)?);
    guard(py, || stats::wilson_interval(k, n))
}

/// Adds the statistics functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(roc_auc, m)?)?;
    m.add_function(wrap_pyfunction!(wilson_interval, m)?)?;
    Ok(())
}
