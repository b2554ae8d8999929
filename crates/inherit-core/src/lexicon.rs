//! Lexicons of sensitive terms (gendered words, pronouns, first names, culture terms,
//! identity descriptors) and a word-boundary-aware matcher over them.
//!
//! The contents live elsewhere (`inherit-data` ships ours; users load their own); this
//! module is the shared type and the one matcher that masking, counterfactual swaps,
//! group inference and evaluation all use.
//!
//! Matching rules:
//! - Words are maximal runs of alphanumeric characters, so `Maria's` holds the word
//!   `Maria` (the match records that a possessive `'s` follows) and punctuation never
//!   sticks to a word.
//! - Multi-word terms (`Saudi Arabia`) match as whole word sequences; at each position the
//!   longest term wins.
//! - A term written with a capital letter (a name, `Arabic`) matches only words whose first
//!   letter is capitalised the same way; an all-lowercase term (`she`, `paella`) matches
//!   in any case.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::attr::{Axis, Groups};

/// What kind of cue a term is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TermKind {
    /// A personal pronoun or possessive (he, her, themselves).
    Pronoun,
    /// A gendered noun, adjective or title (woman, father, Mr).
    GenderedWord,
    /// A first name.
    FirstName,
    /// A culture cue: country, nationality, language, city, dish, festival.
    CultureTerm,
    /// An identity descriptor (e.g. from HolisticBias).
    Descriptor,
}

/// One lexicon term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LexiconEntry {
    /// The term, one or more words.
    pub term: String,
    /// The groups it signals, per axis (e.g. `Maria`: gender `female`, culture
    /// `spanish`; `she`: gender `female`).
    pub signals: BTreeMap<Axis, String>,
    /// What kind of cue it is.
    pub kind: TermKind,
    /// The counterpart in the other group, for counterfactual swaps (she -> he).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swap: Option<String>,
    /// A neutral replacement (she -> they, Mr -> Mx), for neutral masking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub neutral: Option<String>,
}

impl LexiconEntry {
    /// An entry signalling one group, without swap or neutral form.
    pub fn new(
        term: impl Into<String>,
        axis: Axis,
        group: impl Into<String>,
        kind: TermKind,
    ) -> Self {
        LexiconEntry {
            term: term.into(),
            signals: BTreeMap::from([(axis, group.into())]),
            kind,
            swap: None,
            neutral: None,
        }
    }

    /// Builder: the term also signals `group` on `axis` (a name's culture, say).
    pub fn also(mut self, axis: Axis, group: impl Into<String>) -> Self {
        self.signals.insert(axis, group.into());
        self
    }

    /// The group signalled on `axis`.
    pub fn group(&self, axis: &Axis) -> Option<&str> {
        self.signals.get(axis).map(String::as_str)
    }

    /// Builder: the counterfactual counterpart.
    pub fn with_swap(mut self, swap: impl Into<String>) -> Self {
        self.swap = Some(swap.into());
        self
    }

    /// Builder: the neutral replacement.
    pub fn with_neutral(mut self, neutral: impl Into<String>) -> Self {
        self.neutral = Some(neutral.into());
        self
    }
}

/// One occurrence of a lexicon term in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermMatch {
    /// Byte offset of the first character.
    pub start: usize,
    /// Byte offset one past the last character of the term (the possessive `'s`, if any,
    /// is not included).
    pub end: usize,
    /// Index of the entry in [`Lexicon::entries`].
    pub entry: usize,
    /// True when `'s` or `’s` follows the term.
    pub possessive: bool,
}

/// A term in the matcher's index: (entry, lowercased words, separators between them).
type IndexedTerm = (usize, Vec<String>, Vec<String>);

/// A set of terms with a matcher. Later entries with the same term (same case rule)
/// are ignored, so the first source added wins.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    entries: Vec<LexiconEntry>,
    /// First word (lowercased) -> candidate terms starting with it, longest first.
    index: HashMap<String, Vec<IndexedTerm>>,
}

/// A word of a text: byte span and lowercased form.
struct Word<'a> {
    start: usize,
    end: usize,
    text: &'a str,
    lower: String,
}

fn words(text: &str) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            out.push(Word {
                start: s,
                end: i,
                text: &text[s..i],
                lower: text[s..i].to_lowercase(),
            });
        }
    }
    if let Some(s) = start {
        out.push(Word {
            start: s,
            end: text.len(),
            text: &text[s..],
            lower: text[s..].to_lowercase(),
        });
    }
    out
}

