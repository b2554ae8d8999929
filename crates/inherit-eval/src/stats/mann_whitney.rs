//! Mann–Whitney U test (two-sided), as scipy's `mannwhitneyu(x, y)` with
//! `method="auto"`: the exact null distribution when there are no ties and one sample
//! has at most 8 values, else the normal approximation with tie and continuity
//! corrections.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use super::rank::tied_ranks;
use crate::error::{Error, Result};

/// How the p-value was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MwuMethod {
    /// Exact permutation distribution of U.
    Exact,
    /// Normal approximation with tie and continuity corrections.
    Asymptotic,
}

/// A Mann–Whitney U result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MannWhitney {
    /// U of the first sample (the number of pairs where x beats y, ties counting 1/2).
    pub u: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Which method gave the p-value.
    pub method: MwuMethod,
    /// Rank-biserial correlation `2U / (n_x n_y) - 1`, in [-1, 1].
    pub rank_biserial: f64,
}

/// Two-sided Mann–Whitney U test of `x` against `y`.
pub fn mann_whitney_u(x: &[f64], y: &[f64]) -> Result<MannWhitney> {
    if x.is_empty() || y.is_empty() {
        return Err(Error::NoData(
            "Mann–Whitney U needs values in both samples".into(),
        ));
    }
    if x.iter().chain(y).any(|v| v.is_nan()) {
        return Err(Error::invalid("x, y", "values must not be NaN"));
    }
    let (n1, n2) = (x.len(), y.len());
    let all: Vec<f64> = x.iter().chain(y).copied().collect();
    let (ranks, ties) = tied_ranks(&all);
    let r1: f64 = ranks[..n1].iter().sum();
    let u1 = r1 - (n1 * (n1 + 1)) as f64 / 2.0;
    let u2 = (n1 * n2) as f64 - u1;
    let u = u1.max(u2);
    let has_ties = ties.iter().any(|&t| t > 1);
    let (p, method) = if (n1 > 8 && n2 > 8) || has_ties {
        let n = (n1 + n2) as f64;
        let tie_term: f64 = ties.iter().map(|&t| (t * t * t - t) as f64).sum();
        let s = ((n1 * n2) as f64 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)))).sqrt();
        let z = (u - (n1 * n2) as f64 / 2.0 - 0.5) / s;
        let normal = Normal::standard();
        (2.0 * normal.sf(z), MwuMethod::Asymptotic)
    } else {
        (2.0 * exact_sf(u as usize, n1, n2), MwuMethod::Exact)
    };
    Ok(MannWhitney {
        u: u1,
        p_value: p.clamp(0.0, 1.0),
        method,
        rank_biserial: 2.0 * u1 / (n1 * n2) as f64 - 1.0,
    })
}

/// P(U >= u) under the null, by counting rank arrangements.
fn exact_sf(u: usize, n1: usize, n2: usize) -> f64 {
    // freq[m][k]: arrangements of m x-values among m + j values with U = k, built up
    // over j with the recurrence f(m, j, k) = f(m - 1, j, k - j) + f(m, j - 1, k).
    let max_u = n1 * n2;
    let mut prev: Vec<Vec<f64>> = (0..=n1)
        .map(|m| {
            let mut v = vec![0.0; max_u + 1];
            if m <= n1 {
                v[0] = 1.0; // j = 0: only U = 0
            }
            v
        })
        .collect();
    for j in 1..=n2 {
        let mut cur = vec![vec![0.0; max_u + 1]; n1 + 1];
        cur[0][0] = 1.0;
        for m in 1..=n1 {
            for k in 0..=max_u {
                let a = if k >= j { cur[m - 1][k - j] } else { 0.0 };
                cur[m][k] = a + prev[m][k];
            }
        }
        prev = cur;
    }
    let freq = &prev[n1];
    let total: f64 = freq.iter().sum();
    freq[u..].iter().sum::<f64>() / total
}
