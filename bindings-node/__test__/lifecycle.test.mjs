// The account lifecycle from Node: growth accounting and retention cohorts on the simulated base
// of the Python suite (bindings-python/tests/test_lifecycle.py, which checks them against DuckDB)
// with the same figures, the `…Async` variants, the buckets as snapshot columns a play triggers
// on; engagement moments and phase history on the base of the guide, with the same figures as
// Python, their columns in a play; bad configs and wrong-typed arguments (stable `.code`). The
// golden cases of tests/cases/lifecycle run in cases.test.mjs; docs/src/lifecycle.md includes
// the ANCHOR regions of this file.
import { describe, test, before } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { custfit } from './fixtures.mjs'

const { tableFromIPC } = createRequire(import.meta.url)('apache-arrow')

const { GrowthAccounting, growthAccounting, growthAccountingAsync, retentionCohorts, retentionCohortsAsync } = custfit
const { EngagementMoments, engagementMoments, engagementMomentsAsync, phaseHistory, phaseHistoryAsync } = custfit

// Figures of the base below; test_lifecycle.py asserts the same ones (and DuckDB agrees).
const FIGURES = { active: [211, 214, 231, 235, 234, 228, 221], churned: [0, 7, 8, 13, 17, 17, 18], dormantNow: 78 }

/** The code an async call rejects with. */
const code = (promise) => promise.then(() => 'resolved', (e) => e.code)

