//! The study's steps in order, with caching: generations in an append-only cache,
//! augmented pools as JSONL, cell results appended to `results.jsonl`.

use std::time::Instant;

use inherit::augment::{NameTable, Templates};
use inherit::core::{BiasType, Dataset, Lexicon};
use inherit::data::{OccupationSuite, OccupationSuiteParams};
use inherit::eval::misalign::{MmdParams, mean_embedding_distance, mmd_test};
use inherit::eval::report::{ResultRecord, append_result, read_results};
use inherit::mitigate::SpecContext;
use inherit::train::DeviceSpec;
use serde::Serialize;

use crate::cells::{Cell, CellContext, run_cell};
use crate::config::StudyConfig;
use crate::generate::{GenerationContext, Imbalance, measure_imbalance};
use crate::models::{ModelFile, embedder, generator};
use crate::report::{Shift, write_outputs};

/// Errors of the study binary.
pub type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Wall-clock seconds per step, for the manifest.
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
    /// Cells run now (not taken from an earlier run).
    pub cells_run: usize,
    /// Cells found finished.
    pub cells_skipped: usize,
    /// Writing the report.
    pub report_s: f64,
    /// Everything.
    pub total_s: f64,
}

/// What the run hands to the report.
pub struct RunData<'a> {
    /// The config.
    pub config: &'a StudyConfig,
    /// Group imbalance under neutral prompts.
    pub imbalance: &'a Imbalance,
    /// Embedding shift per bias type.
    pub shifts: &'a [Shift],
    /// Pool sizes per bias type and inferred gender counts.
    pub pools: &'a [(String, Dataset)],
    /// All cell results.
    pub records: &'a [ResultRecord],
    /// Model files.
    pub files: &'a [ModelFile],
    /// Timings.
    pub timings: &'a Timings,
    /// The suite sizes.
    pub suite: (usize, usize),
}

fn log(progress: bool, msg: &str) {
    if progress {
        eprintln!("[study] {msg}");
    }
}

