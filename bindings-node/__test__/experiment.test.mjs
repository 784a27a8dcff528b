// Experiments from Node: holdout draws (the same numbers as Rust and Python), holdouts in a
// playbook run, the sample-ratio check, power, Welch with GrowthBook's and SciPy's published
// figures, the always-valid interval, CUPED, Kaplan-Meier and log-rank against SciPy, the analysis
// of a ledger (and its async variant), the simulated experiment with a known effect, and bad input
// (stable `.code`, the argument named). The golden cases of tests/cases/experiment run in
// cases.test.mjs; the user guide includes the ANCHOR regions of this file.
import { describe, test, before } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { custfit } from './fixtures.mjs'

const { Playbook, PlayState, runPlaybook, dryRun, simulate } = custfit

// ------------------------------------------------------------------ holdout draws

/** The draw as `holdoutDraw` documents it, written out in JavaScript (BigInt arithmetic). */
function fnvSplitmix(account, play, salt) {
  const mask = (1n << 64n) - 1n
  let h = 0xcbf29ce484222325n
  const bytes = Buffer.concat([Buffer.from(salt), Buffer.from([0x1f]), Buffer.from(play), Buffer.from([0x1f]), Buffer.from(account)])
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & mask
  let x = h
  x = ((x ^ (x >> 30n)) * 0xbf58476d1ce4e5b9n) & mask
  x = ((x ^ (x >> 27n)) * 0x94d049bb133111ebn) & mask
  x ^= x >> 31n
  return Number(x >> 11n) / 2 ** 53
}

describe('holdout draws', () => {
  test('the Rust numbers', () => {
    // Computed by custfit::play::holdout_draw in Rust; the Python suite asserts the same values.
    const close = (a, b) => assert.ok(Math.abs(a - b) <= 1e-15, `${a} vs ${b}`)
    close(custfit.holdoutDraw('acc-1', 'check_in_call', '2026'), 0.4471524387426412)
    close(custfit.holdoutDraw('acc-2', 'check_in_call', '2026'), 0.4267940517269929)
    close(custfit.holdoutDraw('acc-1', '', '2026'), 0.4072135654677299) // the global holdout's draw
    close(custfit.holdoutDraw('acc-000001', 'check_in_call', ''), 0.5605077782469768)
    // The documented algorithm, reproduced in JavaScript, gives the very same numbers.
    for (let i = 0; i < 500; i++) {
      const account = `acc-${String(i).padStart(6, '0')}`
      const salt = ['', '2026', 'ü🙂'][i % 3]
      assert.equal(custfit.holdoutDraw(account, 'check_in_call', salt), fnvSplitmix(account, 'check_in_call', salt))
    }
  })

  test('held out below the share, nested as it grows', () => {
    const ids = Array.from({ length: 20000 }, (_, i) => `acc-${i}`)
    for (const share of [0.1, 0.2, 0.5]) {
      const held = ids.filter((a) => custfit.isHeldOut(a, 'p', 's', share))
      assert.ok(Math.abs(held.length / ids.length - share) < 0.015)
      assert.ok(held.every((a) => custfit.holdoutDraw(a, 'p', 's') < share))
    }
    const ten = ids.filter((a) => custfit.isHeldOut(a, 'p', 's', 0.1))
    assert.ok(ten.every((a) => custfit.isHeldOut(a, 'p', 's', 0.2)))
    assert.notDeepEqual(ten, ids.filter((a) => custfit.isHeldOut(a, 'p', 't', 0.1)))
    assert.ok(custfit.isHeldOut('x', 'p', 's', 2) && !custfit.isHeldOut('x', 'p', 's', -1) && !custfit.isHeldOut('x', 'p', 's', NaN))
  })
})

// ------------------------------------------------------------------ holdouts in a playbook

const TRIGGER = { type: 'condition', when: 'days_since_last_activity > 7' }

/** A weekly dry run of `weeks` runs ending `beforeEnd` days before the data's end. */
function weekly(sim, weeks, beforeEnd = 35) {
  const day = 86_400_000
  const last = new Date(sim.end.getTime() - beforeEnd * day)
  return { from: new Date(last.getTime() - (weeks - 1) * 7 * day).toISOString(), to: last.toISOString(), step: { amount: 7, unit: 'days' } }
}

const EXPERIMENT = {
  version: 1,
  name: 'experiment',
  plays: [
    {
      id: 'check_in',
      trigger: TRIGGER,
      firing: { type: 'level', cooldown: { amount: 30, unit: 'days' } },
      tactic: { kind: 'call' },
      holdout: { share: 0.5, salt: '2026' },
    },
    {
      id: 'nudge',
      cohort: 'mrr > 0',
      trigger: { type: 'condition', when: 'logins_30d < 5' },
      firing: { type: 'edge' },
      tactic: { kind: 'email' },
      holdout: { share: 0.5, salt: '2026' },
    },
  ],
}

