//! CrowS-Pairs (Nangia et al. 2020): 1,508 minimal pairs of a more and a less
//! stereotyping sentence. Upstream asks that it be used for evaluation only, never for
//! training. The records are `inherit-core`'s [`CrowsPair`], which `inherit-eval`'s
//! CrowS-Pairs scorer takes.

use std::path::Path;

pub use inherit_core::benchmark::{CrowsPair, Direction};
use inherit_core::io::{DelimitedOptions, DelimitedReader};

use crate::error::{Error, Result};
use crate::read::python_list;

/// Path of the CrowS-Pairs file inside the data directory.
pub const CROWS_PAIRS_FILE: &str = "crows_pairs/crows_pairs_anonymized.csv";

/// Reads the CrowS-Pairs CSV (columns `<id>, sent_more, sent_less, stereo_antistereo,
/// bias_type, annotations, anon_writer, anon_annotators`; the list columns are Python
/// literals).
pub fn read_crows_pairs(path: &Path) -> Result<Vec<CrowsPair>> {
    let columns = [
        "",
        "sent_more",
        "sent_less",
        "stereo_antistereo",
        "bias_type",
        "annotations",
        "anon_writer",
        "anon_annotators",
    ];
    let mut reader = DelimitedReader::open(path, DelimitedOptions::default(), &columns)?;
    let mut out = Vec::new();
    for row in reader.rows() {
        let row = row?;
        let direction = match row.non_empty("stereo_antistereo")?.trim() {
            "stereo" => Direction::Stereo,
            "antistereo" => Direction::Antistereo,
            other => {
                return Err(row
                    .error(
                        "stereo_antistereo",
                        &format!("expected `stereo` or `antistereo`, got {other:?}"),
                    )
                    .into());
            }
        };
        let list = |field: &str| -> Result<serde_json::Value> {
            python_list(path, row.line(), field, row.non_empty(field)?)
        };
        let annotations: Vec<Vec<String>> =
            serde_json::from_value(list("annotations")?).map_err(|e| {
                row.error(
                    "annotations",
                    &format!("expected a list of lists of strings: {e}"),
                )
            })?;
        let anon_annotators: Vec<String> = serde_json::from_value(list("anon_annotators")?)
            .map_err(|e| {
                row.error(
                    "anon_annotators",
                    &format!("expected a list of strings: {e}"),
                )
            })?;
        out.push(CrowsPair {
            id: row.parse("")?,
            sent_more: row.non_empty("sent_more")?.to_owned(),
            sent_less: row.non_empty("sent_less")?.to_owned(),
            direction,
            bias_type: row.non_empty("bias_type")?.trim().to_owned(),
            annotations,
            anon_writer: row.get("anon_writer")?.trim().to_owned(),
            anon_annotators,
        });
    }
    if out.is_empty() {
        return Err(Error::Core(inherit_core::Error::Empty {
            path: path.to_path_buf(),
        }));
    }
    Ok(out)
}
