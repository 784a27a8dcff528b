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
