//! Statistics for comparing conditions: t-tests, exact sign-flip, binomial and Fisher
//! tests, Wilcoxon's signed-rank test (exact under sign flips), Mann–Whitney U, χ² tests,
//! Holm–Bonferroni correction, minimum detectable effects, effect sizes and (nested)
//! bootstrap intervals. Distributions come from `statrs`; p-values equal scipy's on the
//! fixtures in `tests/scipy.rs` and the unit tests.

pub mod bootstrap;
pub mod chi2;
pub mod effect;
pub mod exact;
pub mod holm;
pub mod mann_whitney;
pub mod paired;
pub mod rank;
pub mod signed_rank;
pub mod ttest;

pub use bootstrap::{BootstrapParams, Interval, bootstrap_ci, nested_bootstrap_mean};
pub use chi2::{ChiSquare, chi_square_gof, chi_square_independence};
pub use effect::{cohens_d, cohens_d_paired, cramers_v, hedges_g};
pub use exact::{binomial_test, fisher_exact};
pub use holm::holm_bonferroni;
pub use mann_whitney::{MannWhitney, MwuMethod, mann_whitney_u};
pub use paired::{
    PairedComparison, SignFlip, minimum_detectable_effect, paired_comparison, sign_flip_test,
};
pub use rank::average_ranks;
pub use signed_rank::{MAX_EXACT_SIGNED_RANK, SignedRank, wilcoxon_signed_rank};
pub use ttest::{MeanCi, TTest, mean_ci, paired_t_test, student_t_test, welch_t_test};

/// Arithmetic mean (NaN for no values).
pub fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Sample variance (denominator `n - 1`; NaN for fewer than two values).
pub fn variance(x: &[f64]) -> f64 {
    if x.len() < 2 {
        return f64::NAN;
    }
    let m = mean(x);
    x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() - 1) as f64
}
