//! Checkpoint directories: `meta.json` (model kind, config, labels, tokenizer settings and
//! the names of the two data files), a tokenizer file and a weights file (the burn record,
//! burnpack format).
//!
//! Replacement is atomic, with no moment at which the path holds no checkpoint: a save
//! writes the new tokenizer and weights beside the old ones under fresh names
//! (`tokenizer-{id}.json`, `model-{id}.bpk`), then replaces `meta.json`, which names them,
//! with one rename (the commit point), and only then deletes the files the new
//! `meta.json` no longer names. A kill at any moment leaves either the old checkpoint or
//! the new one at the path, plus at most some unreferenced files that the next save
//! deletes. Nothing is shared between saves (no `.old` folder), so a leftover of one
//! save never blocks the next. Checkpoints written before this layout (`tokenizer.json`
//! and `model.bpk`, not named in `meta.json`) still load, and the next save replaces them.

use std::path::Path;

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
    /// The tokenizer file, in the checkpoint directory.
    #[serde(default = "default_tokenizer_file")]
    pub tokenizer_file: String,
    /// The weights file, in the checkpoint directory.
    #[serde(default = "default_model_file")]
    pub model_file: String,
}

/// The tokenizer file of checkpoints that do not name theirs.
fn default_tokenizer_file() -> String {
    "tokenizer.json".into()
}

/// The weights file of checkpoints that do not name theirs.
fn default_model_file() -> String {
    "model.bpk".into()
}

/// True for the names of the data files a checkpoint save writes (current and legacy
/// layouts, and the temporary files of an interrupted write): what a save may delete.
fn is_checkpoint_data_file(name: &str) -> bool {
    let versioned = |prefix: &str, ext: &str| {
        name.strip_prefix(prefix)
            .and_then(|r| r.strip_suffix(ext))
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric()))
    };
    name == "tokenizer.json"
        || name == "model.bpk"
        || versioned("tokenizer-", ".json")
        || versioned("model-", ".bpk")
        || [".tokenizer-", ".model-", ".meta.json.tmp"]
            .iter()
            .any(|p| name.starts_with(p))
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
        tokenizer_file: String::new(),
        model_file: String::new(),
    };
    let bytes = model
        .clone()
        .into_record()
        .into_bytes()
        .map_err(|e| Error::checkpoint(dir, format!("model record: {e}")))?;
    std::fs::create_dir_all(dir).map_err(|e| inherit_core::Error::io(dir, e))?;
    if !dir.is_dir() {
        return Err(Error::checkpoint(dir, "not a directory"));
    }
    // One save at a time per checkpoint (another process's save would delete this one's
    // files as unreferenced): `meta.json.lock` names the holder's pid.
    let _lock = inherit_core::io::FileLock::acquire(dir.join("meta.json"))?;
    // A fresh, unpredictable id, reserved by creating the weights file exclusively.
    let model_tmp = tempfile::Builder::new()
        .prefix("model-")
        .suffix(".bpk")
        .rand_bytes(16)
        .tempfile_in(dir)
        .map_err(|e| inherit_core::Error::io(dir, e))?;
    let model_file = model_tmp
        .path()
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::checkpoint(dir, "temporary file name is not UTF-8"))?
        .to_owned();
    let id = model_file
        .strip_prefix("model-")
        .and_then(|r| r.strip_suffix(".bpk"))
        .unwrap_or_default()
        .to_owned();
    let tokenizer_file = format!("tokenizer-{id}.json");
    {
        use std::io::Write;
        let mut f = model_tmp.as_file();
        f.write_all(&bytes)
            .and_then(|()| f.sync_all())
            .map_err(|e| inherit_core::Error::io(model_tmp.path(), e))?;
    }
    // Kept: from here on, the next save deletes it if this one never commits.
    model_tmp
        .keep()
        .map_err(|e| inherit_core::Error::io(dir, e.error))?;
    tokenizer.save(dir.join(&tokenizer_file))?;
    let meta = CheckpointMeta {
        tokenizer_file,
        model_file,
        ..meta
    };
    let json =
        serde_json::to_vec_pretty(&meta).map_err(|e| Error::checkpoint(dir, e.to_string()))?;
    // The commit point: one rename of `meta.json` (then a sync of the directory).
    inherit_core::io::write_atomic(dir.join("meta.json"), &json)?;
    remove_unreferenced(dir, &meta);
    Ok(())
}

/// Deletes the data files of earlier (or interrupted) saves that `meta` does not name.
/// Best effort: the checkpoint is already complete, and a file left behind is deleted by
/// the next save.
fn remove_unreferenced(dir: &Path, meta: &CheckpointMeta) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name != meta.model_file
            && name != meta.tokenizer_file
            && is_checkpoint_data_file(name)
            && entry.file_type().is_ok_and(|t| t.is_file())
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A file name from `meta.json`: a plain name inside the checkpoint directory.
fn data_file(dir: &Path, meta_path: &Path, field: &str, name: &str) -> Result<std::path::PathBuf> {
    let plain = !name.is_empty()
        && Path::new(name).file_name().and_then(|n| n.to_str()) == Some(name)
        && name != "..";
    if !plain {
        return Err(Error::checkpoint(
            meta_path,
            format!("field `{field}`: `{name}` is not a file name inside the checkpoint"),
        ));
    }
    Ok(dir.join(name))
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
    // A save running at the same time may delete the files of the `meta.json` just read
    // (after replacing it): read again, a few times, when a named file has vanished.
    let mut attempt = 0;
    let (meta, config, tokenizer, bytes, model_path) = loop {
        attempt += 1;
        match read_files::<C>(dir) {
            Err(e) if attempt < 4 && vanished(&e) => continue,
            other => break other?,
        }
    };
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

/// True for a "file not found" I/O error.
fn vanished(e: &Error) -> bool {
    matches!(e, Error::Core(inherit_core::Error::Io { source, .. })
        if source.kind() == std::io::ErrorKind::NotFound)
}

/// The pieces of a checkpoint read from `dir`.
type Files<C> = (
    CheckpointMeta,
    C,
    TextTokenizer,
    Vec<u8>,
    std::path::PathBuf,
);

fn read_files<C: ModelConfig>(dir: &Path) -> Result<Files<C>> {
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
    let tokenizer_path = data_file(dir, &meta_path, "tokenizer_file", &meta.tokenizer_file)?;
    let model_path = data_file(dir, &meta_path, "model_file", &meta.model_file)?;
    if !tokenizer_path.is_file() {
        let e = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        return Err(inherit_core::Error::io(&tokenizer_path, e).into());
    }
    let tokenizer = TextTokenizer::from_file(&tokenizer_path, meta.tokenizer.clone())?;
    let bytes = std::fs::read(&model_path).map_err(|e| inherit_core::Error::io(&model_path, e))?;
    Ok((meta, config, tokenizer, bytes, model_path))
}
