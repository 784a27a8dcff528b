"""Type stubs of ``custfit._native`` (checked against the built module by tests/test_stubs.py and,
with stubtest, tests/test_typing.py). Result shapes are the TypedDicts of ``custfit.types``."""

import os
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, Literal, final, overload

import numpy as np
from numpy.typing import NDArray
from typing_extensions import Self, TypeAlias

from custfit.types import (
    AccountFlags,
    AccountHealth,
    AccountMaturity,
    AccountRow,
    AccountTruth,
    Action,
    AnalysisConfig,
    ArmSummary,
    BacktestReport,
    Band,
    Bucket,
    CapacityPlan,
    ChurnBacktest,
    Clustering,
    CoefficientReport,
    CohortConfig,
    CupedEffect,
    DailyActivity,
    DataTypeName,
    DryRun,
    DryRunConfig,
    Effect,
    EngagementMomentsDocument,
    Evaluation,
    EventRow,
    ExperimentReport,
    Explanation,
    FrameRecipe,
    GoalProgress,
    GrowthAccountingDocument,
    GrowthPeriod,
    HistoryPoint,
    ImprovementPlan,
    InactivityWindowChoice,
    IngestReport,
    Journey,
    KaplanMeier,
    LearnedScorecard,
    LearnedWeights,
    LifecycleConfig,
    LoadReport,
    LogisticFit,
    LogRank,
    MaturityAssessmentDocument,
    MaturityModel,
    MemoryUsage,
    MetricInfo,
    MomentsConfig,
    MomentSummary,
    MrrChurn,
    Observation,
    ParetoTiers,
    Period,
    PhaseHistory,
    PlanActual,
    PlanCheckDocument,
    PlanProgress,
    PlanTrackerDocument,
    PlaybookDocument,
    PlayPower,
    PlayRun,
    PlayStateDocument,
    PowerPlanConfig,
    QuantileBuckets,
    RetentionCohorts,
    RfmScores,
    RiskEntry,
    Rollup,
    RuleSegmentation,
    SampleRatioCheck,
    SampleSize,
    ScorecardDocument,
    ScorecardSetDocument,
    ScoreChange,
    SegmentAssignment,
    SequentialInterval,
    SimulatedExperiment,
    SimulatedExperimentResult,
    SimulationConfig,
    SubscriptionRow,
    TrackingPolicy,
    Treatment,
    UserRow,
)

__version__: str

TimestampLike: TypeAlias = datetime | date | str | int
"""datetime (aware: converted to UTC; naive: read as UTC), date (midnight UTC), str
(RFC 3339, ``YYYY-MM-DD``, ``YYYY-MM-DD HH:MM:SS``) or int (milliseconds since the epoch)."""

TableLike: TypeAlias = Any
"""A list of dicts, or an Arrow-capable table: pyarrow Table/RecordBatch/RecordBatchReader,
polars DataFrame, pandas DataFrame (through pyarrow), or any object with ``__arrow_c_stream__``."""

Document: TypeAlias = Mapping[str, Any] | str
"""A dict, or the same document as JSON text."""

PathLike: TypeAlias = str | os.PathLike[str]

CellValue: TypeAlias = int | float | bool | str | datetime | None

FrameSource: TypeAlias = (
    HealthScores
    | GrowthAccounting
    | EngagementMoments
    | MaturityAssessment
    | PlanCheck
    | Snapshot
    | ParetoTiers
    | SegmentAssignment
    | Clustering
    | QuantileBuckets
    | RfmScores
    | Sequence[RiskEntry]
    | Mapping[str, Sequence[CellValue]]
    | TableLike
)
"""What ``Snapshot.with_columns`` and ``to_arrow`` take: a per-account result, a snapshot, a dict
of column lists or an Arrow table."""

class CustfitError(Exception):
    """Base of every custfit error. ``code`` is a stable string (see ``error_codes()``); row
    errors also carry ``row`` (0-based row of the batch), ``field``, ``entity`` and, for rows read
    from a file, ``location`` (``"events.csv line 7"``)."""

    code: str | None
    row: int | None
    field: str | None
    entity: Literal["account", "user", "subscription", "event"] | None
    location: str | None

class InvalidInputError(CustfitError, ValueError):
    """A row, configuration value or argument is invalid."""

class UnknownMetricError(CustfitError, KeyError):
    """A metric or column name is not known."""

class ParseError(CustfitError, ValueError):
    """Text or a file could not be parsed."""

class CustfitIOError(CustfitError, OSError):
    """Reading or writing a file failed."""

class UnsupportedVersionError(CustfitError, ValueError):
    """A saved document has a version this build cannot read."""

