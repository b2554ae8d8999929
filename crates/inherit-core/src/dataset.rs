//! A named collection of examples with a label set: JSONL and CSV I/O, stratified
//! splits, and counts by label x group x provenance.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::attr::{Axis, Groups};
use crate::error::{Error, Result};
use crate::example::Example;
use crate::io::{self, DelimitedOptions, DelimitedReader};
use crate::provenance::Provenance;
use crate::rng::seeded_rng;

/// A named dataset: examples plus the label set that gives each class name its index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// Dataset name (used in reports and provenance).
    pub name: String,
    /// The label set, in index order.
    pub labels: Vec<String>,
    /// The examples.
    pub examples: Vec<Example>,
}

impl Dataset {
    /// A dataset whose label set is the sorted set of labels its examples carry.
    pub fn new(name: impl Into<String>, examples: Vec<Example>) -> Self {
        let labels: BTreeSet<String> = examples.iter().filter_map(|e| e.label.clone()).collect();
        Dataset {
            name: name.into(),
            labels: labels.into_iter().collect(),
            examples,
        }
    }

    /// A dataset with an explicit label set (order = index); every example's label must
    /// be in it.
    pub fn with_labels(
        name: impl Into<String>,
        labels: Vec<String>,
        examples: Vec<Example>,
    ) -> Result<Self> {
        let set: BTreeSet<&String> = labels.iter().collect();
        if set.len() != labels.len() {
            return Err(Error::invalid("labels", "the label set has duplicates"));
        }
        if let Some(bad) = examples
            .iter()
            .find(|e| e.label.as_ref().is_some_and(|l| !set.contains(l)))
        {
            return Err(Error::invalid(
                "labels",
                format!(
                    "example `{}` has label `{}`, not in the label set [{}]",
                    bad.id,
                    bad.label.as_deref().unwrap_or_default(),
                    labels.join(", ")
                ),
            ));
        }
        Ok(Dataset {
            name: name.into(),
            labels,
            examples,
        })
    }

    /// Number of examples.
    pub fn len(&self) -> usize {
        self.examples.len()
    }

    /// True when there are no examples.
    pub fn is_empty(&self) -> bool {
        self.examples.is_empty()
    }

    /// The index of a class name.
    pub fn label_index(&self, label: &str) -> Option<usize> {
        self.labels.iter().position(|l| l == label)
    }

    /// The label index of an example (None when unlabelled).
    pub fn label_id(&self, example: &Example) -> Option<usize> {
        example.label.as_deref().and_then(|l| self.label_index(l))
    }

