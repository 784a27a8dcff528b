//! TypeScript shapes of the plain-object results. The functions return the core's serde form
//! (snake_case keys, instants as ISO strings, `null` for a missing value), converted by
//! `serde_json::Value`; the structs here only declare that form to `index.d.ts` (they name it in
//! `ts_return_type`) and are never built. `use_nullable` makes an `Option` field `T | null`, as
//! serde writes it; without it an `Option` field is `field?: T`, for keys serde leaves out.

use napi_derive::napi;

// ---- churn ----------------------------------------------------------------------------------

/// One feature's signed contribution to one prediction, in log-odds.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct Driver {
    /// Feature or group name.
    pub feature: String,
    /// Raw input value (`null` for groups and missing values).
    pub value: Option<f64>,
    /// Value after preprocessing.
    pub transformed: f64,
    /// Contribution to the churn log-odds (positive raises risk).
    pub contribution: f64,
}

/// A prediction with its explanation (`ChurnModel.explain`).
#[napi(object, object_from_js = false)]
pub struct Explanation {
    /// Probability of churn within the horizon.
    pub probability: f64,
    /// Log-odds of churn: `bias + Σ contributions`.
    #[napi(js_name = "log_odds")]
    pub log_odds: f64,
    /// The part of the log-odds not attributed to a feature.
    pub bias: f64,
    /// Every feature's contribution, largest absolute first.
    pub drivers: Vec<Driver>,
}

/// A coefficient of a logistic churn model, on the standardised scale.
#[napi(object, object_from_js = false)]
pub struct CoefficientReport {
    /// Feature or group name.
    pub feature: String,
    /// Change in churn log-odds per +1 standard deviation.
    pub coefficient: f64,
    /// Churn odds multiplier per +1 standard deviation.
    #[napi(js_name = "odds_ratio")]
    pub odds_ratio: f64,
    /// Change in retention probability when the feature moves +1 standard deviation.
    #[napi(js_name = "retention_impact_per_sd")]
    pub retention_impact_per_sd: f64,
}

/// One row of a calibration table: predictions in `[lower, upper)` (the last bin includes 1).
#[napi(object, object_from_js = false)]
pub struct CalibrationBin {
    pub lower: f64,
    pub upper: f64,
    /// Rows in the bin.
    pub count: u32,
    /// Mean predicted probability (0 when empty).
    #[napi(js_name = "mean_predicted")]
    pub mean_predicted: f64,
    /// Observed churn rate (0 when empty).
    #[napi(js_name = "observed_rate")]
    pub observed_rate: f64,
}

/// Scores of churn probabilities against outcomes.
#[napi(object, object_from_js = false)]
pub struct Evaluation {
    /// Rows scored.
    pub rows: u32,
    /// Churned rows.
    pub positives: u32,
    #[napi(js_name = "roc_auc")]
    pub roc_auc: f64,
    /// Average precision.
    #[napi(js_name = "pr_auc")]
    pub pr_auc: f64,
    #[napi(js_name = "log_loss")]
    pub log_loss: f64,
    pub brier: f64,
    #[napi(js_name = "top_decile_lift")]
    pub top_decile_lift: f64,
    /// Expected calibration error.
    #[napi(js_name = "calibration_error")]
    pub calibration_error: f64,
    /// Ten equal-width bins of predicted probability.
    pub calibration: Vec<CalibrationBin>,
}

/// One line of the risk list (`ChurnModel.forecast`).
#[napi(object, object_from_js = false)]
pub struct RiskEntry {
    /// 1 = highest risk.
    pub rank: u32,
    #[napi(js_name = "account_id")]
    pub account_id: String,
    /// Probability of churn within the model's horizon (after its lead).
    pub probability: f64,
    /// The next renewal, or `as_of + lead + horizon` without one (ISO string).
    #[napi(js_name = "opportunity_at")]
    pub opportunity_at: String,
    /// Whether `opportunity_at` is a contract renewal.
    pub renewal: bool,
    /// MRR in force (minor units).
    #[napi(js_name = "mrr_minor")]
    pub mrr_minor: i64,
    /// Top drivers, largest absolute contribution first.
    pub drivers: Vec<Driver>,
}

