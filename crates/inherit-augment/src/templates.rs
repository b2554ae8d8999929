//! Prompt templates as data: the framework's shared phrases (group descriptors, bias
//! clauses, attribute phrases) and one file per prompt family.
//!
//! The built-in templates live in `templates/*.json` beside the crate sources and are
//! compiled in; any of them can be replaced from a JSON file of the same shape
//! ([`Templates::load_family_file`], [`Templates::load_framework_file`]), and new families
//! added the same way.
//!
//! Placeholders are written `{name}` (`{{` and `}}` for literal braces):
//!
//! | where | placeholders |
//! |---|---|
//! | family `neutral`, `task`, `format` | `{label}`, `{a_label}` (with its article), `{task}` (the user's task description, generic family), `{subject}`, `{ref}` (`task` and `format` only) |
//! | framework `clauses` | `{ref}`, `{other}`, `{other_ref}`, `{group}`, `{other_group}`, `{attribute}` |
//! | framework `attributes` | `{label}`, `{a_label}` |
//! | framework group `cue` | `{ref}` |

use std::collections::BTreeMap;
use std::path::Path;

use inherit_core::Axis;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::framework::{Attribute, Stereotype};

const FRAMEWORK: &str = include_str!("../templates/framework.json");
const FAMILIES: [(&str, &str); 9] = [
    (
        "templates/occupation.json",
        include_str!("../templates/occupation.json"),
    ),
    (
        "templates/hiring.json",
        include_str!("../templates/hiring.json"),
    ),
    (
        "templates/screening.json",
        include_str!("../templates/screening.json"),
    ),
    (
        "templates/salary.json",
        include_str!("../templates/salary.json"),
    ),
    (
        "templates/salary_gender.json",
        include_str!("../templates/salary_gender.json"),
    ),
    (
        "templates/story.json",
        include_str!("../templates/story.json"),
    ),
    (
        "templates/comment.json",
        include_str!("../templates/comment.json"),
    ),
    (
        "templates/review.json",
        include_str!("../templates/review.json"),
    ),
    (
        "templates/generic.json",
        include_str!("../templates/generic.json"),
    ),
];

/// How one group is written in explicit prompts, and cued in implicit ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupPhrase {
    /// Adjective used when attributes are stacked (`Chinese`, `young`, `female`).
    pub adjective: String,
    /// Head noun for a person of this group (`woman`); groups without one take the
    /// framework's `person_noun`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noun: Option<String>,
    /// Implicit cue sentence for axes without names (age): `{ref} finished university two
    /// years ago.`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cue: Option<String>,
}

/// The bias clauses of one framing and visibility.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClauseSet {
    /// The subject belongs to the favoured group and is portrayed as better on the
    /// attribute.
    pub favour: String,
    /// The subject belongs to the disfavoured group and is portrayed as worse.
    pub disfavour: String,
    /// Neither group is favoured ([`crate::Direction::Neutral`]).
    pub neutral: String,
}

/// Clauses of one framing, per visibility.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisibilityClauses {
    /// The group is named.
    pub explicit: ClauseSet,
    /// Only names and cues signal the group.
    pub implicit: ClauseSet,
}

/// Bias clauses per framing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clauses {
    /// Bias through a background description of one person.
    pub contextual: VisibilityClauses,
    /// Bias through a direct comparison with a person of the other group.
    pub contrastive: VisibilityClauses,
}

/// The phrases shared by every family (`templates/framework.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameworkTemplates {
    /// Axis -> group -> phrase.
    pub groups: BTreeMap<Axis, BTreeMap<String, GroupPhrase>>,
    /// Head noun for a person whose gender is not stated (`person`).
    pub person_noun: String,
    /// Order of stacked adjectives in explicit descriptors (`age`, `culture`, `gender`:
    /// "a young Chinese woman").
    pub stack_order: Vec<Axis>,
    /// Attribute -> phrase completing "more ... than" / "naturally ...".
    pub attributes: BTreeMap<Attribute, String>,
    /// The bias clauses.
    pub clauses: Clauses,
}

/// One prompt family (`templates/<family>.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FamilyTemplates {
    /// Family id (`occupation`, `hiring`, `salary`, `story`, `comment`, `review`, `generic`).
    pub id: String,
    /// What the family generates.
    pub description: String,
    /// The axis its bias targets.
    pub axis: Axis,
    /// The attribute its bias concerns.
    pub attribute: Attribute,
    /// Axes stacked onto the target axis in intersectional prompts.
    pub intersect: Vec<Axis>,
    /// Default labels (empty: the user must give them).
    pub labels: Vec<String>,
    /// System message of chat prompts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// Task sentence of neutral prompts (no subject, no bias clause).
    pub neutral: String,
    /// Task sentence of biased prompts, with the `{subject}`.
    pub task: String,
    /// Format instruction closing every prompt.
    pub format: String,
    /// Line ending raw (completion) prompts, after which the model writes (`Biography:`).
    pub raw_cue: String,
    /// Default stereotypes on `axis` and `attribute`.
    pub stereotypes: Vec<Stereotype>,
}