@final
class Dataset:
    """Validated customer data, held columnar (accounts, users, subscriptions, events).

    Every ``add_*`` call is all-or-nothing in strict mode (the default): on error the dataset
    is exactly as it was. Add accounts before the users, subscriptions and events that refer
    to them.

    ``options`` of the ``add_*`` calls: ``{"mode": "strict" | "lenient", "duplicates": "drop" |
    "keep" | "reject", "now": TimestampLike, "future_tolerance_hours": int, "allow_future":
    bool}`` (dict or JSON text).
    """

    def __init__(self) -> None:
        """An empty dataset."""
    def add_accounts(self, data: TableLike, options: Document | None = None) -> IngestReport:
        """Adds accounts (``id``, ``name``, ``created_at``, ``owner``, ``parent_id``, ``seats``,
        ``attributes``); in an Arrow table every other column is an attribute."""
    def add_users(self, data: TableLike, options: Document | None = None) -> IngestReport:
        """Adds users (``id``, ``account_id``, ``role``, ``created_at``, ``deactivated_at``)."""
    def add_subscriptions(self, data: TableLike, options: Document | None = None) -> IngestReport:
        """Adds subscriptions. Dicts use ``mrr: {"minor", "currency"}``; Arrow tables the flat
        layout ``account_id, plan, start, end, mrr_minor, currency, quantity, status``."""
    def add_events(self, data: TableLike, options: Document | None = None) -> IngestReport:
        """Adds events (``account_id``, ``user_id``, ``timestamp``, ``name``, ``properties``).
        Arrow tables are read in place; every other column is a property. Releases the GIL."""
    @property
    def account_count(self) -> int:
        """Number of accounts."""
    @property
    def user_count(self) -> int:
        """Number of users."""
    @property
    def subscription_count(self) -> int:
        """Number of subscription rows."""
    @property
    def event_count(self) -> int:
        """Number of events."""
    @property
    def currency(self) -> str | None:
        """The dataset's currency (set by the first subscription), or None."""
    @property
    def data_end(self) -> datetime | None:
        """The latest instant the data records (last event, account or user creation, user deactivation;
        subscriptions, written ahead, do not count), or None when empty. Outcomes are known up to the end of its
        day: a later ``known_at`` is refused."""
    def memory_usage(self) -> MemoryUsage:
        """Bytes held, by part."""
    def accounts(self) -> list[AccountRow]:
        """Accounts in insertion order, as dicts (valid input for ``add_accounts``)."""
    def users(self) -> list[UserRow]:
        """Users in insertion order, as dicts."""
    def subscriptions(self) -> list[SubscriptionRow]:
        """Subscriptions sorted by account and start, as dicts."""
    def events(self) -> list[EventRow]:
        """Events sorted by account and time, as dicts."""
    @staticmethod
    def from_files(
        accounts: PathLike | None = None,
        users: PathLike | None = None,
        subscriptions: PathLike | None = None,
        events: PathLike | None = None,
        options: Document | None = None,
    ) -> tuple[Dataset, LoadReport]:
        """Loads a dataset from CSV or JSON Lines files (by extension). Releases the GIL."""
    def write_csv(self, dir: PathLike, overwrite: bool = False) -> None:
        """Writes ``accounts.csv``, ``users.csv``, ``subscriptions.csv``, ``events.csv``: all four or none; an
        existing file is refused unless ``overwrite``. Formula-like text cells get a ``'`` in front."""
    def write_jsonl(self, dir: PathLike, overwrite: bool = False) -> None:
        """Writes the four tables as JSON Lines: all four or none; an existing file is refused unless
        ``overwrite``."""
    def snapshot(self, as_of: TimestampLike, config: Document | None = None) -> Snapshot:
        """The snapshot as of ``as_of``; ``config`` is a SnapshotConfig. Releases the GIL."""
    def daily_activity(self, account_id: str, end: TimestampLike, days: int) -> list[DailyActivity]:
        """The last ``days`` UTC days of an account's activity, oldest first."""
    def copy(self) -> Dataset:
        """A deep copy."""
    def __copy__(self) -> Dataset: ...
    def __deepcopy__(self, memo: Any, /) -> Dataset: ...

@final
class Snapshot:
    """One row per account, one column per metric, as of an instant. The first column is
    ``account_id``. Any Arrow consumer can read it through ``__arrow_c_stream__``."""

    @property
    def as_of(self) -> datetime:
        """The as-of instant (aware, UTC)."""
    def __len__(self) -> int: ...
    @property
    def account_ids(self) -> list[str]:
        """Account ids, one per row."""
    @property
    def column_names(self) -> list[str]:
        """Column names, ``account_id`` excluded."""
    @property
    def schema(self) -> dict[str, DataTypeName]:
        """``{name: type}`` for every column including ``account_id``."""
    def column(self, name: str) -> list[CellValue]:
        """The named column (None for missing values). Raises UnknownMetricError."""
    def value(self, account_id: str, column: str) -> CellValue:
        """One cell (None when missing)."""
    def to_dict(self) -> dict[str, list[CellValue]]:
        """``{"account_id": [...], column: [...], ...}``."""
    def to_arrow(self) -> Any:
        """The snapshot as a ``pyarrow.Table`` (zero copy)."""
    def to_polars(self) -> Any:
        """The snapshot as a ``polars.DataFrame``."""
    def to_pandas(self) -> Any:
        """The snapshot as a ``pandas.DataFrame`` (timestamps UTC-aware)."""
    def to_json(self) -> str:
        """The snapshot's JSON form ``{"as_of", "columns", "types"}`` (read back by
        ``snapshot_from_json``), the same in every language."""
    def select(self, columns: Sequence[str]) -> Snapshot:
        """A new snapshot with only ``columns`` (``account_id`` always kept), e.g. the table
        ``snap.with_columns(tiers).select(["mrr", "tier"]).to_pandas()``."""
    def with_columns(
        self,
        source: FrameSource,
        name: str | None = None,
    ) -> Snapshot:
        """A new snapshot with columns added from a per-account result (health scores, lifecycle
        buckets, tiers, segments, clusters, buckets, RFM scores, a churn forecast), another
        snapshot, a dict of column name to list, or an Arrow table; rows match by ``account_id``
        when given, else by position. ``name`` renames a result's columns."""
    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        """The Arrow PyCapsule stream interface."""

@final
class Simulation:
    """A simulated customer base with its hidden ground truth."""

    @property
    def dataset(self) -> Dataset:
        """The generated data (the same object on every access)."""
    @property
    def start(self) -> datetime:
        """First simulated instant (UTC)."""
    @property
    def end(self) -> datetime:
        """End of the simulated period (UTC)."""
    @property
    def truth(self) -> list[AccountTruth]:
        """Ground truth per account, in account order."""
    @property
    def config(self) -> SimulationConfig:
        """The settings used (valid input for ``simulate``)."""

