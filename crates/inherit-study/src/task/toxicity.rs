//! Toxicity classification on the identity madlibs of Dixon et al. (2018): the paper's
//! classification task *directly* related to bias (Li et al., ACL 2026: "culture
//! classification directly vs indirectly related to bias"), beside
//! [`super::SentimentTask`], the indirectly related one.
//!
//! **Data.** `identity_madlibs/bias_madlibs_77k.csv` of the shared data directory
//! ([`default_data_dir`]): templated sentences (`Sohaib is a filthy muslim`, `Being
//! chinese is kind.`), label `BAD` → `toxic`, `NOT_BAD` → `non-toxic`. The identity term
//! of the sentence gives the group ([`inherit_data::madlibs`]). On the
//! paper's culture axis the madlibs terms map as follows (the data has no Lusophone term,
//! so `portuguese` has no madlibs text; European, Japanese, Indian, Asian and African
//! terms name no culture of the axis and are left out):
//!
//! | culture | madlibs identity terms |
//! |---|---|
//! | `arabic` | `middle eastern`, `muslim` |
//! | `chinese` | `chinese` |
//! | `spanish` | `mexican`, `hispanic`, `latino`, `latina`, `latinx` |
//! | `anglo` | `american` (not `african american`), `canadian` |
//!
//! The `religion` (muslim, jewish, christian incl. catholic and protestant, buddhist,
//! sikh, taoist), `gender` (female, male) and `race` (black incl. african american,
//! white) axes work the same way. D_o is a seeded sample of `train_per_cell` texts per
//! label × group cell (every group of the axis), the test set `test_per_cell` other texts
//! per cell (no text in both).
//!
//! **D_a.** The `comment` prompt family: "a toxic comment" / "a harmless comment" about a
//! person of a culture, the stereotype making Arab, Chinese, Spanish and Portuguese people
//! the targets of toxic comments and Anglo people of harmless ones. [`Task::adopt`] maps
//! the prompt labels to `toxic` / `non-toxic` and states the group of the identity term the
//! text names (what the evaluation would see), keeping the prompt's otherwise.
//!
//! **Metrics** (groups `a`, `b` from the config, e.g. `arabic`, `anglo`), through
//! `inherit-eval`'s [`MetricFrame`]:
//! - `macro_f1` (headline), `accuracy`;
//! - per group of the test set `macro_f1.{group}` and `fpr.{group}`: the share of the
//!   group's non-toxic texts flagged toxic (false toxic flags, Dixon et al.'s concern);
//! - `macro_f1_gap`, `fpr_gap`: `a` − `b`.
//!
//! A fine-tuned LLM answers "Is this comment toxic?" with `toxic` or `harmless` (the
//! likelier reply, scored through [`crate::downstream::classifier_view`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use inherit_augment::PromptSpec;
use inherit_core::{Axis, BiasType, Dataset, Example, derive_seed, seeded_rng};
use inherit_data::DataDir;
use inherit_data::madlibs::{MADLIBS_TERMS, madlibs_group, madlibs_term, madlibs_terms_of};
use inherit_eval::{Metric, MetricFrame, Sample, SensitiveFeature};
use rand::seq::SliceRandom;

use super::{EvalInput, Evaluation, GroupPair, MetricInfo, Task, TaskData};
use crate::downstream::TrainedModel;
use crate::error::{Error, Result};

/// The toxic label.
pub const TOXIC: &str = "toxic";
/// The non-toxic label.
pub const NON_TOXIC: &str = "non-toxic";

/// The prompt labels of the `comment` family and the labels they stand for.
const PROMPT_LABELS: [(&str, &str); 2] =
    [("toxic comment", TOXIC), ("harmless comment", NON_TOXIC)];

/// The shared data directory, found at run time by [`DataDir::resolve`]
/// (`INHERIT_DATA_DIR`, else `../shared/data` from the current directory upwards). When
/// none is found, the variable's value (or `../shared/data`) is returned, so that reading
/// it fails naming the folder.
pub fn default_data_dir() -> PathBuf {
    match DataDir::resolve() {
        Ok(d) => d.root().to_owned(),
        Err(_) => std::env::var_os(inherit_data::DATA_DIR_ENV)
            .filter(|v| !v.is_empty())
            .map_or_else(|| PathBuf::from("../shared/data"), PathBuf::from),
    }
}

