#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod base;
pub mod checkpoint;
pub mod classifier;
pub mod device;
pub mod error;
mod fit;
pub mod init;
pub mod lm;
pub mod lora_sft;
mod lora_task;
pub mod loss;
pub mod models;
pub mod params;
pub mod sampler;
pub mod sft;
pub mod tokenizer;

pub use base::{
    ClassifierModel, ClassifierOutput, LanguageModel, LmOutput, ModelConfig, ModelShape,
    TokenBatch, masked_mean,
};
/// The burn device type (re-exported so users need no direct burn dependency).
pub use burn::tensor::Device;
pub use classifier::{ClassifierTrainer, Inference, TrainedClassifier};
pub use device::DeviceSpec;
pub use error::{Error, Result};
pub use fit::{EpochLog, TrainReport, ValMetrics};
pub use lm::{TrainedLm, render_prompt};
pub use lora_sft::{LoraSftTrainer, PrefixCaching};
pub use models::{
    BagOfEmbeddings, BagOfEmbeddingsConfig, BertClassifier, BertClassifierConfig, CausalLm,
    CausalLmConfig, Pooling, TransformerClassifier, TransformerClassifierConfig, WordVectors,
};
pub use params::{BatchSampling, EarlyStopping, LrDecay, OptimizerKind, TrainParams};
pub use sft::{SftPair, SftTrainer};
pub use tokenizer::{EncodedBatch, SpecialTokens, TextTokenizer, TokenizerConfig, TokenizerKind};
