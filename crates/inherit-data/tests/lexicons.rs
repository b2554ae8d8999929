//! Our lexicons and the lexicon loaders for WinoBias word pairs and HolisticBias.

mod common;

use std::collections::HashSet;

use inherit_core::{Axis, TermKind};
use inherit_data::lexicons::{
    culture_terms, culture_terms_of, default_lexicon, first_names, gender_words, names,
};
use inherit_data::{Culture, Gender};

fn entry<'a>(lex: &'a inherit_core::Lexicon, term: &str) -> &'a inherit_core::LexiconEntry {
    lex.entries()
        .iter()
        .find(|e| e.term == term)
        .unwrap_or_else(|| panic!("no `{term}`"))
}

#[test]
fn gender_words_swap_both_ways_and_have_neutral_forms() {
    let lex = gender_words();
    let by_term: std::collections::HashMap<&str, &inherit_core::LexiconEntry> =
        lex.entries().iter().map(|e| (e.term.as_str(), e)).collect();
    // A solid list: at least 60 female/male pairs.
    let females = lex
        .entries()
        .iter()
        .filter(|e| e.group(&Axis::Gender) == Some("female"))
        .count();
    let males = lex
        .entries()
        .iter()
        .filter(|e| e.group(&Axis::Gender) == Some("male"))
        .count();
    assert!(females >= 60 && males >= 60, "{females} {males}");
    for (term, gender, swap, neutral) in [
        ("she", "female", "he", Some("they")),
        ("his", "male", "her", Some("their")),
        ("him", "male", "her", Some("them")),
        ("herself", "female", "himself", Some("themselves")),
        ("man", "male", "woman", Some("person")),
        ("women", "female", "men", Some("people")),
        ("Mr", "male", "Ms", Some("Mx")),
        ("Mrs", "female", "Mr", Some("Mx")),
        ("queen", "female", "king", Some("monarch")),
        ("actress", "female", "actor", Some("actor")),
        ("widow", "female", "widower", None),
    ] {
        let e = by_term[term];
        assert_eq!(e.group(&Axis::Gender), Some(gender), "{term}");
        assert_eq!(e.swap.as_deref(), Some(swap), "{term}");
        assert_eq!(e.neutral.as_deref(), neutral, "{term}");
    }
    assert_eq!(by_term["she"].kind, TermKind::Pronoun);
    assert_eq!(by_term["father"].kind, TermKind::GenderedWord);
    // Every swap is itself an entry of the other gender (the lexicon is closed under swaps).
    for e in lex.entries() {
        let swap = by_term[e.swap.as_deref().unwrap()];
        assert_ne!(
            swap.group(&Axis::Gender),
            e.group(&Axis::Gender),
            "{}",
            e.term
        );
    }
    // `Miss` is a title only when capitalised.
    assert_eq!(lex.infer("I miss the bus").value(&Axis::Gender), None);
    assert_eq!(
        lex.infer("Miss Lee left").value(&Axis::Gender),
        Some("female")
    );
}

#[test]
fn names_are_balanced_distinct_and_signal_gender_and_culture() {
    let mut all = HashSet::new();
    for culture in Culture::ALL {
        for gender in Gender::ALL {
            let list = names(gender, culture);
            assert!(list.len() >= 20, "{culture:?} {gender:?}");
            for n in list {
                assert!(n.chars().next().unwrap().is_uppercase(), "{n}");
                assert!(all.insert(*n), "`{n}` is listed twice");
            }
        }
    }
    let lex = first_names();
    assert_eq!(lex.len(), all.len());
    let fatima = entry(&lex, "Fatima");
    assert_eq!(fatima.group(&Axis::Gender), Some("female"));
    assert_eq!(fatima.group(&Axis::Culture), Some("arabic"));
    assert_eq!(fatima.swap.as_deref(), Some("Mohammed"));
    assert_eq!(fatima.kind, TermKind::FirstName);
    // Every swap is a name of the other gender in the same culture.
    for e in lex.entries() {
        let s = entry(&lex, e.swap.as_deref().unwrap());
        assert_ne!(s.group(&Axis::Gender), e.group(&Axis::Gender));
        assert_eq!(s.group(&Axis::Culture), e.group(&Axis::Culture));
    }
    let g = lex.infer("Lúcia met João; Lúcia's sister stayed.");
    assert_eq!(g.value(&Axis::Culture), Some("portuguese"));
    assert_eq!(g.value(&Axis::Gender), Some("female"));
    assert_eq!(lex.infer("Lucía").value(&Axis::Culture), Some("spanish"));
}

