// Churn models from Node: a simulator round trip, errors. The golden cases of tests/cases/churn
// run in cases.test.mjs.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { custfit } from './fixtures.mjs'

test('simulator round trip: build, split, fit, evaluate, forecast, save, load', () => {
  const sim = custfit.simulate({ accounts: 200, days: 240, seed: 3, activityScale: 0.3 })
  const features = ['active_days_30d', 'usage_trend_30d', 'days_to_renewal', 'pricing_page_views_30d', 'support_tickets_60d']
  const ts = custfit.buildTrainingSet(sim.dataset, { features: { metrics: features }, horizon: { amount: 60, unit: 'days' } }, sim.end)
  assert.ok(ts.length > 100)
  assert.deepEqual(ts.featureNames, features)
  const [train, test] = ts.timeSplit(0.3)
  assert.ok(Math.max(...train.observedAt.map(Number)) < Math.min(...test.observedAt.map(Number)))
  const lr = custfit.ChurnModel.fit(train)
  const gb = custfit.ChurnModel.fit(train, { model: { type: 'boosted_trees', settings: { trees: 30 } } })
  assert.equal(lr.modelType, 'logistic')
  const coef = lr.coefficients()
  assert.deepEqual(coef.map((r) => r.feature), features)
  assert.equal(gb.coefficients(), null)
  const e = gb.evaluate(test)
  assert.ok(e.roc_auc > 0.5 && e.calibration.length === 10)
  const risk = gb.forecast(sim.dataset, sim.end, 3)
  assert.equal(risk[0].rank, 1)
  assert.equal(risk[0].drivers.length, 3)
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'custfit-')), 'model.json')
  gb.save(file)
  assert.deepEqual(custfit.ChurnModel.load(file).predict(test.x), gb.predict(test.x))
  assert.equal(custfit.churnBacktest(ts, null, 2).folds.length, 2)
  const m = custfit.mrrChurn(sim.dataset, sim.start, sim.end)
  assert.ok(m.mrr_churn_rate >= 0 && m.mrr_churn_rate <= 1)
  const w = custfit.chooseInactivityWindow(sim.dataset, sim.end, 0.9, 3)
  assert.equal(w.window.unit, 'days')
})

test('bad inputs carry codes', () => {
  assert.throws(() => custfit.monthlyToAnnual(2), (e) => e.code === 'invalid_argument')
  assert.throws(() => custfit.ChurnModel.fromJson('{not json'), (e) => e.code === 'parse_error')
  assert.throws(() => custfit.fitLogistic([[1], [2]], [true, false], { penalty: { type: 'l3' } }), (e) => e.code === 'parse_error')
})

test('learnScorecardWeights: shares sum to 1, hold-out AUCs, coded errors', () => {
  const sim = custfit.simulate({ accounts: 300, days: 400, seed: 5 })
  const day = 86_400_000
  const start = sim.start.getTime()
  const last = sim.end.getTime() - 121 * day
  const dates = []
  for (let t = start + 90 * day; t <= last; t += 30 * day) dates.push(new Date(t).toISOString())
  const ramp = (name, metric, low, high, direction = 'higher_is_better') => ({ name, metric, direction, scoring: { type: 'ramp', low, high } })
  const card = {
    measures: [
      ramp('active_days', 'active_days_30d', 0, 20),
      ramp('logins', 'logins_7d', 0, 30),
      ramp('trend', 'usage_trend_30d', -50, 50),
      ramp('tickets', 'support_tickets_60d', 0, 6, 'lower_is_better'),
    ],
  }
  const r = custfit.learnScorecardWeights(sim.dataset, card, { dates })
  const shares = r.weights.map((w) => w.share_after)
  assert.ok(Math.abs(shares.reduce((a, b) => a + b, 0) - 1) < 1e-9)
  assert.ok(shares.every((s) => s >= 0))
  assert.equal(typeof r.holdout_auc_after, 'number')
  assert.ok(r.observations > 0)
  // a Scorecard instance is taken as well as its document, with the same answer; a set is refused
  assert.deepEqual(custfit.learnScorecardWeights(sim.dataset, new custfit.Scorecard(card), { dates }), r)
  const set = new custfit.ScorecardSet({ column: 'plan', cases: [], default: card })
  assert.throws(() => custfit.learnScorecardWeights(sim.dataset, set, { dates }), (e) => e.code === 'invalid_argument' && /ScorecardSet/.test(e.message))
  assert.throws(() => custfit.learnScorecardWeights(sim.dataset, card, { dates: [sim.end.toISOString()] }), (e) => e.code === 'insufficient_data')
  assert.throws(() => custfit.learnScorecardWeights(sim.dataset, card, { dates, holdout_share: 2 }), (e) => e.code === 'invalid_config')
  assert.throws(() => custfit.learnScorecardWeights(sim.dataset, { measures: [] }, { dates }), (e) => e.code === 'invalid_config')
})

test('matrices cross as typed arrays', () => {
  const sim = custfit.simulate({ accounts: 120, days: 200, seed: 4, activityScale: 0.3 })
  const features = ['active_days_30d', 'usage_trend_30d', 'days_to_renewal']
  const ts = custfit.buildTrainingSet(sim.dataset, { features: { metrics: features } }, sim.end)
  // ANCHOR: typed_predict
  const m = ts.matrix // Float64Array, rows one after another
  const model = custfit.ChurnModel.fit(ts)
  const p = model.predict(m) // Float64Array of probabilities
  // ANCHOR_END: typed_predict
  assert.ok(m instanceof Float64Array)
  assert.equal(m.length, ts.length * features.length)
  assert.ok(p instanceof Float64Array)
  assert.deepEqual(Array.from(p), model.predict(ts.x))
  assert.throws(() => model.predict(new Float64Array(7)), { code: 'invalid_argument' })
  assert.throws(() => model.predict([[1, 2, 3, 4]]), { code: 'invalid_argument' })
  const again = custfit.TrainingSet.fromMatrix(features, m, ts.y)
  assert.deepEqual(Array.from(again.matrix), Array.from(m))
  const filled = m.map((v) => (Number.isNaN(v) ? 0 : v))
  const rows = ts.x.map((r) => r.map((v) => (Number.isNaN(v) ? 0 : v)))
  assert.deepEqual(custfit.fitLogistic(filled, ts.y).coefficients, custfit.fitLogistic(rows, ts.y).coefficients)
  assert.throws(() => custfit.fitLogistic(new Float64Array(7), [true, false]), { code: 'invalid_argument' })
})
