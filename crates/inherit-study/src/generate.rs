//! The generation stages: the generator's own group imbalance under neutral prompts
//! (group data misalignment), and the augmented pools D_a, one per bias type (cached and
//! resumable through the augmenter's append-only generation cache).

use std::collections::BTreeMap;
use std::path::Path;

use inherit_augment::{
    AugmentParams, AugmentReport, AugmentTick, Augmenter, NameTable, PromptBuilder, Templates,
};
use inherit_core::{BiasType, Dataset, GenerationParams, Lexicon, TextGenerator};
use inherit_eval::misalign::{GroupDistribution, GroupSource, TargetTest};
use serde::{Deserialize, Serialize};

use crate::config::GeneratorConfig;
use crate::error::Result;
use crate::task::Task;

/// A callback of [`GenerationContext::progress`]: the pool's name and the counts so far.
pub type GenerationProgress<'a> = dyn Fn(&str, &AugmentTick) + 'a;

/// Everything the generation stages need.
pub struct GenerationContext<'a> {
    /// The generator.
    pub generator: &'a dyn TextGenerator,
    /// The task (prompt family, labels, adoption of outputs).
    pub task: &'a dyn Task,
    /// Lexicon for inferred groups.
    pub lexicon: &'a Lexicon,
    /// Templates of the prompt families.
    pub templates: &'a Templates,
    /// Names used in prompts.
    pub names: &'a NameTable,
    /// Sampling and batching.
    pub config: &'a GeneratorConfig,
    /// The task's labels.
    pub labels: &'a [String],
    /// The append-only generation cache.
    pub cache: &'a Path,
    /// Called after each generation batch with the pool's name (`neutral` or the bias
    /// type) and the counts so far.
    pub progress: Option<&'a GenerationProgress<'a>>,
}

impl GenerationContext<'_> {
    /// Generates `n` accepted examples under `bias_type`, adopted by the task.
    pub fn generate(&self, bias_type: BiasType, n: usize) -> Result<(Dataset, AugmentReport)> {
        let spec = self
            .task
            .prompt_spec(bias_type, self.labels, self.config.seed);
        let prompts = PromptBuilder::new(spec, self.templates, self.names)?;
        let params = AugmentParams {
            generation: GenerationParams {
                max_tokens: self.config.max_tokens,
                temperature: self.config.temperature,
                top_p: self.config.top_p,
                seed: self.config.seed,
                ..GenerationParams::default()
            },
            batch_size: self.config.batch_size,
            // The library prints nothing; the study reports stages through its callback.
            progress: false,
            ..AugmentParams::default()
        };
        let pool = bias_type.to_string();
        let mut augmenter =
            Augmenter::new(self.generator, self.lexicon, params)?.with_cache(self.cache)?;
        if let Some(f) = self.progress {
            augmenter = augmenter.on_progress(move |tick| f(&pool, tick));
        }
        let out = augmenter.run(&prompts, n)?;
        let examples = self.task.adopt(out.examples);
        let data = Dataset::with_labels(
            format!("augmented-{bias_type}"),
            self.labels.to_vec(),
            examples,
        )?;
        Ok((data, out.report))
    }
}

/// The generator's group balance per label under neutral prompts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Imbalance {
    /// Inferred group counts per label and overall.
    pub distribution: GroupDistribution,
    /// χ² tests of each label's counts of the two compared groups against 50/50.
    pub tests: Vec<TargetTest>,
    /// Texts whose group could not be inferred, per label.
    pub undetermined: BTreeMap<String, usize>,
}

/// Neutral prompts, inferred group counts (every group of the axis), χ² of the two
/// compared groups' counts against parity.
pub fn measure_imbalance(
    ctx: &GenerationContext<'_>,
    n_per_label: usize,
) -> Result<(Imbalance, Dataset)> {
    let (data, _) = ctx.generate(BiasType::Neutral, n_per_label * ctx.labels.len())?;
    let groups = ctx.task.groups();
    let distribution = GroupDistribution::from_dataset(&data, &groups.axis, GroupSource::Inferred);
    let parity = BTreeMap::from([(groups.a.clone(), 0.5), (groups.b.clone(), 0.5)]);
    let tests = distribution
        .restricted_to(&[groups.a.as_str(), groups.b.as_str()])
        .test_against(&parity)?;
    let undetermined = distribution
        .per_label
        .iter()
        .map(|(label, counts)| (label.clone(), counts.missing))
        .collect();
    Ok((
        Imbalance {
            distribution,
            tests,
            undetermined,
        },
        data,
    ))
}
