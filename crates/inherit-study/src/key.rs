//! Cell keys: a hash of everything that determines a cell's result.
//!
//! A key is built from named parts: `schema` (the results schema version), `task` (the
//! task's identity: data sizes, seed, groups), `generator` (the generator's identity and
//! sampling settings, which determine D_a), `downstream` (the model's identity, sizes,
//! optimiser, device), and the cell's own coordinates `bias_type`, `gamma`, `mitigation`
//! and `seed`. Large parts are stored as a short sha256; the key is the sha256 of all
//! parts. Each result record stores its key and parts, so a rerun recognises finished
//! cells exactly, and a changed configuration can be named part by part.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

/// The version of the results schema written by this crate; part of every key.
pub const RESULTS_SCHEMA: u32 = 2;

/// The first 16 hex digits of the sha256 of `bytes`.
pub fn short_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The short hash of a JSON value in canonical form (serde_json sorts object keys).
pub fn hash_json(value: &serde_json::Value) -> String {
    short_hash(value.to_string().as_bytes())
}

/// The named parts of a key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyParts(pub BTreeMap<String, String>);

impl KeyParts {
    /// Adds a part.
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.0.insert(name.to_owned(), value.into());
        self
    }

    /// The key: the short hash of all parts.
    pub fn key(&self) -> String {
        let json = serde_json::to_value(&self.0).expect("a map of strings serialises");
        hash_json(&json)
    }

    /// The names of the parts that differ from `other` (or exist in only one).
    pub fn changed(&self, other: &BTreeMap<String, String>) -> Vec<String> {
        let mut names: Vec<String> = self
            .0
            .iter()
            .filter(|(k, v)| other.get(*k) != Some(v))
            .map(|(k, _)| k.clone())
            .chain(other.keys().filter(|k| !self.0.contains_key(*k)).cloned())
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_change_with_any_part_and_name_it() {
        let a = KeyParts::default().with("task", "t1").with("seed", "1");
        let b = a.clone().with("seed", "2");
        assert_ne!(a.key(), b.key());
        assert_eq!(a.key(), a.clone().key(), "deterministic");
        assert_eq!(b.changed(&a.0), vec!["seed".to_owned()]);
        let c = a.clone().with("generator", "g");
        assert_eq!(c.changed(&a.0), vec!["generator".to_owned()]);
        assert_eq!(a.changed(&c.0), vec!["generator".to_owned()]);
        // sha256("abc") = ba7816bf8f01cfea...
        assert_eq!(short_hash(b"abc"), "ba7816bf8f01cfea");
    }
}
