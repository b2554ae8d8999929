//! Building the occupation suite: balanced, seeded, train and test from disjoint
//! templates.

use std::collections::HashSet;

use inherit_core::{Axis, Dataset, Example, Groups, Provenance, derive_seed, seeded_rng};
use rand::RngExt;
use rand::seq::{IndexedRandom, SliceRandom};
use serde::{Deserialize, Serialize};

use super::templates::{GENERIC, OccupationTemplates, templates};
use super::{Occupation, scrub_titles};
use crate::error::Result;
use crate::lexicons::{Culture, Gender, culture_terms_of, names};

/// The provenance source of suite examples.
pub const SUITE_SOURCE: &str = "occupation-suite";

/// Attempts at drawing a text not drawn before, per example.
const MAX_ATTEMPTS: usize = 1000;

/// Parameters of [`OccupationSuite::build`].
///
/// | name | default | range |
/// |---|---|---|
/// | `n_train_per_cell` | 20 | 1 ..= 2000 |
/// | `n_test_per_cell` | 10 | 1 ..= 2000 |
/// | `seed` | 0 | any |
/// | `cultures` | all five | non-empty, no duplicates |
/// | `crossover_rate` | 0.35 | [0, 1] |
///
/// A cell is one occupation x gender x culture; with the defaults the train set has
/// 6 x 2 x 5 x 20 = 1,200 biographies and the test set 600.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OccupationSuiteParams {
    /// Training biographies per occupation x gender x culture.
    pub n_train_per_cell: usize,
    /// Test biographies per occupation x gender x culture.
    pub n_test_per_cell: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// The cultures to balance over (names and culture cues come from these).
    pub cultures: Vec<Culture>,
    /// Probability that a biography has a sentence touching another occupation's field.
    pub crossover_rate: f64,
}

impl Default for OccupationSuiteParams {
    fn default() -> Self {
        OccupationSuiteParams {
            n_train_per_cell: 20,
            n_test_per_cell: 10,
            seed: 0,
            cultures: Culture::ALL.to_vec(),
            crossover_rate: 0.35,
        }
    }
}

impl OccupationSuiteParams {
    /// Checks the ranges in the table above.
    pub fn check(&self) -> Result<()> {
        let invalid = |name: &str, msg: String| Err(inherit_core::Error::invalid(name, msg).into());
        for (name, n) in [
            ("n_train_per_cell", self.n_train_per_cell),
            ("n_test_per_cell", self.n_test_per_cell),
        ] {
            if !(1..=2000).contains(&n) {
                return invalid(name, format!("must be in 1..=2000, got {n}"));
            }
        }
        if self.cultures.is_empty() {
            return invalid("cultures", "must name at least one culture".into());
        }
        let distinct: HashSet<&Culture> = self.cultures.iter().collect();
        if distinct.len() != self.cultures.len() {
            return invalid("cultures", format!("has duplicates: {:?}", self.cultures));
        }
        if !(0.0..=1.0).contains(&self.crossover_rate) {
            return invalid(
                "crossover_rate",
                format!("must be in [0, 1], got {}", self.crossover_rate),
            );
        }
        Ok(())
    }
}

/// The suite: original training biographies (D_o) and a balanced test set.
#[derive(Debug, Clone, PartialEq)]
pub struct OccupationSuite {
    /// Training set, named `occupation-train`.
    pub train: Dataset,
    /// Test set, named `occupation-test`.
    pub test: Dataset,
}

/// Which half of every template pool a split draws from: every fifth template (index
/// 4, 9, 14, ...) is reserved for the test set, so train and test share no sentence.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Train,
    Test,
}

impl Part {
    fn name(self) -> &'static str {
        match self {
            Part::Train => "train",
            Part::Test => "test",
        }
    }

    /// The (index, template) pairs of `pool` this part may use.
    fn pick(self, pool: &'static [&'static str]) -> Vec<(usize, &'static str)> {
        pool.iter()
            .copied()
            .enumerate()
            .filter(|(i, _)| (i % 5 == 4) == (self == Part::Test))
            .collect()
    }
}

/// The person a biography is about.
struct Person {
    name: &'static str,
    gender: Gender,
    culture: Culture,
}

/// Fills the slots of `template` for `person`; culture cues are drawn with `rng`.
fn fill(template: &str, person: &Person, rng: &mut impl rand::Rng) -> String {
    let cues = culture_terms_of(person.culture);
    let female = person.gender == Gender::Female;
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let slot = &rest[open + 1..open + close];
        let value: &str = match slot {
            "name" => person.name,
            "He" => {
                if female {
                    "She"
                } else {
                    "He"
                }
            }
            "he" => {
                if female {
                    "she"
                } else {
                    "he"
                }
            }
            "His" => {
                if female {
                    "Her"
                } else {
                    "His"
                }
            }
            "his" | "him" => {
                if female {
                    "her"
                } else {
                    slot
                }
            }
            "himself" => {
                if female {
                    "herself"
                } else {
                    "himself"
                }
            }
            "city" => cues.cities.choose(rng).copied().unwrap_or_default(),
            "dish" => cues.dishes.choose(rng).copied().unwrap_or_default(),
            "festival" => cues.festivals.choose(rng).copied().unwrap_or_default(),
            _ => &rest[open..=open + close],
        };
        out.push_str(value);
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// Draws `k` distinct templates of `pool` (all if fewer).
fn draw<'a>(
    pool: &'a [(usize, &'static str)],
    k: usize,
    rng: &mut impl rand::Rng,
) -> Vec<&'a (usize, &'static str)> {
    pool.sample(rng, k).collect()
}

