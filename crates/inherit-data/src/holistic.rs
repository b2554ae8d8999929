//! HolisticBias (Smith et al. 2022) identity descriptors: axis -> bucket -> descriptors,
//! each a plain string or an object with `descriptor` and optional `preference`,
//! `gender` and `article`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::read::read_json_file;

/// Path of the descriptor file inside the data directory.
pub const HOLISTIC_DESCRIPTORS_FILE: &str = "holistic_bias/descriptors.json";

/// One HolisticBias descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolisticDescriptor {
    /// The axis (`ability`, `gender_and_sex`, `nationality`, ...).
    pub axis: String,
    /// The bucket within the axis (`auditory`, `transgender`, `mexico`; `all` for axes
    /// without buckets).
    pub bucket: String,
    /// The descriptor (`Deaf`, `trans female`, `Chicana`).
    pub descriptor: String,
    /// `reviewed`, `dispreferred`, ... when given.
    pub preference: Option<String>,
    /// The gender the descriptor implies (`female`, `male`), when given.
    pub gender: Option<String>,
    /// The article to use (`a`), when given.
    pub article: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawDescriptor {
    Plain(String),
    Full {
        descriptor: String,
        #[serde(default)]
        preference: Option<String>,
        #[serde(default)]
        gender: Option<String>,
        #[serde(default)]
        article: Option<String>,
    },
}

/// Reads `descriptors.json`. Descriptors come sorted by axis and bucket, in file order
/// within a bucket.
pub fn read_holistic_descriptors(path: &Path) -> Result<Vec<HolisticDescriptor>> {
    let doc: BTreeMap<String, BTreeMap<String, Vec<RawDescriptor>>> = read_json_file(path)?;
    let mut out = Vec::new();
    for (axis, buckets) in doc {
        for (bucket, items) in buckets {
            for raw in items {
                let (descriptor, preference, gender, article) = match raw {
                    RawDescriptor::Plain(d) => (d, None, None, None),
                    RawDescriptor::Full {
                        descriptor,
                        preference,
                        gender,
                        article,
                    } => (descriptor, preference, gender, article),
                };
                out.push(HolisticDescriptor {
                    axis: axis.clone(),
                    bucket: bucket.clone(),
                    descriptor,
                    preference,
                    gender,
                    article,
                });
            }
        }
    }
    if out.is_empty() {
        return Err(Error::Core(inherit_core::Error::Empty {
            path: path.to_path_buf(),
        }));
    }
    Ok(out)
}
