"""Shapes of the dicts custfit returns, as ``TypedDict`` classes.

They exist at runtime (``from custfit.types import ParetoTiers``) and are what the type stubs
of ``custfit._native`` declare, so a type checker knows every key and value type of every
result. Conventions:

* Results converted through the core's serde form (most analytics results) give instants as
  RFC 3339 text (``str``); dataset rows, the simulator's truth and ``Dataset.daily_activity``
  give aware UTC ``datetime`` objects. Each field says which.
* ``X | None`` (``Optional[X]``) fields are always present and may be None; ``NotRequired``
  fields may be absent (serde skips them when empty or unset).
* Counts are ``int``, measures ``float``.
"""

import sys
from datetime import datetime
from typing import Literal, Optional, Union

if sys.version_info >= (3, 11):
    from typing import NotRequired, TypedDict
else:  # NotRequired (and a TypedDict that honours it) from typing_extensions
    from typing_extensions import NotRequired, TypedDict

DataTypeName = Literal["int", "float", "bool", "str", "timestamp"]
"""The type of a snapshot column or expression."""

TimeUnit = Literal["days", "weeks", "months"]

# --- data (Dataset) ---------------------------------------------------------------------


class RejectedRow(TypedDict):
    """A row set aside by lenient ingestion."""

    row: int
    field: str
    code: str
    reason: str


class IngestReport(TypedDict):
    """What an ``add_*`` call did."""

    accepted: int
    rejected: list[RejectedRow]
    duplicates_dropped: int


class LoadReport(TypedDict):
    """``Dataset.from_files``: one ingest report per table."""

    accounts: IngestReport
    users: IngestReport
    subscriptions: IngestReport
    events: IngestReport


class MemoryUsage(TypedDict):
    """``Dataset.memory_usage()``."""

    event_bytes: int
    dictionary_bytes: int
    entity_bytes: int
    events: int
    bytes_per_event: float


class DailyActivity(TypedDict):
    """``Dataset.daily_activity()``: one UTC day (``day`` is a datetime)."""

    day: datetime
    active_users: int
    events: int
    logins: int


class MetricInfo(TypedDict):
    """``metric_catalog()``: one built-in metric."""

    name: str
    data_type: DataTypeName
    description: str


AttributeValue = Union[bool, float, str, datetime]
"""An account attribute: bool, number, text or date (a datetime)."""

PropertyValue = Union[bool, float, str]
"""An event property: bool, number or text."""


class AccountRow(TypedDict):
    """``Dataset.accounts()``: one account (valid input for ``add_accounts``)."""

    id: str
    name: str
    created_at: datetime
    owner: Optional[str]
    parent_id: Optional[str]
    seats: Optional[int]
    attributes: dict[str, AttributeValue]


class UserRow(TypedDict):
    """``Dataset.users()``: one user."""

    id: str
    account_id: str
    role: Literal["admin", "champion", "executive", "member"]
    created_at: datetime
    deactivated_at: Optional[datetime]


class Money(TypedDict):
    """An amount in minor units (cents) of a currency."""

    minor: int
    currency: str


class SubscriptionRow(TypedDict):
    """``Dataset.subscriptions()``: one subscription."""

    account_id: str
    plan: str
    start: datetime
    end: Optional[datetime]
    mrr: Money
    quantity: int
    status: Literal["active", "trial", "canceled", "past_due"]


class EventRow(TypedDict):
    """``Dataset.events()``: one event."""

    account_id: str
    user_id: Optional[str]
    timestamp: datetime
    name: str
    properties: dict[str, PropertyValue]


# --- simulator ----------------------------------------------------------------------------


class AccountTruth(TypedDict):
    """``Simulation.truth``: an account's hidden ground truth (instants are datetimes)."""

    account_id: str
    churned: bool
    churned_at: Optional[datetime]
    decline_started_at: Optional[datetime]
    champion_left_at: Optional[datetime]
    cadence: Literal["daily", "weekly", "monthly"]
    base_engagement: float
    onboarding_stuck: bool
    extraction_burst: bool
    confused: bool


