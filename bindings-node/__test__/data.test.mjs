// Dataset ingestion: normal use, and every bad input with its stable `.code` and the dataset
// unchanged afterwards.
import { createRequire } from 'node:module'
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { custfit, baseDataset, counts, assertRejects, NOW, OPTIONS } from './fixtures.mjs'

const { Dataset } = custfit
const ev = (account_id, user_id, timestamp, name = 'login', properties) =>
  ({ account_id, user_id, timestamp, name, ...(properties ? { properties } : {}) })

describe('normal use', () => {
  test('counts, currency and rows back out', () => {
    const ds = baseDataset()
    assert.deepEqual(counts(ds), { accounts: 2, users: 3, subscriptions: 1, events: 4 })
    assert.equal(ds.currency, 'USD')
    assert.equal(new Dataset().currency, null)
    const accounts = ds.accounts()
    assert.deepEqual(accounts[0], { id: 'acc-1', name: 'Acme', created_at: '2024-01-01T00:00:00Z', seats: 4 })
    assert.equal(ds.users()[0].role, 'champion')
    assert.deepEqual(ds.subscriptions()[0].mrr, { minor: 10000, currency: 'USD' })
    const events = ds.events()
    assert.equal(events.length, 4)
    assert.deepEqual(events.find((e) => e.properties?.feature === 'alerts').user_id, 'u1')
  })

  test('rows round-trip through accounts()/users()/subscriptions()/events()', () => {
    const ds = baseDataset()
    const copy = new Dataset()
    copy.addAccounts(ds.accounts(), OPTIONS)
    copy.addUsers(ds.users(), OPTIONS)
    copy.addSubscriptions(ds.subscriptions(), OPTIONS)
    copy.addEvents(ds.events(), OPTIONS)
    assert.deepEqual(counts(copy), counts(ds))
    assert.deepEqual(copy.snapshot(NOW).toJSON(), ds.snapshot(NOW).toJSON())
  })

  test('a timestamp may be a Date, an ISO string or milliseconds', () => {
    const iso = '2024-02-01T12:30:00Z'
    for (const created_at of [new Date(iso), iso, Date.parse(iso), '2024-02-01T13:30:00+01:00']) {
      const ds = new Dataset()
      ds.addAccounts([{ id: 'a', created_at }], OPTIONS)
      assert.equal(ds.accounts()[0].created_at, iso)
    }
  })

  test('the report counts accepted rows', () => {
    const ds = baseDataset()
    const r = ds.addEvents([ev('acc-2', 'u3', '2024-03-01T00:00:00Z')], OPTIONS)
    assert.deepEqual(r, { accepted: 1, rejected: [], duplicates_dropped: 0 })
  })

  test('memoryUsage', () => {
    const m = baseDataset().memoryUsage()
    assert.equal(m.events, 4)
    assert.ok(m.event_bytes > 0 && m.dictionary_bytes > 0 && m.entity_bytes > 0 && m.bytes_per_event > 0)
  })

  test('empty batches are accepted and change nothing', () => {
    const ds = baseDataset()
    const before = counts(ds)
    for (const add of ['addAccounts', 'addUsers', 'addSubscriptions', 'addEvents']) {
      assert.deepEqual(ds[add]([], OPTIONS), { accepted: 0, rejected: [], duplicates_dropped: 0 })
    }
    assert.deepEqual(ds.addEventColumns({ accountId: [], timestamp: [], name: [] }), { accepted: 0, rejected: [], duplicates_dropped: 0 })
    assert.deepEqual(counts(ds), before)
  })

  test('unicode ids, names and properties work', () => {
    const ds = new Dataset()
    ds.addAccounts([{ id: 'café-☕', name: 'Ünïcödé GmbH', created_at: '2024-01-01', attributes: { région: 'Île-de-France' } }], OPTIONS)
    ds.addUsers([{ id: '用户-1', account_id: 'café-☕', created_at: '2024-01-01' }], OPTIONS)
    ds.addEvents([ev('café-☕', '用户-1', '2024-02-28', 'feature_used', { feature: 'отчёты' }),
      ev('café-☕', '用户-1', '2024-02-29', 'feature_used', { feature: 'レポート 📊' })], OPTIONS)
    const snap = ds.snapshot('2024-03-01')
    assert.deepEqual(snap.accountIds, ['café-☕'])
    assert.equal(snap.value('café-☕', 'name'), 'Ünïcödé GmbH')
    assert.equal(snap.value('café-☕', 'région'), 'Île-de-France')
    assert.equal(snap.value('café-☕', 'features_used_30d'), 2)
    assert.equal(ds.events()[1].properties.feature, 'レポート 📊')
  })

  test('out-of-order timestamps are accepted and give the same snapshot', () => {
    const rows = baseDataset().events()
    const shuffled = new Dataset()
    const ordered = baseDataset()
    shuffled.addAccounts(ordered.accounts(), OPTIONS)
    shuffled.addUsers(ordered.users(), OPTIONS)
    shuffled.addSubscriptions(ordered.subscriptions(), OPTIONS)
    const r = shuffled.addEvents([...rows].reverse(), OPTIONS)
    assert.equal(r.accepted, rows.length)
    assert.deepEqual(shuffled.snapshot(NOW).toJSON(), ordered.snapshot(NOW).toJSON())
    assert.deepEqual(shuffled.events(), ordered.events())
  })
})

