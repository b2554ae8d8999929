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
/// L_align = λ · mean over strata s of (1/d) ‖ mean φ(x) over the batch's original
///             examples of s − mean φ(x) over its augmented examples of s ‖²
///
/// on the pooled last-layer hidden states φ(x) of [`BatchView::hidden`] (`d` wide), added
/// to the task loss. The strata are [`BatchView::strata`] (the labels, when the trainer
/// gives them; one stratum otherwise): comparing within a label keeps a different label
/// mix of D_o and D_a from counting as a distribution shift. The squared gap is averaged
/// over the `d` dimensions, so λ means the same for a 64-wide classifier and a 576-wide
/// LLM. A batch without a stratum that holds both sources contributes nothing (`None`);
/// use a trainer sampler that puts both in every batch.
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

    /// Without augmented examples no batch holds both sources: no term.
    fn inert_without_augmented(&self) -> bool {
        true
    }

    fn extra_loss(&self, view: &BatchView) -> Option<Tensor<1>> {
        if !view.has_both_sources() {
            return None;
        }
        let [batch, d] = view.hidden.dims();
        let device = view.hidden.device();
        let strata = if view.strata.len() == batch {
            view.strata.clone()
        } else {
            vec![-1; batch]
        };
        let mut values: Vec<i64> = strata.clone();
        values.sort_unstable();
        values.dedup();
        let mut total: Option<Tensor<1>> = None;
        let mut counted = 0usize;
        for s in values {
            let rows = |augmented: bool| -> Vec<f32> {
                (0..batch)
                    .map(|i| {
                        f32::from(u8::from(
                            strata[i] == s && view.is_augmented[i] == augmented,
                        ))
                    })
                    .collect()
            };
            let (aug, orig) = (rows(true), rows(false));
            let (n_aug, n_orig) = (aug.iter().sum::<f32>(), orig.iter().sum::<f32>());
            if n_aug == 0.0 || n_orig == 0.0 {
                continue;
            }
            // Row weights [batch, 1]: 1 / n over the stratum's rows of each source.
            let weights = |w: Vec<f32>, n: f32| {
                let w: Vec<f32> = w.into_iter().map(|x| x / n).collect();
                Tensor::<1>::from_floats(w.as_slice(), &device).reshape([batch, 1])
            };
            let mean_augmented = (view.hidden.clone() * weights(aug, n_aug)).sum_dim(0);
            let mean_original = (view.hidden.clone() * weights(orig, n_orig)).sum_dim(0);
            let gap = (mean_original - mean_augmented)
                .powi_scalar(2)
                .sum()
                .div_scalar(d as f64);
            total = Some(match total {
                Some(t) => t + gap,
                None => gap,
            });
            counted += 1;
        }
        total.map(|t| t.div_scalar(counted as f64).mul_scalar(self.params.lambda))
    }
}
