//! Scorecard configuration: measures, scoring rules, groups, bands, overrides and the selection
//! of a scorecard per segment. All of it is serde data with a `version` field and one `validate()`.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::time::Timestamp;

/// Version of the scorecard documents this build reads and writes.
pub const SCORECARD_VERSION: u32 = 1;

fn version_one() -> u32 {
    SCORECARD_VERSION
}

fn one() -> f64 {
    1.0
}

fn is_one(x: &f64) -> bool {
    *x == 1.0
}

/// The largest measure or group weight. Weights are relative (only their shares matter), so the
/// bound costs nothing and keeps every weight total finite.
pub const MAX_WEIGHT: f64 = 1e6;

/// Which way a measure's value is good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// More is healthier (active days, logins …).
    #[default]
    HigherIsBetter,
    /// Less is healthier (days since last activity, high-severity tickets …).
    LowerIsBetter,
}

/// One tier of a [`Scoring::Tiers`] rule: values inside `[min, max]` (each end inclusive or
/// exclusive as stated; a missing end is unbounded) earn `points`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// Lower bound (`None` = no lower bound).
    #[serde(default)]
    pub min: Option<f64>,
    /// Whether a value equal to `min` belongs to this tier.
    #[serde(default = "yes")]
    pub min_inclusive: bool,
    /// Upper bound (`None` = no upper bound).
    #[serde(default)]
    pub max: Option<f64>,
    /// Whether a value equal to `max` belongs to this tier.
    #[serde(default)]
    pub max_inclusive: bool,
    /// Points (0–100) earned by values in this tier.
    pub points: f64,
}

fn yes() -> bool {
    true
}

impl Tier {
    /// A tier `[min, max)` (lower bound inclusive, upper bound exclusive).
    pub fn new(min: Option<f64>, max: Option<f64>, points: f64) -> Self {
        Tier { min, min_inclusive: true, max, max_inclusive: false, points }
    }

    /// Whether `x` falls in the tier.
    pub fn contains(&self, x: f64) -> bool {
        let above = match self.min {
            None => true,
            Some(m) => x > m || (self.min_inclusive && x == m),
        };
        let below = match self.max {
            None => true,
            Some(m) => x < m || (self.max_inclusive && x == m),
        };
        above && below
    }
}

/// Who a measure's value is compared with under [`Scoring::Percentile`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum PeerGroup {
    /// Every scored account.
    #[default]
    All,
    /// Accounts sharing the value of a text, integer or boolean column (an attribute such as
    /// `plan`, or a tier / segment column added to the snapshot).
    Column {
        /// The column.
        column: String,
    },
    /// Accounts in the same bin of a numeric column (e.g. `seats` cut at 10, 50, 200): bins are
    /// `(-inf, e0)`, `[e0, e1)`, …, `[en, +inf)`; a missing value is its own bin.
    Bins {
        /// The numeric column.
        column: String,
        /// Increasing cut points.
        edges: Vec<f64>,
    },
}

/// How a measure turns a metric value into 0–100 points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Scoring {
    /// Points by tier. Tiers must not overlap; a value no tier covers counts as missing. Points
    /// must not get worse as the value moves in the measure's direction.
    Tiers {
        /// The tiers, in any order.
        tiers: Vec<Tier>,
    },
    /// 0 points at the bad end, 100 at the good end, linear between (clamped outside): with
    /// `higher_is_better`, `low` earns 0 and `high` earns 100; with `lower_is_better`, the reverse.
    Ramp {
        /// Lower end.
        low: f64,
        /// Upper end (greater than `low`).
        high: f64,
    },
    /// The account's mid-rank percentile (0–100) among its peers with a value: the share of
    /// peers below it plus half the share equal to it. `lower_is_better` scores `100 - p`.
    Percentile {
        /// Who the account is compared with.
        #[serde(default)]
        peers: PeerGroup,
    },
}

/// What a measure contributes when its metric value is missing.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum MissingPolicy {
    /// Leave the measure out and renormalise the weights over the present measures.
    #[default]
    Renormalize,
    /// Count the measure's worst attainable points.
    Worst,
    /// Count fixed points.
    Default {
        /// Points (0–100).
        points: f64,
    },
}

