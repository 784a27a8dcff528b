//! The fitted churn pipeline (feature definitions + preprocessing + model), its reports
//! (coefficients, drivers), the ranked risk forecast, backtests and versioned JSON persistence.

use serde::{Deserialize, Serialize};

use super::boosted::{BoostedTrees, BoostedTreesConfig};
use super::evaluate::{evaluate, Evaluation};
use super::logistic::{sigmoid, LogisticConfig, LogisticModel};
use super::preprocess::{Output, PreprocessConfig, Preprocessor};
use super::training::{forward, ChurnFeatures, TrainingSet};
use crate::data::Dataset;
use crate::document::Document;
use crate::error::{Error, Result};
use crate::metrics::{AccountColumns, Column, ColumnData, Snapshot, ToColumns};
use crate::outcome::{in_force, is_active};
use crate::time::{Timestamp, Window};

/// Version of saved churn models and churn model configs.
pub const CHURN_MODEL_VERSION: u32 = 1;

/// Which model to fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ModelConfig {
    /// Logistic regression.
    Logistic {
        /// Settings.
        #[serde(default)]
        settings: LogisticConfig,
    },
    /// Gradient-boosted trees.
    BoostedTrees {
        /// Settings.
        #[serde(default)]
        settings: BoostedTreesConfig,
    },
}

impl ModelConfig {
    /// Logistic regression with default settings.
    pub fn logistic() -> Self {
        ModelConfig::Logistic { settings: LogisticConfig::default() }
    }
    /// Boosted trees with default settings.
    pub fn boosted_trees() -> Self {
        ModelConfig::BoostedTrees { settings: BoostedTreesConfig::default() }
    }
}

/// Everything needed to fit a churn pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ChurnModelConfig {
    /// Document version ([`CHURN_MODEL_VERSION`]).
    #[serde(default = "version")]
    pub version: u32,
    /// Preprocessing.
    #[serde(default)]
    pub preprocess: PreprocessConfig,
    /// The model.
    pub model: ModelConfig,
}

fn version() -> u32 {
    CHURN_MODEL_VERSION
}

impl Default for ChurnModelConfig {
    fn default() -> Self {
        ChurnModelConfig { version: CHURN_MODEL_VERSION, preprocess: PreprocessConfig::default(), model: ModelConfig::logistic() }
    }
}

impl ChurnModelConfig {
    /// A config for this model with default preprocessing.
    pub fn new(model: ModelConfig) -> Self {
        ChurnModelConfig { model, ..Self::default() }
    }
    /// Sets preprocessing.
    pub fn with_preprocess(mut self, p: PreprocessConfig) -> Self {
        self.preprocess = p;
        self
    }
    /// Parses and validates JSON.
    pub fn from_json(text: &str) -> Result<Self> {
        <Self as crate::document::Document>::from_json_str(text)
    }
    /// JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
    /// Checks every field.
    pub fn validate(&self) -> Result<()> {
        if self.version != CHURN_MODEL_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "churn model config".into(),
                found: self.version,
                supported: CHURN_MODEL_VERSION,
            });
        }
        self.preprocess.validate()?;
        match &self.model {
            ModelConfig::Logistic { settings } => settings.validate(),
            ModelConfig::BoostedTrees { settings } => settings.validate(),
        }
    }
}

/// A fitted model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FittedModel {
    /// Logistic regression.
    Logistic {
        /// The fit.
        model: LogisticModel,
    },
    /// Boosted trees.
    BoostedTrees {
        /// The fit.
        model: BoostedTrees,
    },
}

/// What a model was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TrainingSummary {
    /// Observations (account × date) trained on. (Read also as `rows`, its name before 0.2.)
    #[serde(alias = "rows")]
    pub observations: usize,
    /// Of which churned. (Read also as `positives`.)
    #[serde(alias = "positives")]
    pub churned: usize,
    /// Label lead time.
    pub lead: Window,
    /// Label horizon.
    pub horizon: Window,
    /// First observation date.
    pub first_observation: Option<Timestamp>,
    /// Last observation date.
    pub last_observation: Option<Timestamp>,
}

