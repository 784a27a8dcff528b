//! Churn models (`custfit::churn`): definitions, training sets, the fitted pipeline, evaluation
//! and the risk list. Configs and results cross as dicts (their JSON forms). Matrices cross as
//! NumPy arrays, read in place (a float64 C-contiguous array is not copied; anything else
//! `numpy.ascontiguousarray` accepts, a pandas DataFrame included, is converted once), or as
//! lists of rows; NaN or None is a missing value.

use custfit::churn::{
    self, ChurnFeatures, ChurnModel, ChurnModelConfig, LogisticConfig, LogisticModel, TrainingSet, TrainingSetConfig,
};
use numpy::{IntoPyArray, PyArrayMethods, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use crate::convert::Whole;
use crate::data::PyDataset;
use crate::document::{document, optional_document, optional_part};
use crate::error::{detach, guard, invalid_argument, IntoPyResult};
use crate::time::{timestamp_arg, to_datetime};
// results go back in their serde (JSON) form, the same way in every module
use crate::health::to_py as out;

/// Rows of numbers (None or NaN = missing) as a row-major vector and the width.
fn matrix(rows: Vec<Vec<Option<f64>>>) -> custfit::Result<(Vec<f64>, usize)> {
    let p = rows.first().map_or(0, Vec::len);
    if let Some(i) = rows.iter().position(|r| r.len() != p) {
        return Err(invalid_argument("x", format!("row {i} has {} values, row 0 has {p}", rows[i].len())));
    }
    Ok((rows.into_iter().flatten().map(|v| v.unwrap_or(f64::NAN)).collect(), p))
}

/// A matrix argument: a 2-D float64 NumPy array (read in place) or rows of numbers.
enum Matrix<'py> {
    Array(PyReadonlyArray2<'py, f64>),
    Rows(Vec<Vec<Option<f64>>>),
}

impl<'py> Matrix<'py> {
    fn from_py(obj: &Bound<'py, PyAny>) -> PyResult<Self> {
        if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
            return Ok(Matrix::Rows(obj.extract()?));
        }
        if !obj.hasattr("__array__")? {
            return Ok(Matrix::Rows(obj.extract()?));
        }
        // No copy for a float64 C-contiguous array; one conversion otherwise (ints, a DataFrame).
        let array = obj.py().import("numpy")?.call_method1("ascontiguousarray", (obj, "float64"))?;
        Ok(Matrix::Array(array.extract()?))
    }

    /// Runs `f` on the row-major values and the width, with the GIL released.
    fn with<T: Send>(self, py: Python<'_>, f: impl FnOnce(&[f64], usize) -> custfit::Result<T> + Send) -> PyResult<T> {
        match self {
            Matrix::Array(a) => {
                let width = a.shape().get(1).copied().unwrap_or(0);
                let values = a.as_slice().map_err(|e| invalid_argument("x", e.to_string())).py(py)?;
                detach(py, || f(values, width))
            }
            Matrix::Rows(rows) => detach(py, || {
                let (x, p) = matrix(rows)?;
                f(&x, p)
            }),
        }
    }

    fn is_array(&self) -> bool {
        matches!(self, Matrix::Array(_))
    }
}

fn model_config(py: Python<'_>, config: Option<&Bound<'_, PyAny>>) -> PyResult<ChurnModelConfig> {
    optional_document(py, config, "churn model config")
}

/// Rows for a churn model: features as of observation dates, labels = churned within a horizon.
#[pyclass(name = "TrainingSet", module = "custfit", frozen)]
pub struct PyTrainingSet {
    pub inner: TrainingSet,
}

#[pymethods]
impl PyTrainingSet {
    /// A training set from a matrix (a 2-D NumPy array or rows of numbers; NaN or None =
    /// missing) and 0/1 labels.
    #[staticmethod]
    fn from_matrix(py: Python<'_>, feature_names: Vec<String>, x: &Bound<'_, PyAny>, y: Vec<bool>) -> PyResult<Self> {
        let inner = Matrix::from_py(x)?.with(py, |x, _| TrainingSet::from_matrix(feature_names, x.to_vec(), y))?;
        Ok(PyTrainingSet { inner })
    }