def simulate(
    config: Document | None = None,
    *,
    accounts: int | None = None,
    seed: int | None = None,
    days: int | None = None,
    start: TimestampLike | None = None,
    activity_scale: float | None = None,
    max_users_per_account: int | None = None,
    currency: str | None = None,
    treatments: Sequence[Treatment | Mapping[str, Any]] | None = None,
) -> Simulation:
    """Generates a seeded, deterministic customer base; keyword arguments override ``config``.
    Defaults: 2000 accounts, seed 42, 365 days from 2024-01-01, scale 1.0, 60 users per
    account, USD. With ``treatments``, the base as it would be had those accounts been treated
    from ``start`` on (split random streams: ``treatments=[]`` is the untreated base to compare
    with, which differs from ``treatments=None``). Releases the GIL."""

def metric_catalog() -> list[MetricInfo]:
    """The built-in metrics, in snapshot column order."""

def error_codes() -> list[str]:
    """Every stable error code, in the core's order."""

# --- churn (custfit::churn) -------------------------------------------------------------

Rows: TypeAlias = Sequence[Sequence[float | None]]
"""Rows of numbers (None or NaN = missing)."""
Matrix: TypeAlias = NDArray[Any] | Rows | Any
"""A 2-D NumPy array (float64 C-contiguous arrays are read in place; anything
``numpy.ascontiguousarray`` takes, a pandas DataFrame included, is converted once) or rows."""

@final
class TrainingSet:
    """Rows for a churn model: features as of observation dates, labels = churned within a horizon."""

    @staticmethod
    def from_matrix(feature_names: list[str], x: Matrix, y: Sequence[bool]) -> TrainingSet:
        """A training set from a matrix (NaN or None = missing) and 0/1 labels."""
    @property
    def feature_names(self) -> list[str]: ...
    @property
    def x(self) -> NDArray[np.float64]:
        """Features as a 2-D float64 array (NaN = missing), one column per feature."""
    @property
    def y(self) -> NDArray[np.bool_]:
        """Labels."""
    @property
    def account_ids(self) -> list[str]: ...
    @property
    def observed_at(self) -> list[datetime]: ...
    @property
    def churn_rate(self) -> float: ...
    def time_split(self, test_share: float) -> tuple[TrainingSet, TrainingSet]:
        """Time-ordered hold-out: the last ``test_share`` of observation dates are the test part."""
    def split_at(self, cutoff: TimestampLike) -> tuple[TrainingSet, TrainingSet]:
        """Test = rows observed at or after ``cutoff``; train = rows whose label window ended by it."""
    def __len__(self) -> int: ...

def build_training_set(
    dataset: Dataset, config: Document | None = None, known_at: TimestampLike | None = None
) -> TrainingSet:
    """Builds a leakage-free training set (TrainingSetConfig as dict or JSON)."""

@final
class ChurnModel:
    """A fitted churn pipeline (features + preprocessing + model), saved as versioned JSON."""

    @staticmethod
    def fit(
        training_set: TrainingSet, config: Document | None = None, features: Document | None = None
    ) -> ChurnModel:
        """Fits on a training set (ChurnModelConfig, e.g. ``{"model": {"type": "boosted_trees"}}``)."""
    @staticmethod
    def from_json(text: str) -> ChurnModel: ...
    @staticmethod
    def load(path: PathLike) -> ChurnModel: ...
    def to_json(self) -> str: ...
    def save(self, path: PathLike) -> None: ...
    @property
    def model_type(self) -> str: ...
    @property
    def feature_names(self) -> list[str]: ...
    @property
    def model_feature_names(self) -> list[str]: ...
    @overload
    def predict(self, x: Rows) -> list[float]:
        """Churn probabilities of raw feature rows (NaN or None = missing): a list for a list of
        rows; a NumPy array for an array (or DataFrame) input, which is read in place."""
    @overload
    def predict(self, x: NDArray[Any]) -> NDArray[np.float64]: ...
    def explain(self, row: Sequence[float | None]) -> Explanation:
        """Probability, log-odds, bias and signed drivers of one row."""
    def coefficients(self) -> list[CoefficientReport] | None:
        """Logistic models: coefficient, odds ratio, retention impact per +1 SD."""
    def evaluate(self, training_set: TrainingSet) -> Evaluation:
        """ROC AUC, PR AUC, log loss, Brier, top-decile lift, calibration."""
    def forecast(self, dataset: Dataset, as_of: TimestampLike, top: int = 3) -> list[RiskEntry]:
        """Ranked risk list of active accounts with their top drivers."""

def churn_backtest(
    training_set: TrainingSet, config: Document | None = None, folds: int = 3
) -> ChurnBacktest:
    """Rolling, time-ordered backtest."""

def fit_logistic(x: Matrix, y: Sequence[bool], config: Document | None = None) -> LogisticFit:
    """Bare logistic regression with scikit-learn's objective."""

def evaluate_churn(probabilities: Sequence[float], labels: Sequence[bool]) -> Evaluation:
    """Scores probabilities against outcomes."""

def monthly_to_annual(monthly: float) -> float: ...
def annual_to_monthly(annual: float) -> float: ...
def mrr_churn(dataset: Dataset, start: TimestampLike, end: TimestampLike) -> MrrChurn: ...
def churn_dates(
    dataset: Dataset, known_at: TimestampLike, config: Document | None = None
) -> dict[str, list[datetime]]: ...
def activity_churn_dates(
    dataset: Dataset, known_at: TimestampLike, config: Document | None = None
) -> dict[str, list[datetime]]: ...
def learn_scorecard_weights(dataset: Dataset, scorecard: Scorecard | Document, config: Document) -> LearnedScorecard:
    """Learns a scorecard's weights from churn outcomes: ``{"scorecard", "weights", "intercept",
    "observations", "churned", "holdout_observations", "holdout_auc_before", "holdout_auc_after",
    "train_dates", "holdout_dates", "skipped_dates"}``."""

