// The error contract: stable codes shared with Rust and Python; every error a JS Error with `.code`.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { custfit, baseDataset, CASES_DIR, OPTIONS } from './fixtures.mjs'

const { errorCodes, simulate } = custfit

test('errorCodes() equals tests/cases/error_codes.json (the list Rust and Python check too)', () => {
  const shared = JSON.parse(fs.readFileSync(path.join(CASES_DIR, 'error_codes.json'), 'utf8'))
  assert.deepEqual(errorCodes(), shared)
  assert.equal(new Set(errorCodes()).size, errorCodes().length)
})

test('every thrown error is an Error with a known code and the core message', () => {
  const ds = baseDataset()
  const attempts = [
    () => ds.addEvents([{ account_id: 'nope', timestamp: '2024-03-01', name: 'login' }], OPTIONS),
    () => ds.addAccounts(5),
    () => ds.snapshot('never'),
    () => ds.snapshot('2024-03-01').column('nope'),
    () => ds.snapshot('2024-03-01', '{'),
    () => ds.dailyActivity('nope', '2024-03-01', 1),
    () => simulate({ accounts: -1 }),
    () => custfit.Dataset.fromFiles({ accounts: '/nonexistent/accounts.csv' }),
  ]
  for (const attempt of attempts) {
    assert.throws(attempt, (e) => {
      assert.ok(e instanceof Error)
      assert.ok(errorCodes().includes(e.code), `known code: ${e.code}`)
      assert.equal(typeof e.message, 'string')
      assert.ok(e.message.length > 0 && !e.message.includes(e.code + ':'))
      return true
    })
  }
})

test('row errors name the entity, row and field', () => {
  const ds = baseDataset()
  assert.throws(() => ds.addUsers([{ id: 'u8', account_id: 'acc-1', created_at: '2024-01-01' }, { id: 'u9', account_id: 'x', created_at: '2024-01-01' }], OPTIONS), {
    code: 'unknown_account', entity: 'user', row: 1, field: 'account_id',
    message: 'user row 1, field `account_id`: no account `x` in the dataset',
  })
})

test('a thrown error can be caught and the dataset used again', () => {
  const ds = baseDataset()
  for (let i = 0; i < 100; i++) {
    try { ds.addEvents([{ account_id: 'acc-1', timestamp: NaN, name: 'x' }]) } catch { /* expected */ }
  }
  assert.equal(ds.snapshot('2024-03-01').length, 2)
})

test('whole-number arguments: negative, fractional, NaN or huge values are invalid_argument, never wrapped or truncated', () => {
  const sim = simulate({ accounts: 30, days: 90, seed: 5 })
  const ds = sim.dataset
  const id = ds.snapshot(sim.end).accountIds[0]
  for (const bad of [-1, 2.5, NaN, 1e12]) {
    const calls = {
      days: () => ds.dailyActivity(id, sim.end, bad),
      minGapDays: () => custfit.chooseInactivityWindow(ds, sim.end, 0.9, bad),
      stepDays: () => custfit.backtestGrid('2024-01-01', '2024-03-01', bad),
    }
    for (const [name, call] of Object.entries(calls)) {
      assert.throws(call, (e) => e.code === 'invalid_argument' && e.message.includes(`\`${name}\``), `${name}=${bad}`)
    }
  }
})

// napi-rs refuses a value of the wrong JS type before custfit runs, with its own status code.
const NAPI_TYPE_CODES = new Set(['InvalidArg', 'ObjectExpected', 'StringExpected', 'NameExpected', 'FunctionExpected', 'NumberExpected', 'BooleanExpected', 'ArrayExpected', 'BigintExpected', 'DateExpected'])

test('junk arguments: every export and method throws a coded error or a napi type error, never crashes', async () => {
  const sim = simulate({ accounts: 30, days: 90, seed: 2 })
  const ds = sim.dataset
  const end = sim.end
  const snap = ds.snapshot(end)
  const card = custfit.Scorecard.starter()
  const scores = card.score(custfit.healthSnapshot(ds, end))
  const junk = [undefined, null, '', 'x', '{', '[]', -1, 0, 2 ** 70, NaN, Infinity, [], [null], {}, { a: 1 }, 'ü🙂',
    new Uint8Array(3), () => 1, ds, snap, end, true, [[NaN]], Symbol('s'), 10n]
  const codes = new Set(errorCodes())
  const escaped = []
  const pending = []
  let calls = 0
  const check = (e, label) => {
    if (!(e instanceof Error) || !(codes.has(e.code) || NAPI_TYPE_CODES.has(e.code))) escaped.push(`${label}: ${e?.code} ${e?.message ?? e}`)
  }
  const call = (f, self, args, label) => {
    calls += 1
    try {
      const r = f.apply(self, args)
      if (r && typeof r.then === 'function') pending.push(r.catch((e) => check(e, label)))
    } catch (e) {
      check(e, label)
    }
  }
  const onSnapshot = /^(pareto|quantile|rfm|fitClusters|capacity|segment|addFlag|assign)/
  for (const [name, f] of Object.entries(custfit)) {
    if (typeof f !== 'function' || /^[A-Z]/.test(name) || name.startsWith('simulate')) continue
    const base = onSnapshot.test(name) ? [snap, {}, {}] : [ds, end, {}, {}]
    for (const j of junk) {
      for (let pos = 0; pos < 4; pos++) {
        const args = base.slice()
        args[pos] = j
        call(f, null, args.slice(0, Math.max(pos + 1, f.length)), `${name}[${pos}]=${String(j).slice(0, 20)}`)
      }
    }
  }
  const first = snap.accountIds[0]
  for (const [oname, o] of Object.entries({ dataset: ds, snapshot: snap, scorecard: card, scores, simulation: sim })) {
    const proto = Object.getPrototypeOf(o)
    if (proto === Object.prototype) continue
    for (const m of Object.getOwnPropertyNames(proto)) {
      const d = Object.getOwnPropertyDescriptor(proto, m)
      // (the row dumps take no arguments and only cost time)
      if (m === 'constructor' || /^(write|save)|^(accounts|users|subscriptions|events)$/.test(m) || typeof d?.value !== 'function') continue
      for (const j of junk) {
        for (const args of [[j], [j, j], [j, end, 7], [first, j, 7], [first, end, j]]) call(d.value, o, args, `${oname}.${m}`)
      }
    }
  }
  await Promise.all(pending)
  assert.ok(calls > 5000, `${calls} calls`)
  assert.deepEqual(escaped, [])
})
