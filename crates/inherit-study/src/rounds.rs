//! Multi-round self-augmentation (the paper's multi-round experiment): does bias compound
//! when the fine-tuned model writes the next round's data?
//!
//! A task with `rounds = R` (≥ 1) adds, for every seed, a *chain* of R cells, rounds
//! 0 … R − 1, all with mitigation `none` at `rounds_gamma`:
//! - round 0 trains on D_o mixed with the base generator's outputs under **neutral**
//!   prompts (`augmented/neutral.jsonl`, the pool of the imbalance stage);
//! - round r ≥ 1 trains on the same D_o mixed with what the model trained in round r − 1
//!   writes under the same neutral prompts (as many as round 0 had, seeded per round).
//!
//! Each round's record (bias type `self-augmentation`, `round` = r) carries the task's
//! metrics and the imbalance of that round's generator under neutral prompts:
//! `generator_share.{label}` (group `a`'s share among texts inferred as `a` or `b`) and
//! `generator_imbalance` (the mean over labels of |share − 0.5|: 0 is parity, 0.5 one
//! group only). The report tabulates both per round.
//!
//! A chain runs in one process, round after round (its rounds share a shard). Resuming
//! reruns an unfinished chain from round 0 (training is seeded, so the earlier rounds'
//! models come out the same) and appends only the missing rounds. Each round's data and
//! generation cache live in `rounds/<key>/`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use inherit_augment::{NameTable, Templates};
use inherit_core::{BiasType, Dataset, Lexicon, Provenance, TextGenerator, derive_seed};
use inherit_eval::misalign::{GroupDistribution, GroupSource};
use inherit_eval::report::{ResultRecord, ResultsWriter};
use inherit_eval::stats::{mean_ci, paired_t_test};

use crate::cells::{Cell, CellContext, train_cell};
use crate::config::{GeneratorConfig, TaskConfig};
use crate::error::{Error, Result};
use crate::generate::GenerationContext;
use crate::key::KeyParts;
use crate::task::{GroupPair, Task};

/// The bias type written into self-augmentation records: D_a comes from neutral prompts
/// of the previous round's model (round 0: of the base generator).
pub const SELF_AUGMENTATION: &str = "self-augmentation";

/// The chain cells of `task` (none when `rounds` is 0): per seed, rounds 0 … R − 1, keyed
/// on `base` (the study's key parts) with the round.
pub fn chain_cells(
    task: &TaskConfig,
    seeds: &[u64],
    neutral_per_label: usize,
    base: &KeyParts,
) -> Vec<Cell> {
    let mut cells = Vec::new();
    for &seed in seeds {
        let mut chain = None;
        for round in 0..task.rounds {
            let parts = base
                .clone()
                .with("bias_type", SELF_AUGMENTATION.to_owned())
                .with("gamma", format!("{}", task.rounds_gamma))
                .with("mitigation", "none".to_owned())
                .with("seed", seed.to_string())
                .with("round", round.to_string())
                .with("neutral_per_label", neutral_per_label.to_string());
            let key = parts.key();
            let chain_key = chain.get_or_insert(key).clone();
            cells.push(Cell {
                bias_type: SELF_AUGMENTATION.into(),
                gamma: task.rounds_gamma,
                mitigation: "none".into(),
                seed,
                round,
                chain: Some(chain_key),
                parts,
            });
        }
    }
    cells
}

/// The generator imbalance metrics of a pool: `generator_share.{label}` and
/// `generator_imbalance` (see the module docs).
pub fn imbalance_metrics(pool: &Dataset, groups: &GroupPair) -> BTreeMap<String, f64> {
    let dist = GroupDistribution::from_dataset(pool, &groups.axis, GroupSource::Inferred);
    let mut m = BTreeMap::new();
    let mut deviations = Vec::new();
    for (label, counts) in &dist.per_label {
        let a = *counts.counts.get(&groups.a).unwrap_or(&0) as f64;
        let b = *counts.counts.get(&groups.b).unwrap_or(&0) as f64;
        if a + b > 0.0 {
            let share = a / (a + b);
            m.insert(format!("generator_share.{label}"), share);
            deviations.push((share - 0.5).abs());
        }
    }
    let imbalance = if deviations.is_empty() {
        f64::NAN
    } else {
        deviations.iter().sum::<f64>() / deviations.len() as f64
    };
    m.insert("generator_imbalance".into(), imbalance);
    m
}

