//! The networks: small ones trained from scratch, and classifier adapters over the
//! pretrained encoders of `inherit-pretrained`.
//!
//! - [`BagOfEmbeddings`]: fastText-like classifier (optionally from GloVe vectors);
//! - [`TransformerClassifier`]: a small encoder classifier;
//! - [`CausalLm`]: a small decoder-only language model;
//! - [`bert_classifier`]: the BERT encoder of all-MiniLM-L6-v2 (`inherit_pretrained::bert`)
//!   with a linear head, fine-tuned as a classifier.

pub mod bag;
pub mod bert_classifier;
pub mod causal;
pub mod encoder;
pub mod transformer;
pub mod vectors;

pub use bag::{BagOfEmbeddings, BagOfEmbeddingsConfig};
pub use bert_classifier::{BertClassifier, BertClassifierConfig};
pub use causal::{CausalLm, CausalLmConfig};
pub use transformer::{Pooling, TransformerClassifier, TransformerClassifierConfig};
pub use vectors::WordVectors;