describe('experiments on the simulator', () => {
  let sim
  before(() => {
    sim = simulate({ accounts: 300, days: 200, seed: 5, activityScale: 0.3 })
  })

  test('a playbook with holdouts', () => {
    const snap = sim.dataset.snapshot(sim.end)
    // ANCHOR: holdout
    const book = new Playbook({
      version: 1,
      name: 'proof',
      // 10 % of all accounts no play acts on: the baseline of the whole playbook.
      holdout: { share: 0.1, salt: '2026' },
      plays: [{
        id: 'check_in_call',
        trigger: { type: 'condition', when: 'days_since_last_activity > 7' },
        firing: { type: 'edge' },
        tactic: { kind: 'call', effort_hours: 0.5 },
        // 20 % of the accounts this play would call, dealt evenly within each tier.
        holdout: { share: 0.2, salt: '2026', stratify_by: 'tier' },
      }],
    })
    const frame = snap.withColumns(custfit.paretoTiers(snap)) // adds the `tier` column
    const { run, state } = runPlaybook(book, frame)
    for (const action of run.held_out) { // recorded, not acted on: the comparison group
      console.log(action.account_id, action.arm, action.status)
    }
    // acc-000010 global_holdout held_out
    // acc-000020 holdout held_out
    // …
    // ANCHOR_END: holdout
    const { fired, held_out: held } = run
    assert.ok(fired.length > 0 && held.length > 0)
    assert.ok(fired.every((a) => !('arm' in a) && a.status === 'open')) // the treated arm is not written
    const day = sim.end.toISOString().slice(0, 10)
    for (const a of held) {
      assert.ok(['holdout', 'global_holdout'].includes(a.arm) && a.status === 'held_out')
      assert.equal(a.closed_at, run.as_of)
      assert.equal(a.created_at, run.as_of)
      assert.equal(a.key, `check_in_call@1:${a.account_id}:${day}`)
    }
    const columns = frame.columns()
    const rows = Object.fromEntries(frame.accountIds.map((id, i) => [id, { days: columns.days_since_last_activity[i], tier: columns.tier[i] }]))
    const eligible = Object.keys(rows).filter((a) => rows[a].days !== null && rows[a].days > 7).sort()
    assert.deepEqual([...fired, ...held].map((a) => a.account_id).sort(), eligible)
    // The global holdout is every eligible account whose draw for the play '' is below 10 %.
    const inGlobal = eligible.filter((a) => custfit.holdoutDraw(a, '', '2026') < 0.1)
    assert.deepEqual(held.filter((a) => a.arm === 'global_holdout').map((a) => a.account_id).sort(), inGlobal)
    // Within each tier, the play holds out 20 % of the rest (rounded half up).
    for (const tier of new Set(Object.values(rows).map((r) => r.tier))) {
      const dealt = [...fired, ...held].filter((a) => rows[a.account_id].tier === tier && a.arm !== 'global_holdout')
      const own = dealt.filter((a) => a.arm === 'holdout').length
      assert.equal(own, Math.floor(0.2 * dealt.length + 0.5), tier)
    }
    // Held-out actions are in the ledger, closed; a rerun records nothing new; the arm survives JSON.
    assert.deepEqual(state.openActions(), fired)
    assert.deepEqual(state.actions().filter((a) => a.status === 'held_out').map((a) => a.key), held.map((a) => a.key))
    const again = runPlaybook(book, frame, state)
    assert.deepEqual([again.run.fired, again.run.held_out], [[], []])
    assert.ok(PlayState.fromJson(JSON.stringify(state)).equals(state))
    const { actions, memory } = state.toArrow()
    assert.ok(PlayState.fromArrow(actions, memory).equals(state))
  })

  test('an account keeps its arm across runs', () => {
    const book = {
      name: 'sticky',
      plays: [{ id: 'nudge', trigger: TRIGGER, firing: { type: 'level', cooldown: { amount: 7, unit: 'days' } }, tactic: { kind: 'email' }, holdout: { share: 0.5, salt: 'a' } }],
    }
    const { runs, state } = dryRun(book, sim.dataset, { version: 1 }, weekly(sim, 10))
    const arms = new Map()
    for (const a of state.actions()) arms.set(a.account_id, new Set([...(arms.get(a.account_id) ?? []), a.arm ?? 'treatment']))
    assert.ok(arms.size > 50)
    for (const [account, set] of arms) {
      assert.equal(set.size, 1, account)
      assert.equal(set.has('holdout'), custfit.isHeldOut(account, 'nudge', 'a', 0.5), account)
    }
    assert.equal(runs.reduce((n, r) => n + r.held_out.length, 0), state.actions().filter((a) => a.status === 'held_out').length)
  })

  test('analyse a ledger', async () => {
    // ANCHOR: analyse
    const book = new Playbook(EXPERIMENT) // plays with {holdout: {share: 0.5, …}}
    const replay = weekly(sim, 12) // a weekly dry run; a live ledger works the same
    const { state: ledger } = dryRun(book, sim.dataset, { version: 1 }, replay)
    const config = {
      version: 1,
      outcome: { type: 'metric', metric: 'active_days_30d', horizon: { amount: 30, unit: 'days' } },
    }
    const report = custfit.analyse(book, ledger, sim.dataset, config) // or await analyseAsync(…)
    for (const r of report.results) { // one per play: effect, interval, sample-ratio check, verdict
      console.log(r.group, r.verdict, r.difference, r.ci_low, r.ci_high)
    }
    // check_in not_enough_data 0.938… -0.594… 2.471…
    // nudge not_enough_data -1.124… -3.866… 1.616…
    // ANCHOR_END: analyse
    assert.equal(report.outcome, 'metric:active_days_30d')
    assert.ok(report.known_at)
    assert.deepEqual(report.results.map((r) => r.group), ['check_in', 'nudge'])
    const entered = {}
    for (const a of ledger.actions()) {
      entered[a.play] ??= new Map()
      if (!entered[a.play].has(a.account_id)) entered[a.play].set(a.account_id, a.arm ?? 'treatment')
    }
    for (const r of report.results) {
      assert.ok(['works', 'harmful', 'not_enough_data', 'sample_ratio_mismatch'].includes(r.verdict) && r.reason)
      assert.deepEqual(r.plays, [r.group])
      assert.equal(r.control, 'holdout')
      const arms = [...entered[r.group].values()]
      assert.deepEqual([r.treatment_accounts, r.control_accounts], [arms.filter((a) => a === 'treatment').length, arms.filter((a) => a === 'holdout').length])
      assert.equal(r.expected_control_share, 0.5)
      assert.deepEqual(r.srm.observed, [r.treatment_accounts, r.control_accounts])
      assert.ok(r.ci_low < r.difference && r.difference < r.ci_high && r.cuped !== null)
    }
    // The same numbers as Python's (the same core on the same simulated base).
    assert.ok(Math.abs(report.results[0].difference - 0.9382444788587896) < 1e-9)
    // Off the event loop, the same report.
    assert.deepEqual(await custfit.analyseAsync(book, ledger, sim.dataset, config), report)

    // The per-account table gives the same statistics through analyseObservations.
    const observations = custfit.experimentObservations(book, ledger, sim.dataset, config)
    assert.deepEqual(new Set(observations.map((o) => o.arm)), new Set(['treatment', 'holdout']))
    assert.equal(observations.length, Object.values(entered).reduce((n, m) => n + m.size, 0))
    const shares = { expected_control_share: { check_in: 0.5, nudge: 0.5 } }
    const again = custfit.analyseObservations(observations, { ...config, ...shares })
    assert.deepEqual(again.results, report.results)
    assert.equal(again.known_at, null)
    assert.deepEqual(custfit.analyseObservations(observations, JSON.stringify({ ...config, ...shares })), again)
  })

  test('retention, groups and the always-valid interval', () => {
    const book = new Playbook(EXPERIMENT)
    const { state: ledger } = dryRun(book, sim.dataset, { version: 1 }, weekly(sim, 12))
    const config = {
      outcome: { type: 'retention', horizon: { amount: 60, unit: 'days' } },
      groups: { both: ['check_in', 'nudge'] },
      plays: ['check_in'],
      sequential: { tuning: 1000 },
      min_per_arm: 5,
    }
    const report = custfit.analyse(book, ledger, sim.dataset, config)
    assert.deepEqual(report.results.map((r) => r.group), ['check_in', 'both'])
    for (const r of report.results) {
      assert.equal(r.retention.horizon_days, 60)
      assert.equal(r.treatment_value, r.retention.treatment.survival)
      assert.ok(r.sequential.ci_low <= r.ci_low && r.sequential.ci_high >= r.ci_high)
    }
  })
})

