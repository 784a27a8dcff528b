//! Preprocessing fitted on training data only and saved with the model: median imputation of
//! missing values, a signed `log1p` for skewed features, standardisation, and optional grouping
//! of strongly correlated features into one averaged, named group.

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};

/// How to preprocess features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct PreprocessConfig {
    /// Apply `sign(x)·log1p(|x|)` to features whose sample skewness exceeds this; `None` never.
    pub skew_threshold: Option<f64>,
    /// Standardise to mean 0, standard deviation 1 (needed for "impact per standard deviation").
    pub standardize: bool,
    /// Group features whose absolute correlation reaches this; `None` never.
    pub correlation_threshold: Option<f64>,
}

impl Default for PreprocessConfig {
    fn default() -> Self {
        PreprocessConfig { skew_threshold: Some(1.0), standardize: true, correlation_threshold: None }
    }
}

impl PreprocessConfig {
    /// No transform at all (identity apart from imputation).
    pub fn none() -> Self {
        PreprocessConfig { skew_threshold: None, standardize: false, correlation_threshold: None }
    }
    /// Sets the skew threshold.
    pub fn with_skew_threshold(mut self, t: Option<f64>) -> Self {
        self.skew_threshold = t;
        self
    }
    /// Sets standardisation.
    pub fn with_standardize(mut self, on: bool) -> Self {
        self.standardize = on;
        self
    }
    /// Sets the correlation grouping threshold.
    pub fn with_correlation_threshold(mut self, t: Option<f64>) -> Self {
        self.correlation_threshold = t;
        self
    }
    /// Checks the thresholds.
    pub fn validate(&self) -> Result<()> {
        if let Some(t) = self.skew_threshold {
            if !t.is_finite() || t < 0.0 {
                return Err(Error::config("preprocess.skew_threshold", format!("must be a finite number ≥ 0, got {t}")));
            }
        }
        if let Some(t) = self.correlation_threshold {
            if !(t > 0.0 && t <= 1.0) {
                return Err(Error::config("preprocess.correlation_threshold", format!("must lie in (0, 1], got {t}")));
            }
        }
        Ok(())
    }
}

/// The fitted transform of one input feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct FeatureTransform {
    /// Input feature name.
    pub name: String,
    /// Value used for missing inputs (training median).
    pub fill: f64,
    /// Whether the signed `log1p` applies.
    pub log: bool,
    /// Subtracted after the log step.
    pub mean: f64,
    /// Divides after centring (1 when not standardising).
    pub scale: f64,
}

/// A group of correlated features replaced by their (signed) average.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct FeatureGroup {
    /// Output name: members joined by `+` (members entering negatively are prefixed `-`).
    pub name: String,
    /// Input positions of the members.
    pub members: Vec<usize>,
    /// +1 or -1 per member (sign of its correlation with the first member).
    pub signs: Vec<f64>,
    /// Mean of the average on the training data.
    pub mean: f64,
    /// Standard deviation of the average on the training data (1 when not standardising).
    pub scale: f64,
}

/// Fitted preprocessing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Preprocessor {
    /// The config it was fitted with.
    pub config: PreprocessConfig,
    /// One transform per input feature.
    pub transforms: Vec<FeatureTransform>,
    /// Groups of correlated inputs.
    pub groups: Vec<FeatureGroup>,
    /// Output columns: for each, the input positions it draws on (one for a plain feature).
    pub outputs: Vec<Output>,
}

/// One output column of a [`Preprocessor`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Output {
    /// A single transformed input.
    Feature {
        /// Input position.
        input: usize,
    },
    /// A group.
    Group {
        /// Position in `groups`.
        group: usize,
    },
}

fn signed_log1p(x: f64) -> f64 {
    x.signum() * x.abs().ln_1p()
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n;
    (m, var.sqrt())
}

