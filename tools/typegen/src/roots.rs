//! The result and document types whose shapes the bindings publish, in the order the generated
//! files list them (by module). Adding a result type to a binding means adding it here.

use custfit::{activity, churn, data, health, io, outcome, segment, sim, time};
use schemars::SchemaGenerator;

/// Registers every published type with `g` (each becomes a definition named by its schema
/// name) and returns those names in the order above.
pub fn register(g: &mut SchemaGenerator) -> Vec<String> {
    let mut names = Vec::new();
    macro_rules! roots {
        ($($t:ty),* $(,)?) => { $( names.push(<$t as schemars::JsonSchema>::schema_name().into_owned()); let _ = g.subschema_for::<$t>(); )* };
    }
    roots!(
        // data
        data::IngestReport,
        data::RejectedRow,
        data::MemoryUsage,
        data::Account,
        data::User,
        data::Subscription,
        data::Event,
        data::Money,
        data::AttributeValue,
        data::PropertyValue,
        data::MetricInfo,
        data::DataType,
        time::TimeUnit,
        time::Window,
        io::LoadReport,
        // activity
        activity::DailyActivity,
        activity::GoalProgress,
        // sim
        sim::SimulationConfig,
        sim::AccountTruth,
        // outcome
        outcome::MrrChurn,
        outcome::InactivityWindowChoice,
        // churn
        churn::Driver,
        churn::Explanation,
        churn::CoefficientReport,
        churn::CalibrationBin,
        churn::Evaluation,
        churn::RiskEntry,
        churn::Backtest,
        churn::LogisticModel,
        churn::LearnedWeights,
        churn::LearnedScorecard,
        // health
        health::Scorecard,
        health::ScorecardSet,
        health::AccountHealth,
        health::ScoreChange,
        health::Rollup,
        health::BacktestReport,
        health::HistoryPoint,
        health::AccountFlags,
        // segment
        segment::SegmentAssignment,
        segment::ParetoTiers,
        segment::QuantileBuckets,
        segment::RfmScores,
        segment::Clustering,
        segment::CapacityPlan,
    );
    names
}
