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
//!
//! A configuration with several tasks runs one such study per task, each in its own
//! folder (see [`crate::multi`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use inherit_augment::{NameTable, Templates};
use inherit_core::{Dataset, Embedder, Lexicon, TextGenerator};
use inherit_eval::misalign::{MmdParams, compare_texts};
use inherit_eval::report::{ResultRecord, ResultsWriter};
use inherit_mitigate::{Mitigation, MitigationStack, SpecContext};
use serde::{Deserialize, Serialize};

use crate::cells::{Cell, CellContext, run_cell};
use crate::config::ValidStudyConfig;
use crate::downstream::{self, Downstream};
use crate::error::{Error, Result};
use crate::generate::{GenerationContext, Imbalance, measure_imbalance};
use crate::key::{KeyParts, RESULTS_SCHEMA, hash_json};
use crate::models::{self, ModelFile};
use crate::progress::{CellKind, CellsLeft};
use crate::report::{RunData, Shift, write_outputs};
use crate::rounds::{ChainContext, run_chain};
use crate::shard::{PlannedCell, Shard, merge_results};
use crate::task::{self, Task, TaskData};

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
        /// What is left, by kind (a self-augmentation round is not a cell).
        left: CellsLeft,
    },
    /// A generation batch finished: `accepted` of `wanted` texts of `pool` (`neutral` or
    /// a bias type) so far.
    Generation {
        /// The pool being written.
        pool: &'a str,
        /// Texts accepted so far.
        accepted: usize,
        /// Texts asked for.
        wanted: usize,
        /// Prompts answered so far (accepted or not).
        prompts: usize,
        /// Outputs read from the cache so far.
        cached: usize,
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
        /// What kind of work it was.
        kind: CellKind,
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

pub(crate) type ProgressFn = std::sync::Arc<dyn Fn(&Progress<'_>) + Send + Sync>;

/// A configured study; see the module docs. Models and the task default to the ones the
/// configuration names; the builder methods replace them with your own.
pub struct Study {
    pub(crate) config: ValidStudyConfig,
    task: Option<Box<dyn Task>>,
    downstream: Option<Box<dyn Downstream>>,
    generator: Option<Box<dyn TextGenerator>>,
    embedder: Option<Option<Box<dyn Embedder>>>,
    pub(crate) progress: Option<ProgressFn>,
    pub(crate) recompute_changed: bool,
    pub(crate) jobs: usize,
    pub(crate) run_info: crate::output::RunInfo,
}

impl Study {
    /// A study of `config`.
    pub fn new(config: ValidStudyConfig) -> Self {
        // A single task's changes to `[downstream]` are applied here; several tasks get
        // theirs in their sub-studies.
        let config = if config.tasks.len() == 1 {
            config.per_task().remove(0)
        } else {
            config
        };
        Study {
            config,
            task: None,
            downstream: None,
            generator: None,
            embedder: None,
            progress: None,
            recompute_changed: false,
            jobs: default_jobs(),
            run_info: crate::output::RunInfo::default(),
        }
    }

    /// Runs up to `jobs` grid cells at once, each on its own thread with its own model
    /// (default: the number of cores). The records are the same as with `jobs(1)`;
    /// self-augmentation chains run one after another (each round needs the last).
    pub fn jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs.max(1);
        self
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
        self.progress = Some(std::sync::Arc::new(f));
        self
    }

    /// Recomputes cells whose stored result was computed under another configuration
    /// (default: stop with [`Error::ChangedConfig`]).
    pub fn recompute_changed(mut self, yes: bool) -> Self {
        self.recompute_changed = yes;
        self
    }

    /// Records `args` as the command line in `manifest.json`.
    pub fn command_line(mut self, args: Vec<String>) -> Self {
        self.run_info.command_line = args;
        self
    }

    /// Whether a builder method replaced a configured model or the task.
    pub(crate) fn has_overrides(&self) -> bool {
        self.task.is_some()
            || self.downstream.is_some()
            || self.generator.is_some()
            || self.embedder.is_some()
    }

    pub(crate) fn notify(&self, p: Progress<'_>) {
        if let Some(f) = &self.progress {
            f(&p);
        }
    }

    fn stage(&self, stage: &str, detail: impl Into<String>) {
        self.notify(Progress::Stage {
            stage,
            detail: detail.into(),
        });
    }

    /// Runs the whole study in this process: plan, generation, every cell (appended to
    /// `results.jsonl`), report.
    pub fn run(self) -> Result<StudyOutcome> {
        if self.config.tasks.len() > 1 {
            return crate::multi::run(self);
        }
        let mut p = self.prepare()?;
        let (stored, results) = p.open_results(None)?;
        p.write_plan()?;
        p.generate()?;
        p.read_analysis()?;
        p.run_cells(&stored, results, None)?;
        p.report()
    }

    /// Writes the plan (`plan.jsonl`, one line per cell with its key and the generation
    /// outputs it needs) and the configuration (`study.toml`) to the output folder, and
    /// checks it against stored results; returns the number of cells.
    pub fn plan(self) -> Result<usize> {
        if self.config.tasks.len() > 1 {
            return crate::multi::plan(self);
        }
        let mut p = self.prepare()?;
        p.open_results(None)?;
        p.write_plan()?;
        Ok(p.cells.len())
    }

    /// The generation stage alone: the generator's imbalance under neutral prompts, D_a
    /// per bias type (through the shared cache) and the embedding shift, written to
    /// `augmented/` and `analysis.json` for the cell shards to read.
    pub fn generate(self) -> Result<()> {
        if self.config.tasks.len() > 1 {
            return crate::multi::generate(self);
        }
        let mut p = self.prepare()?;
        // Refused before anything is written when the folder's results were computed
        // under another configuration.
        let stored = merge_results(&p.out)?.records;
        p.check_changed(&stored, &p.out.join("results.jsonl"))?;
        p.write_plan()?;
        p.generate()
    }

    /// Runs this shard's unfinished cells, appending to `results.shard-I.jsonl`; needs the
    /// generation stage's outputs in the folder. Cells finished in any results file of the
    /// folder (e.g. before a shard was killed and resubmitted) are not redone.
    pub fn run_shard(self, shard: Shard) -> Result<Timings> {
        if self.config.tasks.len() > 1 {
            return crate::multi::run_shard(self, shard);
        }
        let mut p = self.prepare()?;
        let (stored, results) = p.open_results(Some(shard))?;
        p.read_analysis()?;
        p.run_cells(&stored, results, Some(shard))?;
        Ok(p.timings)
    }

    /// Merges every results file of the folder (duplicates by key dropped, conflicts
    /// named) and writes the report; fails naming the missing cells when some planned
    /// cell has no result yet.
    pub fn report(self) -> Result<StudyOutcome> {
        if self.config.tasks.len() > 1 {
            return crate::multi::report(self);
        }
        let mut p = self.prepare()?;
        p.report()
    }

    /// Loads the task, its data and the models, and plans the cells.
    fn prepare(mut self) -> Result<Prepared> {
        let start = Instant::now();
        let config = self.config.clone();
        let out = config.out.clone();
        // The device is checked (and a missing backend named) before anything is written.
        let device: inherit_train::DeviceSpec = config.device.parse()?;
        device.device()?;
        std::fs::create_dir_all(&out).map_err(|e| Error::io(&out, e))?;
        let mut timings = Timings::default();
        let task = match self.task.take() {
            Some(t) => t,
            None => task::from_config(&config)?,
        };
        let data = task.data()?;
        let t = Instant::now();
        self.stage(
            "models",
            "loading the generator, embedder and downstream model",
        );
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
        let names = NameTable::builtin();
        let mut lexicon: Lexicon = inherit_data::lexicons::default_lexicon();
        lexicon.merge(&inherit_augment::default_lexicon(&names));
        let cells = plan(
            &config,
            task.as_ref(),
            generator.as_ref(),
            downstream.as_ref(),
            &crate::config::spec_context(lexicon.clone()),
        )?;
        Ok(Prepared {
            study: self,
            start,
            config,
            out,
            task,
            data,
            generator,
            embedder,
            downstream,
            files,
            cells,
            lexicon,
            names,
            timings,
        })
    }
}

/// The number of cores (1 when unknown).
fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The generation stage's outputs that the cells and the report read back.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Analysis {
    /// The `generator` key part the pools were generated under.
    generator: String,
    /// The generator's imbalance under neutral prompts.
    imbalance: Imbalance,
    /// Embedding shift per bias type.
    shifts: Vec<Shift>,
    /// Seconds of the stage.
    imbalance_s: f64,
    augment_s: f64,
    shift_s: f64,
}

