// Golden cases shared with the Rust and Python suites: tests/cases/{data,metrics}/*.json
// (format: tests/cases/README.md). Unknown case shapes fail, so a new field in the format is
// noticed here instead of silently ignored.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { custfit, CASES_DIR } from './fixtures.mjs'

const TABLES = ['accounts', 'users', 'subscriptions', 'events']
const ADD = { accounts: 'addAccounts', users: 'addUsers', subscriptions: 'addSubscriptions', events: 'addEvents' }
const KNOWN = {
  case: ['description', 'input', 'options', 'as_of', 'config', 'expected', 'error'],
  expected: ['counts', 'reports', 'rows', 'row_count'],
  error: ['stage', 'code', 'row'],
  stages: [...TABLES, 'snapshot'],
}

function checkShape(c) {
  const unknown = (obj, known, where) => {
    const extra = Object.keys(obj ?? {}).filter((k) => !known.includes(k))
    assert.deepEqual(extra, [], `unknown keys in ${where}`)
  }
  unknown(c, KNOWN.case, 'case')
  unknown(c.input, TABLES, 'input')
  unknown(c.expected, KNOWN.expected, 'expected')
  unknown(c.error, KNOWN.error, 'error')
  unknown(c.expected?.counts, TABLES, 'expected.counts')
  unknown(c.expected?.reports, TABLES, 'expected.reports')
  if (c.error) assert.ok(KNOWN.stages.includes(c.error.stage), `error.stage ${c.error.stage}`)
  if (c.error && c.expected) unknown(c.expected, ['counts'], 'expected of an error case')
  assert.equal(typeof c.description, 'string', 'description')
}

const counts = (ds) => ({ accounts: ds.accountCount, users: ds.userCount, subscriptions: ds.subscriptionCount, events: ds.eventCount })

/** The report in its serde (snake_case) form, as the cases write it. */
const serdeReport = (r) => ({ accepted: r.accepted, rejected: r.rejected, duplicates_dropped: r.duplicates_dropped })

/** `want` is a subset of `got`: objects by key, arrays element-wise, numbers within 1e-9. */
function subset(want, got, where) {
  if (want === null) return assert.equal(got, null, where)
  if (Array.isArray(want)) {
    assert.ok(Array.isArray(got), `${where}: array`)
    assert.equal(got.length, want.length, `${where}: length`)
    want.forEach((w, i) => subset(w, got[i], `${where}[${i}]`))
  } else if (typeof want === 'object') {
    assert.ok(got && typeof got === 'object', `${where}: object`)
    for (const [k, w] of Object.entries(want)) subset(w, got[k], `${where}.${k}`)
  } else if (typeof want === 'number') {
    assert.equal(typeof got, 'number', `${where}: number, got ${got}`)
    assert.ok(Math.abs(got - want) <= 1e-9, `${where}: ${got} != ${want}`)
  } else if (typeof want === 'string' && got instanceof Date) {
    assert.equal(got.getTime(), Date.parse(want), `${where}: ${got.toISOString()} != ${want}`)
  } else {
    assert.equal(got, want, where)
  }
}

function runCase(c) {
  checkShape(c)
  const ds = new custfit.Dataset()
  const options = c.options ?? {}
  const reports = {}
  let failed = null // [stage, error]
  let before = counts(ds)
  for (const table of TABLES) {
    if (!(table in (c.input ?? {}))) continue
    before = counts(ds)
    try {
      reports[table] = serdeReport(ds[ADD[table]](c.input[table], options))
    } catch (e) {
      failed = [table, e]
      break
    }
  }
  let snapshot = null
  if (!failed && c.as_of !== undefined) {
    try {
      snapshot = ds.snapshot(c.as_of, c.config)
    } catch (e) {
      failed = ['snapshot', e]
    }
  }
  if (c.error) {
    assert.ok(failed, `expected ${c.error.code} at ${c.error.stage}, got success`)
    const [stage, e] = failed
    assert.equal(stage, c.error.stage, `failing stage (${e.message})`)
    assert.equal(e.code, c.error.code, `code (${e.message})`)
    if (c.error.row !== undefined) assert.equal(e.row, c.error.row, `row (${e.message})`)
    if (stage !== 'snapshot') assert.deepEqual(counts(ds), before, 'dataset changed by a failed call')
  } else if (failed) {
    assert.fail(`unexpected ${failed[1].code} at ${failed[0]}: ${failed[1].message}`)
  }
  const expected = c.expected ?? {}
  if (expected.counts) subset(expected.counts, counts(ds), 'counts')
  if (expected.reports) subset(expected.reports, reports, 'reports')
  if (expected.row_count !== undefined || expected.rows) assert.ok(snapshot, 'expected rows need as_of')
  if (expected.row_count !== undefined) assert.equal(snapshot.length, expected.row_count, 'row_count')
  for (const [account, cells] of Object.entries(expected.rows ?? {})) {
    for (const [column, want] of Object.entries(cells)) subset(want, snapshot.value(account, column), `${account}.${column}`)
  }
}

for (const domain of ['data', 'metrics']) {
  describe(`golden cases: ${domain}`, () => {
    const dir = path.join(CASES_DIR, domain)
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
    test('the folder holds cases', () => assert.ok(files.length > 0, dir))
    for (const f of files) {
      test(f, () => runCase(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))))
    }
  })
}