/// A fitted churn pipeline: feature definitions, preprocessing and model, saved as one JSON file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ChurnModel {
    /// Document version ([`CHURN_MODEL_VERSION`]).
    pub version: u32,
    /// How features are computed from a dataset.
    pub features: ChurnFeatures,
    /// Fitted preprocessing.
    pub preprocessor: Preprocessor,
    /// Fitted model.
    pub model: FittedModel,
    /// What it was trained on.
    pub training: TrainingSummary,
    /// The custfit version that wrote the file (absent in files written before 0.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub library_version: Option<String>,
    /// `fnv1a64:` and 16 hex digits: the FNV-1a hash of the compact JSON of every other field
    /// (absent in files written before 0.2). Written by [`ChurnModel::to_json`] and
    /// [`ChurnModel::save`]; a file whose content no longer matches it is refused on load. It
    /// catches corruption and hand edits, not a forger (it is not a signature): a model without
    /// a checksum is still read, and every field is checked either way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<String>,
}

/// A coefficient of a logistic model, on the preprocessed (standardised) scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CoefficientReport {
    /// Feature or group name.
    pub feature: String,
    /// Change in churn log-odds per +1 standard deviation.
    pub coefficient: f64,
    /// `exp(coefficient)`: churn odds multiplier per +1 standard deviation.
    pub odds_ratio: f64,
    /// Change in retention probability (percentage points / 100) when this feature moves +1
    /// standard deviation from the average account: `σ(b) − σ(b + coefficient)`.
    pub retention_impact_per_sd: f64,
}

/// One feature's signed contribution to one prediction, in log-odds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Driver {
    /// Feature or group name.
    pub feature: String,
    /// Raw input value (None for groups and missing values).
    pub value: Option<f64>,
    /// Value after preprocessing.
    pub transformed: f64,
    /// Contribution to the churn log-odds (positive raises risk).
    pub contribution: f64,
}

/// A prediction with its explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Explanation {
    /// Probability of churn within the horizon.
    pub probability: f64,
    /// Log-odds of churn: `bias + Σ contributions`.
    pub log_odds: f64,
    /// The part of the log-odds not attributed to a feature.
    pub bias: f64,
    /// Every feature's contribution, largest absolute first.
    pub drivers: Vec<Driver>,
}

/// One line of the risk list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RiskEntry {
    /// 1 = highest risk.
    pub rank: usize,
    /// The account.
    pub account_id: String,
    /// Probability of churn within the model's horizon (after its lead).
    pub probability: f64,
    /// The next renewal (end of the contract in force), or `as_of + lead + horizon` without one.
    pub opportunity_at: Timestamp,
    /// Whether `opportunity_at` is a contract renewal.
    pub renewal: bool,
    /// Monthly recurring revenue in force (minor units).
    pub mrr_minor: i64,
    /// Top drivers, largest absolute contribution first.
    pub drivers: Vec<Driver>,
}

/// One fold of a rolling backtest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BacktestFold {
    /// The test observation date (training labels all ended by then).
    pub cutoff: Timestamp,
    /// Training observations (account × date).
    pub train_observations: usize,
    /// Test observations.
    pub test_observations: usize,
    /// Scores on the test observations.
    pub evaluation: Evaluation,
}

/// A rolling, time-ordered backtest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "ChurnBacktest"))]
pub struct Backtest {
    /// Folds in time order.
    pub folds: Vec<BacktestFold>,
    /// Scores over all test rows pooled.
    pub pooled: Evaluation,
}

impl ChurnModel {
    /// Fits the pipeline on a training set built with `features`.
    pub fn fit(set: &TrainingSet, features: &ChurnFeatures, config: &ChurnModelConfig) -> Result<ChurnModel> {
        config.validate()?;
        features.validate()?;
        if set.feature_names != features.metrics {
            return Err(Error::argument("features", "the training set's columns differ from the feature list"));
        }
        let pre = Preprocessor::fit(&set.feature_names, &set.x, &config.preprocess)?;
        let z = pre.transform(&set.x)?;
        let p = pre.outputs.len();
        let model = match &config.model {
            ModelConfig::Logistic { settings } => FittedModel::Logistic { model: LogisticModel::fit(&z, p, &set.y, settings)? },
            ModelConfig::BoostedTrees { settings } => {
                FittedModel::BoostedTrees { model: BoostedTrees::fit(&z, p, &set.y, settings)? }
            }
        };
        let dates = set.dates();
        Ok(ChurnModel {
            version: CHURN_MODEL_VERSION,
            features: features.clone(),
            preprocessor: pre,
            model,
            training: TrainingSummary {
                observations: set.len(),
                churned: set.y.iter().filter(|&&b| b).count(),
                lead: set.lead,
                horizon: set.horizon,
                first_observation: dates.first().copied(),
                last_observation: dates.last().copied(),
            },
            library_version: None,
            checksum: None,
        }
        .sealed())
    }

