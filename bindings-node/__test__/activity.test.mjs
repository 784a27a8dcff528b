// Activity series: ds.dailyActivity(accountId, end, days).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { baseDataset, assertRejects } from './fixtures.mjs'

test('one entry per UTC day, oldest first, empty days included', () => {
  const ds = baseDataset()
  const days = ds.dailyActivity('acc-1', '2024-03-01T12:00:00Z', 4)
  assert.deepEqual(days.map((d) => d.day.toISOString().slice(0, 10)), ['2024-02-27', '2024-02-28', '2024-02-29', '2024-03-01'])
  assert.ok(days.every((d) => d.day instanceof Date))
  assert.deepEqual(days.map(({ activeUsers, events, logins }) => [activeUsers, events, logins]),
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
