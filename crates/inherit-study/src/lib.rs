#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod bounds;
pub mod cells;
pub mod config;
pub mod downstream;
pub mod error;
pub mod findings;
pub mod generate;
pub mod history;
pub mod key;
pub mod models;
pub mod multi;
pub mod output;
pub mod progress;
pub mod report;
pub mod rounds;
pub mod runner;
pub mod shard;
pub mod stand_in;
pub mod task;

pub use config::{StudyConfig, ValidStudyConfig};
pub use downstream::{Downstream, TrainedModel};
pub use error::{Error, Result};
pub use progress::{CellEta, CellKind, CellsLeft, generation_remaining};
pub use runner::{Progress, Study, StudyOutcome, Timings};
pub use shard::Shard;
pub use stand_in::{HashingEmbedder, StandInGenerator};
pub use task::{GroupPair, Task, TaskData};
