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
    ChurnModel,
    CustfitError,
    CustfitIOError,
    Dataset,
    Expr,
    InvalidInputError,
    ParseError,
    Simulation,
    Snapshot,
    TrainingSet,
    UnknownMetricError,
    UnsupportedVersionError,
    __version__,
    activity_churn_dates,
    annual_to_monthly,
    assign_clusters,
    build_training_set,
    capacity_plan,
    choose_inactivity_window,
    churn_backtest,
    error_codes,
    evaluate_churn,
    fit_clusters,
    fit_logistic,
    metric_catalog,
    monthly_to_annual,
    mrr_churn,
    pareto_tiers,
    quantile_buckets,
    rfm_scores,
    segment_rules,
    simulate,
    snapshot_from_table,
    subscription_churn_dates,
)

__all__ = [
    "ChurnModel",
    "TrainingSet",
    "activity_churn_dates",
    "annual_to_monthly",
    "build_training_set",
    "choose_inactivity_window",
    "churn_backtest",
    "evaluate_churn",
    "fit_logistic",
    "monthly_to_annual",
    "mrr_churn",
    "subscription_churn_dates",
    "CustfitError",
    "CustfitIOError",
    "Dataset",
    "InvalidInputError",
    "ParseError",
    "Simulation",
    "Snapshot",
    "UnknownMetricError",
    "UnsupportedVersionError",
    "Expr",
    "__version__",
    "assign_clusters",
    "capacity_plan",
    "fit_clusters",
    "pareto_tiers",
    "quantile_buckets",
    "rfm_scores",
    "segment_rules",
    "snapshot_from_table",
    "error_codes",
    "metric_catalog",
    "simulate",
]
