//! The World Values Survey, Wave 7 (2017–2022; Haerpfer et al. 2022), as aggregated per
//! country by lilyflower03/world-values-survey-datasets: one JSON file per country
//! (`wvs/us_wvs.json`, `eg_wvs.json`, `ch_wvs.json`, `jp_wvs.json`), each a BIG-bench
//! style document whose `examples` are value questions with the country's answer
//! distribution:
//!
//! ```json
//! {"canary": "...", "examples": [
//!   {"id": "Q1", "question_id": "1", "topic": "SOCIAL VALUES",
//!    "question_text": "How important is family in your life?",
//!    "options": ["1. Very important", "2. Rather important", "3. Not very important",
//!                "4. Not at all important"],
//!    "most_common_response": "1",
//!    "distribution": {"1": 0.91, "2": 0.07, "3": 0.01, "4": 0.00}}]}
//! ```
//!
//! The United States file is in English; the others are machine translations, so the
//! English text of a question is found through its `question_id` in the US file. Each
//! option label starts with its WVS answer code (`"3. Not very important"`, `"4.Only on
//! special holy days"`), and the distribution is keyed by those codes; options are
//! aligned with the shares by code, never by position (the US file lists question 121's
//! options from 5 down to 1).
//!
//! [`read_wvs_file`] reads one file. A malformed document (not JSON, a missing or
//! mistyped `question_id`, `question_text` or `options`, an option without its code, a
//! repeated code or question id) is an error naming the file, the line and the field. A
//! distribution that cannot be used is not an error: the question is kept with a
//! [`SkipReason`] in place of its shares, so every skip is counted
//! ([`WvsFile::skipped`]). Usable distributions are normalised to sum to 1 (the shared
//! files' sums range from 0.22 to 1.24: rounding, and 1–10 scales of which only the two
//! end points are offered as options).
//!
//! [`WvsSurvey`] joins the four files: the question ids common to all four, the English
//! text and options of each, and each country's shares aligned with the English options.
//! On the shared copies (checked by `tests/wvs.rs` and
//! `scripts/reference/wvs_reference.py`): 79 common ids; 15 of them have no English text
//! (the US file's rows 177–195, the ethical-values block, are Japan's rows copied verbatim,
//! Japanese text and Japan's shares), which leaves 64 questions; 56 of those have a
//! usable distribution in all four countries.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::{Error, Result, parse_error};

/// A country of the shared WVS files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WvsCountry {
    /// The United States (`us_wvs.json`, English).
    UnitedStates,
    /// Egypt (`eg_wvs.json`, Arabic).
    Egypt,
    /// China (`ch_wvs.json`, Chinese).
    China,
    /// Japan (`jp_wvs.json`, Japanese).
    Japan,
}

impl WvsCountry {
    /// The four countries, in the order of the tables: United States, Egypt, China, Japan.
    pub const ALL: [WvsCountry; 4] = [
        WvsCountry::UnitedStates,
        WvsCountry::Egypt,
        WvsCountry::China,
        WvsCountry::Japan,
    ];

    /// The country's name (`United States`).
    pub fn name(&self) -> &'static str {
        match self {
            WvsCountry::UnitedStates => "United States",
            WvsCountry::Egypt => "Egypt",
            WvsCountry::China => "China",
            WvsCountry::Japan => "Japan",
        }
    }

    /// The file prefix (`us`, `eg`, `ch`, `jp`).
    pub fn code(&self) -> &'static str {
        match self {
            WvsCountry::UnitedStates => "us",
            WvsCountry::Egypt => "eg",
            WvsCountry::China => "ch",
            WvsCountry::Japan => "jp",
        }
    }

    /// The file inside the data directory (`wvs/us_wvs.json`).
    pub fn relative_path(&self) -> String {
        format!("wvs/{}_wvs.json", self.code())
    }

    /// The language of the country's file (`English`, `Arabic`, `Chinese`, `Japanese`).
    pub fn language(&self) -> &'static str {
        match self {
            WvsCountry::UnitedStates => "English",
            WvsCountry::Egypt => "Arabic",
            WvsCountry::China => "Chinese",
            WvsCountry::Japan => "Japanese",
        }
    }

    /// Whether `text` is written in the file's language, by script: English has Latin
    /// letters and no Arabic, Han, kana or Hangul; Arabic has Arabic letters; Chinese has
    /// Han characters and no kana; Japanese has kana.
    pub fn is_in_language(&self, text: &str) -> bool {
        let s = Scripts::of(text);
        match self {
            WvsCountry::UnitedStates => s.latin && !(s.arabic || s.han || s.kana || s.hangul),
            WvsCountry::Egypt => s.arabic,
            WvsCountry::China => s.han && !s.kana,
            WvsCountry::Japan => s.kana,
        }
    }
}