/// One fold of a rolling churn backtest.
#[napi(object, object_from_js = false)]
pub struct BacktestFold {
    /// The test observation date (ISO string).
    pub cutoff: String,
    #[napi(js_name = "train_rows")]
    pub train_rows: u32,
    #[napi(js_name = "test_rows")]
    pub test_rows: u32,
    /// Scores on the test rows.
    pub evaluation: Evaluation,
}

/// A rolling, time-ordered churn backtest (`churnBacktest`).
#[napi(object, object_from_js = false)]
pub struct ChurnBacktest {
    /// Folds in time order.
    pub folds: Vec<BacktestFold>,
    /// Scores over all test rows pooled.
    pub pooled: Evaluation,
}

/// A fitted logistic regression (`fitLogistic`).
#[napi(object, object_from_js = false)]
pub struct LogisticFit {
    /// One coefficient per input column.
    pub coefficients: Vec<f64>,
    pub intercept: f64,
    /// Newton iterations used.
    pub iterations: u32,
    /// Whether the step tolerance was reached.
    pub converged: bool,
}

/// MRR churn over a period (`mrrChurn`; amounts in minor units).
#[napi(object, object_from_js = false)]
pub struct MrrChurn {
    #[napi(js_name = "starting_mrr_minor")]
    pub starting_mrr_minor: i64,
    #[napi(js_name = "churned_mrr_minor")]
    pub churned_mrr_minor: i64,
    #[napi(js_name = "downgraded_mrr_minor")]
    pub downgraded_mrr_minor: i64,
    #[napi(js_name = "starting_accounts")]
    pub starting_accounts: u32,
    #[napi(js_name = "churned_accounts")]
    pub churned_accounts: u32,
    #[napi(js_name = "mrr_churn_rate")]
    pub mrr_churn_rate: f64,
    #[napi(js_name = "logo_churn_rate")]
    pub logo_churn_rate: f64,
}

/// A trailing window such as 30 days.
#[napi(object, object_from_js = false)]
pub struct Window {
    pub amount: u32,
    #[napi(ts_type = "'days' | 'weeks' | 'months'")]
    pub unit: String,
}

/// What `chooseInactivityWindow` found.
#[napi(object, object_from_js = false)]
pub struct InactivityWindowChoice {
    /// The chosen window (whole days).
    pub window: Window,
    /// Share of observed returns within the window.
    #[napi(js_name = "share_covered")]
    pub share_covered: f64,
    /// Returns after a gap observed.
    #[napi(js_name = "returns_observed")]
    pub returns_observed: u32,
}

/// One measure's learned weight.
#[napi(object, object_from_js = false)]
pub struct LearnedWeight {
    /// Measure name.
    pub measure: String,
    /// Effective share of the score before (group weights folded in).
    #[napi(js_name = "share_before")]
    pub share_before: f64,
    #[napi(js_name = "share_after")]
    pub share_after: f64,
    #[napi(js_name = "coefficient_per_10_points")]
    pub coefficient_per_10_points: f64,
    #[napi(js_name = "odds_ratio_per_10_points")]
    pub odds_ratio_per_10_points: f64,
    /// Why the measure got its weight.
    #[napi(ts_type = "'used' | 'wrong_sign' | 'constant' | 'no_data'")]
    pub status: String,
}

