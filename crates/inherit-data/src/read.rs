//! File-reading helpers shared by the loaders: JSON lines and whole-file JSON with
//! located errors, and Python list literals as found in CrowS-Pairs.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::error::{Error, Result, parse_error};

/// The file name of `path`, used as the provenance source of its examples.
pub(crate) fn source_name(path: &Path) -> String {
    path.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Reads one `T` per non-blank line and passes it, with its 1-based line number, to
/// `check`, which validates it and turns it into the output record.
pub(crate) fn read_json_lines<T, U>(
    path: &Path,
    mut check: impl FnMut(T, u64) -> Result<U>,
) -> Result<Vec<U>>
where
    T: DeserializeOwned,
{
    let text = std::fs::read_to_string(path).map_err(|e| inherit_core::Error::io(path, e))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let line_no = i as u64 + 1;
        let item: T = inherit_core::io::parse_json_line(path, line_no, line)?;
        out.push(check(item, line_no)?);
    }
    if out.is_empty() {
        return Err(Error::Core(inherit_core::Error::Empty {
            path: path.to_path_buf(),
        }));
    }
    Ok(out)
}

/// Reads a whole file as one JSON document of type `T`; syntax and type errors name the
/// line serde stopped at, an empty file is [`inherit_core::Error::Empty`].
pub(crate) fn read_json_file<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| inherit_core::Error::io(path, e))?;
    if text.trim().is_empty() {
        return Err(Error::Core(inherit_core::Error::Empty {
            path: path.to_path_buf(),
        }));
    }
    serde_json::from_str(&text).map_err(|e| {
        parse_error(
            path,
            e.line() as u64,
            None,
            format!("invalid document: {e}"),
        )
    })
}

/// Parses a Python list literal of single-quoted strings, possibly nested
/// (`[['race-color'], []]`, `['a1', 'a2']`), into a JSON value.
pub(crate) fn python_list(
    path: &Path,
    line: u64,
    field: &str,
    text: &str,
) -> Result<serde_json::Value> {
    let mut json = String::with_capacity(text.len());
    let mut in_string = false;
    for c in text.chars() {
        match c {
            '\'' => {
                in_string = !in_string;
                json.push('"');
            }
            '"' | '\\' if in_string => {
                json.push('\\');
                json.push(c);
            }
            _ => json.push(c),
        }
    }
    serde_json::from_str(&json).map_err(|e| {
        parse_error(
            path,
            line,
            Some(field),
            format!("expected a Python list of quoted strings, got {text:?}: {e}"),
        )
    })
}
