//! Churn models (`custfit::churn`): definitions, training sets, the fitted pipeline, evaluation
//! and the risk list. Configs are objects (serde names; top-level camelCase accepted) or JSON
//! text; results are plain objects with the core's serde (snake_case) keys; matrices are arrays
//! of rows with `null` for missing values.

use chrono::{DateTime, Utc};
use custfit::churn::{
    self, ChurnFeatures, ChurnModel as CoreModel, ChurnModelConfig, LogisticConfig, LogisticModel, TrainingSet as CoreSet,
    TrainingSetConfig,
};
use napi::bindgen_prelude::{Either, Env, Float64Array, Unknown, ValueType};
use napi_derive::napi;
use serde_json::Value;

use crate::arg;
use crate::data::Dataset;
use crate::document::{document, optional_document, part};
use crate::error::{invalid_argument, whole_u32, IntoCore, Result, Throw};
use crate::health::{json, single_card_arg};
use crate::time::{date, timestamp_arg};

fn matrix(rows: Vec<Vec<Option<f64>>>) -> Result<(Vec<f64>, usize)> {
    let p = rows.first().map_or(0, Vec::len);
    if let Some(i) = rows.iter().position(|r| r.len() != p) {
        return Err(invalid_argument("x", format!("row {i} has {} values, row 0 has {p}", rows[i].len())));
    }
    Ok((rows.into_iter().flatten().map(|v| v.unwrap_or(f64::NAN)).collect(), p))
}

fn model_config(value: Option<&Unknown<'_>>) -> Result<ChurnModelConfig> {
    optional_document(value, "config")
}

/// Rows for a churn model: features as of observation dates, labels = churned within a horizon.
#[napi]
pub struct TrainingSet {
    pub(crate) inner: CoreSet,
}

#[napi]
impl TrainingSet {
    /// Not made with `new` (no typing): `buildTrainingSet` and `TrainingSet.fromMatrix` make them.
    /// Throws `invalid_argument` instead of napi-rs's uncoded "Class contains no `constructor`" error.
    #[napi(constructor, catch_unwind, skip_typescript)]
    pub fn js_new(env: &Env) -> napi::Result<Self> {
        Err(arg::not_constructible(env, "TrainingSet", "`buildTrainingSet` and `TrainingSet.fromMatrix`"))
    }