describe('lifecycle on a simulated base', () => {
  let sim
  let growth
  before(() => {
    sim = custfit.simulate({ accounts: 300, days: 200, seed: 21, activityScale: 0.3 })
    growth = growthAccounting(sim.dataset, sim.end)
  })

  test('growth accounting: the same figures as Python, buckets that partition the base', () => {
    // ANCHOR: growth
    const sim = custfit.simulate({ accounts: 300, days: 200, seed: 21, activityScale: 0.3 })
    const growth = growthAccounting(sim.dataset, sim.end) // monthly; or a config: { period: 'week' }
    for (const p of growth.periods) { // objects in the core's serde form, oldest first
      console.log(p.start.slice(0, 7), p.active, p.new, p.returning, p.resurrecting, p.dormant, p.churned, p.quick_ratio)
    }
    // 2024-01 211 211 0 0 0 0 null
    // 2024-02 214 10 204 0 7 7 1.4285714285714286
    // ...
    // 2024-07 221 11 210 0 78 18 0.6111111111111112
    console.log(growth.buckets.slice(0, 3)) // each account's bucket this month (null: never active)
    // [ 'returning', 'returning', 'returning' ]
    // ANCHOR_END: growth
    assert.equal(growth.period, 'month')
    assert.equal(growth.asOf.getTime(), sim.end.getTime())
    assert.deepEqual(growth.periods.map((p) => p.active), FIGURES.active)
    assert.deepEqual(growth.periods.map((p) => p.churned), FIGURES.churned)
    assert.equal(growth.buckets.filter((b) => b === 'dormant').length, FIGURES.dormantNow)
    assert.deepEqual(growth.periods.map((p) => p.complete), [true, true, true, true, true, true, false])
    let before = 0 // accounts active in or before the previous period
    for (const p of growth.periods) {
      assert.equal(p.active, p.new + p.returning + p.resurrecting)
      assert.equal(p.new + p.returning + p.resurrecting + p.dormant, before + p.new)
      assert.equal(p.quick_ratio, p.churned === 0 ? null : (p.new + p.resurrecting) / p.churned)
      before += p.new
    }
    assert.equal(growth.accountIds.length, sim.dataset.accountCount)
    assert.equal(growth.buckets.filter((b) => b !== null).length, before)
    assert.equal(growth.firstActive.filter((t) => t instanceof Date).length, before)
    const firsts = growth.firstActive.filter((t) => t !== null).map((t) => t.toISOString())
    assert.equal(firsts.sort()[0], '2024-01-01T00:00:00.000Z')
    assert.ok(firsts.every((t) => growth.periods.some((p) => `${p.start.slice(0, -1)}.000Z` === t)))
  })

  test('toJSON is the result in its serde form, as in Rust and Python', () => {
    const doc = growth.toJSON()
    assert.deepEqual(Object.keys(doc).sort(), ['account_ids', 'as_of', 'buckets', 'first_active', 'period', 'periods'])
    assert.equal(doc.as_of, '2024-07-18T23:59:59Z')
    assert.deepEqual(doc.periods, growth.periods)
    assert.deepEqual(doc.buckets, growth.buckets)
    assert.deepEqual(doc.first_active, growth.firstActive.map((t) => t && `${t.toISOString().slice(0, -5)}Z`))
    assert.deepEqual(JSON.parse(JSON.stringify(growth)), doc)
    // Configs: the defaults, an object and JSON text read alike.
    assert.deepEqual(growthAccounting(sim.dataset, sim.end, { version: 1, period: 'month' }).toJSON(), doc)
    assert.deepEqual(growthAccounting(sim.dataset, sim.end.toISOString(), '{"period": "month"}').toJSON(), doc)
    assert.deepEqual(growthAccounting(sim.dataset, sim.end.getTime(), null).toJSON(), doc)
  })

  test('weeks start on Monday; `from` drops periods but not what they tell', () => {
    const weekly = growthAccounting(sim.dataset, sim.end, { period: 'week' })
    assert.equal(weekly.period, 'week')
    const starts = weekly.periods.map((p) => new Date(p.start))
    assert.ok(starts.every((d) => d.getUTCDay() === 1))
    assert.ok(starts.slice(1).every((d, i) => d - starts[i] === 7 * 86_400_000))
    const later = growthAccounting(sim.dataset, sim.end, { from: '2024-04-10' })
    assert.deepEqual(later.periods, growth.periods.slice(3))
    assert.deepEqual(later.buckets, growth.buckets)
  })

  test('retention cohorts: the same figures as Python', () => {
    // ANCHOR: cohorts
    const config = { period: 'month', start: 'first_subscription', measure: 'subscribed', periods: 6 }
    const cohorts = retentionCohorts(sim.dataset, sim.end, config)
    for (const row of cohorts.rows.slice(-4)) { // the latest cohorts; periods not over yet are null
      console.log(row.cohort.slice(0, 7), row.accounts, row.logo, row.net_revenue)
    }
    // ...
    // 2024-05 17 [ 1, 0.8823529411764706, null, null, null, null, null ] [ 1, 0.8310091363007996, null, … ]
    // 2024-06 10 [ 1, null, null, null, null, null, null ] [ 1, null, null, null, null, null, null ]
    // ANCHOR_END: cohorts
    assert.deepEqual([cohorts.period, cohorts.start, cohorts.measure], ['month', 'first_subscription', 'subscribed'])
    const byMonth = Object.fromEntries(cohorts.rows.map((r) => [r.cohort.slice(0, 7), r]))
    assert.equal(byMonth['2024-05'].accounts, 17)
    assert.equal(byMonth['2024-05'].logo[1], 15 / 17)
    assert.ok(Math.abs(byMonth['2024-05'].gross_revenue[1] - 0.8310091363007996) < 1e-12)
    assert.equal(byMonth['2024-04'].logo[2], 13 / 14)
    assert.deepEqual(byMonth['2024-07'].logo, [null, null, null, null, null, null, null])
    assert.ok(cohorts.rows.every((r) => r.logo.length === 7 && r.logo.every((x) => x === null || (x >= 0 && x <= 1))))
    // Defaults (monthly, first subscription, subscribed, 12 periods) and JSON text.
    const defaults = retentionCohorts(sim.dataset, sim.end)
    assert.deepEqual(retentionCohorts(sim.dataset, sim.end, '{"version": 1, "periods": 12}'), defaults)
    assert.equal(defaults.rows.length, 37)
    assert.ok(defaults.rows.every((r) => r.logo.length === 13))
    // By first activity, measured by activity: every account ever active is in one cohort.
    const active = retentionCohorts(sim.dataset, sim.end, { start: 'first_activity', measure: 'active', periods: 3 })
    assert.equal(active.rows.reduce((n, r) => n + r.accounts, 0), growth.buckets.filter((b) => b !== null).length)
  })

  test('the async variants give the same results and reject with the same codes', async () => {
    const again = await growthAccountingAsync(sim.dataset, sim.end)
    assert.ok(again instanceof GrowthAccounting)
    assert.deepEqual(again.toJSON(), growth.toJSON())
    assert.deepEqual(await retentionCohortsAsync(sim.dataset, sim.end, { periods: 4 }), retentionCohorts(sim.dataset, sim.end, { periods: 4 }))
    assert.equal(await code(growthAccountingAsync(sim.dataset, sim.end, { version: 9 })), 'unsupported_version')
    assert.equal(await code(retentionCohortsAsync(sim.dataset, sim.end, { periods: 241 })), 'invalid_config')
    assert.equal(await code(growthAccountingAsync(5, sim.end)), 'invalid_argument')
    assert.equal(await code(retentionCohortsAsync(sim.dataset, 'never')), 'invalid_timestamp')
  })

  test('the buckets are columns of a snapshot that a play triggers on', () => {
    // ANCHOR: columns
    const frame = sim.dataset.snapshot(sim.end).withColumns(growth, 'lifecycle') // lifecycle, lifecycle_first_active
    const book = new custfit.Playbook({
      name: 'win back',
      plays: [{
        id: 'dormant_paying',
        cohort: 'mrr > 0',
        trigger: { type: 'condition', when: 'lifecycle == "dormant"' },
        firing: { type: 'edge' },
        tactic: { kind: 'email', payload: { template: 'we-miss-you' } },
      }],
    })
    const { run } = custfit.runPlaybook(book, frame)
    // ANCHOR_END: columns
    const types = Object.fromEntries(frame.schema.map((c) => [c.name, c.data_type]))
    assert.equal(types.lifecycle, 'str')
    assert.equal(types.lifecycle_first_active, 'timestamp')
    const table = frame.columns()
    const bucket = Object.fromEntries(growth.accountIds.map((a, i) => [a, growth.buckets[i]]))
    assert.deepEqual(table.lifecycle, table.account_id.map((a) => bucket[a]))
    const dormantPaying = table.account_id.filter((a, i) => table.lifecycle[i] === 'dormant' && table.mrr[i] > 0)
    assert.ok(dormantPaying.length > 0)
    const seen = [...run.fired.map((a) => a.account_id), ...run.skipped.map((s) => s.account_id)]
    assert.deepEqual(seen.sort(), dormantPaying.sort())
    assert.ok(run.fired.every((a) => a.reasons.lifecycle === 'dormant'))
    // The default name, and the same columns as Arrow.
    assert.ok(sim.dataset.snapshot(sim.end).withColumns(growth).columnNames.includes('lifecycle_first_active'))
    const arrow = tableFromIPC(custfit.toArrow(growth, 'phase'))
    assert.deepEqual(arrow.schema.fields.map((f) => f.name), ['account_id', 'phase', 'phase_first_active'])
    assert.deepEqual(arrow.getChild('phase').toArray(), growth.buckets)
  })

  test('bad configs are refused with stable codes, naming the field', () => {
    const bad = [
      [() => growthAccounting(sim.dataset, sim.end, { version: 9 }), 'unsupported_version'],
      [() => retentionCohorts(sim.dataset, sim.end, { version: 9 }), 'unsupported_version'],
      [() => retentionCohorts(sim.dataset, sim.end, { periods: 241 }), 'invalid_config', '`periods`'],
      [() => growthAccounting(sim.dataset, sim.end, { from: new Date(sim.end.getTime() + 86_400_000).toISOString() }), 'invalid_config', '`from`'],
      [() => growthAccounting(sim.dataset, sim.end, { period: 'day', from: '1990-01-01' }), 'invalid_config', '`from`'],
      [() => growthAccounting(sim.dataset, sim.end, { period: 'year' }), 'parse_error'],
      [() => retentionCohorts(sim.dataset, sim.end, { measure: 'happy' }), 'parse_error'],
      [() => growthAccounting(sim.dataset, sim.end, { periods: 3 }), 'parse_error'], // a cohort field
      [() => growthAccounting(sim.dataset, sim.end, '{'), 'parse_error'],
    ]
    for (const [call, want, names] of bad) {
      assert.throws(call, (e) => {
        assert.equal(e.code, want, e.message)
        if (names) assert.ok(e.message.includes(names), e.message)
        return true
      })
    }
    // An empty dataset is not an error.
    const empty = growthAccounting(new custfit.Dataset(), sim.end)
    assert.equal(empty.periods.length, 1)
    assert.deepEqual(empty.buckets, [])
    assert.deepEqual(retentionCohorts(new custfit.Dataset(), sim.end).rows, [])
  })

  test('wrong-typed arguments are invalid_argument naming the argument', () => {
    const cases = [
      [() => growthAccounting(sim.dataset.snapshot(sim.end), sim.end), 'dataset', 'expected a Dataset, got a Snapshot'],
      [() => growthAccounting(null, sim.end), 'dataset', 'expected a Dataset, got null'],
      [() => retentionCohorts({}, sim.end), 'dataset', 'expected a Dataset, got an object'],
      [() => growthAccounting(sim.dataset, true), 'asOf', 'got a boolean'],
      [() => retentionCohorts(sim.dataset, sim.end, 5), 'config', 'expected an object or its JSON text, got a number'],
      [() => growthAccounting(sim.dataset, sim.end, [1]), 'config', 'got an object'],
      [() => new GrowthAccounting(), 'GrowthAccounting', 'cannot be made with `new`'],
      [() => sim.dataset.snapshot(sim.end).withColumns(growth, 5), 'name', 'expected a string'],
    ]
    for (const [call, name, text] of cases) {
      assert.throws(call, (e) => {
        assert.equal(e.code, 'invalid_argument', e.message)
        assert.ok(e.message.startsWith(`invalid argument \`${name}\`: `), e.message)
        assert.ok(e.message.includes(text), `${e.message} mentions "${text}"`)
        return true
      })
    }
    assert.throws(() => growthAccounting(sim.dataset, 'never'), { code: 'invalid_timestamp' })
  })
})

