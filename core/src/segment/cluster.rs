//! Behavioural clusters: k-means (k-means++ initialisation, seeded) on standardised metrics,
//! with k chosen by the silhouette and per-cluster profiles to help name the clusters.

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::metrics::{AccountColumns, Column, ColumnData, Snapshot, ToColumns};
use crate::stats::Rng;

use super::{check_version, numeric, SEGMENT_VERSION};

/// How many clusters to make.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClusterCount {
    /// Exactly `k` clusters.
    Fixed {
        /// Number of clusters (>= 1).
        k: usize,
    },
    /// The k in `min..=max` with the highest mean silhouette (ties: the smaller k).
    Silhouette {
        /// Smallest k tried (>= 2).
        min: usize,
        /// Largest k tried.
        max: usize,
    },
}

/// The most Lloyd iterations one k-means run may take.
pub const MAX_ITERATIONS: usize = 1_000;
/// The most k-means runs per k.
pub const MAX_RESTARTS: usize = 100;
/// The largest silhouette sample (the silhouette costs its square).
pub const MAX_SILHOUETTE_SAMPLE: usize = 20_000;
/// The most Lloyd iterations one fit may take in all: k values tried × restarts ×
/// max_iterations (each iteration costs rows × k × metrics).
pub const MAX_LLOYD_ITERATIONS: usize = 100_000;

/// Configuration of [`Clustering`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    /// Document version (1).
    pub version: u32,
    /// Numeric columns to cluster on. Each is standardised (z-score); missing values are
    /// imputed with the column mean (0 after standardising).
    pub metrics: Vec<String>,
    /// How many clusters (default: silhouette over 2..=6).
    pub k: ClusterCount,
    /// Seed of k-means++ and of the silhouette sample.
    pub seed: u64,
    /// Lloyd iterations per run at most, 1 to [`MAX_ITERATIONS`] (default 100).
    pub max_iterations: usize,
    /// Runs from different seeds per k, 1 to [`MAX_RESTARTS`]; the lowest inertia wins (default
    /// 4). k values × restarts × max_iterations must not exceed [`MAX_LLOYD_ITERATIONS`].
    pub restarts: usize,
    /// Rows sampled to compute silhouettes, 2 to [`MAX_SILHOUETTE_SAMPLE`] (default 2 000; the
    /// silhouette is quadratic).
    pub silhouette_sample: usize,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            version: SEGMENT_VERSION,
            metrics: ["logins_30d", "events_30d", "features_used_30d", "seat_utilization", "support_tickets_60d"]
                .map(String::from)
                .to_vec(),
            k: ClusterCount::Silhouette { min: 2, max: 6 },
            seed: 0,
            max_iterations: 100,
            restarts: 4,
            silhouette_sample: 2000,
        }
    }
}

/// A fitted clustering: standardisation and centroids. Saved as JSON; assigns new snapshots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ClusterModel {
    /// Document version (1).
    pub version: u32,
    /// The metrics, in order.
    pub metrics: Vec<String>,
    /// Mean of each metric in the fitting data.
    pub means: Vec<f64>,
    /// Standard deviation of each metric (1 when it was 0).
    pub stds: Vec<f64>,
    /// Centroids in standardised units, cluster 0 first (clusters are numbered by size, largest first).
    pub centroids: Vec<Vec<f64>>,
}

/// Silhouette and inertia of one k.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct KScore {
    /// Number of clusters.
    pub k: usize,
    /// Mean silhouette (−1 to 1; higher is better separated); missing for k = 1.
    pub silhouette: Option<f64>,
    /// Sum of squared distances to the centroids (standardised units).
    pub inertia: f64,
}

/// What a cluster looks like.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ClusterProfile {
    /// Cluster number.
    pub cluster: usize,
    /// Accounts in it.
    pub count: usize,
    /// Share of all accounts.
    pub share: f64,
    /// Mean of each metric in its own units (missing values skipped; missing if all are).
    pub means: Vec<Option<f64>>,
    /// Centroid in standard deviations from the base mean: a quick way to name the cluster
    /// ("+1.8 logins, −0.4 tickets").
    pub z_scores: Vec<f64>,
}

/// The result of [`ClusterConfig::fit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Clustering {
    /// The fitted model.
    pub model: ClusterModel,
    /// Chosen number of clusters.
    pub k: usize,
    /// Per row: cluster number (0 = largest cluster).
    pub labels: Vec<usize>,
    /// Scores of every k tried.
    pub scores: Vec<KScore>,
    /// Per cluster: size and mean of each metric.
    pub profiles: Vec<ClusterProfile>,
}

impl Clustering {
    /// The cluster numbers as an int column named `name`.
    pub fn to_column(&self, name: &str) -> Column {
        Column::new(name, ColumnData::Int(self.labels.iter().map(|c| Some(*c as i64)).collect()))
    }
}

