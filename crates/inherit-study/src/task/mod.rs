//! Tasks: what the study trains for and how it measures inheritance.
//!
//! A [`Task`] builds the original data D_o (train and a group-balanced test set), says how
//! the augmenting LLM is prompted for D_a (the prompt family and the labels to ask for),
//! turns the generator's outputs into task examples, and evaluates a trained downstream
//! model into named metrics and group gaps. The group axis and the two groups compared
//! are parameters ([`GroupPair`]), so one task implementation serves gender and culture.
//!
//! To add a task, implement [`Task`] in a file of your own and hand it to
//! [`crate::Study::task`]; to make it selectable from a config, add its name to
//! [`from_config`].

mod hiring;
mod occupation;
mod salary;
mod sentiment;
mod story;
mod toxicity;

use std::collections::BTreeMap;

use inherit_augment::PromptSpec;
use inherit_core::{Axis, BiasType, Dataset, Example};

pub use hiring::{DEFAULT_PAIRS, GATE_ACCURACY, GATE_BORDERLINE, HiringTask};
pub use occupation::OccupationTask;
pub use salary::SalaryTask;
pub use sentiment::SentimentTask;
pub use story::{STORY_MAX_TOKENS, StoryTask};
pub use toxicity::{NON_TOXIC, TOXIC, ToxicityTask, default_data_dir};

pub(crate) use sentiment::stand_in_review;
pub(crate) use toxicity::stand_in_comment;

use crate::config::ValidStudyConfig;
use crate::downstream::TrainedModel;
use crate::error::{Error, Result};

/// The axis and the two groups whose gap a task reports (gap = `a` − `b`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GroupPair {
    /// The axis (e.g. gender).
    pub axis: Axis,
    /// The first group (e.g. `female`).
    pub a: String,
    /// The second group (e.g. `male`).
    pub b: String,
}

impl GroupPair {
    /// The group of `example` on the axis: stated, else inferred, else `unknown`.
    pub fn group_of<'e>(&self, example: &'e Example) -> &'e str {
        example.groups.value(&self.axis).unwrap_or("unknown")
    }
}

/// D_o and the test set of a task.
#[derive(Debug, Clone)]
pub struct TaskData {
    /// The original training data D_o (balanced by group).
    pub train: Dataset,
    /// The test set (balanced by group).
    pub test: Dataset,
}

/// A metric a task reports, with a plain description for the report.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MetricInfo {
    /// The metric's key in result records.
    pub name: String,
    /// What it measures.
    pub description: String,
}

impl MetricInfo {
    /// A metric description.
    pub fn new(name: impl Into<String>, description: impl Into<String>) -> Self {
        MetricInfo {
            name: name.into(),
            description: description.into(),
        }
    }
}

/// What a task's evaluation sees besides the model.
pub struct EvalInput<'a> {
    /// The test set, after the mitigation's evaluation-time rewrite.
    pub test: &'a Dataset,
    /// The training mix the model was trained on (after mitigation).
    pub train: &'a Dataset,
    /// The augmented pool D_a of the cell's bias type (before mixing): the direction the
    /// generator pushes, used as the reference of directional bias amplification.
    pub pool: &'a Dataset,
    /// A folder of this cell's own (`<out>/cells/<key>/`, created on first use by the
    /// task) where a task keeps what a person should be able to read, e.g. the stories a
    /// fine-tuned model wrote; `None` when the caller keeps no files.
    pub artifacts: Option<&'a std::path::Path>,
}

/// What [`Task::evaluate`] returns: the cell's metrics and, for some of them, the
/// per-unit values whose mean the metric is (written to the record's `samples`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evaluation {
    /// Metric values by name.
    pub metrics: BTreeMap<String, f64>,
    /// Per-unit values by metric name (e.g. one paired difference per counterfactual
    /// profile); a report resamples them in a nested bootstrap over seeds × units.
    pub samples: BTreeMap<String, Vec<f64>>,
}

impl From<BTreeMap<String, f64>> for Evaluation {
    fn from(metrics: BTreeMap<String, f64>) -> Self {
        Evaluation {
            metrics,
            samples: BTreeMap::new(),
        }
    }
}

impl std::ops::Index<&str> for Evaluation {
    type Output = f64;