class SimulationConfig(TypedDict):
    """``Simulation.config``: the settings used (``start`` is RFC 3339 text)."""

    seed: int
    accounts: int
    start: str
    days: int
    activity_scale: float
    max_users_per_account: int
    currency: str


# --- churn ----------------------------------------------------------------------------------


class Window(TypedDict):
    """A trailing window such as 30 days."""

    amount: int
    unit: TimeUnit


class Driver(TypedDict):
    """One feature's signed contribution to a prediction (``value`` None when missing)."""

    feature: str
    value: Optional[float]
    transformed: float
    contribution: float


class Explanation(TypedDict):
    """``ChurnModel.explain()``."""

    probability: float
    log_odds: float
    bias: float
    drivers: list[Driver]


class CoefficientReport(TypedDict):
    """``ChurnModel.coefficients()``: one feature of a logistic model."""

    feature: str
    coefficient: float
    odds_ratio: float
    retention_impact_per_sd: float


class CalibrationBin(TypedDict):
    """Predictions in ``[lower, upper)`` and how often they churned."""

    lower: float
    upper: float
    count: int
    mean_predicted: float
    observed_rate: float


class Evaluation(TypedDict):
    """``ChurnModel.evaluate()`` / ``evaluate_churn()``."""

    rows: int
    positives: int
    roc_auc: float
    pr_auc: float
    log_loss: float
    brier: float
    top_decile_lift: float
    calibration_error: float
    calibration: list[CalibrationBin]


class RiskEntry(TypedDict):
    """``ChurnModel.forecast()``: one account of the ranked risk list (``opportunity_at``: RFC 3339)."""

    rank: int
    account_id: str
    probability: float
    opportunity_at: str
    renewal: bool
    mrr_minor: int
    drivers: list[Driver]


class BacktestFold(TypedDict):
    """One fold of a churn backtest (``cutoff``: RFC 3339)."""

    cutoff: str
    train_rows: int
    test_rows: int
    evaluation: Evaluation


class ChurnBacktest(TypedDict):
    """``churn_backtest()``: per-fold and pooled evaluations."""

    folds: list[BacktestFold]
    pooled: Evaluation


class LogisticFit(TypedDict):
    """``fit_logistic()``: a bare logistic regression."""

    coefficients: list[float]
    intercept: float
    iterations: int
    converged: bool


class MrrChurn(TypedDict):
    """``mrr_churn()``: churned and downgraded MRR between two instants."""

    starting_mrr_minor: int
    churned_mrr_minor: int
    downgraded_mrr_minor: int
    starting_accounts: int
    churned_accounts: int
    mrr_churn_rate: float
    logo_churn_rate: float


class InactivityWindowChoice(TypedDict):
    """``choose_inactivity_window()``."""

    window: Window
    share_covered: float
    returns_observed: int


class LearnedWeight(TypedDict):
    """One measure's learned weight."""

    measure: str
    share_before: float
    share_after: float
    coefficient_per_10_points: float
    odds_ratio_per_10_points: float
    status: Literal["used", "wrong_sign", "constant", "no_data"]


# --- health ---------------------------------------------------------------------------------


class Band(TypedDict):
    """A score band: ``min <= score < max`` (the top band includes 100)."""

    name: str
    color: str
    min: float
    max: float


class Tier(TypedDict):
    """One tier of a ``tiers`` scoring."""

    min: Optional[float]
    min_inclusive: bool
    max: Optional[float]
    max_inclusive: bool
    points: float


class TiersScoring(TypedDict):
    type: Literal["tiers"]
    tiers: list[Tier]


class RampScoring(TypedDict):
    type: Literal["ramp"]
    low: float
    high: float


class AllPeers(TypedDict):
    type: Literal["all"]


class ColumnPeers(TypedDict):
    type: Literal["column"]
    column: str


class BinnedPeers(TypedDict):
    type: Literal["bins"]
    column: str
    edges: list[float]


PeerGroup = Union[AllPeers, ColumnPeers, BinnedPeers]


class PercentileScoring(TypedDict):
    type: Literal["percentile"]
    peers: PeerGroup


Scoring = Union[TiersScoring, RampScoring, PercentileScoring]


