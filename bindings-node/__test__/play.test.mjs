// Plays and playbooks from Node: a playbook run over a simulated customer base (who fired and
// why, capacity, the rerun that fires nothing, `prev_<column>` changes, a frame with added
// columns), the ledger (JSON and file round trips, closing actions) and bad input (stable
// `.code`). The golden cases of tests/cases/play run in cases.test.mjs; docs/src/play.md includes
// the ANCHOR regions of this file.
import { describe, test, before } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { custfit } from './fixtures.mjs'

const { tableFromIPC } = createRequire(import.meta.url)('apache-arrow')

const { Playbook, PlayState, runPlaybook } = custfit

// ANCHOR: playbook
const PLAYBOOK = {
  version: 1,
  name: 'retention',
  // Each owner (the `owner` column) gives at most 2 hours per run; accounts without an owner
  // share the same default. Documents use the core's snake_case keys in every language.
  limits: { default_capacity_hours: 2.0 },
  plays: [
    {
      id: 'check_in_call',
      description: 'A paying account quiet for two weeks: its CSM calls.',
      cohort: 'mrr > 0',
      trigger: { type: 'condition', when: 'days_since_last_activity > 14' },
      firing: { type: 'edge' },
      tactic: { kind: 'call', priority: 1, effort_hours: 0.5 },
    },
    {
      id: 'win_back',
      description: 'A lapsed account quiet for a month: a win-back email, monthly.',
      cohort: 'mrr == 0',
      trigger: { type: 'condition', when: 'days_since_last_activity > 30' },
      firing: { type: 'level', cooldown: { amount: 30, unit: 'days' } },
      rank_by: 'tenure_days',
      tactic: { kind: 'email', effort_hours: 0.25, payload: { template: 'we-miss-you' } },
    },
  ],
}
// ANCHOR_END: playbook

/** `{account: {column: value}}` of a snapshot. */
function rows(snap) {
  const columns = snap.columns()
  return Object.fromEntries(snap.accountIds.map((id, i) => [id, Object.fromEntries(Object.entries(columns).map(([c, v]) => [c, v[i]]))]))
}

const sorted = (xs) => [...xs].sort()

