// Health scoring from Node: invariants on the simulator (bounds, exact contributions,
// why-changed sums, JSON round trips), flags, history, backtests (sync and async), and bad input
// (stable `.code`, nothing changed, no panic across the boundary). The golden cases of
// tests/cases/health run in cases.test.mjs.
import { describe, test, before } from 'node:test'
import assert from 'node:assert/strict'
import { custfit } from './fixtures.mjs'

const { Scorecard, ScorecardSet, HealthScores, Snapshot } = custfit

/** Scores within 0-100; contributions sum exactly (in millionths) to the computed score. */
function checkExact(scores) {
  const parts = scores.parts.length
  scores.rows().forEach((row, i) => {
    const computed = scores.computedMicros(i)
    if (row.score === null) {
      assert.equal(computed, null)
      assert.equal(row.band, null)
      return
    }
    assert.ok(row.score >= 0 && row.score <= 100, JSON.stringify(row))
    let sum = 0
    for (let p = 0; p < parts; p++) sum += scores.contributionMicros(p, i)
    assert.equal(sum, computed)
    const total = row.measures.reduce((s, m) => s + m.contribution, 0)
    const expected = row.override ? row.override.computed_score : row.score
    assert.ok(Math.abs(total - expected) < 1e-6, JSON.stringify(row))
    const shares = row.measures.filter((m) => !m.name.startsWith('penalty:')).reduce((s, m) => s + m.weight, 0)
    assert.ok(Math.abs(shares - 1) < 1e-9, JSON.stringify(row))
  })
}