class RenormalizeMissing(TypedDict):
    type: Literal["renormalize"]


class WorstMissing(TypedDict):
    type: Literal["worst"]


class DefaultMissing(TypedDict):
    type: Literal["default"]
    points: float


MissingPolicy = Union[RenormalizeMissing, WorstMissing, DefaultMissing]


class MeasureDocument(TypedDict):
    """One measure of a scorecard document (``weight`` absent when 1, ``group`` when unset)."""

    name: str
    metric: str
    weight: NotRequired[float]
    direction: Literal["higher_is_better", "lower_is_better"]
    scoring: Scoring
    missing: MissingPolicy
    group: NotRequired[str]


class MeasureGroup(TypedDict):
    name: str
    weight: float


class PenaltyDocument(TypedDict):
    """Points taken off when a flag column is true."""

    column: str
    points: float


class OverrideDocument(TypedDict):
    """A CSM override (instants RFC 3339)."""

    account_id: str
    score: float
    reason: str
    set_by: NotRequired[str]
    set_at: NotRequired[str]
    expires_at: str


class ScorecardDocument(TypedDict):
    """``Scorecard.to_dict()``: the versioned scorecard document (empty lists are left out)."""

    version: int
    name: str
    measures: list[MeasureDocument]
    groups: NotRequired[list[MeasureGroup]]
    bands: list[Band]
    penalties: NotRequired[list[PenaltyDocument]]
    overrides: NotRequired[list[OverrideDocument]]


class ScorecardCase(TypedDict):
    values: list[str]
    scorecard: ScorecardDocument


class ScorecardSetDocument(TypedDict):
    """``ScorecardSet.to_dict()``."""

    version: int
    column: str
    cases: list[ScorecardCase]
    default: ScorecardDocument


class MeasureScore(TypedDict):
    """A measure's value, points (0-100), weight and contribution to the score."""

    name: str
    value: Optional[float]
    points: Optional[float]
    weight: float
    contribution: float


class AppliedOverride(TypedDict):
    """The override applied to a score (``expires_at``: RFC 3339)."""

    computed_score: Optional[float]
    reason: str
    set_by: Optional[str]
    expires_at: str


class AccountHealth(TypedDict):
    """``HealthScores.row()/account()/rows()``: one account's score with its breakdown."""

    account_id: str
    score: Optional[float]
    band: Optional[str]
    color: Optional[str]
    scorecard: str
    measures: list[MeasureScore]
    override: Optional[AppliedOverride]


class MeasureChange(TypedDict):
    name: str
    value_before: Optional[float]
    value_after: Optional[float]
    before: float
    after: float
    delta: float


class ScoreChange(TypedDict):
    """``HealthScores.changes_since()``: one account's change, by measure."""

    account_id: str
    before: float
    after: float
    delta: float
    band_before: Optional[str]
    band_after: Optional[str]
    by_measure: list[MeasureChange]


class Rollup(TypedDict):
    """``HealthScores.rollup()``: a parent rolled up from its descendants."""

    account_id: str
    descendants: int
    scored: int
    weight: float
    score: Optional[float]
    band: Optional[str]


class HistoryPoint(TypedDict):
    """``account_history()``: one date (``as_of``: RFC 3339)."""

    as_of: str
    score: Optional[float]
    band: Optional[str]


class BurstFlag(TypedDict):
    """Extraction burst (``day``: RFC 3339)."""

    flagged: bool
    max_day_events: int
    day: Optional[str]
    baseline_median: Optional[float]
    baseline_p90: Optional[float]
    robust_z: Optional[float]


class ConfusionFlag(TypedDict):
    flagged: bool
    events_per_user_day: Optional[float]
    distinct_features: int
    active_user_days: int


class PricingFlag(TypedDict):
    flagged: bool
    views: int
    users: int


class InactivityFlag(TypedDict):
    flagged: bool
    days_since_last_activity: Optional[int]
    usual_gap_days: Optional[float]
    ratio: Optional[float]


