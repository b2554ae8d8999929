//! What to generate ([`PromptSpec`]) and what each prompt asked for ([`BiasPrompt`]).

use std::collections::BTreeMap;

use inherit_core::{Axis, BiasType, Prompt};
use serde::{Deserialize, Serialize};

use crate::framework::{BiasTarget, Direction, Portrayal};

/// Chat or raw-completion prompts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PromptStyle {
    /// A system and a user message (instruction-tuned models, `/v1/chat/completions`).
    #[default]
    Chat,
    /// One text ending with the family's `raw_cue` (base models, `/v1/completions`).
    Raw,
}

/// What to generate.
///
/// | name | default | range |
/// |---|---|---|
/// | `family` | — | a family id of the templates |
/// | `bias_type` | — | any [`BiasType`] |
/// | `direction` | stereotype-consistent | any [`Direction`] (ignored by neutral prompts) |
/// | `portrayals` | `[Favoured]` | non-empty; cycled through (after labels and targets) under a non-neutral direction |
/// | `labels` | the family's labels | non-empty after defaulting |
/// | `targets` | the family's stereotypes per label | groups with phrases (explicit) or names (implicit) |
/// | `task` | none | required by templates that use `{task}` (the generic family) |
/// | `style` | chat | chat or raw |
/// | `seed` | 0 | any |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptSpec {
    /// Prompt family id.
    pub family: String,
    /// The bias type.
    pub bias_type: BiasType,
    /// Stereotype-consistent, anti-stereotypical or neutral.
    pub direction: Direction,
    /// Whether the subject is of the favoured group (portrayed as better) or of the
    /// disfavoured one (portrayed as worse). Under [`Direction::Neutral`] the subject's
    /// group is drawn at random instead and portrayed as equal.
    pub portrayals: Vec<Portrayal>,
    /// Labels to cycle through (empty: the family's).
    pub labels: Vec<String>,
    /// Targets to cycle through (empty: the family's stereotypes for each label).
    pub targets: Vec<BiasTarget>,
    /// Task description for `{task}` (e.g. "short movie review").
    pub task: Option<String>,
    /// Chat or raw prompts.
    pub style: PromptStyle,
    /// Seed of the group, name and cue draws.
    pub seed: u64,
}

impl PromptSpec {
    /// A spec with the defaults of the table.
    pub fn new(family: impl Into<String>, bias_type: BiasType) -> Self {
        PromptSpec {
            family: family.into(),
            bias_type,
            direction: Direction::StereotypeConsistent,
            portrayals: vec![Portrayal::Favoured],
            labels: Vec::new(),
            targets: Vec::new(),
            task: None,
            style: PromptStyle::Chat,
            seed: 0,
        }
    }

    /// Builder: the direction.
    pub fn direction(mut self, direction: Direction) -> Self {
        self.direction = direction;
        self
    }

    /// Builder: the portrayals.
    pub fn portrayals(mut self, portrayals: impl IntoIterator<Item = Portrayal>) -> Self {
        self.portrayals = portrayals.into_iter().collect();
        self
    }

    /// Builder: the labels.
    pub fn labels<S: Into<String>>(mut self, labels: impl IntoIterator<Item = S>) -> Self {
        self.labels = labels.into_iter().map(Into::into).collect();
        self
    }

    /// Builder: the targets.
    pub fn targets(mut self, targets: impl IntoIterator<Item = BiasTarget>) -> Self {
        self.targets = targets.into_iter().collect();
        self
    }

    /// Builder: the task description.
    pub fn task(mut self, task: impl Into<String>) -> Self {
        self.task = Some(task.into());
        self
    }

    /// Builder: the prompt style.
    pub fn style(mut self, style: PromptStyle) -> Self {
        self.style = style;
        self
    }

    /// Builder: the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

/// One prompt and what it asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BiasPrompt {
    /// Stable id: family, bias type, direction, seed and index.
    pub id: String,
    /// The family id.
    pub family: String,
    /// What is sent to the generator.
    pub prompt: Prompt,
    /// The bias type.
    pub bias_type: BiasType,
    /// The direction (`None` for neutral prompts).
    pub direction: Option<Direction>,
    /// How the subject is portrayed (`None` for neutral prompts and the neutral direction).
    pub portrayal: Option<Portrayal>,
    /// The label the text should have.
    pub label: Option<String>,
    /// The groups the prompt asked for (the subject's).
    pub stated: BTreeMap<Axis, String>,
    /// The target (`None` for neutral prompts).
    pub target: Option<BiasTarget>,
    /// The groups of the person the subject is compared with (contrastive prompts).
    pub contrast: BTreeMap<Axis, String>,
    /// The person names used in the prompt (subject first).
    pub names: Vec<String>,
}

impl BiasPrompt {
    /// The prompt as one string (what the group-naming checks read).
    pub fn text(&self) -> String {
        self.prompt.flatten()
    }
}
