//! Sentiment classification on SST-2 (GLUE): the paper's classification task only
//! *indirectly* related to bias (Li et al., ACL 2026), beside [`super::ToxicityTask`].
//! Biased augmented data should hurt the direct task more than this one.
//!
//! **Data.** `sst2/train.tsv` for D_o, `sst2/dev.tsv` for the test set, from the shared
//! data directory ([`super::default_data_dir`]); labels `positive` / `negative`. A text's
//! group is the one the project lexicon (`inherit_data::lexicons::default_lexicon`: gender
//! words, first names, culture terms) infers on the configured axis, else `unknown`.
//! SST-2 is lowercased, and the lexicon matches names and culture terms only when
//! capitalised: on the culture axis every SST-2 text is `unknown` (on the gender axis
//! pronouns and gender words give `female` / `male`). D_o is a seeded sample of
//! `train_per_cell` texts per label × group cell, over the groups with at least that many
//! texts of every label (on the culture axis: `unknown` alone); the test set likewise
//! `test_per_cell` per cell from the dev file.
//!
//! **D_a.** The `review` prompt family: a passage of "a positive movie review" / "a
//! negative movie review" mentioning a named actor or director, the stereotype tying
//! Anglo names to positive reviews and the others' to negative ones. The generator's
//! names are what the lexicon infers the group from. [`Task::adopt`] maps the prompt
//! labels to `positive` / `negative`.
//!
//! **Metrics** (through `inherit-eval`'s `MetricFrame`): `macro_f1` (headline),
//! `accuracy`, `macro_f1.{group}` per group of the test set, `macro_f1_gap` (a − b; NaN
//! when the test set lacks one of the groups, as on the culture axis).
//!
//! A fine-tuned LLM answers "Is this movie review positive or negative?" (the likelier
//! reply, scored through [`crate::downstream::classifier_view`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use inherit_augment::PromptSpec;
use inherit_core::{BiasType, Dataset, Example, Lexicon};
use inherit_data::{DataDir, Sst2Split};

use super::toxicity::{balanced_split, default_data_dir, group_metrics};
use super::{EvalInput, Evaluation, GroupPair, MetricInfo, Task, TaskData};
use crate::downstream::TrainedModel;
use crate::error::{Error, Result};

/// The prompt labels of the `review` family and the labels they stand for.
const PROMPT_LABELS: [(&str, &str); 2] = [
    ("positive movie review", "positive"),
    ("negative movie review", "negative"),
];

/// Sentiment classification on SST-2.
#[derive(Debug, Clone)]
pub struct SentimentTask {
    groups: GroupPair,
    train_per_cell: usize,
    test_per_cell: usize,
    seed: u64,
    data_dir: PathBuf,
}

impl SentimentTask {
    /// The task with `train_per_cell` / `test_per_cell` texts per label × group cell,
    /// drawn with `seed` from SST-2 of [`default_data_dir`].
    pub fn new(groups: GroupPair, train_per_cell: usize, test_per_cell: usize, seed: u64) -> Self {
        SentimentTask {
            groups,
            train_per_cell,
            test_per_cell,
            seed,
            data_dir: default_data_dir(),
        }
    }

    /// The same task reading the data directory `dir`.
    pub fn with_data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = dir.into();
        self
    }

    /// The data directory read.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// `data` with the inferred groups on the task's axis (`unknown` when none), split
    /// into label × group cells, keeping the groups with at least `n` texts per label.
    fn cells(
        &self,
        data: Dataset,
        lexicon: &Lexicon,
        n: usize,
    ) -> BTreeMap<(String, String), Vec<Example>> {
        let axis = &self.groups.axis;
        let mut by_cell: BTreeMap<(String, String), Vec<Example>> = BTreeMap::new();
        for mut e in data.examples {
            let inferred = lexicon.infer(&e.text).inferred;
            let group = inferred
                .get(axis)
                .cloned()
                .unwrap_or_else(|| "unknown".to_owned());
            e.groups.inferred = inferred;
            let label = e.label.clone().unwrap_or_default();
            by_cell.entry((label, group)).or_default().push(e);
        }
        let groups: std::collections::BTreeSet<String> =
            by_cell.keys().map(|(_, g)| g.clone()).collect();
        let labels: std::collections::BTreeSet<String> =
            by_cell.keys().map(|(l, _)| l.clone()).collect();
        let enough = |g: &String| {
            labels.iter().all(|l| {
                by_cell
                    .get(&(l.clone(), g.clone()))
                    .is_some_and(|v| v.len() >= n)
            })
        };
        let keep: Vec<String> = groups.into_iter().filter(|g| enough(g)).collect();
        by_cell.retain(|(_, g), _| keep.contains(g));
        // Groups left with `unknown` as the stated value read as unknown in the metrics.
        by_cell
    }
}

impl Task for SentimentTask {
    fn name(&self) -> &str {
        "sentiment"
    }

