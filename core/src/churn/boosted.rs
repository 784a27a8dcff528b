//! Gradient-boosted trees for churn: a histogram GBDT with leaf-wise growth (LightGBM's shape),
//! log loss, and per-prediction feature contributions (the change of each tree's node value along
//! the decision path, summed per feature; they add up to the log-odds exactly).

use serde::{Deserialize, Serialize};

use super::logistic::{check_xy, class_weights, sigmoid, ClassWeight};
use crate::error::{Error, Result};

/// Boosted-trees settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct BoostedTreesConfig {
    /// Number of trees.
    pub trees: usize,
    /// Shrinkage applied to every tree.
    pub learning_rate: f64,
    /// Most leaves per tree.
    pub max_leaves: usize,
    /// Most depth per tree; 0 = no limit beyond `max_leaves`.
    pub max_depth: usize,
    /// Fewest rows in a leaf.
    pub min_samples_leaf: usize,
    /// Smallest sum of Hessians in a leaf.
    pub min_hessian_leaf: f64,
    /// L2 penalty on leaf values.
    pub l2: f64,
    /// Most histogram bins per feature (2–256).
    pub max_bins: usize,
    /// Class weights.
    pub class_weight: ClassWeight,
}

impl Default for BoostedTreesConfig {
    fn default() -> Self {
        BoostedTreesConfig {
            trees: 100,
            learning_rate: 0.1,
            max_leaves: 31,
            max_depth: 0,
            min_samples_leaf: 20,
            min_hessian_leaf: 1e-3,
            l2: 0.0,
            max_bins: 255,
            class_weight: ClassWeight::None,
        }
    }
}

impl BoostedTreesConfig {
    /// Sets the number of trees.
    pub fn with_trees(mut self, n: usize) -> Self {
        self.trees = n;
        self
    }
    /// Sets the learning rate.
    pub fn with_learning_rate(mut self, r: f64) -> Self {
        self.learning_rate = r;
        self
    }
    /// Sets the most leaves per tree.
    pub fn with_max_leaves(mut self, n: usize) -> Self {
        self.max_leaves = n;
        self
    }
    /// Sets the fewest rows per leaf.
    pub fn with_min_samples_leaf(mut self, n: usize) -> Self {
        self.min_samples_leaf = n;
        self
    }

    /// Checks the numbers.
    pub fn validate(&self) -> Result<()> {
        if self.trees == 0 || self.trees > 100_000 {
            return Err(Error::config("boosted_trees.trees", "must lie in 1..=100000"));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0 && self.learning_rate <= 1.0) {
            return Err(Error::config("boosted_trees.learning_rate", "must lie in (0, 1]"));
        }
        if self.max_leaves < 2 || self.max_leaves > 4096 {
            return Err(Error::config("boosted_trees.max_leaves", "must lie in 2..=4096"));
        }
        if self.min_samples_leaf == 0 {
            return Err(Error::config("boosted_trees.min_samples_leaf", "must be at least 1"));
        }
        let ok = |v: f64| v.is_finite() && v >= 0.0;
        if !ok(self.min_hessian_leaf) || !ok(self.l2) {
            return Err(Error::config("boosted_trees", "min_hessian_leaf and l2 must be finite numbers ≥ 0"));
        }
        if !(2..=256).contains(&self.max_bins) {
            return Err(Error::config("boosted_trees.max_bins", "must lie in 2..=256"));
        }
        if let ClassWeight::Manual { negative, positive } = self.class_weight {
            if !(negative.is_finite() && negative > 0.0 && positive.is_finite() && positive > 0.0) {
                return Err(Error::config("boosted_trees.class_weight", "weights must be finite numbers > 0"));
            }
        }
        Ok(())
    }
}

/// One tree, as parallel arrays (node 0 is the root; `feature < 0` marks a leaf).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Tree {
    /// Split feature per node, -1 for leaves.
    pub feature: Vec<i32>,
    /// Rows with `x[feature] <= threshold` go left.
    pub threshold: Vec<f64>,
    /// Left child per node.
    pub left: Vec<u32>,
    /// Right child per node.
    pub right: Vec<u32>,
    /// Node value (log-odds, shrunk): the leaf output, or the value the node would have as a leaf.
    pub value: Vec<f64>,
}