    /// Reads one [`Example`] per line; the label set is the sorted set of labels seen
    /// and the name is the file stem.
    pub fn read_jsonl(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let examples: Vec<Example> = io::read_jsonl(path)?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Dataset::new(name, examples))
    }

    /// Writes one [`Example`] per line, atomically.
    pub fn write_jsonl(&self, path: impl AsRef<Path>) -> Result<()> {
        io::write_jsonl(path, &self.examples)
    }

    /// Reads [`Example`]s from a Parquet file written by [`Dataset::write_parquet`] (or
    /// any file with the same columns; feature `parquet`); the name is the file stem.
    #[cfg(feature = "parquet")]
    pub fn read_parquet(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let examples: Vec<Example> = crate::parquet::read(path)?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Dataset::new(name, examples))
    }

    /// Writes the examples as a Parquet file, atomically (feature `parquet`; nested
    /// fields as JSON text, see [`crate::parquet::write`]).
    #[cfg(feature = "parquet")]
    pub fn write_parquet(&self, path: impl AsRef<Path>) -> Result<()> {
        crate::parquet::write(path, &self.examples)
    }

    /// Reads a Parquet table as Hugging Face datasets and pandas write it (text, label,
    /// id and group columns per `spec`, as [`Dataset::read_csv`] maps them; numbers and
    /// booleans taken as their text, `spec.options` unused; feature `parquet`). Errors
    /// name the file, the 1-based row and the column.
    #[cfg(feature = "parquet")]
    pub fn read_parquet_columns(path: impl AsRef<Path>, spec: &CsvSpec) -> Result<Self> {
        let path = path.as_ref();
        let rows = crate::parquet::read_rows(path)?;
        let source = path
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut examples = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            let line = i as u64 + 1;
            let get = |col: &str| -> Result<String> {
                match row.get(col) {
                    None => Err(Error::parse(path, line, Some(col), "missing column")),
                    Some(serde_json::Value::Null) => Ok(String::new()),
                    Some(serde_json::Value::String(s)) => Ok(s.clone()),
                    Some(v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => {
                        Ok(v.to_string())
                    }
                    Some(other) => Err(Error::parse(
                        path,
                        line,
                        Some(col),
                        format!("expected a scalar, got {other}"),
                    )),
                }
            };
            let non_empty = |col: &str| -> Result<String> {
                let v = get(col)?;
                if v.trim().is_empty() {
                    return Err(Error::parse(path, line, Some(col), "empty value"));
                }
                Ok(v)
            };
            let id = match &spec.id {
                Some(col) => non_empty(col)?,
                None => format!("{source}:{line}"),
            };
            let mut ex = Example::new(id, non_empty(&spec.text)?, Provenance::original(&source));
            if let Some(col) = &spec.label {
                ex.label = Some(non_empty(col)?.trim().to_owned());
            }
            for (axis, col) in &spec.groups {
                let v = get(col)?;
                if !v.trim().is_empty() {
                    ex.groups.stated.insert(axis.clone(), v.trim().to_owned());
                }
            }
            examples.push(ex);
        }
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Dataset::new(name, examples))
    }

    /// Reads a CSV/TSV file with a header into a dataset, mapping columns per `spec`.
    pub fn read_csv(path: impl AsRef<Path>, spec: &CsvSpec) -> Result<Self> {
        let path = path.as_ref();
        let mut required = vec![spec.text.as_str()];
        required.extend(spec.label.as_deref());
        required.extend(spec.id.as_deref());
        required.extend(spec.groups.iter().map(|(_, c)| c.as_str()));
        let mut reader = DelimitedReader::open(path, spec.options, &required)?;
        let source = path
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut examples = Vec::new();
        for row in reader.rows() {
            let row = row?;
            let id = match &spec.id {
                Some(col) => row.non_empty(col)?.to_owned(),
                None => format!("{source}:{}", row.line()),
            };
            let mut ex = Example::new(
                id,
                row.non_empty(&spec.text)?,
                Provenance::original(&source),
            );
            if let Some(col) = &spec.label {
                ex.label = Some(row.non_empty(col)?.trim().to_owned());
            }
            let mut groups = Groups::new();
            for (axis, col) in &spec.groups {
                let v = row.get(col)?.trim();
                if !v.is_empty() {
                    groups.stated.insert(axis.clone(), v.to_owned());
                }
            }
            ex.groups = groups;
            examples.push(ex);
        }
        if examples.is_empty() {
            return Err(Error::Empty {
                path: path.to_path_buf(),
            });
        }
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Dataset::new(name, examples))
    }

    /// Splits into train/validation/test, stratified by label (unlabelled examples form
    /// their own stratum), shuffled with a ChaCha generator seeded by `params.seed`.
    ///
    /// Within each stratum of size n, `round(n * test)` examples go to test and
    /// `round(n * validation)` to validation; the rest to train.
    pub fn split(&self, params: &SplitParams) -> Result<Split> {
        params.check()?;
        let mut strata: BTreeMap<Option<&str>, Vec<usize>> = BTreeMap::new();
        for (i, e) in self.examples.iter().enumerate() {
            strata.entry(e.label.as_deref()).or_default().push(i);
        }
        let mut rng = seeded_rng(params.seed);
        let (mut train, mut val, mut test) = (Vec::new(), Vec::new(), Vec::new());
        for idx in strata.values_mut() {
            idx.shuffle(&mut rng);
            let n = idx.len() as f64;
            let n_test = (n * params.test).round() as usize;
            let n_val = ((n * params.validation).round() as usize).min(idx.len() - n_test);
            test.extend_from_slice(&idx[..n_test]);
            val.extend_from_slice(&idx[n_test..n_test + n_val]);
            train.extend_from_slice(&idx[n_test + n_val..]);
        }
        let pick = |mut ids: Vec<usize>, suffix: &str| {
            ids.sort_unstable();
            Dataset {
                name: format!("{}-{suffix}", self.name),
                labels: self.labels.clone(),
                examples: ids.into_iter().map(|i| self.examples[i].clone()).collect(),
            }
        };
        Ok(Split {
            train: pick(train, "train"),
            validation: pick(val, "validation"),
            test: pick(test, "test"),
        })
    }

    /// Counts examples by label x value on `axis` (stated, else inferred) x provenance kind.
    pub fn counts(&self, axis: &Axis) -> Counts {
        let mut map: BTreeMap<(String, String, String), usize> = BTreeMap::new();
        for e in &self.examples {
            let key = (
                e.label.clone().unwrap_or_else(|| "-".into()),
                e.groups.value(axis).unwrap_or("-").to_owned(),
                e.provenance.kind().to_owned(),
            );
            *map.entry(key).or_default() += 1;
        }
        Counts {
            axis: axis.clone(),
            rows: map
                .into_iter()
                .map(|((label, group, provenance), count)| CountRow {
                    label,
                    group,
                    provenance,
                    count,
                })
                .collect(),
        }
    }
}

