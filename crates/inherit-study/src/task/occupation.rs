//! Occupation classification (the paper's Bias-in-Bios-style task) on the built-in
//! occupation suite: 6 occupations × 2 genders × 5 cultures, titles scrubbed, a balanced
//! test set from held-out templates.
//!
//! Metrics (groups `a`, `b` from the config, e.g. `female`, `male`):
//! - `accuracy`, `macro_f1`; `accuracy_{a}`, `accuracy_{b}` and `accuracy_gap` (a − b);
//! - `tpr_gap.{occupation}` (a − b), `tpr_gap_mean_abs`, `tpr_gap_rms` (De-Arteaga et al.'s
//!   GAP^RMS, the headline);
//! - `dp_gap_max`: the largest gap between the groups' rates of being predicted an
//!   occupation;
//! - `bias_amplification`: directional bias amplification A→T (Wang & Russakovsky 2021) of
//!   the predictions against the test set's ground truth, with the sign of each
//!   (group, occupation) pair taken from the cell's augmented pool D_a (the balanced test
//!   set has no direction of its own). Positive: predictions lean the way the generator
//!   leans; 0 for a perfect classifier.

use std::collections::BTreeMap;

use inherit_augment::PromptSpec;
use inherit_core::{BiasType, Example};
use inherit_data::{OccupationSuite, OccupationSuiteParams};
use inherit_eval::tasks::occupation::evaluate_occupation;
use inherit_eval::{Reference, directional_bias_amplification};

use super::{EvalInput, Evaluation, GroupPair, MetricInfo, Task, TaskData};
use crate::downstream::TrainedModel;
use crate::error::{Error, Result};

/// Occupation classification on the built-in suite.
#[derive(Debug, Clone)]
pub struct OccupationTask {
    groups: GroupPair,
    train_per_cell: usize,
    test_per_cell: usize,
    seed: u64,
}

impl OccupationTask {
    /// The task with `train_per_cell` / `test_per_cell` biographies per occupation ×
    /// gender × culture cell of the suite, built with `seed`.
    pub fn new(groups: GroupPair, train_per_cell: usize, test_per_cell: usize, seed: u64) -> Self {
        OccupationTask {
            groups,
            train_per_cell,
            test_per_cell,
            seed,
        }
    }
}

/// `software_engineer` → `software engineer`.
fn prompt_label(label: &str) -> String {
    label.replace('_', " ")
}

impl Task for OccupationTask {
    fn name(&self) -> &str {
        "occupation"
    }

    fn identity(&self) -> serde_json::Value {
        serde_json::json!({
            "task": "occupation",
            "suite": "inherit-data occupation suite v1",
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
        let suite = OccupationSuite::build(&OccupationSuiteParams {
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

    fn prompt_spec(&self, bias: BiasType, labels: &[String], seed: u64) -> PromptSpec {
        PromptSpec::new("occupation", bias)
            .labels(labels.iter().map(|l| prompt_label(l)))
            .seed(seed)
    }

    fn adopt(&self, generated: Vec<Example>) -> Vec<Example> {
        generated
            .into_iter()
            .map(|mut e| {
                e.label = e.label.as_deref().map(|l| l.replace(' ', "_"));
                // As Bias in Bios removes the title sentence.
                e.text = inherit_data::scrub_titles(&e.text);
                e
            })
            .collect()
    }

    fn evaluate(&self, model: &dyn TrainedModel, input: &EvalInput<'_>) -> Result<Evaluation> {
        let mut labels: Vec<String> = input
            .train
            .examples
            .iter()
            .filter_map(|e| e.label.clone())
            .collect();
        labels.sort();
        labels.dedup();
        let classifier =
            crate::downstream::classifier_view(model, self, &labels).ok_or_else(|| {
                Error::Unsupported(
                "the occupation task needs a classifier or an answer scorer as downstream model"
                    .into(),
            )
            })?;
        let (a, b) = (self.groups.a.as_str(), self.groups.b.as_str());
        let report =
            evaluate_occupation(classifier.as_ref(), input.test, &self.groups.axis, a, b, 64)?;
        let mut m = BTreeMap::new();
        m.insert("accuracy".into(), report.frame.overall("accuracy")?);
        m.insert("macro_f1".into(), report.frame.overall("macro_f1")?);
        let acc = report.frame.by_group("accuracy")?;
        let (acc_a, acc_b) = (
            acc.get(a).copied().unwrap_or(f64::NAN),
            acc.get(b).copied().unwrap_or(f64::NAN),
        );
        m.insert(format!("accuracy_{a}"), acc_a);
        m.insert(format!("accuracy_{b}"), acc_b);
        m.insert("accuracy_gap".into(), acc_a - acc_b);
        m.insert("dp_gap_max".into(), report.dp_gap_max(a, b));
        m.insert("tpr_gap_mean_abs".into(), report.tpr_gaps.mean_abs);
        m.insert("tpr_gap_rms".into(), report.tpr_gaps.rms);
        for g in &report.tpr_gaps.per_class {
            m.insert(format!("tpr_gap.{}", report.labels[g.class]), g.gap);
        }

        // Directional bias amplification over the rows of the two compared groups, with
        // the direction of the augmented pool.
        let rows: Vec<usize> = (0..report.groups.len())
            .filter(|&i| report.groups[i] == a || report.groups[i] == b)
            .collect();
        let name = |c: usize| report.labels[c].clone();
        let true_tasks: Vec<String> = rows.iter().map(|&i| name(report.y_true[i])).collect();
        let pred_tasks: Vec<String> = rows.iter().map(|&i| name(report.y_pred[i])).collect();
        let attrs: Vec<String> = rows.iter().map(|&i| report.groups[i].clone()).collect();
        let (ref_tasks, ref_attrs): (Vec<String>, Vec<String>) = input
            .pool
            .examples
            .iter()
            .filter_map(|e| {
                let g = self.groups.group_of(e);
                (g == a || g == b).then(|| (e.label.clone().unwrap_or_default(), g.to_owned()))
            })
            .unzip();
        let amp = if ref_tasks.is_empty() {
            f64::NAN
        } else {
            directional_bias_amplification(
                &true_tasks,
                &attrs,
                &pred_tasks,
                Reference::Pairs {
                    tasks: &ref_tasks,
                    attrs: &ref_attrs,
                },
            )?
            .value
        };
        m.insert("bias_amplification".into(), amp);
        Ok(m.into())
    }

    fn instruction(&self, text: &str) -> Option<String> {
        Some(format!(
            "Biography: {text}\nWhat is this person's occupation? Answer with one of: \
             architect, dentist, nurse, painter, professor, software engineer."
        ))
    }

    fn answer(&self, label: &str) -> String {
        prompt_label(label)
    }

    fn key_metrics(&self) -> Vec<MetricInfo> {
        let (a, b) = (&self.groups.a, &self.groups.b);
        vec![
            MetricInfo::new(
                "tpr_gap_rms",
                format!("RMS over occupations of the {a} − {b} TPR gap"),
            ),
            MetricInfo::new("accuracy", "test accuracy"),
            MetricInfo::new(
                "accuracy_gap",
                format!("accuracy on {a} minus accuracy on {b}"),
            ),
            MetricInfo::new(
                "dp_gap_max",
                format!("largest {a} − {b} gap in the rate of predicting an occupation"),
            ),
            MetricInfo::new(
                "bias_amplification",
                "directional bias amplification A→T (Wang & Russakovsky 2021), signed by D_a's direction",
            ),
        ]
    }
}
