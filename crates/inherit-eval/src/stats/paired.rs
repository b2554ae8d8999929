//! Paired comparisons over replicates (the seed is the replicate): the paired t-test
//! beside an exact sign-flip (permutation) test, zero-variance differences reported as
//! such (never as p = 0), the t interval of the mean difference and the minimum
//! detectable effect, so that a null result says how large an effect it rules out.

use rand::RngExt;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::{Interval, TTest, mean, paired_t_test, variance};
use crate::error::{Error, Result};

/// Up to this many pairs the sign-flip test enumerates all `2^n` sign patterns; beyond it
/// it draws [`SIGN_FLIP_DRAWS`] seeded patterns.
pub const SIGN_FLIP_EXACT_MAX: usize = 20;

/// Random sign patterns drawn when there are more than [`SIGN_FLIP_EXACT_MAX`] pairs.
pub const SIGN_FLIP_DRAWS: usize = 100_000;

/// A two-sided sign-flip (paired permutation) test of mean difference 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SignFlip {
    /// Pairs.
    pub n: usize,
    /// Two-sided p-value: the share of sign patterns whose |sum| reaches the observed
    /// |sum| (1 when every difference is 0).
    pub p_value: f64,
    /// True when every pattern was enumerated; false for a seeded Monte Carlo estimate
    /// (`(1 + hits) / (1 + draws)`).
    pub exact: bool,
    /// The smallest p-value the test can give with `n` pairs (`2 / 2^n` when exact): with
    /// 3 seeds no result can reach below 0.25.
    pub min_p: f64,
}

/// The sign-flip test of the differences `d` (seeded when `d` has more than
/// [`SIGN_FLIP_EXACT_MAX`] values). Errors on no values or a non-finite difference.
pub fn sign_flip_test(d: &[f64], seed: u64) -> Result<SignFlip> {
    if d.is_empty() {
        return Err(Error::NoData("sign-flip test of no differences".into()));
    }
    if let Some(i) = d.iter().position(|v| !v.is_finite()) {
        return Err(Error::invalid(
            "differences",
            format!("value {i} is not finite ({})", d[i]),
        ));
    }
    let n = d.len();
    let observed = d.iter().sum::<f64>().abs();
    // Sums that equal the observed one up to rounding count as reaching it.
    let scale: f64 = d.iter().map(|v| v.abs()).sum();
    let tol = 1e-12 * scale.max(1.0);
    if scale == 0.0 {
        return Ok(SignFlip {
            n,
            p_value: 1.0,
            exact: true,
            min_p: 1.0,
        });
    }
    if n <= SIGN_FLIP_EXACT_MAX {
        let total = 1u64 << n;
        let mut hits = 0u64;
        for pattern in 0..total {
            let s: f64 = d
                .iter()
                .enumerate()
                .map(|(i, v)| if pattern >> i & 1 == 1 { -v } else { *v })
                .sum();
            if s.abs() >= observed - tol {
                hits += 1;
            }
        }
        return Ok(SignFlip {
            n,
            p_value: hits as f64 / total as f64,
            exact: true,
            min_p: 2.0 / total as f64,
        });
    }
    let mut rng = inherit_core::seeded_rng(seed);
    let mut hits = 0usize;
    for _ in 0..SIGN_FLIP_DRAWS {
        let s: f64 = d
            .iter()
            .map(|v| if rng.random_bool(0.5) { -v } else { *v })
            .sum();
        if s.abs() >= observed - tol {
            hits += 1;
        }
    }
    Ok(SignFlip {
        n,
        p_value: (1 + hits) as f64 / (1 + SIGN_FLIP_DRAWS) as f64,
        exact: false,
        min_p: 1.0 / (1 + SIGN_FLIP_DRAWS) as f64,
    })
}

/// The smallest true mean difference a two-sided paired t-test at level `alpha` detects
/// with probability `power`, given the differences' standard deviation `sd` over `n`
/// pairs: `(t_{1−α/2, n−1} + t_{power, n−1}) · sd / √n` (the usual central-t
/// approximation of the noncentral power function; slightly optimistic for very few
/// pairs). NaN for fewer than two pairs or a non-finite `sd`.
pub fn minimum_detectable_effect(sd: f64, n: usize, alpha: f64, power: f64) -> f64 {
    if n < 2 || !sd.is_finite() || !(0.0 < alpha && alpha < 1.0) || !(0.0 < power && power < 1.0) {
        return f64::NAN;
    }
    let Ok(t) = StudentsT::new(0.0, 1.0, (n - 1) as f64) else {
        return f64::NAN;
    };
    (t.inverse_cdf(1.0 - alpha / 2.0) + t.inverse_cdf(power)) * sd / (n as f64).sqrt()
}

/// One paired comparison of `x` against `y` over replicates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairedComparison {
    /// Pairs.
    pub n: usize,
    /// Mean of `x`.
    pub mean_x: f64,
    /// Mean of `y`.
    pub mean_y: f64,
    /// Mean of `x − y`.
    pub mean_diff: f64,
    /// Standard deviation of `x − y` (NaN for one pair).
    pub sd_diff: f64,
    /// True when every difference is the same (a t statistic would be ±∞ or undefined):
    /// the t-test is then left out, never reported as p = 0.
    pub zero_variance: bool,
    /// The paired t-test; `None` for fewer than two pairs or zero variance.
    pub t_test: Option<TTest>,
    /// The exact sign-flip test.
    pub sign_flip: SignFlip,
    /// The t interval of the mean difference at the requested confidence (NaN bounds
    /// for one pair; zero width with zero variance).
    pub ci: Interval,
    /// The minimum detectable effect (α and power as requested) from the observed SD.
    pub mde: f64,
}

