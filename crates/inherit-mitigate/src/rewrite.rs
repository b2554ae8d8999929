//! Text rewriting shared by masking and counterfactual swaps: letter-case transfer,
//! the role heuristic for the ambiguous pronouns `her` and `his`, and splicing
//! replacements into a text.

/// Gives `replacement` the letter case of `source`.
///
/// - `source` in capitals with at least two letters (`HE`) -> all capitals (`THEY`);
/// - `source` capitalised (`He`, `Maria`) -> first letter capitalised (`They`);
/// - otherwise `replacement` unchanged (so `Mx`, `[MASK]` and names keep their own case).
pub(crate) fn match_case(source: &str, replacement: &str) -> String {
    let letters: Vec<char> = source.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase()) {
        return replacement.to_uppercase();
    }
    if letters.first().is_some_and(|c| c.is_uppercase()) {
        let mut chars = replacement.chars();
        return match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => String::new(),
        };
    }
    replacement.to_owned()
}

/// Words after which `her` is an object pronoun and `his` a standalone possessive,
/// rather than a determiner before a noun: articles and determiners, prepositions,
/// conjunctions, pronouns, auxiliaries and common adverbs.
const FUNCTION_WORDS: &[&str] = &[
    "a",
    "about",
    "across",
    "after",
    "again",
    "against",
    "all",
    "already",
    "also",
    "always",
    "among",
    "an",
    "and",
    "any",
    "are",
    "around",
    "as",
    "at",
    "away",
    "back",
    "be",
    "because",
    "been",
    "before",
    "behind",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "down",
    "during",
    "each",
    "either",
    "every",
    "for",
    "from",
    "had",
    "has",
    "have",
    "he",
    "her",
    "here",
    "him",
    "his",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "just",
    "later",
    "like",
    "may",
    "me",
    "might",
    "must",
    "my",
    "near",
    "never",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "onto",
    "or",
    "our",
    "out",
    "over",
    "really",
    "she",
    "should",
    "since",
    "so",
    "some",
    "soon",
    "still",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "though",
    "through",
    "to",
    "today",
    "tomorrow",
    "too",
    "toward",
    "towards",
    "under",
    "unless",
    "until",
    "up",
    "us",
    "very",
    "was",
    "we",
    "well",
    "were",
    "when",
    "whether",
    "while",
    "will",
    "with",
    "without",
    "would",
    "yesterday",
    "yet",
    "you",
    "your",
];

/// True when the pronoun whose text is followed by `after` stands alone (object `her`,
/// standalone `his`) rather than determining a noun (`her book`, `his book`).
///
/// Heuristic, documented in the crate README: the pronoun stands alone when the next
/// non-space character is not part of a word (punctuation, end of text, a line break) or
/// the next word is a function word; otherwise a noun phrase follows. `saw her.`, `gave
/// her a pen`, `told her that` -> standalone; `her book`, `her own`, `her new car` ->
/// determiner. Adverbs outside the list (`loves her dearly`) are misread as nouns.
pub(crate) fn stands_alone(after: &str) -> bool {
    let rest = after.trim_start_matches([' ', '\t']);
    let next: String = rest.chars().take_while(|c| c.is_alphanumeric()).collect();
    next.is_empty() || FUNCTION_WORDS.contains(&next.to_lowercase().as_str())
}

/// A replacement of the bytes `start..end` of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Edit {
    /// First byte replaced.
    pub start: usize,
    /// One past the last byte replaced.
    pub end: usize,
    /// The new text.
    pub text: String,
}

/// Applies non-overlapping edits given in increasing order of position.
pub(crate) fn splice(text: &str, edits: &[Edit]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for edit in edits {
        out.push_str(&text[at..edit.start]);
        out.push_str(&edit.text);
        at = edit.end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_is_transferred() {
        assert_eq!(match_case("He", "they"), "They");
        assert_eq!(match_case("HE", "they"), "THEY");
        assert_eq!(match_case("he", "they"), "they");
        assert_eq!(match_case("mr", "Mx"), "Mx");
        assert_eq!(match_case("She", "[MASK]"), "[MASK]");
        assert_eq!(match_case("I", "we"), "We");
    }

    #[test]
    fn her_and_his_roles() {
        assert!(stands_alone("."));
        assert!(stands_alone(""));
        assert!(stands_alone(" a pen"));
        assert!(stands_alone(" that day"));
        assert!(stands_alone("\nnext"));
        assert!(!stands_alone(" book"));
        assert!(!stands_alone(" own house"));
        assert!(!stands_alone("  new car"));
    }

    #[test]
    fn edits_are_spliced_in_order() {
        let text = "She saw Maria.";
        let edits = [
            Edit {
                start: 0,
                end: 3,
                text: "He".into(),
            },
            Edit {
                start: 8,
                end: 13,
                text: "José".into(),
            },
        ];
        assert_eq!(splice(text, &edits), "He saw José.");
    }
}
