//! Source tags: a special token per source, `<aug>` or `<orig>`, with test text tagged as
//! original.

use inherit_core::{Dataset, SeededRng};
use serde::{Deserialize, Serialize};

use crate::base::Mitigation;
use crate::error::{Error, Result};
use crate::spec::SpecMember;

/// Parameters of [`SourceTag`].
///
/// | Name | Default | Range |
/// |------|---------|-------|
/// | `augmented` | `<aug>` | non-empty, no whitespace, differs from `original` |
/// | `original` | `<orig>` | non-empty, no whitespace |
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceTagParams {
    /// The token before augmented texts.
    pub augmented: String,
    /// The token before original texts, and before every evaluation text.
    pub original: String,
}

impl Default for SourceTagParams {
    fn default() -> Self {
        SourceTagParams {
            augmented: "<aug>".to_owned(),
            original: "<orig>".to_owned(),
        }
    }
}

impl SourceTagParams {
    /// Checks the ranges in the table above.
    pub fn check(&self) -> Result<()> {
        for (name, tag) in [("augmented", &self.augmented), ("original", &self.original)] {
            if tag.is_empty() || tag.contains(char::is_whitespace) {
                return Err(Error::InvalidParam {
                    mitigation: "tag".into(),
                    name: name.into(),
                    message: format!("a tag is one non-empty token without spaces, got `{tag}`"),
                });
            }
        }
        if self.augmented == self.original {
            return Err(Error::InvalidParam {
                mitigation: "tag".into(),
                name: "augmented".into(),
                message: "the two tags must differ".into(),
            });
        }
        Ok(())
    }
}

/// Source tags (a variant of the paper's token-based mitigation): every training text
/// starts with the token of its source, `<aug>` or `<orig>`, and every evaluation text
/// with the original one, so at test time the model conditions on "original data".
///
/// Spec: `tag`, `tag:augmented=<a>,original=<o>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceTag {
    params: SourceTagParams,
}

impl SourceTag {
    /// Checked source tags.
    pub fn new(params: SourceTagParams) -> Result<Self> {
        params.check()?;
        Ok(SourceTag { params })
    }

    /// The typed parameters (the trait's `params` gives them as JSON).
    pub fn config(&self) -> &SourceTagParams {
        &self.params
    }

    /// Builds from a spec member (`tag:augmented=<a>,original=<o>`).
    pub fn from_spec(member: &SpecMember) -> Result<Self> {
        let opts = member.options(None, &["augmented", "original"])?;
        let mut params = SourceTagParams::default();
        if let Some(tag) = opts.get("augmented") {
            params.augmented = tag.to_owned();
        }
        if let Some(tag) = opts.get("original") {
            params.original = tag.to_owned();
        }
        SourceTag::new(params).map_err(|e| member.error(e.to_string()))
    }
}

impl Mitigation for SourceTag {
    fn spec(&self) -> String {
        let default = SourceTagParams::default();
        let mut member = SpecMember::new("tag");
        if self.params.augmented != default.augmented {
            member = member.keyed("augmented", &self.params.augmented);
        }
        if self.params.original != default.original {
            member = member.keyed("original", &self.params.original);
        }
        member.to_string()
    }

    fn params(&self) -> serde_json::Value {
        serde_json::to_value(&self.params).unwrap_or_default()
    }

    fn prepare(&self, mut dataset: Dataset, _rng: &mut SeededRng) -> Result<Dataset> {
        for example in &mut dataset.examples {
            let tag = if example.is_augmented() {
                &self.params.augmented
            } else {
                &self.params.original
            };
            example.text = format!("{tag} {}", example.text);
        }
        Ok(dataset)
    }

    fn prepare_eval(&self, mut dataset: Dataset) -> Result<Dataset> {
        for example in &mut dataset.examples {
            example.text = format!("{} {}", self.params.original, example.text);
        }
        Ok(dataset)
    }
}
