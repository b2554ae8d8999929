//! Counterfactual augmentation: copies with every gendered word swapped, labels kept.

mod common;

use common::{augmented, labelled, lexicon, original};
use inherit_core::{Axis, Dataset, seeded_rng};
use inherit_mitigate::{CounterfactualAugmentation, CounterfactualParams, Mitigation, Target};

fn cda(target: Target) -> CounterfactualAugmentation {
    CounterfactualAugmentation::new(lexicon(), CounterfactualParams { target })
}

/// Lowercased words of a text.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

#[test]
fn doubles_the_chosen_examples_with_every_gendered_word_swapped_and_labels_kept() {
    let data = Dataset::new(
        "d",
        vec![
            labelled(
                augmented("a1", "She told her mother that he loves her."),
                "nurse",
                "female",
            ),
            labelled(original("o1", "He is a doctor."), "doctor", "male"),
            labelled(
                augmented("a2", "Mr Ahmed thanked himself; the woman is his."),
                "doctor",
                "male",
            ),
            labelled(augmented("a3", "HE SAW HER BOOK."), "nurse", "male"),
        ],
    );
    let out = cda(Target::Augmented)
        .prepare(data.clone(), &mut seeded_rng(7))
        .unwrap();
    // Three augmented examples gained a copy, right after them; the original did not.
    let ids: Vec<&str> = out.examples.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["a1", "a1#cda", "o1", "a2", "a2#cda", "a3", "a3#cda"]);
    let copy = |id: &str| out.examples.iter().find(|e| e.id == id).unwrap();
    assert_eq!(
        copy("a1#cda").text,
        "He told his father that she loves him."
    );
    assert_eq!(
        copy("a2#cda").text,
        "Ms Fatima thanked herself; the man is hers."
    );
    assert_eq!(copy("a3#cda").text, "SHE SAW HIS BOOK.");
    let lex = lexicon();
    for source in data.examples.iter().filter(|e| e.is_augmented()) {
        let twin = copy(&format!("{}#cda", source.id));
        assert_eq!(twin.label, source.label);
        assert_eq!(twin.provenance, source.provenance);
        assert_eq!(twin.meta["cda_source"], source.id.as_str());
        // Every gendered term was swapped to the other gender, position by position.
        let before = lex.find(&source.text);
        let after = lex.find(&twin.text);
        assert_eq!(before.len(), after.len());
        assert_eq!(twin.meta["cda_swaps"], before.len());
        for (b, a) in before.iter().zip(&after) {
            let gb = lex.entries()[b.entry].group(&Axis::Gender).unwrap();
            let ga = lex.entries()[a.entry].group(&Axis::Gender).unwrap();
            assert_ne!(gb, ga, "{} -> {}", source.text, twin.text);
        }
        // Nothing else changed.
        assert_eq!(words(&source.text).len(), words(&twin.text).len());
        // The stated gender is flipped.
        assert_ne!(
            twin.groups.value(&Axis::Gender),
            source.groups.value(&Axis::Gender)
        );
    }
}

#[test]
fn names_map_to_the_other_gender_in_the_same_culture_consistently() {
    let c = cda(Target::All);
    for seed in 0..20 {
        let out = c.counterfactual(
            "Maria met Ahmed; Maria's paella won.",
            &mut seeded_rng(seed),
        );
        let w = words(&out.text);
        // Spanish female -> Spanish male; Arabic male -> Arabic female; same name twice.
        assert!(["josé", "pablo"].contains(&w[0].as_str()), "{}", out.text);
        assert_eq!(w[2], "fatima");
        assert_eq!(w[3], w[0]);
        assert!(out.text.contains("'s paella"));
        assert_eq!(out.swaps, 3);
    }
    // Same seed, same counterfactual; both Spanish male names occur across seeds.
    let pick = |seed| c.counterfactual("Maria", &mut seeded_rng(seed)).text;
    assert_eq!(pick(3), pick(3));
    let seen: std::collections::BTreeSet<String> = (0..32).map(pick).collect();
    assert_eq!(seen.len(), 2, "{seen:?}");
}

#[test]
fn target_all_includes_originals_and_neutral_texts_get_no_copy() {
    let data = Dataset::new(
        "d",
        vec![
            original("o", "He cooks."),
            augmented("n", "The report is due."),
        ],
    );
    let out = cda(Target::All).prepare(data, &mut seeded_rng(0)).unwrap();
    let texts: Vec<&str> = out.examples.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(texts, ["He cooks.", "She cooks.", "The report is due."]);
    assert_eq!(cda(Target::All).spec(), "cda:all");
    assert_eq!(cda(Target::Augmented).spec(), "cda");
}