impl fmt::Display for WvsCountry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The scripts found in a text.
#[derive(Default)]
struct Scripts {
    latin: bool,
    arabic: bool,
    han: bool,
    kana: bool,
    hangul: bool,
}

impl Scripts {
    fn of(text: &str) -> Scripts {
        let mut s = Scripts::default();
        for c in text.chars() {
            match u32::from(c) {
                0x0600..=0x06FF | 0x0750..=0x077F | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF => {
                    s.arabic = true
                }
                0x3040..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F => s.kana = true,
                0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0xF900..=0xFAFF => s.han = true,
                0xAC00..=0xD7AF | 0x1100..=0x11FF => s.hangul = true,
                _ if c.is_ascii_alphabetic() => s.latin = true,
                _ => {}
            }
        }
        s
    }
}

/// One answer option: its WVS code and its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WvsOption {
    /// The answer code the distribution is keyed by (`"3"` of `"3. Not very important"`).
    pub code: String,
    /// The option text without its code (`"Not very important"`).
    pub text: String,
}

impl WvsOption {
    /// Splits a label `"3. Not very important"` (spaces optional around the dot) into
    /// code and text; `None` when it does not start with a number and a dot.
    pub fn parse(label: &str) -> Option<WvsOption> {
        let label = label.trim();
        let digits = label.len() - label.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return None;
        }
        let (code, rest) = label.split_at(digits);
        let text = rest.trim_start().strip_prefix('.')?.trim();
        Some(WvsOption {
            code: code.to_owned(),
            text: text.to_owned(),
        })
    }
}

/// Why a distribution cannot be used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum SkipReason {
    /// The question text is not in the file's language ([`WvsCountry::is_in_language`]):
    /// the row belongs to another country's file (the US file's rows 177–195 are
    /// Japan's, shares included), so its shares cannot be taken as this country's.
    NotInLanguage {
        /// The language expected.
        expected: String,
    },
    /// No `distribution`, or `null`.
    Missing,
    /// `distribution` is not an object of code → share.
    NotAnObject,
    /// A share is not a number.
    NotANumber {
        /// The answer code of the share.
        code: String,
    },
    /// A share is negative.
    Negative {
        /// The answer code of the share.
        code: String,
        /// The share.
        value: f64,
    },
    /// The number of shares is not the number of options.
    WrongLength {
        /// Number of options.
        options: usize,
        /// Number of shares.
        shares: usize,
    },
    /// A share's code is not the code of any option.
    UnknownOption {
        /// The code.
        code: String,
    },
    /// Every share is zero.
    AllZero,
    /// The country's option codes are not those of the English (US) question, so its
    /// shares cannot be aligned with the English options ([`WvsSurvey`] only).
    OptionsDiffer {
        /// The English question's codes, in option order.
        english: Vec<String>,
        /// This country's codes, in option order.
        country: Vec<String>,
    },
}