/// A study with its task, data, models and plan loaded.
struct Prepared {
    study: Study,
    start: Instant,
    config: ValidStudyConfig,
    out: PathBuf,
    task: Box<dyn Task>,
    data: TaskData,
    generator: Box<dyn TextGenerator>,
    embedder: Option<Box<dyn Embedder>>,
    downstream: Box<dyn Downstream>,
    files: Vec<ModelFile>,
    cells: Vec<Cell>,
    lexicon: Lexicon,
    names: NameTable,
    timings: Timings,
}

impl Prepared {
    fn generator_part(&self) -> String {
        self.cells
            .first()
            .and_then(|c| c.parts.0.get("generator").cloned())
            .unwrap_or_default()
    }

    fn pool_path(&self, bias: &str) -> PathBuf {
        self.out.join("augmented").join(format!("{bias}.jsonl"))
    }

    /// `plan.jsonl` and `study.toml`.
    fn write_plan(&mut self) -> Result<()> {
        let mut lines = String::new();
        for c in &self.cells {
            let line = PlannedCell {
                key: c.key(),
                task: self.task.name().to_owned(),
                bias_type: c.bias_type.clone(),
                gamma: c.gamma,
                mitigation: c.mitigation.clone(),
                seed: c.seed,
                round: c.round,
                needs: vec![
                    if c.chain.is_some() {
                        "augmented/neutral.jsonl".to_owned()
                    } else {
                        format!("augmented/{}.jsonl", c.bias_type)
                    },
                    "analysis.json".into(),
                ],
            };
            lines.push_str(&serde_json::to_string(&line)?);
            lines.push('\n');
        }
        inherit_core::io::write_atomic(self.out.join("plan.jsonl"), lines.as_bytes())?;
        let toml = toml::to_string(&*self.config).map_err(|e| Error::Toml {
            origin: "study.toml".into(),
            message: e.to_string(),
        })?;
        inherit_core::io::write_atomic(self.out.join("study.toml"), toml.as_bytes())?;
        Ok(())
    }

