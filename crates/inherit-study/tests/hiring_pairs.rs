//! Positive and negative controls of the paired hiring design, on a stand-in answer
//! scorer (no model): its hire margin is a profile effect (years of experience), a seed
//! effect, noise per seed and text, and `x` nats more for a profile naming an Anglo
//! candidate. The design must recover `x` within its interval for x ∈ {0, 0.2, 0.5}, and
//! its placebo pairs (two Anglo names on the same profile) must reject at about the
//! nominal rate over many simulated studies.

use inherit_core::{AnswerScorer, Axis, Prompt, derive_seed, seeded_rng};
use inherit_data::{Culture, Gender};
use inherit_eval::stats::{BootstrapParams, nested_bootstrap_mean, paired_comparison};
use inherit_study::downstream::TrainedModel;
use inherit_study::task::{EvalInput, HiringTask};
use inherit_study::{GroupPair, Task};
use rand::RngExt;

/// The stand-in: margin = 0.3 · (years − 4) + seed effect + x · [Anglo name] + N(0, σ²).
struct Skewed {
    x: f64,
    seed: u64,
    sigma: f64,
    anglo: Vec<&'static str>,
}

impl Skewed {
    fn new(x: f64, seed: u64) -> Self {
        let anglo = Gender::ALL
            .iter()
            .flat_map(|g| {
                inherit_data::lexicons::names(*g, Culture::Anglo)
                    .iter()
                    .copied()
            })
            .collect();
        Skewed {
            x,
            seed,
            sigma: 0.3,
            anglo,
        }
    }

    fn margin(&self, text: &str) -> f64 {
        let years = ["3 years", "4 years", "5 years"]
            .iter()
            .position(|y| text.contains(y))
            .map_or(0.0, |i| i as f64 - 1.0);
        let named = text
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| self.anglo.contains(&w));
        let mut rng = seeded_rng(derive_seed(self.seed, text));
        // Box–Muller: one standard normal draw per (seed, text).
        let (u, v): (f64, f64) = (rng.random_range(1e-12..1.0), rng.random_range(0.0..1.0));
        let noise = (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos();
        let seed_effect = (self.seed % 7) as f64 * 0.05;
        0.3 * years + seed_effect + if named { self.x } else { 0.0 } + self.sigma * noise
    }
}

impl AnswerScorer for Skewed {
    fn score_answers(
        &self,
        prompts: &[Prompt],
        _answers: &[String],
    ) -> inherit_core::Result<Vec<Vec<f64>>> {
        Ok(prompts
            .iter()
            .map(|p| vec![self.margin(&p.flatten()), 0.0])
            .collect())
    }
}

impl TrainedModel for Skewed {
    fn answer_scorer(&self) -> Option<&dyn AnswerScorer> {
        Some(self)
    }
}

fn task(pairs: usize) -> HiringTask {
    HiringTask::new(
        GroupPair {
            axis: Axis::Culture,
            a: "anglo".into(),
            b: "arabic".into(),
        },
        1,
        1,
        0,
    )
    .with_pairs(pairs)
}

/// Per seed: the metric `name` and its per-profile samples.
fn study(
    task: &HiringTask,
    x: f64,
    seeds: std::ops::Range<u64>,
    name: &str,
) -> (Vec<f64>, Vec<Vec<f64>>) {
    let data = task.data().unwrap();
    let empty = inherit_core::Dataset::new("empty", vec![]);
    let input = EvalInput {
        test: &data.test,
        train: &data.train,
        pool: &empty,
        artifacts: None,
    };
    seeds
        .map(|seed| {
            let e = task.evaluate(&Skewed::new(x, seed), &input).unwrap();
            (e.metrics[name], e.samples[name].clone())
        })
        .unzip()
}

#[test]
fn a_known_name_effect_is_recovered_within_its_interval() {
    let t = task(100);
    let params = BootstrapParams {
        n_boot: 2000,
        ..Default::default()
    };
    for x in [0.0, 0.2, 0.5] {
        let (means, samples) = study(&t, x, 1..7, "pair_margin_gap");
        let ci = nested_bootstrap_mean(&samples, &params).unwrap();
        assert!(
            ci.contains(x),
            "x = {x}: interval {ci:?}, per-seed means {means:?}"
        );
        // Narrow enough to tell 0.2 from 0: the design has power at this noise.
        assert!(ci.high - ci.low < 0.2, "x = {x}: interval {ci:?}");
        // The pooled comparison (Anglo against every other culture) sees the same x.
        let (pooled, _) = study(&t, x, 1..7, "pair_margin_gap_pooled");
        let m = pooled.iter().sum::<f64>() / pooled.len() as f64;
        assert!((m - x).abs() < 0.1, "x = {x}: pooled {m}");
    }
}

#[test]
fn placebo_pairs_reject_at_the_nominal_rate() {
    let t = task(30);
    let studies = 240u64;
    let mut rejected = 0;
    for s in 0..studies {
        // A strong name effect, which the placebo (two Anglo names) must not see.
        let (means, _) = study(&t, 0.5, s * 6..s * 6 + 6, "placebo_margin_gap");
        let zeros = vec![0.0; means.len()];
        let c = paired_comparison(&means, &zeros, 0.05, 0.8, s).unwrap();
        if c.t_p() < 0.05 {
            rejected += 1;
        }
    }
    let rate = rejected as f64 / studies as f64;
    assert!((0.02..=0.10).contains(&rate), "false-positive rate {rate}");
}
