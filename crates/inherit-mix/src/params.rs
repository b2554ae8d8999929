//! Parameters of [`mix()`](crate::mix()).

use inherit_core::Axis;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ratio::BiasRatio;

/// How the sizes of D_o and D_a are set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
pub enum MixMode {
    /// D_o is kept whole and unchanged; |D_a| = round(γ·|D_o| / (1 − γ)) (the paper's
    /// setting).
    KeepOriginal,
    /// |D| is fixed: |D_a| = round(γ·total), and D_o is subsampled (stratified by label)
    /// to total − |D_a|.
    FixedTotal {
        /// The mix size.
        total: usize,
    },
}

/// Which label distribution the D_a draw follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LabelTarget {
    /// The label proportions of D_o, so mixing changes the bias content, not the priors.
    Original,
    /// The label proportions of the augmented pool itself.
    Augmented,
}

/// Mixing parameters.
///
/// | name | default | range |
/// |---|---|---|
/// | `gamma` | 0.0 | [0, 1) |
/// | `mode` | `KeepOriginal` | `KeepOriginal`, or `FixedTotal { total }` with total >= 1 |
/// | `label_target` | `Original` | `Original`, `Augmented` |
/// | `group_axis` | none | an axis: within each label, D_a is drawn in the pool's group proportions on it |
/// | `with_replacement` | false | sample D_a with replacement when a stratum is short |
/// | `report_axis` | gender | the group axis of the [`crate::MixReport`] counts |
/// | `seed` | 0 | any |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MixParams {
    /// The bias ratio γ.
    pub gamma: f64,
    /// How sizes are set.
    pub mode: MixMode,
    /// Label distribution of the D_a draw.
    pub label_target: LabelTarget,
    /// Optional group stratification of the D_a draw within each label.
    pub group_axis: Option<Axis>,
    /// Allow sampling D_a with replacement.
    pub with_replacement: bool,
    /// Group axis of the report counts.
    pub report_axis: Axis,
    /// Sampling seed (ChaCha8).
    pub seed: u64,
}

impl Default for MixParams {
    fn default() -> Self {
        MixParams {
            gamma: 0.0,
            mode: MixMode::KeepOriginal,
            label_target: LabelTarget::Original,
            group_axis: None,
            with_replacement: false,
            report_axis: Axis::Gender,
            seed: 0,
        }
    }
}

impl MixParams {
    /// Parameters for ratio `gamma` and `seed`, other fields default.
    pub fn new(gamma: f64, seed: u64) -> Self {
        MixParams {
            gamma,
            seed,
            ..Self::default()
        }
    }

    /// Checks the table above.
    pub fn check(&self) -> Result<MixValidParams> {
        let gamma = BiasRatio::new(self.gamma)?;
        if let MixMode::FixedTotal { total: 0 } = self.mode {
            return Err(Error::InvalidParam {
                name: "mode.total",
                message: "a fixed-total mix needs at least one example".into(),
            });
        }
        Ok(MixValidParams {
            gamma,
            params: self.clone(),
        })
    }
}

/// Checked [`MixParams`].
#[derive(Debug, Clone, PartialEq)]
pub struct MixValidParams {
    pub(crate) gamma: BiasRatio,
    pub(crate) params: MixParams,
}

impl MixValidParams {
    /// The checked ratio.
    pub fn gamma(&self) -> BiasRatio {
        self.gamma
    }

    /// The parameters.
    pub fn params(&self) -> &MixParams {
        &self.params
    }
}