describe('a playbook over the simulator', () => {
  let sim, snap
  before(() => {
    sim = custfit.simulate({ accounts: 150, days: 200, seed: 11 })
    snap = sim.dataset.snapshot(sim.end)
  })

  test('the document round-trips', () => {
    const book = new Playbook(PLAYBOOK)
    assert.equal(book.name, 'retention')
    assert.deepEqual(book.playIds, ['check_in_call', 'win_back'])
    assert.ok(new Playbook(book.toJSON()).equals(book))
    assert.ok(new Playbook(JSON.stringify(book)).equals(book))
    const doc = book.toJSON()
    // Defaults are written out: the same file reads the same in Rust and Python.
    assert.equal(doc.plays[0].version, 1)
    assert.equal(doc.plays[0].tactic.owner_role, 'csm')
    assert.equal(doc.limits.owner_column, 'owner')
  })

  test('a run fires plays with reasons and spends capacity', () => {
    // ANCHOR: run
    const book = new Playbook(PLAYBOOK)
    const snap = sim.dataset.snapshot(sim.end) // any frame: a Snapshot, with any added columns
    const { run, state } = runPlaybook(book, snap) // a first run: the state starts empty

    for (const action of run.fired) { // objects in the core's serde form
      console.log(action.key, action.kind, action.owner, action.reasons)
    }
    // check_in_call@1:acc-000055:2024-07-18 call csm-06 { days_since_last_activity: 16, mrr: 1980.91 }
    for (const skip of run.skipped) { // every eligible account without an action, and why
      console.log(skip.play, skip.account_id, skip.reason, skip.detail)
    }
    // win_back acc-000091 capacity_exhausted (no owner): 2 of 2 hours spent, this needs 0.25
    // ANCHOR_END: run
    const data = rows(snap)
    const day = sim.end.toISOString().slice(0, 10)
    const known = Object.entries(data).filter(([, r]) => r.mrr !== null && r.days_since_last_activity !== null)
    const quietPaying = known.filter(([, r]) => r.mrr > 0 && r.days_since_last_activity > 14).map(([a]) => a)
    const lapsed = known.filter(([, r]) => r.mrr === 0 && r.days_since_last_activity > 30).map(([a]) => a)
    assert.ok(quietPaying.length > 0 && lapsed.length > 0)

    // Every eligible account got an action or a skip with a reason; no other account appears.
    for (const [play, eligible] of [['check_in_call', quietPaying], ['win_back', lapsed]]) {
      const fired = run.fired.filter((a) => a.play === play).map((a) => a.account_id)
      const skipped = run.skipped.filter((s) => s.play === play).map((s) => s.account_id)
      assert.deepEqual(sorted([...fired, ...skipped]), sorted(eligible), play)
    }
    assert.deepEqual([...new Set(run.skipped.map((s) => s.reason))], ['capacity_exhausted'])

    // Calls (priority 1) are served before emails; no owner spends more than the 2 hours of a run.
    const kinds = run.fired.map((a) => a.kind)
    assert.deepEqual(kinds, sorted(kinds))
    const spent = new Map()
    for (const a of run.fired) spent.set(a.owner, (spent.get(a.owner) ?? 0) + a.effort_hours)
    assert.ok(Math.max(...spent.values()) <= 2.0)

    for (const a of run.fired) {
      const r = data[a.account_id]
      assert.equal(a.key, `${a.play}@1:${a.account_id}:${day}`)
      assert.deepEqual(a.reasons, { mrr: r.mrr, days_since_last_activity: r.days_since_last_activity })
      assert.equal(a.owner, r.owner)
      assert.equal(a.status, 'open')
      assert.equal(a.closed_at, null)
      assert.equal(a.created_at, run.as_of)
      assert.deepEqual(a.payload, a.play === 'win_back' ? { template: 'we-miss-you' } : null)
    }
    assert.deepEqual(run.updated, [])
    assert.deepEqual(run.closed, [])
    assert.deepEqual(run.held_out, []) // no holdout: nobody held out
    assert.deepEqual(state.actions(), run.fired)
    assert.deepEqual(state.openActions(), run.fired)
    assert.deepEqual(state.lastRun, sim.end)
    assert.equal(state.playbook, 'retention')
  })

  test('rerunning the same frame fires nothing', () => {
    // ANCHOR: rerun
    const book = new Playbook(PLAYBOOK)
    const first = runPlaybook(book, snap)
    const again = runPlaybook(book, snap, first.state)
    assert.deepEqual(again.run.fired, []) // the same run: nothing new, whatever the limits
    assert.deepEqual(again.state.actions(), first.state.actions())
    // ANCHOR_END: rerun
    // The level play's open actions are refreshed, not duplicated.
    assert.deepEqual(again.run.updated, first.run.fired.filter((a) => a.play === 'win_back').map((a) => a.key))
    // The state passed in is not changed; a document works as well as a Playbook.
    assert.deepEqual(first.state.actions(), first.run.fired)
    assert.ok(runPlaybook(PLAYBOOK, snap, first.state).state.equals(again.state))
    assert.ok(runPlaybook(JSON.stringify(PLAYBOOK), snap, first.state).state.equals(again.state))
  })

  test('prev_<column> fires on a change since the previous run', () => {
    // ANCHOR: changes
    const book = {
      version: 1,
      name: 'usage',
      plays: [{
        id: 'usage_halved',
        cohort: 'mrr > 0',
        trigger: { type: 'condition', when: 'logins_30d < prev_logins_30d * 0.5' },
        firing: { type: 'edge' },
        tactic: { kind: 'alert_owner', owner_role: 'csm' },
      }],
    }
    const monthAgo = sim.dataset.snapshot(new Date(sim.end.getTime() - 30 * 86400000))
    const now = sim.dataset.snapshot(sim.end)
    const first = runPlaybook(book, monthAgo) // no previous run: nothing has changed
    const second = runPlaybook(book, now, first.state)
    // ANCHOR_END: changes
    assert.deepEqual(first.run.fired, [])
    const before = rows(monthAgo)
    const after = rows(now)
    const expected = Object.entries(after)
      .filter(([a, r]) => a in before && (r.mrr ?? 0) > 0 && r.logins_30d !== null && before[a].logins_30d !== null &&
        r.logins_30d < before[a].logins_30d * 0.5)
      .map(([a]) => a)
      .sort()
    assert.ok(expected.length > 0)
    assert.deepEqual(second.run.fired.map((a) => a.account_id), expected)
    for (const a of second.run.fired) assert.equal(a.reasons.prev_logins_30d, before[a.account_id].logins_30d)
    const memory = second.state.toJSON().memory
    assert.deepEqual(Object.keys(memory.columns), ['logins_30d'])
    // One value per account of the memory (sorted by id), missing values null.
    assert.deepEqual(memory.accounts, Object.keys(after).sort())
    assert.deepEqual(memory.columns.logins_30d.values, memory.accounts.map((a) => after[a].logins_30d ?? null))
  })

  test('a frame with added columns', () => {
    const hs = custfit.healthSnapshot(sim.dataset, sim.end)
    const frame = custfit.Scorecard.starter().score(hs).addToSnapshot(hs)
    const book = {
      version: 1,
      name: 'health',
      plays: [{ id: 'red_review', trigger: { type: 'condition', when: "health_band == 'red'" }, firing: { type: 'edge' }, tactic: { kind: 'meeting' } }],
    }
    const { run } = runPlaybook(book, frame)
    const red = Object.entries(rows(frame)).filter(([, r]) => r.health_band === 'red').map(([a]) => a).sort()
    assert.ok(red.length > 0)
    assert.deepEqual(run.fired.map((a) => a.account_id), red)
    for (const a of run.fired) assert.deepEqual(a.reasons, { health_band: 'red' })
  })

  test('the ledger round-trips through a file and closes actions', (t) => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'custfit-play-'))
    t.after(() => fs.rmSync(tmp, { recursive: true, force: true }))
    const first = runPlaybook(PLAYBOOK, snap)
    let state = first.state
    // ANCHOR: ledger
    const file = path.join(tmp, 'ledger.json')
    state.save(file) // atomic: a temporary file beside it, renamed over it
    state = PlayState.load(file) // next time, before the next run

    const key = state.openActions()[0].key
    state.close(key, 'done', snap.asOf) // the CSM reports the call was made
    assert.ok(!state.openActions().some((a) => a.key === key))
    // ANCHOR_END: ledger
    assert.ok(!PlayState.load(file).equals(state)) // closed after the save
    state.save(file)
    assert.ok(PlayState.load(file).equals(state))
    assert.ok(PlayState.fromJson(fs.readFileSync(file, 'utf8')).equals(state))
    // (JavaScript writes a whole float such as an mrr of 0.0 as `0`, which reads back as an
    // integer: the same ledger to the engine and to JavaScript, though not `equals`.)
    assert.deepEqual(PlayState.fromJson(JSON.stringify(state)).toJSON(), state.toJSON())
    assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), state.toJSON())

    // ANCHOR: arrow
    const { actions, memory } = state.toArrow() // Arrow IPC streams: one row per action, per account
    const table = tableFromIPC(actions) // apache-arrow
    const back = PlayState.fromArrow(actions, memory)
    // ANCHOR_END: arrow
    assert.ok(back.equals(state))
    assert.equal(table.numRows, state.actions().length)
    assert.deepEqual(table.getChild('key').toArray(), state.actions().map((a) => a.key))
    assert.deepEqual(JSON.parse(table.getChild('reasons').get(0)), state.actions()[0].reasons)
    assert.throws(() => PlayState.fromArrow(actions, 'nope'), (e) => e.code === 'invalid_argument')
    assert.throws(() => PlayState.fromArrow(new Uint8Array([1, 2, 3]), memory), (e) => e.code === 'parse_error')

    const closed = state.actions().find((a) => a.key === key)
    assert.equal(closed.status, 'done')
    assert.equal(closed.closed_at, first.run.as_of)
    assert.equal(state.openActions().length, first.run.fired.length - 1)
    state.close(key, 'done', snap.asOf) // again with the same status: nothing changes
    assert.throws(() => state.close(key, 'cancelled', snap.asOf), { code: 'invalid_argument', message: /already closed as done/ })
    const other = state.openActions()[0].key
    state.close(other, 'cancelled', snap.asOf.toISOString())
    assert.equal(state.actions().find((a) => a.key === other).status, 'cancelled')

    const empty = new PlayState()
    assert.equal(empty.lastRun, null)
    assert.equal(empty.playbook, null)
    assert.deepEqual(empty.actions(), [])
    assert.deepEqual(empty.toJSON(), { version: 1, playbook: null, last_run: null, actions: [], memory: { accounts: [], held: {}, columns: {} } })
  })

  test('closing the wrong action is coded and changes nothing', () => {
    const { run, state } = runPlaybook(PLAYBOOK, snap)
    const key = run.fired[0].key
    const attempts = {
      'unknown key': () => state.close('nope', 'done', snap.asOf),
      'a status the engine sets': () => state.close(key, 'goal_met', snap.asOf),
      'an unknown status': () => state.close(key, 'finished', snap.asOf),
      'before the action was created': () => state.close(key, 'done', '2000-01-01'),
      'not a key': () => state.close(5, 'done', snap.asOf),
    }
    for (const [what, attempt] of Object.entries(attempts)) assert.throws(attempt, { code: 'invalid_argument' }, what)
    assert.throws(() => state.close(key, 'done', 'not a date'), { code: 'invalid_timestamp' })
    assert.deepEqual(state.openActions(), run.fired)
  })

  test('bad playbooks are coded', () => {
    const bad = (changes) => ({ ...PLAYBOOK, ...changes })
    const cases = [
      [bad({ plays: [...PLAYBOOK.plays, PLAYBOOK.plays[0]] }), 'invalid_config'], // an id used twice
      [bad({ plays: [{ ...PLAYBOOK.plays[0], tactic: { kind: 'call', effort_hours: -1 } }] }), 'invalid_config'],
      [bad({ bogus: true }), 'parse_error'],
      [bad({ plays: [{ ...PLAYBOOK.plays[0], rankBy: 'mrr' }] }), 'parse_error'], // documents are snake_case
      ['{', 'parse_error'],
      [bad({ version: 2 }), 'unsupported_version'],
    ]
    for (const [doc, code] of cases) {
      assert.throws(() => new Playbook(doc), { code })
      assert.throws(() => runPlaybook(doc, snap), { code })
    }
    assert.throws(() => new Playbook(bad({ plays: [{ ...PLAYBOOK.plays[0], rankBy: 'mrr' }] })), { message: /`rank_by`/ })
  })

  test('bad runs and ledgers are coded', () => {
    const { state } = runPlaybook(PLAYBOOK, snap)
    assert.throws(() => PlayState.fromJson(JSON.stringify({ ...state.toJSON(), version: 2 })), { code: 'unsupported_version' })
    const corrupt = state.toJSON()
    corrupt.actions.push(corrupt.actions[0]) // a key twice
    assert.throws(() => PlayState.fromJson(JSON.stringify(corrupt)), { code: 'parse_error' })
    assert.throws(() => PlayState.load('/nonexistent/ledger.json'), { code: 'io_error' })
    const unknown = { ...PLAYBOOK, plays: [{ ...PLAYBOOK.plays[0], cohort: 'mrrr > 0' }] }
    assert.throws(() => runPlaybook(unknown, snap), { code: 'unknown_name', suggestion: 'mrr' })
    const attempts = {
      'a state of another playbook': () => runPlaybook({ ...PLAYBOOK, name: 'other' }, snap, state),
      'a run before the last one': () => runPlaybook(PLAYBOOK, sim.dataset.snapshot(new Date(sim.end.getTime() - 86400000)), state),
      'not a playbook': () => runPlaybook(42, snap),
      'not a frame': () => runPlaybook(PLAYBOOK, sim.dataset),
      'not a state': () => runPlaybook(PLAYBOOK, snap, state.toJSON()),
    }
    for (const [what, attempt] of Object.entries(attempts)) assert.throws(attempt, { code: 'invalid_argument' }, what)
    assert.throws(() => runPlaybook(PLAYBOOK, snap, {}), { message: /`state`: expected a PlayState, got an object/ })
  })
})