// ------------------------------------------------------------------ sample ratio and power

test('the sample-ratio check', () => {
  const check = custfit.sampleRatioMismatch([9463, 7681], [0.5, 0.5])
  assert.ok(Math.abs(check.chi_square - 185.23) < 0.01)
  assert.ok(check.mismatch && check.exact && check.p_value < 1e-30)
  assert.deepEqual(check.expected, [8572, 8572])
  const three = custfit.sampleRatioMismatch([30, 40, 30], [1, 1, 1], 0.01)
  assert.ok(!three.exact && Math.abs(three.p_value - 0.3678794411714425) < 1e-9)
  assert.deepEqual(custfit.sampleRatioMismatch([12, 88], [1, 9]), custfit.sampleRatioMismatch([12, 88], [0.1, 0.9]))
})

/** A playbook with a play's holdout (20 %) and a global one (5 %), and its weekly dry run over a
 * simulated base from day 60 to day 150 (built once). */
let planning
function planned() {
  planning ??= (() => {
    const sim = simulate({ accounts: 800, days: 240, seed: 42, activityScale: 0.3 })
    const book = {
      version: 1,
      name: 'adoption',
      holdout: { share: 0.05, salt: '2026' },
      plays: [{
        id: 'check_in',
        trigger: { type: 'condition', when: 'active_days_30d < 8' },
        firing: { type: 'edge' },
        tactic: { kind: 'call' },
        holdout: { share: 0.2, salt: '2026' },
      }],
    }
    const day = 86_400_000
    const replay = { from: new Date(sim.start.getTime() + 60 * day), to: new Date(sim.start.getTime() + 150 * day), step: { amount: 7, unit: 'days' } }
    return { book, dry: dryRun(book, sim.dataset, { version: 1 }, replay) }
  })()
  return planning
}

