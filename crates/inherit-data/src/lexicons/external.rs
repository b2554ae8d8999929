//! Lexicons from external files: gendered word pairs (WinoBias `generalized_swaps.txt`,
//! `extra_gendered_words.txt`, or any file in that format) and HolisticBias descriptors.

use std::path::Path;

use inherit_core::{Axis, Lexicon, LexiconEntry, TermKind};

use super::gender::gender_words;
use crate::error::{Error, Result, parse_error};
use crate::holistic::HolisticDescriptor;

/// Substrings that mark a word as female when our own lexicon does not know it.
const FEMALE_MARKERS: [&str; 28] = [
    "woman", "women", "girl", "ess", "mother", "daughter", "wife", "wives", "lady", "ladies",
    "queen", "sister", "aunt", "niece", "mom", "bride", "widow", "nun", "female", "fiancee",
    "belle", "lass", "spinster", "witch", "euse", "maid", "heroine", "ma'am",
];
/// Substrings that mark a word as male when our own lexicon does not know it.
const MALE_MARKERS: [&str; 20] = [
    "man", "men", "boy", "father", "son", "husband", "brother", "uncle", "nephew", "king",
    "prince", "sir", "lord", "dude", "guy", "lad", "groom", "widower", "monk", "male",
];

/// The gender of a word: from our lexicon, else from the markers (female first, since
/// `woman` contains `man`).
fn known_gender(reference: &Lexicon, word: &str) -> Option<String> {
    let found = reference
        .entries()
        .iter()
        .find(|e| e.term.to_lowercase() == word)
        .and_then(|e| e.group(&Axis::Gender));
    if let Some(g) = found {
        return Some(g.to_owned());
    }
    if FEMALE_MARKERS.iter().any(|m| word.contains(m)) {
        Some("female".into())
    } else if MALE_MARKERS.iter().any(|m| word.contains(m)) {
        Some("male".into())
    } else {
        None
    }
}

/// Cleans a word of a pair file: trims, lowercases, drops a trailing `.` (`mr.`) or `'`
/// (`seamstress'`).
fn clean(word: &str) -> String {
    word.trim().trim_end_matches(['.', '\'']).to_lowercase()
}

/// Reads a gendered word-pair file (one `word<TAB>counterpart` pair per line, as in
/// WinoBias `generalized_swaps.txt` and `extra_gendered_words.txt`) into a lexicon whose
/// entries signal a gender, swap to their counterpart and carry the neutral form of our
/// own [`super::gender_words`] when it knows the word.
///
/// The files do not say which side is female, so each word's gender comes from our own
/// lexicon, else from its spelling (`-woman`, `-ess`, `-man`, ...), else as the opposite
/// of its counterpart's; a pair where neither works is an error naming the line. The
/// first pair of a word wins; words are lowercased, so `mr.` becomes `mr` and matches
/// `Mr` in any case.
pub fn read_gender_pairs(path: &Path) -> Result<Lexicon> {
    let content = std::fs::read_to_string(path).map_err(|e| inherit_core::Error::io(path, e))?;
    let reference = gender_words();
    let mut entries = Vec::new();
    for (i, line) in content.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let line_no = i as u64 + 1;
        let (word, swap) = line.split_once('\t').ok_or_else(|| {
            parse_error(
                path,
                line_no,
                None,
                format!("expected `word<TAB>counterpart`, got {line:?}"),
            )
        })?;
        let (word, swap) = (clean(word), clean(swap));
        if word.is_empty() || swap.is_empty() {
            return Err(parse_error(path, line_no, None, "empty word in pair"));
        }
        let gender = known_gender(&reference, &word)
            .or_else(|| {
                known_gender(&reference, &swap)
                    .map(|g| if g == "female" { "male" } else { "female" }.to_owned())
            })
            .ok_or_else(|| {
                parse_error(
                    path,
                    line_no,
                    None,
                    format!("cannot tell which of `{word}` and `{swap}` is female"),
                )
            })?;
        let known = reference
            .entries()
            .iter()
            .find(|e| e.term.to_lowercase() == word);
        let kind = known.map_or(TermKind::GenderedWord, |e| e.kind);
        let mut entry = LexiconEntry::new(&word, Axis::Gender, gender, kind).with_swap(&swap);
        if let Some(neutral) = known.and_then(|e| e.neutral.clone()) {
            entry = entry.with_neutral(neutral);
        }
        entries.push(entry);
    }
    if entries.is_empty() {
        return Err(Error::Core(inherit_core::Error::Empty {
            path: path.to_path_buf(),
        }));
    }
    Ok(Lexicon::new(entries))
}

/// The axis a HolisticBias axis name maps to: `gender_and_sex` -> gender, `age`,
/// `religion`, `race_ethnicity` -> race, `nationality`; any other (`ability`,
/// `body_type`, ...) -> [`Axis::Other`] with the HolisticBias name.
fn holistic_axis(name: &str) -> Axis {
    match name {
        "gender_and_sex" => Axis::Gender,
        "age" => Axis::Age,
        "religion" => Axis::Religion,
        "race_ethnicity" => Axis::Race,
        "nationality" => Axis::Nationality,
        other => Axis::Other(other.to_owned()),
    }
}

/// HolisticBias descriptors as [`TermKind::Descriptor`] entries. Each signals its
/// bucket on its axis (`Deaf`: `ability` = `auditory`; for axes without buckets, whose
/// bucket is `all`, the lowercased descriptor itself: `religion` = `buddhist`), and also
/// `gender` when the descriptor states one (`Chicana`: gender `female`). The
/// `gender_and_sex` axis maps to [`Axis::Gender`]; a descriptor there with a stated
/// gender signals that gender rather than its bucket. No swaps or neutral forms.
///
/// Hyphenated descriptors (`hard-of-hearing`) are kept but the core matcher only joins
/// words separated by spaces, so they will not match until it learns hyphens.
pub fn descriptor_lexicon(descriptors: &[HolisticDescriptor]) -> Lexicon {
    Lexicon::new(descriptors.iter().map(|d| {
        let axis = holistic_axis(&d.axis);
        let value = if d.bucket == "all" {
            d.descriptor.to_lowercase()
        } else {
            d.bucket.clone()
        };
        let mut entry = LexiconEntry::new(&d.descriptor, axis, value, TermKind::Descriptor);
        if let Some(g) = &d.gender {
            entry = entry.also(Axis::Gender, g);
        }
        entry
    }))
}