class AccountFlags(TypedDict):
    """``detect_flags()``: one account's edge-case flags and ``fired`` (names of those that fired)."""

    account_id: str
    extraction_burst: BurstFlag
    confusion: ConfusionFlag
    pricing_interest: PricingFlag
    cadence_inactivity: InactivityFlag
    fired: list[str]


class BandOutcome(TypedDict):
    """Churn within the horizon of one band, with a Wilson 95% interval."""

    band: str
    color: str
    observations: int
    churned: int
    churn_rate: Optional[float]
    ci_low: Optional[float]
    ci_high: Optional[float]


class DateOutcome(TypedDict):
    """One observation date of a backtest (``as_of``: RFC 3339)."""

    as_of: str
    observations: int
    churned: int
    roc_auc: Optional[float]


class TransitionMatrix(TypedDict):
    """``counts[i][j]``: accounts in band ``i`` at one date and band ``j`` at the next."""

    bands: list[str]
    counts: list[list[int]]


class BacktestReport(TypedDict):
    """``backtest()``: a scorecard's churn backtest (``skipped_dates``: RFC 3339)."""

    observations: int
    churned: int
    roc_auc: Optional[float]
    bands: list[BandOutcome]
    dates: list[DateOutcome]
    transitions: TransitionMatrix
    skipped_dates: list[str]


class LearnedWeights(TypedDict):
    """``learn_weights()``: the scorecard with learned weights."""

    scorecard: ScorecardDocument
    weights: list[LearnedWeight]
    intercept: float


class LearnedScorecard(TypedDict):
    """``learn_scorecard_weights()`` (dates: RFC 3339)."""

    scorecard: ScorecardDocument
    weights: list[LearnedWeight]
    intercept: float
    observations: int
    churned: int
    holdout_observations: int
    holdout_auc_before: Optional[float]
    holdout_auc_after: Optional[float]
    train_dates: list[str]
    holdout_dates: list[str]
    skipped_dates: list[str]


# --- segmentation ---------------------------------------------------------------------------


class SegmentCount(TypedDict):
    name: str
    count: int
    share: float


class SegmentAssignment(TypedDict):
    """``segment_rules()``: ``label`` per row (first match), ``membership[row][segment]``."""

    mode: Literal["first_match", "multi_label"]
    segments: list[str]
    label: list[Optional[str]]
    membership: list[list[bool]]
    counts: list[SegmentCount]
    unmatched: int


class TierSummary(TypedDict):
    name: str
    count: int
    customer_share: float
    revenue: float
    revenue_share: float
    mrr_floor: Optional[float]
    mrr_ceiling: Optional[float]
    cumulative_customer_share: float
    cumulative_revenue_share: float


class ParetoChart(TypedDict):
    """Accounts by descending revenue with cumulative shares."""

    account_ids: list[str]
    values: list[float]
    cumulative_customer_share: list[float]
    cumulative_revenue_share: list[float]


class ParetoTiers(TypedDict):
    """``pareto_tiers()``: ``assignment[row]`` indexes ``tiers``."""

    metric: str
    total_revenue: float
    tiers: list[TierSummary]
    assignment: list[int]
    chart: ParetoChart


class QuantileBuckets(TypedDict):
    """``quantile_buckets()``: ``bucket[row]`` (None when the metric is missing)."""

    metric: str
    bucket: list[Optional[int]]
    edges: list[float]
    counts: list[SegmentCount]


class RfmScores(TypedDict):
    """``rfm_scores()``: scores 1-5 per row, the three-digit ``code`` and the named segment."""

    recency: list[int]
    frequency: list[int]
    monetary: list[int]
    code: list[str]
    segment: list[str]
    counts: list[SegmentCount]


class ClusterModel(TypedDict):
    """A fitted k-means model (input of ``assign_clusters``)."""

    version: int
    metrics: list[str]
    means: list[float]
    stds: list[float]
    centroids: list[list[float]]


class KScore(TypedDict):
    k: int
    silhouette: Optional[float]
    inertia: float


class ClusterProfile(TypedDict):
    cluster: int
    count: int
    share: float
    means: list[Optional[float]]
    z_scores: list[float]