// Figures of the base below; test_lifecycle.py asserts the same ones.
const MOMENT_FIGURES = {
  journeys: 115,
  done: [114, 91, 77],
  stuck: [0, 14, 16],
  median_days: [2.809728009259259, 9.0, 20.83798611111111],
  stuck_accounts: 17,
}
const PHASE_FIGURES = { transitions: [583, 200], current: { onboarding: 28, renewal: 189, adoption: 94, expansion: 72 } }

/** The simulator's onboarding as moments (kickoff, training done, first value: each some days
 * after the one before) and a CSM check-in every 30 days. */
function onboarding(sim) {
  const step = (name, value, days, more = {}) => ({
    name, event: 'onboarding_step', filter: { property: 'step', in: [value] }, expected: { amount: days, unit: 'days' }, ...more,
  })
  return {
    version: 1,
    from: sim.start.toISOString(),
    moments: [
      step('kickoff', 'kickoff', 7),
      step('training', 'training_done', 14, { after: 'previous', owner_role: 'onboarding' }),
      step('first_value', 'first_value', 30, { tolerance: { amount: 14, unit: 'days' } }),
    ],
    cadences: [{ name: 'check_in', event: 'touch', every: { amount: 30, unit: 'days' } }],
  }
}

const PHASES = {
  segments: [
    { name: 'onboarding', condition: 'tenure_days < 45' },
    { name: 'renewal', condition: 'days_to_renewal <= 60' },
    { name: 'adoption', condition: 'active_days_30d < 12' },
    { name: 'expansion', condition: 'true' },
  ],
}