/// One scored measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "MeasureDocument"))]
pub struct Measure {
    /// Unique name within the scorecard (shown in contributions).
    pub name: String,
    /// The snapshot column scored (a built-in metric, custom metric, attribute or added column).
    pub metric: String,
    /// Weight within its group (non-negative; 0 disables the measure).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub weight: f64,
    /// Which way is healthy.
    #[serde(default)]
    pub direction: Direction,
    /// How the value becomes points.
    pub scoring: Scoring,
    /// Missing-value policy.
    #[serde(default)]
    pub missing: MissingPolicy,
    /// The group the measure belongs to (required when the scorecard has groups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

impl Measure {
    /// A measure with weight 1, higher-is-better, renormalised when missing.
    pub fn new(name: impl Into<String>, metric: impl Into<String>, scoring: Scoring) -> Self {
        Measure {
            name: name.into(),
            metric: metric.into(),
            weight: 1.0,
            direction: Direction::HigherIsBetter,
            scoring,
            missing: MissingPolicy::Renormalize,
            group: None,
        }
    }

    /// Sets the weight.
    pub fn with_weight(mut self, weight: f64) -> Self {
        self.weight = weight;
        self
    }

    /// Sets the direction.
    pub fn with_direction(mut self, direction: Direction) -> Self {
        self.direction = direction;
        self
    }

    /// Sets the missing-value policy.
    pub fn with_missing(mut self, missing: MissingPolicy) -> Self {
        self.missing = missing;
        self
    }

    /// Sets the group.
    pub fn with_group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }

    /// The worst points this measure can earn.
    pub(crate) fn worst_points(&self) -> f64 {
        match &self.scoring {
            Scoring::Tiers { tiers } => tiers.iter().map(|t| t.points).fold(f64::INFINITY, f64::min).clamp(0.0, 100.0),
            _ => 0.0,
        }
    }
}

/// A group of measures with its own weight (e.g. "adoption" 0.5, "sentiment" 0.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MeasureGroup {
    /// Group name.
    pub name: String,
    /// Weight among groups (non-negative).
    pub weight: f64,
}

/// A named score range. A score `s` is in the band when `min <= s < max`, except that the band
/// reaching 100 also holds 100. Bands must tile 0–100 without gaps or overlaps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// Name, e.g. `green`.
    pub name: String,
    /// Display colour (any CSS colour).
    pub color: String,
    /// Inclusive lower bound.
    pub min: f64,
    /// Exclusive upper bound (inclusive when 100).
    pub max: f64,
}

impl Band {
    /// A band.
    pub fn new(name: impl Into<String>, color: impl Into<String>, min: f64, max: f64) -> Self {
        Band { name: name.into(), color: color.into(), min, max }
    }
}

/// green ≥ 75, yellow 50–75, orange 25–50, red < 25.
pub fn default_bands() -> Vec<Band> {
    vec![
        Band::new("green", "#2e7d32", 75.0, 100.0),
        Band::new("yellow", "#f9a825", 50.0, 75.0),
        Band::new("orange", "#ef6c00", 25.0, 50.0),
        Band::new("red", "#c62828", 0.0, 25.0),
    ]
}

/// Points taken off the score when a boolean column (typically an edge-case flag such as
/// `flag_extraction_burst`) is true. The penalty appears as its own contribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "PenaltyDocument"))]
pub struct Penalty {
    /// The boolean column.
    pub column: String,
    /// Points taken off (0–100; never below a score of 0).
    pub points: f64,
}

/// A manual score set by a CSM, in force until `expires_at` (exclusive).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "OverrideDocument"))]
pub struct Override {
    /// The account.
    pub account_id: String,
    /// The score to report (0–100); the band follows from it.
    pub score: f64,
    /// Why (required, shown with the score).
    pub reason: String,
    /// Who set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_by: Option<String>,
    /// When it was set (it is ignored when scoring as of an earlier instant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_at: Option<Timestamp>,
    /// When it stops applying.
    pub expires_at: Timestamp,
}

/// A health scorecard: measures, optional groups, bands, penalties and overrides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "ScorecardDocument"))]
pub struct Scorecard {
    /// Document version (1).
    #[serde(default = "version_one")]
    pub version: u32,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Measures (at least one with a positive weight).
    pub measures: Vec<Measure>,
    /// Measure groups; empty = all measures in one group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<MeasureGroup>,
    /// Bands (default green / yellow / orange / red).
    #[serde(default = "default_bands")]
    pub bands: Vec<Band>,
    /// Penalties for flags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub penalties: Vec<Penalty>,
    /// Manual overrides.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<Override>,
}

impl Default for Scorecard {
    fn default() -> Self {
        Scorecard {
            version: SCORECARD_VERSION,
            name: String::new(),
            measures: Vec::new(),
            groups: Vec::new(),
            bands: default_bands(),
            penalties: Vec::new(),
            overrides: Vec::new(),
        }
    }
}

