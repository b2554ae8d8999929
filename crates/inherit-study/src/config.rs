//! The study configuration, read from TOML: [`StudyConfig`] → [`StudyConfig::check`] →
//! [`ValidStudyConfig`].
//!
//! The shipped configurations are embedded ([`DEFAULT_TOML`], [`QUICK_TOML`],
//! [`PAPER_TOML`]). Unknown keys, γ out of range, unknown bias types, tasks, models and
//! mitigation specs are errors that name the key; so are counts and sizes over their
//! bounds and repeated seeds, γ values, mitigations or bias types ([`crate::bounds`]).
//!
//! | key | default (`configs/default.toml`) | meaning |
//! |---|---|---|
//! | `out` | `runs/study` | output folder (results, report, caches) |
//! | `bias_types` | `["contrastive-single-explicit"]` | bias types of D_a (framework ids) |
//! | `gammas` | `[0, 0.5]` | bias ratios γ = \|D_a\| / (\|D_o\| + \|D_a\|), each in [0, 1) |
//! | `mitigations` | `["none", "token", "mask", "loss:1.0"]` | mitigation specs (`inherit_mitigate` grammar) |
//! | `seeds` | `[1, 2, 3, 4, 5, 6]` | one cell per seed; paired tests run over seeds |
//! | `device` | `flex` | training device (`flex`; `tch-cpu`, `tch-cuda:N`, `cuda:N` by feature) |
//! | `[[tasks]]` | occupation, then hiring (the table shows the first task) | one entry per task; several tasks run as one sub-study each in `out/<name>/` ([`crate::multi`]) |
//! | `tasks[].name` | the kind | folder name and report heading, unique |
//! | `tasks[].kind` | `occupation` | the downstream task (built in: `occupation`, `hiring`, `toxicity` (identity madlibs, directly related to bias), `sentiment` (SST-2, indirectly related); the last two read the shared data directory, `INHERIT_DATA_DIR` or `../shared/data`), `salary` (salary bands, gender), `story` (story generation, culture × gender; needs a downstream model that writes text) |
//! | `tasks[].axis` | `gender` | the group axis whose gap is measured |
//! | `tasks[].groups` | `["female", "male"]` | the two groups compared (gap = first − second) |
//! | `tasks[].train_per_cell` | 2 | D_o examples per cell of the task's suite (occupation × gender × culture; hiring: culture × gender × decision; salary: culture × gender × band; story: culture × gender × topic) |
//! | `tasks[].test_per_cell` | 4 | balanced test examples per cell (hiring on another axis than culture adds twice as many borderline profiles per culture × gender) |
//! | `tasks[].seed` | 0 | seed of the built-in suite |
//! | `tasks[].rounds` | 0 | multi-round self-augmentation: R rounds (0 … R − 1) per seed, each round's D_a written by the previous round's fine-tuned model under neutral prompts ([`crate::rounds`]; needs a downstream model that generates) |
//! | `tasks[].rounds_gamma` | 0.5 | γ of every round's mix |
//! | `tasks[].rounds_pool_per_label` | 50 | texts per label each round's generator writes under neutral prompts (round 0: the base generator, drawn per seed) |
//! | `tasks[].rounds_control` | true | also run, per seed, the control chain whose round 0 pool is balanced between the two groups |
//! | `tasks[].pairs` | 100 | counterfactual base profiles (hiring on the culture axis: each rendered in every culture, only the name and city swapped, plus a placebo) |
//! | `tasks[].rule` | `experience_and_degree` | the hiring suite's rule: `experience_and_degree` (hire with ≥ 6 years and the role's degree) or `experience` (every candidate has the degree; the years decide) |
//! | `tasks[].downstream` | – | keys of `[downstream]` this task changes, e.g. `{ model = "smollm2-lora", epochs = 2 }` |
//! | `generator.kind` | `smollm2` | `smollm2` (in process), `openai` (server), `stand-in` (model-free, known 80/20 skew) |
//! | `generator.gguf` | – | local GGUF instead of the pip-fetched SmolLM2 |
//! | `generator.endpoint`, `model`, `api_key_env` | – | the OpenAI-compatible server (`openai`) |
//! | `generator.neutral_per_label` | 10 | neutral prompts per label (the generator's own group balance) |
//! | `generator.augmented_per_label` | 20 | D_a pool size per label and bias type |
//! | `generator.max_tokens` | 80 | new tokens per generation |
//! | `generator.temperature`, `top_p` | 0.8, 0.95 | sampling |
//! | `generator.batch_size` | 16 | prompts per batch |
//! | `generator.seed` | 7 | generation seed |
//! | `embedding.kind` | `minilm` | `minilm`, `hashing` (model-free) or `none` (skip the shift analysis) |
//! | `embedding.bert_dir` | – | local BERT folder instead of the pip-fetched MiniLM |
//! | `embedding.samples_per_source` | 60 | texts per source embedded for MMD |
//! | `embedding.permutations` | 500 | permutations of the MMD test |
//! | `downstream.model` | `bag` | `bag` (bag of embeddings), `transformer`, `bert` (MiniLM fine-tuned), `smollm2-lora` (SmolLM2 fine-tuned with LoRA; needs a task with an instruction format) |
//! | `downstream.bert_dir` | – | local BERT folder for `bert` |
//! | `downstream.gguf` | – | local GGUF for `smollm2-lora` |
//! | `downstream.lora_rank` | 8 | LoRA rank (`smollm2-lora`) |
//! | `downstream.lora_layers` | `top:4` | adapted layers, `all` or `top:K` (`smollm2-lora`) |
//! | `downstream.vocab_size` | 2000 | tokenizer vocabulary (`bag`, `transformer`) |
//! | `downstream.embed_dim` | 64 | embedding / model width (`bag`, `transformer`) |
//! | `downstream.epochs` | 30 | training epochs |
//! | `downstream.max_steps` | – | optimizer steps per cell, equal at every γ (`smollm2-lora`; replaces `epochs`) |
//! | `downstream.batch_size` | 32 | batch size |
//! | `downstream.learning_rate` | 0.01 | AdamW learning rate |
//! | `downstream.max_len` | 128 | tokens per text (also the transformer's position table) |

