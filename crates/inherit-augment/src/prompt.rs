//! Bias prompts: a [`PromptSpec`] (family, bias type, direction, labels, targets, seed)
//! turned by a [`PromptBuilder`] into [`BiasPrompt`]s that carry what they asked for.
//!
//! How each axis of [`BiasType`] shows in the text:
//!
//! | axis | value | the prompt ... |
//! |---|---|---|
//! | framing | contextual | describes one person and biases through their background |
//! | framing | contrastive | compares the person with one of the other group |
//! | scope | single | states one attribute (the target axis) |
//! | scope | intersectional | stacks the family's other axes (gender x culture x age) |
//! | visibility | explicit | names the groups ("a young Chinese woman") |
//! | visibility | implicit | names no group: first names, surnames and cue sentences only |
//!
//! [`BiasType::Neutral`] prompts have no subject and no bias clause: the generator chooses
//! freely, which measures its own imbalance.

use std::collections::BTreeMap;

use inherit_core::{
    Axis, BiasType, ChatMessage, Framing, Prompt, Scope, Visibility, derive_seed, seeded_rng,
};
use rand::RngExt;

use crate::base::PromptSource;
use crate::error::{Error, Result};
use crate::framework::{BiasTarget, Direction, Portrayal};
use crate::names::NameTable;
use crate::spec::{BiasPrompt, PromptSpec, PromptStyle};
use crate::templates::{FamilyTemplates, FrameworkTemplates, Templates, render, with_article};

/// A person of a prompt: their groups and, in implicit prompts, their name.
struct Person {
    groups: BTreeMap<Axis, String>,
    first: String,
    full: String,
}

/// Turns a [`PromptSpec`] into prompts; prompt `i` is a pure function of the spec and `i`.
#[derive(Debug, Clone)]
pub struct PromptBuilder {
    spec: PromptSpec,
    family: FamilyTemplates,
    framework: FrameworkTemplates,
    names: NameTable,
    /// (label, target) pairs cycled through by index.
    combos: Vec<(String, Option<BiasTarget>)>,
}

impl PromptBuilder {
    /// Checks the spec against the templates and names, and resolves labels and targets.
    pub fn new(spec: PromptSpec, templates: &Templates, names: &NameTable) -> Result<Self> {
        let family = templates.family(&spec.family)?.clone();
        let labels = if spec.labels.is_empty() {
            family.labels.clone()
        } else {
            spec.labels.clone()
        };
        if labels.is_empty() {
            return Err(inherit_core::Error::invalid(
                "labels",
                format!("family `{}` has no default labels; give some", family.id),
            )
            .into());
        }
        if spec.portrayals.is_empty() {
            return Err(inherit_core::Error::invalid("portrayals", "give at least one").into());
        }
        if labels.iter().any(|l| l.trim().is_empty()) {
            return Err(inherit_core::Error::invalid("labels", "a label cannot be empty").into());
        }
        let needs_task = [&family.neutral, &family.task, &family.format]
            .iter()
            .any(|t| t.contains("{task}"));
        if needs_task && spec.task.as_deref().is_none_or(|t| t.trim().is_empty()) {
            return Err(inherit_core::Error::invalid(
                "task",
                format!(
                    "family `{}` needs a task description (e.g. \"short movie review\")",
                    family.id
                ),
            )
            .into());
        }
        let mut combos = Vec::new();
        for label in &labels {
            if spec.bias_type == BiasType::Neutral {
                combos.push((label.clone(), None));
                continue;
            }
            let targets: Vec<BiasTarget> = if spec.targets.is_empty() {
                family
                    .stereotypes
                    .iter()
                    .filter(|s| s.label.as_deref().is_none_or(|l| l == label))
                    .map(|s| {
                        BiasTarget::new(
                            family.axis.clone(),
                            family.attribute,
                            &s.stereotyped,
                            &s.counter,
                        )
                    })
                    .collect()
            } else {
                spec.targets.clone()
            };
            if targets.is_empty() {
                return Err(inherit_core::Error::invalid(
                    "targets",
                    format!(
                        "family `{}` has no default stereotype for label `{label}`; give targets",
                        family.id
                    ),
                )
                .into());
            }
            combos.extend(targets.into_iter().map(|t| (label.clone(), Some(t))));
        }
        let builder = PromptBuilder {
            spec,
            family,
            framework: templates.framework.clone(),
            names: names.clone(),
            combos,
        };
        builder.check_coverage()?;
        Ok(builder)
    }

    /// The spec.
    pub fn spec(&self) -> &PromptSpec {
        &self.spec
    }