impl SkipReason {
    /// A short name of the reason (`wrong-length`), for counting.
    pub fn kind(&self) -> &'static str {
        match self {
            SkipReason::NotInLanguage { .. } => "not-in-language",
            SkipReason::Missing => "missing",
            SkipReason::NotAnObject => "not-an-object",
            SkipReason::NotANumber { .. } => "not-a-number",
            SkipReason::Negative { .. } => "negative",
            SkipReason::WrongLength { .. } => "wrong-length",
            SkipReason::UnknownOption { .. } => "unknown-option",
            SkipReason::AllZero => "all-zero",
            SkipReason::OptionsDiffer { .. } => "options-differ",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::NotInLanguage { expected } => {
                write!(f, "the question text is not in {expected}")
            }
            SkipReason::Missing => f.write_str("no distribution"),
            SkipReason::NotAnObject => f.write_str("the distribution is not an object"),
            SkipReason::NotANumber { code } => write!(f, "the share of `{code}` is not a number"),
            SkipReason::Negative { code, value } => {
                write!(f, "the share of `{code}` is negative ({value})")
            }
            SkipReason::WrongLength { options, shares } => {
                write!(f, "{shares} shares for {options} options")
            }
            SkipReason::UnknownOption { code } => {
                write!(f, "the share `{code}` names no option")
            }
            SkipReason::AllZero => f.write_str("every share is zero"),
            SkipReason::OptionsDiffer { english, country } => write!(
                f,
                "option codes {country:?} differ from the English question's {english:?}"
            ),
        }
    }
}

/// A usable answer distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WvsDistribution {
    /// The shares, normalised to sum to 1, aligned with the question's options.
    pub shares: Vec<f64>,
    /// The sum of the shares as the file gives them (before normalising).
    pub raw_sum: f64,
}

/// One question of one country's file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WvsEntry {
    /// The question id shared across the files (`"121"`).
    pub question_id: String,
    /// The file's own id (`"Q121"`; empty when absent).
    pub id: String,
    /// The topic, in the file's language (empty when absent).
    pub topic: String,
    /// The question text, in the file's language.
    pub text: String,
    /// The options in the file's order.
    pub options: Vec<WvsOption>,
    /// The distribution, or why it cannot be used.
    pub distribution: std::result::Result<WvsDistribution, SkipReason>,
    /// The 1-based line of the entry in the file.
    pub line: u64,
}

/// One distribution that was skipped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    /// The country whose distribution it is.
    pub country: WvsCountry,
    /// The question.
    pub question_id: String,
    /// The 1-based line of the question in the country's file.
    pub line: u64,
    /// Why.
    pub reason: SkipReason,
}

/// One country's file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WvsFile {
    /// The country.
    pub country: WvsCountry,
    /// The file read.
    pub path: PathBuf,
    /// Every question, in file order.
    pub entries: Vec<WvsEntry>,
}

impl WvsFile {
    /// The entries whose distribution cannot be used, with the reason.
    pub fn skipped(&self) -> Vec<Skipped> {
        self.entries
            .iter()
            .filter_map(|e| {
                e.distribution.as_ref().err().map(|reason| Skipped {
                    country: self.country,
                    question_id: e.question_id.clone(),
                    line: e.line,
                    reason: reason.clone(),
                })
            })
            .collect()
    }

    /// The entry of a question id.
    pub fn get(&self, question_id: &str) -> Option<&WvsEntry> {
        self.entries.iter().find(|e| e.question_id == question_id)
    }
}

#[derive(Deserialize)]
struct RawDocument<'a> {
    #[serde(borrow)]
    examples: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct RawEntry {
    question_id: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    topic: Option<String>,
    question_text: String,
    options: Vec<String>,
    #[serde(default)]
    distribution: Option<serde_json::Value>,
}

/// The fields of an entry that the loader reads.
const ENTRY_FIELDS: [&str; 6] = [
    "question_id",
    "question_text",
    "options",
    "distribution",
    "topic",
    "id",
];

/// The byte offset of serde's 1-based `line` and `column` in `text`.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column.saturating_sub(1)).min(text.len())
}

