//! Every shipped configuration parses and runs with the tiny stand-ins in place of the
//! generator and embedder, with its own downstream models and sizes, so a shipped config
//! can never rot (a transformer `max_len` beyond the model's position table once failed
//! only after hours of generation):
//! - `default` and `quick`: every task, one cell per mitigation (largest γ, first bias
//!   type, first seed);
//! - `paper` (sized for a GPU): one cell of its first task, on the CPU, adapting the top
//!   layer only.
//!
//! Self-augmentation rounds are left out here (tests/rounds.rs runs them with a stand-in
//! learner; the default study runs them with SmolLM2).

use inherit_study::Study;
use inherit_study::config::SHIPPED;

#[test]
fn every_shipped_config_runs_a_cell_of_each_task_per_mitigation() {
    for (name, text) in SHIPPED {
        let dir = tempfile::tempdir().unwrap();
        let parsed =
            inherit_study::StudyConfig::parse(text, name).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut c = parsed.into_inner();
        c.out = dir.path().join(name);
        c.bias_types.truncate(1);
        let gmax = c.gammas.iter().copied().fold(0.0, f64::max);
        c.gammas = vec![gmax];
        c.seeds.truncate(1);
        if name == "paper" {
            // Sized for a GPU: on the CPU, one cell of the first task (occupation with
            // the fine-tuned LLM), LoRA on the top layer only (max_len and the rest kept).
            c.tasks.truncate(1);
            c.mitigations.truncate(1);
            c.device = "flex".into();
            c.downstream.lora_layers = "top:1".into();
        }
        for t in &mut c.tasks {
            t.train_per_cell = 1;
            t.test_per_cell = 1;
            t.pairs = Some(2);
            t.rounds = 0;
        }
        c.generator.kind = "stand-in".into();
        c.generator.gguf = None;
        c.generator.endpoint = None;
        c.generator.model = None;
        c.generator.neutral_per_label = 2;
        c.generator.augmented_per_label = 4;
        c.embedding.kind = "hashing".into();
        c.embedding.samples_per_source = 8;
        c.embedding.permutations = 10;
        // Keep the models, their sizes and max_len; one epoch (or step) is enough to
        // exercise them.
        c.downstream.epochs = 1;
        c.downstream.max_steps = c.downstream.max_steps.map(|_| 1);
        for t in &mut c.tasks {
            for key in ["epochs", "max_steps"] {
                if t.downstream.contains_key(key) {
                    t.downstream.insert(key.into(), toml::Value::Integer(1));
                }
            }
        }
        let expected = c.tasks.len() * c.mitigations.len();
        let started = std::time::Instant::now();
        let config = c.check(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        let outcome = Study::new(config)
            .run()
            .unwrap_or_else(|e| panic!("shipped config `{name}` fails: {e}"));
        assert_eq!(outcome.records.len(), expected, "{name}");
        eprintln!("{name}: {:.1} s", started.elapsed().as_secs_f64());
    }
}