    /// Checks the stored results (every results file of the folder) against the plan and
    /// opens this process's results file with its lock held.
    fn open_results(&mut self, shard: Option<Shard>) -> Result<(Vec<ResultRecord>, ResultsWriter)> {
        let path = match shard {
            Some(s) => s.results_path(&self.out),
            None => self.out.join("results.jsonl"),
        };
        // Held for the whole run: a second run on this file fails at once, naming this
        // process; a torn last line (a kill mid-append) is cut off here.
        let writer = ResultsWriter::open(&path)?;
        if let Some(line) = writer.existing().ignored_partial_line {
            self.study.stage(
                "results",
                format!(
                    "{}:{line}: a torn last line (a killed or failed write) was cut off; its \
                     cell is redone",
                    path.display()
                ),
            );
        }
        let stored = merge_results(&self.out)?.records;
        self.check_changed(&stored, &path)?;
        Ok((stored, writer))
    }

    /// Fails with [`Error::ChangedConfig`] (unless recomputing was asked for) when some
    /// planned cell has stored results at its coordinates under another key.
    fn check_changed(&self, stored: &[ResultRecord], path: &Path) -> Result<()> {
        let mut changed_parts: Vec<String> = Vec::new();
        let mut n_changed = 0;
        for cell in &self.cells {
            let key = cell.key();
            if stored.iter().any(|r| r.key == key) {
                continue;
            }
            let others: Vec<&ResultRecord> = stored
                .iter()
                .filter(|r| cell.same_coordinates(self.task.name(), r))
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
        if n_changed > 0 && !self.study.recompute_changed {
            return Err(Error::ChangedConfig {
                path: path.to_path_buf(),
                n: n_changed,
                changed: changed_parts,
            });
        }
        Ok(())
    }

    /// The generation stage.
    fn generate(&mut self) -> Result<()> {
        let config = &self.config;
        let templates = Templates::builtin();
        let cache = self.out.join("cache").join("generations.jsonl");
        let labels = self.data.train.labels.clone();
        let gen_ctx = GenerationContext {
            generator: self.generator.as_ref(),
            task: self.task.as_ref(),
            lexicon: &self.lexicon,
            templates: &templates,
            names: &self.names,
            config: &config.generator,
            labels: &labels,
            cache: &cache,
            progress: Some(&|pool, tick| {
                self.study.notify(Progress::Generation {
                    pool,
                    accepted: tick.accepted,
                    wanted: tick.wanted,
                    prompts: tick.prompts,
                    cached: tick.cached,
                })
            }),
        };
        let t = Instant::now();
        self.study.stage(
            "imbalance",
            format!(
                "neutral prompts: the generator's `{}` balance per label ({} per label)",
                self.task.groups().axis,
                config.generator.neutral_per_label
            ),
        );
        let (imbalance, neutral) = measure_imbalance(&gen_ctx, config.generator.neutral_per_label)?;
        neutral.write_jsonl(self.out.join("augmented").join("neutral.jsonl"))?;
        let imbalance_s = t.elapsed().as_secs_f64();
        let (mut augment_s, mut shift_s) = (0.0, 0.0);
        let mut shifts = Vec::new();
        for (id, bias) in config.bias_types.iter().zip(config.bias_types_parsed()) {
            let t = Instant::now();
            let n = config.generator.augmented_per_label * labels.len();
            self.study.stage(
                "augment",
                format!("generating D_a for `{id}` ({n} examples)"),
            );
            let (pool, report) = gen_ctx.generate(bias, n)?;
            pool.write_jsonl(self.pool_path(id))?;
            self.study.stage(
                "augment",
                format!(
                    "`{id}`: {} accepted ({} generated now, {} from cache)",
                    report.accepted, report.generated, report.cached
                ),
            );
            augment_s += t.elapsed().as_secs_f64();
            if let Some(embedder) = &self.embedder {
                let t = Instant::now();
                self.study
                    .stage("shift", format!("embedding shift of `{id}`"));
                shifts.push(shift(
                    embedder.as_ref(),
                    id,
                    &self.data.train,
                    &pool,
                    config,
                )?);
                shift_s += t.elapsed().as_secs_f64();
            }
        }
        let analysis = Analysis {
            generator: self.generator_part(),
            imbalance,
            shifts,
            imbalance_s,
            augment_s,
            shift_s,
        };
        inherit_core::io::write_atomic(
            self.out.join("analysis.json"),
            serde_json::to_string_pretty(&analysis)?.as_bytes(),
        )?;
        Ok(())
    }

    /// `analysis.json`, checked to come from this configuration's generator.
    fn read_analysis(&mut self) -> Result<Analysis> {
        let path = self.out.join("analysis.json");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::Unsupported(format!(
                    "{}: missing; run the generation stage first (`study generate`)",
                    path.display()
                )));
            }
            Err(e) => return Err(Error::io(&path, e)),
        };
        let analysis: Analysis = serde_json::from_str(&text).map_err(|e| {
            Error::Unsupported(format!(
                "{}: {e}; rerun the generation stage",
                path.display()
            ))
        })?;
        if analysis.generator != self.generator_part() {
            return Err(Error::ChangedConfig {
                path,
                n: self.cells.len(),
                changed: vec!["generator".into()],
            });
        }
        self.timings.imbalance_s = analysis.imbalance_s;
        self.timings.augment_s = analysis.augment_s;
        self.timings.shift_s = analysis.shift_s;
        Ok(analysis)
    }

    fn read_pools(&self) -> Result<Vec<(String, Dataset)>> {
        self.config
            .bias_types
            .iter()
            .map(|id| Ok((id.clone(), Dataset::read_jsonl(self.pool_path(id))?)))
            .collect()
    }

    /// Runs the unfinished cells (of `shard`, or all), appending to `results`.
    fn run_cells(
        &mut self,
        stored: &[ResultRecord],
        mut results: ResultsWriter,
        shard: Option<Shard>,
    ) -> Result<()> {
        let pools = self.read_pools()?;
        let specs = crate::config::spec_context(self.lexicon.clone());
        let cell_ctx = CellContext {
            task: self.task.as_ref(),
            downstream: self.downstream.as_ref(),
            original: &self.data.train,
            test: &self.data.test,
            specs: &specs,
            artifacts: Some(&self.out),
            writing: None,
        };
        let mine: Vec<&Cell> = self
            .cells
            .iter()
            .filter(|c| shard.is_none_or(|s| s.owns(&c.shard_key())))
            .collect();
        let finished = mine
            .iter()
            .filter(|c| stored.iter().any(|r| r.key == c.key()))
            .count();
        let total = mine.len();
        let unfinished = |c: &&&Cell| !stored.iter().any(|r| r.key == c.key());
        let count = |round: Option<bool>| {
            mine.iter()
                .filter(unfinished)
                .filter(|c| match round {
                    None => c.chain.is_none(),
                    Some(first) => c.chain.is_some() && (c.round == 0) == first,
                })
                .count()
        };
        let left = CellsLeft {
            cells: count(None),
            chain_starts: count(Some(true)),
            rounds: count(Some(false)),
            // A round writes its pool under the same neutral prompts as the imbalance
            // stage did: that stage's time, scaled to the round's pool size.
            round_generation_s: (self.timings.imbalance_s > 0.0).then(|| {
                self.timings.imbalance_s * self.config.task().rounds_pool_per_label as f64
                    / self.config.generator.neutral_per_label.max(1) as f64
            }),
        };
        self.study.notify(Progress::Planned {
            total,
            finished,
            left,
        });
        let which = shard.map_or("all".to_owned(), |s| format!("shard {s}"));
        self.study.stage(
            "cells",
            format!("{total} cells ({which}), {finished} already finished"),
        );
        let t = Instant::now();
        let mut done = finished;
        let (chains, grid): (Vec<&Cell>, Vec<&Cell>) =
            mine.into_iter().partition(|c| c.chain.is_some());
        let todo: Vec<&Cell> = grid
            .iter()
            .copied()
            .filter(|c| !stored.iter().any(|r| r.key == c.key()))
            .collect();
        self.timings.cells_skipped += grid.len() - todo.len();
        let pool_of = |cell: &Cell| -> &Dataset {
            &pools
                .iter()
                .find(|(id, _)| *id == cell.bias_type)
                .expect("a pool per planned bias type")
                .1
        };
        let jobs = self.study.jobs.clamp(1, todo.len().max(1));
        // Workers take cells in plan order; each trains its own model. A cell's result
        // depends on its seed only, so the records are those of a sequential run (in
        // the order they finish).
        let next = AtomicUsize::new(0);
        let failed = AtomicBool::new(false);
        let (tx, rx) = mpsc::channel::<(Result<ResultRecord>, f64)>();
        let mut first_error: Option<Error> = None;
        std::thread::scope(|scope| {
            for _ in 0..jobs {
                let tx = tx.clone();
                let (next, failed, todo, cell_ctx) = (&next, &failed, &todo, &cell_ctx);
                scope.spawn(move || {
                    while !failed.load(Ordering::Relaxed) {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(cell) = todo.get(i) else { break };
                        let tc = Instant::now();
                        let record = run_cell(cell_ctx, cell, pool_of(cell));
                        if tx.send((record, tc.elapsed().as_secs_f64())).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(tx);
            for (record, seconds) in rx {
                // After the first failure nothing more is appended: the cells still in
                // flight are dropped and redone by the next run.
                if first_error.is_some() {
                    continue;
                }
                let written =
                    record.and_then(|r| results.append(&r).map(|()| r).map_err(Into::into));
                match written {
                    Ok(record) => {
                        self.timings.cells_run += 1;
                        done += 1;
                        tracing::debug!(
                            "cell {} γ={} {} seed={} finished in {seconds:.1} s",
                            record.bias_type,
                            record.gamma,
                            record.mitigation,
                            record.seed
                        );
                        self.study.notify(Progress::Cell {
                            done,
                            total,
                            record: &record,
                            seconds,
                            kind: CellKind::Cell,
                        });
                    }
                    Err(e) => {
                        failed.store(true, Ordering::Relaxed);
                        first_error.get_or_insert(e);
                    }
                }
            }
        });
        if let Some(e) = first_error {
            return Err(e);
        }
        if !chains.is_empty() {
            let templates = Templates::builtin();
            let labels = self.data.train.labels.clone();
            let requests = crate::rounds::writing_requests(
                self.task.as_ref(),
                &templates,
                &self.names,
                &labels,
            )?;
            let chain_cells = CellContext {
                writing: Some(&requests),
                ..cell_ctx
            };
            let chain_ctx = ChainContext {
                cells: &chain_cells,
                base_generator: self.generator.as_ref(),
                pool_per_label: self.config.task().rounds_pool_per_label,
                lexicon: &self.lexicon,
                templates: &templates,
                names: &self.names,
                generator: &self.config.generator,
                labels: &labels,
                out: &self.out,
            };
            let mut by_chain: BTreeMap<&str, Vec<&Cell>> = BTreeMap::new();
            for c in chains {
                by_chain
                    .entry(c.chain.as_deref().unwrap_or_default())
                    .or_default()
                    .push(c);
            }
            for (_, mut chain) in by_chain {
                chain.sort_by_key(|c| c.round);
                let unfinished = chain
                    .iter()
                    .filter(|c| !stored.iter().any(|r| r.key == c.key()))
                    .count();
                self.timings.cells_skipped += chain.len() - unfinished;
                if unfinished == 0 {
                    continue;
                }
                self.study.stage(
                    "rounds",
                    format!(
                        "self-augmentation chain of seed {} ({} rounds)",
                        chain[0].seed,
                        chain.len()
                    ),
                );
                let study = &self.study;
                let timings = &mut self.timings;
                run_chain(
                    &chain_ctx,
                    &chain,
                    stored,
                    &mut results,
                    |record, seconds| {
                        timings.cells_run += 1;
                        done += 1;
                        tracing::debug!(
                            "round {} of seed {} finished in {seconds:.1} s",
                            record.round,
                            record.seed
                        );
                        study.notify(Progress::Cell {
                            done,
                            total,
                            record,
                            seconds,
                            kind: CellKind::of(Some(record.round)),
                        });
                    },
                )?;
            }
        }
        self.timings.cells_s += t.elapsed().as_secs_f64();
        Ok(())
    }

    /// Merges the results files and writes the report.
    fn report(&mut self) -> Result<StudyOutcome> {
        let analysis = self.read_analysis()?;
        let pools = self.read_pools()?;
        let merged = merge_results(&self.out)?;
        for (key, files) in &merged.conflicts {
            self.study.stage(
                "report",
                format!(
                    "conflict: cell {key} has different results in {}; the first is kept",
                    files
                        .iter()
                        .map(|f| f.display().to_string())
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
            );
        }
        let mut records = Vec::new();
        let mut round_records = Vec::new();
        let mut missing = Vec::new();
        for cell in &self.cells {
            match merged.records.iter().find(|r| r.key == cell.key()) {
                Some(r) if cell.chain.is_some() => round_records.push(r.clone()),
                Some(r) => records.push(r.clone()),
                None => missing.push(format!(
                    "{} γ={} {} seed={}",
                    cell.bias_type, cell.gamma, cell.mitigation, cell.seed
                )),
            }
        }
        if !missing.is_empty() {
            return Err(Error::Unsupported(format!(
                "{}: {} of {} planned cells have no result yet (e.g. {}); a shard failed or is still running",
                self.out.display(),
                missing.len(),
                self.cells.len(),
                missing[0]
            )));
        }
        let t = Instant::now();
        let history = crate::output::previous_runs(&self.out);
        self.study
            .stage("report", format!("writing {}", self.out.display()));
        self.timings.total_s = self.study_seconds();
        let baseline = baseline_mitigations(
            &self.config,
            &crate::config::spec_context(self.lexicon.clone()),
        )?;
        let run = RunData {
            baseline: &baseline,
            config: &self.config,
            task: self.task.as_ref(),
            downstream_id: self.downstream.id(),
            generator_id: self.generator.id(),
            imbalance: &analysis.imbalance,
            shifts: &analysis.shifts,
            pools: &pools,
            records: &records,
            rounds: &round_records,
            files: &self.files,
            timings: &self.timings,
            suite: (self.data.train.len(), self.data.test.len()),
            duplicates: merged.duplicates,
            conflicts: merged.conflicts.len(),
        };
        let finding = write_outputs(&run, &self.out, t)?;
        self.timings.report_s = t.elapsed().as_secs_f64();
        self.timings.total_s = self.study_seconds();
        records.extend(round_records);
        let outcome = StudyOutcome {
            finding,
            records,
            out: self.out.clone(),
            timings: self.timings.clone(),
        };
        crate::output::finish(&outcome, &self.study.run_info, history)?;
        Ok(outcome)
    }

    fn study_seconds(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
}

/// The grid of cells (bias type × γ × mitigation × seed) with their keys. At γ = 0 the
/// mix holds no augmented example, so every mitigation that is then inert
/// ([`inherit_mitigate::Mitigation::inert_without_augmented`]) shares the one `none`
/// cell of each bias type and seed: that model is trained once, not once per mitigation
/// ([`baseline_mitigations`] names the mitigations it stands for).
pub fn plan(
    config: &ValidStudyConfig,
    task: &dyn Task,
    generator: &dyn TextGenerator,
    downstream: &dyn Downstream,
    specs: &SpecContext,
) -> Result<Vec<Cell>> {
    let shared = baseline_mitigations(config, specs)?;
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
            let mut mitigations = config.mitigations.clone();
            if gamma == 0.0 && !shared.is_empty() {
                mitigations.retain(|m| !shared.contains(m));
                mitigations.insert(0, "none".to_owned());
            }
            for mitigation in &mitigations {
                for &seed in &config.seeds {
                    cells.push(Cell {
                        bias_type: bias.clone(),
                        gamma,
                        mitigation: mitigation.clone(),
                        seed,
                        round: 0,
                        chain: None,
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
    cells.extend(crate::rounds::chain_cells(
        config.task(),
        &config.seeds,
        &base,
    ));
    Ok(cells)
}

/// The configured mitigations whose γ = 0 cell is the unmitigated one (`none` itself
/// included when configured): those inert without augmented data.
pub fn baseline_mitigations(config: &ValidStudyConfig, specs: &SpecContext) -> Result<Vec<String>> {
    let mut shared = Vec::new();
    for m in &config.mitigations {
        if MitigationStack::parse(m, specs)?.inert_without_augmented() {
            shared.push(m.clone());
        }
    }
    Ok(shared)
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
