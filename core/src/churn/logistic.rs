//! Logistic regression with L2, L1 or elastic-net penalty, intercept and class weights.
//!
//! The objective is scikit-learn's, so coefficients match `LogisticRegression` with the same `C`,
//! penalty and class weights: `C·Σ sᵢ·logloss(i) + λ₁‖w‖₁ + λ₂/2·‖w‖²` with (λ₁, λ₂) = (0, 1) for
//! L2, (1, 0) for L1 and (ρ, 1−ρ) for elastic net; the intercept is not penalised. It is solved
//! by (proximal) Newton steps with an exact Hessian, which converge to machine precision in a few
//! passes over the data when there are tens of features; the passes run on all cores.

use serde::{Deserialize, Serialize};

use super::training::insufficient;
use crate::error::{Error, ErrorKind, Result};

/// The penalty on coefficients (never on the intercept).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Penalty {
    /// No penalty (`C` is ignored).
    None,
    /// Ridge: `½‖w‖²`.
    L2,
    /// Lasso: `‖w‖₁`.
    L1,
    /// Elastic net: `ρ‖w‖₁ + (1−ρ)/2·‖w‖²`.
    ElasticNet {
        /// ρ in [0, 1].
        l1_ratio: f64,
    },
}

/// Weights of the two classes in the loss.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClassWeight {
    /// Every row weighs 1.
    None,
    /// `n / (2·n_class)` (scikit-learn's "balanced").
    Balanced,
    /// Explicit weights.
    Manual {
        /// Weight of retained (label false) rows.
        negative: f64,
        /// Weight of churned (label true) rows.
        positive: f64,
    },
}

/// Logistic regression settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct LogisticConfig {
    /// Penalty.
    pub penalty: Penalty,
    /// Inverse penalty strength (scikit-learn's `C`).
    pub c: f64,
    /// Fit an intercept.
    pub fit_intercept: bool,
    /// Class weights.
    pub class_weight: ClassWeight,
    /// Most Newton iterations.
    pub max_iter: usize,
    /// Stop when no coefficient moves by more than this in an iteration.
    pub tol: f64,
}

impl Default for LogisticConfig {
    fn default() -> Self {
        LogisticConfig {
            penalty: Penalty::L2,
            c: 1.0,
            fit_intercept: true,
            class_weight: ClassWeight::None,
            max_iter: 100,
            tol: 1e-10,
        }
    }
}

impl LogisticConfig {
    /// Sets the penalty.
    pub fn with_penalty(mut self, penalty: Penalty) -> Self {
        self.penalty = penalty;
        self
    }
    /// Sets `C`.
    pub fn with_c(mut self, c: f64) -> Self {
        self.c = c;
        self
    }
    /// Sets class weights.
    pub fn with_class_weight(mut self, w: ClassWeight) -> Self {
        self.class_weight = w;
        self
    }
    /// Sets whether to fit an intercept.
    pub fn with_fit_intercept(mut self, on: bool) -> Self {
        self.fit_intercept = on;
        self
    }

    /// Checks the numbers.
    pub fn validate(&self) -> Result<()> {
        if !(self.c.is_finite() && self.c > 0.0) {
            return Err(Error::config("logistic.c", format!("must be a finite number > 0, got {}", self.c)));
        }
        if let Penalty::ElasticNet { l1_ratio } = self.penalty {
            if !(0.0..=1.0).contains(&l1_ratio) {
                return Err(Error::config("logistic.penalty.l1_ratio", format!("must lie in [0, 1], got {l1_ratio}")));
            }
        }
        if let ClassWeight::Manual { negative, positive } = self.class_weight {
            if !(negative.is_finite() && negative > 0.0 && positive.is_finite() && positive > 0.0) {
                return Err(Error::config("logistic.class_weight", "weights must be finite numbers > 0"));
            }
        }
        if self.max_iter == 0 {
            return Err(Error::config("logistic.max_iter", "must be at least 1"));
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(Error::config("logistic.tol", "must be a finite number > 0"));
        }
        Ok(())
    }

    fn lambdas(&self) -> (f64, f64, f64) {
        match self.penalty {
            Penalty::None => (1.0, 0.0, 0.0),
            Penalty::L2 => (self.c, 0.0, 1.0),
            Penalty::L1 => (self.c, 1.0, 0.0),
            Penalty::ElasticNet { l1_ratio } => (self.c, l1_ratio, 1.0 - l1_ratio),
        }
    }
}

/// A fitted logistic regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "LogisticFit"))]
pub struct LogisticModel {
    /// One coefficient per input column.
    pub coefficients: Vec<f64>,
    /// The intercept (0 when not fitted).
    pub intercept: f64,
    /// Newton iterations used.
    pub iterations: usize,
    /// Whether the step tolerance was reached.
    pub converged: bool,
}

