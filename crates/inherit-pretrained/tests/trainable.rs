//! The SmolLM2 module loads on an autodiff device and gradients reach its weights, so later
//! work can fine-tune it.

use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};
use inherit_pretrained::SmolLm;
use inherit_pretrained::llama::{KvCache, StepInput};

#[test]
fn gradients_flow_to_the_attention_and_embedding_weights() {
    let device = Device::flex().autodiff();
    let lm = SmolLm::load_default(&device).unwrap_or_else(|e| panic!("{e}"));
    let ids = lm.tokenizer().encode("The nurse said that the").unwrap();
    let (inputs, targets) = (&ids[..ids.len() - 1], &ids[1..]);
    let model = lm.model();
    let hidden = model.forward(
        &StepInput {
            tokens: &[inputs.to_vec()],
            pad: &[0],
        },
        &mut KvCache::default(),
    );
    let logp = log_softmax(model.logits(hidden), 2);
    let targets: Vec<i64> = targets.iter().map(|&t| i64::from(t)).collect();
    let n = targets.len();
    let targets = Tensor::<3, Int>::from_data(TensorData::new(targets, [1, n, 1]), &device);
    let loss = logp.gather(2, targets).mean().neg();
    let grads = loss.backward();
    for (name, weight) in [
        ("blocks.0.wqkv", model.blocks[0].wqkv.weight.val()),
        ("embed", model.embed.weight.val()),
    ] {
        let grad = weight
            .grad(&grads)
            .unwrap_or_else(|| panic!("no gradient for {name}"));
        let norm: f32 = grad.abs().sum().into_scalar();
        assert!(
            norm.is_finite() && norm > 0.0,
            "{name}: gradient norm {norm}"
        );
    }
}
