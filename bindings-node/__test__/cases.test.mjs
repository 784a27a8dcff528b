// The one golden-case runner of the Node suite: every tests/cases/<folder>/*.json is
// `{"description", "call", "input", "expected" | "error", "tolerance"?}` (tests/cases/README.md),
// the files the Rust (core/tests/cases.rs) and Python suites run. `call` picks a handler below,
// which runs the call on `input` through the public Node API and returns its result in the
// core's JSON form; the runner compares `expected` (a subset) and `error` (a subset of `{code,
// row, position, suggestion, stage}`) exactly as the Rust runner does.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { custfit } from './fixtures.mjs'
import { caseFiles, errorJson, subset, toJson } from './golden-helpers.mjs'

/** The folders of golden cases (the Rust runner's `FOLDERS`). */
const FOLDERS = ['data', 'metrics', 'document', 'stats', 'outcome', 'expr', 'frame', 'segment', 'health', 'activity', 'churn', 'play', 'experiment', 'lifecycle', 'effectiveness']
const CASE_KEYS = ['description', 'call', 'input', 'expected', 'error', 'tolerance']
const ERROR_CODES = new Set(custfit.errorCodes())

// ------------------------------------------------------------------------------------ helpers

/** Labels as the Rust runner reads them: `1` or `true` is churned, anything else is not. */
const labels = (v) => (v ?? []).map((b) => b === 1 || b === true)

/** A document as the Node API takes it where only JSON text is accepted. */
const text = (doc) => (typeof doc === 'string' ? doc : JSON.stringify(doc))

const snapshot = (v) => custfit.snapshotFromJson(v)

const counts = (ds) => ({ accounts: ds.accountCount, users: ds.userCount, subscriptions: ds.subscriptionCount, events: ds.eventCount })

// ------------------------------------------------------------------------------------ handlers

const TABLES = ['accounts', 'users', 'subscriptions', 'events']
const ADD = { accounts: 'addAccounts', users: 'addUsers', subscriptions: 'addSubscriptions', events: 'addEvents' }

/**
 * `dataset`: adds each table of `input` as one batch (accounts, users, subscriptions, events)
 * with `options`, then with `as_of` takes a snapshot with `config`. The result: `counts`,
 * `reports` per table, `row_count` and `rows` (`{account: {column: value}}`); on a failing call
 * also `error` with its `stage` (the table or `snapshot`). A failed add must leave the dataset
 * unchanged.
 */
function dataset(input) {
  const options = input.options ?? {}
  const ds = new custfit.Dataset()
  const reports = {}
  for (const table of TABLES) {
    if (!(table in input)) continue
    const before = counts(ds)
    try {
      reports[table] = toJson(ds[ADD[table]](input[table], options))
    } catch (e) {
      if (!ERROR_CODES.has(e?.code)) throw e
      assert.deepEqual(counts(ds), before, 'a failed add changed the dataset')
      return { error: { ...errorJson(e), stage: table }, counts: counts(ds), reports }
    }
  }
  const out = { counts: counts(ds), reports }
  if ('as_of' in input) {
    let snap
    try {
      snap = ds.snapshot(input.as_of, input.config ?? undefined)
    } catch (e) {
      if (!ERROR_CODES.has(e?.code)) throw e
      out.error = { ...errorJson(e), stage: 'snapshot' }
      return out
    }
    // Cell values as the core's JSON writes them (`columns()` gives Dates for instants).
    const columns = Object.entries(snap.columns()).filter(([name]) => name !== 'account_id')
    out.row_count = snap.length
    out.rows = Object.fromEntries(snap.accountIds.map((id, i) => [id, Object.fromEntries(columns.map(([name, values]) => [name, toJson(values[i])]))]))
  }
  return out
}

const empty = new custfit.Dataset()
const emptySnapshot = empty.snapshot('2024-01-01')
/**
 * The reader of each document kind, and whether it then works on data. Node has no bare
 * document reader, so each kind is read by a call that reads it first; the ones that then work
 * on the (empty) data may fail with `insufficient_data` after the document read.
 */
const READ = {
  scorecard: [(doc) => new custfit.Scorecard(doc), false],
  scorecard_set: [(doc) => new custfit.ScorecardSet(doc), false],
  snapshot_config: [(doc) => empty.snapshot('2024-01-01', doc), false],
  training_set_config: [(doc) => custfit.buildTrainingSet(empty, doc, '2024-01-01'), true],
  pareto_config: [(doc) => custfit.paretoTiers(emptySnapshot, doc), true],
  rule_segmentation: [(doc) => custfit.segmentRules(emptySnapshot, doc), true],
  churn_model: [(doc) => custfit.ChurnModel.fromJson(text(doc)), false],
}

