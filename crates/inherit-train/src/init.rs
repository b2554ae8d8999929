//! Seeded parameter initialisation and dropout drawn on the host.
//!
//! burn's own initialisers and dropout draw from a process-wide backend RNG (and
//! parameters initialise lazily, on first use), so two models built in parallel threads
//! could interleave draws. Drawing every random number from a [`SeededRng`] owned by the
//! model builder or the training loop makes `same seed -> same model` hold on every
//! backend and under any test parallelism.

use burn::module::Param;
use burn::nn::{Embedding, LayerNorm, LayerNormConfig, Linear};
use burn::tensor::{Device, Tensor, TensorData};
use inherit_core::SeededRng;
use rand::RngExt;

/// Draws parameters from a seeded generator.
#[derive(Debug)]
pub struct ParamInit {
    rng: SeededRng,
    device: Device,
}

impl ParamInit {
    /// An initialiser on `device` seeded with `seed`.
    pub fn new(seed: u64, device: &Device) -> Self {
        ParamInit {
            rng: inherit_core::seeded_rng(seed),
            device: device.clone(),
        }
    }

    /// The device parameters are created on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    fn uniform(&mut self, n: usize, bound: f32) -> Vec<f32> {
        (0..n)
            .map(|_| self.rng.random_range(-bound..=bound))
            .collect()
    }

    fn normal(&mut self, n: usize, std: f32) -> Vec<f32> {
        // Box-Muller on two uniforms in (0, 1].
        (0..n)
            .map(|_| {
                let u1: f32 = 1.0 - self.rng.random::<f32>();
                let u2: f32 = self.rng.random::<f32>();
                std * (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
            })
            .collect()
    }

    /// A linear layer `[d_in] -> [d_out]` with weights and bias from `U(-k, k)`,
    /// `k = 1/sqrt(d_in)` (the PyTorch default).
    pub fn linear(&mut self, d_in: usize, d_out: usize) -> Linear {
        let k = 1.0 / (d_in as f32).sqrt();
        let w = self.uniform(d_in * d_out, k);
        let b = self.uniform(d_out, k);
        Linear {
            weight: Param::from_data(TensorData::new(w, [d_in, d_out]), &self.device),
            bias: Some(Param::from_data(TensorData::new(b, [d_out]), &self.device)),
        }
    }

    /// An embedding table `[n, d]` from `N(0, std^2)`.
    pub fn embedding(&mut self, n: usize, d: usize, std: f32) -> Embedding {
        let w = self.normal(n * d, std);
        Self::embedding_from(w, n, d, &self.device)
    }

    /// An embedding table from given row-major values.
    pub fn embedding_from(values: Vec<f32>, n: usize, d: usize, device: &Device) -> Embedding {
        Embedding {
            weight: Param::from_data(TensorData::new(values, [n, d]), device),
        }
    }

    /// A layer norm over `d` features (scale 1, shift 0: nothing random).
    pub fn layer_norm(&mut self, d: usize) -> LayerNorm {
        LayerNormConfig::new(d).init(&self.device)
    }

    /// Uniform values in `[-bound, bound]`, for callers that fill tables themselves.
    pub fn uniform_values(&mut self, n: usize, bound: f32) -> Vec<f32> {
        self.uniform(n, bound)
    }
}

/// Inverted dropout with a mask drawn from `rng`: each element is zeroed with probability
/// `p` and the others are scaled by `1 / (1 - p)`. With `rng = None` (inference) or
/// `p = 0` the input is returned unchanged.
pub fn dropout<const D: usize>(x: Tensor<D>, p: f64, rng: Option<&mut SeededRng>) -> Tensor<D> {
    let Some(rng) = rng else { return x };
    if p <= 0.0 {
        return x;
    }
    let shape = x.shape();
    let n = shape.num_elements();
    let keep = (1.0 / (1.0 - p)) as f32;
    let mask: Vec<f32> = (0..n)
        .map(|_| if rng.random::<f64>() < p { 0.0 } else { keep })
        .collect();
    let mask = Tensor::<D>::from_data(TensorData::new(mask, shape), &x.device());
    x * mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_parameters() {
        let device = Device::flex();
        let a = ParamInit::new(3, &device).linear(4, 5);
        let b = ParamInit::new(3, &device).linear(4, 5);
        let c = ParamInit::new(4, &device).linear(4, 5);
        let va: Vec<f32> = a.weight.val().try_into_vec_as::<f32>().unwrap();
        let vb: Vec<f32> = b.weight.val().try_into_vec_as::<f32>().unwrap();
        let vc: Vec<f32> = c.weight.val().try_into_vec_as::<f32>().unwrap();
        assert_eq!(va, vb);
        assert_ne!(va, vc);
        // U(-1/sqrt(4), 1/sqrt(4)) = U(-0.5, 0.5)
        assert!(va.iter().all(|v| v.abs() <= 0.5));
    }

    #[test]
    fn dropout_keeps_expectation_and_is_identity_at_inference() {
        let device = Device::flex();
        let x = Tensor::<2>::ones([100, 100], &device);
        let mut rng = inherit_core::seeded_rng(1);
        let y: Vec<f32> = dropout(x.clone(), 0.25, Some(&mut rng))
            .try_into_vec_as::<f32>()
            .unwrap();
        let zeros = y.iter().filter(|v| **v == 0.0).count() as f64 / 1e4;
        // 10_000 Bernoulli(0.25) draws: sd = sqrt(0.25*0.75/1e4) ~ 0.0043.
        assert!((zeros - 0.25).abs() < 0.02, "{zeros}");
        assert!(y.iter().all(|v| *v == 0.0 || (*v - 4.0 / 3.0).abs() < 1e-6));
        let same: Vec<f32> = dropout(x, 0.25, None).try_into_vec_as::<f32>().unwrap();
        assert!(same.iter().all(|v| *v == 1.0));
    }
}
