//! Honest progress: what kind of work a cell is, and a remaining-time estimate of the
//! cells stage built from the measured cost of each kind (a self-augmentation round,
//! which writes its own training data with the fine-tuned model, is not a grid cell).
//!
//! The estimate takes times as seconds since the stage started, so it is a plain value
//! (no clock inside) and front ends tick it down between cells themselves.

use serde::Serialize;

/// The kinds of cell, each with its own measured cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CellKind {
    /// A cell of the grid (bias type × γ × mitigation × seed): one model trained and
    /// evaluated; grid cells run `jobs` at a time.
    Cell,
    /// Round 0 of a self-augmentation chain: the base generator writes the seed's pool,
    /// then a cell is trained on it; run alone (chains run one after another).
    ChainStart,
    /// A self-augmentation round after the first: the previous round's model writes the
    /// round's D_a, then a model is trained; run alone.
    Round,
}

impl CellKind {
    /// The kind of a cell with this round of a chain (`None`: a grid cell).
    pub fn of(chain_round: Option<u32>) -> Self {
        match chain_round {
            None => CellKind::Cell,
            Some(0) => CellKind::ChainStart,
            Some(_) => CellKind::Round,
        }
    }
}

/// What is left of the cells stage when it starts.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CellsLeft {
    /// Grid cells left.
    pub cells: usize,
    /// Chain starts (round 0) left.
    pub chain_starts: usize,
    /// Rounds after the first left.
    pub rounds: usize,
    /// Seconds a generator takes to write one round's pool (estimated from the neutral
    /// pool of the generation stage, scaled to the round's size), when measured.
    pub round_generation_s: Option<f64>,
}

/// The remaining time of the cells stage from per-kind measured costs.
///
/// Grid cells run in parallel first: their cost is the stage's wall time per finished
/// cell (throughput, whatever the number of workers). Chain cells run one at a time and
/// each writes its pool first: a chain start costs the mean duration of the finished
/// chain starts, a later round that of the finished rounds; before one of its kind has
/// finished, one grid cell plus the time of writing a round's texts
/// ([`CellsLeft::round_generation_s`]; without it, [`ROUND_PRIOR_FACTOR`] cells).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CellEta {
    left: CellsLeft,
    cells_done: usize,
    starts_done: usize,
    rounds_done: usize,
    /// Sums of the durations of the finished cells, chain starts and rounds.
    cell_busy_s: f64,
    start_busy_s: f64,
    round_busy_s: f64,
    /// Stage time of the last finished grid cell.
    cells_wall_s: f64,
    /// Stage time of the last event.
    last_s: f64,
}

/// Before any round has finished and without a measured generation time, a round is
/// assumed to cost this many cells.
pub const ROUND_PRIOR_FACTOR: f64 = 2.0;

impl CellEta {
    /// An estimate for what is `left`.
    pub fn new(left: CellsLeft) -> Self {
        CellEta {
            left,
            ..CellEta::default()
        }
    }

    /// Records that a cell of `kind` finished at stage time `at_s` after `seconds` of
    /// work.
    pub fn finished(&mut self, kind: CellKind, seconds: f64, at_s: f64) {
        let l = &mut self.left;
        match kind {
            CellKind::Cell => {
                l.cells = l.cells.saturating_sub(1);
                self.cells_done += 1;
                self.cell_busy_s += seconds;
                self.cells_wall_s = at_s;
            }
            CellKind::ChainStart => {
                l.chain_starts = l.chain_starts.saturating_sub(1);
                self.starts_done += 1;
                self.start_busy_s += seconds;
            }
            CellKind::Round => {
                l.rounds = l.rounds.saturating_sub(1);
                self.rounds_done += 1;
                self.round_busy_s += seconds;
            }
        }
        self.last_s = at_s;
    }

    /// Grid cells, chain starts and rounds left.
    pub fn left(&self) -> (usize, usize, usize) {
        (self.left.cells, self.left.chain_starts, self.left.rounds)
    }

    /// Seconds left at stage time `now_s`; `None` until something has been measured.
    pub fn remaining(&self, now_s: f64) -> Option<f64> {
        let l = &self.left;
        if l.cells == 0 && l.chain_starts == 0 && l.rounds == 0 {
            return Some(0.0);
        }
        let mean = |sum: f64, n: usize| (n > 0).then(|| sum / n as f64);
        let per_cell = mean(self.cells_wall_s, self.cells_done);
        let cell_and_pool =
            mean(self.cell_busy_s, self.cells_done).map(|c| match l.round_generation_s {
                Some(g) => c + g,
                None => c * ROUND_PRIOR_FACTOR,
            });
        let one_start = mean(self.start_busy_s, self.starts_done).or(cell_and_pool);
        let per_round = mean(self.round_busy_s, self.rounds_done)
            .or_else(|| mean(self.start_busy_s, self.starts_done))
            .or(cell_and_pool);
        let cost = |n: usize, each: Option<f64>| {
            if n == 0 {
                Some(0.0)
            } else {
                Some(n as f64 * each?)
            }
        };
        let total = cost(l.cells, per_cell)?
            + cost(l.chain_starts, one_start)?
            + cost(l.rounds, per_round)?;
        let since = (now_s - self.last_s).max(0.0);
        Some((total - since).max(0.0))
    }
}

