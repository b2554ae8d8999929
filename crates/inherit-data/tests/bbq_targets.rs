//! BBQ target resolution on every BBQ file of the shared data directory: each item with a
//! stereotyped group names exactly one target answer (besides the unknown one), unless
//! it is listed below as an upstream item that cannot, with the reason.

mod common;

use common::data_dir;
use inherit_data::{BbqCategory, BbqTarget};

/// Upstream items whose target cannot be resolved: `(category, example_id, reason)`.
/// None of the six files in the shared data has one: the list is empty, and the test
/// below fails both on an unlisted failure and on a listed item that resolves after all.
const UNRESOLVABLE: &[(&str, u64, &str)] = &[];

/// Items per file in the shared data (its README).
const EXPECTED: [(BbqCategory, usize); 6] = [
    (BbqCategory::Age, 3680),
    (BbqCategory::DisabilityStatus, 1556),
    (BbqCategory::Nationality, 3080),
    (BbqCategory::PhysicalAppearance, 1576),
    (BbqCategory::Religion, 1200),
    (BbqCategory::SexualOrientation, 864),
];

#[test]
fn every_bbq_item_with_a_stereotyped_group_resolves_exactly_one_target() {
    let dir = data_dir();
    // Every BBQ file present, not only the expected ones.
    let mut present: Vec<BbqCategory> = std::fs::read_dir(dir.root().join("bbq"))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            let stem = name.strip_suffix(".jsonl")?.to_owned();
            Some(
                BbqCategory::from_name(&stem)
                    .unwrap_or_else(|| panic!("bbq/{name} is no BBQ category")),
            )
        })
        .collect();
    present.sort();
    let mut expected: Vec<BbqCategory> = EXPECTED.iter().map(|e| e.0).collect();
    expected.sort();
    assert_eq!(present, expected, "the BBQ files of the shared data");

    let mut listed_seen = 0;
    for (category, n) in EXPECTED {
        let items = dir.bbq(category).unwrap();
        assert_eq!(items.len(), n, "{category}");
        let mut resolved = 0;
        for item in &items {
            let listed = UNRESOLVABLE
                .iter()
                .find(|(c, id, _)| *c == category.as_str() && *id == item.example_id);
            let target = item.resolve_target();
            let unknown = item.unknown_answer();
            let ok =
                matches!(target, BbqTarget::Answer(t) if Some(t) != unknown) && unknown.is_some();
            match (ok, listed) {
                (true, None) => resolved += 1,
                (false, Some(_)) => listed_seen += 1,
                (true, Some((_, id, reason))) => {
                    panic!("{category} {id} is listed as unresolvable ({reason}) but resolves")
                }
                (false, None) => panic!(
                    "{category} example {}: {target}; unknown answer {unknown:?}; answer_info {:?}; \
                     stereotyped groups {:?}",
                    item.example_id, item.answer_info, item.additional_metadata.stereotyped_groups
                ),
            }
        }
        eprintln!("{category}: {resolved} of {n} items resolve a target");
        assert_eq!(resolved, n, "{category}");
    }
    assert_eq!(listed_seen, UNRESOLVABLE.len());
}

#[test]
fn nationality_targets_come_from_the_words_naming_the_person() {
    // The tag (`Europe`, `AsiaPacific`) never names the stereotyped group in Nationality.
    let items = data_dir().bbq(BbqCategory::Nationality).unwrap();
    let first = &items[0];
    assert_eq!(first.answer_info.ans0, ["British", "Europe"]);
    assert_eq!(first.additional_metadata.stereotyped_groups, ["British"]);
    assert_eq!(first.resolve_target(), BbqTarget::Answer(0));
    // Every target's words are one of the listed groups.
    for item in &items {
        let t = item.target_answer().unwrap();
        let words = &item.answer_info.get(t).unwrap()[0];
        assert!(
            item.additional_metadata
                .stereotyped_groups
                .iter()
                .any(|g| g == words),
            "example {}: {words} not in {:?}",
            item.example_id,
            item.additional_metadata.stereotyped_groups
        );
    }
}