def learn_weights(
    scorecard: Scorecard | Document, points: Matrix, churned: Sequence[bool], logistic: Document | None = None
) -> LearnedWeights:
    """Learns weights from measure points (rows × measures, 0–100): ``{"scorecard", "weights", "intercept"}``."""

def choose_inactivity_window(
    dataset: Dataset, known_at: TimestampLike, share: float = 0.9, min_gap_days: int = 7
) -> InactivityWindowChoice: ...

# --- expressions and segmentation (custfit::expr, custfit::segment) ---------------------

@final
class Expr:
    """A compiled condition or value expression (a subset of CEL), compiled once against a
    schema and evaluated over whole columns. Unknown names raise UnknownMetricError (code
    ``unknown_name``), syntax errors ParseError (``expr_syntax``), type errors and sandbox limits
    InvalidInputError (``expr_type``, ``expr_limit``); all carry ``.position`` and ``.suggestion``."""

    def __new__(cls, source: str, schema: Snapshot | Mapping[str, DataTypeName], limits: Document | None = None) -> Self: ...
    @property
    def source(self) -> str:
        """The source text."""
    @property
    def result_type(self) -> DataTypeName:
        """The type of the expression's value."""
    @property
    def columns(self) -> dict[str, DataTypeName]:
        """The columns the expression reads."""
    def evaluate(self, snapshot: Snapshot) -> list[CellValue]:
        """The value for every row (None where missing)."""
    def matches(self, snapshot: Snapshot) -> list[bool]:
        """For a condition: True where it is true (missing and false give False)."""

def segment_rules(snapshot: Snapshot, config: Document) -> SegmentAssignment:
    """Rule segments (first match wins, or multi-label): labels, membership and counts."""

def pareto_tiers(snapshot: Snapshot, config: Document | None = None) -> ParetoTiers:
    """Pareto revenue tiers with per-tier shares and MRR floors, plus Pareto chart data."""

def quantile_buckets(snapshot: Snapshot, config: Document | None = None) -> QuantileBuckets:
    """Equal-count buckets of one metric."""

def rfm_scores(snapshot: Snapshot, config: Document | None = None) -> RfmScores:
    """RFM scores (1-5) and named RFM segments."""

def fit_clusters(snapshot: Snapshot, config: Document | None = None) -> Clustering:
    """k-means clusters (k-means++, seeded) on standardised metrics, k chosen by silhouette."""

def assign_clusters(snapshot: Snapshot, model: Document) -> list[int]:
    """Cluster numbers of every row for a fitted model."""

def capacity_plan(snapshot: Snapshot, config: Document | None = None, tiers: list[str | None] | None = None) -> CapacityPlan:
    """CSMs needed per tier and a balanced book of business per CSM."""

# --- health scoring (custfit::health) ---------------------------------------------------

@final
class Scorecard:
    """A health scorecard: measures (tiers, ramp or percentile among peers), optional groups,
    bands, flag penalties and CSM overrides, built from its JSON document and validated.
    Raises InvalidInputError (``invalid_config``), ParseError (``parse_error``) or
    UnsupportedVersionError (``unsupported_version``)."""

    def __new__(cls, config: Document) -> Self:
        """A scorecard from its document (dict or JSON text)."""
    @staticmethod
    def starter() -> Scorecard:
        """The starter scorecard shipped with custfit (ordinary config)."""
    @property
    def name(self) -> str:
        """The scorecard's name."""
    @property
    def bands(self) -> list[Band]:
        """The bands."""
    def band_of(self, score: float) -> int | None:
        """Index (into ``bands``) of the band holding ``score``."""
    def score(self, snapshot: Snapshot) -> HealthScores:
        """Scores every account of ``snapshot``. Releases the GIL."""
    def to_json(self) -> str:
        """The versioned JSON document."""
    def to_dict(self) -> ScorecardDocument:
        """The document as a dict."""
    def __eq__(self, other: object, /) -> bool: ...

@final
class ScorecardSet:
    """A scorecard per value of a segment or lifecycle-phase column, with a default."""

    def __new__(cls, config: Document) -> Self:
        """A scorecard set from its document (``column``, ``cases``, ``default``)."""
    @property
    def column(self) -> str:
        """The column whose value selects the scorecard."""
    def score(self, snapshot: Snapshot) -> HealthScores:
        """Scores every account with the scorecard its column value selects. Releases the GIL."""
    def to_json(self) -> str:
        """The versioned JSON document."""
    def to_dict(self) -> ScorecardSetDocument:
        """The document as a dict."""
    def __eq__(self, other: object, /) -> bool: ...

@final
class HealthScores:
    """Health scores of every account of a snapshot, with per-measure contributions that sum
    exactly (in millionths of a point) to the score. Any Arrow consumer reads it as the
    ``to_snapshot()`` table."""

    def __len__(self) -> int: ...
    @property
    def as_of(self) -> datetime:
        """The as-of instant of the scored snapshot (aware, UTC)."""
    @property
    def account_ids(self) -> list[str]:
        """Account ids, one per row."""
    @property
    def bands(self) -> list[Band]:
        """The bands used."""
    @property
    def parts(self) -> list[str]:
        """Measure names, then ``penalty:<column>`` parts."""
    def scores(self) -> list[float | None]:
        """Final scores (0-100, override applied), one per row."""
    def band_indices(self) -> list[int | None]:
        """Band index of every row."""
    def band_names(self) -> list[str | None]:
        """Band names, one per row."""
    def score_micros(self, i: int) -> int | None:
        """Final score of row ``i`` in millionths of a point."""
    def computed_micros(self, i: int) -> int | None:
        """Score of row ``i`` before any override, in millionths of a point."""
    def contribution_micros(self, part: int, i: int) -> int:
        """Contribution of part ``part`` to row ``i`` in millionths of a point."""
    def row_of(self, account_id: str) -> int | None:
        """The row of an account."""
    def row(self, i: int) -> AccountHealth | None:
        """Row ``i`` with its breakdown."""
    def account(self, account_id: str) -> AccountHealth | None:
        """One account's health with its breakdown."""
    def rows(self) -> list[AccountHealth]:
        """Every row with its breakdown."""
    def changes_since(self, earlier: HealthScores) -> list[ScoreChange]:
        """Trend and why-changed versus an earlier scoring (deltas sum to the score delta)."""
    def rollup(self, snapshot: Snapshot, weight_column: str = "mrr") -> list[Rollup]:
        """Parents rolled up from their descendants (through ``parent_id``), weighted."""
    def to_snapshot(self) -> Snapshot:
        """A table: ``health_score``, ``health_band``, ``points:<part>``, ``contribution:<part>``."""
    def add_to_snapshot(self, snapshot: Snapshot) -> Snapshot:
        """A copy of ``snapshot`` with ``health_score`` and ``health_band`` added."""
    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        """The Arrow PyCapsule stream of the ``to_snapshot()`` table."""

