//! Model-facing traits: what the training crate's models, the pretrained models and
//! remote servers implement, and what augmentation and evaluation consume.
//!
//! They are plain Rust (no tensor types), object-safe and `Send + Sync`, so any of them
//! can be used as `Box<dyn ...>` or `Arc<dyn ...>`.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The content.
    pub content: String,
}

impl ChatMessage {
    /// A message with a role.
    pub fn new(role: impl Into<String>, content: impl Into<String>) -> Self {
        ChatMessage {
            role: role.into(),
            content: content.into(),
        }
    }

    /// A `user` message.
    pub fn user(content: impl Into<String>) -> Self {
        Self::new("user", content)
    }

    /// A `system` message.
    pub fn system(content: impl Into<String>) -> Self {
        Self::new("system", content)
    }
}

/// What to send to a generator: raw text to continue, or a chat conversation (which the
/// generator renders with its own chat template and answers as the assistant).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "lowercase")]
pub enum Prompt {
    /// Plain text continuation.
    Raw(String),
    /// A conversation; the reply is the next assistant turn.
    Chat(Vec<ChatMessage>),
}

impl Prompt {
    /// A one-turn chat with a user message.
    pub fn user(content: impl Into<String>) -> Self {
        Prompt::Chat(vec![ChatMessage::user(content)])
    }

    /// The prompt as one string (chat turns as `role: content` lines), for hashing and logs.
    pub fn flatten(&self) -> String {
        match self {
            Prompt::Raw(s) => s.clone(),
            Prompt::Chat(msgs) => msgs
                .iter()
                .map(|m| format!("{}: {}", m.role, m.content))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

/// Sampling parameters of [`TextGenerator::generate`].
///
/// | name | default | range |
/// |---|---|---|
/// | `max_tokens` | 128 | >= 1 |
/// | `temperature` | 0.7 | >= 0 (0 = greedy) |
/// | `top_p` | 0.95 | (0, 1] |
/// | `top_k` | 50 | >= 0 (0 = off) |
/// | `seed` | 0 | any; prompt `i` of a batch samples with a stream derived from `(seed, i)` |
/// | `stop` | [] | strings that end a generation (not included in the output) |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GenerationParams {
    /// Maximum new tokens per prompt.
    pub max_tokens: usize,
    /// Softmax temperature; 0 means greedy decoding.
    pub temperature: f32,
    /// Nucleus sampling mass.
    pub top_p: f32,
    /// Keep only the k most likely tokens (0 = no limit).
    pub top_k: usize,
    /// Sampling seed.
    pub seed: u64,
    /// Stop strings.
    pub stop: Vec<String>,
}

impl Default for GenerationParams {
    fn default() -> Self {
        GenerationParams {
            max_tokens: 128,
            temperature: 0.7,
            top_p: 0.95,
            top_k: 50,
            seed: 0,
            stop: Vec::new(),
        }
    }
}

impl GenerationParams {
    /// Greedy decoding of up to `max_tokens` tokens.
    pub fn greedy(max_tokens: usize) -> Self {
        GenerationParams {
            max_tokens,
            temperature: 0.0,
            ..Self::default()
        }
    }

    /// Checks the ranges in the table above.
    pub fn check(&self) -> Result<()> {
        if self.max_tokens == 0 {
            return Err(Error::invalid("max_tokens", "must be at least 1"));
        }
        if !(self.temperature >= 0.0 && self.temperature.is_finite()) {
            return Err(Error::invalid(
                "temperature",
                format!("must be >= 0, got {}", self.temperature),
            ));
        }
        if !(self.top_p > 0.0 && self.top_p <= 1.0) {
            return Err(Error::invalid(
                "top_p",
                format!("must be in (0, 1], got {}", self.top_p),
            ));
        }
        Ok(())
    }
}

/// A text generator: a local LM or a remote server.
pub trait TextGenerator: Send + Sync {
    /// A stable id (model and backend), recorded in provenance and cache keys.
    fn id(&self) -> String;

    /// Generates one continuation per prompt (the new text only, prompt excluded).
    fn generate(&self, prompts: &[Prompt], params: &GenerationParams) -> Result<Vec<String>>;

    /// Generates one continuation per prompt, keeping those that finished when others
    /// failed, so a caller can cache every paid-for completion before giving up. The
    /// default calls [`TextGenerator::generate`] (all succeed or none); backends that run
    /// prompts independently (servers) override it.
    fn generate_each(&self, prompts: &[Prompt], params: &GenerationParams) -> PartialGeneration {
        match self.generate(prompts, params) {
            Ok(outputs) if outputs.len() == prompts.len() => PartialGeneration {
                outputs: outputs.into_iter().map(Some).collect(),
                error: None,
            },
            Ok(outputs) => PartialGeneration {
                outputs: vec![None; prompts.len()],
                error: Some(Error::backend(
                    self.id(),
                    format!(
                        "returned {} outputs for {} prompts",
                        outputs.len(),
                        prompts.len()
                    ),
                )),
            },
            Err(e) => PartialGeneration {
                outputs: vec![None; prompts.len()],
                error: Some(e),
            },
        }
    }
}

/// What [`TextGenerator::generate_each`] returns: the output of every prompt that
/// finished, and the first error when some did not.
#[derive(Debug)]
pub struct PartialGeneration {
    /// One entry per prompt: its output, or `None` when it did not finish.
    pub outputs: Vec<Option<String>>,
    /// The first error, when any prompt did not finish.
    pub error: Option<Error>,
}

impl PartialGeneration {
    /// All outputs, or the error.
    pub fn into_result(self) -> Result<Vec<String>> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self
                .outputs
                .into_iter()
                .map(Option::unwrap_or_default)
                .collect()),
        }
    }
}

