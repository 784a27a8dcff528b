// Compile-only: `tsc -p __test__/types` (see ../types.test.mjs) proves that the typed results of
// index.d.ts are usable under `strict`. Never run; the runtime shapes are checked by types.test.mjs.
import {
  simulate,
  buildTrainingSet,
  ChurnModel,
  churnBacktest,
  fitLogistic,
  evaluateChurn,
  mrrChurn,
  churnDates,
  activityChurnDates,
  chooseInactivityWindow,
  learnScorecardWeights,
  learnWeights,
  segmentRules,
  paretoTiers,
  quantileBuckets,
  rfmScores,
  fitClusters,
  capacityPlan,
  detectFlags,
  backtest,
  backtestAsync,
  goalProgress,
  goalProgressAll,
  Scorecard,
  ScorecardSet,
  Playbook,
  PlayState,
  runPlaybook,
  dryRun,
  analyse,
  analyseAsync,
  experimentObservations,
  welch,
  welchSummary,
  sequential,
  kaplanMeier,
  survivalAt,
  sampleSizeProportions,
  mdeProportions,
  powerPlan,
  simulateExperiment,
  GrowthAccounting,
  growthAccounting,
  growthAccountingAsync,
  retentionCohorts,
  retentionCohortsAsync,
  EngagementMoments,
  engagementMoments,
  engagementMomentsAsync,
  MaturityAssessment,
  assessMaturity,
  assessMaturityAsync,
  PlanCheck,
  PlanTracker,
  phaseHistory,
  phaseHistoryAsync,
} from '../../index.js'
import type {
  AccountFlags,
  CapacityPlan,
  ChurnBacktest,
  CoefficientReport,
  Evaluation,
  Explanation,
  Clustering,
  GoalProgress,
  BacktestReport,
  InactivityWindowChoice,
  LearnedScorecard,
  LearnedWeights,
  LogisticFit,
  MrrChurn,
  ParetoTiers,
  QuantileBuckets,
  RfmScores,
  RiskEntry,
  ScorecardDocument,
  ScorecardSetDocument,
  SegmentAssignment,
  AnalysisConfig,
  Effect,
  ExperimentReport,
  Observation,
  SequentialInterval,
  KaplanMeier,
  SampleSize,
  Verdict,
  PlayPower,
  PowerPlanConfig,
  Bucket,
  CohortConfig,
  GrowthAccountingDocument,
  GrowthPeriod,
  LifecycleConfig,
  Period,
  RetentionCohorts,
  EngagementMomentsDocument,
  MaturityAssessmentDocument,
  MaturityModel,
  AccountMaturity,
  PlanStep,
  ImprovementPlan,
  PlanActual,
  PlanCheckDocument,
  PlanOutcome,
  PlanProgress,
  PlanStatus,
  PlanTrackerDocument,
  TrackingPolicy,
  Journey,
  MomentDef,
  MomentStatus,
  MomentsConfig,
  MomentSummary,
  PhaseHistory,
  PhaseTransition,
  RuleSegmentation,
} from '../../index.js'

const sim = simulate({ accounts: 50, days: 120, seed: 1 })
const ts = buildTrainingSet(sim.dataset, { features: { metrics: ['active_days_30d'] } }, sim.end)
const model = ChurnModel.fit(ts)

const why: Explanation = model.explain([1])
const top: string = why.drivers[0].feature
const raw: number | null = why.drivers[0].value
const logOdds: number = why.log_odds
const coefficients: Array<CoefficientReport> | null = model.coefficients()
const oddsRatio: number | undefined = coefficients?.[0].odds_ratio
const evaluation: Evaluation = model.evaluate(ts)
const observed: number = evaluation.calibration[0].observed_rate
const risk: Array<RiskEntry> = model.forecast(sim.dataset, sim.end)
const renewal: string = risk[0].opportunity_at
const folds: ChurnBacktest = churnBacktest(ts, undefined, 2)
const pooledAuc: number = folds.pooled.roc_auc
const fit: LogisticFit = fitLogistic([[0], [1]], [false, true])
const converged: boolean = fit.converged
const scored: Evaluation = evaluateChurn([0.1, 0.9], [false, true])
const mrr: MrrChurn = mrrChurn(sim.dataset, sim.start, sim.end)
const lost: number = mrr.churned_mrr_minor
const subscriptionDates: Record<string, Array<string>> = churnDates(sim.dataset, sim.end)
const activityDates: Record<string, Array<string>> = activityChurnDates(sim.dataset, sim.end)
const window: InactivityWindowChoice = chooseInactivityWindow(sim.dataset, sim.end)
const unit: 'days' | 'weeks' | 'months' = window.window.unit