impl Tree {
    fn leaf_of(&self, row: &[f64]) -> usize {
        let mut n = 0usize;
        let mut guard = 0;
        while let Some(&f) = self.feature.get(n) {
            if f < 0 || guard > self.feature.len() {
                break;
            }
            guard += 1;
            let x = row.get(f as usize).copied().unwrap_or(f64::NAN);
            n = if x <= self.threshold[n] { self.left[n] } else { self.right[n] } as usize;
        }
        n
    }

    fn predict(&self, row: &[f64]) -> f64 {
        self.value.get(self.leaf_of(row)).copied().unwrap_or(0.0)
    }

    fn contributions(&self, row: &[f64], out: &mut [f64]) -> f64 {
        let mut n = 0usize;
        let mut guard = 0;
        while let Some(&f) = self.feature.get(n) {
            if f < 0 || guard > self.feature.len() {
                break;
            }
            guard += 1;
            let x = row.get(f as usize).copied().unwrap_or(f64::NAN);
            let next = if x <= self.threshold[n] { self.left[n] } else { self.right[n] } as usize;
            if let Some(o) = out.get_mut(f as usize) {
                *o += self.value[next] - self.value[n];
            }
            n = next;
        }
        self.value.first().copied().unwrap_or(0.0)
    }
}

/// A fitted boosted-trees model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct BoostedTrees {
    /// Number of input columns.
    pub features: usize,
    /// Initial log-odds (training churn rate).
    pub base_score: f64,
    /// The trees.
    pub trees: Vec<Tree>,
}

#[derive(Clone, Copy)]
struct Split {
    gain: f64,
    feature: usize,
    bin: u8,
    left_g: f64,
    left_h: f64,
    left_n: usize,
}

struct Leaf {
    begin: usize,
    end: usize,
    g: f64,
    h: f64,
    depth: usize,
    node: usize,
    hist: Vec<f64>,
    split: Option<Split>,
}

const BINS: usize = 256;

/// Upper edges of the bins of one column (`x <= edges[b]` ⇒ bin ≤ b); at most `max_bins - 1` edges.
fn bin_edges(col: &mut [f64], max_bins: usize) -> Vec<f64> {
    col.sort_unstable_by(f64::total_cmp);
    let n = col.len();
    let mut distinct: Vec<(f64, usize)> = Vec::new();
    for &v in col.iter() {
        match distinct.last_mut() {
            Some((last, c)) if *last == v => *c += 1,
            _ => distinct.push((v, 1)),
        }
    }
    let mut edges = Vec::new();
    if distinct.len() <= max_bins {
        for w in distinct.windows(2) {
            edges.push(w[0].0 + (w[1].0 - w[0].0) / 2.0);
        }
        return edges;
    }
    let target = n as f64 / max_bins as f64;
    let mut acc = 0usize;
    let mut bins_made = 0usize;
    for k in 0..distinct.len() - 1 {
        acc += distinct[k].1;
        let goal = target * (bins_made + 1) as f64;
        if acc as f64 >= goal && edges.len() < max_bins - 1 {
            edges.push(distinct[k].0 + (distinct[k + 1].0 - distinct[k].0) / 2.0);
            bins_made += 1;
        }
    }
    edges
}

/// Adds the histogram of `rows` into `hist` (layout: feature-major, bin, then g/h).
fn build_hist(bins: &[u8], f: usize, gh: &[(f64, f64)], rows: &[u32], hist: &mut [f64]) {
    let t = if rows.len() < 50_000 { 1 } else { crate::stats::max_threads() };
    if t == 1 {
        hist_range(bins, f, gh, rows, hist);
        return;
    }
    let parts: Vec<Vec<f64>> = crate::stats::map_ranges(rows.len(), t, |r| {
        let mut h = vec![0.0; f * BINS * 2];
        hist_range(bins, f, gh, &rows[r], &mut h);
        h
    });
    for p in parts {
        hist.iter_mut().zip(&p).for_each(|(a, b)| *a += b);
    }
}

fn hist_range(bins: &[u8], f: usize, gh: &[(f64, f64)], rows: &[u32], hist: &mut [f64]) {
    for &r in rows {
        let r = r as usize;
        let (g, h) = gh[r];
        let row = &bins[r * f..(r + 1) * f];
        for (j, &b) in row.iter().enumerate() {
            let k = (j * BINS + b as usize) * 2;
            hist[k] += g;
            hist[k + 1] += h;
        }
    }
}

