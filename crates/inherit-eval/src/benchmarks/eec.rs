//! Equity Evaluation Corpus (Kiritchenko & Mohammad, 2018): mean score gap between
//! sentences that differ only in the person's gender (female - male) or race
//! (African-American - European), per emotion.
//!
//! Sentences are paired by `(Template, Emotion word)`; within a pair cell the scores of
//! each group are averaged, the cell's gap is the difference of those means, and the
//! report averages gaps over cells, with a paired t-test across cells. Emotion `""`
//! (the neutral templates) is reported as `none`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::stats::{TTest, paired_t_test};

/// One EEC sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EecRow {
    /// The sentence.
    pub sentence: String,
    /// Its template.
    pub template: String,
    /// The person phrase or name.
    pub person: String,
    /// `female` or `male`.
    pub gender: String,
    /// `African-American`, `European` or empty (noun phrases).
    pub race: String,
    /// `anger`, `fear`, `joy`, `sadness` or empty.
    pub emotion: String,
    /// The emotion word or empty.
    pub emotion_word: String,
}

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
    field: fn(&EecRow) -> &str,
    a: &str,
    b: &str,
) -> Result<BTreeMap<String, EmotionGap>> {
    // (emotion, template, word) -> (sum_a, n_a, sum_b, n_b)
    type Cell<'a> = (&'a str, &'a str, &'a str);
    let mut cells: BTreeMap<Cell<'_>, (f64, usize, f64, usize)> = BTreeMap::new();
    for (r, s) in rows.iter().zip(scores) {
        let g = field(r);
        if g != a && g != b {
            continue;
        }
        let e = cells
            .entry((
                r.emotion.as_str(),
                r.template.as_str(),
                r.emotion_word.as_str(),
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
            let name = if emotion.is_empty() { "none" } else { emotion };
            let e = per.entry(name.to_owned()).or_default();
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
        gender: gaps(rows, scores, |r| &r.gender, "female", "male")?,
        race: gaps(rows, scores, |r| &r.race, "African-American", "European")?,
    })
}