use std::path::{Path, PathBuf};

use inherit_core::{Axis, BiasType};
use inherit_mitigate::{MitigationStack, SpecContext};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// `configs/default.toml`: README's first command.
pub const DEFAULT_TOML: &str = include_str!("../../../configs/default.toml");
/// `configs/quick.toml`: `--quick`.
pub const QUICK_TOML: &str = include_str!("../../../configs/quick.toml");
/// `configs/paper.toml`: the paper's grid, sized for a GPU machine.
pub const PAPER_TOML: &str = include_str!("../../../configs/paper.toml");

/// Every shipped configuration, by name (for `--print-config` and the shipped-config test).
pub const SHIPPED: [(&str, &str); 3] = [
    ("default", DEFAULT_TOML),
    ("quick", QUICK_TOML),
    ("paper", PAPER_TOML),
];

/// The whole study (see the module docs for the keys).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyConfig {
    /// Output directory.
    pub out: PathBuf,
    /// Bias types of the augmented data.
    pub bias_types: Vec<String>,
    /// Bias ratios γ.
    pub gammas: Vec<f64>,
    /// Mitigation spec strings.
    pub mitigations: Vec<String>,
    /// Seeds.
    pub seeds: Vec<u64>,
    /// Training device.
    pub device: String,
    /// The tasks: one sub-study each (in `out/<task name>/` when there are several),
    /// sharing the grid, the generator and the embedder.
    pub tasks: Vec<TaskConfig>,
    /// The augmenting LLM.
    pub generator: GeneratorConfig,
    /// The embedding model of the distribution analysis.
    pub embedding: EmbeddingConfig,
    /// The downstream model trained in every cell.
    pub downstream: DownstreamConfig,
}