const card: ScorecardDocument = Scorecard.starter().toJSON()
const firstMeasure: string = card.measures[0].name
const scoring = card.measures[0].scoring
const rampLow: number | undefined = scoring.type === 'ramp' ? scoring.low : undefined
const set: ScorecardSetDocument = new ScorecardSet({ column: 'plan', cases: [], default: card }).toJSON()
const fallback: ScorecardDocument = set.default
const learned: LearnedScorecard = learnScorecardWeights(sim.dataset, card, { dates: [] })
const aucAfter: number | null = learned.holdout_auc_after
const status: 'used' | 'wrong_sign' | 'constant' | 'no_data' = learned.weights[0].status
const weights: LearnedWeights = learnWeights(card, [[50]], [false])
const intercept: number = weights.intercept

const snap = sim.dataset.snapshot(sim.end)
const rules: SegmentAssignment = segmentRules(snap, { segments: [] })
const label: string | null = rules.label[0]
const tiers: ParetoTiers = paretoTiers(snap)
const floor: number | null = tiers.tiers[0].mrr_floor
const buckets: QuantileBuckets = quantileBuckets(snap)
const bucket: number | null = buckets.bucket[0]
const rfm: RfmScores = rfmScores(snap)
const code: string = rfm.code[0]
const clusters: Clustering = fitClusters(snap)
const silhouette: number | null = clusters.scores[0].silhouette
const plan: CapacityPlan = capacityPlan(snap)
const csms: number = plan.total_csms

const flags: Array<AccountFlags> = detectFlags(sim.dataset, sim.end)
const fired: Array<'extraction_burst' | 'confusion' | 'pricing_interest' | 'cadence_inactivity'> = flags[0].fired
const burstDay: string | null = flags[0].extraction_burst.day
const report: BacktestReport = backtest(sim.dataset, Scorecard.starter(), { dates: [] })
const ciLow: number | null = report.bands[0].ci_low
const later: Promise<BacktestReport> = backtestAsync(sim.dataset, card, { dates: [] })
const goal = { metric: { type: 'logins' }, period: 'weekly', target: 3 }
const progress: GoalProgress = goalProgress(sim.dataset, 'acc-1', goal, sim.end, { amount: 4, unit: 'weeks' })
const best: number | undefined = progress.personal_best?.value
const everyone: Array<GoalProgress> = goalProgressAll(sim.dataset, goal, sim.end, '{"amount": 4, "unit": "weeks"}')

