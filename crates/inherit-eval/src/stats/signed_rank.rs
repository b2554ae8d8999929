//! Wilcoxon's signed-rank test for paired samples, exact under sign flips (ties
//! included).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::stats::rank::average_ranks;

/// The most non-zero differences [`wilcoxon_signed_rank`] treats exactly; beyond it the
/// normal approximation (tie-corrected, no continuity correction) is used. The exact
/// distribution costs `n² (n + 1)` steps: 64 million at this bound.
pub const MAX_EXACT_SIGNED_RANK: usize = 400;

/// A Wilcoxon signed-rank test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SignedRank {
    /// Number of non-zero differences (the ones ranked).
    pub n: usize,
    /// Number of zero differences (dropped, Wilcoxon's original treatment and scipy's
    /// `zero_method="wilcox"`).
    pub zeros: usize,
    /// Sum of the ranks of the positive differences.
    pub w_plus: f64,
    /// Two-sided p-value; 1 when no difference is non-zero.
    pub p_value: f64,
    /// Whether `p_value` is exact (`n <= MAX_EXACT_SIGNED_RANK`) or from the normal
    /// approximation.
    pub exact: bool,
}

/// Wilcoxon's signed-rank test of `differences` (paired `after - before`) against a
/// distribution symmetric about 0.
///
/// Zeros are dropped; absolute differences are ranked with ties averaged. The p-value is
/// exact under the null that each difference's sign is a fair coin given the absolute
/// values (the sign-flip permutation distribution of `W+`, ties included): two-sided,
/// `min(1, 2 min(P(W+ <= w), P(W+ >= w)))`. Without ties and zeros it equals scipy's
/// `wilcoxon(d, method="exact")`. Non-finite differences are an error.
pub fn wilcoxon_signed_rank(differences: &[f64]) -> Result<SignedRank> {
    if differences.iter().any(|d| !d.is_finite()) {
        return Err(Error::invalid(
            "differences",
            "every difference must be finite",
        ));
    }
    let nonzero: Vec<f64> = differences.iter().copied().filter(|d| *d != 0.0).collect();
    let zeros = differences.len() - nonzero.len();
    let n = nonzero.len();
    if n == 0 {
        return Ok(SignedRank {
            n,
            zeros,
            w_plus: 0.0,
            p_value: 1.0,
            exact: true,
        });
    }
    let abs: Vec<f64> = nonzero.iter().map(|d| d.abs()).collect();
    let ranks = average_ranks(&abs);
    let w_plus: f64 = ranks
        .iter()
        .zip(&nonzero)
        .filter(|(_, d)| **d > 0.0)
        .map(|(r, _)| r)
        .sum();
    if n <= MAX_EXACT_SIGNED_RANK {
        // Average ranks are multiples of 1/2: count in half-ranks.
        let halves: Vec<usize> = ranks.iter().map(|r| (2.0 * r).round() as usize).collect();
        let total: usize = halves.iter().sum();
        let mut dist = vec![0.0f64; total + 1];
        dist[0] = 1.0;
        let mut reach = 0;
        for &h in &halves {
            for s in (0..=reach).rev() {
                let p = dist[s] * 0.5;
                dist[s] = p;
                dist[s + h] += p;
            }
            reach += h;
        }
        let w = (2.0 * w_plus).round() as usize;
        let lower: f64 = dist[..=w].iter().sum();
        let upper: f64 = dist[w..].iter().sum();
        return Ok(SignedRank {
            n,
            zeros,
            w_plus,
            p_value: (2.0 * lower.min(upper)).min(1.0),
            exact: true,
        });
    }
    let nf = n as f64;
    let mean = nf * (nf + 1.0) / 4.0;
    let var = ranks.iter().map(|r| r * r).sum::<f64>() / 4.0;
    let z = (w_plus - mean) / var.sqrt();
    let normal = statrs::distribution::Normal::standard();
    let tail = statrs::distribution::ContinuousCDF::sf(&normal, z.abs());
    Ok(SignedRank {
        n,
        zeros,
        w_plus,
        p_value: (2.0 * tail).min(1.0),
        exact: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_rank_equals_scipy_exact_without_ties() {
        // scipy 1.17.1: wilcoxon(d, method="exact") -> statistic 9 (= W-), p 0.064453125
        let d = [0.5, -1.2, 2.3, 3.1, 0.7, -0.2, 1.9, 2.2, -0.4, 1.0];
        let t = wilcoxon_signed_rank(&d).unwrap();
        assert_eq!((t.n, t.zeros, t.w_plus, t.exact), (10, 0, 46.0, true));
        assert!((t.p_value - 0.064453125).abs() < 1e-12, "{t:?}");
        // Mirrored differences: same p.
        let m: Vec<f64> = d.iter().map(|x| -x).collect();
        assert!((wilcoxon_signed_rank(&m).unwrap().p_value - 0.064453125).abs() < 1e-12);
    }

    #[test]
    fn signed_rank_is_exact_with_ties_and_zeros() {
        // Enumerating all 2^10 sign flips of the non-zero differences' average ranks
        // (Python 3.11.7, scipy.stats.rankdata): W+ = 47, p = 0.05078125.
        let d = [0.3, -0.3, 0.5, 0.5, 0.5, -0.1, 0.2, 0.0, 0.8, -0.2, 0.9];
        let t = wilcoxon_signed_rank(&d).unwrap();
        assert_eq!((t.n, t.zeros, t.w_plus), (10, 1, 47.0));
        assert!((t.p_value - 0.05078125).abs() < 1e-12, "{t:?}");
        // All positive: the most extreme of 2^n outcomes, p = 2 / 2^n.
        let t = wilcoxon_signed_rank(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert!((t.p_value - 2.0 / 32.0).abs() < 1e-15);
        assert_eq!(wilcoxon_signed_rank(&[0.0, 0.0]).unwrap().p_value, 1.0);
        assert!(wilcoxon_signed_rank(&[1.0, f64::NAN]).is_err());
    }

    #[test]
    fn signed_rank_approximation_takes_over_for_large_samples() {
        // 500 alternating ±(i+1): W+ is close to its mean, p near 1; shifted, p tiny.
        let d: Vec<f64> = (0..500)
            .map(|i| {
                if i % 2 == 0 {
                    (i + 1) as f64
                } else {
                    -((i + 1) as f64)
                }
            })
            .collect();
        let t = wilcoxon_signed_rank(&d).unwrap();
        assert!(!t.exact && t.p_value > 0.9, "{t:?}");
        let shifted: Vec<f64> = d.iter().map(|x| x + 200.0).collect();
        assert!(wilcoxon_signed_rank(&shifted).unwrap().p_value < 1e-6);
    }
}