test('power and sample size', () => {
  const { book, dry } = planned()
  // R: power.prop.test(p1 = 0.5, p2 = 0.75, power = 0.9) gives n = 76.65.
  const n = custfit.sampleSizeProportions(0.5, 0.25, 0.05, 0.9)
  assert.deepEqual([n.control, n.treatment], [77, 77])
  assert.ok(Math.abs(n.control_exact - 76.7) < 0.05)
  const mde = custfit.mdeProportions(0.5, 77, 77, 0.05, 0.9)
  assert.ok(mde > 0.245 && mde < 0.25)
  assert.equal(custfit.mdeProportions(0.5, 2, 2), null)
  assert.ok(Math.abs(custfit.sampleSizeMeans(1, 1).control_exact - 15.698) < 0.001)
  assert.ok(Math.abs(custfit.mdeMeans(1, 16, 16) - 0.9905) < 0.001)
  const [uneven, even] = [custfit.sampleSizeProportions(0.1, 0.02, null, null, 9), custfit.sampleSizeProportions(0.1, 0.02)]
  assert.ok(uneven.control < even.control && uneven.treatment > even.treatment)

  // ANCHOR: power
  // How many accounts per arm to see retention rise 5 points from 80 %? (alpha 0.05, power 0.8)
  const need = custfit.sampleSizeProportions(0.80, 0.05, 0.05, 0.8)
  console.log(need.control, need.treatment)
  // 906 906
  // 400 accounts a month enter the play, 20 % held out: after 3 months, what can we see?
  const [control, treated] = [400 * 3 * 0.2, 400 * 3 * 0.8]
  console.log(custfit.mdeProportions(0.80, control, treated))
  // 0.0728… (7.3 points)
  // From a dry run of a playbook (`dry`, as dryRun returned it): per play, the accounts it
  // enrolls a month and the smallest rise 3 months of them can detect.
  const plan = custfit.powerPlan(book, dry, { outcome: { type: 'rate', baseline: 0.80 }, months: 3 })
  console.log(plan[0].play, plan[0].accounts_per_month, plan[0].detectable_effect)
  // check_in 108.70… 0.125…
  // ANCHOR_END: power
  assert.deepEqual([need.control, need.treatment], [906, 906])
  const detectable = custfit.mdeProportions(0.8, control, treated)
  assert.ok(detectable > 0.07 && detectable < 0.08)
  assert.ok(Math.abs(custfit.mdeProportions(0.8, 906, 906) - 0.05) < 0.001)
  assert.equal(plan[0].play, 'check_in')
  assert.ok(plan[0].detectable_effect > 0 && plan[0].detectable_effect < 0.2)
})

test('a power plan from a dry run', () => {
  const { book, dry } = planned()
  // The dry run's outcomes count the held-out records beside the fired ones.
  const [outcome] = dry.plays
  const count = (key) => dry.runs.reduce((n, r) => n + r[key].length, 0)
  assert.equal(outcome.play, 'check_in')
  assert.ok(outcome.held_out > 0 && outcome.held_out === count('held_out'))
  assert.ok(outcome.fired === count('fired') && outcome.fired > outcome.held_out)

  const rate = { outcome: { type: 'rate', baseline: 0.8 } }
  const plan = custfit.powerPlan(book, dry, rate)
  assert.deepEqual(plan.map((p) => p.play), book.plays.map((p) => p.id))
  const [p] = plan
  assert.ok(p.accounts_per_month > 0)
  assert.equal(p.control_share, 0.2) // the play's own holdout
  assert.ok(Math.abs(p.control + p.treatment - p.accounts_per_month * 3) <= 2) // 3 months, each arm rounded down
  assert.equal(p.control, Math.floor(p.accounts_per_month * 3 * 0.2))
  assert.ok(typeof p.detectable_effect === 'number' && p.detectable_effect > 0 && p.detectable_effect < 0.2)
  assert.equal(p.detectable_effect, custfit.mdeProportions(0.8, p.control, p.treatment))
  assert.ok(Math.abs(p.accounts_per_month - 108.70535714285715) < 1e-9) // Python's number
  // Accounts a month: those entering the play (first record, either arm) over the dry run's span
  // (first run to last plus one step), per average month.
  const entered = new Set(dry.runs.flatMap((r) => [...r.fired, ...r.held_out].map((a) => a.account_id)))
  const spanDays = (new Date(dry.runs.at(-1).as_of) - new Date(dry.runs[0].as_of)) / 86_400_000 + 7
  assert.ok(Math.abs(p.accounts_per_month - (entered.size / spanDays) * 30.4375) < 1e-9)

  // The dry run as JSON text (or parsed back: the ledger as its document); the playbook as a Playbook.
  assert.deepEqual(custfit.powerPlan(new Playbook(book), JSON.stringify(dry), JSON.stringify(rate)), plan)
  assert.deepEqual(custfit.powerPlan(book, JSON.parse(JSON.stringify(dry)), rate), plan)
  // A mean outcome, six months: twice the accounts, the detectable difference of mdeMeans.
  const [m] = custfit.powerPlan(book, dry, { version: 1, outcome: { type: 'mean', sd: 3 }, months: 6, power: 0.9 })
  assert.ok(Math.abs(m.control + m.treatment - 2 * (p.control + p.treatment)) <= 2)
  assert.ok(Math.abs(m.detectable_effect - custfit.mdeMeans(3, m.control, m.treatment, 0.05, 0.9)) < 1e-12)
  // Without a holdout nobody is held out: nothing to compare, nothing detectable.
  const { holdout, ...play } = book.plays[0]
  assert.ok(holdout)
  const [none] = custfit.powerPlan({ ...book, holdout: null, plays: [play] }, dry, rate)
  assert.deepEqual([none.control_share, none.control, none.detectable_effect], [0, 0, null])
})

