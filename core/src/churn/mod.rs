//! Churn: definitions, labels, leakage-free training sets, preprocessing, logistic regression,
//! boosted trees, evaluation, risk forecasts, the saved pipeline, and scorecard weights learned
//! from outcomes ([`learn_scorecard_weights`]).
//!
//! The churn definitions and outcome labels ([`churn_dates`], [`churn_labels`], activity and
//! MRR churn) live in [`crate::outcome`], below both churn and health; they are re-exported here.
//!
//! ```
//! use custfit::churn::{build_training_set, ChurnFeatures, ChurnModel, ChurnModelConfig, ModelConfig, TrainingSetConfig};
//! use custfit::{Simulation, SimulationConfig, Window};
//!
//! let sim = Simulation::generate(&SimulationConfig::default().with_accounts(150).with_days(240).with_activity_scale(0.3))?;
//! let features = ChurnFeatures::new(&["active_days_30d", "usage_trend_30d", "days_to_renewal", "pricing_page_views_30d"]);
//! let config = TrainingSetConfig::default().with_features(features.clone()).with_horizon(Window::days(60));
//! let set = build_training_set(&sim.dataset, &config, Some(sim.end))?;
//! let (train, test) = set.time_split(0.25)?;
//! let model = ChurnModel::fit(&train, &features, &ChurnModelConfig::new(ModelConfig::logistic()))?;
//! let scores = model.evaluate(&test)?;
//! assert!(scores.roc_auc > 0.5);
//! let risk = model.forecast(&sim.dataset, sim.end, 3)?;
//! assert_eq!(risk[0].rank, 1);
//! let again = ChurnModel::from_json(&model.to_json())?;
//! assert_eq!(again.predict(&test.x)?, model.predict(&test.x)?);
//! # Ok::<(), custfit::Error>(())
//! ```

mod boosted;
mod evaluate;
mod logistic;
mod model;
mod preprocess;
mod training;
mod weights;

pub use crate::outcome::{
    activity_churn_dates, annual_to_monthly, choose_inactivity_window, monthly_to_annual, mrr_churn, ActivityChurn,
    InactivityWindowChoice, MrrChurn,
};
pub use crate::outcome::{churn_dates, churn_labels, is_active, SubscriptionChurn};
pub use boosted::{BoostedTrees, BoostedTreesConfig, Tree};
pub use evaluate::{brier_score, calibration_table, evaluate, lift, log_loss, pr_auc, roc_auc, CalibrationBin, Evaluation};
pub use logistic::{sigmoid, ClassWeight, LogisticConfig, LogisticModel, Penalty, MIN_ROWS};
pub use model::{
    backtest, Backtest, BacktestFold, ChurnModel, ChurnModelConfig, CoefficientReport, Driver, Explanation, FittedModel,
    ModelConfig, RiskEntry, TrainingSummary, CHURN_MODEL_VERSION,
};
pub use preprocess::{FeatureGroup, FeatureTransform, Output, PreprocessConfig, Preprocessor};
pub use training::{
    build_training_set, observation_dates, ChurnFeatures, TrainingSet, TrainingSetConfig, DEFAULT_FEATURES,
    TRAINING_CONFIG_VERSION,
};
pub use weights::{
    learn_scorecard_weights, learn_weights, measure_shares, LearnedScorecard, LearnedWeight, LearnedWeights,
    WeightLearningConfig, WeightStatus, WEIGHT_LEARNING_VERSION,
};