/// The log-likelihood of one text under a language model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SequenceScore {
    /// Sum of the per-token log-probabilities (natural log).
    pub total: f64,
    /// Log-probability of each scored token given those before it.
    pub per_token: Vec<f64>,
}

impl SequenceScore {
    /// Mean log-probability per token (`total` when there are no tokens).
    pub fn mean(&self) -> f64 {
        if self.per_token.is_empty() {
            self.total
        } else {
            self.total / self.per_token.len() as f64
        }
    }
}

/// Scores texts by log-likelihood (CrowS-Pairs-style benchmarks).
pub trait SequenceScorer: Send + Sync {
    /// One score per text.
    fn score(&self, texts: &[String]) -> Result<Vec<SequenceScore>>;
}

/// Scores candidate answers to prompts: how likely a model is to reply with each answer.
///
/// The study's tasks ask a fine-tuned LLM a question (hire or reject, which occupation)
/// and read its decision from the likelihood of the possible answers, so no free text
/// needs parsing.
pub trait AnswerScorer: Send + Sync {
    /// For each prompt, the log-likelihood (natural log) of each answer as the complete
    /// reply (for a chat model: the assistant turn, its end-of-turn token included):
    /// `result[p][a]`.
    fn score_answers(&self, prompts: &[Prompt], answers: &[String]) -> Result<Vec<Vec<f64>>>;
}

/// Maps texts to fixed-size vectors.
pub trait Embedder: Send + Sync {
    /// The vector width.
    fn dim(&self) -> usize;

    /// One vector of length [`Embedder::dim`] per text.
    fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>>;
}

/// A text classifier over a fixed label set.
pub trait TextClassifier: Send + Sync {
    /// The class names, in probability order.
    fn labels(&self) -> &[String];

    /// One probability vector (summing to 1) per text.
    fn predict_proba(&self, texts: &[String]) -> Result<Vec<Vec<f32>>>;

    /// The most likely class index per text.
    fn predict(&self, texts: &[String]) -> Result<Vec<usize>> {
        Ok(self
            .predict_proba(texts)?
            .iter()
            .map(|p| argmax(p))
            .collect())
    }
}

/// Index of the largest value (the first on ties; 0 for an empty slice).
pub fn argmax(values: &[f32]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Constant(Vec<String>);
    impl TextClassifier for Constant {
        fn labels(&self) -> &[String] {
            &self.0
        }
        fn predict_proba(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
            Ok(texts
                .iter()
                .map(|t| {
                    if t.contains('b') {
                        vec![0.2, 0.8]
                    } else {
                        vec![0.6, 0.4]
                    }
                })
                .collect())
        }
    }

    #[test]
    fn default_predict_takes_argmax_and_traits_are_object_safe() {
        let c: Box<dyn TextClassifier> = Box::new(Constant(vec!["a".into(), "b".into()]));
        assert_eq!(c.predict(&["xb".into(), "xa".into()]).unwrap(), vec![1, 0]);
        assert_eq!(argmax(&[1.0, 3.0, 3.0]), 1);
    }

    #[test]
    fn generation_params_are_checked() {
        assert!(GenerationParams::default().check().is_ok());
        assert!(
            GenerationParams {
                top_p: 0.0,
                ..Default::default()
            }
            .check()
            .is_err()
        );
        assert!(
            GenerationParams {
                max_tokens: 0,
                ..Default::default()
            }
            .check()
            .is_err()
        );
        assert!(
            GenerationParams {
                temperature: -1.0,
                ..Default::default()
            }
            .check()
            .is_err()
        );
    }

    #[test]
    fn prompt_serialises_with_kind() {
        let p = Prompt::user("hi");
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"chat","value":[{"role":"user","content":"hi"}]}"#
        );
        assert_eq!(p.flatten(), "user: hi");
    }
}