impl BoostedTrees {
    /// Fits on a row-major matrix `x` with `p` columns.
    pub fn fit(x: &[f64], p: usize, y: &[bool], config: &BoostedTreesConfig) -> Result<BoostedTrees> {
        config.validate()?;
        check_xy(x, p, y)?;
        let n = y.len();
        if n >= u32::MAX as usize {
            return Err(Error::argument("x", "too many rows (at most 4,294,967,294)"));
        }
        // Bin every column from a strided sample.
        let stride = (n / 200_000).max(1);
        let edges: Vec<Vec<f64>> = (0..p)
            .map(|j| {
                let mut col: Vec<f64> = (0..n).step_by(stride).map(|i| x[i * p + j]).collect();
                bin_edges(&mut col, config.max_bins)
            })
            .collect();
        let mut bins = vec![0u8; n * p];
        for i in 0..n {
            for j in 0..p {
                let e = &edges[j];
                bins[i * p + j] = e.partition_point(|&v| v < x[i * p + j]) as u8;
            }
        }
        let n_bins: Vec<usize> = edges.iter().map(|e| e.len() + 1).collect();
        let (w0, w1) = class_weights(config.class_weight, y);
        let wsum: f64 = y.iter().map(|&b| if b { w1 } else { w0 }).sum();
        let wpos: f64 = y.iter().filter(|&&b| b).count() as f64 * w1;
        let rate = (wpos / wsum).clamp(1e-12, 1.0 - 1e-12);
        let base_score = (rate / (1.0 - rate)).ln();
        let mut score = vec![base_score; n];
        let mut gh = vec![(0.0, 0.0); n];
        let mut indices: Vec<u32> = (0..n as u32).collect();
        let mut trees = Vec::with_capacity(config.trees);
        for _ in 0..config.trees {
            for i in 0..n {
                let pr = sigmoid(score[i]);
                let (s, yi) = if y[i] { (w1, 1.0) } else { (w0, 0.0) };
                gh[i] = (s * (pr - yi), (s * pr * (1.0 - pr)).max(1e-16));
            }
            let tree = grow_tree(&bins, p, &n_bins, &edges, &gh, &mut indices, config, |range, v| {
                for &r in range {
                    score[r as usize] += v;
                }
            });
            trees.push(tree);
        }
        Ok(BoostedTrees { features: p, base_score, trees })
    }

    /// Log-odds of churn for one row.
    pub fn decision(&self, row: &[f64]) -> f64 {
        self.base_score + self.trees.iter().map(|t| t.predict(row)).sum::<f64>()
    }

    /// Probability of churn for one row.
    pub fn predict_row(&self, row: &[f64]) -> f64 {
        sigmoid(self.decision(row))
    }

    /// Probabilities for a row-major matrix.
    pub fn predict(&self, x: &[f64]) -> Vec<f64> {
        x.chunks(self.features.max(1)).map(|r| self.predict_row(r)).collect()
    }

    /// Per-feature contributions to the log-odds of one row, and the bias (base score plus root
    /// values); `bias + Σ contributions` equals [`decision`](Self::decision).
    pub fn contributions(&self, row: &[f64]) -> (f64, Vec<f64>) {
        let mut out = vec![0.0; self.features];
        let mut bias = self.base_score;
        for t in &self.trees {
            bias += t.contributions(row, &mut out);
        }
        (bias, out)
    }

