//! An ordered stack of mitigations that is itself a mitigation.

use std::fmt;

use burn::tensor::Tensor;
use inherit_core::{Dataset, Example, SeededRng};

use crate::base::{BatchView, Mitigation};
use crate::error::{Error, Result};
use crate::spec::{SpecContext, parse_members};

/// An ordered list of mitigations, itself a [`Mitigation`]: data stages run in order
/// (each sees the previous one's output), example weights multiply, extra losses add up.
///
/// Build it with [`MitigationStack::new`] and [`MitigationStack::with`], or parse a spec
/// string with [`MitigationStack::parse`] (grammar in [`crate::spec`]); `Display` writes
/// the spec back, `none` for an empty stack.
///
/// ```
/// use inherit_mitigate::{AlignLoss, Mitigation, MitigationStack, Reweighing, SpecContext, TokenPrefix};
///
/// let stack = MitigationStack::new()
///     .with(TokenPrefix::default())
///     .with(Reweighing::default())
///     .with(AlignLoss::new(0.5)?);
/// assert_eq!(stack.to_string(), "token+reweigh+loss:0.5");
/// let parsed = MitigationStack::parse("token+reweigh+loss:0.5", &SpecContext::new())?;
/// assert_eq!(parsed.params(), stack.params());
/// # Ok::<(), inherit_mitigate::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct MitigationStack {
    members: Vec<Box<dyn Mitigation>>,
}

impl MitigationStack {
    /// An empty stack (no mitigation).
    pub fn new() -> Self {
        Self::default()
    }

    /// Builder: appends a mitigation.
    pub fn with(mut self, mitigation: impl Mitigation + 'static) -> Self {
        self.members.push(Box::new(mitigation));
        self
    }

    /// Appends a boxed mitigation.
    pub fn push(&mut self, mitigation: Box<dyn Mitigation>) {
        self.members.push(mitigation);
    }

    /// The members, in order.
    pub fn members(&self) -> &[Box<dyn Mitigation>] {
        &self.members
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// True for the empty stack (`none`).
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Parses a spec string such as `none`, `token`, `mask:neutral`, `reweigh+loss:1.0`.
    /// `mask` and `cda` take their lexicon from `ctx`. Errors name the offending member
    /// and, for an unknown name, list the known ones.
    pub fn parse(spec: &str, ctx: &SpecContext) -> Result<Self> {
        let members = parse_members(spec)?;
        if members.len() == 1 && members[0].name == "none" {
            if members[0].args.is_empty() {
                return Ok(Self::new());
            }
            return Err(members[0].error("`none` takes no options"));
        }
        let mut stack = Self::new();
        for member in &members {
            if member.name == "none" {
                return Err(Error::Spec {
                    spec: spec.to_owned(),
                    message: "`none` cannot be combined with other mitigations".into(),
                });
            }
            let mitigation = ctx.build(member).map_err(|e| Error::Spec {
                spec: spec.to_owned(),
                message: match e {
                    Error::Spec { spec, message } => format!("in `{spec}`: {message}"),
                    other => format!("in `{member}`: {other}"),
                },
            })?;
            stack.push(mitigation);
        }
        Ok(stack)
    }
}

impl fmt::Display for MitigationStack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.spec())
    }
}

impl Mitigation for MitigationStack {
    fn spec(&self) -> String {
        if self.members.is_empty() {
            return "none".to_owned();
        }
        let specs: Vec<String> = self.members.iter().map(|m| m.spec()).collect();
        specs.join("+")
    }

    /// An array of `{"spec": ..., "params": ...}`, one per member, in order.
    fn params(&self) -> serde_json::Value {
        self.members
            .iter()
            .map(|m| serde_json::json!({ "spec": m.spec(), "params": m.params() }))
            .collect()
    }

    /// True when every member is (the empty stack, `none`, is).
    fn inert_without_augmented(&self) -> bool {
        self.members.iter().all(|m| m.inert_without_augmented())
    }

    fn prepare(&self, dataset: Dataset, rng: &mut SeededRng) -> Result<Dataset> {
        self.members
            .iter()
            .try_fold(dataset, |data, m| m.prepare(data, rng))
    }

    fn prepare_eval(&self, dataset: Dataset) -> Result<Dataset> {
        self.members
            .iter()
            .try_fold(dataset, |data, m| m.prepare_eval(data))
    }

    fn prepare_chat(&self, dataset: Dataset, rng: &mut SeededRng) -> Result<Dataset> {
        self.members
            .iter()
            .try_fold(dataset, |data, m| m.prepare_chat(data, rng))
    }

    /// The members' prefixes, in order, joined by a space.
    fn user_turn_prefix(&self, example: &Example) -> Option<String> {
        let parts: Vec<String> = self
            .members
            .iter()
            .filter_map(|m| m.user_turn_prefix(example))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }

    fn example_weight(&self, example: &Example) -> f32 {
        self.members
            .iter()
            .map(|m| m.example_weight(example))
            .product()
    }

    fn extra_loss(&self, view: &BatchView) -> Option<Tensor<1>> {
        self.members
            .iter()
            .filter_map(|m| m.extra_loss(view))
            .reduce(|a, b| a + b)
    }
}
