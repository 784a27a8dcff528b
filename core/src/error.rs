//! The one error type of custfit and its stable codes.
//!
//! Every error carries an [`ErrorKind`] whose [`code`](ErrorKind::code) is a stable,
//! lowercase string. The Python and Node bindings expose the same codes (`err.code`), and a test
//! in each language checks that the three lists agree.

use std::fmt;

/// Result alias used throughout custfit.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Stable classification of an [`Error`]. New kinds may be added in minor versions.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// An account row failed validation.
    InvalidAccount,
    /// A user row failed validation.
    InvalidUser,
    /// A subscription row failed validation.
    InvalidSubscription,
    /// An event row failed validation.
    InvalidEvent,
    /// A timestamp could not be parsed or lies outside the supported range.
    InvalidTimestamp,
    /// An event lies further in the future than the ingestion options allow.
    FutureTimestamp,
    /// A row refers to an account id that the dataset does not hold.
    UnknownAccount,
    /// A row refers to a user id that the dataset does not hold.
    UnknownUser,
    /// The same id appears twice (within a batch or against the dataset).
    DuplicateId,
    /// The same event appears twice and the options ask for rejection.
    DuplicateEvent,
    /// A money amount uses a currency other than the dataset's.
    CurrencyMismatch,
    /// A configuration value is invalid.
    InvalidConfig,
    /// A metric name is not in the snapshot's catalog.
    UnknownMetric,
    /// Two metrics (or a metric and an attribute) share a name.
    DuplicateMetric,
    /// A function argument is invalid (empty input, bad range, …).
    InvalidArgument,
    /// A file or text could not be parsed (CSV, JSON, Arrow).
    Parse,
    /// Reading or writing a file failed.
    Io,
    /// A saved file has a version this build cannot read.
    UnsupportedVersion,
    /// An expression could not be parsed.
    ExprSyntax,
    /// An expression is ill-typed (e.g. comparing text with a number).
    ExprType,
    /// An expression or config names a column, attribute or function that does not exist.
    UnknownName,
    /// An expression exceeds a sandbox limit (length, nesting depth, evaluation cost).
    ExprLimit,
    /// Too little data to fit or evaluate (too few rows, empty input).
    InsufficientData,
    /// Labels hold only one class, so a classifier cannot be fitted or scored.
    SingleClass,
    /// Input numbers include NaN or infinity where finite values are required.
    NonFinite,
}

impl ErrorKind {
    /// Every kind, in a stable order (used by the cross-language code check).
    pub const ALL: &'static [ErrorKind] = &[
        ErrorKind::InvalidAccount,
        ErrorKind::InvalidUser,
        ErrorKind::InvalidSubscription,
        ErrorKind::InvalidEvent,
        ErrorKind::InvalidTimestamp,
        ErrorKind::FutureTimestamp,
        ErrorKind::UnknownAccount,
        ErrorKind::UnknownUser,
        ErrorKind::DuplicateId,
        ErrorKind::DuplicateEvent,
        ErrorKind::CurrencyMismatch,
        ErrorKind::InvalidConfig,
        ErrorKind::UnknownMetric,
        ErrorKind::DuplicateMetric,
        ErrorKind::InvalidArgument,
        ErrorKind::Parse,
        ErrorKind::Io,
        ErrorKind::UnsupportedVersion,
        ErrorKind::ExprSyntax,
        ErrorKind::ExprType,
        ErrorKind::UnknownName,
        ErrorKind::ExprLimit,
        ErrorKind::InsufficientData,
        ErrorKind::SingleClass,
        ErrorKind::NonFinite,
    ];

    /// The stable code, e.g. `"invalid_event"`.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::InvalidAccount => "invalid_account",
            ErrorKind::InvalidUser => "invalid_user",
            ErrorKind::InvalidSubscription => "invalid_subscription",
            ErrorKind::InvalidEvent => "invalid_event",
            ErrorKind::InvalidTimestamp => "invalid_timestamp",
            ErrorKind::FutureTimestamp => "future_timestamp",
            ErrorKind::UnknownAccount => "unknown_account",
            ErrorKind::UnknownUser => "unknown_user",
            ErrorKind::DuplicateId => "duplicate_id",
            ErrorKind::DuplicateEvent => "duplicate_event",
            ErrorKind::CurrencyMismatch => "currency_mismatch",
            ErrorKind::InvalidConfig => "invalid_config",
            ErrorKind::UnknownMetric => "unknown_metric",
            ErrorKind::DuplicateMetric => "duplicate_metric",
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::Parse => "parse_error",
            ErrorKind::Io => "io_error",
            ErrorKind::UnsupportedVersion => "unsupported_version",
            ErrorKind::ExprSyntax => "expr_syntax",
            ErrorKind::ExprType => "expr_type",
            ErrorKind::UnknownName => "unknown_name",
            ErrorKind::ExprLimit => "expr_limit",
            ErrorKind::InsufficientData => "insufficient_data",
            ErrorKind::SingleClass => "single_class",
            ErrorKind::NonFinite => "non_finite",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Which table a row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Entity {
    /// An [`Account`](crate::Account) row.
    Account,
    /// A [`User`](crate::User) row.
    User,
    /// A [`Subscription`](crate::Subscription) row.
    Subscription,
    /// An [`Event`](crate::Event) row.
    Event,
}