fn starts_upper(s: &str) -> bool {
    s.chars().next().is_some_and(char::is_uppercase)
}

impl Lexicon {
    /// A lexicon of the given entries.
    pub fn new(entries: impl IntoIterator<Item = LexiconEntry>) -> Self {
        let mut lex = Lexicon::default();
        lex.extend(entries);
        lex
    }

    /// Adds entries (terms already present are skipped).
    pub fn extend(&mut self, entries: impl IntoIterator<Item = LexiconEntry>) {
        for entry in entries {
            let term_words = words(&entry.term);
            let seps: Vec<String> = term_words
                .windows(2)
                .map(|p| entry.term[p[0].end..p[1].start].to_owned())
                .collect();
            let ws: Vec<String> = term_words.into_iter().map(|w| w.lower).collect();
            let Some(first) = ws.first().cloned() else {
                continue;
            };
            let bucket = self.index.entry(first).or_default();
            let duplicate = bucket.iter().any(|(i, other, other_seps)| {
                *other == ws
                    && *other_seps == seps
                    && starts_upper(&self.entries[*i].term) == starts_upper(&entry.term)
            });
            if duplicate {
                continue;
            }
            bucket.push((self.entries.len(), ws, seps));
            bucket.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
            self.entries.push(entry);
        }
    }

    /// Adds every entry of another lexicon.
    pub fn merge(&mut self, other: &Lexicon) {
        self.extend(other.entries.iter().cloned());
    }

    /// The entries.
    pub fn entries(&self) -> &[LexiconEntry] {
        &self.entries
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A lexicon of the entries that satisfy `keep`.
    pub fn filter(&self, keep: impl Fn(&LexiconEntry) -> bool) -> Lexicon {
        Lexicon::new(self.entries.iter().filter(|e| keep(e)).cloned())
    }

    /// All non-overlapping term occurrences, left to right, longest term first at each
    /// position.
    pub fn find(&self, text: &str) -> Vec<TermMatch> {
        let ws = words(text);
        let mut out = Vec::new();
        let mut i = 0;
        while i < ws.len() {
            let mut matched = None;
            if let Some(cands) = self.index.get(&ws[i].lower) {
                for (entry, terms, seps) in cands {
                    let n = terms.len();
                    if i + n > ws.len() {
                        continue;
                    }
                    let window = &ws[i..i + n];
                    let same_words = window.iter().zip(terms).all(|(w, t)| w.lower == *t);
                    // The words of a multi-word term are separated as in the term: any run
                    // of spaces where the term has a space, the same punctuation (a hyphen
                    // in `hard-of-hearing`) otherwise.
                    let joined = window.windows(2).zip(seps).all(|(p, sep)| {
                        let gap = &text[p[0].end..p[1].start];
                        if sep.chars().all(char::is_whitespace) {
                            !gap.is_empty() && gap.chars().all(|c| c == ' ')
                        } else {
                            gap == sep
                        }
                    });
                    let case_ok = !starts_upper(&self.entries[*entry].term)
                        || window
                            .iter()
                            .zip(words(&self.entries[*entry].term))
                            .all(|(w, t)| starts_upper(w.text) == starts_upper(t.text));
                    if same_words && joined && case_ok {
                        matched = Some((*entry, n));
                        break;
                    }
                }
            }
            match matched {
                Some((entry, n)) => {
                    let end = ws[i + n - 1].end;
                    let rest = &text[end..];
                    let possessive = ["'s", "’s"].iter().any(|p| {
                        rest.strip_prefix(p).is_some_and(|after| {
                            !after.chars().next().is_some_and(char::is_alphanumeric)
                        })
                    });
                    out.push(TermMatch {
                        start: ws[i].start,
                        end,
                        entry,
                        possessive,
                    });
                    i += n;
                }
                None => i += 1,
            }
        }
        out
    }

    /// Counts of term occurrences per axis and group.
    pub fn group_counts(&self, text: &str) -> BTreeMap<Axis, BTreeMap<String, usize>> {
        let mut out: BTreeMap<Axis, BTreeMap<String, usize>> = BTreeMap::new();
        for m in self.find(text) {
            for (axis, group) in &self.entries[m.entry].signals {
                *out.entry(axis.clone())
                    .or_default()
                    .entry(group.clone())
                    .or_default() += 1;
            }
        }
        out
    }

    /// Inferred groups: on each axis, the group with strictly the most occurrences
    /// (no value on a tie or when nothing matched).
    pub fn infer(&self, text: &str) -> Groups {
        let mut groups = Groups::new();
        for (axis, counts) in self.group_counts(text) {
            let mut sorted: Vec<(&String, &usize)> = counts.iter().collect();
            sorted.sort_by(|a, b| b.1.cmp(a.1));
            let unique_top = sorted.len() == 1 || sorted[0].1 > sorted[1].1;
            if unique_top {
                groups.inferred.insert(axis, sorted[0].0.clone());
            }
        }
        groups
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex() -> Lexicon {
        Lexicon::new([
            LexiconEntry::new("she", Axis::Gender, "female", TermKind::Pronoun)
                .with_swap("he")
                .with_neutral("they"),
            LexiconEntry::new("he", Axis::Gender, "male", TermKind::Pronoun)
                .with_swap("she")
                .with_neutral("they"),
            LexiconEntry::new("Maria", Axis::Gender, "female", TermKind::FirstName)
                .also(Axis::Culture, "spanish"),
            LexiconEntry::new(
                "Saudi Arabia",
                Axis::Culture,
                "arabic",
                TermKind::CultureTerm,
            ),
            LexiconEntry::new("Saudi", Axis::Culture, "arabic", TermKind::CultureTerm),
            LexiconEntry::new("Will", Axis::Gender, "male", TermKind::FirstName),
        ])
    }

    fn spans<'a>(text: &'a str, l: &Lexicon) -> Vec<&'a str> {
        l.find(text).iter().map(|m| &text[m.start..m.end]).collect()
    }

