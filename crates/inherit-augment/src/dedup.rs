//! Exact and near-duplicate detection: MinHash signatures of word shingles with
//! locality-sensitive hashing (banding), so each new text is compared only with the
//! accepted texts that share a band.
//!
//! Texts are normalised to their lowercase alphanumeric words. Two texts are exact
//! duplicates when those words are equal; near duplicates when the MinHash estimate of
//! the Jaccard similarity of their word `shingle`-grams is at least `threshold`.

use std::collections::{HashMap, HashSet};

use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::clean::RejectReason;
use crate::error::Result;
use crate::hash::{fnv1a_64, fnv1a_128};
use inherit_core::splitmix64;

/// Deduplication parameters.
///
/// | name | default | range |
/// |---|---|---|
/// | `threshold` | 0.8 | (0, 1]; estimated Jaccard at or above it is a near duplicate |
/// | `shingle` | 3 | >= 1 words per shingle |
/// | `bands` | 32 | >= 1; `bands * rows` hash functions |
/// | `rows` | 4 | >= 1; fewer rows find more candidates (all are verified) |
/// | `seed` | 0 | any; draws the hash functions |
///
/// With 32 bands of 4 rows, a pair of Jaccard similarity `s` shares at least one band
/// with probability `1 - (1 - s^4)^32`: 0.9996 at `s = 0.6`, so pairs above the default
/// threshold are almost never missed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DedupParams {
    /// Near-duplicate threshold on the estimated Jaccard similarity.
    pub threshold: f64,
    /// Words per shingle.
    pub shingle: usize,
    /// LSH bands.
    pub bands: usize,
    /// Signature rows per band.
    pub rows: usize,
    /// Seed of the hash functions.
    pub seed: u64,
}

impl Default for DedupParams {
    fn default() -> Self {
        DedupParams {
            threshold: 0.8,
            shingle: 3,
            bands: 32,
            rows: 4,
            seed: 0,
        }
    }
}

impl DedupParams {
    /// Checks the ranges in the table above.
    pub fn check(&self) -> Result<()> {
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return Err(inherit_core::Error::invalid(
                "threshold",
                format!("must be in (0, 1], got {}", self.threshold),
            )
            .into());
        }
        for (name, v) in [
            ("shingle", self.shingle),
            ("bands", self.bands),
            ("rows", self.rows),
        ] {
            if v == 0 {
                return Err(inherit_core::Error::invalid(name, "must be at least 1").into());
            }
        }
        Ok(())
    }
}

/// The lowercase alphanumeric words of a text.
fn normalised_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Hashes of the word `k`-grams (one shingle of all words when there are fewer than `k`).
fn shingles(words: &[String], k: usize) -> HashSet<u64> {
    if words.len() <= k {
        return HashSet::from([fnv1a_64(words.join(" ").as_bytes())]);
    }
    words
        .windows(k)
        .map(|w| fnv1a_64(w.join(" ").as_bytes()))
        .collect()
}

/// Remembers accepted texts and flags exact and near duplicates of them.
#[derive(Debug, Clone)]
pub struct Deduplicator {
    params: DedupParams,
    salts: Vec<u64>,
    exact: HashSet<u128>,
    signatures: Vec<Vec<u64>>,
    buckets: HashMap<(usize, u64), Vec<usize>>,
}

impl Deduplicator {
    /// An empty deduplicator.
    pub fn new(params: DedupParams) -> Result<Self> {
        params.check()?;
        let mut rng = inherit_core::seeded_rng(inherit_core::derive_seed(params.seed, "minhash"));
        let salts = (0..params.bands * params.rows)
            .map(|_| rng.random::<u64>())
            .collect();
        Ok(Deduplicator {
            params,
            salts,
            exact: HashSet::new(),
            signatures: Vec::new(),
            buckets: HashMap::new(),
        })
    }

    /// The MinHash signature of a text (`bands * rows` values).
    pub fn signature(&self, text: &str) -> Vec<u64> {
        let sh = shingles(&normalised_words(text), self.params.shingle);
        self.salts
            .iter()
            .map(|salt| {
                sh.iter()
                    .map(|h| splitmix64(h ^ salt))
                    .min()
                    .unwrap_or(u64::MAX)
            })
            .collect()
    }

