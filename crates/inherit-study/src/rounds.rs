//! Multi-round self-augmentation (the paper's multi-round experiment): does bias compound
//! when the fine-tuned model writes the next round's data?
//!
//! A task with `rounds = R` (≥ 1) adds, for every seed, a *chain* of R cells, rounds
//! 0 … R − 1, all with mitigation `none` at `rounds_gamma`:
//! - round 0 trains on D_o mixed with a pool the base generator writes for this seed under
//!   **neutral** prompts (`rounds_pool_per_label` texts per label, default 50, seeded per
//!   seed: seeds do not share round 0's draw);
//! - round r ≥ 1 trains on the same D_o mixed with what the model trained in round r − 1
//!   writes under the same neutral prompts (as many texts, seeded per round and seed).
//!
//! With `rounds_control` (the default) every seed also runs a **control chain** (bias
//! type `self-augmentation-balanced`): the same round 0 draw with the majority group's
//! surplus dropped per label, so its D_a starts at parity. Amplification shows as an
//! imbalance that grows in the main chain but not in the control; a model that drifts
//! towards one group whatever it was fed (or collapses) moves both.
//!
//! Each round's record (`round` = r) carries the task's metrics and what that round's
//! generator wrote under neutral prompts: `generator_count.{label}.{group}` for the two
//! compared groups (inferred from the text), `generator_share.{label}` (group `a`'s share
//! among texts inferred as `a` or `b`), `generator_imbalance` (the mean over labels of
//! |share − 0.5|: 0 is parity, 0.5 one group only), `rounds_pool` (texts in the pool)
//! and `distinct_2` (distinct word bigrams / all bigrams: a collapsing generator repeats
//! itself). The report tabulates them per chain and round, with an exact binomial test of
//! the counts pooled over seeds and labels against 50/50 and Fisher's exact test of round
//! 0 against the last round on the pooled counts.
//!
//! A chain runs in one process, round after round (its rounds share a shard). Resuming
//! reruns an unfinished chain from round 0 (training is seeded, so the earlier rounds'
//! models come out the same) and appends only the missing rounds. Each round's data and
//! generation cache live in `rounds/<key>/`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use inherit_augment::{NameTable, Templates};
use inherit_core::{
    BiasType, Dataset, Lexicon, Origin, Provenance, TextGenerator, derive_seed, seeded_rng,
};
use inherit_eval::misalign::{GroupDistribution, GroupSource};
use inherit_eval::report::fmt_p;
use inherit_eval::report::{ResultRecord, ResultsWriter};
use inherit_eval::stats::{
    PairedComparison, binomial_test, fisher_exact, mean_ci, paired_comparison,
};
use rand::seq::SliceRandom;

use crate::cells::{Cell, CellContext, train_cell};
use crate::config::{GeneratorConfig, TaskConfig};
use crate::error::{Error, Result};
use crate::generate::GenerationContext;
use crate::key::KeyParts;
use crate::task::{GroupPair, Task};

/// The bias type written into self-augmentation records: D_a comes from neutral prompts
/// of the previous round's model (round 0: of the base generator).
pub const SELF_AUGMENTATION: &str = "self-augmentation";

/// The bias type of the control chains: round 0's draw balanced between the compared
/// groups, later rounds as in the main chain.
pub const SELF_AUGMENTATION_BALANCED: &str = "self-augmentation-balanced";

/// Whether records of `bias_type` come from a self-augmentation chain.
pub fn is_chain(bias_type: &str) -> bool {
    bias_type == SELF_AUGMENTATION || bias_type == SELF_AUGMENTATION_BALANCED
}

/// The chain cells of `task` (none when `rounds` is 0): per seed, rounds 0 … R − 1 of the
/// main chain and, with `rounds_control`, of the control chain, keyed on `base` (the
/// study's key parts) with the chain's kind, the round and the pool size.
pub fn chain_cells(task: &TaskConfig, seeds: &[u64], base: &KeyParts) -> Vec<Cell> {
    let mut kinds = vec![SELF_AUGMENTATION];
    if task.rounds_control {
        kinds.push(SELF_AUGMENTATION_BALANCED);
    }
    let mut cells = Vec::new();
    for &seed in seeds {
        for kind in &kinds {
            let mut chain = None;
            for round in 0..task.rounds {
                let parts = base
                    .clone()
                    .with("bias_type", (*kind).to_owned())
                    .with("gamma", format!("{}", task.rounds_gamma))
                    .with("mitigation", "none".to_owned())
                    .with("seed", seed.to_string())
                    .with("round", round.to_string())
                    .with("pool_per_label", task.rounds_pool_per_label.to_string());
                let key = parts.key();
                let chain_key = chain.get_or_insert(key).clone();
                cells.push(Cell {
                    bias_type: (*kind).into(),
                    gamma: task.rounds_gamma,
                    mitigation: "none".into(),
                    seed,
                    round,
                    chain: Some(chain_key),
                    parts,
                });
            }
        }
    }
    cells
}