/// The field whose key comes last before byte `offset` of an entry (the field serde
/// was reading when it stopped).
fn field_before(entry: &str, offset: usize) -> Option<&'static str> {
    let head = entry.get(..offset).unwrap_or(entry);
    ENTRY_FIELDS
        .into_iter()
        .filter_map(|f| head.rfind(&format!("\"{f}\"")).map(|at| (at, f)))
        .max_by_key(|(at, _)| *at)
        .map(|(_, f)| f)
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> u64 {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count() as u64
        + 1
}

/// The line of `"field"` inside the entry that starts at byte `start` (the entry's own
/// line when the key is not found).
fn field_line(text: &str, start: usize, entry: &str, field: &str) -> u64 {
    let key = format!("\"{field}\"");
    line_of(text, start + entry.find(&key).unwrap_or(0))
}

/// Reads one country's WVS file (see the module documentation for what is an error and
/// what is a skipped distribution).
pub fn read_wvs_file(path: &Path, country: WvsCountry) -> Result<WvsFile> {
    let text = std::fs::read_to_string(path).map_err(|e| inherit_core::Error::io(path, e))?;
    if text.trim().is_empty() {
        return Err(Error::Core(inherit_core::Error::Empty {
            path: path.to_path_buf(),
        }));
    }
    let doc: RawDocument<'_> = serde_json::from_str(&text).map_err(|e| {
        let field = e.to_string().contains("`examples`").then_some("examples");
        parse_error(
            path,
            e.line() as u64,
            field,
            format!("invalid WVS document: {e}"),
        )
    })?;
    let mut entries = Vec::with_capacity(doc.examples.len());
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    for raw in doc.examples {
        let entry_text = raw.get();
        // `raw` borrows from `text`, so its offset is where the entry starts.
        let start = (entry_text.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
        let line = line_of(&text, start);
        let at = |field: &str| field_line(&text, start, entry_text, field);
        let parsed: RawEntry = serde_json::from_str(entry_text).map_err(|e| {
            let msg = e.to_string();
            let (err_line, field) = if msg.starts_with("missing field") {
                let field = ENTRY_FIELDS
                    .into_iter()
                    .find(|f| msg.contains(&format!("`{f}`")));
                (line, field)
            } else {
                let offset = offset_of(entry_text, e.line(), e.column());
                (
                    line_of(&text, start + offset),
                    field_before(entry_text, offset),
                )
            };
            parse_error(path, err_line, field, format!("invalid question: {e}"))
        })?;
        let question_id = parsed.question_id.trim().to_owned();
        if question_id.is_empty() {
            return Err(parse_error(
                path,
                at("question_id"),
                Some("question_id"),
                "empty question id",
            ));
        }
        if let Some(first) = seen.insert(question_id.clone(), line) {
            return Err(parse_error(
                path,
                at("question_id"),
                Some("question_id"),
                format!("question id {question_id:?} repeats the one at line {first}"),
            ));
        }
        if parsed.question_text.trim().is_empty() {
            return Err(parse_error(
                path,
                at("question_text"),
                Some("question_text"),
                "empty question text",
            ));
        }
        let mut options = Vec::with_capacity(parsed.options.len());
        for label in &parsed.options {
            let option = WvsOption::parse(label).ok_or_else(|| {
                parse_error(
                    path,
                    at("options"),
                    Some("options"),
                    format!("option {label:?} does not start with its answer code (`1. ...`)"),
                )
            })?;
            if options.iter().any(|o: &WvsOption| o.code == option.code) {
                return Err(parse_error(
                    path,
                    at("options"),
                    Some("options"),
                    format!("answer code {:?} appears twice", option.code),
                ));
            }
            options.push(option);
        }
        if options.len() < 2 {
            return Err(parse_error(
                path,
                at("options"),
                Some("options"),
                format!(
                    "a question needs at least two options, got {}",
                    options.len()
                ),
            ));
        }
        let distribution = if country.is_in_language(&parsed.question_text) {
            distribution(parsed.distribution.as_ref(), &options)
        } else {
            Err(SkipReason::NotInLanguage {
                expected: country.language().to_owned(),
            })
        };
        entries.push(WvsEntry {
            question_id,
            id: parsed.id.unwrap_or_default(),
            topic: parsed.topic.unwrap_or_default(),
            text: parsed.question_text,
            options,
            distribution,
            line,
        });
    }
    if entries.is_empty() {
        return Err(Error::Core(inherit_core::Error::Empty {
            path: path.to_path_buf(),
        }));
    }
    Ok(WvsFile {
        country,
        path: path.to_path_buf(),
        entries,
    })
}