/// A scorecard with learned weights and the evidence behind them (`learnScorecardWeights`).
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct LearnedScorecard {
    /// The input scorecard with new weights.
    pub scorecard: ScorecardDocument,
    /// One entry per measure, in the scorecard's order.
    pub weights: Vec<LearnedWeight>,
    pub intercept: f64,
    pub observations: f64,
    pub churned: f64,
    #[napi(js_name = "holdout_observations")]
    pub holdout_observations: f64,
    #[napi(js_name = "holdout_auc_before")]
    pub holdout_auc_before: Option<f64>,
    #[napi(js_name = "holdout_auc_after")]
    pub holdout_auc_after: Option<f64>,
    /// ISO strings.
    #[napi(js_name = "train_dates")]
    pub train_dates: Vec<String>,
    #[napi(js_name = "holdout_dates")]
    pub holdout_dates: Vec<String>,
    #[napi(js_name = "skipped_dates")]
    pub skipped_dates: Vec<String>,
}

/// Weights learned from measure points (`learnWeights`).
#[napi(object, object_from_js = false)]
pub struct LearnedWeights {
    pub scorecard: ScorecardDocument,
    pub weights: Vec<LearnedWeight>,
    pub intercept: f64,
}

// ---- health: documents ------------------------------------------------------------------------

/// A scoring tier: values in `[min, max)` (bounds as the flags say) earn `points`.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct Tier {
    pub min: Option<f64>,
    #[napi(js_name = "min_inclusive")]
    pub min_inclusive: bool,
    pub max: Option<f64>,
    #[napi(js_name = "max_inclusive")]
    pub max_inclusive: bool,
    pub points: f64,
}

/// One scored measure of a scorecard document.
#[napi(object, object_from_js = false)]
pub struct MeasureDocument {
    pub name: String,
    /// The snapshot column scored.
    pub metric: String,
    /// Weight within its group (left out when 1).
    pub weight: Option<f64>,
    #[napi(ts_type = "'higher_is_better' | 'lower_is_better'")]
    pub direction: String,
    /// How the value becomes points.
    #[napi(
        ts_type = "{ type: 'tiers'; tiers: Array<Tier> } | { type: 'ramp'; low: number; high: number } | { type: 'percentile'; peers: { type: 'all' } | { type: 'column'; column: string } | { type: 'bins'; column: string; edges: Array<number> } }"
    )]
    pub scoring: String,
    /// Missing-value policy.
    #[napi(ts_type = "{ type: 'renormalize' } | { type: 'worst' } | { type: 'default'; points: number }")]
    pub missing: String,
    /// The measure's group (left out without one).
    pub group: Option<String>,
}

/// A group of measures with its own weight.
#[napi(object, object_from_js = false)]
pub struct MeasureGroup {
    pub name: String,
    pub weight: f64,
}

/// A named score range `[min, max)` (the band reaching 100 holds 100).
#[napi(object, object_from_js = false)]
pub struct Band {
    pub name: String,
    pub color: String,
    pub min: f64,
    pub max: f64,
}

/// Points taken off when a boolean column is true.
#[napi(object, object_from_js = false)]
pub struct PenaltyDocument {
    pub column: String,
    pub points: f64,
}

/// A manual score in force until `expires_at` (ISO strings).
#[napi(object, object_from_js = false)]
pub struct OverrideDocument {
    #[napi(js_name = "account_id")]
    pub account_id: String,
    pub score: f64,
    pub reason: String,
    #[napi(js_name = "set_by")]
    pub set_by: Option<String>,
    #[napi(js_name = "set_at")]
    pub set_at: Option<String>,
    #[napi(js_name = "expires_at")]
    pub expires_at: String,
}

/// A scorecard document (`Scorecard.toJSON()`); empty lists are left out.
#[napi(object, object_from_js = false)]
pub struct ScorecardDocument {
    pub version: u32,
    pub name: String,
    pub measures: Vec<MeasureDocument>,
    pub groups: Option<Vec<MeasureGroup>>,
    pub bands: Vec<Band>,
    pub penalties: Option<Vec<PenaltyDocument>>,
    pub overrides: Option<Vec<OverrideDocument>>,
}

/// A scorecard chosen by values of the selecting column.
#[napi(object, object_from_js = false)]
pub struct ScorecardCase {
    pub values: Vec<String>,
    pub scorecard: ScorecardDocument,
}

