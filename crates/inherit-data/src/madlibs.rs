//! The identity terms of the identity madlibs (Dixon et al. 2018) and the group each
//! names on an axis: culture (`middle eastern`, `muslim` → arabic; `chinese`; `mexican`,
//! `hispanic`, `latino`, `latina`, `latinx` → spanish; `american` (not `african
//! american`), `canadian` → anglo; the data has no Lusophone term), religion, gender and
//! race. The madlibs texts are read by [`crate::read_madlibs`].

use inherit_core::Axis;

/// Madlibs identity terms → (axis, group). Two-word terms are matched before one-word
/// ones, so `african american` never reads as `american`.
pub const MADLIBS_TERMS: &[(&str, &str, &str)] = &[
    ("middle eastern", "culture", "arabic"),
    ("muslim", "culture", "arabic"),
    ("chinese", "culture", "chinese"),
    ("mexican", "culture", "spanish"),
    ("hispanic", "culture", "spanish"),
    ("latino", "culture", "spanish"),
    ("latina", "culture", "spanish"),
    ("latinx", "culture", "spanish"),
    ("american", "culture", "anglo"),
    ("canadian", "culture", "anglo"),
    ("muslim", "religion", "muslim"),
    ("jewish", "religion", "jewish"),
    ("christian", "religion", "christian"),
    ("catholic", "religion", "christian"),
    ("protestant", "religion", "christian"),
    ("buddhist", "religion", "buddhist"),
    ("sikh", "religion", "sikh"),
    ("taoist", "religion", "taoist"),
    ("female", "gender", "female"),
    ("male", "gender", "male"),
    ("african american", "race", "black"),
    ("black", "race", "black"),
    ("white", "race", "white"),
];

/// Two-word identity terms of the madlibs that name no group of any axis above but
/// contain a word that would (`african american` on the culture axis).
const BLOCKERS: [&str; 1] = ["african american"];

/// The identity term of a madlibs-style `text` with a group on `axis`: `(group, byte
/// range of the term)`, the first such term in the text (case-insensitive).
pub fn madlibs_term(axis: &Axis, text: &str) -> Option<(&'static str, std::ops::Range<usize>)> {
    let words: Vec<(usize, &str)> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
        .collect();
    let mut i = 0;
    while i < words.len() {
        let (start, w) = words[i];
        if let Some(&(_, next)) = words.get(i + 1) {
            let two = format!("{} {}", w.to_lowercase(), next.to_lowercase());
            let end = words[i + 1].0 + next.len();
            if let Some(g) = lookup(axis, &two) {
                return Some((g, start..end));
            }
            if BLOCKERS.contains(&two.as_str()) || MADLIBS_TERMS.iter().any(|t| t.0 == two) {
                i += 2;
                continue;
            }
        }
        if let Some(g) = lookup(axis, &w.to_lowercase()) {
            return Some((g, start..start + w.len()));
        }
        i += 1;
    }
    None
}

fn lookup(axis: &Axis, term: &str) -> Option<&'static str> {
    MADLIBS_TERMS
        .iter()
        .find(|(t, a, _)| *t == term && *a == axis.as_str())
        .map(|(_, _, g)| *g)
}

/// The group on `axis` of the identity term in a madlibs-style `text`, if any (see the
/// module docs for the table).
pub fn madlibs_group(axis: &Axis, text: &str) -> Option<&'static str> {
    madlibs_term(axis, text).map(|(g, _)| g)
}

/// The madlibs terms of `group` on `axis`.
pub fn madlibs_terms_of(axis: &Axis, group: &str) -> Vec<&'static str> {
    MADLIBS_TERMS
        .iter()
        .filter(|(_, a, g)| *a == axis.as_str() && *g == group)
        .map(|(t, _, _)| *t)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_terms_map_to_their_groups_and_give_their_place() {
        let c = Axis::Culture;
        assert_eq!(
            madlibs_group(&c, "Sohaib is a filthy middle eastern"),
            Some("arabic")
        );
        assert_eq!(madlibs_group(&c, "Being muslim is good."), Some("arabic"));
        assert_eq!(madlibs_group(&c, "hug latinx"), Some("spanish"));
        assert_eq!(madlibs_group(&c, "You are a kind Canadian"), Some("anglo"));
        assert_eq!(madlibs_group(&c, "Jim is a kind american"), Some("anglo"));
        assert_eq!(madlibs_group(&c, "Jim is a kind african american"), None);
        assert_eq!(madlibs_group(&c, "Jim is a kind european"), None);
        assert_eq!(
            madlibs_group(&Axis::Religion, "Being muslim is good."),
            Some("muslim")
        );
        let (g, r) = madlibs_term(&c, "Sara is a filthy middle eastern person").unwrap();
        assert_eq!(
            (g, &"Sara is a filthy middle eastern person"[r]),
            ("arabic", "middle eastern")
        );
        assert_eq!(madlibs_terms_of(&c, "anglo"), ["american", "canadian"]);
    }
}
