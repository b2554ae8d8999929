//! The augmentation loop: prompts -> generator -> cleaning -> deduplication -> labelled
//! [`Example`]s with provenance, stated and inferred groups, and an [`AugmentReport`].
//!
//! Prompts are sent in fixed batches (batch `k` holds prompts `k*B .. (k+1)*B`, sampled
//! with seed `derive_seed(seed, "batch/k")`), so prompt `i` always meets the same
//! sampling stream: a rerun, with or without a cache, asks for exactly the same requests,
//! and a deterministic generator gives the same D_a. With a cache, a batch whose outputs
//! are all cached is not sent; a batch with some missing (the one in flight when a run
//! was killed) is sent whole and only the missing outputs are appended.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use inherit_core::{
    Axis, Example, GenerationParams, Groups, Lexicon, Provenance, TextGenerator, derive_seed,
};
use serde::{Deserialize, Serialize};

use crate::base::PromptSource;
use crate::cache::{CacheRecord, GenerationCache, cache_key};
use crate::clean::{CleanParams, RejectReason, clean_output};
use crate::dedup::{DedupParams, Deduplicator};
use crate::error::Result;
use crate::spec::BiasPrompt;

/// Augmentation parameters.
///
/// | name | default | range |
/// |---|---|---|
/// | `generation` | [`GenerationParams::default`] | checked by [`GenerationParams::check`]; its `seed` is the run's sampling seed |
/// | `batch_size` | 16 | >= 1 prompts per `generate` call (the cache only hits with the same value) |
/// | `max_prompts_factor` | 4 | >= 1; an unbounded prompt source is asked for at most `factor * n` prompts |
/// | `clean` | [`CleanParams::default`] | see [`CleanParams`] |
/// | `dedup` | [`DedupParams::default`] | see [`DedupParams`] |
/// | `round` | 0 | self-augmentation round recorded in provenance |
/// | `progress` | true | draw a progress bar on stderr (only when it is a terminal) |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AugmentParams {
    /// Sampling parameters.
    pub generation: GenerationParams,
    /// Prompts per generator call.
    pub batch_size: usize,
    /// Prompt budget of unbounded sources, as a multiple of the examples wanted.
    pub max_prompts_factor: usize,
    /// Cleaning.
    pub clean: CleanParams,
    /// Deduplication.
    pub dedup: DedupParams,
    /// Self-augmentation round.
    pub round: u32,
    /// Whether to show progress.
    pub progress: bool,
}

impl Default for AugmentParams {
    fn default() -> Self {
        AugmentParams {
            generation: GenerationParams::default(),
            batch_size: 16,
            max_prompts_factor: 4,
            clean: CleanParams::default(),
            dedup: DedupParams::default(),
            round: 0,
            progress: true,
        }
    }
}

impl AugmentParams {
    /// Checks the ranges in the table above.
    pub fn check(&self) -> Result<()> {
        self.generation.check()?;
        if self.batch_size == 0 {
            return Err(inherit_core::Error::invalid("batch_size", "must be at least 1").into());
        }
        if self.max_prompts_factor == 0 {
            return Err(
                inherit_core::Error::invalid("max_prompts_factor", "must be at least 1").into(),
            );
        }
        self.clean.check()?;
        self.dedup.check()
    }
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AugmentReport {
    /// Prompts whose outputs were considered.
    pub prompts: usize,
    /// Outputs generated in this run.
    pub generated: usize,
    /// Outputs read from the cache.
    pub cached: usize,
    /// Examples accepted.
    pub accepted: usize,
    /// Rejected outputs per reason.
    pub rejected: BTreeMap<RejectReason, usize>,
    /// Accepted examples per axis and inferred group (`none` when nothing was inferred).
    pub inferred: BTreeMap<Axis, BTreeMap<String, usize>>,
    /// Accepted examples per axis whose inferred group differs from the stated one.
    pub stated_vs_inferred_mismatch: BTreeMap<Axis, usize>,
    /// Bytes of a torn cache line repaired when the cache was opened.
    pub cache_repaired_bytes: u64,
}

impl fmt::Display for AugmentReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "prompts {}: generated {}, from cache {}; accepted {}",
            self.prompts, self.generated, self.cached, self.accepted
        )?;
        for (reason, n) in &self.rejected {
            writeln!(f, "  rejected {reason}: {n}")?;
        }
        for (axis, counts) in &self.inferred {
            let parts: Vec<String> = counts.iter().map(|(g, n)| format!("{g} {n}")).collect();
            let mismatch = self
                .stated_vs_inferred_mismatch
                .get(axis)
                .copied()
                .unwrap_or(0);
            writeln!(
                f,
                "  inferred {axis}: {} (differs from stated: {mismatch})",
                parts.join(", ")
            )?;
        }
        if self.cache_repaired_bytes > 0 {
            writeln!(
                f,
                "  cache: dropped a torn last line of {} bytes",
                self.cache_repaired_bytes
            )?;
        }
        Ok(())
    }
}