#[test]
fn culture_terms_cover_every_kind_including_multi_word_terms() {
    for culture in Culture::ALL {
        let t = culture_terms_of(culture);
        assert!(
            !t.places.is_empty() && !t.cities.is_empty() && !t.dishes.is_empty(),
            "{culture:?}"
        );
        assert!(
            !t.festivals.is_empty() && !t.peoples.is_empty(),
            "{culture:?}"
        );
    }
    let lex = culture_terms();
    let cases = [
        ("She moved from Saudi Arabia to Riyadh.", "arabic"),
        (
            "He grew up in Rio de Janeiro and loves feijoada.",
            "portuguese",
        ),
        ("They celebrate the Lunar New Year in Chengdu.", "chinese"),
        ("We ate paella in Valencia during Semana Santa.", "spanish"),
        ("Fish and chips in Manchester on Bonfire Night.", "anglo"),
    ];
    for (text, culture) in cases {
        assert_eq!(
            lex.infer(text).value(&Axis::Culture),
            Some(culture),
            "{text}"
        );
    }
    let m = lex.find("from Saudi Arabia to Rio de Janeiro");
    assert_eq!(m.len(), 2);
    assert_eq!(lex.entries()[m[1].entry].term, "Rio de Janeiro");
    // `China` is a country only when capitalised.
    assert!(lex.find("fine china").is_empty());
}

#[test]
fn the_default_lexicon_merges_all_three() {
    let lex = default_lexicon();
    assert_eq!(
        lex.len(),
        gender_words().len() + first_names().len() + culture_terms().len()
    );
    let g = lex.infer("Amira told us she will spend Eid in Cairo with her family.");
    assert_eq!(g.value(&Axis::Gender), Some("female"));
    assert_eq!(g.value(&Axis::Culture), Some("arabic"));
}

#[test]
fn winobias_pair_files_become_gender_lexicons() {
    let dir = common::data_dir();
    let swaps = dir.winobias_swaps().unwrap();
    // 104 lines; repeated words (`chairwomen`) keep their first pair.
    assert!(swaps.len() > 90 && swaps.len() <= 104, "{}", swaps.len());
    for (term, gender, swap) in [
        ("actor", "male", "actress"),
        ("aunt", "female", "uncle"),
        ("mr", "male", "mrs"),
        ("ms", "female", "mr"),
        ("chick", "female", "dude"),
        ("ma'am", "female", "sir"),
        ("he", "male", "she"),
        ("him", "male", "her"),
        ("herself", "female", "himself"),
    ] {
        let e = entry(&swaps, term);
        assert_eq!(e.group(&Axis::Gender), Some(gender), "{term}");
        assert_eq!(e.swap.as_deref(), Some(swap), "{term}");
    }
    // Neutral forms and kinds come from our own lexicon where it knows the word.
    assert_eq!(entry(&swaps, "he").kind, TermKind::Pronoun);
    assert_eq!(entry(&swaps, "he").neutral.as_deref(), Some("they"));
    assert_eq!(
        swaps
            .infer("Mr. Smith thanked the actress")
            .value(&Axis::Gender),
        None
    );

    let extra = dir.winobias_extra_gendered().unwrap();
    for (term, gender, swap) in [
        ("camerawomen", "female", "cameramen"),
        ("tailor", "male", "seamstress"),
        ("bachelor", "male", "spinster"),
        ("wizard", "male", "witch"),
        ("fiance", "male", "fiancee"),
    ] {
        let e = entry(&extra, term);
        assert_eq!(e.group(&Axis::Gender), Some(gender), "{term}");
        assert_eq!(e.swap.as_deref(), Some(swap), "{term}");
    }
    // Every word of both files got a gender.
    assert!(
        extra
            .entries()
            .iter()
            .all(|e| e.group(&Axis::Gender).is_some())
    );
}

#[test]
fn holistic_descriptors_become_a_lexicon() {
    let lex = common::data_dir().holistic_lexicon().unwrap();
    assert!(lex.len() > 500, "{}", lex.len());
    let chicana = entry(&lex, "Chicana");
    assert_eq!(chicana.group(&Axis::Nationality), Some("mexico"));
    assert_eq!(chicana.group(&Axis::Gender), Some("female"));
    assert_eq!(chicana.kind, TermKind::Descriptor);
    assert_eq!(
        entry(&lex, "Buddhist").group(&Axis::Religion),
        Some("buddhist")
    );
    assert_eq!(
        entry(&lex, "Deaf").group(&Axis::Other("ability".into())),
        Some("auditory")
    );
    assert_eq!(
        entry(&lex, "trans female").group(&Axis::Gender),
        Some("female")
    );
    let g = lex.infer("My neighbour is a Buddhist and a Chicana.");
    assert_eq!(g.value(&Axis::Religion), Some("buddhist"));
    assert_eq!(g.value(&Axis::Gender), Some("female"));
}