/// Fewest rows a model is fitted on.
pub const MIN_ROWS: usize = 10;

/// Checks a row-major matrix and labels: shape, finiteness, row count, both classes present.
pub(crate) fn check_xy(x: &[f64], p: usize, y: &[bool]) -> Result<()> {
    if p == 0 || x.len() != y.len() * p {
        return Err(Error::argument("x", format!("expected {} × {p} values, got {}", y.len(), x.len())));
    }
    if y.len() < MIN_ROWS {
        return Err(insufficient(format!("a model needs at least {MIN_ROWS} rows, got {}", y.len())));
    }
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(Error::Argument {
            kind: ErrorKind::NonFinite,
            name: "x".into(),
            reason: format!("row {}, column {} holds {}", i / p, i % p, x[i]),
        });
    }
    let pos = y.iter().filter(|&&b| b).count();
    if pos == 0 || pos == y.len() {
        return Err(Error::Argument {
            kind: ErrorKind::SingleClass,
            name: "y".into(),
            reason: format!("every label is {}; both churned and retained rows are needed", pos > 0),
        });
    }
    Ok(())
}

/// Sample weights of the two classes.
pub(crate) fn class_weights(w: ClassWeight, y: &[bool]) -> (f64, f64) {
    match w {
        ClassWeight::None => (1.0, 1.0),
        ClassWeight::Manual { negative, positive } => (negative, positive),
        ClassWeight::Balanced => {
            let n = y.len() as f64;
            let pos = y.iter().filter(|&&b| b).count() as f64;
            (n / (2.0 * (n - pos)), n / (2.0 * pos))
        }
    }
}

fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

/// Logistic function.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

struct Problem<'a> {
    x: &'a [f64],
    p: usize,
    y: &'a [bool],
    w: (f64, f64),
    intercept: bool,
    threads: usize,
}

/// Sums of one pass: loss, gradient and (upper-triangular, packed row-major) Hessian.
struct Pass {
    loss: f64,
    grad: Vec<f64>,
    hess: Vec<f64>,
}

impl Problem<'_> {
    fn dim(&self) -> usize {
        self.p + usize::from(self.intercept)
    }

    fn margin(&self, beta: &[f64], row: &[f64]) -> f64 {
        let mut z = if self.intercept { beta[self.p] } else { 0.0 };
        for (a, b) in row.iter().zip(beta) {
            z += a * b;
        }
        z
    }

    fn chunks(&self) -> Vec<std::ops::Range<usize>> {
        let n = self.y.len();
        let t = if n < 20_000 { 1 } else { self.threads };
        let size = n.div_ceil(t);
        (0..t).map(|k| (k * size).min(n)..((k + 1) * size).min(n)).filter(|r| !r.is_empty()).collect()
    }

    fn pass_range(&self, beta: &[f64], rows: std::ops::Range<usize>, second_order: bool) -> Pass {
        let d = self.dim();
        let p = self.p;
        let mut out = Pass { loss: 0.0, grad: vec![0.0; d], hess: if second_order { vec![0.0; d * d] } else { vec![] } };
        let mut xa = vec![0.0; d];
        for i in rows {
            let row = &self.x[i * p..(i + 1) * p];
            let z = self.margin(beta, row);
            let (s, yi) = if self.y[i] { (self.w.1, 1.0) } else { (self.w.0, 0.0) };
            out.loss += s * (softplus(z) - yi * z);
            if !second_order {
                continue;
            }
            let pr = sigmoid(z);
            let g = s * (pr - yi);
            let h = s * pr * (1.0 - pr);
            xa[..p].copy_from_slice(row);
            if self.intercept {
                xa[p] = 1.0;
            }
            for j in 0..d {
                out.grad[j] += g * xa[j];
                let hj = h * xa[j];
                let hrow = &mut out.hess[j * d + j..(j + 1) * d];
                for (o, xk) in hrow.iter_mut().zip(&xa[j..]) {
                    *o += hj * xk;
                }
            }
        }
        out
    }

    fn pass(&self, beta: &[f64], second_order: bool) -> Pass {
        let chunks = self.chunks();
        let parts: Vec<Pass> = if chunks.len() <= 1 {
            vec![self.pass_range(beta, 0..self.y.len(), second_order)]
        } else {
            std::thread::scope(|s| {
                let hs: Vec<_> = chunks.into_iter().map(|r| s.spawn(move || self.pass_range(beta, r, second_order))).collect();
                hs.into_iter().filter_map(|h| h.join().ok()).collect()
            })
        };
        let mut it = parts.into_iter();
        let mut acc = it.next().unwrap_or(Pass { loss: 0.0, grad: vec![], hess: vec![] });
        for part in it {
            acc.loss += part.loss;
            acc.grad.iter_mut().zip(&part.grad).for_each(|(a, b)| *a += b);
            acc.hess.iter_mut().zip(&part.hess).for_each(|(a, b)| *a += b);
        }
        acc
    }
}

