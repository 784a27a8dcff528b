// Helpers of the expr and segment golden-case runners (not a test file itself).
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