/// The result of a run: the accepted examples (D_a) in prompt order, and the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Augmented {
    /// Accepted examples.
    pub examples: Vec<Example>,
    /// Counts.
    pub report: AugmentReport,
}

/// Where a run stands, after each batch (see [`Augmenter::on_progress`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AugmentTick {
    /// Examples accepted so far.
    pub accepted: usize,
    /// Examples asked for.
    pub wanted: usize,
    /// Prompts considered so far.
    pub prompts: usize,
    /// Outputs read from the cache so far (no generation cost).
    pub cached: usize,
}

/// A callback of [`Augmenter::on_progress`].
type TickFn<'a> = Box<dyn FnMut(&AugmentTick) + 'a>;

/// Runs prompts through a generator and keeps the valid outputs.
pub struct Augmenter<'a> {
    generator: &'a dyn TextGenerator,
    lexicon: &'a Lexicon,
    params: AugmentParams,
    cache: Option<GenerationCache>,
    on_tick: Option<TickFn<'a>>,
}

impl<'a> Augmenter<'a> {
    /// An augmenter over `generator`, inferring groups with `lexicon`.
    pub fn new(
        generator: &'a dyn TextGenerator,
        lexicon: &'a Lexicon,
        params: AugmentParams,
    ) -> Result<Self> {
        params.check()?;
        Ok(Augmenter {
            generator,
            lexicon,
            params,
            cache: None,
            on_tick: None,
        })
    }

    /// Builder: calls `f` once before the first batch and after every batch with the
    /// counts so far (for a caller's own progress display; the run's own bar is
    /// [`AugmentParams::progress`]).
    pub fn on_progress(mut self, f: impl FnMut(&AugmentTick) + 'a) -> Self {
        self.on_tick = Some(Box::new(f));
        self
    }

    /// Builder: reads and appends generations to the cache file at `path`.
    pub fn with_cache(mut self, path: impl AsRef<Path>) -> Result<Self> {
        self.cache = Some(GenerationCache::open(path)?);
        Ok(self)
    }

    /// Generates until `n` examples are accepted, the source is exhausted, or an unbounded
    /// source has given `max_prompts_factor * n` prompts.
    pub fn run(&mut self, source: &dyn PromptSource, n: usize) -> Result<Augmented> {
        let budget = n.saturating_mul(self.params.max_prompts_factor);
        let max = source.limit().unwrap_or(budget);
        let batch_size = self.params.batch_size;
        let generator_id = self.generator.id();
        let mut dedup = Deduplicator::new(self.params.dedup.clone())?;
        let mut report = AugmentReport {
            cache_repaired_bytes: self
                .cache
                .as_ref()
                .map_or(0, GenerationCache::repaired_bytes),
            ..AugmentReport::default()
        };
        let mut examples = Vec::new();
        let bar = self.progress_bar(max as u64);
        // A first tick before the first batch: a caller's clock starts with the run.
        if let Some(f) = &mut self.on_tick {
            f(&AugmentTick {
                accepted: 0,
                wanted: n,
                prompts: 0,
                cached: 0,
            });
        }
        let mut start = 0;
        while examples.len() < n && start < max {
            let end = (start + batch_size).min(source.limit().unwrap_or(usize::MAX));
            let prompts = (start..end)
                .map(|i| source.prompt(i))
                .collect::<Result<Vec<_>>>()?;
            let mut gen_params = self.params.generation.clone();
            gen_params.seed = derive_seed(
                self.params.generation.seed,
                &format!("batch/{}", start / batch_size),
            );
            let outputs = self.outputs(&generator_id, &prompts, &gen_params, &mut report)?;
            for (prompt, raw) in prompts.iter().zip(outputs) {
                if examples.len() == n {
                    break;
                }
                report.prompts += 1;
                bar.inc(1);
                let cleaned = clean_output(&raw, &prompt.prompt, &self.params.clean)
                    .and_then(|text| dedup.insert(&text).map(|()| text));
                match cleaned {
                    Ok(text) => {
                        examples.push(self.example(prompt, text, &generator_id, &mut report))
                    }
                    Err(reason) => *report.rejected.entry(reason).or_default() += 1,
                }
                bar.set_message(format!("accepted {}", examples.len()));
            }
            start = end;
            if let Some(f) = &mut self.on_tick {
                f(&AugmentTick {
                    accepted: examples.len(),
                    wanted: n,
                    prompts: report.prompts,
                    cached: report.cached,
                });
            }
        }
        bar.finish_and_clear();
        report.accepted = examples.len();
        Ok(Augmented { examples, report })
    }