/// Solves `A·x = b` for symmetric positive-definite `A` (dense, row-major) by Cholesky, adding a
/// tiny ridge when `A` is numerically singular.
fn solve_spd(a: &[f64], b: &[f64]) -> Option<Vec<f64>> {
    let d = b.len();
    let scale = (0..d).map(|i| a[i * d + i].abs()).fold(0.0, f64::max).max(1e-300);
    for jitter in [0.0, 1e-12, 1e-9, 1e-6] {
        let mut l = vec![0.0; d * d];
        let mut ok = true;
        'outer: for i in 0..d {
            for j in 0..=i {
                let mut sum = a[i * d + j] + if i == j { jitter * scale } else { 0.0 };
                for k in 0..j {
                    sum -= l[i * d + k] * l[j * d + k];
                }
                if i == j {
                    if sum <= 0.0 || !sum.is_finite() {
                        ok = false;
                        break 'outer;
                    }
                    l[i * d + i] = sum.sqrt();
                } else {
                    l[i * d + j] = sum / l[j * d + j];
                }
            }
        }
        if !ok {
            continue;
        }
        let mut yv = vec![0.0; d];
        for i in 0..d {
            let s: f64 = (0..i).map(|k| l[i * d + k] * yv[k]).sum();
            yv[i] = (b[i] - s) / l[i * d + i];
        }
        let mut xv = vec![0.0; d];
        for i in (0..d).rev() {
            let s: f64 = (i + 1..d).map(|k| l[k * d + i] * xv[k]).sum();
            xv[i] = (yv[i] - s) / l[i * d + i];
        }
        return Some(xv);
    }
    None
}

impl LogisticModel {
    /// Fits on a row-major matrix `x` with `p` columns.
    pub fn fit(x: &[f64], p: usize, y: &[bool], config: &LogisticConfig) -> Result<LogisticModel> {
        config.validate()?;
        check_xy(x, p, y)?;
        let threads = crate::stats::max_threads();
        let prob = Problem { x, p, y, w: class_weights(config.class_weight, y), intercept: config.fit_intercept, threads };
        let (c, l1, l2) = config.lambdas();
        let d = prob.dim();
        let mut beta = vec![0.0; d];
        let penalty = |b: &[f64]| -> f64 { b[..p].iter().map(|v| l1 * v.abs() + 0.5 * l2 * v * v).sum() };
        let mut iterations = 0;
        let mut converged = false;
        let mut cur = prob.pass(&beta, true);
        let mut f = c * cur.loss + penalty(&beta);
        while iterations < config.max_iter {
            iterations += 1;
            // Full symmetric Hessian and gradient of the smooth part.
            let mut h = vec![0.0; d * d];
            for i in 0..d {
                for j in i..d {
                    let v = c * cur.hess[i * d + j] + if i == j && i < p { l2 } else { 0.0 };
                    h[i * d + j] = v;
                    h[j * d + i] = v;
                }
            }
            let g: Vec<f64> = (0..d).map(|j| c * cur.grad[j] + if j < p { l2 * beta[j] } else { 0.0 }).collect();
            let step = if l1 == 0.0 {
                let neg: Vec<f64> = g.iter().map(|v| -v).collect();
                match solve_spd(&h, &neg) {
                    Some(s) => s,
                    None => break,
                }
            } else {
                prox_newton_direction(&h, &g, &beta, p, l1, config.tol)
            };
            let l1_now: f64 = beta[..p].iter().map(|v| v.abs()).sum();
            let decrease = g.iter().zip(&step).map(|(a, b)| a * b).sum::<f64>()
                + l1 * (beta[..p].iter().zip(&step).map(|(b, s)| (b + s).abs()).sum::<f64>() - l1_now);
            let max_step = step.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            if max_step <= config.tol || decrease >= 0.0 {
                converged = true;
                break;
            }
            let mut t = 1.0;
            let mut accepted = false;
            for _ in 0..50 {
                let cand: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b + t * s).collect();
                let loss = prob.pass(&cand, false).loss;
                let fc = c * loss + penalty(&cand);
                if fc <= f + 1e-4 * t * decrease || (fc - f).abs() <= 1e-15 * f.abs() {
                    beta = cand;
                    f = fc;
                    accepted = true;
                    break;
                }
                t *= 0.5;
            }
            if !accepted {
                converged = max_step * t <= config.tol.sqrt();
                break;
            }
            if max_step * t <= config.tol {
                converged = true;
                break;
            }
            cur = prob.pass(&beta, true);
        }
        let intercept = if config.fit_intercept { beta[p] } else { 0.0 };
        beta.truncate(p);
        Ok(LogisticModel { coefficients: beta, intercept, iterations, converged })
    }

    /// Log-odds of churn for one row.
    pub fn decision(&self, row: &[f64]) -> f64 {
        self.intercept + row.iter().zip(&self.coefficients).map(|(a, b)| a * b).sum::<f64>()
    }

    /// Probability of churn for one row.
    pub fn predict_row(&self, row: &[f64]) -> f64 {
        sigmoid(self.decision(row))
    }

    /// Probabilities for a row-major matrix.
    pub fn predict(&self, x: &[f64]) -> Vec<f64> {
        x.chunks(self.coefficients.len().max(1)).map(|r| self.predict_row(r)).collect()
    }
}