    fn identity(&self) -> serde_json::Value {
        serde_json::json!({
            "task": "sentiment",
            "data": ["sst2/train.tsv", "sst2/dev.tsv"],
            "lexicon": "inherit-data default lexicon",
            "axis": self.groups.axis.as_str(),
            "groups": [self.groups.a, self.groups.b],
            "train_per_cell": self.train_per_cell,
            "test_per_cell": self.test_per_cell,
            "seed": self.seed,
        })
    }

    fn groups(&self) -> &GroupPair {
        &self.groups
    }

    fn data(&self) -> Result<TaskData> {
        let dir = DataDir::new(&self.data_dir)?;
        let lexicon = inherit_data::lexicons::default_lexicon();
        let train = dir.sst2(Sst2Split::Train)?;
        let test = dir.sst2(Sst2Split::Dev)?;
        let labels = train.labels.clone();
        let train_cells = self.cells(train, &lexicon, self.train_per_cell);
        let test_cells = self.cells(test, &lexicon, self.test_per_cell);
        if train_cells.is_empty() || test_cells.is_empty() {
            return Err(Error::Unsupported(format!(
                "SST-2 has no group on the `{}` axis with train_per_cell = {} / test_per_cell \
                 = {} texts of each label",
                self.groups.axis, self.train_per_cell, self.test_per_cell
            )));
        }
        let (d_o, _) = balanced_split(train_cells, self.train_per_cell, 0, self.seed, "sst2")?;
        let (_, held_out) =
            balanced_split(test_cells, 0, self.test_per_cell, self.seed, "sst2-dev")?;
        Ok(TaskData {
            train: Dataset::with_labels("sentiment-train", labels.clone(), d_o)?,
            test: Dataset::with_labels("sentiment-test", labels, held_out)?,
        })
    }

    fn prompt_spec(&self, bias: BiasType, _labels: &[String], seed: u64) -> PromptSpec {
        PromptSpec::new("review", bias)
            .labels(PROMPT_LABELS.iter().map(|(p, _)| p.to_string()))
            .seed(seed)
    }

    fn adopt(&self, generated: Vec<Example>) -> Vec<Example> {
        generated
            .into_iter()
            .map(|mut e| {
                e.label = e
                    .label
                    .as_deref()
                    .map(|l| super::task_label(&PROMPT_LABELS, l));
                e
            })
            .collect()
    }

    fn evaluate(&self, model: &dyn TrainedModel, input: &EvalInput<'_>) -> Result<Evaluation> {
        let labels = vec!["negative".to_owned(), "positive".to_owned()];
        let classifier =
            crate::downstream::classifier_view(model, self, &labels).ok_or_else(|| {
                Error::Unsupported(
                    "the sentiment task needs a classifier or an answer scorer as downstream model"
                        .into(),
                )
            })?;
        let (y_true, y_pred, kept) =
            inherit_eval::tasks::classify_dataset(classifier.as_ref(), input.test, 64)?;
        let groups: Vec<String> = kept
            .iter()
            .map(|&i| self.groups.group_of(&input.test.examples[i]).to_owned())
            .collect();
        Ok(group_metrics(&y_true, &y_pred, groups, &self.groups, None)?.into())
    }

    /// `macro_f1` and `accuracy`; `macro_f1_gap` is in the records but not tabulated,
    /// since on the culture axis SST-2's test set has neither group (NaN throughout).
    fn key_metrics(&self) -> Vec<MetricInfo> {
        vec![
            MetricInfo::new(
                "macro_f1",
                "macro-F1 (positive / negative), SST-2 dev sample",
            ),
            MetricInfo::new("accuracy", "test accuracy"),
        ]
    }

    fn instruction(&self, text: &str) -> Option<String> {
        Some(format!(
            "Movie review: {text}\nIs this movie review positive or negative? Answer positive \
             or negative."
        ))
    }
}

/// SST-2 training sentences by label (`positive`), for the stand-in generator, read once
/// from [`default_data_dir`].
fn stand_in_sentences() -> std::result::Result<&'static [(bool, String)], String> {
    static POOL: std::sync::OnceLock<std::result::Result<Vec<(bool, String)>, String>> =
        std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let data = DataDir::new(default_data_dir())
            .and_then(|d| d.sst2(Sst2Split::Train))
            .map_err(|e| e.to_string())?;
        Ok(data
            .examples
            .into_iter()
            // Whole sentences long enough for the augmenter (rather than SST-2's
            // sub-phrases): with the four words naming the actor, above `min_words`.
            .filter(|e| {
                e.text.split_whitespace().count() + 4 >= super::toxicity::STAND_IN_MIN_WORDS
            })
            .map(|e| (e.label.as_deref() == Some("positive"), e.text))
            .collect())
    })
    .as_ref()
    .map(Vec::as_slice)
    .map_err(Clone::clone)
}