describe('bad rows (strict mode): code, position, dataset unchanged', () => {
  test('unknown account id', () => {
    const ds = baseDataset()
    assertRejects(ds, () => ds.addEvents([ev('acc-1', 'u1', '2024-03-01'), ev('nope', null, '2024-03-01')], OPTIONS),
      'unknown_account', { row: 1, field: 'account_id', entity: 'event' })
    assertRejects(ds, () => ds.addUsers([{ id: 'u9', account_id: 'nope', created_at: '2024-01-01' }], OPTIONS), 'unknown_account')
    assertRejects(ds, () => ds.addSubscriptions([{ account_id: 'nope', plan: 'p', start: '2024-01-01', mrr: { minor: 1, currency: 'USD' } }], OPTIONS), 'unknown_account')
    assertRejects(ds, () => ds.addAccounts([{ id: 'child', created_at: '2024-01-01', parent_id: 'nope' }], OPTIONS), 'unknown_account')
  })

  test('unknown user id', () => {
    const ds = baseDataset()
    assertRejects(ds, () => ds.addEvents([ev('acc-1', 'ghost', '2024-03-01')], OPTIONS), 'unknown_user', { row: 0, field: 'user_id' })
  })

  test('user from another account', () => {
    const ds = baseDataset()
    assertRejects(ds, () => ds.addEvents([ev('acc-2', 'u1', '2024-03-01')], OPTIONS), 'invalid_event', { field: 'user_id' })
  })

  test('future timestamps', () => {
    const ds = baseDataset()
    assertRejects(ds, () => ds.addEvents([ev('acc-1', 'u1', '2024-03-01'), ev('acc-1', 'u1', '2024-03-12')], OPTIONS),
      'future_timestamp', { row: 1, field: 'timestamp' })
    assertRejects(ds, () => ds.addEvents([ev('acc-1', 'u1', '2024-03-10T05:00:00Z')], { now: NOW, futureToleranceHours: 1 }), 'future_timestamp')
    // Within the default 24 h tolerance, with allowFuture, or with a later `now`, it is fine.
    assert.equal(ds.addEvents([ev('acc-1', 'u1', '2024-03-10T05:00:00Z')], OPTIONS).accepted, 1)
    assert.equal(ds.addEvents([ev('acc-1', 'u1', '2024-06-01')], { allowFuture: true }).accepted, 1)
    assert.equal(ds.addEvents([ev('acc-1', 'u1', '2024-06-02')], { now: new Date('2024-07-01') }).accepted, 1)
  })

  test('NaN and infinite properties', () => {
    const ds = baseDataset()
    assertRejects(ds, () => ds.addEvents([ev('acc-1', 'u1', '2024-03-01', 'survey_response', { score: NaN })], OPTIONS),
      'invalid_event', { field: 'properties.score' })
    assertRejects(ds, () => ds.addEvents([ev('acc-1', 'u1', '2024-03-01', 'x', { n: Infinity })], OPTIONS), 'invalid_event')
    assertRejects(ds, () => ds.addAccounts([{ id: 'n', created_at: '2024-01-01', attributes: { employees: NaN } }], OPTIONS), 'invalid_account')
  })

  test('huge values', () => {
    const ds = baseDataset()
    assertRejects(ds, () => ds.addAccounts([{ id: 'big', created_at: '2024-01-01', seats: 2 ** 32 }], OPTIONS), 'invalid_account', { field: 'seats' })
    const sub = (over) => ({ account_id: 'acc-2', plan: 'p', start: '2024-01-01', mrr: { minor: 100, currency: 'USD' }, ...over })
    assertRejects(ds, () => ds.addSubscriptions([sub({ quantity: 5e9 })], OPTIONS), 'invalid_subscription', { field: 'quantity' })
    assertRejects(ds, () => ds.addSubscriptions([sub({ mrr: { minor: 1e15 + 1, currency: 'USD' } })], OPTIONS), 'invalid_subscription', { field: 'mrr.minor' })
    assertRejects(ds, () => ds.addSubscriptions([sub({ mrr: { minor: 1e300, currency: 'USD' } })], OPTIONS), 'invalid_subscription', { field: 'mrr.minor' })
    assertRejects(ds, () => ds.addSubscriptions([sub({ mrr: { minor: -1, currency: 'USD' } })], OPTIONS), 'invalid_subscription')
    assertRejects(ds, () => ds.addEvents([ev('acc-1', 'u1', '3000-01-01T00:00:00Z')], { allowFuture: true }), 'invalid_timestamp', { field: 'timestamp' })
    assertRejects(ds, () => ds.addEvents([ev('acc-1', 'u1', new Date('3000-01-01'))], { allowFuture: true }), 'invalid_timestamp')
    assertRejects(ds, () => ds.addEvents([ev('acc-1', 'u1', 32503680000000)], { allowFuture: true }), 'invalid_timestamp')
    assertRejects(ds, () => ds.addEvents([ev('acc-1', 'u1', new Date('nonsense'))], OPTIONS), 'invalid_timestamp')
    assertRejects(ds, () => ds.addEvents([ev('acc-1', 'u1', 1.5)], OPTIONS), 'invalid_timestamp')
    assertRejects(ds, () => ds.addAccounts([{ id: 'x', created_at: 'yesterday' }], OPTIONS), 'invalid_timestamp', { field: 'created_at' })
  })

  test('currency mismatch', () => {
    const ds = baseDataset()
    assertRejects(ds, () => ds.addSubscriptions([{ account_id: 'acc-2', plan: 'p', start: '2024-01-01', mrr: { minor: 1, currency: 'EUR' } }], OPTIONS), 'currency_mismatch')
  })

  test('duplicate ids', () => {
    const ds = baseDataset()
    assertRejects(ds, () => ds.addAccounts([{ id: 'acc-1', created_at: '2024-01-01' }], OPTIONS), 'duplicate_id', { row: 0, field: 'id' })
    assertRejects(ds, () => ds.addAccounts([{ id: 'n', created_at: '2024-01-01' }, { id: 'n', name: 'other', created_at: '2024-01-01' }], OPTIONS), 'duplicate_id', { row: 1 })
    // The same row twice is a re-send: dropped and counted.
    assert.deepEqual(ds.addAccounts([{ id: 'n', created_at: '2024-01-01' }, { id: 'n', created_at: '2024-01-01' }], OPTIONS), { accepted: 1, rejected: [], duplicates_dropped: 1 })
    assertRejects(ds, () => ds.addUsers([{ id: 'u1', account_id: 'acc-2', created_at: '2024-01-01' }], OPTIONS), 'duplicate_id')
  })

  test('missing, unknown and mistyped fields', () => {
    const ds = baseDataset()
    assertRejects(ds, () => ds.addAccounts([{ id: 'x' }], OPTIONS), 'invalid_account', { field: 'created_at' })
    assertRejects(ds, () => ds.addAccounts([{ id: 'x', created_at: '2024-01-01', colour: 'red' }], OPTIONS), 'invalid_account', { field: 'colour' })
    assertRejects(ds, () => ds.addAccounts([{ id: 7, created_at: '2024-01-01' }], OPTIONS), 'invalid_account', { field: 'id' })
    assertRejects(ds, () => ds.addUsers([{ id: 'u9', account_id: 'acc-1', created_at: '2024-01-01', role: 'boss' }], OPTIONS), 'invalid_user', { field: 'role' })
    assertRejects(ds, () => ds.addEvents([ev('acc-1', 'u1', '2024-03-01', '')], OPTIONS), 'invalid_event', { field: 'name' })
    assertRejects(ds, () => ds.addEvents([{ ...ev('acc-1', 'u1', '2024-03-01'), properties: { f: { nested: 1 } } }], OPTIONS), 'invalid_event')
    assertRejects(ds, () => ds.addEvents([ev('acc-1', 'u1', '2024-03-01', 'x', { f: () => 1 })], OPTIONS), 'invalid_event')
    assertRejects(ds, () => ds.addAccounts([5], OPTIONS), 'invalid_account', { row: 0 })
    assertRejects(ds, () => ds.addAccounts([null], OPTIONS), 'invalid_account')
  })
})

