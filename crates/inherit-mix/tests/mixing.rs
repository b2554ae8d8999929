//! The acceptance checks for bias-ratio mixing.

use inherit_core::{Axis, BiasType, Dataset, Example, Groups, Provenance};
use inherit_mix::{Error, LabelTarget, MixMode, MixParams, mix};

const LABELS: [&str; 6] = [
    "architect",
    "dentist",
    "nurse",
    "painter",
    "professor",
    "software_engineer",
];

/// |D_o| = 1000 with unequal label shares (so stratification is visible).
fn original() -> Dataset {
    let ex = (0..1000)
        .map(|i| {
            let label = LABELS[if i < 300 { 0 } else { 1 + i % 5 }];
            Example::new(
                format!("o{i}"),
                format!("original {i}"),
                Provenance::original("suite"),
            )
            .with_label(label)
            .with_groups(
                Groups::new().with_stated(Axis::Gender, if i % 2 == 0 { "female" } else { "male" }),
            )
        })
        .collect();
    Dataset::new("orig", ex)
}

/// An augmented pool of `per_label` per label, 3:1 female:male (a biased generator).
fn pool(per_label: usize) -> Dataset {
    let mut ex = Vec::new();
    for label in LABELS {
        for i in 0..per_label {
            ex.push(
                Example::new(
                    format!("{label}-a{i}"),
                    format!("generated {label} {i}"),
                    Provenance::Augmented {
                        generator: "fake".into(),
                        bias_type: BiasType::Neutral,
                        prompt_id: format!("p{i}"),
                        seed: 0,
                        round: 0,
                    },
                )
                .with_label(label)
                .with_groups(
                    Groups::new()
                        .with_inferred(Axis::Gender, if i % 4 == 3 { "male" } else { "female" }),
                ),
            );
        }
    }
    Dataset::new("aug", ex)
}

fn count(d: &Dataset, label: &str, augmented: bool) -> usize {
    d.examples
        .iter()
        .filter(|e| e.label.as_deref() == Some(label) && e.is_augmented() == augmented)
        .count()
}

#[test]
fn realised_gamma_and_strata_for_the_paper_sweep() {
    let (o, a) = (original(), pool(400));
    for gamma in [0.0, 0.05, 0.1, 0.2, 0.5] {
        let m = mix(&o, &a, &MixParams::new(gamma, 1).check().unwrap()).unwrap();
        let n = m.dataset.len() as f64;
        assert!(
            (m.report.realised_gamma - gamma).abs() <= 1.0 / n,
            "gamma {gamma}: {}",
            m.report.realised_gamma
        );
        // D_o unchanged, in order, first.
        assert_eq!(&m.dataset.examples[..1000], &o.examples[..]);
        assert_eq!(m.report.n_original, 1000);
        // Label strata of the draw follow D_o's shares within one example.
        let n_aug = m.report.n_augmented as f64;
        for label in LABELS {
            let share = count(&o, label, false) as f64 / 1000.0;
            let got = count(&m.dataset, label, true) as f64;
            assert!(
                (got - share * n_aug).abs() <= 1.0,
                "{gamma} {label}: {got} vs {}",
                share * n_aug
            );
        }
        // Provenance kept.
        assert_eq!(
            m.dataset
                .examples
                .iter()
                .filter(|e| e.is_augmented())
                .count(),
            m.report.n_augmented
        );
    }
}

#[test]
fn same_seed_same_draw_different_seed_different_draw() {
    let (o, a) = (original(), pool(400));
    let run = |seed| mix(&o, &a, &MixParams::new(0.2, seed).check().unwrap()).unwrap();
    assert_eq!(run(5), run(5));
    let ids = |m: inherit_mix::Mixed| {
        m.dataset
            .examples
            .into_iter()
            .map(|e| e.id)
            .collect::<Vec<_>>()
    };
    assert_ne!(ids(run(5)), ids(run(6)));
}

#[test]
fn documented_errors() {
    assert!(matches!(MixParams::new(1.0, 0).check(), Err(Error::GammaOutOfRange(g)) if g == 1.0));
    assert!(matches!(
        MixParams::new(-0.1, 0).check(),
        Err(Error::GammaOutOfRange(_))
    ));
    // γ = 0.5 over |D_o| = 1000 needs 1000 augmented; 300 architects in D_o -> 300 needed.
    let err = mix(
        &original(),
        &pool(100),
        &MixParams::new(0.5, 0).check().unwrap(),
    )
    .unwrap_err();
    match &err {
        Error::NotEnoughAugmented {
            stratum,
            need,
            have,
        } => {
            assert_eq!(
                (stratum.as_str(), *need, *have),
                ("label `architect`", 300, 100)
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("need 300, have 100"));
    // With replacement it goes through and reports the repeats.
    let p = MixParams {
        with_replacement: true,
        ..MixParams::new(0.5, 0)
    };
    let m = mix(&original(), &pool(100), &p.check().unwrap()).unwrap();
    assert_eq!(m.report.n_augmented, 1000);
    // Need 300 architects and 140 of each other label from pools of 100:
    // repeats = (300 - 100) + 5 * (140 - 100) = 400.
    assert_eq!(m.report.n_repeated, 400);
}

#[test]
fn fixed_total_subsamples_the_original_by_label() {
    let p = MixParams {
        mode: MixMode::FixedTotal { total: 500 },
        ..MixParams::new(0.2, 3)
    };
    let m = mix(&original(), &pool(400), &p.check().unwrap()).unwrap();
    assert_eq!(m.dataset.len(), 500);
    assert_eq!((m.report.n_original, m.report.n_augmented), (400, 100));
    // 30% architects in D_o -> 120 of the 400 kept originals.
    assert_eq!(count(&m.dataset, "architect", false), 120);
    let too_big = MixParams {
        mode: MixMode::FixedTotal { total: 5000 },
        ..MixParams::new(0.1, 0)
    };
    assert!(matches!(
        mix(&original(), &pool(400), &too_big.check().unwrap()),
        Err(Error::NotEnoughOriginal {
            need: 4500,
            have: 1000
        })
    ));
}

#[test]
fn group_stratification_keeps_the_pool_balance() {
    let p = MixParams {
        group_axis: Some(Axis::Gender),
        label_target: LabelTarget::Augmented,
        ..MixParams::new(0.2, 9)
    };
    let m = mix(&original(), &pool(400), &p.check().unwrap()).unwrap();
    // 250 drawn, 41 or 42 per label, each split 3:1 female:male by largest remainder.
    let aug: Vec<_> = m
        .dataset
        .examples
        .iter()
        .filter(|e| e.is_augmented())
        .collect();
    assert_eq!(aug.len(), 250);
    let female = aug
        .iter()
        .filter(|e| e.groups.value(&Axis::Gender) == Some("female"))
        .count();
    assert!((female as f64 - 0.75 * 250.0).abs() <= 6.0, "{female}");
    let report_female_aug: usize = m
        .report
        .counts
        .iter()
        .filter(|r| r.group == "female" && r.provenance == "augmented")
        .map(|r| r.count)
        .sum();
    assert_eq!(report_female_aug, female);
}