/// A scorecard set document (`ScorecardSet.toJSON()`).
#[napi(object, object_from_js = false)]
pub struct ScorecardSetDocument {
    pub version: u32,
    /// The selecting column.
    pub column: String,
    pub cases: Vec<ScorecardCase>,
    pub default: ScorecardDocument,
}

// ---- health: backtest and flags -------------------------------------------------------------

/// Churn within one band.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct BandOutcome {
    pub band: String,
    pub color: String,
    pub observations: f64,
    pub churned: f64,
    #[napi(js_name = "churn_rate")]
    pub churn_rate: Option<f64>,
    /// Wilson 95% interval.
    #[napi(js_name = "ci_low")]
    pub ci_low: Option<f64>,
    #[napi(js_name = "ci_high")]
    pub ci_high: Option<f64>,
}

/// Outcomes of one observation date.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct DateOutcome {
    /// ISO string.
    #[napi(js_name = "as_of")]
    pub as_of: String,
    pub observations: f64,
    pub churned: f64,
    #[napi(js_name = "roc_auc")]
    pub roc_auc: Option<f64>,
}

/// Band-to-band moves between consecutive dates: `counts[from][to]`.
#[napi(object, object_from_js = false)]
pub struct TransitionMatrix {
    pub bands: Vec<String>,
    pub counts: Vec<Vec<f64>>,
}

/// A health-score backtest (`backtest`, `backtestAsync`).
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct BacktestReport {
    pub observations: f64,
    pub churned: f64,
    /// ROC AUC of the score for churn over all account-dates (`null` with one class).
    #[napi(js_name = "roc_auc")]
    pub roc_auc: Option<f64>,
    pub bands: Vec<BandOutcome>,
    pub dates: Vec<DateOutcome>,
    pub transitions: TransitionMatrix,
    /// ISO strings.
    #[napi(js_name = "skipped_dates")]
    pub skipped_dates: Vec<String>,
}

/// An extraction burst: one day far above the account's baseline.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct BurstFlag {
    pub flagged: bool,
    #[napi(js_name = "max_day_events")]
    pub max_day_events: u32,
    /// ISO string.
    pub day: Option<String>,
    #[napi(js_name = "baseline_median")]
    pub baseline_median: Option<f64>,
    #[napi(js_name = "baseline_p90")]
    pub baseline_p90: Option<f64>,
    #[napi(js_name = "robust_z")]
    pub robust_z: Option<f64>,
}

/// Confusion: many events per user-day on few features.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct ConfusionFlag {
    pub flagged: bool,
    #[napi(js_name = "events_per_user_day")]
    pub events_per_user_day: Option<f64>,
    #[napi(js_name = "distinct_features")]
    pub distinct_features: u32,
    #[napi(js_name = "active_user_days")]
    pub active_user_days: u32,
}

/// Pricing interest: pricing-page views.
#[napi(object, object_from_js = false)]
pub struct PricingFlag {
    pub flagged: bool,
    pub views: u32,
    pub users: u32,
}

/// Cadence inactivity: a silence long for the account's usual gaps.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct InactivityFlag {
    pub flagged: bool,
    #[napi(js_name = "days_since_last_activity")]
    pub days_since_last_activity: Option<u32>,
    #[napi(js_name = "usual_gap_days")]
    pub usual_gap_days: Option<f64>,
    pub ratio: Option<f64>,
}

/// One account's edge-case flags (`detectFlags`).
#[napi(object, object_from_js = false)]
pub struct AccountFlags {
    #[napi(js_name = "account_id")]
    pub account_id: String,
    #[napi(js_name = "extraction_burst")]
    pub extraction_burst: BurstFlag,
    pub confusion: ConfusionFlag,
    #[napi(js_name = "pricing_interest")]
    pub pricing_interest: PricingFlag,
    #[napi(js_name = "cadence_inactivity")]
    pub cadence_inactivity: InactivityFlag,
    /// Names of the flags that fired.
    #[napi(ts_type = "Array<'extraction_burst' | 'confusion' | 'pricing_interest' | 'cadence_inactivity'>")]
    pub fired: Vec<String>,
}