/// Proximal Newton direction: minimises `gᵀs + ½sᵀHs + λ₁‖(β+s)_w‖₁` by coordinate descent.
fn prox_newton_direction(h: &[f64], g: &[f64], beta: &[f64], p: usize, l1: f64, tol: f64) -> Vec<f64> {
    let d = g.len();
    let mut u = beta.to_vec();
    let mut q = vec![0.0; d]; // H·(u − β)
    for _ in 0..10_000 {
        let mut max_change = 0.0f64;
        for j in 0..d {
            let a = h[j * d + j];
            if a <= 0.0 {
                continue;
            }
            let r = g[j] + q[j];
            let z = u[j] - r / a;
            let new = if j < p { z.signum() * (z.abs() - l1 / a).max(0.0) } else { z };
            let delta = new - u[j];
            if delta != 0.0 {
                for k in 0..d {
                    q[k] += delta * h[k * d + j];
                }
                u[j] = new;
                max_change = max_change.max(delta.abs());
            }
        }
        if max_change <= tol * 1e-2 {
            break;
        }
    }
    u.iter().zip(beta).map(|(a, b)| a - b).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> (Vec<f64>, Vec<bool>) {
        let mut x = Vec::new();
        let mut y = Vec::new();
        let mut s: u64 = 42;
        let mut rnd = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 11) as f64) / ((1u64 << 53) as f64)
        };
        for _ in 0..400 {
            let a = rnd() * 4.0 - 2.0;
            let b = rnd() * 4.0 - 2.0;
            let z = 1.5 * a - 0.7 * b + 0.3;
            y.push(rnd() < sigmoid(z));
            x.extend_from_slice(&[a, b, rnd()]);
        }
        (x, y)
    }

    #[test]
    fn gradient_vanishes_at_the_l2_solution() -> Result<()> {
        let (x, y) = data();
        let m = LogisticModel::fit(&x, 3, &y, &LogisticConfig::default())?;
        assert!(m.converged);
        let mut g = [0.0; 4];
        for (i, row) in x.chunks(3).enumerate() {
            let r = m.predict_row(row) - f64::from(u8::from(y[i]));
            for j in 0..3 {
                g[j] += r * row[j];
            }
            g[3] += r;
        }
        for j in 0..3 {
            assert!((g[j] + m.coefficients[j]).abs() < 1e-8, "{g:?}");
        }
        assert!(g[3].abs() < 1e-8);
        Ok(())
    }

    #[test]
    fn l1_zeroes_weak_coefficients() -> Result<()> {
        let (x, y) = data();
        let m = LogisticModel::fit(&x, 3, &y, &LogisticConfig::default().with_penalty(Penalty::L1).with_c(0.01))?;
        assert_eq!(m.coefficients[2], 0.0);
        assert!(m.coefficients[0] > 0.0);
        Ok(())
    }

    #[test]
    fn bad_inputs_have_codes() {
        let (x, y) = data();
        let code = |r: Result<LogisticModel>| r.err().map(|e| e.code());
        let cfg = LogisticConfig::default();
        assert_eq!(code(LogisticModel::fit(&x, 3, &vec![true; 400], &cfg)), Some("single_class"));
        assert_eq!(code(LogisticModel::fit(&x[..9], 3, &y[..3], &cfg)), Some("insufficient_data"));
        let mut bad = x.clone();
        bad[7] = f64::NAN;
        assert_eq!(code(LogisticModel::fit(&bad, 3, &y, &cfg)), Some("non_finite"));
    }
}
