// Frames from Node: per-account results added to a snapshot as columns (`withColumns`), then
// read by conditions and scorecard sets (custfit::frame in Rust, Snapshot.with_columns in Python).
// The golden cases of tests/cases/frame run in cases.test.mjs.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { custfit } from './fixtures.mjs'

const TIER_SET = {
  version: 1,
  column: 'tier',
  cases: [
    {
      values: ['tier_1'],
      scorecard: {
        name: 'high_touch',
        measures: [{ name: 'active', metric: 'active_days_30d', scoring: { type: 'ramp', low: 0, high: 25 } }],
      },
    },
  ],
  default: {
    name: 'tech_touch',
    measures: [{ name: 'active', metric: 'active_days_30d', scoring: { type: 'ramp', low: 0, high: 10 } }],
  },
}

const sim = custfit.simulate({ accounts: 200, days: 240, seed: 3, activityScale: 0.3 })

describe('frames', () => {
  test('pareto tiers key a scorecard set', () => {
    // ANCHOR: frame_node
    const snap = sim.dataset.snapshot(sim.end)
    const tiers = custfit.paretoTiers(snap)
    const framed = snap.withColumns(tiers) // a new snapshot with a `tier` column
    const scores = new custfit.ScorecardSet(TIER_SET).score(framed) // a scorecard per tier
    // ANCHOR_END: frame_node
    assert.ok(!snap.columnNames.includes('tier'), 'the original is unchanged')
    const tier = framed.column('tier')
    assert.deepEqual([...new Set(tier)].sort(), ['tier_1', 'tier_2', 'tier_3'])
    for (let i = 0; i < scores.length; i++) {
      assert.equal(scores.row(i).scorecard, tier[i] === 'tier_1' ? 'high_touch' : 'tech_touch')
    }
    assert.throws(() => new custfit.ScorecardSet(TIER_SET).score(snap), { code: 'unknown_metric' })
  })

  test('churn risk and health band in one condition', () => {
    const features = ['active_days_30d', 'usage_trend_30d', 'days_to_renewal']
    const ts = custfit.buildTrainingSet(sim.dataset, { features: { metrics: features }, horizon: { amount: 60, unit: 'days' } }, sim.end)
    const risk = custfit.ChurnModel.fit(ts).forecast(sim.dataset, sim.end, 2)
    const health = custfit.Scorecard.starter().score(custfit.healthSnapshot(sim.dataset, sim.end))
    const frame = sim.dataset.snapshot(sim.end).withColumns(risk).withColumns(health)
    for (const name of ['churn_probability', 'churn_rank', 'churn_top_driver', 'churn_opportunity_at', 'health_score', 'health_band']) {
      assert.ok(frame.columnNames.includes(name), name)
    }
    const atRisk = new custfit.Expr('churn_probability > 0.2 && health_band in ["red", "orange"]', Object.fromEntries(frame.schema.map((c) => [c.name, c.data_type]))).matches(frame)
    const p = frame.column('churn_probability')
    const band = frame.column('health_band')
    assert.deepEqual(atRisk, p.map((x, i) => x !== null && x > 0.2 && ['red', 'orange'].includes(band[i])))
    assert.equal(p.filter((x) => x === null).length, frame.length - risk.length)
  })

  test('column maps, keyed or by row', () => {
    const snap = sim.dataset.snapshot(sim.end)
    const ids = snap.accountIds
    const a = snap.withColumns({ account_id: [ids[0]], note: ['call'] })
    assert.equal(a.value(ids[0], 'note'), 'call')
    assert.equal(a.value(ids[1], 'note'), null)
    const b = snap.withColumns({ flagged: ids.map((_, i) => i % 2 === 0) })
    assert.equal(b.column('flagged')[0], true)
    const c = snap.withColumns(custfit.fitClusters(snap, { metrics: ['mau', 'mrr'], k: { type: 'fixed', k: 3 }, seed: 1 }), 'behaviour')
    assert.ok(c.columnNames.includes('behaviour'))
    // Per-account results as a table: add them and keep the columns of interest.
    const table = c.select(['account_id', 'mrr', 'behaviour'])
    assert.deepEqual(table.columnNames, ['mrr', 'behaviour'])
    assert.deepEqual(Object.keys(table.columns()), ['account_id', 'mrr', 'behaviour'])
    assert.throws(() => snap.select(['nope']), { code: 'unknown_metric' })
  })

  test('Date columns stay timestamps', () => {
    const snap = sim.dataset.snapshot(sim.end)
    const again = snap.withColumns({ account_id: snap.accountIds, created_again: snap.column('created_at') })
    assert.equal(again.schema.find((c) => c.name === 'created_again').data_type, 'timestamp')
    assert.deepEqual(again.column('created_again').map(Number), snap.column('created_at').map(Number))
  })

  test('results as Arrow IPC (toArrow)', () => {
    const { tableFromIPC } = createRequire(import.meta.url)('apache-arrow')
    const snap = sim.dataset.snapshot(sim.end)
    // ANCHOR: to_arrow_node
    const scores = custfit.Scorecard.starter().score(custfit.healthSnapshot(sim.dataset, sim.end))
    const table = tableFromIPC(custfit.toArrow(scores)) // account_id, health_score, health_band, …
    // ANCHOR_END: to_arrow_node
    assert.deepEqual(table.schema.fields.slice(0, 3).map((f) => f.name), ['account_id', 'health_score', 'health_band'])
    assert.equal(table.numRows, scores.length)
    const col = table.getChild('health_score')
    assert.deepEqual(scores.rows().map((_, i) => col.get(i)), scores.rows().map((r) => r.score))
    // Results computed from a snapshot's rows carry no ids: their rows are the snapshot's rows.
    const tiers = tableFromIPC(custfit.toArrow(custfit.paretoTiers(snap)))
    assert.deepEqual(tiers.schema.fields.map((f) => f.name), ['tier'])
    assert.deepEqual([...tiers.getChild('tier')], snap.withColumns(custfit.paretoTiers(snap)).column('tier'))
    assert.throws(() => custfit.toArrow({ a: [1, 2], b: [1] }), { code: 'invalid_argument' })
  })

  test('bad columns have codes', () => {
    const snap = sim.dataset.snapshot(sim.end)
    const ids = snap.accountIds
    const code = (source) => assert.throws(() => snap.withColumns(source), (e) => typeof e.code === 'string')
    assert.throws(() => snap.withColumns({ account_id: ['nope'], x: [1] }), { code: 'unknown_account' })
    assert.throws(() => snap.withColumns({ account_id: [ids[0], ids[0]], x: [1, 2] }), { code: 'duplicate_id' })
    assert.throws(() => snap.withColumns({ mau: ids.map(() => 1) }), { code: 'duplicate_metric' })
    assert.throws(() => snap.withColumns({ x: [1, 2] }), { code: 'invalid_argument' })
    assert.throws(() => snap.withColumns({ assignment: 3, tiers: [], chart: {} }), { code: 'parse_error' })
    assert.throws(() => snap.withColumns(42), { code: 'invalid_argument' })
    code([1, 2])
  })
})
