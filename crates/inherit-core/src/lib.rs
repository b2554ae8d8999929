#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod attr;
pub mod benchmark;
pub mod dataset;
pub mod error;
pub mod example;
pub mod fault;
pub mod io;
pub mod lexicon;
pub mod model;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod provenance;
pub mod rng;
pub mod testing;

pub use attr::{Axis, Groups, Origin};
pub use dataset::{CountRow, Counts, CsvSpec, Dataset, Split, SplitParams};
pub use error::{BoxError, Error, Location, Result};
pub use example::{Example, Meta};
pub use lexicon::{Lexicon, LexiconEntry, TermKind, TermMatch};
pub use model::{
    AnswerScorer, ChatMessage, Embedder, GenerationParams, PartialGeneration, Prompt,
    SequenceScore, SequenceScorer, TextClassifier, TextGenerator, argmax,
};
pub use provenance::{BiasType, Framing, Provenance, Scope, Visibility};
pub use rng::{SeededRng, derive_seed, seeded_rng, splitmix64};
