//! One cell = (bias type, γ, mitigation, seed): mix D_o with the pool D_a at γ, apply the
//! mitigation's data stage, train the downstream model with its training stage, and let
//! the task evaluate the model on the (mitigated) test set.

use std::sync::Arc;

use inherit_core::{Dataset, derive_seed, seeded_rng};
use inherit_eval::report::ResultRecord;
use inherit_mitigate::{Mitigation, MitigationStack, SpecContext};
use inherit_mix::{MixParams, mix};

use crate::downstream::{Downstream, SFT_PROMPT, TrainedModel};
use crate::error::Result;
use crate::key::KeyParts;
use crate::task::{EvalInput, Evaluation, Task};

/// One cell of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// Bias type id of the augmented pool.
    pub bias_type: String,
    /// γ.
    pub gamma: f64,
    /// Mitigation spec.
    pub mitigation: String,
    /// Seed.
    pub seed: u64,
    /// Round of multi-round self-augmentation (0 for the grid's cells).
    pub round: u32,
    /// For a round of a self-augmentation chain: the key of the chain's round 0 (a chain
    /// runs in one process, round after round); `None` for the grid's cells.
    pub chain: Option<String>,
    /// The parts of the cell's key.
    pub parts: KeyParts,
}

impl Cell {
    /// The cell's key.
    pub fn key(&self) -> String {
        self.parts.key()
    }

    /// The key that decides the cell's shard: its own, or its chain's round 0 (so a
    /// chain stays in one shard).
    pub fn shard_key(&self) -> String {
        self.chain.clone().unwrap_or_else(|| self.key())
    }

    /// True when `record` holds the same coordinates (task, bias type, γ, mitigation,
    /// seed, round), whatever configuration computed it.
    pub fn same_coordinates(&self, task: &str, record: &ResultRecord) -> bool {
        record.task == task
            && record.bias_type == self.bias_type
            && record.gamma == self.gamma
            && record.mitigation == self.mitigation
            && record.seed == self.seed
            && record.round == self.round
    }
}

/// What every cell shares.
pub struct CellContext<'a> {
    /// The task.
    pub task: &'a dyn Task,
    /// The downstream model family.
    pub downstream: &'a dyn Downstream,
    /// D_o.
    pub original: &'a Dataset,
    /// The test set.
    pub test: &'a Dataset,
    /// Parses mitigation specs (holds the masking lexicon).
    pub specs: &'a SpecContext,
    /// The study's output folder: a cell's files go to `cells/<key>/` in it.
    pub artifacts: Option<&'a std::path::Path>,
    /// Writing requests by label: when set and the downstream model learns writing, each
    /// augmented example of the mix is also learned as the request of its label → its
    /// text (multi-round self-augmentation, [`crate::rounds`]).
    pub writing: Option<&'a std::collections::BTreeMap<String, String>>,
}

/// Runs one cell against the pool `augmented` and returns its result record.
pub fn run_cell(ctx: &CellContext<'_>, cell: &Cell, augmented: &Dataset) -> Result<ResultRecord> {
    Ok(train_cell(ctx, cell, augmented)?.0)
}

/// Runs one cell against the pool `augmented` and returns its result record and the
/// trained model (a self-augmentation chain generates the next round's data with it).
pub fn train_cell(
    ctx: &CellContext<'_>,
    cell: &Cell,
    augmented: &Dataset,
) -> Result<(ResultRecord, Box<dyn TrainedModel>)> {
    // A pool a few examples short of a label's share (the generator's outputs can be
    // rejected) is topped up by drawing with replacement; the count is reported.
    let mix_params = MixParams {
        with_replacement: true,
        ..MixParams::new(cell.gamma, derive_seed(cell.seed, "mix"))
    };
    let mixed = mix(ctx.original, augmented, &mix_params.check()?)?;
    let repeated = mixed.report.n_repeated;
    // Every seed draws its D_a from the same pool (one per bias type): the share of the
    // pool one draw takes is also the expected share of its texts that another seed's
    // draw holds, so it says how independent the seeds' D_a are.
    let pool_share = if augmented.is_empty() {
        0.0
    } else {
        mixed.report.n_augmented.saturating_sub(repeated) as f64 / augmented.len() as f64
    };
    let stack = MitigationStack::parse(&cell.mitigation, ctx.specs)?;
    let train = ctx.downstream.prepare(
        &stack,
        mixed.dataset,
        &mut seeded_rng(derive_seed(cell.seed, "mitigate")),
    )?;
    let mut train = train;
    if let Some(requests) = ctx.writing.filter(|_| ctx.downstream.learns_writing()) {
        let copies: Vec<_> = train
            .examples
            .iter()
            .filter(|e| e.is_augmented())
            .filter_map(|e| {
                let request = requests.get(e.label.as_deref()?)?;
                let mut copy = e.clone();
                copy.id = format!("{}#write", e.id);
                copy.meta.insert(
                    SFT_PROMPT.into(),
                    serde_json::Value::String(request.clone()),
                );
                Some(copy)
            })
            .collect();
        train.examples.extend(copies);
    }
    let test = stack.prepare_eval(ctx.test.clone())?;
    let model = ctx.downstream.train(
        &train,
        ctx.task,
        Arc::new(stack) as Arc<dyn Mitigation>,
        derive_seed(cell.seed, "train"),
    )?;
    let Evaluation {
        mut metrics,
        samples,
    } = ctx.task.evaluate(
        model.as_ref(),
        &EvalInput {
            test: &test,
            train: &train,
            pool: augmented,
            artifacts: ctx
                .artifacts
                .map(|dir| dir.join("cells").join(cell.key()))
                .as_deref(),
        },
    )?;
    metrics.insert("mix_repeated".into(), repeated as f64);
    metrics.insert("mix_pool".into(), augmented.len() as f64);
    metrics.insert("mix_pool_share".into(), pool_share.min(1.0));
    if let Some(report) = model.train_report() {
        metrics.extend(crate::downstream::training_metrics(report));
    }
    if let (Some(dir), Some(report)) = (ctx.artifacts, model.train_report()) {
        crate::output::write_training_loss(&dir.join("cells").join(cell.key()), report)?;
    }
    let record = ResultRecord {
        task: ctx.task.name().to_owned(),
        bias_type: cell.bias_type.clone(),
        gamma: cell.gamma,
        mitigation: cell.mitigation.clone(),
        seed: cell.seed,
        round: cell.round,
        model: ctx.downstream.id(),
        metrics,
        ci: Default::default(),
        samples,
        key: cell.key(),
        key_parts: cell.parts.0.clone(),
    };
    Ok((record, model))
}
