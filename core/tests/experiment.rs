//! Experiments: properties of the assignment and the estimators.

use custfit::experiment::{cuped, holdout_draw, is_held_out, welch};
use custfit::stats::Rng;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The assignment is a function of (account, play, salt); its share converges to the
    /// configured one; a larger share holds out a superset.
    #[test]
    fn assignment_is_deterministic_nested_and_converges(share in 0.01f64..0.6, salt in "[a-z0-9]{0,12}", extra in 0.0f64..0.3) {
        let n = 20_000;
        let ids: Vec<String> = (0..n).map(|i| format!("acct-{i}")).collect();
        let held: Vec<bool> = ids.iter().map(|a| is_held_out(a, "play", &salt, share)).collect();
        let again: Vec<bool> = ids.iter().map(|a| is_held_out(a, "play", &salt, share)).collect();
        prop_assert_eq!(&held, &again);
        let rate = held.iter().filter(|h| **h).count() as f64 / n as f64;
        // Four binomial standard deviations.
        prop_assert!((rate - share).abs() < 4.0 * (share * (1.0 - share) / n as f64).sqrt(), "{} vs {}", rate, share);
        let larger = (share + extra).min(1.0);
        for (a, h) in ids.iter().zip(&held) {
            prop_assert!(!*h || is_held_out(a, "play", &salt, larger));
            let d = holdout_draw(a, "play", &salt);
            prop_assert!((0.0..1.0).contains(&d));
        }
    }

    /// Intervals shrink as the arms grow.
    #[test]
    fn intervals_shrink_with_n(seed in any::<u64>()) {
        let mut rng = Rng::new(seed, 0);
        let mut draw = |n: usize, mean: f64| -> Vec<f64> { (0..n).map(|_| mean + 2.0 * rng.normal()).collect() };
        let small = welch(&draw(200, 1.0), &draw(200, 1.3), 0.95).expect("small");
        let large = welch(&draw(5_000, 1.0), &draw(5_000, 1.3), 0.95).expect("large");
        prop_assert!(large.ci_high - large.ci_low < small.ci_high - small.ci_low);
    }

    /// On correlated data CUPED's standard error is below the unadjusted one.
    #[test]
    fn cuped_reduces_the_standard_error_on_correlated_data(seed in any::<u64>(), slope in 0.3f64..2.0) {
        let mut rng = Rng::new(seed, 1);
        let mut arm = |n: usize, lift: f64| -> (Vec<f64>, Vec<f64>) {
            let x: Vec<f64> = (0..n).map(|_| 5.0 + rng.normal()).collect();
            let y = x.iter().map(|x| slope * x + lift + rng.normal()).collect();
            (y, x)
        };
        let ((yc, xc), (yt, xt)) = (arm(1_000, 0.0), arm(1_000, 0.2));
        let plain = welch(&yc, &yt, 0.95).expect("welch");
        let adjusted = cuped((&yc, &xc), (&yt, &xt), 0.95).expect("cuped");
        prop_assert!(adjusted.variance_reduction > 0.0);
        prop_assert!(adjusted.effect.std_error < plain.std_error);
    }
}
