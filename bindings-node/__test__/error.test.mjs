// The error contract: stable codes shared with Rust and Python; every error a JS Error with `.code`.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
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

test('junk arguments: every export and method throws a coded error (never a napi status such as InvalidArg), never crashes', async () => {
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
    if (!(e instanceof Error) || !codes.has(e.code)) escaped.push(`${label}: ${e?.code} ${e?.message ?? e}`)
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

// ------------------------------------------------------------------ wrong-typed arguments
//
// Every export, static, constructor and method is called with arguments of the wrong JS type,
// one argument at a time (the others of their declared type). The signatures come from
// index.d.ts, the exports from the module itself, so a new export is covered as soon as it
// exists (and fails here until it has a signature and, for a class, an instance below).

const DTS = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'index.d.ts'), 'utf8')

/** Splits `text` at `sep` outside brackets and quotes. */
function splitTop(text, sep) {
  const out = []
  let depth = 0
  let quote = false
  let cur = ''
  for (const ch of text) {
    if (ch === "'") quote = !quote
    if (!quote && '<{(['.includes(ch)) depth++
    if (!quote && '>})]'.includes(ch)) depth--
    if (!quote && depth === 0 && ch === sep) {
      out.push(cur.trim())
      cur = ''
    } else {
      cur += ch
    }
  }
  if (cur.trim()) out.push(cur.trim())
  return out
}

/** `[{name, type, optional}]` of a parameter list. */
function parseParams(list) {
  return splitTop(list, ',').map((p) => {
    const m = /^(\w+)(\?)?:\s*(.*)$/s.exec(p)
    assert.ok(m, `parameter \`${p}\``)
    return { name: m[1], optional: Boolean(m[2]), type: m[3] }
  })
}

/** The parameters of a declaration `name(…)` starting at `from` in index.d.ts. */
function paramsAt(text, from) {
  const open = text.indexOf('(', from)
  let depth = 0
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++
    if (text[i] === ')' && --depth === 0) return parseParams(text.slice(open + 1, i))
  }
  throw new Error(`unbalanced declaration at ${from}`)
}

