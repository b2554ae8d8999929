//! Mixing original data D_o with a draw from the augmented pool D_a at a bias ratio γ.

use std::collections::BTreeMap;

use inherit_core::{Axis, CountRow, Dataset, Example, SeededRng, seeded_rng};
use rand::RngExt;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::params::{LabelTarget, MixMode, MixValidParams};
use crate::ratio::BiasRatio;

/// The mixed training set and what went into it.
#[derive(Debug, Clone, PartialEq)]
pub struct Mixed {
    /// D_o (whole or subsampled) followed by the D_a draw; provenance kept on each example.
    pub dataset: Dataset,
    /// Sizes, ratios and counts.
    pub report: MixReport,
}

/// What a mix holds: requested and realised γ, and counts by source x label x group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MixReport {
    /// γ asked for.
    pub requested_gamma: f64,
    /// |D_a| / |D| achieved.
    pub realised_gamma: f64,
    /// |D_o| in the mix.
    pub n_original: usize,
    /// |D_a| in the mix.
    pub n_augmented: usize,
    /// Augmented examples drawn more than once (only with replacement).
    pub n_repeated: usize,
    /// The group axis of `counts`.
    pub axis: Axis,
    /// Counts by label x group x provenance.
    pub counts: Vec<CountRow>,
}

/// Apportions `total` over strata with the given weights by largest remainder
/// (ties to the earlier stratum), so the shares add up to `total` exactly.
fn apportion(total: usize, weights: &[usize]) -> Vec<usize> {
    let sum: usize = weights.iter().sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights
        .iter()
        .map(|w| total as f64 * *w as f64 / sum as f64)
        .collect();
    let mut out: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = exact[a] - exact[a].floor();
        let rb = exact[b] - exact[b].floor();
        rb.partial_cmp(&ra)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.cmp(&b))
    });
    let missing = total - out.iter().sum::<usize>();
    for &i in order.iter().take(missing) {
        out[i] += 1;
    }
    out
}

/// Indices of examples per label (unlabelled examples under `None`), in input order.
fn by_label(examples: &[Example]) -> BTreeMap<Option<String>, Vec<usize>> {
    let mut m: BTreeMap<Option<String>, Vec<usize>> = BTreeMap::new();
    for (i, e) in examples.iter().enumerate() {
        m.entry(e.label.clone()).or_default().push(i);
    }
    m
}

/// Draws `need` of `pool` (indices) without replacement, or with replacement when
/// allowed and the pool is short; returns the draw and how many were repeats.
fn draw(
    pool: &[usize],
    need: usize,
    with_replacement: bool,
    stratum: impl FnOnce() -> String,
    rng: &mut SeededRng,
) -> Result<(Vec<usize>, usize)> {
    if need <= pool.len() {
        let mut p = pool.to_vec();
        p.shuffle(rng);
        p.truncate(need);
        return Ok((p, 0));
    }
    if !with_replacement || pool.is_empty() {
        return Err(Error::NotEnoughAugmented {
            stratum: stratum(),
            need,
            have: pool.len(),
        });
    }
    // Every pool example once, the rest drawn uniformly with replacement.
    let mut p = pool.to_vec();
    p.shuffle(rng);
    let extra = need - pool.len();
    for _ in 0..extra {
        p.push(pool[rng.random_range(0..pool.len())]);
    }
    Ok((p, extra))
}

fn stratum_name(label: &Option<String>, group: Option<(&Axis, &str)>) -> String {
    let label = label.as_deref().unwrap_or("(unlabelled)");
    match group {
        Some((axis, g)) => format!("label `{label}`, {axis} `{g}`"),
        None => format!("label `{label}`"),
    }
}

