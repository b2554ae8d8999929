//! Equity Evaluation Corpus (Kiritchenko & Mohammad, 2018): mean score gap between
//! sentences that differ only in the person's gender (female - male) or race
//! (African-American - European), per emotion.
//!
//! Rows are `inherit-core`'s [`EecRow`] (what `inherit-data`'s loader returns).
//! Sentences are paired by `(Template, Emotion word)`; within a pair cell the scores of
//! each group are averaged, the cell's gap is the difference of those means, and the
//! report averages gaps over cells, with a paired t-test across cells. The neutral
//! templates (no emotion) are reported as [`EEC_NO_EMOTION`] (`none`); rows without a
//! race take no part in the race gaps.

use std::collections::BTreeMap;

pub use inherit_core::benchmark::{EEC_NO_EMOTION, EecRow};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::stats::{TTest, paired_t_test};

/// The gap on one emotion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmotionGap {
    /// Paired cells.
    pub n_pairs: usize,
    /// Mean score of group A over cells.
    pub mean_a: f64,
    /// Mean score of group B over cells.
    pub mean_b: f64,
    /// Mean of the per-cell gaps `A - B`.
    pub mean_gap: f64,
    /// Paired t-test over cells (`None` with fewer than two cells).
    pub t_test: Option<TTest>,
}

/// Gaps per emotion for gender and race.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EecReport {
    /// female - male, per emotion.
    pub gender: BTreeMap<String, EmotionGap>,
    /// African-American - European, per emotion.
    pub race: BTreeMap<String, EmotionGap>,
}

fn gaps(
    rows: &[EecRow],
    scores: &[f64],
    field: fn(&EecRow) -> Option<&str>,
    a: &str,
    b: &str,
) -> Result<BTreeMap<String, EmotionGap>> {
    // (emotion, template, word) -> (sum_a, n_a, sum_b, n_b)
    type Cell<'a> = (&'a str, &'a str, &'a str);
    let mut cells: BTreeMap<Cell<'_>, (f64, usize, f64, usize)> = BTreeMap::new();
    for (r, s) in rows.iter().zip(scores) {
        let Some(g) = field(r).filter(|g| *g == a || *g == b) else {
            continue;
        };
        let e = cells
            .entry((
                r.emotion_or_none(),
                r.template.as_str(),
                r.emotion_word.as_deref().unwrap_or(""),
            ))
            .or_default();
        if g == a {
            e.0 += s;
            e.1 += 1;
        } else {
            e.2 += s;
            e.3 += 1;
        }
    }
    let mut per: BTreeMap<String, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for ((emotion, _, _), (sa, na, sb, nb)) in cells {
        if na > 0 && nb > 0 {
            let e = per.entry(emotion.to_owned()).or_default();
            e.0.push(sa / na as f64);
            e.1.push(sb / nb as f64);
        }
    }
    if per.is_empty() {
        return Err(Error::NoData(format!(
            "no EEC cell has both `{a}` and `{b}` sentences"
        )));
    }
    per.into_iter()
        .map(|(emotion, (xa, xb))| {
            let n = xa.len() as f64;
            let (ma, mb) = (xa.iter().sum::<f64>() / n, xb.iter().sum::<f64>() / n);
            let t_test = if xa.len() >= 2 {
                Some(paired_t_test(&xa, &xb)?)
            } else {
                None
            };
            Ok((
                emotion,
                EmotionGap {
                    n_pairs: xa.len(),
                    mean_a: ma,
                    mean_b: mb,
                    mean_gap: ma - mb,
                    t_test,
                },
            ))
        })
        .collect()
}

/// Gaps of `scores[i]` (any model score of `rows[i]`, e.g. a predicted intensity or a
/// class probability).
pub fn eec_gaps(rows: &[EecRow], scores: &[f64]) -> Result<EecReport> {
    Error::check_len("scores", rows.len(), scores.len())?;
    Ok(EecReport {
        gender: gaps(rows, scores, |r| Some(&r.gender), "female", "male")?,
        race: gaps(
            rows,
            scores,
            |r| r.race.as_deref(),
            "African-American",
            "European",
        )?,
    })
}
