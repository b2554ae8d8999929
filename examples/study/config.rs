//! The study configuration: every knob of `examples/study`, read from TOML.
//!
//! The default is embedded (`configs/default.toml`); `--config FILE` replaces it,
//! `--print-config` prints it. Unknown keys, γ out of range and unknown mitigations are
//! errors that name the key.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The embedded default configuration.
pub const DEFAULT_TOML: &str = include_str!("../../configs/default.toml");
/// The embedded quick configuration (`--quick`).
pub const QUICK_TOML: &str = include_str!("../../configs/quick.toml");

/// The whole study.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyConfig {
    /// Output directory.
    pub out: PathBuf,
    /// The downstream task (only `occupation` is built in).
    pub task: String,
    /// Bias types of the augmented data (ids such as `contrastive-single-explicit`).
    pub bias_types: Vec<String>,
    /// Bias ratios γ.
    pub gammas: Vec<f64>,
    /// Mitigation spec strings (`none`, `token`, `mask`, `loss:1.0`, `token+mask`, ...).
    pub mitigations: Vec<String>,
    /// Seeds; every cell runs once per seed.
    pub seeds: Vec<u64>,
    /// Compute device for training (`flex`, or `tch-cpu`, `tch-cuda:0`, `cuda:0` with features).
    pub device: String,
    /// The original data and test set.
    pub data: DataConfig,
    /// The augmenting LLM.
    pub generator: GeneratorConfig,
    /// The embedding model for the distribution analysis.
    pub embedding: EmbeddingConfig,
    /// The downstream classifier.
    pub classifier: ClassifierConfig,
}

/// Sizes of the built-in occupation suite.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// Original training biographies per occupation x gender x culture cell.
    pub train_per_cell: usize,
    /// Test biographies per cell.
    pub test_per_cell: usize,
    /// Seed of the suite.
    pub seed: u64,
}

/// The augmenting LLM.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratorConfig {
    /// `smollm2` (in process), `openai` (an OpenAI-compatible endpoint) or `stand-in` (a
    /// model-free generator with a known 80/20 gender skew; for tests).
    pub kind: String,
    /// Local GGUF file instead of the cached download (smollm2).
    #[serde(default)]
    pub gguf: Option<PathBuf>,
    /// Base URL, e.g. `http://127.0.0.1:8080/v1` (openai).
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Model name on the endpoint (openai).
    #[serde(default)]
    pub model: Option<String>,
    /// Environment variable holding the API key (openai); never logged.
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// Neutral prompts per occupation for the group-imbalance measurement.
    pub neutral_per_occupation: usize,
    /// Augmented examples generated per occupation and bias type (the pool D_a draws from).
    pub augmented_per_occupation: usize,
    /// Maximum new tokens per generation.
    pub max_tokens: usize,
    /// Sampling temperature.
    pub temperature: f32,
    /// Nucleus mass.
    pub top_p: f32,
    /// Prompts per batch.
    pub batch_size: usize,
    /// Generation seed.
    pub seed: u64,
}

/// The embedding model.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbeddingConfig {
    /// `minilm` (all-MiniLM-L6-v2, in process), `hashing` (model-free hashed bag of words;
    /// for tests) or `none` to skip the analysis.
    pub kind: String,
    /// Local directory with `model.safetensors` and `tokenizer.json`.
    #[serde(default)]
    pub bert_dir: Option<PathBuf>,
    /// Texts per source embedded for MMD.
    pub samples_per_source: usize,
    /// Permutations of the MMD test.
    pub permutations: usize,
}

/// The downstream classifier.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifierConfig {
    /// `bag` (bag of embeddings) or `transformer`.
    pub model: String,
    /// Tokenizer vocabulary size.
    pub vocab_size: usize,
    /// Embedding width.
    pub embed_dim: usize,
    /// Epochs.
    pub epochs: usize,
    /// Batch size.
    pub batch_size: usize,
    /// Learning rate.
    pub learning_rate: f64,
    /// Maximum tokens per text.
    pub max_len: usize,
}

/// A configuration error naming the key.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl StudyConfig {
    /// Parses TOML text (`origin` names it in errors) and checks the values.
    pub fn parse(text: &str, origin: &str) -> Result<Self, ConfigError> {
        let cfg: StudyConfig =
            toml::from_str(text).map_err(|e| ConfigError(format!("{origin}: {e}")))?;
        cfg.check()
            .map_err(|e| ConfigError(format!("{origin}: {e}")))?;
        Ok(cfg)
    }

    /// Reads and checks a TOML file.
    #[allow(dead_code)] // used by the binary, not by the integration test that includes this file
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Value checks that serde cannot express.
    fn check(&self) -> Result<(), String> {
        if self.task != "occupation" {
            return Err(format!(
                "key `task`: unknown task `{}`; known: occupation",
                self.task
            ));
        }
        for (i, g) in self.gammas.iter().enumerate() {
            inherit::mix::BiasRatio::new(*g).map_err(|e| format!("key `gammas[{i}]`: {e}"))?;
        }
        for (i, b) in self.bias_types.iter().enumerate() {
            b.parse::<inherit::core::BiasType>()
                .map_err(|e| format!("key `bias_types[{i}]`: {e}"))?;
        }
        if self.seeds.is_empty() {
            return Err("key `seeds`: at least one seed is needed".into());
        }
        if self.mitigations.is_empty() {
            return Err(
                "key `mitigations`: at least one mitigation (e.g. `none`) is needed".into(),
            );
        }
        let specs = spec_context();
        for (i, m) in self.mitigations.iter().enumerate() {
            inherit::mitigate::MitigationStack::parse(m, &specs)
                .map_err(|e| format!("key `mitigations[{i}]`: {e}"))?;
        }
        match self.generator.kind.as_str() {
            "smollm2" | "stand-in" => {}
            "openai" => {
                if self.generator.endpoint.is_none() || self.generator.model.is_none() {
                    return Err(
                        "key `generator`: kind `openai` needs `endpoint` and `model`".into(),
                    );
                }
            }
            other => {
                return Err(format!(
                    "key `generator.kind`: unknown `{other}`; known: smollm2, openai, stand-in"
                ));
            }
        }
        if !matches!(self.embedding.kind.as_str(), "minilm" | "hashing" | "none") {
            return Err(format!(
                "key `embedding.kind`: unknown `{}`; known: minilm, hashing, none",
                self.embedding.kind
            ));
        }
        if !matches!(self.classifier.model.as_str(), "bag" | "transformer") {
            return Err(format!(
                "key `classifier.model`: unknown `{}`; known: bag, transformer",
                self.classifier.model
            ));
        }
        Ok(())
    }
}

/// How mitigation specs are parsed in the study: masking and CDA use the built-in lexicon
/// of `inherit-data` (gendered words, first names, culture terms).
pub fn spec_context() -> inherit::mitigate::SpecContext {
    inherit::mitigate::SpecContext::new().with_lexicon(inherit::data::lexicons::default_lexicon())
}