    /// Checks that every group a prompt may draw has a phrase (explicit) or names and
    /// cues (implicit), and that every attribute has a phrase.
    fn check_coverage(&self) -> Result<()> {
        let BiasType::Biased {
            scope, visibility, ..
        } = self.spec.bias_type
        else {
            return Ok(());
        };
        for (_, target) in &self.combos {
            let target = target.as_ref().expect("biased prompts have targets");
            target.check()?;
            if !self.framework.attributes.contains_key(&target.attribute) {
                return Err(Error::template(
                    "framework.attributes",
                    format!("no phrase for attribute `{}`", target.attribute),
                ));
            }
            for group in [&target.stereotyped, &target.counter] {
                self.check_group(&target.axis, group, visibility)?;
            }
            if scope == Scope::Intersectional {
                let stacked = self.stacked_axes(&target.axis);
                if stacked.is_empty() {
                    return Err(inherit_core::Error::invalid(
                        "bias_type",
                        format!(
                            "family `{}` has no axis to stack onto `{}`",
                            self.family.id, target.axis
                        ),
                    )
                    .into());
                }
                for axis in stacked {
                    if self.choices(&axis, visibility).is_empty() {
                        return Err(Error::template(
                            "framework.groups",
                            format!("no usable group on axis `{axis}` for {visibility:?} prompts"),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    fn check_group(&self, axis: &Axis, group: &str, visibility: Visibility) -> Result<()> {
        let usable = self.choices(axis, visibility).iter().any(|g| g == group);
        if !usable {
            let how = match visibility {
                Visibility::Explicit => "a phrase in the framework templates",
                Visibility::Implicit => "names in the name table (or a cue sentence)",
            };
            return Err(inherit_core::Error::invalid(
                "targets",
                format!("group `{group}` on axis `{axis}` has no {how}"),
            )
            .into());
        }
        Ok(())
    }

    /// The groups of `axis` a prompt of this visibility can express.
    fn choices(&self, axis: &Axis, visibility: Visibility) -> Vec<String> {
        let phrased = self.framework.groups.get(axis);
        match (visibility, axis) {
            (Visibility::Explicit, _) => phrased
                .map(|g| g.keys().cloned().collect())
                .unwrap_or_default(),
            (Visibility::Implicit, Axis::Gender) => self
                .names
                .genders()
                .into_iter()
                .map(str::to_owned)
                .collect(),
            (Visibility::Implicit, Axis::Culture) => self
                .names
                .cultures()
                .into_iter()
                .map(str::to_owned)
                .collect(),
            (Visibility::Implicit, _) => phrased
                .map(|g| {
                    g.iter()
                        .filter(|(_, p)| p.cue.is_some())
                        .map(|(k, _)| k.clone())
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// Axes stacked onto `target` in intersectional prompts.
    fn stacked_axes(&self, target: &Axis) -> Vec<Axis> {
        let mut out = Vec::new();
        for axis in std::iter::once(&self.family.axis).chain(&self.family.intersect) {
            if axis != target && !out.contains(axis) {
                out.push(axis.clone());
            }
        }
        out
    }

    /// Builds prompt number `index`.
    pub fn build(&self, index: usize) -> Result<BiasPrompt> {
        let (label, target) = &self.combos[index % self.combos.len()];
        let spec = &self.spec;
        let stream = format!("prompt/{}/{}/{index}", self.family.id, spec.bias_type);
        let mut rng = seeded_rng(derive_seed(spec.seed, &stream));
        let a_label = with_article(label);
        let task = spec.task.clone().unwrap_or_default();
        let fam = &self.family.id;
        let BiasType::Biased {
            framing,
            scope,
            visibility,
        } = spec.bias_type
        else {
            let person = with_article(&self.framework.person_noun);
            let the_person = format!("the {}", self.framework.person_noun);
            let vars = [
                ("label", label.as_str()),
                ("a_label", &a_label),
                ("task", &task),
                ("subject", &person),
                ("ref", &the_person),
            ];
            let text = [
                render(&format!("{fam}.neutral"), &self.family.neutral, &vars)?,
                render(&format!("{fam}.format"), &self.family.format, &vars)?,
            ]
            .join(" ");
            return Ok(self.finish(
                index,
                text,
                label,
                None,
                None,
                BTreeMap::new(),
                BTreeMap::new(),
                Vec::new(),
            ));
        };
        let target = target.as_ref().expect("biased prompts have targets");
        let (favoured, disfavoured) = target.oriented(spec.direction);
        let portrayal = (spec.direction != Direction::Neutral)
            .then(|| spec.portrayals[(index / self.combos.len()) % spec.portrayals.len()]);
        let (subject_group, other_group) = match portrayal {
            Some(Portrayal::Favoured) => (favoured, disfavoured),
            Some(Portrayal::Disfavoured) => (disfavoured, favoured),
            None if rng.random_bool(0.5) => (disfavoured, favoured),
            None => (favoured, disfavoured),
        };
        let mut groups = BTreeMap::from([(target.axis.clone(), subject_group.to_owned())]);
        if scope == Scope::Intersectional {
            for axis in self.stacked_axes(&target.axis) {
                let choices = self.choices(&axis, visibility);
                let pick = choices[rng.random_range(0..choices.len())].clone();
                groups.insert(axis, pick);
            }
        }
        let mut other_groups = groups.clone();
        other_groups.insert(target.axis.clone(), other_group.to_owned());
        let subject = self.person(groups, visibility, None, &mut rng);
        let other = self.person(other_groups, visibility, Some(&subject), &mut rng);

        let explicit = visibility == Visibility::Explicit;
        let (subject_text, subject_ref, other_text, other_ref) = if explicit {
            let s = self.descriptor(&subject.groups);
            let o = self.descriptor(&other.groups);
            (
                with_article(&s),
                format!("the {s}"),
                with_article(&o),
                format!("the {o}"),
            )
        } else {
            (
                subject.full.clone(),
                subject.first.clone(),
                other.full.clone(),
                other.first.clone(),
            )
        };
        let target_only =
            |g: &str| self.descriptor(&BTreeMap::from([(target.axis.clone(), g.to_owned())]));
        let group = with_article(&target_only(subject_group));
        let other_group_text = with_article(&target_only(other_group));
        let attr_template = &self.framework.attributes[&target.attribute];
        let attribute = render(
            &format!("attributes.{}", target.attribute),
            attr_template,
            &[("label", label), ("a_label", &a_label)],
        )?;

        let vars = [
            ("label", label.as_str()),
            ("a_label", &a_label),
            ("task", &task),
            ("subject", &subject_text),
            ("ref", &subject_ref),
        ];
        let mut parts = vec![render(&format!("{fam}.task"), &self.family.task, &vars)?];
        let contrastive = framing == Framing::Contrastive;
        if !explicit {
            parts.extend(self.cues(&subject, &subject_ref)?);
        }
        let by_visibility = match framing {
            Framing::Contextual => &self.framework.clauses.contextual,
            Framing::Contrastive => &self.framework.clauses.contrastive,
        };
        let pair = if explicit {
            &by_visibility.explicit
        } else {
            &by_visibility.implicit
        };
        let (clause, clause_name) = match portrayal {
            Some(Portrayal::Favoured) => (&pair.favour, "favour"),
            Some(Portrayal::Disfavoured) => (&pair.disfavour, "disfavour"),
            None => (&pair.neutral, "neutral"),
        };
        let clause_vars = [
            ("ref", subject_ref.as_str()),
            ("other", &other_text),
            ("other_ref", &other_ref),
            ("group", &group),
            ("other_group", &other_group_text),
            ("attribute", &attribute),
        ];
        parts.push(render(
            &format!("clauses.{framing:?}.{visibility:?}.{clause_name}").to_lowercase(),
            clause,
            &clause_vars,
        )?);
        if !explicit && contrastive {
            parts.extend(self.cues(&other, &other_ref)?);
        }
        parts.push(render(
            &format!("{fam}.format"),
            &self.family.format,
            &vars,
        )?);
        let mut names = Vec::new();
        let contrast = if contrastive {
            other.groups.clone()
        } else {
            BTreeMap::new()
        };
        if !explicit {
            names.push(subject.full.clone());
            if contrastive {
                names.push(other.full.clone());
            }
        }
        Ok(self.finish(
            index,
            parts.join(" "),
            label,
            Some(target.clone()),
            portrayal,
            subject.groups,
            contrast,
            names,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        index: usize,
        text: String,
        label: &str,
        target: Option<BiasTarget>,
        portrayal: Option<Portrayal>,
        stated: BTreeMap<Axis, String>,
        contrast: BTreeMap<Axis, String>,
        names: Vec<String>,
    ) -> BiasPrompt {
        let spec = &self.spec;
        let direction = target.as_ref().map(|_| spec.direction);
        let id = match direction {
            Some(d) => format!(
                "{}.{}.{}.s{}.{index:06}",
                self.family.id, spec.bias_type, d, spec.seed
            ),
            None => format!(
                "{}.{}.s{}.{index:06}",
                self.family.id, spec.bias_type, spec.seed
            ),
        };
        let prompt = match spec.style {
            PromptStyle::Chat => {
                let mut msgs = Vec::new();
                if let Some(system) = &self.family.system {
                    msgs.push(ChatMessage::system(system.clone()));
                }
                msgs.push(ChatMessage::user(text));
                Prompt::Chat(msgs)
            }
            PromptStyle::Raw => {
                let mut raw = String::new();
                if let Some(system) = &self.family.system {
                    raw.push_str(system);
                    raw.push_str("\n\n");
                }
                raw.push_str(&text);
                raw.push_str("\n\n");
                raw.push_str(&self.family.raw_cue);
                Prompt::Raw(raw)
            }
        };
        BiasPrompt {
            id,
            family: self.family.id.clone(),
            prompt,
            bias_type: spec.bias_type,
            direction,
            portrayal,
            label: Some(label.to_owned()),
            stated,
            target,
            contrast,
            names,
        }
    }

    /// A person with these groups; implicit prompts draw a name (different from
    /// `avoid`'s when there is a choice).
    fn person(
        &self,
        groups: BTreeMap<Axis, String>,
        visibility: Visibility,
        avoid: Option<&Person>,
        rng: &mut inherit_core::SeededRng,
    ) -> Person {
        if visibility == Visibility::Explicit {
            return Person {
                groups,
                first: String::new(),
                full: String::new(),
            };
        }
        let gender = match groups.get(&Axis::Gender) {
            Some(g) => g.clone(),
            None => {
                // Gender is not part of the prompt: reuse the compared person's, else draw.
                match avoid.and_then(|p| self.name_gender(&p.first)) {
                    Some(g) => g,
                    None => {
                        let genders = self.names.genders();
                        genders[rng.random_range(0..genders.len())].to_owned()
                    }
                }
            }
        };
        let culture = groups.get(&Axis::Culture).cloned();
        let culture_for_names = culture
            .clone()
            .unwrap_or_else(|| self.names.default_culture.clone());
        let firsts = self
            .names
            .first(&gender, &culture_for_names)
            .expect("coverage checked in new()");
        let pool: Vec<&String> = firsts
            .iter()
            .filter(|n| avoid.is_none_or(|p| p.first != **n))
            .collect();
        let pool = if pool.is_empty() {
            firsts.iter().collect()
        } else {
            pool
        };
        let first = pool[rng.random_range(0..pool.len())].clone();
        let full = match &culture {
            Some(c) => {
                let surnames = self
                    .names
                    .surnames_of(c)
                    .expect("coverage checked in new()");
                format!("{first} {}", surnames[rng.random_range(0..surnames.len())])
            }
            None => first.clone(),
        };
        Person {
            groups,
            first,
            full,
        }
    }

    fn name_gender(&self, first: &str) -> Option<String> {
        self.names
            .first_names
            .iter()
            .find(|(_, by_culture)| by_culture.values().any(|ns| ns.iter().any(|n| n == first)))
            .map(|(g, _)| g.clone())
    }

    /// Cue sentences for the person's axes that names do not carry (age).
    fn cues(&self, person: &Person, reference: &str) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for (axis, group) in &person.groups {
            if matches!(axis, Axis::Gender | Axis::Culture) {
                continue;
            }
            let cue = self
                .framework
                .groups
                .get(axis)
                .and_then(|g| g.get(group))
                .and_then(|p| p.cue.as_ref())
                .ok_or_else(|| {
                    Error::template(
                        "framework.groups",
                        format!("no cue for `{group}` on axis `{axis}`"),
                    )
                })?;
            out.push(render(
                &format!("groups.{axis}.{group}.cue"),
                cue,
                &[("ref", reference)],
            )?);
        }
        Ok(out)
    }

    /// "young Chinese woman": adjectives in stack order, then the gender noun or
    /// `person_noun`.
    fn descriptor(&self, groups: &BTreeMap<Axis, String>) -> String {
        let phrase =
            |axis: &Axis, group: &str| self.framework.groups.get(axis).and_then(|g| g.get(group));
        let mut order: Vec<&Axis> = groups
            .keys()
            .filter(|a| !self.framework.stack_order.contains(a))
            .collect();
        order.extend(
            self.framework
                .stack_order
                .iter()
                .filter(|a| groups.contains_key(a)),
        );
        let mut words = Vec::new();
        let mut noun = self.framework.person_noun.clone();
        for axis in order {
            let group = &groups[axis];
            match phrase(axis, group) {
                Some(p) => match &p.noun {
                    Some(n) => noun = n.clone(),
                    None => words.push(p.adjective.clone()),
                },
                None => words.push(group.clone()),
            }
        }
        words.push(noun);
        words.join(" ")
    }
}

impl PromptSource for PromptBuilder {
    fn limit(&self) -> Option<usize> {
        None
    }

    fn prompt(&self, index: usize) -> Result<BiasPrompt> {
        self.build(index)
    }
}
