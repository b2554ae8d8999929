//! Checkpoint directories: `meta.json` (model kind, config, labels, tokenizer settings),
//! `tokenizer.json` and `model.bpk` (the burn record, burnpack format), written to a
//! temporary sibling directory and renamed into place, so a reader never sees a half
//! written checkpoint.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;
use serde::{Deserialize, Serialize};

use crate::base::ModelConfig;
use crate::error::{Error, Result};
use crate::tokenizer::{TextTokenizer, TokenizerConfig};

/// Format tag written into `meta.json`.
pub const FORMAT: &str = "inherit-train/1";

/// The `meta.json` of a checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMeta {
    /// [`FORMAT`].
    pub format: String,
    /// The model kind ([`ModelConfig::KIND`]).
    pub kind: String,
    /// Class names (empty for language models).
    pub labels: Vec<String>,
    /// The model configuration.
    pub config: serde_json::Value,
    /// The tokenizer settings.
    pub tokenizer: TokenizerConfig,
}

/// Writes a checkpoint of `model` to `dir` atomically (replacing an existing one).
pub fn save<C: ModelConfig>(
    dir: &Path,
    config: &C,
    model: &C::Model,
    tokenizer: &TextTokenizer,
    labels: &[String],
) -> Result<()> {
    let meta = CheckpointMeta {
        format: FORMAT.into(),
        kind: C::KIND.into(),
        labels: labels.to_vec(),
        config: serde_json::to_value(config)
            .map_err(|e| Error::checkpoint(dir, format!("config: {e}")))?,
        tokenizer: tokenizer.config().clone(),
    };
    let bytes = model
        .clone()
        .into_record()
        .into_bytes()
        .map_err(|e| Error::checkpoint(dir, format!("model record: {e}")))?;
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| inherit_core::Error::io(parent, e))?;
    let name = dir
        .file_name()
        .ok_or_else(|| Error::checkpoint(dir, "not a directory name"))?
        .to_string_lossy()
        .into_owned();
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| inherit_core::Error::io(&tmp, e))?;
    }
    std::fs::create_dir(&tmp).map_err(|e| inherit_core::Error::io(&tmp, e))?;
    let json =
        serde_json::to_vec_pretty(&meta).map_err(|e| Error::checkpoint(dir, e.to_string()))?;
    inherit_core::io::write_atomic(tmp.join("meta.json"), &json)?;
    tokenizer.save(tmp.join("tokenizer.json"))?;
    inherit_core::io::write_atomic(tmp.join("model.bpk"), &bytes)?;
    replace_dir(&tmp, dir)
}

/// Renames `tmp` to `dir`, moving an existing `dir` aside first and deleting it after.
fn replace_dir(tmp: &Path, dir: &Path) -> Result<()> {
    let old: Option<PathBuf> = if dir.exists() {
        let aside = tmp.with_extension("old");
        std::fs::rename(dir, &aside).map_err(|e| inherit_core::Error::io(dir, e))?;
        Some(aside)
    } else {
        None
    };
    std::fs::rename(tmp, dir).map_err(|e| inherit_core::Error::io(dir, e))?;
    if let Some(old) = old {
        std::fs::remove_dir_all(&old).map_err(|e| inherit_core::Error::io(&old, e))?;
    }
    Ok(())
}

/// What [`load`] reads back.
pub struct Loaded<C: ModelConfig> {
    /// The metadata.
    pub meta: CheckpointMeta,
    /// The model configuration.
    pub config: C,
    /// The model with its trained weights.
    pub model: C::Model,
    /// The tokenizer.
    pub tokenizer: TextTokenizer,
}

/// Reads a checkpoint written by [`save`] for a model of kind `C::KIND`; `build` makes
/// the untrained network the weights are loaded into.
pub fn load<C: ModelConfig>(
    dir: &Path,
    build: impl FnOnce(&C, &TextTokenizer, usize) -> Result<C::Model>,
) -> Result<Loaded<C>> {
    let meta_path = dir.join("meta.json");
    let text =
        std::fs::read_to_string(&meta_path).map_err(|e| inherit_core::Error::io(&meta_path, e))?;
    let meta: CheckpointMeta = serde_json::from_str(&text)
        .map_err(|e| Error::checkpoint(&meta_path, format!("line {}: {e}", e.line())))?;
    if meta.format != FORMAT {
        return Err(Error::checkpoint(
            &meta_path,
            format!("format `{}` is not `{FORMAT}`", meta.format),
        ));
    }
    if meta.kind != C::KIND {
        return Err(Error::checkpoint(
            &meta_path,
            format!("holds a `{}` model, not a `{}`", meta.kind, C::KIND),
        ));
    }
    let config: C = serde_json::from_value(meta.config.clone())
        .map_err(|e| Error::checkpoint(&meta_path, format!("field `config`: {e}")))?;
    config.check()?;
    let tokenizer = TextTokenizer::from_file(dir.join("tokenizer.json"), meta.tokenizer.clone())?;
    let model_path = dir.join("model.bpk");
    let bytes = std::fs::read(&model_path).map_err(|e| inherit_core::Error::io(&model_path, e))?;
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes))
        .map_err(|e| Error::checkpoint(&model_path, e.to_string()))?;
    let model = build(&config, &tokenizer, meta.labels.len())?
        .try_load_record(record)
        .map_err(|e| Error::checkpoint(&model_path, e.to_string()))?;
    Ok(Loaded {
        meta,
        config,
        model,
        tokenizer,
    })
}