    /// Feature names, in column order.
    #[getter]
    fn feature_names(&self) -> Vec<String> {
        self.inner.feature_names.clone()
    }

    /// Feature rows as a 2-D float64 NumPy array (NaN = missing), one column per feature.
    #[getter]
    fn x<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let shape = [self.inner.y.len(), self.inner.width()];
        Ok(self.inner.x.clone().into_pyarray(py).reshape(shape)?.into_any())
    }

    /// Labels as a NumPy bool array.
    #[getter]
    fn y<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        self.inner.y.clone().into_pyarray(py).into_any()
    }

    /// Account of each row.
    #[getter]
    fn account_ids(&self) -> Vec<String> {
        self.inner.account_ids.clone()
    }

    /// Observation date of each row (UTC datetimes).
    #[getter]
    fn observed_at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let items = self.inner.observed_at.iter().map(|t| to_datetime(py, *t)).collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, items)
    }

    /// Share of churned rows.
    #[getter]
    fn churn_rate(&self) -> f64 {
        self.inner.churn_rate()
    }

    /// Time-ordered hold-out: the last ``test_share`` of observation dates are the test part;
    /// training rows' label windows end before it. Returns ``(train, test)``.
    fn time_split(&self, py: Python<'_>, test_share: f64) -> PyResult<(Self, Self)> {
        let (a, b) = guard(py, || self.inner.time_split(test_share))?;
        Ok((PyTrainingSet { inner: a }, PyTrainingSet { inner: b }))
    }

    /// Split at an instant: test = rows observed at or after it; train = rows whose label window
    /// ended by it.
    fn split_at(&self, cutoff: &Bound<'_, PyAny>) -> PyResult<(Self, Self)> {
        let (a, b) = self.inner.split_at(timestamp_arg(cutoff, "cutoff")?);
        Ok((PyTrainingSet { inner: a }, PyTrainingSet { inner: b }))
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "TrainingSet(rows={}, features={}, churn_rate={:.4})",
            self.inner.len(),
            self.inner.width(),
            self.inner.churn_rate()
        )
    }
}