fn dist2(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

fn nearest(p: &[f64], centroids: &[Vec<f64>]) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (c, m) in centroids.iter().enumerate() {
        let d = dist2(p, m);
        if d < best.1 {
            best = (c, d);
        }
    }
    best
}

/// One k-means run: k-means++ seeding then Lloyd iterations.
fn kmeans(points: &[Vec<f64>], k: usize, rng: &mut Rng, max_iter: usize) -> (Vec<Vec<f64>>, Vec<usize>, f64) {
    let n = points.len();
    let dims = points.first().map_or(0, Vec::len);
    let mut centroids: Vec<Vec<f64>> = Vec::with_capacity(k);
    centroids.push(points[rng.below(n as u64) as usize].clone());
    let mut d2: Vec<f64> = points.iter().map(|p| dist2(p, &centroids[0])).collect();
    while centroids.len() < k {
        let total: f64 = d2.iter().sum();
        let idx = if total > 0.0 {
            let mut target = rng.uniform() * total;
            let mut pick = n - 1;
            for (i, d) in d2.iter().enumerate() {
                if target < *d {
                    pick = i;
                    break;
                }
                target -= d;
            }
            pick
        } else {
            rng.below(n as u64) as usize
        };
        centroids.push(points[idx].clone());
        for (i, p) in points.iter().enumerate() {
            d2[i] = d2[i].min(dist2(p, &centroids[centroids.len() - 1]));
        }
    }
    let mut labels = vec![usize::MAX; n];
    for _ in 0..max_iter.max(1) {
        let mut changed = false;
        for (i, p) in points.iter().enumerate() {
            let (c, _) = nearest(p, &centroids);
            if labels[i] != c {
                labels[i] = c;
                changed = true;
            }
        }
        if !changed {
            break;
        }
        let mut sums = vec![vec![0.0; dims]; k];
        let mut counts = vec![0usize; k];
        for (p, &c) in points.iter().zip(&labels) {
            counts[c] += 1;
            for (s, x) in sums[c].iter_mut().zip(p) {
                *s += x;
            }
        }
        for c in 0..k {
            if counts[c] == 0 {
                // An empty cluster takes the point farthest from its centroid.
                let far = (0..n)
                    .max_by(|&a, &b| {
                        let da = dist2(&points[a], &centroids[labels[a]]);
                        let db = dist2(&points[b], &centroids[labels[b]]);
                        da.total_cmp(&db).then(b.cmp(&a))
                    })
                    .unwrap_or(0);
                centroids[c] = points[far].clone();
                labels[far] = c;
            } else {
                centroids[c] = sums[c].iter().map(|s| s / counts[c] as f64).collect();
            }
        }
    }
    let inertia = points.iter().zip(&labels).map(|(p, &c)| dist2(p, &centroids[c])).sum();
    (centroids, labels, inertia)
}

/// Mean silhouette over `sample` rows.
fn silhouette(points: &[Vec<f64>], labels: &[usize], k: usize, sample: &[usize]) -> f64 {
    if k < 2 {
        return 0.0;
    }
    let mut total = 0.0;
    for &i in sample {
        let mut sum = vec![0.0; k];
        let mut cnt = vec![0usize; k];
        for &j in sample {
            if i != j {
                sum[labels[j]] += dist2(&points[i], &points[j]).sqrt();
                cnt[labels[j]] += 1;
            }
        }
        let own = labels[i];
        if cnt[own] == 0 {
            continue; // A singleton's silhouette is 0.
        }
        let a = sum[own] / cnt[own] as f64;
        let b = (0..k).filter(|&c| c != own && cnt[c] > 0).map(|c| sum[c] / cnt[c] as f64).fold(f64::INFINITY, f64::min);
        if b.is_finite() && a.max(b) > 0.0 {
            total += (b - a) / a.max(b);
        }
    }
    if sample.is_empty() {
        0.0
    } else {
        total / sample.len() as f64
    }
}

impl ClusterModel {
    fn standardise(&self, snapshot: &Snapshot) -> Result<Vec<Vec<f64>>> {
        let cols = self.metrics.iter().map(|m| numeric(snapshot, m)).collect::<Result<Vec<_>>>()?;
        Ok((0..snapshot.len())
            .map(|i| cols.iter().enumerate().map(|(j, c)| c[i].map_or(0.0, |x| (x - self.means[j]) / self.stds[j])).collect())
            .collect())
    }

