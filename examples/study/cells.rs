//! Step 5 of the study: one cell = (bias type, γ, mitigation, seed): mix, mitigate, train
//! the downstream classifier, evaluate on the balanced test set.

use std::collections::BTreeMap;
use std::sync::Arc;

use inherit::core::{Axis, Dataset, TextClassifier, derive_seed, seeded_rng};
use inherit::eval::report::ResultRecord;
use inherit::eval::{Metric, MetricFrame, Sample, SensitiveFeature, bias_amplification, tpr_gaps};
use inherit::mitigate::{Mitigation, MitigationStack, SpecContext};
use inherit::mix::{MixParams, mix};
use inherit::train::{
    BagOfEmbeddingsConfig, BatchSampling, ClassifierTrainer, DeviceSpec, TextTokenizer,
    TokenizerConfig, TokenizerKind, TrainParams, TransformerClassifierConfig,
};

use crate::config::ClassifierConfig;
use crate::run::BoxResult;

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
}

impl Cell {
    /// True when `record` is this cell's result.
    pub fn matches(&self, record: &ResultRecord) -> bool {
        record.bias_type == self.bias_type
            && record.gamma == self.gamma
            && record.mitigation == self.mitigation
            && record.seed == self.seed
    }
}

/// What every cell shares.
pub struct CellContext<'a> {
    /// D_o.
    pub original: &'a Dataset,
    /// The balanced test set.
    pub test: &'a Dataset,
    /// Parses mitigation specs (holds the masking lexicon).
    pub specs: &'a SpecContext,
    /// The classifier's settings.
    pub classifier: &'a ClassifierConfig,
    /// Training device.
    pub device: &'a DeviceSpec,
}

/// The gender of an example: stated, else inferred, else `unknown`.
fn gender(e: &inherit::core::Example) -> String {
    e.groups
        .value(&Axis::Gender)
        .unwrap_or("unknown")
        .to_owned()
}

/// Runs one cell against the pool `augmented` and returns its result record.
pub fn run_cell(
    ctx: &CellContext<'_>,
    cell: &Cell,
    augmented: &Dataset,
) -> BoxResult<ResultRecord> {
    // A pool a few examples short of a label's share (the generator's outputs can be
    // rejected) is topped up by drawing with replacement; the count is reported.
    let mix_params = MixParams {
        with_replacement: true,
        ..MixParams::new(cell.gamma, derive_seed(cell.seed, "mix"))
    };
    let mixed = mix(ctx.original, augmented, &mix_params.check()?)?;
    let repeated = mixed.report.n_repeated;
    let stack = MitigationStack::parse(&cell.mitigation, ctx.specs)?;
    let train = stack.prepare(
        mixed.dataset,
        &mut seeded_rng(derive_seed(cell.seed, "mitigate")),
    )?;
    let test = stack.prepare_eval(ctx.test.clone())?;

    let texts: Vec<&str> = train.examples.iter().map(|e| e.text.as_str()).collect();
    let tokenizer = TextTokenizer::train(
        &TokenizerConfig {
            // Whole words: the bag-of-embeddings model is fastText-like, and word-level
            // training is deterministic across processes (subword trainers are not).
            kind: TokenizerKind::WordLevel,
            vocab_size: ctx.classifier.vocab_size,
            max_length: ctx.classifier.max_len,
            ..Default::default()
        },
        &texts,
    )?;
    let both_sources = train.examples.iter().any(|e| e.is_augmented())
        && train.examples.iter().any(|e| !e.is_augmented());
    let params = TrainParams {
        epochs: ctx.classifier.epochs,
        batch_size: ctx.classifier.batch_size,
        learning_rate: ctx.classifier.learning_rate,
        early_stopping: None,
        // Batches with both sources, so a loss-based mitigation sees both in every batch.
        sampling: if both_sources {
            BatchSampling::MixedSources
        } else {
            BatchSampling::Shuffle
        },
        seed: derive_seed(cell.seed, "train"),
        progress: false,
        device: *ctx.device,
        ..Default::default()
    };
    let trainer =
        ClassifierTrainer::new(params)?.with_mitigation(Arc::new(stack) as Arc<dyn Mitigation>);
    let texts: Vec<String> = test.examples.iter().map(|e| e.text.clone()).collect();
    let (predictions, labels, model_id) = match ctx.classifier.model.as_str() {
        "transformer" => {
            let cfg = TransformerClassifierConfig {
                d_model: ctx.classifier.embed_dim,
                ..Default::default()
            };
            let (model, _) = trainer.fit(&cfg, tokenizer, &train, None)?;
            (
                model.predict(&texts)?,
                model.labels().to_vec(),
                "transformer-classifier",
            )
        }
        _ => {
            let cfg = BagOfEmbeddingsConfig {
                embed_dim: ctx.classifier.embed_dim,
                ..Default::default()
            };
            let (model, _) = trainer.fit(&cfg, tokenizer, &train, None)?;
            (
                model.predict(&texts)?,
                model.labels().to_vec(),
                "bag-of-embeddings",
            )
        }
    };

    let y_true: Vec<usize> = test
        .examples
        .iter()
        .map(|e| {
            e.label
                .as_deref()
                .and_then(|l| labels.iter().position(|x| x == l))
                .ok_or_else(|| format!("test example `{}` has a label unknown to the model", e.id))
        })
        .collect::<Result<_, _>>()?;
    let groups: Vec<String> = test.examples.iter().map(gender).collect();
    let mut metrics = evaluate(&labels, &y_true, &predictions, &groups, &train)?;
    metrics.insert("mix_repeated".into(), repeated as f64);
    Ok(ResultRecord {
        task: "occupation".into(),
        bias_type: cell.bias_type.clone(),
        gamma: cell.gamma,
        mitigation: cell.mitigation.clone(),
        seed: cell.seed,
        model: model_id.into(),
        metrics,
        ci: BTreeMap::new(),
    })
}