    /// The checksum of this model's content (every field but `checksum`).
    fn content_checksum(&self) -> String {
        let unsealed = ChurnModel { checksum: None, ..self.clone() };
        // Plain data (string keys, finite numbers): serialising cannot fail.
        let text = serde_json::to_string(&unsealed).unwrap_or_default();
        format!("fnv1a64:{:016x}", crate::document::fnv1a64(text.as_bytes()))
    }

    /// This model stamped with the running library's version and its content's checksum: the
    /// form [`to_json`](Self::to_json) and [`save`](Self::save) write.
    pub fn sealed(&self) -> ChurnModel {
        let mut out = ChurnModel { library_version: Some(env!("CARGO_PKG_VERSION").to_string()), checksum: None, ..self.clone() };
        out.checksum = Some(out.content_checksum());
        out
    }

    /// Feature (or group) names the model sees, after preprocessing.
    pub fn model_feature_names(&self) -> Vec<String> {
        self.preprocessor.output_names()
    }

    fn decision_z(&self, z: &[f64]) -> f64 {
        match &self.model {
            FittedModel::Logistic { model } => model.decision(z),
            FittedModel::BoostedTrees { model } => model.decision(z),
        }
    }

    /// Churn probabilities of raw feature rows (row-major, in `features.metrics` order, `NaN` =
    /// missing).
    pub fn predict(&self, x: &[f64]) -> Result<Vec<f64>> {
        let p = self.preprocessor.transforms.len();
        if p == 0 || !x.len().is_multiple_of(p) {
            return Err(Error::argument("x", format!("expected rows of {p} values, got {} values", x.len())));
        }
        let rows = x.len() / p;
        // Rows are independent: large inputs are split across threads, results kept in order.
        let threads = if rows < 50_000 { 1 } else { crate::stats::max_threads() };
        let parts = crate::stats::map_ranges(rows, threads, |r| -> Result<Vec<f64>> {
            let mut z = Vec::with_capacity(self.preprocessor.outputs.len());
            x[r.start * p..r.end * p]
                .chunks(p)
                .map(|row| {
                    self.preprocessor.transform_row(row, &mut z)?;
                    Ok(sigmoid(self.decision_z(&z)))
                })
                .collect()
        });
        let mut out = Vec::with_capacity(rows);
        for part in parts {
            out.extend(part?);
        }
        Ok(out)
    }

    /// [`ChurnModel::predict`] for a row-major matrix of `width` columns: a width other than
    /// the model's feature count is `invalid_argument` (rather than rows read misaligned).
    pub fn predict_matrix(&self, x: &[f64], width: usize) -> Result<Vec<f64>> {
        let p = self.preprocessor.transforms.len();
        if width != p && !x.is_empty() {
            return Err(Error::argument(
                "x",
                format!("expected rows of {p} values ({}), got rows of {width}", self.features.metrics.join(", ")),
            ));
        }
        self.predict(x)
    }

    /// Explains one raw feature row.
    pub fn explain(&self, row: &[f64]) -> Result<Explanation> {
        let mut z = Vec::new();
        self.preprocessor.transform_row(row, &mut z)?;
        let (bias, contributions) = match &self.model {
            FittedModel::Logistic { model } => (model.intercept, z.iter().zip(&model.coefficients).map(|(a, b)| a * b).collect()),
            FittedModel::BoostedTrees { model } => model.contributions(&z),
        };
        let names = self.preprocessor.output_names();
        let mut drivers: Vec<Driver> = self
            .preprocessor
            .outputs
            .iter()
            .zip(names)
            .zip(z.iter().zip(&contributions))
            .map(|((o, name), (&t, &c))| Driver {
                feature: name,
                value: match o {
                    Output::Feature { input } => row.get(*input).copied().filter(|v| !v.is_nan()),
                    Output::Group { .. } => None,
                },
                transformed: t,
                contribution: c,
            })
            .collect();
        drivers.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
        let log_odds = bias + contributions.iter().sum::<f64>();
        Ok(Explanation { probability: sigmoid(log_odds), log_odds, bias, drivers })
    }

