//! Choosing the next token from logits: greedy, or temperature / top-k / top-p sampling
//! with a seeded generator.

use inherit_core::{GenerationParams, SeededRng, argmax};
use rand::RngExt;

/// The next token id given the last position's logits.
///
/// Temperature 0 is greedy (the first maximum on ties). Otherwise the logits are divided
/// by the temperature, cut to the `top_k` largest (0 = all), turned into probabilities,
/// cut to the smallest prefix whose mass reaches `top_p` (the most likely token always
/// stays), renormalised and sampled.
pub fn next_token(logits: &[f32], params: &GenerationParams, rng: &mut SeededRng) -> usize {
    if params.temperature == 0.0 || logits.len() <= 1 {
        return argmax(logits);
    }
    let t = params.temperature;
    let mut order: Vec<usize> = (0..logits.len()).collect();
    order.sort_by(|a, b| logits[*b].total_cmp(&logits[*a]).then(a.cmp(b)));
    if params.top_k > 0 {
        order.truncate(params.top_k);
    }
    let max = logits[order[0]] / t;
    let mut probs: Vec<f64> = order
        .iter()
        .map(|i| f64::from(logits[*i] / t - max).exp())
        .collect();
    let total: f64 = probs.iter().sum();
    let mut mass = 0.0;
    let mut keep = probs.len();
    for (k, p) in probs.iter_mut().enumerate() {
        *p /= total;
        mass += *p;
        if mass >= f64::from(params.top_p) {
            keep = k + 1;
            break;
        }
    }
    probs.truncate(keep);
    let kept: f64 = probs.iter().sum();
    let mut u = rng.random::<f64>() * kept;
    for (k, p) in probs.iter().enumerate() {
        if u < *p {
            return order[k];
        }
        u -= p;
    }
    order[keep - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(temperature: f32, top_k: usize, top_p: f32) -> GenerationParams {
        GenerationParams {
            temperature,
            top_k,
            top_p,
            ..Default::default()
        }
    }

    #[test]
    fn greedy_top_k_and_top_p_restrict_the_choice() {
        let logits = [1.0, 3.0, 2.0, 0.0];
        let mut rng = inherit_core::seeded_rng(0);
        assert_eq!(next_token(&logits, &params(0.0, 0, 1.0), &mut rng), 1);
        // top_k 1 is greedy whatever the temperature.
        for _ in 0..20 {
            assert_eq!(next_token(&logits, &params(5.0, 1, 1.0), &mut rng), 1);
        }
        // Softmax of [3, 2, 1, 0] = [0.644, 0.237, 0.087, 0.032]: top_p 0.85 keeps
        // tokens 1 and 2 only (0.644 < 0.85 <= 0.881).
        let mut seen = [0usize; 4];
        for _ in 0..2000 {
            seen[next_token(&logits, &params(1.0, 0, 0.85), &mut rng)] += 1;
        }
        assert_eq!(seen[0] + seen[3], 0, "{seen:?}");
        // Renormalised: 0.644 / 0.881 = 0.731 for token 1 (sd over 2000 ~ 0.01).
        let share = seen[1] as f64 / 2000.0;
        assert!((share - 0.731).abs() < 0.04, "{share}");
    }

    #[test]
    fn same_seed_same_draws() {
        let logits: Vec<f32> = (0..50).map(|i| (i % 7) as f32 * 0.3).collect();
        let p = params(1.0, 0, 1.0);
        let draw = |seed| {
            let mut rng = inherit_core::seeded_rng(seed);
            (0..30)
                .map(|_| next_token(&logits, &p, &mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(4), draw(4));
        assert_ne!(draw(4), draw(5));
    }
}