describe('duplicate events', () => {
  const dup = [ev('acc-1', 'u1', '2024-02-28T09:00:00Z')]

  test('drop (default): counted, not added', () => {
    const ds = baseDataset()
    assert.deepEqual(ds.addEvents([...dup, ...dup], OPTIONS), { accepted: 0, rejected: [], duplicates_dropped: 2 })
    assert.equal(ds.eventCount, 4)
  })

  test('keep: added', () => {
    const ds = baseDataset()
    assert.equal(ds.addEvents(dup, { ...OPTIONS, duplicates: 'keep' }).accepted, 1)
    assert.equal(ds.eventCount, 5)
  })

  test('reject: duplicate_event, dataset unchanged', () => {
    const ds = baseDataset()
    assertRejects(ds, () => ds.addEvents([ev('acc-2', 'u3', '2024-03-01'), ...dup], { ...OPTIONS, duplicates: 'reject' }),
      'duplicate_event', { row: 1 })
  })

  test('reject in lenient mode: reported per row', () => {
    const ds = baseDataset()
    const r = ds.addEvents([ev('acc-2', 'u3', '2024-03-01'), ...dup], { ...OPTIONS, duplicates: 'reject', mode: 'lenient' })
    assert.equal(r.accepted, 1)
    assert.deepEqual(r.rejected.map((x) => [x.row, x.code]), [[1, 'duplicate_event']])
  })
})