// ---- activity goals -------------------------------------------------------------------------

/// One period of a goal (ISO strings).
#[napi(object, object_from_js = false)]
pub struct PeriodResult {
    pub start: String,
    pub end: String,
    pub value: f64,
    /// `value / target`.
    pub attainment: f64,
    pub met: bool,
    /// False for the period still running at `asOf`.
    pub complete: bool,
}

/// A moment worth celebrating.
#[napi(object, object_from_js = false)]
pub struct Celebration {
    #[napi(ts_type = "'first_week_at_goal' | 'new_longest_streak' | 'new_personal_best'")]
    pub kind: String,
    #[napi(js_name = "period_start")]
    pub period_start: String,
    pub value: f64,
    pub streak: u32,
}

/// The best period so far.
#[napi(object, object_from_js = false)]
pub struct PersonalBest {
    pub value: f64,
    #[napi(js_name = "period_start")]
    pub period_start: String,
}

/// One UTC day of activity in the serde form (`day` an ISO string).
#[napi(object, object_from_js = false)]
pub struct GoalDay {
    pub day: String,
    #[napi(js_name = "active_users")]
    pub active_users: u32,
    pub events: u32,
    pub logins: u32,
}

/// Progress of one account towards an activity goal (`goalProgress`).
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct GoalProgress {
    #[napi(js_name = "account_id")]
    pub account_id: String,
    /// The goal's name.
    pub goal: String,
    /// The account's target.
    pub target: f64,
    pub periods: Vec<PeriodResult>,
    #[napi(js_name = "current_streak")]
    pub current_streak: u32,
    #[napi(js_name = "longest_streak")]
    pub longest_streak: u32,
    #[napi(js_name = "personal_best")]
    pub personal_best: Option<PersonalBest>,
    pub celebrations: Vec<Celebration>,
    pub days: Vec<GoalDay>,
}

// ---- segmentation ---------------------------------------------------------------------------

/// Members of one segment.
#[napi(object, object_from_js = false)]
pub struct SegmentCount {
    pub name: String,
    pub count: u32,
    /// Share of all accounts (0–1).
    pub share: f64,
}

/// Rule segments of every row (`segmentRules`).
#[napi(object, object_from_js = false)]
pub struct SegmentAssignment {
    #[napi(ts_type = "'first_match' | 'multi_label'")]
    pub mode: String,
    /// Segment names in rule order.
    pub segments: Vec<String>,
    /// Per row: the first matching segment (or the default segment, or `null`).
    #[napi(ts_type = "Array<string | null>")]
    pub label: Vec<String>,
    /// `membership[segment][row]` (rule order).
    pub membership: Vec<Vec<bool>>,
    pub counts: Vec<SegmentCount>,
    pub unmatched: u32,
}

/// One Pareto tier.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct TierSummary {
    pub name: String,
    pub count: u32,
    #[napi(js_name = "customer_share")]
    pub customer_share: f64,
    pub revenue: f64,
    #[napi(js_name = "revenue_share")]
    pub revenue_share: f64,
    #[napi(js_name = "mrr_floor")]
    pub mrr_floor: Option<f64>,
    #[napi(js_name = "mrr_ceiling")]
    pub mrr_ceiling: Option<f64>,
    #[napi(js_name = "cumulative_customer_share")]
    pub cumulative_customer_share: f64,
    #[napi(js_name = "cumulative_revenue_share")]
    pub cumulative_revenue_share: f64,
}

/// The Pareto curve, accounts by descending value.
#[napi(object, object_from_js = false)]
pub struct ParetoChart {
    #[napi(js_name = "account_ids")]
    pub account_ids: Vec<String>,
    pub values: Vec<f64>,
    #[napi(js_name = "cumulative_customer_share")]
    pub cumulative_customer_share: Vec<f64>,
    #[napi(js_name = "cumulative_revenue_share")]
    pub cumulative_revenue_share: Vec<f64>,
}