    /// Checks a (possibly edited) model: version, one mean, standard deviation and centroid
    /// coordinate per metric, every number finite, every standard deviation positive (a fitted
    /// model writes 1 for a constant metric), at most 100 centroids.
    pub fn validate(&self) -> Result<()> {
        check_version(self.version, "cluster model")?;
        let p = self.metrics.len();
        if p == 0
            || self.means.len() != p
            || self.stds.len() != p
            || self.centroids.is_empty()
            || self.centroids.len() > 100
            || self.centroids.iter().any(|c| c.len() != p)
        {
            return Err(Error::parse(
                "cluster model",
                "needs metrics, one mean, std and centroid coordinate per metric, and 1 to 100 centroids",
            ));
        }
        if self.means.iter().chain(self.centroids.iter().flatten()).any(|x| !x.is_finite()) {
            return Err(Error::parse("cluster model", "means and centroids must be finite numbers"));
        }
        if self.stds.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(Error::parse("cluster model", "standard deviations must be finite and positive"));
        }
        Ok(())
    }

    /// Assigns every row of `snapshot` to its nearest centroid.
    pub fn predict(&self, snapshot: &Snapshot) -> Result<Vec<usize>> {
        self.validate()?;
        Ok(self.standardise(snapshot)?.iter().map(|p| nearest(p, &self.centroids).0).collect())
    }
}

impl ClusterConfig {
    /// Clustering on `metrics`.
    pub fn new(metrics: Vec<String>) -> Self {
        ClusterConfig { metrics, ..Default::default() }
    }

    /// Sets the number of clusters.
    pub fn with_k(mut self, k: ClusterCount) -> Self {
        self.k = k;
        self
    }

    /// Sets the seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Checks version, metrics and ranges.
    pub fn validate(&self) -> Result<()> {
        check_version(self.version, "cluster config")?;
        if self.metrics.is_empty() {
            return Err(Error::config("metrics", "at least one metric is needed"));
        }
        match self.k {
            ClusterCount::Fixed { k } if k == 0 || k > 100 => return Err(Error::config("k.k", "must be between 1 and 100")),
            ClusterCount::Silhouette { min, max } if min < 2 || max < min || max > 100 => {
                return Err(Error::config("k", "needs 2 <= min <= max <= 100"))
            }
            _ => {}
        }
        if !(1..=MAX_ITERATIONS).contains(&self.max_iterations) {
            return Err(Error::config("max_iterations", format!("must be between 1 and {MAX_ITERATIONS}")));
        }
        if !(1..=MAX_RESTARTS).contains(&self.restarts) {
            return Err(Error::config("restarts", format!("must be between 1 and {MAX_RESTARTS}")));
        }
        if !(2..=MAX_SILHOUETTE_SAMPLE).contains(&self.silhouette_sample) {
            return Err(Error::config("silhouette_sample", format!("must be between 2 and {MAX_SILHOUETTE_SAMPLE}")));
        }
        let ks = match self.k {
            ClusterCount::Fixed { .. } => 1,
            ClusterCount::Silhouette { min, max } => max - min + 1,
        };
        let runs = ks * self.restarts * self.max_iterations;
        if runs > MAX_LLOYD_ITERATIONS {
            return Err(Error::config(
                "restarts",
                format!("k values × restarts × max_iterations is {runs}, more than {MAX_LLOYD_ITERATIONS}"),
            ));
        }
        Ok(())
    }

