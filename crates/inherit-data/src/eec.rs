//! The Equity Evaluation Corpus (Kiritchenko & Mohammad 2018): 8,640 template sentences
//! that differ only in the person named (gender, race) and the emotion word. The records
//! are `inherit-core`'s [`EecRow`], which `inherit-eval`'s EEC gaps take.

use std::path::Path;

pub use inherit_core::benchmark::{EEC_NO_EMOTION, EecRow};
use inherit_core::io::{DelimitedOptions, DelimitedReader};
use inherit_core::{Axis, Dataset, Example, Groups, Provenance};

use crate::error::{Error, Result};

/// Path of the EEC file inside the data directory.
pub const EEC_FILE: &str = "eec/Equity-Evaluation-Corpus.csv";

/// Reads the EEC CSV (columns `ID, Sentence, Template, Person, Gender, Race, Emotion,
/// Emotion word`). Gender must be `female` or `male`.
pub fn read_eec(path: &Path) -> Result<Vec<EecRow>> {
    let columns = [
        "ID",
        "Sentence",
        "Template",
        "Person",
        "Gender",
        "Race",
        "Emotion",
        "Emotion word",
    ];
    let mut reader = DelimitedReader::open(path, DelimitedOptions::default(), &columns)?;
    let mut out = Vec::new();
    for row in reader.rows() {
        let row = row?;
        let optional = |col: &str| -> Result<Option<String>> {
            let v = row.get(col)?.trim();
            Ok((!v.is_empty()).then(|| v.to_owned()))
        };
        let id = row.non_empty("ID")?.trim().to_owned();
        let sentence = row.non_empty("Sentence")?.to_owned();
        let template = row.non_empty("Template")?.to_owned();
        let person = row.non_empty("Person")?.to_owned();
        let gender = row.non_empty("Gender")?.trim();
        if gender != "female" && gender != "male" {
            return Err(row
                .error(
                    "Gender",
                    &format!("expected `female` or `male`, got {gender:?}"),
                )
                .into());
        }
        out.push(EecRow {
            id,
            sentence,
            template,
            person,
            gender: gender.to_owned(),
            race: optional("Race")?,
            emotion: optional("Emotion")?,
            emotion_word: optional("Emotion word")?,
        });
    }
    if out.is_empty() {
        return Err(Error::Core(inherit_core::Error::Empty {
            path: path.to_path_buf(),
        }));
    }
    Ok(out)
}

/// The EEC rows as a labelled [`Dataset`] named `eec`: label = emotion
/// ([`EEC_NO_EMOTION`] for neutral sentences), stated gender and race (race lowercased:
/// `african-american`, `european`; absent when the row has none), and the template,
/// person and emotion word in `meta`.
pub fn eec_dataset(rows: &[EecRow], source: &str) -> Dataset {
    let examples = rows
        .iter()
        .map(|r| {
            let mut groups = Groups::new().with_stated(Axis::Gender, &r.gender);
            if let Some(race) = &r.race {
                groups = groups.with_stated(Axis::Race, race.to_lowercase());
            }
            let mut ex = Example::new(&r.id, &r.sentence, Provenance::original(source))
                .with_label(r.emotion_or_none())
                .with_groups(groups)
                .with_meta("template", r.template.as_str())
                .with_meta("person", r.person.as_str());
            if let Some(word) = &r.emotion_word {
                ex = ex.with_meta("emotion_word", word.as_str());
            }
            ex
        })
        .collect();
    Dataset::new("eec", examples)
}
