// Helpers of the golden-case runners: expr, segment, health, goals (not a test file itself).
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { CASES_DIR } from './fixtures.mjs'

/** Recursive equality; numbers within 1e-9 (relative); objects: expected keys only. */
export function close(expected, actual) {
  if (typeof expected === 'number' && typeof actual === 'number') {
    return Math.abs(expected - actual) <= 1e-9 * Math.max(1, Math.abs(expected), Math.abs(actual))
  }
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && expected.length === actual.length && expected.every((e, i) => close(e, actual[i]))
  }
  if (expected !== null && typeof expected === 'object') {
    return actual !== null && typeof actual === 'object' && Object.entries(expected).every(([k, v]) => k in actual && close(v, actual[k]))
  }
  return expected === actual
}

export function checkError(expected, err) {
  assert.equal(err.code, expected.code, err.message)
  if ('position' in expected) assert.equal(err.position, expected.position, err.message)
  if ('suggestion' in expected) assert.equal(err.suggestion, expected.suggestion, err.message)
}

export function caseFiles(domain) {
  const dir = path.join(CASES_DIR, domain)
  return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => [f, JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))])
}

/** Every key of an expected object matches (extra keys ignored; a missing key is null), arrays
 * element by element with equal length, numbers within 1e-6. */
export function subset(expected, actual, path = 'expected') {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: expected an array, got ${JSON.stringify(actual)}`)
    assert.equal(actual.length, expected.length, `${path}: ${JSON.stringify(actual)}`)
    expected.forEach((e, i) => subset(e, actual[i], `${path}[${i}]`))
  } else if (expected !== null && typeof expected === 'object') {
    assert.ok(actual !== null && typeof actual === 'object', `${path}: expected an object, got ${JSON.stringify(actual)}`)
    for (const [k, v] of Object.entries(expected)) subset(v, actual[k] ?? null, `${path}.${k}`)
  } else if (typeof expected === 'number') {
    assert.equal(typeof actual, 'number', `${path}: got ${JSON.stringify(actual)}`)
    assert.ok(Math.abs(actual - expected) <= 1e-6, `${path}: expected ${expected}, got ${actual}`)
  } else {
    assert.equal(actual, expected, path)
  }
}
