// The conditions language from Node. The golden cases of tests/cases/expr run in cases.test.mjs.
import { createRequire } from 'node:module'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { custfit } from './fixtures.mjs'

const require = createRequire(import.meta.url)

test('guide: expressions', () => {
  // ANCHOR: expr_node
  const { Expr, snapshotFromJson } = require('custfit')

  const snap = snapshotFromJson({
    as_of: '2024-06-01T00:00:00Z',
    columns: { account_id: ['a', 'b', 'c'], mrr: [6000, 80, null], plan: ['enterprise', 'starter', 'enterprise'] },
    types: { mrr: 'float' },
  })
  const rule = Expr.compile('mrr >= 5000 && plan == "enterprise"', snap)
  assert.deepEqual(rule.evaluate(snap), [true, false, null]) // missing mrr → missing result
  assert.deepEqual(rule.matches(snap), [true, false, false]) // only true matches

  try {
    Expr.compile('mrrr > 5', snap)
  } catch (err) {
    assert.equal(err.code, 'unknown_name')
    assert.equal(err.suggestion, 'mrr')
  }
  // ANCHOR_END: expr_node
})

test('schema object and errors', () => {
  const e = new custfit.Expr('days > 30 && mrr >= 5000.5', { days: 'int', mrr: 'float' })
  assert.equal(e.resultType, 'bool')
  assert.deepEqual(e.columns, { days: 'int', mrr: 'float' })
  assert.throws(() => new custfit.Expr('days >', { days: 'int' }), (err) => err.code === 'expr_syntax' && err.position === 6)
  assert.throws(() => new custfit.Expr('days', { days: 'decimal' }), (err) => err.code === 'invalid_argument')
})

test('a Snapshot as the schema; integers beyond 2^32 in limits and configs', () => {
  const sim = custfit.simulate({ accounts: 40, days: 30, seed: 2 })
  const snap = sim.dataset.snapshot(sim.end)
  assert.equal(new custfit.Expr('mau > 1', snap).resultType, 'bool')
  // The documented default max_cost is 1e10: a whole number, not a float, in every config.
  assert.equal(new custfit.Expr('mau > 1', snap, { max_cost: 1e10 }).resultType, 'bool')
  assert.equal(custfit.Expr.compile('mau > 1', snap, { max_cost: 1e10 }).resultType, 'bool')
  assert.ok(custfit.fitClusters(snap, { metrics: ['mau', 'mrr'], seed: 5e9 }).k >= 1)
  assert.throws(() => custfit.paretoTiers(snap, { version: 1, extra: 1 }), { code: 'parse_error' })
})
