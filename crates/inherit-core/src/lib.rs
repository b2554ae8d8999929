//! `inherit-core`: the shared vocabulary of the inherit workspace.
//!
//! Every other crate depends on this one and on little else from the workspace:
//!
//! - [`Example`], [`Dataset`]: texts with labels, [`Groups`] (stated and inferred group
//!   attributes on [`Axis`]es) and [`Provenance`] (original, or augmented under a
//!   [`BiasType`] of the paper's bias generation framework);
//! - [`io`]: JSONL/CSV reading with errors that name file, line and field, and atomic
//!   writes;
//! - [`rng`]: seeded ChaCha randomness;
//! - model-facing traits ([`TextGenerator`], [`SequenceScorer`], [`Embedder`],
//!   [`TextClassifier`]) implemented by models and servers elsewhere.
//!
//! ```
//! use inherit_core::{Axis, Dataset, Example, Groups, Provenance, SplitParams};
//!
//! let examples = (0..10)
//!     .map(|i| {
//!         Example::new(format!("e{i}"), format!("text {i}"), Provenance::original("demo"))
//!             .with_label(if i % 2 == 0 { "nurse" } else { "dentist" })
//!             .with_groups(Groups::new().with_stated(Axis::Gender, "female"))
//!     })
//!     .collect();
//! let data = Dataset::new("demo", examples);
//! assert_eq!(data.labels, ["dentist", "nurse"]);
//! let split = data.split(&SplitParams { validation: 0.0, test: 0.2, seed: 1 })?;
//! assert_eq!(split.test.len(), 2);
//! # Ok::<(), inherit_core::Error>(())
//! ```

#![warn(missing_docs)]

pub mod attr;
pub mod dataset;
pub mod error;
pub mod example;
pub mod io;
pub mod lexicon;
pub mod model;
pub mod provenance;
pub mod rng;

pub use attr::{Axis, Groups, Origin};
pub use dataset::{CountRow, Counts, CsvSpec, Dataset, Split, SplitParams};
pub use error::{BoxError, Error, Location, Result};
pub use example::{Example, Meta};
pub use lexicon::{Lexicon, LexiconEntry, TermKind, TermMatch};
pub use model::{
    ChatMessage, Embedder, GenerationParams, Prompt, SequenceScore, SequenceScorer, TextClassifier,
    TextGenerator, argmax,
};
pub use provenance::{BiasType, Framing, Provenance, Scope, Visibility};
pub use rng::{SeededRng, derive_seed, seeded_rng};
