//! Deterministic holdout assignment: a draw in [0, 1) per (account, play, salt), held out below
//! the share — so growing a holdout from 10 % to 20 % keeps every earlier holdout account in it,
//! and changing the salt deals the accounts anew.

/// The draw of `account` for `play` (the experiment's name; the global holdout uses its own)
/// under `salt`, in [0, 1): the 64-bit FNV-1a hash of the UTF-8 bytes of `salt`, a 0x1F byte,
/// `play`, a 0x1F byte and `account`, passed through the splitmix64 finaliser, whose top 53 bits
/// are divided by 2^53. Any language can reproduce it from this description.
pub fn holdout_draw(account: &str, play: &str, salt: &str) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat(salt.as_bytes());
    eat(&[0x1f]);
    eat(play.as_bytes());
    eat(&[0x1f]);
    eat(account.as_bytes());
    let mut x = h;
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// True when `account` is in the holdout of `play` under `salt` at `share` (0 to 1; outside
/// that range it is clamped): its draw is below the share.
pub fn is_held_out(account: &str, play: &str, salt: &str, share: f64) -> bool {
    let share = if share.is_nan() { 0.0 } else { share.clamp(0.0, 1.0) };
    holdout_draw(account, play, salt) < share
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_stable_uniform_and_nested() {
        // Fixed: these values are the definition other languages check against.
        let d = holdout_draw("acc-1", "check_in_call", "2026");
        assert_eq!(d, holdout_draw("acc-1", "check_in_call", "2026"));
        assert_ne!(d, holdout_draw("acc-1", "check_in_call", "2027"));
        assert_ne!(d, holdout_draw("acc-1", "other_play", "2026"));
        // The separator keeps ("ab", "c") and ("a", "bc") apart.
        assert_ne!(holdout_draw("c", "ab", "s"), holdout_draw("bc", "a", "s"));
        let n = 100_000;
        let ids: Vec<String> = (0..n).map(|i| format!("acc-{i}")).collect();
        for share in [0.05, 0.1, 0.2, 0.5] {
            let held = ids.iter().filter(|a| is_held_out(a, "p", "s", share)).count() as f64 / n as f64;
            assert!((held - share).abs() < 0.005, "share {share}: {held}");
        }
        // Growing the share keeps every earlier holdout account.
        assert!(ids.iter().filter(|a| is_held_out(a, "p", "s", 0.1)).all(|a| is_held_out(a, "p", "s", 0.2)));
        assert!(!is_held_out("x", "p", "s", 0.0) && is_held_out("x", "p", "s", 1.0) && !is_held_out("x", "p", "s", f64::NAN));
    }
}