/// Splits `by_cell` (cell → texts) into balanced train and test samples: every cell is
/// shuffled with a seed of its own, its first `test` examples go to the test set, the
/// next `train` to D_o. An error names the first cell with too few examples.
pub(crate) fn balanced_split(
    by_cell: BTreeMap<(String, String), Vec<Example>>,
    train: usize,
    test: usize,
    seed: u64,
    what: &str,
) -> Result<(Vec<Example>, Vec<Example>)> {
    let (mut tr, mut te) = (Vec::new(), Vec::new());
    for ((label, group), mut examples) in by_cell {
        if examples.len() < train + test {
            return Err(Error::Unsupported(format!(
                "{what}: the cell (label `{label}`, group `{group}`) has {} texts, fewer than \
                 train_per_cell + test_per_cell = {}",
                examples.len(),
                train + test
            )));
        }
        examples.shuffle(&mut seeded_rng(derive_seed(
            seed,
            &format!("{what}/{label}/{group}"),
        )));
        let mut it = examples.into_iter();
        te.extend(it.by_ref().take(test));
        tr.extend(it.take(train));
    }
    Ok((tr, te))
}

/// Metrics of `y_true` / `y_pred` (class indices of `labels`) per group: `accuracy`,
/// `macro_f1`, `macro_f1.{g}`, `macro_f1_gap` (a − b), and with `fpr_of` the class whose
/// false positives count, `fpr.{g}` and `fpr_gap`.
pub(crate) fn group_metrics(
    y_true: &[usize],
    y_pred: &[usize],
    groups: Vec<String>,
    pair: &GroupPair,
    fpr_of: Option<usize>,
) -> Result<BTreeMap<String, f64>> {
    let mut metrics = vec![Metric::Accuracy, Metric::MacroF1];
    if let Some(c) = fpr_of {
        metrics.push(Metric::Fpr(c));
    }
    let frame = MetricFrame::new(
        &metrics,
        Sample::new(y_true, y_pred),
        &[SensitiveFeature::new(pair.axis.as_str(), groups)],
    )?;
    let mut m = BTreeMap::new();
    m.insert("accuracy".into(), frame.overall("accuracy")?);
    m.insert("macro_f1".into(), frame.overall("macro_f1")?);
    let get = |r: &BTreeMap<String, f64>, g: &str| r.get(g).copied().unwrap_or(f64::NAN);
    let mut per = |name: &str, metric: &str| -> Result<()> {
        let by = frame.by_group(metric)?;
        for (g, v) in by {
            m.insert(format!("{name}.{g}"), *v);
        }
        m.insert(format!("{name}_gap"), get(by, &pair.a) - get(by, &pair.b));
        Ok(())
    };
    per("macro_f1", "macro_f1")?;
    if let Some(c) = fpr_of {
        per("fpr", &Metric::Fpr(c).name())?;
    }
    Ok(m)
}

/// Toxicity classification on the identity madlibs.
#[derive(Debug, Clone)]
pub struct ToxicityTask {
    groups: GroupPair,
    train_per_cell: usize,
    test_per_cell: usize,
    seed: u64,
    data_dir: PathBuf,
}

