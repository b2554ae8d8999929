//! MaskSensitive: no lexicon term survives, every other word does, tricky cases.

mod common;

use std::sync::Arc;

use common::{augmented, lexicon, original};
use inherit_core::{Axis, Dataset, Lexicon, LexiconEntry, TermKind, seeded_rng};
use inherit_mitigate::{MaskMode, MaskSensitive, MaskSensitiveParams, Mitigation, Target};
use proptest::prelude::*;

fn masker(mode: MaskMode) -> MaskSensitive {
    MaskSensitive::new(
        lexicon(),
        MaskSensitiveParams {
            mode,
            ..MaskSensitiveParams::default()
        },
    )
    .unwrap()
}

#[test]
fn token_mode_handles_possessives_punctuation_multi_word_terms_and_case() {
    let m = masker(MaskMode::Token);
    let out = m.mask_text(
        "Maria's father moved from Saudi Arabia; SHE, a software engineer, liked paella.",
    );
    assert_eq!(
        out.text,
        "[MASK]'s [MASK] moved from [MASK]; [MASK], a software engineer, liked [MASK]."
    );
    assert_eq!(out.replacements, 5);
    // Words containing a term are not terms; a lowercase `will` is not the name `Will`;
    // `Arabia` alone is not the cue `Saudi Arabia`.
    let kept = "The shell theme: we will visit Arabia, then Hermione's manor.";
    assert_eq!(m.mask_text(kept).text, kept);
    assert_eq!(m.mask_text(kept).replacements, 0);
    assert_eq!(
        m.mask_text("Will will call him.").text,
        "[MASK] will call [MASK]."
    );
}

#[test]
fn neutral_mode_uses_neutral_forms_in_the_right_case() {
    let m = masker(MaskMode::Neutral);
    let cases = [
        ("He said she would call.", "They said they would call."),
        ("HE SAID IT.", "THEY SAID IT."),
        ("Mr. Ahmed met Ms Carmen.", "Mx. Alex met Mx Alex."),
        (
            "I saw her. Her book is here.",
            "I saw them. Their book is here.",
        ),
        (
            "The book is his, not his sister's.",
            "The book is theirs, not their sister's.",
        ),
        (
            "She's a nurse and she’s kind.",
            "They're a nurse and they’re kind.",
        ),
        (
            "Maria's mother taught herself Arabic.",
            "Alex's parent taught themselves [MASK].",
        ),
        ("He gave her a pen.", "They gave them a pen."),
    ];
    for (input, expected) in cases {
        assert_eq!(m.mask_text(input).text, expected, "input: {input}");
    }
    assert_eq!(m.placeholder_name(), "Alex");
}

#[test]
fn masks_augmented_examples_only_and_reports_counts() {
    let data = Dataset::new(
        "d",
        vec![
            original("o", "She likes paella."),
            augmented("a", "She likes paella."),
            augmented("b", "Nothing here."),
        ],
    );
    let out = masker(MaskMode::Token)
        .prepare(data.clone(), &mut seeded_rng(0))
        .unwrap();
    assert_eq!(out.examples[0], data.examples[0]);
    assert_eq!(out.examples[1].text, "[MASK] likes [MASK].");
    assert_eq!(out.examples[1].meta["mask_replacements"], 2);
    assert_eq!(out.examples[2].meta["mask_replacements"], 0);
    let all = MaskSensitive::new(
        lexicon(),
        MaskSensitiveParams {
            target: Target::All,
            ..MaskSensitiveParams::default()
        },
    )
    .unwrap();
    let out = all.prepare(data, &mut seeded_rng(0)).unwrap();
    assert_eq!(out.examples[0].text, "[MASK] likes [MASK].");
}

