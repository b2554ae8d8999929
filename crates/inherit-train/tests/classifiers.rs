//! Classifier training: accuracy, determinism, checkpoints, BatchView contract.

mod common;

use std::sync::Arc;

use common::*;
use inherit_core::{Embedder, TextClassifier};
use inherit_train::{
    BagOfEmbeddings, BagOfEmbeddingsConfig, BatchSampling, ClassifierTrainer, TrainParams,
    TrainedClassifier, TransformerClassifier, TransformerClassifierConfig,
};

fn bag_params(seed: u64) -> TrainParams {
    quiet(TrainParams {
        epochs: 8,
        batch_size: 32,
        learning_rate: 0.02,
        seed,
        ..Default::default()
    })
}

#[test]
fn bag_of_embeddings_learns_a_separable_task() {
    let train = separable("train", 400, 1);
    let val = separable("val", 100, 2);
    let test = separable("test", 300, 3);
    let tok = tokenizer_for(&train, 32);
    let cfg = BagOfEmbeddingsConfig {
        embed_dim: 32,
        hidden_dim: Some(16),
        ..Default::default()
    };
    let trainer = ClassifierTrainer::new(bag_params(7)).unwrap();
    let (model, report) = trainer.fit(&cfg, tok, &train, Some(&val)).unwrap();
    let acc = accuracy(&model.predict(&texts(&test)).unwrap(), &test);
    assert!(acc >= 0.95, "test accuracy {acc}; log {:?}", report.epochs);
    // Logs are returned per epoch with validation metrics, and the loss fell.
    let first = &report.epochs[0];
    let last = report.epochs.last().unwrap();
    assert!(first.validation.is_some());
    assert!(last.train_loss < first.train_loss, "{:?}", report.epochs);
    assert_eq!(
        model.embed(&texts(&test)[..3]).unwrap()[0].len(),
        model.dim()
    );
    assert_eq!(model.dim(), 16);
}

#[test]
fn transformer_learns_a_separable_task() {
    let train = separable("train", 400, 11);
    let val = separable("val", 100, 12);
    let test = separable("test", 300, 13);
    let tok = tokenizer_for(&train, 16);
    let cfg = TransformerClassifierConfig {
        d_model: 32,
        heads: 2,
        layers: 1,
        d_ff: 64,
        max_length: 16,
        dropout: 0.1,
        ..Default::default()
    };
    let params = quiet(TrainParams {
        epochs: 6,
        batch_size: 32,
        learning_rate: 3e-3,
        warmup_steps: 10,
        seed: 3,
        ..Default::default()
    });
    let (model, report) = ClassifierTrainer::new(params)
        .unwrap()
        .fit(&cfg, tok, &train, Some(&val))
        .unwrap();
    let acc = accuracy(&model.predict(&texts(&test)).unwrap(), &test);
    assert!(acc >= 0.95, "test accuracy {acc}; log {:?}", report.epochs);
    assert_eq!(model.dim(), 32);
}

fn small_transformer() -> TransformerClassifierConfig {
    TransformerClassifierConfig {
        d_model: 16,
        heads: 2,
        layers: 1,
        d_ff: 32,
        max_length: 16,
        dropout: 0.2,
        ..Default::default()
    }
}