impl Entity {
    /// Lowercase name of the entity.
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Account => "account",
            Entity::User => "user",
            Entity::Subscription => "subscription",
            Entity::Event => "event",
        }
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error type of custfit. Each variant carries the fields a caller needs to act on it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A row of an ingested batch was rejected. `row` is the 0-based position in the batch;
    /// `location` says where the row came from when it was read from text (`events.csv line 7`).
    #[error("{entity} row {row}{}, field `{field}`: {reason}", location.as_ref().map(|l| format!(" ({l})")).unwrap_or_default())]
    Row {
        /// The classification of the problem.
        kind: ErrorKind,
        /// The table the row belongs to.
        entity: Entity,
        /// 0-based position of the row in the batch.
        row: usize,
        /// The offending field.
        field: String,
        /// What was wrong.
        reason: String,
        /// Where the row was read from: a file (or `accounts CSV` for a reader) and its 1-based
        /// line, when the row came from text.
        location: Option<String>,
    },
    /// A configuration value is invalid; `path` locates it (e.g. `metrics[2].window`).
    #[error("invalid config at `{path}`: {reason}")]
    Config {
        /// The classification (usually [`ErrorKind::InvalidConfig`]).
        kind: ErrorKind,
        /// Where in the config the problem is.
        path: String,
        /// What was wrong.
        reason: String,
    },
    /// A metric was referenced that does not exist.
    #[error("unknown metric `{name}`{}", suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default())]
    UnknownMetric {
        /// The name that was asked for.
        name: String,
        /// The closest known name, if one is close.
        suggestion: Option<String>,
    },
    /// A function argument was invalid.
    #[error("invalid argument `{name}`: {reason}")]
    Argument {
        /// The classification.
        kind: ErrorKind,
        /// The argument's name.
        name: String,
        /// What was wrong.
        reason: String,
    },
    /// Text or a file could not be parsed.
    #[error("cannot parse {what}: {reason}")]
    Parse {
        /// What was being parsed (a path, "JSON config", …).
        what: String,
        /// The parser's complaint.
        reason: String,
    },
    /// An I/O operation failed.
    #[error("I/O error on `{path}`: {reason}")]
    Io {
        /// The file involved.
        path: String,
        /// The operating system's complaint.
        reason: String,
    },
    /// A saved document has a version this build cannot read.
    #[error("unsupported {what} version {found} (this build reads version {supported})")]
    UnsupportedVersion {
        /// What kind of document.
        what: String,
        /// The version found.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// An expression (segment rule, trigger, behaviour) was rejected: syntax, type, unknown name
    /// or sandbox limit. `position` is the 0-based character offset in the source.
    #[error("{message} (at position {position}){}", suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default())]
    Expr {
        /// [`ErrorKind::ExprSyntax`], [`ErrorKind::ExprType`], [`ErrorKind::UnknownName`] or [`ErrorKind::ExprLimit`].
        kind: ErrorKind,
        /// 0-based character offset in the expression source where the problem starts.
        position: usize,
        /// What was wrong.
        message: String,
        /// The closest known name, for unknown names.
        suggestion: Option<String>,
    },
}

