//! Shared fixtures: a small hand-built lexicon and example constructors.
#![allow(dead_code)]

use inherit_core::{Axis, BiasType, Example, Groups, Lexicon, LexiconEntry, Provenance, TermKind};

fn gendered(term: &str, gender: &str, kind: TermKind, swap: &str, neutral: &str) -> LexiconEntry {
    LexiconEntry::new(term, Axis::Gender, gender, kind)
        .with_swap(swap)
        .with_neutral(neutral)
}

fn name(term: &str, gender: &str, culture: &str) -> LexiconEntry {
    LexiconEntry::new(term, Axis::Gender, gender, TermKind::FirstName).also(Axis::Culture, culture)
}

/// Pronouns, gendered words, titles, names of two cultures and culture terms.
pub fn lexicon() -> Lexicon {
    use TermKind::*;
    Lexicon::new([
        gendered("she", "female", Pronoun, "he", "they"),
        gendered("he", "male", Pronoun, "she", "they"),
        gendered("her", "female", Pronoun, "his", "their"),
        gendered("his", "male", Pronoun, "her", "their"),
        gendered("him", "male", Pronoun, "her", "them"),
        gendered("hers", "female", Pronoun, "his", "theirs"),
        gendered("herself", "female", Pronoun, "himself", "themselves"),
        gendered("himself", "male", Pronoun, "herself", "themselves"),
        gendered("woman", "female", GenderedWord, "man", "person"),
        gendered("man", "male", GenderedWord, "woman", "person"),
        gendered("mother", "female", GenderedWord, "father", "parent"),
        gendered("father", "male", GenderedWord, "mother", "parent"),
        gendered("Mr", "male", GenderedWord, "Ms", "Mx"),
        gendered("Ms", "female", GenderedWord, "Mr", "Mx"),
        name("Maria", "female", "spanish"),
        name("Carmen", "female", "spanish"),
        name("José", "male", "spanish"),
        name("Pablo", "male", "spanish"),
        name("Fatima", "female", "arabic"),
        name("Ahmed", "male", "arabic"),
        name("Will", "male", "anglo"),
        name("Emily", "female", "anglo"),
        LexiconEntry::new("Saudi Arabia", Axis::Culture, "arabic", CultureTerm),
        LexiconEntry::new("Arabic", Axis::Culture, "arabic", CultureTerm),
        LexiconEntry::new("paella", Axis::Culture, "spanish", CultureTerm),
    ])
}

/// An original example.
pub fn original(id: &str, text: &str) -> Example {
    Example::new(id, text, Provenance::original("test"))
}

/// An augmented example.
pub fn augmented(id: &str, text: &str) -> Example {
    Example::new(
        id,
        text,
        Provenance::Augmented {
            generator: "test-llm".into(),
            bias_type: BiasType::Neutral,
            prompt_id: "p".into(),
            seed: 0,
            round: 0,
        },
    )
}

/// `example` with a label and a stated gender.
pub fn labelled(example: Example, label: &str, gender: &str) -> Example {
    example
        .with_label(label)
        .with_groups(Groups::new().with_stated(Axis::Gender, gender))
}
