//! What a snapshot row of an account can hold: the column types, the fixed account columns and
//! the catalog of built-in metrics (names, types and meanings). It lives with the data because
//! ingestion refuses attributes that would shadow these names; `metrics` computes the values.

use serde::{Deserialize, Serialize};

/// The type of a snapshot column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "schema", schemars(rename = "DataTypeName"))]
pub enum DataType {
    /// 64-bit signed integers.
    Int,
    /// 64-bit floats.
    Float,
    /// Booleans.
    Bool,
    /// UTF-8 text.
    Str,
    /// UTC instants (millisecond precision).
    Timestamp,
}

impl DataType {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            DataType::Int => "int",
            DataType::Float => "float",
            DataType::Bool => "bool",
            DataType::Str => "str",
            DataType::Timestamp => "timestamp",
        }
    }

    /// Int or Float.
    pub fn is_numeric(self) -> bool {
        matches!(self, DataType::Int | DataType::Float)
    }
}

/// A documented snapshot column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MetricInfo {
    /// Column name.
    pub name: &'static str,
    /// Column type.
    pub data_type: DataType,
    /// What it means.
    pub description: &'static str,
}

/// Account columns present in every snapshot (before attributes and metrics).
pub(crate) const FIXED_COLUMNS: &[(&str, DataType)] = &[
    ("account_id", DataType::Str),
    ("name", DataType::Str),
    ("owner", DataType::Str),
    ("parent_id", DataType::Str),
    ("created_at", DataType::Timestamp),
    ("seats", DataType::Int),
];

macro_rules! catalog {
    ($($name:literal, $ty:ident, $desc:literal;)*) => {
        /// Every built-in metric, in snapshot column order.
        pub const BUILTIN_METRICS: &[MetricInfo] = &[
            $(MetricInfo { name: $name, data_type: DataType::$ty, description: $desc },)*
        ];
    };
}

catalog! {
    "active_days_7d", Int, "Distinct days (24-hour buckets back from as-of) with product activity in the last 7 days (events with or without a user).";
    "active_days_30d", Int, "Distinct days with product activity in the last 30 days.";
    "active_days_90d", Int, "Distinct days with product activity in the last 90 days.";
    "dau", Int, "Distinct users with product activity in the last 1 day (events without a user count for activity days, not here).";
    "wau", Int, "Distinct users with product activity in the last 7 days (events without a user not counted).";
    "mau", Int, "Distinct users with product activity in the last 30 days (events without a user not counted).";
    "stickiness", Float, "DAU / MAU (missing when MAU is 0).";
    "users", Int, "Users existing and not deactivated at as-of.";
    "champions", Int, "Users with role champion existing and not deactivated at as-of.";
    "executives", Int, "Users with role executive existing and not deactivated at as-of.";
    "seat_utilization", Float, "MAU / licensed seats (missing without seats).";
    "logins_7d", Int, "Login events in the last 7 days.";
    "logins_30d", Int, "Login events in the last 30 days.";
    "events_7d", Int, "Product-activity events in the last 7 days (not every event: support tickets, surveys, invoices and CSM touches are not activity).";
    "events_30d", Int, "Product-activity events in the last 30 days (not support tickets, surveys, invoices or CSM touches).";
    "days_since_last_activity", Int, "Whole days since the account's last product activity, by any user or none (missing if never).";
    "days_since_champion_activity", Int, "Whole days since a current champion was last active (missing if none ever was, or no champion remains).";
    "days_since_champion_left", Int, "Whole days since a champion was last deactivated (missing if none ever was): a key stakeholder leaving.";
    "days_since_executive_activity", Int, "Whole days since a current executive was last active (missing if none ever was).";
    "usage_trend_30d", Float, "Percent change of activity events, last 30 days vs the 30 before (missing when the earlier count is 0).";
    "features_used_30d", Int, "Distinct `feature` values of feature_used events in the last 30 days.";
    "pricing_page_views_30d", Int, "page_view events on pricing/billing pages in the last 30 days.";
    "support_tickets_60d", Int, "support_ticket events in the last 60 days.";
    "high_severity_tickets_60d", Int, "High-severity support_ticket events in the last 60 days.";
    "last_survey_score", Float, "`score` of the most recent survey_response (the lowest of several at that instant; missing if none).";
    "csm_touches_30d", Int, "touch events (CSM contacts) in the last 30 days.";
    "tenure_days", Int, "Whole days since the account was created.";
    "mrr", Float, "Monthly recurring revenue in force at as-of, in major units (e.g. dollars).";
    "mrr_minor", Int, "MRR in minor units (exact).";
    "arr", Float, "Annual recurring revenue (12 x MRR), in major units.";
    "arr_minor", Int, "ARR in minor units (exact).";
    "current_plan", Str, "Plan of the highest-MRR subscription in force; ties: the latest start, then the first plan name (missing if none).";
    "days_to_renewal", Int, "Whole days to the earliest end of a subscription in force (missing if none ends).";
}

/// Names of the built-in metrics.
pub fn builtin_names() -> impl Iterator<Item = &'static str> {
    BUILTIN_METRICS.iter().map(|m| m.name)
}

/// Names no attribute may take: fixed columns and built-in metrics.
pub(crate) fn reserved_column_names() -> Vec<&'static str> {
    FIXED_COLUMNS.iter().map(|(n, _)| *n).chain(builtin_names()).collect()
}
