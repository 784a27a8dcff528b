// Documents (configs and fitted models) from Node. The golden cases of tests/cases/document (the
// same document gives the same error code in Rust, Python and Node) run in cases.test.mjs.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { custfit } from './fixtures.mjs'

const empty = new custfit.Dataset()

test('a camelCase key in a document names the snake_case one', () => {
  assert.throws(() => custfit.buildTrainingSet(empty, { firstObservation: '2024-01-01' }, '2024-01-01'), (e) => {
    assert.equal(e.code, 'parse_error')
    assert.match(e.message, /first_observation/)
    return true
  })
})
