//! [`KvCache`]: the keys and values of the positions a generation has seen, per block.
//!
//! Each block's keys and values live in a buffer `[batch, kv_heads, capacity, head_dim]`
//! of which the first [`KvCache::len`] positions are filled. A step writes its new
//! positions into the spare capacity in place (burn-flex's `slice_assign` reuses a buffer
//! it owns alone) and attends over a view of the filled part, instead of concatenating a
//! new copy of the whole cache every step. When the buffer is full it is regrown to twice
//! the positions needed (one copy, amortised like a `Vec`).

use burn::tensor::{Int, Tensor, TensorData};

/// Keys and values of the positions seen so far, per block.
#[derive(Debug, Clone, Default)]
pub struct KvCache {
    /// Per block, its key and value buffers (`None` before the first step).
    layers: Vec<Option<(Tensor<4>, Tensor<4>)>>,
    /// Filled positions.
    len: usize,
    /// Positions to reserve at the first step.
    reserve: usize,
}

impl KvCache {
    /// An empty cache that reserves room for `positions` positions at its first step (the
    /// prompt plus the tokens to generate), so that it never regrows.
    pub fn with_capacity(positions: usize) -> Self {
        KvCache {
            reserve: positions,
            ..KvCache::default()
        }
    }

    /// Number of cached positions.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Keeps only the batch rows in `rows` (in that order).
    pub fn retain_rows(&mut self, rows: &[usize]) {
        for (k, v) in self.layers.iter_mut().flatten() {
            let idx = Tensor::<1, Int>::from_data(
                TensorData::new(
                    rows.iter().map(|&r| r as i64).collect::<Vec<_>>(),
                    [rows.len()],
                ),
                &k.device(),
            );
            *k = k.clone().select(0, idx.clone());
            *v = v.clone().select(0, idx);
        }
    }

    /// One slot per block of a `blocks`-block model (the cache is emptied first when it
    /// was filled by a model with another number of blocks), each ready to take the new
    /// positions of a step after [`KvCache::len`] cached ones. Call
    /// [`KvCache::advance`] once the step has gone through every block.
    pub(super) fn slots(&mut self, blocks: usize) -> Vec<CacheSlot<'_>> {
        if self.layers.len() != blocks {
            self.layers = vec![None; blocks];
            self.len = 0;
        }
        let (past, reserve) = (self.len, self.reserve);
        self.layers
            .iter_mut()
            .map(|kv| CacheSlot { kv, past, reserve })
            .collect()
    }

    /// Records that a step added `new` positions to every block.
    pub(super) fn advance(&mut self, new: usize) {
        self.len += new;
    }
}

/// One block's part of a [`KvCache`] during a step.
pub(super) struct CacheSlot<'a> {
    kv: &'a mut Option<(Tensor<4>, Tensor<4>)>,
    past: usize,
    reserve: usize,
}

impl CacheSlot<'_> {
    /// Positions cached before this step.
    pub(super) fn past(&self) -> usize {
        self.past
    }

    /// Writes the step's keys and values `[batch, kv_heads, S, head_dim]` after the cached
    /// positions; returns views of all of them, old and new.
    pub(super) fn append(self, k: Tensor<4>, v: Tensor<4>) -> (Tensor<4>, Tensor<4>) {
        let [batch, heads, seq, head_dim] = k.dims();
        let past = self.past;
        let total = past + seq;
        let (kb, vb) = match self.kv.take() {
            // Room left: write in place.
            Some((kb, vb)) if kb.dims()[2] >= total => {
                let range = [0..batch, 0..heads, past..total, 0..head_dim];
                (kb.slice_assign(range.clone(), k), vb.slice_assign(range, v))
            }
            // Full, or the first step: one copy into a buffer with spare room.
            old => {
                let capacity = match &old {
                    Some(_) => 2 * total,
                    None => total.max(self.reserve),
                };
                let spare = capacity - total;
                let grown = |old: Option<Tensor<4>>, new: Tensor<4>| {
                    let device = new.device();
                    let mut parts: Vec<Tensor<4>> =
                        old.map(|o| o.narrow(2, 0, past)).into_iter().collect();
                    parts.push(new);
                    if spare > 0 {
                        parts.push(Tensor::zeros([batch, heads, spare, head_dim], &device));
                    }
                    match parts.len() {
                        1 => parts.pop().expect("one part"),
                        _ => Tensor::cat(parts, 2),
                    }
                };
                let (ok, ov) = old.unzip();
                (grown(ok, k), grown(ov, v))
            }
        };
        *self.kv = Some((kb.clone(), vb.clone()));
        if kb.dims()[2] == total {
            (kb, vb)
        } else {
            (kb.narrow(2, 0, total), vb.narrow(2, 0, total))
        }
    }
}
