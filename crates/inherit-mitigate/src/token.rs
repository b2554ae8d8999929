//! Token-based mitigation: a warning sentence before augmented texts.

use inherit_core::{Dataset, Example, SeededRng};
use serde::{Deserialize, Serialize};

use crate::base::Mitigation;
use crate::error::{Error, Result};
use crate::spec::SpecMember;
use crate::target::Target;

/// The paper's prefix for augmented training texts.
pub const DEFAULT_PREFIX: &str = "The following text may contain bias.";

/// Parameters of [`TokenPrefix`].
///
/// | Name | Default | Range |
/// |------|---------|-------|
/// | `text` | [`DEFAULT_PREFIX`] | non-empty, one line |
/// | `target` | [`Target::Augmented`] | augmented, all |
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPrefixParams {
    /// The sentence put before each targeted text (followed by one space).
    pub text: String,
    /// Which training examples get it.
    pub target: Target,
}

impl Default for TokenPrefixParams {
    fn default() -> Self {
        TokenPrefixParams {
            text: DEFAULT_PREFIX.to_owned(),
            target: Target::Augmented,
        }
    }
}

impl TokenPrefixParams {
    /// Checks the ranges in the table above.
    pub fn check(&self) -> Result<()> {
        let message = if self.text.trim().is_empty() {
            "the prefix cannot be empty"
        } else if self.text.contains(['\n', '\r']) {
            "the prefix must be one line"
        } else {
            return Ok(());
        };
        Err(Error::InvalidParam {
            mitigation: "token".into(),
            name: "text".into(),
            message: message.into(),
        })
    }
}

/// Token-based mitigation (Li et al., mitigation strategies: *token-based*): prepends a
/// sentence, by default "The following text may contain bias.", to the augmented training
/// texts (or to all with [`Target::All`]), so the model can attribute the augmented
/// data's bias to the marker instead of the task.
///
/// Evaluation texts are left unchanged: at test time there is no marker.
///
/// Spec: `token`, `token:"TEXT"`, `token:target=all`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TokenPrefix {
    params: TokenPrefixParams,
}

impl TokenPrefix {
    /// A checked token prefix.
    pub fn new(params: TokenPrefixParams) -> Result<Self> {
        params.check()?;
        Ok(TokenPrefix { params })
    }

    /// The typed parameters (the trait's `params` gives them as JSON).
    pub fn config(&self) -> &TokenPrefixParams {
        &self.params
    }

    /// Builds from a spec member (`token:"TEXT",target=all`).
    pub fn from_spec(member: &SpecMember) -> Result<Self> {
        let opts = member.options(Some("text"), &["text", "target"])?;
        let mut params = TokenPrefixParams::default();
        if let Some(text) = opts.get("text") {
            params.text = text.to_owned();
        }
        if let Some(target) = opts.parse("target")? {
            params.target = target;
        }
        TokenPrefix::new(params).map_err(|e| member.error(e.to_string()))
    }

    /// The text with the prefix.
    pub fn apply(&self, text: &str) -> String {
        format!("{} {text}", self.params.text)
    }
}

impl Mitigation for TokenPrefix {
    fn spec(&self) -> String {
        let mut member = SpecMember::new("token");
        if self.params.text != DEFAULT_PREFIX {
            member = member.arg(&self.params.text);
        }
        if self.params.target != Target::default() {
            member = member.keyed("target", self.params.target.as_str());
        }
        member.to_string()
    }

    /// Acting on augmented examples only, it has nothing to act on without them.
    fn inert_without_augmented(&self) -> bool {
        self.params.target == Target::Augmented
    }

    fn params(&self) -> serde_json::Value {
        serde_json::to_value(&self.params).unwrap_or_default()
    }

    /// Chat fine-tuning: the responses stay as they are; the prefix goes into the user
    /// turn ([`Mitigation::user_turn_prefix`]).
    fn prepare_chat(&self, dataset: Dataset, _rng: &mut SeededRng) -> Result<Dataset> {
        Ok(dataset)
    }

    fn user_turn_prefix(&self, example: &Example) -> Option<String> {
        self.params
            .target
            .applies_to(example)
            .then(|| self.params.text.clone())
    }

    fn prepare(&self, mut dataset: Dataset, _rng: &mut SeededRng) -> Result<Dataset> {
        for example in &mut dataset.examples {
            if self.params.target.applies_to(example) {
                example.text = self.apply(&example.text);
            }
        }
        Ok(dataset)
    }
}