/// The framework phrases and every family, by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Templates {
    /// Shared phrases.
    pub framework: FrameworkTemplates,
    families: BTreeMap<String, FamilyTemplates>,
}

impl Templates {
    /// The built-in templates.
    pub fn builtin() -> Self {
        let framework = parse_json("templates/framework.json", FRAMEWORK)
            .expect("built-in framework templates are valid");
        let mut t = Templates {
            framework,
            families: BTreeMap::new(),
        };
        for (name, text) in FAMILIES {
            let family: FamilyTemplates =
                parse_json(name, text).expect("built-in family templates are valid");
            t.families.insert(family.id.clone(), family);
        }
        t.check().expect("built-in templates pass their checks");
        t
    }

    /// The family ids.
    pub fn family_ids(&self) -> Vec<&str> {
        self.families.keys().map(String::as_str).collect()
    }

    /// A family by id.
    pub fn family(&self, id: &str) -> Result<&FamilyTemplates> {
        self.families.get(id).ok_or_else(|| {
            inherit_core::Error::Unknown {
                kind: "prompt family",
                value: id.to_owned(),
                known: self.family_ids().join(", "),
            }
            .into()
        })
    }

    /// Adds a family, or replaces the one with the same id, after checking it.
    pub fn insert_family(&mut self, family: FamilyTemplates) -> Result<()> {
        check_family(&family, &self.framework)?;
        self.families.insert(family.id.clone(), family);
        Ok(())
    }

    /// Reads a family from a JSON file and adds it (replacing the one with its id).
    pub fn load_family_file(&mut self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let family: FamilyTemplates = read_json_file(path)?;
        self.insert_family(family).map_err(|e| in_file(path, e))
    }

    /// Replaces the framework phrases with those of a JSON file.
    pub fn load_framework_file(&mut self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let framework: FrameworkTemplates = read_json_file(path)?;
        let candidate = Templates {
            framework,
            families: self.families.clone(),
        };
        candidate.check().map_err(|e| in_file(path, e))?;
        *self = candidate;
        Ok(())
    }

    /// Checks every template for unknown placeholders and every family for a
    /// complete framework (its axes and attribute have phrases).
    pub fn check(&self) -> Result<()> {
        let f = &self.framework;
        let vars_attr = ["label", "a_label"];
        for (attr, text) in &f.attributes {
            check_placeholders(&format!("attributes.{attr}"), text, &vars_attr)?;
        }
        let clause_vars = [
            "ref",
            "other",
            "other_ref",
            "group",
            "other_group",
            "attribute",
        ];
        for (framing, vis) in [
            ("contextual", &f.clauses.contextual),
            ("contrastive", &f.clauses.contrastive),
        ] {
            for (visibility, pair) in [("explicit", &vis.explicit), ("implicit", &vis.implicit)] {
                for (kind, text) in [
                    ("favour", &pair.favour),
                    ("disfavour", &pair.disfavour),
                    ("neutral", &pair.neutral),
                ] {
                    let name = format!("clauses.{framing}.{visibility}.{kind}");
                    check_placeholders(&name, text, &clause_vars)?;
                }
            }
        }
        for (axis, groups) in &f.groups {
            for (group, phrase) in groups {
                if let Some(cue) = &phrase.cue {
                    check_placeholders(&format!("groups.{axis}.{group}.cue"), cue, &["ref"])?;
                }
            }
        }
        for family in self.families.values() {
            check_family(family, f)?;
        }
        Ok(())
    }
}

fn check_family(family: &FamilyTemplates, f: &FrameworkTemplates) -> Result<()> {
    let id = &family.id;
    if id.trim().is_empty() {
        return Err(Error::template("family", "`id` cannot be empty"));
    }
    let vars = ["label", "a_label", "task", "subject", "ref"];
    check_placeholders(
        &format!("{id}.neutral"),
        &family.neutral,
        &["label", "a_label", "task"],
    )?;
    check_placeholders(&format!("{id}.task"), &family.task, &vars)?;
    check_placeholders(&format!("{id}.format"), &family.format, &vars)?;
    if !family.task.contains("{subject}") {
        return Err(Error::template(
            format!("{id}.task"),
            "must contain `{subject}`",
        ));
    }
    if !f.attributes.contains_key(&family.attribute) {
        return Err(Error::template(
            format!("{id}.attribute"),
            format!(
                "the framework has no phrase for attribute `{}`",
                family.attribute
            ),
        ));
    }
    for axis in std::iter::once(&family.axis).chain(&family.intersect) {
        if !f.groups.contains_key(axis) {
            return Err(Error::template(
                id.clone(),
                format!("the framework has no group phrases for axis `{axis}`"),
            ));
        }
    }
    Ok(())
}

