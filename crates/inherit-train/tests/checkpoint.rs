//! Checkpoint replacement: there is a checkpoint at the path at every moment of a save,
//! leftovers of an interrupted save never block the next one, and old-layout
//! checkpoints still load.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use inherit_core::SequenceScorer;
use inherit_train::{
    CausalLm, CausalLmConfig, Device, ModelConfig, ModelShape, TextTokenizer, TokenizerConfig,
    TokenizerKind, TrainedLm,
};

fn tokenizer() -> TextTokenizer {
    let texts: Vec<String> = (0..40)
        .map(|i| format!("word{} word{} the end", i % 7, i % 5))
        .collect();
    let cfg = TokenizerConfig {
        kind: TokenizerKind::WordLevel,
        vocab_size: 60,
        max_length: 16,
        ..Default::default()
    };
    TextTokenizer::train(&cfg, &texts).unwrap()
}

fn lm(seed: u64) -> TrainedLm<CausalLm> {
    let config = CausalLmConfig {
        d_model: 16,
        heads: 2,
        layers: 1,
        d_ff: 32,
        max_length: 16,
        dropout: 0.0,
    };
    let tok = tokenizer();
    let device = Device::flex();
    let model = config
        .init(
            ModelShape {
                tokenizer: &tok,
                num_classes: 0,
            },
            &device,
            seed,
        )
        .unwrap();
    TrainedLm::new(model, config, tok, device)
}

fn score(lm: &TrainedLm<CausalLm>) -> f64 {
    lm.score(&["word1 word2 the end".into()]).unwrap()[0].total
}

fn load(dir: &Path) -> TrainedLm<CausalLm> {
    TrainedLm::<CausalLm>::load(dir, &Device::flex()).unwrap()
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Regression: the old save moved the checkpoint aside to the shared `.{name}.old`
/// folder; one left non-empty by a kill made every later save of that path fail.
#[test]
fn a_leftover_old_folder_does_not_block_later_saves() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("ck");
    let stale = root.path().join(".ck.old");
    std::fs::create_dir_all(&stale).unwrap();
    std::fs::write(stale.join("model.bpk"), b"left by a kill").unwrap();
    let (a, b) = (lm(1), lm(2));
    a.save(&dir).unwrap();
    b.save(&dir).unwrap();
    a.save(&dir).unwrap();
    assert_eq!(score(&load(&dir)), score(&a));
}

/// Regression: between the old save's two renames the path held no checkpoint, so a
/// kill there lost it (and a reader found nothing). A watcher now finds `meta.json` and
/// the files it names at every moment of many saves.
#[test]
fn the_path_holds_a_checkpoint_at_every_moment_of_a_save() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("ck");
    let models = [lm(1), lm(2)];
    models[0].save(&dir).unwrap();
    let done = AtomicBool::new(false);
    let checks = AtomicUsize::new(0);
    let missing = AtomicUsize::new(0);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                checks.fetch_add(1, Ordering::Relaxed);
                if !dir.join("meta.json").is_file() {
                    missing.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        for i in 0..40 {
            models[i % 2].save(&dir).unwrap();
        }
        done.store(true, Ordering::Relaxed);
    });
    assert!(checks.load(Ordering::Relaxed) > 100);
    assert_eq!(
        missing.load(Ordering::Relaxed),
        0,
        "moments without a checkpoint"
    );
    assert_eq!(score(&load(&dir)), score(&models[1]));
}

/// A save killed before its commit leaves the old checkpoint loadable; the next save
/// deletes the leftovers, and only the current files remain.
#[test]
fn an_interrupted_save_keeps_the_old_checkpoint_and_the_next_save_cleans_up() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("ck");
    let (a, b) = (lm(1), lm(2));
    a.save(&dir).unwrap();
    // What a kill can leave: new data files written, `meta.json` not yet replaced.
    std::fs::write(dir.join("model-Zx81kQ.bpk"), b"half a model").unwrap();
    std::fs::write(dir.join("tokenizer-Zx81kQ.json"), b"{").unwrap();
    std::fs::write(dir.join(".tokenizer-Zx81kQ.json.tmpAb12"), b"{").unwrap();
    std::fs::write(dir.join(".meta.json.tmpQw34"), b"{").unwrap();
    std::fs::write(dir.join("notes.txt"), b"the user's own file").unwrap();
    assert_eq!(score(&load(&dir)), score(&a));
    b.save(&dir).unwrap();
    assert_eq!(score(&load(&dir)), score(&b));
    let left = names(&dir);
    assert_eq!(left.len(), 5, "{left:?}");
    assert!(left.contains(&"notes.txt".to_string()), "{left:?}");
    assert!(left.contains(&"meta.json.lock".to_string()), "{left:?}");
    assert_eq!(left.iter().filter(|n| n.starts_with("model-")).count(), 1);
    assert_eq!(
        left.iter().filter(|n| n.starts_with("tokenizer-")).count(),
        1
    );
}

/// Checkpoints of the earlier layout (`tokenizer.json`, `model.bpk`, not named in
/// `meta.json`) load, and the next save replaces them; a `meta.json` naming a file
/// outside the checkpoint is an error naming the field.
#[test]
fn old_layout_checkpoints_load_and_file_names_are_checked() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("ck");
    let (a, b) = (lm(1), lm(2));
    a.save(&dir).unwrap();
    let meta_path = dir.join("meta.json");
    let mut meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&meta_path).unwrap()).unwrap();
    let model_file = meta["model_file"].as_str().unwrap().to_owned();
    let tokenizer_file = meta["tokenizer_file"].as_str().unwrap().to_owned();
    std::fs::rename(dir.join(&model_file), dir.join("model.bpk")).unwrap();
    std::fs::rename(dir.join(&tokenizer_file), dir.join("tokenizer.json")).unwrap();
    let obj = meta.as_object_mut().unwrap();
    obj.remove("model_file");
    obj.remove("tokenizer_file");
    std::fs::write(&meta_path, serde_json::to_vec(&meta).unwrap()).unwrap();
    assert_eq!(score(&load(&dir)), score(&a));
    b.save(&dir).unwrap();
    assert_eq!(score(&load(&dir)), score(&b));
    let left = names(&dir);
    assert!(
        !left.contains(&"model.bpk".to_string()) && !left.contains(&"tokenizer.json".to_string()),
        "{left:?}"
    );

    meta["model_file"] = "../../etc/passwd".into();
    meta["tokenizer_file"] = tokenizer_file.into();
    std::fs::write(&meta_path, serde_json::to_vec(&meta).unwrap()).unwrap();
    let err = TrainedLm::<CausalLm>::load(&dir, &Device::flex())
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("meta.json") && err.contains("model_file"),
        "{err}"
    );
}