    /// Fits k-means on `snapshot`.
    pub fn fit(&self, snapshot: &Snapshot) -> Result<Clustering> {
        self.validate()?;
        let cols = self.metrics.iter().map(|m| numeric(snapshot, m)).collect::<Result<Vec<_>>>()?;
        let n = snapshot.len();
        let (kmin, kmax) = match self.k {
            ClusterCount::Fixed { k } => (k, k),
            ClusterCount::Silhouette { min, max } => (min, max),
        };
        if n < kmax.max(2) {
            return Err(Error::Argument {
                kind: ErrorKind::InsufficientData,
                name: "snapshot".into(),
                reason: format!("{n} accounts cannot make {kmax} clusters"),
            });
        }
        let mut means = Vec::with_capacity(cols.len());
        let mut stds = Vec::with_capacity(cols.len());
        for c in &cols {
            let vals: Vec<f64> = c.iter().flatten().copied().collect();
            let m = if vals.is_empty() { 0.0 } else { vals.iter().sum::<f64>() / vals.len() as f64 };
            let var = if vals.is_empty() { 0.0 } else { vals.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / vals.len() as f64 };
            let s = var.sqrt();
            means.push(m);
            stds.push(if s > 0.0 && s.is_finite() { s } else { 1.0 });
        }
        let mut model =
            ClusterModel { version: SEGMENT_VERSION, metrics: self.metrics.clone(), means, stds, centroids: Vec::new() };
        let points = model.standardise(snapshot)?;
        let mut sample_rng = Rng::new(self.seed, u64::MAX);
        let mut sample: Vec<usize> = (0..n).collect();
        if n > self.silhouette_sample {
            // Partial Fisher–Yates: a seeded sample without replacement.
            for i in 0..self.silhouette_sample {
                let j = i + sample_rng.below((n - i) as u64) as usize;
                sample.swap(i, j);
            }
            sample.truncate(self.silhouette_sample);
        }
        let mut scores = Vec::new();
        type Fit = (f64, usize, Vec<Vec<f64>>, Vec<usize>);
        let mut best: Option<Fit> = None;
        for k in kmin..=kmax {
            let mut run_best: Option<(Vec<Vec<f64>>, Vec<usize>, f64)> = None;
            for r in 0..self.restarts {
                let mut rng = Rng::new(self.seed, (k as u64) << 16 | r as u64);
                let run = kmeans(&points, k, &mut rng, self.max_iterations);
                if run_best.as_ref().is_none_or(|b| run.2 < b.2) {
                    run_best = Some(run);
                }
            }
            let Some((centroids, labels, inertia)) = run_best else { continue };
            let sil = (k >= 2).then(|| silhouette(&points, &labels, k, &sample));
            scores.push(KScore { k, silhouette: sil, inertia });
            let key = sil.unwrap_or(0.0);
            if best.as_ref().is_none_or(|b| key > b.0) {
                best = Some((key, k, centroids, labels));
            }
        }
        let Some((_, k, centroids, labels)) = best else {
            return Err(Error::argument("k", "no k was tried"));
        };
        // Number clusters by size (largest first; ties by first row) so output is stable.
        let mut sizes: Vec<(usize, usize, usize)> = (0..k)
            .map(|c| (labels.iter().filter(|l| **l == c).count(), labels.iter().position(|l| *l == c).unwrap_or(n), c))
            .collect();
        sizes.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut rename = vec![0; k];
        for (new, (_, _, old)) in sizes.iter().enumerate() {
            rename[*old] = new;
        }
        let labels: Vec<usize> = labels.iter().map(|l| rename[*l]).collect();
        let mut ordered = vec![Vec::new(); k];
        for (old, c) in centroids.into_iter().enumerate() {
            ordered[rename[old]] = c;
        }
        model.centroids = ordered;
        let profiles = (0..k)
            .map(|c| {
                let rows: Vec<usize> = (0..n).filter(|&i| labels[i] == c).collect();
                let means = cols
                    .iter()
                    .map(|col| {
                        let v: Vec<f64> = rows.iter().filter_map(|&i| col[i]).collect();
                        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
                    })
                    .collect();
                ClusterProfile {
                    cluster: c,
                    count: rows.len(),
                    share: rows.len() as f64 / n as f64,
                    means,
                    z_scores: model.centroids[c].clone(),
                }
            })
            .collect();
        Ok(Clustering { model, k, labels, scores, profiles })
    }
}

impl ToColumns for Clustering {
    /// One integer column `name` with each account's cluster, in snapshot row order.
    fn account_columns(&self, name: &str) -> AccountColumns {
        AccountColumns::by_row(vec![self.to_column(name)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn blobs() -> Snapshot {
        let mut rng = Rng::new(1, 1);
        let centers = [(0.0, 0.0), (10.0, 10.0), (0.0, 10.0)];
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..150 {
            let (cx, cy) = centers[i % 3];
            x.push(Some(cx + rng.normal()));
            y.push(if i == 7 { None } else { Some(cy + rng.normal()) });
        }
        Snapshot::from_columns(
            Timestamp::from_ymd(2024, 1, 1).expect("ts"),
            (0..150).map(|i| format!("a{i}")).collect(),
            vec![Column::new("x", ColumnData::Float(x)), Column::new("y", ColumnData::Float(y))],
        )
        .expect("snapshot")
    }

    #[test]
    fn finds_three_blobs_reproducibly() {
        let s = blobs();
        let cfg = ClusterConfig::new(vec!["x".into(), "y".into()]).with_seed(42);
        let a = cfg.fit(&s).expect("fit");
        assert_eq!(a.k, 3);
        assert_eq!(a.scores.len(), 5);
        // Rows of the same generating blob share a cluster (row 7 has an imputed y).
        for i in (0..150).filter(|i| *i != 7 && *i >= 3) {
            assert_eq!(a.labels[i], a.labels[i % 3], "row {i}");
        }
        assert_eq!(a, cfg.fit(&s).expect("fit again"));
        assert_eq!(a.model.predict(&s).expect("predict"), a.labels);
        let json = serde_json::to_string(&a.model).expect("json");
        let back: ClusterModel = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, a.model);
        assert!(a.profiles.iter().map(|p| p.count).sum::<usize>() == 150);
    }

    #[test]
    fn too_few_rows() {
        let s = blobs().take_rows(&[0, 1]);
        let e = ClusterConfig::new(vec!["x".into()]).fit(&s).expect_err("too few");
        assert_eq!(e.code(), "insufficient_data");
    }
}