/// `pool` with, per label, the surplus of the more frequent of the two compared groups
/// (inferred from the text) dropped at random (seeded), so that both have as many texts;
/// texts of neither group are kept.
pub fn balanced(pool: &Dataset, groups: &GroupPair, seed: u64) -> Dataset {
    let mut rng = seeded_rng(seed);
    let mut drop = std::collections::HashSet::new();
    let labels: std::collections::BTreeSet<Option<&str>> =
        pool.examples.iter().map(|e| e.label.as_deref()).collect();
    for label in labels {
        let of = |group: &str| -> Vec<usize> {
            pool.examples
                .iter()
                .enumerate()
                .filter(|(_, e)| e.label.as_deref() == label)
                .filter(|(_, e)| e.groups.get_origin(&groups.axis, Origin::Inferred) == Some(group))
                .map(|(i, _)| i)
                .collect()
        };
        let (mut a, mut b) = (of(&groups.a), of(&groups.b));
        let keep = a.len().min(b.len());
        for side in [&mut a, &mut b] {
            side.shuffle(&mut rng);
            drop.extend(side.iter().skip(keep).copied());
        }
    }
    let mut out = pool.clone();
    out.examples = pool
        .examples
        .iter()
        .enumerate()
        .filter(|(i, _)| !drop.contains(i))
        .map(|(_, e)| e.clone())
        .collect();
    out
}

/// Distinct word bigrams over all word bigrams of the pool's texts (lower-cased;
/// NaN without a bigram): 1 when no bigram repeats, falling as a generator repeats itself.
pub fn distinct_2(pool: &Dataset) -> f64 {
    let mut all = 0usize;
    let mut distinct = std::collections::HashSet::new();
    for e in &pool.examples {
        let words: Vec<String> = e
            .text
            .split_whitespace()
            .map(|w| w.to_lowercase())
            .collect();
        for pair in words.windows(2) {
            all += 1;
            distinct.insert((pair[0].clone(), pair[1].clone()));
        }
    }
    if all == 0 {
        f64::NAN
    } else {
        distinct.len() as f64 / all as f64
    }
}

