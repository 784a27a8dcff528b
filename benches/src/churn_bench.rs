//! Fit-time benchmark of the churn models on a raw matrix written by benches/churn.py.
//! `churn_bench <dir> <rows> <cols>` reads `<dir>/x.f64`, `<dir>/y.u8` (training) and
//! `<dir>/xt.f64`, `<dir>/yt.u8` (hold-out), fits logistic regression (L2, C=1) and boosted trees
//! (100 trees, 31 leaves, learning rate 0.1, 255 bins, 20 rows per leaf — LightGBM's defaults)
//! and prints one JSON object.

use std::time::Instant;

use custfit::churn::{roc_auc, BoostedTrees, BoostedTreesConfig, LogisticConfig, LogisticModel, Penalty};

fn read_f64(path: &str) -> Vec<f64> {
    let bytes = std::fs::read(path).unwrap_or_default();
    bytes.chunks_exact(8).map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])).collect()
}

fn read_labels(path: &str) -> Vec<bool> {
    std::fs::read(path).unwrap_or_default().into_iter().map(|b| b == 1).collect()
}

fn main() -> Result<(), custfit::Error> {
    let args: Vec<String> = std::env::args().collect();
    let dir = args.get(1).cloned().unwrap_or_else(|| "/tmp/custfit-churn-bench".into());
    let p: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(30);
    let x = read_f64(&format!("{dir}/x.f64"));
    let y = read_labels(&format!("{dir}/y.u8"));
    let xt = read_f64(&format!("{dir}/xt.f64"));
    let yt = read_labels(&format!("{dir}/yt.u8"));
    let which = args.get(4).cloned().unwrap_or_else(|| "all".into());
    let mut out = serde_json::Map::new();
    if which == "all" || which == "logistic" {
        let t = Instant::now();
        let m = LogisticModel::fit(&x, p, &y, &LogisticConfig::default().with_penalty(Penalty::L2).with_c(1.0))?;
        let secs = t.elapsed().as_secs_f64();
        out.insert("logistic_fit_s".into(), secs.into());
        out.insert("logistic_iterations".into(), m.iterations.into());
        out.insert("logistic_auc".into(), roc_auc(&m.predict(&xt), &yt)?.into());
        out.insert("logistic_coef".into(), serde_json::json!(m.coefficients));
        out.insert("logistic_intercept".into(), m.intercept.into());
        let t = Instant::now();
        let m1 = LogisticModel::fit(&x, p, &y, &LogisticConfig::default().with_penalty(Penalty::L1).with_c(1.0))?;
        out.insert("logistic_l1_fit_s".into(), t.elapsed().as_secs_f64().into());
        out.insert("logistic_l1_coef".into(), serde_json::json!(m1.coefficients));
        out.insert("logistic_l1_intercept".into(), m1.intercept.into());
    }
    if which == "all" || which == "boosted" {
        let t = Instant::now();
        let m = BoostedTrees::fit(&x, p, &y, &BoostedTreesConfig::default())?;
        out.insert("boosted_fit_s".into(), t.elapsed().as_secs_f64().into());
        out.insert("boosted_auc".into(), roc_auc(&m.predict(&xt), &yt)?.into());
    }
    println!("{}", serde_json::Value::Object(out));
    Ok(())
}
