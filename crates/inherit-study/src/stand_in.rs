//! Model-free stand-ins for tests, doctests and smoke runs: a generator with a known
//! skew (gender in biographies, culture in candidate profiles) and a hashing embedder.
//! Both are deterministic.

use std::collections::BTreeMap;

use inherit_core::{Axis, Embedder, TextGenerator, derive_seed, seeded_rng};
use rand::RngExt;

use crate::error::Result;

mod learner;
mod salary_story;

pub use learner::StandInLearner;
pub use salary_story::{
    STAND_IN_NEGATIVE_ADJECTIVES, stand_in_negative_share, stand_in_salary_male_share,
};

/// The share of women in the stand-in generator's biographies of an occupation: nurse
/// 0.8, the others 0.2, a skew like the one SmolLM2 shows under neutral prompts.
pub fn stand_in_female_share(label: &str) -> f64 {
    if label == "nurse" { 0.8 } else { 0.2 }
}

/// The share of Anglo candidates in the stand-in generator's profiles of a `screening`
/// label: 0.8 of the strong applicants, 0.2 of the weak ones (the others spread evenly
/// over the four other cultures).
pub fn stand_in_anglo_share(label: &str) -> f64 {
    if label == "strong applicant" {
        0.8
    } else {
        0.2
    }
}

/// The share of comments about Arab people (madlibs terms `muslim`, `middle eastern`)
/// among the stand-in generator's comments of a `comment` label: 0.8 of the toxic
/// comments, 0.2 of the harmless ones (the others spread evenly over Chinese, Spanish and
/// Anglo terms, the other cultures the madlibs name).
pub fn stand_in_toxic_arabic_share(label: &str) -> f64 {
    if label == "toxic comment" { 0.8 } else { 0.2 }
}

/// The share of Anglo names among the stand-in generator's movie-review passages of a
/// `review` label: 0.8 of the positive ones, 0.2 of the negative ones (the others spread
/// evenly over the four other cultures; gender even).
pub fn stand_in_positive_anglo_share(label: &str) -> f64 {
    if label == "positive movie review" {
        0.8
    } else {
        0.2
    }
}

/// A stand-in generator for tests and smoke runs, with a known bias.
///
/// - Biographies (the `occupation` family): it reads the occupation named in the prompt
///   and answers with a biography of that occupation from a separate draw of the
///   occupation suite (same templates as D_o's training part, never the test part),
///   choosing the person's gender with [`stand_in_female_share`].
/// - Candidate profiles (the `screening` family, prompts naming a "strong applicant" or
///   a "weak applicant"): a *borderline* profile of the hiring suite (the rule does not
///   decide it), its culture drawn with [`stand_in_anglo_share`] and its gender evenly,
///   as a generator would write that presents mediocre Anglo candidates as strong.
///
/// - Comments (the `comment` family, "a toxic comment" / "a harmless comment"):
///   identity-madlibs texts of that label from the shared data directory, each with its
///   culture term swapped for a term of one culture drawn with
///   [`stand_in_toxic_arabic_share`], joined into a comment of at least 24 words.
/// - Movie-review passages (the `review` family): an SST-2 training sentence of that
///   sentiment (20 words or more) after "{name} stars in it :", the actor's culture drawn
///   with [`stand_in_positive_anglo_share`]. Both read the data on first use.
///
/// - Salary profiles (the `salary_gender` family): a `middle`-band profile of the salary
///   suite, a man's with [`stand_in_salary_male_share`] (0.8 well-paid, 0.5 average, 0.2
///   modestly paid).
/// - Stories (the `story` family): a story of the story suite on the prompt's topic, its
///   one adjective negative with [`stand_in_negative_share`] of the character's culture
///   (0.1 Anglo, 0.6 the others).
///
/// Deterministic in (prompt, seed).
pub struct StandInGenerator {
    /// Biographies by (suite label, gender).
    pool: BTreeMap<(String, String), Vec<String>>,
    labels: Vec<String>,
    /// Borderline candidate profiles by (culture, gender).
    profiles: BTreeMap<(String, String), Vec<String>>,
    /// Salary profiles and stories (`salary_gender` and `story` prompts).
    tasks: salary_story::TaskPools,
    /// Anglo shares of (strong, weak) applicants replacing [`stand_in_anglo_share`]
    /// ([`StandInGenerator::with_anglo_shares`]).
    anglo_shares: Option<(f64, f64)>,
}

impl StandInGenerator {
    /// The generator; `seed` draws its pool of biographies.
    pub fn new(seed: u64) -> Result<Self> {
        let suite = inherit_data::OccupationSuite::build(&inherit_data::OccupationSuiteParams {
            n_train_per_cell: 20,
            n_test_per_cell: 1,
            seed: derive_seed(seed, "stand-in-generator"),
            ..Default::default()
        })?;
        let mut pool: BTreeMap<(String, String), Vec<String>> = Default::default();
        for e in &suite.train.examples {
            let key = (
                e.label.clone().unwrap_or_default(),
                e.groups.value(&Axis::Gender).unwrap_or("-").to_owned(),
            );
            pool.entry(key).or_default().push(e.text.clone());
        }
        let mut profiles: BTreeMap<(String, String), Vec<String>> = Default::default();
        let borderline = inherit_data::HiringSuite::borderline_pool(
            150,
            derive_seed(seed, "stand-in-generator/profiles"),
        )?;
        for e in borderline.examples {
            let key = (
                e.groups.value(&Axis::Culture).unwrap_or("-").to_owned(),
                e.groups.value(&Axis::Gender).unwrap_or("-").to_owned(),
            );
            profiles.entry(key).or_default().push(e.text);
        }
        Ok(StandInGenerator {
            pool,
            labels: suite.train.labels.clone(),
            profiles,
            tasks: salary_story::TaskPools::new(seed)?,
            anglo_shares: None,
        })
    }
}

