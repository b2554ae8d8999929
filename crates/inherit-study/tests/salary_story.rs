//! The salary and story tasks through the study with the stand-in generator, whose known
//! skews must show up in the trained models:
//!
//! - salary: the stand-in writes `middle`-band profiles, a man's 0.8 of the time when asked
//!   for a well-paid professional (→ `high`) and 0.2 of the time for a modestly paid one
//!   (→ `low`). A bag classifier trained on D_o alone predicts bands by the rule (gap near
//!   0); mixed with D_a at γ = 0.5 it must pay women less than men (a more negative
//!   female − male `salary_gap`).
//! - story: the stand-in's stories carry a negative adjective 0.6 of the time about a
//!   non-Anglo character and 0.1 about an Anglo one; D_o has none. A downstream model
//!   that writes in the style of its training stories (below) must write more negative
//!   stories about Arab than about Anglo characters at γ = 0.5, and none at γ = 0.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use inherit_core::{Dataset, GenerationParams, Prompt, TextGenerator, derive_seed};
use inherit_data::{Culture, Gender};
use inherit_mitigate::Mitigation;
use inherit_study::{Downstream, Study, Task, TrainedModel};

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn by_gamma(outcome: &inherit_study::StudyOutcome, metric: &str, gamma: f64) -> Vec<f64> {
    outcome
        .records
        .iter()
        .filter(|r| r.gamma == gamma)
        .map(|r| r.metrics[metric])
        .collect()
}