describe('lenient mode', () => {
  test('good rows are added; bad rows come back with positions and codes', () => {
    const ds = baseDataset()
    const rows = [
      ev('acc-1', 'u1', '2024-03-01'),
      ev('acc-1', 'ghost', '2024-03-01'),
      ev('nope', null, '2024-03-01'),
      { account_id: 'acc-1', timestamp: 'not a time', name: 'login' }, // unreadable row
      ev('acc-2', 'u3', '2024-03-02'),
      ev('acc-1', 'u1', '2024-03-02', 'x', { score: NaN }), // unreadable row
      ev('acc-1', null, '2030-01-01'),
      'not an object',
    ]
    const r = ds.addEvents(rows, { ...OPTIONS, mode: 'lenient' })
    assert.equal(r.accepted, 2)
    assert.deepEqual(r.rejected.map((x) => [x.row, x.code, x.field]), [
      [1, 'unknown_user', 'user_id'],
      [2, 'unknown_account', 'account_id'],
      [3, 'invalid_timestamp', 'timestamp'],
      [5, 'invalid_event', 'properties.score'],
      [6, 'future_timestamp', 'timestamp'],
      [7, 'invalid_event', ''],
    ])
    assert.ok(r.rejected.every((x) => typeof x.reason === 'string' && x.reason.length > 0))
    assert.equal(ds.eventCount, 6)
  })

  test('lenient accounts drop the children of rejected parents', () => {
    const ds = new Dataset()
    const r = ds.addAccounts([
      { id: 'p', created_at: '2024-01-01', seats: -1 },
      { id: 'c', created_at: '2024-01-01', parent_id: 'p' },
      { id: 'ok', created_at: '2024-01-01' },
    ], { mode: 'lenient' })
    assert.equal(r.accepted, 1)
    assert.deepEqual(r.rejected.map((x) => [x.row, x.code]), [[0, 'invalid_account'], [1, 'unknown_account']])
  })
})

