//! Steps 3 and 4 of the study: the generator's own group imbalance under neutral prompts,
//! and the augmented pools D_a, one per bias type (cached and resumable through the
//! augmenter's generation cache).

use std::collections::BTreeMap;
use std::path::Path;

use inherit::augment::{
    AugmentParams, AugmentReport, Augmenter, NameTable, PromptBuilder, PromptSpec, Templates,
};
use inherit::core::{Axis, BiasType, Dataset, GenerationParams, Lexicon, TextGenerator};
use inherit::eval::misalign::{GroupDistribution, GroupSource, TargetTest};
use serde::Serialize;

use crate::config::GeneratorConfig;
use crate::run::BoxResult;

/// The prompt wording of an occupation label of the suite (`software_engineer` ->
/// `software engineer`).
fn prompt_label(label: &str) -> String {
    label.replace('_', " ")
}

/// The suite label of a prompt label (`software engineer` -> `software_engineer`).
fn suite_label(label: &str) -> String {
    label.replace(' ', "_")
}

/// Everything the generation steps need.
pub struct GenerationContext<'a> {
    /// The generator.
    pub generator: &'a dyn TextGenerator,
    /// Lexicon for inferred groups.
    pub lexicon: &'a Lexicon,
    /// Templates and names of the prompt families.
    pub templates: &'a Templates,
    /// Names used in prompts.
    pub names: &'a NameTable,
    /// Sampling and batching.
    pub config: &'a GeneratorConfig,
    /// The occupations (suite labels).
    pub labels: &'a [String],
    /// The append-only generation cache.
    pub cache: &'a Path,
    /// Show progress bars.
    pub progress: bool,
}

impl GenerationContext<'_> {
    /// Generates `n` accepted examples for `bias_type`, relabelled to suite labels and with
    /// occupation titles scrubbed (as Bias in Bios removes the title sentence).
    pub fn generate(&self, bias_type: BiasType, n: usize) -> BoxResult<(Dataset, AugmentReport)> {
        let spec = PromptSpec::new("occupation", bias_type)
            .labels(self.labels.iter().map(|l| prompt_label(l)))
            .seed(self.config.seed);
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
            progress: self.progress,
            ..AugmentParams::default()
        };
        let out = Augmenter::new(self.generator, self.lexicon, params)?
            .with_cache(self.cache)?
            .run(&prompts, n)?;
        let examples = out
            .examples
            .into_iter()
            .map(|mut e| {
                e.label = e.label.as_deref().map(suite_label);
                e.text = inherit::data::scrub_titles(&e.text);
                e
            })
            .collect();
        let data = Dataset::with_labels(
            format!("augmented-{bias_type}"),
            self.labels.to_vec(),
            examples,
        )?;
        Ok((data, out.report))
    }
}

/// The generator's gender balance per occupation under neutral prompts.
#[derive(Debug, Clone, Serialize)]
pub struct Imbalance {
    /// Inferred gender counts per occupation and overall.
    pub distribution: GroupDistribution,
    /// χ² tests of each occupation's female/male counts against 50/50.
    pub tests: Vec<TargetTest>,
    /// Texts whose gender could not be inferred, per occupation.
    pub undetermined: BTreeMap<String, usize>,
}

/// Step 3: neutral prompts, inferred gender counts, χ² against parity.
pub fn measure_imbalance(
    ctx: &GenerationContext<'_>,
    n_per_label: usize,
) -> BoxResult<(Imbalance, Dataset)> {
    let (data, _) = ctx.generate(BiasType::Neutral, n_per_label * ctx.labels.len())?;
    let distribution = GroupDistribution::from_dataset(&data, &Axis::Gender, GroupSource::Inferred);
    let parity = BTreeMap::from([("female".to_owned(), 0.5), ("male".to_owned(), 0.5)]);
    let tests = distribution.test_against(&parity)?;
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