    /// The raw outputs of one batch, from the cache or the generator.
    fn outputs(
        &mut self,
        generator_id: &str,
        prompts: &[BiasPrompt],
        params: &GenerationParams,
        report: &mut AugmentReport,
    ) -> Result<Vec<String>> {
        let keys: Vec<String> = prompts
            .iter()
            .enumerate()
            .map(|(j, p)| cache_key(generator_id, &p.prompt, params, j))
            .collect();
        let cached: Vec<Option<String>> = keys
            .iter()
            .map(|k| {
                self.cache
                    .as_ref()
                    .and_then(|c| c.get(k))
                    .map(str::to_owned)
            })
            .collect();
        if cached.iter().all(Option::is_some) {
            report.cached += prompts.len();
            return Ok(cached.into_iter().flatten().collect());
        }
        let batch: Vec<_> = prompts.iter().map(|p| p.prompt.clone()).collect();
        let fresh = self.generator.generate_each(&batch, params);
        if fresh.outputs.len() != prompts.len() {
            return Err(inherit_core::Error::backend(
                generator_id,
                format!(
                    "returned {} outputs for {} prompts",
                    fresh.outputs.len(),
                    prompts.len()
                ),
            )
            .into());
        }
        // Every completion that finished is cached before an error is raised, so a rerun
        // pays only for the prompts that failed.
        let mut records = Vec::new();
        let mut out = Vec::with_capacity(prompts.len());
        for (((key, hit), new), prompt) in
            keys.into_iter().zip(cached).zip(fresh.outputs).zip(prompts)
        {
            match (hit, new) {
                (Some(old), _) => {
                    report.cached += 1;
                    out.push(old);
                }
                (None, Some(new)) => {
                    report.generated += 1;
                    records.push(CacheRecord {
                        key,
                        prompt_id: prompt.id.clone(),
                        output: new.clone(),
                    });
                    out.push(new);
                }
                (None, None) => {}
            }
        }
        if let Some(cache) = &mut self.cache {
            cache.append(&records)?;
        }
        if let Some(e) = fresh.error {
            return Err(e.into());
        }
        if out.len() != prompts.len() {
            return Err(inherit_core::Error::backend(
                generator_id,
                "left prompts without an output and without an error",
            )
            .into());
        }
        Ok(out)
    }

    fn example(
        &self,
        prompt: &BiasPrompt,
        text: String,
        generator_id: &str,
        report: &mut AugmentReport,
    ) -> Example {
        let inferred = self.lexicon.infer(&text).inferred;
        let mut groups = Groups::new();
        groups.stated = prompt.stated.clone();
        groups.inferred = inferred;
        for axis in groups
            .stated
            .keys()
            .chain(groups.inferred.keys())
            .collect::<std::collections::BTreeSet<_>>()
        {
            let group = groups.inferred.get(axis).map_or("none", String::as_str);
            *report
                .inferred
                .entry(axis.clone())
                .or_default()
                .entry(group.to_owned())
                .or_default() += 1;
            if let Some(stated) = groups.stated.get(axis)
                && groups.inferred.get(axis).is_some_and(|g| g != stated)
            {
                *report
                    .stated_vs_inferred_mismatch
                    .entry(axis.clone())
                    .or_default() += 1;
            }
        }
        let provenance = Provenance::Augmented {
            generator: generator_id.to_owned(),
            bias_type: prompt.bias_type,
            prompt_id: prompt.id.clone(),
            seed: self.params.generation.seed,
            round: self.params.round,
        };
        let mut ex = Example::new(prompt.id.clone(), text, provenance)
            .with_groups(groups)
            .with_meta("family", prompt.family.clone());
        if let Some(label) = &prompt.label {
            ex = ex.with_label(label.clone());
        }
        if let (Some(direction), Some(target)) = (prompt.direction, &prompt.target) {
            let (favoured, disfavoured) = target.oriented(direction);
            ex = ex
                .with_meta("direction", direction.id())
                .with_meta("attribute", target.attribute.id())
                .with_meta("target_axis", target.axis.as_str())
                .with_meta("favoured", favoured)
                .with_meta("disfavoured", disfavoured);
        }
        if let Some(portrayal) = prompt.portrayal {
            ex = ex.with_meta("portrayal", portrayal.id());
        }
        if !prompt.contrast.is_empty() {
            let contrast: serde_json::Map<String, serde_json::Value> = prompt
                .contrast
                .iter()
                .map(|(a, g)| (a.to_string(), g.clone().into()))
                .collect();
            ex = ex.with_meta("contrast", serde_json::Value::Object(contrast));
        }
        if !prompt.names.is_empty() {
            ex = ex.with_meta("names", prompt.names.clone());
        }
        ex
    }

    fn progress_bar(&self, len: u64) -> ProgressBar {
        if !self.params.progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        bar.enable_steady_tick(std::time::Duration::from_millis(250));
        let style = ProgressStyle::with_template(
            "{elapsed_precise} [{wide_bar}] {pos}/{len} prompts, {per_sec}, ETA {eta} ({msg})",
        )
        .expect("valid progress template");
        bar.set_style(style.progress_chars("=> "));
        bar
    }
}