/// Checks and normalises a distribution against the options (the first rule that fails
/// is the reason).
fn distribution(
    value: Option<&serde_json::Value>,
    options: &[WvsOption],
) -> std::result::Result<WvsDistribution, SkipReason> {
    let map = match value {
        None | Some(serde_json::Value::Null) => return Err(SkipReason::Missing),
        Some(serde_json::Value::Object(map)) => map,
        Some(_) => return Err(SkipReason::NotAnObject),
    };
    let mut shares: BTreeMap<&str, f64> = BTreeMap::new();
    for (code, v) in map {
        let x = v
            .as_f64()
            .filter(|x| x.is_finite())
            .ok_or_else(|| SkipReason::NotANumber { code: code.clone() })?;
        shares.insert(code.trim(), x);
    }
    if let Some((code, value)) = shares.iter().find(|(_, x)| **x < 0.0) {
        return Err(SkipReason::Negative {
            code: (*code).to_owned(),
            value: *value,
        });
    }
    if shares.len() != options.len() {
        return Err(SkipReason::WrongLength {
            options: options.len(),
            shares: shares.len(),
        });
    }
    if let Some(code) = shares
        .keys()
        .find(|k| !options.iter().any(|o| o.code == **k))
    {
        return Err(SkipReason::UnknownOption {
            code: (*code).to_owned(),
        });
    }
    let raw_sum: f64 = shares.values().sum();
    if raw_sum <= 0.0 {
        return Err(SkipReason::AllZero);
    }
    Ok(WvsDistribution {
        shares: options
            .iter()
            .map(|o| shares.get(o.code.as_str()).copied().unwrap_or(0.0) / raw_sum)
            .collect(),
        raw_sum,
    })
}

/// One question of the joined survey: English text and options, and the shares of each
/// country whose distribution is usable, aligned with the English options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WvsQuestion {
    /// The question id.
    pub question_id: String,
    /// The English topic.
    pub topic: String,
    /// The English question text.
    pub text: String,
    /// The English options, in the US file's order.
    pub options: Vec<WvsOption>,
    /// Normalised shares per country, aligned with `options` (countries whose
    /// distribution was skipped are absent).
    pub distributions: BTreeMap<WvsCountry, Vec<f64>>,
}

impl WvsQuestion {
    /// The option texts, in order.
    pub fn option_texts(&self) -> Vec<String> {
        self.options.iter().map(|o| o.text.clone()).collect()
    }

    /// Whether every one of the four countries has a usable distribution.
    pub fn is_complete(&self) -> bool {
        WvsCountry::ALL
            .iter()
            .all(|c| self.distributions.contains_key(c))
    }
}

/// The four files joined by question id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WvsSurvey {
    /// The files, one per country, in [`WvsCountry::ALL`] order.
    pub files: Vec<WvsFile>,
    /// The question ids found in all four files, in the US file's order.
    pub common_ids: Vec<String>,
    /// The common ids whose US row is not in English (no English text to ask), in the
    /// US file's order; they are not in `questions`.
    pub without_english: Vec<String>,
    /// The common questions with English text, in the US file's order.
    pub questions: Vec<WvsQuestion>,
    /// Every distribution skipped: those of each file ([`WvsFile::skipped`]), then
    /// [`SkipReason::OptionsDiffer`] on the common questions with English text.
    pub skipped: Vec<Skipped>,
}

