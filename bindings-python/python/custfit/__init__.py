"""custfit — customer fitness engine.

Turns accounts, subscriptions and product-usage events into activity metrics (and, downstream,
health scores, churn risk, segments and plays). The engine is the Rust crate ``custfit``; this
package is a thin binding over it.

>>> import custfit
>>> sim = custfit.simulate(accounts=20, days=60, seed=7)
>>> snap = sim.dataset.snapshot(sim.end)
>>> len(snap) == sim.dataset.account_count
True
"""

from ._native import (
    CustfitError,
    CustfitIOError,
    Dataset,
    InvalidInputError,
    ParseError,
    Simulation,
    Snapshot,
    UnknownMetricError,
    UnsupportedVersionError,
    __version__,
    error_codes,
    metric_catalog,
    simulate,
)

__all__ = [
    "CustfitError",
    "CustfitIOError",
    "Dataset",
    "InvalidInputError",
    "ParseError",
    "Simulation",
    "Snapshot",
    "UnknownMetricError",
    "UnsupportedVersionError",
    "__version__",
    "error_codes",
    "metric_catalog",
    "simulate",
]
