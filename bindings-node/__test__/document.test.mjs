// Documents (configs and fitted models) from Node, and the golden cases of tests/cases/document:
// the same document gives the same error code in Rust, Python and Node.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { custfit } from './fixtures.mjs'
import { caseFiles } from './golden-helpers.mjs'

const empty = new custfit.Dataset()
const snapshot = empty.snapshot('2024-01-01')
const READ = {
  scorecard: (doc) => new custfit.Scorecard(doc),
  scorecard_set: (doc) => new custfit.ScorecardSet(doc),
  snapshot_config: (doc) => empty.snapshot('2024-01-01', doc),
  training_set_config: (doc) => custfit.buildTrainingSet(empty, doc, '2024-01-01'),
  pareto_config: (doc) => custfit.paretoTiers(snapshot, doc),
  rule_segmentation: (doc) => custfit.segmentRules(snapshot, doc),
  churn_model: (doc) => custfit.ChurnModel.fromJson(doc),
}

describe('golden cases: document', () => {
  const files = caseFiles('document')
  test('there are cases', () => assert.ok(files.length >= 15))
  for (const [name, c] of files) {
    test(name, () => {
      const read = READ[c.kind]
      if (c.error) {
        assert.throws(() => read(c.document), (e) => {
          assert.equal(e.code, c.error.code, e.message)
          return true
        })
      } else {
        try {
          read(c.document)
        } catch (e) {
          // The document read; an empty dataset may have nothing to work on.
          assert.equal(e.code, 'insufficient_data', e.message)
        }
        assert.equal(c.expected.ok, true)
      }
    })
  }
})

test('a camelCase key in a document names the snake_case one', () => {
  assert.throws(() => custfit.buildTrainingSet(empty, { firstObservation: '2024-01-01' }, '2024-01-01'), (e) => {
    assert.equal(e.code, 'parse_error')
    assert.match(e.message, /first_observation/)
    return true
  })
})
