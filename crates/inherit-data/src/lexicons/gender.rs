//! Gendered words: pronouns, nouns and titles, each with its counterpart for
//! counterfactual swaps and, where English has one, a gender-neutral form.
//!
//! `her` is both a possessive (`her book` -> `his book`) and an object (`saw her` ->
//! `saw him`); a lexicon entry holds one swap, so `her` swaps to `his` (the possessive is
//! the more frequent use in biographies) and neutralises to `their`. Swappers that need
//! the object reading must look at the context.

use inherit_core::{Axis, Lexicon, LexiconEntry, TermKind};

/// Pronouns: (term, gender, swap, neutral).
const PRONOUNS: [(&str, &str, &str, &str); 8] = [
    ("she", "female", "he", "they"),
    ("he", "male", "she", "they"),
    ("her", "female", "his", "their"),
    ("his", "male", "her", "their"),
    ("hers", "female", "his", "theirs"),
    ("him", "male", "her", "them"),
    ("herself", "female", "himself", "themselves"),
    ("himself", "male", "herself", "themselves"),
];

/// Gendered word pairs: (female, male, neutral form or "" when English has none).
const PAIRS: [(&str, &str, &str); 78] = [
    ("woman", "man", "person"),
    ("women", "men", "people"),
    ("girl", "boy", "child"),
    ("girls", "boys", "children"),
    ("lady", "gentleman", "person"),
    ("ladies", "gentlemen", "people"),
    ("gal", "guy", "person"),
    ("gals", "guys", "people"),
    ("lass", "lad", "youngster"),
    ("mother", "father", "parent"),
    ("mothers", "fathers", "parents"),
    ("mom", "dad", "parent"),
    ("moms", "dads", "parents"),
    ("mum", "dad", "parent"),
    ("mums", "dads", "parents"),
    ("mommy", "daddy", "parent"),
    ("daughter", "son", "child"),
    ("daughters", "sons", "children"),
    ("wife", "husband", "spouse"),
    ("wives", "husbands", "spouses"),
    ("sister", "brother", "sibling"),
    ("sisters", "brothers", "siblings"),
    ("aunt", "uncle", "relative"),
    ("aunts", "uncles", "relatives"),
    ("niece", "nephew", "relative"),
    ("nieces", "nephews", "relatives"),
    ("grandmother", "grandfather", "grandparent"),
    ("grandmothers", "grandfathers", "grandparents"),
    ("grandma", "grandpa", "grandparent"),
    ("granddaughter", "grandson", "grandchild"),
    ("granddaughters", "grandsons", "grandchildren"),
    ("stepmother", "stepfather", "stepparent"),
    ("stepdaughter", "stepson", "stepchild"),
    ("godmother", "godfather", "godparent"),
    ("girlfriend", "boyfriend", "partner"),
    ("girlfriends", "boyfriends", "partners"),
    ("bride", "groom", "spouse"),
    ("brides", "grooms", "spouses"),
    ("fiancée", "fiancé", "partner"),
    ("widow", "widower", ""),
    ("widows", "widowers", ""),
    ("motherhood", "fatherhood", "parenthood"),
    ("maternal", "paternal", "parental"),
    ("maternity", "paternity", "parental"),
    ("sisterhood", "brotherhood", "kinship"),
    ("womanhood", "manhood", "adulthood"),
    ("girlhood", "boyhood", "childhood"),
    ("schoolgirl", "schoolboy", "pupil"),
    ("schoolgirls", "schoolboys", "pupils"),
    ("queen", "king", "monarch"),
    ("queens", "kings", "monarchs"),
    ("princess", "prince", "royal"),
    ("duchess", "duke", ""),
    ("empress", "emperor", "monarch"),
    ("matriarch", "patriarch", "elder"),
    ("actress", "actor", "actor"),
    ("actresses", "actors", "actors"),
    ("waitress", "waiter", "server"),
    ("waitresses", "waiters", "servers"),
    ("hostess", "host", "host"),
    ("heroine", "hero", "hero"),
    ("stewardess", "steward", "flight attendant"),
    ("businesswoman", "businessman", "businessperson"),
    ("businesswomen", "businessmen", "businesspeople"),
    ("chairwoman", "chairman", "chairperson"),
    ("spokeswoman", "spokesman", "spokesperson"),
    ("policewoman", "policeman", "police officer"),
    ("policewomen", "policemen", "police officers"),
    ("sportswoman", "sportsman", "athlete"),
    ("congresswoman", "congressman", "legislator"),
    ("headmistress", "headmaster", "head teacher"),
    ("nun", "monk", ""),
    ("priestess", "priest", "priest"),
    ("female", "male", ""),
    ("females", "males", ""),
    ("feminine", "masculine", ""),
    ("madam", "sir", ""),
    ("cowgirl", "cowboy", "rancher"),
];

/// Titles, matched only when capitalised: (female, male, neutral).
const TITLES: [(&str, &str, &str); 3] = [
    ("Ms", "Mr", "Mx"),
    ("Mrs", "Mr", "Mx"),
    ("Miss", "Mr", "Mx"),
];

fn entry(term: &str, gender: &str, kind: TermKind, swap: &str, neutral: &str) -> LexiconEntry {
    let e = LexiconEntry::new(term, Axis::Gender, gender, kind).with_swap(swap);
    if neutral.is_empty() {
        e
    } else {
        e.with_neutral(neutral)
    }
}

/// Gendered pronouns (8), word pairs (78) and titles (`Ms`, `Mrs`, `Miss`, `Mr`), signalling
/// `female` or `male` on the gender axis, each with its swap and, where English has one,
/// its neutral form (`she` -> `he` / `they`, `Mrs` -> `Mr` / `Mx`, `actress` -> `actor`
/// / `actor`). When a male word pairs with several female ones (`dad`: `mom`, `mum`), its
/// swap is the first.
pub fn gender_words() -> Lexicon {
    let mut entries = Vec::new();
    for (term, gender, swap, neutral) in PRONOUNS {
        entries.push(entry(term, gender, TermKind::Pronoun, swap, neutral));
    }
    for (female, male, neutral) in PAIRS.iter().chain(TITLES.iter()) {
        entries.push(entry(
            female,
            "female",
            TermKind::GenderedWord,
            male,
            neutral,
        ));
        entries.push(entry(male, "male", TermKind::GenderedWord, female, neutral));
    }
    Lexicon::new(entries)
}