    #[test]
    fn word_boundaries_case_and_possessives() {
        let l = lex();
        assert_eq!(spans("She said he, then shell", &l), ["She", "he"]);
        let t = "Maria's clinic; maria, Will will go.";
        assert_eq!(spans(t, &l), ["Maria", "Will"]);
        let m = l.find(t);
        assert!(m[0].possessive);
        assert!(!m[1].possessive);
        assert!(l.find("Maria’s").first().unwrap().possessive);
    }

    #[test]
    fn longest_multi_word_term_wins() {
        let l = lex();
        let t = "She moved from Saudi Arabia to a Saudi town.";
        assert_eq!(spans(t, &l), ["She", "Saudi Arabia", "Saudi"]);
        assert_eq!(l.entries()[l.find(t)[1].entry].term, "Saudi Arabia");
    }

    #[test]
    fn inference_takes_a_strict_majority() {
        let l = lex();
        let g = l.infer("She is kind; she and he left. Maria stayed.");
        assert_eq!(g.value(&Axis::Gender), Some("female"));
        assert_eq!(l.infer("she and he").value(&Axis::Gender), None);
        assert_eq!(
            l.infer("Saudi Arabia").value(&Axis::Culture),
            Some("arabic")
        );
        let both = l.infer("Maria's garden");
        assert_eq!(both.value(&Axis::Gender), Some("female"));
        assert_eq!(both.value(&Axis::Culture), Some("spanish"));
        assert_eq!(l.group_counts("he he she")[&Axis::Gender]["male"], 2);
    }

    #[test]
    fn hyphenated_terms_match_only_with_their_hyphens() {
        let l = Lexicon::new([
            LexiconEntry::new(
                "hard-of-hearing",
                Axis::Other("ability".into()),
                "deaf",
                TermKind::Descriptor,
            ),
            LexiconEntry::new(
                "Eid al-Adha",
                Axis::Culture,
                "arabic",
                TermKind::CultureTerm,
            ),
        ]);
        assert_eq!(spans("a hard-of-hearing man", &l), ["hard-of-hearing"]);
        assert!(l.find("hard of hearing").is_empty());
        assert_eq!(spans("during Eid  al-Adha.", &l), ["Eid  al-Adha"]);
        assert!(l.find("Eid al Adha").is_empty());
    }

    #[test]
    fn duplicates_keep_the_first_entry() {
        let mut l = lex();
        let before = l.len();
        l.extend([LexiconEntry::new(
            "she",
            Axis::Gender,
            "other",
            TermKind::Pronoun,
        )]);
        assert_eq!(l.len(), before);
    }
}
