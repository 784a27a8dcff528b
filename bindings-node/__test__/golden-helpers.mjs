// Helpers of the golden-case runner (cases.test.mjs; not a test file itself): the comparison
// rule shared with the Rust (core/tests/cases.rs) and Python runners, and the JSON forms the
// cases are written in.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { CASES_DIR } from './fixtures.mjs'

/** Every case file of a folder, sorted: `[file name, parsed case]`. */
export function caseFiles(folder) {
  const dir = path.join(CASES_DIR, folder)
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
  assert.ok(files.length > 0, `no golden cases in ${dir}`)
  return files.map((f) => [f, JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))])
}

/** An instant as the core writes it (RFC 3339, UTC, milliseconds only when not whole seconds). */
export function rfc3339(date) {
  const text = date.toISOString()
  return text.endsWith('.000Z') ? `${text.slice(0, -5)}Z` : text
}

/**
 * A Node value in the JSON form the core's serde writes: `Date` as RFC 3339 text, typed arrays
 * as arrays, `NaN`/`±Infinity` and `undefined` as null (serde_json has no non-finite numbers),
 * class instances through their `toJSON()`.
 */
export function toJson(value) {
  if (value === undefined || value === null) return null
  if (typeof value === 'number') return Number.isFinite(value) ? value : null
  if (typeof value === 'bigint') return Number(value)
  if (value instanceof Date) return rfc3339(value)
  if (Array.isArray(value) || ArrayBuffer.isView(value)) return Array.from(value, toJson)
  if (typeof value === 'object') {
    if (typeof value.toJSON === 'function') return toJson(value.toJSON())
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, toJson(v)]))
  }
  return value
}

/**
 * The error fields the cases can name, the same in every language: `code`, and `row` (a
 * rejected batch row) or `position` and `suggestion` (an expression error) when the error
 * carries them.
 */
export function errorJson(err) {
  const out = { code: err.code }
  if ('row' in err) out.row = err.row
  if ('position' in err) {
    out.position = err.position
    out.suggestion = err.suggestion ?? null
  }
  return out
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)
const show = (v) => JSON.stringify(v) ?? String(v)

/**
 * `expected` is a subset of `actual` (both JSON values): every key of an expected object
 * matches (a key the result lacks reads as null; extra keys are ignored), arrays element by
 * element with equal length, numbers within `tol · max(1, |expected|)`, anything else equal.
 * Throws an AssertionError naming the first mismatch's path.
 */
export function subset(expected, actual, tol, where) {
  if (isObject(expected) && isObject(actual)) {
    for (const [k, v] of Object.entries(expected)) subset(v, Object.hasOwn(actual, k) ? actual[k] : null, tol, `${where}.${k}`)
  } else if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length) assert.fail(`${where}: expected ${expected.length} items, got ${actual.length}: ${show(actual)}`)
    expected.forEach((e, i) => subset(e, actual[i], tol, `${where}[${i}]`))
  } else if (typeof expected === 'number' && typeof actual === 'number') {
    if (!(Math.abs(expected - actual) <= tol * Math.max(1, Math.abs(expected)))) {
      assert.fail(`${where}: expected ${expected}, got ${actual} (tolerance ${tol})`)
    }
  } else if (expected !== actual) {
    // Scalars of the same kind compare exactly; values of different kinds never match.
    assert.fail(`${where}: expected ${show(expected)}, got ${show(actual)}`)
  }
}
