//! Data-distribution misalignment: maximum mean discrepancy (MMD²) between embeddings
//! of original and augmented texts, with a seeded permutation test, and the distance
//! between mean embeddings.
//!
//! MMD² is the unbiased estimator (Gretton et al., 2012):
//!
//! ```text
//! MMD² = 1/(m(m-1)) Σ_{i≠j} k(x_i, x_j) + 1/(n(n-1)) Σ_{i≠j} k(y_i, y_j) - 2/(mn) Σ k(x_i, y_j)
//! ```
//!
//! with the RBF kernel `k(a, b) = exp(-|a - b|² / (2σ²))` (σ by default the median
//! pairwise distance of the pooled sample, the "median heuristic") or the linear kernel
//! `k(a, b) = a·b`. The p-value is `(1 + #{permuted MMD² >= observed}) / (1 + P)` over
//! `P` random relabellings of the pooled sample. The pooled kernel matrix is held in
//! memory: `(m + n)²` values.

use ndarray::Array2;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use inherit_core::{Embedder, derive_seed, seeded_rng};

use crate::error::{Error, Result};

/// The kernel of [`MmdParams`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum Kernel {
    /// Gaussian RBF; `bandwidth` σ, or `None` for the median heuristic.
    Rbf {
        /// σ (> 0) or `None`.
        bandwidth: Option<f64>,
    },
    /// Dot product.
    Linear,
}

/// Parameters of [`mmd_test`].
///
/// | name | default | range |
/// |---|---|---|
/// | `kernel` | RBF, median heuristic | RBF bandwidth > 0 when given |
/// | `permutations` | 1000 | >= 1 |
/// | `seed` | 0 | any |
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MmdParams {
    /// The kernel.
    pub kernel: Kernel,
    /// Number of random relabellings.
    pub permutations: usize,
    /// Seed of the permutations.
    pub seed: u64,
}

impl Default for MmdParams {
    fn default() -> Self {
        MmdParams {
            kernel: Kernel::Rbf { bandwidth: None },
            permutations: 1000,
            seed: 0,
        }
    }
}

impl MmdParams {
    /// Checks the ranges in the table above.
    pub fn check(&self) -> Result<()> {
        if self.permutations == 0 {
            return Err(Error::invalid("permutations", "must be at least 1"));
        }
        if let Kernel::Rbf { bandwidth: Some(b) } = self.kernel
            && !(b > 0.0 && b.is_finite())
        {
            return Err(Error::invalid("bandwidth", format!("must be > 0, got {b}")));
        }
        Ok(())
    }
}

/// Result of [`mmd_test`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MmdResult {
    /// Unbiased MMD² (can be slightly negative when the samples agree).
    pub mmd2: f64,
    /// Permutation p-value.
    pub p_value: f64,
    /// The RBF bandwidth used (`None` for the linear kernel).
    pub bandwidth: Option<f64>,
}

fn check_vectors(name: &str, v: &[Vec<f32>], dim: usize) -> Result<()> {
    if v.len() < 2 {
        return Err(Error::NoData(format!(
            "`{name}` needs at least two vectors"
        )));
    }
    for (i, x) in v.iter().enumerate() {
        Error::check_len(&format!("{name}[{i}]"), dim, x.len())?;
    }
    Ok(())
}

fn sq_dist(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (*x as f64 - *y as f64).powi(2))
        .sum()
}