fn finite(path: &str, x: f64) -> Result<()> {
    if x.is_finite() {
        Ok(())
    } else {
        Err(Error::config(path, "must be a finite number"))
    }
}

fn points(path: &str, x: f64) -> Result<()> {
    finite(path, x)?;
    if !(0.0..=100.0).contains(&x) {
        return Err(Error::config(path, format!("points must be between 0 and 100, got {x}")));
    }
    Ok(())
}

fn check_version(found: u32, what: &str) -> Result<()> {
    if found != SCORECARD_VERSION {
        return Err(Error::UnsupportedVersion { what: what.into(), found, supported: SCORECARD_VERSION });
    }
    Ok(())
}

impl Scorecard {
    /// An empty scorecard named `name` with the default bands.
    pub fn new(name: impl Into<String>) -> Self {
        Scorecard { name: name.into(), ..Scorecard::default() }
    }

    /// The starter scorecard shipped with custfit (`core/src/health/starter.json`): engagement,
    /// breadth, trend, recency, sentiment and risk signals from the built-in metrics, with
    /// penalties for the extraction-burst and confusion flags.
    pub fn starter() -> Scorecard {
        // The file is tested to parse and validate; fall back to an empty card rather than panic.
        Scorecard::from_json(include_str!("starter.json")).unwrap_or_default()
    }

    /// Adds a measure.
    pub fn with_measure(mut self, measure: Measure) -> Self {
        self.measures.push(measure);
        self
    }

    /// Adds a group.
    pub fn with_group(mut self, name: impl Into<String>, weight: f64) -> Self {
        self.groups.push(MeasureGroup { name: name.into(), weight });
        self
    }

    /// Replaces the bands.
    pub fn with_bands(mut self, bands: Vec<Band>) -> Self {
        self.bands = bands;
        self
    }

    /// Adds a penalty.
    pub fn with_penalty(mut self, column: impl Into<String>, points: f64) -> Self {
        self.penalties.push(Penalty { column: column.into(), points });
        self
    }

    /// Adds an override.
    pub fn with_override(mut self, o: Override) -> Self {
        self.overrides.push(o);
        self
    }

    /// Parses and validates a JSON document.
    pub fn from_json(text: &str) -> Result<Scorecard> {
        <Scorecard as crate::document::Document>::from_json_str(text)
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::parse("scorecard JSON", e))
    }

    /// Checks the scorecard (metric names are checked against a snapshot when scoring).
    pub fn validate(&self) -> Result<()> {
        check_version(self.version, "scorecard")?;
        if self.measures.is_empty() {
            return Err(Error::config("measures", "a scorecard needs at least one measure"));
        }
        let mut names = std::collections::HashSet::new();
        for (i, g) in self.groups.iter().enumerate() {
            let p = format!("groups[{i}]");
            if g.name.is_empty() || !names.insert(g.name.as_str()) {
                return Err(Error::config(&p, format!("group name `{}` is empty or repeated", g.name)));
            }
            finite(&format!("{p}.weight"), g.weight)?;
            if !(0.0..=MAX_WEIGHT).contains(&g.weight) {
                return Err(Error::config(
                    format!("{p}.weight"),
                    format!("weight must lie in 0..={MAX_WEIGHT} (weights are relative), got {}", g.weight),
                ));
            }
        }
        if !self.groups.is_empty() && self.groups.iter().all(|g| g.weight == 0.0) {
            return Err(Error::config("groups", "at least one group needs a positive weight"));
        }
        let mut measure_names = std::collections::HashSet::new();
        for (i, m) in self.measures.iter().enumerate() {
            let p = format!("measures[{i}]");
            if m.name.is_empty() || !measure_names.insert(m.name.as_str()) {
                return Err(Error::config(format!("{p}.name"), format!("measure name `{}` is empty or repeated", m.name)));
            }
            if m.metric.is_empty() {
                return Err(Error::config(format!("{p}.metric"), "must name a snapshot column"));
            }
            finite(&format!("{p}.weight"), m.weight)?;
            if !(0.0..=MAX_WEIGHT).contains(&m.weight) {
                return Err(Error::config(
                    format!("{p}.weight"),
                    format!("weight must lie in 0..={MAX_WEIGHT} (weights are relative), got {}", m.weight),
                ));
            }
            match (&m.group, self.groups.is_empty()) {
                (Some(g), false) if !self.groups.iter().any(|x| &x.name == g) => {
                    return Err(Error::config(format!("{p}.group"), format!("unknown group `{g}`")))
                }
                (None, false) => return Err(Error::config(format!("{p}.group"), "the scorecard has groups: name one")),
                (Some(_), true) => return Err(Error::config(format!("{p}.group"), "the scorecard declares no groups")),
                _ => {}
            }
            if let MissingPolicy::Default { points: x } = m.missing {
                points(&format!("{p}.missing.points"), x)?;
            }
            validate_scoring(&p, m)?;
        }
        if self.measures.iter().all(|m| m.weight == 0.0) {
            return Err(Error::config("measures", "at least one measure needs a positive weight"));
        }
        if !self.groups.is_empty()
            && !self
                .groups
                .iter()
                .any(|g| g.weight > 0.0 && self.measures.iter().any(|m| m.group.as_ref() == Some(&g.name) && m.weight > 0.0))
        {
            return Err(Error::config("groups", "no group with a positive weight holds a measure with a positive weight"));
        }
        validate_bands(&self.bands)?;
        for (i, pen) in self.penalties.iter().enumerate() {
            if pen.column.is_empty() {
                return Err(Error::config(format!("penalties[{i}].column"), "must name a boolean column"));
            }
            points(&format!("penalties[{i}].points"), pen.points)?;
        }
        for (i, o) in self.overrides.iter().enumerate() {
            points(&format!("overrides[{i}].score"), o.score)?;
            if o.reason.trim().is_empty() {
                return Err(Error::config(format!("overrides[{i}].reason"), "an override needs a reason"));
            }
            if o.account_id.is_empty() {
                return Err(Error::config(format!("overrides[{i}].account_id"), "must not be empty"));
            }
        }
        Ok(())
    }

    /// The band holding `score`.
    pub fn band_of(&self, score: f64) -> Option<usize> {
        band_index(&self.bands, score)
    }
}