    /// Checks every field after loading from JSON, as [`BoostedTrees::fit`] would have written
    /// it: a finite base score, at least one input, and trees whose nodes are either leaves
    /// (feature −1) or splits on an existing feature at a finite threshold with two children
    /// after the node, every node but the root the child of exactly one split, every value
    /// finite. A model edited by hand fails here instead of predicting other numbers.
    pub(crate) fn check(&self) -> Result<()> {
        let bad = |what: String| Err(Error::parse("churn model", what));
        if self.features == 0 || !self.base_score.is_finite() {
            return bad("boosted trees need at least one feature and a finite base_score".into());
        }
        for (k, t) in self.trees.iter().enumerate() {
            let m = t.feature.len();
            if m == 0 || t.threshold.len() != m || t.left.len() != m || t.right.len() != m || t.value.len() != m {
                return bad(format!("tree {k}: feature, threshold, left, right and value must have one equal, non-zero length"));
            }
            let mut parents = vec![0u32; m];
            for i in 0..m {
                if !t.value[i].is_finite() {
                    return bad(format!("tree {k} node {i}: value must be finite"));
                }
                let f = t.feature[i];
                if f == -1 {
                    continue;
                }
                if f < 0 || f as usize >= self.features {
                    return bad(format!("tree {k} node {i}: feature {f} is neither a leaf (-1) nor one of 0..{}", self.features));
                }
                if !t.threshold[i].is_finite() {
                    return bad(format!("tree {k} node {i}: threshold must be finite"));
                }
                let (l, r) = (t.left[i] as usize, t.right[i] as usize);
                if l <= i || r <= i || l >= m || r >= m || l == r {
                    return bad(format!("tree {k} node {i}: children must be two distinct later nodes"));
                }
                parents[l] += 1;
                parents[r] += 1;
            }
            if let Some(i) = (1..m).find(|&i| parents[i] != 1) {
                return bad(format!("tree {k} node {i}: has {} parents (exactly one expected)", parents[i]));
            }
        }
        Ok(())
    }
}

fn leaf_value(g: f64, h: f64, config: &BoostedTreesConfig) -> f64 {
    -g / (h + config.l2) * config.learning_rate
}

fn best_split(leaf: &Leaf, n_bins: &[usize], config: &BoostedTreesConfig) -> Option<Split> {
    if config.max_depth > 0 && leaf.depth >= config.max_depth {
        return None;
    }
    let count = leaf.end - leaf.begin;
    if count < 2 * config.min_samples_leaf {
        return None;
    }
    let per_h = count as f64 / leaf.h;
    let lam = config.l2;
    let parent = leaf.g * leaf.g / (leaf.h + lam);
    let mut best: Option<Split> = None;
    for (j, &nb) in n_bins.iter().enumerate() {
        let hist = &leaf.hist[j * BINS * 2..(j + 1) * BINS * 2];
        let (mut gl, mut hl) = (0.0, 0.0);
        for b in 0..nb.saturating_sub(1) {
            gl += hist[b * 2];
            hl += hist[b * 2 + 1];
            let nl = (hl * per_h).round() as usize;
            if nl < config.min_samples_leaf || hl < config.min_hessian_leaf {
                continue;
            }
            let (gr, hr) = (leaf.g - gl, leaf.h - hl);
            let nr = count.saturating_sub(nl);
            if nr < config.min_samples_leaf || hr < config.min_hessian_leaf {
                break;
            }
            let gain = gl * gl / (hl + lam) + gr * gr / (hr + lam) - parent;
            if gain > 1e-12 && best.is_none_or(|s| gain > s.gain) {
                best = Some(Split { gain, feature: j, bin: b as u8, left_g: gl, left_h: hl, left_n: nl });
            }
        }
    }
    best
}

