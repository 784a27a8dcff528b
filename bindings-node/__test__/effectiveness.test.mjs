// The effectiveness (maturity) model from Node: five accounts built by hand, placed in their
// phases, benchmarked against their peers (gold's percentiles, median and best in class worked
// out by hand, as in bindings-python/tests/test_effectiveness.py) and given an improvement plan;
// the async variant; the assessment as snapshot columns a play triggers on and as Arrow; bad
// models and wrong-typed arguments (stable `.code`). The golden cases of tests/cases/effectiveness
// run in cases.test.mjs; docs/src/effectiveness.md includes the ANCHOR region of this file.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { custfit } from './fixtures.mjs'

const { tableFromIPC } = createRequire(import.meta.url)('apache-arrow')

const { MaturityAssessment, assessMaturity, assessMaturityAsync } = custfit

// The same frame and model as test_effectiveness.py.
const FRAME = {
  as_of: '2024-06-01T00:00:00Z',
  columns: {
    account_id: ['a0', 'a1', 'a2', 'a3', 'a4'],
    days: [0, 3, 10, 12, 20],
    silence: [30, 2, 2, 1, 10],
    features: [0, 9, 3, 6, 8],
    tier: ['gold', 'gold', 'gold', 'gold', 'other'],
  },
  types: { days: 'float', silence: 'float', features: 'float', tier: 'str' },
}

const MODEL = {
  version: 1,
  segment_by: 'tier',
  phases: [
    { name: 'started', behaviours: [{ name: 'active', metric: 'days', at_least: 1 }] },
    { name: 'adopting', behaviours: [{ name: 'weekly', metric: 'days', at_least: 8 }, { name: 'recent', metric: 'silence', at_most: 7 }] },
    { name: 'mature', behaviours: [{ name: 'broad', metric: 'features', at_least: 5 }] },
  ],
}

/** The code an async call rejects with. */
const code = (promise) => promise.then(() => 'resolved', (e) => e.code)