const book = new Playbook({ name: 'p', plays: [], holdout: { share: 0.1, salt: '2026' } })
const heldOut: 'treatment' | 'holdout' | 'global_holdout' | undefined = runPlaybook(book, snap).run.held_out[0]?.arm
const ledger: PlayState = dryRun(book, sim.dataset, { version: 1 }, { from: '2024-03-01', to: '2024-04-01', step: { amount: 7, unit: 'days' } }).state
const config: AnalysisConfig | object = { outcome: { type: 'retention' } }
const experiment: ExperimentReport = analyse(book, ledger, sim.dataset, config)
const verdict: Verdict = experiment.results[0].verdict
const lift: number | null = experiment.results[0].relative_lift
const pending: Promise<ExperimentReport> = analyseAsync(book, ledger, sim.dataset, config)
const table: Array<Observation> = experimentObservations(book, ledger, sim.dataset, config)
const entered: string = table[0].entered
const effect: Effect = welch([1, 2, 3], new Float64Array([2, 3, 4]))
const summary: Effect = welchSummary({ n: 10, sum: 5, sum_squares: 9 }, { n: 10, mean: 0.6, variance: 0.2 })
const always: SequentialInterval = sequential(effect, 1000)
const curve: KaplanMeier = kaplanMeier([1, 2], [true, false])
const at: [number, number, number] = survivalAt(curve, 1.5)
const size: SampleSize = sampleSizeProportions(0.8, 0.05)
const detectable: number | null = mdeProportions(0.8, 240, 960)
const truth: number | null = simulateExperiment('{}').truth[0].effect
const replayed = dryRun(book, sim.dataset, { version: 1 }, { from: '2024-03-01', to: '2024-04-01', step: { amount: 7, unit: 'days' } })
const planConfig: PowerPlanConfig = { version: 1, outcome: { type: 'rate', baseline: 0.8 }, months: 3, alpha: 0.05, power: 0.8 }
const powers: Array<PlayPower> = powerPlan(book, replayed, planConfig)
const planned: number | null = powerPlan(book, JSON.stringify(replayed), { outcome: { type: 'mean', sd: 2 } })[0].detectable_effect

const growth: GrowthAccounting = growthAccounting(sim.dataset, sim.end, { period: 'week' })
const growthPeriod: Period = growth.period
const months: Array<GrowthPeriod> = growth.periods
const quick: number | null = months[0].quick_ratio
const lifecycleBuckets: Array<Bucket | null> = growth.buckets
const firstActive: Array<Date | null> = growth.firstActive
const growthDoc: GrowthAccountingDocument = growth.toJSON()
const framed = snap.withColumns(growth, 'lifecycle')
const lifecycleConfig: LifecycleConfig = { version: 1, period: 'month', from: null, activity: { non_activity_events: [], pricing_pages: [], high_severity: [], high_severity_at_least: 3 } }
const laterGrowth: Promise<GrowthAccounting> = growthAccountingAsync(sim.dataset, sim.end, lifecycleConfig)
const cohortConfig: CohortConfig = { ...lifecycleConfig, start: 'first_activity', measure: 'active', periods: 6 }
const cohorts: RetentionCohorts = retentionCohorts(sim.dataset, sim.end, cohortConfig)
const logo: Array<number | null> = cohorts.rows[0].logo
const laterCohorts: Promise<RetentionCohorts> = retentionCohortsAsync(sim.dataset, sim.end, '{"periods": 3}')

const kickoff: MomentDef = {
  name: 'kickoff',
  event: 'onboarding_step',
  filter: { property: 'step', in: ['kickoff'] },
  expected: { amount: 7, unit: 'days' },
  after: 'start',
  tolerance: { amount: 7, unit: 'days' },
  owner_role: 'csm',
}
const momentsConfig: MomentsConfig = { version: 1, start: 'created', from: null, moments: [kickoff], first_value: null, cadences: [] }
const moments: EngagementMoments = engagementMoments(sim.dataset, sim.end, momentsConfig)
const journeys: Array<Journey> = moments.journeys
const momentStatus: MomentStatus = journeys[0].moments[0].status
const ttfv: number | null = journeys[0].time_to_first_value_days
const momentSummary: Array<MomentSummary> = moments.summary
const momentsDoc: EngagementMomentsDocument = moments.toJSON()
const onboardingFrame = snap.withColumns(moments, 'onboarding')
const laterMoments: Promise<EngagementMoments> = engagementMomentsAsync(sim.dataset, sim.end, JSON.stringify(momentsConfig))
const phases: RuleSegmentation = {
  version: 1,
  mode: 'first_match',
  segments: [{ name: 'new', condition: 'tenure_days < 45' }, { name: 'rest', condition: 'true' }],
  default_segment: null,
  limits: { max_source_len: 4096, max_depth: 64, max_nodes: 1024, max_cost: 10_000_000_000 },
}
const history: PhaseHistory = phaseHistory(sim.dataset, [sim.start, '2024-03-01', sim.end.getTime()], phases)
const moved: PhaseTransition | undefined = history.transitions[0]
const laterPhases: Promise<PhaseHistory> = phaseHistoryAsync(sim.dataset, [sim.end], { segments: [{ name: 'all', condition: 'true' }] }, null)

