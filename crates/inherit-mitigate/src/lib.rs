#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod align;
pub mod base;
pub mod cda;
pub mod error;
pub mod mask;
pub mod reweigh;
mod rewrite;
pub mod source_tag;
pub mod spec;
pub mod stack;
pub mod target;
pub mod token;

pub use align::{AlignLoss, AlignLossParams};
pub use base::{BatchView, Mitigation};
pub use cda::{Counterfactual, CounterfactualAugmentation, CounterfactualParams};
pub use error::{Error, Result};
pub use mask::{MaskMode, MaskSensitive, MaskSensitiveParams, Masked};
pub use reweigh::{ReweighCell, ReweighTable, Reweighing, ReweighingParams};
pub use source_tag::{SourceTag, SourceTagParams};
pub use spec::{SpecArg, SpecContext, SpecMember, SpecOptions};
pub use stack::MitigationStack;
pub use target::Target;
pub use token::{DEFAULT_PREFIX, TokenPrefix, TokenPrefixParams};