/// The neutral writing request of each of the task's labels: the user turn of the task's
/// neutral prompt whose label the task adopts as that label (e.g. hiring's "Write a
/// short profile of a strong applicant …" for `hire`). The chain's fine-tuned LLM learns
/// its D_a as these requests → texts, so it writes like its data when the next round
/// asks.
pub fn writing_requests(
    task: &dyn Task,
    templates: &Templates,
    names: &NameTable,
    labels: &[String],
) -> Result<BTreeMap<String, String>> {
    let spec = task.prompt_spec(BiasType::Neutral, labels, 0);
    let builder = inherit_augment::PromptBuilder::new(spec, templates, names)?;
    let mut requests = BTreeMap::new();
    for i in 0..labels.len().max(1) * 2 {
        let prompt = builder.build(i)?;
        let Some(prompt_label) = prompt.label.clone() else {
            continue;
        };
        let probe =
            inherit_core::Example::new("probe", "", inherit_core::Provenance::original("probe"))
                .with_label(prompt_label);
        let adopted = task.adopt(vec![probe]);
        if let Some(label) = adopted.first().and_then(|e| e.label.clone()) {
            let user = match &prompt.prompt {
                inherit_core::Prompt::Chat(messages) => messages
                    .iter()
                    .rev()
                    .find(|m| m.role == "user")
                    .map(|m| m.content.clone())
                    .unwrap_or_else(|| prompt.prompt.flatten()),
                other => other.flatten(),
            };
            requests.entry(label).or_insert(user);
        }
    }
    Ok(requests)
}

/// What a chain needs besides the cell context.
pub struct ChainContext<'a> {
    /// The cells' shared context.
    pub cells: &'a CellContext<'a>,
    /// Round 0's pool: the base generator under neutral prompts.
    pub base_pool: &'a Dataset,
    /// Inferred groups of generated texts.
    pub lexicon: &'a Lexicon,
    /// Prompt families.
    pub templates: &'a Templates,
    /// Names in prompts.
    pub names: &'a NameTable,
    /// Sampling settings (the seed is derived per chain and round).
    pub generator: &'a GeneratorConfig,
    /// The task's labels.
    pub labels: &'a [String],
    /// The study folder (`rounds/<key>/` goes there).
    pub out: &'a Path,
}

/// Runs one chain (its cells in round order), appending the records not in `stored`;
/// calls `done` with each record written and its seconds.
pub fn run_chain(
    ctx: &ChainContext<'_>,
    chain: &[&Cell],
    stored: &[ResultRecord],
    results: &mut ResultsWriter,
    mut done: impl FnMut(&ResultRecord, f64),
) -> Result<()> {
    let task: &dyn Task = ctx.cells.task;
    let mut previous: Option<Box<dyn TextGenerator>> = None;
    for cell in chain {
        let t = std::time::Instant::now();
        let dir = ctx.out.join("rounds").join(cell.key());
        let pool = match previous.take() {
            None => ctx.base_pool.clone(),
            Some(generator) => {
                std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
                let config = GeneratorConfig {
                    seed: derive_seed(
                        ctx.generator.seed,
                        &format!("round {} seed {}", cell.round, cell.seed),
                    ),
                    ..ctx.generator.clone()
                };
                let cache = dir.join("cache.jsonl");
                let gen_ctx = GenerationContext {
                    generator: generator.as_ref(),
                    task,
                    lexicon: ctx.lexicon,
                    templates: ctx.templates,
                    names: ctx.names,
                    config: &config,
                    labels: ctx.labels,
                    cache: &cache,
                    progress: None,
                };
                let (mut pool, report) =
                    gen_ctx.generate(BiasType::Neutral, ctx.base_pool.len().max(1))?;
                if let Some(label) = ctx.labels.iter().find(|l| {
                    !pool
                        .examples
                        .iter()
                        .any(|e| e.label.as_deref() == Some(l.as_str()))
                }) {
                    return Err(Error::Unsupported(format!(
                        "self-augmentation round {} of seed {}: the model fine-tuned in round {} \
                         wrote no acceptable text for label `{label}` ({} prompts, {} accepted, \
                         rejected: {:?}); its outputs are in {}",
                        cell.round,
                        cell.seed,
                        cell.round - 1,
                        report.prompts,
                        report.accepted,
                        report.rejected,
                        cache.display()
                    )));
                }
                for e in &mut pool.examples {
                    if let Provenance::Augmented { round, .. } = &mut e.provenance {
                        *round = cell.round;
                    }
                }
                pool.write_jsonl(dir.join("augmented.jsonl"))?;
                pool
            }
        };
        let (mut record, model) = train_cell(ctx.cells, cell, &pool)?;
        record
            .metrics
            .extend(imbalance_metrics(&pool, task.groups()));
        if !stored.iter().any(|r| r.key == record.key) {
            results.append(&record)?;
            done(&record, t.elapsed().as_secs_f64());
        }
        if cell.round + 1 < chain.len() as u32 {
            previous = Some(model.into_generator().ok_or_else(|| {
                Error::Unsupported(format!(
                    "multi-round self-augmentation of task `{}`: the downstream model `{}` \
                     cannot generate the next round's data (use `smollm2-lora`)",
                    task.name(),
                    ctx.cells.downstream.id()
                ))
            })?);
        }
    }
    Ok(())
}