    /// A training set from a matrix — rows of numbers (`null` = missing), or a `Float64Array`
    /// holding the rows one after another (`featureNames.length` values each, `NaN` = missing) —
    /// and boolean labels.
    #[napi(
        factory,
        catch_unwind,
        ts_args_type = "featureNames: Array<string>, x: Float64Array | Array<Array<number | null>>, y: Array<boolean>"
    )]
    pub fn from_matrix(env: &Env, feature_names: Unknown<'_>, x: Unknown<'_>, y: Unknown<'_>) -> napi::Result<TrainingSet> {
        let run = || {
            let feature_names = arg::strings(&feature_names, "featureNames")?;
            let x = match arg::matrix(&x, "x")? {
                Either::A(values) => values.to_vec(),
                Either::B(rows) => matrix(rows)?.0,
            };
            let y = arg::booleans(&y, "y")?;
            Ok(TrainingSet { inner: CoreSet::from_matrix(feature_names, x, y)? })
        };
        run().throw(env)
    }

    /// Feature names, in column order.
    #[napi(getter)]
    pub fn feature_names(&self) -> Vec<String> {
        self.inner.feature_names.clone()
    }

    /// Feature rows (`NaN` = missing).
    #[napi(getter)]
    pub fn x(&self) -> Vec<Vec<f64>> {
        self.inner.x.chunks(self.inner.width().max(1)).map(<[f64]>::to_vec).collect()
    }

    /// The feature rows one after another in a `Float64Array` (`featureNames.length` values per
    /// row, `NaN` = missing): what `ChurnModel.predict` reads fastest.
    #[napi(getter)]
    pub fn matrix(&self) -> Float64Array {
        Float64Array::new(self.inner.x.clone())
    }

    /// Labels.
    #[napi(getter)]
    pub fn y(&self) -> Vec<bool> {
        self.inner.y.clone()
    }

    /// Account of each row.
    #[napi(getter)]
    pub fn account_ids(&self) -> Vec<String> {
        self.inner.account_ids.clone()
    }

    /// Observation date of each row.
    #[napi(getter)]
    pub fn observed_at(&self) -> Vec<DateTime<Utc>> {
        self.inner.observed_at.iter().map(|t| date(*t)).collect()
    }

    /// Number of rows.
    #[napi(getter)]
    pub fn length(&self) -> u32 {
        self.inner.len() as u32
    }

    /// Share of churned rows.
    #[napi(getter)]
    pub fn churn_rate(&self) -> f64 {
        self.inner.churn_rate()
    }

    /// Time-ordered hold-out: `[train, test]`, the test part being the last `testShare` of dates.
    #[napi(catch_unwind, ts_args_type = "testShare: number")]
    pub fn time_split(&self, env: &Env, test_share: Unknown<'_>) -> napi::Result<Vec<TrainingSet>> {
        let run = || self.inner.time_split(arg::number(&test_share, "testShare")?);
        let (a, b) = run().throw(env)?;
        Ok(vec![TrainingSet { inner: a }, TrainingSet { inner: b }])
    }

    /// `[train, test]` split at an instant (train = rows whose label window ended by it).
    #[napi(catch_unwind, ts_args_type = "cutoff: Date | string | number")]
    pub fn split_at(&self, env: &Env, cutoff: Unknown<'_>) -> napi::Result<Vec<TrainingSet>> {
        let t = timestamp_arg(&cutoff, "cutoff").throw(env)?;
        let (a, b) = self.inner.split_at(t);
        Ok(vec![TrainingSet { inner: a }, TrainingSet { inner: b }])
    }
}

/// Builds a leakage-free training set (`config`: a TrainingSetConfig); `knownAt` (default: the
/// data's end, `Dataset.dataEnd`; a later instant is refused) bounds what labels may use.
#[napi(catch_unwind, ts_args_type = "dataset: Dataset, config?: object | string, knownAt?: Date | string | number")]
pub fn build_training_set(
    env: &Env,
    dataset: Unknown<'_>,
    config: Option<Unknown<'_>>,
    known_at: Option<Unknown<'_>>,
) -> napi::Result<TrainingSet> {
    let run = || {
        let dataset = arg::instance::<Dataset>(&dataset, "dataset")?;
        let cfg: TrainingSetConfig = optional_document(config.as_ref(), "config")?;
        let ds = &dataset.inner;
        let known = match known_at.as_ref() {
            Some(k) if !matches!(k.get_type().core()?, ValueType::Undefined | ValueType::Null) => {
                Some(timestamp_arg(k, "knownAt")?)
            }
            _ => None,
        };
        Ok(TrainingSet { inner: churn::build_training_set(ds, &cfg, known)? })
    };
    run().throw(env)
}

/// A fitted churn pipeline (features + preprocessing + model); its JSON loads in Rust, Python
/// and Node with identical predictions.
#[napi]
pub struct ChurnModel {
    pub(crate) inner: CoreModel,
}

#[napi]
impl ChurnModel {
    /// Not made with `new` (no typing): `ChurnModel.fit`, `ChurnModel.fromJson` and `ChurnModel.load`
    /// make them. Throws `invalid_argument` instead of napi-rs's uncoded "Class contains no
    /// `constructor`" error.
    #[napi(constructor, catch_unwind, skip_typescript)]
    pub fn js_new(env: &Env) -> napi::Result<Self> {
        Err(arg::not_constructible(env, "ChurnModel", "`ChurnModel.fit`, `ChurnModel.fromJson` and `ChurnModel.load`"))
    }

