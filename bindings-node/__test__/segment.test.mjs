// Segmentation from Node. The golden cases of tests/cases/segment run in cases.test.mjs.
import { createRequire } from 'node:module'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { custfit } from './fixtures.mjs'

const require = createRequire(import.meta.url)

test('guide: segmentation', () => {
  // ANCHOR: segment_node
  const { simulate, paretoTiers, capacityPlan, segmentRules, rfmScores, fitClusters, assignClusters } = require('custfit')

  const sim = simulate({ accounts: 300, days: 60, seed: 3, activityScale: 0.1 })
  const snap = sim.dataset.snapshot(sim.end)

  const tiers = paretoTiers(snap, { cuts: { type: 'customer_share', marks: [0.1, 0.3] } })
  const labels = tiers.assignment.map((i) => tiers.tiers[i].name)

  const plan = capacityPlan(snap, { account_hours_per_year: { tier_1: 60, tier_2: 15, tier_3: 0 }, csm_hours_per_year: 1500 }, labels)
  console.log(plan.total_csms, 'CSMs;', plan.books.length, 'books of business')

  const rules = segmentRules(snap, {
    segments: [
      { name: 'quiet_big', condition: 'mrr >= 1000 && days_since_last_activity > 14' },
      { name: 'quiet', condition: 'logins_30d == 0' },
    ],
    default_segment: 'other',
  })
  const rfm = rfmScores(snap)
  const clusters = fitClusters(snap, { metrics: ['logins_30d', 'events_30d', 'mrr'], seed: 1 })
  // ANCHOR_END: segment_node
  assert.equal(tiers.tiers.reduce((n, t) => n + t.count, 0), snap.length)
  assert.equal(rules.label.length, snap.length)
  assert.equal(rfm.segment.length, snap.length)
  assert.deepEqual(assignClusters(snap, clusters.model), clusters.labels)
})