/// The remaining seconds of a generation stage at stage time `t`: the prompts still
/// needed at the acceptance rate so far (`accepted / prompts`), each costing what a
/// generated prompt cost so far (cached ones are free, so a resumed run's instant first
/// batches do not make the rest look fast; later batches, whose outputs are more often
/// rejected as duplicates, are priced by prompts, not by accepted texts); `None` before
/// a prompt was generated and accepted.
pub fn generation_remaining(
    t: f64,
    accepted: u64,
    wanted: u64,
    prompts: u64,
    cached: u64,
) -> Option<f64> {
    let generated = prompts.saturating_sub(cached);
    if generated == 0 || accepted == 0 {
        return None;
    }
    let acceptance = accepted as f64 / prompts as f64;
    let prompts_left = wanted.saturating_sub(accepted) as f64 / acceptance;
    Some(prompts_left * t / generated as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_priced_by_generated_prompts() {
        // From a recorded `study --quick` (48 texts wanted, batches of 16): the first
        // batch came from the cache at once (12 accepted), the second took 30 s (24
        // accepted after 32 prompts); the stage really needed 65 s more. Texts per
        // second since the start said 30 s; prompts left at the acceptance so far (32)
        // at the generated prompts' cost (30 s / 16) say 60 s.
        assert_eq!(
            generation_remaining(0.0, 12, 48, 16, 16),
            None,
            "only cached so far"
        );
        assert_eq!(generation_remaining(30.0, 24, 48, 32, 16), Some(60.0));
        assert_eq!(generation_remaining(30.0, 48, 48, 64, 16), Some(0.0));
        assert_eq!(
            generation_remaining(30.0, 0, 48, 16, 0),
            None,
            "nothing accepted yet"
        );
    }

    #[test]
    fn rounds_cost_what_rounds_measured_not_what_cells_did() {
        // 4 grid cells of 10 s on 2 workers (20 s of wall time), a chain start of 40 s
        // (30 s of which writing its pool, as the generation stage measured), then 2
        // rounds of 60 s.
        let mut eta = CellEta::new(CellsLeft {
            cells: 4,
            chain_starts: 1,
            rounds: 2,
            round_generation_s: Some(30.0),
        });
        assert_eq!(eta.remaining(0.0), None, "nothing measured yet");
        eta.finished(CellKind::Cell, 10.0, 10.0);
        eta.finished(CellKind::Cell, 10.0, 10.0);
        // 2 cells at 5 s of wall time each; a start and 2 rounds of 10 + 30 s each.
        assert_eq!(eta.remaining(10.0), Some(10.0 + 40.0 + 80.0));
        eta.finished(CellKind::Cell, 10.0, 20.0);
        eta.finished(CellKind::Cell, 10.0, 20.0);
        assert_eq!(eta.remaining(20.0), Some(120.0));
        // Between events the estimate counts down with the clock.
        assert_eq!(eta.remaining(25.0), Some(115.0));
        eta.finished(CellKind::ChainStart, 40.0, 60.0);
        assert_eq!(eta.remaining(60.0), Some(80.0));
        eta.finished(CellKind::Round, 60.0, 120.0);
        // The measured round replaces the prior: 60 s left, the real remaining time
        // (counting a round as a cell would say 5 s).
        assert_eq!(eta.remaining(120.0), Some(60.0));
        assert_eq!(eta.remaining(150.0), Some(30.0));
        assert_eq!(eta.remaining(500.0), Some(0.0), "never negative");
        eta.finished(CellKind::Round, 60.0, 180.0);
        assert_eq!(eta.left(), (0, 0, 0));
        assert_eq!(eta.remaining(180.0), Some(0.0));
    }

    #[test]
    fn without_a_measured_generation_a_round_is_priced_from_cells() {
        let mut eta = CellEta::new(CellsLeft {
            cells: 1,
            chain_starts: 0,
            rounds: 1,
            round_generation_s: None,
        });
        eta.finished(CellKind::Cell, 10.0, 10.0);
        assert_eq!(eta.remaining(10.0), Some(10.0 * ROUND_PRIOR_FACTOR));
    }

    #[test]
    fn the_kind_of_a_cell_follows_its_round() {
        assert_eq!(CellKind::of(None), CellKind::Cell);
        assert_eq!(CellKind::of(Some(0)), CellKind::ChainStart);
        assert_eq!(CellKind::of(Some(1)), CellKind::Round);
    }
}