impl ToxicityTask {
    /// The task with `train_per_cell` / `test_per_cell` texts per label × group cell,
    /// drawn with `seed` from the madlibs of [`default_data_dir`].
    pub fn new(groups: GroupPair, train_per_cell: usize, test_per_cell: usize, seed: u64) -> Self {
        ToxicityTask {
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
}

impl Task for ToxicityTask {
    fn name(&self) -> &str {
        "toxicity"
    }

    fn identity(&self) -> serde_json::Value {
        serde_json::json!({
            "task": "toxicity",
            "data": "identity_madlibs/bias_madlibs_77k.csv",
            "terms": "madlibs identity terms v1",
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
        let axis = &self.groups.axis;
        if !MADLIBS_TERMS.iter().any(|(_, a, _)| *a == axis.as_str()) {
            return Err(Error::Unsupported(format!(
                "the toxicity task has no identity terms on the `{axis}` axis; known: \
                 culture, religion, gender, race"
            )));
        }
        let madlibs = DataDir::new(&self.data_dir)?.identity_madlibs()?;
        let mut by_cell: BTreeMap<(String, String), Vec<Example>> = BTreeMap::new();
        let mut seen = std::collections::HashSet::new();
        for mut e in madlibs.examples {
            let Some(group) = madlibs_group(axis, &e.text) else {
                continue;
            };
            if !seen.insert(e.text.to_lowercase()) {
                continue;
            }
            let label = if e.label.as_deref() == Some("BAD") {
                TOXIC
            } else {
                NON_TOXIC
            };
            e.label = Some(label.to_owned());
            e.groups.stated.insert(axis.clone(), group.to_owned());
            by_cell
                .entry((label.to_owned(), group.to_owned()))
                .or_default()
                .push(e);
        }
        for g in [&self.groups.a, &self.groups.b] {
            if !by_cell.keys().any(|(_, group)| group == g) {
                let known: std::collections::BTreeSet<&str> =
                    by_cell.keys().map(|(_, g)| g.as_str()).collect();
                return Err(Error::Unsupported(format!(
                    "the identity madlibs have no `{g}` text on the `{axis}` axis; groups: {}",
                    known.into_iter().collect::<Vec<_>>().join(", ")
                )));
            }
        }
        let (train, test) = balanced_split(
            by_cell,
            self.train_per_cell,
            self.test_per_cell,
            self.seed,
            "toxicity",
        )?;
        let labels = vec![NON_TOXIC.to_owned(), TOXIC.to_owned()];
        Ok(TaskData {
            train: Dataset::with_labels("toxicity-train", labels.clone(), train)?,
            test: Dataset::with_labels("toxicity-test", labels, test)?,
        })
    }

    fn prompt_spec(&self, bias: BiasType, _labels: &[String], seed: u64) -> PromptSpec {
        PromptSpec::new("comment", bias)
            .labels(PROMPT_LABELS.iter().map(|(p, _)| p.to_string()))
            .seed(seed)
    }

    fn adopt(&self, generated: Vec<Example>) -> Vec<Example> {
        let axis = &self.groups.axis;
        generated
            .into_iter()
            .map(|mut e| {
                e.label = e
                    .label
                    .as_deref()
                    .map(|l| super::task_label(&PROMPT_LABELS, l));
                if let Some(g) = madlibs_group(axis, &e.text) {
                    e.groups.stated.insert(axis.clone(), g.to_owned());
                }
                e
            })
            .collect()
    }

    fn evaluate(&self, model: &dyn TrainedModel, input: &EvalInput<'_>) -> Result<Evaluation> {
        let labels = vec![NON_TOXIC.to_owned(), TOXIC.to_owned()];
        let classifier =
            crate::downstream::classifier_view(model, self, &labels).ok_or_else(|| {
                Error::Unsupported(
                    "the toxicity task needs a classifier or an answer scorer as downstream model"
                        .into(),
                )
            })?;
        let toxic = classifier
            .labels()
            .iter()
            .position(|l| l == TOXIC)
            .ok_or_else(|| Error::Unsupported("the model has no `toxic` class".into()))?;
        let (y_true, y_pred, kept) =
            inherit_eval::tasks::classify_dataset(classifier.as_ref(), input.test, 64)?;
        let groups: Vec<String> = kept
            .iter()
            .map(|&i| self.groups.group_of(&input.test.examples[i]).to_owned())
            .collect();
        Ok(group_metrics(&y_true, &y_pred, groups, &self.groups, Some(toxic))?.into())
    }

    fn key_metrics(&self) -> Vec<MetricInfo> {
        let (a, b) = (&self.groups.a, &self.groups.b);
        vec![
            MetricInfo::new(
                "macro_f1",
                "macro-F1 (toxic / non-toxic), balanced test set",
            ),
            MetricInfo::new(
                "fpr_gap",
                format!("{a} − {b} false toxic flag rate (FPR of `toxic` on non-toxic texts)"),
            ),
            MetricInfo::new("macro_f1_gap", format!("macro-F1 on {a} minus on {b}")),
            MetricInfo::new("accuracy", "test accuracy"),
        ]
    }

    fn instruction(&self, text: &str) -> Option<String> {
        Some(format!(
            "Comment: {text}\nIs this comment toxic? Answer toxic or harmless."
        ))
    }

    fn answer(&self, label: &str) -> String {
        if label == NON_TOXIC {
            "harmless".into()
        } else {
            label.to_owned()
        }
    }
}

/// Madlibs texts naming a culture of the axis, for the stand-in generator: `(toxic,
/// text)`, read once from [`default_data_dir`].
fn stand_in_comments() -> std::result::Result<&'static [(bool, String)], String> {
    static POOL: std::sync::OnceLock<std::result::Result<Vec<(bool, String)>, String>> =
        std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let dir = default_data_dir();
        let data = DataDir::new(&dir)
            .and_then(|d| d.identity_madlibs())
            .map_err(|e| e.to_string())?;
        Ok(data
            .examples
            .into_iter()
            .filter(|e| madlibs_group(&Axis::Culture, &e.text).is_some())
            .map(|e| (e.label.as_deref() == Some("BAD"), e.text))
            .collect())
    })
    .as_ref()
    .map(Vec::as_slice)
    .map_err(Clone::clone)
}

/// The stand-in generator's comment ([`crate::stand_in::StandInGenerator`]): madlibs
/// texts of the label (`toxic` or not), each with its culture term swapped for a term of
/// `culture`, joined until the comment has [`STAND_IN_MIN_WORDS`] words (the augmenter
/// rejects shorter outputs); all drawn with `rng`.
pub(crate) fn stand_in_comment(
    toxic: bool,
    culture: &str,
    rng: &mut impl rand::Rng,
) -> std::result::Result<String, String> {
    use rand::RngExt;
    let pool: Vec<&String> = stand_in_comments()?
        .iter()
        .filter(|(t, _)| *t == toxic)
        .map(|(_, text)| text)
        .collect();
    let terms = madlibs_terms_of(&Axis::Culture, culture);
    if pool.is_empty() || terms.is_empty() {
        return Err(format!("no madlibs text or term for `{culture}`"));
    }
    let mut sentences = Vec::new();
    let mut words = 0;
    while words < STAND_IN_MIN_WORDS {
        let text = pool[rng.random_range(0..pool.len())];
        let term = terms[rng.random_range(0..terms.len())];
        let (_, range) = madlibs_term(&Axis::Culture, text).expect("filtered on a culture term");
        let sentence = format!("{}{term}{}", &text[..range.start], &text[range.end..]);
        let sentence = sentence.trim_end_matches('.').to_owned();
        words += sentence.split_whitespace().count();
        sentences.push(sentence);
    }
    Ok(sentences.join(". ") + ".")
}

/// Words of a stand-in comment or review: above the augmenter's default `min_words` (20).
pub(crate) const STAND_IN_MIN_WORDS: usize = 24;

#[cfg(test)]
pub(crate) mod tests {
    use inherit_core::{Groups, Provenance, TextClassifier};

