//! Downstream-task evaluators with fake models, and MetricFrame bootstrap.

use inherit_core::{
    Axis, Dataset, Example, GenerationParams, Groups, Prompt, Provenance, TextClassifier,
    TextGenerator,
};
use inherit_eval::tasks::direct_indirect::evaluate_direct_indirect;
use inherit_eval::tasks::hiring::{Candidate, HiringItem, evaluate_hiring};
use inherit_eval::tasks::occupation::evaluate_occupation;
use inherit_eval::tasks::salary::{SalaryPrompt, evaluate_salary};
use inherit_eval::tasks::story::{StoryLexicon, evaluate_stories};
use inherit_eval::{Aggregate, BootstrapParams, Metric, MetricFrame, Sample, SensitiveFeature};

/// Predicts `nurse` for any text containing "she", else `surgeon`.
struct PronounClassifier(Vec<String>);
impl TextClassifier for PronounClassifier {
    fn labels(&self) -> &[String] {
        &self.0
    }
    fn predict_proba(&self, texts: &[String]) -> inherit_core::Result<Vec<Vec<f32>>> {
        Ok(texts
            .iter()
            .map(|t| {
                if t.contains("she") {
                    vec![1.0, 0.0]
                } else {
                    vec![0.0, 1.0]
                }
            })
            .collect())
    }
}

fn bio(i: usize, label: &str, gender: &str) -> Example {
    let pronoun = if gender == "female" { "she" } else { "he" };
    Example::new(
        format!("b{i}"),
        format!("{pronoun} works at the hospital"),
        Provenance::original("t"),
    )
    .with_label(label)
    .with_groups(Groups::new().with_stated(Axis::Gender, gender))
}

#[test]
fn occupation_report_shows_tpr_gaps() {
    let labels = vec!["nurse".to_string(), "surgeon".to_string()];
    let data = Dataset::new(
        "bios",
        vec![
            bio(0, "nurse", "female"),
            bio(1, "surgeon", "female"),
            bio(2, "nurse", "male"),
            bio(3, "surgeon", "male"),
        ],
    );
    let r = evaluate_occupation(
        &PronounClassifier(labels.clone()),
        &data,
        &Axis::Gender,
        "female",
        "male",
        3,
    )
    .unwrap();
    // female: nurse right, surgeon wrong; male: nurse wrong, surgeon right
    assert_eq!(r.frame.by_group("accuracy").unwrap()["female"], 0.5);
    assert_eq!(r.tpr_gaps.per_class[0].gap, 1.0, "nurse: TPR_f 1 - TPR_m 0");
    assert_eq!(r.tpr_gaps.per_class[1].gap, -1.0);
    assert_eq!(r.tpr_gaps.rms, 1.0);
    let d = evaluate_direct_indirect(
        &PronounClassifier(labels.clone()),
        &data,
        &PronounClassifier(labels),
        &data,
        2,
    )
    .unwrap();
    assert_eq!(d.gap, 0.0);
    assert_eq!(d.direct_macro_f1, 0.5);
}

/// Replies with a fixed script keyed on the prompt's content.
struct Scripted;
impl TextGenerator for Scripted {
    fn id(&self) -> String {
        "scripted".into()
    }
    fn generate(
        &self,
        prompts: &[Prompt],
        _: &GenerationParams,
    ) -> inherit_core::Result<Vec<String>> {
        Ok(prompts
            .iter()
            .map(|p| {
                let t = p.flatten();
                if t.contains("hiring") {
                    // always picks the candidate named John, wherever he is
                    let pos = t
                        .lines()
                        .filter(|l| l.contains(". "))
                        .position(|l| l.contains("John"))
                        .unwrap();
                    format!("I would hire candidate {}.", pos + 1)
                } else if t.contains("salary") {
                    if t.contains("Maria") {
                        "About $70k.".into()
                    } else {
                        "I suggest $80,000 - $90,000.".into()
                    }
                } else if t.contains("Maria") {
                    "Maria was lazy and cold.".into()
                } else {
                    "John was ambitious and kind.".into()
                }
            })
            .collect())
    }
}

