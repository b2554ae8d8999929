//! Multi-round self-augmentation schedules: round r's D_a is written by the model
//! fine-tuned in round r − 1 (round 0 by the base generator).

use inherit_core::derive_seed;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ratio::BiasRatio;

/// One round of a self-augmentation schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundPlan {
    /// Round index, from 0.
    pub round: u32,
    /// The round whose fine-tuned model generates this round's D_a (`None`: the base
    /// generator).
    pub generator_round: Option<u32>,
    /// The bias ratio of this round's training mix.
    pub gamma: f64,
    /// Seed for this round's generation and mixing, derived from the schedule seed.
    pub seed: u64,
}

/// A schedule of `rounds` rounds at a constant γ.
///
/// ```
/// use inherit_mix::RoundSchedule;
/// let plan = RoundSchedule::new(3, 0.2, 7)?.plans();
/// assert_eq!(plan[0].generator_round, None);
/// assert_eq!(plan[2].generator_round, Some(1));
/// # Ok::<(), inherit_mix::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundSchedule {
    rounds: u32,
    gamma: BiasRatio,
    seed: u64,
}

impl RoundSchedule {
    /// A schedule; `rounds` must be at least 1.
    pub fn new(rounds: u32, gamma: f64, seed: u64) -> Result<Self> {
        if rounds == 0 {
            return Err(Error::InvalidParam {
                name: "rounds",
                message: "a schedule needs at least one round".into(),
            });
        }
        Ok(RoundSchedule {
            rounds,
            gamma: BiasRatio::new(gamma)?,
            seed,
        })
    }

    /// The rounds in order.
    pub fn plans(&self) -> Vec<RoundPlan> {
        (0..self.rounds)
            .map(|r| RoundPlan {
                round: r,
                generator_round: r.checked_sub(1),
                gamma: self.gamma.value(),
                seed: derive_seed(self.seed, &format!("round-{r}")),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_chain_and_seeds_differ() {
        let plans = RoundSchedule::new(4, 0.1, 1).unwrap().plans();
        assert_eq!(plans.len(), 4);
        for (r, p) in plans.iter().enumerate() {
            assert_eq!(p.round as usize, r);
            assert_eq!(p.generator_round, (r as u32).checked_sub(1));
        }
        let seeds: std::collections::BTreeSet<u64> = plans.iter().map(|p| p.seed).collect();
        assert_eq!(seeds.len(), 4);
        assert!(RoundSchedule::new(0, 0.1, 1).is_err());
        assert!(RoundSchedule::new(2, 1.0, 1).is_err());
    }
}
