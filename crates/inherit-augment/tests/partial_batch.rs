//! A batch that fails part-way keeps what finished: the OpenAI-compatible backend returns
//! the completions that arrived beside the error, and the augmenter caches them before it
//! gives up, so a rerun pays only for the prompts that failed.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};

use common::FakeGenerator;
use common::server::{Reply, serve};
use inherit_augment::{
    AugmentParams, Augmenter, CacheRecord, NameTable, OpenAiCompatible, OpenAiConfig,
    PromptBuilder, PromptSpec, RetryPolicy, Templates, default_lexicon,
};
use inherit_core::{BiasType, GenerationParams, PartialGeneration, Prompt, TextGenerator};

#[test]
fn the_server_backend_returns_finished_completions_beside_the_error() {
    // 400 is not retried: prompt 1 fails at once; with one worker, prompt 2 never starts.
    let server = serve(vec![
        Reply::Echo,
        Reply::Status(400, vec![], "{}"),
        Reply::Echo,
    ]);
    let cfg = OpenAiConfig {
        concurrency: 1,
        timeout_secs: 2.0,
        retry: RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        },
        ..OpenAiConfig::new(server.base_url(), "m")
    };
    let backend = OpenAiCompatible::new(cfg).unwrap();
    let prompts = [Prompt::user("a"), Prompt::user("b"), Prompt::user("c")];
    let out = backend.generate_each(&prompts, &GenerationParams::greedy(4));
    assert_eq!(out.outputs, vec![Some("echo: a".to_owned()), None, None]);
    assert!(out.error.is_some());
    assert!(
        backend
            .generate(&prompts, &GenerationParams::greedy(4))
            .is_err()
    );
}

/// Fails every odd prompt of a batch while `fail` is set.
struct Flaky {
    inner: FakeGenerator,
    fail: AtomicBool,
}

impl TextGenerator for Flaky {
    fn id(&self) -> String {
        "flaky".into()
    }

    fn generate(
        &self,
        prompts: &[Prompt],
        params: &GenerationParams,
    ) -> inherit_core::Result<Vec<String>> {
        self.generate_each(prompts, params).into_result()
    }

    fn generate_each(&self, prompts: &[Prompt], params: &GenerationParams) -> PartialGeneration {
        let all = self.inner.generate(prompts, params).unwrap();
        if !self.fail.load(Ordering::Relaxed) {
            return PartialGeneration {
                outputs: all.into_iter().map(Some).collect(),
                error: None,
            };
        }
        PartialGeneration {
            outputs: all
                .into_iter()
                .enumerate()
                .map(|(i, o)| (i % 2 == 0).then_some(o))
                .collect(),
            error: Some(inherit_core::Error::backend("flaky", "server went away")),
        }
    }
}

#[test]
fn the_augmenter_caches_every_finished_completion_before_failing() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache.jsonl");
    let flaky = Flaky {
        inner: FakeGenerator::new(),
        fail: AtomicBool::new(true),
    };
    let lexicon = default_lexicon(&NameTable::builtin());
    let builder = || {
        PromptBuilder::new(
            PromptSpec::new(
                "occupation",
                "contrastive-single-implicit".parse::<BiasType>().unwrap(),
            )
            .seed(3),
            &Templates::builtin(),
            &NameTable::builtin(),
        )
        .unwrap()
    };
    let params = AugmentParams {
        progress: false,
        batch_size: 4,
        ..AugmentParams::default()
    };
    let err = Augmenter::new(&flaky, &lexicon, params.clone())
        .unwrap()
        .with_cache(&cache)
        .unwrap()
        .run(&builder(), 4)
        .unwrap_err();
    assert!(err.to_string().contains("server went away"), "{err}");
    let cached: Vec<CacheRecord> = std::fs::read_to_string(&cache)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        cached.len(),
        2,
        "the two finished completions of the batch are cached"
    );

    // The rerun generates only the two that failed.
    flaky.fail.store(false, Ordering::Relaxed);
    let out = Augmenter::new(&flaky, &lexicon, params)
        .unwrap()
        .with_cache(&cache)
        .unwrap()
        .run(&builder(), 4)
        .unwrap();
    assert_eq!(out.report.cached, 2);
    assert_eq!(out.report.generated, 2);
}
