// The effectiveness (maturity) model from Node: five accounts built by hand, placed in their
// phases, benchmarked against their peers (gold's percentiles, median and best in class worked
// out by hand, as in bindings-python/tests/test_effectiveness.py) and given an improvement plan;
// the async variant; the assessment as snapshot columns a play triggers on and as Arrow; bad
// models and wrong-typed arguments (stable `.code`). Tracking against the plan: a simulated base
// checked monthly (the same figures as test_effectiveness.py and the Rust guide), the invariants
// of the ledger, its plan columns in a play, idempotent checks in time order, bad policies,
// documents and arguments. The golden cases of tests/cases/effectiveness run in cases.test.mjs;
// docs/src/effectiveness.md includes the ANCHOR regions of this file.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { custfit } from './fixtures.mjs'

const { tableFromIPC } = createRequire(import.meta.url)('apache-arrow')

const { MaturityAssessment, PlanCheck, PlanTracker, assessMaturity, assessMaturityAsync } = custfit

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

// What the guide snippet prints (the same in bindings-python/tests/test_effectiveness.py and, in
// substance, core/tests/guide.rs): the two languages are checked against each other.
const TRACKING_LINES = [
  '2024-01-30: 273 plans made, 0 achieved, 0 regressed, 0 expired, 0 behind',
  '2024-02-29: 87 plans made, 35 achieved, 30 regressed, 0 expired, 174 behind',
  '2024-03-30: 89 plans made, 21 achieved, 42 regressed, 0 expired, 211 behind',
  '2024-04-29: 268 plans made, 36 achieved, 36 regressed, 159 expired, 76 behind',
  'plan 1 (initial) for adopting: achieved',
  'plan 2 (achieved) for mature: regressed',
  'plan 3 (regressed) for adopting: achieved',
  'plan 4 (achieved) for mature: open',
]

const DAY = 24 * 3600 * 1000