test('bad power plans are coded and named', () => {
  const { book, dry } = planned()
  const rate = { outcome: { type: 'rate', baseline: 0.8 } }
  const plan = (config, dryRun = dry, playbook = book) => () => custfit.powerPlan(playbook, dryRun, config)
  throwsCode(plan({ outcome: { type: 'rate', baseline: 1.5 } }), 'invalid_config', 'outcome.baseline')
  throwsCode(plan({ outcome: { type: 'mean', sd: 0 } }), 'invalid_config', 'outcome.sd')
  throwsCode(plan({ ...rate, months: 0 }), 'invalid_config', 'months')
  throwsCode(plan({ ...rate, alpha: 0.9 }), 'invalid_config', 'alpha')
  throwsCode(plan({ ...rate, version: 9 }), 'unsupported_version')
  throwsCode(plan({ outcome: { type: 'odds' } }), 'parse_error', 'power plan config')
  throwsCode(plan(0.8), 'invalid_argument', 'config')
  throwsCode(plan(rate, 42), 'invalid_argument', 'dryRun')
  throwsCode(plan(rate, [dry]), 'invalid_argument', 'dryRun')
  throwsCode(plan(rate, { runs: 5 }), 'parse_error', 'dryRun.runs')
  throwsCode(plan(rate, { runs: dry.runs, plays: dry.plays }), 'parse_error', 'dryRun')
  throwsCode(plan(rate, dry, null), 'invalid_argument', 'playbook')
})

// ------------------------------------------------------------------ estimates

const C = [3.1, 2.4, 5.6, 4.0, 3.3, 2.9, 4.4, 3.8]
const T = [4.2, 5.1, 3.9, 6.0, 4.8, 5.5, 4.1, 5.0, 4.6]

test('Welch equals SciPy', () => {
  // scipy.stats.ttest_ind(T, C, equal_var=False) and its confidence_interval().
  const e = custfit.welch(C, T)
  assert.ok(Math.abs(e.difference - 1.1125) < 1e-12)
  assert.ok(Math.abs(e.difference / e.std_error - 2.6361911027648386) < 1e-10)
  assert.ok(Math.abs(e.degrees_of_freedom - 12.179011961347028) < 1e-9)
  assert.ok(Math.abs(e.p_value - 0.021498497970545902) < 1e-9)
  assert.ok(Math.abs(e.ci_low - 0.1945150712942627) < 1e-8 && Math.abs(e.ci_high - 2.0304849287057385) < 1e-8)
  assert.deepEqual([e.control_n, e.treatment_n, e.confidence], [8, 9, 0.95])
  assert.ok(Math.abs(e.relative_lift - 1.1125 / 3.6875) < 1e-12)
  // Float64Arrays are read in place and give the same result.
  assert.deepEqual(custfit.welch(new Float64Array(C), new Float64Array(T)), e)
  const wide = custfit.welch(C, T, 0.99)
  assert.ok(wide.ci_low < e.ci_low && wide.ci_high > e.ci_high)
})

test("GrowthBook's published figures through welchSummary and sequential", () => {
  const r5 = (x) => Math.round(x * 1e5) / 1e5
  const control = { n: 3407, sum: 1396.87, sum_squares: 52377.9767 }
  const treatment = { n: 3461, sum: 2422.7, sum_squares: 134698.29 }
  const e = custfit.welchSummary(control, treatment)
  assert.deepEqual([r5(e.difference), r5(e.ci_low), r5(e.ci_high)], [0.29, 0.04538, 0.53462])
  assert.deepEqual([r5(e.std_error), r5(e.p_value)], [0.12478, 0.02016])
  assert.deepEqual([r5(e.relative_lift), r5(e.relative_ci_low), r5(e.relative_ci_high)], [0.70732, -0.03526, 1.44989])
  const moments = { n: 3407, mean: 1396.87 / 3407, variance: (52377.9767 - 1396.87 ** 2 / 3407) / 3406 }
  const again = custfit.welchSummary(moments, treatment)
  for (const k of ['difference', 'std_error', 'ci_low', 'ci_high', 'p_value']) assert.ok(Math.abs(again[k] - e[k]) < 1e-12, k)
  // Sequential (always valid), tuning 1000, control n 3000: relative CI (-0.55844, 1.56516), p 1.
  const small = custfit.welchSummary({ ...control, n: 3000 }, treatment)
  const s = custfit.sequential(small, 1000)
  assert.deepEqual([r5(s.relative_ci_low), r5(s.relative_ci_high)], [-0.55844, 1.56516])
  assert.deepEqual([s.p_value, s.tuning], [1, 1000])
  assert.ok(s.ci_low < small.ci_low && s.ci_high > small.ci_high)
  const width = (tuning) => {
    const w = custfit.sequential(small, tuning)
    return w.ci_high - w.ci_low
  }
  assert.ok(width(6461) < width(10) && width(6461) < width(1e6))
  assert.deepEqual(custfit.sequential(small), custfit.sequential(small, 5000))
})