#[test]
fn replacements_that_are_lexicon_terms_are_rejected() {
    let mut lex = lexicon();
    lex.extend([LexiconEntry::new(
        "Alex",
        Axis::Gender,
        "male",
        TermKind::FirstName,
    )]);
    // The default placeholder skips `Alex` when the lexicon has it ...
    let m = MaskSensitive::new(
        lex.clone(),
        MaskSensitiveParams {
            mode: MaskMode::Neutral,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(m.placeholder_name(), "Sam");
    assert_eq!(m.mask_text("Alex left.").text, "Sam left.");
    // ... but an explicit one that is a term is an error, as is such a mask token.
    let err = MaskSensitive::new(
        lex.clone(),
        MaskSensitiveParams {
            name: Some("Alex".into()),
            ..Default::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("placeholder `Alex`"), "{err}");
    let err = MaskSensitive::new(
        lex,
        MaskSensitiveParams {
            token: "<she>".into(),
            ..Default::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("lexicon term `she`"), "{err}");
    let they = Lexicon::new([
        LexiconEntry::new("they", Axis::Gender, "nonbinary", TermKind::Pronoun),
        LexiconEntry::new("she", Axis::Gender, "female", TermKind::Pronoun).with_neutral("they"),
    ]);
    let err = MaskSensitive::new(
        they,
        MaskSensitiveParams {
            mode: MaskMode::Neutral,
            ..Default::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("neutral form `they`"), "{err}");
}

/// Non-sensitive words; none is a lexicon term or a replacement word, some contain terms
/// (`shell`, `hero`, `manor`) or are terms in another case (`will`).
const PLAIN: &[&str] = &[
    "the", "doctor", "went", "home", "software", "engineer", "shell", "hero", "manor", "will",
    "report", "quickly", "garden", "because", "Hermione",
];
/// Sensitive tokens: every kind, in several cases, with possessives, multi-word.
const SENSITIVE: &[&str] = &[
    "she",
    "She",
    "SHE",
    "he",
    "He",
    "her",
    "Her",
    "his",
    "him",
    "hers",
    "herself",
    "himself",
    "woman",
    "Man",
    "mother",
    "Father",
    "Mr",
    "Ms",
    "Maria",
    "Maria's",
    "José",
    "Ahmed's",
    "Will",
    "Emily",
    "Saudi Arabia",
    "Arabic",
    "paella",
    "PAELLA",
];
const PUNCT: &[&str] = &["", "", "", ",", ".", ";", "!", "?", ":"];
/// Words masking can introduce (plus `s` and `re` after an apostrophe).
const REPLACEMENT_WORDS: &[&str] = &[
    "MASK",
    "they",
    "They",
    "THEY",
    "them",
    "Them",
    "their",
    "Their",
    "theirs",
    "themselves",
    "person",
    "Person",
    "parent",
    "Parent",
    "Mx",
    "Alex",
    "s",
    "re",
    "RE",
];

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn no_term_survives_and_every_other_word_is_kept(
        tokens in prop::collection::vec((any::<bool>(), 0usize..64, 0usize..PUNCT.len()), 1..25),
        neutral in any::<bool>(),
    ) {
        let lex = Arc::new(lexicon());
        let mode = if neutral { MaskMode::Neutral } else { MaskMode::Token };
        let m = MaskSensitive::new(lex.clone(), MaskSensitiveParams { mode, ..Default::default() }).unwrap();
        let mut parts = Vec::new();
        let mut plain_words = Vec::new();
        let mut sensitive = 0;
        for (is_sensitive, pick, punct) in &tokens {
            let word = if *is_sensitive {
                sensitive += 1;
                SENSITIVE[pick % SENSITIVE.len()]
            } else {
                let w = PLAIN[pick % PLAIN.len()];
                plain_words.push(w.to_owned());
                w
            };
            parts.push(format!("{word}{}", PUNCT[*punct]));
        }
        let text = parts.join(" ");
        let out = m.mask_text(&text);
        prop_assert!(lex.find(&out.text).is_empty(), "{} -> {}", text, out.text);
        prop_assert_eq!(out.replacements, sensitive, "{} -> {}", text, out.text);
        let kept: Vec<String> = words(&out.text)
            .into_iter()
            .filter(|w| !REPLACEMENT_WORDS.contains(&w.as_str()))
            .collect();
        prop_assert_eq!(kept, plain_words, "{} -> {}", text, out.text);
    }
}