fn skewness(v: &[f64]) -> f64 {
    let (m, s) = mean_std(v);
    if s <= 0.0 {
        return 0.0;
    }
    v.iter().map(|x| ((x - m) / s).powi(3)).sum::<f64>() / v.len() as f64
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_unstable_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

impl Preprocessor {
    /// Fits on a row-major matrix `x` with `names.len()` columns (`NaN` = missing). Infinite values
    /// are `non_finite` errors; a feature that is constant (or entirely missing) in the training
    /// data is an `invalid_argument` error naming it.
    pub fn fit(names: &[String], x: &[f64], config: &PreprocessConfig) -> Result<Preprocessor> {
        config.validate()?;
        let p = names.len();
        if p == 0 || !x.len().is_multiple_of(p) {
            return Err(Error::argument("x", "matrix shape does not match the feature names"));
        }
        let n = x.len() / p;
        if n < 2 {
            return Err(super::training::insufficient(format!("preprocessing needs at least 2 rows, got {n}")));
        }
        if let Some(i) = x.iter().position(|v| v.is_infinite()) {
            return Err(Error::Argument {
                kind: ErrorKind::NonFinite,
                name: names[i % p].clone(),
                reason: format!("row {} holds {}", i / p, x[i]),
            });
        }
        let mut transforms = Vec::with_capacity(p);
        let mut columns: Vec<Vec<f64>> = Vec::with_capacity(p);
        for (j, name) in names.iter().enumerate() {
            let mut present: Vec<f64> = (0..n).map(|i| x[i * p + j]).filter(|v| !v.is_nan()).collect();
            let fill = median(&mut present);
            let mut col: Vec<f64> = (0..n).map(|i| x[i * p + j]).map(|v| if v.is_nan() { fill } else { v }).collect();
            let log = config.skew_threshold.is_some_and(|t| skewness(&col) > t);
            if log {
                col.iter_mut().for_each(|v| *v = signed_log1p(*v));
            }
            let (m, s) = mean_std(&col);
            if s.is_nan() || s <= 1e-12 * m.abs().max(1.0) {
                return Err(Error::argument(
                    name,
                    format!(
                        "feature `{name}` is constant in the training data (every row {}); drop it",
                        if present.is_empty() { "missing".to_string() } else { format!("= {fill}") }
                    ),
                ));
            }
            let (mean, scale) = if config.standardize { (m, s) } else { (0.0, 1.0) };
            col.iter_mut().for_each(|v| *v = (*v - mean) / scale);
            transforms.push(FeatureTransform { name: name.clone(), fill, log, mean, scale });
            columns.push(col);
        }
        let mut groups = Vec::new();
        let mut outputs = Vec::new();
        let mut grouped = vec![false; p];
        let corr = |a: &[f64], b: &[f64]| -> f64 {
            let (ma, sa) = mean_std(a);
            let (mb, sb) = mean_std(b);
            a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum::<f64>() / (n as f64 * sa * sb)
        };
        for j in 0..p {
            if grouped[j] {
                continue;
            }
            let mut members = vec![j];
            let mut signs = vec![1.0];
            if let Some(t) = config.correlation_threshold {
                for k in j + 1..p {
                    if !grouped[k] {
                        let r = corr(&columns[j], &columns[k]);
                        if r.abs() >= t {
                            members.push(k);
                            signs.push(r.signum());
                            grouped[k] = true;
                        }
                    }
                }
            }
            if members.len() == 1 {
                outputs.push(Output::Feature { input: j });
                continue;
            }
            let avg: Vec<f64> = (0..n)
                .map(|i| members.iter().zip(&signs).map(|(&k, s)| s * columns[k][i]).sum::<f64>() / members.len() as f64)
                .collect();
            let (m, s) = mean_std(&avg);
            let (mean, scale) = if config.standardize && s > 0.0 { (m, s) } else { (0.0, 1.0) };
            let name = members
                .iter()
                .zip(&signs)
                .map(|(&k, &s)| if s < 0.0 { format!("-{}", names[k]) } else { names[k].clone() })
                .collect::<Vec<_>>()
                .join("+");
            outputs.push(Output::Group { group: groups.len() });
            groups.push(FeatureGroup { name, members, signs, mean, scale });
        }
        Ok(Preprocessor { config: config.clone(), transforms, groups, outputs })
    }

    /// Input feature names.
    pub fn input_names(&self) -> Vec<String> {
        self.transforms.iter().map(|t| t.name.clone()).collect()
    }

    /// Output column names (groups named by their members).
    pub fn output_names(&self) -> Vec<String> {
        self.outputs
            .iter()
            .map(|o| match o {
                Output::Feature { input } => self.transforms.get(*input).map(|t| t.name.clone()).unwrap_or_default(),
                Output::Group { group } => self.groups.get(*group).map(|g| g.name.clone()).unwrap_or_default(),
            })
            .collect()
    }

    /// Transforms one input row (`NaN` = missing) into `out` (cleared first).
    pub fn transform_row(&self, row: &[f64], out: &mut Vec<f64>) -> Result<()> {
        if row.len() != self.transforms.len() {
            return Err(Error::argument("row", format!("expected {} features, got {}", self.transforms.len(), row.len())));
        }
        let z = |j: usize| -> f64 {
            let t = &self.transforms[j];
            let v = if row[j].is_nan() { t.fill } else { row[j] };
            let v = if t.log { signed_log1p(v) } else { v };
            (v - t.mean) / t.scale
        };
        out.clear();
        for o in &self.outputs {
            let v = match o {
                Output::Feature { input } => z(*input),
                Output::Group { group } => {
                    let g = &self.groups[*group];
                    let avg = g.members.iter().zip(&g.signs).map(|(&k, s)| s * z(k)).sum::<f64>() / g.members.len() as f64;
                    (avg - g.mean) / g.scale
                }
            };
            if !v.is_finite() {
                return Err(Error::Argument {
                    kind: ErrorKind::NonFinite,
                    name: "row".into(),
                    reason: format!("value {v} after preprocessing"),
                });
            }
            out.push(v);
        }
        Ok(())
    }

    /// Transforms a row-major matrix.
    pub fn transform(&self, x: &[f64]) -> Result<Vec<f64>> {
        let p = self.transforms.len();
        let mut out = Vec::with_capacity(x.len() / p.max(1) * self.outputs.len());
        let mut buf = Vec::with_capacity(self.outputs.len());
        for row in x.chunks(p.max(1)) {
            self.transform_row(row, &mut buf)?;
            out.extend_from_slice(&buf);
        }
        Ok(out)
    }

    /// Checks every field after loading from JSON, as [`Preprocessor::fit`] would have written
    /// it: finite fills and means, positive finite scales, groups of at least two distinct
    /// inputs with signs of ±1, and outputs that use every input exactly once and every group
    /// exactly once. A model edited by hand fails here instead of predicting other numbers.
    pub(crate) fn check(&self) -> Result<()> {
        let bad = |what: String| Err(Error::parse("churn model", format!("preprocessor: {what}")));
        self.config.validate()?;
        let p = self.transforms.len();
        for (i, t) in self.transforms.iter().enumerate() {
            if !(t.fill.is_finite() && t.mean.is_finite()) {
                return bad(format!("transforms[{i}] (`{}`) has a non-finite fill or mean", t.name));
            }
            if !(t.scale.is_finite() && t.scale > 0.0) {
                return bad(format!("transforms[{i}] (`{}`) scale must be a finite positive number, got {}", t.name, t.scale));
            }
        }
        // How often each input and each group is used by the outputs (directly or as a member).
        let mut input_uses = vec![0usize; p];
        let mut group_uses = vec![0usize; self.groups.len()];
        for g in &self.groups {
            if g.members.len() < 2 || g.members.len() != g.signs.len() {
                return bad(format!("group `{}` needs at least two members, each with a sign", g.name));
            }
            if g.members.iter().any(|&m| m >= p) {
                return bad(format!("group `{}` refers to a missing feature", g.name));
            }
            if g.signs.iter().any(|&s| s != 1.0 && s != -1.0) {
                return bad(format!("group `{}` signs must be 1 or -1", g.name));
            }
            if !(g.mean.is_finite() && g.scale.is_finite() && g.scale > 0.0) {
                return bad(format!("group `{}` needs a finite mean and a finite positive scale", g.name));
            }
            for &m in &g.members {
                input_uses[m] += 1;
            }
        }
        for (k, o) in self.outputs.iter().enumerate() {
            match o {
                Output::Feature { input } if *input < p => input_uses[*input] += 1,
                Output::Group { group } if *group < self.groups.len() => group_uses[*group] += 1,
                _ => return bad(format!("outputs[{k}] refers to a missing feature or group")),
            }
        }
        if let Some(i) = input_uses.iter().position(|&n| n != 1) {
            return bad(format!(
                "feature `{}` is used {} times by the outputs (exactly once expected)",
                self.transforms[i].name, input_uses[i]
            ));
        }
        if let Some(k) = group_uses.iter().position(|&n| n != 1) {
            return bad(format!("group `{}` is output {} times (exactly once expected)", self.groups[k].name, group_uses[k]));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skewed_features_get_logged_and_groups_form() -> Result<()> {
        let names: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let mut x = Vec::new();
        for i in 0..100 {
            let a = f64::from(i);
            x.extend_from_slice(&[a, -2.0 * a + 1.0, if i % 10 == 0 { 1000.0 } else { 1.0 }]);
        }
        x[5] = f64::NAN;
        let cfg = PreprocessConfig::default().with_correlation_threshold(Some(0.9));
        let pre = Preprocessor::fit(&names, &x, &cfg)?;
        assert!(pre.transforms[2].log);
        assert!(!pre.transforms[0].log);
        assert_eq!(pre.output_names(), vec!["a+-b".to_string(), "c".to_string()]);
        let z = pre.transform(&x)?;
        assert_eq!(z.len(), 200);
        let col0: Vec<f64> = z.chunks(2).map(|r| r[0]).collect();
        let (m, s) = mean_std(&col0);
        assert!(m.abs() < 1e-9 && (s - 1.0).abs() < 1e-9);
        Ok(())
    }

    #[test]
    fn constant_and_infinite_features_are_errors() {
        let names = vec!["k".to_string()];
        let e = Preprocessor::fit(&names, &[1.0, 1.0, 1.0], &PreprocessConfig::default());
        assert_eq!(e.map_err(|e| e.code()).err(), Some("invalid_argument"));
        let e = Preprocessor::fit(&names, &[1.0, f64::INFINITY, 1.0], &PreprocessConfig::default());
        assert_eq!(e.map_err(|e| e.code()).err(), Some("non_finite"));
    }
}