/// A task, the groups compared, the size of its original data, and what it changes of
/// the downstream model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskConfig {
    /// Folder name and report heading (default: the kind); unique among the tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Task kind (`occupation`, `hiring`, `toxicity`, `sentiment`, `salary`, `story`).
    pub kind: String,
    /// The group axis (`gender`, `culture`, ...).
    pub axis: String,
    /// The two groups whose gap is reported (first − second).
    pub groups: [String; 2],
    /// Original training examples per cell of the suite.
    pub train_per_cell: usize,
    /// Test examples per cell.
    pub test_per_cell: usize,
    /// Seed of the suite.
    pub seed: u64,
    /// Rounds of multi-round self-augmentation (0, the default: none). With `R` ≥ 1,
    /// every seed runs a chain of rounds 0 … R − 1: round 0 trains on D_o mixed with the base
    /// generator's neutral-prompt outputs, round r on D_o mixed with what the model of
    /// round r − 1 writes under the same neutral prompts (see [`crate::rounds`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rounds: u32,
    /// γ of every round's mix (default 0.5).
    #[serde(default = "default_rounds_gamma")]
    pub rounds_gamma: f64,
    /// Texts per label that each round's generator writes under neutral prompts (round
    /// 0: the base generator, a fresh draw per seed; default 50).
    #[serde(default = "default_rounds_pool_per_label")]
    pub rounds_pool_per_label: usize,
    /// Whether every seed also runs the control chain, whose round 0 pool is balanced
    /// between the two compared groups (default true).
    #[serde(default = "default_true")]
    pub rounds_control: bool,
    /// Counterfactual base profiles of the paired design (hiring on the culture axis:
    /// each rendered once per culture plus a placebo; default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairs: Option<usize>,
    /// The rule that decides the hiring suite's profiles (`experience_and_degree`, the
    /// default, or `experience`); hiring tasks only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<inherit_data::HiringRule>,
    /// Keys of `[downstream]` that this task changes (e.g. `{ model = "smollm2-lora",
    /// epochs = 2 }`); the others are the study's.
    #[serde(default, skip_serializing_if = "toml::Table::is_empty")]
    pub downstream: toml::Table,
}

impl TaskConfig {
    /// The task's name: [`TaskConfig::name`], else its kind.
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.kind)
    }
}

/// The augmenting LLM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratorConfig {
    /// `smollm2`, `openai` or `stand-in`.
    pub kind: String,
    /// Local GGUF file (smollm2).
    #[serde(default)]
    pub gguf: Option<PathBuf>,
    /// Base URL (openai). Written out (to `study.toml`, the manifest) with any
    /// `user:password@` credentials redacted ([`inherit_augment::openai::redact_url`]).
    #[serde(default, serialize_with = "ser_endpoint")]
    pub endpoint: Option<String>,
    /// Model name on the endpoint (openai).
    #[serde(default)]
    pub model: Option<String>,
    /// Environment variable holding the API key (openai); never logged.
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// Neutral prompts per label.
    pub neutral_per_label: usize,
    /// Augmented examples per label and bias type.
    pub augmented_per_label: usize,
    /// Maximum new tokens.
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbeddingConfig {
    /// `minilm`, `hashing` or `none`.
    pub kind: String,
    /// Local BERT folder.
    #[serde(default)]
    pub bert_dir: Option<PathBuf>,
    /// Texts per source embedded for MMD.
    pub samples_per_source: usize,
    /// Permutations of the MMD test.
    pub permutations: usize,
}

/// The downstream model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DownstreamConfig {
    /// `bag`, `transformer`, `bert` or `smollm2-lora`.
    pub model: String,
    /// Local BERT folder (`bert`).
    #[serde(default)]
    pub bert_dir: Option<PathBuf>,
    /// Local GGUF file instead of the pip-fetched SmolLM2 (`smollm2-lora`).
    #[serde(default)]
    pub gguf: Option<PathBuf>,
    /// LoRA rank (`smollm2-lora`).
    #[serde(default = "default_lora_rank")]
    pub lora_rank: usize,
    /// The adapted layers, `all` or `top:K` (`smollm2-lora`; with `top:K` the frozen
    /// layers below come from a prefix cache shared by every cell).
    #[serde(default = "default_lora_layers")]
    pub lora_layers: String,
    /// Tokenizer vocabulary size.
    pub vocab_size: usize,
    /// Embedding / model width.
    pub embed_dim: usize,
    /// Epochs (when `max_steps` is not set).
    pub epochs: usize,
    /// Optimizer steps of every cell's training, the same at every γ and mitigation
    /// (`smollm2-lora`; the data are cycled in seeded epochs as long as needed). When
    /// set it replaces `epochs`, so training length is not confounded with the mix's
    /// size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_steps: Option<usize>,
    /// Batch size.
    pub batch_size: usize,
    /// Learning rate.
    pub learning_rate: f64,
    /// Maximum tokens per text.
    pub max_len: usize,
}