/** A seeded standard normal (Box-Muller over a hash stream): the same numbers on every run. */
function normals(seed, n) {
  const out = []
  let k = 0
  const uniform = () => {
    const h = createHash('sha256').update(`${seed}:${k++}`).digest()
    return (h.readUInt32BE(0) + 1) / 2 ** 32
  }
  while (out.length < n) {
    const [u, v] = [uniform(), uniform()]
    out.push(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v))
  }
  return out
}

test('CUPED removes the variance the pre-period explains', () => {
  const n = 2000
  const [ec, et, nc, nt] = [normals('xc', n), normals('xt', n), normals('yc', n), normals('yt', n)]
  const xc = ec.map((z) => 10 + 3 * z)
  const xt = et.map((z) => 10 + 3 * z)
  const yc = xc.map((x, i) => 0.8 * x + nc[i])
  const yt = xt.map((x, i) => 0.8 * x + 0.5 + nt[i])
  const plain = custfit.welch(yc, yt)
  const adjusted = custfit.cuped({ y: yc, x: xc }, { y: new Float64Array(yt), x: new Float64Array(xt) })
  assert.ok(Math.abs(adjusted.theta - 0.8) < 0.05, `${adjusted.theta}`)
  assert.ok(Math.abs(adjusted.variance_reduction - 0.85) < 0.03, `${adjusted.variance_reduction}`)
  assert.ok(adjusted.effect.std_error < 0.5 * plain.std_error)
  assert.ok(adjusted.effect.ci_low < 0.5 && 0.5 < adjusted.effect.ci_high)
})

// ------------------------------------------------------------------ retention

const DA = [5, 8, 8, 12, 15, 20, 22, 30, 30, 30, 35, 40]
const EA = [true, true, false, true, false, true, true, false, false, true, true, false]
const DB = [3, 6, 6, 9, 10, 14, 18, 21, 25, 28]
const EB = [true, true, true, false, true, true, false, true, true, true]

test('Kaplan-Meier and log-rank equal SciPy', () => {
  const km = custfit.kaplanMeier(DA, EA)
  assert.deepEqual(km.steps.map((s) => s.time), [5, 8, 12, 20, 22, 30, 35])
  assert.deepEqual([km.subjects, km.events, km.confidence], [12, 7, 0.95])
  const expect = [
    [0.9166666666666666, 0.5389771805707412, 0.987825565400458],
    [0.8333333333333333, 0.4817149421953787, 0.9555093657280649],
    [0.7407407407407406, 0.39067612760778186, 0.9086238694040617],
    [0.6349206349206348, 0.2887326561438051, 0.8469550915545572],
    [0.529100529100529, 0.20509338256378892, 0.774312106149214],
    [0.4232804232804232, 0.1348821641653659, 0.6914662746606003],
    [0.2116402116402116, 0.014198071247207147, 0.567356350923443],
  ]
  km.steps.forEach((s, i) => {
    const [sv, lo, hi] = expect[i]
    assert.ok(Math.abs(s.survival - sv) < 1e-12 && Math.abs(s.ci_low - lo) < 1e-9 && Math.abs(s.ci_high - hi) < 1e-9, `step ${i}`)
  })
  assert.deepEqual(custfit.survivalAt(km, 4), [1, 1, 1])
  assert.deepEqual(custfit.survivalAt(km, 16), [km.steps[2].survival, km.steps[2].ci_low, km.steps[2].ci_high])
  assert.deepEqual(custfit.kaplanMeier(new Float64Array(DA), EA), km)
  const lr = custfit.logRank({ durations: DA, events: EA }, { durations: DB, events: EB })
  assert.ok(Math.abs(lr.chi_square - 1.9783003927988274 ** 2) < 1e-9)
  assert.ok(Math.abs(lr.p_value - 0.04789482883935986) < 1e-9)
  assert.deepEqual(lr.observed, [7, 8])
})

// ------------------------------------------------------------------ the simulated experiment

