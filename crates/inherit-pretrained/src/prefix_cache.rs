//! A memory-bounded cache of the residual stream entering the first adapted layer.
//!
//! When LoRA adapters sit only on layers `L..` of a frozen base model, the hidden states
//! entering layer `L` depend on the token sequence alone, never on the adapters: they are
//! the same at every epoch, for every seed and in every experimental cell that trains on
//! the same text. [`PrefixCache`] computes them once per distinct token sequence and keeps
//! them on the host (`tokens × d_model` float32 values, 2,304 bytes a token for
//! SmolLM2-135M), evicting the least recently used sequences when the total would pass
//! its byte budget; a sequence larger than the whole budget is computed and used but not
//! kept. A cache belongs to one base model (by id) and one layer, and refuses others.

use std::collections::HashMap;
use std::sync::Arc;

use burn::tensor::Tensor;

use crate::error::{Error, Result};
use crate::llama::Llama;

/// Default byte budget: 1 GiB (about 466,000 tokens of SmolLM2-135M).
pub const DEFAULT_BUDGET_BYTES: usize = 1 << 30;

/// Sequences whose states are computed together on a miss.
const MISS_BATCH: usize = 8;

/// Hits, misses and size of a [`PrefixCache`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    /// Sequences served from the cache.
    pub hits: u64,
    /// Sequences computed (whether then kept or not).
    pub misses: u64,
    /// Sequences evicted to stay within the budget.
    pub evictions: u64,
    /// Sequences held.
    pub entries: usize,
    /// Bytes held (hidden states and keys).
    pub bytes: usize,
}

#[derive(Debug)]
struct Entry {
    hidden: Arc<Vec<f32>>,
    last_used: u64,
    bytes: usize,
}

/// The residual stream entering layer [`PrefixCache::layer`] of one base model, per
/// distinct token sequence, within a byte budget.
#[derive(Debug)]
pub struct PrefixCache {
    model_id: String,
    layer: usize,
    budget: usize,
    entries: HashMap<Vec<u32>, Entry>,
    clock: u64,
    stats: CacheStats,
}

impl PrefixCache {
    /// An empty cache for the base model identified by `model_id` (e.g.
    /// `SmolLm::sha256`), serving adapters that start at `layer`, holding at most
    /// `budget_bytes`.
    pub fn new(model_id: impl Into<String>, layer: usize, budget_bytes: usize) -> Self {
        PrefixCache {
            model_id: model_id.into(),
            layer,
            budget: budget_bytes,
            entries: HashMap::new(),
            clock: 0,
            stats: CacheStats::default(),
        }
    }

    /// The layer whose input is cached.
    pub fn layer(&self) -> usize {
        self.layer
    }

    /// The base model the states belong to.
    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    /// The byte budget.
    pub fn budget_bytes(&self) -> usize {
        self.budget
    }

