//! Plain labelled text sets: SST-2 (GLUE sentiment) and the identity madlibs of Dixon et
//! al. (2018) (toxicity with identity terms).

use std::path::Path;

use inherit_core::io::{DelimitedOptions, DelimitedReader};
use inherit_core::{Dataset, Example, Provenance};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::read::source_name;

/// Path of the identity madlibs file inside the data directory.
pub const MADLIBS_FILE: &str = "identity_madlibs/bias_madlibs_77k.csv";

/// SST-2 split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sst2Split {
    /// `sst2/train.tsv` (67,349 sentences).
    Train,
    /// `sst2/dev.tsv` (872 sentences).
    Dev,
}

impl Sst2Split {
    /// The path inside the data directory.
    pub fn relative_path(&self) -> &'static str {
        match self {
            Sst2Split::Train => "sst2/train.tsv",
            Sst2Split::Dev => "sst2/dev.tsv",
        }
    }
}

/// SST-2 class names, in label-index order (upstream `0` = negative, `1` = positive).
pub const SST2_LABELS: [&str; 2] = ["negative", "positive"];

/// Madlibs class names, in label-index order (index 1 = toxic, as upstream `BAD`).
pub const MADLIBS_LABELS: [&str; 2] = ["NOT_BAD", "BAD"];

fn finish(path: &Path, name: &str, labels: &[&str], examples: Vec<Example>) -> Result<Dataset> {
    if examples.is_empty() {
        return Err(Error::Core(inherit_core::Error::Empty {
            path: path.to_path_buf(),
        }));
    }
    let labels = labels.iter().map(|l| (*l).to_owned()).collect();
    Ok(Dataset::with_labels(name, labels, examples)?)
}

/// Reads a GLUE SST-2 TSV (header `label<TAB>sentence`; the dev file upstream names its
/// text column `content`, both are accepted; no quoting). Labels `0`/`1` become
/// `negative`/`positive` ([`SST2_LABELS`]); ids are `file:line`. The dataset is named
/// `sst2-<file stem>`.
pub fn read_sst2(path: &Path) -> Result<Dataset> {
    let mut reader = DelimitedReader::open(path, DelimitedOptions::tsv(), &["label"])?;
    let text_col = if reader.has_column("sentence") {
        "sentence"
    } else if reader.has_column("content") {
        "content"
    } else {
        return Err(crate::error::parse_error(
            path,
            1,
            Some("sentence"),
            "missing column; expected `sentence` (or `content`)",
        ));
    };
    let source = source_name(path);
    let mut examples = Vec::new();
    for row in reader.rows() {
        let row = row?;
        let label = match row.non_empty("label")?.trim() {
            "0" => SST2_LABELS[0],
            "1" => SST2_LABELS[1],
            other => {
                return Err(row
                    .error("label", &format!("expected 0 or 1, got {other:?}"))
                    .into());
            }
        };
        let text = row.non_empty(text_col)?.trim();
        examples.push(
            Example::new(
                format!("{source}:{}", row.line()),
                text,
                Provenance::original(&source),
            )
            .with_label(label),
        );
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    finish(path, &format!("sst2-{stem}"), &SST2_LABELS, examples)
}

/// Reads the identity madlibs CSV (columns `Text, Label, Template`): labels `BAD` /
/// `NOT_BAD` ([`MADLIBS_LABELS`]), the template name in `meta.template`, ids
/// `file:line`. The dataset is named `identity-madlibs`.
pub fn read_madlibs(path: &Path) -> Result<Dataset> {
    let mut reader = DelimitedReader::open(
        path,
        DelimitedOptions::default(),
        &["Text", "Label", "Template"],
    )?;
    let source = source_name(path);
    let mut examples = Vec::new();
    for row in reader.rows() {
        let row = row?;
        let label = row.non_empty("Label")?.trim();
        if !MADLIBS_LABELS.contains(&label) {
            return Err(row
                .error("Label", &format!("expected BAD or NOT_BAD, got {label:?}"))
                .into());
        }
        examples.push(
            Example::new(
                format!("{source}:{}", row.line()),
                row.non_empty("Text")?.trim(),
                Provenance::original(&source),
            )
            .with_label(label)
            .with_meta("template", row.non_empty("Template")?.trim()),
        );
    }
    finish(path, "identity-madlibs", &MADLIBS_LABELS, examples)
}
