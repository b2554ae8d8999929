//! Effect sizes: Cohen's d (pooled), Hedges' g, paired d_z and Cramér's V.

use super::{mean, variance};
use crate::error::{Error, Result};

/// Cohen's d with the pooled standard deviation: `(mean(x) - mean(y)) / s_pooled`.
pub fn cohens_d(x: &[f64], y: &[f64]) -> Result<f64> {
    if x.len() < 2 || y.len() < 2 {
        return Err(Error::NoData(
            "Cohen's d needs two values per sample".into(),
        ));
    }
    let (nx, ny) = (x.len() as f64, y.len() as f64);
    let pooled = (((nx - 1.0) * variance(x) + (ny - 1.0) * variance(y)) / (nx + ny - 2.0)).sqrt();
    Ok((mean(x) - mean(y)) / pooled)
}

/// Hedges' g: Cohen's d times the small-sample correction `1 - 3 / (4 (n_x + n_y) - 9)`.
pub fn hedges_g(x: &[f64], y: &[f64]) -> Result<f64> {
    let n = (x.len() + y.len()) as f64;
    Ok(cohens_d(x, y)? * (1.0 - 3.0 / (4.0 * n - 9.0)))
}

/// Paired effect size d_z: mean difference over the standard deviation of differences.
pub fn cohens_d_paired(x: &[f64], y: &[f64]) -> Result<f64> {
    Error::check_len("y", x.len(), y.len())?;
    if x.len() < 2 {
        return Err(Error::NoData("paired d needs two pairs".into()));
    }
    let d: Vec<f64> = x.iter().zip(y).map(|(a, b)| a - b).collect();
    Ok(mean(&d) / variance(&d).sqrt())
}

/// Cramér's V of a contingency table from its (uncorrected) χ² statistic:
/// `sqrt(χ² / (n (min(r, c) - 1)))`.
pub fn cramers_v(chi2: f64, n: f64, rows: usize, cols: usize) -> Result<f64> {
    let k = rows.min(cols);
    if k < 2 || n <= 0.0 {
        return Err(Error::invalid(
            "table",
            "Cramér's V needs a table of at least 2 x 2 with n > 0",
        ));
    }
    Ok((chi2 / (n * (k - 1) as f64)).sqrt())
}
