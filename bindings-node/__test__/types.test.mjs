// The typed results of index.d.ts: (a) `tsc --strict` accepts types/check.ts (which uses them
// and expects an error on a wrong property), (b) no declared result is `any`, (c) what the
// functions return at runtime has the keys of the interfaces they declare (required ⊆ keys ⊆
// all), recursively through named interfaces, arrays and records.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { custfit } from './fixtures.mjs'

const require = createRequire(import.meta.url)
const here = path.dirname(fileURLToPath(import.meta.url))
const pkg = path.resolve(here, '..')
const dts = fs.readFileSync(path.join(pkg, 'index.d.ts'), 'utf8')

test('tsc --strict accepts __test__/types/check.ts', () => {
  const tscPkg = require.resolve('typescript/package.json', { paths: [pkg] })
  const tsc = path.join(path.dirname(tscPkg), JSON.parse(fs.readFileSync(tscPkg, 'utf8')).bin.tsc)
  try {
    execFileSync(process.execPath, [tsc, '-p', path.join(here, 'types'), '--pretty', 'false'], { cwd: pkg, encoding: 'utf8' })
  } catch (e) {
    assert.fail(`tsc reported errors:\n${e.stdout}${e.stderr}`)
  }
})

/** Drops JSDoc comments and the parameter lists of functions and methods. */
function withoutCommentsAndParameters(text) {
  const out = []
  for (const line of text.replace(/\/\*\*[\s\S]*?\*\//g, '').split('\n')) {
    const m = /^\s*(export declare function \w+|(static |get |set )?\w+)(<[^>]*>)?\(/.exec(line)
    if (!m) {
      out.push(line)
      continue
    }
    let depth = 0
    let i = m[0].length - 1
    for (; i < line.length; i++) {
      if (line[i] === '(') depth++
      else if (line[i] === ')' && --depth === 0) break
    }
    out.push(line.slice(0, m[0].length) + line.slice(i))
  }
  return out.join('\n')
}

test('index.d.ts declares no `any` result', () => {
  const bad = withoutCommentsAndParameters(dts)
    .split('\n')
    .filter((l) => /\bany\b/.test(l))
  assert.deepEqual(bad, [])
  // The same, with a plain regex on one-line declarations: `): any`, `): Array<any>`, `Record<string, any>` …
  assert.doesNotMatch(dts, /\)\s*:\s*[^\n(]*\bany\b[^\n(]*$/m)
})

/** `export interface Name { prop: type }` → Map(name → Map(prop → {type, optional})). */
function interfaces(text) {
  const out = new Map()
  for (const [, name, body] of text.matchAll(/^export interface (\w+) \{\n([\s\S]*?)\n\}/gm)) {
    const props = new Map()
    for (const line of body.replace(/\/\*\*[\s\S]*?\*\//g, '').split('\n')) {
      const m = /^ {2}(?:readonly )?(\w+)(\?)?: (.+)$/.exec(line)
      if (m) props.set(m[1], { type: m[3], optional: m[2] === '?' })
    }
    out.set(name, props)
  }
  return out
}

/** The declared result type of every function and method (`Class.method`). */
function resultTypes(text) {
  const out = new Map()
  let cls = null
  for (const line of withoutCommentsAndParameters(text).split('\n')) {
    const c = /^export declare class (\w+)/.exec(line)
    if (c) cls = c[1]
    else if (/^}/.test(line)) cls = null
    const f = /^export declare function (\w+)\(\): (.+)$/.exec(line)
    if (f) out.set(f[1], f[2])
    const m = cls && /^ {2}(\w+)\(\): (.+)$/.exec(line)
    if (m) out.set(`${cls}.${m[1]}`, m[2])
  }
  return out
}

const IFACES = interfaces(dts)
const RESULTS = resultTypes(dts)

/** Splits `a | b` at the top level (not inside `<>`, `{}` or `()`). */
function union(type) {
  const parts = []
  let depth = 0
  let start = 0
  for (let i = 0; i < type.length; i++) {
    const ch = type[i]
    if ('<{('.includes(ch)) depth++
    else if ('>})'.includes(ch)) depth--
    else if (ch === '|' && depth === 0) {
      parts.push(type.slice(start, i).trim())
      start = i + 1
    }
  }
  parts.push(type.slice(start).trim())
  return parts
}

/** Checks `value` against a declared type; returns how many interface objects it checked. */
function conform(value, type, where) {
  if (type === 'unknown') return 0 // (a JSON value of any shape: a payload)
  const parts = union(type)
  if (value === null) {
    assert.ok(parts.includes('null'), `${where}: null, declared ${type}`)
    return 0
  }
  if (value === undefined) {
    assert.ok(parts.includes('undefined') || parts.includes('void'), `${where}: undefined, declared ${type}`)
    return 0
  }
  const types = parts.filter((p) => p !== 'null' && p !== 'undefined')
  if (types.length !== 1) {
    const prim = { string: (p) => p === 'string' || /^'.*'$/.test(p), number: (p) => p === 'number', boolean: (p) => p === 'boolean' }
    const accept = prim[typeof value]
    if (accept && types.every((p) => p in prim || /^'.*'$/.test(p))) assert.ok(types.some(accept), `${where}: ${JSON.stringify(value)} is not ${type}`)
    return 0
  }
  const t = types[0]
  let m
  if ((m = /^Promise<(.+)>$/.exec(t))) throw new Error(`${where}: await the promise first`)
  if ((m = /^Array<(.+)>$/.exec(t))) {
    assert.ok(Array.isArray(value), `${where}: not an array (${t})`)
    return value.slice(0, 5).reduce((n, v, i) => n + conform(v, m[1], `${where}[${i}]`), 0)
  }
  if ((m = /^Record<string, (.+)>$/.exec(t))) {
    assert.equal(typeof value, 'object', `${where}: not an object (${t})`)
    return Object.entries(value).slice(0, 5).reduce((n, [k, v]) => n + conform(v, m[1], `${where}.${k}`), 0)
  }
  if (['string', 'number', 'boolean'].includes(t)) {
    assert.equal(typeof value, t, `${where}: ${JSON.stringify(value)}`)
    return 0
  }
  if (/^'.*'$/.test(t)) {
    assert.equal(value, t.slice(1, -1), where)
    return 0
  }
  const props = IFACES.get(t)
  if (!props) return 0 // an inline object type or a class: not checked here
  assert.equal(typeof value, 'object', `${where}: not an object (${t})`)
  const keys = Object.keys(value)
  const required = [...props].filter(([, p]) => !p.optional).map(([k]) => k)
  assert.deepEqual(required.filter((k) => !keys.includes(k)), [], `${where}: keys of ${t} missing`)
  assert.deepEqual(keys.filter((k) => !props.has(k)), [], `${where}: keys not declared by ${t}`)
  let n = 1
  for (const k of keys) n += conform(value[k], props.get(k).type, `${where}.${k}`)
  return n
}

function check(name, value) {
  const type = RESULTS.get(name)
  assert.ok(type, `${name} is declared`)
  assert.doesNotMatch(type, /\bany\b/, name)
  return conform(value, type, name)
}

test('typed results: runtime keys match the declared interfaces', async () => {
  const { simulate, Scorecard, ScorecardSet } = custfit
  const sim = simulate({ accounts: 200, days: 400, seed: 5, activityScale: 0.3 })
  const ds = sim.dataset
  const features = ['active_days_30d', 'usage_trend_30d', 'days_to_renewal', 'support_tickets_60d']
  const ts = custfit.buildTrainingSet(ds, { features: { metrics: features }, horizon: { amount: 60, unit: 'days' } }, sim.end)
  const lr = custfit.ChurnModel.fit(ts)
  const gb = custfit.ChurnModel.fit(ts, { model: { type: 'boosted_trees', settings: { trees: 10 } } })
  let checked = 0
  const run = (name, value) => {
    checked += check(name, value)
    return value
  }

  run('ChurnModel.explain', lr.explain([3, null, 100, 1]))
  run('ChurnModel.coefficients', lr.coefficients())
  run('ChurnModel.coefficients', gb.coefficients())
  run('ChurnModel.evaluate', gb.evaluate(ts))
  run('ChurnModel.forecast', gb.forecast(ds, sim.end, 2))
  run('churnBacktest', custfit.churnBacktest(ts, null, 2))
  run('fitLogistic', custfit.fitLogistic([[0], [1], [2], [3], [4], [5], [6], [7], [8], [9], [1], [2]], [true, true, false, true, false, true, false, false, false, false, true, false]))
  run('evaluateChurn', custfit.evaluateChurn(lr.predict(ts.x), ts.y))
  run('mrrChurn', custfit.mrrChurn(ds, sim.start, sim.end))
  run('churnDates', custfit.churnDates(ds, sim.end))
  run('activityChurnDates', custfit.activityChurnDates(ds, sim.end))
  run('chooseInactivityWindow', custfit.chooseInactivityWindow(ds, sim.end, 0.9, 3))

  const day = 86_400_000
  const dates = []
  for (let t = sim.start.getTime() + 90 * day; t <= sim.end.getTime() - 121 * day; t += 30 * day) dates.push(new Date(t).toISOString())
  const ramp = (name, metric, low, high) => ({ name, metric, scoring: { type: 'ramp', low, high } })
  const card = { measures: [ramp('active_days', 'active_days_30d', 0, 20), ramp('logins', 'logins_7d', 0, 30)] }
  const learned = run('learnScorecardWeights', custfit.learnScorecardWeights(ds, card, { dates }))
  run('learnWeights', custfit.learnWeights(card, [[10, 50], [90, null], [40, 70], [0, 10], [80, 80], [20, 30], [60, 90], [30, 0], [70, 40], [50, 60]], [true, false, false, true, false, true, false, true, false, false]))

  const starter = Scorecard.starter()
  run('Scorecard.toJSON', starter.toJSON())
  const scores = starter.score(custfit.healthSnapshot(ds, sim.end))
  run('HealthScores.rows', scores.rows())
  run('HealthScores.row', scores.row(0))
  run('HealthScores.account', scores.account('nobody'))
  run('HealthScores.changesSince', scores.changesSince(starter.score(custfit.healthSnapshot(ds, new Date(sim.end.getTime() - 30 * 86_400_000)))))
  const withOverride = { ...starter.toJSON(), overrides: [{ account_id: 'a', score: 50, reason: 'call', set_by: 'csm', expires_at: '2030-01-01T00:00:00Z' }] }
  run('Scorecard.toJSON', new Scorecard(withOverride).toJSON())
  const set = new ScorecardSet({ column: 'plan', cases: [{ values: ['pro'], scorecard: learned.scorecard }], default: starter.toJSON() })
  run('ScorecardSet.toJSON', set.toJSON())

  const flags = run('detectFlags', custfit.detectFlags(ds, sim.end))
  assert.ok(flags.length > 0)
  const report = run('backtest', custfit.backtest(ds, starter, { dates: dates.slice(0, 3), horizon: { amount: 60, unit: 'days' } }))
  const type = RESULTS.get('backtestAsync')
  assert.equal(type, `Promise<${RESULTS.get('backtest')}>`)
  assert.deepEqual(await custfit.backtestAsync(ds, starter, { dates: dates.slice(0, 3), horizon: { amount: 60, unit: 'days' } }), report)

  const goal = { metric: { type: 'logins' }, period: 'weekly', target: 2 }
  const everyone = run('goalProgressAll', custfit.goalProgressAll(ds, goal, sim.end, { amount: 12, unit: 'weeks' }))
  run('goalProgress', custfit.goalProgress(ds, everyone[0].account_id, goal, sim.end, { amount: 12, unit: 'weeks' }))

  const snap = ds.snapshot(sim.end)
  run('segmentRules', custfit.segmentRules(snap, { segments: [{ name: 'quiet', condition: 'logins_30d == 0' }], default_segment: 'other' }))
  const tiers = run('paretoTiers', custfit.paretoTiers(snap))
  run('quantileBuckets', custfit.quantileBuckets(snap))
  run('rfmScores', custfit.rfmScores(snap))
  run('fitClusters', custfit.fitClusters(snap))
  const labels = tiers.assignment.map((i) => tiers.tiers[i].name)
  run('capacityPlan', custfit.capacityPlan(snap, { account_hours_per_year: { tier_1: 60, tier_2: 15, tier_3: 0 }, csm_hours_per_year: 1500 }, labels))

  // Experiments: a playbook with holdouts (held-out actions carry `arm`), its analysis and the statistics.
  const trigger = { type: 'condition', when: 'days_since_last_activity > 7' }
  const book = new custfit.Playbook({
    name: 'held',
    holdout: { share: 0.2, salt: 'g' },
    plays: [
      { id: 'stratified', trigger, firing: { type: 'edge' }, tactic: { kind: 'call' }, holdout: { share: 0.5, salt: '2026', stratify_by: 'plan' } },
      { id: 'drawn', trigger, firing: { type: 'edge' }, tactic: { kind: 'email' } },
    ],
  })
  const held = run('runPlaybook', custfit.runPlaybook(book, snap))
  assert.ok(held.run.held_out.length > 0 && held.run.fired.length > 0)
  run('Playbook.toJSON', book.toJSON())
  const replay = { from: new Date(sim.end.getTime() - 150 * day).toISOString(), to: new Date(sim.end.getTime() - 40 * day).toISOString(), step: { amount: 7, unit: 'days' } }
  const { state: ledger } = custfit.dryRun(book, ds, { version: 1 }, replay)
  run('PlayState.actions', ledger.actions())
  for (const outcome of [{ type: 'retention' }, { type: 'metric', metric: 'active_days_30d' }, { type: 'revenue' }]) {
    run('analyse', custfit.analyse(book, ledger, ds, { outcome, sequential: { tuning: 500 }, min_per_arm: 5 }))
  }
  const observations = run('experimentObservations', custfit.experimentObservations(book, ledger, ds, { outcome: { type: 'retention' } }))
  run('analyseObservations', custfit.analyseObservations(observations, { outcome: { type: 'retention' } }))
  const plan = run('powerPlan', custfit.powerPlan(book, custfit.dryRun(book, ds, { version: 1 }, replay), { outcome: { type: 'rate', baseline: 0.8 } }))
  assert.deepEqual(plan.map((p) => p.play), ['stratified', 'drawn'])
  run('sampleRatioMismatch', custfit.sampleRatioMismatch([9463, 7681], [0.5, 0.5]))
  run('sampleSizeProportions', custfit.sampleSizeProportions(0.8, 0.05))
  run('sampleSizeMeans', custfit.sampleSizeMeans(3, 1))
  const effect = run('welch', custfit.welch([3.1, 2.4, 5.6, 4.0], [4.2, 5.1, 3.9, 6.0]))
  run('welchSummary', custfit.welchSummary({ n: 10, sum: 5, sum_squares: 9 }, { n: 10, mean: 0.6, variance: 0.2 }))
  run('sequential', custfit.sequential(effect))
  run('cuped', custfit.cuped({ y: [1, 2, 3.5], x: [1, 2, 3] }, { y: [2, 3, 4.5], x: [1, 2, 4] }))
  run('kaplanMeier', custfit.kaplanMeier([5, 8, 8, 12], [true, true, false, true]))
  run('logRank', custfit.logRank({ durations: [5, 8, 8, 12], events: [true, true, false, true] }, { durations: [3, 6], events: [true, false] }))
  assert.equal(RESULTS.get('analyseAsync'), `Promise<${RESULTS.get('analyse')}>`)
  const simulated = custfit.simulateExperiment({
    simulation: { accounts: 120, days: 200, seed: 4, activity_scale: 0.3 },
    playbook: book.toJSON(),
    dry_run: { from: '2024-04-01', to: '2024-06-01', step: { amount: 7, unit: 'days' } },
    effects: [{ play: 'drawn', engagement: 0.4 }],
    analysis: { outcome: { type: 'metric', metric: 'active_days_30d' } },
  })
  run('simulateExperiment', simulated)

  // Lifecycle: months with and without churn, accounts never active, cohorts not over yet.
  const growth = custfit.growthAccounting(ds, sim.end)
  checked += conform(growth.periods, 'Array<GrowthPeriod>', 'GrowthAccounting.periods') // (a getter)
  run('GrowthAccounting.toJSON', growth.toJSON())
  run('GrowthAccounting.toJSON', custfit.growthAccounting(new custfit.Dataset(), sim.end, { period: 'week' }).toJSON())
  assert.ok(growth.buckets.every((b) => b === null || ['new', 'returning', 'resurrecting', 'dormant'].includes(b)))
  run('retentionCohorts', custfit.retentionCohorts(ds, sim.end))
  run('retentionCohorts', custfit.retentionCohorts(ds, sim.end, { start: 'first_activity', measure: 'active', period: 'week' }))
  assert.equal(RESULTS.get('growthAccountingAsync'), 'Promise<GrowthAccounting>')
  assert.equal(RESULTS.get('retentionCohortsAsync'), `Promise<${RESULTS.get('retentionCohorts')}>`)

  // Engagement moments (every status, cadences held and not yet) and a phase history.
  const step = (name, value, after) => ({
    name, event: 'onboarding_step', filter: { property: 'step', in: [value] }, expected: { amount: 14, unit: 'days' }, after,
  })
  const moments = custfit.engagementMoments(ds, sim.end, {
    from: sim.start.toISOString(),
    moments: [step('kickoff', 'kickoff', 'start'), step('training', 'training_done', 'previous'), step('first_value', 'first_value', 'previous')],
    cadences: [{ name: 'check_in', event: 'touch', every: { amount: 30, unit: 'days' } }],
  })
  const statuses = new Set(moments.journeys.flatMap((j) => j.moments.map((m) => m.status)))
  assert.ok(['done', 'stuck', 'waiting'].every((s) => statuses.has(s)), [...statuses].join())
  checked += conform(moments.journeys, 'Array<Journey>', 'EngagementMoments.journeys') // (getters)
  checked += conform(moments.summary, 'Array<MomentSummary>', 'EngagementMoments.summary')
  run('EngagementMoments.toJSON', moments.toJSON())
  const phases = { segments: [{ name: 'new', condition: 'tenure_days < 45' }, { name: 'busy', condition: 'active_days_30d > 10' }] }
  const history = run('phaseHistory', custfit.phaseHistory(ds, Array.from({ length: 11 }, (_, k) => sim.end - (10 - k) * 28 * day), phases))
  assert.ok(history.current.includes(null) && history.transitions.some((t) => t.from && t.to))
  assert.equal(RESULTS.get('engagementMomentsAsync'), 'Promise<EngagementMoments>')
  assert.equal(RESULTS.get('phaseHistoryAsync'), `Promise<${RESULTS.get('phaseHistory')}>`)

  // A maturity assessment: accounts below the first phase and at the top, plans with a stretch
  // target and without, peers by plan.
  const behaviour = (name, metric, bound, value) => ({ name, metric, [bound]: value })
  const maturityModel = {
    segment_by: 'plan',
    phases: [
      { name: 'started', behaviours: [behaviour('active', 'active_days_30d', 'at_least', 1)] },
      { name: 'adopting', behaviours: [behaviour('weekly', 'active_days_30d', 'at_least', 8), behaviour('recent', 'days_since_last_activity', 'at_most', 7)] },
      { name: 'mature', behaviours: [behaviour('broad', 'features_used_30d', 'at_least', 5)] },
    ],
  }
  const maturity = custfit.assessMaturity(snap, maturityModel)
  assert.ok(maturity.counts[0] > 0 && maturity.counts[3] > 0, maturity.counts.join())
  checked += conform(maturity.accounts, 'Array<AccountMaturity>', 'MaturityAssessment.accounts') // (a getter)
  run('MaturityAssessment.toJSON', maturity.toJSON())
  assert.equal(RESULTS.get('assessMaturity'), 'MaturityAssessment')
  assert.equal(RESULTS.get('assessMaturityAsync'), 'Promise<MaturityAssessment>')

  // Tracking against the plan: monthly checks with plans open and closed (achieved, regressed,
  // expired), accounts on track, behind and at the top.
  const tracker = new custfit.PlanTracker({ horizon: { amount: 60, unit: 'days' } })
  let planCheck
  for (const k of [4, 3, 2, 1, 0]) planCheck = tracker.track(ds.snapshot(new Date(sim.end.getTime() - 30 * k * day)), maturityModel)
  assert.deepEqual([...new Set(tracker.plans.map((p) => p.outcome ?? 'open'))].sort(), ['achieved', 'expired', 'open', 'regressed'])
  assert.deepEqual([...new Set(planCheck.accounts.map((a) => a.status))].sort(), ['behind', 'on_track', 'top'])
  const planned = planCheck.accounts.find((a) => a.closed !== null).account_id
  checked += conform(tracker.plans, 'Array<ImprovementPlan>', 'PlanTracker.plans') // (getters)
  checked += conform(tracker.actuals, 'Array<PlanActual>', 'PlanTracker.actuals')
  checked += conform(tracker.policy, 'TrackingPolicy', 'PlanTracker.policy')
  checked += conform(planCheck.accounts, 'Array<PlanProgress>', 'PlanCheck.accounts')
  run('PlanTracker.plansOf', tracker.plansOf(planned))
  run('PlanTracker.actualsOf', tracker.actualsOf(planned))
  run('PlanTracker.toJSON', tracker.toJSON())
  run('PlanCheck.toJSON', planCheck.toJSON())
  assert.equal(RESULTS.get('PlanTracker.track'), 'PlanCheck')

  assert.ok(checked > 100, `${checked} objects checked`)
})