ScorecardLike: TypeAlias = Scorecard | ScorecardSet | Document

def health_snapshot(
    dataset: Dataset, as_of: TimestampLike, snapshot_config: Document | None = None, flag_config: Document | None = None
) -> Snapshot:
    """The metric snapshot plus the edge-case flag columns. Releases the GIL."""

def detect_flags(dataset: Dataset, as_of: TimestampLike, config: Document | None = None) -> list[AccountFlags]:
    """Edge-case flags of every account with the numbers behind them and ``fired``."""

def add_flag_columns(snapshot: Snapshot, flags: Sequence[Mapping[str, Any]]) -> Snapshot:
    """A copy of ``snapshot`` with the flag columns of ``flags`` added."""

def flag_columns() -> list[str]:
    """Names of the flag columns."""

def default_bands() -> list[Band]:
    """green >= 75, yellow >= 50, orange >= 25, red."""

def backtest(dataset: Dataset, scorecard: ScorecardLike, config: Document) -> BacktestReport:
    """Backtests a scorecard: churn per band with Wilson intervals, ROC AUC, transitions.
    Releases the GIL."""

def backtest_grid(first: TimestampLike, last: TimestampLike, step_days: int) -> list[datetime]:
    """Observation dates every ``step_days`` days from ``first`` to ``last`` inclusive (empty when
    ``last`` is before ``first``); ``invalid_argument`` for a step of 0 or more than 10,000 dates."""

def health_history(
    dataset: Dataset,
    scorecard: ScorecardLike,
    dates: Sequence[TimestampLike],
    snapshot_config: Document | None = None,
    flag_config: Document | None = None,
) -> list[HealthScores]:
    """Scores as of every date. Releases the GIL."""

def account_history(history: Sequence[HealthScores], account_id: str) -> list[HistoryPoint]:
    """One account's series out of a health history."""

def to_arrow(
    source: FrameSource,
    name: str | None = None,
) -> Any:
    """A per-account result as a ``pyarrow.Table`` (``account_id`` first when the result carries
    ids, then the columns ``Snapshot.with_columns`` would add), e.g.
    ``custfit.to_arrow(tiers).to_pandas()``."""

def snapshot_from_json(value: Document) -> Snapshot:
    """A Snapshot from its JSON form ``{"as_of", "columns": {"account_id": [...], ...}, "types":
    {...}}`` (``types`` optional: inferred from the values, timestamps need theirs)."""

def roc_auc(risk: Sequence[float], labels: Sequence[bool]) -> float | None:
    """ROC AUC of ``risk`` for ``labels`` (ties half); None with one class. Raises
    ``invalid_argument`` for unequal lengths, ``non_finite`` for NaN or infinite risk."""

def wilson_interval(k: int, n: int) -> tuple[float, float] | None:
    """Wilson 95% interval for ``k`` of ``n``; None when ``n`` is 0; ``invalid_argument`` when
    ``k`` exceeds ``n``."""

# --- activity goals (custfit::activity) -------------------------------------------------

def goal_progress(
    dataset: Dataset, account_id: str, goal: Document, as_of: TimestampLike, lookback: Document
) -> GoalProgress:
    """Progress of one account towards an activity goal: periods, streaks, personal best,
    celebrations and the daily series."""

def goal_progress_all(dataset: Dataset, goal: Document, as_of: TimestampLike, lookback: Document) -> list[GoalProgress]:
    """``goal_progress`` for every account existing at ``as_of``. Releases the GIL."""

# --- plays and playbooks (custfit::play) ------------------------------------------------

@final
class Playbook:
    """A playbook: plays (a trigger condition + a tactic + a customer cohort), how each fires,
    and the limits that arbitrate between them, built from its JSON document and validated.
    Raises InvalidInputError (``invalid_config``), ParseError (``parse_error``) or
    UnsupportedVersionError (``unsupported_version``)."""

    def __new__(cls, document: Document) -> Self:
        """A playbook from its document (dict or JSON text)."""
    @staticmethod
    def starter() -> Playbook:
        """The starter playbook shipped with custfit (25 plays); it reads the built-in metrics and
        ``starter_columns()``."""
    @property
    def name(self) -> str:
        """The playbook's name (recorded in the state of its runs)."""
    @property
    def play_ids(self) -> list[str]:
        """The ids of the plays, in playbook order."""
    def to_json(self) -> str:
        """The versioned JSON document."""
    def to_dict(self) -> PlaybookDocument:
        """The document as a dict."""
    def __eq__(self, other: object, /) -> bool: ...

