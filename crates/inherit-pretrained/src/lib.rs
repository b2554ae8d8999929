#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod bert;
pub mod error;
pub mod gguf;
pub mod gguf_tokenizer;
pub mod hub;
pub mod llama;
pub mod lora;
pub mod lora_config;
pub mod peft;
pub mod prefix_cache;
pub mod sampling;
pub mod smollm;

pub use bert::MiniLm;
/// The burn device type (re-exported so users need no direct burn dependency).
pub use burn::tensor::Device;
pub use error::{Error, Result};
pub use gguf_tokenizer::{ChatTemplate, GgufTokenizer};
pub use hub::{InnerFile, PackageFile, ensure};
pub use lora::{LoraAdapters, LoraLlama, LoraPass};
pub use lora_config::{LayerSelection, LoraConfig, LoraTarget};
pub use prefix_cache::{CacheStats, PrefixCache};
pub use smollm::{AdapterMode, FinishReason, Generation, ScorePrefix, SmolLm};
