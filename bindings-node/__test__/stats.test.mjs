// Statistics and outcomes from Node: the golden cases of tests/cases/stats and
// tests/cases/outcome (one layout: a call, its input by name, the expected value or error).
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { custfit } from './fixtures.mjs'
import { caseFiles } from './golden-helpers.mjs'

const CALLS = {
  roc_auc: (i) => custfit.rocAuc(i.risk, i.labels),
  wilson_interval: (i) => custfit.wilsonInterval(i.k, i.n),
  monthly_to_annual: (i) => custfit.monthlyToAnnual(i.rate),
  annual_to_monthly: (i) => custfit.annualToMonthly(i.rate),
}

const near = (want, got) =>
  want === null ? got === null : Array.isArray(want) ? want.every((w, k) => Math.abs(w - got[k]) <= 1e-12) : Math.abs(want - got) <= 1e-12

for (const folder of ['stats', 'outcome']) {
  describe(`golden cases: ${folder}`, () => {
    for (const [name, c] of caseFiles(folder)) {
      test(name, () => {
        const call = CALLS[c.call]
        if (c.error) {
          assert.throws(() => call(c.input), { code: c.error.code })
          return
        }
        const got = call(c.input)
        assert.ok(near(c.expected.value, got), `${name}: ${JSON.stringify(got)}`)
      })
    }
  })
}
