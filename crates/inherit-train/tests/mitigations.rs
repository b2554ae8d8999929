//! Mitigation hooks end to end: example weights and an alignment loss.

mod common;

use std::sync::Arc;

use common::*;
use inherit_core::{Dataset, Embedder, Example, Provenance, TextClassifier, seeded_rng};
use inherit_train::{BagOfEmbeddingsConfig, BatchSampling, ClassifierTrainer, TrainParams};

fn params() -> TrainParams {
    quiet(TrainParams {
        epochs: 8,
        batch_size: 32,
        learning_rate: 0.02,
        early_stopping: None,
        seed: 4,
        ..Default::default()
    })
}

fn cfg() -> BagOfEmbeddingsConfig {
    BagOfEmbeddingsConfig {
        embed_dim: 24,
        ..Default::default()
    }
}

/// `n` texts with the class-`a` word `alpha` labelled `b`, carrying `meta.weight`.
fn flipped(n: usize, weight: f64, seed: u64) -> Vec<Example> {
    let mut rng = seeded_rng(seed);
    (0..n)
        .map(|i| {
            Example::new(
                format!("flip-{i}"),
                text(&mut rng, 0, Some(0), &[]),
                Provenance::original("flip"),
            )
            .with_label("b")
            .with_meta("weight", weight)
        })
        .collect()
}

fn with_extra(base: &Dataset, extra: Vec<Example>) -> Dataset {
    let mut ex = base.examples.clone();
    ex.extend(extra);
    Dataset::with_labels("mixed", base.labels.clone(), ex).unwrap()
}

fn train_and_test(train: &Dataset, test: &Dataset) -> (f64, Vec<Vec<f32>>) {
    let tok = tokenizer_for(train, 32);
    let (model, _) = ClassifierTrainer::new(params())
        .unwrap()
        .with_mitigation(Arc::new(WeightFromMeta))
        .fit(&cfg(), tok, train, None)
        .unwrap();
    let acc = accuracy(&model.predict(&texts(test)).unwrap(), test);
    (acc, model.predict_proba(&texts(test)).unwrap())
}

#[test]
fn zero_weights_silence_examples_and_up_weighting_shifts_decisions() {
    let clean = separable("train", 400, 41);
    let test = separable("test", 400, 42);
    let (acc_clean, _) = train_and_test(&clean, &test);
    let (acc_zero, _) = train_and_test(&with_extra(&clean, flipped(200, 0.0, 43)), &test);
    let (acc_one, _) = train_and_test(&with_extra(&clean, flipped(200, 1.0, 43)), &test);
    // ~10% of test texts carry `alpha` (1 of 10 class words). With weight 1 the 200
    // flipped examples outvote the ~40 clean ones and those texts flip; with weight 0
    // nothing changes beyond batch-order noise.
    assert!(acc_clean >= 0.95, "{acc_clean}");
    assert!(
        (acc_zero - acc_clean).abs() <= 0.02,
        "clean {acc_clean} vs zero-weighted {acc_zero}"
    );
    assert!(
        acc_one < acc_clean - 0.05,
        "control: weight-1 flips gave {acc_one} vs {acc_clean}"
    );

    // Up-weighting: 40 flipped `alpha` examples against ~40 clean ones; P(b | alpha
    // texts) grows with their weight.
    let alpha_texts: Dataset = {
        let mut rng = seeded_rng(44);
        let ex = (0..100)
            .map(|i| {
                Example::new(
                    format!("q{i}"),
                    text(&mut rng, 0, Some(0), &[]),
                    Provenance::original("q"),
                )
                .with_label("a")
            })
            .collect();
        Dataset::with_labels("alpha", clean.labels.clone(), ex).unwrap()
    };
    let p_b = |weight| {
        let (_, probs) = train_and_test(&with_extra(&clean, flipped(40, weight, 45)), &alpha_texts);
        probs.iter().map(|p| f64::from(p[1])).sum::<f64>() / probs.len() as f64
    };
    let (low, high) = (p_b(0.25), p_b(4.0));
    eprintln!(
        "accuracy clean {acc_clean} zero-weighted {acc_zero} weight-1 {acc_one}; P(b|alpha) {low} -> {high}"
    );
    assert!(
        high > low + 0.2,
        "P(b|alpha): weight 0.25 -> {low}, weight 4 -> {high}"
    );
}

/// Originals carry no marker; augmented examples carry a label-correlated spurious token
/// (`spura` for class a, `spurb` for class b).
fn spurious_dataset(n: usize, seed: u64) -> Dataset {
    let mut rng = seeded_rng(seed);
    let labels = vec!["a".to_owned(), "b".to_owned()];
    let ex = (0..n)
        .map(|i| {
            let label = i % 2;
            let aug = (i / 2) % 2 == 1;
            let extra: &[&str] = match (aug, label) {
                (false, _) => &[],
                (true, 0) => &["spura", "spura"],
                (true, _) => &["spurb", "spurb"],
            };
            let prov = if aug {
                augmented_provenance()
            } else {
                Provenance::original("orig")
            };
            Example::new(format!("s{i}"), text(&mut rng, label, None, extra), prov)
                .with_label(labels[label].clone())
        })
        .collect();
    Dataset::with_labels("spurious", labels, ex).unwrap()
}

fn mean_gap(model: &dyn Embedder, data: &Dataset) -> f64 {
    let emb = model.embed(&texts(data)).unwrap();
    let d = model.dim();
    let mut sums = [vec![0.0f64; d], vec![0.0f64; d]];
    let mut counts = [0.0f64; 2];
    for (e, v) in data.examples.iter().zip(&emb) {
        let k = usize::from(e.is_augmented());
        counts[k] += 1.0;
        for (s, x) in sums[k].iter_mut().zip(v) {
            *s += f64::from(*x);
        }
    }
    (0..d)
        .map(|j| (sums[1][j] / counts[1] - sums[0][j] / counts[0]).powi(2))
        .sum::<f64>()
        .sqrt()
}

#[test]
fn align_loss_shrinks_the_original_vs_augmented_embedding_gap() {
    let train = spurious_dataset(400, 51);
    let held_out = spurious_dataset(200, 52);
    let tok = tokenizer_for(&train, 32);
    let p = TrainParams {
        sampling: BatchSampling::MixedSources,
        ..params()
    };
    let fit = |align: Option<f32>| {
        let mut t = ClassifierTrainer::new(p.clone()).unwrap();
        if let Some(l) = align {
            t = t.with_mitigation(Arc::new(AlignLoss(l)));
        }
        let (m, report) = t.fit(&cfg(), tok.clone(), &train, None).unwrap();
        (m, report)
    };
    let (plain, _) = fit(None);
    let (aligned, report) = fit(Some(5.0));
    assert!(
        report.epochs.iter().all(|e| e.extra_loss > 0.0),
        "{:?}",
        report.epochs
    );
    let (gap_plain, gap_aligned) = (mean_gap(&plain, &held_out), mean_gap(&aligned, &held_out));
    eprintln!("mean-embedding gap: plain {gap_plain}, aligned {gap_aligned}");
    assert!(
        gap_aligned < 0.5 * gap_plain,
        "gap without alignment {gap_plain}, with {gap_aligned}"
    );
    // The task is still learnt.
    let acc = accuracy(&aligned.predict(&texts(&held_out)).unwrap(), &held_out);
    assert!(acc >= 0.95, "{acc}");
}
