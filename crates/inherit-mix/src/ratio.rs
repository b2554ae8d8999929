//! The bias ratio γ = |D_a| / (|D_o| + |D_a|).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A bias ratio checked to lie in [0, 1).
///
/// γ = 1 would mean no original data at all (and an infinite |D_a| when D_o is kept
/// fixed), so it is rejected along with negative and non-finite values.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct BiasRatio(f64);

impl BiasRatio {
    /// The paper's sweep: γ ∈ {0, 0.05, 0.1, 0.2, 0.5}.
    pub const PAPER_SWEEP: [f64; 5] = [0.0, 0.05, 0.1, 0.2, 0.5];

    /// A checked ratio.
    pub fn new(gamma: f64) -> Result<Self> {
        if gamma.is_finite() && (0.0..1.0).contains(&gamma) {
            Ok(BiasRatio(gamma))
        } else {
            Err(Error::GammaOutOfRange(gamma))
        }
    }

    /// The value.
    pub fn value(self) -> f64 {
        self.0
    }

    /// |D_a| that gives this ratio with `n_original` originals kept fixed:
    /// round(γ·|D_o| / (1 − γ)).
    pub fn augmented_for_original(self, n_original: usize) -> usize {
        (self.0 * n_original as f64 / (1.0 - self.0)).round() as usize
    }

    /// |D_a| in a mix of fixed total size: round(γ·total).
    pub fn augmented_for_total(self, total: usize) -> usize {
        (self.0 * total as f64).round() as usize
    }

    /// The realised ratio of a mix.
    pub fn realised(n_original: usize, n_augmented: usize) -> f64 {
        let total = n_original + n_augmented;
        if total == 0 {
            0.0
        } else {
            n_augmented as f64 / total as f64
        }
    }
}

impl TryFrom<f64> for BiasRatio {
    type Error = Error;
    fn try_from(v: f64) -> Result<Self> {
        BiasRatio::new(v)
    }
}

impl From<BiasRatio> for f64 {
    fn from(r: BiasRatio) -> f64 {
        r.0
    }
}

impl std::fmt::Display for BiasRatio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_is_checked() {
        for g in BiasRatio::PAPER_SWEEP {
            assert_eq!(BiasRatio::new(g).unwrap().value(), g);
        }
        for bad in [1.0, 1.5, -0.01, f64::NAN, f64::INFINITY] {
            assert!(
                matches!(BiasRatio::new(bad), Err(Error::GammaOutOfRange(_))),
                "{bad}"
            );
        }
        assert!(serde_json::from_str::<BiasRatio>("1.0").is_err());
        assert_eq!(
            serde_json::from_str::<BiasRatio>("0.2").unwrap().value(),
            0.2
        );
    }

    #[test]
    fn sizes_follow_the_definition() {
        // γ = 0.2, |D_o| = 1000: |D_a| = 0.2·1000/0.8 = 250 and 250/1250 = 0.2.
        let r = BiasRatio::new(0.2).unwrap();
        assert_eq!(r.augmented_for_original(1000), 250);
        assert_eq!(BiasRatio::realised(1000, 250), 0.2);
        // γ = 0.05: 0.05·1000/0.95 = 52.63 -> 53.
        assert_eq!(
            BiasRatio::new(0.05).unwrap().augmented_for_original(1000),
            53
        );
        assert_eq!(r.augmented_for_total(1000), 200);
    }
}