/** `read_document`: `{kind, document}` read by the kind's one reader; `{"ok": true}` when it reads. */
function readDocument(input) {
  assert.ok(Object.hasOwn(READ, input.kind), `unknown document kind \`${input.kind}\``)
  const [read, needsData] = READ[input.kind]
  try {
    read(input.document)
  } catch (e) {
    if (!(needsData && e?.code === 'insufficient_data')) throw e
  }
  return { ok: true }
}

/** `expr`: `expression` compiled against `snapshot`'s schema (with `limits`) and evaluated: `{type, values}`. */
function expr(input) {
  const snap = snapshot(input.snapshot)
  const compiled = custfit.Expr.compile(input.expression ?? '', snap, input.limits ?? undefined)
  return { type: compiled.resultType, values: toJson(compiled.evaluate(snap)) }
}

/** `with_columns`: `source` (a result's JSON form or a column map, named `name`) added to `snapshot`. */
function withColumns(input) {
  const snap = snapshot(input.snapshot)
  return snap.withColumns(input.source, input.name ?? undefined).toJSON()
}

/** A segmentation call on `snapshot` with `config`. */
const segment = (run) => (input) => {
  const snap = snapshot(input.snapshot)
  return run(snap, input.config)
}

/**
 * `score`: `snapshot` scored by `scorecard` or `scorecard_set`: `{rows}`, plus `changes` since
 * the scores of `earlier` and `rollup` by `rollup_weight` when given.
 */
function score(input) {
  const snap = snapshot(input.snapshot)
  const scoreWith = (s) => ('scorecard' in input ? new custfit.Scorecard(input.scorecard) : new custfit.ScorecardSet(input.scorecard_set)).score(s)
  const scores = scoreWith(snap)
  const out = { rows: scores.rows() }
  if ('earlier' in input) out.changes = scores.changesSince(scoreWith(snapshot(input.earlier)))
  if (typeof input.rollup_weight === 'string') out.rollup = scores.rollup(snap, input.rollup_weight)
  return out
}

/**
 * `goal_progress`: `accounts`, `users`, `events` loaded, then the progress of `account_id`
 * towards `goal` as of `as_of` over `lookback`.
 */
/** The `accounts`, `users`, `subscriptions` and `events` of `input` (those given), loaded. */
function loaded(input) {
  const ds = new custfit.Dataset()
  ds.addAccounts(input.accounts)
  if ('users' in input) ds.addUsers(input.users)
  if ('subscriptions' in input) ds.addSubscriptions(input.subscriptions)
  if ('events' in input) ds.addEvents(input.events)
  return ds
}

/** Subscription (or activity) churn instants per account known by `known_at`, and the data's end. */
function churnDates(input, activity) {
  const ds = loaded(input)
  const call = activity ? custfit.activityChurnDates : custfit.churnDates
  return { data_end: ds.dataEnd, dates: call(ds, input.known_at, input.config ?? undefined) }
}

function goalProgress(input) {
  const ds = loaded(input)
  return custfit.goalProgress(ds, input.account_id, input.goal, input.as_of, input.lookback)
}

const sigmoid = (z) => 1 / (1 + Math.exp(-z))

function logisticFit(input) {
  const m = custfit.fitLogistic(input.x, labels(input.y), input.config ?? undefined)
  // The model's probabilities of the first five rows.
  const head = input.x.slice(0, 5).map((r) => sigmoid(m.intercept + r.reduce((s, v, j) => s + v * m.coefficients[j], 0)))
  return { coefficients: m.coefficients, intercept: m.intercept, probabilities_head: head }
}

function rateConversion(input) {
  const annual = custfit.monthlyToAnnual(input.monthly)
  return { annual, monthly_again: custfit.annualToMonthly(annual) }
}

function modelFit(input) {
  const set = custfit.TrainingSet.fromMatrix(input.features, input.x, labels(input.y))
  return { probabilities: custfit.ChurnModel.fit(set, input.config ?? undefined).predict(input.x) }
}

function modelPredict(input) {
  const m = custfit.ChurnModel.fromJson(text(input.model))
  const probabilities = m.predict(input.rows)
  const drivers = m.explain(input.rows[0]).drivers.slice(0, 3).map((d) => d.feature)
  return { probabilities, top_drivers_first_row: drivers }
}