/// Builds a leakage-free training set. ``config`` is a TrainingSetConfig (dict or JSON);
/// ``known_at`` (default: the data's end, ``Dataset.data_end``; a later instant is refused) bounds
/// what labels may use. Releases the GIL.
#[pyfunction]
#[pyo3(signature = (dataset, config=None, known_at=None))]
pub fn build_training_set(
    py: Python<'_>,
    dataset: PyRef<'_, PyDataset>,
    config: Option<&Bound<'_, PyAny>>,
    known_at: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyTrainingSet> {
    let cfg: TrainingSetConfig = optional_document(py, config, "training set config")?;
    let ds = &dataset.inner;
    let known = match known_at.filter(|k| !k.is_none()) {
        Some(k) => Some(timestamp_arg(k, "known_at")?),
        None => None,
    };
    let inner = detach(py, || churn::build_training_set(ds, &cfg, known))?;
    Ok(PyTrainingSet { inner })
}

/// A fitted churn pipeline: feature definitions, preprocessing and model; saves to versioned JSON
/// that loads in Rust, Python and Node with identical predictions.
#[pyclass(name = "ChurnModel", module = "custfit", frozen)]
pub struct PyChurnModel {
    pub inner: ChurnModel,
}

#[pymethods]
impl PyChurnModel {
    /// Fits on a training set. ``config`` is a ChurnModelConfig (dict or JSON), e.g.
    /// ``{"model": {"type": "boosted_trees"}}``; default: standardised logistic regression.
    /// ``features`` (a ChurnFeatures dict) is needed only when the set was not built from the
    /// default snapshot config. Releases the GIL.
    #[staticmethod]
    #[pyo3(signature = (training_set, config=None, features=None))]
    fn fit(
        py: Python<'_>,
        training_set: &PyTrainingSet,
        config: Option<&Bound<'_, PyAny>>,
        features: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let cfg = model_config(py, config)?;
        let features = match features.filter(|f| !f.is_none()) {
            Some(_) => optional_part::<ChurnFeatures>(py, features, "features")?,
            None => ChurnFeatures::new(&training_set.inner.feature_names),
        };
        let set = &training_set.inner;
        let inner = detach(py, || ChurnModel::fit(set, &features, &cfg))?;
        Ok(PyChurnModel { inner })
    }

    /// Loads a saved model from JSON text.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<Self> {
        Ok(PyChurnModel { inner: guard(py, || ChurnModel::from_json(text))? })
    }

    /// Loads a saved model from a file.
    #[staticmethod]
    fn load(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        Ok(PyChurnModel { inner: guard(py, || ChurnModel::load(&path))? })
    }

    /// The model as versioned JSON text.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// Saves atomically to a file.
    fn save(&self, py: Python<'_>, path: std::path::PathBuf) -> PyResult<()> {
        guard(py, || self.inner.save(&path))
    }

    /// ``"logistic"`` or ``"boosted_trees"``.
    #[getter]
    fn model_type(&self) -> &'static str {
        match self.inner.model {
            churn::FittedModel::Logistic { .. } => "logistic",
            churn::FittedModel::BoostedTrees { .. } => "boosted_trees",
        }
    }

    /// Input feature (metric) names.
    #[getter]
    fn feature_names(&self) -> Vec<String> {
        self.inner.features.metrics.clone()
    }

    /// Names the model sees after preprocessing (correlated groups named by their members).
    #[getter]
    fn model_feature_names(&self) -> Vec<String> {
        self.inner.model_feature_names()
    }

    /// Churn probabilities of raw feature rows (in ``feature_names`` order; NaN or None =
    /// missing): a NumPy array for a NumPy (or DataFrame) input, read in place; a list for a list
    /// of rows. Releases the GIL.
    fn predict<'py>(&self, py: Python<'py>, x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let model = &self.inner;
        let m = Matrix::from_py(x)?;
        let array = m.is_array();
        let p = m.with(py, |x, width| model.predict_matrix(x, width))?;
        Ok(if array { p.into_pyarray(py).into_any() } else { PyList::new(py, p)?.into_any() })
    }

    /// Probability, log-odds, bias and every feature's signed contribution for one row.
    fn explain<'py>(&self, py: Python<'py>, row: Vec<Option<f64>>) -> PyResult<Bound<'py, PyAny>> {
        let e = guard(py, || self.inner.explain(&row.iter().map(|v| v.unwrap_or(f64::NAN)).collect::<Vec<_>>()))?;
        out(py, &e)
    }

    /// Logistic models: per feature ``coefficient``, ``odds_ratio`` and
    /// ``retention_impact_per_sd``; None for boosted trees.
    fn coefficients<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        out(py, &self.inner.coefficients())
    }

    /// ROC AUC, PR AUC, log loss, Brier, top-decile lift and calibration on a training set.
    fn evaluate<'py>(&self, py: Python<'py>, training_set: &PyTrainingSet) -> PyResult<Bound<'py, PyAny>> {
        let model = &self.inner;
        let set = &training_set.inner;
        let e = detach(py, || model.evaluate(set))?;
        out(py, &e)
    }

    /// The ranked risk list as of ``as_of``: every active account's churn probability, next
    /// renewal (``opportunity_at``) and ``top`` drivers. Releases the GIL.
    #[pyo3(signature = (dataset, as_of, top=Whole::of(3)), text_signature = "($self, dataset, as_of, top=3)")]
    fn forecast<'py>(
        &self,
        py: Python<'py>,
        dataset: PyRef<'_, PyDataset>,
        as_of: &Bound<'py, PyAny>,
        top: Whole,
    ) -> PyResult<Bound<'py, PyAny>> {
        let as_of = timestamp_arg(as_of, "as_of")?;
        let top = top.to_usize("top").py(py)?;
        let model = &self.inner;
        let ds = &dataset.inner;
        let r = detach(py, || model.forecast(ds, as_of, top))?;
        out(py, &r)
    }

    fn __repr__(&self) -> String {
        format!(
            "ChurnModel(type={}, features={}, observations={})",
            self.model_type(),
            self.inner.features.metrics.len(),
            self.inner.training.observations
        )
    }
}