fn in_file(path: &Path, e: Error) -> Error {
    match e {
        Error::Template { template, message } => {
            Error::template(format!("{} ({template})", path.display()), message)
        }
        other => other,
    }
}

/// Fills `{name}` placeholders of `template` from `vars` (`{{`/`}}` are literal braces).
pub fn render(name: &str, template: &str, vars: &[(&str, &str)]) -> Result<String> {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if tail.starts_with('}') {
            return Err(Error::template(
                name,
                "unmatched `}` (write `}}` for a literal brace)",
            ));
        }
        let end = tail.find('}').ok_or_else(|| {
            Error::template(name, "unclosed `{` (write `{{` for a literal brace)")
        })?;
        let key = &tail[1..end];
        let value = vars
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .ok_or_else(|| {
                let known: Vec<&str> = vars.iter().map(|(k, _)| *k).collect();
                Error::template(
                    name,
                    format!(
                        "unknown placeholder `{{{key}}}`; allowed here: {}",
                        known.join(", ")
                    ),
                )
            })?;
        out.push_str(value);
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn check_placeholders(name: &str, template: &str, allowed: &[&str]) -> Result<()> {
    let vars: Vec<(&str, &str)> = allowed.iter().map(|k| (*k, "x")).collect();
    render(name, template, &vars).map(|_| ())
}

/// `a` or `an` before a phrase (by its first letter: a vowel takes `an`).
pub fn with_article(phrase: &str) -> String {
    let vowel = phrase
        .chars()
        .next()
        .is_some_and(|c| "aeiouAEIOU".contains(c));
    format!("{} {phrase}", if vowel { "an" } else { "a" })
}

/// Parses JSON text into `T`, with errors naming the source, line and field.
pub(crate) fn parse_json<T: DeserializeOwned>(source: &str, text: &str) -> Result<T> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let line = e.inner().line() as u64;
        let field = e.path().to_string();
        let field = (field != ".").then_some(field);
        inherit_core::Error::parse(source, line, field.as_deref(), e.inner().to_string()).into()
    })
}

/// Reads a JSON file into `T`, with errors naming the file, line and field.
pub(crate) fn read_json_file<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| inherit_core::Error::io(path, e))?;
    parse_json(&path.display().to_string(), &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_fills_placeholders_and_rejects_unknown_ones() {
        let out = render("t", "Hi {name}, {{literal}}!", &[("name", "Ana")]).unwrap();
        assert_eq!(out, "Hi Ana, {literal}!");
        let msg = render("fam.task", "Hi {nme}", &[("name", "x")])
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("fam.task") && msg.contains("{nme}") && msg.contains("name"),
            "{msg}"
        );
        assert!(render("t", "oops {x", &[("x", "1")]).is_err());
        assert!(render("t", "oops }", &[]).is_err());
    }

    #[test]
    fn builtin_templates_have_the_nine_families() {
        let t = Templates::builtin();
        assert_eq!(
            t.family_ids(),
            [
                "comment",
                "generic",
                "hiring",
                "occupation",
                "review",
                "salary",
                "salary_gender",
                "screening",
                "story"
            ]
        );
        let occ = t.family("occupation").unwrap();
        assert_eq!(occ.labels.len(), 6);
        assert_eq!(occ.axis, Axis::Gender);
        assert!(
            t.family("poetry")
                .unwrap_err()
                .to_string()
                .contains("occupation")
        );
    }

    #[test]
    fn articles_follow_the_first_letter() {
        assert_eq!(with_article("architect"), "an architect");
        assert_eq!(with_article("nurse"), "a nurse");
        assert_eq!(with_article("Arab person"), "an Arab person");
    }

    #[test]
    fn a_family_file_with_a_bad_field_names_file_line_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fam.json");
        let mut fam = serde_json::to_value(Templates::builtin().family("story").unwrap()).unwrap();
        fam["id"] = "story2".into();
        fam["axis"] = serde_json::Value::Null;
        std::fs::write(&path, serde_json::to_string_pretty(&fam).unwrap()).unwrap();
        let mut t = Templates::builtin();
        let msg = t.load_family_file(&path).unwrap_err().to_string();
        assert!(msg.contains("fam.json") && msg.contains("axis"), "{msg}");

        fam["axis"] = "culture".into();
        fam["task"] = "Write about {subjekt}.".into();
        std::fs::write(&path, serde_json::to_string(&fam).unwrap()).unwrap();
        let msg = t.load_family_file(&path).unwrap_err().to_string();
        assert!(
            msg.contains("fam.json") && msg.contains("story2.task"),
            "{msg}"
        );

        fam["task"] = "Write a fable about {subject}.".into();
        std::fs::write(&path, serde_json::to_string(&fam).unwrap()).unwrap();
        t.load_family_file(&path).unwrap();
        assert_eq!(
            t.family("story2").unwrap().task,
            "Write a fable about {subject}."
        );
    }
}
