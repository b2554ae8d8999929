#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod augment;
pub mod base;
pub mod cache;
pub mod clean;
pub mod dedup;
pub mod error;
pub mod framework;
pub mod hash;
pub mod lexicon;
pub mod names;
pub mod openai;
pub mod prompt;
pub mod retry;
pub mod spec;
pub mod templates;

pub use augment::{AugmentParams, AugmentReport, AugmentTick, Augmented, Augmenter};
pub use base::PromptSource;
pub use cache::{CacheRecord, GenerationCache, cache_key};
pub use clean::{CleanParams, RejectReason, clean_output};
pub use dedup::{DedupParams, Deduplicator};
pub use error::{Error, Result};
pub use framework::{Attribute, BiasTarget, Direction, Portrayal, Stereotype};
pub use lexicon::default_lexicon;
pub use names::NameTable;
pub use openai::{OpenAiCompatible, OpenAiConfig};
pub use prompt::PromptBuilder;
pub use retry::RetryPolicy;
pub use spec::{BiasPrompt, PromptSpec, PromptStyle};
pub use templates::{FamilyTemplates, FrameworkTemplates, Templates};