test('a simulated experiment with a known effect', async () => {
  // ANCHOR: simulate
  const experiment = {
    simulation: { accounts: 600, days: 240, seed: 3, activity_scale: 0.3 },
    playbook: {
      name: 'proof',
      plays: [{
        id: 'check_in',
        trigger: { type: 'condition', when: 'days_since_last_activity > 7' },
        firing: { type: 'edge' },
        tactic: { kind: 'call' },
        holdout: { share: 0.5, salt: '2026' },
      }],
    },
    dry_run: { from: '2024-04-01', to: '2024-06-30', step: { amount: 7, unit: 'days' } },
    // The truth we plant: a call lifts the account's engagement by 0.4 standard deviations.
    effects: [{ play: 'check_in', engagement: 0.4 }],
    analysis: { outcome: { type: 'metric', metric: 'active_days_30d', horizon: { amount: 30, unit: 'days' } } },
  }
  const { report, truth, state } = await custfit.simulateExperimentAsync(experiment) // or simulateExperiment
  const [estimate, actual] = [report.results[0], truth[0]]
  console.log(estimate.difference, [estimate.ci_low, estimate.ci_high], actual.effect, actual.covered)
  // 2.736… [1.366…, 4.105…] 1.441… true
  // ANCHOR_END: simulate
  assert.ok(estimate.difference > 0 && actual.effect > 0 && actual.covered)
  assert.ok(estimate.ci_low <= actual.effect && actual.effect <= estimate.ci_high)
  assert.ok(Math.abs(estimate.difference - 2.736038746861203) < 1e-9) // Python's number
  assert.ok(state instanceof PlayState && state.actions().length > 0)
  const sync = custfit.simulateExperiment(JSON.stringify(experiment))
  assert.deepEqual(sync.report, report)
  assert.ok(sync.state.equals(state))
  assert.equal(custfit.simulateExperiment({ ...experiment, effects: [] }).truth[0].effect, 0)
})

test('treatments change only the treated account, from its start', async () => {
  const base = { accounts: 40, days: 200, seed: 8, activityScale: 0.5 }
  const [id, start] = ['acc-000003', '2024-05-01T00:00:00Z']
  const plain = simulate(base, [])
  const treated = await custfit.simulateAsync(base, [{ account_id: id, start, engagement: 2 }])
  const events = (s, account, before) => s.dataset.events().filter((e) => e.account_id === account && (new Date(e.timestamp) < new Date(start)) === before)
  assert.deepEqual(events(plain, id, true), events(treated, id, true))
  assert.ok(events(treated, id, false).length > events(plain, id, false).length)
  assert.deepEqual(events(plain, 'acc-000004', false), events(treated, 'acc-000004', false))
})

// ------------------------------------------------------------------ bad input

/** `call` throws `code`, naming `name` (an argument or config field; a parse error names what it could not parse). */
function throwsCode(call, code, name) {
  assert.throws(call, (e) => {
    assert.equal(e.code, code, e.message)
    if (name && code === 'parse_error') assert.ok(e.message.includes(`cannot parse ${name}`), e.message)
    else if (name) assert.ok(e.message.includes(`\`${name}\``), e.message)
    return true
  })
}

test('bad statistics input is coded and named', () => {
  throwsCode(() => custfit.welch([1, NaN], [1, 2]), 'invalid_argument', 'control')
  throwsCode(() => custfit.welch([1, 2], new Float64Array([1, Infinity])), 'invalid_argument', 'treatment')
  throwsCode(() => custfit.welch([1, 2], [1]), 'invalid_argument', 'treatment')
  throwsCode(() => custfit.welch([1, 2], new Float32Array([1, 2])), 'invalid_argument', 'treatment')
  throwsCode(() => custfit.welch(C, T, 1), 'invalid_argument', 'confidence')
  throwsCode(() => custfit.cuped({ y: [1, 2, 3], x: [1, 2] }, { y: T, x: T }), 'invalid_argument', 'control')
  throwsCode(() => custfit.cuped({ y: C }, { y: T, x: T }), 'invalid_argument', 'control.x')
  throwsCode(() => custfit.cuped({ y: C, x: C }, [T, T]), 'invalid_argument', 'treatment')
  throwsCode(() => custfit.kaplanMeier([1, 2], [true]), 'invalid_argument', 'durations')
  throwsCode(() => custfit.logRank({ durations: [1], events: [1] }, { durations: DB, events: EB }), 'invalid_argument', 'a.events')
  throwsCode(() => custfit.sampleRatioMismatch([10, 20], [0.5, -0.5]), 'invalid_argument', 'shares')
  throwsCode(() => custfit.sampleRatioMismatch([10, 20], [0.5]), 'invalid_argument', 'shares')
  throwsCode(() => custfit.sampleRatioMismatch([10, 2.5], [1, 1]), 'invalid_argument', 'observed')
  throwsCode(() => custfit.sampleSizeProportions(0.5, 0.1, 0), 'invalid_argument', 'alpha')
  throwsCode(() => custfit.sampleSizeMeans(1, 1, 0.05, 1), 'invalid_argument', 'power')
  throwsCode(() => custfit.mdeMeans(1, -3, 10), 'invalid_argument', 'control')
  throwsCode(() => custfit.sequential(custfit.welch(C, T), 0), 'invalid_argument', 'tuning')
  throwsCode(() => custfit.welchSummary({ n: 1, mean: 0, variance: 1 }, { n: 5, mean: 0, variance: 1 }), 'invalid_argument', 'control')
  throwsCode(() => custfit.welchSummary({ n: 5, sum: 1, sum_squares: 1 }, { n: 5, sum: 1 }), 'parse_error', 'treatment')
  throwsCode(() => custfit.sequential({ difference: 1 }), 'parse_error', 'effect')
  throwsCode(() => custfit.survivalAt({ steps: 'x' }, 1), 'parse_error', 'curve')
  throwsCode(() => custfit.holdoutDraw('a', 'p', 5), 'invalid_argument', 'salt')
})