/// Mean and 95% CI half-width of `metric` over the records of `round`.
fn per_round(records: &[ResultRecord], round: u32, metric: &str) -> (f64, f64, usize) {
    let v: Vec<f64> = records
        .iter()
        .filter(|r| r.round == round)
        .filter_map(|r| r.metrics.get(metric).copied())
        .filter(|x| x.is_finite())
        .collect();
    match mean_ci(&v, 0.95) {
        Ok(ci) => (ci.mean, (ci.high - ci.low) / 2.0, v.len()),
        Err(_) => (f64::NAN, f64::NAN, 0),
    }
}

/// Round 0 vs the last round of `metric`, paired over seeds: (mean first, mean last,
/// seeds, p-value; NaN with fewer than two seeds).
pub fn first_vs_last(records: &[ResultRecord], metric: &str) -> Option<(f64, f64, usize, f64)> {
    let last = records.iter().map(|r| r.round).max()?;
    if last == 0 {
        return None;
    }
    let by_seed = |round: u32| -> BTreeMap<u64, f64> {
        records
            .iter()
            .filter(|r| r.round == round)
            .filter_map(|r| r.metrics.get(metric).map(|v| (r.seed, *v)))
            .collect()
    };
    let (a, b) = (by_seed(0), by_seed(last));
    let seeds: Vec<u64> = a.keys().filter(|s| b.contains_key(s)).copied().collect();
    let x: Vec<f64> = seeds.iter().map(|s| a[s]).collect();
    let y: Vec<f64> = seeds.iter().map(|s| b[s]).collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let p = if seeds.len() >= 2 {
        paired_t_test(&x, &y).map(|t| t.p_value).unwrap_or(f64::NAN)
    } else {
        f64::NAN
    };
    Some((mean(&x), mean(&y), seeds.len(), p))
}

/// The report section of the chains' records (empty when there are none), and its
/// finding sentence.
pub fn section(records: &[ResultRecord], task: &dyn Task, headline: &str) -> (String, String) {
    if records.is_empty() {
        return (String::new(), String::new());
    }
    let rounds = records.iter().map(|r| r.round).max().unwrap_or(0) + 1;
    let g = task.groups();
    let mut labels: Vec<String> = records
        .iter()
        .flat_map(|r| r.metrics.keys())
        .filter_map(|k| k.strip_prefix("generator_share.").map(str::to_owned))
        .collect();
    labels.sort();
    labels.dedup();
    let mut md = String::new();
    let _ = writeln!(
        md,
        "## Multi-round self-augmentation\n\nEach round trains on D_o mixed at γ = {} with what the previous round's fine-tuned model wrote under neutral prompts (round 0: the base generator); no mitigation. Generator imbalance: mean over labels of |share of `{}` among `{}` and `{}` − 0.5| (0 = parity). Mean ± 95% CI half-width over seeds.\n",
        records[0].gamma, g.a, g.a, g.b
    );
    let mut header = "| round | generator imbalance |".to_owned();
    let mut rule = "|---:|---:|".to_owned();
    for l in &labels {
        let _ = write!(header, " `{}` share ({l}) |", g.a);
        rule.push_str("---:|");
    }
    let _ = write!(header, " `{headline}` | seeds |");
    rule.push_str("---:|---:|");
    let _ = writeln!(md, "{header}\n{rule}");
    let fmt = |(m, h, _): (f64, f64, usize)| {
        if h.is_finite() {
            format!("{m:.3} ± {h:.3}")
        } else {
            format!("{m:.3}")
        }
    };
    for round in 0..rounds {
        let imb = per_round(records, round, "generator_imbalance");
        let mut row = format!("| {round} | {} |", fmt(imb));
        for l in &labels {
            let _ = write!(
                row,
                " {} |",
                fmt(per_round(records, round, &format!("generator_share.{l}")))
            );
        }
        let head = per_round(records, round, headline);
        let _ = write!(row, " {} | {} |", fmt(head), head.2);
        let _ = writeln!(md, "{row}");
    }
    let mut finding = String::new();
    if let (Some(imb), Some(gap)) = (
        first_vs_last(records, "generator_imbalance"),
        first_vs_last(records, headline),
    ) {
        let p = |p: f64| {
            if p.is_nan() {
                "no test (fewer than two seeds or no variance)".to_owned()
            } else if p < 0.05 {
                format!("p = {p:.3}, significant at 0.05")
            } else {
                format!("p = {p:.3}, not significant")
            }
        };
        finding = format!(
            "Over {rounds} rounds of self-augmentation the generator's imbalance went from {:.3} (round 0) to {:.3} ({}) and `{headline}` from {:.3} to {:.3} ({}; paired t-tests over {} seeds).",
            imb.0,
            imb.1,
            p(imb.3),
            gap.0,
            gap.1,
            p(gap.3),
            gap.2
        );
        let _ = writeln!(md, "\n{finding}\n");
    }
    (md, finding)
}
