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
    /// A cell of the grid (bias type × γ × mitigation × seed), or round 0 of a chain
    /// (trained on the base generator's pool): one model trained and evaluated; grid
    /// cells run `jobs` at a time.
    Cell,
    /// A self-augmentation round after the first: the previous round's model writes the
    /// round's D_a, then a model is trained; rounds run one at a time.
    Round,
}

impl CellKind {
    /// The kind of a cell with this round of a chain (`None`: a grid cell).
    pub fn of(chain_round: Option<u32>) -> Self {
        match chain_round {
            Some(r) if r > 0 => CellKind::Round,
            _ => CellKind::Cell,
        }
    }
}

/// Before any round has finished, a round is assumed to cost this many times a cell's
/// own duration (it trains one model and first generates its data).
pub const ROUND_PRIOR_FACTOR: f64 = 2.0;

/// The remaining time of the cells stage from per-kind measured costs.
///
/// Grid cells run in parallel first: their cost is the stage's wall time per finished
/// cell (throughput, whatever the number of workers). Rounds run one after another: their
/// cost is the mean duration of the finished rounds, or [`ROUND_PRIOR_FACTOR`] × the
/// mean duration of one cell before any round finished.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CellEta {
    cells_left: usize,
    rounds_left: usize,
    cells_done: usize,
    rounds_done: usize,
    /// Sum of the durations of the finished cells (each on its worker).
    cell_busy_s: f64,
    /// Sum of the durations of the finished rounds.
    round_busy_s: f64,
    /// Stage time of the last finished cell of the grid phase.
    cells_wall_s: f64,
    /// Stage time of the last event.
    last_s: f64,
}

impl CellEta {
    /// An estimate for `cells` cells and `rounds` rounds left to run.
    pub fn new(cells: usize, rounds: usize) -> Self {
        CellEta {
            cells_left: cells,
            rounds_left: rounds,
            ..CellEta::default()
        }
    }

    /// Records that a cell of `kind` finished at stage time `at_s` after `seconds` of
    /// work.
    pub fn finished(&mut self, kind: CellKind, seconds: f64, at_s: f64) {
        match kind {
            CellKind::Cell => {
                self.cells_left = self.cells_left.saturating_sub(1);
                self.cells_done += 1;
                self.cell_busy_s += seconds;
                if self.rounds_done == 0 {
                    self.cells_wall_s = at_s;
                }
            }
            CellKind::Round => {
                self.rounds_left = self.rounds_left.saturating_sub(1);
                self.rounds_done += 1;
                self.round_busy_s += seconds;
            }
        }
        self.last_s = at_s;
    }

    /// Cells and rounds left.
    pub fn left(&self) -> (usize, usize) {
        (self.cells_left, self.rounds_left)
    }

    /// Seconds left at stage time `now_s`; `None` until something has been measured.
    pub fn remaining(&self, now_s: f64) -> Option<f64> {
        if self.cells_left == 0 && self.rounds_left == 0 {
            return Some(0.0);
        }
        let per_cell = (self.cells_done > 0).then(|| self.cells_wall_s / self.cells_done as f64);
        let cell_duration =
            (self.cells_done > 0).then(|| self.cell_busy_s / self.cells_done as f64);
        let per_round = if self.rounds_done > 0 {
            Some(self.round_busy_s / self.rounds_done as f64)
        } else {
            cell_duration.map(|d| d * ROUND_PRIOR_FACTOR)
        };
        let cells = if self.cells_left == 0 {
            0.0
        } else {
            self.cells_left as f64 * per_cell?
        };
        let rounds = if self.rounds_left == 0 {
            0.0
        } else {
            self.rounds_left as f64 * per_round?
        };
        let since = (now_s - self.last_s).max(0.0);
        Some((cells + rounds - since).max(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_cost_what_rounds_measured_not_what_cells_did() {
        // 4 cells of 10 s on 2 workers (20 s of wall time), then 2 rounds of 60 s.
        let mut eta = CellEta::new(4, 2);
        assert_eq!(eta.remaining(0.0), None, "nothing measured yet");
        eta.finished(CellKind::Cell, 10.0, 10.0);
        eta.finished(CellKind::Cell, 10.0, 10.0);
        // 2 cells at 5 s of wall time each, 2 rounds at the prior of 2 × 10 s.
        assert_eq!(eta.remaining(10.0), Some(10.0 + 40.0));
        eta.finished(CellKind::Cell, 10.0, 20.0);
        eta.finished(CellKind::Cell, 10.0, 20.0);
        assert_eq!(eta.remaining(20.0), Some(40.0));
        // Between events the estimate counts down with the clock.
        assert_eq!(eta.remaining(30.0), Some(30.0));
        eta.finished(CellKind::Round, 60.0, 80.0);
        // Halfway through the rounds the measured round replaces the prior: 60 s left,
        // the real remaining time (a cell-based ETA would say 20 s).
        assert_eq!(eta.remaining(80.0), Some(60.0));
        assert_eq!(eta.remaining(110.0), Some(30.0));
        assert_eq!(eta.remaining(500.0), Some(0.0), "never negative");
        eta.finished(CellKind::Round, 60.0, 140.0);
        assert_eq!(eta.left(), (0, 0));
        assert_eq!(eta.remaining(140.0), Some(0.0));
    }

    #[test]
    fn round_zero_of_a_chain_is_a_cell() {
        assert_eq!(CellKind::of(None), CellKind::Cell);
        assert_eq!(CellKind::of(Some(0)), CellKind::Cell);
        assert_eq!(CellKind::of(Some(1)), CellKind::Round);
    }
}