test('the starter playbook', () => {
  // ANCHOR: starter
  const book = Playbook.starter() // 25 plays: lifecycle, segment and event plays
  console.log(book.playIds.slice(0, 3))
  // [ 'check_in_call_high_value', 'feature_highlights_drip', 'onboarding_welcome' ]
  console.log(custfit.starterColumns()) // what a frame needs besides the built-in metrics
  // [ 'health_band', 'churn_probability', 'tier' ]
  // ANCHOR_END: starter
  assert.equal(book.playIds.length, 25)
  assert.equal(new Set(book.playIds).size, 25)
  assert.equal(book.name, 'starter')
  assert.ok(new Playbook(JSON.stringify(book)).equals(Playbook.starter()))
  assert.deepEqual(custfit.starterColumns(), ['health_band', 'churn_probability', 'tier'])
})

const FEATURES = ['active_days_30d', 'usage_trend_30d', 'days_to_renewal', 'support_tickets_60d']
const WEEK_MS = 7 * 86_400_000

describe('a dry run over history', () => {
  let sim
  before(() => {
    sim = custfit.simulate({ accounts: 150, days: 500, seed: 3 })
  })

  test('the starter playbook, weekly over 8 weeks, equals running it step by step', async () => {
    // ANCHOR: dry_run
    const first = new Date(sim.end.getTime() - 7 * WEEK_MS) // weekly over the last 8 weeks
    // A churn model fitted on what was known at the first run: the replay must not see the future.
    const training = custfit.buildTrainingSet(sim.dataset, { features: { metrics: FEATURES } }, first)
    const model = custfit.ChurnModel.fit(training)
    const recipe = {
      // how each run's frame is built from the data as of its date
      version: 1,
      scorecard: custfit.Scorecard.starter().toJSON(), // adds health_score, health_band
      tiers: { version: 1 }, // Pareto tiers by MRR: adds tier
    }
    const config = {
      from: first.toISOString(),
      to: sim.end.toISOString(),
      step: { amount: 7, unit: 'days' },
      horizon: { amount: 30, unit: 'days' }, // how long after an action its outcome is measured
    }
    const { runs, state, plays } = custfit.dryRun(Playbook.starter(), sim.dataset, recipe, config, null, { churnModel: model })
    for (const p of plays.filter((p) => p.fired > 0)) console.log(p.play, p.fired, p.observed, p.churn_rate)
    // onboarding_welcome 4 2 0
    // …
    // sudden_usage_decline 17 13 0.23076923076923078
    // ANCHOR_END: dry_run
    assert.equal(runs.length, 8)
    // Frames built one at a time give the same replay as frames built side by side.
    const single = custfit.dryRun(Playbook.starter(), sim.dataset, recipe, { ...config, threads: 1 }, null, { churnModel: model })
    assert.deepEqual(single.runs, runs)
    assert.deepEqual(
      runs.map((r) => new Date(r.as_of).getTime()),
      Array.from({ length: 8 }, (_, k) => first.getTime() + k * WEEK_MS),
    )
    const starter = Playbook.starter()
    assert.deepEqual(plays.map((p) => p.play), starter.playIds)
    const fired = runs.flatMap((r) => r.fired)
    assert.ok(fired.length > 0)
    assert.equal(plays.reduce((n, p) => n + p.fired, 0), fired.length)
    for (const p of plays) {
      const mine = fired.filter((a) => a.play === p.play)
      assert.equal(p.fired, mine.length)
      assert.equal(p.accounts, new Set(mine.map((a) => a.account_id)).size)
      assert.ok(p.churned <= p.observed && p.observed <= p.fired)
    }
    assert.ok(plays.some((p) => p.observed > 0))
    assert.ok(state instanceof PlayState)
    assert.equal(state.actions().length, fired.length)
    assert.equal(state.lastRun.getTime(), first.getTime() + 7 * WEEK_MS)

    // The same as running the engine step by step on frames built by hand.
    const card = custfit.Scorecard.starter()
    let ledger = new PlayState()
    const steps = []
    for (const r of runs) {
      let frame = custfit.healthSnapshot(sim.dataset, r.as_of)
      frame = frame.withColumns(custfit.paretoTiers(frame), 'tier')
      frame = frame.withColumns(card.score(frame), 'health')
      frame = frame.withColumns(model.forecast(sim.dataset, r.as_of, 1), 'churn')
      const step = runPlaybook(starter, frame, ledger)
      steps.push(step.run)
      ledger = step.state
    }
    assert.deepEqual(steps, runs)
    assert.ok(ledger.equals(state))

    // The same in the Python binding's JSON form; off the event loop; the model inside the recipe.
    const inside = { ...recipe, churn_model: model.toJSON() }
    const later = await custfit.dryRunAsync(starter, sim.dataset, JSON.stringify(inside), config)
    assert.deepEqual(later.runs, runs)
    assert.deepEqual(later.plays, plays)
    assert.ok(later.state.equals(state))
    const again = await custfit.runPlaybookAsync(starter, custfit.healthSnapshot(sim.dataset, sim.end), state).catch((e) => e)
    assert.equal(again.code, 'unknown_name') // the frame lacks the recipe's columns
  })

  test('bad dry runs are coded', async () => {
    const recipe = { version: 1, tiers: { version: 1 } }
    const play = { id: 'top', trigger: { type: 'condition', when: "tier == 'tier_1'" }, firing: { type: 'edge' }, tactic: { kind: 'call' } }
    const book = { version: 1, name: 'tiers', plays: [play] }
    const start = new Date(sim.end.getTime() - 2 * WEEK_MS)
    const config = { from: start.toISOString(), to: sim.end.toISOString(), step: { amount: 7, unit: 'days' } }
    const dry = custfit.dryRun(book, sim.dataset, recipe, config)
    assert.equal(dry.runs.length, 3)
    assert.ok(dry.runs[0].fired.length > 0)
    const snap = sim.dataset.snapshot(sim.end)
    const { run, state } = await custfit.runPlaybookAsync(book, snap.withColumns(custfit.paretoTiers(snap), 'tier'))
    assert.deepEqual(run, custfit.runPlaybook(book, snap.withColumns(custfit.paretoTiers(snap), 'tier')).run)
    assert.ok(state instanceof PlayState)

    const afterEnd = { ...config, to: new Date(sim.end.getTime() + 30 * 86_400_000).toISOString() }
    const cases = [
      [book, recipe, afterEnd, 'invalid_config'], // the data has not reached it
      [book, recipe, { ...config, step: { amount: 0, unit: 'days' } }, 'invalid_config'],
      [book, recipe, { ...config, bogus: 1 }, 'parse_error'],
      [book, { ...recipe, bogus: true }, config, 'parse_error'],
      [book, '{', config, 'parse_error'],
      [book, { ...recipe, tiers: { version: 1, cuts: { type: 'customer_share', marks: [2.0] } } }, config, 'invalid_config'],
      [book, { ...recipe, version: 2 }, config, 'unsupported_version'],
      [book, { version: 1 }, config, 'unknown_name'], // no tier column without tiers
      [{ ...book, bogus: 1 }, recipe, config, 'parse_error'],
      [book, 42, config, 'invalid_argument'],
    ]
    for (const [b, r, c, code] of cases) {
      assert.throws(() => custfit.dryRun(b, sim.dataset, r, c), { code }, JSON.stringify([r, c]))
      await assert.rejects(custfit.dryRunAsync(b, sim.dataset, r, c), { code })
    }
    const training = custfit.buildTrainingSet(sim.dataset, { features: { metrics: FEATURES } }, start)
    const model = custfit.ChurnModel.fit(training)
    const twice = { ...recipe, churn_model: model.toJSON() }
    const wrong = [
      () => custfit.dryRun(book, sim.dataset, twice, config, null, { churnModel: model }),
      () => custfit.dryRun(book, sim.dataset, recipe, config, { version: 1 }),
      () => custfit.dryRun(book, sim.dataset, recipe, config, null, { churnModel: model.toJSON() }),
      () => custfit.dryRun(book, sim.dataset, recipe, config, null, { churn_model: model }),
      () => custfit.dryRun(book, sim.dataset, recipe, config, null, 3),
      () => custfit.dryRun(book, snap, recipe, config),
    ]
    for (const attempt of wrong) assert.throws(attempt, { code: 'invalid_argument' })
    await assert.rejects(custfit.dryRunAsync(book, snap, recipe, config), { code: 'invalid_argument' })
    await assert.rejects(custfit.runPlaybookAsync(book, sim.dataset), { code: 'invalid_argument' })
  })
})