/** Signatures from index.d.ts: `functions[name]`, `classes[cls] = {ctor, statics, methods}`. */
function signatures() {
  const functions = {}
  for (const m of DTS.matchAll(/^export declare function (\w+)\(/gm)) functions[m[1]] = paramsAt(DTS, m.index)
  const classes = {}
  for (const m of DTS.matchAll(/^export declare class (\w+) \{\n([\s\S]*?)^\}/gm)) {
    const cls = { ctor: null, statics: {}, methods: {} }
    const body = m[2]
    for (const d of body.matchAll(/^ {2}(static )?(\w+)\(/gm)) {
      const params = paramsAt(body, d.index)
      if (d[2] === 'constructor') cls.ctor = params
      else (d[1] ? cls.statics : cls.methods)[d[2]] = params
    }
    classes[m[1]] = cls
  }
  return { functions, classes }
}

/**
 * Whether `v` is of the TypeScript type `type` (as index.d.ts spells types); `shallow` does not
 * look at the items of arrays.
 */
function isOfType(v, type, shallow = false) {
  return splitTop(type, '|').some((t) => {
    if (/^'.*'$/.test(t) || t === 'string') return typeof v === 'string'
    if (t === 'number' || t === 'boolean') return typeof v === t
    if (t === 'null') return v === null
    if (t === 'undefined') return v === undefined
    if (t === 'any' || t === 'unknown') return true
    if (t === 'Date') return v instanceof Date
    if (t === 'Float64Array' || t === 'Uint8Array') return v instanceof globalThis[t]
    const arr = /^Array<(.*)>$/s.exec(t)
    if (arr) return Array.isArray(v) && (shallow || v.every((x) => isOfType(x, arr[1])))
    if (/^\[.*\]$/s.test(t)) return Array.isArray(v)
    if (typeof custfit[t] === 'function' && /^[A-Z]/.test(t)) return v instanceof custfit[t]
    // object, Record<…>, { … } and interfaces (ParetoTiers, SnapshotConfig, …)
    return typeof v === 'object' && v !== null && (t === 'object' || !Array.isArray(v))
  })
}

test('wrong-typed arguments: every export, static, constructor and method throws invalid_argument (a custfit code), never a napi code', async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'custfit-wrong-types-'))
  const cwd = process.cwd()
  process.chdir(tmp) // (nothing should be written, but a path argument is never the repository)
  t.after(() => {
    process.chdir(cwd)
    fs.rmSync(tmp, { recursive: true, force: true })
  })
  const sim = simulate({ accounts: 30, days: 90, seed: 3 })
  const ds = sim.dataset
  const end = sim.end
  const snap = ds.snapshot(end)
  const card = custfit.Scorecard.starter()
  const x = Array.from({ length: 40 }, (_, i) => [i % 7, (i * 3) % 5])
  const trainingSet = custfit.TrainingSet.fromMatrix(['a', 'b'], x, x.map((_, i) => i % 3 === 0))
  const maturityModel = {
    phases: ['started', 'adopting', 'mature'].map((name, i) => ({ name, behaviours: [{ name: 'active', metric: 'active_days_30d', at_least: i + 1 }] })),
  }
  // One instance of every class (a class missing here fails the test: add one).
  const instances = {
    Dataset: ds,
    Snapshot: snap,
    Scorecard: card,
    ScorecardSet: new custfit.ScorecardSet({ column: 'plan', cases: [], default: card.toJSON() }),
    HealthScores: card.score(custfit.healthSnapshot(ds, end)),
    TrainingSet: trainingSet,
    ChurnModel: custfit.ChurnModel.fit(trainingSet),
    Expr: custfit.Expr.compile('mrr > 0', snap),
    Playbook: new custfit.Playbook({ name: 'p', plays: [] }),
    PlayState: new custfit.PlayState(),
    GrowthAccounting: custfit.growthAccounting(ds, end),
    EngagementMoments: custfit.engagementMoments(ds, end, { moments: [{ name: 'kickoff', event: 'touch', expected: { amount: 7, unit: 'days' } }] }),
    MaturityAssessment: custfit.assessMaturity(snap, maturityModel),
    PlanTracker: new custfit.PlanTracker(),
    PlanCheck: new custfit.PlanTracker().track(snap, maturityModel),
  }
  /** A value of the declared type (the first member of a union that can be built). */
  const valueOf = (type) => {
    for (const t of splitTop(type, '|')) {
      if (instances[t]) return instances[t]
      if (/^'.*'$/.test(t)) return t.slice(1, -1)
      const simple = { string: 'x', number: 1, boolean: false, Date: end, null: null, undefined, object: {} }
      if (t in simple) return simple[t]
      if (t === 'Float64Array') return new Float64Array([0.5, 1])
      if (t === 'Uint8Array') return new Uint8Array(0)
      const arr = /^Array<(.*)>$/s.exec(t)
      if (arr) return [valueOf(arr[1])]
      if (/^\[.*\]$/s.test(t)) return []
      if (typeof custfit[t] === 'function') continue
      return {}
    }
    return undefined
  }
  const junk = [42, -1.5, NaN, 'x', '', true, null, undefined, {}, { a: 1 }, [], [42], ['x'], [null], [['x']], () => 1,
    10n, Symbol('s'), new Uint8Array(2), new Float32Array(2), new Date(0), ds, snap, card, instances.HealthScores]
  /** Wrong values for a parameter: not of its type (`null`/`undefined` are fine when optional). */
  const wrongFor = (p) => junk.filter((v) => !isOfType(v, p.type) && !(p.optional && v == null))

  /** A wrong value, for the report. */
  const show = (v) => {
    if (typeof v === 'symbol' || typeof v === 'function') return typeof v
    if (typeof v === 'number' || typeof v === 'bigint') return typeof v === 'bigint' ? `${v}n` : String(v)
    if (v instanceof Date || ArrayBuffer.isView(v)) return v.constructor.name
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && v.constructor !== Object) return v.constructor.name
    return JSON.stringify(v) ?? String(v)
  }
  const codes = new Set(errorCodes())
  const problems = []
  const pending = []
  const covered = []
  let calls = 0
  const check = (e, label, param, strict) => {
    if (!(e instanceof Error) || !codes.has(e.code)) {
      problems.push(`${label}: ${e?.code} ${e?.message ?? String(e)}`)
    } else if (strict && !(e.code === 'invalid_argument' && e.message.includes(`\`${param}\``))) {
      problems.push(`${label}: expected invalid_argument naming \`${param}\`, got ${e.code}: ${e.message}`)
    }
  }
  /** Whether a base value is surely valid: not a stand-in `{}` for a document or rows. */
  const trusted = (v) => typeof v !== 'object' || v === null || v instanceof Date || ArrayBuffer.isView(v) ||
    Object.values(instances).includes(v) || (Array.isArray(v) && v.every(trusted))
  // Calls `invoke(args)` once per wrong value of each parameter. A value of the wrong type itself
  // (not just wrong items) must be `invalid_argument` naming the parameter, unless an earlier
  // argument is a stand-in document that may be refused first.
  const exercise = (label, params, invoke) => {
    covered.push(label)
    params.forEach((p, pos) => {
      for (const bad of wrongFor(p)) {
        const args = params.map((q, i) => (i === pos ? bad : q.optional ? undefined : valueOf(q.type)))
        const what = `${label} ${p.name}=${show(bad)}`
        const strict = !isOfType(bad, p.type, true) && args.slice(0, pos).every(trusted)
        calls += 1
        try {
          const r = invoke(args)
          if (r && typeof r.then === 'function') pending.push(r.then(() => {}, (e) => check(e, what, p.name, strict)))
        } catch (e) {
          check(e, what, p.name, strict)
        }
      }
    })
  }

  const { functions, classes } = signatures()
  const skipped = []
  for (const [name, f] of Object.entries(custfit)) {
    if (typeof f !== 'function') continue
    if (classes[name]) {
      const cls = classes[name]
      if (cls.ctor === null) {
        // (made only by the binding: `new` throws a coded error too)
        covered.push(`new ${name}`)
        for (const args of [[], [42], [{}]]) {
          assert.throws(() => new f(...args), (e) => e.code === 'invalid_argument' && e.message.includes(`\`${name}\``), `new ${name}`)
        }
      } else if (cls.ctor.length === 0) skipped.push(`new ${name}()`)
      else exercise(`new ${name}`, cls.ctor, (args) => new f(...args))
      for (const s of Object.getOwnPropertyNames(f)) {
        if (['length', 'name', 'prototype', 'arguments', 'caller'].includes(s) || typeof f[s] !== 'function') continue
        assert.ok(cls.statics[s], `index.d.ts declares ${name}.${s}`)
        if (cls.statics[s].length === 0) skipped.push(`${name}.${s}()`)
        else exercise(`${name}.${s}`, cls.statics[s], (args) => f[s](...args))
      }
      const self = instances[name]
      assert.ok(self, `an instance of ${name} to call its methods on`)
      for (const m of Object.getOwnPropertyNames(f.prototype)) {
        const d = Object.getOwnPropertyDescriptor(f.prototype, m)
        if (m === 'constructor' || typeof d.value !== 'function') continue // (getters take no arguments)
        assert.ok(cls.methods[m], `index.d.ts declares ${name}.prototype.${m}`)
        if (cls.methods[m].length === 0) skipped.push(`${name}#${m}()`)
        else exercise(`${name}#${m}`, cls.methods[m], (args) => d.value.apply(self, args))
      }
    } else {
      assert.ok(functions[name], `index.d.ts declares ${name}`)
      if (functions[name].length === 0) skipped.push(`${name}()`)
      else exercise(name, functions[name], (args) => f(...args))
    }
  }
  await Promise.all(pending)
  assert.deepEqual(problems, [])
  // (the count of covered exports and methods is printed for the record)
  t.diagnostic(`${covered.length} exports, statics, constructors and methods, ${calls} calls; skipped (no arguments): ${skipped.length}`)
  assert.ok(covered.length >= 85, `${covered.length} covered`)
  assert.ok(calls > 1500, `${calls} calls`)
})

