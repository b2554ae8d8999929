//! WinoBias (Zhao et al. 2018): pro- and anti-stereotyped coreference sentences in which
//! the antecedent entity and the pronoun(s) are marked with brackets, e.g.
//! `1 [The developer] argued with the designer because [he] did not like the design.`
//! The records are `inherit-core`'s [`WinoBiasSentence`], which `inherit-eval`'s WinoBias
//! scorers take.

use std::path::Path;

pub use inherit_core::benchmark::{
    Mention, Stereotype, WinoBiasFile, WinoBiasSentence, WinoPart, WinoType,
};
use inherit_core::{Axis, Dataset, Example, Groups, Provenance};

use crate::error::{Error, Result, parse_error};
use crate::read::source_name;

fn pronoun_gender(pronoun: &str) -> Option<&'static str> {
    match pronoun.to_lowercase().as_str() {
        "he" | "him" | "his" | "himself" => Some("male"),
        "she" | "her" | "hers" | "herself" => Some("female"),
        _ => None,
    }
}

/// Parses one line (`<number> <sentence with brackets>`); errors name file and line.
fn parse_line(
    path: &Path,
    line_no: u64,
    line: &str,
    file: WinoBiasFile,
) -> Result<WinoBiasSentence> {
    let err = |field: &str, msg: String| parse_error(path, line_no, Some(field), msg);
    let (number, rest) = line.trim().split_once(' ').ok_or_else(|| {
        err(
            "number",
            format!("expected `<number> <sentence>`, got {line:?}"),
        )
    })?;
    let number: u32 = number.parse().map_err(|e| {
        err(
            "number",
            format!("cannot parse {number:?} as a sentence number: {e}"),
        )
    })?;
    let mut text = String::with_capacity(rest.len());
    let mut mentions = Vec::new();
    let mut open: Option<usize> = None;
    for c in rest.chars() {
        match c {
            '[' if open.is_none() => open = Some(text.len()),
            ']' => {
                let start = open
                    .take()
                    .ok_or_else(|| err("sentence", "`]` without a matching `[`".into()))?;
                mentions.push(Mention {
                    text: text[start..].to_owned(),
                    start,
                    end: text.len(),
                });
            }
            '[' => return Err(err("sentence", "nested `[`".into())),
            _ => text.push(c),
        }
    }
    if open.is_some() {
        return Err(err("sentence", "`[` without a matching `]`".into()));
    }
    if mentions.len() < 2 {
        return Err(err(
            "sentence",
            format!(
                "expected a bracketed entity and pronoun, found {} bracketed mention(s)",
                mentions.len()
            ),
        ));
    }
    let mut mentions = mentions.into_iter();
    let entity = mentions.next().expect("two mentions checked");
    let pronoun = mentions.next().expect("two mentions checked");
    let gender = pronoun_gender(&pronoun.text).ok_or_else(|| {
        err(
            "pronoun",
            format!("`{}` is not a gendered pronoun", pronoun.text),
        )
    })?;
    let occupation = entity
        .text
        .split_once(' ')
        .filter(|(article, _)| matches!(article.to_lowercase().as_str(), "the" | "a" | "an"))
        .map_or(entity.text.as_str(), |(_, rest)| rest)
        .to_owned();
    Ok(WinoBiasSentence {
        file,
        number,
        text,
        entity,
        pronoun,
        extra_mentions: mentions.collect(),
        occupation,
        pronoun_gender: gender.to_owned(),
    })
}

/// Reads one WinoBias sentence file (`file` says which, for the records; the path may be
/// anywhere).
pub fn read_winobias(path: &Path, file: WinoBiasFile) -> Result<Vec<WinoBiasSentence>> {
    let content = std::fs::read_to_string(path).map_err(|e| inherit_core::Error::io(path, e))?;
    let mut out = Vec::new();
    for (i, line) in content.lines().enumerate() {
        if !line.trim().is_empty() {
            out.push(parse_line(path, i as u64 + 1, line, file)?);
        }
    }
    if out.is_empty() {
        return Err(Error::Core(inherit_core::Error::Empty {
            path: path.to_path_buf(),
        }));
    }
    Ok(out)
}

/// A mention as `{"text", "start", "end"}`.
fn mention_json(m: &Mention) -> serde_json::Value {
    serde_json::json!({"text": m.text, "start": m.start, "end": m.end})
}

/// WinoBias sentences as a [`Dataset`] named `winobias`: the label is the pronoun's
/// gender (`female`/`male`, also stated on the gender axis); `meta` holds the file
/// (`stereotype`, `type`, `part`), the `occupation`, the `entity` and `pronoun` with
/// their byte spans.
pub fn winobias_dataset(sentences: &[WinoBiasSentence]) -> Dataset {
    let examples = sentences
        .iter()
        .map(|s| {
            let rel = s.file.relative_path();
            let source = source_name(Path::new(&rel));
            Example::new(
                format!("{source}:{}", s.number),
                &s.text,
                Provenance::original(&source),
            )
            .with_label(&s.pronoun_gender)
            .with_groups(Groups::new().with_stated(Axis::Gender, &s.pronoun_gender))
            .with_meta("stereotype", s.file.stereotype.as_str())
            .with_meta("type", s.file.kind.as_str())
            .with_meta("part", s.file.part.as_str())
            .with_meta("occupation", s.occupation.as_str())
            .with_meta("entity", mention_json(&s.entity))
            .with_meta("pronoun", mention_json(&s.pronoun))
        })
        .collect();
    Dataset::new("winobias", examples)
}

/// Reads a one-word-per-line list (WinoBias `female_occupations.txt`,
/// `male_occupations.txt`), skipping blank lines.
pub fn read_word_list(path: &Path) -> Result<Vec<String>> {
    let content = std::fs::read_to_string(path).map_err(|e| inherit_core::Error::io(path, e))?;
    let words: Vec<String> = content
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if words.is_empty() {
        return Err(Error::Core(inherit_core::Error::Empty {
            path: path.to_path_buf(),
        }));
    }
    Ok(words)
}