describe('the simulator', () => {
  let sim, snap
  before(() => {
    sim = custfit.simulate({ accounts: 80, days: 200, seed: 4, activityScale: 0.3 })
    snap = custfit.healthSnapshot(sim.dataset, sim.end)
  })

  test('the starter scorecard scores every account exactly', () => {
    assert.ok(custfit.flagColumns().every((c) => snap.columnNames.includes(c)))
    const card = Scorecard.starter()
    assert.equal(card.name, 'starter')
    const scores = card.score(snap)
    assert.ok(scores instanceof HealthScores)
    assert.equal(scores.length, snap.length)
    assert.deepEqual(scores.accountIds, snap.accountIds)
    assert.equal(scores.asOf.getTime(), snap.asOf.getTime())
    checkExact(scores)
    assert.deepEqual(scores.bands, custfit.defaultBands())
    const indices = scores.bandIndices()
    scores.scores().forEach((s, i) => {
      assert.equal(indices[i] === null, s === null)
      if (s !== null) assert.equal(indices[i], card.bandOf(s))
      assert.deepEqual(scores.row(i), scores.account(scores.accountIds[i]))
      assert.equal(scores.rowOf(scores.accountIds[i]), i)
    })
    assert.equal(scores.row(scores.length), null)
    assert.equal(scores.row(-1), null)
    assert.equal(scores.row(0.5), null)
    assert.equal(scores.account('no such account'), null)
    assert.equal(scores.rowOf('no such account'), null)
    assert.equal(scores.scoreMicros(-1), null)
    assert.equal(scores.contributionMicros(99, 0), 0)
  })

  test('why-changed parts sum to the delta', () => {
    const card = Scorecard.starter()
    const earlier = card.score(custfit.healthSnapshot(sim.dataset, new Date(sim.end.getTime() - 30 * 86400000)))
    const later = card.score(snap)
    const changes = later.changesSince(earlier)
    assert.ok(changes.length > 0)
    for (const ch of changes) {
      assert.ok(Math.abs(ch.delta - (ch.after - ch.before)) < 1e-9)
      const sum = ch.by_measure.reduce((s, m) => s + m.delta, 0)
      assert.ok(Math.abs(sum - ch.delta) < 1e-9, JSON.stringify(ch))
      const abs = ch.by_measure.map((m) => Math.abs(m.delta))
      assert.deepEqual(abs, [...abs].sort((a, b) => b - a))
      const micros = later.scoreMicros(later.rowOf(ch.account_id)) - earlier.scoreMicros(earlier.rowOf(ch.account_id))
      assert.equal(micros, Math.round(ch.delta * 1e6))
    }
  })

  test('scores as a table', () => {
    const scores = Scorecard.starter().score(snap)
    const table = scores.toSnapshot()
    assert.ok(table instanceof Snapshot)
    assert.deepEqual(table.columnNames.slice(0, 2), ['health_score', 'health_band'])
    for (const p of scores.parts) {
      assert.ok(table.columnNames.includes(`points:${p}`) && table.columnNames.includes(`contribution:${p}`))
    }
    assert.deepEqual(table.column('health_score'), scores.scores())
    const before = snap.columnNames
    const joined = scores.addToSnapshot(snap)
    assert.deepEqual(snap.columnNames, before)
    assert.deepEqual(joined.columnNames, [...before, 'health_score', 'health_band'])
    assert.deepEqual(joined.column('health_band'), scores.bandNames())
  })

  test('flags', () => {
    const flags = custfit.detectFlags(sim.dataset, sim.end)
    assert.deepEqual(flags.map((f) => f.account_id), snap.accountIds)
    for (const f of flags) {
      const fired = ['extraction_burst', 'confusion', 'pricing_interest', 'cadence_inactivity'].filter((k) => f[k].flagged)
      assert.deepEqual(f.fired, fired)
    }
    const plain = sim.dataset.snapshot(sim.end)
    const withFlags = custfit.addFlagColumns(plain, flags)
    assert.ok(!plain.columnNames.includes('flag_confusion'))
    assert.deepEqual(withFlags.toJSON(), snap.toJSON())
    const loose = custfit.detectFlags(sim.dataset, sim.end, JSON.stringify({ pricing: { min_views: 1 } }))
    const count = (fs) => fs.filter((f) => f.pricing_interest.flagged).length
    assert.ok(count(loose) >= count(flags))
  })

  test('history and one account\'s series', () => {
    const dates = custfit.backtestGrid('2024-04-01', sim.end, 30)
    assert.equal(dates[0].toISOString(), '2024-04-01T00:00:00.000Z')
    const hist = custfit.healthHistory(sim.dataset, Scorecard.starter(), dates)
    assert.deepEqual(hist.map((h) => h.asOf.getTime()), dates.map((d) => d.getTime()))
    const id = hist.at(-1).accountIds[0]
    const series = custfit.accountHistory(hist, id)
    assert.equal(series.length, dates.length)
    series.forEach((p, k) => assert.equal(p.score, hist[k].account(id)?.score ?? null))
    assert.deepEqual(custfit.accountHistory(hist, 'nobody'), series.map((p) => ({ as_of: p.as_of, score: null, band: null })))
  })

  test('backtest, sync and on the thread pool', async () => {
    const dates = custfit.backtestGrid('2024-03-01', '2024-05-01', 30)
    const config = { dates, horizon: { amount: 60, unit: 'days' } }
    const report = custfit.backtest(sim.dataset, Scorecard.starter(), config)
    assert.equal(report.observations, report.dates.reduce((s, d) => s + d.observations, 0))
    assert.equal(report.churned, report.bands.reduce((s, b) => s + b.churned, 0))
    for (const b of report.bands.filter((b) => b.observations > 0)) {
      const [lo, hi] = custfit.wilsonInterval(b.churned, b.observations)
      assert.deepEqual([b.ci_low, b.ci_high], [lo, hi])
    }
    assert.equal(report.transitions.counts.length, 4)
    assert.deepEqual(await custfit.backtestAsync(sim.dataset, Scorecard.starter(), config), report)
    assert.deepEqual(await custfit.backtestAsync(sim.dataset, Scorecard.starter().toJSON(), JSON.stringify(config)), report)
    const late = custfit.backtest(sim.dataset, JSON.stringify(Scorecard.starter()), { dates: ['2024-03-01', sim.end] })
    assert.equal(late.skipped_dates.length, 1)
    const code = (p) => p.then(() => 'resolved', (e) => (e instanceof Error ? e.code : 'not an Error'))
    assert.equal(await code(custfit.backtestAsync(sim.dataset, Scorecard.starter(), { dates: [sim.end] })), 'insufficient_data')
    assert.equal(await code(custfit.backtestAsync(sim.dataset, 7, { dates: [sim.end] })), 'invalid_argument')
    assert.equal(await code(custfit.backtestAsync(sim.dataset, Scorecard.starter(), { dates: [] })), 'invalid_config')
    assert.equal(await code(custfit.backtestAsync(sim.dataset, Scorecard.starter(), '{')), 'parse_error')
  })

  test('bad input leaves the dataset unchanged', () => {
    const ds = sim.dataset
    const counts = [ds.accountCount, ds.eventCount]
    const cases = [
      [() => custfit.healthSnapshot(ds, 'not a date'), 'invalid_timestamp'],
      [() => custfit.healthSnapshot(ds, sim.end, null, { burst: { min_z: -1 } }), 'invalid_config'],
      [() => custfit.detectFlags(ds, sim.end, { version: 9 }), 'unsupported_version'],
      [() => custfit.detectFlags(ds, sim.end, [1, 2]), 'invalid_argument'],
      [() => custfit.backtest(ds, Scorecard.starter(), { dates: [] }), 'invalid_config'],
      [() => custfit.backtest(ds, Scorecard.starter(), {}), 'parse_error'],
      [() => custfit.backtest(ds, 3, { dates: [sim.end] }), 'invalid_argument'],
      [() => custfit.healthHistory(ds, Scorecard.starter(), '2024-05-01'), 'invalid_argument'],
      [() => custfit.healthHistory(ds, Scorecard.starter(), ['2024-05-01', 'soon']), 'invalid_timestamp'],
      [() => custfit.backtestGrid('2024-01-01', '2024-02-01', -1), 'invalid_argument'],
      [() => custfit.addFlagColumns(ds.snapshot(sim.end), [{ account_id: 'x' }]), 'parse_error'],
      [() => custfit.wilsonInterval(1.5, 10), 'invalid_argument'],
    ]
    for (const [call, code] of cases) {
      assert.throws(call, (e) => e instanceof Error && e.code === code, code)
    }
    assert.deepEqual([ds.accountCount, ds.eventCount], counts)
  })
})