@final
class PlayState:
    """The ledger of a playbook: every action (open and closed), and the memory of the last run
    (its accounts, the triggers that held, the column values ``prev_<column>`` reads)."""

    def __init__(self) -> None:
        """An empty ledger (no run yet)."""
    @staticmethod
    def from_json(text: str) -> PlayState:
        """Reads a ledger from its JSON text (``unsupported_version`` when newer, ``parse_error``
        when corrupt)."""
    @staticmethod
    def load(path: PathLike) -> PlayState:
        """Loads a ledger saved with ``save``."""
    def to_json(self) -> str:
        """The ledger as versioned JSON text."""
    def to_arrow(self) -> tuple[Any, Any]:
        """The ledger as two ``pyarrow.Table`` objects ``(actions, memory)``: one row per action,
        one row per account of the last run; version, playbook and last run in the metadata."""
    @staticmethod
    def from_arrow(actions: Any, memory: Any) -> PlayState:
        """Reads a ledger written by ``to_arrow`` (``parse_error`` when malformed,
        ``unsupported_version`` when newer)."""
    def to_dict(self) -> PlayStateDocument:
        """The ledger as a dict (its JSON form)."""
    def save(self, path: PathLike) -> None:
        """Saves atomically (a temporary file beside ``path``, renamed over it)."""
    def close(self, key: str, status: Literal["done", "cancelled"], at: TimestampLike) -> None:
        """Closes the open action ``key`` as done or cancelled at ``at``."""
    def actions(self) -> list[Action]:
        """Every action, in the order they fired."""
    def open_actions(self) -> list[Action]:
        """The open actions, in the order they fired."""
    @property
    def last_run(self) -> datetime | None:
        """The as-of instant of the last run (aware, UTC), or None before the first run."""
    @property
    def playbook(self) -> str | None:
        """The name of the playbook the ledger belongs to (set by the first run)."""
    def __eq__(self, other: object, /) -> bool: ...

def run_playbook(playbook: Playbook | Document, frame: Snapshot, state: PlayState | None = None) -> tuple[PlayRun, PlayState]:
    """Runs ``playbook`` over ``frame`` (a snapshot plus any added columns) as of its instant,
    carrying ``state`` (default: empty) forward: the run and the next ledger (``state`` is not
    changed). Releases the GIL."""

def starter_columns() -> list[str]:
    """Names of the columns the starter playbook reads besides the built-in metrics."""

def dry_run(
    playbook: Playbook | Document,
    dataset: Dataset,
    recipe: FrameRecipe | Document,
    config: DryRunConfig | Document,
    state: PlayState | None = None,
    *,
    churn_model: ChurnModel | None = None,
) -> tuple[DryRun, PlayState]:
    """Replays ``playbook`` over ``dataset`` at ``config``'s dates with frames built by ``recipe``
    (``churn_model`` is put into it), carrying ``state`` (default: empty) forward: the dry run
    (``runs``, ``state``, ``plays``) and its last ledger as a PlayState. Releases the GIL."""

# --- experiments (custfit::experiment) ----------------------------------------------------

Sample: TypeAlias = NDArray[Any] | Sequence[float]
"""A 1-D NumPy array (float64 C-contiguous arrays are read in place, others converted once) or a
sequence of numbers."""

def holdout_draw(account: str, play: str, salt: str) -> float:
    """The holdout draw of ``account`` for ``play`` under ``salt``, in [0, 1) (FNV-1a and
    splitmix64: the same number in Rust, Python and Node); the global holdout draws with ``""``."""

def is_held_out(account: str, play: str, salt: str, share: float) -> bool:
    """True when the draw of ``account`` for ``play`` under ``salt`` is below ``share``."""

def sample_ratio_mismatch(observed: Sequence[int], shares: Sequence[float], threshold: float = 0.001) -> SampleRatioCheck:
    """The sample-ratio check of ``observed`` accounts per arm against ``shares``."""

def sample_size_proportions(
    baseline: float, mde: float, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0
) -> SampleSize:
    """Accounts per arm to detect a change of a rate from ``baseline`` by ``mde`` (absolute)."""

def sample_size_means(sd: float, mde: float, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0) -> SampleSize:
    """Accounts per arm to detect a change of a mean by ``mde`` given its standard deviation ``sd``."""

def mde_proportions(baseline: float, control: int, treatment: int, alpha: float = 0.05, power: float = 0.8) -> float | None:
    """The smallest rise of a rate from ``baseline`` these arms detect (None: none up to 100 %)."""

def mde_means(sd: float, control: int, treatment: int, alpha: float = 0.05, power: float = 0.8) -> float:
    """The smallest difference of means (standard deviation ``sd``) these arms detect."""

def power_plan(
    playbook: Playbook | Document,
    dry_run: tuple[DryRun, PlayState] | DryRun | Mapping[str, Any] | str,
    config: PowerPlanConfig | Document,
) -> list[PlayPower]:
    """Per play of ``playbook``: the accounts a month its dry run (what ``dry_run`` returned, or
    its dict) enrolls, each arm's accounts over ``config``'s months and the smallest effect they
    detect."""

def welch(control: Sample, treatment: Sample, confidence: float = 0.95) -> Effect:
    """Welch's difference of means with its interval and test, and the relative lift. Releases the GIL."""

def welch_summary(
    control: ArmSummary | Mapping[str, float], treatment: ArmSummary | Mapping[str, float], confidence: float = 0.95
) -> Effect:
    """``welch`` from each arm's ``{"n", "mean", "variance"}`` or ``{"n", "sum", "sum_squares"}``."""

def sequential(effect: Effect | Mapping[str, Any], tuning: float = 5000.0) -> SequentialInterval:
    """The always-valid interval of ``effect``, tightest at ``tuning`` accounts in total."""

def cuped(control: Mapping[str, Sample], treatment: Mapping[str, Sample], confidence: float = 0.95) -> CupedEffect:
    """CUPED over ``{"y": outcomes, "x": pre-period values}`` per arm. Releases the GIL."""

def kaplan_meier(durations: Sample, events: Sequence[bool], confidence: float = 0.95) -> KaplanMeier:
    """The Kaplan–Meier curve of ``durations`` with churn flags ``events``. Releases the GIL."""