    /// The fraction of equal positions of two signatures: an unbiased estimate of the
    /// Jaccard similarity of the two shingle sets.
    pub fn similarity(a: &[u64], b: &[u64]) -> f64 {
        let same = a.iter().zip(b).filter(|(x, y)| x == y).count();
        same as f64 / a.len().max(1) as f64
    }

    /// Number of accepted texts.
    pub fn len(&self) -> usize {
        self.signatures.len()
    }

    /// True when no text was accepted.
    pub fn is_empty(&self) -> bool {
        self.signatures.is_empty()
    }

    /// Checks `text` against the accepted texts; accepts and remembers it when it is no
    /// duplicate.
    pub fn insert(&mut self, text: &str) -> Result<(), RejectReason> {
        let key = fnv1a_128(normalised_words(text).join(" ").as_bytes());
        if self.exact.contains(&key) {
            return Err(RejectReason::ExactDuplicate);
        }
        let sig = self.signature(text);
        let band_keys: Vec<(usize, u64)> = sig
            .chunks(self.params.rows)
            .enumerate()
            .map(|(b, rows)| {
                let bytes: Vec<u8> = rows.iter().flat_map(|v| v.to_le_bytes()).collect();
                (b, fnv1a_64(&bytes))
            })
            .collect();
        let mut seen = HashSet::new();
        for bk in &band_keys {
            for &other in self.buckets.get(bk).into_iter().flatten() {
                if seen.insert(other)
                    && Self::similarity(&sig, &self.signatures[other]) >= self.params.threshold
                {
                    return Err(RejectReason::NearDuplicate);
                }
            }
        }
        let id = self.signatures.len();
        for bk in band_keys {
            self.buckets.entry(bk).or_default().push(id);
        }
        self.signatures.push(sig);
        self.exact.insert(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_duplicates_ignore_case_and_punctuation() {
        let mut d = Deduplicator::new(DedupParams::default()).unwrap();
        assert_eq!(d.insert("Mei is a nurse in Boston."), Ok(()));
        assert_eq!(
            d.insert("mei IS a nurse, in boston"),
            Err(RejectReason::ExactDuplicate)
        );
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn minhash_estimates_jaccard_and_flags_near_duplicates() {
        // A: 10 distinct words -> 8 word 3-grams. B replaces the last word: the 7 3-grams
        // without it are shared, 1 differs on each side. Jaccard = 7 / 9 = 0.778.
        let a = "w1 w2 w3 w4 w5 w6 w7 w8 w9 w10";
        let b = "w1 w2 w3 w4 w5 w6 w7 w8 w9 zz";
        let d = Deduplicator::new(DedupParams {
            bands: 64,
            rows: 4,
            ..DedupParams::default()
        })
        .unwrap();
        let est = Deduplicator::similarity(&d.signature(a), &d.signature(b));
        // 256 hash functions: standard error sqrt(0.778 * 0.222 / 256) = 0.026.
        assert!((est - 7.0 / 9.0).abs() < 0.08, "estimate {est}");

        let mut strict = Deduplicator::new(DedupParams {
            threshold: 0.7,
            ..DedupParams::default()
        })
        .unwrap();
        assert_eq!(strict.insert(a), Ok(()));
        assert_eq!(strict.insert(b), Err(RejectReason::NearDuplicate));
        assert_eq!(
            strict.insert("an entirely different text about a dentist in Lisbon"),
            Ok(())
        );
        let mut loose = Deduplicator::new(DedupParams {
            threshold: 0.95,
            ..DedupParams::default()
        })
        .unwrap();
        assert_eq!(loose.insert(a), Ok(()));
        assert_eq!(loose.insert(b), Ok(()));
    }

    #[test]
    fn same_seed_same_signature() {
        let p = DedupParams {
            seed: 9,
            ..DedupParams::default()
        };
        let a = Deduplicator::new(p.clone()).unwrap().signature("a b c d e");
        assert_eq!(a, Deduplicator::new(p).unwrap().signature("a b c d e"));
        assert_ne!(
            a,
            Deduplicator::new(DedupParams::default())
                .unwrap()
                .signature("a b c d e")
        );
        assert!(
            DedupParams {
                threshold: 0.0,
                ..DedupParams::default()
            }
            .check()
            .is_err()
        );
    }
}
