//! Seeded batch composition: plain shuffling, or batches that always mix original and
//! augmented examples.

use inherit_core::SeededRng;
use rand::seq::SliceRandom;

use crate::params::BatchSampling;

/// The batches of one epoch, as indices into the training examples.
///
/// `augmented[i]` tells the source of example `i`. With [`BatchSampling::MixedSources`]
/// and a dataset of one source only, batches fall back to a plain shuffle.
pub fn epoch_batches(
    augmented: &[bool],
    batch_size: usize,
    sampling: BatchSampling,
    rng: &mut SeededRng,
) -> Vec<Vec<usize>> {
    let n = augmented.len();
    let (mut orig, mut aug): (Vec<usize>, Vec<usize>) = (0..n).partition(|i| !augmented[*i]);
    if sampling == BatchSampling::Shuffle || orig.is_empty() || aug.is_empty() {
        let mut all: Vec<usize> = (0..n).collect();
        all.shuffle(rng);
        return all.chunks(batch_size).map(<[usize]>::to_vec).collect();
    }
    orig.shuffle(rng);
    aug.shuffle(rng);
    let n_batches = n.div_ceil(batch_size);
    let spread = |src: &[usize], rng: &mut SeededRng| -> Vec<Vec<usize>> {
        // Reuse a fresh shuffle of the source while it has fewer items than batches.
        let mut items = src.to_vec();
        while items.len() < n_batches {
            let mut extra = src.to_vec();
            extra.shuffle(rng);
            items.extend(extra);
        }
        let mut out = vec![Vec::new(); n_batches];
        for (k, i) in items.into_iter().enumerate() {
            out[k % n_batches].push(i);
        }
        out
    };
    let o = spread(&orig, rng);
    let a = spread(&aug, rng);
    o.into_iter()
        .zip(a)
        .map(|(mut b, a)| {
            b.extend(a);
            b.shuffle(rng);
            b
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shuffle_covers_every_example_once_and_is_seeded() {
        let aug = vec![false; 10];
        let b = epoch_batches(
            &aug,
            4,
            BatchSampling::Shuffle,
            &mut inherit_core::seeded_rng(1),
        );
        assert_eq!(b.iter().map(Vec::len).collect::<Vec<_>>(), vec![4, 4, 2]);
        let mut all: Vec<usize> = b.concat();
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        let again = epoch_batches(
            &aug,
            4,
            BatchSampling::Shuffle,
            &mut inherit_core::seeded_rng(1),
        );
        assert_eq!(b, again);
    }

    #[test]
    fn mixed_sources_puts_both_in_every_batch() {
        // 18 original, 2 augmented, batch 4 -> 5 batches; augmented ones are reused.
        let aug: Vec<bool> = (0..20).map(|i| i >= 18).collect();
        let b = epoch_batches(
            &aug,
            4,
            BatchSampling::MixedSources,
            &mut inherit_core::seeded_rng(2),
        );
        assert_eq!(b.len(), 5);
        for batch in &b {
            assert!(
                batch.iter().any(|i| aug[*i]) && batch.iter().any(|i| !aug[*i]),
                "{batch:?}"
            );
        }
        // Every original example appears exactly once.
        let mut origs: Vec<usize> = b.concat().into_iter().filter(|i| !aug[*i]).collect();
        origs.sort();
        assert_eq!(origs, (0..18).collect::<Vec<_>>());
    }
}
