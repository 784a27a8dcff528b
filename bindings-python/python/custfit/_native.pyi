"""Type stubs of ``custfit._native`` (checked against the built module by tests/test_stubs.py)."""

import os
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal, TypedDict

from typing_extensions import TypeAlias

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

class RejectedRow(TypedDict):
    row: int
    field: str
    code: str
    reason: str

class IngestReport(TypedDict):
    accepted: int
    rejected: list[RejectedRow]
    duplicates_dropped: int

class LoadReport(TypedDict):
    accounts: IngestReport
    users: IngestReport
    subscriptions: IngestReport
    events: IngestReport

class MemoryUsage(TypedDict):
    event_bytes: int
    dictionary_bytes: int
    entity_bytes: int
    events: int
    bytes_per_event: float

class DailyActivity(TypedDict):
    day: datetime
    active_users: int
    events: int
    logins: int

class MetricInfo(TypedDict):
    name: str
    data_type: Literal["int", "float", "bool", "str", "timestamp"]
    description: str

CellValue: TypeAlias = int | float | bool | str | datetime | None

class CustfitError(Exception):
    """Base of every custfit error. ``code`` is a stable string (see ``error_codes()``); row
    errors also carry ``row`` (0-based row of the batch), ``field`` and ``entity``."""

    code: str | None
    row: int | None
    field: str | None
    entity: Literal["account", "user", "subscription", "event"] | None

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
    def memory_usage(self) -> MemoryUsage:
        """Bytes held, by part."""
    def accounts(self) -> list[dict[str, Any]]:
        """Accounts in insertion order, as dicts (valid input for ``add_accounts``)."""
    def users(self) -> list[dict[str, Any]]:
        """Users in insertion order, as dicts."""
    def subscriptions(self) -> list[dict[str, Any]]:
        """Subscriptions sorted by account and start, as dicts."""
    def events(self) -> list[dict[str, Any]]:
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
    def write_csv(self, dir: PathLike) -> None:
        """Writes ``accounts.csv``, ``users.csv``, ``subscriptions.csv``, ``events.csv``."""
    def write_jsonl(self, dir: PathLike) -> None:
        """Writes the four tables as JSON Lines."""
    def snapshot(self, as_of: TimestampLike, config: Document | None = None) -> Snapshot:
        """The snapshot as of ``as_of``; ``config`` is a SnapshotConfig. Releases the GIL."""
    def daily_activity(self, account_id: str, end: TimestampLike, days: int) -> list[DailyActivity]:
        """The last ``days`` UTC days of an account's activity, oldest first."""
    def copy(self) -> Dataset:
        """A deep copy."""
    def __copy__(self) -> Dataset: ...
    def __deepcopy__(self, memo: Any, /) -> Dataset: ...

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
    def schema(self) -> dict[str, Literal["int", "float", "bool", "str", "timestamp"]]:
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
    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        """The Arrow PyCapsule stream interface."""

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
    def truth(self) -> list[dict[str, Any]]:
        """Ground truth per account, in account order."""
    @property
    def config(self) -> dict[str, Any]:
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
) -> Simulation:
    """Generates a seeded, deterministic customer base; keyword arguments override ``config``.
    Defaults: 2000 accounts, seed 42, 365 days from 2024-01-01, scale 1.0, 60 users per
    account, USD. Releases the GIL."""

def metric_catalog() -> list[MetricInfo]:
    """The built-in metrics, in snapshot column order."""

def error_codes() -> list[str]:
    """Every stable error code, in the core's order."""

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
    "error_codes",
    "metric_catalog",
    "simulate",
]
