//! Group inference on generated texts: the default lexicon's inferred gender matches a
//! small hand-labelled fixture (tests/fixtures/gender_labelled.jsonl, labelled by reading
//! each text: the gender of the person it is about, null when the text does not say).

use inherit_augment::{NameTable, default_lexicon};
use inherit_core::Axis;
use serde::Deserialize;

#[derive(Deserialize)]
struct Labelled {
    text: String,
    gender: Option<String>,
}

#[test]
fn inferred_gender_matches_hand_labels() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/gender_labelled.jsonl"
    );
    let fixture: Vec<Labelled> = inherit_core::io::read_jsonl(path).unwrap();
    assert_eq!(fixture.len(), 11);
    let lexicon = default_lexicon(&NameTable::builtin());
    for item in &fixture {
        let inferred = lexicon
            .infer(&item.text)
            .inferred
            .get(&Axis::Gender)
            .cloned();
        assert_eq!(inferred, item.gender, "{}", item.text);
    }
}
