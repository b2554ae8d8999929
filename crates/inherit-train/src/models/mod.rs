//! The networks: small ones trained from scratch, and pretrained ones loaded from files.
//!
//! - [`BagOfEmbeddings`]: fastText-like classifier (optionally from GloVe vectors);
//! - [`TransformerClassifier`]: a small encoder classifier;
//! - [`CausalLm`]: a small decoder-only language model;
//! - [`llama`]: the llama decoder of SmolLM2 (from GGUF);
//! - [`bert`]: the BERT encoder of all-MiniLM-L6-v2 (from safetensors), and
//!   [`bert_classifier`]: that encoder with a linear head, fine-tuned as a classifier.

pub mod bag;
pub mod bert;
pub mod bert_classifier;
pub mod causal;
pub mod encoder;
pub mod llama;
pub mod transformer;
pub mod vectors;

pub use bag::{BagOfEmbeddings, BagOfEmbeddingsConfig};
pub use bert_classifier::{BertClassifier, BertClassifierConfig};
pub use causal::{CausalLm, CausalLmConfig};
pub use transformer::{Pooling, TransformerClassifier, TransformerClassifierConfig};
pub use vectors::WordVectors;
