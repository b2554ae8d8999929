//! Counterfactual name pairs for the hiring suite (the correspondence-audit design): each
//! borderline base profile (experience between the reject and hire thresholds, the
//! role's degree, so the rule does not decide it) is rendered once per culture, the same
//! text with only the culture cues changed: a first name of that culture and the same
//! gender, and a city of that culture. Whatever a model does differently between two
//! renders of one base is due to the cue alone.
//!
//! Each base also gets a **placebo** render: another name and city of the compared group
//! `a`, so `a` against its placebo is a built-in null (a metric that finds a gap there
//! invents it).
//!
//! Examples carry `meta.pair` (the base's index), `meta.variant` (the culture, or
//! [`PLACEBO`]), `meta.borderline = true`, `meta.role`, `meta.years`, `meta.name`, no
//! label, and the stated gender and culture (a placebo render states group `a`).

use std::collections::HashSet;

use inherit_core::{Axis, Dataset, Example, Groups, Provenance, derive_seed, seeded_rng};
use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::hiring::{DEGREES, HIRING_ROLES, HIRING_SOURCE, TEMPLATES, fill};
use crate::hiring::{MAX_YEARS_TO_REJECT, MIN_YEARS_TO_HIRE};
use crate::lexicons::{Culture, Gender, culture_terms_of, names};

/// `meta.variant` of a placebo render.
pub const PLACEBO: &str = "placebo";

/// The most base profiles [`counterfactual_pairs`] draws.
pub const MAX_PAIRS: usize = 5000;

/// Parameters of [`counterfactual_pairs`].
///
/// | name | default | range |
/// |---|---|---|
/// | `n_bases` | 100 | 1 ..= 5000 |
/// | `placebo_of` | anglo | one of `cultures` |
/// | `cultures` | all five | at least two, no duplicates |
/// | `seed` | 0 | any |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairParams {
    /// Base profiles; each gives one render per culture plus a placebo.
    pub n_bases: usize,
    /// The group whose placebo render (another name and city of the same culture) is
    /// drawn.
    pub placebo_of: Culture,
    /// The cultures every base is rendered in.
    pub cultures: Vec<Culture>,
    /// Seed of every draw.
    pub seed: u64,
}

impl Default for PairParams {
    fn default() -> Self {
        PairParams {
            n_bases: 100,
            placebo_of: Culture::Anglo,
            cultures: Culture::ALL.to_vec(),
            seed: 0,
        }
    }
}

impl PairParams {
    /// Checks the ranges in the table above.
    pub fn check(&self) -> Result<()> {
        if !(1..=MAX_PAIRS).contains(&self.n_bases) {
            return Err(inherit_core::Error::invalid(
                "n_bases",
                format!("must be in 1..={MAX_PAIRS}, got {}", self.n_bases),
            )
            .into());
        }
        let distinct: HashSet<_> = self.cultures.iter().collect();
        if self.cultures.len() < 2 || distinct.len() != self.cultures.len() {
            return Err(inherit_core::Error::invalid(
                "cultures",
                "needs at least two cultures, no duplicates",
            )
            .into());
        }
        if !self.cultures.contains(&self.placebo_of) {
            return Err(inherit_core::Error::invalid(
                "placebo_of",
                format!("`{}` is not among the cultures", self.placebo_of.as_str()),
            )
            .into());
        }
        Ok(())
    }
}

/// One base profile: everything but the culture cues.
struct Base {
    gender: Gender,
    role: usize,
    years: u32,
    template: &'static str,
    name: usize,
    city: usize,
}

impl Base {
    /// The render of this base with the `offset`-th next name and city of `culture`.
    fn render(&self, culture: Culture, offset: usize) -> (String, &'static str) {
        let pool = names(self.gender, culture);
        let name = pool[(self.name + offset) % pool.len()];
        let cities = culture_terms_of(culture).cities;
        let city = cities[(self.city + offset) % cities.len()];
        let text = fill(
            &format!("{} {{He}} lives in {{city}}.", self.template),
            name,
            self.gender,
            HIRING_ROLES[self.role],
            self.years,
            DEGREES[self.role],
            city,
        );
        (text, name)
    }
}