const RAMP = { name: 'm', metric: 'x', scoring: { type: 'ramp', low: 0, high: 10 } }

test('JSON round trips are exact', () => {
  const card = Scorecard.starter()
  const again = new Scorecard(JSON.stringify(card))
  assert.ok(again.equals(card))
  assert.deepEqual(again.toJSON(), card.toJSON())
  assert.ok(new Scorecard(card.toJSON()).equals(card))
  const doc = {
    name: 'groups',
    measures: [
      { name: 'a', metric: 'x', group: 'g1', weight: 0.3, scoring: { type: 'ramp', low: 0.1, high: 7.3 } },
      {
        name: 'b',
        metric: 'y',
        group: 'g2',
        direction: 'lower_is_better',
        missing: { type: 'default', points: 33.3 },
        scoring: { type: 'tiers', tiers: [{ max: 1.5, points: 90 }, { min: 1.5, points: 10 }] },
      },
    ],
    groups: [{ name: 'g1', weight: 2 }, { name: 'g2', weight: 1 }],
    penalties: [{ column: 'flag_confusion', points: 12.5 }],
    overrides: [{ account_id: 'Büro', score: 55, reason: 'renewal signed', expires_at: '2030-01-01T00:00:00Z' }],
  }
  const grouped = new Scorecard(doc)
  assert.ok(new Scorecard(JSON.stringify(grouped)).equals(grouped))
  assert.equal(grouped.toJSON().version, 1)
  const set = new ScorecardSet({ column: 'plan', cases: [{ values: ['growth'], scorecard: doc }], default: Scorecard.starter().toJSON() })
  assert.equal(set.column, 'plan')
  assert.ok(new ScorecardSet(JSON.stringify(set)).equals(set))
  assert.deepEqual(new ScorecardSet(set.toJSON()).toJSON(), set.toJSON())
})

test('the same document gives the same JSON as Python and Rust (snake_case, versioned)', () => {
  const card = new Scorecard({ measures: [RAMP] })
  assert.deepEqual(card.toJSON(), {
    version: 1,
    name: '',
    measures: [{ name: 'm', metric: 'x', direction: 'higher_is_better', scoring: { type: 'ramp', low: 0, high: 10 }, missing: { type: 'renormalize' } }],
    bands: custfit.defaultBands(),
  })
})

test('unicode account ids', () => {
  const ids = ['Büro GmbH', '日本株式会社', '🚀 rocket', 'a\u0301']
  const snap = custfit.snapshotFromJson({ as_of: '2024-06-01', columns: { account_id: ids, x: [10, 5, 0, null] } })
  const scores = new Scorecard({ measures: [RAMP] }).score(snap)
  assert.deepEqual(scores.accountIds, ids)
  assert.equal(scores.account('日本株式会社').score, 50)
  assert.equal(scores.rowOf('🚀 rocket'), 2)
  assert.equal(scores.account('a\u0301').score, null)
})

test('an empty snapshot', () => {
  const snap = custfit.snapshotFromJson(JSON.stringify({ as_of: '2024-06-01', columns: { account_id: [], x: [] } }))
  const scores = new Scorecard({ measures: [RAMP] }).score(snap)
  assert.equal(scores.length, 0)
  assert.deepEqual(scores.rows(), [])
  assert.deepEqual(scores.changesSince(scores), [])
  assert.equal(scores.toSnapshot().length, 0)
  assert.equal(scores.addToSnapshot(snap).length, 0)
})