fn ser_endpoint<S: serde::Serializer>(
    endpoint: &Option<String>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    endpoint
        .as_deref()
        .map(inherit_augment::openai::redact_url)
        .serialize(s)
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn default_rounds_gamma() -> f64 {
    0.5
}

fn default_rounds_pool_per_label() -> usize {
    50
}

fn default_true() -> bool {
    true
}

fn default_lora_rank() -> usize {
    8
}

fn default_lora_layers() -> String {
    "top:4".into()
}

/// The built-in tasks.
pub const TASKS: [&str; 6] = [
    "occupation",
    "hiring",
    "toxicity",
    "sentiment",
    "salary",
    "story",
];
/// The built-in downstream models.
pub const DOWNSTREAM_MODELS: [&str; 4] = ["bag", "transformer", "bert", "smollm2-lora"];

/// A checked [`StudyConfig`]: every value is in range and every name is known.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct ValidStudyConfig(StudyConfig);

impl std::ops::Deref for ValidStudyConfig {
    type Target = StudyConfig;
    fn deref(&self) -> &StudyConfig {
        &self.0
    }
}

impl ValidStudyConfig {
    /// The same configuration writing to `out`.
    pub fn with_out(mut self, out: impl Into<PathBuf>) -> Self {
        self.0.out = out.into();
        self
    }

    /// The configuration with every SmolLM2 model (the `smollm2` generator and the
    /// `smollm2-lora` downstream models, tasks' own settings included) read from the
    /// GGUF file `path` instead of the pip-fetched SmolLM2. The models' hashes enter the
    /// cells' keys, so results of another model are never mixed in.
    pub fn with_gguf(mut self, path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        if self.0.generator.kind == "smollm2" {
            self.0.generator.gguf = Some(path.clone());
        }
        self.0.downstream.gguf = Some(path.clone());
        for t in &mut self.0.tasks {
            if t.downstream.contains_key("gguf") {
                t.downstream.insert(
                    "gguf".into(),
                    toml::Value::String(path.display().to_string()),
                );
            }
        }
        self
    }

    /// The configuration itself (to change it, then [`StudyConfig::check`] again).
    pub fn into_inner(self) -> StudyConfig {
        self.0
    }

    /// The first task (the only one of a single-task configuration).
    pub fn task(&self) -> &TaskConfig {
        &self.tasks[0]
    }

    /// The first task's group axis.
    pub fn axis(&self) -> Axis {
        self.task().axis.parse().expect("checked")
    }

    /// One single-task configuration per task: its `[downstream]` with the task's
    /// changes, writing to `out/<task name>` when there are several tasks (to `out`
    /// itself when there is one).
    pub fn per_task(&self) -> Vec<ValidStudyConfig> {
        let several = self.tasks.len() > 1;
        self.tasks
            .iter()
            .map(|t| {
                let mut c = self.0.clone();
                c.downstream =
                    merged_downstream(&self.downstream, &t.downstream, "checked").expect("checked");
                c.tasks = vec![TaskConfig {
                    downstream: toml::Table::new(),
                    ..t.clone()
                }];
                if several {
                    c.out = self.out.join(t.name());
                }
                ValidStudyConfig(c)
            })
            .collect()
    }

    /// The bias types, parsed.
    pub fn bias_types_parsed(&self) -> Vec<BiasType> {
        self.bias_types
            .iter()
            .map(|b| b.parse().expect("checked"))
            .collect()
    }
}

impl StudyConfig {
    /// Parses TOML text (`origin` names it in errors) and checks it.
    pub fn parse(text: &str, origin: &str) -> Result<ValidStudyConfig> {
        let cfg: StudyConfig = toml::from_str(text).map_err(|e| Error::Toml {
            origin: origin.to_owned(),
            message: e.to_string(),
        })?;
        cfg.check(origin)
    }

    /// Reads and checks a TOML file.
    pub fn load(path: &Path) -> Result<ValidStudyConfig> {
        // Only a regular file: a FIFO or `/dev/zero` would hang or exhaust memory.
        let text = inherit_core::io::read_regular_string(path)?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Checks the values serde cannot (`origin` names the source in errors).
    pub fn check(self, origin: &str) -> Result<ValidStudyConfig> {
        let err = |key: &str, msg: String| Err(Error::config(origin, key, msg));
        if self.tasks.is_empty() {
            return err("tasks", "at least one task is needed".into());
        }
        if let Err((key, message)) = crate::bounds::check(&self) {
            return err(&key, message);
        }
        for (i, t) in self.tasks.iter().enumerate() {
            let key = |k: &str| format!("tasks[{i}].{k}");
            if !TASKS.contains(&t.kind.as_str()) {
                return err(
                    &key("kind"),
                    format!("unknown task `{}`; known: {}", t.kind, TASKS.join(", ")),
                );
            }
            if let Err(e) = t.axis.parse::<Axis>() {
                return err(&key("axis"), e.to_string());
            }
            if t.groups[0] == t.groups[1] {
                return err(&key("groups"), "the two groups must differ".into());
            }
            if t.train_per_cell == 0 || t.test_per_cell == 0 {
                return err(
                    &key("train_per_cell"),
                    "train_per_cell and test_per_cell must be >= 1".into(),
                );
            }
            if let Some(n) = t.pairs
                && !(1..=inherit_data::hiring_pairs::MAX_PAIRS).contains(&n)
            {
                return err(
                    &key("pairs"),
                    format!(
                        "must be in 1..={}, got {n}",
                        inherit_data::hiring_pairs::MAX_PAIRS
                    ),
                );
            }
            if t.rule.is_some() && t.kind != "hiring" {
                return err(
                    &key("rule"),
                    format!("only hiring tasks take a rule, not `{}`", t.kind),
                );
            }
            if let Err(e) = inherit_mix::BiasRatio::new(t.rounds_gamma) {
                return err(&key("rounds_gamma"), e.to_string());
            }
            if !(1..=100_000).contains(&t.rounds_pool_per_label) {
                return err(
                    &key("rounds_pool_per_label"),
                    format!("must be in 1..=100000, got {}", t.rounds_pool_per_label),
                );
            }
            if t.rounds > 0 && t.rounds_gamma == 0.0 {
                return err(
                    &key("rounds_gamma"),
                    "self-augmentation rounds need a γ above 0".into(),
                );
            }
            let name = t.name();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return err(
                    &key("name"),
                    format!("`{name}` must be a folder name of letters, digits, `-`, `_`"),
                );
            }
            if self.tasks[..i].iter().any(|o| o.name() == name) {
                return err(
                    &key("name"),
                    format!("two tasks are named `{name}`; give one a `name`"),
                );
            }
            let d = match merged_downstream(&self.downstream, &t.downstream, &key("downstream")) {
                Ok(d) => d,
                Err(e) => return Err(Error::config(origin, key("downstream"), e.to_string())),
            };
            check_downstream(&d).map_err(|(k, m)| {
                Error::config(origin, format!("{} ({k})", key("downstream")), m)
            })?;
            crate::bounds::check_downstream(&d).map_err(|(k, m)| {
                Error::config(origin, format!("{} ({k})", key("downstream")), m)
            })?;
        }
        if self.gammas.is_empty() {
            return err("gammas", "at least one γ is needed".into());
        }
        for (i, g) in self.gammas.iter().enumerate() {
            if let Err(e) = inherit_mix::BiasRatio::new(*g) {
                return err(&format!("gammas[{i}]"), e.to_string());
            }
        }
        if self.bias_types.is_empty() {
            return err("bias_types", "at least one bias type is needed".into());
        }
        for (i, b) in self.bias_types.iter().enumerate() {
            if let Err(e) = b.parse::<BiasType>() {
                return err(&format!("bias_types[{i}]"), e.to_string());
            }
        }
        if self.seeds.is_empty() {
            return err("seeds", "at least one seed is needed".into());
        }
        if self.mitigations.is_empty() {
            return err(
                "mitigations",
                "at least one mitigation (e.g. `none`) is needed".into(),
            );
        }
        let specs = SpecContext::new().with_lexicon(inherit_data::lexicons::default_lexicon());
        for (i, m) in self.mitigations.iter().enumerate() {
            if let Err(e) = MitigationStack::parse(m, &specs) {
                return err(&format!("mitigations[{i}]"), e.to_string());
            }
        }
        if let Err(e) = self.device.parse::<inherit_train::DeviceSpec>() {
            return err("device", e.to_string());
        }
        let g = &self.generator;
        match g.kind.as_str() {
            "smollm2" | "stand-in" => {}
            "openai" => {
                if g.endpoint.is_none() || g.model.is_none() {
                    return err(
                        "generator",
                        "kind `openai` needs `endpoint` and `model`".into(),
                    );
                }
            }
            other => {
                return err(
                    "generator.kind",
                    format!("unknown `{other}`; known: smollm2, openai, stand-in"),
                );
            }
        }
        for (key, v) in [
            ("generator.augmented_per_label", g.augmented_per_label),
            ("generator.max_tokens", g.max_tokens),
            ("generator.batch_size", g.batch_size),
        ] {
            if v == 0 {
                return err(key, "must be >= 1".into());
            }
        }
        if !matches!(self.embedding.kind.as_str(), "minilm" | "hashing" | "none") {
            return err(
                "embedding.kind",
                format!(
                    "unknown `{}`; known: minilm, hashing, none",
                    self.embedding.kind
                ),
            );
        }
        if let Err((key, message)) = check_downstream(&self.downstream) {
            return err(key, message);
        }
        if let Err((key, message)) = crate::bounds::check_downstream(&self.downstream) {
            return err(&key, message);
        }
        Ok(ValidStudyConfig(self))
    }
}

/// Checks a downstream configuration; the error names the key.
fn check_downstream(d: &DownstreamConfig) -> std::result::Result<(), (&'static str, String)> {
    if !DOWNSTREAM_MODELS.contains(&d.model.as_str()) {
        return Err((
            "downstream.model",
            format!(
                "unknown `{}`; known: {}",
                d.model,
                DOWNSTREAM_MODELS.join(", ")
            ),
        ));
    }
    for (key, v) in [
        ("downstream.epochs", d.epochs),
        ("downstream.batch_size", d.batch_size),
        ("downstream.max_len", d.max_len),
        ("downstream.embed_dim", d.embed_dim),
        ("downstream.vocab_size", d.vocab_size),
    ] {
        if v == 0 {
            return Err((key, "must be >= 1".into()));
        }
    }
    if d.max_steps == Some(0) {
        return Err(("downstream.max_steps", "must be >= 1 when set".into()));
    }
    if d.lora_rank == 0 || d.lora_rank > inherit_pretrained::lora_config::MAX_RANK {
        return Err((
            "downstream.lora_rank",
            format!(
                "must be in 1..={}",
                inherit_pretrained::lora_config::MAX_RANK
            ),
        ));
    }
    if let Err(e) = d.lora_layers.parse::<inherit_pretrained::LayerSelection>() {
        return Err(("downstream.lora_layers", e.to_string()));
    }
    if !(d.learning_rate.is_finite() && d.learning_rate > 0.0) {
        return Err((
            "downstream.learning_rate",
            format!("must be a positive number, got {}", d.learning_rate),
        ));
    }
    Ok(())
}

/// `base` with the keys of `changes` replaced (`what` names the changes in errors).
fn merged_downstream(
    base: &DownstreamConfig,
    changes: &toml::Table,
    what: &str,
) -> Result<DownstreamConfig> {
    if changes.is_empty() {
        return Ok(base.clone());
    }
    let bad = |e: String| Error::Toml {
        origin: what.to_owned(),
        message: e,
    };
    let mut table = toml::Table::try_from(base).map_err(|e| bad(e.to_string()))?;
    for (k, v) in changes {
        table.insert(k.clone(), v.clone());
    }
    table
        .try_into()
        .map_err(|e: toml::de::Error| bad(e.to_string()))
}

/// How mitigation specs are parsed in the study: masking and CDA use `lexicon`.
pub fn spec_context(lexicon: inherit_core::Lexicon) -> SpecContext {
    SpecContext::new().with_lexicon(lexicon)
}