def survival_at(curve: KaplanMeier | Mapping[str, Any], time: float) -> tuple[float, float, float]:
    """``(survival, low, high)`` of ``curve`` at ``time``."""

def log_rank(a: Mapping[str, Sample | Sequence[bool]], b: Mapping[str, Sample | Sequence[bool]]) -> LogRank:
    """The log-rank test of ``a`` against ``b``, each ``{"durations", "events"}``. Releases the GIL."""

def analyse(
    playbook: Playbook | Document, state: PlayState, dataset: Dataset, config: AnalysisConfig | Document
) -> ExperimentReport:
    """The experiments of the ledger ``state`` of ``playbook`` against ``dataset``, one result (and
    verdict) per play or group of ``config``. Releases the GIL."""

def experiment_observations(
    playbook: Playbook | Document, state: PlayState, dataset: Dataset, config: AnalysisConfig | Document
) -> list[Observation]:
    """The per-account table behind ``analyse``: arm, entry and outcome. Releases the GIL."""

def analyse_observations(
    observations: Sequence[Observation | Mapping[str, Any]], config: AnalysisConfig | Document
) -> ExperimentReport:
    """The statistics of experiments whose outcomes the caller measured. Releases the GIL."""

def simulate_experiment(config: SimulatedExperiment | Document) -> tuple[SimulatedExperimentResult, PlayState]:
    """A playbook with holdouts replayed over a simulated base with known effects: the report, the
    truth per play and the ledger (also as a PlayState). Releases the GIL."""


# lifecycle

@final
class GrowthAccounting:
    """Growth accounting of a dataset: per period the accounts that are new, returning,
    resurrecting, dormant and just churned, and each account's bucket in the period of
    ``as_of``. ``snapshot.with_columns(growth, "lifecycle")`` adds the buckets as the columns
    ``lifecycle`` and ``lifecycle_first_active``."""

    @property
    def period(self) -> Period:
        """The period: ``"day"``, ``"week"`` (ISO) or ``"month"``."""
    @property
    def as_of(self) -> datetime:
        """The instant the accounting is as of (aware, UTC)."""
    @property
    def periods(self) -> list[GrowthPeriod]:
        """The periods, oldest first, up to the one holding ``as_of``."""
    @property
    def account_ids(self) -> list[str]:
        """Every account of the dataset, in dataset order."""
    @property
    def buckets(self) -> list[Bucket | None]:
        """Each account's bucket in the period of ``as_of`` (None: never active)."""
    @property
    def first_active(self) -> list[datetime | None]:
        """The start of each account's first active period (None: never active)."""
    def to_dict(self) -> GrowthAccountingDocument:
        """The result in its serde form."""
    def to_json(self) -> str:
        """The result as JSON text (the same in Rust and Node)."""

def growth_accounting(
    dataset: Dataset, as_of: TimestampLike, config: LifecycleConfig | Document | None = None
) -> GrowthAccounting:
    """Growth accounting of ``dataset`` up to ``as_of`` by ``config``'s period (default monthly).
    Releases the GIL."""

def retention_cohorts(
    dataset: Dataset, as_of: TimestampLike, config: CohortConfig | Document | None = None
) -> RetentionCohorts:
    """Retention cohorts of ``dataset`` as of ``as_of``: logo, gross and net revenue retention per
    start period and later period (default: monthly, by first subscription, still subscribed, 12
    periods). Releases the GIL."""

@final
class EngagementMoments:
    """Engagement moments of the accounts whose journey started by ``as_of``: per account each
    moment's status, the current moment, the time to first value, the overdue days and the stuck
    flag; per moment the median / p75 / p90 days, the share on time and how many are behind or
    stuck. ``snapshot.with_columns(moments, "onboarding")`` adds ``onboarding_current``,
    ``onboarding_status``, ``onboarding_overdue_days``, ``onboarding_stuck``,
    ``onboarding_ttfv_days``, one column per moment and two per cadence."""

    @property
    def as_of(self) -> datetime:
        """The instant the moments are as of (aware, UTC)."""
    @property
    def moments(self) -> list[str]:
        """The moments' names, in config order."""
    @property
    def cadences(self) -> list[str]:
        """The cadences' names, in config order."""
    @property
    def journeys(self) -> list[Journey]:
        """The accounts on a journey, in dataset order."""
    @property
    def summary(self) -> list[MomentSummary]:
        """Per moment, across accounts."""
    def to_dict(self) -> EngagementMomentsDocument:
        """The result in its serde form."""
    def to_json(self) -> str:
        """The result as JSON text (the same in Rust and Node)."""

def engagement_moments(dataset: Dataset, as_of: TimestampLike, config: MomentsConfig | Document) -> EngagementMoments:
    """Engagement moments of ``dataset`` as of ``as_of`` by ``config`` (a MomentsConfig: the
    moments in order, each marked by an event, with its expected time and tolerance; cadences).
    Releases the GIL."""

def phase_history(
    dataset: Dataset,
    dates: Sequence[TimestampLike],
    phases: RuleSegmentation | Document,
    snapshot_config: Document | None = None,
) -> PhaseHistory:
    """Each account's phase (first-match rules, as ``segment_rules`` takes them) over ``dates``
    (ascending): the current phase and every transition with its date. Releases the GIL."""

# effectiveness

@final
class MaturityAssessment:
    """The maturity of every account of a frame: each account's phase (the highest whose
    behaviours it and every earlier phase meet), each behaviour benchmarked against its peers, and
    an improvement plan for the next phase. ``snapshot.with_columns(assessment, "maturity")`` adds
    ``maturity`` (the phase), ``maturity_level``, ``maturity_next`` and ``maturity_gaps``."""

    @property
    def phases(self) -> list[str]:
        """The phases' names, lowest first."""
    @property
    def counts(self) -> list[int]:
        """Accounts per level (index 0: below the first phase, then one per phase)."""
    @property
    def accounts(self) -> list[AccountMaturity]:
        """Per account, in the frame's order."""
    def to_dict(self) -> MaturityAssessmentDocument:
        """The result in its serde form."""
    def to_json(self) -> str:
        """The result as JSON text (the same in Rust and Node)."""