#[allow(clippy::too_many_arguments)]
fn grow_tree(
    bins: &[u8],
    p: usize,
    n_bins: &[usize],
    edges: &[Vec<f64>],
    gh: &[(f64, f64)],
    indices: &mut [u32],
    config: &BoostedTreesConfig,
    mut apply: impl FnMut(&[u32], f64),
) -> Tree {
    let (g, h) = gh.iter().fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
    let mut tree =
        Tree { feature: vec![-1], threshold: vec![0.0], left: vec![0], right: vec![0], value: vec![leaf_value(g, h, config)] };
    let mut hist = vec![0.0; p * BINS * 2];
    build_hist(bins, p, gh, indices, &mut hist);
    let mut root = Leaf { begin: 0, end: indices.len(), g, h, depth: 0, node: 0, hist, split: None };
    root.split = best_split(&root, n_bins, config);
    let mut leaves = vec![root];
    while leaves.len() < config.max_leaves {
        let Some((k, _)) =
            leaves.iter().enumerate().filter_map(|(k, l)| l.split.map(|s| (k, s.gain))).max_by(|a, b| a.1.total_cmp(&b.1))
        else {
            break;
        };
        let leaf = leaves.swap_remove(k);
        let Some(s) = leaf.split else { break };
        // Partition the leaf's rows: bin <= s.bin to the front.
        let slice = &mut indices[leaf.begin..leaf.end];
        let mut mid = 0;
        for i in 0..slice.len() {
            if bins[slice[i] as usize * p + s.feature] <= s.bin {
                slice.swap(i, mid);
                mid += 1;
            }
        }
        let mid = leaf.begin + mid;
        let (lg, lh) = (s.left_g, s.left_h);
        let (rg, rh) = (leaf.g - lg, leaf.h - lh);
        let left_node = tree.feature.len();
        for v in [leaf_value(lg, lh, config), leaf_value(rg, rh, config)] {
            tree.feature.push(-1);
            tree.threshold.push(0.0);
            tree.left.push(0);
            tree.right.push(0);
            tree.value.push(v);
        }
        tree.feature[leaf.node] = s.feature as i32;
        tree.threshold[leaf.node] = edges[s.feature].get(s.bin as usize).copied().unwrap_or(f64::INFINITY);
        tree.left[leaf.node] = left_node as u32;
        tree.right[leaf.node] = left_node as u32 + 1;
        let _ = s.left_n;
        // Histogram of the smaller child; the larger one is the parent's minus it.
        let left_small = mid - leaf.begin <= leaf.end - mid;
        let small = if left_small { leaf.begin..mid } else { mid..leaf.end };
        let mut small_hist = vec![0.0; p * BINS * 2];
        build_hist(bins, p, gh, &indices[small], &mut small_hist);
        let mut big_hist = leaf.hist;
        big_hist.iter_mut().zip(&small_hist).for_each(|(a, b)| *a -= b);
        let (lhist, rhist) = if left_small { (small_hist, big_hist) } else { (big_hist, small_hist) };
        let mut l =
            Leaf { begin: leaf.begin, end: mid, g: lg, h: lh, depth: leaf.depth + 1, node: left_node, hist: lhist, split: None };
        let mut r = Leaf {
            begin: mid,
            end: leaf.end,
            g: rg,
            h: rh,
            depth: leaf.depth + 1,
            node: left_node + 1,
            hist: rhist,
            split: None,
        };
        l.split = best_split(&l, n_bins, config);
        r.split = best_split(&r, n_bins, config);
        leaves.push(l);
        leaves.push(r);
    }
    for l in &leaves {
        apply(&indices[l.begin..l.end], tree.value[l.node]);
    }
    tree
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize) -> (Vec<f64>, Vec<bool>) {
        let mut s: u64 = 9;
        let mut rnd = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 11) as f64) / ((1u64 << 53) as f64)
        };
        let mut x = Vec::new();
        let mut y = Vec::new();
        for _ in 0..n {
            let a = rnd();
            let b = rnd();
            let z = if a > 0.5 && b < 0.3 { 2.0 } else { -1.5 };
            y.push(rnd() < sigmoid(z));
            x.extend_from_slice(&[a, b, rnd()]);
        }
        (x, y)
    }

    #[test]
    fn learns_an_interaction_and_contributions_add_up() -> Result<()> {
        let (x, y) = data(3000);
        let m = BoostedTrees::fit(&x, 3, &y, &BoostedTreesConfig::default().with_trees(30))?;
        let (bias, c) = m.contributions(&[0.8, 0.1, 0.5]);
        assert!((bias + c.iter().sum::<f64>() - m.decision(&[0.8, 0.1, 0.5])).abs() < 1e-9);
        assert!(m.predict_row(&[0.8, 0.1, 0.5]) > 0.7);
        assert!(m.predict_row(&[0.2, 0.8, 0.5]) < 0.3);
        assert!(c[0] > 0.0 && c[1] > 0.0 && c[2].abs() < c[0]);
        let json = serde_json::to_string(&m).map_err(|e| Error::parse("json", e))?;
        let back: BoostedTrees = serde_json::from_str(&json).map_err(|e| Error::parse("json", e))?;
        back.check()?;
        assert_eq!(back.predict(&x[..300]), m.predict(&x[..300]));
        Ok(())
    }

    #[test]
    fn bins_respect_the_limit() {
        let mut col: Vec<f64> = (0..10_000).map(|i| f64::from(i % 997)).collect();
        let e = bin_edges(&mut col, 16);
        assert!(e.len() <= 15 && e.len() >= 10);
        let mut few = vec![1.0, 2.0, 2.0, 5.0];
        assert_eq!(bin_edges(&mut few, 255), vec![1.5, 3.5]);
    }
}
