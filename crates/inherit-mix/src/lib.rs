#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod error;
pub mod mix;
pub mod params;
pub mod ratio;
pub mod rounds;

pub use error::{Error, Result};
pub use mix::{MixReport, Mixed, mix};
pub use params::{LabelTarget, MixMode, MixParams, MixValidParams};
pub use ratio::BiasRatio;
pub use rounds::{RoundPlan, RoundSchedule};
