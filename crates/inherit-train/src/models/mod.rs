//! The small networks trained from scratch.
//!
//! - [`BagOfEmbeddings`]: fastText-like classifier (optionally from GloVe vectors);
//! - [`TransformerClassifier`]: a small encoder classifier;
//! - [`CausalLm`]: a small decoder-only language model.

pub mod bag;
pub mod causal;
pub mod encoder;
pub mod transformer;
pub mod vectors;

pub use bag::{BagOfEmbeddings, BagOfEmbeddingsConfig};
pub use causal::{CausalLm, CausalLmConfig};
pub use transformer::{Pooling, TransformerClassifier, TransformerClassifierConfig};
pub use vectors::WordVectors;
