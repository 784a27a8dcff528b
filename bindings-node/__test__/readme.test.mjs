// The README's Node example runs as written (`require('custfit')` resolves to this package).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const README = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../README.md')

test('README js blocks run', () => {
  const blocks = [...fs.readFileSync(README, 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1])
  assert.ok(blocks.length > 0, 'README has a Node example')
  for (const block of blocks) {
    const printed = []
    const console = { log: (...args) => printed.push(args) }
    new Function('require', 'console', block)(require, console)
    assert.ok(printed.length > 0, 'the example prints something')
  }
})
