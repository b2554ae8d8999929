//! Every shipped configuration parses and runs one cell per mitigation (at its largest γ,
//! first bias type, first seed) with the tiny stand-ins in place of the real models, with
//! its own downstream model and sizes, so a shipped config can never rot (a transformer
//! `max_len` beyond the model's position table once failed only after hours of
//! generation).

use inherit_study::Study;
use inherit_study::config::SHIPPED;

#[test]
fn every_shipped_config_runs_one_cell_per_mitigation() {
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
        c.tasks[0].train_per_cell = 1;
        c.tasks[0].test_per_cell = 1;
        c.generator.kind = "stand-in".into();
        c.generator.gguf = None;
        c.generator.neutral_per_label = 2;
        c.generator.augmented_per_label = 4;
        c.embedding.kind = "hashing".into();
        c.embedding.samples_per_source = 8;
        c.embedding.permutations = 10;
        // Keep the model, its sizes and max_len; one epoch is enough to exercise them.
        c.downstream.epochs = 1;
        let n_mitigations = c.mitigations.len();
        let config = c.check(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        let outcome = Study::new(config)
            .run()
            .unwrap_or_else(|e| panic!("shipped config `{name}` fails: {e}"));
        assert_eq!(outcome.records.len(), n_mitigations, "{name}");
    }
}