describe('engagement moments and phases on a simulated base', () => {
  let sim
  let moments
  before(() => {
    sim = custfit.simulate({ accounts: 400, days: 180, activityScale: 0.3 })
    moments = engagementMoments(sim.dataset, sim.end, onboarding(sim))
  })

  test('engagement moments: the simulated onboarding, the same figures as Python', () => {
    // ANCHOR: moments
    const sim = custfit.simulate({ accounts: 400, days: 180, activityScale: 0.3 })
    const step = (name, value, days, more = {}) => ({ // a moment marked by an onboarding_step event
      name, event: 'onboarding_step', filter: { property: 'step', in: [value] }, expected: { amount: days, unit: 'days' }, ...more,
    })
    const config = {
      from: sim.start.toISOString(), // only journeys that started within the data
      moments: [
        step('kickoff', 'kickoff', 7),
        step('training', 'training_done', 14, { after: 'previous', owner_role: 'onboarding' }),
        step('first_value', 'first_value', 30, { tolerance: { amount: 14, unit: 'days' } }),
      ],
      cadences: [{ name: 'check_in', event: 'touch', every: { amount: 30, unit: 'days' } }],
    }
    const moments = engagementMoments(sim.dataset, sim.end, config)
    for (const m of moments.summary) { // where the time goes, where accounts get stuck
      console.log(m.name, m.done, 'of', m.reached, 'done, median', m.median_days.toFixed(1), 'days,', m.stuck, 'stuck')
    }
    // kickoff 114 of 115 done, median 2.8 days, 0 stuck
    // training 91 of 114 done, median 9.0 days, 14 stuck
    // first_value 77 of 115 done, median 20.8 days, 16 stuck
    // ANCHOR_END: moments
    assert.ok(moments instanceof EngagementMoments)
    assert.deepEqual(moments.moments, ['kickoff', 'training', 'first_value'])
    assert.deepEqual(moments.cadences, ['check_in'])
    assert.equal(moments.asOf.getTime(), sim.end.getTime())
    const figures = {
      journeys: moments.journeys.length,
      done: moments.summary.map((m) => m.done),
      stuck: moments.summary.map((m) => m.stuck),
      median_days: moments.summary.map((m) => m.median_days),
      stuck_accounts: moments.journeys.filter((j) => j.stuck).length,
    }
    assert.deepEqual(figures, MOMENT_FIGURES)
    // Every moment happened when the simulator made it happen.
    const truth = Object.fromEntries(sim.dataset.accounts().map((a, i) => [a.id, sim.truth[i]]))
    const iso = (t) => (t === null ? null : new Date(t).toISOString())
    for (const j of moments.journeys) {
      const t = truth[j.account_id]
      assert.deepEqual(j.moments.map((p) => iso(p.at)), [t.kickoff_at, t.training_done_at, t.first_value_at].map(iso))
    }
    // The accounts the simulator makes stuck never train, or train and never reach value: stuck
    // on the moment they wait for.
    const old = moments.journeys.filter((j) => sim.end - new Date(j.start) >= 60 * 86_400_000)
    const stuck = old.filter((j) => truth[j.account_id].onboarding_stuck)
    assert.ok(stuck.length > 3)
    for (const j of stuck) {
      const waiting = truth[j.account_id].training_done_at === null ? 'training' : 'first_value'
      assert.ok(j.stuck && j.current === waiting && j.time_to_first_value_days === null, j.account_id)
      assert.equal(j.moments[moments.moments.indexOf(waiting)].status, 'stuck')
    }
    // The same result as Python's in its serde form.
    assert.deepEqual(JSON.parse(JSON.stringify(moments)), moments.toJSON())
    assert.deepEqual(Object.keys(moments.toJSON()).sort(), ['as_of', 'cadences', 'journeys', 'moments', 'summary'])
    assert.deepEqual(engagementMoments(sim.dataset, sim.end.toISOString(), JSON.stringify(config)).toJSON(), moments.toJSON())
  })

  test('moments marked by a condition, checked weekly: the same figures as Python', () => {
    // ANCHOR: moments_condition
    const config = {
      from: sim.start.toISOString(),
      moments: [
        {
          name: 'first_value',
          event: 'onboarding_step',
          filter: { property: 'step', in: ['first_value'] },
          expected: { amount: 30, unit: 'days' },
        },
        // Adopted: three active days in a week — a condition over snapshot columns, checked weekly.
        { name: 'adopted', condition: 'active_days_7d >= 3', after: 'previous', expected: { amount: 14, unit: 'days' } },
      ],
      checks: { every: { amount: 7, unit: 'days' } }, // and snapshot: a snapshot config
    }
    const moments = engagementMoments(sim.dataset, sim.end, config)
    const adopted = moments.summary[1]
    console.log(adopted.done, 'of', adopted.reached, 'adopted; median', adopted.median_days.toFixed(1), 'days after first value')
    // 70 of 77 adopted; median 4.5 days after first value
    // ANCHOR_END: moments_condition
    assert.deepEqual([adopted.done, adopted.reached], [70, 77])
    for (const j of moments.journeys) {
      const [value, done] = j.moments
      if (done.at !== null) {
        // At a check at or after first value, where the account's snapshot holds the condition.
        assert.ok(new Date(done.at) >= new Date(value.at))
        assert.ok(sim.dataset.snapshot(new Date(done.at)).value(j.account_id, 'active_days_7d') >= 3)
      }
    }
    const bad = { ...config, moments: [config.moments[0], { ...config.moments[1], condition: 'active_days_7d' }] }
    assert.throws(() => engagementMoments(sim.dataset, sim.end, bad), (e) => e.code === 'expr_type' && e.message.includes('moments[1].condition'))
  })

  test('the moments are columns of a snapshot that a play triggers on', () => {
    const frame = sim.dataset.snapshot(sim.end).withColumns(moments, 'onboarding')
    const book = new custfit.Playbook({
      name: 'onboarding rescue',
      plays: [{
        id: 'stuck',
        trigger: { type: 'condition', when: 'onboarding_stuck && onboarding_current == "training"' },
        firing: { type: 'edge' },
        tactic: { kind: 'task', payload: { owner: 'onboarding' } },
      }],
    })
    const { run } = custfit.runPlaybook(book, frame)
    const types = Object.fromEntries(frame.schema.map((c) => [c.name, c.data_type]))
    assert.deepEqual(
      ['current', 'status', 'overdue_days', 'stuck', 'ttfv_days', 'check_in_next_due', 'check_in_overdue', 'kickoff'].map((c) => types[`onboarding_${c}`]),
      ['str', 'str', 'float', 'bool', 'float', 'timestamp', 'bool', 'str'],
    )
    const table = frame.columns()
    const journey = Object.fromEntries(moments.journeys.map((j) => [j.account_id, j]))
    assert.deepEqual(table.onboarding_stuck, table.account_id.map((a) => journey[a]?.stuck ?? null))
    const onTraining = moments.journeys.filter((j) => j.stuck && j.current === 'training').map((j) => j.account_id)
    assert.ok(onTraining.length > 0)
    const seen = [...run.fired.map((a) => a.account_id), ...run.skipped.map((s) => s.account_id)]
    assert.deepEqual(seen.sort(), onTraining.sort())
    // The default name, and the same columns as Arrow.
    assert.ok(sim.dataset.snapshot(sim.end).withColumns(moments).columnNames.includes('moments_stuck'))
    const arrow = tableFromIPC(custfit.toArrow(moments))
    assert.deepEqual(arrow.schema.fields.slice(0, 3).map((f) => f.name), ['account_id', 'moments_current', 'moments_status'])
    assert.equal(arrow.numRows, moments.journeys.length)
  })

  test('phase history: transitions are changes, the current phase is the last date\'s segmentation', () => {
    // ANCHOR: phases
    const phases = {
      segments: [ // first match wins: an account is in one phase at a time
        { name: 'onboarding', condition: 'tenure_days < 45' },
        { name: 'renewal', condition: 'days_to_renewal <= 60' },
        { name: 'adoption', condition: 'active_days_30d < 12' },
        { name: 'expansion', condition: 'true' },
      ],
    }
    const dates = Array.from({ length: 8 }, (_, k) => new Date(sim.start.getTime() + (60 + 14 * k) * 86_400_000))
    const history = phaseHistory(sim.dataset, dates, phases)
    for (const t of history.transitions.filter((t) => t.from).slice(0, 3)) {
      console.log(t.account_id, 'moved from', t.from, 'to', t.to, 'on', t.at.slice(0, 10))
    }
    // acc-000009 moved from onboarding to renewal on 2024-03-15
    // acc-000012 moved from renewal to expansion on 2024-03-15
    // acc-000024 moved from renewal to adoption on 2024-03-15
    // ANCHOR_END: phases
    assert.deepEqual(phases, PHASES)
    assert.deepEqual(Object.keys(history).sort(), ['account_ids', 'current', 'dates', 'transitions'])
    assert.deepEqual(history.dates.map((d) => new Date(d).getTime()), dates.map((d) => d.getTime()))
    const transitions = history.transitions
    assert.ok(transitions.every((t) => t.from !== t.to))
    // Each account's current phase is the segmentation of the last date's snapshot (none before
    // it existed), and its transitions chain from none to it.
    const snapshot = sim.dataset.snapshot(dates.at(-1))
    const labels = custfit.segmentRules(snapshot, phases).label
    const phase = Object.fromEntries(snapshot.columns().account_id.map((a, i) => [a, labels[i]]))
    assert.deepEqual(history.current, history.account_ids.map((a) => phase[a] ?? null))
    const chain = {}
    for (const t of transitions) {
      assert.equal(chain[t.account_id] ?? null, t.from)
      chain[t.account_id] = t.to
    }
    assert.deepEqual(history.account_ids.map((a) => chain[a] ?? null), history.current)
    // The figures Python checks on the same base.
    assert.deepEqual([transitions.length, transitions.filter((t) => t.from !== null).length], PHASE_FIGURES.transitions)
    const current = Object.fromEntries(Object.keys(PHASE_FIGURES.current).map((p) => [p, history.current.filter((c) => c === p).length]))
    assert.deepEqual(current, PHASE_FIGURES.current)
    // Dates as text or milliseconds, phases as JSON text, a snapshot config: the same history.
    const again = phaseHistory(sim.dataset, dates.map((d) => d.toISOString()), JSON.stringify(phases), { version: 1 })
    assert.deepEqual(again, history)
    assert.deepEqual(phaseHistory(sim.dataset, dates.map((d) => d.getTime()), phases, null), history)
  })

  test('the async variants give the same results and reject with the same codes', async () => {
    const again = await engagementMomentsAsync(sim.dataset, sim.end, onboarding(sim))
    assert.ok(again instanceof EngagementMoments)
    assert.deepEqual(again.toJSON(), moments.toJSON())
    const dates = [new Date(sim.end.getTime() - 30 * 86_400_000), sim.end]
    assert.deepEqual(await phaseHistoryAsync(sim.dataset, dates, PHASES), phaseHistory(sim.dataset, dates, PHASES))
    assert.equal(await code(engagementMomentsAsync(sim.dataset, sim.end, { ...onboarding(sim), version: 9 })), 'unsupported_version')
    assert.equal(await code(engagementMomentsAsync(5, sim.end, onboarding(sim))), 'invalid_argument')
    assert.equal(await code(phaseHistoryAsync(sim.dataset, dates.toReversed(), PHASES)), 'invalid_argument')
    assert.equal(await code(phaseHistoryAsync(sim.dataset, dates, { ...PHASES, mode: 'multi_label' })), 'invalid_config')
  })

  test('bad configs and dates are refused with stable codes, naming the field', () => {
    const config = onboarding(sim)
    const dates = [new Date(sim.end.getTime() - 30 * 86_400_000), sim.end]
    const bad = [
      [() => engagementMoments(sim.dataset, sim.end, { ...config, version: 9 }), 'unsupported_version'],
      [() => engagementMoments(sim.dataset, sim.end, { ...config, moments: [{ ...config.moments[0], name: 'a b' }] }), 'invalid_config', 'moments[0].name'],
      [() => engagementMoments(sim.dataset, sim.end, { ...config, moments: [] }), 'invalid_config', '`moments`'],
      [() => engagementMoments(sim.dataset, sim.end, { ...config, moments: [config.moments[1]] }), 'invalid_config', 'moments[0].after'],
      [() => engagementMoments(sim.dataset, sim.end, { ...config, first_value: 'zz' }), 'invalid_config', '`first_value`'],
      [() => engagementMoments(sim.dataset, sim.end, { ...config, cadences: [{ ...config.cadences[0], name: 'kickoff' }] }), 'invalid_config', 'cadences[0].name'],
      [() => engagementMoments(sim.dataset, sim.end, { ...config, start: 'signup' }), 'parse_error', 'signup'],
      [() => engagementMoments(sim.dataset, sim.end, '{'), 'parse_error'],
      [() => phaseHistory(sim.dataset, dates.toReversed(), PHASES), 'invalid_argument', '`dates`'],
      [() => phaseHistory(sim.dataset, [sim.end, sim.end], PHASES), 'invalid_argument', '`dates`'],
      [() => phaseHistory(sim.dataset, [], PHASES), 'invalid_argument', '`dates`'],
      [() => phaseHistory(sim.dataset, dates, { ...PHASES, mode: 'multi_label' }), 'invalid_config', '`mode`'],
      [() => phaseHistory(sim.dataset, dates, { segments: [{ name: 'x', condition: 'no_such_metric > 1' }] }), 'unknown_name'],
    ]
    for (const [call, want, names] of bad) {
      assert.throws(call, (e) => {
        assert.equal(e.code, want, e.message)
        if (names) assert.ok(e.message.includes(names), e.message)
        return true
      })
    }
    // An empty dataset has no journeys and no phases, but is not an error.
    const empty = engagementMoments(new custfit.Dataset(), sim.end, config)
    assert.deepEqual(empty.journeys, [])
    assert.deepEqual(empty.summary.map((m) => m.reached), [0, 0, 0])
    assert.deepEqual(phaseHistory(new custfit.Dataset(), dates, PHASES).transitions, [])
  })

  test('wrong-typed arguments are invalid_argument naming the argument', () => {
    const cases = [
      [() => engagementMoments(sim.dataset.snapshot(sim.end), sim.end, onboarding(sim)), 'dataset', 'expected a Dataset, got a Snapshot'],
      [() => engagementMoments(sim.dataset, true, onboarding(sim)), 'asOf', 'got a boolean'],
      [() => engagementMoments(sim.dataset, sim.end, 5), 'config', 'expected an object or its JSON text, got a number'],
      [() => engagementMoments(sim.dataset, sim.end), 'config', 'got nothing'],
      [() => phaseHistory(null, [sim.end], PHASES), 'dataset', 'expected a Dataset, got null'],
      [() => phaseHistory(sim.dataset, sim.end, PHASES), 'dates', 'expected an array of instants'],
      [() => phaseHistory(sim.dataset, '2024-03-01', PHASES), 'dates', 'expected an array of instants'],
      [() => phaseHistory(sim.dataset, [true], PHASES), 'dates', 'got a boolean'],
      [() => phaseHistory(sim.dataset, [sim.end], [1]), 'phases', 'got an object'],
      [() => phaseHistory(sim.dataset, [sim.end], PHASES, 5), 'snapshotConfig', 'got a number'],
      [() => new EngagementMoments(), 'EngagementMoments', 'cannot be made with `new`'],
      [() => sim.dataset.snapshot(sim.end).withColumns(moments, 5), 'name', 'expected a string'],
    ]
    for (const [call, name, text] of cases) {
      assert.throws(call, (e) => {
        assert.equal(e.code, 'invalid_argument', e.message)
        assert.ok(e.message.startsWith(`invalid argument \`${name}\`: `), e.message)
        assert.ok(e.message.includes(text), `${e.message} mentions "${text}"`)
        return true
      })
    }
  })
})
