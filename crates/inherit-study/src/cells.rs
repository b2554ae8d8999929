//! One cell = (bias type, γ, mitigation, seed): mix D_o with the pool D_a at γ, apply the
//! mitigation's data stage, train the downstream model with its training stage, and let
//! the task evaluate the model on the (mitigated) test set.

use std::sync::Arc;

use inherit_core::{Dataset, derive_seed, seeded_rng};
use inherit_eval::report::ResultRecord;
use inherit_mitigate::{Mitigation, MitigationStack, SpecContext};
use inherit_mix::{MixParams, mix};

use crate::downstream::Downstream;
use crate::error::Result;
use crate::key::KeyParts;
use crate::task::{EvalInput, Task};

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
    /// The parts of the cell's key.
    pub parts: KeyParts,
}

impl Cell {
    /// The cell's key.
    pub fn key(&self) -> String {
        self.parts.key()
    }

    /// True when `record` holds the same coordinates (task, bias type, γ, mitigation,
    /// seed), whatever configuration computed it.
    pub fn same_coordinates(&self, task: &str, record: &ResultRecord) -> bool {
        record.task == task
            && record.bias_type == self.bias_type
            && record.gamma == self.gamma
            && record.mitigation == self.mitigation
            && record.seed == self.seed
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
}

/// Runs one cell against the pool `augmented` and returns its result record.
pub fn run_cell(ctx: &CellContext<'_>, cell: &Cell, augmented: &Dataset) -> Result<ResultRecord> {
    // A pool a few examples short of a label's share (the generator's outputs can be
    // rejected) is topped up by drawing with replacement; the count is reported.
    let mix_params = MixParams {
        with_replacement: true,
        ..MixParams::new(cell.gamma, derive_seed(cell.seed, "mix"))
    };
    let mixed = mix(ctx.original, augmented, &mix_params.check()?)?;
    let repeated = mixed.report.n_repeated;
    let stack = MitigationStack::parse(&cell.mitigation, ctx.specs)?;
    let train = ctx.downstream.prepare(
        &stack,
        mixed.dataset,
        &mut seeded_rng(derive_seed(cell.seed, "mitigate")),
    )?;
    let test = stack.prepare_eval(ctx.test.clone())?;
    let model = ctx.downstream.train(
        &train,
        ctx.task,
        Arc::new(stack) as Arc<dyn Mitigation>,
        derive_seed(cell.seed, "train"),
    )?;
    let mut metrics = ctx.task.evaluate(
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
    Ok(ResultRecord {
        task: ctx.task.name().to_owned(),
        bias_type: cell.bias_type.clone(),
        gamma: cell.gamma,
        mitigation: cell.mitigation.clone(),
        seed: cell.seed,
        round: 0,
        model: ctx.downstream.id(),
        metrics,
        ci: Default::default(),
        key: cell.key(),
        key_parts: cell.parts.0.clone(),
    })
}
