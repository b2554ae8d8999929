//! Mask-based mitigation: sensitive cues in augmented texts replaced by `[MASK]` or a
//! neutral word.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use inherit_core::{Dataset, Lexicon, SeededRng, TermKind};
use serde::{Deserialize, Serialize};

use crate::base::Mitigation;
use crate::error::{Error, Result};
use crate::rewrite::{Edit, match_case, splice, stands_alone};
use crate::spec::{SpecContext, SpecMember};
use crate::target::Target;

/// Meta key holding the number of replacements made in an example.
pub const MASK_REPLACEMENTS_KEY: &str = "mask_replacements";

/// Placeholder names tried in order when none is given: the first that is not a term of
/// the lexicon is used.
pub const PLACEHOLDER_NAMES: [&str; 6] = ["Alex", "Sam", "Jordan", "Taylor", "Robin", "Kim"];

/// How a sensitive term is replaced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MaskMode {
    /// By the mask token (`[MASK]`).
    #[default]
    Token,
    /// By the entry's neutral form (she -> they, Mr -> Mx), a placeholder name for first
    /// names, and the mask token for terms with no neutral form (culture terms).
    Neutral,
}

impl MaskMode {
    /// The spec-string name: `token` or `neutral`.
    pub fn as_str(self) -> &'static str {
        match self {
            MaskMode::Token => "token",
            MaskMode::Neutral => "neutral",
        }
    }
}

impl fmt::Display for MaskMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MaskMode {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "token" => Ok(MaskMode::Token),
            "neutral" => Ok(MaskMode::Neutral),
            other => Err(format!(
                "unknown mask mode `{other}`; known: token, neutral"
            )),
        }
    }
}

/// Parameters of [`MaskSensitive`].
///
/// | Name | Default | Range |
/// |------|---------|-------|
/// | `mode` | [`MaskMode::Token`] | token, neutral |
/// | `target` | [`Target::Augmented`] | augmented, all |
/// | `token` | `[MASK]` | non-empty, not a lexicon term |
/// | `name` | first of [`PLACEHOLDER_NAMES`] not in the lexicon | not a lexicon term |
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaskSensitiveParams {
    /// How terms are replaced.
    pub mode: MaskMode,
    /// Which training examples are masked.
    pub target: Target,
    /// The mask token.
    pub token: String,
    /// The placeholder for first names in neutral mode; `None` picks one (see table).
    pub name: Option<String>,
}

impl Default for MaskSensitiveParams {
    fn default() -> Self {
        MaskSensitiveParams {
            mode: MaskMode::Token,
            target: Target::Augmented,
            token: "[MASK]".to_owned(),
            name: None,
        }
    }
}

impl MaskSensitiveParams {
    /// Checks the ranges in the table above against `lexicon` and returns the placeholder
    /// name to use.
    pub fn check(&self, lexicon: &Lexicon) -> Result<String> {
        let invalid = |name: &str, message: String| Error::InvalidParam {
            mitigation: "mask".into(),
            name: name.into(),
            message,
        };
        if self.token.trim().is_empty() {
            return Err(invalid("token", "the mask token cannot be empty".into()));
        }
        let clash = |form: &str| {
            lexicon
                .find(form)
                .first()
                .map(|m| lexicon.entries()[m.entry].term.clone())
        };
        if let Some(term) = clash(&self.token) {
            return Err(invalid(
                "token",
                format!(
                    "the mask token `{}` contains the lexicon term `{term}`",
                    self.token
                ),
            ));
        }
        let name = match &self.name {
            Some(name) => {
                if let Some(term) = clash(name) {
                    return Err(invalid(
                        "name",
                        format!("the placeholder `{name}` contains the lexicon term `{term}`"),
                    ));
                }
                name.clone()
            }
            None => PLACEHOLDER_NAMES
                .iter()
                .find(|n| clash(n).is_none())
                .map(|n| (*n).to_owned())
                .ok_or_else(|| {
                    invalid(
                        "name",
                        format!(
                            "every default placeholder ({}) is a lexicon term; set one",
                            PLACEHOLDER_NAMES.join(", ")
                        ),
                    )
                })?,
        };
        if self.mode == MaskMode::Neutral {
            // The role-based forms are only used when the lexicon has `her` or `his`.
            let role_forms: &[&str] = if lexicon.find("her his").is_empty() {
                &[]
            } else {
                &ROLE_FORMS
            };
            let neutral_forms = lexicon
                .entries()
                .iter()
                .filter_map(|e| e.neutral.as_deref());
            for form in neutral_forms.chain(role_forms.iter().copied()) {
                if let Some(term) = clash(form) {
                    return Err(invalid(
                        "mode",
                        format!(
                            "the neutral form `{form}` is itself the lexicon term `{term}`, \
                             so neutral masking could not remove it"
                        ),
                    ));
                }
            }
        }
        Ok(name)
    }
}

/// The neutral forms chosen by role for `her` and `his` (see [`MaskSensitive`]).
const ROLE_FORMS: [&str; 3] = ["their", "them", "theirs"];

/// A masked text and the number of terms replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Masked {
    /// The text with every lexicon term replaced.
    pub text: String,
    /// How many terms were replaced.
    pub replacements: usize,
}