function learnWeights(input) {
  const { config } = input
  const learned = custfit.learnWeights(config.scorecard, input.points, labels(input.y), config.logistic)
  return {
    shares_after: learned.weights.map((w) => w.share_after),
    coefficients_per_10_points: learned.weights.map((w) => w.coefficient_per_10_points),
    intercept: learned.intercept,
    statuses: learned.weights.map((w) => w.status),
    scorecard: learned.scorecard,
  }
}

/**
 * `play_run`: `playbook` run over each of `runs` in turn (`{frame: <snapshot>, close: [{key,
 * status, at}]}`: the run's frame, then the actions the caller closes), starting from `state`
 * (a saved ledger, object or text) or an empty one: `{runs, state}` (each run whole: `fired`,
 * `updated`, `held_out`, `closed`, `skipped`). A run may bring its own `playbook` (a play
 * changed between runs).
 */
function playRun(input) {
  const book = new custfit.Playbook(input.playbook)
  let state = 'state' in input ? custfit.PlayState.fromJson(text(input.state)) : new custfit.PlayState()
  const runs = []
  for (const step of input.runs ?? []) {
    const own = 'playbook' in step ? new custfit.Playbook(step.playbook) : book
    const out = custfit.runPlaybook(own, snapshot(step.frame), state)
    state = out.state
    for (const c of step.close ?? []) state.close(c.key ?? '', c.status, c.at)
    runs.push(out.run)
  }
  return { runs, state: state.toJSON() }
}

/**
 * `track_plans`: a plan tracker (`tracker`, a saved document, or an empty one) checked at each of
 * `checks` (`{snapshot, model?}`: a check's own model, else `model`): `{checks, tracker}` (the
 * PlanCheck and PlanTracker objects read as their `toJSON()`).
 */
function trackPlans(input) {
  const tracker = input.tracker != null ? custfit.PlanTracker.fromJson(input.tracker) : new custfit.PlanTracker()
  const checks = (input.checks ?? []).map((step) => tracker.track(snapshot(step.snapshot), 'model' in step ? step.model : input.model))
  return { checks, tracker }
}

/** A number of `input` (NaN when absent or not a number, as the Rust runner reads it). */
const num = (input, key) => (typeof input?.[key] === 'number' ? input[key] : NaN)

/** Numbers of a JSON array (NaN for anything else, as the Rust runner reads them). */
const floats = (v) => (Array.isArray(v) ? v.map((x) => (typeof x === 'number' ? x : NaN)) : [])

const str = (input, key) => (typeof input?.[key] === 'string' ? input[key] : '')

/**
 * `welch_summary`: `control` and `treatment` as `{n, mean, variance}` or `{n, sum, sum_squares}`:
 * `{effect, sequential}` (the always-valid interval when `tuning` is given, else null).
 */
function welchSummary(input) {
  const effect = custfit.welchSummary(input.control, input.treatment, num(input, 'confidence'))
  const sequential = 'tuning' in input ? custfit.sequential(effect, num(input, 'tuning')) : null
  return { effect, sequential }
}

/** `cuped`: `control` and `treatment` as `{y, x}`. */
function cuped(input) {
  const arm = (k) => ({ y: floats(input[k]?.y), x: floats(input[k]?.x) })
  return custfit.cuped(arm('control'), arm('treatment'), num(input, 'confidence'))
}

/** `log_rank`: `a` and `b` as `{durations, events}`. */
function logRank(input) {
  const arm = (k) => ({ durations: floats(input[k]?.durations), events: labels(input[k]?.events) })
  return custfit.logRank(arm('a'), arm('b'))
}