describe('tracking a simulated base against its plans', () => {
  test('monthly checks, the ledger, and the plan columns in a play', (t) => {
    const log = t.mock.method(console, 'log', () => {})
    // ANCHOR: tracking
    const sim = custfit.simulate({ accounts: 400, days: 120, activityScale: 0.3 })
    const model = {
      version: 1,
      segment_by: 'plan',
      phases: [
        { name: 'started', behaviours: [{ name: 'active', metric: 'active_days_30d', at_least: 1 }] },
        {
          name: 'adopting',
          behaviours: [
            { name: 'weekly_use', metric: 'active_days_30d', at_least: 8 },
            { name: 'recent', metric: 'days_since_last_activity', at_most: 7 },
          ],
        },
        {
          name: 'mature',
          behaviours: [
            { name: 'broad_use', metric: 'features_used_30d', at_least: 5 },
            { name: 'most_seats', metric: 'seat_utilization', at_least: 0.6 },
          ],
        },
      ],
    }
    const tracker = new PlanTracker({ horizon: { amount: 90, unit: 'days' } }) // plans due 90 days after they are made
    let snapshot, check
    for (let month = 1; month <= 4; month++) { // checked monthly, at the end of each 30 days
      snapshot = sim.dataset.snapshot(new Date(sim.start.getTime() + 30 * month * DAY - 1000))
      check = tracker.track(snapshot, model)
      const behind = check.accounts.filter((a) => a.status === 'behind').length
      console.log(`${check.at.toISOString().slice(0, 10)}: ${check.plansMade} plans made, ${check.achieved} achieved, ` +
        `${check.regressed} regressed, ${check.expired} expired, ${behind} behind`)
    }
    // 2024-01-30: 273 plans made, 0 achieved, 0 regressed, 0 expired, 0 behind
    // 2024-02-29: 87 plans made, 35 achieved, 30 regressed, 0 expired, 174 behind
    // 2024-03-30: 89 plans made, 21 achieved, 42 regressed, 0 expired, 211 behind
    // 2024-04-29: 268 plans made, 36 achieved, 36 regressed, 159 expired, 76 behind
    for (const plan of tracker.plansOf('acc-000060')) { // one account's plan and re-plans
      console.log(`plan ${plan.revision} (${plan.reason}) for ${plan.target_phase}: ${plan.outcome ?? 'open'}`)
    }
    // plan 1 (initial) for adopting: achieved
    // plan 2 (achieved) for mature: regressed
    // plan 3 (regressed) for adopting: achieved
    // plan 4 (achieved) for mature: open
    // Columns for plays: plan_status ('on_track', 'behind', 'top'), plan_progress, plan_elapsed,
    // plan_target, plan_due, plan_revision.
    const frame = snapshot.withColumns(check, 'plan')
    // ANCHOR_END: tracking
    assert.deepEqual(log.mock.calls.map((c) => c.arguments.join(' ')), TRACKING_LINES)
    assert.ok(check instanceof PlanCheck)
    assert.equal(check.at.getTime(), sim.end.getTime())
    assert.deepEqual(tracker.checks.map((d) => d.getTime()), [1, 2, 3, 4].map((m) => sim.start.getTime() + 30 * m * DAY - 1000))
    assert.deepEqual(tracker.policy, { horizon: { amount: 90, unit: 'days' } })
    // Each account below the top has exactly one open plan, for its next phase; the top has none.
    const open = new Map()
    for (const p of tracker.plans.filter((p) => !('closed_at' in p))) open.set(p.account_id, [...(open.get(p.account_id) ?? []), p])
    assert.equal(check.accounts.length, 400)
    for (const a of check.accounts) {
      const mine = open.get(a.account_id) ?? []
      if (a.status === 'top') {
        assert.deepEqual([mine, a.revision], [[], null])
      } else {
        assert.deepEqual(mine.map((p) => [p.revision, p.target_phase]), [[a.revision, a.target_phase]])
        assert.ok(a.progress >= 0 && a.progress <= 1 && a.elapsed >= 0 && a.elapsed <= 1, JSON.stringify(a))
        assert.equal(a.status === 'behind', a.progress < a.elapsed)
      }
    }
    const top = check.accounts.filter((a) => a.status === 'top').length
    assert.deepEqual([[...open.values()].flat().length, 400 - top], [358, 358])
    // Every check recorded an actual for each plan open before it (no account leaves the frame).
    for (const at of tracker.checks.map((d) => d.toISOString().replace('.000Z', 'Z'))) {
      const wasOpen = tracker.plans.filter((p) => p.made_at < at && (p.closed_at ?? '9999') >= at)
      assert.equal(tracker.actuals.filter((x) => x.at === at).length, wasOpen.length)
    }
    assert.deepEqual([tracker.plans.length, tracker.actuals.length], [717, 889])
    // (its first plan was made at the first check: its actuals start at the second)
    assert.deepEqual(tracker.actualsOf('acc-000060').map((x) => x.at.slice(0, 10)), ['2024-02-29', '2024-03-30', '2024-04-29'])
    assert.deepEqual([tracker.plansOf('nobody'), tracker.actualsOf('nobody')], [[], []])
    // The document reads back as it was, from an object or JSON text.
    const again = PlanTracker.fromJson(JSON.stringify(tracker))
    assert.ok(again.equals(tracker) && PlanTracker.fromJson(tracker.toJSON()).equals(tracker))
    assert.deepEqual(again.toJSON(), tracker.toJSON())
    assert.deepEqual(JSON.parse(JSON.stringify(check)), check.toJSON())
    // The plan columns in a play: `plan_status == "behind"` fires on exactly the accounts behind.
    const types = Object.fromEntries(frame.schema.map((c) => [c.name, c.data_type]))
    const columns = ['status', 'progress', 'elapsed', 'target', 'due', 'revision'].map((c) => `plan_${c}`)
    assert.deepEqual(columns.map((c) => types[c]), ['str', 'float', 'float', 'str', 'timestamp', 'int'])
    const book = new custfit.Playbook({
      name: 'plans',
      plays: [{
        id: 'nudge',
        trigger: { type: 'condition', when: 'plan_status == "behind"' },
        firing: { type: 'edge' },
        tactic: { kind: 'email', payload: { template: 'plan-check-in' } },
      }],
    })
    const { run } = custfit.runPlaybook(book, frame)
    const behind = check.accounts.filter((a) => a.status === 'behind').map((a) => a.account_id).sort()
    assert.deepEqual(run.fired.map((a) => a.account_id).sort(), behind)
    assert.equal(behind.length, 76)
    // The default name, and the same columns as Arrow.
    assert.ok(snapshot.withColumns(check).columnNames.includes('plan_status'))
    const arrow = tableFromIPC(custfit.toArrow(check))
    assert.deepEqual(arrow.schema.fields.map((f) => f.name), ['account_id', ...columns])
    assert.deepEqual([...arrow.getChild('plan_status').toArray()], check.accounts.map((a) => a.status))
  })
})

/** Three accounts of one tier as of `asOf` (`MODEL`'s columns). */
const frameAt = (asOf, days, features) => custfit.snapshotFromJson({
  ...FRAME,
  as_of: asOf,
  columns: { account_id: ['a0', 'a1', 'a2'], days, silence: [2, 2, 2], features, tier: ['g', 'g', 'g'] },
})

/** Asserts `call` throws `code` with a message mentioning `text`. */
const throwsCode = (call, code, text) => assert.throws(call, (e) => {
  assert.equal(e.code, code, e.message)
  assert.ok(e.message.includes(text), `${e.message} mentions "${text}"`)
  return true
})