    /// Fits on a training set. `config` is a ChurnModelConfig, e.g.
    /// `{model: {type: 'boosted_trees'}}`; default: standardised logistic regression.
    #[napi(factory, catch_unwind, ts_args_type = "trainingSet: TrainingSet, config?: object | string")]
    pub fn fit(env: &Env, training_set: Unknown<'_>, config: Option<Unknown<'_>>) -> napi::Result<ChurnModel> {
        let run = || {
            let training_set = arg::instance::<TrainingSet>(&training_set, "trainingSet")?;
            let cfg = model_config(config.as_ref())?;
            let set = &training_set.inner;
            Ok(ChurnModel { inner: CoreModel::fit(set, &ChurnFeatures::new(&set.feature_names), &cfg)? })
        };
        run().throw(env)
    }

    /// Loads a saved model from JSON text.
    #[napi(factory, catch_unwind, ts_args_type = "text: string")]
    pub fn from_json(env: &Env, text: Unknown<'_>) -> napi::Result<ChurnModel> {
        let run = || CoreModel::from_json(&arg::string(&text, "text")?);
        Ok(ChurnModel { inner: run().throw(env)? })
    }

    /// Loads a saved model from a file.
    #[napi(factory, catch_unwind, ts_args_type = "path: string")]
    pub fn load(env: &Env, path: Unknown<'_>) -> napi::Result<ChurnModel> {
        let run = || CoreModel::load(arg::string(&path, "path")?);
        Ok(ChurnModel { inner: run().throw(env)? })
    }

    /// The model's versioned JSON document, so `JSON.stringify(model)` writes the file that
    /// `ChurnModel.fromJson` (and Rust and Python) read back.
    #[napi(js_name = "toJSON", catch_unwind, ts_return_type = "Record<string, unknown>")]
    pub fn to_json(&self, env: &Env) -> napi::Result<Value> {
        serde_json::to_value(self.inner.sealed())
            .map_err(|e| custfit::Error::Parse { what: "churn model".into(), reason: e.to_string() })
            .throw(env)
    }

    /// Saves atomically to a file.
    #[napi(catch_unwind, ts_args_type = "path: string")]
    pub fn save(&self, env: &Env, path: Unknown<'_>) -> napi::Result<()> {
        let run = || self.inner.save(arg::string(&path, "path")?);
        run().throw(env)
    }

    /// `'logistic'` or `'boosted_trees'`.
    #[napi(getter, ts_return_type = "'logistic' | 'boosted_trees'")]
    pub fn model_type(&self) -> String {
        match self.inner.model {
            churn::FittedModel::Logistic { .. } => "logistic".into(),
            churn::FittedModel::BoostedTrees { .. } => "boosted_trees".into(),
        }
    }

    /// Input feature (metric) names.
    #[napi(getter)]
    pub fn feature_names(&self) -> Vec<String> {
        self.inner.features.metrics.clone()
    }

    /// Names the model sees after preprocessing (correlated groups named by their members).
    #[napi(getter)]
    pub fn model_feature_names(&self) -> Vec<String> {
        self.inner.model_feature_names()
    }