/** Every call a case can name: input in, result (any Node value; compared in its JSON form) out. */
const HANDLERS = {
  dataset,
  read_document: readDocument,
  roc_auc: (i) => ({ value: custfit.rocAuc(i.risk, labels(i.labels)) }),
  wilson_interval: (i) => ({ value: custfit.wilsonInterval(i.k, i.n) }),
  monthly_to_annual: (i) => ({ value: custfit.monthlyToAnnual(i.rate) }),
  annual_to_monthly: (i) => ({ value: custfit.annualToMonthly(i.rate) }),
  expr,
  with_columns: withColumns,
  segment_rules: segment(custfit.segmentRules),
  pareto_tiers: segment(custfit.paretoTiers),
  quantile_buckets: segment(custfit.quantileBuckets),
  rfm_scores: segment(custfit.rfmScores),
  fit_clusters: segment(custfit.fitClusters),
  capacity_plan: segment(custfit.capacityPlan),
  score,
  goal_progress: goalProgress,
  churn_dates: (i) => churnDates(i, false),
  activity_churn_dates: (i) => churnDates(i, true),
  logistic_fit: logisticFit,
  evaluate: (i) => custfit.evaluateChurn(i.probabilities, labels(i.labels)),
  rate_conversion: rateConversion,
  model_fit: modelFit,
  model_predict: modelPredict,
  learn_weights: learnWeights,
  play_run: playRun,
  holdout_draw: (i) => ({ value: custfit.holdoutDraw(str(i, 'account'), str(i, 'play'), str(i, 'salt')) }),
  sample_ratio_mismatch: (i) => custfit.sampleRatioMismatch(i.observed, floats(i.shares), num(i, 'threshold')),
  sample_size_proportions: (i) => custfit.sampleSizeProportions(...['baseline', 'mde', 'alpha', 'power', 'ratio'].map((k) => num(i, k))),
  sample_size_means: (i) => custfit.sampleSizeMeans(...['sd', 'mde', 'alpha', 'power', 'ratio'].map((k) => num(i, k))),
  mde_proportions: (i) => ({ value: custfit.mdeProportions(num(i, 'baseline'), i.control, i.treatment, num(i, 'alpha'), num(i, 'power')) }),
  mde_means: (i) => ({ value: custfit.mdeMeans(num(i, 'sd'), i.control, i.treatment, num(i, 'alpha'), num(i, 'power')) }),
  welch: (i) => custfit.welch(floats(i.control), floats(i.treatment), num(i, 'confidence')),
  welch_summary: welchSummary,
  cuped,
  kaplan_meier: (i) => custfit.kaplanMeier(floats(i.durations), labels(i.events), num(i, 'confidence')),
  log_rank: logRank,
  analyse_observations: (i) => custfit.analyseObservations(i.observations, i.config),
  // (the GrowthAccounting object reads as its `toJSON()`)
  growth_accounting: (i) => custfit.growthAccounting(loaded(i), i.as_of, i.config ?? undefined),
  retention_cohorts: (i) => custfit.retentionCohorts(loaded(i), i.as_of, i.config ?? undefined),
  // (the EngagementMoments object reads as its `toJSON()`)
  engagement_moments: (i) => custfit.engagementMoments(loaded(i), i.as_of, i.config),
  // (the MaturityAssessment object reads as its `toJSON()`)
  assess_maturity: (i) => custfit.assessMaturity(snapshot(i.snapshot), i.model),
  track_plans: trackPlans,
}

// ------------------------------------------------------------------------------------ the runner

function runCase(c) {
  const unknown = Object.keys(c).filter((k) => !CASE_KEYS.includes(k))
  assert.deepEqual(unknown, [], 'unknown case keys')
  assert.equal(typeof c.call, 'string', 'no `call`')
  const run = HANDLERS[c.call]
  assert.ok(run, `unknown call \`${c.call}\``)
  let outcome
  try {
    outcome = toJson(run(c.input ?? null))
  } catch (e) {
    // A custfit error is the call's outcome; anything else (a failed assertion, a bug in a
    // handler) fails the case as it is.
    if (!ERROR_CODES.has(e?.code)) throw e
    outcome = { error: errorJson(e) }
  }
  const tol = typeof c.tolerance === 'number' ? c.tolerance : 1e-9
  const got = outcome !== null && typeof outcome === 'object' && !Array.isArray(outcome) ? outcome.error : undefined
  if ('error' in c && got !== undefined) subset(c.error, got, tol, 'error')
  else if ('error' in c) assert.fail(`expected error ${JSON.stringify(c.error)}, got ${JSON.stringify(outcome)}`)
  else if (got !== undefined) assert.fail(`unexpected error ${JSON.stringify(got)}`)
  if ('expected' in c) subset(c.expected, outcome, tol, 'expected')
  else assert.ok('error' in c, 'neither `expected` nor `error`')
}

describe('golden cases', () => {
  const cases = FOLDERS.flatMap((folder) => caseFiles(folder).map(([file, c]) => [`${folder}/${file}`, c]))

  test('there are at least 150 cases, and every call has a handler', () => {
    assert.ok(cases.length >= 150, `only ${cases.length} golden cases`)
    const missing = [...new Set(cases.map(([, c]) => c.call))].filter((call) => !Object.hasOwn(HANDLERS, call))
    assert.deepEqual(missing, [], 'calls without a handler')
  })

  for (const [name, c] of cases) test(name, () => runCase(c))
})
