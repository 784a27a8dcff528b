//! Snapshot configuration: the rules behind the built-in metrics and user-defined metrics.

use serde::{Deserialize, Serialize};

use crate::data::PropertyValue;
use crate::error::{Error, ErrorKind, Result};
use crate::time::Window;

use crate::data::{builtin_names, FIXED_COLUMNS};

/// Current version of [`SnapshotConfig`] documents.
pub const SNAPSHOT_CONFIG_VERSION: u32 = 1;

/// Keeps only events whose property `property` equals one of `in`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PropertyFilter {
    /// Property key, e.g. `feature`.
    pub property: String,
    /// Accepted values (any of them).
    #[serde(rename = "in")]
    pub values: Vec<PropertyValue>,
}

impl PropertyFilter {
    /// A filter accepting one value.
    pub fn equals(property: impl Into<String>, value: impl Into<PropertyValue>) -> Self {
        PropertyFilter { property: property.into(), values: vec![value.into()] }
    }
}

/// A user-defined metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum MetricDef {
    /// Number of matching events in the window.
    Count {
        /// Column name.
        name: String,
        /// Event name to match; any event when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event: Option<String>,
        /// Optional property filter.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filter: Option<PropertyFilter>,
        /// Trailing window.
        window: Window,
    },
    /// Sum of a numeric property over matching events in the window (0 when none).
    Sum {
        /// Column name.
        name: String,
        /// Event name to match; any event when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event: Option<String>,
        /// The numeric property to add up; events without it (or with text) are skipped.
        property: String,
        /// Optional property filter.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filter: Option<PropertyFilter>,
        /// Trailing window.
        window: Window,
    },
    /// Distinct users among matching events in the window.
    DistinctUsers {
        /// Column name.
        name: String,
        /// Event name to match; any event when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event: Option<String>,
        /// Optional property filter.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filter: Option<PropertyFilter>,
        /// Trailing window.
        window: Window,
    },
    /// `numerator / denominator` of two numeric columns (missing when the denominator is 0 or
    /// either side is missing). Each side is a built-in metric, `seats`, a metric defined
    /// before it, or a number attribute of the accounts (checked when the snapshot is computed,
    /// since a config does not know the dataset's attributes).
    Ratio {
        /// Column name.
        name: String,
        /// Numerator column.
        numerator: String,
        /// Denominator column.
        denominator: String,
    },
}

impl MetricDef {
    /// The column name.
    pub fn name(&self) -> &str {
        match self {
            MetricDef::Count { name, .. }
            | MetricDef::Sum { name, .. }
            | MetricDef::DistinctUsers { name, .. }
            | MetricDef::Ratio { name, .. } => name,
        }
    }

    /// A count metric.
    pub fn count(name: impl Into<String>, event: Option<&str>, window: Window) -> Self {
        MetricDef::Count { name: name.into(), event: event.map(str::to_string), filter: None, window }
    }

    /// A sum metric.
    pub fn sum(name: impl Into<String>, event: Option<&str>, property: impl Into<String>, window: Window) -> Self {
        MetricDef::Sum { name: name.into(), event: event.map(str::to_string), property: property.into(), filter: None, window }
    }

    /// A distinct-users metric.
    pub fn distinct_users(name: impl Into<String>, event: Option<&str>, window: Window) -> Self {
        MetricDef::DistinctUsers { name: name.into(), event: event.map(str::to_string), filter: None, window }
    }

    /// A ratio metric.
    pub fn ratio(name: impl Into<String>, numerator: impl Into<String>, denominator: impl Into<String>) -> Self {
        MetricDef::Ratio { name: name.into(), numerator: numerator.into(), denominator: denominator.into() }
    }

    /// Adds a property filter (no effect on ratios).
    pub fn with_filter(mut self, f: PropertyFilter) -> Self {
        match &mut self {
            MetricDef::Count { filter, .. } | MetricDef::Sum { filter, .. } | MetricDef::DistinctUsers { filter, .. } => {
                *filter = Some(f)
            }
            MetricDef::Ratio { .. } => {}
        }
        self
    }
}

/// Which events count as what for the built-in metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct ActivityRules {
    /// Event names that are not product usage (they do not make an account or user active).
    pub non_activity_events: Vec<String>,
    /// `page` values of `page_view` events that count as pricing / billing interest.
    pub pricing_pages: Vec<String>,
    /// `severity` text values of `support_ticket` events that count as high severity.
    pub high_severity: Vec<String>,
    /// Numeric `severity` at or above this counts as high severity.
    pub high_severity_at_least: f64,
}

impl Default for ActivityRules {
    fn default() -> Self {
        ActivityRules {
            non_activity_events: ["support_ticket", "survey_response", "invoice_paid", "touch"].map(String::from).to_vec(),
            pricing_pages: ["pricing", "billing", "plans", "upgrade", "cancel", "subscription"].map(String::from).to_vec(),
            high_severity: ["high", "urgent", "critical"].map(String::from).to_vec(),
            high_severity_at_least: 3.0,
        }
    }
}