    /// Churn probabilities of raw feature rows (in `featureNames` order; `null` or `NaN` =
    /// missing). A `Float64Array` holds the rows one after another (`featureNames.length` values
    /// each), is read without a JS value per cell, and gives a `Float64Array` back; an array of
    /// rows gives an array.
    #[napi(
        catch_unwind,
        ts_args_type = "x: Float64Array | Array<Array<number | null>>",
        ts_return_type = "Float64Array | Array<number>"
    )]
    pub fn predict(&self, env: &Env, x: Unknown<'_>) -> napi::Result<Either<Float64Array, Vec<f64>>> {
        let run = || match arg::matrix(&x, "x")? {
            // Rows one after another: the core checks that the length makes whole rows.
            Either::A(values) => Ok(Either::A(Float64Array::new(self.inner.predict(&values)?))),
            Either::B(rows) => {
                let (x, width) = matrix(rows)?;
                Ok(Either::B(self.inner.predict_matrix(&x, width)?))
            }
        };
        run().throw(env)
    }

    /// Probability, log-odds, bias and every feature's signed contribution for one row.
    #[napi(catch_unwind, ts_args_type = "row: Array<number | undefined | null>", ts_return_type = "Explanation")]
    pub fn explain(&self, env: &Env, row: Unknown<'_>) -> napi::Result<Value> {
        let run = || {
            let row: Vec<f64> = arg::optional_numbers(&row, "row")?.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect();
            json(&self.inner.explain(&row)?)
        };
        run().throw(env)
    }

    /// Logistic models: per feature `coefficient`, `odds_ratio`, `retention_impact_per_sd`;
    /// `null` for boosted trees.
    #[napi(catch_unwind, ts_return_type = "Array<CoefficientReport> | null")]
    pub fn coefficients(&self, env: &Env) -> napi::Result<Value> {
        json(&self.inner.coefficients()).throw(env)
    }

    /// ROC AUC, PR AUC, log loss, Brier, top-decile lift and calibration on a training set.
    #[napi(catch_unwind, ts_args_type = "trainingSet: TrainingSet", ts_return_type = "Evaluation")]
    pub fn evaluate(&self, env: &Env, training_set: Unknown<'_>) -> napi::Result<Value> {
        let run = || json(&self.inner.evaluate(&arg::instance::<TrainingSet>(&training_set, "trainingSet")?.inner)?);
        run().throw(env)
    }

    /// Ranked risk list as of `asOf`: every active account's probability, next renewal and `top`
    /// (default 3) drivers.
    #[napi(
        catch_unwind,
        ts_args_type = "dataset: Dataset, asOf: Date | string | number, top?: number",
        ts_return_type = "Array<RiskEntry>"
    )]
    pub fn forecast(&self, env: &Env, dataset: Unknown<'_>, as_of: Unknown<'_>, top: Option<Unknown<'_>>) -> napi::Result<Value> {
        let run = || {
            let dataset = arg::instance::<Dataset>(&dataset, "dataset")?;
            let t = timestamp_arg(&as_of, "asOf")?;
            let top = whole_u32(arg::optional_number(top.as_ref(), "top")?.unwrap_or(3.0), "top")?;
            json(&self.inner.forecast(&dataset.inner, t, top as usize)?)
        };
        run().throw(env)
    }
}

/// Rolling, time-ordered backtest over the last `folds` (default 3) observation dates.
#[napi(
    catch_unwind,
    ts_args_type = "trainingSet: TrainingSet, config?: object | string, folds?: number",
    ts_return_type = "ChurnBacktest"
)]
pub fn churn_backtest(
    env: &Env,
    training_set: Unknown<'_>,
    config: Option<Unknown<'_>>,
    folds: Option<Unknown<'_>>,
) -> napi::Result<Value> {
    let run = || {
        let training_set = arg::instance::<TrainingSet>(&training_set, "trainingSet")?;
        let cfg = model_config(config.as_ref())?;
        let folds = whole_u32(arg::optional_number(folds.as_ref(), "folds")?.unwrap_or(3.0), "folds")?;
        let set = &training_set.inner;
        json(&churn::backtest(set, &ChurnFeatures::new(&set.feature_names), &cfg, folds as usize)?)
    };
    run().throw(env)
}

