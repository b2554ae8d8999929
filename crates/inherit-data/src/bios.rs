//! Bias in Bios (De-Arteaga et al. 2019) in its common export: one biography per record
//! with `hard_text` (the bio without its first, title-naming sentence), `profession` and
//! `gender`. The data is not in the shared data directory (its licence and size keep it
//! out); point [`read_bias_in_bios`] at your own export.
//!
//! Accepted encodings of the fields (those of the `LabHC/bias_in_bios` export and of the
//! original pickles turned into CSV/JSONL):
//!
//! | field | accepted values |
//! |---|---|
//! | `hard_text` | non-empty string |
//! | `profession` | a name (`software_engineer`) or an index 0..=27 into [`BIOS_PROFESSIONS`] |
//! | `gender` | `F`/`M`, `female`/`male` (any case), or `0` = male, `1` = female (LabHC's coding) |

use std::path::Path;

use inherit_core::io::{DelimitedOptions, DelimitedReader};
use inherit_core::{Axis, Dataset, Example, Groups, Provenance};
use serde_json::Value;

use crate::error::{Error, Result, parse_error};
use crate::read::source_name;

/// The 28 Bias in Bios professions, in the index order of the `LabHC/bias_in_bios`
/// export (alphabetical).
pub const BIOS_PROFESSIONS: [&str; 28] = [
    "accountant",
    "architect",
    "attorney",
    "chiropractor",
    "comedian",
    "composer",
    "dentist",
    "dietitian",
    "dj",
    "filmmaker",
    "interior_designer",
    "journalist",
    "model",
    "nurse",
    "painter",
    "paralegal",
    "pastor",
    "personal_trainer",
    "photographer",
    "physician",
    "poet",
    "professor",
    "psychologist",
    "rapper",
    "software_engineer",
    "surgeon",
    "teacher",
    "yoga_teacher",
];

fn profession_name(raw: &str) -> std::result::Result<String, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("empty value".into());
    }
    if raw.bytes().all(|b| b.is_ascii_digit()) {
        let i: usize = raw.parse().map_err(|e| format!("{e}"))?;
        return BIOS_PROFESSIONS
            .get(i)
            .map(|p| (*p).to_owned())
            .ok_or_else(|| format!("profession index {i} is outside 0..=27"));
    }
    Ok(raw.to_lowercase().replace(' ', "_"))
}

fn gender_name(raw: &str) -> std::result::Result<&'static str, String> {
    match raw.trim().to_lowercase().as_str() {
        "f" | "female" | "1" => Ok("female"),
        "m" | "male" | "0" => Ok("male"),
        other => Err(format!(
            "expected F/M, female/male or 1/0 (1 = female), got {other:?}"
        )),
    }
}

fn example(source: &str, line: u64, text: &str, profession: String, gender: &str) -> Example {
    Example::new(
        format!("{source}:{line}"),
        text,
        Provenance::original(source),
    )
    .with_label(profession)
    .with_groups(Groups::new().with_stated(Axis::Gender, gender))
}

/// A JSON scalar as text (strings as is, numbers printed), or a type error.
fn scalar(path: &Path, line: u64, obj: &Value, field: &str) -> Result<String> {
    match obj.get(field) {
        None => Err(parse_error(path, line, Some(field), "missing field")),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(other) => Err(parse_error(
            path,
            line,
            Some(field),
            format!("expected a string or a number, got {other}"),
        )),
    }
}

fn read_jsonl(path: &Path, source: &str) -> Result<Vec<Example>> {
    crate::read::read_json_lines(path, |obj: Value, line| {
        from_object(path, source, line, &obj)
    })
}

/// The example of one JSON object (a JSON line, or a Parquet row).
fn from_object(path: &Path, source: &str, line: u64, obj: &Value) -> Result<Example> {
    {
        if !obj.is_object() {
            return Err(parse_error(path, line, None, "expected a JSON object"));
        }
        let text = match obj.get("hard_text") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            Some(Value::String(_)) => {
                return Err(parse_error(path, line, Some("hard_text"), "empty value"));
            }
            Some(other) => {
                return Err(parse_error(
                    path,
                    line,
                    Some("hard_text"),
                    format!("expected a string, got {other}"),
                ));
            }
            None => return Err(parse_error(path, line, Some("hard_text"), "missing field")),
        };
        let profession = profession_name(&scalar(path, line, obj, "profession")?)
            .map_err(|m| parse_error(path, line, Some("profession"), m))?;
        let gender = gender_name(&scalar(path, line, obj, "gender")?)
            .map_err(|m| parse_error(path, line, Some("gender"), m))?;
        Ok(example(source, line, &text, profession, gender))
    }
}

/// A Parquet export (`LabHC/bias_in_bios`'s `data/*.parquet`: `hard_text` string,
/// `profession` and `gender` integers), row `n` as line `n`; other columns ignored.
#[cfg(feature = "parquet")]
fn read_parquet(path: &Path, source: &str) -> Result<Vec<Example>> {
    inherit_core::parquet::read_rows(path)?
        .into_iter()
        .enumerate()
        .map(|(i, row)| from_object(path, source, i as u64 + 1, &Value::Object(row)))
        .collect()
}

fn read_delimited(path: &Path, source: &str, options: DelimitedOptions) -> Result<Vec<Example>> {
    let mut reader = DelimitedReader::open(path, options, &["hard_text", "profession", "gender"])?;
    let mut out = Vec::new();
    for row in reader.rows() {
        let row = row?;
        let text = row.non_empty("hard_text")?;
        let profession =
            profession_name(row.get("profession")?).map_err(|m| row.error("profession", &m))?;
        let gender = gender_name(row.get("gender")?).map_err(|m| row.error("gender", &m))?;
        out.push(example(source, row.line(), text, profession, gender));
    }
    Ok(out)
}

/// Reads a Bias in Bios export: JSON lines (`.jsonl`, `.json`), CSV (`.csv`), TSV
/// (`.tsv`, no quoting) or, with the `parquet` feature, Parquet (`.parquet`, the files
/// the upstream `LabHC/bias_in_bios` dataset ships), chosen by extension. Returns a [`Dataset`] named
/// `bias-in-bios` whose labels are profession names (`software_engineer`), with the
/// gender stated and ids `file:line`.
pub fn read_bias_in_bios(path: &Path) -> Result<Dataset> {
    let source = source_name(path);
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let examples = match ext.as_str() {
        "jsonl" | "json" => read_jsonl(path, &source)?,
        "csv" => read_delimited(path, &source, DelimitedOptions::default())?,
        "tsv" => read_delimited(path, &source, DelimitedOptions::tsv())?,
        #[cfg(feature = "parquet")]
        "parquet" => read_parquet(path, &source)?,
        #[cfg(not(feature = "parquet"))]
        "parquet" => {
            return Err(Error::Core(inherit_core::Error::invalid(
                "path",
                format!(
                    "{}: Parquet needs inherit-data's `parquet` feature",
                    path.display()
                ),
            )));
        }
        other => {
            return Err(Error::Core(inherit_core::Error::invalid(
                "path",
                format!(
                    "{}: unknown extension {other:?}; expected .jsonl, .json, .csv, .tsv or .parquet",
                    path.display()
                ),
            )));
        }
    };
    if examples.is_empty() {
        return Err(Error::Core(inherit_core::Error::Empty {
            path: path.to_path_buf(),
        }));
    }
    Ok(Dataset::new("bias-in-bios", examples))
}
