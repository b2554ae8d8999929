//! TokenPrefix and SourceTag: who gets which text, in training and evaluation.

mod common;

use common::{augmented, original};
use inherit_core::{Dataset, seeded_rng};
use inherit_mitigate::{
    DEFAULT_PREFIX, Mitigation, SourceTag, SourceTagParams, Target, TokenPrefix, TokenPrefixParams,
};

fn mix() -> Dataset {
    Dataset::new(
        "mix",
        vec![
            original("o1", "The nurse helped."),
            augmented("a1", "She is a nurse."),
            original("o2", "A dentist smiled."),
            augmented("a2", "He is a dentist."),
        ],
    )
}

#[test]
fn token_prefix_touches_augmented_examples_only() {
    let before = mix();
    let after = TokenPrefix::default()
        .prepare(before.clone(), &mut seeded_rng(0))
        .unwrap();
    assert_eq!(DEFAULT_PREFIX, "The following text may contain bias.");
    for (b, a) in before.examples.iter().zip(&after.examples) {
        if b.is_augmented() {
            assert_eq!(a.text, format!("{DEFAULT_PREFIX} {}", b.text));
        } else {
            assert_eq!(a.text, b.text, "original `{}` was changed", b.id);
        }
        assert_eq!((&a.id, &a.label), (&b.id, &b.label));
    }
    // Evaluation text carries no marker.
    let eval = TokenPrefix::default().prepare_eval(before.clone()).unwrap();
    assert_eq!(eval, before);
}

#[test]
fn token_prefix_with_target_all_touches_every_example() {
    let prefix = TokenPrefix::new(TokenPrefixParams {
        text: "Synthetic text follows.".into(),
        target: Target::All,
    })
    .unwrap();
    let before = mix();
    let after = prefix.prepare(before.clone(), &mut seeded_rng(0)).unwrap();
    for (b, a) in before.examples.iter().zip(&after.examples) {
        assert_eq!(a.text, format!("Synthetic text follows. {}", b.text));
    }
    assert_eq!(
        prefix.spec(),
        r#"token:"Synthetic text follows.",target=all"#
    );
    assert_eq!(prefix.params()["target"], "all");
}

#[test]
fn token_prefix_rejects_bad_text() {
    for text in ["", "  ", "two\nlines"] {
        let err = TokenPrefix::new(TokenPrefixParams {
            text: text.into(),
            target: Target::Augmented,
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("`text` of mitigation `token`"), "{err}");
    }
}

#[test]
fn source_tags_mark_training_sources_and_tag_eval_as_original() {
    let tag = SourceTag::default();
    let train = tag.prepare(mix(), &mut seeded_rng(0)).unwrap();
    let texts: Vec<&str> = train.examples.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "<orig> The nurse helped.",
            "<aug> She is a nurse.",
            "<orig> A dentist smiled.",
            "<aug> He is a dentist."
        ]
    );
    // At test time every text, augmented or not, is tagged as original.
    let eval = tag.prepare_eval(mix()).unwrap();
    assert!(eval.examples.iter().all(|e| e.text.starts_with("<orig> ")));
    assert_eq!(eval.examples[1].text, "<orig> She is a nurse.");
}

#[test]
fn source_tags_are_checked() {
    let same = SourceTag::new(SourceTagParams {
        augmented: "<x>".into(),
        original: "<x>".into(),
    });
    assert!(same.unwrap_err().to_string().contains("must differ"));
    let spaced = SourceTag::new(SourceTagParams {
        augmented: "<a b>".into(),
        original: "<o>".into(),
    });
    assert!(spaced.unwrap_err().to_string().contains("without spaces"));
}
