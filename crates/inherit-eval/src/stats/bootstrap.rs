//! Percentile bootstrap confidence intervals, seeded.

use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Parameters of a percentile bootstrap.
///
/// | name | default | range |
/// |---|---|---|
/// | `n_boot` | 1000 | >= 2 |
/// | `confidence` | 0.95 | (0, 1) |
/// | `seed` | 0 | any; same seed, same resamples |
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BootstrapParams {
    /// Number of resamples.
    pub n_boot: usize,
    /// Confidence level of the interval (0.95: the 2.5% and 97.5% quantiles).
    pub confidence: f64,
    /// Seed of the resampling stream.
    pub seed: u64,
}

/// The most resamples [`BootstrapParams::check`] accepts: beyond it the run time and the
/// per-resample storage (one value per metric, group and resample) are unbounded for
/// no gain in the interval.
pub const MAX_RESAMPLES: usize = 100_000;

impl Default for BootstrapParams {
    fn default() -> Self {
        BootstrapParams {
            n_boot: 1000,
            confidence: 0.95,
            seed: 0,
        }
    }
}

impl BootstrapParams {
    /// Checks the ranges in the table above.
    pub fn check(&self) -> Result<()> {
        if !(2..=MAX_RESAMPLES).contains(&self.n_boot) {
            return Err(Error::invalid(
                "n_boot",
                format!("must be in 2..={MAX_RESAMPLES}, got {}", self.n_boot),
            ));
        }
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(Error::invalid(
                "confidence",
                format!("must be in (0, 1), got {}", self.confidence),
            ));
        }
        Ok(())
    }

    /// The lower and upper quantile levels.
    pub fn quantiles(&self) -> (f64, f64) {
        let a = (1.0 - self.confidence) / 2.0;
        (a, 1.0 - a)
    }
}

/// A confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

impl Interval {
    /// True when `x` lies within the bounds (inclusive).
    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }

    /// The interval of the finite values of `draws` at the params' quantiles (NaN
    /// bounds when no draw is finite).
    pub fn from_draws(draws: &mut [f64], params: &BootstrapParams) -> Interval {
        let (lo, hi) = params.quantiles();
        let mut finite: Vec<f64> = draws.iter().copied().filter(|v| !v.is_nan()).collect();
        finite.sort_by(f64::total_cmp);
        Interval {
            low: quantile_sorted(&finite, lo),
            high: quantile_sorted(&finite, hi),
        }
    }
}

/// The `q` quantile of sorted values with linear interpolation (numpy's default);
/// NaN for no values.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Percentile bootstrap interval of `statistic` over `data` (rows resampled with
/// replacement).
pub fn bootstrap_ci<T: Clone>(
    data: &[T],
    statistic: impl Fn(&[T]) -> f64,
    params: &BootstrapParams,
) -> Result<Interval> {
    params.check()?;
    if data.is_empty() {
        return Err(Error::NoData("bootstrap of an empty sample".into()));
    }
    let mut rng = inherit_core::seeded_rng(params.seed);
    let mut buf = Vec::with_capacity(data.len());
    let mut draws = Vec::with_capacity(params.n_boot);
    for _ in 0..params.n_boot {
        buf.clear();
        buf.extend((0..data.len()).map(|_| data[rng.random_range(0..data.len())].clone()));
        draws.push(statistic(&buf));
    }
    Ok(Interval::from_draws(&mut draws, params))
}

/// Percentile interval of the mean of group means under a two-level (nested) bootstrap:
/// groups (e.g. seeds, the replicates) are resampled with replacement, then the values
/// within each drawn group (e.g. the test profiles of that seed). Groups without values
/// are left out; errors when none has values or a value is not finite.
pub fn nested_bootstrap_mean(groups: &[Vec<f64>], params: &BootstrapParams) -> Result<Interval> {
    params.check()?;
    let groups: Vec<&Vec<f64>> = groups.iter().filter(|g| !g.is_empty()).collect();
    if groups.is_empty() {
        return Err(Error::NoData("nested bootstrap of no values".into()));
    }
    if groups.iter().flat_map(|g| g.iter()).any(|v| !v.is_finite()) {
        return Err(Error::invalid("values", "every value must be finite"));
    }
    let mut rng = inherit_core::seeded_rng(params.seed);
    let mut draws = Vec::with_capacity(params.n_boot);
    for _ in 0..params.n_boot {
        let mut total = 0.0;
        for _ in 0..groups.len() {
            let g = groups[rng.random_range(0..groups.len())];
            let sum: f64 = (0..g.len()).map(|_| g[rng.random_range(0..g.len())]).sum();
            total += sum / g.len() as f64;
        }
        draws.push(total / groups.len() as f64);
    }
    Ok(Interval::from_draws(&mut draws, params))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_like_numpy() {
        // numpy.quantile([1, 2, 3, 4], 0.25) = 1.75
        assert_eq!(quantile_sorted(&[1.0, 2.0, 3.0, 4.0], 0.25), 1.75);
        assert_eq!(quantile_sorted(&[5.0], 0.9), 5.0);
        assert!(quantile_sorted(&[], 0.5).is_nan());
    }

    #[test]
    fn bootstrap_mean_interval_covers_mean_and_is_seeded() {
        let data: Vec<f64> = (0..200).map(|i| (i % 10) as f64).collect();
        let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
        let p = BootstrapParams {
            n_boot: 300,
            confidence: 0.9,
            seed: 4,
        };
        let a = bootstrap_ci(&data, mean, &p).unwrap();
        let b = bootstrap_ci(&data, mean, &p).unwrap();
        assert_eq!(a, b);
        assert!(a.contains(4.5) && a.high - a.low < 1.0, "{a:?}");
        let c = bootstrap_ci(&data, mean, &BootstrapParams { seed: 5, ..p }).unwrap();
        assert_ne!(a, c);
        assert!(bootstrap_ci(&data, mean, &BootstrapParams { n_boot: 1, ..p }).is_err());
    }

    #[test]
    fn nested_bootstrap_spans_seed_and_profile_variation() {
        let params = BootstrapParams {
            n_boot: 2000,
            ..Default::default()
        };
        // Identical groups without spread: a point.
        let flat = vec![vec![0.3; 5]; 4];
        let i = nested_bootstrap_mean(&flat, &params).unwrap();
        assert!((i.low - 0.3).abs() < 1e-12 && (i.high - 0.3).abs() < 1e-12);
        // Groups that differ only in their level: the interval covers the seed spread's
        // mean and is wider than the interval of one group alone.
        let seeds = vec![vec![0.0, 0.1], vec![1.0, 1.1], vec![0.5, 0.6]];
        let i = nested_bootstrap_mean(&seeds, &params).unwrap();
        assert!(i.contains(0.55) && i.low < 0.3 && i.high > 0.8, "{i:?}");
        let one = nested_bootstrap_mean(&seeds[..1], &params).unwrap();
        assert!(one.high - one.low < i.high - i.low);
        assert_eq!(i, nested_bootstrap_mean(&seeds, &params).unwrap());
        assert!(nested_bootstrap_mean(&[vec![]], &params).is_err());
        assert!(nested_bootstrap_mean(&[vec![f64::NAN]], &params).is_err());
    }
}
