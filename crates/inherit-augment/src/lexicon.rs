//! The small built-in lexicon that infers groups from generated texts when no curated one
//! (e.g. `inherit-data`'s) is given: pronouns, gendered words and culture terms
//! (`templates/lexicon.json`, 82 entries) plus every name of a [`NameTable`].

use inherit_core::{Lexicon, LexiconEntry};

use crate::names::NameTable;
use crate::templates::parse_json;

const BUILTIN: &str = include_str!("../templates/lexicon.json");

/// The built-in pronouns, gendered words and culture terms, then the names of `names`
/// (first names signal gender and culture, surnames culture).
pub fn default_lexicon(names: &NameTable) -> Lexicon {
    let entries: Vec<LexiconEntry> =
        parse_json("templates/lexicon.json", BUILTIN).expect("the built-in lexicon is valid");
    let mut lexicon = Lexicon::new(entries);
    lexicon.extend(names.lexicon_entries());
    lexicon
}

#[cfg(test)]
mod tests {
    use inherit_core::Axis;

    use super::*;

    #[test]
    fn pronouns_names_and_culture_terms_are_inferred() {
        let lex = default_lexicon(&NameTable::builtin());
        let g = lex.infer("Fatima Haddad grew up in Cairo. She now teaches in Amman.");
        assert_eq!(g.value(&Axis::Gender), Some("female"));
        assert_eq!(g.value(&Axis::Culture), Some("arabic"));
        assert_eq!(
            lex.infer("The engineer fixed the bridge.")
                .value(&Axis::Gender),
            None
        );
    }
}