/// How to map CSV columns onto [`Example`] fields.
#[derive(Debug, Clone)]
pub struct CsvSpec {
    /// Column holding the text.
    pub text: String,
    /// Column holding the label, if any.
    pub label: Option<String>,
    /// Column holding a unique id; default `file:line`.
    pub id: Option<String>,
    /// Columns holding stated group values.
    pub groups: Vec<(Axis, String)>,
    /// Delimiter and quoting.
    pub options: DelimitedOptions,
}

impl CsvSpec {
    /// A spec with only a text column.
    pub fn text(column: impl Into<String>) -> Self {
        CsvSpec {
            text: column.into(),
            label: None,
            id: None,
            groups: Vec::new(),
            options: DelimitedOptions::default(),
        }
    }

    /// Builder: the label column.
    pub fn label(mut self, column: impl Into<String>) -> Self {
        self.label = Some(column.into());
        self
    }

    /// Builder: the id column.
    pub fn id(mut self, column: impl Into<String>) -> Self {
        self.id = Some(column.into());
        self
    }

    /// Builder: a group column.
    pub fn group(mut self, axis: Axis, column: impl Into<String>) -> Self {
        self.groups.push((axis, column.into()));
        self
    }

    /// Builder: delimiter and quoting.
    pub fn options(mut self, options: DelimitedOptions) -> Self {
        self.options = options;
        self
    }
}

/// Parameters of [`Dataset::split`].
///
/// | name | default | range |
/// |---|---|---|
/// | `validation` | 0.1 | [0, 1) |
/// | `test` | 0.2 | [0, 1), `validation + test < 1` |
/// | `seed` | 0 | any |
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SplitParams {
    /// Share of each stratum for validation.
    pub validation: f64,
    /// Share of each stratum for test.
    pub test: f64,
    /// Shuffling seed.
    pub seed: u64,
}

impl Default for SplitParams {
    fn default() -> Self {
        SplitParams {
            validation: 0.1,
            test: 0.2,
            seed: 0,
        }
    }
}

impl SplitParams {
    /// Checks the ranges in the table above.
    pub fn check(&self) -> Result<()> {
        for (name, v) in [("validation", self.validation), ("test", self.test)] {
            if !(0.0..1.0).contains(&v) {
                return Err(Error::invalid(name, format!("must be in [0, 1), got {v}")));
            }
        }
        if self.validation + self.test >= 1.0 {
            return Err(Error::invalid(
                "validation + test",
                format!("must be below 1, got {}", self.validation + self.test),
            ));
        }
        Ok(())
    }
}

/// The three parts of a split.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// Training part.
    pub train: Dataset,
    /// Validation part.
    pub validation: Dataset,
    /// Test part.
    pub test: Dataset,
}

/// Example counts by label x group x provenance, see [`Dataset::counts`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// The group axis counted.
    pub axis: Axis,
    /// One row per non-empty cell (`-` marks a missing label or group).
    pub rows: Vec<CountRow>,
}

/// One cell of [`Counts`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountRow {
    /// Class name.
    pub label: String,
    /// Group value.
    pub group: String,
    /// `original` or `augmented`.
    pub provenance: String,
    /// Number of examples.
    pub count: usize,
}

