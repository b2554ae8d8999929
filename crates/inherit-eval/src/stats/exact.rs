//! Exact tests for small counts, where a χ² approximation does not hold: the two-sided
//! binomial test (scipy `binomtest`) and Fisher's exact test of a 2 × 2 table (scipy
//! `fisher_exact`). Both sum the probabilities of every outcome no likelier than the
//! observed one (with scipy's relative tolerance of 1e-7).

use statrs::function::factorial::ln_binomial;

use crate::error::{Error, Result};

/// Outcomes within this relative margin of the observed probability count as "as
/// likely" (scipy's `1 + 1e-7`).
const RELATIVE_TOLERANCE: f64 = 1.0 + 1e-7;

fn ln_binom_pmf(k: u64, n: u64, p: f64) -> f64 {
    if p == 0.0 {
        return if k == 0 { 0.0 } else { f64::NEG_INFINITY };
    }
    if p == 1.0 {
        return if k == n { 0.0 } else { f64::NEG_INFINITY };
    }
    ln_binomial(n, k) + k as f64 * p.ln() + (n - k) as f64 * (1.0 - p).ln()
}

/// Two-sided exact binomial test of `k` successes in `n` trials against success
/// probability `p`: the probability of every outcome no likelier than `k`.
pub fn binomial_test(k: u64, n: u64, p: f64) -> Result<f64> {
    if n == 0 || k > n {
        return Err(Error::invalid(
            "k, n",
            format!("need 0 <= k <= n and n >= 1, got k = {k}, n = {n}"),
        ));
    }
    if !(0.0..=1.0).contains(&p) {
        return Err(Error::invalid("p", format!("must be in [0, 1], got {p}")));
    }
    let observed = ln_binom_pmf(k, n, p);
    let p_value: f64 = (0..=n)
        .map(|i| ln_binom_pmf(i, n, p))
        .filter(|&l| l <= observed + RELATIVE_TOLERANCE.ln())
        .map(f64::exp)
        .sum();
    Ok(p_value.min(1.0))
}

/// Two-sided Fisher exact test of the 2 × 2 table `[[a, b], [c, d]]` (margins fixed):
/// the probability of every table no likelier than the observed one.
pub fn fisher_exact(table: [[u64; 2]; 2]) -> Result<f64> {
    let [[a, b], [c, d]] = table;
    let (row1, col1, n) = (a + b, a + c, a + b + c + d);
    if n == 0 {
        return Err(Error::NoData("Fisher's test of an empty table".into()));
    }
    // The hypergeometric probability of `x` in the top-left cell.
    let ln_p =
        |x: u64| ln_binomial(col1, x) + ln_binomial(n - col1, row1 - x) - ln_binomial(n, row1);
    let lo = row1.saturating_sub(n - col1);
    let hi = row1.min(col1);
    let observed = ln_p(a);
    let p_value: f64 = (lo..=hi)
        .map(ln_p)
        .filter(|&l| l <= observed + RELATIVE_TOLERANCE.ln())
        .map(f64::exp)
        .sum();
    Ok(p_value.min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(got: f64, want: f64) {
        assert!((got - want).abs() < 1e-12, "got {got}, want {want}");
    }

    #[test]
    fn binomial_equals_scipy() {
        // scipy 1.17.1: binomtest(3, 10, 0.5).pvalue = 0.34375 (= 2 · 176/1024 by hand),
        // binomtest(2, 20, 0.3).pvalue, binomtest(7, 9, 0.5).pvalue.
        close(binomial_test(3, 10, 0.5).unwrap(), 0.34375);
        close(binomial_test(2, 20, 0.3).unwrap(), 0.05262794872972706);
        close(binomial_test(7, 9, 0.5).unwrap(), 0.1796875);
        close(binomial_test(5, 10, 0.5).unwrap(), 1.0);
        assert!(binomial_test(3, 2, 0.5).is_err());
        assert!(binomial_test(1, 2, 1.5).is_err());
    }

    #[test]
    fn fisher_equals_scipy() {
        // scipy 1.17.1: fisher_exact(table).pvalue.
        close(
            fisher_exact([[8, 2], [1, 5]]).unwrap(),
            0.034965034965034975,
        );
        close(
            fisher_exact([[3, 7], [9, 1]]).unwrap(),
            0.019766611097880443,
        );
        close(
            fisher_exact([[0, 5], [5, 0]]).unwrap(),
            0.007936507936507938,
        );
        close(fisher_exact([[2, 2], [2, 2]]).unwrap(), 1.0);
        assert!(fisher_exact([[0, 0], [0, 0]]).is_err());
    }
}