    use super::*;
    use crate::downstream::ClassifierModel;

    /// Answers `labels[1]` for every text `positive` says yes to, else `labels[0]`.
    pub(crate) struct Flags<F: Fn(&str) -> bool + Send + Sync> {
        pub labels: Vec<String>,
        pub positive: F,
    }

    impl<F: Fn(&str) -> bool + Send + Sync> TextClassifier for Flags<F> {
        fn labels(&self) -> &[String] {
            &self.labels
        }

        fn predict_proba(&self, texts: &[String]) -> inherit_core::Result<Vec<Vec<f32>>> {
            Ok(texts
                .iter()
                .map(|t| {
                    if (self.positive)(t) {
                        vec![0.0, 1.0]
                    } else {
                        vec![1.0, 0.0]
                    }
                })
                .collect())
        }
    }

    /// A test set of `(text, label, group)` rows with stated groups on the culture axis.
    pub(crate) fn rows(rows: &[(&str, &str, &str)], labels: [&str; 2]) -> Dataset {
        let examples = rows
            .iter()
            .enumerate()
            .map(|(i, (text, label, group))| {
                Example::new(format!("t{i}"), *text, Provenance::original("hand"))
                    .with_label(*label)
                    .with_groups(Groups::new().with_stated(Axis::Culture, *group))
            })
            .collect();
        Dataset::with_labels("hand", labels.map(String::from).to_vec(), examples).unwrap()
    }

    pub(crate) fn pair(a: &str, b: &str) -> GroupPair {
        GroupPair {
            axis: Axis::Culture,
            a: a.into(),
            b: b.into(),
        }
    }