test('bad experiments are coded and named', async () => {
  const sim = simulate({ accounts: 120, days: 150, seed: 2, activityScale: 0.3 })
  const book = new Playbook(EXPERIMENT)
  const { state: ledger } = dryRun(book, sim.dataset, { version: 1 }, weekly(sim, 4))
  const metric = { version: 1, outcome: { type: 'metric', metric: 'active_days_30d' } }
  const analyse = (config, state = ledger, playbook = book) => () => custfit.analyse(playbook, state, sim.dataset, config)
  throwsCode(analyse({ ...metric, plays: ['nope'] }), 'invalid_config', 'plays') // a play the playbook lacks
  throwsCode(analyse({ ...metric, outcomes: {} }), 'parse_error')
  throwsCode(analyse({ ...metric, knownAt: null }), 'parse_error') // documents use snake_case keys
  throwsCode(analyse({ ...metric, confidence: 1.5 }), 'invalid_config', 'confidence')
  throwsCode(analyse({ ...metric, version: 2 }), 'unsupported_version')
  throwsCode(analyse(metric, ledger.toJSON()), 'invalid_argument', 'state')
  throwsCode(analyse(42), 'invalid_argument', 'config')
  throwsCode(() => custfit.analyse(book, ledger, 'dataset', metric), 'invalid_argument', 'dataset')
  await assert.rejects(custfit.analyseAsync(book, null, sim.dataset, metric), { code: 'invalid_argument', message: /`state`: expected a PlayState, got null/ })
  await assert.rejects(custfit.analyseAsync(book, ledger, sim.dataset, { ...metric, plays: ['nope'] }), { code: 'invalid_config', message: /`plays`/ })
  throwsCode(() => custfit.analyseObservations([{ group: 'g' }], metric), 'parse_error', 'observations')
  const twice = custfit.experimentObservations(book, ledger, sim.dataset, metric).slice(0, 1)
  throwsCode(() => custfit.analyseObservations([...twice, ...twice], metric), 'invalid_argument', 'observations')
  throwsCode(() => custfit.analyseObservations({}, metric), 'invalid_argument', 'observations')
  // A bad holdout share in the playbook; an effect on an unknown play.
  throwsCode(() => new Playbook({ ...EXPERIMENT, plays: [{ ...EXPERIMENT.plays[0], holdout: { share: 0.95 } }] }), 'invalid_config', 'plays[0].holdout.share')
  throwsCode(() => new Playbook({ ...EXPERIMENT, holdout: { share: -0.1 } }), 'invalid_config', 'holdout.share')
  const experiment = {
    simulation: { accounts: 50, days: 120, seed: 1 },
    playbook: EXPERIMENT,
    dry_run: { from: '2024-02-01', to: '2024-03-01', step: { amount: 7, unit: 'days' } },
    effects: [{ play: 'nope', engagement: 0.4 }],
    analysis: metric,
  }
  throwsCode(() => custfit.simulateExperiment(experiment), 'invalid_config', 'effects[0].play')
  // The simulated experiment is a versioned document: read by the document reader.
  const outOfRange = { ...experiment, effects: [{ play: 'check_in', engagement: 9 }] }
  throwsCode(() => custfit.simulateExperiment(outOfRange), 'invalid_config', 'effects[0].engagement')
  throwsCode(() => custfit.simulateExperiment(JSON.stringify(outOfRange)), 'invalid_config', 'effects[0].engagement')
  throwsCode(() => custfit.simulateExperiment({ ...experiment, version: 9 }), 'unsupported_version')
  await assert.rejects(custfit.simulateExperimentAsync({ ...experiment, version: 9 }), { code: 'unsupported_version' })
  throwsCode(() => custfit.simulateExperiment({ ...experiment, surprise: 1 }), 'parse_error', 'simulated experiment')
  throwsCode(() => custfit.simulateExperiment(['x']), 'invalid_argument', 'config')
  await assert.rejects(custfit.simulateExperimentAsync(experiment), { code: 'invalid_config', message: /effects\[0\]\.play/ })
  // Treatments of the simulator.
  throwsCode(() => simulate({ accounts: 5 }, [{ account_id: 'nope', start: '2024-01-02' }]), 'invalid_argument', 'treatments')
  throwsCode(() => simulate({ accounts: 5 }, [{ account_id: 'acc-000001', start: '2024-01-02', engagement: 9 }]), 'invalid_argument', 'treatments')
  throwsCode(() => simulate({ accounts: 5 }, [{ account: 'acc-000001' }]), 'parse_error', 'treatments')
  throwsCode(() => simulate({ accounts: 5 }, 7), 'invalid_argument', 'treatments')
  await assert.rejects(custfit.simulateAsync({ accounts: 5 }, 7), { code: 'invalid_argument' })
})