    /// Coefficient report of a logistic model (None for boosted trees).
    pub fn coefficients(&self) -> Option<Vec<CoefficientReport>> {
        let FittedModel::Logistic { model } = &self.model else { return None };
        let base = sigmoid(model.intercept);
        Some(
            self.preprocessor
                .output_names()
                .into_iter()
                .zip(&model.coefficients)
                .map(|(feature, &c)| CoefficientReport {
                    feature,
                    coefficient: c,
                    odds_ratio: c.exp(),
                    retention_impact_per_sd: base - sigmoid(model.intercept + c),
                })
                .collect(),
        )
    }

    /// Scores the model on a training set (usually a time-ordered hold-out).
    pub fn evaluate(&self, set: &TrainingSet) -> Result<Evaluation> {
        evaluate(&self.predict(&set.x)?, &set.y)
    }

    /// Ranked risk list: every account active at `as_of`, its churn probability, its next
    /// renewal (or `as_of + lead + horizon`), and its `top` drivers.
    pub fn forecast(&self, ds: &Dataset, as_of: Timestamp, top: usize) -> Result<Vec<RiskEntry>> {
        let snap = self.features.snapshot(ds, as_of)?;
        self.forecast_with(ds, &snap, top)
    }

    /// [`forecast`](Self::forecast) from a snapshot already built as of the forecast's instant
    /// with the features' snapshot config (or one whose feature columns equal it: a frame that
    /// adds columns to such a snapshot) — the features are read from it, not computed again.
    pub fn forecast_with(&self, ds: &Dataset, snap: &Snapshot, top: usize) -> Result<Vec<RiskEntry>> {
        let as_of = snap.as_of();
        let x = self.features.extract(snap)?;
        let p = self.features.metrics.len();
        let index: rustc_hash::FxHashMap<&str, usize> =
            snap.account_ids().iter().enumerate().map(|(i, s)| (s.as_str(), i)).collect();
        let fallback = forward(forward(as_of, self.training.lead), self.training.horizon);
        let mut out = Vec::new();
        for a in 0..ds.account_count() {
            if !is_active(ds, a, as_of) {
                continue;
            }
            let id = ds.accounts()[a].id.as_str();
            let Some(&r) = index.get(id) else { continue };
            let mut e = self.explain(&x[r * p..(r + 1) * p])?;
            e.drivers.truncate(top);
            let now = in_force(ds, a, as_of)?;
            out.push(RiskEntry {
                rank: 0,
                account_id: id.to_string(),
                probability: e.probability,
                opportunity_at: now.renewal.unwrap_or(fallback),
                renewal: now.renewal.is_some(),
                mrr_minor: now.mrr_minor,
                drivers: e.drivers,
            });
        }
        out.sort_by(|a, b| b.probability.total_cmp(&a.probability).then_with(|| a.account_id.cmp(&b.account_id)));
        for (k, e) in out.iter_mut().enumerate() {
            e.rank = k + 1;
        }
        Ok(out)
    }