def assess_maturity(frame: Snapshot, model: MaturityModel | Document) -> MaturityAssessment:
    """Assesses every account of ``frame`` against ``model`` (a MaturityModel: 3 to 5 phases,
    lowest first, each of behaviours, a metric meeting ``at_least`` or ``at_most``; peers by
    ``segment_by``). Releases the GIL."""

@final
class PlanCheck:
    """Every assessed account after a check of a ``PlanTracker``: where each stands against its
    open plan (``status`` ``"on_track"``, ``"behind"`` or ``"top"``), and the plans made and
    closed at the check. ``snapshot.with_columns(check, "plan")`` adds ``plan_status``,
    ``plan_progress``, ``plan_elapsed``, ``plan_target``, ``plan_due`` and ``plan_revision``."""

    @property
    def at(self) -> datetime:
        """The check's as-of instant (aware, UTC)."""
    @property
    def accounts(self) -> list[PlanProgress]:
        """Per assessed account, in the frame's order."""
    @property
    def plans_made(self) -> int:
        """Plans made at this check (first plans and re-plans)."""
    @property
    def achieved(self) -> int:
        """Plans closed at this check because the account reached their phase."""
    @property
    def regressed(self) -> int:
        """Plans closed at this check because the account fell below the level they started from."""
    @property
    def expired(self) -> int:
        """Plans closed at this check because their due date passed."""
    @property
    def model_changed(self) -> int:
        """Plans closed at this check because the maturity model changed."""
    def to_dict(self) -> PlanCheckDocument:
        """The result in its serde form."""
    def to_json(self) -> str:
        """The result as JSON text (the same in Rust and Node)."""

@final
class PlanTracker:
    """Every improvement plan of a set of accounts (the original and each re-plan, with why it was
    made and how it ended) and the actuals seen at every check: the ledger ``track`` carries from
    check to check, saved as versioned JSON (the same document in Rust and Node)."""

    def __new__(cls, policy: TrackingPolicy | Document | None = None) -> Self:
        """An empty tracker; ``policy`` (default: plans due 90 days after they are made) says how
        long plans run."""
    @staticmethod
    def from_json(document: PlanTrackerDocument | Document) -> PlanTracker:
        """Reads a tracker from its document (a dict or JSON text): ``unsupported_version`` when
        newer, ``parse_error`` when corrupt, ``invalid_config`` when inconsistent."""
    def to_json(self) -> str:
        """The tracker as versioned JSON text."""
    def to_dict(self) -> PlanTrackerDocument:
        """The tracker as a dict (its JSON form)."""
    @property
    def checks(self) -> list[datetime]:
        """The checks' as-of instants, ascending (aware, UTC)."""
    @property
    def plans(self) -> list[ImprovementPlan]:
        """Every plan, in the order made."""
    @property
    def actuals(self) -> list[PlanActual]:
        """Every actual, in check then account order."""
    @property
    def policy(self) -> TrackingPolicy:
        """How long plans run."""
    def plans_of(self, account_id: str) -> list[ImprovementPlan]:
        """Every plan of one account, oldest first."""
    def actuals_of(self, account_id: str) -> list[PlanActual]:
        """Every actual of one account, oldest first."""
    def track(self, frame: Snapshot, model: MaturityModel | Document) -> PlanCheck:
        """Assesses ``frame`` against ``model`` and records the result as a check at the frame's
        instant: open plans get an actual and are kept or closed (achieved, regressed, model
        changed, expired); accounts below the top without an open plan get one. Checks in time
        order (an earlier one is ``invalid_argument``); the same check again changes nothing; a
        refused check leaves the tracker unchanged. Releases the GIL."""
    def __eq__(self, other: object, /) -> bool: ...

__all__ = [
    "__version__",
    "ChurnModel",
    "TrainingSet",
    "activity_churn_dates",
    "annual_to_monthly",
    "build_training_set",
    "choose_inactivity_window",
    "churn_backtest",
    "evaluate_churn",
    "fit_logistic",
    "learn_scorecard_weights",
    "learn_weights",
    "monthly_to_annual",
    "mrr_churn",
    "churn_dates",
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
    "assign_clusters",
    "capacity_plan",
    "error_codes",
    "fit_clusters",
    "pareto_tiers",
    "quantile_buckets",
    "rfm_scores",
    "segment_rules",
    "metric_catalog",
    "simulate",
    "HealthScores",
    "Scorecard",
    "ScorecardSet",
    "account_history",
    "add_flag_columns",
    "backtest",
    "backtest_grid",
    "default_bands",
    "detect_flags",
    "flag_columns",
    "health_history",
    "health_snapshot",
    "roc_auc",
    "snapshot_from_json",
    "to_arrow",
    "wilson_interval",
    "goal_progress",
    "goal_progress_all",
    "Playbook",
    "PlayState",
    "run_playbook",
    "starter_columns",
    "dry_run",
    "holdout_draw",
    "is_held_out",
    "sample_ratio_mismatch",
    "sample_size_proportions",
    "sample_size_means",
    "mde_proportions",
    "mde_means",
    "power_plan",
    "welch",
    "welch_summary",
    "sequential",
    "cuped",
    "kaplan_meier",
    "survival_at",
    "log_rank",
    "analyse",
    "experiment_observations",
    "analyse_observations",
    "simulate_experiment",
    "GrowthAccounting",
    "growth_accounting",
    "retention_cohorts",
    "EngagementMoments",
    "engagement_moments",
    "phase_history",
    "MaturityAssessment",
    "assess_maturity",
    "PlanTracker",
    "PlanCheck",
]