pub(crate) fn band_index(bands: &[Band], score: f64) -> Option<usize> {
    bands.iter().position(|b| score >= b.min && (score < b.max || (b.max >= 100.0 && score <= b.max)))
}

fn validate_scoring(p: &str, m: &Measure) -> Result<()> {
    match &m.scoring {
        Scoring::Ramp { low, high } => {
            finite(&format!("{p}.scoring.low"), *low)?;
            finite(&format!("{p}.scoring.high"), *high)?;
            if low >= high {
                return Err(Error::config(format!("{p}.scoring"), format!("ramp needs low < high, got {low} and {high}")));
            }
        }
        Scoring::Percentile { peers } => match peers {
            PeerGroup::All => {}
            PeerGroup::Column { column } if column.is_empty() => {
                return Err(Error::config(format!("{p}.scoring.peers.column"), "must name a column"))
            }
            PeerGroup::Column { .. } => {}
            PeerGroup::Bins { column, edges } => {
                if column.is_empty() {
                    return Err(Error::config(format!("{p}.scoring.peers.column"), "must name a column"));
                }
                if edges.is_empty() || edges.iter().any(|e| !e.is_finite()) || edges.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(Error::config(format!("{p}.scoring.peers.edges"), "need finite, strictly increasing cut points"));
                }
            }
        },
        Scoring::Tiers { tiers } => {
            if tiers.is_empty() {
                return Err(Error::config(format!("{p}.scoring.tiers"), "need at least one tier"));
            }
            for (j, t) in tiers.iter().enumerate() {
                let tp = format!("{p}.scoring.tiers[{j}]");
                points(&format!("{tp}.points"), t.points)?;
                if let Some(x) = t.min {
                    finite(&format!("{tp}.min"), x)?;
                }
                if let Some(x) = t.max {
                    finite(&format!("{tp}.max"), x)?;
                }
                if let (Some(a), Some(b)) = (t.min, t.max) {
                    if a > b || (a == b && !(t.min_inclusive && t.max_inclusive)) {
                        return Err(Error::config(tp, format!("empty tier: min {a}, max {b}")));
                    }
                }
            }
            // Sort by lower end; neighbours must not overlap and points must follow the direction.
            let mut order: Vec<&Tier> = tiers.iter().collect();
            order.sort_by(|a, b| a.min.unwrap_or(f64::NEG_INFINITY).total_cmp(&b.min.unwrap_or(f64::NEG_INFINITY)));
            for w in order.windows(2) {
                let (a, b) = (w[0], w[1]);
                let a_max = a.max.unwrap_or(f64::INFINITY);
                let b_min = b.min.unwrap_or(f64::NEG_INFINITY);
                if a_max > b_min || (a_max == b_min && a.max_inclusive && b.min_inclusive) || a.min == b.min && a.min.is_none() {
                    return Err(Error::config(
                        format!("{p}.scoring.tiers"),
                        format!("tiers overlap: one ends at {a_max}, the next starts at {b_min}"),
                    ));
                }
                let worse = match m.direction {
                    Direction::HigherIsBetter => b.points < a.points,
                    Direction::LowerIsBetter => b.points > a.points,
                };
                if worse {
                    return Err(Error::config(
                        format!("{p}.scoring.tiers"),
                        "tier points must not get worse as the value moves in the measure's direction",
                    ));
                }
            }
        }
    }
    Ok(())
}

