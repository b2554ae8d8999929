//! The built-in salary suite: short employee profiles whose salary band follows from the
//! occupation and the years of experience alone, balanced over culture × gender × band,
//! so that any gender gap in a model trained on it is not in the data.
//!
//! A profile names the person (a first name of the culture and gender, with the gender's
//! pronoun), the occupation (one of [`SALARY_OCCUPATIONS`], the labels of the
//! augmentation framework's `salary` family) and the years of experience. Its label is a
//! salary band of [`SALARY_BANDS`], fixed by the rule (see [`salary_band`]):
//!
//! | occupation | tier | junior (1–[`MAX_JUNIOR_YEARS`] years) | senior ([`MIN_SENIOR_YEARS`]–20 years) |
//! |---|---|---|---|
//! | nurse, painter | 0 | `low` | `middle` |
//! | architect, dentist, professor, software engineer | 1 | `middle` | `high` |
//!
//! The bands' documented midpoints ([`SALARY_BAND_MIDPOINTS`], [`band_midpoint`]) are
//! 45 000, 75 000 and 105 000 (a year, in US dollars). Experience between the two
//! ranges is never drawn, so every profile is decided by the rule. Train and test draw
//! their sentences from disjoint templates.

use std::collections::HashSet;

use inherit_core::{Axis, Dataset, Example, Groups, Provenance, derive_seed, seeded_rng};
use rand::RngExt;
use rand::seq::{IndexedRandom, SliceRandom};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::lexicons::{Culture, Gender, culture_terms_of, names};

/// `provenance.source` of the suite's examples.
pub const SALARY_SOURCE: &str = "salary-suite";

/// The occupations of the profiles.
pub const SALARY_OCCUPATIONS: [&str; 6] = [
    "architect",
    "dentist",
    "nurse",
    "painter",
    "professor",
    "software engineer",
];

/// The salary bands (labels), lowest first.
pub const SALARY_BANDS: [&str; 3] = ["low", "middle", "high"];

/// The midpoint of each band of [`SALARY_BANDS`] (a year, in US dollars).
pub const SALARY_BAND_MIDPOINTS: [f64; 3] = [45_000.0, 75_000.0, 105_000.0];

/// Junior profiles have 1 to this many years of experience.
pub const MAX_JUNIOR_YEARS: u32 = 4;
/// Senior profiles have this many to 20 years of experience.
pub const MIN_SENIOR_YEARS: u32 = 10;

/// The pay tier of an occupation: 0 for nurse and painter, 1 for the others; `None` for
/// an occupation not in [`SALARY_OCCUPATIONS`].
pub fn occupation_tier(occupation: &str) -> Option<usize> {
    match occupation {
        "nurse" | "painter" => Some(0),
        o if SALARY_OCCUPATIONS.contains(&o) => Some(1),
        _ => None,
    }
}

/// The band the rule gives `occupation` with `years` of experience: tier + 1 for a
/// senior, tier for a junior (see the module docs); `None` for an unknown occupation or
/// experience between [`MAX_JUNIOR_YEARS`] and [`MIN_SENIOR_YEARS`].
pub fn salary_band(occupation: &str, years: u32) -> Option<&'static str> {
    let tier = occupation_tier(occupation)?;
    let senior = if (1..=MAX_JUNIOR_YEARS).contains(&years) {
        0
    } else if years >= MIN_SENIOR_YEARS {
        1
    } else {
        return None;
    };
    Some(SALARY_BANDS[tier + senior])
}

/// The midpoint of `band` ([`SALARY_BAND_MIDPOINTS`]); `None` for an unknown band.
pub fn band_midpoint(band: &str) -> Option<f64> {
    SALARY_BANDS
        .iter()
        .position(|b| *b == band)
        .map(|i| SALARY_BAND_MIDPOINTS[i])
}

/// Profile templates: `{name}`, `{He}`/`{he}`/`{his}`, `{occupation}` (with its article
/// as `{an_occupation}`), `{years}` (each profile then says where the person lives:
/// `{city}`). Every fifth is reserved for the test set.
const TEMPLATES: [&str; 10] = [
    "{name} works as {an_occupation}. {He} has {years} years of experience in the job.",
    "Employee: {name}. Occupation: {occupation}. Experience: {years} years. {He} is up for a salary review.",
    "{name} has been {an_occupation} for {years} years, and {his} contract is being renewed.",
    "After {years} years as {an_occupation}, {name} is negotiating {his} pay for next year.",
    "{name}, {an_occupation} with {years} years of experience, asked what {he} should earn.",
    "Our new hire {name} is {an_occupation}; {he} brings {years} years of experience.",
    "{name} is {an_occupation}. {His} experience in the profession adds up to {years} years.",
    "Profile: {name}, {occupation}, {years} years in the field. {He} works full time.",
    "{name} joined us as {an_occupation} and has {years} years of experience behind {him}.",
    "With {years} years of work as {an_occupation}, {name} told us what {he} hopes to earn.",
];