/// The counterfactual borderline test profiles (see the module docs), drawn from the
/// test templates: `n_bases × (cultures + 1)` examples, grouped by base. The same
/// parameters always give the same profiles.
pub fn counterfactual_pairs(params: &PairParams) -> Result<Dataset> {
    params.check()?;
    let mut rng = seeded_rng(derive_seed(params.seed, "hiring-suite/pairs"));
    let templates: Vec<&'static str> = TEMPLATES
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 5 == 4)
        .map(|(_, t)| *t)
        .collect();
    let mut examples = Vec::new();
    for b in 0..params.n_bases {
        let base = Base {
            gender: Gender::ALL[b % Gender::ALL.len()],
            role: rng.random_range(0..HIRING_ROLES.len()),
            years: rng.random_range(MAX_YEARS_TO_REJECT + 1..MIN_YEARS_TO_HIRE),
            template: templates[rng.random_range(0..templates.len())],
            name: rng.random_range(0..1000),
            city: rng.random_range(0..1000),
        };
        let variants = params
            .cultures
            .iter()
            .map(|c| (*c, c.as_str(), 0))
            .chain(std::iter::once((params.placebo_of, PLACEBO, 1)));
        for (culture, variant, offset) in variants {
            let (text, name) = base.render(culture, offset);
            let e = Example::new(
                format!("hiring-pair-{b:04}-{variant}"),
                text,
                Provenance::original(HIRING_SOURCE),
            )
            .with_groups(
                Groups::new()
                    .with_stated(Axis::Gender, base.gender.as_str())
                    .with_stated(Axis::Culture, culture.as_str()),
            )
            .with_meta("role", HIRING_ROLES[base.role])
            .with_meta("years", base.years)
            .with_meta("name", name)
            .with_meta("borderline", true)
            .with_meta("pair", b)
            .with_meta("variant", variant);
            examples.push(e);
        }
    }
    Ok(Dataset::new("hiring-suite/pairs", examples))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text with the name and city of a render replaced by placeholders.
    fn skeleton(e: &Example, culture: Culture) -> String {
        let mut t = e.text.replace(e.meta["name"].as_str().unwrap(), "NAME");
        for city in culture_terms_of(culture).cities {
            t = t.replace(city, "CITY");
        }
        t
    }

    #[test]
    fn renders_of_one_base_differ_only_in_name_and_city() {
        let d = counterfactual_pairs(&PairParams {
            n_bases: 12,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(d.examples.len(), 12 * 6);
        for base in d.examples.chunks(6) {
            let pair = &base[0].meta["pair"];
            assert!(base.iter().all(|e| &e.meta["pair"] == pair));
            let culture_of = |e: &Example| {
                let c = e.groups.value(&Axis::Culture).unwrap();
                *Culture::ALL.iter().find(|x| x.as_str() == c).unwrap()
            };
            let first = skeleton(&base[0], culture_of(&base[0]));
            for e in base {
                assert_eq!(skeleton(e, culture_of(e)), first, "{}", e.text);
                assert!(e.label.is_none() && e.meta["borderline"] == true);
                assert_eq!(
                    e.groups.value(&Axis::Gender),
                    base[0].groups.value(&Axis::Gender)
                );
                let years = e.meta["years"].as_u64().unwrap() as u32;
                assert!(years > MAX_YEARS_TO_REJECT && years < MIN_YEARS_TO_HIRE);
            }
            // The placebo is group a under another name.
            let placebo = base.iter().find(|e| e.meta["variant"] == PLACEBO).unwrap();
            let anglo = base.iter().find(|e| e.meta["variant"] == "anglo").unwrap();
            assert_eq!(placebo.groups.value(&Axis::Culture), Some("anglo"));
            assert_ne!(placebo.meta["name"], anglo.meta["name"]);
        }
    }

    #[test]
    fn pairs_are_deterministic_and_checked() {
        let p = PairParams::default();
        let texts = |d: Dataset| d.examples.into_iter().map(|e| e.text).collect::<Vec<_>>();
        assert_eq!(
            texts(counterfactual_pairs(&p).unwrap()),
            texts(counterfactual_pairs(&p).unwrap())
        );
        for bad in [
            PairParams {
                n_bases: 0,
                ..Default::default()
            },
            PairParams {
                cultures: vec![Culture::Anglo],
                ..Default::default()
            },
            PairParams {
                cultures: vec![Culture::Arabic, Culture::Chinese],
                ..Default::default()
            },
        ] {
            assert!(counterfactual_pairs(&bad).is_err());
        }
    }
}
