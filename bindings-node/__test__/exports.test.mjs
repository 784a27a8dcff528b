// The export manifest (tests/exports.json): Node exports exactly the listed names, and
// index.d.ts declares the shared result types; the Rust and Python suites check the same file.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { custfit } from './fixtures.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const manifest = JSON.parse(fs.readFileSync(path.join(here, '..', '..', 'tests', 'exports.json'), 'utf8'))

test('exports are the manifest', () => {
  const listed = new Set([...manifest.classes, ...manifest.functions.map(([, node]) => node), ...Object.keys(manifest.node_only)])
  const exported = new Set(Object.keys(custfit).filter((n) => !n.startsWith('__')))
  assert.deepEqual([...exported].filter((n) => !listed.has(n)), [], 'exported but not in the manifest')
  assert.deepEqual([...listed].filter((n) => !exported.has(n)), [], 'in the manifest but not exported')
})

test('index.d.ts declares the shared result types', () => {
  const dts = fs.readFileSync(path.join(here, '..', 'index.d.ts'), 'utf8')
  const declared = new Set([...dts.matchAll(/^export (?:interface|type) (\w+)/gm)].map((m) => m[1]))
  const listed = new Set([...manifest.types, ...Object.keys(manifest.binding_types), ...manifest.node_only_types])
  assert.deepEqual([...declared].filter((n) => !listed.has(n)).sort(), [], 'declared but not in the manifest')
  assert.deepEqual([...listed].filter((n) => !declared.has(n)).sort(), [], 'in the manifest but not declared')
})
