//! The study engine: [`Study`] plans the cells, loads or takes the models, measures the
//! generator's imbalance, generates D_a (cached), runs the cells that are not finished
//! (appending each result to `results.jsonl`), and writes the report.
//!
//! Resuming is honest: a cell counts as finished only when `results.jsonl` holds a
//! record with the cell's key (see [`crate::key`]). When the folder holds results of the
//! same cells under another key (the configuration, a model or the code's schema
//! changed), the run stops before generating anything and names the changed parts,
//! unless [`Study::recompute_changed`] is set, in which case those cells are recomputed
//! and the old records are ignored. Results of two configurations are never mixed.

use std::path::PathBuf;
use std::time::Instant;

use inherit_augment::{NameTable, Templates};
use inherit_core::{Dataset, Embedder, Lexicon, TextGenerator};
use inherit_eval::misalign::{MmdParams, compare_texts};
use inherit_eval::report::{ResultRecord, ResultsWriter};
use serde::Serialize;

use crate::cells::{Cell, CellContext, run_cell};
use crate::config::ValidStudyConfig;
use crate::downstream::{self, Downstream};
use crate::error::{Error, Result};
use crate::generate::{GenerationContext, measure_imbalance};
use crate::key::{KeyParts, RESULTS_SCHEMA, hash_json};
use crate::models::{self, ModelFile};
use crate::report::{RunData, Shift, write_outputs};
use crate::task::{self, Task};

/// What the study reports while it runs (the library itself prints nothing).
#[derive(Debug)]
pub enum Progress<'a> {
    /// A stage starts (`models`, `imbalance`, `augment`, `shift`, `cells`, `report`).
    Stage {
        /// The stage.
        stage: &'a str,
        /// What it does, in words.
        detail: String,
    },
    /// The grid is planned: `total` cells, `finished` of them found in `results.jsonl`.
    Planned {
        /// Cells in the grid.
        total: usize,
        /// Cells already finished.
        finished: usize,
    },
    /// A cell finished.
    Cell {
        /// Cells finished so far (found and run).
        done: usize,
        /// Cells in the grid.
        total: usize,
        /// Its result.
        record: &'a ResultRecord,
        /// Seconds it took.
        seconds: f64,
    },
}

/// Wall-clock seconds per stage, for the manifest.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Timings {
    /// Loading or fetching models.
    pub models_s: f64,
    /// Neutral prompts.
    pub imbalance_s: f64,
    /// Generating the augmented pools.
    pub augment_s: f64,
    /// Embedding shift.
    pub shift_s: f64,
    /// Training and evaluating cells.
    pub cells_s: f64,
    /// Cells run now.
    pub cells_run: usize,
    /// Cells found finished.
    pub cells_skipped: usize,
    /// Writing the report.
    pub report_s: f64,
    /// Everything.
    pub total_s: f64,
}

/// What a finished study returns.
#[derive(Debug, Clone)]
pub struct StudyOutcome {
    /// The finding paragraph of the report (computed from the numbers).
    pub finding: String,
    /// The records of this configuration's cells.
    pub records: Vec<ResultRecord>,
    /// Where the outputs are.
    pub out: PathBuf,
    /// Stage timings.
    pub timings: Timings,
}