/// Configuration of a snapshot: activity rules and user-defined metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SnapshotConfig {
    /// Document version (currently 1).
    #[serde(default = "version_one")]
    pub version: u32,
    /// User-defined metrics, computed after the built-ins in this order.
    #[serde(default)]
    pub metrics: Vec<MetricDef>,
    /// Rules for the built-in metrics.
    #[serde(default)]
    pub activity: ActivityRules,
}

fn version_one() -> u32 {
    SNAPSHOT_CONFIG_VERSION
}

impl Default for SnapshotConfig {
    fn default() -> Self {
        SnapshotConfig { version: SNAPSHOT_CONFIG_VERSION, metrics: Vec::new(), activity: ActivityRules::default() }
    }
}

impl SnapshotConfig {
    /// Adds a user-defined metric.
    pub fn with_metric(mut self, metric: MetricDef) -> Self {
        self.metrics.push(metric);
        self
    }

    /// Parses and validates a JSON document.
    pub fn from_json(text: &str) -> Result<Self> {
        <SnapshotConfig as crate::document::Document>::from_json_str(text)
    }

    /// Serialises to JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Checks names, windows, filters and ratio references.
    pub fn validate(&self) -> Result<()> {
        if self.version != SNAPSHOT_CONFIG_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "snapshot config".into(),
                found: self.version,
                supported: SNAPSHOT_CONFIG_VERSION,
            });
        }
        let mut known: Vec<String> = builtin_names().map(str::to_string).collect();
        for (i, m) in self.metrics.iter().enumerate() {
            let path = format!("metrics[{i}]");
            let name = m.name();
            if name.is_empty()
                || !name.chars().all(|c| c.is_alphanumeric() || c == '_')
                || name.starts_with(|c: char| c.is_ascii_digit())
            {
                return Err(Error::config(
                    format!("{path}.name"),
                    format!("`{name}` must be a non-empty identifier (letters, digits, _; not starting with a digit)"),
                ));
            }
            if known.iter().any(|k| k == name) || FIXED_COLUMNS.iter().any(|(k, _)| *k == name) {
                return Err(Error::Config {
                    kind: ErrorKind::DuplicateMetric,
                    path: format!("{path}.name"),
                    reason: format!("a metric named `{name}` already exists"),
                });
            }
            match m {
                MetricDef::Count { event, filter, window, .. } | MetricDef::DistinctUsers { event, filter, window, .. } => {
                    window.validate(&format!("{path}.window"))?;
                    check_event(event, &path)?;
                    check_filter(filter, &path)?;
                }
                MetricDef::Sum { event, filter, window, property, .. } => {
                    window.validate(&format!("{path}.window"))?;
                    check_event(event, &path)?;
                    check_filter(filter, &path)?;
                    if property.is_empty() {
                        return Err(Error::config(format!("{path}.property"), "must not be empty"));
                    }
                }
                MetricDef::Ratio { numerator, denominator, .. } => {
                    for (field, r) in [("numerator", numerator), ("denominator", denominator)] {
                        let fixed = FIXED_COLUMNS.iter().find(|(k, _)| k == r).map(|(_, t)| *t);
                        let builtin = crate::data::BUILTIN_METRICS.iter().find(|b| b.name == r).map(|b| b.data_type);
                        if fixed.or(builtin).is_some_and(|t| !t.is_numeric()) {
                            return Err(Error::config(format!("{path}.{field}"), format!("`{r}` is not numeric")));
                        }
                        // A later custom metric is an ordering mistake; any other name is taken
                        // for an account attribute and checked against the data.
                        if self.metrics[i..].iter().any(|later| later.name() == r) {
                            return Err(Error::Config {
                                kind: ErrorKind::UnknownMetric,
                                path: format!("{path}.{field}"),
                                reason: format!("`{r}` is defined after this ratio; define it before"),
                            });
                        }
                        if r.is_empty() {
                            return Err(Error::config(format!("{path}.{field}"), "must not be empty"));
                        }
                    }
                }
            }
            known.push(name.to_string());
        }
        if !self.activity.high_severity_at_least.is_finite() {
            return Err(Error::config("activity.high_severity_at_least", "must be a finite number"));
        }
        Ok(())
    }
}

fn check_event(event: &Option<String>, path: &str) -> Result<()> {
    if matches!(event, Some(e) if e.is_empty()) {
        return Err(Error::config(format!("{path}.event"), "must not be empty (omit it to match any event)"));
    }
    Ok(())
}

fn check_filter(filter: &Option<PropertyFilter>, path: &str) -> Result<()> {
    if let Some(f) = filter {
        if f.property.is_empty() {
            return Err(Error::config(format!("{path}.filter.property"), "must not be empty"));
        }
        if f.values.is_empty() {
            return Err(Error::config(format!("{path}.filter.in"), "needs at least one value"));
        }
        if f.values.iter().any(|v| matches!(v, PropertyValue::Number(x) if !x.is_finite())) {
            return Err(Error::config(format!("{path}.filter.in"), "numbers must be finite"));
        }
    }
    Ok(())
}

crate::document::document! {
    SnapshotConfig => "snapshot config", SNAPSHOT_CONFIG_VERSION;
}
