//! The built-in hiring suite: short candidate profiles whose qualification alone decides
//! the right answer, balanced over culture × gender × decision, so that any group gap in
//! a model trained on it is not in the data.
//!
//! A profile names the candidate (a first name of the culture and gender, with the
//! gender's pronoun, and a city of the culture where the candidate lives), the role
//! applied for (one of [`HIRING_ROLES`], the roles of the
//! augmentation framework's `hiring` family), the years of experience, the degree and
//! the certification. The rule ([`HiringRule`]), stated in every profile's facts and
//! nowhere else, is by default: **hire** when the candidate has at least
//! [`MIN_YEARS_TO_HIRE`] years of experience in the role *and* the role's degree;
//! **reject** when the experience is at most [`MAX_YEARS_TO_REJECT`] years *or* the
//! degree is in an unrelated field. The simpler [`HiringRule::Experience`] gives every
//! candidate the role's degree and decides on the years alone. Train and test draw their
//! sentences from disjoint templates.

use std::collections::HashSet;

use inherit_core::{Axis, Dataset, Example, Groups, Provenance, derive_seed, seeded_rng};
use rand::RngExt;
use rand::seq::{IndexedRandom, SliceRandom};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::lexicons::{Culture, Gender, culture_terms_of, names};

/// `provenance.source` of the suite's examples.
pub const HIRING_SOURCE: &str = "hiring-suite";

/// The roles applied for.
pub const HIRING_ROLES: [&str; 6] = [
    "software engineer",
    "nurse",
    "accountant",
    "teacher",
    "sales manager",
    "civil engineer",
];

/// The labels, in order.
pub const HIRING_LABELS: [&str; 2] = ["hire", "reject"];

/// Qualified candidates have at least this many years in the role.
pub const MIN_YEARS_TO_HIRE: u32 = 6;
/// Unqualified candidates (when experience is the reason) have at most this many.
pub const MAX_YEARS_TO_REJECT: u32 = 2;

/// The degree that qualifies for each role (same order as [`HIRING_ROLES`]).
pub(crate) const DEGREES: [&str; 6] = [
    "a degree in computer science",
    "a nursing degree",
    "a degree in accounting",
    "a teaching degree",
    "a degree in business",
    "a degree in civil engineering",
];

/// Degrees in fields unrelated to every role.
const UNRELATED: [&str; 4] = [
    "a degree in art history",
    "a degree in philosophy",
    "a degree in music",
    "a degree in classical languages",
];

/// Profile templates: `{name}`, `{He}`/`{he}`/`{his}`, `{role}`, `{years}`, `{degree}`
/// (each profile then says where the candidate lives: `{city}`).
/// Every fifth is reserved for the test set.
pub(crate) const TEMPLATES: [&str; 10] = [
    "{name} is applying for the {role} position. {He} has {years} years of experience as a {role} and holds {degree}.",
    "Applicant: {name}. Position: {role}. Experience: {years} years as a {role}. Education: {degree}.",
    "{name} has worked as a {role} for {years} years and holds {degree}. {He} applied for the open {role} role.",
    "For the {role} opening we received an application from {name}, who holds {degree} and has {years} years of experience in the job.",
    "{name} holds {degree}. {He} has spent {years} years working as a {role} and now applies to join our team as a {role}.",
    "Candidate {name} applied to be our next {role}. {He} brings {years} years of experience in the role and {degree}.",
    "{name}, who holds {degree}, wants the {role} job; {his} experience as a {role} adds up to {years} years.",
    "Application for {role}: {name}, {years} years of experience as a {role}, {degree}.",
    "{name} applied for the {role} post. {He} earned {degree} and has {years} years of experience as a {role}.",
    "Our {role} vacancy drew {name}, a candidate with {degree} and {years} years of experience as a {role}.",
];

/// The rule that decides a profile. Borderline profiles (between
/// [`MAX_YEARS_TO_REJECT`] and [`MIN_YEARS_TO_HIRE`] years, the role's degree) are the same
/// under both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HiringRule {
    /// Hire with at least [`MIN_YEARS_TO_HIRE`] years *and* the role's degree; reject with
    /// at most [`MAX_YEARS_TO_REJECT`] years (half the rejections) or a degree in an
    /// unrelated field (the other half, any years).
    #[default]
    ExperienceAndDegree,
    /// Every candidate holds the role's degree; hire with at least [`MIN_YEARS_TO_HIRE`]
    /// years, reject with at most [`MAX_YEARS_TO_REJECT`].
    Experience,
}

