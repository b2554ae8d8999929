//! Property test: writing a dataset as JSONL and reading it back is lossless.

use inherit_core::{Axis, BiasType, Dataset, Example, Groups, Provenance};
use proptest::prelude::*;

fn axis() -> impl Strategy<Value = Axis> {
    prop_oneof![
        Just(Axis::Gender),
        Just(Axis::Culture),
        Just(Axis::Age),
        Just(Axis::Religion),
        "[a-z]{3,8}".prop_map(|s| s.parse::<Axis>().unwrap()),
    ]
}

fn provenance() -> impl Strategy<Value = Provenance> {
    prop_oneof![
        ".{0,12}".prop_map(Provenance::original),
        (".{0,8}", 0usize..9, ".{0,8}", any::<u64>(), 0u32..5).prop_map(
            |(g, b, p, seed, round)| {
                Provenance::Augmented {
                    generator: g,
                    bias_type: BiasType::all()[b],
                    prompt_id: p,
                    seed,
                    round,
                }
            }
        ),
    ]
}

fn example() -> impl Strategy<Value = Example> {
    (
        "[a-z0-9]{1,6}",
        any::<String>(),
        proptest::option::of("[a-z ]{1,10}"),
        proptest::collection::btree_map(axis(), ".{0,6}", 0..3),
        proptest::collection::btree_map(axis(), ".{0,6}", 0..3),
        provenance(),
        proptest::collection::btree_map("[a-z]{1,5}", any::<i64>(), 0..3),
    )
        .prop_map(
            |(id, text, label, stated, inferred, provenance, meta)| Example {
                id,
                text,
                label,
                groups: Groups { stated, inferred },
                provenance,
                meta: meta.into_iter().map(|(k, v)| (k, v.into())).collect(),
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn jsonl_round_trip_is_lossless(examples in proptest::collection::vec(example(), 1..12)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.jsonl");
        let data = Dataset::new("data", examples);
        data.write_jsonl(&path).unwrap();
        let back = Dataset::read_jsonl(&path).unwrap();
        prop_assert_eq!(back, data);
    }
}
