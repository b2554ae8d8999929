//! Student, Welch and paired t-tests (two-sided), and the t-based interval of a mean.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::{mean, variance};
use crate::error::{Error, Result};

/// A t-test result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TTest {
    /// The t statistic (positive when the first sample's mean is larger).
    pub statistic: f64,
    /// Degrees of freedom (Welch–Satterthwaite for Welch's test).
    pub df: f64,
    /// Two-sided p-value.
    pub p_value: f64,
}

fn two_sided(statistic: f64, df: f64) -> Result<TTest> {
    let dist =
        StudentsT::new(0.0, 1.0, df).map_err(|e| Error::invalid("df", format!("{df}: {e}")))?;
    let p_value = if statistic.is_nan() {
        f64::NAN
    } else {
        (2.0 * dist.sf(statistic.abs())).min(1.0)
    };
    Ok(TTest {
        statistic,
        df,
        p_value,
    })
}

fn need(what: &str, x: &[f64], n: usize) -> Result<()> {
    if x.len() < n {
        return Err(Error::NoData(format!(
            "`{what}` needs at least {n} values, got {}",
            x.len()
        )));
    }
    Ok(())
}

/// Welch's unequal-variance t-test (scipy `ttest_ind(x, y, equal_var=False)`).
pub fn welch_t_test(x: &[f64], y: &[f64]) -> Result<TTest> {
    need("x", x, 2)?;
    need("y", y, 2)?;
    let (nx, ny) = (x.len() as f64, y.len() as f64);
    let (vx, vy) = (variance(x) / nx, variance(y) / ny);
    let t = (mean(x) - mean(y)) / (vx + vy).sqrt();
    let df = (vx + vy).powi(2) / (vx * vx / (nx - 1.0) + vy * vy / (ny - 1.0));
    two_sided(t, df)
}

/// Student's pooled-variance t-test (scipy `ttest_ind(x, y)`).
pub fn student_t_test(x: &[f64], y: &[f64]) -> Result<TTest> {
    need("x", x, 2)?;
    need("y", y, 2)?;
    let (nx, ny) = (x.len() as f64, y.len() as f64);
    let df = nx + ny - 2.0;
    let pooled = ((nx - 1.0) * variance(x) + (ny - 1.0) * variance(y)) / df;
    let t = (mean(x) - mean(y)) / (pooled * (1.0 / nx + 1.0 / ny)).sqrt();
    two_sided(t, df)
}

/// Paired t-test on `x[i] - y[i]` (scipy `ttest_rel(x, y)`).
pub fn paired_t_test(x: &[f64], y: &[f64]) -> Result<TTest> {
    Error::check_len("y", x.len(), y.len())?;
    need("x", x, 2)?;
    let d: Vec<f64> = x.iter().zip(y).map(|(a, b)| a - b).collect();
    let n = d.len() as f64;
    let t = mean(&d) / (variance(&d) / n).sqrt();
    two_sided(t, n - 1.0)
}

/// Mean, sample standard deviation and t-based confidence interval of a mean.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanCi {
    /// Number of values.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (NaN for one value).
    pub std: f64,
    /// Lower bound (NaN for one value).
    pub low: f64,
    /// Upper bound (NaN for one value).
    pub high: f64,
}

/// `mean ± t_{(1+confidence)/2, n-1} · std / sqrt(n)`; for one value the interval is
/// NaN (unknown), not zero-width.
pub fn mean_ci(x: &[f64], confidence: f64) -> Result<MeanCi> {
    need("values", x, 1)?;
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(Error::invalid(
            "confidence",
            format!("must be in (0, 1), got {confidence}"),
        ));
    }
    let n = x.len();
    let m = mean(x);
    let std = variance(x).sqrt();
    let half = if n < 2 {
        f64::NAN
    } else {
        let t = StudentsT::new(0.0, 1.0, (n - 1) as f64)
            .map_err(|e| Error::invalid("n", e.to_string()))?
            .inverse_cdf((1.0 + confidence) / 2.0);
        t * std / (n as f64).sqrt()
    };
    Ok(MeanCi {
        n,
        mean: m,
        std,
        low: m - half,
        high: m + half,
    })
}