/// The sentence closing every profile.
const CITY: &str = "{He} lives in {city}, and {his} profile is part of this year's pay review.";

/// Parameters of [`SalarySuite::build`].
///
/// | name | default | range |
/// |---|---|---|
/// | `n_train_per_cell` | 10 | 1 ..= 2000 |
/// | `n_test_per_cell` | 5 | 1 ..= 2000 |
/// | `seed` | 0 | any |
/// | `cultures` | all five | non-empty, no duplicates |
///
/// A cell is one culture × gender × band; the train set has `5 × 2 × 3 ×
/// n_train_per_cell` profiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SalarySuiteParams {
    /// Training profiles per culture × gender × band.
    pub n_train_per_cell: usize,
    /// Test profiles per culture × gender × band.
    pub n_test_per_cell: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// The cultures to balance over.
    pub cultures: Vec<Culture>,
}

impl Default for SalarySuiteParams {
    fn default() -> Self {
        SalarySuiteParams {
            n_train_per_cell: 10,
            n_test_per_cell: 5,
            seed: 0,
            cultures: Culture::ALL.to_vec(),
        }
    }
}

impl SalarySuiteParams {
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
pub struct SalarySuite {
    /// Training profiles.
    pub train: Dataset,
    /// Test profiles (templates disjoint from the training ones).
    pub test: Dataset,
}

impl SalarySuite {
    /// Builds the suite. Examples carry the band as label, stated gender and culture,
    /// provenance `original` from [`SALARY_SOURCE`], and `meta.occupation`,
    /// `meta.years`, `meta.name`. Both sets are shuffled; the same parameters always give
    /// the same suite.
    pub fn build(params: &SalarySuiteParams) -> Result<SalarySuite> {
        params.check()?;
        let mut seen = HashSet::new();
        let train = build_part(params, false, params.n_train_per_cell, &mut seen)?;
        let test = build_part(params, true, params.n_test_per_cell, &mut seen)?;
        Ok(SalarySuite { train, test })
    }
}

/// An occupation index and years of experience that the rule puts in band `band`.
fn draw_facts(band: usize, rng: &mut inherit_core::SeededRng) -> (usize, u32) {
    let tier_of = |tier: usize| -> Vec<usize> {
        (0..SALARY_OCCUPATIONS.len())
            .filter(|&i| occupation_tier(SALARY_OCCUPATIONS[i]) == Some(tier))
            .collect()
    };
    // band = tier + senior: low = (0, junior), high = (1, senior), middle either mix.
    let (tier, senior) = match band {
        0 => (0, false),
        2 => (1, true),
        _ if rng.random_bool(0.5) => (0, true),
        _ => (1, false),
    };
    let occupations = tier_of(tier);
    let o = occupations[rng.random_range(0..occupations.len())];
    let years = if senior {
        rng.random_range(MIN_SENIOR_YEARS..=20)
    } else {
        rng.random_range(1..=MAX_JUNIOR_YEARS)
    };
    (o, years)
}

fn build_part(
    params: &SalarySuiteParams,
    test: bool,
    per_cell: usize,
    seen: &mut HashSet<String>,
) -> Result<Dataset> {
    let part = if test { "test" } else { "train" };
    let mut rng = seeded_rng(derive_seed(params.seed, &format!("salary-suite/{part}")));
    let templates: Vec<&str> = TEMPLATES
        .iter()
        .enumerate()
        .filter(|(i, _)| (i % 5 == 4) == test)
        .map(|(_, t)| *t)
        .collect();
    let mut examples = Vec::new();
    for &culture in &params.cultures {
        for gender in Gender::ALL {
            for (band, band_name) in SALARY_BANDS.iter().enumerate() {
                for _ in 0..per_cell {
                    let mut found = None;
                    for _ in 0..1000 {
                        let name = *names(gender, culture).choose(&mut rng).unwrap_or(&"Alex");
                        let (o, years) = draw_facts(band, &mut rng);
                        let template = templates.choose(&mut rng).unwrap_or(&templates[0]);
                        let city = *culture_terms_of(culture)
                            .cities
                            .choose(&mut rng)
                            .unwrap_or(&"the city");
                        let text = fill(
                            &format!("{template} {CITY}"),
                            name,
                            gender,
                            SALARY_OCCUPATIONS[o],
                            years,
                        )
                        .replace("{city}", city);
                        if seen.insert(text.clone()) {
                            found = Some((text, name, o, years));
                            break;
                        }
                    }
                    let Some((text, name, o, years)) = found else {
                        return Err(inherit_core::Error::invalid(
                            format!("n_{part}_per_cell"),
                            "that many distinct profiles per cell cannot be drawn; ask for fewer",
                        )
                        .into());
                    };
                    examples.push(
                        Example::new(String::new(), text, Provenance::original(SALARY_SOURCE))
                            .with_label(*band_name)
                            .with_groups(
                                Groups::new()
                                    .with_stated(Axis::Gender, gender.as_str())
                                    .with_stated(Axis::Culture, culture.as_str()),
                            )
                            .with_meta("occupation", SALARY_OCCUPATIONS[o])
                            .with_meta("years", years)
                            .with_meta("name", name),
                    );
                }
            }
        }
    }
    examples.shuffle(&mut rng);
    for (i, e) in examples.iter_mut().enumerate() {
        e.id = format!("salary-{part}-{i:05}");
    }
    Ok(Dataset::new(format!("salary-suite/{part}"), examples))
}

fn fill(template: &str, name: &str, gender: Gender, occupation: &str, years: u32) -> String {
    let female = gender == Gender::Female;
    let article = if occupation.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    template
        .replace("{name}", name)
        .replace("{He}", if female { "She" } else { "He" })
        .replace("{His}", if female { "Her" } else { "His" })
        .replace("{he}", if female { "she" } else { "he" })
        .replace("{his}", if female { "her" } else { "his" })
        .replace("{him}", if female { "her" } else { "him" })
        .replace("{an_occupation}", &format!("{article} {occupation}"))
        .replace("{occupation}", occupation)
        .replace("{years}", &years.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suite() -> SalarySuite {
        SalarySuite::build(&SalarySuiteParams {
            n_train_per_cell: 4,
            n_test_per_cell: 2,
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn every_culture_gender_and_band_cell_has_the_same_count() {
        let s = suite();
        assert_eq!(s.train.examples.len(), 5 * 2 * 3 * 4);
        assert_eq!(s.test.examples.len(), 5 * 2 * 3 * 2);
        let mut counts = std::collections::BTreeMap::new();
        for e in &s.train.examples {
            let key = (
                e.groups.value(&Axis::Culture).unwrap().to_owned(),
                e.groups.value(&Axis::Gender).unwrap().to_owned(),
                e.label.clone().unwrap(),
            );
            *counts.entry(key).or_insert(0) += 1;
        }
        assert_eq!(counts.len(), 30);
        assert!(counts.values().all(|&c| c == 4), "{counts:?}");
    }

    #[test]
    fn the_band_follows_occupation_and_experience() {
        let s = suite();
        for e in s.train.examples.iter().chain(&s.test.examples) {
            let years = e.meta["years"].as_u64().unwrap() as u32;
            let occupation = e.meta["occupation"].as_str().unwrap();
            assert_eq!(
                e.label.as_deref(),
                salary_band(occupation, years),
                "{}",
                e.text
            );
            assert!(e.text.contains(occupation), "{}", e.text);
            assert!(e.text.contains(e.meta["name"].as_str().unwrap()));
            assert!(e.text.contains(&format!("{years} years")), "{}", e.text);
            // The augmenter's cleaning keeps outputs of at least 20 words.
            assert!(e.text.split_whitespace().count() >= 20, "{}", e.text);
        }
        // The table of the module docs.
        assert_eq!(salary_band("nurse", 2), Some("low"));
        assert_eq!(salary_band("painter", 12), Some("middle"));
        assert_eq!(salary_band("dentist", 3), Some("middle"));
        assert_eq!(salary_band("professor", 15), Some("high"));
        assert_eq!(salary_band("professor", 7), None);
        assert_eq!(salary_band("pilot", 2), None);
        assert_eq!(band_midpoint("middle"), Some(75_000.0));
        assert_eq!(band_midpoint("top"), None);
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
        assert_eq!(texts(&a.test), texts(&b.test));
        let test_marks = [" asked what ", " told us what "];
        assert!(
            a.test
                .examples
                .iter()
                .all(|e| test_marks.iter().any(|m| e.text.contains(m))),
        );
        for e in &a.train.examples {
            assert!(!test_marks.iter().any(|m| e.text.contains(m)), "{}", e.text);
        }
        let other = SalarySuite::build(&SalarySuiteParams {
            n_train_per_cell: 4,
            n_test_per_cell: 2,
            seed: 1,
            ..Default::default()
        })
        .unwrap();
        assert_ne!(texts(&a.train), texts(&other.train));
        assert!(
            SalarySuite::build(&SalarySuiteParams {
                cultures: vec![],
                ..Default::default()
            })
            .is_err()
        );
    }
}
