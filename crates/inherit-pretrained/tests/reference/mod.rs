//! Shared helpers of the golden tests: the reference directory and JSON loading.

#![allow(dead_code)]

use std::path::PathBuf;

/// `$INHERIT_REFERENCE_DIR`, else `shared/reference` beside the repository.
pub fn reference_dir() -> PathBuf {
    let dir = std::env::var_os("INHERIT_REFERENCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/reference"
            ))
        });
    assert!(
        dir.join("README.md").is_file(),
        "reference outputs not found at {} (set INHERIT_REFERENCE_DIR or put shared/ beside the repository)",
        dir.display()
    );
    dir
}

/// A reference JSON file.
pub fn reference(name: &str) -> serde_json::Value {
    let path = reference_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A JSON array of integers as token ids.
pub fn ids(v: &serde_json::Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

/// `(id, logprob)` pairs of a `top` list.
pub fn top(v: &serde_json::Value) -> Vec<(u32, f64)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_u64().unwrap() as u32,
                t["logprob"].as_f64().unwrap(),
            )
        })
        .collect()
}