/// Mixes `original` (D_o) with a draw from `augmented` (the pool D_a) at the checked ratio.
///
/// The D_a draw is stratified by label: label shares follow D_o (or the pool, per
/// [`LabelTarget`]), apportioned by largest remainder, so each label's count is within
/// one example of its exact share. With a `group_axis`, each label's share is further
/// apportioned over the pool's groups on that axis, keeping the generator's own group
/// balance. Sampling is seeded; the same seed gives the same mix.
pub fn mix(original: &Dataset, augmented: &Dataset, params: &MixValidParams) -> Result<Mixed> {
    let p = &params.params;
    let gamma = params.gamma;
    let mut rng = seeded_rng(p.seed);

    // Sizes and the original part.
    let (originals, n_aug): (Vec<Example>, usize) = match p.mode {
        MixMode::KeepOriginal => (
            original.examples.clone(),
            gamma.augmented_for_original(original.len()),
        ),
        MixMode::FixedTotal { total } => {
            let n_aug = gamma.augmented_for_total(total);
            let n_orig = total - n_aug;
            if n_orig > original.len() {
                return Err(Error::NotEnoughOriginal {
                    need: n_orig,
                    have: original.len(),
                });
            }
            let strata = by_label(&original.examples);
            let sizes: Vec<usize> = strata.values().map(Vec::len).collect();
            let mut keep = Vec::with_capacity(n_orig);
            for (idx, take) in strata.values().zip(apportion(n_orig, &sizes)) {
                let mut idx = idx.clone();
                idx.shuffle(&mut rng);
                keep.extend_from_slice(&idx[..take]);
            }
            keep.sort_unstable();
            (
                keep.into_iter()
                    .map(|i| original.examples[i].clone())
                    .collect(),
                n_aug,
            )
        }
    };

    // Label targets for the D_a draw.
    let pool = by_label(&augmented.examples);
    let target_source = match p.label_target {
        LabelTarget::Original => by_label(&original.examples),
        LabelTarget::Augmented => pool.clone(),
    };
    let labels: Vec<&Option<String>> = target_source.keys().collect();
    let weights: Vec<usize> = target_source.values().map(Vec::len).collect();
    let mut drawn = Vec::with_capacity(n_aug);
    let mut n_repeated = 0;
    let empty = Vec::new();
    for (label, need) in labels.into_iter().zip(apportion(n_aug, &weights)) {
        if need == 0 {
            continue;
        }
        let label_pool = pool.get(label).unwrap_or(&empty);
        match &p.group_axis {
            None => {
                let (d, rep) = draw(
                    label_pool,
                    need,
                    p.with_replacement,
                    || stratum_name(label, None),
                    &mut rng,
                )?;
                drawn.extend(d);
                n_repeated += rep;
            }
            Some(axis) => {
                let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
                for &i in label_pool {
                    let g = augmented.examples[i]
                        .groups
                        .value(axis)
                        .unwrap_or("-")
                        .to_owned();
                    groups.entry(g).or_default().push(i);
                }
                if groups.is_empty() {
                    return Err(Error::NotEnoughAugmented {
                        stratum: stratum_name(label, None),
                        need,
                        have: 0,
                    });
                }
                let sizes: Vec<usize> = groups.values().map(Vec::len).collect();
                for ((g, idx), take) in groups.iter().zip(apportion(need, &sizes)) {
                    let (d, rep) = draw(
                        idx,
                        take,
                        p.with_replacement,
                        || stratum_name(label, Some((axis, g))),
                        &mut rng,
                    )?;
                    drawn.extend(d);
                    n_repeated += rep;
                }
            }
        }
    }

    let n_original = originals.len();
    let mut examples = originals;
    examples.extend(drawn.into_iter().map(|i| augmented.examples[i].clone()));
    let mut label_set = original.labels.clone();
    for l in &augmented.labels {
        if !label_set.contains(l) && examples.iter().any(|e| e.label.as_ref() == Some(l)) {
            label_set.push(l.clone());
        }
    }
    let dataset = Dataset::with_labels(
        format!("{}+aug@{}", original.name, gamma),
        label_set,
        examples,
    )?;
    let counts = dataset.counts(&p.report_axis).rows;
    let report = MixReport {
        requested_gamma: gamma.value(),
        realised_gamma: BiasRatio::realised(n_original, n_aug),
        n_original,
        n_augmented: n_aug,
        n_repeated,
        axis: p.report_axis.clone(),
        counts,
    };
    Ok(Mixed { dataset, report })
}

#[cfg(test)]
mod tests {
    use super::apportion;

    #[test]
    fn apportion_sums_exactly_and_follows_weights() {
        assert_eq!(apportion(10, &[1, 1, 1]), vec![4, 3, 3]);
        assert_eq!(apportion(53, &[200, 200, 600]), vec![11, 10, 32]);
        assert_eq!(apportion(0, &[5, 5]), vec![0, 0]);
        assert_eq!(apportion(7, &[0, 0]), vec![0, 0]);
        // 250 over six equal labels: 41.67 each -> four get 42, two get 41.
        let a = apportion(250, &[1; 6]);
        assert_eq!(a.iter().sum::<usize>(), 250);
        assert!(a.iter().all(|x| *x == 41 || *x == 42));
    }
}