/// The generator imbalance metrics of a pool: `generator_count.{label}.{group}`,
/// `generator_share.{label}` and `generator_imbalance` (see the module docs).
pub fn imbalance_metrics(pool: &Dataset, groups: &GroupPair) -> BTreeMap<String, f64> {
    let dist = GroupDistribution::from_dataset(pool, &groups.axis, GroupSource::Inferred);
    let mut m = BTreeMap::new();
    let mut deviations = Vec::new();
    for (label, counts) in &dist.per_label {
        let a = *counts.counts.get(&groups.a).unwrap_or(&0) as f64;
        let b = *counts.counts.get(&groups.b).unwrap_or(&0) as f64;
        m.insert(format!("generator_count.{label}.{}", groups.a), a);
        m.insert(format!("generator_count.{label}.{}", groups.b), b);
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
    /// The base generator: it writes round 0's pool.
    pub base_generator: &'a dyn TextGenerator,
    /// Texts per label of every round's pool.
    pub pool_per_label: usize,
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

impl ChainContext<'_> {
    /// The pool of `cell`'s round, written by `generator` under neutral prompts (seeded
    /// per round and seed, cached in `dir`), balanced when it is round 0 of a control
    /// chain; saved as `dir/augmented.jsonl`.
    fn round_pool(
        &self,
        cell: &Cell,
        generator: &dyn TextGenerator,
        dir: &Path,
    ) -> Result<Dataset> {
        let task: &dyn Task = self.cells.task;
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let config = GeneratorConfig {
            seed: derive_seed(
                self.generator.seed,
                &format!("round {} seed {}", cell.round, cell.seed),
            ),
            ..self.generator.clone()
        };
        let cache = dir.join("cache.jsonl");
        let gen_ctx = GenerationContext {
            generator,
            task,
            lexicon: self.lexicon,
            templates: self.templates,
            names: self.names,
            config: &config,
            labels: self.labels,
            cache: &cache,
            progress: None,
        };
        let (mut pool, report) = gen_ctx.generate(
            BiasType::Neutral,
            self.pool_per_label.saturating_mul(self.labels.len()).max(1),
        )?;
        if let Some(label) = self.labels.iter().find(|l| {
            !pool
                .examples
                .iter()
                .any(|e| e.label.as_deref() == Some(l.as_str()))
        }) {
            let writer = match cell.round {
                0 => "the base generator".to_owned(),
                r => format!("the model fine-tuned in round {}", r - 1),
            };
            return Err(Error::Unsupported(format!(
                "self-augmentation round {} of seed {}: {writer} wrote no acceptable text \
                 for label `{label}` ({} prompts, {} accepted, rejected: {:?}); its outputs \
                 are in {}",
                cell.round,
                cell.seed,
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
        if cell.round == 0 && cell.bias_type == SELF_AUGMENTATION_BALANCED {
            pool = balanced(&pool, task.groups(), derive_seed(cell.seed, "balance"));
        }
        pool.write_jsonl(dir.join("augmented.jsonl"))?;
        Ok(pool)
    }
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
        let writer = previous.take();
        let generator = writer.as_deref().unwrap_or(ctx.base_generator);
        let pool = ctx.round_pool(cell, generator, &dir)?;
        drop(writer);
        let (mut record, model) = train_cell(ctx.cells, cell, &pool)?;
        record
            .metrics
            .extend(imbalance_metrics(&pool, task.groups()));
        record
            .metrics
            .insert("rounds_pool".into(), pool.len() as f64);
        record
            .metrics
            .insert("distinct_2".into(), distinct_2(&pool));
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

/// Round 0 vs the last round of `metric` in one chain's records, paired over seeds: the
/// t-test beside the exact sign-flip test (`x` = round 0, `y` = the last round). `None`
/// without a second round or a seed in both.
pub fn first_vs_last(records: &[ResultRecord], metric: &str) -> Option<PairedComparison> {
    let last = records.iter().map(|r| r.round).max()?;
    if last == 0 {
        return None;
    }
    let by_seed = |round: u32| -> BTreeMap<u64, f64> {
        records
            .iter()
            .filter(|r| r.round == round)
            .filter_map(|r| r.metrics.get(metric).map(|v| (r.seed, *v)))
            .filter(|(_, v)| v.is_finite())
            .collect()
    };
    let (a, b) = (by_seed(0), by_seed(last));
    let seeds: Vec<u64> = a.keys().filter(|s| b.contains_key(s)).copied().collect();
    let x: Vec<f64> = seeds.iter().map(|s| a[s]).collect();
    let y: Vec<f64> = seeds.iter().map(|s| b[s]).collect();
    paired_comparison(&x, &y, 0.05, 0.8, derive_seed(0, metric)).ok()
}

/// Counts of groups `a` and `b` in one round's pools, summed over labels and seeds.
pub fn pooled_counts(records: &[ResultRecord], round: u32, groups: &GroupPair) -> (u64, u64) {
    let (suffix_a, suffix_b) = (format!(".{}", groups.a), format!(".{}", groups.b));
    let mut counts = (0u64, 0u64);
    for r in records.iter().filter(|r| r.round == round) {
        for (k, v) in &r.metrics {
            let Some(rest) = k.strip_prefix("generator_count.") else {
                continue;
            };
            if rest.ends_with(&suffix_a) {
                counts.0 += *v as u64;
            } else if rest.ends_with(&suffix_b) {
                counts.1 += *v as u64;
            }
        }
    }
    counts
}

/// The report section of the chains' records (empty when there are none), and its
/// finding sentence.
pub fn section(records: &[ResultRecord], task: &dyn Task, headline: &str) -> (String, String) {
    if records.is_empty() {
        return (String::new(), String::new());
    }
    let g = task.groups();
    let mut md = String::new();
    let _ = writeln!(
        md,
        "## Multi-round self-augmentation\n\nEach round trains on D_o mixed at γ = {} with what the previous round's fine-tuned model wrote under neutral prompts (round 0: the base generator, a fresh draw per seed); no mitigation. The control chain starts from the same draw with the majority group's surplus dropped per label (parity). Counts of `{a}` and `{b}` (inferred from the text) are summed over labels and seeds; the exact binomial test compares them with 50/50, Fisher's exact test compares round 0 with the last round. Other columns: mean ± 95% CI half-width over seeds. Generator imbalance: mean over labels of |share of `{a}` − 0.5| (0 = parity); distinct-2 falls as the generator repeats itself.\n",
        records[0].gamma,
        a = g.a,
        b = g.b
    );
    let mut findings = Vec::new();
    for (kind, title) in [
        (SELF_AUGMENTATION, "Main chain"),
        (
            SELF_AUGMENTATION_BALANCED,
            "Control chain (round 0 balanced)",
        ),
    ] {
        let chain: Vec<ResultRecord> = records
            .iter()
            .filter(|r| r.bias_type == kind)
            .cloned()
            .collect();
        if chain.is_empty() {
            continue;
        }
        let (table, finding) = chain_table(&chain, g, headline);
        let _ = writeln!(md, "### {title}\n\n{table}");
        if !finding.is_empty() {
            let _ = writeln!(md, "{finding}\n");
            findings.push(format!("{title}: {finding}"));
        }
    }
    (md, findings.join(" "))
}

/// One chain's table and its finding sentence.
fn chain_table(records: &[ResultRecord], g: &GroupPair, headline: &str) -> (String, String) {
    let rounds = records.iter().map(|r| r.round).max().unwrap_or(0) + 1;
    let fmt = |(m, h, _): (f64, f64, usize)| {
        if !m.is_finite() {
            "–".to_owned()
        } else if h.is_finite() {
            format!("{m:.3} ± {h:.3}")
        } else {
            format!("{m:.3}")
        }
    };
    let mut md = format!(
        "| round | `{a}` : `{b}` (pooled) | `{a}` share | exact p (50/50) | generator imbalance | distinct-2 | `{headline}` | seeds |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        a = g.a,
        b = g.b
    );
    for round in 0..rounds {
        let (a, b) = pooled_counts(records, round, g);
        let (share, p) = if a + b > 0 {
            (
                format!("{:.3}", a as f64 / (a + b) as f64),
                binomial_test(a, a + b, 0.5).map_or("–".to_owned(), fmt_p),
            )
        } else {
            ("–".to_owned(), "–".to_owned())
        };
        let head = per_round(records, round, headline);
        let _ = writeln!(
            md,
            "| {round} | {a} : {b} | {share} | {p} | {} | {} | {} | {} |",
            fmt(per_round(records, round, "generator_imbalance")),
            fmt(per_round(records, round, "distinct_2")),
            fmt(head),
            head.2
        );
    }
    let last = rounds - 1;
    if last == 0 {
        return (md, String::new());
    }
    let ((a0, b0), (al, bl)) = (
        pooled_counts(records, 0, g),
        pooled_counts(records, last, g),
    );
    let fisher = fisher_exact([[a0, b0], [al, bl]]).map_or("no test (no counts)".to_owned(), |p| {
        format!("Fisher's exact p = {}", fmt_p(p))
    });
    let paired = |metric: &str| -> String {
        match first_vs_last(records, metric) {
            Some(c) if c.n >= 2 => format!(
                "{:.3} → {:.3} (t-test p = {}, exact sign-flip p = {}, {} seeds)",
                c.mean_x,
                c.mean_y,
                if c.zero_variance {
                    "none: zero variance".to_owned()
                } else {
                    fmt_p(c.t_p())
                },
                fmt_p(c.sign_flip.p_value),
                c.n
            ),
            Some(c) => format!("{:.3} → {:.3} (one seed: no test)", c.mean_x, c.mean_y),
            None => "not measured".to_owned(),
        }
    };
    let share = |(a, b): (u64, u64)| {
        if a + b > 0 {
            format!("{:.3}", a as f64 / (a + b) as f64)
        } else {
            "–".to_owned()
        }
    };
    let finding = format!(
        "Over {rounds} rounds the pooled share of `{}` went from {} (round 0) to {} ({fisher}); the generator imbalance {}; `{headline}` {}.",
        g.a,
        share((a0, b0)),
        share((al, bl)),
        paired("generator_imbalance"),
        paired(headline),
    );
    (md, finding)
}
