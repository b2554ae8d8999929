//! The study's statistics, computed from the result records before any Markdown is
//! written: the gate (did the model learn the task before its bias is measured?), the
//! inheritance test per bias type, the mitigations against `none`, one Holm family over
//! all of those tests, and the flags that keep a degenerate model from winning.
//!
//! The seed is the replicate. Every comparison is paired over seeds
//! ([`inherit_eval::stats::paired_comparison`]): the t-test beside the exact sign-flip
//! test, zero-variance differences reported as such, the minimum detectable effect
//! (α = 0.05, power 0.8) from the observed seed-to-seed SD. When the records carry
//! per-unit values of the headline (e.g. one paired margin difference per counterfactual
//! profile), the interval of a difference is a nested bootstrap over seeds × units.

use std::collections::BTreeMap;

use inherit_eval::report::ResultRecord;
use inherit_eval::stats::{
    BootstrapParams, PairedComparison, bootstrap_ci, holm_bonferroni, nested_bootstrap_mean,
    paired_comparison,
};
use serde::Serialize;

use crate::error::Result;

/// Level of every test.
pub const ALPHA: f64 = 0.05;
/// Power of the minimum detectable effect.
pub const POWER: f64 = 0.8;
/// A mitigated model whose decided accuracy falls more than this below `none`'s is
/// flagged as degenerate.
pub const ACCURACY_GUARD: f64 = 0.05;

/// Resamples of every bootstrap interval.
const N_BOOT: usize = 2000;

/// True unless the record's `gate` metric says the model did not learn the task.
pub fn passes_gate(r: &ResultRecord) -> bool {
    r.metrics.get("gate").is_none_or(|g| *g >= 0.5)
}

/// One cell of the grid: its records' values per seed (gated records only) and the
/// per-unit samples of the metric when recorded.
struct Series {
    values: BTreeMap<u64, f64>,
    samples: BTreeMap<u64, Vec<f64>>,
}

fn series(
    records: &[ResultRecord],
    bias: &str,
    gamma: f64,
    mitigation: &str,
    metric: &str,
) -> Series {
    let mut s = Series {
        values: BTreeMap::new(),
        samples: BTreeMap::new(),
    };
    for r in records.iter().filter(|r| {
        r.bias_type == bias && r.gamma == gamma && r.mitigation == mitigation && passes_gate(r)
    }) {
        if let Some(v) = r.metrics.get(metric).filter(|v| v.is_finite()) {
            s.values.insert(r.seed, *v);
            if let Some(u) = r.samples.get(metric) {
                s.samples.insert(r.seed, u.clone());
            }
        }
    }
    s
}