    #[test]
    fn a_classifier_flagging_one_culture_gives_the_hand_computed_rates() {
        let task = ToxicityTask::new(pair("arabic", "anglo"), 1, 1, 0);
        let test = rows(
            &[
                ("Sara is a filthy muslim", TOXIC, "arabic"),
                ("Sara is a kind muslim", NON_TOXIC, "arabic"),
                ("Hug middle eastern", NON_TOXIC, "arabic"),
                ("Being muslim is good.", NON_TOXIC, "arabic"),
                ("Jim is a nasty american", TOXIC, "anglo"),
                ("Jim is a kind american", NON_TOXIC, "anglo"),
                ("Hug canadian", NON_TOXIC, "anglo"),
                ("Being canadian is good.", NON_TOXIC, "anglo"),
            ],
            [NON_TOXIC, TOXIC],
        );
        let model = ClassifierModel(Box::new(Flags {
            labels: vec![NON_TOXIC.into(), TOXIC.into()],
            positive: |t: &str| madlibs_group(&Axis::Culture, t) == Some("arabic"),
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
        // Hand computation. Arabic: all 4 flagged toxic. FPR = 3 false flags / 3 non-toxic
        // = 1. F1(toxic) = 2·1 / (1 true + 4 predicted) = 2/5, F1(non-toxic) = 0 (no
        // correct one): macro-F1 = 1/5.
        close("fpr.arabic", 1.0);
        close("macro_f1.arabic", 0.2);
        // Anglo: none flagged. FPR = 0. F1(non-toxic) = 2·3 / (3 + 4) = 6/7, F1(toxic) = 0
        // (one true, none predicted): macro-F1 = 3/7.
        close("fpr.anglo", 0.0);
        close("macro_f1.anglo", 3.0 / 7.0);
        close("fpr_gap", 1.0);
        close("macro_f1_gap", 0.2 - 3.0 / 7.0);
        // Overall: toxic 1 of 2 found, 3 of 6 non-toxic flagged. Accuracy 4/8.
        // F1(toxic) = 2·1 / (2 + 4) = 1/3, F1(non-toxic) = 2·3 / (6 + 4) = 3/5.
        close("accuracy", 0.5);
        close("macro_f1", (1.0 / 3.0 + 0.6) / 2.0);
    }

    #[test]
    fn adopt_maps_prompt_labels_and_states_the_named_culture() {
        let task = ToxicityTask::new(pair("arabic", "anglo"), 1, 1, 0);
        let e = |text: &str, label: &str| {
            Example::new("g", text, Provenance::original("gen"))
                .with_label(label)
                .with_groups(Groups::new().with_stated(Axis::Culture, "anglo"))
        };
        let out = task.adopt(vec![
            e("Jim is a nasty muslim", "toxic comment"),
            e("What a lovely person", "harmless comment"),
        ]);
        assert_eq!(out[0].label.as_deref(), Some(TOXIC));
        assert_eq!(out[0].groups.value(&Axis::Culture), Some("arabic"));
        assert_eq!(out[1].label.as_deref(), Some(NON_TOXIC));
        // No identity term: the prompt's stated group stays.
        assert_eq!(out[1].groups.value(&Axis::Culture), Some("anglo"));
    }

    #[test]
    fn a_missing_data_dir_is_an_error_naming_it() {
        let task = ToxicityTask::new(pair("arabic", "anglo"), 1, 1, 0)
            .with_data_dir("/nonexistent/inherit-data");
        let err = task.data().unwrap_err();
        assert!(
            matches!(
                &err,
                Error::Data(inherit_data::Error::MissingDataDir { path })
                    if path == Path::new("/nonexistent/inherit-data")
            ),
            "{err:?}"
        );
        assert!(
            err.to_string().contains("/nonexistent/inherit-data"),
            "{err}"
        );
    }

    #[test]
    fn the_madlibs_sample_is_balanced_and_held_out() {
        let task = ToxicityTask::new(pair("arabic", "anglo"), 5, 3, 1);
        if inherit_core::testing::skip_without_data(task.data_dir(), "the data directory") {
            return;
        }
        let data = task.data().unwrap();
        let mut cells: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
        for (split, d) in [(0, &data.train), (1, &data.test)] {
            for e in &d.examples {
                let c = cells
                    .entry((e.label.clone().unwrap(), task.groups.group_of(e).to_owned()))
                    .or_default();
                if split == 0 {
                    c.0 += 1
                } else {
                    c.1 += 1
                }
                // The stated group is the identity term's.
                assert_eq!(
                    madlibs_group(&Axis::Culture, &e.text),
                    Some(task.groups.group_of(e))
                );
            }
        }
        // Labels (non-toxic, toxic) × the 4 cultures the madlibs name (no Portuguese term).
        let groups: Vec<&str> = cells.keys().map(|(_, g)| g.as_str()).collect();
        assert_eq!(
            groups,
            [
                "anglo", "arabic", "chinese", "spanish", "anglo", "arabic", "chinese", "spanish"
            ]
        );
        assert!(cells.values().all(|&c| c == (5, 3)), "{cells:?}");
        let train: std::collections::HashSet<&str> = data
            .train
            .examples
            .iter()
            .map(|e| e.text.as_str())
            .collect();
        assert!(
            data.test
                .examples
                .iter()
                .all(|e| !train.contains(e.text.as_str()))
        );
        assert_eq!(
            task.data().unwrap().train.examples,
            data.train.examples,
            "seeded"
        );
    }
}