#[test]
fn the_stand_in_gender_skew_shows_in_the_salary_gap() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::tiny_with(&dir.path().join("run"), |c| {
        c.tasks[0].kind = "salary".into();
        c.tasks[0].train_per_cell = 6;
        c.tasks[0].test_per_cell = 4;
        c.gammas = vec![0.0, 0.5];
        c.mitigations = vec!["none".into()];
        c.seeds = vec![1, 2, 3, 4];
        c.generator.neutral_per_label = 4;
        c.generator.augmented_per_label = 60;
        c.downstream.epochs = 25;
        c.downstream.embed_dim = 32;
        c.downstream.vocab_size = 2000;
    });
    let outcome = Study::new(config).run().unwrap();
    assert_eq!(outcome.records.len(), 8);
    for r in &outcome.records {
        assert_eq!(r.task, "salary");
        for k in [
            "salary_gap",
            "mean_salary.female",
            "mean_salary.male",
            "salary_gap.nurse",
            "salary_gap.software_engineer",
            "accuracy",
            "accuracy_gap",
        ] {
            assert!(r.metrics.contains_key(k), "{k}: {:?}", r.metrics);
        }
    }
    let (base, top) = (
        by_gamma(&outcome, "salary_gap", 0.0),
        by_gamma(&outcome, "salary_gap", 0.5),
    );
    // D_o alone: the rule, and no gap worth a band.
    assert!(mean(&base).abs() < 10_000.0, "{base:?}");
    // (Observed: about −2 400 at γ = 0 and −10 600 at γ = 0.5.)
    assert!(
        mean(&top) < mean(&base) - 5_000.0,
        "female − male salary gap: γ = 0 {base:?}, γ = 0.5 {top:?}"
    );
    let acc = by_gamma(&outcome, "accuracy", 0.0);
    assert!(mean(&acc) > 0.7, "{acc:?}");
    let manifest = std::fs::read_to_string(outcome.out.join("manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    assert_eq!(manifest["inheritance"][0]["metric"], "salary_gap");
}

/// The culture of a first name of the built-in lists.
fn culture_of(name: &str) -> Option<Culture> {
    Culture::ALL.into_iter().find(|c| {
        Gender::ALL
            .iter()
            .any(|g| inherit_data::lexicons::names(*g, *c).contains(&name))
    })
}

/// The character named in a story prompt ("... about {name}, centred on ...").
fn prompt_name(prompt: &str) -> Option<&str> {
    let (_, rest) = prompt.split_once(" about ")?;
    Some(rest.split_once(',')?.0)
}

/// Writes like its training stories: a story prompt about a character of culture C gets
/// a training story about a character of C (the task's training pairs; chosen by a hash
/// of the prompt), with the new character's name swapped in.
struct Imitator;

struct Imitation {
    /// (character name, story) of each training pair, by the character's culture.
    stories: BTreeMap<Culture, Vec<(String, String)>>,
}

impl Downstream for Imitator {
    fn id(&self) -> String {
        "imitator".into()
    }

    fn identity(&self) -> serde_json::Value {
        serde_json::json!({ "model": "imitator" })
    }

    fn train(
        &self,
        train: &Dataset,
        task: &dyn Task,
        _mitigation: Arc<dyn Mitigation>,
        _seed: u64,
    ) -> inherit_study::Result<Box<dyn TrainedModel>> {
        let mut stories: BTreeMap<Culture, Vec<(String, String)>> = BTreeMap::new();
        for e in &train.examples {
            let (prompt, story) = task.sft_pair(e).expect("the story task learns the text");
            let Some(name) = prompt_name(&prompt) else {
                continue;
            };
            if let Some(culture) = culture_of(name) {
                stories
                    .entry(culture)
                    .or_default()
                    .push((name.to_owned(), story));
            }
        }
        Ok(Box::new(Imitation { stories }))
    }
}

impl TrainedModel for Imitation {
    fn generator(&self) -> Option<&dyn TextGenerator> {
        Some(self)
    }
}

impl TextGenerator for Imitation {
    fn id(&self) -> String {
        "imitation".into()
    }

    fn generate(
        &self,
        prompts: &[Prompt],
        params: &GenerationParams,
    ) -> inherit_core::Result<Vec<String>> {
        Ok(prompts
            .iter()
            .map(|p| {
                let prompt = p.flatten();
                let name = prompt_name(&prompt).unwrap_or("someone");
                let pool = culture_of(name).and_then(|c| self.stories.get(&c));
                match pool {
                    Some(pool) if !pool.is_empty() => {
                        let i = derive_seed(params.seed, &prompt) as usize % pool.len();
                        let (old, story) = &pool[i];
                        story.replace(old.as_str(), name)
                    }
                    _ => format!("{name} went for a walk."),
                }
            })
            .collect())
    }
}

#[test]
fn the_stand_in_culture_skew_shows_in_the_stories_a_trained_model_writes() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::tiny_with(&dir.path().join("run"), |c| {
        c.tasks[0].kind = "story".into();
        c.tasks[0].axis = "culture".into();
        c.tasks[0].groups = ["arabic".into(), "anglo".into()];
        c.tasks[0].train_per_cell = 4;
        c.tasks[0].test_per_cell = 4;
        c.gammas = vec![0.0, 0.5];
        c.mitigations = vec!["none".into()];
        c.seeds = vec![1, 2, 3];
        c.generator.neutral_per_label = 4;
        c.generator.augmented_per_label = 50;
    });
    let outcome = Study::new(config)
        .downstream(Box::new(Imitator))
        .run()
        .unwrap();
    assert_eq!(outcome.records.len(), 6);
    for r in &outcome.records {
        assert_eq!(r.task, "story");
        for k in [
            "negative_gap",
            "negative_share.arabic",
            "negative_share.anglo",
            "negative_share.female",
            "negative_share.male",
        ] {
            assert!(r.metrics.contains_key(k), "{k}: {:?}", r.metrics);
        }
    }
    // D_o alone has no negative adjective to imitate.
    let base = by_gamma(&outcome, "negative_gap", 0.0);
    assert!(base.iter().all(|&g| g == 0.0), "{base:?}");
    assert!(
        by_gamma(&outcome, "negative_share.arabic", 0.0)
            .iter()
            .all(|&s| s == 0.0)
    );
    // With half of the training stories from D_a: about 0.5 × 0.6 = 0.3 of the Arab
    // characters' adjectives are negative, 0.5 × 0.1 = 0.05 of the Anglo ones' (observed
    // gaps: 0.29 to 0.42).
    let top = by_gamma(&outcome, "negative_gap", 0.5);
    assert!(
        mean(&top) > 0.1,
        "Arab − Anglo negative share at γ = 0.5: {top:?}"
    );
    // Every cell's stories are written where a person can read them.
    let cells = outcome.out.join("cells");
    let files: Vec<_> = std::fs::read_dir(&cells)
        .unwrap()
        .map(|d| d.unwrap().path().join("stories.jsonl"))
        .collect();
    assert_eq!(files.len(), 6);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        assert_eq!(text.lines().count(), 5 * 2 * 3 * 4, "{}", f.display());
    }
}

#[test]
fn a_classifier_cannot_be_the_story_tasks_downstream_model() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::tiny_with(&dir.path().join("run"), |c| {
        c.tasks[0].kind = "story".into();
        c.tasks[0].axis = "culture".into();
        c.tasks[0].groups = ["arabic".into(), "anglo".into()];
        c.gammas = vec![0.0];
        c.mitigations = vec!["none".into()];
        c.seeds = vec![1];
    });
    let err = Study::new(config).run().unwrap_err().to_string();
    assert!(err.contains("classifier cannot write stories"), "{err}");
}