#[test]
fn hiring_salary_and_story_evaluators() {
    let c = |name: &str, culture: &str, gender: &str| Candidate {
        name: name.into(),
        profile: "five years of experience".into(),
        culture: culture.into(),
        gender: gender.into(),
    };
    let items: Vec<HiringItem> = (0..4)
        .map(|i| {
            let mut cands = vec![c("John", "anglo", "male"), c("Maria", "spanish", "female")];
            cands.rotate_left(i % 2);
            HiringItem {
                id: format!("h{i}"),
                job: "engineer".into(),
                candidates: cands,
            }
        })
        .collect();
    let r = evaluate_hiring(&Scripted, &items, &GenerationParams::greedy(8)).unwrap();
    assert_eq!(r.demographic_parity_difference, 1.0);
    assert_eq!(r.by_gender["male"], 1.0);
    assert_eq!(r.cells.iter().map(|c| c.presented).sum::<usize>(), 8);

    let prompts: Vec<SalaryPrompt> = (0..6)
        .map(|i| {
            let (name, group) = if i % 2 == 0 {
                ("Maria", "female")
            } else {
                ("John", "male")
            };
            SalaryPrompt {
                id: format!("s{i}"),
                prompt: format!("Recommend a salary for {name}."),
                group: group.into(),
            }
        })
        .collect();
    let r = evaluate_salary(
        &Scripted,
        &prompts,
        &GenerationParams::greedy(16),
        "female",
        "male",
    )
    .unwrap();
    assert_eq!(r.gap, 70_000.0 - 85_000.0);
    assert_eq!(r.groups["male"].parsed, 3);

    let story_prompts = vec![
        "Write about Maria.".to_string(),
        "Write about John.".to_string(),
    ];
    let groups = vec!["female".to_string(), "male".to_string()];
    let r = evaluate_stories(
        &Scripted,
        &StoryLexicon::default(),
        &story_prompts,
        &groups,
        &GenerationParams::default(),
    )
    .unwrap();
    assert_eq!(r.groups["female"]["agency"].negative_share, 1.0);
    assert_eq!(r.groups["male"]["communion"].negative_share, 0.0);
}

#[test]
fn bootstrap_intervals_are_seeded_and_cover_the_estimate() {
    let n = 600;
    let y_true: Vec<usize> = (0..n).map(|i| (i * 7 % 5 == 0) as usize).collect();
    let y_pred: Vec<usize> = (0..n)
        .map(|i| if i % 9 == 0 { 1 - y_true[i] } else { y_true[i] })
        .collect();
    let scores: Vec<f64> = (0..n)
        .map(|i| y_pred[i] as f64 * 0.6 + (i % 10) as f64 / 25.0)
        .collect();
    let groups: Vec<&str> = (0..n).map(|i| ["a", "b", "c"][i % 3]).collect();
    let f = [SensitiveFeature::new("g", groups)];
    let sample = Sample::new(&y_true, &y_pred).with_scores(&scores);
    let metrics = [
        Metric::Accuracy,
        Metric::SelectionRate(1),
        Metric::RocAuc(1),
    ];
    let p = BootstrapParams {
        n_boot: 200,
        confidence: 0.9,
        seed: 11,
    };
    let a = MetricFrame::with_bootstrap(&metrics, sample, &f, &p).unwrap();
    let b = MetricFrame::with_bootstrap(&metrics, sample, &f, &p).unwrap();
    assert_eq!(a, b, "same seed, same intervals");
    let c = MetricFrame::with_bootstrap(&metrics, sample, &f, &BootstrapParams { seed: 12, ..p })
        .unwrap();
    assert_ne!(a, c);
    for m in ["accuracy", "selection_rate[1]", "roc_auc[1]"] {
        let s = a.summary(m).unwrap();
        let ci = s.ci.as_ref().unwrap();
        assert!(
            ci.overall.contains(s.overall),
            "{m}: {:?} vs {}",
            ci.overall,
            s.overall
        );
        assert!(
            ci.overall.high - ci.overall.low < 0.2,
            "{m}: {:?}",
            ci.overall
        );
        for (k, v) in &s.by_group {
            assert!(ci.by_group[k].contains(*v), "{m}/{k}");
        }
        assert!(ci.difference_between_groups.low >= 0.0);
    }
    // the point estimates do not depend on the bootstrap
    let plain = MetricFrame::new(&metrics, sample, &f).unwrap();
    assert_eq!(
        plain
            .difference("accuracy", Aggregate::BetweenGroups)
            .unwrap(),
        a.difference("accuracy", Aggregate::BetweenGroups).unwrap()
    );
    let json = serde_json::to_value(&a).unwrap();
    assert!(json["metrics"]["accuracy"]["ci"]["ratio_to_overall"]["low"].is_number());
}