/// Bare logistic regression with scikit-learn's objective: `{coefficients, intercept, iterations, converged}`.
#[napi(
    catch_unwind,
    ts_args_type = "x: Float64Array | Array<Array<number | null>>, y: Array<boolean>, config?: object | string",
    ts_return_type = "LogisticFit"
)]
pub fn fit_logistic(env: &Env, x: Unknown<'_>, y: Unknown<'_>, config: Option<Unknown<'_>>) -> napi::Result<Value> {
    let run = || {
        let x = arg::matrix(&x, "x")?;
        let y = arg::booleans(&y, "y")?;
        let cfg: LogisticConfig = part(config.as_ref(), "config")?;
        let (x, p) = match x {
            // Rows one after another: the width is the values per label.
            Either::A(values) => {
                if y.is_empty() || values.len() % y.len() != 0 {
                    return Err(invalid_argument("x", format!("{} values do not make {} rows", values.len(), y.len())));
                }
                let p = values.len() / y.len();
                (values.to_vec(), p)
            }
            Either::B(rows) => matrix(rows)?,
        };
        json(&LogisticModel::fit(&x, p, &y, &cfg)?)
    };
    run().throw(env)
}

/// Scores probabilities against outcomes: ROC AUC, PR AUC, log loss, Brier, lift, calibration.
#[napi(catch_unwind, ts_args_type = "probabilities: Array<number>, labels: Array<boolean>", ts_return_type = "Evaluation")]
pub fn evaluate_churn(env: &Env, probabilities: Unknown<'_>, labels: Unknown<'_>) -> napi::Result<Value> {
    let run = || {
        let probabilities = arg::numbers(&probabilities, "probabilities")?;
        let labels = arg::booleans(&labels, "labels")?;
        json(&churn::evaluate(&probabilities, &labels)?)
    };
    run().throw(env)
}

/// Learns a scorecard's weights from churn outcomes in `dataset` (config: `dates`, `horizon`,
/// `lead`, `churn`, `knownAt`, `snapshot`, `flags`, `logistic`, `holdoutShare`, `refitOnAll`).
/// Returns `{scorecard, weights, intercept, observations, churned, holdout_observations,
/// holdout_auc_before, holdout_auc_after, train_dates, holdout_dates, skipped_dates}`.
#[napi(
    catch_unwind,
    ts_args_type = "dataset: Dataset, scorecard: Scorecard | object | string, config: object | string",
    ts_return_type = "LearnedScorecard"
)]
pub fn learn_scorecard_weights(
    env: &Env,
    dataset: Unknown<'_>,
    scorecard: Unknown<'_>,
    config: Unknown<'_>,
) -> napi::Result<Value> {
    let run = || {
        let dataset = arg::instance::<Dataset>(&dataset, "dataset")?;
        let card = single_card_arg(env, &scorecard)?;
        let cfg: churn::WeightLearningConfig = document(&config, "config")?;
        json(&churn::learn_scorecard_weights(&dataset.inner, &card, &cfg)?)
    };
    run().throw(env)
}

/// Learns weights from measure points you already have: `points` rows × the scorecard's measures
/// (0–100, `null` = missing), `churned` per row. Returns `{scorecard, weights, intercept}`.
#[napi(
    catch_unwind,
    ts_args_type = "scorecard: Scorecard | object | string, points: Array<Array<number | null>>, churned: Array<boolean>, logistic?: object | string",
    ts_return_type = "LearnedWeights"
)]
pub fn learn_weights(
    env: &Env,
    scorecard: Unknown<'_>,
    points: Unknown<'_>,
    churned: Unknown<'_>,
    logistic: Option<Unknown<'_>>,
) -> napi::Result<Value> {
    let run = || {
        let card = single_card_arg(env, &scorecard)?;
        let points = arg::rows(&points, "points")?;
        let churned = arg::booleans(&churned, "churned")?;
        let cfg: LogisticConfig = part(logistic.as_ref(), "logistic")?;
        let points: Vec<Vec<Option<f64>>> =
            points.into_iter().map(|r| r.into_iter().map(|v| v.filter(|x| !x.is_nan())).collect()).collect();
        json(&churn::learn_weights(&card, &points, &churned, &cfg)?)
    };
    run().throw(env)
}
