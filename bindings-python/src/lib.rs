//! `custfit._native`: the Python binding of custfit. One file per core module; each only
//! converts, calls the core and maps errors (through `error.rs`). The public package is
//! `custfit` (python/custfit), which re-exports this module.

mod activity;
mod convert;
mod data;
mod error;
mod io;
mod metrics;
mod sim;
mod time;

use pyo3::prelude::*;

/// The compiled core of the `custfit` package; import `custfit` instead.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    error::register(m)?;
    m.add_class::<data::PyDataset>()?;
    m.add_class::<metrics::PySnapshot>()?;
    m.add_class::<sim::PySimulation>()?;
    m.add_function(wrap_pyfunction!(metrics::metric_catalog, m)?)?;
    m.add_function(wrap_pyfunction!(sim::simulate, m)?)?;
    m.add_function(wrap_pyfunction!(error::error_codes, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