describe('checks of a plan tracker', () => {
  test('idempotent, in time order and all or nothing', () => {
    const tracker = new PlanTracker()
    const june = frameAt('2024-06-01', [3, 9, 12], [0, 2, 6])
    const july = frameAt('2024-07-01', [5.5, 9, 12], [0, 2.5, 6])
    const first = tracker.track(june, MODEL)
    assert.deepEqual([first.plansMade, first.accounts.map((a) => a.status)], [2, ['on_track', 'on_track', 'top']])
    const check = tracker.track(july, JSON.stringify(MODEL)) // the model as JSON text
    assert.deepEqual(check.accounts.map((a) => a.status), ['on_track', 'behind', 'top'])
    close(check.accounts[1].progress, 1 / 6)
    close(check.accounts[1].elapsed, 1 / 3)
    const kept = tracker.toJSON()
    // The same check again: nothing changes, the same result.
    assert.deepEqual(tracker.track(july, MODEL).toJSON(), check.toJSON())
    assert.deepEqual(tracker.toJSON(), kept)
    // An earlier check, or a different one at the same instant, is refused and changes nothing.
    const other = frameAt('2024-07-01', [6, 9, 12], [0, 2.5, 6])
    for (const [frame, text] of [[june, 'before the last check'], [other, 'a different check is already recorded']]) {
      throwsCode(() => tracker.track(frame, MODEL), 'invalid_argument', text)
      assert.deepEqual(tracker.toJSON(), kept)
    }
    // Bad models are refused before anything changes.
    const august = frameAt('2024-08-01', [9, 9, 12], [0, 3, 6])
    for (const [model, code] of [
      [{ ...MODEL, version: 9 }, 'unsupported_version'],
      [{ ...MODEL, phases: MODEL.phases.slice(0, 2) }, 'invalid_config'],
      [{ ...MODEL, segment_by: 'region' }, 'unknown_metric'],
      ['{', 'parse_error'],
      [5, 'invalid_argument'],
    ]) {
      throwsCode(() => tracker.track(august, model), code, '')
      assert.deepEqual(tracker.toJSON(), kept)
    }
    // A new model closes the plans made from the old one (their model's digest differs).
    const broad = { name: 'broad', metric: 'features', at_least: 4 }
    const changed = { ...MODEL, phases: [...MODEL.phases.slice(0, 2), { name: 'mature', behaviours: [broad] }] }
    const later = tracker.track(frameAt('2024-08-01', [5.5, 9, 12], [0, 2.5, 6]), changed)
    assert.deepEqual([later.modelChanged, later.plansMade], [2, 2])
    assert.deepEqual(tracker.plansOf('a1').map((p) => p.reason), ['initial', 'model_changed'])
  })

  test('bad policies, documents and arguments are refused with stable codes', () => {
    const horizon = { horizon: { amount: 2, unit: 'weeks' } }
    assert.deepEqual(new PlanTracker(horizon).policy, horizon)
    assert.deepEqual(new PlanTracker(JSON.stringify(horizon)).policy, horizon)
    for (const none of [undefined, null, {}]) assert.deepEqual(new PlanTracker(none).policy, { horizon: { amount: 90, unit: 'days' } })
    for (const [policy, code, text] of [
      [{ horizon: { amount: 0, unit: 'days' } }, 'invalid_config', '`policy.horizon`'],
      [{ horizon: { amount: 90, unit: 'years' } }, 'parse_error', 'policy'],
      [{ colour: 'red' }, 'parse_error', 'colour'],
      ['{', 'parse_error', 'policy'],
      [5, 'invalid_argument', '`policy`'],
    ]) {
      throwsCode(() => new PlanTracker(policy), code, text)
    }
    const tracker = new PlanTracker()
    tracker.track(frameAt('2024-06-01', [3, 9, 12], [0, 2, 6]), MODEL)
    const doc = tracker.toJSON()
    const gap = { ...doc, plans: [doc.plans[0], { ...doc.plans[1], revision: 3 }] }
    for (const [document, code, text] of [
      [gap, 'invalid_config', 'plans[1]'],
      [{ ...doc, checks: ['2024-07-01T00:00:00Z', ...doc.checks] }, 'invalid_config', 'checks'],
      [{ ...doc, version: 9 }, 'unsupported_version', 'plan tracker'],
      [{ ...doc, colour: 'red' }, 'parse_error', 'colour'],
      ['{', 'parse_error', 'plan tracker'],
      [5, 'invalid_argument', '`document`'],
    ]) {
      throwsCode(() => PlanTracker.fromJson(document), code, text)
    }
    assert.ok(PlanTracker.fromJson({ version: 1 }).equals(new PlanTracker())) // every part has a default
    const cases = [
      [() => tracker.track(new custfit.Dataset(), MODEL), 'frame', 'expected a Snapshot, got a Dataset'],
      [() => tracker.track(null, MODEL), 'frame', 'expected a Snapshot, got null'],
      [() => tracker.track(frameAt('2024-07-01', [3, 9, 12], [0, 2, 6])), 'model', ''],
      [() => tracker.plansOf(5), 'accountId', 'expected a string'],
      [() => tracker.actualsOf(), 'accountId', ''],
      [() => tracker.equals({}), 'other', 'expected a PlanTracker'],
      [() => new PlanCheck(), 'PlanCheck', 'cannot be made with `new`'],
    ]
    for (const [call, name, text] of cases) {
      assert.throws(call, (e) => {
        assert.equal(e.code, 'invalid_argument', e.message)
        assert.ok(e.message.startsWith(`invalid argument \`${name}\`: `), e.message)
        assert.ok(e.message.includes(text), `${e.message} mentions "${text}"`)
        return true
      })
    }
    assert.deepEqual(tracker.toJSON(), doc)
  })
})