fn validate_bands(bands: &[Band]) -> Result<()> {
    if bands.is_empty() {
        return Err(Error::config("bands", "need at least one band"));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, b) in bands.iter().enumerate() {
        if b.name.is_empty() || !seen.insert(b.name.as_str()) {
            return Err(Error::config(format!("bands[{i}].name"), format!("band name `{}` is empty or repeated", b.name)));
        }
        finite(&format!("bands[{i}].min"), b.min)?;
        finite(&format!("bands[{i}].max"), b.max)?;
        if b.min >= b.max {
            return Err(Error::config(format!("bands[{i}]"), format!("band `{}` needs min < max", b.name)));
        }
    }
    let mut order: Vec<&Band> = bands.iter().collect();
    order.sort_by(|a, b| a.min.total_cmp(&b.min));
    if order[0].min != 0.0 || order[order.len() - 1].max != 100.0 {
        return Err(Error::config("bands", "bands must cover 0 to 100"));
    }
    for w in order.windows(2) {
        if w[0].max > w[1].min {
            return Err(Error::config(
                "bands",
                format!("bands `{}` and `{}` overlap ({} > {})", w[0].name, w[1].name, w[0].max, w[1].min),
            ));
        }
        if w[0].max < w[1].min {
            return Err(Error::config("bands", format!("gap between bands `{}` and `{}`", w[0].name, w[1].name)));
        }
    }
    Ok(())
}

/// A rule choosing a scorecard by the value of a text column (a segment attribute such as
/// `plan`, or a lifecycle phase column).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ScorecardCase {
    /// Values of the selecting column that pick this scorecard.
    pub values: Vec<String>,
    /// The scorecard.
    pub scorecard: Scorecard,
}

/// Different scorecards for different segments or lifecycle phases. `column` is a text, integer
/// or boolean column of the snapshot (scoring errors with `invalid_config` for any other type);
/// a case's values match its values' text. Accounts whose `column` value matches no case (or is
/// missing, unless a case lists `""`) use `default`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "ScorecardSetDocument"))]
pub struct ScorecardSet {
    /// Document version (1).
    #[serde(default = "version_one")]
    pub version: u32,
    /// The selecting column.
    pub column: String,
    /// Cases, first match wins.
    pub cases: Vec<ScorecardCase>,
    /// The scorecard for everyone else.
    pub default: Scorecard,
}

impl ScorecardSet {
    /// A set choosing by `column`, with `default` for unmatched accounts.
    pub fn new(column: impl Into<String>, default: Scorecard) -> Self {
        ScorecardSet { version: SCORECARD_VERSION, column: column.into(), cases: Vec::new(), default }
    }

    /// Adds a case.
    pub fn with_case(mut self, values: Vec<String>, scorecard: Scorecard) -> Self {
        self.cases.push(ScorecardCase { values, scorecard });
        self
    }

    /// Parses and validates a JSON document.
    pub fn from_json(text: &str) -> Result<ScorecardSet> {
        <ScorecardSet as crate::document::Document>::from_json_str(text)
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::parse("scorecard set JSON", e))
    }

    /// Checks every scorecard and that all share the same bands (so bands compare across cases).
    pub fn validate(&self) -> Result<()> {
        check_version(self.version, "scorecard set")?;
        if self.column.is_empty() {
            return Err(Error::config("column", "must name a column"));
        }
        self.default.validate()?;
        for (i, c) in self.cases.iter().enumerate() {
            if c.values.is_empty() {
                return Err(Error::config(format!("cases[{i}].values"), "need at least one value"));
            }
            c.scorecard.validate().map_err(|e| match e {
                Error::Config { kind, path, reason } => {
                    Error::Config { kind, path: format!("cases[{i}].scorecard.{path}"), reason }
                }
                other => other,
            })?;
            if c.scorecard.bands != self.default.bands {
                return Err(Error::config(
                    format!("cases[{i}].scorecard.bands"),
                    "every scorecard of a set must use the same bands",
                ));
            }
        }
        Ok(())
    }
}

crate::document::document! {
    Scorecard => "scorecard", SCORECARD_VERSION;
    ScorecardSet => "scorecard set", SCORECARD_VERSION;
}