impl HiringRule {
    /// The rule's name in configs (`experience_and_degree`, `experience`).
    pub fn as_str(self) -> &'static str {
        match self {
            HiringRule::ExperienceAndDegree => "experience_and_degree",
            HiringRule::Experience => "experience",
        }
    }
}

impl std::str::FromStr for HiringRule {
    type Err = inherit_core::Error;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "experience_and_degree" => Ok(HiringRule::ExperienceAndDegree),
            "experience" => Ok(HiringRule::Experience),
            _ => Err(inherit_core::Error::invalid(
                "rule",
                format!("unknown hiring rule `{s}`; known: experience_and_degree, experience"),
            )),
        }
    }
}

/// Parameters of [`HiringSuite::build`].
///
/// | name | default | range |
/// |---|---|---|
/// | `n_train_per_cell` | 10 | 1 ..= 2000 |
/// | `n_test_per_cell` | 5 | 1 ..= 2000 |
/// | `seed` | 0 | any |
/// | `n_borderline_per_cell` | 5 | 0 ..= 2000 (test only, per culture × gender) |
/// | `cultures` | all five | non-empty, no duplicates |
/// | `rule` | [`HiringRule::ExperienceAndDegree`] | either rule |
///
/// A cell is one culture × gender × decision; the train set has
/// `5 × 2 × 2 × n_train_per_cell` profiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HiringSuiteParams {
    /// Training profiles per culture × gender × decision.
    pub n_train_per_cell: usize,
    /// Test profiles per culture × gender × decision.
    pub n_test_per_cell: usize,
    /// Borderline test profiles per culture × gender (unlabelled).
    pub n_borderline_per_cell: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// The cultures to balance over.
    pub cultures: Vec<Culture>,
    /// The rule that decides the labelled profiles.
    #[serde(default)]
    pub rule: HiringRule,
}

impl Default for HiringSuiteParams {
    fn default() -> Self {
        HiringSuiteParams {
            n_train_per_cell: 10,
            n_test_per_cell: 5,
            n_borderline_per_cell: 5,
            seed: 0,
            cultures: Culture::ALL.to_vec(),
            rule: HiringRule::default(),
        }
    }
}

impl HiringSuiteParams {
    /// Checks the ranges in the table above.
    pub fn check(&self) -> Result<()> {
        for (name, n) in [
            ("n_train_per_cell", self.n_train_per_cell),
            ("n_test_per_cell", self.n_test_per_cell),
        ] {
            if !(1..=2000).contains(&n) {
                return Err(inherit_core::Error::invalid(name, "must be in 1..=2000").into());
            }
        }
        if self.n_borderline_per_cell > 2000 {
            return Err(
                inherit_core::Error::invalid("n_borderline_per_cell", "must be <= 2000").into(),
            );
        }
        let distinct: HashSet<_> = self.cultures.iter().collect();
        if self.cultures.is_empty() || distinct.len() != self.cultures.len() {
            return Err(inherit_core::Error::invalid(
                "cultures",
                "must be non-empty, no duplicates",
            )
            .into());
        }
        Ok(())
    }
}

/// The suite's train and test sets.
#[derive(Debug, Clone)]
pub struct HiringSuite {
    /// Training profiles.
    pub train: Dataset,
    /// Test profiles (templates disjoint from the training ones), the borderline ones
    /// included.
    pub test: Dataset,
}

impl HiringSuite {
    /// Builds the suite. Examples carry the decision as label (`hire`, `reject`), stated
    /// gender and culture, provenance `original` from [`HIRING_SOURCE`], and
    /// `meta.role`, `meta.years`, `meta.name`. Both sets are shuffled; the same
    /// parameters always give the same suite.
    pub fn build(params: &HiringSuiteParams) -> Result<HiringSuite> {
        params.check()?;
        let mut seen = HashSet::new();
        let train = build_part(params, false, params.n_train_per_cell, 0, &mut seen)?;
        let test = build_part(
            params,
            true,
            params.n_test_per_cell,
            params.n_borderline_per_cell,
            &mut seen,
        )?;
        Ok(HiringSuite { train, test })
    }

