//! χ² goodness-of-fit and independence tests (scipy's `chisquare` and
//! `chi2_contingency`).

use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::error::{Error, Result};

/// A χ² test result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChiSquare {
    /// The χ² statistic.
    pub statistic: f64,
    /// Degrees of freedom.
    pub dof: usize,
    /// Upper-tail p-value.
    pub p_value: f64,
}

fn p_value(statistic: f64, dof: usize) -> Result<f64> {
    let dist =
        ChiSquared::new(dof as f64).map_err(|e| Error::invalid("dof", format!("{dof}: {e}")))?;
    Ok(dist.sf(statistic))
}

/// Goodness of fit of `observed` counts to `expected`, which may be counts or
/// proportions: it is rescaled to the observed total. Categories with expected 0 must
/// have observed 0 and are dropped; `dof = categories - 1`.
pub fn chi_square_gof(observed: &[f64], expected: &[f64]) -> Result<ChiSquare> {
    Error::check_len("expected", observed.len(), expected.len())?;
    if observed
        .iter()
        .chain(expected)
        .any(|v| !(v.is_finite() && *v >= 0.0))
    {
        return Err(Error::invalid(
            "observed, expected",
            "counts must be finite and >= 0",
        ));
    }
    let total: f64 = observed.iter().sum();
    let exp_total: f64 = expected.iter().sum();
    if total == 0.0 || exp_total == 0.0 {
        return Err(Error::NoData(
            "χ² goodness of fit needs positive totals".into(),
        ));
    }
    let mut stat = 0.0;
    let mut cats = 0;
    for (o, e) in observed.iter().zip(expected) {
        let e = e / exp_total * total;
        if e == 0.0 {
            if *o > 0.0 {
                return Err(Error::invalid(
                    "expected",
                    "a category with observed counts has expected share 0",
                ));
            }
            continue;
        }
        cats += 1;
        stat += (o - e) * (o - e) / e;
    }
    if cats < 2 {
        return Err(Error::NoData(
            "χ² goodness of fit needs two categories".into(),
        ));
    }
    Ok(ChiSquare {
        statistic: stat,
        dof: cats - 1,
        p_value: p_value(stat, cats - 1)?,
    })
}

/// Test of independence on an `r x c` contingency table. With `yates` and one degree of
/// freedom, Yates' continuity correction is applied (scipy's default `correction=True`).
/// Rows or columns that sum to zero are rejected.
pub fn chi_square_independence(table: &[Vec<f64>], yates: bool) -> Result<ChiSquare> {
    let r = table.len();
    let c = table.first().map_or(0, Vec::len);
    if r < 2 || c < 2 {
        return Err(Error::NoData(
            "a contingency table needs at least 2 x 2 cells".into(),
        ));
    }
    for (i, row) in table.iter().enumerate() {
        Error::check_len(&format!("table row {i}"), c, row.len())?;
    }
    let rows: Vec<f64> = table.iter().map(|row| row.iter().sum()).collect();
    let cols: Vec<f64> = (0..c)
        .map(|j| table.iter().map(|row| row[j]).sum())
        .collect();
    let total: f64 = rows.iter().sum();
    if rows.iter().chain(&cols).any(|s| *s <= 0.0) {
        return Err(Error::invalid(
            "table",
            "every row and column needs a positive sum",
        ));
    }
    let dof = (r - 1) * (c - 1);
    let mut stat = 0.0;
    for i in 0..r {
        for j in 0..c {
            let e = rows[i] * cols[j] / total;
            let mut d = (table[i][j] - e).abs();
            if yates && dof == 1 {
                d = (d - 0.5).max(0.0);
            }
            stat += d * d / e;
        }
    }
    Ok(ChiSquare {
        statistic: stat,
        dof,
        p_value: p_value(stat, dof)?,
    })
}