/// One biography: text and the ids of the templates used.
fn biography(
    occupation: Occupation,
    t: &OccupationTemplates,
    person: &Person,
    part: Part,
    crossover_rate: f64,
    rng: &mut impl rand::Rng,
) -> (String, Vec<String>) {
    let occ = occupation.id();
    let intros = part.pick(t.intros);
    let details = part.pick(t.details);
    let crossovers = part.pick(t.crossovers);
    let generic = part.pick(GENERIC);
    let mut chosen: Vec<(String, &str)> = Vec::new();
    let intro = intros
        .choose(rng)
        .expect("every pool has templates in both parts");
    let n_details = rng.random_range(2..=3);
    let mut body: Vec<(String, &str)> = draw(&details, n_details, rng)
        .into_iter()
        .map(|(i, s)| (format!("{occ}/detail/{i}"), *s))
        .collect();
    if rng.random_bool(crossover_rate) {
        let (i, s) = crossovers.choose(rng).expect("crossover pool is not empty");
        body.push((format!("{occ}/crossover/{i}"), *s));
    }
    let n_generic = rng.random_range(1..=2);
    body.extend(
        draw(&generic, n_generic, rng)
            .into_iter()
            .map(|(i, s)| (format!("generic/{i}"), *s)),
    );
    body.shuffle(rng);
    chosen.push((format!("{occ}/intro/{}", intro.0), intro.1));
    chosen.extend(body);
    let text: Vec<String> = chosen.iter().map(|(_, s)| fill(s, person, rng)).collect();
    let ids = chosen.into_iter().map(|(id, _)| id).collect();
    (scrub_titles(&text.join(" ")), ids)
}

impl OccupationSuite {
    /// Builds the suite: for every occupation x gender (female, male) x culture,
    /// `n_train_per_cell` training and `n_test_per_cell` test biographies.
    ///
    /// Each biography is an opening sentence, two or three sentences on duties,
    /// workplaces, tools or education, with probability `crossover_rate` one sentence
    /// touching another occupation's field, and one or two sentences about life outside
    /// work; the person's name is drawn from [`names`] of the cell's gender and culture,
    /// pronouns match the gender and city / dish / festival cues the culture. Every text
    /// goes through [`scrub_titles`] and is distinct from every other. Train and test use
    /// disjoint templates (every fifth template of each pool is kept for test), so they
    /// share no sentence.
    ///
    /// Examples carry the occupation id as label (label set in [`Occupation::ALL`]
    /// order), stated gender and culture, provenance `original` from
    /// `occupation-suite`, and `meta.name` and `meta.templates` (the template ids used).
    /// Both sets are shuffled; the same parameters always give the same suite.
    pub fn build(params: &OccupationSuiteParams) -> Result<OccupationSuite> {
        params.check()?;
        let mut seen = HashSet::new();
        let train = build_part(params, Part::Train, params.n_train_per_cell, &mut seen)?;
        let test = build_part(params, Part::Test, params.n_test_per_cell, &mut seen)?;
        Ok(OccupationSuite { train, test })
    }
}

fn build_part(
    params: &OccupationSuiteParams,
    part: Part,
    per_cell: usize,
    seen: &mut HashSet<String>,
) -> Result<Dataset> {
    let mut rng = seeded_rng(derive_seed(
        params.seed,
        &format!("occupation-suite/{}", part.name()),
    ));
    let mut examples = Vec::new();
    for occupation in Occupation::ALL {
        let t = templates(occupation);
        for gender in Gender::ALL {
            for &culture in &params.cultures {
                for _ in 0..per_cell {
                    let mut found = None;
                    for _ in 0..MAX_ATTEMPTS {
                        let name = names(gender, culture)
                            .choose(&mut rng)
                            .copied()
                            .unwrap_or_default();
                        let person = Person {
                            name,
                            gender,
                            culture,
                        };
                        let (text, ids) = biography(
                            occupation,
                            t,
                            &person,
                            part,
                            params.crossover_rate,
                            &mut rng,
                        );
                        if seen.insert(text.clone()) {
                            found = Some((text, ids, name));
                            break;
                        }
                    }
                    let Some((text, ids, name)) = found else {
                        return Err(inherit_core::Error::invalid(
                            format!("n_{}_per_cell", part.name()),
                            format!(
                                "{per_cell} distinct biographies per cell cannot be drawn \
                                 ({} x {} x {}); ask for fewer",
                                occupation.id(),
                                gender.as_str(),
                                culture.as_str()
                            ),
                        )
                        .into());
                    };
                    examples.push(
                        Example::new(String::new(), text, Provenance::original(SUITE_SOURCE))
                            .with_label(occupation.id())
                            .with_groups(
                                Groups::new()
                                    .with_stated(Axis::Gender, gender.as_str())
                                    .with_stated(Axis::Culture, culture.as_str()),
                            )
                            .with_meta("name", name)
                            .with_meta("templates", ids),
                    );
                }
            }
        }
    }
    examples.shuffle(&mut rng);
    for (i, e) in examples.iter_mut().enumerate() {
        e.id = format!("occ-{}-{i:05}", part.name());
    }
    let labels = Occupation::ALL.iter().map(|o| o.id().to_owned()).collect();
    Ok(Dataset::with_labels(
        format!("occupation-{}", part.name()),
        labels,
        examples,
    )?)
}