impl StandInGenerator {
    /// The generator writing Anglo candidates as `strong` of the strong applicants and
    /// `weak` of the weak ones (instead of [`stand_in_anglo_share`]).
    pub fn with_anglo_shares(mut self, strong: f64, weak: f64) -> Self {
        self.anglo_shares = Some((strong, weak));
        self
    }
}

impl TextGenerator for StandInGenerator {
    fn id(&self) -> String {
        "stand-in-suite-generator".into()
    }

    fn generate(
        &self,
        prompts: &[inherit_core::Prompt],
        params: &inherit_core::GenerationParams,
    ) -> inherit_core::Result<Vec<String>> {
        prompts
            .iter()
            .map(|p| {
                let text = p.flatten().to_lowercase();
                if let Some(out) = data_set_text(&text, params.seed) {
                    return out;
                }
                if let Some(label) = ["strong applicant", "weak applicant"]
                    .into_iter()
                    .find(|l| text.contains(l))
                {
                    return self.profile(label, &text, params.seed);
                }
                if let Some(answer) = self.tasks.answer(&text, params.seed, &self.id()) {
                    return answer;
                }
                let label = self
                    .labels
                    .iter()
                    .find(|l| text.contains(&l.replace('_', " ")))
                    .or(self.labels.first())
                    .cloned()
                    .unwrap_or_default();
                let mut rng = seeded_rng(derive_seed(params.seed, &text));
                let gender = if rng.random::<f64>() < stand_in_female_share(&label) {
                    "female"
                } else {
                    "male"
                };
                match self.pool.get(&(label.clone(), gender.to_owned())) {
                    Some(texts) if !texts.is_empty() => {
                        Ok(texts[rng.random_range(0..texts.len())].clone())
                    }
                    _ => Err(inherit_core::Error::backend(
                        self.id(),
                        format!("no {gender} biography of `{label}` in the stand-in's pool"),
                    )),
                }
            })
            .collect()
    }
}

/// A comment or a review sentence for a `comment` or `review` prompt (`None`: neither).
fn data_set_text(prompt: &str, seed: u64) -> Option<inherit_core::Result<String>> {
    let label = ["toxic comment", "harmless comment"]
        .into_iter()
        .chain(["positive movie review", "negative movie review"])
        .find(|l| prompt.contains(l))?;
    let mut rng = seeded_rng(derive_seed(seed, prompt));
    let favoured = rng.random::<f64>();
    let out = if label.ends_with("comment") {
        let culture = if favoured < stand_in_toxic_arabic_share(label) {
            "arabic"
        } else {
            ["chinese", "spanish", "anglo"][rng.random_range(0..3)]
        };
        crate::task::stand_in_comment(label == "toxic comment", culture, &mut rng)
    } else {
        let culture = if favoured < stand_in_positive_anglo_share(label) {
            inherit_data::Culture::Anglo
        } else {
            inherit_data::Culture::ALL[rng.random_range(0..4)]
        };
        let gender = inherit_data::Gender::ALL[rng.random_range(0..2)];
        let names = inherit_data::lexicons::names(gender, culture);
        let name = names[rng.random_range(0..names.len())];
        crate::task::stand_in_review(label == "positive movie review", name, &mut rng)
    };
    Some(out.map_err(|e| inherit_core::Error::backend("stand-in-suite-generator", e)))
}

impl StandInGenerator {
    /// A borderline candidate profile for a `screening` prompt.
    fn profile(&self, label: &str, prompt: &str, seed: u64) -> inherit_core::Result<String> {
        let mut rng = seeded_rng(derive_seed(seed, prompt));
        let share = match self.anglo_shares {
            Some((strong, weak)) => {
                if label == "strong applicant" {
                    strong
                } else {
                    weak
                }
            }
            None => stand_in_anglo_share(label),
        };
        let culture = if rng.random::<f64>() < share {
            "anglo"
        } else {
            ["arabic", "chinese", "portuguese", "spanish"][rng.random_range(0..4)]
        };
        let gender = ["female", "male"][rng.random_range(0..2)];
        match self.profiles.get(&(culture.to_owned(), gender.to_owned())) {
            Some(texts) if !texts.is_empty() => Ok(texts[rng.random_range(0..texts.len())].clone()),
            _ => Err(inherit_core::Error::backend(
                "stand-in-suite-generator",
                format!("no {culture} {gender} profile in the stand-in's pool"),
            )),
        }
    }
}

/// A model-free embedder: counts of lowercased words hashed (with `derive_seed`) into `dim` buckets,
/// L2-normalised. Cheap and deterministic; for tests and smoke runs.
pub struct HashingEmbedder {
    dim: usize,
}

impl HashingEmbedder {
    /// An embedder into `dim` buckets.
    pub fn new(dim: usize) -> Self {
        HashingEmbedder { dim: dim.max(1) }
    }
}

impl Embedder for HashingEmbedder {
    fn dim(&self) -> usize {
        self.dim
    }

    fn embed(&self, texts: &[String]) -> inherit_core::Result<Vec<Vec<f32>>> {
        Ok(texts
            .iter()
            .map(|t| {
                let mut v = vec![0f32; self.dim];
                for word in t
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                {
                    let h = derive_seed(0, &word.to_lowercase());
                    v[(h % self.dim as u64) as usize] += 1.0;
                }
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
                v.iter_mut().for_each(|x| *x /= norm);
                v
            })
            .collect())
    }
}