/// Pareto revenue tiers (`paretoTiers`).
#[napi(object, object_from_js = false)]
pub struct ParetoTiers {
    pub metric: String,
    #[napi(js_name = "total_revenue")]
    pub total_revenue: f64,
    pub tiers: Vec<TierSummary>,
    /// Per row: the index of its tier in `tiers`.
    pub assignment: Vec<u32>,
    pub chart: ParetoChart,
}

/// Equal-count buckets of one metric (`quantileBuckets`).
#[napi(object, object_from_js = false)]
pub struct QuantileBuckets {
    pub metric: String,
    /// Each row's bucket (`null` when the value is missing).
    #[napi(ts_type = "Array<number | null>")]
    pub bucket: Vec<u32>,
    /// The k + 1 quantiles of the non-missing values (empty when all are missing).
    pub edges: Vec<f64>,
    pub counts: Vec<SegmentCount>,
}

/// RFM scores (1–5) and segments of every row (`rfmScores`).
#[napi(object, object_from_js = false)]
pub struct RfmScores {
    pub recency: Vec<u32>,
    pub frequency: Vec<u32>,
    pub monetary: Vec<u32>,
    /// E.g. `'545'`.
    pub code: Vec<String>,
    pub segment: Vec<String>,
    pub counts: Vec<SegmentCount>,
}

/// A fitted k-means model (the document `assignClusters` takes).
#[napi(object, object_from_js = false)]
pub struct ClusterModel {
    pub version: u32,
    pub metrics: Vec<String>,
    pub means: Vec<f64>,
    pub stds: Vec<f64>,
    pub centroids: Vec<Vec<f64>>,
}

/// The score of one candidate k.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct KScore {
    pub k: u32,
    pub silhouette: Option<f64>,
    pub inertia: f64,
}

/// One cluster's profile.
#[napi(object, object_from_js = false)]
pub struct ClusterProfile {
    pub cluster: u32,
    pub count: u32,
    pub share: f64,
    /// Mean of each metric (`null` when no member has it).
    #[napi(ts_type = "Array<number | null>")]
    pub means: Vec<f64>,
    #[napi(js_name = "z_scores")]
    pub z_scores: Vec<f64>,
}

/// k-means clusters (`fitClusters`).
#[napi(object, object_from_js = false)]
pub struct Clustering {
    pub model: ClusterModel,
    pub k: u32,
    /// Each row's cluster.
    pub labels: Vec<u32>,
    pub scores: Vec<KScore>,
    pub profiles: Vec<ClusterProfile>,
}

/// CSM capacity of one tier.
#[napi(object, object_from_js = false)]
pub struct TierCapacity {
    pub tier: String,
    pub accounts: u32,
    #[napi(js_name = "account_hours_per_year")]
    pub account_hours_per_year: f64,
    #[napi(js_name = "hours_per_year")]
    pub hours_per_year: f64,
    #[napi(js_name = "csms_exact")]
    pub csms_exact: f64,
    pub csms: u32,
    pub arr: f64,
}

/// One CSM's book of accounts.
#[napi(object, object_from_js = false)]
pub struct Book {
    pub csm: String,
    pub tier: String,
    #[napi(js_name = "account_ids")]
    pub account_ids: Vec<String>,
    pub accounts: u32,
    pub arr: f64,
    #[napi(js_name = "hours_per_year")]
    pub hours_per_year: f64,
}

/// A CSM capacity plan (`capacityPlan`).
#[napi(object, object_from_js = false)]
pub struct CapacityPlan {
    pub tiers: Vec<TierCapacity>,
    #[napi(js_name = "total_csms")]
    pub total_csms: u32,
    pub books: Vec<Book>,
    /// Accounts of tiers served without a CSM.
    pub unassigned: Vec<String>,
}
