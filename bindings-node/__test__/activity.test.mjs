// Activity from Node: the daily steps series (ds.dailyActivity), and goals: checks on the
// simulator and bad input (stable `.code`, nothing changed). The golden cases of
// tests/cases/activity run in cases.test.mjs.
import { describe, test, before } from 'node:test'
import assert from 'node:assert/strict'
import { assertRejects, baseDataset, custfit } from './fixtures.mjs'

describe('the simulator', () => {
  let sim
  before(() => {
    sim = custfit.simulate({ accounts: 40, days: 120, seed: 2, activityScale: 0.5 })
  })

  test('progress of every account', () => {
    const goal = { name: 'weekly logins', metric: { type: 'logins' }, period: 'weekly', target: 5 }
    const lookback = { amount: 90, unit: 'days' }
    const everyone = custfit.goalProgressAll(sim.dataset, goal, sim.end, lookback)
    assert.deepEqual(everyone.map((p) => p.account_id), sim.dataset.snapshot(sim.end).accountIds)
    for (const p of everyone) {
      assert.equal(p.goal, 'weekly logins')
      assert.equal(p.days.length, 91)
      assert.ok(p.current_streak <= Math.max(p.longest_streak, 1))
      assert.ok(p.periods.every((x) => Math.abs(x.attainment - x.value / p.target) < 1e-12))
    }
    assert.ok(everyone.some((p) => p.celebrations.some((c) => c.kind === 'first_week_at_goal')))
    // The steps chart is the series dailyActivity gives (there with Dates).
    const one = everyone[0]
    const days = sim.dataset.dailyActivity(one.account_id, sim.end, 91)
    assert.deepEqual(days.map((d) => d.logins), one.days.map((d) => d.logins))
    assert.deepEqual(days.map((d) => d.day), one.days.map((d) => d.day))
    // Per-account targets; the goal as JSON text.
    const mine = custfit.goalProgress(sim.dataset, one.account_id, JSON.stringify({ ...goal, account_targets: { [one.account_id]: 1 } }), sim.end, JSON.stringify(lookback))
    assert.equal(mine.target, 1)
    const object = custfit.goalProgress(sim.dataset, one.account_id, { ...goal, account_targets: { [one.account_id]: 2 } }, sim.end, lookback)
    assert.equal(object.target, 2)
    // Documents are snake_case in every language: a camelCase key names the one it should be.
    assert.throws(
      () => custfit.goalProgress(sim.dataset, one.account_id, { ...goal, accountTargets: { [one.account_id]: 2 } }, sim.end, lookback),
      (e) => e.code === 'parse_error' && /account_targets/.test(e.message),
    )
  })

  test('bad input leaves the dataset unchanged', () => {
    const ds = sim.dataset
    const counts = [ds.accountCount, ds.eventCount]
    const account = ds.accounts()[0].id
    const goal = { metric: { type: 'events' }, period: 'daily', target: 3 }
    const week = { amount: 1, unit: 'weeks' }
    const cases = [
      [() => custfit.goalProgress(ds, account, { ...goal, target: 0 }, sim.end, week), 'invalid_config'],
      [() => custfit.goalProgress(ds, account, { ...goal, target: NaN }, sim.end, week), 'parse_error'],
      [() => custfit.goalProgress(ds, account, { ...goal, version: 7 }, sim.end, week), 'unsupported_version'],
      [() => custfit.goalProgress(ds, account, { ...goal, metric: { type: 'steps' } }, sim.end, week), 'parse_error'],
      [() => custfit.goalProgress(ds, '日本', goal, sim.end, week), 'unknown_account'],
      [() => custfit.goalProgress(ds, account, goal, 'yesterday', week), 'invalid_timestamp'],
      [() => custfit.goalProgress(ds, account, goal, sim.end, { amount: 0, unit: 'days' }), 'invalid_config'],
      [() => custfit.goalProgress(ds, account, goal, sim.end, 7), 'invalid_argument'],
      [() => custfit.goalProgress(ds, 42, goal, sim.end, week), 'invalid_argument'],
      [() => custfit.goalProgressAll(ds, ['not', 'a', 'goal'], sim.end, week), 'invalid_argument'],
    ]
    for (const [call, code] of cases) {
      assert.throws(call, (e) => e instanceof Error && e.code === code, code)
    }
    assert.deepEqual([ds.accountCount, ds.eventCount], counts)
  })
})

test('unicode account and event names', () => {
  const ds = new custfit.Dataset()
  const id = 'Büro 日本 🚀'
  ds.addAccounts([{ id, name: 'Büro', created_at: '2024-01-01' }])
  ds.addEvents([
    { account_id: id, timestamp: '2024-03-04T09:00:00Z', name: 'rapport_créé' },
    { account_id: id, timestamp: '2024-03-05T09:00:00Z', name: 'rapport_créé' },
  ])
  const goal = { metric: { type: 'event_count', name: 'rapport_créé' }, period: 'daily', target: 1 }
  const p = custfit.goalProgress(ds, id, goal, '2024-03-05T12:00:00Z', { amount: 1, unit: 'days' })
  assert.equal(p.account_id, id)
  assert.deepEqual(p.periods.map((x) => x.met), [true, true])
  assert.equal(p.current_streak, 2)
})

test('one entry per UTC day, oldest first, empty days included', () => {
  const ds = baseDataset()
  const days = ds.dailyActivity('acc-1', '2024-03-01T12:00:00Z', 4)
  assert.deepEqual(days.map((d) => d.day.slice(0, 10)), ['2024-02-27', '2024-02-28', '2024-02-29', '2024-03-01'])
  assert.ok(days.every((d) => typeof d.day === 'string'))
  assert.deepEqual(days.map(({ active_users, events, logins }) => [active_users, events, logins]),
    [[0, 0, 0], [1, 1, 1], [2, 2, 0], [0, 0, 0]])
})

test('end may be a Date, string or ms; events after end are ignored', () => {
  const ds = baseDataset()
  const a = ds.dailyActivity('acc-1', new Date('2024-02-29T10:30:00Z'), 2)
  assert.deepEqual(a, ds.dailyActivity('acc-1', Date.parse('2024-02-29T10:30:00Z'), 2))
  assert.deepEqual(a.map((d) => d.events), [1, 1])
})

test('bad input', () => {
  const ds = baseDataset()
  assertRejects(ds, () => ds.dailyActivity('nope', '2024-03-01', 7), 'unknown_account')
  assertRejects(ds, () => ds.dailyActivity('acc-1', '2024-03-01', 0), 'invalid_argument')
  assertRejects(ds, () => ds.dailyActivity('acc-1', '2024-03-01', 36601), 'invalid_argument')
  assertRejects(ds, () => ds.dailyActivity('acc-1', '2024-03-01', 1.5), 'invalid_argument')
  assertRejects(ds, () => ds.dailyActivity('acc-1', '2024-03-01', -3), 'invalid_argument')
  assertRejects(ds, () => ds.dailyActivity('acc-1', '2024-03-01', '7'), 'invalid_argument')
  assertRejects(ds, () => ds.dailyActivity('acc-1', 'soon', 7), 'invalid_timestamp')
  assertRejects(ds, () => ds.dailyActivity(1, '2024-03-01', 7), 'invalid_argument')
  assertRejects(ds, () => ds.dailyActivity(), 'invalid_argument')
})