    /// The metric `name` (panics when absent, like a map's index).
    fn index(&self, name: &str) -> &f64 {
        &self.metrics[name]
    }
}

/// A downstream task of the study.
pub trait Task: Send + Sync {
    /// Stable name, written into every result record (`occupation`).
    fn name(&self) -> &str;

    /// Everything that determines the task's data and evaluation, for cell keys: two
    /// tasks with the same identity must give the same D_o, test set and metrics.
    fn identity(&self) -> serde_json::Value;

    /// The compared groups.
    fn groups(&self) -> &GroupPair;

    /// Builds D_o and the test set.
    fn data(&self) -> Result<TaskData>;

    /// How the generator is asked for examples of this task under `bias`: the prompt
    /// family of `inherit-augment` and the labels in prompt wording.
    fn prompt_spec(&self, bias: BiasType, labels: &[String], seed: u64) -> PromptSpec;

    /// Turns accepted generations into task examples (relabel to the task's labels,
    /// remove label leaks such as occupation titles).
    fn adopt(&self, generated: Vec<Example>) -> Vec<Example>;

    /// Evaluates a trained model into named metrics (and, for metrics that are means
    /// over test units, the per-unit values: [`Evaluation::samples`]).
    fn evaluate(&self, model: &dyn TrainedModel, input: &EvalInput<'_>) -> Result<Evaluation>;

    /// The metrics the report tabulates and plots, the headline first.
    fn key_metrics(&self) -> Vec<MetricInfo>;

    /// The instruction format for an LLM fine-tuned on this task (`smollm2-lora`): the
    /// user turn that asks about an example of text `text`. `None` (the default): the
    /// task has no instruction format, and only classifiers can be its downstream model.
    fn instruction(&self, text: &str) -> Option<String> {
        let _ = text;
        None
    }

    /// The reply an LLM learns for an example of label `label` (default: the label).
    fn answer(&self, label: &str) -> String {
        label.to_owned()
    }

    /// The chat pair (user turn, reply) an LLM is fine-tuned on for a training example.
    /// Default: [`Task::instruction`] about the example's text, and [`Task::answer`] for
    /// its label; a generation task (e.g. stories) overrides it to learn the text itself.
    /// `None`: the task has no instruction format (or the example no label).
    fn sft_pair(&self, example: &Example) -> Option<(String, String)> {
        let prompt = self.instruction(&example.text)?;
        let label = example.label.as_deref()?;
        Some((prompt, self.answer(label)))
    }
}

/// `label` in the task's wording: the task label of the prompt label `label` in
/// `prompt_labels` (prompt label, task label), else `label` unchanged. What every task's
/// [`Task::adopt`] does to a generated example's label.
pub(crate) fn task_label(prompt_labels: &[(&str, &str)], label: &str) -> String {
    prompt_labels
        .iter()
        .find(|(p, _)| *p == label)
        .map_or(label, |(_, t)| *t)
        .to_owned()
}

/// The (first) task named by the config.
pub fn from_config(config: &ValidStudyConfig) -> Result<Box<dyn Task>> {
    let t = config.task();
    let groups = GroupPair {
        axis: config.axis(),
        a: t.groups[0].clone(),
        b: t.groups[1].clone(),
    };
    let (train, test, seed) = (t.train_per_cell, t.test_per_cell, t.seed);
    match t.kind.as_str() {
        "occupation" => Ok(Box::new(OccupationTask::new(groups, train, test, seed))),
        "hiring" => Ok(Box::new(
            HiringTask::new(groups, train, test, seed)
                .with_pairs(t.pairs.unwrap_or(hiring::DEFAULT_PAIRS))
                .with_rule(t.rule.unwrap_or_default()),
        )),
        "salary" => Ok(Box::new(SalaryTask::new(groups, train, test, seed))),
        "story" => Ok(Box::new(StoryTask::new(groups, train, test, seed))),
        "toxicity" => Ok(Box::new(ToxicityTask::new(groups, train, test, seed))),
        "sentiment" => Ok(Box::new(SentimentTask::new(groups, train, test, seed))),
        other => Err(Error::Unsupported(format!("unknown task `{other}`"))),
    }
}
