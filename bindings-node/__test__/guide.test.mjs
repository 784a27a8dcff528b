// Snippets of the user guide: docs/src/node.md includes the ANCHOR regions of this file, so
// every snippet in the guide runs here.
import { createRequire } from 'node:module'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

// The snippets use CommonJS `require`, as most Node services do.
const require = createRequire(import.meta.url)

test('guide: quick start', () => {
  // ANCHOR: quickstart
  const { simulate } = require('custfit')

  const sim = simulate({ accounts: 200, days: 90, seed: 7, activityScale: 0.5 })
  const snap = sim.dataset.snapshot(sim.end)
  console.log(snap.length, 'accounts;', snap.columnNames.length, 'columns')
  const mau = snap.column('mau') // one number per account, null = missing
  const atRisk = snap.accountIds.filter((id, i) => mau[i] === 0)
  // ANCHOR_END: quickstart
  assert.equal(snap.length, 200)
  assert.ok(Array.isArray(atRisk))
})

test('guide: build a dataset, errors and lenient mode', () => {
  // ANCHOR: build
  const { Dataset } = require('custfit')

  const options = { now: '2024-03-01' } // the "now" of the future-timestamp check
  const ds = new Dataset()
  ds.addAccounts([{ id: 'acme', name: 'Acme Inc.', created_at: '2023-05-01', seats: 25, attributes: { plan: 'enterprise' } }], options)
  ds.addUsers([{ id: 'ada', account_id: 'acme', role: 'champion', created_at: new Date('2023-05-01') }], options)
  ds.addSubscriptions([{ account_id: 'acme', plan: 'enterprise', start: '2023-05-01', end: '2024-05-01', mrr: { minor: 650000, currency: 'USD' } }], options)
  const report = ds.addEvents([
    { account_id: 'acme', user_id: 'ada', timestamp: '2024-02-27T09:30:00Z', name: 'login' },
    { account_id: 'acme', user_id: 'ada', timestamp: Date.parse('2024-02-27T09:31:00Z'), name: 'feature_used', properties: { feature: 'reports' } },
  ], options)
  // report: { accepted: 2, rejected: [], duplicates_dropped: 0 }
  // ANCHOR_END: build
  assert.deepEqual(report, { accepted: 2, rejected: [], duplicates_dropped: 0 })

  // ANCHOR: errors
  try {
    ds.addEvents([{ account_id: 'globex', timestamp: '2024-02-28', name: 'login' }], options)
  } catch (err) {
    // err.code === 'unknown_account', err.row === 0, err.field === 'account_id';
    // strict mode (the default) is all-or-nothing: the dataset is unchanged.
    assert.equal(err.code, 'unknown_account')
  }
  const lenient = ds.addEvents([
    { account_id: 'acme', timestamp: '2024-02-28', name: 'login' },
    { account_id: 'acme', user_id: 'ghost', timestamp: '2024-02-28', name: 'login' },
  ], { ...options, mode: 'lenient' })
  // lenient.accepted === 1; lenient.rejected[0] is
  // { row: 1, field: 'user_id', code: 'unknown_user', reason: 'no user `ghost` in the dataset' }
  // ANCHOR_END: errors
  assert.equal(lenient.accepted, 1)
  assert.deepEqual(lenient.rejected[0], { row: 1, field: 'user_id', code: 'unknown_user', reason: 'no user `ghost` in the dataset' })

  // ANCHOR: columns
  const n = 3
  ds.addEventColumns({
    accountId: Array(n).fill('acme'),
    userId: ['ada', null, 'ada'],
    timestamp: new Float64Array([Date.parse('2024-02-29T08:00:00Z'), Date.parse('2024-02-29T09:00:00Z'), Date.parse('2024-02-29T10:00:00Z')]),
    name: ['login', 'page_view', 'feature_used'],
    properties: { page: [null, 'pricing', null], feature: [null, null, 'alerts'] },
  }, options)
  // ANCHOR_END: columns
  assert.equal(ds.eventCount, 6)

  // ANCHOR: snapshot
  const config = {
    version: 1,
    metrics: [
      { type: 'count', name: 'reports_30d', event: 'feature_used', filter: { property: 'feature', in: ['reports'] }, window: { amount: 30, unit: 'days' } },
      { type: 'ratio', name: 'logins_per_user', numerator: 'logins_30d', denominator: 'users' },
    ],
  }
  const snap = ds.snapshot('2024-03-01', config) // asOf: Date, ISO string or ms since the epoch
  snap.value('acme', 'mau') // 1
  snap.value('acme', 'reports_30d') // 1
  snap.value('acme', 'days_to_renewal') // 61
  snap.value('acme', 'created_at') // a Date
  snap.columns() // { account_id: ['acme'], name: ['Acme Inc.'], …, logins_per_user: [3] }
  JSON.stringify(snap) // the same document as Rust's Snapshot::to_json_value and Python's
  // ANCHOR_END: snapshot
  assert.equal(snap.value('acme', 'mau'), 1)
  assert.equal(snap.value('acme', 'reports_30d'), 1)
  assert.equal(snap.value('acme', 'days_to_renewal'), 61)
  assert.ok(snap.value('acme', 'created_at') instanceof Date)
  assert.deepEqual(snap.columns().logins_per_user, [3])

  // ANCHOR: activity
  const days = ds.dailyActivity('acme', '2024-02-29T23:59:59Z', 3) // the 3 UTC days ending with this one
  // [{ day: "2024-02-27T00:00:00.000Z", active_users: 1, events: 2, logins: 1 }, … 2024-02-29]
  // ANCHOR_END: activity
  assert.deepEqual(days.map((d) => [d.day.slice(0, 10), d.active_users, d.events, d.logins]),
    [['2024-02-27', 1, 2, 1], ['2024-02-28', 0, 1, 1], ['2024-02-29', 1, 3, 1]])

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custfit-guide-'))
  try {
    // ANCHOR: files
    ds.writeCsv(dir) // accounts.csv, users.csv, subscriptions.csv, events.csv
    const loaded = Dataset.fromFiles({
      accounts: path.join(dir, 'accounts.csv'),
      users: path.join(dir, 'users.csv'),
      subscriptions: path.join(dir, 'subscriptions.csv'),
      events: path.join(dir, 'events.csv'),
    }, options)
    // loaded.dataset: a Dataset; loaded.report.events.accepted === 6
    // ANCHOR_END: files
    assert.equal(loaded.report.events.accepted, 6)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('guide: async', async () => {
  // ANCHOR: async
  const { simulateAsync } = require('custfit')

  const sim = await simulateAsync({ accounts: 100, days: 60 }) // generated off the event loop
  const snap = await sim.dataset.snapshotAsync(sim.end) // computed off the event loop
  // ANCHOR_END: async
  assert.equal(snap.length, 100)
})

test('guide: health scores, flags, backtest and goals', async () => {
  // ANCHOR: health
  const { simulate, healthSnapshot, Scorecard } = require('custfit')

  const sim = simulate({ accounts: 80, days: 200, seed: 4, activityScale: 0.3 })
  // The metric snapshot plus the edge-case flag columns (flag_extraction_burst, …).
  const snap = healthSnapshot(sim.dataset, sim.end)
  const scores = Scorecard.starter().score(snap)
  const row = scores.row(0) // { account_id, score, band, color, scorecard, measures, override }
  for (const m of row.measures) {
    console.log(m.name, 'value', m.value, 'points', m.points, 'contributes', m.contribution.toFixed(2)) // they sum to the score
  }
  const table = scores.toSnapshot() // a Snapshot: health_score, health_band, points:<measure>, contribution:<measure>
  // ANCHOR_END: health
  assert.ok(Math.abs(row.measures.reduce((s, m) => s + m.contribution, 0) - row.score) < 1e-6)
  assert.equal(table.length, snap.length)

  // ANCHOR: health_config
  const card = new Scorecard({
    name: 'smb',
    measures: [
      { name: 'active', metric: 'active_days_30d', scoring: { type: 'ramp', low: 2, high: 20 } },
      {
        name: 'tickets',
        metric: 'high_severity_tickets_60d',
        direction: 'lower_is_better',
        missing: { type: 'default', points: 50 },
        scoring: { type: 'tiers', tiers: [{ max: 1, points: 100 }, { min: 1, points: 0 }] },
      },
    ],
    penalties: [{ column: 'flag_extraction_burst', points: 20 }],
  })
  const text = JSON.stringify(card) // the same document works in Rust and Python
  try {
    new Scorecard({ measures: [{ name: 'a', metric: 'mau', weight: -1, scoring: { type: 'ramp', low: 0, high: 1 } }] })
  } catch (err) {
    // err.code === 'invalid_config'
  }
  // ANCHOR_END: health_config
  assert.ok(new Scorecard(text).equals(card))

  // ANCHOR: health_why
  const earlier = card.score(healthSnapshot(sim.dataset, new Date(sim.end.getTime() - 30 * 86_400_000)))
  for (const change of card.score(snap).changesSince(earlier).slice(0, 3)) {
    console.log(change.account_id, change.before, '->', change.after)
    for (const m of change.by_measure) console.log('  ', m.name, m.delta) // the deltas sum to after - before
  }
  // ANCHOR_END: health_why

  // ANCHOR: health_flags
  const { detectFlags } = require('custfit')
  for (const f of detectFlags(sim.dataset, sim.end).filter((f) => f.fired.length > 0).slice(0, 3)) {
    console.log(f.account_id, f.fired, f.extraction_burst.robust_z, f.confusion.events_per_user_day)
  }
  // ANCHOR_END: health_flags

  // ANCHOR: health_backtest
  const { backtestAsync, backtestGrid } = require('custfit')
  const day = 86_400_000
  const dates = backtestGrid(new Date(sim.start.getTime() + 60 * day), new Date(sim.end.getTime() - 121 * day), 30)
  const report = await backtestAsync(sim.dataset, Scorecard.starter(), { dates }) // on libuv's thread pool
  console.log('AUC', report.roc_auc)
  for (const b of report.bands) console.log(b.band, b.observations, 'accounts, churn', b.churn_rate, `(95% CI ${b.ci_low}–${b.ci_high})`)
  // ANCHOR_END: health_backtest
  assert.ok(report.observations > 0)

  // ANCHOR: goals
  const { goalProgress } = require('custfit')
  const goal = { name: 'weekly active users', metric: { type: 'active_users' }, period: 'weekly', target: 3 }
  const account = sim.truth[0].account_id
  const progress = goalProgress(sim.dataset, account, goal, sim.end, { amount: 12, unit: 'weeks' })
  console.log('streak', progress.current_streak, 'longest', progress.longest_streak, 'best', progress.personal_best)
  for (const c of progress.celebrations) console.log('celebrate', c.kind, 'in the week of', c.period_start.slice(0, 10))
  // ANCHOR_END: goals
  assert.equal(progress.account_id, account)
})
