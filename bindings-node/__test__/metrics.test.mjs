// Snapshots, configs and the metric catalog.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { custfit, baseDataset, assertRejects, NOW } from './fixtures.mjs'

const { metricCatalog, Snapshot } = custfit
const AS_OF = '2024-03-01T00:00:00Z'

describe('snapshot', () => {
  test('rows, columns and cells', () => {
    const snap = baseDataset().snapshot(AS_OF)
    assert.ok(snap instanceof Snapshot)
    assert.equal(snap.length, 2)
    assert.deepEqual(snap.accountIds, ['acc-1', 'acc-2'])
    assert.ok(snap.asOf instanceof Date)
    assert.equal(snap.asOf.toISOString(), '2024-03-01T00:00:00.000Z')
    assert.deepEqual(snap.column('mau'), [2, 1])
    assert.deepEqual(snap.column('wau'), [2, 0])
    assert.deepEqual(snap.column('stickiness'), [1, 0])
    assert.deepEqual(baseDataset().snapshot('2024-01-20').column('stickiness'), [null, null])
    assert.deepEqual(snap.column('seats'), [4, null])
    assert.deepEqual(snap.column('current_plan'), ['pro', null])
    assert.deepEqual(snap.column('account_id'), ['acc-1', 'acc-2'])
    assert.deepEqual(snap.column('mrr'), [100, 0])
    assert.deepEqual(snap.column('created_at').map((d) => d.toISOString()),
      ['2024-01-01T00:00:00.000Z', '2024-01-15T00:00:00.000Z'])
    assert.equal(snap.value('acc-1', 'mrr_minor'), 10000)
    assert.equal(snap.value('acc-1', 'days_to_renewal'), 306)
    assert.equal(snap.value('acc-2', 'days_to_renewal'), null)
    assert.equal(snap.value('acc-2', 'name'), 'Globex')
    assert.equal(snap.value('acc-2', 'account_id'), 'acc-2')
    assert.ok(snap.value('acc-1', 'created_at') instanceof Date)
  })

  test('columns(), columnNames and schema agree', () => {
    const snap = baseDataset().snapshot(AS_OF)
    const cols = snap.columns()
    assert.deepEqual(Object.keys(cols), ['account_id', ...snap.columnNames])
    assert.deepEqual(snap.schema.map((c) => c.name), Object.keys(cols))
    assert.deepEqual(snap.schema[0], { name: 'account_id', data_type: 'str' })
    assert.deepEqual(snap.schema.find((c) => c.name === 'stickiness'), { name: 'stickiness', data_type: 'float' })
    for (const name of snap.columnNames) assert.deepEqual(cols[name], snap.column(name), name)
    // Every built-in metric is a column, in catalog order.
    const catalog = metricCatalog().map((m) => m.name)
    assert.deepEqual(snap.columnNames.filter((n) => catalog.includes(n)), catalog)
  })

  test('toJSON is the core document (ISO instants, nulls)', () => {
    const snap = baseDataset().snapshot(AS_OF)
    const doc = JSON.parse(JSON.stringify(snap))
    assert.equal(doc.as_of, '2024-03-01T00:00:00Z')
    assert.deepEqual(doc.columns.account_id, ['acc-1', 'acc-2'])
    assert.deepEqual(doc.columns.days_to_renewal, [306, null])
    assert.deepEqual(doc.columns.created_at, ['2024-01-01T00:00:00Z', '2024-01-15T00:00:00Z'])
  })

  test('asOf as Date, string or ms gives the same snapshot', () => {
    const ds = baseDataset()
    const a = ds.snapshot(AS_OF).toJSON()
    assert.deepEqual(ds.snapshot(new Date(AS_OF)).toJSON(), a)
    assert.deepEqual(ds.snapshot(Date.parse(AS_OF)).toJSON(), a)
    assert.deepEqual(ds.snapshot('2024-03-01').toJSON(), a)
  })

  test('accounts created after asOf are left out (no look-ahead)', () => {
    const snap = baseDataset().snapshot('2024-01-10')
    assert.deepEqual(snap.accountIds, ['acc-1'])
    assert.deepEqual(snap.column('mau'), [0])
  })

  test('user-defined metrics from an object or JSON text', () => {
    const ds = baseDataset()
    const config = {
      version: 1,
      metrics: [
        { type: 'count', name: 'reports_30d', event: 'feature_used', filter: { property: 'feature', in: ['reports'] }, window: { amount: 30, unit: 'days' } },
        { type: 'distinct_users', name: 'feature_users_30d', event: 'feature_used', window: { amount: 30, unit: 'days' } },
        { type: 'ratio', name: 'logins_per_user', numerator: 'logins_30d', denominator: 'users' },
      ],
    }
    for (const c of [config, JSON.stringify(config)]) {
      const snap = ds.snapshot(AS_OF, c)
      assert.deepEqual(snap.column('reports_30d'), [1, 0])
      assert.deepEqual(snap.column('feature_users_30d'), [2, 0])
      assert.deepEqual(snap.column('logins_per_user'), [0.5, 1])
    }
    assert.deepEqual(ds.snapshot(AS_OF, null).toJSON(), ds.snapshot(AS_OF).toJSON())
  })

  test('activity rules change the built-ins', () => {
    const ds = baseDataset()
    const snap = ds.snapshot(AS_OF, { activity: { non_activity_events: ['login'] } })
    assert.deepEqual(snap.column('events_30d'), [2, 0])
  })
})

