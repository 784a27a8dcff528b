//! Churn: definitions, labels, leakage-free training sets, preprocessing, logistic regression,
//! boosted trees, evaluation, risk forecasts and the saved pipeline.
//!
//! The subscription-churn definition and outcome labels ([`churn_dates`], [`churn_labels`]) are
//! shared with the health backtest.

mod boosted;
mod definition;
mod label;
mod logistic;
mod preprocess;
mod training;

pub use boosted::{BoostedTrees, BoostedTreesConfig, Tree};
pub use definition::{
    activity_churn_dates, annual_to_monthly, choose_inactivity_window, monthly_to_annual, mrr_churn, ActivityChurn,
    InactivityWindowChoice, MrrChurn,
};
pub use label::{churn_dates, churn_labels, is_active, SubscriptionChurn};
pub use logistic::{sigmoid, ClassWeight, LogisticConfig, LogisticModel, Penalty, MIN_ROWS};
pub use preprocess::{FeatureGroup, FeatureTransform, Output, PreprocessConfig, Preprocessor};
pub use training::{
    build_training_set, observation_dates, ChurnFeatures, TrainingSet, TrainingSetConfig, DEFAULT_FEATURES,
    TRAINING_CONFIG_VERSION,
};