class Clustering(TypedDict):
    """``fit_clusters()``: the model, chosen ``k``, ``labels`` per row, scores and profiles."""

    model: ClusterModel
    k: int
    labels: list[int]
    scores: list[KScore]
    profiles: list[ClusterProfile]


class TierCapacity(TypedDict):
    tier: str
    accounts: int
    account_hours_per_year: float
    hours_per_year: float
    csms_exact: float
    csms: int
    arr: float


class Book(TypedDict):
    """One CSM's book of business."""

    csm: str
    tier: str
    account_ids: list[str]
    accounts: int
    arr: float
    hours_per_year: float


class CapacityPlan(TypedDict):
    """``capacity_plan()``."""

    tiers: list[TierCapacity]
    total_csms: int
    books: list[Book]
    unassigned: list[str]


# --- activity goals -------------------------------------------------------------------------


class PeriodResult(TypedDict):
    """One goal period (``start``, ``end``: RFC 3339)."""

    start: str
    end: str
    value: float
    attainment: float
    met: bool
    complete: bool


class Celebration(TypedDict):
    """A moment worth celebrating (``period_start``: RFC 3339)."""

    kind: Literal["first_week_at_goal", "new_longest_streak", "new_personal_best"]
    period_start: str
    value: float
    streak: int


class PersonalBest(TypedDict):
    value: float
    period_start: str


class GoalDay(TypedDict):
    """One UTC day of ``GoalProgress.days`` (``day``: RFC 3339, unlike ``DailyActivity``)."""

    day: str
    active_users: int
    events: int
    logins: int


class GoalProgress(TypedDict):
    """``goal_progress()``: periods, streaks, personal best, celebrations and the daily series."""

    account_id: str
    goal: str
    target: float
    periods: list[PeriodResult]
    current_streak: int
    longest_streak: int
    personal_best: Optional[PersonalBest]
    celebrations: list[Celebration]
    days: list[GoalDay]


__all__ = [
    "AccountFlags",
    "AccountHealth",
    "AccountRow",
    "AccountTruth",
    "AllPeers",
    "AppliedOverride",
    "AttributeValue",
    "BacktestFold",
    "BacktestReport",
    "Band",
    "BandOutcome",
    "BinnedPeers",
    "Book",
    "BurstFlag",
    "CalibrationBin",
    "CapacityPlan",
    "Celebration",
    "ChurnBacktest",
    "ClusterModel",
    "ClusterProfile",
    "Clustering",
    "CoefficientReport",
    "ColumnPeers",
    "ConfusionFlag",
    "DailyActivity",
    "DataTypeName",
    "DateOutcome",
    "DefaultMissing",
    "Driver",
    "EventRow",
    "Evaluation",
    "Explanation",
    "GoalDay",
    "GoalProgress",
    "HistoryPoint",
    "InactivityFlag",
    "InactivityWindowChoice",
    "IngestReport",
    "KScore",
    "LearnedScorecard",
    "LearnedWeight",
    "LearnedWeights",
    "LoadReport",
    "LogisticFit",
    "MeasureChange",
    "MeasureDocument",
    "MeasureGroup",
    "MeasureScore",
    "MemoryUsage",
    "MetricInfo",
    "MissingPolicy",
    "Money",
    "MrrChurn",
    "OverrideDocument",
    "ParetoChart",
    "ParetoTiers",
    "PeerGroup",
    "PenaltyDocument",
    "PercentileScoring",
    "PeriodResult",
    "PersonalBest",
    "PricingFlag",
    "PropertyValue",
    "QuantileBuckets",
    "RampScoring",
    "RejectedRow",
    "RenormalizeMissing",
    "RfmScores",
    "RiskEntry",
    "Rollup",
    "SegmentAssignment",
    "ScoreChange",
    "ScorecardCase",
    "ScorecardDocument",
    "ScorecardSetDocument",
    "Scoring",
    "SegmentCount",
    "SimulationConfig",
    "Tier",
    "TierCapacity",
    "TierSummary",
    "TiersScoring",
    "TimeUnit",
    "TransitionMatrix",
    "UserRow",
    "Window",
    "WorstMissing",
]