    /// Counters and size.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            entries: self.entries.len(),
            ..self.stats
        }
    }

    /// An error unless this cache serves `model_id` at `layer`.
    pub fn check(&self, model_id: &str, layer: usize) -> Result<()> {
        if self.model_id != model_id || self.layer != layer {
            return Err(Error::invalid(
                "prefix_cache",
                format!(
                    "the cache holds layer {} inputs of `{}`, not layer {layer} inputs of `{model_id}`",
                    self.layer, self.model_id
                ),
            ));
        }
        Ok(())
    }

    /// The states entering the cached layer for each sequence, `len × d_model` values
    /// each (row-major), computed with `base` (the frozen base model, on a device
    /// without autodiff) for the sequences not held.
    pub fn hidden(&mut self, base: &Llama, seqs: &[&[u32]]) -> Result<Vec<Arc<Vec<f32>>>> {
        let mut out: Vec<Option<Arc<Vec<f32>>>> = vec![None; seqs.len()];
        let mut missing: Vec<usize> = Vec::new();
        for (i, s) in seqs.iter().enumerate() {
            self.clock += 1;
            match self.entries.get_mut(*s) {
                Some(e) => {
                    e.last_used = self.clock;
                    self.stats.hits += 1;
                    out[i] = Some(e.hidden.clone());
                }
                None if missing.iter().any(|&j| seqs[j] == *s) => {}
                None => missing.push(i),
            }
        }
        for chunk in missing.chunks(MISS_BATCH) {
            let rows: Vec<&[u32]> = chunk.iter().map(|&i| seqs[i]).collect();
            for (&i, hidden) in chunk.iter().zip(compute(base, &rows, self.layer)?) {
                self.stats.misses += 1;
                let hidden = Arc::new(hidden);
                self.insert(seqs[i].to_vec(), hidden.clone());
                out[i] = Some(hidden);
            }
        }
        // Repeats of a sequence missed in this call.
        for i in 0..seqs.len() {
            if out[i].is_none() {
                let j = (0..i).find(|&j| seqs[j] == seqs[i] && out[j].is_some());
                out[i] = j.and_then(|j| out[j].clone());
            }
        }
        out.into_iter()
            .map(|h| {
                h.ok_or_else(|| Error::Backend("prefix cache: a sequence was not computed".into()))
            })
            .collect()
    }

    fn insert(&mut self, key: Vec<u32>, hidden: Arc<Vec<f32>>) {
        let bytes = hidden.len() * 4 + key.len() * 4;
        if bytes > self.budget {
            return;
        }
        while self.stats.bytes + bytes > self.budget {
            let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(e) = self.entries.remove(&oldest) {
                self.stats.bytes -= e.bytes;
                self.stats.evictions += 1;
            }
        }
        self.clock += 1;
        self.stats.bytes += bytes;
        self.entries.insert(
            key,
            Entry {
                hidden,
                last_used: self.clock,
                bytes,
            },
        );
    }
}

/// The states entering `layer` for `rows` (left-padded together), one vector each
/// without the padding.
fn compute(base: &Llama, rows: &[&[u32]], layer: usize) -> Result<Vec<Vec<f32>>> {
    let longest = rows.iter().map(|r| r.len()).max().unwrap_or(0);
    if longest == 0 {
        return Ok(vec![Vec::new(); rows.len()]);
    }
    let pad: Vec<usize> = rows.iter().map(|r| longest - r.len()).collect();
    let tokens: Vec<Vec<u32>> = rows
        .iter()
        .zip(&pad)
        .map(|(r, &p)| {
            std::iter::repeat_n(r.first().copied().unwrap_or(0), p)
                .chain(r.iter().copied())
                .collect()
        })
        .collect();
    let x: Tensor<3> = base.hidden_entering(&tokens, &pad, layer);
    let d = x.dims()[2];
    let flat = x
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| Error::Backend(format!("{e:?}")))?;
    Ok(rows
        .iter()
        .enumerate()
        .map(|(b, r)| {
            let start = (b * longest + pad[b]) * d;
            flat[start..start + r.len() * d].to_vec()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An entry of `n` values under a key of `k` tokens takes `4 * (n + k)` bytes.
    fn entry(n: usize) -> Arc<Vec<f32>> {
        Arc::new(vec![0.5; n])
    }

    #[test]
    fn the_budget_bounds_the_bytes_held_least_recently_used_first() {
        // Budget 100 bytes; each entry is 2 key tokens + 8 values = 40 bytes.
        let mut c = PrefixCache::new("m", 3, 100);
        c.insert(vec![1, 1], entry(8));
        c.insert(vec![2, 2], entry(8));
        assert_eq!(c.stats().bytes, 80);
        // Touch [1, 1] so that [2, 2] is the least recently used.
        c.clock += 1;
        c.entries.get_mut(&vec![1, 1]).unwrap().last_used = c.clock;
        c.insert(vec![3, 3], entry(8));
        let s = c.stats();
        assert_eq!((s.entries, s.bytes, s.evictions), (2, 80, 1));
        assert!(c.entries.contains_key(&vec![1, 1]) && c.entries.contains_key(&vec![3, 3]));
        // An entry larger than the whole budget is not kept, and evicts nothing.
        c.insert(vec![4], entry(30));
        assert_eq!(c.stats().entries, 2);
        assert!(c.stats().bytes <= c.budget_bytes());
        assert!(c.check("m", 3).is_ok());
        assert!(c.check("m", 2).is_err() && c.check("other", 3).is_err());
    }
}