/// The headline's difference `x − y` paired over the seeds both have.
struct Paired {
    seeds: Vec<u64>,
    comparison: PairedComparison,
    /// The interval of the mean difference, and how it was made.
    ci: (f64, f64, &'static str),
}

fn paired(x: &Series, y: &Series, seed: u64) -> Result<Option<Paired>> {
    let seeds: Vec<u64> = x
        .values
        .keys()
        .filter(|s| y.values.contains_key(s))
        .copied()
        .collect();
    if seeds.is_empty() {
        return Ok(None);
    }
    let a: Vec<f64> = seeds.iter().map(|s| x.values[s]).collect();
    let b: Vec<f64> = seeds.iter().map(|s| y.values[s]).collect();
    let comparison = paired_comparison(&a, &b, ALPHA, POWER, seed)?;
    // Unit-level differences when both sides hold the same units for every seed.
    let units: Option<Vec<Vec<f64>>> = seeds
        .iter()
        .map(|s| {
            let (u, v) = (x.samples.get(s)?, y.samples.get(s)?);
            (u.len() == v.len() && !u.is_empty())
                .then(|| u.iter().zip(v).map(|(p, q)| p - q).collect())
        })
        .collect();
    let params = BootstrapParams {
        n_boot: N_BOOT,
        confidence: 1.0 - ALPHA,
        seed,
    };
    let ci = match units {
        Some(groups) if seeds.len() >= 2 => {
            let i = nested_bootstrap_mean(&groups, &params)?;
            (i.low, i.high, "nested bootstrap over seeds × units")
        }
        _ => (
            comparison.ci.low,
            comparison.ci.high,
            "t interval over seeds",
        ),
    };
    Ok(Some(Paired {
        seeds,
        comparison,
        ci,
    }))
}

/// The inheritance test of one bias type: the headline without mitigation at the
/// largest γ against γ = 0, paired over seeds.
#[derive(Debug, Clone, Serialize)]
pub struct Inheritance {
    /// Bias type id.
    pub bias_type: String,
    /// The metric (the task's headline).
    pub metric: String,
    /// The largest γ of the grid.
    pub gamma: f64,
    /// Mean at γ = 0.
    pub mean_base: f64,
    /// Mean at the largest γ.
    pub mean_top: f64,
    /// Seeds paired (gated cells only).
    pub n: usize,
    /// Mean difference (top − base).
    pub diff: f64,
    /// Lower bound of the difference's interval.
    pub ci_low: f64,
    /// Upper bound of the difference's interval.
    pub ci_high: f64,
    /// How the interval was made.
    pub ci_method: String,
    /// Paired t-test p-value (NaN for one seed or zero variance).
    pub p_value: f64,
    /// Exact sign-flip p-value.
    pub sign_flip_p: f64,
    /// The smallest p-value the sign-flip test can give with these seeds.
    pub sign_flip_min_p: f64,
    /// True when every seed gave the same difference.
    pub zero_variance: bool,
    /// Minimum detectable effect (α 0.05, power 0.8) from the observed SD.
    pub mde: f64,
    /// Holm-adjusted p over the report's one family.
    pub p_holm: f64,
}

/// One mitigation against `none` at one γ > 0, paired over seeds.
#[derive(Debug, Clone, Serialize)]
pub struct Effect {
    /// Bias type id.
    pub bias_type: String,
    /// γ.
    pub gamma: f64,
    /// Mitigation spec.
    pub mitigation: String,
    /// The metric compared (the task's headline).
    pub metric: String,
    /// Mean without mitigation.
    pub mean_none: f64,
    /// Mean with the mitigation.
    pub mean_mitigated: f64,
    /// Seeds paired.
    pub n: usize,
    /// Paired t-test p-value (mitigated vs none; NaN without a t-test).
    pub p_value: f64,
    /// Exact sign-flip p-value.
    pub sign_flip_p: f64,
    /// True when every seed gave the same difference.
    pub zero_variance: bool,
    /// Minimum detectable effect from the observed SD.
    pub mde: f64,
    /// Holm-adjusted p over the report's one family.
    pub p_holm: f64,
    /// The share of the inherited difference (none at γ minus none at γ = 0) that the
    /// mitigation removes; NaN when nothing was inherited.
    pub share_removed: f64,
    /// Bootstrap interval (over seeds) of `share_removed`.
    pub share_ci: (f64, f64),
    /// Why the mitigated model cannot win, when it is degenerate: accuracy more than
    /// [`ACCURACY_GUARD`] below `none`, constant answers, or failed gates.
    pub degenerate: Option<String>,
}

/// Gate results of one grid point.
#[derive(Debug, Clone, Serialize)]
pub struct GateRow {
    /// Bias type id.
    pub bias_type: String,
    /// γ.
    pub gamma: f64,
    /// Mitigation spec.
    pub mitigation: String,
    /// Cells that passed.
    pub passed: usize,
    /// Cells with a gate result.
    pub total: usize,
    /// Mean decided accuracy.
    pub accuracy: f64,
    /// Mean borderline hire rate (NaN when the task has none).
    pub borderline_rate: f64,
}

/// Everything the report states, computed once.
#[derive(Debug, Clone, Serialize)]
pub struct Findings {
    /// The headline metric.
    pub metric: String,
    /// Gate results per grid point (empty when the task has no gate).
    pub gate: Vec<GateRow>,
    /// The inheritance tests.
    pub inheritance: Vec<Inheritance>,
    /// The mitigation tests.
    pub effects: Vec<Effect>,
    /// Tests in the one Holm family (inheritance and mitigations together).
    pub family_size: usize,
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// The mean of `metric` over the gated and ungated records of a grid point.
fn point_mean(records: &[&ResultRecord], metric: &str) -> f64 {
    let v: Vec<f64> = records
        .iter()
        .filter_map(|r| r.metrics.get(metric).copied())
        .filter(|v| v.is_finite())
        .collect();
    if v.is_empty() { f64::NAN } else { mean(&v) }
}

fn gate_rows(records: &[ResultRecord]) -> Vec<GateRow> {
    let mut points: BTreeMap<(String, String, String), Vec<&ResultRecord>> = BTreeMap::new();
    for r in records.iter().filter(|r| r.metrics.contains_key("gate")) {
        points
            .entry((
                r.bias_type.clone(),
                format!("{}", r.gamma),
                r.mitigation.clone(),
            ))
            .or_default()
            .push(r);
    }
    points
        .into_values()
        .map(|rs| GateRow {
            bias_type: rs[0].bias_type.clone(),
            gamma: rs[0].gamma,
            mitigation: rs[0].mitigation.clone(),
            passed: rs.iter().filter(|r| passes_gate(r)).count(),
            total: rs.len(),
            accuracy: point_mean(&rs, "accuracy"),
            borderline_rate: point_mean(&rs, "borderline_hire_rate"),
        })
        .collect()
}

/// Why the mitigated cells of a grid point are degenerate, if they are.
fn degeneracy(
    records: &[ResultRecord],
    bias: &str,
    gamma: f64,
    mitigation: &str,
) -> Option<String> {
    let at = |m: &str| -> Vec<&ResultRecord> {
        records
            .iter()
            .filter(|r| r.bias_type == bias && r.gamma == gamma && r.mitigation == m)
            .collect()
    };
    let (mitigated, none) = (at(mitigation), at("none"));
    let mut why = Vec::new();
    let constant = mitigated
        .iter()
        .filter(|r| r.metrics.get("constant_answers").is_some_and(|v| *v >= 0.5))
        .count();
    if constant > 0 {
        why.push(format!(
            "constant answers in {constant} of {} seeds",
            mitigated.len()
        ));
    }
    // Failed gates flag a mitigation only when it loses more seeds than `none` at the
    // same point: the failed seeds are out of every pairing already, and a failure rate
    // the unmitigated model shares says nothing against the mitigation.
    let failed = mitigated.iter().filter(|r| !passes_gate(r)).count();
    let failed_none = none.iter().filter(|r| !passes_gate(r)).count();
    if failed > failed_none {
        why.push(format!(
            "{failed} of {} seeds failed the gate ({failed_none} of {} without mitigation)",
            mitigated.len(),
            none.len()
        ));
    }
    let (acc_m, acc_n) = (
        point_mean(&mitigated, "accuracy"),
        point_mean(&none, "accuracy"),
    );
    if acc_m < acc_n - ACCURACY_GUARD {
        why.push(format!(
            "accuracy {acc_m:.3} vs {acc_n:.3} without mitigation"
        ));
    }
    (!why.is_empty()).then(|| why.join("; "))
}

/// The share of the inherited difference that a mitigation removes, with a bootstrap
/// interval over the seeds the three series share.
fn share_removed(
    base: &Series,
    none: &Series,
    mitigated: &Series,
    seed: u64,
) -> Result<(f64, (f64, f64))> {
    let seeds: Vec<u64> = none
        .values
        .keys()
        .filter(|s| base.values.contains_key(s) && mitigated.values.contains_key(s))
        .copied()
        .collect();
    let nan = (f64::NAN, (f64::NAN, f64::NAN));
    if seeds.is_empty() {
        return Ok(nan);
    }
    let rows: Vec<(f64, f64, f64)> = seeds
        .iter()
        .map(|s| (base.values[s], none.values[s], mitigated.values[s]))
        .collect();
    let share = |rows: &[(f64, f64, f64)]| {
        let inherited = rows.iter().map(|r| r.1 - r.0).sum::<f64>();
        let removed = rows.iter().map(|r| r.1 - r.2).sum::<f64>();
        if inherited.abs() < 1e-12 {
            f64::NAN
        } else {
            removed / inherited
        }
    };
    let point = share(&rows);
    if point.is_nan() || rows.len() < 2 {
        return Ok((point, (f64::NAN, f64::NAN)));
    }
    let params = BootstrapParams {
        n_boot: N_BOOT,
        confidence: 1.0 - ALPHA,
        seed,
    };
    let i = bootstrap_ci(&rows, share, &params)?;
    Ok((point, (i.low, i.high)))
}

/// Computes the findings of a grid: `records` are the grid's cells (γ = 0 cells of
/// inert mitigations already stand under `none`), `metric` the headline.
pub fn compute(
    records: &[ResultRecord],
    bias_types: &[String],
    gammas: &[f64],
    mitigations: &[String],
    metric: &str,
) -> Result<Findings> {
    let gmax = gammas.iter().copied().fold(0.0, f64::max);
    let mut inheritance = Vec::new();
    let mut effects = Vec::new();
    for (k, bias) in bias_types.iter().enumerate() {
        let base = series(records, bias, 0.0, "none", metric);
        if gmax > 0.0 && gammas.contains(&0.0) {
            let top = series(records, bias, gmax, "none", metric);
            if let Some(p) = paired(&top, &base, k as u64)? {
                let c = &p.comparison;
                inheritance.push(Inheritance {
                    bias_type: bias.clone(),
                    metric: metric.to_owned(),
                    gamma: gmax,
                    mean_base: c.mean_y,
                    mean_top: c.mean_x,
                    n: p.seeds.len(),
                    diff: c.mean_diff,
                    ci_low: p.ci.0,
                    ci_high: p.ci.1,
                    ci_method: p.ci.2.to_owned(),
                    p_value: c.t_p(),
                    sign_flip_p: c.sign_flip.p_value,
                    sign_flip_min_p: c.sign_flip.min_p,
                    zero_variance: c.zero_variance,
                    mde: c.mde,
                    p_holm: f64::NAN,
                });
            }
        }
        for &gamma in gammas.iter().filter(|g| **g > 0.0) {
            let none = series(records, bias, gamma, "none", metric);
            for mitigation in mitigations.iter().filter(|m| *m != "none") {
                let mitigated = series(records, bias, gamma, mitigation, metric);
                let Some(p) = paired(&mitigated, &none, k as u64)? else {
                    continue;
                };
                let c = &p.comparison;
                let (share, share_ci) = share_removed(&base, &none, &mitigated, k as u64)?;
                effects.push(Effect {
                    bias_type: bias.clone(),
                    gamma,
                    mitigation: mitigation.clone(),
                    metric: metric.to_owned(),
                    mean_none: c.mean_y,
                    mean_mitigated: c.mean_x,
                    n: p.seeds.len(),
                    p_value: c.t_p(),
                    sign_flip_p: c.sign_flip.p_value,
                    zero_variance: c.zero_variance,
                    mde: c.mde,
                    p_holm: f64::NAN,
                    share_removed: share,
                    share_ci,
                    degenerate: degeneracy(records, bias, gamma, mitigation),
                });
            }
        }
    }
    // One Holm family: every inheritance and mitigation test of the report, each by its
    // t-test's p, or the exact sign-flip test's where no t-test exists (one seed, zero
    // variance).
    let p: Vec<f64> = inheritance
        .iter()
        .map(|i| {
            if i.p_value.is_nan() {
                i.sign_flip_p
            } else {
                i.p_value
            }
        })
        .chain(effects.iter().map(|e| {
            if e.p_value.is_nan() {
                e.sign_flip_p
            } else {
                e.p_value
            }
        }))
        .collect();
    let adjusted = holm_bonferroni(&p);
    let (ia, ea) = adjusted.split_at(inheritance.len());
    for (i, a) in inheritance.iter_mut().zip(ia) {
        i.p_holm = *a;
    }
    for (e, a) in effects.iter_mut().zip(ea) {
        e.p_holm = *a;
    }
    Ok(Findings {
        metric: metric.to_owned(),
        gate: gate_rows(records),
        inheritance,
        effects,
        family_size: p.len(),
    })
}

impl Findings {
    /// The best mitigation of a bias type at γ: the non-degenerate one with the smallest
    /// |headline| (a reversed gap is no better than the same gap unreversed).
    pub fn best(&self, bias: &str, gamma: f64) -> Option<&Effect> {
        self.effects
            .iter()
            .filter(|e| e.bias_type == bias && e.gamma == gamma && e.degenerate.is_none())
            .min_by(|a, b| a.mean_mitigated.abs().total_cmp(&b.mean_mitigated.abs()))
    }
}

/// The γ = 0 records of `none` copied under every other mitigation in `shared` (those
/// whose γ = 0 cell is the unmitigated one), so tables and plots show a γ = 0 point for
/// each mitigation.
pub fn expand_baselines(records: &[ResultRecord], shared: &[String]) -> Vec<ResultRecord> {
    let mut out = records.to_vec();
    for r in records
        .iter()
        .filter(|r| r.gamma == 0.0 && r.mitigation == "none")
    {
        for m in shared.iter().filter(|m| *m != "none") {
            if !records.iter().any(|x| {
                x.gamma == 0.0
                    && &x.mitigation == m
                    && x.seed == r.seed
                    && x.bias_type == r.bias_type
            }) {
                let mut copy = r.clone();
                copy.mitigation = m.clone();
                out.push(copy);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(
        bias: &str,
        gamma: f64,
        mitigation: &str,
        seed: u64,
        metrics: &[(&str, f64)],
    ) -> ResultRecord {
        ResultRecord {
            task: "hiring".into(),
            bias_type: bias.into(),
            gamma,
            mitigation: mitigation.into(),
            seed,
            model: "m".into(),
            metrics: metrics.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            ..Default::default()
        }
    }

    /// Six seeds: gap 0.1 at γ = 0, 0.5 at γ = 0.5 without mitigation; `const` answers
    /// everyone alike (gap 0, accuracy 0.5), `half` halves the gap and keeps accuracy.
    fn grid() -> Vec<ResultRecord> {
        let mut r = Vec::new();
        for seed in 1..=6u64 {
            let noise = 0.01 * seed as f64;
            r.push(rec(
                "b",
                0.0,
                "none",
                seed,
                &[("gap", 0.1 + noise), ("accuracy", 0.95), ("gate", 1.0)],
            ));
            r.push(rec(
                "b",
                0.5,
                "none",
                seed,
                &[("gap", 0.5 + noise), ("accuracy", 0.95), ("gate", 1.0)],
            ));
            r.push(rec(
                "b",
                0.5,
                "const",
                seed,
                &[
                    ("gap", 0.0),
                    ("accuracy", 0.5),
                    ("constant_answers", 1.0),
                    ("gate", 0.0),
                ],
            ));
            r.push(rec(
                "b",
                0.5,
                "half",
                seed,
                &[
                    ("gap", 0.3 + noise * 0.5),
                    ("accuracy", 0.94),
                    ("gate", 1.0),
                ],
            ));
        }
        r
    }

    #[test]
    fn a_constant_answer_model_is_flagged_and_never_best() {
        let mitigations = ["none".to_string(), "const".into(), "half".into()];
        let f = compute(&grid(), &["b".into()], &[0.0, 0.5], &mitigations, "gap").unwrap();
        // `const` failed every gate: no seed left to compare, so no effect row at all;
        // were its gates passed, the flags would still name it.
        assert!(f.effects.iter().all(|e| e.mitigation != "const"));
        let best = f.best("b", 0.5).unwrap();
        assert_eq!(best.mitigation, "half");
        let mut ungated = grid();
        for r in &mut ungated {
            r.metrics.remove("gate");
        }
        let f = compute(&ungated, &["b".into()], &[0.0, 0.5], &mitigations, "gap").unwrap();
        let c = f.effects.iter().find(|e| e.mitigation == "const").unwrap();
        assert!(
            c.degenerate
                .as_deref()
                .unwrap()
                .contains("constant answers in 6 of 6")
        );
        assert!(c.zero_variance || c.p_value.is_finite());
        assert_eq!(f.best("b", 0.5).unwrap().mitigation, "half");
    }

    #[test]
    fn inheritance_is_tested_in_the_same_holm_family_as_the_mitigations() {
        let mitigations = ["none".to_string(), "half".into()];
        let f = compute(&grid(), &["b".into()], &[0.0, 0.5], &mitigations, "gap").unwrap();
        assert_eq!(f.family_size, 2);
        let i = &f.inheritance[0];
        assert_eq!(i.n, 6);
        // Every seed rose by exactly 0.4: zero variance, no t-test, exact p = 2/64.
        assert!(i.zero_variance && i.p_value.is_nan());
        assert!((i.diff - 0.4).abs() < 1e-12);
        assert!((i.sign_flip_p - 2.0 / 64.0).abs() < 1e-12);
        assert!(i.p_holm >= i.sign_flip_p);
        // The share removed: (none − half) / (none − base) = (0.2 + noise/2) / 0.4 on
        // average = (0.2 + 0.0175) / 0.4.
        let e = &f.effects[0];
        assert!(
            (e.share_removed - (0.2 + 0.0175) / 0.4).abs() < 1e-9,
            "{}",
            e.share_removed
        );
        assert!(e.share_ci.0 <= e.share_removed && e.share_removed <= e.share_ci.1);
    }

    #[test]
    fn failed_gates_flag_a_mitigation_only_beyond_those_of_none() {
        // At γ = 0.5 `none` fails seed 1; `same` fails seed 2 only, `more` seeds 2 and 3.
        let mut records = Vec::new();
        for seed in 1..=6u64 {
            let gate = |failing: &[u64]| if failing.contains(&seed) { 0.0 } else { 1.0 };
            let noise = seed as f64 * 0.01;
            records.push(rec(
                "b",
                0.0,
                "none",
                seed,
                &[("gap", noise), ("accuracy", 0.95), ("gate", 1.0)],
            ));
            for (m, failing, gap) in [
                ("none", &[1u64][..], 1.0),
                ("same", &[2][..], 0.5),
                ("more", &[2, 3][..], 0.2),
            ] {
                records.push(rec(
                    "b",
                    0.5,
                    m,
                    seed,
                    &[
                        ("gap", gap + noise * noise),
                        ("accuracy", 0.95),
                        ("gate", gate(failing)),
                    ],
                ));
            }
        }
        let mitigations = ["none".to_string(), "same".into(), "more".into()];
        let f = compute(&records, &["b".into()], &[0.0, 0.5], &mitigations, "gap").unwrap();
        let of = |m: &str| f.effects.iter().find(|e| e.mitigation == m).unwrap();
        assert_eq!(of("same").degenerate, None);
        assert_eq!(
            of("more").degenerate.as_deref(),
            Some("2 of 6 seeds failed the gate (1 of 6 without mitigation)")
        );
        // `more` has the smaller gap but is flagged: `same` is the best.
        assert_eq!(f.best("b", 0.5).unwrap().mitigation, "same");
    }

    #[test]
    fn baselines_are_expanded_to_inert_mitigations() {
        let records = vec![rec("b", 0.0, "none", 1, &[("gap", 0.1)])];
        let out = expand_baselines(&records, &["none".into(), "token".into()]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].mitigation, "token");
        assert_eq!(out[1].gamma, 0.0);
    }
}