describe('bad configs and names', () => {
  const ds = baseDataset()
  const ratio = (numerator) => ({ metrics: [{ type: 'ratio', name: 'r', numerator, denominator: 'mau' }] })

  test('unknown metric in a ratio', () => {
    assert.throws(() => ds.snapshot(AS_OF, ratio('logins_30')), (e) => e.code === 'unknown_metric' && /logins_30d/.test(e.message))
  })

  test('malformed configs', () => {
    assertRejects(ds, () => ds.snapshot(AS_OF, '{not json'), 'parse_error')
    assertRejects(ds, () => ds.snapshot(AS_OF, { metrics: 'all' }), 'parse_error')
    assertRejects(ds, () => ds.snapshot(AS_OF, { colour: 1 }), 'parse_error')
    assertRejects(ds, () => ds.snapshot(AS_OF, { metrics: [{ type: 'median', name: 'm' }] }), 'parse_error')
    assertRejects(ds, () => ds.snapshot(AS_OF, { version: 2 }), 'unsupported_version')
    assertRejects(ds, () => ds.snapshot(AS_OF, { metrics: [{ type: 'count', name: 'c', window: { amount: 0, unit: 'days' } }] }), 'invalid_config')
    assertRejects(ds, () => ds.snapshot(AS_OF, { metrics: [{ type: 'count', name: 'mau', window: { amount: 1, unit: 'days' } }] }), 'duplicate_metric')
    assertRejects(ds, () => ds.snapshot(AS_OF, { activity: { high_severity_at_least: NaN } }), 'parse_error')
    assertRejects(ds, () => ds.snapshot(AS_OF, 42), 'invalid_argument')
    assertRejects(ds, () => ds.snapshot(AS_OF, [1]), 'invalid_argument')
  })

  test('unknown columns and accounts', () => {
    const snap = ds.snapshot(AS_OF)
    assert.throws(() => snap.column('mua'), (e) => e.code === 'unknown_metric' && /did you mean `mau`/.test(e.message))
    assertRejects(null, () => snap.value('nope', 'mau'), 'unknown_account')
    assertRejects(null, () => snap.value('nope', 'account_id'), 'unknown_account')
    assertRejects(null, () => snap.value('acc-1', 'mua'), 'unknown_metric')
  })

  test('wrong argument types', () => {
    const snap = ds.snapshot(AS_OF)
    for (const bad of [true, null, undefined, {}, [1]]) assertRejects(ds, () => ds.snapshot(bad), 'invalid_argument')
    assertRejects(ds, () => ds.snapshot('yesterday'), 'invalid_timestamp')
    assertRejects(ds, () => ds.snapshot(NaN), 'invalid_timestamp')
    assertRejects(ds, () => ds.snapshot('3000-01-01'), 'invalid_timestamp')
    assertRejects(null, () => snap.column(5), 'invalid_argument')
    assertRejects(null, () => snap.column(), 'invalid_argument')
    assertRejects(null, () => snap.value('acc-1'), 'invalid_argument')
  })
})

describe('snapshotAsync', () => {
  test('resolves to the same snapshot', async () => {
    const ds = baseDataset()
    const snap = await ds.snapshotAsync(AS_OF, { metrics: [{ type: 'count', name: 'all_30d', window: { amount: 30, unit: 'days' } }] })
    assert.ok(snap instanceof Snapshot)
    assert.deepEqual(snap.column('all_30d'), [3, 1])
    const { all_30d, ...rest } = snap.toJSON().columns
    assert.deepEqual(rest, ds.snapshot(AS_OF).toJSON().columns)
  })

  test('sees the data as it was when called', async () => {
    const ds = baseDataset()
    const pending = ds.snapshotAsync(NOW)
    ds.addEvents([{ account_id: 'acc-2', user_id: 'u3', timestamp: '2024-03-05', name: 'login' }], { now: NOW })
    assert.deepEqual((await pending).column('logins_30d'), [1, 1])
    assert.deepEqual(ds.snapshot(NOW).column('logins_30d'), [1, 2])
  })

  test('rejects with the same codes', async () => {
    const ds = baseDataset()
    const code = (p) => p.then(() => 'resolved', (e) => (e instanceof Error ? e.code : 'not an Error'))
    assert.equal(await code(ds.snapshotAsync(AS_OF, { metrics: [{ type: 'ratio', name: 'r', numerator: 'x', denominator: 'mau' }] })), 'unknown_metric')
    assert.equal(await code(ds.snapshotAsync('yesterday')), 'invalid_timestamp')
    assert.equal(await code(ds.snapshotAsync(true)), 'invalid_argument')
    assert.equal(await code(ds.snapshotAsync(AS_OF, '{')), 'parse_error')
  })
})

test('metricCatalog', () => {
  const catalog = metricCatalog()
  assert.ok(catalog.length >= 30)
  const mau = catalog.find((m) => m.name === 'mau')
  assert.equal(mau.data_type, 'int')
  assert.match(mau.description, /30 days/)
  assert.ok(catalog.every((m) => ['int', 'float', 'bool', 'str', 'timestamp'].includes(m.data_type) && m.description))
})
