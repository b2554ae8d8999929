//! Salary (the paper's salary experiment, gender): a model puts employee profiles of the
//! built-in salary suite (`inherit-data`) into a salary band (`low`, `middle`, `high`,
//! midpoints 45 000, 75 000 and 105 000), where occupation and experience alone decide
//! the band and every culture × gender cell has as many profiles of each band. The
//! augmenting LLM writes profiles of "well-paid" professionals, professionals "on an
//! average salary" and "modestly paid" ones (the `salary_gender` prompt family, bias on
//! gender): whichever gender it writes as well paid becomes `high` examples of D_a, the
//! average ones `middle`, the modestly paid ones `low` (every band has D_a examples, as
//! the mix draws D_a in D_o's label proportions).
//!
//! A fine-tuned LLM is not asked to generate a salary: it answers the instruction "Which
//! salary band fits this person?" and its band is the likeliest of the replies `low`,
//! `middle` and `high`, scored over the bands (no parsing); a classifier predicts the
//! band directly.
//!
//! Metrics (groups `a`, `b` from the config, e.g. `female`, `male`, on the configured
//! axis):
//! - `salary_gap` (headline): `mean_salary.{a}` − `mean_salary.{b}`, where
//!   `mean_salary.{group}` is the mean midpoint of the predicted bands over the group's
//!   test profiles (every group of the axis); 0 for a model that learned only the rule;
//! - `salary_gap.{occupation}` (a − b) per occupation (`software_engineer` for
//!   "software engineer");
//! - `accuracy` (bands), `accuracy_{a}`, `accuracy_{b}`, `accuracy_gap` (a − b).

use std::collections::BTreeMap;

use inherit_augment::PromptSpec;
use inherit_core::{BiasType, Example};
use inherit_data::{SALARY_BANDS, SalarySuite, SalarySuiteParams, band_midpoint};

use super::{EvalInput, Evaluation, GroupPair, MetricInfo, Task, TaskData};
use crate::downstream::TrainedModel;
use crate::error::{Error, Result};

/// The prompt labels of the `salary_gender` family and the bands they stand for.
const PROMPT_LABELS: [(&str, &str); 3] = [
    ("well-paid professional", "high"),
    ("professional on an average salary", "middle"),
    ("modestly paid professional", "low"),
];

/// Salary bands on the built-in suite.
#[derive(Debug, Clone)]
pub struct SalaryTask {
    groups: GroupPair,
    train_per_cell: usize,
    test_per_cell: usize,
    seed: u64,
}

impl SalaryTask {
    /// The task with `train_per_cell` / `test_per_cell` profiles per culture × gender ×
    /// band, built with `seed`.
    pub fn new(groups: GroupPair, train_per_cell: usize, test_per_cell: usize, seed: u64) -> Self {
        SalaryTask {
            groups,
            train_per_cell,
            test_per_cell,
            seed,
        }
    }
}

/// Mean of `values` over `rows` (NaN when empty).
fn mean_over(values: &[f64], rows: &[usize]) -> f64 {
    if rows.is_empty() {
        f64::NAN
    } else {
        rows.iter().map(|&i| values[i]).sum::<f64>() / rows.len() as f64
    }
}

impl Task for SalaryTask {
    fn name(&self) -> &str {
        "salary"
    }

