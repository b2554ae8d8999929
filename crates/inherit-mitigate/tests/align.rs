//! AlignLoss on burn's flex device, with autodiff for the gradient checks.

use burn::tensor::{Device, Int, Tensor};
use inherit_mitigate::{AlignLoss, BatchView, Mitigation};

/// A batch view over `rows` (hidden states) with the given sources.
fn view(hidden: Tensor<2>, is_augmented: &[bool], device: &Device) -> BatchView {
    let n = is_augmented.len();
    let flags: Vec<f32> = is_augmented
        .iter()
        .map(|a| f32::from(u8::from(*a)))
        .collect();
    BatchView {
        hidden,
        logits: Tensor::<2>::zeros([n, 2], device),
        labels: Tensor::<1, Int>::zeros([n], device),
        augmented: Tensor::<1>::from_floats(flags.as_slice(), device),
        group_ids: Tensor::<1, Int>::zeros([n], device),
        group_names: vec!["female".into()],
        is_augmented: is_augmented.to_vec(),
        strata: vec![-1; n],
    }
}

fn scalar(t: Tensor<1>) -> f32 {
    t.into_data().try_to_vec::<f32>().unwrap()[0]
}

fn values(t: Tensor<2>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

#[test]
fn loss_is_zero_when_the_sources_have_equal_means() {
    let device = Device::flex();
    // Originals: rows 0, 2 (mean [2, 1]); augmented: rows 1, 3 (mean [2, 1]).
    let hidden =
        Tensor::<2>::from_floats([[1.0, 0.0], [3.0, 2.0], [3.0, 2.0], [1.0, 0.0]], &device);
    let loss = AlignLoss::new(2.0)
        .unwrap()
        .extra_loss(&view(hidden, &[false, true, false, true], &device))
        .unwrap();
    assert!(scalar(loss).abs() < 1e-7);
}

#[test]
fn loss_matches_a_hand_computation_on_2x3() {
    let device = Device::flex();
    // Row 0 original, row 1 augmented. Gap = [1-4, 2-0, 3-(-1)] = [-3, 2, 4];
    // ||gap||^2 = 9 + 4 + 16 = 29, over d = 3 dimensions 29/3; λ = 0.5 -> 29/6.
    let hidden = Tensor::<2>::from_floats([[1.0, 2.0, 3.0], [4.0, 0.0, -1.0]], &device);
    let loss = AlignLoss::new(0.5)
        .unwrap()
        .extra_loss(&view(hidden, &[false, true], &device))
        .unwrap();
    assert_eq!(loss.dims(), [1]);
    assert!((scalar(loss) - 29.0 / 6.0).abs() < 1e-5);
}

#[test]
fn a_batch_without_both_sources_contributes_nothing() {
    let device = Device::flex();
    let loss = AlignLoss::default();
    let h = || Tensor::<2>::from_floats([[1.0, 2.0], [3.0, 4.0]], &device);
    assert!(
        loss.extra_loss(&view(h(), &[true, true], &device))
            .is_none()
    );
    assert!(
        loss.extra_loss(&view(h(), &[false, false], &device))
            .is_none()
    );
}

#[test]
fn gradient_on_hidden_states_shrinks_the_gap() {
    let device = Device::flex().autodiff();
    let rows = [[1.0, 2.0, 3.0], [4.0, 0.0, -1.0]];
    let hidden = Tensor::<2>::from_floats(rows, &device).require_grad();
    let loss = AlignLoss::new(0.5).unwrap();
    let value = loss
        .extra_loss(&view(hidden.clone(), &[false, true], &device))
        .unwrap();
    let grads = value.backward();
    let grad = values(hidden.grad(&grads).expect("hidden states get a gradient"));
    // dL/dh_orig = 2λ·gap / (d·n_orig) = [-3, 2, 4] / 3; dL/dh_aug is its negative.
    let expected = [-1.0, 2.0 / 3.0, 4.0 / 3.0, 1.0, -2.0 / 3.0, -4.0 / 3.0];
    for (g, e) in grad.iter().zip(expected) {
        assert!((g - e).abs() < 1e-5, "{grad:?}");
    }
    assert!(grad.iter().any(|g| g.abs() > 0.0));
    // One gradient step of size 0.3 reduces the gap: new gap = 0.8 * [-3, 2, 4], so the
    // loss falls from 29/6 to 0.5 * 0.64 * 29 / 3 = 3.0933.
    let stepped: Vec<f32> = rows
        .iter()
        .flatten()
        .zip(&grad)
        .map(|(h, g)| *h as f32 - 0.3 * g)
        .collect();
    let plain = Device::flex();
    let stepped = Tensor::<1>::from_floats(stepped.as_slice(), &plain).reshape([2, 3]);
    let after = scalar(
        loss.extra_loss(&view(stepped, &[false, true], &plain))
            .unwrap(),
    );
    assert!((after - 0.5 * 0.64 * 29.0 / 3.0).abs() < 1e-4, "{after}");
}

#[test]
fn lambda_is_checked() {
    for bad in [-0.1, f64::NAN, f64::INFINITY] {
        let err = AlignLoss::new(bad).unwrap_err().to_string();
        assert!(err.contains("`lambda` of mitigation `loss`"), "{err}");
    }
    assert_eq!(AlignLoss::new(0.25).unwrap().spec(), "loss:0.25");
    assert_eq!(AlignLoss::default().spec(), "loss");
}

#[test]
fn sources_are_compared_within_each_stratum() {
    let device = Device::flex();
    // Label 0: original [0, 0], augmented [2, 0] (gap² / d = 4 / 2 = 2); label 1:
    // original [1, 1], augmented [1, 1] (no gap). Mean over the two strata: 1.
    let hidden =
        Tensor::<2>::from_floats([[0.0, 0.0], [2.0, 0.0], [1.0, 1.0], [1.0, 1.0]], &device);
    let mut v = view(hidden.clone(), &[false, true, false, true], &device);
    v.strata = vec![0, 0, 1, 1];
    let loss = AlignLoss::new(1.0).unwrap().extra_loss(&v).unwrap();
    assert!((scalar(loss) - 1.0).abs() < 1e-6);
    // The same texts with a different label mix per source: within labels no gap at all,
    // where the pooled comparison would see one.
    let same = Tensor::<2>::from_floats([[0.0, 0.0], [5.0, 5.0], [5.0, 5.0], [0.0, 0.0]], &device);
    let mut v = view(same.clone(), &[false, false, true, true], &device);
    v.strata = vec![0, 1, 1, 0];
    let loss = AlignLoss::new(1.0).unwrap().extra_loss(&v).unwrap();
    assert!(scalar(loss).abs() < 1e-7);
    let mut v = view(same, &[false, false, true, true], &device);
    v.strata = vec![0, 1, 1, 1];
    // Label 0 has originals only: only label 1 counts ([5,5] vs mean of [5,5],[0,0]).
    let value = scalar(AlignLoss::new(1.0).unwrap().extra_loss(&v).unwrap());
    assert!((value - 6.25).abs() < 1e-5, "{value}");
    // A stratum with one source only in every stratum: nothing.
    let mut v = view(hidden, &[false, true, false, true], &device);
    v.strata = vec![0, 1, 2, 3];
    assert!(AlignLoss::new(1.0).unwrap().extra_loss(&v).is_none());
}