#[test]
fn same_seed_gives_identical_predictions_and_checkpoints_round_trip() {
    let train = separable("train", 200, 21);
    let test = separable("test", 50, 22);
    let tok = tokenizer_for(&train, 16);
    let cfg = BagOfEmbeddingsConfig {
        embed_dim: 16,
        hidden_dim: Some(8),
        dropout: 0.3,
        ..Default::default()
    };
    let run = |seed| {
        let t = ClassifierTrainer::new(TrainParams {
            epochs: 2,
            ..bag_params(seed)
        })
        .unwrap();
        t.fit(&cfg, tok.clone(), &train, None).unwrap().0
    };
    let a = run(5);
    let b = run(5);
    let c = run(6);
    let pa = a.predict_proba(&texts(&test)).unwrap();
    assert_eq!(pa, b.predict_proba(&texts(&test)).unwrap());
    assert_ne!(pa, c.predict_proba(&texts(&test)).unwrap());

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bag");
    a.save(&path).unwrap();
    // Saving again over an existing checkpoint replaces it.
    a.save(&path).unwrap();
    let back = TrainedClassifier::<BagOfEmbeddings>::load(&path, a.device()).unwrap();
    assert_eq!(back.predict_proba(&texts(&test)).unwrap(), pa);
    assert_eq!(back.labels(), a.labels());
    // Loading as the wrong model kind is a clear error.
    let err = TrainedClassifier::<TransformerClassifier>::load(&path, a.device()).unwrap_err();
    assert!(err.to_string().contains("bag-of-embeddings"), "{err}");

    // The transformer (with dropout) is deterministic too and round-trips.
    let params = TrainParams {
        max_steps: Some(12),
        ..bag_params(9)
    };
    let fit = || {
        ClassifierTrainer::new(params.clone())
            .unwrap()
            .fit(&small_transformer(), tok.clone(), &train, None)
            .unwrap()
            .0
    };
    let (t1, t2) = (fit(), fit());
    let p1 = t1.predict_proba(&texts(&test)).unwrap();
    assert_eq!(p1, t2.predict_proba(&texts(&test)).unwrap());
    let tpath = dir.path().join("tr");
    t1.save(&tpath).unwrap();
    let tback = TrainedClassifier::<TransformerClassifier>::load(&tpath, t1.device()).unwrap();
    assert_eq!(tback.predict_proba(&texts(&test)).unwrap(), p1);
}

#[test]
fn batch_view_is_filled_with_checked_shapes_and_mixed_sources() {
    let mut train = separable("train", 120, 31);
    for (i, e) in train.examples.iter_mut().enumerate() {
        if i % 6 == 0 {
            e.provenance = augmented_provenance();
        }
        if i % 5 == 0 {
            e.groups = Default::default(); // no gender: group id -1
        }
    }
    let tok = tokenizer_for(&train, 16);
    let recorder = Arc::new(Recorder::default());
    let params = quiet(TrainParams {
        epochs: 1,
        batch_size: 16,
        sampling: BatchSampling::MixedSources,
        ..Default::default()
    });
    let cfg = BagOfEmbeddingsConfig {
        embed_dim: 12,
        ..Default::default()
    };
    ClassifierTrainer::new(params)
        .unwrap()
        .with_mitigation(recorder.clone())
        .fit(&cfg, tok, &train, None)
        .unwrap();
    let views = recorder.views.lock().unwrap();
    assert_eq!(views.len(), 120usize.div_ceil(16)); // one view per batch
    for v in views.iter() {
        let b = v.len;
        assert_eq!(v.hidden, [b, 12]);
        assert_eq!(v.logits, [b, 2]);
        assert_eq!(v.augmented, [b]);
        assert_eq!(v.labels.len(), b);
        assert!(v.labels.iter().all(|l| *l == 0 || *l == 1));
        assert_eq!(v.group_names, vec!["female", "male"]);
        assert!(v.group_ids.iter().all(|g| (-1..=1).contains(g)));
        assert!(v.both_sources, "a mixed-sources batch lacks a source");
    }
    assert!(views.iter().any(|v| v.group_ids.contains(&-1)));
}

#[test]
fn word_vectors_initialise_embeddings() {
    use inherit_train::{ModelConfig, ModelShape};
    let train = separable("train", 50, 61);
    let tok = tokenizer_for(&train, 16);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("glove.txt");
    std::fs::write(&path, "[CLS] 0 0 0 0\nalpha 1 2 3 4\nnotinvocab 9 9 9 9\n").unwrap();
    let cfg = BagOfEmbeddingsConfig {
        embed_dim: 4,
        word_vectors: Some(path.clone()),
        ..Default::default()
    };
    let device = burn::tensor::Device::flex();
    let shape = ModelShape {
        tokenizer: &tok,
        num_classes: 2,
    };
    let model = cfg.init(shape, &device, 0).unwrap();
    let wrapped = TrainedClassifier::new(
        model,
        cfg.clone(),
        tok.clone(),
        train.labels.clone(),
        device.clone(),
    );
    // Hidden state of "alpha" = mean of the [CLS] and `alpha` rows = (0 + v) / 2.
    let h = wrapped.embed(&["alpha".to_owned()]).unwrap();
    assert_eq!(h[0], vec![0.5, 1.0, 1.5, 2.0]);
    // A width mismatch is reported.
    let bad = BagOfEmbeddingsConfig {
        embed_dim: 3,
        ..cfg
    };
    let err = bad.init(shape, &device, 0).unwrap_err().to_string();
    assert!(err.contains("embed_dim") && err.contains('4'), "{err}");
}