/// Runs the study described by `config`; returns a one-paragraph summary.
pub fn run(config: &StudyConfig, progress: bool) -> BoxResult<String> {
    let start = Instant::now();
    let out = &config.out;
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut timings = Timings::default();
    let device: DeviceSpec = config.device.parse()?;

    // Step 2: D_o and the balanced test set.
    let suite = OccupationSuite::build(&OccupationSuiteParams {
        n_train_per_cell: config.data.train_per_cell,
        n_test_per_cell: config.data.test_per_cell,
        seed: config.data.seed,
        ..Default::default()
    })?;
    log(
        progress,
        &format!(
            "occupation suite: {} train (D_o), {} test",
            suite.train.len(),
            suite.test.len()
        ),
    );

    // Step 1: models.
    let t = Instant::now();
    let mut files = Vec::new();
    let generator = generator(&config.generator, &device, &mut files)?;
    let embedder = embedder(&config.embedding, &device, &mut files)?;
    timings.models_s = t.elapsed().as_secs_f64();
    log(
        progress,
        &format!(
            "models ready ({:.1} s): generator `{}`",
            timings.models_s,
            generator.id()
        ),
    );

    let names = NameTable::builtin();
    let templates = Templates::builtin();
    let mut lexicon: Lexicon = inherit::data::lexicons::default_lexicon();
    lexicon.merge(&inherit::augment::default_lexicon(&names));
    let gen_ctx = GenerationContext {
        generator: generator.as_ref(),
        lexicon: &lexicon,
        templates: &templates,
        names: &names,
        config: &config.generator,
        labels: &suite.train.labels,
        cache: &out.join("cache").join("generations.jsonl"),
        progress,
    };

    // Step 3: the generator's own imbalance.
    let t = Instant::now();
    log(
        progress,
        "neutral prompts: measuring the generator's gender balance per occupation",
    );
    let (imbalance, neutral) =
        measure_imbalance(&gen_ctx, config.generator.neutral_per_occupation)?;
    neutral.write_jsonl(out.join("augmented").join("neutral.jsonl"))?;
    timings.imbalance_s = t.elapsed().as_secs_f64();

    // Step 4: augmented pools and their embedding shift.
    let mut pools = Vec::new();
    let mut shifts = Vec::new();
    for id in &config.bias_types {
        let bias: BiasType = id.parse()?;
        let t = Instant::now();
        log(progress, &format!("generating D_a for `{id}`"));
        let n = config.generator.augmented_per_occupation * suite.train.labels.len();
        let (pool, report) = gen_ctx.generate(bias, n)?;
        pool.write_jsonl(out.join("augmented").join(format!("{id}.jsonl")))?;
        log(
            progress,
            &format!(
                "  {} accepted ({} generated now, {} from cache)",
                report.accepted, report.generated, report.cached
            ),
        );
        timings.augment_s += t.elapsed().as_secs_f64();
        if let Some(embedder) = &embedder {
            let t = Instant::now();
            shifts.push(shift(embedder.as_ref(), id, &suite.train, &pool, config)?);
            timings.shift_s += t.elapsed().as_secs_f64();
        }
        pools.push((id.clone(), pool));
    }

    // Step 5: the grid.
    let results_path = out.join("results.jsonl");
    let mut records = if results_path.exists() {
        read_results(&results_path)?.records
    } else {
        Vec::new()
    };
    let specs = SpecContext::new().with_lexicon(lexicon.clone());
    let cell_ctx = CellContext {
        original: &suite.train,
        test: &suite.test,
        specs: &specs,
        classifier: &config.classifier,
        device: &device,
    };
    let t = Instant::now();
    let cells: Vec<(Cell, &Dataset)> = pools
        .iter()
        .flat_map(|(id, pool)| {
            config.gammas.iter().flat_map(move |&gamma| {
                config.mitigations.iter().flat_map(move |mitigation| {
                    config.seeds.iter().map(move |&seed| {
                        (
                            Cell {
                                bias_type: id.clone(),
                                gamma,
                                mitigation: mitigation.clone(),
                                seed,
                            },
                            pool,
                        )
                    })
                })
            })
        })
        .collect();
    let total = cells.len();
    for (i, (cell, pool)) in cells.into_iter().enumerate() {
        if records.iter().any(|r| cell.matches(r)) {
            timings.cells_skipped += 1;
            continue;
        }
        let tc = Instant::now();
        let record = run_cell(&cell_ctx, &cell, pool)?;
        append_result(&results_path, &record)?;
        timings.cells_run += 1;
        log(
            progress,
            &format!(
                "cell {}/{total}: {} γ={} {} seed={} -> accuracy {:.3}, female-male gap {:+.3} ({:.1} s)",
                i + 1,
                cell.bias_type,
                cell.gamma,
                cell.mitigation,
                cell.seed,
                record.metrics["accuracy"],
                record.metrics["accuracy_gap"],
                tc.elapsed().as_secs_f64()
            ),
        );
        records.push(record);
    }
    timings.cells_s = t.elapsed().as_secs_f64();

    // Step 6: report.
    let t = Instant::now();
    let wanted: Vec<ResultRecord> = records
        .into_iter()
        .filter(|r| {
            config.bias_types.contains(&r.bias_type)
                && config.gammas.contains(&r.gamma)
                && config.mitigations.contains(&r.mitigation)
                && config.seeds.contains(&r.seed)
        })
        .collect();
    timings.total_s = start.elapsed().as_secs_f64();
    let data = RunData {
        config,
        imbalance: &imbalance,
        shifts: &shifts,
        pools: &pools,
        records: &wanted,
        files: &files,
        timings: &timings,
        suite: (suite.train.len(), suite.test.len()),
    };
    let summary = write_outputs(&data, out, t)?;
    log(
        progress,
        &format!(
            "done in {:.1} s; outputs in {}",
            start.elapsed().as_secs_f64(),
            out.display()
        ),
    );
    Ok(summary)
}

/// Step 4b: MMD² (RBF, median heuristic) with a permutation p-value, and the distance of
/// the mean embeddings, between D_o and D_a samples.
fn shift(
    embedder: &dyn inherit::core::Embedder,
    id: &str,
    original: &Dataset,
    pool: &Dataset,
    config: &StudyConfig,
) -> BoxResult<Shift> {
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
    let ea = embed_batched(embedder, &a)?;
    let eb = embed_batched(embedder, &b)?;
    let params = MmdParams {
        permutations: config.embedding.permutations,
        seed: config.generator.seed,
        ..MmdParams::default()
    };
    let mmd = mmd_test(&ea, &eb, &params)?;
    let mean = mean_embedding_distance(&ea, &eb)?;
    Ok(Shift {
        bias_type: id.to_owned(),
        n_original: ea.len(),
        n_augmented: eb.len(),
        mmd,
        mean_distance: mean,
    })
}

fn embed_batched(
    embedder: &dyn inherit::core::Embedder,
    texts: &[String],
) -> BoxResult<Vec<Vec<f32>>> {
    let mut out = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(32) {
        out.extend(embedder.embed(chunk)?);
    }
    Ok(out)
}