    /// Versioned JSON text, sealed ([`sealed`](Self::sealed)).
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.sealed()).unwrap_or_default()
    }

    /// Loads from JSON, checking the version and internal consistency (see [`Document`]).
    pub fn from_json(text: &str) -> Result<ChurnModel> {
        <ChurnModel as Document>::from_json_str(text)
    }

    /// Checks a loaded model: its checksum when it has one, then every field and that the parts
    /// fit together (the feature list, the preprocessor, the model and the training summary).
    pub fn validate(&self) -> Result<()> {
        let m = self;
        if let Some(stated) = &m.checksum {
            let actual = m.content_checksum();
            if *stated != actual {
                return Err(Error::parse(
                    "churn model",
                    format!(
                        "checksum {stated} does not match the content ({actual}): the file was changed after it was saved \
                         (remove `checksum` to load a deliberately edited model; every field is still checked)"
                    ),
                ));
            }
        }
        m.features.validate()?;
        m.preprocessor.check()?;
        if m.preprocessor.transforms.len() != m.features.metrics.len()
            || m.preprocessor.transforms.iter().zip(&m.features.metrics).any(|(t, name)| t.name != *name)
        {
            return Err(Error::parse("churn model", "the preprocessor's features differ from the feature list"));
        }
        let t = &m.training;
        if t.churned > t.observations || t.first_observation > t.last_observation {
            return Err(Error::parse(
                "churn model",
                "training: churned exceeds observations, or the observation dates are reversed",
            ));
        }
        // Zero windows: a model fitted on a matrix (`TrainingSet::from_matrix`) has no dates.
        for (w, path) in [(t.lead, "training.lead"), (t.horizon, "training.horizon")] {
            if w.amount > 0 {
                w.validate(path)?;
            }
        }
        let outputs = m.preprocessor.outputs.len();
        match &m.model {
            FittedModel::Logistic { model } if model.coefficients.len() != outputs => {
                return Err(Error::parse("churn model", "coefficient count differs from the preprocessor's outputs"))
            }
            FittedModel::Logistic { model }
                if !(model.intercept.is_finite() && model.coefficients.iter().all(|c| c.is_finite())) =>
            {
                return Err(Error::parse("churn model", "logistic coefficients and intercept must be finite"))
            }
            FittedModel::BoostedTrees { model } => {
                if model.features != outputs {
                    return Err(Error::parse("churn model", "tree feature count differs from the preprocessor's outputs"));
                }
                model.check()?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Saves to a file atomically: the JSON goes to a temporary file beside `path`, is flushed
    /// to disk (`fsync`), then renamed over `path`; on any failure the temporary file is removed
    /// and `path` is untouched.
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        crate::io::save_text(path.as_ref(), &self.to_json())
    }

    /// Loads from a file.
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<ChurnModel> {
        Self::from_json(&crate::io::load_text(path.as_ref())?)
    }
}

/// Rolling, time-ordered backtest: for each of the last `folds` observation dates, fit on rows
/// whose labels were known by that date and score that date's rows.
pub fn backtest(set: &TrainingSet, features: &ChurnFeatures, config: &ChurnModelConfig, folds: usize) -> Result<Backtest> {
    let mut out = Vec::new();
    let mut all_p = Vec::new();
    let mut all_y = Vec::new();
    for (cutoff, train, test) in set.rolling_splits(folds)? {
        let model = ChurnModel::fit(&train, features, config)?;
        let p = model.predict(&test.x)?;
        let evaluation = evaluate(&p, &test.y)?;
        all_p.extend(p);
        all_y.extend_from_slice(&test.y);
        out.push(BacktestFold { cutoff, train_observations: train.len(), test_observations: test.len(), evaluation });
    }
    Ok(Backtest { folds: out, pooled: evaluate(&all_p, &all_y)? })
}

impl ToColumns for [RiskEntry] {
    /// `{name}_probability` (float), `{name}_rank` (1 = highest risk), `{name}_top_driver` (the
    /// feature with the largest contribution, missing when none was kept) and
    /// `{name}_opportunity_at` (timestamp), keyed by account id.
    fn account_columns(&self, name: &str) -> AccountColumns {
        AccountColumns::by_account(
            self.iter().map(|e| e.account_id.clone()).collect(),
            vec![
                Column::new(format!("{name}_probability"), ColumnData::Float(self.iter().map(|e| Some(e.probability)).collect())),
                Column::new(format!("{name}_rank"), ColumnData::Int(self.iter().map(|e| i64::try_from(e.rank).ok()).collect())),
                Column::new(
                    format!("{name}_top_driver"),
                    ColumnData::Str(self.iter().map(|e| e.drivers.first().map(|d| d.feature.clone())).collect()),
                ),
                Column::new(
                    format!("{name}_opportunity_at"),
                    ColumnData::Timestamp(self.iter().map(|e| Some(e.opportunity_at)).collect()),
                ),
            ],
        )
    }
}

crate::document::document! {
    ChurnModelConfig => "churn model config", CHURN_MODEL_VERSION;
    ChurnModel => "churn model", CHURN_MODEL_VERSION;
}
