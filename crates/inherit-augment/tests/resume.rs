//! The generation cache across runs: resume after a crash or a kill (a torn last line),
//! no duplicates, nothing completed lost, and the same D_a as an uninterrupted run.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::Ordering;

use common::FakeGenerator;
use inherit_augment::{
    AugmentParams, Augmented, Augmenter, CacheRecord, NameTable, PromptBuilder, PromptSpec,
    Templates, default_lexicon,
};
use inherit_core::BiasType;

const N: usize = 20;
const BATCH: usize = 4;

fn builder() -> PromptBuilder {
    let bias: BiasType = "contrastive-single-implicit".parse().unwrap();
    PromptBuilder::new(
        PromptSpec::new("occupation", bias).seed(21),
        &Templates::builtin(),
        &NameTable::builtin(),
    )
    .unwrap()
}

fn params() -> AugmentParams {
    let mut p = AugmentParams {
        progress: false,
        batch_size: BATCH,
        ..AugmentParams::default()
    };
    p.generation.seed = 99;
    p
}

fn run(fake: &FakeGenerator, cache: Option<&Path>) -> inherit_augment::Result<Augmented> {
    let lexicon = default_lexicon(&NameTable::builtin());
    let mut aug = Augmenter::new(fake, &lexicon, params())?;
    if let Some(path) = cache {
        aug = aug.with_cache(path)?;
    }
    aug.run(&builder(), N)
}

fn records(path: &Path) -> Vec<CacheRecord> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn same_seed_same_augmented_data_with_or_without_cache() {
    let plain = run(&FakeGenerator::new(), None).unwrap();
    assert_eq!(plain.examples.len(), N);
    assert_eq!(
        run(&FakeGenerator::new(), None).unwrap().examples,
        plain.examples
    );
    let dir = tempfile::tempdir().unwrap();
    let cached = run(&FakeGenerator::new(), Some(&dir.path().join("c.jsonl"))).unwrap();
    assert_eq!(cached.examples, plain.examples);
}

#[test]
fn a_full_rerun_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.jsonl");
    let first = run(&FakeGenerator::new(), Some(&path)).unwrap();
    assert_eq!(first.report.generated, N);
    let again = FakeGenerator::new();
    let second = run(&again, Some(&path)).unwrap();
    assert_eq!(
        again.calls.load(Ordering::SeqCst),
        0,
        "every batch came from the cache"
    );
    assert_eq!(second.report.cached, N);
    assert_eq!(second.examples, first.examples);
    assert_eq!(records(&path).len(), N, "nothing appended twice");
}

#[test]
fn a_crash_mid_run_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.jsonl");
    let reference = run(&FakeGenerator::new(), None).unwrap();
    let mut crashing = FakeGenerator::new();
    crashing.fail_after_calls = Some(3);
    let err = run(&crashing, Some(&path)).unwrap_err();
    assert!(err.to_string().contains("simulated crash"), "{err}");
    assert_eq!(
        records(&path).len(),
        3 * BATCH,
        "completed batches were kept"
    );
    let resumed_gen = FakeGenerator::new();
    let resumed = run(&resumed_gen, Some(&path)).unwrap();
    assert_eq!(resumed.examples, reference.examples);
    assert_eq!(resumed.report.cached, 3 * BATCH);
    assert_eq!(
        resumed_gen.prompts_seen.load(Ordering::SeqCst),
        N - 3 * BATCH,
        "only the rest was generated"
    );
}

#[test]
fn a_kill_mid_line_loses_only_that_record_and_never_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.jsonl");
    let reference = run(&FakeGenerator::new(), Some(&path)).unwrap();
    let full = std::fs::read(&path).unwrap();
    // Kill simulation: cut the file in the middle of line 11, i.e. record 10 (0-based),
    // position 2 of batch 2 (records 8-11). Records 10 and 11 are lost, 0-9 survive.
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(
            full.iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    let cut = line_starts[10] + (line_starts[11] - line_starts[10]) / 2;
    std::fs::write(&path, &full[..cut]).unwrap();

    let resumed_gen = FakeGenerator::new();
    let resumed = run(&resumed_gen, Some(&path)).unwrap();
    assert!(resumed.report.cache_repaired_bytes > 0);
    assert_eq!(
        resumed.examples, reference.examples,
        "same D_a as the uninterrupted run"
    );
    // Batch 2 is sent whole again (only its 2 lost records are new), then batches 3-4.
    assert_eq!(resumed_gen.prompts_seen.load(Ordering::SeqCst), 3 * BATCH);
    assert_eq!(resumed.report.generated, 2 + 2 * BATCH);
    assert_eq!(resumed.report.cached, 10);
    let recs = records(&path);
    let keys: BTreeSet<&str> = recs.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys.len(), recs.len(), "no key twice");
    assert_eq!(recs.len(), N, "no completed record lost");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        full,
        "the repaired file equals the uninterrupted one"
    );
}

#[test]
fn a_different_seed_misses_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.jsonl");
    run(&FakeGenerator::new(), Some(&path)).unwrap();
    let lexicon = default_lexicon(&NameTable::builtin());
    let mut p = params();
    p.generation.seed = 100;
    let other = FakeGenerator::new();
    let out = Augmenter::new(&other, &lexicon, p)
        .unwrap()
        .with_cache(&path)
        .unwrap()
        .run(&builder(), N)
        .unwrap();
    assert_eq!(out.report.generated, N);
    assert_eq!(records(&path).len(), 2 * N);
}