impl PairedComparison {
    /// The t-test's p-value, or NaN when there is none.
    pub fn t_p(&self) -> f64 {
        self.t_test.map_or(f64::NAN, |t| t.p_value)
    }
}

/// Compares `x` with `y` paired by position: t-test, sign-flip test (seeded beyond
/// [`SIGN_FLIP_EXACT_MAX`] pairs), the `1 − alpha` t interval of the mean difference and
/// the minimum detectable effect at `alpha` and `power`.
pub fn paired_comparison(
    x: &[f64],
    y: &[f64],
    alpha: f64,
    power: f64,
    seed: u64,
) -> Result<PairedComparison> {
    Error::check_len("y", x.len(), y.len())?;
    let d: Vec<f64> = x.iter().zip(y).map(|(a, b)| a - b).collect();
    let sign_flip = sign_flip_test(&d, seed)?;
    let n = d.len();
    let mean_diff = mean(&d);
    let sd_diff = variance(&d).sqrt();
    let zero_variance = d.iter().all(|v| *v == d[0]);
    let t_test = if n >= 2 && !zero_variance {
        Some(paired_t_test(x, y)?)
    } else {
        None
    };
    let ci = if n < 2 {
        Interval {
            low: f64::NAN,
            high: f64::NAN,
        }
    } else {
        let t = StudentsT::new(0.0, 1.0, (n - 1) as f64)
            .map_err(|e| Error::invalid("n", e.to_string()))?
            .inverse_cdf(1.0 - alpha / 2.0);
        let half = t * sd_diff / (n as f64).sqrt();
        Interval {
            low: mean_diff - half,
            high: mean_diff + half,
        }
    };
    Ok(PairedComparison {
        n,
        mean_x: mean(x),
        mean_y: mean(y),
        mean_diff,
        sd_diff,
        zero_variance,
        t_test,
        sign_flip,
        ci,
        mde: minimum_detectable_effect(sd_diff, n, alpha, power),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_flip_counts_patterns_by_hand() {
        // d = (1, 2, 3): sums over the 8 patterns are ±6, ±4, ±2, ±0 → |sum| >= 6 in 2.
        let t = sign_flip_test(&[1.0, 2.0, 3.0], 0).unwrap();
        assert!(t.exact);
        assert_eq!(t.p_value, 0.25);
        assert_eq!(t.min_p, 0.25);
        // d = (1, -1, 2): observed |2|; |sum| over patterns: 2,0,4,2,2,4,0,2 → 6 of 8.
        assert_eq!(sign_flip_test(&[1.0, -1.0, 2.0], 0).unwrap().p_value, 0.75);
        // All zero: nothing to detect.
        assert_eq!(sign_flip_test(&[0.0, 0.0], 0).unwrap().p_value, 1.0);
        assert!(sign_flip_test(&[], 0).is_err());
        assert!(sign_flip_test(&[1.0, f64::NAN], 0).is_err());
    }

    #[test]
    fn zero_variance_is_not_p_zero() {
        let c = paired_comparison(&[0.5, 0.5, 0.5], &[0.0, 0.0, 0.0], 0.05, 0.8, 0).unwrap();
        assert!(c.zero_variance);
        assert!(c.t_test.is_none() && c.t_p().is_nan());
        // The exact test still speaks: 2 of 8 patterns reach |1.5|.
        assert_eq!(c.sign_flip.p_value, 0.25);
        assert_eq!(c.mean_diff, 0.5);
        assert_eq!((c.ci.low, c.ci.high), (0.5, 0.5));
    }

    #[test]
    fn mde_matches_t_quantiles_by_hand() {
        // t_{0.975, 5} = 2.570581836, t_{0.8, 5} = 0.919543780 (t tables / scipy.stats.t.ppf).
        let mde = minimum_detectable_effect(1.0, 6, 0.05, 0.8);
        let want = (2.570_581_836 + 0.919_543_780) / 6f64.sqrt();
        assert!((mde - want).abs() < 1e-6, "{mde} vs {want}");
        assert!(minimum_detectable_effect(1.0, 1, 0.05, 0.8).is_nan());
    }

    #[test]
    fn many_pairs_use_a_seeded_monte_carlo() {
        let d: Vec<f64> = (0..30)
            .map(|i| if i % 3 == 0 { -1.0 } else { 1.0 })
            .collect();
        let a = sign_flip_test(&d, 7).unwrap();
        let b = sign_flip_test(&d, 7).unwrap();
        assert!(!a.exact);
        assert_eq!(a.p_value, b.p_value);
        // Sum 10 over 30 unit differences: a flipped sum is 2K − 30 with K ~ Bin(30, 1/2),
        // so p = 2·P(K ≥ 20) = 0.0987371 (scipy 1.17.1 `2 * binom.sf(19, 30, 0.5)`); the
        // Monte Carlo standard error at 100,000 draws is about 0.001.
        assert!((a.p_value - 0.098_737_146_7).abs() < 0.004, "{}", a.p_value);
    }
}