impl Error {
    /// The stable classification of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Row { kind, .. } | Error::Config { kind, .. } | Error::Argument { kind, .. } | Error::Expr { kind, .. } => {
                *kind
            }
            Error::UnknownMetric { .. } => ErrorKind::UnknownMetric,
            Error::Parse { .. } => ErrorKind::Parse,
            Error::Io { .. } => ErrorKind::Io,
            Error::UnsupportedVersion { .. } => ErrorKind::UnsupportedVersion,
        }
    }

    /// The stable code of this error, e.g. `"unknown_account"`.
    pub fn code(&self) -> &'static str {
        self.kind().code()
    }

    pub(crate) fn row(kind: ErrorKind, entity: Entity, row: usize, field: &str, reason: impl Into<String>) -> Self {
        Error::Row { kind, entity, row, field: field.to_string(), reason: reason.into(), location: None }
    }

    /// A row error with its row renumbered by `at`; other errors unchanged.
    pub(crate) fn at_row(self, at: impl Fn(usize) -> usize) -> Self {
        match self {
            Error::Row { kind, entity, row, field, reason, location } => {
                Error::Row { kind, entity, row: at(row), field, reason, location }
            }
            other => other,
        }
    }

    /// A row error with `location(row)` as its location when it has none yet; other errors
    /// unchanged.
    pub(crate) fn located(self, location: impl Fn(usize) -> Option<String>) -> Self {
        match self {
            Error::Row { kind, entity, row, field, reason, location: None } => {
                Error::Row { kind, entity, row, field, reason, location: location(row) }
            }
            other => other,
        }
    }

    pub(crate) fn config(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Config { kind: ErrorKind::InvalidConfig, path: path.into(), reason: reason.into() }
    }

    pub(crate) fn argument(name: &str, reason: impl Into<String>) -> Self {
        Error::Argument { kind: ErrorKind::InvalidArgument, name: name.to_string(), reason: reason.into() }
    }

    pub(crate) fn parse(what: impl Into<String>, reason: impl fmt::Display) -> Self {
        Error::Parse { what: what.into(), reason: reason.to_string() }
    }

    pub(crate) fn io(path: impl Into<String>, err: impl fmt::Display) -> Self {
        Error::Io { path: path.into(), reason: err.to_string() }
    }

    /// An unknown-name error with a did-you-mean suggestion drawn from `known`.
    pub(crate) fn unknown_metric<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Self {
        Error::UnknownMetric { name: name.to_string(), suggestion: closest(name, known) }
    }
}

/// The candidate closest to `name` by edit distance, if it is close enough to be a likely typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let limit = (name.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)))
        .map(|(_, c)| c.to_string())
}

/// Levenshtein distance over chars.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_lowercase() {
        let mut codes: Vec<_> = ErrorKind::ALL.iter().map(|k| k.code()).collect();
        assert!(codes.iter().all(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_')));
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ErrorKind::ALL.len());
    }

    #[test]
    fn suggests_close_names() {
        assert_eq!(closest("logins_7", ["logins_7d", "events_7d"]).as_deref(), Some("logins_7d"));
        assert_eq!(closest("zzz", ["logins_7d"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
