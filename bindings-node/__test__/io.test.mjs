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

test('writeCsv keeps existing files unless overwrite, and writes all four or none', () => {
  const ds = baseDataset()
  const dir = tmp()
  try {
    ds.writeCsv(dir)
    fs.writeFileSync(path.join(dir, 'accounts.csv'), 'mine')
    assertRejects(ds, () => ds.writeCsv(dir), 'invalid_argument')
    assert.equal(fs.readFileSync(path.join(dir, 'accounts.csv'), 'utf8'), 'mine')
    ds.writeCsv(dir, true)
    assert.notEqual(fs.readFileSync(path.join(dir, 'accounts.csv'), 'utf8'), 'mine')
    const other = tmp()
    fs.mkdirSync(path.join(other, 'events.csv'))
    assertRejects(ds, () => ds.writeCsv(other, true), 'io_error')
    assert.deepEqual(fs.readdirSync(other), ['events.csv'])
    fs.rmSync(other, { recursive: true, force: true })
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('formula-like text cells are escaped on write and read back unchanged', () => {
  const names = ['=HYPERLINK("http://x")', '+1', '-2 apples', '@sum', "'=already", 'plain']
  const ds = new Dataset()
  ds.addAccounts(names.map((name, i) => ({ id: `a${i}`, name, created_at: '2024-01-01' })))
  const dir = tmp()
  try {
    ds.writeCsv(dir)
    const text = fs.readFileSync(path.join(dir, 'accounts.csv'), 'utf8')
    assert.ok(text.includes("'=HYPERLINK") && text.includes("''=already"), text)
    const { dataset } = Dataset.fromFiles({ accounts: path.join(dir, 'accounts.csv') })
    assert.deepEqual(dataset.accounts().map((a) => a.name), names)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('row errors from files name the file and line', () => {
  const dir = tmp()
  try {
    fs.writeFileSync(path.join(dir, 'accounts.csv'), 'id,name,created_at\na,A,2024-01-01\n')
    const events = path.join(dir, 'events.csv')
    fs.writeFileSync(events, 'account_id,timestamp,name\na,2024-01-02,login\nzzz,2024-01-03,login\n')
    const load = () => Dataset.fromFiles({ accounts: path.join(dir, 'accounts.csv'), events })
    assertRejects(null, load, 'unknown_account', { row: 1, location: `${events} line 3` })
    const { report } = Dataset.fromFiles({ accounts: path.join(dir, 'accounts.csv'), events }, { mode: 'lenient' })
    assert.equal(report.events.rejected[0].location, `${events} line 3`)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
