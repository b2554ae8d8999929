//! SmolLM2 fine-tuned with LoRA as the study's downstream model (`smollm2-lora`).
//!
//! - Training moves the model's answers toward its training replies: fine-tuned on
//!   hiring profiles all answered `hire`, its log p(hire) − log p(reject) on held-out
//!   profiles rises against the base model's.
//! - A study cell of the hiring task runs end to end with it: the cell's mix becomes chat
//!   pairs through the task's instruction format, and the test set is decided by the
//!   likelihood of the two replies.

mod common;

use std::sync::Arc;

use inherit_core::{AnswerScorer, ChatMessage, Dataset, Prompt};
use inherit_mitigate::{Mitigation, MitigationStack};
use inherit_pretrained::SmolLm;
use inherit_study::downstream::{Downstream, LoraDownstream};
use inherit_study::task::{GroupPair, HiringTask};
use inherit_study::{Study, Task};

fn hiring() -> HiringTask {
    HiringTask::new(
        GroupPair {
            axis: inherit_core::Axis::Culture,
            a: "anglo".into(),
            b: "arabic".into(),
        },
        1,
        1,
        0,
    )
}

/// Mean log p(hire) − log p(reject) of `scorer` over `texts` asked the task's question.
fn hire_margin(scorer: &dyn AnswerScorer, task: &HiringTask, texts: &[String]) -> f64 {
    let prompts: Vec<Prompt> = texts
        .iter()
        .map(|t| Prompt::Chat(vec![ChatMessage::user(task.instruction(t).unwrap())]))
        .collect();
    let scores = scorer
        .score_answers(&prompts, &["hire".into(), "reject".into()])
        .unwrap();
    scores.iter().map(|s| s[0] - s[1]).sum::<f64>() / scores.len() as f64
}

#[test]
fn fine_tuning_moves_the_answers_toward_the_training_replies() {
    let task = hiring();
    let data = task.data().unwrap();
    let hires: Vec<_> = data
        .train
        .examples
        .iter()
        .filter(|e| e.label.as_deref() == Some("hire"))
        .cloned()
        .collect();
    let train = Dataset::new("all-hire", hires.clone());
    let test: Vec<String> = data
        .test
        .examples
        .iter()
        .take(8)
        .map(|e| e.text.clone())
        .collect();
    let mut config = common::tiny(std::path::Path::new("unused"))
        .downstream
        .clone();
    config.model = "smollm2-lora".into();
    config.lora_rank = 4;
    config.lora_layers = "top:2".into();
    config.epochs = 2;
    config.batch_size = 5;
    config.learning_rate = 5e-3;
    config.max_len = 256;
    let lm = SmolLm::load_default(&inherit_pretrained::Device::flex()).unwrap();
    let before = hire_margin(&lm, &task, &test);
    let downstream =
        LoraDownstream::with_model(lm, config, inherit_train::DeviceSpec::Flex).unwrap();
    let none: Arc<dyn Mitigation> =
        Arc::new(MitigationStack::parse("none", &Default::default()).unwrap());
    let model = downstream.train(&train, &task, none, 1).unwrap();
    let after = hire_margin(model.answer_scorer().unwrap(), &task, &test);
    assert!(
        after > before + 1.0,
        "log p(hire) − log p(reject): base {before:.3}, fine-tuned on {} hires {after:.3}",
        hires.len()
    );
}

#[test]
fn a_hiring_cell_runs_with_the_fine_tuned_llm() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::tiny_with(dir.path(), |c| {
        c.tasks[0].kind = "hiring".into();
        c.tasks[0].axis = "culture".into();
        c.tasks[0].groups = ["anglo".into(), "arabic".into()];
        c.tasks[0].train_per_cell = 1;
        c.tasks[0].test_per_cell = 1;
        c.tasks[0].pairs = Some(4);
        c.gammas = vec![0.5];
        c.mitigations = vec!["token".into()];
        c.seeds = vec![1];
        c.generator.neutral_per_label = 2;
        c.generator.augmented_per_label = 10;
        c.downstream.model = "smollm2-lora".into();
        c.downstream.lora_rank = 4;
        c.downstream.lora_layers = "top:2".into();
        c.downstream.epochs = 1;
        c.downstream.batch_size = 8;
        c.downstream.learning_rate = 5e-3;
        c.downstream.max_len = 256;
    });
    let outcome = Study::new(config).run().unwrap();
    assert_eq!(outcome.records.len(), 1);
    let r = &outcome.records[0];
    assert_eq!(
        (r.task.as_str(), r.model.as_str()),
        ("hiring", "smollm2-lora")
    );
    for m in [
        "accuracy",
        "selection_ratio",
        "selection_rate.culture.anglo",
        "borderline_selection_gap",
        "pair_margin_gap",
        "placebo_margin_gap",
        "train.loss",
    ] {
        assert!(r.metrics[m].is_finite(), "{m}: {:?}", r.metrics);
    }
}