const close = (actual, expected) => assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} ≈ ${expected}`)

describe('maturity of five accounts built by hand', () => {
  const frame = custfit.snapshotFromJson(FRAME)

  test('phases, counts, peer benchmarks and plans', () => {
    // ANCHOR: assess
    const model = {
      version: 1,
      segment_by: 'tier', // peers: accounts of the same tier
      phases: [ // lowest first; each account is in the highest phase it meets with every earlier one
        { name: 'started', behaviours: [{ name: 'active', metric: 'days', at_least: 1 }] },
        {
          name: 'adopting',
          behaviours: [
            { name: 'weekly', metric: 'days', at_least: 8 },
            { name: 'recent', metric: 'silence', at_most: 7 }, // lower is better
          ],
        },
        { name: 'mature', behaviours: [{ name: 'broad', metric: 'features', at_least: 5 }] },
      ],
    }
    const assessment = assessMaturity(frame, model)
    console.log(assessment.accounts.map((a) => a.phase))
    // [ null, 'started', 'adopting', 'mature', 'started' ]
    console.log(assessment.counts) // below the first phase, then one per phase
    // [ 1, 2, 1, 1 ]
    console.log(assessment.accounts[1].plan) // what a1 needs for the next phase
    // [ { baseline: 3, behaviour: 'weekly', gap: 5, metric: 'days', stretch: 11.4, target: 8 } ]
    // ANCHOR_END: assess
    assert.deepEqual(assessment.phases, ['started', 'adopting', 'mature'])
    assert.deepEqual(assessment.accounts.map((a) => a.phase), [null, 'started', 'adopting', 'mature', 'started'])
    assert.deepEqual(assessment.accounts.map((a) => a.level), [0, 1, 2, 3, 1])
    assert.deepEqual(assessment.accounts.map((a) => a.next_phase), ['started', 'adopting', 'mature', null, 'adopting'])
    assert.deepEqual(assessment.counts, [1, 2, 1, 1])
    const a1 = assessment.accounts[1]
    assert.equal(a1.segment, 'gold')
    assert.equal(a1.plan.length, 1)
    const [step] = a1.plan
    assert.deepEqual([step.behaviour, step.metric, step.baseline, step.target, step.gap], ['weekly', 'days', 3, 8, 5])
    close(step.stretch, 11.4) // gold's 90th percentile of days: 0, 3, 10, 12
    // a2 does at least as well as 3 of its 4 gold peers on `weekly`; their median is (3 + 10) / 2.
    const weekly = assessment.accounts[2].behaviours.find((b) => b.behaviour === 'weekly')
    assert.ok(weekly.met)
    assert.equal(weekly.value, 10)
    close(weekly.percentile, 0.75)
    close(weekly.peer_median, 6.5)
    // At the top there is nothing left to plan; below the first phase the plan is the first one.
    assert.deepEqual(assessment.accounts[3].plan, [])
    assert.deepEqual(assessment.accounts[0].plan.map((s) => s.behaviour), ['active'])
    // a4 (alone in its tier) misses `recent`: silence 10 against at most 7.
    const [recent] = assessment.accounts[4].plan
    assert.deepEqual([recent.behaviour, recent.baseline, recent.target, recent.gap], ['recent', 10, 7, 3])
  })

  test('the columns in a play, and as Arrow', () => {
    const assessment = assessMaturity(frame, MODEL)
    const withMaturity = frame.withColumns(assessment, 'maturity')
    const types = Object.fromEntries(withMaturity.schema.map((c) => [c.name, c.data_type]))
    assert.deepEqual([types.maturity, types.maturity_level, types.maturity_next, types.maturity_gaps], ['str', 'int', 'str', 'int'])
    const table = withMaturity.columns()
    assert.deepEqual(table.maturity, [null, 'started', 'adopting', 'mature', 'started'])
    assert.deepEqual(table.maturity_level, [0, 1, 2, 3, 1])
    assert.deepEqual(table.maturity_gaps, [1, 1, 1, 0, 1])
    const book = new custfit.Playbook({
      name: 'grow',
      plays: [{
        id: 'coach',
        trigger: { type: 'condition', when: 'maturity_level < 2' },
        firing: { type: 'edge' },
        tactic: { kind: 'email', payload: { template: 'next-steps' } },
      }],
    })
    const { run } = custfit.runPlaybook(book, withMaturity)
    assert.deepEqual(run.fired.map((a) => a.account_id).sort(), ['a0', 'a1', 'a4'])
    // The default name, and the same columns as Arrow.
    const names = frame.withColumns(assessment).columnNames
    assert.ok(['maturity', 'maturity_level', 'maturity_next', 'maturity_gaps'].every((c) => names.includes(c)), names.join())
    const arrow = tableFromIPC(custfit.toArrow(assessment, 'phase'))
    assert.deepEqual(arrow.schema.fields.map((f) => f.name), ['account_id', 'phase', 'phase_level', 'phase_next', 'phase_gaps'])
    assert.deepEqual([...arrow.getChild('phase').toArray()], assessment.accounts.map((a) => a.phase))
  })

  test('the JSON form, JSON text, no peer groups and the async variant', async () => {
    const assessment = assessMaturity(frame, MODEL)
    const doc = assessment.toJSON()
    assert.deepEqual(Object.keys(doc).sort(), ['accounts', 'counts', 'phases'])
    assert.deepEqual(JSON.parse(JSON.stringify(assessment)), doc)
    assert.deepEqual(doc.accounts, assessment.accounts)
    assert.deepEqual(assessMaturity(frame, JSON.stringify(MODEL)).toJSON(), doc)
    const { segment_by: _, ...noPeers } = MODEL
    const everyone = assessMaturity(frame, noPeers)
    assert.deepEqual(everyone.counts, doc.counts)
    assert.ok(everyone.accounts.every((a) => a.segment === null))
    const weekly = everyone.accounts[2].behaviours.find((b) => b.behaviour === 'weekly')
    close(weekly.percentile, 0.6)
    close(weekly.peer_median, 10)
    const again = await assessMaturityAsync(frame, MODEL)
    assert.ok(again instanceof MaturityAssessment)
    assert.deepEqual(again.toJSON(), doc)
    assert.equal(await code(assessMaturityAsync(frame, { ...MODEL, version: 9 })), 'unsupported_version')
    assert.equal(await code(assessMaturityAsync(frame, { ...MODEL, phases: MODEL.phases.slice(0, 2) })), 'invalid_config')
    assert.equal(await code(assessMaturityAsync(5, MODEL)), 'invalid_argument')
  })

  test('bad models are refused with stable codes, naming the field', () => {
    const both = { name: 'broad', metric: 'features', at_least: 5, at_most: 9 }
    const bad = [
      [{ ...MODEL, phases: MODEL.phases.slice(0, 2) }, 'invalid_config', '`phases`'],
      [{ ...MODEL, phases: [...MODEL.phases.slice(0, 2), { name: 'mature', behaviours: [both] }] }, 'invalid_config', '`phases[2].behaviours[0]`'],
      [{ ...MODEL, version: 9 }, 'unsupported_version', 'maturity model'],
      [{ ...MODEL, segment_by: 'region' }, 'unknown_metric', 'region'],
      [{ ...MODEL, colour: 'red' }, 'parse_error', 'colour'],
      ['{', 'parse_error', 'maturity model'],
    ]
    for (const [model, want, names] of bad) {
      assert.throws(() => assessMaturity(frame, model), (e) => {
        assert.equal(e.code, want, e.message)
        assert.ok(e.message.includes(names), e.message)
        return true
      })
    }
  })

  test('wrong-typed arguments are invalid_argument naming the argument', () => {
    const cases = [
      [() => assessMaturity(new custfit.Dataset(), MODEL), 'frame', 'expected a Snapshot, got a Dataset'],
      [() => assessMaturity(null, MODEL), 'frame', 'expected a Snapshot, got null'],
      [() => assessMaturity({}, MODEL), 'frame', 'expected a Snapshot, got an object'],
      [() => assessMaturity(frame, 5), 'model', 'expected an object or its JSON text, got a number'],
      [() => assessMaturity(frame), 'model', ''],
      [() => new MaturityAssessment(), 'MaturityAssessment', 'cannot be made with `new`'],
      [() => frame.withColumns(assessMaturity(frame, MODEL), 5), 'name', 'expected a string'],
    ]
    for (const [call, name, text] of cases) {
      assert.throws(call, (e) => {
        assert.equal(e.code, 'invalid_argument', e.message)
        assert.ok(e.message.startsWith(`invalid argument \`${name}\`: `), e.message)
        assert.ok(e.message.includes(text), `${e.message} mentions "${text}"`)
        return true
      })
    }
  })
})
