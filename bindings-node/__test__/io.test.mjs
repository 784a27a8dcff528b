// Files: Dataset.fromFiles, ds.writeCsv, ds.writeJsonl.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { custfit, baseDataset, counts, assertRejects, NOW, OPTIONS } from './fixtures.mjs'

const { Dataset } = custfit
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'custfit-node-'))
const files = (dir, ext) => Object.fromEntries(['accounts', 'users', 'subscriptions', 'events'].map((t) => [t, path.join(dir, `${t}.${ext}`)]))

for (const [write, ext] of [['writeCsv', 'csv'], ['writeJsonl', 'jsonl']]) {
  test(`${write} then fromFiles round-trips (${ext})`, () => {
    const ds = baseDataset()
    const dir = tmp()
    try {
      ds[write](dir)
      const { dataset, report } = Dataset.fromFiles(files(dir, ext), OPTIONS)
      assert.ok(dataset instanceof Dataset)
      assert.deepEqual(counts(dataset), counts(ds))
      assert.deepEqual([report.accounts.accepted, report.users.accepted, report.subscriptions.accepted, report.events.accepted], [2, 3, 1, 4])
      assert.deepEqual(dataset.snapshot(NOW).toJSON(), ds.snapshot(NOW).toJSON())
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
}

test('absent tables are skipped; lenient options apply to every table', () => {
  const dir = tmp()
  try {
    fs.writeFileSync(path.join(dir, 'accounts.csv'), 'id,name,created_at\na,A,2024-01-01\nb,B,2024-01-02\n')
    fs.writeFileSync(path.join(dir, 'events.jsonl'),
      '{"account_id":"a","timestamp":"2024-02-01","name":"login"}\n{"account_id":"zzz","timestamp":"2024-02-01","name":"login"}\n')
    const { dataset, report } = Dataset.fromFiles({ accounts: path.join(dir, 'accounts.csv'), events: path.join(dir, 'events.jsonl') }, { ...OPTIONS, mode: 'lenient' })
    assert.deepEqual(counts(dataset), { accounts: 2, users: 0, subscriptions: 0, events: 1 })
    assert.deepEqual(report.events.rejected.map((r) => [r.row, r.code]), [[1, 'unknown_account']])
    assert.equal(report.users.accepted, 0)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('bad files and arguments', () => {
  const dir = tmp()
  try {
    assertRejects(null, () => Dataset.fromFiles({ accounts: path.join(dir, 'missing.csv') }), 'io_error')
    fs.writeFileSync(path.join(dir, 'accounts.csv'), 'name\nA\n')
    assertRejects(null, () => Dataset.fromFiles({ accounts: path.join(dir, 'accounts.csv') }), 'parse_error')
    fs.writeFileSync(path.join(dir, 'accounts.jsonl'), '{"id": "a"\n')
    assertRejects(null, () => Dataset.fromFiles({ accounts: path.join(dir, 'accounts.jsonl') }), 'parse_error')
    fs.writeFileSync(path.join(dir, 'bad.csv'), 'id,created_at\na,whenever\n')
    assertRejects(null, () => Dataset.fromFiles({ accounts: path.join(dir, 'bad.csv') }), 'invalid_timestamp', { row: 0 })
    assertRejects(null, () => Dataset.fromFiles({ accounts: 5 }), 'invalid_argument')
    assertRejects(null, () => Dataset.fromFiles({ acounts: 'x.csv' }), 'invalid_argument')
    assertRejects(null, () => Dataset.fromFiles('x.csv'), 'invalid_argument')
    const ds = baseDataset()
    fs.writeFileSync(path.join(dir, 'a-file'), '')
    assertRejects(ds, () => ds.writeCsv(path.join(dir, 'a-file')), 'io_error')
    assertRejects(ds, () => ds.writeJsonl(path.join(dir, 'a-file', 'sub')), 'io_error')
    assertRejects(ds, () => ds.writeCsv(42), 'invalid_argument')
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