test('NaN is refused: JSON has none', () => {
  assert.throws(
    () => custfit.snapshotFromJson({ as_of: '2024-06-01', columns: { account_id: ['a'], x: [NaN] } }),
    (e) => e.code === 'parse_error',
  )
  assert.throws(() => new Scorecard({ measures: [{ ...RAMP, weight: NaN }] }), (e) => e.code === 'parse_error')
  assert.throws(() => custfit.snapshotFromJson('{"as_of": "2024-06-01", "columns": {"account_id": ["a"], "x": [NaN]}}'), (e) => e.code === 'parse_error')
})

test('an unknown metric is unknown_metric and leaves the snapshot as it was', () => {
  const snap = custfit.snapshotFromJson({ as_of: '2024-06-01', columns: { account_id: ['a'], logins_7d: [3] } })
  const before = snap.toJSON()
  const card = new Scorecard({ measures: [{ ...RAMP, metric: 'logins_7' }] })
  assert.throws(() => card.score(snap), (e) => e.code === 'unknown_metric' && /logins_7d/.test(e.message))
  assert.deepEqual(snap.toJSON(), before)
})

test('bad scorecards carry stable codes', () => {
  const cases = [
    [{ measures: [] }, 'invalid_config'],
    [{ measures: [{ ...RAMP, weight: -1 }] }, 'invalid_config'],
    [{ version: 2, measures: [RAMP] }, 'unsupported_version'],
    [{ measures: [RAMP], colour: 'red' }, 'parse_error'],
    ['{not json', 'parse_error'],
    [42, 'invalid_argument'],
    [undefined, 'invalid_argument'],
    [[RAMP], 'invalid_argument'],
  ]
  for (const [config, code] of cases) {
    assert.throws(() => new Scorecard(config), (e) => e instanceof Error && e.code === code, `${JSON.stringify(config)} -> ${code}`)
  }
})

test('a scorecard set and a revenue-weighted roll-up', () => {
  const snap = custfit.snapshotFromJson({
    as_of: '2024-06-01',
    columns: {
      account_id: ['parent', 'child-1', 'child-2'],
      parent_id: [null, 'parent', 'parent'],
      plan: ['enterprise', 'smb', 'smb'],
      x: [10, 5, 0],
      mrr: [100.0, 300.0, 0.0],
    },
  })
  const set = new ScorecardSet({
    column: 'plan',
    cases: [{ values: ['smb'], scorecard: { name: 'smb', measures: [{ ...RAMP, scoring: { type: 'ramp', low: 0, high: 5 } }] } }],
    default: { name: 'default', measures: [RAMP] },
  })
  const scores = set.score(snap)
  assert.deepEqual(scores.rows().map((r) => r.scorecard), ['default', 'smb', 'smb'])
  assert.deepEqual(scores.scores(), [100, 100, 0])
  const [parent] = scores.rollup(snap)
  assert.equal(parent.account_id, 'parent')
  assert.equal(parent.descendants, 2)
  assert.equal(parent.score, 100)
  assert.throws(() => scores.rollup(snap, 'no_such_column'), (e) => e.code === 'unknown_metric')
})

test('AUC and Wilson helpers', () => {
  assert.equal(custfit.rocAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), 0.75)
  assert.equal(custfit.rocAuc([1], [true]), null)
  const [lo, hi] = custfit.wilsonInterval(10, 100)
  assert.ok(Math.abs(lo - 0.0552) < 1e-3 && Math.abs(hi - 0.1744) < 1e-3)
  assert.equal(custfit.wilsonInterval(0, 0), null)
  const bad = [
    [() => custfit.rocAuc([0.1, 0.2], [true]), 'invalid_argument'],
    [() => custfit.rocAuc([0.1, NaN], [true, false]), 'non_finite'],
    [() => custfit.wilsonInterval(3, 2), 'invalid_argument'],
    [() => custfit.backtestGrid('2024-01-01', '2024-02-01', 0), 'invalid_argument'],
    [() => custfit.backtestGrid('2000-01-01', '2090-01-01', 1), 'invalid_argument'],
  ]
  for (const [call, code] of bad) {
    assert.throws(call, (e) => e instanceof Error && e.code === code, code)
  }
  assert.deepEqual(custfit.backtestGrid('2024-02-01', '2024-01-01', 7), [])
})