describe('addEventColumns', () => {
  const columns = () => ({
    accountId: ['acc-1', 'acc-1', 'acc-2'],
    userId: ['u1', null, 'u3'],
    timestamp: new Float64Array([Date.parse('2024-03-01T10:00:00Z'), Date.parse('2024-03-01T11:00:00Z'), Date.parse('2024-03-02T00:00:00Z')]),
    name: ['login', 'feature_used', 'feature_used'],
    properties: { feature: [null, 'reports', 'alerts'], score: [1, undefined, 2.5] },
  })
  const rows = [
    ev('acc-1', 'u1', '2024-03-01T10:00:00Z', 'login', { score: 1 }),
    { account_id: 'acc-1', timestamp: '2024-03-01T11:00:00Z', name: 'feature_used', properties: { feature: 'reports' } },
    ev('acc-2', 'u3', '2024-03-02T00:00:00Z', 'feature_used', { feature: 'alerts', score: 2.5 }),
  ]

  test('same result as addEvents with rows', () => {
    const a = baseDataset()
    const b = baseDataset()
    assert.deepEqual(a.addEventColumns(columns(), OPTIONS), { accepted: 3, rejected: [], duplicates_dropped: 0 })
    b.addEvents(rows, OPTIONS)
    assert.deepEqual(a.events(), b.events())
  })

  test('timestamps as an array of Date | string | number; snake_case column names', () => {
    const a = baseDataset()
    const c = columns()
    c.timestamp = [new Date('2024-03-01T10:00:00Z'), '2024-03-01T11:00:00Z', Date.parse('2024-03-02T00:00:00Z')]
    c.account_id = c.accountId
    delete c.accountId
    a.addEventColumns(c, OPTIONS)
    const b = baseDataset()
    b.addEvents(rows, OPTIONS)
    assert.deepEqual(a.events(), b.events())
  })

  test('bad cells are row errors; bad shapes are invalid_argument', () => {
    const ds = baseDataset()
    const c = columns()
    c.properties.score[1] = NaN
    assertRejects(ds, () => ds.addEventColumns(c, OPTIONS), 'invalid_event', { row: 1, field: 'properties.score' })
    const r = ds.addEventColumns(c, { ...OPTIONS, mode: 'lenient' })
    assert.deepEqual([r.accepted, r.rejected.map((x) => x.row)], [2, [1]])
    const d = baseDataset()
    assertRejects(d, () => d.addEventColumns({ ...columns(), timestamp: [1709200800000, 'nope', 1709200800000] }, OPTIONS), 'invalid_timestamp', { row: 1 })
    assertRejects(d, () => d.addEventColumns({ ...columns(), timestamp: [1709200800000, 1709200800, 1709200800000] }, OPTIONS), 'invalid_timestamp', { row: 1 })
    assertRejects(d, () => d.addEventColumns({ ...columns(), accountId: ['acc-1', 'zzz', 'acc-2'] }, OPTIONS), 'unknown_account', { row: 1 })
    assertRejects(d, () => d.addEventColumns({ ...columns(), name: ['login'] }, OPTIONS), 'invalid_argument')
    assertRejects(d, () => d.addEventColumns({ ...columns(), timestamp: new Float32Array(3) }, OPTIONS), 'invalid_argument')
    assertRejects(d, () => d.addEventColumns({ ...columns(), colour: [] }, OPTIONS), 'invalid_argument')
    assertRejects(d, () => d.addEventColumns({ ...columns(), properties: { feature: ['x'] } }, OPTIONS), 'invalid_argument')
    assertRejects(d, () => d.addEventColumns({ timestamp: [], name: [] }, OPTIONS), 'invalid_argument')
    assertRejects(d, () => d.addEventColumns([], OPTIONS), 'invalid_argument')
  })
})

describe('wrong argument types throw (no crash)', () => {
  test('rows and options', () => {
    const ds = baseDataset()
    for (const bad of [5, 'rows', null, undefined, {}, new Date()]) {
      assertRejects(ds, () => ds.addAccounts(bad, OPTIONS), 'invalid_argument')
      assertRejects(ds, () => ds.addEvents(bad, OPTIONS), 'invalid_argument')
    }
    assertRejects(ds, () => ds.addEvents([], 'lenient'), 'invalid_argument')
    assertRejects(ds, () => ds.addEvents([], [1]), 'invalid_argument')
    assertRejects(ds, () => ds.addEvents([], { colour: 'red' }), 'invalid_argument')
    assertRejects(ds, () => ds.addEvents([], { futureToleranceHours: -1 }), 'invalid_argument')
  })

  test('enum strings list the valid values', () => {
    const ds = baseDataset()
    assert.throws(() => ds.addEvents([], { mode: 'bogus' }), (e) => e.code === 'invalid_argument' && /strict.*lenient/.test(e.message))
    assert.throws(() => ds.addEvents([], { duplicates: 'bogus' }), (e) => e.code === 'invalid_argument' && /drop.*keep.*reject/.test(e.message))
    assert.throws(() => ds.addUsers([{ id: 'u9', account_id: 'acc-1', created_at: '2024-01-01', role: 'boss' }]),
      (e) => /admin.*champion.*executive.*member/.test(e.message))
  })

  test('a row nested too deeply or with a bigint', () => {
    const ds = baseDataset()
    let deep = {}
    for (let i = 0; i < 100; i++) deep = { d: deep }
    assertRejects(ds, () => ds.addEvents([ev('acc-1', 'u1', '2024-03-01', 'x', { deep })], OPTIONS), 'invalid_event')
    assert.equal(ds.addAccounts([{ id: 'b', created_at: 1704067200000n }], OPTIONS).accepted, 1)
    assertRejects(ds, () => ds.addAccounts([{ id: 'c', created_at: 2n ** 70n }], OPTIONS), 'invalid_timestamp')
  })
})

