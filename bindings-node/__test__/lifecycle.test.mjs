// The account lifecycle from Node: growth accounting and retention cohorts on the simulated base
// of the Python suite (bindings-python/tests/test_lifecycle.py, which checks them against DuckDB)
// with the same figures, the `…Async` variants, the buckets as snapshot columns a play triggers
// on, bad configs and wrong-typed arguments (stable `.code`). The golden cases of
// tests/cases/lifecycle run in cases.test.mjs; docs/src/lifecycle.md includes the ANCHOR regions
// of this file.
import { describe, test, before } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { custfit } from './fixtures.mjs'

const { tableFromIPC } = createRequire(import.meta.url)('apache-arrow')

const { GrowthAccounting, growthAccounting, growthAccountingAsync, retentionCohorts, retentionCohortsAsync } = custfit

// Figures of the base below; test_lifecycle.py asserts the same ones (and DuckDB agrees).
const FIGURES = { active: [212, 214, 232, 235, 235, 229, 221], churned: [0, 7, 8, 13, 17, 17, 19], dormantNow: 79 }

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
    // 2024-01 212 212 0 0 0 0 null
    // 2024-02 214 9 205 0 7 7 1.2857142857142858
    // ...
    // 2024-07 221 11 210 0 79 19 0.5789473684210527
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
