//! The LoRA SFT reference run (`tests/golden/lora_sgd_setup.json`), shared by the golden
//! test (`tests/lora_golden.rs`) and the exporter example (`examples/lora_reference.rs`)
//! that writes the initial and trained adapters for `scripts/reference/lora_sgd.py`.

use std::path::{Path, PathBuf};

use inherit_core::{ChatMessage, Example, Provenance};
use inherit_pretrained::{LayerSelection, LoraAdapters, LoraConfig, LoraTarget, SmolLm};
use inherit_train::{LoraSftTrainer, LrDecay, OptimizerKind, SftPair, TrainParams};
use serde::Deserialize;

/// One chat example of the setup.
#[derive(Debug, Clone, Deserialize)]
pub struct ChatExample {
    pub prompt: String,
    pub response: String,
}

/// The adapter hyper-parameters of the setup (PEFT's names in the comments).
#[derive(Debug, Clone, Deserialize)]
pub struct SetupLora {
    /// `r`.
    pub rank: usize,
    /// `lora_alpha`.
    pub alpha: f64,
    /// `lora_dropout` (0: the run has no randomness after initialisation).
    pub dropout: f64,
    /// `target_modules`.
    pub targets: Vec<LoraTarget>,
    /// `"all"` or `"top:K"`.
    pub layers: String,
}

/// `tests/golden/lora_sgd_setup.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct Setup {
    pub examples: Vec<ChatExample>,
    pub lora: SetupLora,
    pub seed: u64,
    pub learning_rate: f64,
    pub steps: usize,
    pub prompt: String,
    pub top_k: usize,
}

/// The folder of the golden files.
pub fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

impl Setup {
    /// Reads the committed setup.
    pub fn load() -> Setup {
        let path = golden_dir().join("lora_sgd_setup.json");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// The trainer: plain SGD at a constant rate, the whole set as one batch, one step
    /// per epoch, no clipping, no early stopping.
    pub fn trainer(&self) -> LoraSftTrainer {
        let params = TrainParams {
            epochs: self.steps,
            batch_size: self.examples.len(),
            learning_rate: self.learning_rate,
            decay: LrDecay::Constant,
            optimizer: OptimizerKind::Sgd,
            weight_decay: 0.0,
            grad_clip_norm: None,
            early_stopping: None,
            seed: self.seed,
            progress: false,
            ..TrainParams::default()
        };
        let lora = LoraConfig {
            rank: self.lora.rank,
            alpha: self.lora.alpha,
            dropout: self.lora.dropout,
            targets: self.lora.targets.clone(),
            layers: self
                .lora
                .layers
                .parse::<LayerSelection>()
                .unwrap_or_else(|e| panic!("setup lora.layers: {e}")),
        };
        LoraSftTrainer::new(params, lora).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The training pairs (all original data: no mitigation applies).
    pub fn pairs(&self) -> Vec<SftPair> {
        self.examples
            .iter()
            .enumerate()
            .map(|(i, e)| {
                SftPair::new(
                    e.prompt.clone(),
                    Example::new(
                        format!("ref{i}"),
                        e.response.clone(),
                        Provenance::original("reference"),
                    ),
                )
            })
            .collect()
    }
}

/// What our side of the reference run produced.
pub struct Run {
    /// Each example's token sequence and where its response starts.
    pub sequences: Vec<(Vec<u32>, usize)>,
    /// The loss before each SGD step.
    pub losses: Vec<f64>,
    /// The adapters before and after training (the exporter writes both).
    #[allow(dead_code)]
    pub initial: LoraAdapters,
    #[allow(dead_code)]
    pub trained: LoraAdapters,
    /// The fixed prompt's chat tokens (with the assistant opener).
    pub prompt_ids: Vec<u32>,
    /// The trained model's next-token log-probabilities after the fixed prompt.
    pub next_logprobs: Vec<f32>,
}

/// Runs the setup on `lm` (the base model, without an adapter; it ends up serving the
/// trained adapter).
pub fn run(lm: SmolLm, setup: &Setup) -> Run {
    let trainer = setup.trainer();
    let pairs = setup.pairs();
    let sequences = pairs
        .iter()
        .map(|p| {
            trainer
                .chat_tokens(&lm, p)
                .unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    let initial = trainer
        .initial_adapters(&lm)
        .unwrap_or_else(|e| panic!("{e}"));
    let (trained, report) = trainer
        .fit(&lm, &pairs, &[])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.steps, setup.steps, "one step per epoch");
    let losses = report.epochs.iter().map(|e| e.train_loss).collect();
    let prompt_ids = lm
        .tokenizer()
        .encode_chat(&[ChatMessage::user(setup.prompt.clone())])
        .unwrap_or_else(|e| panic!("{e}"));
    let tuned = lm
        .with_adapter(trained.clone(), inherit_pretrained::AdapterMode::OnTheFly)
        .unwrap_or_else(|e| panic!("{e}"));
    let rows = tuned
        .next_token_logprobs(&prompt_ids)
        .unwrap_or_else(|e| panic!("{e}"));
    let next_logprobs = rows.last().cloned().expect("a non-empty prompt");
    Run {
        sequences,
        losses,
        initial,
        trained,
        prompt_ids,
        next_logprobs,
    }
}

/// The ids of the `k` largest values, largest first (ties: lower id first).
pub fn top_k(values: &[f32], k: usize) -> Vec<usize> {
    let mut ids: Vec<usize> = (0..values.len()).collect();
    ids.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
    ids.truncate(k);
    ids
}