/// The cell's metrics: accuracy overall and per gender, the female − male accuracy gap,
/// per-occupation TPR gaps with their mean-absolute and RMS summaries, the largest
/// demographic-parity gap over occupations, and bias amplification over the training mix.
fn evaluate(
    labels: &[String],
    y_true: &[usize],
    y_pred: &[usize],
    groups: &[String],
    train: &Dataset,
) -> BoxResult<BTreeMap<String, f64>> {
    let sample = Sample::new(y_true, y_pred);
    let mut wanted = vec![Metric::Accuracy, Metric::MacroF1];
    wanted.extend((0..labels.len()).map(Metric::SelectionRate));
    let frame = MetricFrame::new(
        &wanted,
        sample,
        &[SensitiveFeature::new("gender", groups.iter().cloned())],
    )?;
    let mut m = BTreeMap::new();
    m.insert("accuracy".into(), frame.overall("accuracy")?);
    m.insert("macro_f1".into(), frame.overall("macro_f1")?);
    let acc = frame.by_group("accuracy")?;
    let (af, am) = (
        acc.get("female").copied().unwrap_or(f64::NAN),
        acc.get("male").copied().unwrap_or(f64::NAN),
    );
    m.insert("accuracy_female".into(), af);
    m.insert("accuracy_male".into(), am);
    m.insert("accuracy_gap".into(), af - am);
    let mut dp_max: f64 = 0.0;
    for c in 0..labels.len() {
        let sr = frame.by_group(&format!("selection_rate[{c}]"))?;
        if let (Some(f), Some(ma)) = (sr.get("female"), sr.get("male")) {
            dp_max = dp_max.max((f - ma).abs());
        }
    }
    m.insert("dp_gap_max".into(), dp_max);
    let gaps = tpr_gaps(sample, groups, "female", "male")?;
    m.insert("tpr_gap_mean_abs".into(), gaps.mean_abs);
    m.insert("tpr_gap_rms".into(), gaps.rms);
    for g in &gaps.per_class {
        m.insert(format!("tpr_gap.{}", labels[g.class]), g.tpr_a - g.tpr_b);
    }
    let train_labels: Vec<String> = train
        .examples
        .iter()
        .map(|e| e.label.clone().unwrap_or_default())
        .collect();
    let train_groups: Vec<String> = train.examples.iter().map(gender).collect();
    let pred_labels: Vec<String> = y_pred.iter().map(|&p| labels[p].clone()).collect();
    let amp = bias_amplification(&train_labels, &train_groups, &pred_labels, groups)?;
    m.insert("bias_amplification".into(), amp.value);
    Ok(m)
}
