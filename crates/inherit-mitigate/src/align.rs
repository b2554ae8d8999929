//! Loss-based mitigation: align the mean hidden state of original and augmented examples.

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::base::{BatchView, Mitigation};
use crate::error::{Error, Result};
use crate::spec::SpecMember;

/// Parameters of [`AlignLoss`].
///
/// | Name | Default | Range |
/// |------|---------|-------|
/// | `lambda` | 1.0 | finite, >= 0 |
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AlignLossParams {
    /// The weight λ of the alignment term.
    pub lambda: f64,
}

impl Default for AlignLossParams {
    fn default() -> Self {
        AlignLossParams { lambda: 1.0 }
    }
}

impl AlignLossParams {
    /// Checks the range in the table above.
    pub fn check(&self) -> Result<()> {
        if self.lambda.is_finite() && self.lambda >= 0.0 {
            return Ok(());
        }
        Err(Error::InvalidParam {
            mitigation: "loss".into(),
            name: "lambda".into(),
            message: format!("λ must be finite and >= 0, got {}", self.lambda),
        })
    }
}

/// Loss-based mitigation (Li et al., mitigation strategies: *loss-based*):
///
/// L_align = λ · ‖ mean φ(x) over the batch's original examples
///             − mean φ(x) over its augmented examples ‖²
///
/// on the pooled last-layer hidden states φ(x) of [`BatchView::hidden`], added to the task
/// loss. A batch without both sources contributes nothing (`None`); use a trainer sampler
/// that puts both in every batch.
///
/// Spec: `loss` (λ = 1), `loss:0.5`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AlignLoss {
    params: AlignLossParams,
}

impl AlignLoss {
    /// A checked alignment loss with weight `lambda`.
    pub fn new(lambda: f64) -> Result<Self> {
        let params = AlignLossParams { lambda };
        params.check()?;
        Ok(AlignLoss { params })
    }

    /// The weight λ.
    pub fn lambda(&self) -> f64 {
        self.params.lambda
    }

    /// Builds from a spec member (`loss:0.5`).
    pub fn from_spec(member: &SpecMember) -> Result<Self> {
        let opts = member.options(Some("lambda"), &["lambda"])?;
        let lambda = opts
            .parse("lambda")?
            .unwrap_or(AlignLossParams::default().lambda);
        AlignLoss::new(lambda).map_err(|e| member.error(e.to_string()))
    }
}

impl Mitigation for AlignLoss {
    fn spec(&self) -> String {
        let mut member = SpecMember::new("loss");
        if self.params != AlignLossParams::default() {
            member = member.arg(self.params.lambda.to_string());
        }
        member.to_string()
    }

    fn params(&self) -> serde_json::Value {
        serde_json::to_value(self.params).unwrap_or_default()
    }

    fn extra_loss(&self, view: &BatchView) -> Option<Tensor<1>> {
        if !view.has_both_sources() {
            return None;
        }
        let n_augmented = view.is_augmented.iter().filter(|a| **a).count();
        let n_original = view.len() - n_augmented;
        let [batch, _] = view.hidden.dims();
        // Column masks [batch, 1]: 1 for the rows of each source.
        let augmented = view.augmented.clone().reshape([batch, 1]);
        let original = augmented.clone().neg().add_scalar(1.0);
        let mean_augmented = (view.hidden.clone() * augmented)
            .sum_dim(0)
            .div_scalar(n_augmented as f64);
        let mean_original = (view.hidden.clone() * original)
            .sum_dim(0)
            .div_scalar(n_original as f64);
        let gap = mean_original - mean_augmented;
        Some(gap.powi_scalar(2).sum().mul_scalar(self.params.lambda))
    }
}
