// The simulator from Node: determinism, options, ground truth, async, and a measured figure.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { custfit, counts, assertRejects } from './fixtures.mjs'

const { simulate, simulateAsync, Dataset } = custfit
const SMALL = { accounts: 30, days: 60, activityScale: 0.5, seed: 7 }

test('a simulation: dataset, period and ground truth', () => {
  const sim = simulate(SMALL)
  assert.ok(sim.dataset instanceof Dataset)
  assert.equal(sim.dataset.accountCount, 30)
  assert.ok(sim.dataset.eventCount > 0 && sim.dataset.userCount > 0 && sim.dataset.subscriptionCount > 0)
  assert.equal(sim.start.toISOString(), '2024-01-01T00:00:00.000Z')
  assert.equal(sim.end.toISOString(), '2024-02-29T23:59:59.000Z')
  assert.equal(sim.truth.length, 30)
  const t = sim.truth[0]
  assert.equal(t.account_id, sim.dataset.accounts()[0].id)
  assert.equal(typeof t.churned, 'boolean')
  assert.ok(['daily', 'weekly', 'monthly'].includes(t.cadence))
  assert.ok(sim.truth.filter((x) => x.churned).every((x) => typeof x.churned_at === 'string'))
  assert.equal(sim.dataset.snapshot(sim.end).length, sim.dataset.accountCount)
})

test('the same seed gives the same customer base; options in camelCase or snake_case', () => {
  const a = simulate(SMALL)
  const b = simulate({ accounts: 30, days: 60, activity_scale: 0.5, seed: 7 })
  const c = simulate({ ...SMALL, seed: 8 })
  assert.deepEqual(counts(a.dataset), counts(b.dataset))
  assert.deepEqual(a.dataset.snapshot(a.end).toJSON(), b.dataset.snapshot(b.end).toJSON())
  assert.notDeepEqual(a.dataset.snapshot(a.end).toJSON(), c.dataset.snapshot(c.end).toJSON())
  const d = simulate({ ...SMALL, start: new Date('2023-06-01'), maxUsersPerAccount: 3, currency: 'EUR' })
  assert.equal(d.start.toISOString(), '2023-06-01T00:00:00.000Z')
  assert.equal(d.dataset.currency, 'EUR')
})

test('the simulated dataset can be extended like any other', () => {
  const sim = simulate(SMALL)
  const before = sim.dataset.accountCount
  sim.dataset.addAccounts([{ id: 'extra', created_at: '2024-01-05' }], { allowFuture: true })
  assert.equal(sim.dataset.accountCount, before + 1)
})

test('bad options', () => {
  assertRejects(null, () => simulate({ accounts: 0 }), 'invalid_config')
  assertRejects(null, () => simulate({ days: 0 }), 'invalid_config')
  assertRejects(null, () => simulate({ activityScale: -1 }), 'invalid_config')
  assertRejects(null, () => simulate({ currency: 'usd' }), 'invalid_config')
  assertRejects(null, () => simulate({ acounts: 5 }), 'invalid_argument')
  assertRejects(null, () => simulate({ accounts: 'many' }), 'invalid_argument')
  assertRejects(null, () => simulate({ accounts: 5, start: 'someday' }), 'invalid_argument')
  assertRejects(null, () => simulate(5), 'invalid_argument')
})

test('simulateAsync', async () => {
  const sim = await simulateAsync(SMALL)
  assert.deepEqual(sim.dataset.snapshot(sim.end).toJSON(), simulate(SMALL).dataset.snapshot(sim.end).toJSON())
  await assert.rejects(simulateAsync({ accounts: 0 }), (e) => e instanceof Error && e.code === 'invalid_config')
  await assert.rejects(simulateAsync({ acounts: 1 }), (e) => e.code === 'invalid_argument')
})

// A figure, not a timing assertion (speed targets live in benches/): printed as a diagnostic.
test('figure: snapshot of a simulated 2,000-account base', async (t) => {
  let t0 = performance.now()
  const sim = simulate({ accounts: 2000, days: 365, seed: 42 })
  const simMs = performance.now() - t0
  const ds = sim.dataset
  t0 = performance.now()
  const snap = ds.snapshot(sim.end)
  const snapMs = performance.now() - t0
  t0 = performance.now()
  const cols = snap.columns()
  const colsMs = performance.now() - t0
  t0 = performance.now()
  const asyncSnap = await ds.snapshotAsync(sim.end)
  const asyncMs = performance.now() - t0
  assert.equal(snap.length, 2000)
  assert.equal(cols.mau.length, 2000)
  assert.deepEqual(asyncSnap.column('mau'), snap.column('mau'))
  const mem = ds.memoryUsage()
  t.diagnostic(`simulate 2000 accounts x 365 days: ${simMs.toFixed(0)} ms, ${ds.eventCount} events, ${mem.bytes_per_event.toFixed(1)} bytes/event`)
  t.diagnostic(`snapshot: ${snapMs.toFixed(1)} ms sync, ${asyncMs.toFixed(1)} ms async; columns() to JS: ${colsMs.toFixed(1)} ms (${snap.columnNames.length} columns)`)
})