/// Mask-based mitigation (Li et al., mitigation strategies: *mask-based*): replaces every
/// sensitive cue of a [`Lexicon`] (gendered words and pronouns, first names, culture
/// terms, identity descriptors) in the augmented training texts (or all with
/// [`Target::All`]), and records the count per example in meta
/// [`MASK_REPLACEMENTS_KEY`].
///
/// Matching is the lexicon's: word boundaries, case rules, multi-word terms (longest
/// first: "Saudi Arabia" is one cue), possessives (`Maria's` -> `[MASK]'s`). In
/// [`MaskMode::Neutral`], replacements take the case of the word they replace
/// (`He` -> `They`), `her` becomes `their` before a noun and `them` otherwise, `his`
/// becomes `their` or `theirs` the same way, and a pronoun contracted with `'s` whose
/// neutral form is `they` becomes `they're` (`she's` -> `they're`; verb agreement is not
/// otherwise repaired). Construction fails when a replacement is itself a lexicon term, so
/// the output never contains one. Evaluation texts are left unchanged.
///
/// Spec: `mask`, `mask:neutral`, `mask:neutral,target=all,name=Robin`, `mask:token=<M>`.
#[derive(Debug, Clone)]
pub struct MaskSensitive {
    lexicon: Arc<Lexicon>,
    params: MaskSensitiveParams,
    placeholder: String,
}

impl MaskSensitive {
    /// Checked masking over `lexicon`.
    pub fn new(lexicon: impl Into<Arc<Lexicon>>, params: MaskSensitiveParams) -> Result<Self> {
        let lexicon = lexicon.into();
        let placeholder = params.check(&lexicon)?;
        Ok(MaskSensitive {
            lexicon,
            params,
            placeholder,
        })
    }

    /// The typed parameters (the trait's `params` gives them as JSON).
    pub fn config(&self) -> &MaskSensitiveParams {
        &self.params
    }

    /// The placeholder used for first names in neutral mode.
    pub fn placeholder_name(&self) -> &str {
        &self.placeholder
    }

    /// Builds from a spec member (`mask:neutral,target=all,token=..,name=..`) with the
    /// context's lexicon.
    pub fn from_spec(member: &SpecMember, ctx: &SpecContext) -> Result<Self> {
        let opts = member.options(Some("mode"), &["mode", "target", "token", "name"])?;
        let mut params = MaskSensitiveParams::default();
        if let Some(mode) = opts.parse("mode")? {
            params.mode = mode;
        }
        if let Some(target) = opts.parse("target")? {
            params.target = target;
        }
        if let Some(token) = opts.get("token") {
            params.token = token.to_owned();
        }
        params.name = opts.get("name").map(str::to_owned);
        MaskSensitive::new(ctx.require_lexicon(member)?, params)
            .map_err(|e| member.error(e.to_string()))
    }

    /// Replaces every lexicon term in `text`.
    pub fn mask_text(&self, text: &str) -> Masked {
        let matches = self.lexicon.find(text);
        let edits: Vec<Edit> = matches
            .iter()
            .map(|m| {
                let entry = &self.lexicon.entries()[m.entry];
                let source = &text[m.start..m.end];
                let after = &text[m.end..];
                if self.params.mode == MaskMode::Token {
                    return Edit {
                        start: m.start,
                        end: m.end,
                        text: self.params.token.clone(),
                    };
                }
                let lower = source.to_lowercase();
                let neutral = match (entry.kind, lower.as_str()) {
                    (TermKind::Pronoun, "her") if stands_alone(after) => "them",
                    (TermKind::Pronoun, "his") if stands_alone(after) => "theirs",
                    (TermKind::Pronoun, "her" | "his") => "their",
                    (TermKind::FirstName, _) => {
                        entry.neutral.as_deref().unwrap_or(&self.placeholder)
                    }
                    _ => entry.neutral.as_deref().unwrap_or(&self.params.token),
                };
                let mut end = m.end;
                let mut replacement = match_case(source, neutral);
                if m.possessive && entry.kind == TermKind::Pronoun && neutral == "they" {
                    // "she's" / "she’s": keep the apostrophe, change the verb form.
                    let apostrophe = after.chars().next().unwrap_or('\'');
                    end += apostrophe.len_utf8() + 1;
                    replacement.push(apostrophe);
                    replacement.push_str(if replacement.chars().all(|c| !c.is_lowercase()) {
                        "RE"
                    } else {
                        "re"
                    });
                }
                Edit {
                    start: m.start,
                    end,
                    text: replacement,
                }
            })
            .collect();
        Masked {
            text: splice(text, &edits),
            replacements: edits.len(),
        }
    }
}

impl Mitigation for MaskSensitive {
    fn spec(&self) -> String {
        let default = MaskSensitiveParams::default();
        let mut member = SpecMember::new("mask");
        if self.params.mode != default.mode {
            member = member.arg(self.params.mode.as_str());
        }
        if self.params.target != default.target {
            member = member.keyed("target", self.params.target.as_str());
        }
        if self.params.token != default.token {
            member = member.keyed("token", &self.params.token);
        }
        if let Some(name) = &self.params.name {
            member = member.keyed("name", name);
        }
        member.to_string()
    }

    /// Acting on augmented examples only, it has nothing to act on without them.
    fn inert_without_augmented(&self) -> bool {
        self.params.target == Target::Augmented
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({
            "mode": self.params.mode,
            "target": self.params.target,
            "token": self.params.token,
            "name": self.placeholder,
            "lexicon_terms": self.lexicon.len(),
        })
    }

    fn prepare(&self, mut dataset: Dataset, _rng: &mut SeededRng) -> Result<Dataset> {
        for example in &mut dataset.examples {
            if self.params.target.applies_to(example) {
                let masked = self.mask_text(&example.text);
                example.text = masked.text;
                example
                    .meta
                    .insert(MASK_REPLACEMENTS_KEY.to_owned(), masked.replacements.into());
            }
        }
        Ok(dataset)
    }
}
