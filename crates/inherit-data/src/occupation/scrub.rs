//! Removing occupation titles from a text, so a classifier cannot read the label off
//! a keyword (Bias in Bios drops the sentence naming the title for the same reason).

use inherit_core::{Axis, Lexicon, LexiconEntry, TermKind};

use super::Occupation;

/// Every title word of every occupation ([`Occupation::title_words`]) as a
/// [`TermKind::Descriptor`] entry signalling the occupation id on the axis
/// `Axis::Other("occupation")`. Matched in any case, longest first (`software engineer`
/// before `engineer`).
pub fn title_lexicon() -> Lexicon {
    Lexicon::new(Occupation::ALL.iter().flat_map(|occ| {
        occ.title_words().iter().map(|w| {
            LexiconEntry::new(
                *w,
                Axis::Other("occupation".into()),
                occ.id(),
                TermKind::Descriptor,
            )
        })
    }))
}

/// Removes every title word of every occupation from `text`, in any case, with a
/// possessive `'s` that follows it and an article `a` / `an` right before it; then
/// collapses the spaces left behind and the space before punctuation.
///
/// `"Ana is a Nurse. The nurses' room; a software engineer's code"` becomes
/// `"Ana is. The room; code"`: the aim is that no title survives, not fluent text.
pub fn scrub_titles(text: &str) -> String {
    let lexicon = title_lexicon();
    let matches = lexicon.find(text);
    if matches.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for m in matches {
        let mut start = m.start;
        let before = &text[pos..start];
        let trimmed = before.trim_end_matches(' ');
        for article in ["a", "an", "A", "An"] {
            if let Some(rest) = trimmed.strip_suffix(article) {
                let at_word_start = rest
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_alphanumeric());
                if at_word_start && trimmed.len() < before.len() {
                    start = pos + rest.len();
                    break;
                }
            }
        }
        out.push_str(&text[pos..start]);
        pos = m.end + possessive_len(&text[m.end..], m.possessive);
    }
    out.push_str(&text[pos..]);
    tidy(&out)
}

/// Bytes of the possessive after a title: `'s` / `’s` when the matcher saw one, else a
/// bare apostrophe closing a plural possessive (`nurses'`), else nothing.
fn possessive_len(rest: &str, possessive: bool) -> usize {
    let mut chars = rest.chars();
    match chars.next() {
        Some(c @ ('\'' | '’')) => {
            if possessive {
                c.len_utf8() + 1
            } else if chars.next().is_some_and(char::is_alphanumeric) {
                0
            } else {
                c.len_utf8()
            }
        }
        _ => 0,
    }
}

/// Collapses runs of spaces and removes spaces before `.,;:!?` and at the ends.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == ' ' && out.ends_with(' ') {
            continue;
        }
        if matches!(c, '.' | ',' | ';' | ':' | '!' | '?') && out.ends_with(' ') {
            out.pop();
        }
        out.push(c);
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_titles_articles_and_possessives() {
        assert_eq!(
            scrub_titles("Ana is a Nurse. The nurses' room; a software engineer's code"),
            "Ana is. The room; code"
        );
        assert_eq!(
            scrub_titles("An architect, two PAINTERS and a professor met."),
            ", two and met."
        );
        // `a` belonging to another word is kept; `nursing` is a title word.
        assert_eq!(
            scrub_titles("Sara studied nursing in Lisbon."),
            "Sara studied in Lisbon."
        );
        assert_eq!(scrub_titles("Ana dentist"), "Ana");
        // Words that merely contain a title are kept.
        assert_eq!(
            scrub_titles("architecture and dentistry"),
            "architecture and dentistry"
        );
    }
}