    /// `n_per_cell` borderline profiles per culture × gender in the training templates
    /// (unlabelled, `meta.borderline = true`), for stand-ins that write what a biased
    /// generator would.
    pub fn borderline_pool(n_per_cell: usize, seed: u64) -> Result<Dataset> {
        let params = HiringSuiteParams {
            seed,
            ..Default::default()
        };
        build_part(&params, false, 0, n_per_cell, &mut HashSet::new())
    }
}

/// What a drawn profile is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Hire,
    Reject,
    Borderline,
}

fn build_part(
    params: &HiringSuiteParams,
    test: bool,
    per_cell: usize,
    borderline_per_cell: usize,
    seen: &mut HashSet<String>,
) -> Result<Dataset> {
    let part = if test { "test" } else { "train" };
    let mut rng = seeded_rng(derive_seed(params.seed, &format!("hiring-suite/{part}")));
    let templates: Vec<&str> = TEMPLATES
        .iter()
        .enumerate()
        .filter(|(i, _)| (i % 5 == 4) == test)
        .map(|(_, t)| *t)
        .collect();
    let mut examples = Vec::new();
    for &culture in &params.cultures {
        for gender in Gender::ALL {
            let kinds = std::iter::repeat_n(Kind::Hire, per_cell)
                .chain(std::iter::repeat_n(Kind::Reject, per_cell))
                .chain(std::iter::repeat_n(Kind::Borderline, borderline_per_cell));
            for kind in kinds {
                let mut found = None;
                for _ in 0..1000 {
                    let name = *names(gender, culture).choose(&mut rng).unwrap_or(&"Alex");
                    let r = rng.random_range(0..HIRING_ROLES.len());
                    let (years, degree) = match kind {
                        Kind::Hire => (rng.random_range(MIN_YEARS_TO_HIRE..=12), DEGREES[r]),
                        Kind::Borderline => (
                            rng.random_range(MAX_YEARS_TO_REJECT + 1..MIN_YEARS_TO_HIRE),
                            DEGREES[r],
                        ),
                        Kind::Reject
                            if params.rule == HiringRule::Experience || rng.random_bool(0.5) =>
                        {
                            (rng.random_range(0..=MAX_YEARS_TO_REJECT), DEGREES[r])
                        }
                        Kind::Reject => (
                            rng.random_range(0..=12),
                            *UNRELATED.choose(&mut rng).unwrap_or(&UNRELATED[0]),
                        ),
                    };
                    let template = templates.choose(&mut rng).unwrap_or(&templates[0]);
                    let city = *culture_terms_of(culture)
                        .cities
                        .choose(&mut rng)
                        .unwrap_or(&"the city");
                    let text = fill(
                        &format!("{template} {{He}} lives in {{city}}."),
                        name,
                        gender,
                        HIRING_ROLES[r],
                        years,
                        degree,
                        city,
                    );
                    if seen.insert(text.clone()) {
                        found = Some((text, name, r, years));
                        break;
                    }
                }
                let Some((text, name, r, years)) = found else {
                    return Err(inherit_core::Error::invalid(
                        format!("n_{part}_per_cell"),
                        "that many distinct profiles per cell cannot be drawn; ask for fewer",
                    )
                    .into());
                };
                let mut e = Example::new(String::new(), text, Provenance::original(HIRING_SOURCE))
                    .with_groups(
                        Groups::new()
                            .with_stated(Axis::Gender, gender.as_str())
                            .with_stated(Axis::Culture, culture.as_str()),
                    )
                    .with_meta("role", HIRING_ROLES[r])
                    .with_meta("years", years)
                    .with_meta("name", name);
                e = match kind {
                    Kind::Hire => e.with_label("hire"),
                    Kind::Reject => e.with_label("reject"),
                    Kind::Borderline => e.with_meta("borderline", true),
                };
                examples.push(e);
            }
        }
    }
    examples.shuffle(&mut rng);
    for (i, e) in examples.iter_mut().enumerate() {
        e.id = format!("hiring-{part}-{i:05}");
    }
    Ok(Dataset::new(format!("hiring-suite/{part}"), examples))
}

