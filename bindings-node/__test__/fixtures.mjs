// Shared helpers of the node:test suites (not a test file itself).
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

const require = createRequire(import.meta.url)
/** The built addon, loaded the way users load it (package self-reference: index.js). */
export const custfit = require('custfit')

/** tests/cases at the repository root (CUSTFIT_CASES_DIR overrides it, e.g. to try the runner on new cases). */
export const CASES_DIR = process.env.CUSTFIT_CASES_DIR ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../tests/cases')

/** The reference "now" of every fixture: events up to a day after it are not in the future. */
export const NOW = '2024-03-10T00:00:00Z'
export const OPTIONS = { now: NOW }

/** A small two-account base: 3 users, 1 subscription, 4 events. */
export function baseDataset() {
  const ds = new custfit.Dataset()
  ds.addAccounts([
    { id: 'acc-1', name: 'Acme', created_at: '2024-01-01T00:00:00Z', seats: 4 },
    { id: 'acc-2', name: 'Globex', created_at: '2024-01-15T00:00:00Z' },
  ], OPTIONS)
  ds.addUsers([
    { id: 'u1', account_id: 'acc-1', role: 'champion', created_at: '2024-01-01T00:00:00Z' },
    { id: 'u2', account_id: 'acc-1', created_at: '2024-01-01T00:00:00Z' },
    { id: 'u3', account_id: 'acc-2', created_at: '2024-01-15T00:00:00Z' },
  ], OPTIONS)
  ds.addSubscriptions([
    { account_id: 'acc-1', plan: 'pro', start: '2024-01-01T00:00:00Z', end: '2025-01-01T00:00:00Z', mrr: { minor: 10000, currency: 'USD' } },
  ], OPTIONS)
  ds.addEvents([
    { account_id: 'acc-1', user_id: 'u1', timestamp: '2024-02-28T09:00:00Z', name: 'login' },
    { account_id: 'acc-1', user_id: 'u2', timestamp: '2024-02-29T10:00:00Z', name: 'feature_used', properties: { feature: 'reports' } },
    { account_id: 'acc-1', user_id: 'u1', timestamp: '2024-02-29T11:00:00Z', name: 'feature_used', properties: { feature: 'alerts' } },
    { account_id: 'acc-2', user_id: 'u3', timestamp: '2024-02-20T08:00:00Z', name: 'login' },
  ], OPTIONS)
  return ds
}

/** The four counts of a dataset. */
export function counts(ds) {
  return { accounts: ds.accountCount, users: ds.userCount, subscriptions: ds.subscriptionCount, events: ds.eventCount }
}

/**
 * Asserts that `fn` throws a custfit error with `code` (and, when given, the other listed
 * properties, e.g. `{row: 1, field: 'id'}`), and that the dataset's counts did not change.
 */
export function assertRejects(ds, fn, code, props = {}) {
  const before = ds ? counts(ds) : null
  assert.throws(fn, (err) => {
    assert.ok(err instanceof Error, 'a JS Error')
    assert.equal(err.code, code, `code (message: ${err.message})`)
    for (const [k, v] of Object.entries(props)) assert.equal(err[k], v, `err.${k}`)
    return true
  })
  if (ds) assert.deepEqual(counts(ds), before, 'dataset unchanged after the failed call')
}