describe('Arrow IPC (apache-arrow tables)', () => {
  const arrow = createRequire(import.meta.url)('apache-arrow')
  // ANCHOR: arrow_ipc
  const events = arrow.tableFromArrays({
    account_id: ['acc-1', 'acc-1', 'acc-1', 'acc-2'],
    user_id: ['u1', 'u2', 'u1', 'u3'],
    timestamp: [
      new Date('2024-02-28T09:00:00Z'), new Date('2024-02-29T10:00:00Z'),
      new Date('2024-02-29T11:00:00Z'), new Date('2024-02-20T08:00:00Z'),
    ],
    name: ['login', 'feature_used', 'feature_used', 'login'],
    feature: [null, 'reports', 'alerts', null],
  })
  // ANCHOR_END: arrow_ipc

  test('addEvents reads a table as IPC bytes, the same as rows', () => {
    const fromRows = baseDataset()
    const ds = baseDataset()
    const before = ds.eventCount
    // The same four events again: duplicates are dropped, as for rows.
    const report = ds.addEvents(arrow.tableToIPC(events), OPTIONS)
    assert.equal(report.duplicates_dropped, 4)
    assert.equal(ds.eventCount, before)
    assert.deepEqual(ds.snapshot('2024-03-01').toJSON(), fromRows.snapshot('2024-03-01').toJSON())
    // A fresh dataset built from IPC gives the same snapshot as one built from rows.
    const fresh = new custfit.Dataset()
    fresh.addAccounts(arrow.tableToIPC(arrow.tableFromArrays({
      id: ['acc-1', 'acc-2'], name: ['Acme', 'Globex'],
      created_at: [new Date('2024-01-01T00:00:00Z'), new Date('2024-01-15T00:00:00Z')],
    })), OPTIONS)
    const anonymous = arrow.tableFromArrays({
      account_id: ['acc-1', 'acc-2'], timestamp: [new Date('2024-02-28T09:00:00Z'), new Date('2024-02-20T08:00:00Z')], name: ['login', 'login'],
    })
    fresh.addEvents(arrow.tableToIPC(anonymous, 'file'), OPTIONS)
    assert.equal(fresh.eventCount, 2)
  })

  test('bad IPC bytes and bad tables have codes', () => {
    const ds = baseDataset()
    assertRejects(ds, () => ds.addEvents(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])), 'parse_error')
    const noName = arrow.tableFromArrays({ account_id: ['acc-1'], timestamp: [new Date('2024-02-01T00:00:00Z')] })
    assertRejects(ds, () => ds.addEvents(arrow.tableToIPC(noName), OPTIONS), 'parse_error')
    const unknown = arrow.tableFromArrays({ account_id: ['nope'], timestamp: [new Date('2024-02-01T00:00:00Z')], name: ['login'] })
    assertRejects(ds, () => ds.addEvents(arrow.tableToIPC(unknown), OPTIONS), 'unknown_account')
    assert.throws(() => ds.addEvents(new Float64Array(2)), { code: 'invalid_argument' })
  })
})

test('a lone surrogate is refused with the row code, not turned into U+FFFD', () => {
  const ds = new custfit.Dataset()
  assertRejects(ds, () => ds.addAccounts([{ id: 'a', name: 'bad \ud800 decode', created_at: '2024-01-01' }]), 'invalid_account', { row: 0, field: 'name' })
  assertRejects(ds, () => ds.addAccounts([{ id: '\udc00', name: 'A', created_at: '2024-01-01' }]), 'invalid_account', { row: 0 })
  ds.addAccounts([{ id: 'b', name: 'a real \ufffd and a pair \ud83d\ude00', created_at: '2024-01-01' }])
  assert.equal(ds.accounts()[0].name, 'a real \ufffd and a pair \ud83d\ude00')
  assert.throws(() => custfit.Expr.compile('name == "\ud800"', ds.snapshot('2024-02-01')), (e) => e.code === 'invalid_argument')
})