impl Counts {
    /// Count for one cell (0 when absent).
    pub fn get(&self, label: &str, group: &str, provenance: &str) -> usize {
        self.rows
            .iter()
            .find(|r| r.label == label && r.group == group && r.provenance == provenance)
            .map_or(0, |r| r.count)
    }

    /// Total count.
    pub fn total(&self) -> usize {
        self.rows.iter().map(|r| r.count).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy(n_per_label: usize) -> Dataset {
        let mut ex = Vec::new();
        for label in ["a", "b", "c"] {
            for i in 0..n_per_label {
                let g = if i % 2 == 0 { "female" } else { "male" };
                ex.push(
                    Example::new(
                        format!("{label}{i}"),
                        format!("text {label} {i}"),
                        Provenance::original("toy"),
                    )
                    .with_label(label)
                    .with_groups(Groups::new().with_stated(Axis::Gender, g)),
                );
            }
        }
        Dataset::new("toy", ex)
    }

    #[test]
    fn split_is_stratified_disjoint_and_seeded() {
        let d = toy(20);
        let p = SplitParams {
            validation: 0.1,
            test: 0.25,
            seed: 9,
        };
        let s = d.split(&p).unwrap();
        for part in [&s.train, &s.validation, &s.test] {
            assert_eq!(part.labels, d.labels);
        }
        // 20 per label: round(5) test, round(2) validation, 13 train.
        for label in ["a", "b", "c"] {
            let count = |ds: &Dataset| {
                ds.examples
                    .iter()
                    .filter(|e| e.label.as_deref() == Some(label))
                    .count()
            };
            assert_eq!(
                (count(&s.train), count(&s.validation), count(&s.test)),
                (13, 2, 5)
            );
        }
        let mut ids: Vec<_> = [&s.train, &s.validation, &s.test]
            .iter()
            .flat_map(|p| p.examples.iter().map(|e| e.id.clone()))
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 60);
        assert_eq!(d.split(&p).unwrap(), s);
        let other = d.split(&SplitParams { seed: 10, ..p }).unwrap();
        assert_ne!(other.test, s.test);
        assert!(
            d.split(&SplitParams {
                validation: 0.5,
                test: 0.5,
                seed: 0
            })
            .is_err()
        );
    }

    #[test]
    fn counts_by_label_group_provenance() {
        let d = toy(4);
        let c = d.counts(&Axis::Gender);
        assert_eq!(c.get("a", "female", "original"), 2);
        assert_eq!(c.get("b", "male", "original"), 2);
        assert_eq!(c.get("b", "male", "augmented"), 0);
        assert_eq!(c.total(), 12);
        let by_culture = d.counts(&Axis::Culture);
        assert_eq!(by_culture.get("c", "-", "original"), 4);
    }

    #[test]
    fn label_set_is_checked() {
        let d = toy(1);
        assert_eq!(d.labels, vec!["a", "b", "c"]);
        assert_eq!(d.label_index("c"), Some(2));
        let err = Dataset::with_labels("x", vec!["a".into()], d.examples.clone()).unwrap_err();
        assert!(err.to_string().contains("label `b`"), "{err}");
    }

    #[test]
    fn csv_spec_maps_columns_and_names_bad_rows() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.csv");
        std::fs::write(
            &p,
            "id,text,label,gender\n1,\"Hello, there\",pos,female\n2,Bye,neg,\n",
        )
        .unwrap();
        let spec = CsvSpec::text("text")
            .label("label")
            .id("id")
            .group(Axis::Gender, "gender");
        let d = Dataset::read_csv(&p, &spec).unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d.examples[0].text, "Hello, there");
        assert_eq!(d.examples[0].groups.value(&Axis::Gender), Some("female"));
        assert_eq!(d.examples[1].groups.value(&Axis::Gender), None);
        assert_eq!(d.labels, vec!["neg", "pos"]);
        std::fs::write(&p, "id,text,label,gender\n1,,pos,female\n").unwrap();
        let err = Dataset::read_csv(&p, &spec).unwrap_err().to_string();
        assert!(err.contains("d.csv:2: field `text`: empty value"), "{err}");
    }
}
