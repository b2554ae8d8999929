//! Per-example losses and their weighted mean.

use burn::tensor::activation::log_softmax;
use burn::tensor::{Int, Tensor};

/// Cross-entropy of each row of `logits` `[n, c]` against `targets` `[n]`, `[n]`.
pub fn per_example_cross_entropy(logits: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
    let [n, _] = logits.dims();
    log_softmax(logits, 1)
        .gather(1, targets.reshape([n, 1]))
        .reshape([n])
        .neg()
}

/// `sum_i w_i * loss_i / sum_i w_i`, a one-element tensor; `weight_sum` is the host value
/// of `sum_i w_i` (must be > 0).
pub fn weighted_mean(losses: Tensor<1>, weights: Tensor<1>, weight_sum: f32) -> Tensor<1> {
    (losses * weights).sum().div_scalar(weight_sum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::to_host;
    use burn::tensor::Device;

    #[test]
    fn cross_entropy_matches_hand_computation() {
        let device = Device::flex();
        // Row 0: logits [0, ln 3] -> p(class 1) = 3/4, CE = -ln(3/4) = 0.287682.
        // Row 1: logits [0, 0]    -> p(class 0) = 1/2, CE = ln 2 = 0.693147.
        let logits = Tensor::<2>::from_data([[0.0, 3f32.ln()], [0.0, 0.0]], &device);
        let targets = Tensor::<1, Int>::from_data([1, 0], &device);
        let ce = to_host(per_example_cross_entropy(logits, targets)).unwrap();
        assert!((ce[0] - 0.287_682).abs() < 1e-5, "{ce:?}");
        assert!((ce[1] - std::f32::consts::LN_2).abs() < 1e-5, "{ce:?}");
        // Weights (1, 3): (0.287682 + 3 * 0.693147) / 4 = 0.591781.
        let w = Tensor::<1>::from_data([1.0, 3.0], &device);
        let ce = Tensor::<1>::from_data([ce[0], ce[1]], &device);
        let m = to_host(weighted_mean(ce, w, 4.0)).unwrap();
        assert!((m[0] - 0.591_781).abs() < 1e-5, "{m:?}");
    }
}
