// The conditions language from Node, and the golden cases of tests/cases/expr
// (format: tests/cases/expr/README.md).
import { createRequire } from 'node:module'
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { custfit } from './fixtures.mjs'
import { caseFiles, checkError, close } from './golden-helpers.mjs'

const require = createRequire(import.meta.url)

const KEYS = ['description', 'input', 'expression', 'limits', 'expected', 'error']

describe('golden cases: expr', () => {
  const files = caseFiles('expr')
  test('there are cases', () => assert.ok(files.length >= 30))
  for (const [name, c] of files) {
    test(name, () => {
      assert.deepEqual(Object.keys(c).filter((k) => !KEYS.includes(k)), [])
      const snap = custfit.snapshotFromJson(c.input)
      let expr, values
      try {
        expr = custfit.Expr.compile(c.expression, snap, c.limits)
        values = expr.evaluate(snap)
      } catch (err) {
        assert.ok(c.error, `unexpected error ${err.message}`)
        checkError(c.error, err)
        return
      }
      assert.ok(c.expected, `expected an error, got ${JSON.stringify(values)}`)
      assert.equal(expr.resultType, c.expected.type)
      assert.ok(close(c.expected.values, values), JSON.stringify(values))
    })
  }
})

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