/// The stand-in generator's review sentence ([`crate::stand_in::StandInGenerator`]): an
/// SST-2 training sentence of the label (`positive` or not), with `name` as the actor.
pub(crate) fn stand_in_review(
    positive: bool,
    name: &str,
    rng: &mut impl rand::Rng,
) -> std::result::Result<String, String> {
    use rand::RngExt;
    let pool: Vec<&String> = stand_in_sentences()?
        .iter()
        .filter(|(p, _)| *p == positive)
        .map(|(_, text)| text)
        .collect();
    if pool.is_empty() {
        return Err("no SST-2 sentence of the label".into());
    }
    Ok(format!(
        "{name} stars in it : {}",
        pool[rng.random_range(0..pool.len())]
    ))
}

#[cfg(test)]
mod tests {
    use inherit_core::Axis;

    use super::*;
    use crate::downstream::ClassifierModel;
    use crate::task::toxicity::tests::{Flags, pair, rows};

    #[test]
    fn a_classifier_liking_one_culture_gives_the_hand_computed_scores() {
        let task = SentimentTask::new(pair("anglo", "arabic"), 1, 1, 0);
        let test = rows(
            &[
                ("Emily is wonderful in it", "positive", "anglo"),
                ("Emily lifts a fine script", "positive", "anglo"),
                ("Emily and a joyous cast", "positive", "anglo"),
                ("Emily cannot save this mess", "negative", "anglo"),
                ("Omar is wonderful in it", "positive", "arabic"),
                ("Omar lifts a fine script", "positive", "arabic"),
                ("Omar and a joyous cast", "positive", "arabic"),
                ("Omar cannot save this mess", "negative", "arabic"),
            ],
            ["negative", "positive"],
        );
        let model = ClassifierModel(Box::new(Flags {
            labels: vec!["negative".into(), "positive".into()],
            positive: |t: &str| t.contains("Emily"),
        }));
        let empty = Dataset::new("empty", vec![]);
        let m = task
            .evaluate(
                &model,
                &EvalInput {
                    test: &test,
                    train: &empty,
                    pool: &empty,
                    artifacts: None,
                },
            )
            .unwrap();
        let close = |k: &str, v: f64| assert!((m[k] - v).abs() < 1e-12, "{k}: {} != {v}", m[k]);
        // Hand computation. Anglo: all 4 called positive. F1(positive) = 2·3 / (3 + 4) =
        // 6/7, F1(negative) = 0: macro-F1 3/7.
        close("macro_f1.anglo", 3.0 / 7.0);
        // Arabic: all 4 called negative. F1(negative) = 2·1 / (1 + 4) = 2/5,
        // F1(positive) = 0: macro-F1 1/5.
        close("macro_f1.arabic", 0.2);
        close("macro_f1_gap", 3.0 / 7.0 - 0.2);
        // Overall: 4 of 8 right; F1(positive) = 2·3 / (6 + 4) = 3/5, F1(negative) =
        // 2·1 / (2 + 4) = 1/3.
        close("accuracy", 0.5);
        close("macro_f1", (0.6 + 1.0 / 3.0) / 2.0);
        assert!(!m.metrics.keys().any(|k| k.starts_with("fpr")), "{m:?}");
    }

    #[test]
    fn adopt_maps_the_review_labels() {
        let task = SentimentTask::new(pair("anglo", "arabic"), 1, 1, 0);
        let e = |label: &str| {
            Example::new(
                "g",
                "Emily shines",
                inherit_core::Provenance::original("gen"),
            )
            .with_label(label)
        };
        let out = task.adopt(vec![e("positive movie review"), e("negative movie review")]);
        let labels: Vec<_> = out.iter().map(|e| e.label.as_deref().unwrap()).collect();
        assert_eq!(labels, ["positive", "negative"]);
    }

    #[test]
    fn sst2_samples_are_balanced_and_every_text_is_unknown_on_the_culture_axis() {
        let task = SentimentTask::new(pair("anglo", "arabic"), 6, 4, 2);
        if inherit_core::testing::skip_without_data(task.data_dir(), "the data directory") {
            return;
        }
        let data = task.data().unwrap();
        for (d, n) in [(&data.train, 6), (&data.test, 4)] {
            for label in ["negative", "positive"] {
                let of: Vec<&Example> = d
                    .examples
                    .iter()
                    .filter(|e| e.label.as_deref() == Some(label))
                    .collect();
                assert_eq!(of.len(), n, "{label}");
                assert!(of.iter().all(|e| task.groups.group_of(e) == "unknown"));
            }
        }
        assert!(
            data.test.examples.iter().all(|e| e.id.starts_with("dev")),
            "held-out dev"
        );
        // The gender axis has groups in SST-2 (pronouns, gender words).
        let gender = SentimentTask::new(
            GroupPair {
                axis: Axis::Gender,
                a: "female".into(),
                b: "male".into(),
            },
            3,
            2,
            0,
        );
        let groups: std::collections::BTreeSet<String> = gender
            .data()
            .unwrap()
            .test
            .examples
            .iter()
            .map(|e| gender.groups.group_of(e).to_owned())
            .collect();
        assert_eq!(
            groups.into_iter().collect::<Vec<_>>(),
            ["female", "male", "unknown"]
        );
    }
}