/// Rolling, time-ordered backtest over the last ``folds`` observation dates. Releases the GIL.
#[pyfunction]
#[pyo3(signature = (training_set, config=None, folds=Whole::of(3)), text_signature = "(training_set, config=None, folds=3)")]
pub fn churn_backtest<'py>(
    py: Python<'py>,
    training_set: &PyTrainingSet,
    config: Option<&Bound<'py, PyAny>>,
    folds: Whole,
) -> PyResult<Bound<'py, PyAny>> {
    let folds = folds.to_usize("folds").py(py)?;
    let cfg = model_config(py, config)?;
    let set = &training_set.inner;
    let features = ChurnFeatures::new(&set.feature_names);
    let b = detach(py, || churn::backtest(set, &features, &cfg, folds))?;
    out(py, &b)
}

/// Fits a bare logistic regression (scikit-learn's objective) on rows and 0/1 labels:
/// ``{"coefficients", "intercept", "iterations", "converged"}``.
#[pyfunction]
#[pyo3(signature = (x, y, config=None))]
pub fn fit_logistic<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    y: Vec<bool>,
    config: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let cfg: LogisticConfig = optional_part(py, config, "logistic config")?;
    let m = Matrix::from_py(x)?.with(py, |x, p| LogisticModel::fit(x, p, &y, &cfg))?;
    out(py, &m)
}

/// Scores probabilities against 0/1 outcomes: ROC AUC, PR AUC, log loss, Brier, lift, calibration.
#[pyfunction]
pub fn evaluate_churn<'py>(py: Python<'py>, probabilities: Vec<f64>, labels: Vec<bool>) -> PyResult<Bound<'py, PyAny>> {
    let e = guard(py, || churn::evaluate(&probabilities, &labels))?;
    out(py, &e)
}

/// A Scorecard or a scorecard document (a ScorecardSet has no single set of weights to learn).
fn scorecard_arg(py: Python<'_>, scorecard: &Bound<'_, PyAny>) -> PyResult<custfit::health::Scorecard> {
    if let Ok(c) = scorecard.cast::<crate::health::PyScorecard>() {
        return Ok(c.get().inner.clone());
    }
    if scorecard.is_instance_of::<crate::health::PyScorecardSet>() {
        let e = invalid_argument("scorecard", "expected a Scorecard or a scorecard document, got a ScorecardSet");
        return Err(e).py(py);
    }
    document(py, scorecard, "scorecard")
}

/// Learns a scorecard's weights from churn outcomes in ``dataset`` (config: ``dates``,
/// ``horizon``, ``lead``, ``churn``, ``known_at``, ``snapshot``, ``flags``, ``logistic``,
/// ``holdout_share``, ``refit_on_all``). Returns ``{"scorecard", "weights", "intercept",
/// "observations", "churned", "holdout_observations", "holdout_auc_before",
/// "holdout_auc_after", "train_dates", "holdout_dates", "skipped_dates"}``. Releases the GIL.
#[pyfunction]
pub fn learn_scorecard_weights<'py>(
    py: Python<'py>,
    dataset: PyRef<'_, PyDataset>,
    scorecard: &Bound<'py, PyAny>,
    config: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let card = scorecard_arg(py, scorecard)?;
    let cfg: churn::WeightLearningConfig = document(py, config, "weight learning config")?;
    let ds = &dataset.inner;
    let learned = detach(py, || churn::learn_scorecard_weights(ds, &card, &cfg))?;
    out(py, &learned)
}

/// Learns weights from measure points you already have: ``points`` rows × the scorecard's
/// measures (0–100, None = missing), ``churned`` 0/1 per row. Returns ``{"scorecard",
/// "weights", "intercept"}``.
#[pyfunction]
#[pyo3(signature = (scorecard, points, churned, logistic=None))]
pub fn learn_weights<'py>(
    py: Python<'py>,
    scorecard: &Bound<'py, PyAny>,
    points: Vec<Vec<Option<f64>>>,
    churned: Vec<bool>,
    logistic: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let card = scorecard_arg(py, scorecard)?;
    let cfg: LogisticConfig = optional_part(py, logistic, "logistic config")?;
    let points: Vec<Vec<Option<f64>>> =
        points.into_iter().map(|r| r.into_iter().map(|v| v.filter(|x| !x.is_nan())).collect()).collect();
    let learned = detach(py, || churn::learn_weights(&card, &points, &churned, &cfg))?;
    out(py, &learned)
}