test('wrong-typed arguments name the argument and say what was expected and what came', async () => {
  const sim = simulate({ accounts: 20, days: 60, seed: 4 })
  const ds = sim.dataset
  const snap = ds.snapshot(sim.end)
  const cases = [
    [() => custfit.healthSnapshot({}, '2024-01-01'), 'dataset', 'expected a Dataset, got an object'],
    [() => custfit.churnDates(null, '2024-01-01'), 'dataset', 'expected a Dataset, got null'],
    [() => custfit.Expr.compile(1), 'source', 'expected a string, got a number'],
    [() => custfit.Expr.compile('mrr > 0', ds), 'snapshot', 'expected a Snapshot, got a Dataset'],
    [() => custfit.Scorecard.starter().score(5), 'snapshot', 'expected a Snapshot, got a number'],
    [() => custfit.paretoTiers(ds), 'snapshot', 'expected a Snapshot, got a Dataset'],
    [() => custfit.Scorecard.starter().bandOf('80'), 'score', 'expected a number, got a string'],
    [() => custfit.monthlyToAnnual('0.1'), 'monthly', 'expected a number, got a string'],
    [() => custfit.chooseInactivityWindow(ds, sim.end, '0.9'), 'share', 'expected a number, got a string'],
    [() => custfit.backtestGrid('2024-01-01', '2024-03-01', '7'), 'stepDays', 'expected a number, got a string'],
    [() => ds.writeCsv('out', 'yes'), 'overwrite', 'expected a boolean, got a string'],
    [() => snap.select(['mrr', 1]), 'columns', 'expected an array of strings, item 1 is a number'],
    [() => custfit.rocAuc([0.1, 'x'], [true, false]), 'risk', 'expected an array of numbers, item 1 is a string'],
    [() => custfit.rocAuc([0.1, 0.2], 'yes'), 'labels', 'expected an array of booleans, got a string'],
    [() => custfit.accountHistory([5], 'a'), 'history', 'expected an array of HealthScores objects, item 0 is a number'],
    [() => custfit.TrainingSet.fromMatrix(['a'], new Uint8Array(2), [true]), 'x', 'got a Uint8Array'],
    [() => custfit.TrainingSet.fromMatrix(['a'], [[1], ['2']], [true, false]), 'x', 'row 1 item 0 is a string'],
    [() => custfit.TrainingSet.fromMatrix(['a'], [[1]], [true]).timeSplit('0.2'), 'testShare', 'expected a number, got a string'],
    [() => custfit.capacityPlan(snap, undefined, [1]), 'tiers', 'item 0 is a number'],
    [() => custfit.Scorecard.starter().equals(new custfit.Dataset()), 'other', 'expected a Scorecard, got a Dataset'],
    [() => custfit.healthSnapshot(Object.create(custfit.Dataset.prototype), sim.end), 'dataset', 'expected a Dataset, got an object'],
  ]
  for (const [call, name, text] of cases) {
    assert.throws(call, (e) => {
      assert.equal(e.code, 'invalid_argument', e.message)
      assert.ok(e.message.startsWith(`invalid argument \`${name}\`: `), e.message)
      assert.ok(e.message.includes(text), `${e.message} mentions "${text}"`)
      return true
    })
  }
  // The async variants reject (never throw) with the same error.
  await assert.rejects(custfit.backtestAsync(5, custfit.Scorecard.starter(), {}), { code: 'invalid_argument', message: /`dataset`: expected a Dataset, got a number/ })
})