type ProgressFn = Box<dyn Fn(&Progress<'_>) + Send + Sync>;

/// A configured study; see the module docs. Models and the task default to the ones the
/// configuration names; the builder methods replace them with your own.
pub struct Study {
    config: ValidStudyConfig,
    task: Option<Box<dyn Task>>,
    downstream: Option<Box<dyn Downstream>>,
    generator: Option<Box<dyn TextGenerator>>,
    embedder: Option<Option<Box<dyn Embedder>>>,
    progress: Option<ProgressFn>,
    recompute_changed: bool,
}

impl Study {
    /// A study of `config`.
    pub fn new(config: ValidStudyConfig) -> Self {
        Study {
            config,
            task: None,
            downstream: None,
            generator: None,
            embedder: None,
            progress: None,
            recompute_changed: false,
        }
    }

    /// Uses `task` instead of the configured one.
    pub fn task(mut self, task: Box<dyn Task>) -> Self {
        self.task = Some(task);
        self
    }

    /// Uses `downstream` instead of the configured model.
    pub fn downstream(mut self, downstream: Box<dyn Downstream>) -> Self {
        self.downstream = Some(downstream);
        self
    }

    /// Uses `generator` instead of the configured one.
    pub fn generator(mut self, generator: Box<dyn TextGenerator>) -> Self {
        self.generator = Some(generator);
        self
    }

    /// Uses `embedder` (or none: skip the shift analysis) instead of the configured one.
    pub fn embedder(mut self, embedder: Option<Box<dyn Embedder>>) -> Self {
        self.embedder = Some(embedder);
        self
    }

    /// Calls `f` at every stage and cell.
    pub fn on_progress(mut self, f: impl Fn(&Progress<'_>) + Send + Sync + 'static) -> Self {
        self.progress = Some(Box::new(f));
        self
    }

    /// Recomputes cells whose stored result was computed under another configuration
    /// (default: stop with [`Error::ChangedConfig`]).
    pub fn recompute_changed(mut self, yes: bool) -> Self {
        self.recompute_changed = yes;
        self
    }

    fn report(&self, p: Progress<'_>) {
        if let Some(f) = &self.progress {
            f(&p);
        }
    }

    fn stage(&self, stage: &str, detail: impl Into<String>) {
        self.report(Progress::Stage {
            stage,
            detail: detail.into(),
        });
    }

    /// Runs the study.
    pub fn run(mut self) -> Result<StudyOutcome> {
        let start = Instant::now();
        let config = self.config.clone();
        let out = config.out.clone();
        std::fs::create_dir_all(&out).map_err(|e| Error::io(&out, e))?;
        let mut timings = Timings::default();
        let device: inherit_train::DeviceSpec = config.device.parse()?;

        let task = match self.task.take() {
            Some(t) => t,
            None => task::from_config(&config)?,
        };
        let data = task.data()?;
        let labels = data.train.labels.clone();

        // Models.
        let t = Instant::now();
        self.stage("models", "loading the generator, embedder and downstream model");
        let mut files: Vec<ModelFile> = Vec::new();
        let generator = match self.generator.take() {
            Some(g) => g,
            None => models::generator(&config.generator, &device, &mut files)?,
        };
        let embedder = match self.embedder.take() {
            Some(e) => e,
            None => models::embedder(&config.embedding, &device, &mut files)?,
        };
        let downstream = match self.downstream.take() {
            Some(d) => d,
            None => downstream::from_config(&config)?,
        };
        timings.models_s = t.elapsed().as_secs_f64();

        // Plan the grid and check it against the stored results before generating.
        let cells = plan(&config, task.as_ref(), generator.as_ref(), downstream.as_ref());
        let results_path = out.join("results.jsonl");
        // Held for the whole run: a second run on this folder fails at once, naming this
        // process; a torn last line (a kill mid-append) is cut off here.
        let mut results = ResultsWriter::open(&results_path)?;
        let stored = results.existing().records.clone();
        let mut changed_parts: Vec<String> = Vec::new();
        let mut n_changed = 0;
        for cell in &cells {
            let key = cell.key();
            if stored.iter().any(|r| r.key == key) {
                continue;
            }
            let others: Vec<&ResultRecord> = stored
                .iter()
                .filter(|r| cell.same_coordinates(task.name(), r))
                .collect();
            if !others.is_empty() {
                n_changed += 1;
                for r in others {
                    if r.key_parts.is_empty() {
                        changed_parts.push("schema (a record without a key)".into());
                    } else {
                        changed_parts.extend(cell.parts.changed(&r.key_parts));
                    }
                }
            }
        }
        changed_parts.sort();
        changed_parts.dedup();
        if n_changed > 0 && !self.recompute_changed {
            return Err(Error::ChangedConfig {
                path: results_path,
                n: n_changed,
                changed: changed_parts,
            });
        }
        let finished = cells
            .iter()
            .filter(|c| stored.iter().any(|r| r.key == c.key()))
            .count();
        self.report(Progress::Planned {
            total: cells.len(),
            finished,
        });

        // The generator's own imbalance, and the pools.
        let names = NameTable::builtin();
        let templates = Templates::builtin();
        let mut lexicon: Lexicon = inherit_data::lexicons::default_lexicon();
        lexicon.merge(&inherit_augment::default_lexicon(&names));
        let cache = out.join("cache").join("generations.jsonl");
        let gen_ctx = GenerationContext {
            generator: generator.as_ref(),
            task: task.as_ref(),
            lexicon: &lexicon,
            templates: &templates,
            names: &names,
            config: &config.generator,
            labels: &labels,
            cache: &cache,
        };
        let t = Instant::now();
        self.stage(
            "imbalance",
            format!(
                "neutral prompts: the generator's `{}` balance per label ({} per label)",
                task.groups().axis,
                config.generator.neutral_per_label
            ),
        );
        let (imbalance, neutral) = measure_imbalance(&gen_ctx, config.generator.neutral_per_label)?;
        neutral.write_jsonl(out.join("augmented").join("neutral.jsonl"))?;
        timings.imbalance_s = t.elapsed().as_secs_f64();

        let mut pools: Vec<(String, Dataset)> = Vec::new();
        let mut shifts = Vec::new();
        for (id, bias) in config.bias_types.iter().zip(config.bias_types_parsed()) {
            let t = Instant::now();
            let n = config.generator.augmented_per_label * labels.len();
            self.stage("augment", format!("generating D_a for `{id}` ({n} examples)"));
            let (pool, report) = gen_ctx.generate(bias, n)?;
            pool.write_jsonl(out.join("augmented").join(format!("{id}.jsonl")))?;
            self.stage(
                "augment",
                format!(
                    "`{id}`: {} accepted ({} generated now, {} from cache)",
                    report.accepted, report.generated, report.cached
                ),
            );
            timings.augment_s += t.elapsed().as_secs_f64();
            if let Some(embedder) = &embedder {
                let t = Instant::now();
                self.stage("shift", format!("embedding shift of `{id}`"));
                shifts.push(shift(embedder.as_ref(), id, &data.train, &pool, &config)?);
                timings.shift_s += t.elapsed().as_secs_f64();
            }
            pools.push((id.clone(), pool));
        }

        // The grid.
        let specs = crate::config::spec_context(lexicon.clone());
        let cell_ctx = CellContext {
            task: task.as_ref(),
            downstream: downstream.as_ref(),
            original: &data.train,
            test: &data.test,
            specs: &specs,
        };
        let t = Instant::now();
        self.stage("cells", format!("{} cells, {finished} already finished", cells.len()));
        let mut records: Vec<ResultRecord> = Vec::new();
        let total = cells.len();
        for cell in &cells {
            let key = cell.key();
            if let Some(r) = stored.iter().find(|r| r.key == key) {
                timings.cells_skipped += 1;
                records.push(r.clone());
                continue;
            }
            let pool = &pools
                .iter()
                .find(|(id, _)| *id == cell.bias_type)
                .expect("a pool per planned bias type")
                .1;
            let tc = Instant::now();
            let record = run_cell(&cell_ctx, cell, pool)?;
            results.append(&record)?;
            timings.cells_run += 1;
            records.push(record);
            self.report(Progress::Cell {
                done: records.len(),
                total,
                record: records.last().expect("just pushed"),
                seconds: tc.elapsed().as_secs_f64(),
            });
        }
        timings.cells_s = t.elapsed().as_secs_f64();

        // Report.
        let t = Instant::now();
        self.stage("report", format!("writing {}", out.display()));
        timings.total_s = start.elapsed().as_secs_f64();
        let run = RunData {
            config: &config,
            task: task.as_ref(),
            downstream_id: downstream.id(),
            generator_id: generator.id(),
            imbalance: &imbalance,
            shifts: &shifts,
            pools: &pools,
            records: &records,
            files: &files,
            timings: &timings,
            suite: (data.train.len(), data.test.len()),
        };
        let finding = write_outputs(&run, &out, t)?;
        timings.report_s = t.elapsed().as_secs_f64();
        timings.total_s = start.elapsed().as_secs_f64();
        Ok(StudyOutcome {
            finding,
            records,
            out,
            timings,
        })
    }
}

/// The grid of cells (bias type × γ × mitigation × seed) with their keys.
pub fn plan(
    config: &ValidStudyConfig,
    task: &dyn Task,
    generator: &dyn TextGenerator,
    downstream: &dyn Downstream,
) -> Vec<Cell> {
    let g = &config.generator;
    let base = KeyParts::default()
        .with("schema", RESULTS_SCHEMA.to_string())
        .with("task", hash_json(&task.identity()))
        .with(
            "generator",
            hash_json(&serde_json::json!({
                "id": generator.id(),
                "max_tokens": g.max_tokens,
                "temperature": g.temperature,
                "top_p": g.top_p,
                "seed": g.seed,
                "batch_size": g.batch_size,
                "augmented_per_label": g.augmented_per_label,
            })),
        )
        .with("downstream", hash_json(&downstream.identity()));
    let mut cells = Vec::new();
    for bias in &config.bias_types {
        for &gamma in &config.gammas {
            for mitigation in &config.mitigations {
                for &seed in &config.seeds {
                    cells.push(Cell {
                        bias_type: bias.clone(),
                        gamma,
                        mitigation: mitigation.clone(),
                        seed,
                        parts: base
                            .clone()
                            .with("bias_type", bias.clone())
                            .with("gamma", format!("{gamma}"))
                            .with("mitigation", mitigation.clone())
                            .with("seed", seed.to_string()),
                    });
                }
            }
        }
    }
    cells
}

/// MMD² (RBF, median heuristic) with a permutation p-value, and the distance of the mean
/// embeddings, between samples of D_o and D_a.
fn shift(
    embedder: &dyn Embedder,
    id: &str,
    original: &Dataset,
    pool: &Dataset,
    config: &ValidStudyConfig,
) -> Result<Shift> {
    let k = config.embedding.samples_per_source;
    let take = |d: &Dataset| -> Vec<String> {
        // An even spread over the dataset (both are ordered by label).
        let step = (d.len() / k.max(1)).max(1);
        d.examples
            .iter()
            .step_by(step)
            .take(k)
            .map(|e| e.text.clone())
            .collect()
    };
    let (a, b) = (take(original), take(pool));
    let params = MmdParams {
        permutations: config.embedding.permutations,
        seed: config.generator.seed,
        ..MmdParams::default()
    };
    let (mmd, mean_distance) = compare_texts(embedder, &a, &b, &params)?;
    Ok(Shift {
        bias_type: id.to_owned(),
        n_original: a.len(),
        n_augmented: b.len(),
        mmd,
        mean_distance,
    })
}