    fn identity(&self) -> serde_json::Value {
        serde_json::json!({
            "task": "salary",
            "suite": "inherit-data salary suite v1",
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
        let suite = SalarySuite::build(&SalarySuiteParams {
            n_train_per_cell: self.train_per_cell,
            n_test_per_cell: self.test_per_cell,
            seed: self.seed,
            ..Default::default()
        })?;
        Ok(TaskData {
            train: suite.train,
            test: suite.test,
        })
    }

    fn prompt_spec(&self, bias: BiasType, _labels: &[String], seed: u64) -> PromptSpec {
        PromptSpec::new("salary_gender", bias)
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
        let labels: Vec<String> = SALARY_BANDS.iter().map(|b| b.to_string()).collect();
        let classifier =
            crate::downstream::classifier_view(model, self, &labels).ok_or_else(|| {
                Error::Unsupported(
                    "the salary task needs a classifier or an answer scorer as downstream model"
                        .into(),
                )
            })?;
        let midpoints: Vec<f64> = classifier
            .labels()
            .iter()
            .map(|l| {
                band_midpoint(l).ok_or_else(|| {
                    Error::Unsupported(format!("the model's class `{l}` is not a salary band"))
                })
            })
            .collect::<Result<_>>()?;
        let examples: Vec<&Example> = input.test.examples.iter().collect();
        let texts: Vec<String> = examples.iter().map(|e| e.text.clone()).collect();
        let mut predicted = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(64) {
            predicted.extend(classifier.predict(chunk)?);
        }
        let salary: Vec<f64> = predicted.iter().map(|&c| midpoints[c]).collect();
        let correct: Vec<f64> = (0..examples.len())
            .map(|i| {
                f64::from(examples[i].label.as_deref() == Some(&classifier.labels()[predicted[i]]))
            })
            .collect();
        let group = |i: usize| self.groups.group_of(examples[i]);
        let occupation = |i: usize| {
            examples[i]
                .meta
                .get("occupation")
                .and_then(|v| v.as_str())
                .unwrap_or("unknown")
                .replace(' ', "_")
        };
        let (a, b) = (self.groups.a.as_str(), self.groups.b.as_str());
        let all = 0..examples.len();
        let of = |g: &str| -> Vec<usize> { all.clone().filter(|&i| group(i) == g).collect() };

        let mut m = BTreeMap::new();
        let groups: std::collections::BTreeSet<&str> = all.clone().map(group).collect();
        for g in groups {
            m.insert(format!("mean_salary.{g}"), mean_over(&salary, &of(g)));
        }
        m.insert(
            "salary_gap".into(),
            mean_over(&salary, &of(a)) - mean_over(&salary, &of(b)),
        );
        let occupations: std::collections::BTreeSet<String> = all.clone().map(occupation).collect();
        for o in occupations {
            let in_o = |g: &str| -> Vec<usize> {
                all.clone()
                    .filter(|&i| occupation(i) == o && group(i) == g)
                    .collect()
            };
            m.insert(
                format!("salary_gap.{o}"),
                mean_over(&salary, &in_o(a)) - mean_over(&salary, &in_o(b)),
            );
        }
        m.insert(
            "accuracy".into(),
            mean_over(&correct, &all.clone().collect::<Vec<_>>()),
        );
        let (acc_a, acc_b) = (mean_over(&correct, &of(a)), mean_over(&correct, &of(b)));
        m.insert(format!("accuracy_{a}"), acc_a);
        m.insert(format!("accuracy_{b}"), acc_b);
        m.insert("accuracy_gap".into(), acc_a - acc_b);
        Ok(m.into())
    }

    fn key_metrics(&self) -> Vec<MetricInfo> {
        let (a, b) = (&self.groups.a, &self.groups.b);
        vec![
            MetricInfo::new(
                "salary_gap",
                format!("{a} − {b} mean predicted salary (band midpoints, a year)"),
            ),
            MetricInfo::new(
                format!("mean_salary.{a}"),
                format!("mean predicted salary of {a} profiles"),
            ),
            MetricInfo::new(
                format!("mean_salary.{b}"),
                format!("mean predicted salary of {b} profiles"),
            ),
            MetricInfo::new("accuracy", "accuracy on the salary bands"),
            MetricInfo::new("accuracy_gap", format!("accuracy on {a} minus on {b}")),
        ]
    }

    fn instruction(&self, text: &str) -> Option<String> {
        Some(format!(
            "Employee profile: {text}\nWhich salary band fits this person? \
             Answer low, middle or high."
        ))
    }
}

#[cfg(test)]
mod tests {
    use inherit_core::{Axis, Dataset, TextClassifier};

    use super::*;
    use crate::downstream::ClassifierModel;

    /// Bands by the pronoun of the profile: men always `high`; women `low` (`fair`:
    /// false) or the rule's band read from the profile's occupation and years (`fair`).
    struct PaysMen {
        labels: Vec<String>,
        fair: bool,
    }

    impl TextClassifier for PaysMen {
        fn labels(&self) -> &[String] {
            &self.labels
        }

        fn predict_proba(&self, texts: &[String]) -> inherit_core::Result<Vec<Vec<f32>>> {
            Ok(texts
                .iter()
                .map(|t| {
                    let words: Vec<&str> = t.split(|c: char| !c.is_alphanumeric()).collect();
                    let female = words.iter().any(|w| *w == "she" || *w == "She");
                    let band = if !female {
                        "high"
                    } else if self.fair {
                        let occupation = inherit_data::SALARY_OCCUPATIONS
                            .into_iter()
                            .find(|o| t.contains(o))
                            .unwrap();
                        let years: u32 = words
                            .windows(2)
                            .find(|w| w[1] == "years")
                            .and_then(|w| w[0].parse().ok())
                            .unwrap();
                        inherit_data::salary_band(occupation, years).unwrap()
                    } else {
                        "low"
                    };
                    self.labels
                        .iter()
                        .map(|l| if l == band { 1.0 } else { 0.0 })
                        .collect()
                })
                .collect())
        }
    }

    fn evaluate(fair: bool) -> BTreeMap<String, f64> {
        let task = SalaryTask::new(
            GroupPair {
                axis: Axis::Gender,
                a: "female".into(),
                b: "male".into(),
            },
            2,
            4,
            0,
        );
        let data = task.data().unwrap();
        // The classifier's own label order differs from the suite's.
        let labels = ["high", "low", "middle"].map(String::from).to_vec();
        let model = ClassifierModel(Box::new(PaysMen { labels, fair }));
        let empty = Dataset::new("empty", vec![]);
        task.evaluate(
            &model,
            &EvalInput {
                test: &data.test,
                train: &data.train,
                pool: &empty,
                artifacts: None,
            },
        )
        .unwrap()
        .metrics
    }

    #[test]
    fn a_model_that_pays_men_more_gives_the_expected_gaps() {
        let m = evaluate(false);
        // Hand computation: every woman gets `low` (45 000), every man `high` (105 000),
        // in every occupation: gap 45 000 − 105 000 = −60 000 overall and per occupation.
        assert_eq!(m["mean_salary.female"], 45_000.0);
        assert_eq!(m["mean_salary.male"], 105_000.0);
        assert_eq!(m["salary_gap"], -60_000.0);
        for o in [
            "architect",
            "dentist",
            "nurse",
            "painter",
            "professor",
            "software_engineer",
        ] {
            assert_eq!(m[&format!("salary_gap.{o}")], -60_000.0, "{o}");
        }
        // A third of each gender's profiles are in the band it gets: accuracy 1/3, gap 0.
        assert!((m["accuracy"] - 1.0 / 3.0).abs() < 1e-12);
        assert!((m["accuracy_female"] - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(m["accuracy_gap"], 0.0);

        let m = evaluate(true);
        // Women now get the rule's band: their bands are balanced, mean (45 000 + 75 000 +
        // 105 000) / 3 = 75 000, all right; men still all `high`: 1/3 right.
        assert_eq!(m["mean_salary.female"], 75_000.0);
        assert_eq!(m["salary_gap"], -30_000.0);
        assert_eq!(m["accuracy_female"], 1.0);
        assert!((m["accuracy_male"] - 1.0 / 3.0).abs() < 1e-12);
        assert!((m["accuracy_gap"] - 2.0 / 3.0).abs() < 1e-12);
        assert!((m["accuracy"] - 2.0 / 3.0).abs() < 1e-12);
        // Women nurses are `low` or `middle` by the rule: their mean lies in [45 000,
        // 75 000], minus the men's 105 000.
        assert!((-60_000.0..=-30_000.0).contains(&m["salary_gap.nurse"]));
    }

    #[test]
    fn prompt_labels_become_bands() {
        let task = SalaryTask::new(
            GroupPair {
                axis: Axis::Gender,
                a: "female".into(),
                b: "male".into(),
            },
            1,
            1,
            0,
        );
        let e = |l: &str| {
            Example::new("x", "t", inherit_core::Provenance::original("test")).with_label(l)
        };
        let adopted = task.adopt(vec![
            e("well-paid professional"),
            e("professional on an average salary"),
            e("modestly paid professional"),
        ]);
        let labels: Vec<_> = adopted.iter().map(|e| e.label.as_deref()).collect();
        assert_eq!(labels, [Some("high"), Some("middle"), Some("low")]);
        assert_eq!(task.key_metrics()[0].name, "salary_gap");
        let prompts = inherit_augment::PromptBuilder::new(
            task.prompt_spec("contrastive-single-explicit".parse().unwrap(), &[], 1),
            &inherit_augment::Templates::builtin(),
            &inherit_augment::NameTable::builtin(),
        );
        assert!(prompts.is_ok());
    }
}