impl WvsSurvey {
    /// Joins the four countries' files (each exactly once; the US file gives the English
    /// text).
    pub fn from_files(files: Vec<WvsFile>) -> Result<WvsSurvey> {
        let mut by_country: BTreeMap<WvsCountry, WvsFile> = BTreeMap::new();
        for file in files {
            let country = file.country;
            if by_country.insert(country, file).is_some() {
                return Err(Error::Core(inherit_core::Error::invalid(
                    "files",
                    format!("two files for {country}"),
                )));
            }
        }
        let mut files = Vec::with_capacity(4);
        for country in WvsCountry::ALL {
            files.push(by_country.remove(&country).ok_or_else(|| {
                Error::Core(inherit_core::Error::invalid(
                    "files",
                    format!("no file for {country}"),
                ))
            })?);
        }
        let mut skipped: Vec<Skipped> = files.iter().flat_map(WvsFile::skipped).collect();
        let index: Vec<BTreeMap<&str, &WvsEntry>> = files
            .iter()
            .map(|f| {
                f.entries
                    .iter()
                    .map(|e| (e.question_id.as_str(), e))
                    .collect()
            })
            .collect();
        let us = &files[0];
        let mut common_ids = Vec::new();
        let mut without_english = Vec::new();
        let mut questions = Vec::new();
        for english in &us.entries {
            let id = english.question_id.as_str();
            let Some(rows) = index
                .iter()
                .map(|m| m.get(id).copied())
                .collect::<Option<Vec<&WvsEntry>>>()
            else {
                continue;
            };
            common_ids.push(id.to_owned());
            if !WvsCountry::UnitedStates.is_in_language(&english.text) {
                without_english.push(id.to_owned());
                continue;
            }
            let english_codes: Vec<String> =
                english.options.iter().map(|o| o.code.clone()).collect();
            let english_set: BTreeSet<&str> = english_codes.iter().map(String::as_str).collect();
            let mut distributions = BTreeMap::new();
            for (country, row) in WvsCountry::ALL.into_iter().zip(rows) {
                let Ok(dist) = &row.distribution else {
                    continue;
                };
                let codes: BTreeSet<&str> = row.options.iter().map(|o| o.code.as_str()).collect();
                if codes != english_set {
                    skipped.push(Skipped {
                        country,
                        question_id: id.to_owned(),
                        line: row.line,
                        reason: SkipReason::OptionsDiffer {
                            english: english_codes.clone(),
                            country: row.options.iter().map(|o| o.code.clone()).collect(),
                        },
                    });
                    continue;
                }
                let aligned = english
                    .options
                    .iter()
                    .map(|o| {
                        row.options
                            .iter()
                            .position(|r| r.code == o.code)
                            .map_or(0.0, |i| dist.shares[i])
                    })
                    .collect();
                distributions.insert(country, aligned);
            }
            questions.push(WvsQuestion {
                question_id: id.to_owned(),
                topic: english.topic.clone(),
                text: english.text.clone(),
                options: english.options.clone(),
                distributions,
            });
        }
        Ok(WvsSurvey {
            files,
            common_ids,
            without_english,
            questions,
            skipped,
        })
    }

    /// The distributions skipped for one country.
    pub fn skipped_of(&self, country: WvsCountry) -> Vec<&Skipped> {
        self.skipped
            .iter()
            .filter(|s| s.country == country)
            .collect()
    }

    /// The number of skipped distributions per country and reason
    /// ([`SkipReason::kind`]).
    pub fn skip_counts(&self) -> BTreeMap<WvsCountry, BTreeMap<&'static str, usize>> {
        let mut out: BTreeMap<WvsCountry, BTreeMap<&'static str, usize>> = WvsCountry::ALL
            .into_iter()
            .map(|c| (c, BTreeMap::new()))
            .collect();
        for s in &self.skipped {
            *out.entry(s.country)
                .or_default()
                .entry(s.reason.kind())
                .or_default() += 1;
        }
        out
    }

    /// The questions every country has a usable distribution for.
    pub fn complete_questions(&self) -> Vec<&WvsQuestion> {
        self.questions.iter().filter(|q| q.is_complete()).collect()
    }
}