/// MMD² between `x` and `y` (embeddings of equal width) with a permutation test.
pub fn mmd_test(x: &[Vec<f32>], y: &[Vec<f32>], params: &MmdParams) -> Result<MmdResult> {
    params.check()?;
    let dim = x.first().map_or(0, Vec::len);
    check_vectors("x", x, dim)?;
    check_vectors("y", y, dim)?;
    let pooled: Vec<&Vec<f32>> = x.iter().chain(y).collect();
    let n = pooled.len();
    let mut k = Array2::<f64>::zeros((n, n));
    let bandwidth = match params.kernel {
        Kernel::Linear => {
            for i in 0..n {
                for j in i..n {
                    let v: f64 = pooled[i]
                        .iter()
                        .zip(pooled[j])
                        .map(|(a, b)| *a as f64 * *b as f64)
                        .sum();
                    k[[i, j]] = v;
                    k[[j, i]] = v;
                }
            }
            None
        }
        Kernel::Rbf { bandwidth } => {
            let mut d2 = Array2::<f64>::zeros((n, n));
            let mut dists = Vec::with_capacity(n * (n - 1) / 2);
            for i in 0..n {
                for j in i + 1..n {
                    let v = sq_dist(pooled[i], pooled[j]);
                    d2[[i, j]] = v;
                    d2[[j, i]] = v;
                    dists.push(v.sqrt());
                }
            }
            let sigma = match bandwidth {
                Some(b) => b,
                None => {
                    dists.sort_by(f64::total_cmp);
                    let m = dists.len();
                    let med = if m % 2 == 1 {
                        dists[m / 2]
                    } else {
                        (dists[m / 2 - 1] + dists[m / 2]) / 2.0
                    };
                    if med > 0.0 { med } else { 1.0 }
                }
            };
            k = d2.mapv(|v| (-v / (2.0 * sigma * sigma)).exp());
            Some(sigma)
        }
    };
    let m = x.len();
    let is_x: Vec<bool> = (0..n).map(|i| i < m).collect();
    let observed = mmd2_from_kernel(&k, &is_x, m);
    let mut rng = seeded_rng(derive_seed(params.seed, "mmd-permutations"));
    let mut labels = is_x.clone();
    let mut at_least = 0usize;
    for _ in 0..params.permutations {
        labels.shuffle(&mut rng);
        if mmd2_from_kernel(&k, &labels, m) >= observed {
            at_least += 1;
        }
    }
    Ok(MmdResult {
        mmd2: observed,
        p_value: (1 + at_least) as f64 / (1 + params.permutations) as f64,
        bandwidth,
    })
}

/// Unbiased MMD² from the pooled kernel matrix and a membership vector with `m` true.
fn mmd2_from_kernel(k: &Array2<f64>, is_x: &[bool], m: usize) -> f64 {
    let n = is_x.len();
    let ny = n - m;
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let row = k.row(i);
        for j in 0..n {
            if i == j {
                continue;
            }
            match (is_x[i], is_x[j]) {
                (true, true) => sxx += row[j],
                (false, false) => syy += row[j],
                (true, false) => sxy += row[j],
                (false, true) => {}
            }
        }
    }
    sxx / (m * (m - 1)) as f64 + syy / (ny * (ny - 1)) as f64 - 2.0 * sxy / (m * ny) as f64
}

/// Distance between the mean embeddings of two samples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanDistance {
    /// Euclidean distance of the means.
    pub euclidean: f64,
    /// `1 - cos(mean_x, mean_y)`.
    pub cosine: f64,
}

/// Euclidean and cosine distance between the mean vectors of `x` and `y`.
pub fn mean_embedding_distance(x: &[Vec<f32>], y: &[Vec<f32>]) -> Result<MeanDistance> {
    let dim = x.first().map_or(0, Vec::len);
    let mean = |v: &[Vec<f32>], name: &str| -> Result<Vec<f64>> {
        if v.is_empty() {
            return Err(Error::NoData(format!("`{name}` has no vectors")));
        }
        let mut acc = vec![0.0; dim];
        for (i, row) in v.iter().enumerate() {
            Error::check_len(&format!("{name}[{i}]"), dim, row.len())?;
            for (a, b) in acc.iter_mut().zip(row) {
                *a += *b as f64;
            }
        }
        Ok(acc.into_iter().map(|a| a / v.len() as f64).collect())
    };
    let (mx, my) = (mean(x, "x")?, mean(y, "y")?);
    let dot: f64 = mx.iter().zip(&my).map(|(a, b)| a * b).sum();
    let nx = mx.iter().map(|a| a * a).sum::<f64>().sqrt();
    let ny = my.iter().map(|a| a * a).sum::<f64>().sqrt();
    Ok(MeanDistance {
        euclidean: mx
            .iter()
            .zip(&my)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            .sqrt(),
        cosine: if nx == 0.0 || ny == 0.0 {
            f64::NAN
        } else {
            1.0 - dot / (nx * ny)
        },
    })
}

/// Embeds two text sets with `embedder` and runs [`mmd_test`] and
/// [`mean_embedding_distance`] on them.
pub fn compare_texts(
    embedder: &dyn Embedder,
    original: &[String],
    augmented: &[String],
    params: &MmdParams,
) -> Result<(MmdResult, MeanDistance)> {
    let x = embedder.embed(original)?;
    let y = embedder.embed(augmented)?;
    Ok((mmd_test(&x, &y, params)?, mean_embedding_distance(&x, &y)?))
}
