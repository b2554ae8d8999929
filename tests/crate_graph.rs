//! The crate map of docs/architecture.md, checked against the manifests: leaf crates
//! depend on inherit-core only, except inherit-train → inherit-mitigate and
//! inherit-train → inherit-pretrained; inherit-study is the one crate that wires the
//! others.

use std::collections::{BTreeMap, BTreeSet};

/// The workspace crates each crate's `[dependencies]` names.
fn edges() -> BTreeMap<String, BTreeSet<String>> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/crates");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(root).unwrap() {
        let dir = entry.unwrap().path();
        let manifest: toml::Table =
            toml::from_str(&std::fs::read_to_string(dir.join("Cargo.toml")).unwrap()).unwrap();
        let name = manifest["package"]["name"].as_str().unwrap().to_owned();
        let deps = manifest
            .get("dependencies")
            .and_then(|d| d.as_table())
            .map(|t| {
                t.keys()
                    .filter(|k| k.starts_with("inherit-"))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        out.insert(name, deps);
    }
    out
}

#[test]
fn leaf_crates_depend_on_core_only_and_study_wires_the_rest() {
    let edges = edges();
    let allowed: BTreeSet<(&str, &str)> = [
        ("inherit-train", "inherit-mitigate"),
        ("inherit-train", "inherit-pretrained"),
    ]
    .into();
    for (from, deps) in &edges {
        if from == "inherit-study" || from == "inherit-core" {
            continue;
        }
        for to in deps {
            assert!(
                to == "inherit-core" || allowed.contains(&(from.as_str(), to.as_str())),
                "{from} → {to} is not in the crate map"
            );
        }
    }
    assert!(
        edges["inherit-core"].is_empty(),
        "inherit-core depends on no workspace crate"
    );
    let others = edges.len() - 1;
    assert_eq!(
        edges["inherit-study"].len(),
        others,
        "inherit-study depends on every other crate"
    );
    // No other crate depends on most of the others.
    for (from, deps) in &edges {
        if from != "inherit-study" {
            assert!(deps.len() <= 3, "{from} depends on {deps:?}");
        }
    }
}