const maturityModel: MaturityModel = {
  version: 1,
  segment_by: 'plan',
  best_in_class: 0.9,
  phases: [
    { name: 'started', behaviours: [{ name: 'active', metric: 'active_days_30d', at_least: 1 }] },
    { name: 'adopting', behaviours: [{ name: 'recent', metric: 'days_since_last_activity', at_most: 7 }] },
    { name: 'mature', behaviours: [{ name: 'broad', metric: 'features_used_30d', at_least: 5 }] },
  ],
}
const maturity: MaturityAssessment = assessMaturity(snap, maturityModel)
const maturityCounts: Array<number> = maturity.counts
const maturityAccounts: Array<AccountMaturity> = maturity.accounts
const nextStep: PlanStep | undefined = maturityAccounts[0].plan[0]
const stretch: number | null | undefined = nextStep?.stretch
const maturityDoc: MaturityAssessmentDocument = maturity.toJSON()
const maturityFrame = snap.withColumns(maturity, 'maturity')
const laterMaturity: Promise<MaturityAssessment> = assessMaturityAsync(snap, JSON.stringify(maturityModel))

const policy: TrackingPolicy = { horizon: { amount: 60, unit: 'days' } }
const tracker = new PlanTracker(policy)
const planCheck: PlanCheck = tracker.track(snap, maturityModel)
const checkedAt: Date = planCheck.at
const closings: number = planCheck.plansMade + planCheck.achieved + planCheck.regressed + planCheck.expired + planCheck.modelChanged
const progressRows: Array<PlanProgress> = planCheck.accounts
const planStatus: PlanStatus = progressRows[0].status
const closedAs: PlanOutcome | null = progressRows[0].closed
const improvementPlans: Array<ImprovementPlan> = tracker.plansOf(progressRows[0].account_id)
const outcome: PlanOutcome | null | undefined = improvementPlans[0]?.outcome
const planActuals: Array<PlanActual> = tracker.actualsOf('acc-000001').concat(tracker.actuals)
const checkDates: Array<Date> = tracker.checks
const trackerDoc: PlanTrackerDocument = tracker.toJSON()
const reread: boolean = PlanTracker.fromJson(trackerDoc).equals(PlanTracker.fromJson(JSON.stringify(tracker)))
const planCheckDoc: PlanCheckDocument = planCheck.toJSON()
const planFrame = snap.withColumns(planCheck, 'plan')
const horizon: TrackingPolicy = tracker.policy
// @ts-expect-error tracking has no async variant (it changes the tracker)
const trackLater = tracker.trackAsync(snap, maturityModel)

// @ts-expect-error a wrong property is a compile error, not `any`
const misspelled = model.evaluate(ts).rocAuc

export {
  top, raw, logOdds, oddsRatio, observed, renewal, pooledAuc, converged, scored, lost, subscriptionDates, activityDates,
  unit, firstMeasure, rampLow, fallback, aucAfter, status, intercept, label, floor, bucket, code, silhouette, csms,
  fired, burstDay, ciLow, later, best, everyone, misspelled, heldOut, verdict, lift, pending, entered, summary, always,
  at, size, detectable, truth, powers, planned, growthPeriod, quick, lifecycleBuckets, firstActive, growthDoc, framed, laterGrowth,
  logo, laterCohorts, momentStatus, ttfv, momentSummary, momentsDoc, onboardingFrame, laterMoments, moved, laterPhases,
  maturityCounts, stretch, maturityDoc, maturityFrame, laterMaturity,
  checkedAt, closings, planStatus, closedAs, outcome, planActuals, checkDates, reread, planCheckDoc, planFrame, horizon, trackLater,
}
