//! The result and document types whose shapes the bindings publish, in the order the generated
//! files list them (by module). Adding a result type to a binding means adding it here.

use custfit::{activity, churn, data, effectiveness, experiment, health, io, lifecycle, outcome, play, segment, sim, time};
use schemars::SchemaGenerator;
use serde_json::{Map, Value};

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
        segment::RuleSegmentation,
        // play
        play::Playbook,
        play::PlayState,
        play::PlayRun,
        play::FrameRecipe,
        play::DryRunConfig,
        play::PlayOutcome,
        play::DryRun,
        // experiment
        sim::Treatment,
        experiment::SampleRatioCheck,
        experiment::SampleSize,
        experiment::PowerPlanConfig,
        experiment::PlannedOutcome,
        experiment::PlayPower,
        experiment::ArmSummary,
        experiment::Effect,
        experiment::SequentialInterval,
        experiment::CupedEffect,
        experiment::KaplanMeier,
        experiment::LogRank,
        experiment::AnalysisConfig,
        experiment::Observation,
        experiment::ExperimentReport,
        experiment::SimulatedExperiment,
        experiment::SimulatedExperimentResult,
        // lifecycle
        lifecycle::Period,
        lifecycle::Bucket,
        lifecycle::LifecycleConfig,
        lifecycle::GrowthPeriod,
        lifecycle::GrowthAccounting,
        lifecycle::CohortStart,
        lifecycle::CohortMeasure,
        lifecycle::CohortConfig,
        lifecycle::CohortRow,
        lifecycle::RetentionCohorts,
        lifecycle::JourneyStart,
        lifecycle::MomentAnchor,
        lifecycle::MomentDef,
        lifecycle::CadenceDef,
        lifecycle::MomentsConfig,
        lifecycle::MomentStatus,
        lifecycle::MomentProgress,
        lifecycle::CadenceProgress,
        lifecycle::Journey,
        lifecycle::MomentSummary,
        lifecycle::EngagementMoments,
        lifecycle::PhaseTransition,
        lifecycle::PhaseHistory,
        // effectiveness
        effectiveness::Behaviour,
        effectiveness::MaturityPhase,
        effectiveness::MaturityModel,
        effectiveness::BehaviourBenchmark,
        effectiveness::PlanStep,
        effectiveness::AccountMaturity,
        effectiveness::MaturityAssessment,
        effectiveness::TrackingPolicy,
        effectiveness::ImprovementPlan,
        effectiveness::PlanActual,
        effectiveness::PlanProgress,
        effectiveness::PlanCheck,
        effectiveness::PlanTracker,
    );
    names
}

/// Published names that differ from the core's schema names: documents whose class the bindings
/// also export under the Rust name (a `Playbook` class whose `to_dict()` is a
/// `PlaybookDocument`), as `ScorecardDocument` is named by a `schemars(rename)` in the core.
/// A name the schemas no longer hold (the core took the rename over) is left alone.
/// `GrowthAccounting`, `EngagementMoments` and `MaturityAssessment` (results, not configs) are
/// renamed the same way:
/// the class of that name holds it, and `to_dict()` / `toJSON()` give the document.
/// `SnapshotConfig` is renamed because Node declares its own `SnapshotConfig` interface (the
/// options object `snapshot` reads, with doc comments per metric kind).
pub const RENAMES: &[(&str, &str)] = &[
    ("Playbook", "PlaybookDocument"),
    ("PlayState", "PlayStateDocument"),
    ("ChurnModel", "ChurnModelDocument"),
    ("SnapshotConfig", "SnapshotConfigDocument"),
    ("GrowthAccounting", "GrowthAccountingDocument"),
    ("EngagementMoments", "EngagementMomentsDocument"),
    ("MaturityAssessment", "MaturityAssessmentDocument"),
    ("PlanTracker", "PlanTrackerDocument"),
    ("PlanCheck", "PlanCheckDocument"),
];

/// Applies [`RENAMES`] to the definitions, every `$ref` to them, and the root names.
pub fn rename(defs: &mut Map<String, Value>, roots: &mut [String]) {
    fn refs(v: &mut Value, from: &str, to: &str) {
        match v {
            Value::Object(map) => {
                for (k, x) in map.iter_mut() {
                    match x {
                        Value::String(s) if k == "$ref" && s.strip_prefix("#/$defs/") == Some(from) => {
                            *s = format!("#/$defs/{to}")
                        }
                        _ => refs(x, from, to),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|x| refs(x, from, to)),
            _ => {}
        }
    }
    for (from, to) in RENAMES {
        let Some(def) = defs.remove(*from) else { continue };
        defs.insert((*to).to_string(), def);
        for v in defs.values_mut() {
            refs(v, from, to);
        }
        for r in roots.iter_mut().filter(|r| r.as_str() == *from) {
            *r = (*to).to_string();
        }
    }
}