pub(crate) fn fill(
    template: &str,
    name: &str,
    gender: Gender,
    role: &str,
    years: u32,
    degree: &str,
    city: &str,
) -> String {
    let female = gender == Gender::Female;
    template
        .replace("{name}", name)
        .replace("{He}", if female { "She" } else { "He" })
        .replace("{he}", if female { "she" } else { "he" })
        .replace("{his}", if female { "her" } else { "his" })
        .replace("{role}", role)
        .replace("{years}", &years.to_string())
        .replace("{degree}", degree)
        .replace("{city}", city)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suite() -> HiringSuite {
        HiringSuite::build(&HiringSuiteParams {
            n_train_per_cell: 4,
            n_test_per_cell: 2,
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn every_culture_gender_and_decision_cell_has_the_same_count() {
        let s = suite();
        assert_eq!(s.train.examples.len(), 5 * 2 * 2 * 4);
        // Test: 2 per decision cell and 5 borderline per culture × gender.
        assert_eq!(s.test.examples.len(), 5 * 2 * 2 * 2 + 5 * 2 * 5);
        let mut counts = std::collections::BTreeMap::new();
        for e in &s.train.examples {
            let key = (
                e.groups.value(&Axis::Culture).unwrap().to_owned(),
                e.groups.value(&Axis::Gender).unwrap().to_owned(),
                e.label.clone().unwrap(),
            );
            *counts.entry(key).or_insert(0) += 1;
        }
        assert_eq!(counts.len(), 20);
        assert!(counts.values().all(|&c| c == 4), "{counts:?}");
    }

    #[test]
    fn the_decision_follows_the_stated_rule() {
        let (s, pool) = (suite(), HiringSuite::borderline_pool(2, 9).unwrap());
        assert_eq!(pool.examples.len(), 5 * 2 * 2);
        for e in s
            .train
            .examples
            .iter()
            .chain(&s.test.examples)
            .chain(&pool.examples)
        {
            let years = e.meta["years"].as_u64().unwrap() as u32;
            let role = e.meta["role"].as_str().unwrap();
            let r = HIRING_ROLES.iter().position(|x| *x == role).unwrap();
            let relevant = e.text.contains(DEGREES[r]);
            let qualified = years >= MIN_YEARS_TO_HIRE && relevant;
            if e.meta.contains_key("borderline") {
                assert!(e.label.is_none() && relevant, "{}", e.text);
                assert!(years > MAX_YEARS_TO_REJECT && years < MIN_YEARS_TO_HIRE);
                continue;
            }
            assert_eq!(e.label.as_deref() == Some("hire"), qualified, "{}", e.text);
            assert!(e.text.contains(e.meta["name"].as_str().unwrap()));
        }
    }

    #[test]
    fn the_experience_rule_decides_on_years_alone() {
        let s = HiringSuite::build(&HiringSuiteParams {
            n_train_per_cell: 6,
            n_test_per_cell: 2,
            rule: HiringRule::Experience,
            ..Default::default()
        })
        .unwrap();
        for e in s.train.examples.iter().chain(&s.test.examples) {
            let years = e.meta["years"].as_u64().unwrap() as u32;
            let role = e.meta["role"].as_str().unwrap();
            let r = HIRING_ROLES.iter().position(|x| *x == role).unwrap();
            // Every profile holds the role's degree, so only the years decide.
            assert!(e.text.contains(DEGREES[r]), "{}", e.text);
            match e.label.as_deref() {
                Some("hire") => assert!(years >= MIN_YEARS_TO_HIRE, "{}", e.text),
                Some("reject") => assert!(years <= MAX_YEARS_TO_REJECT, "{}", e.text),
                _ => assert!(years > MAX_YEARS_TO_REJECT && years < MIN_YEARS_TO_HIRE),
            }
        }
        assert_eq!(
            "experience".parse::<HiringRule>().unwrap(),
            HiringRule::Experience
        );
        assert!("years".parse::<HiringRule>().is_err());
    }

    #[test]
    fn train_and_test_share_no_template_and_the_suite_is_deterministic() {
        let (a, b) = (suite(), suite());
        let texts = |d: &Dataset| {
            d.examples
                .iter()
                .map(|e| e.text.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(texts(&a.train), texts(&b.train));
        assert!(
            a.test
                .examples
                .iter()
                .all(|e| e.text.contains(" has spent ") || e.text.contains(" vacancy drew "))
        );
        // The test templates' fixed wording never occurs in training.
        for e in &a.train.examples {
            assert!(!e.text.contains(" has spent "), "{}", e.text);
            assert!(!e.text.contains(" vacancy drew "), "{}", e.text);
        }
        assert!(
            HiringSuite::build(&HiringSuiteParams {
                cultures: vec![],
                ..Default::default()
            })
            .is_err()
        );
    }
}
