//! Counterfactual data augmentation: a gender-swapped copy of each targeted example.

use std::collections::BTreeMap;
use std::sync::Arc;

use inherit_core::{Axis, Dataset, Lexicon, SeededRng, TermKind};
use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::base::Mitigation;
use crate::error::Result;
use crate::rewrite::{Edit, match_case, splice, stands_alone};
use crate::spec::{SpecContext, SpecMember};
use crate::target::Target;

/// Meta key of a counterfactual copy: the id of the example it was made from.
pub const CDA_SOURCE_KEY: &str = "cda_source";
/// Meta key of a counterfactual copy: the number of words swapped.
pub const CDA_SWAPS_KEY: &str = "cda_swaps";

/// Parameters of [`CounterfactualAugmentation`].
///
/// | Name | Default | Range |
/// |------|---------|-------|
/// | `target` | [`Target::Augmented`] | augmented, all |
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterfactualParams {
    /// Which training examples get a counterfactual copy.
    pub target: Target,
}

/// A counterfactual text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counterfactual {
    /// The text with gendered words and names swapped.
    pub text: String,
    /// Words swapped.
    pub swaps: usize,
    /// Gendered terms left as they were (no swap form, no counterpart name).
    pub unswapped: usize,
}

/// The other binary gender value, if `gender` is one.
fn opposite(gender: &str) -> Option<&'static str> {
    match gender {
        "female" => Some("male"),
        "male" => Some("female"),
        _ => None,
    }
}

/// Counterfactual data augmentation (CDA; Lu et al. 2020, "Gender bias in neural
/// natural language processing"; Zhao et al. 2018): for every targeted example with a
/// gendered term, adds a copy in which
///
/// - each term with a `swap` form in the lexicon is swapped (he -> she, Mr -> Ms), in the
///   case of the original word;
/// - `her` becomes `his` before a noun and `him` otherwise, and `his` becomes `her`
///   before a noun and `hers` otherwise (the heuristic in the crate README), whatever
///   the lexicon's swap form;
/// - each first name signalling `female` or `male` becomes a random first name of the
///   other gender with the same culture signal (Maria -> e.g. José), the same
///   replacement for every occurrence within the example; names without such a
///   counterpart are left as they are;
/// - stated and inferred gender groups are swapped too; the label and provenance are
///   kept. The copy's id is `<id>#cda`, its meta holds [`CDA_SOURCE_KEY`] and
///   [`CDA_SWAPS_KEY`]; it follows its source in the dataset.
///
/// Examples with nothing to swap get no copy. Spec: `cda`, `cda:all`.
#[derive(Debug, Clone)]
pub struct CounterfactualAugmentation {
    lexicon: Arc<Lexicon>,
    params: CounterfactualParams,
    /// (gender, culture) -> entry indices of first names.
    names: BTreeMap<(String, Option<String>), Vec<usize>>,
}

impl CounterfactualAugmentation {
    /// CDA over `lexicon`.
    pub fn new(lexicon: impl Into<Arc<Lexicon>>, params: CounterfactualParams) -> Self {
        let lexicon = lexicon.into();
        let mut names: BTreeMap<(String, Option<String>), Vec<usize>> = BTreeMap::new();
        for (i, entry) in lexicon.entries().iter().enumerate() {
            if entry.kind == TermKind::FirstName
                && let Some(gender) = entry.group(&Axis::Gender)
            {
                let culture = entry.group(&Axis::Culture).map(str::to_owned);
                names
                    .entry((gender.to_owned(), culture))
                    .or_default()
                    .push(i);
            }
        }
        CounterfactualAugmentation {
            lexicon,
            params,
            names,
        }
    }

    /// The typed parameters (the trait's `params` gives them as JSON).
    pub fn config(&self) -> &CounterfactualParams {
        &self.params
    }

    /// Builds from a spec member (`cda:all`) with the context's lexicon.
    pub fn from_spec(member: &SpecMember, ctx: &SpecContext) -> Result<Self> {
        let opts = member.options(Some("target"), &["target"])?;
        let target = opts.parse("target")?.unwrap_or_default();
        Ok(CounterfactualAugmentation::new(
            ctx.require_lexicon(member)?,
            CounterfactualParams { target },
        ))
    }

    /// A counterfactual name for the first-name entry `entry`, if one exists.
    fn counterpart_name(&self, entry: usize, rng: &mut SeededRng) -> Option<String> {
        let e = &self.lexicon.entries()[entry];
        let other = opposite(e.group(&Axis::Gender)?)?;
        let culture = e.group(&Axis::Culture).map(str::to_owned);
        let candidates = self.names.get(&(other.to_owned(), culture))?;
        let pick = candidates[rng.random_range(0..candidates.len())];
        Some(self.lexicon.entries()[pick].term.clone())
    }

    /// The gender-swapped version of `text`.
    pub fn counterfactual(&self, text: &str, rng: &mut SeededRng) -> Counterfactual {
        let mut chosen_names: BTreeMap<usize, Option<String>> = BTreeMap::new();
        let mut edits = Vec::new();
        let mut unswapped = 0;
        for m in self.lexicon.find(text) {
            let entry = &self.lexicon.entries()[m.entry];
            let source = &text[m.start..m.end];
            let lower = source.to_lowercase();
            let alone = stands_alone(&text[m.end..]);
            let swap = match (entry.kind, lower.as_str()) {
                (TermKind::Pronoun, "her") => Some(if alone { "him" } else { "his" }.to_owned()),
                (TermKind::Pronoun, "his") => Some(if alone { "hers" } else { "her" }.to_owned()),
                (TermKind::FirstName, _) if entry.swap.is_none() => chosen_names
                    .entry(m.entry)
                    .or_insert_with(|| self.counterpart_name(m.entry, rng))
                    .clone(),
                _ => entry.swap.clone(),
            };
            match swap {
                Some(swap) => edits.push(Edit {
                    start: m.start,
                    end: m.end,
                    text: match_case(source, &swap),
                }),
                None if entry.group(&Axis::Gender).is_some() => unswapped += 1,
                None => {}
            }
        }
        Counterfactual {
            text: splice(text, &edits),
            swaps: edits.len(),
            unswapped,
        }
    }
}

impl Mitigation for CounterfactualAugmentation {
    fn spec(&self) -> String {
        let mut member = SpecMember::new("cda");
        if self.params.target != Target::default() {
            member = member.arg(self.params.target.as_str());
        }
        member.to_string()
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({
            "target": self.params.target,
            "lexicon_terms": self.lexicon.len(),
        })
    }

    fn prepare(&self, dataset: Dataset, rng: &mut SeededRng) -> Result<Dataset> {
        let Dataset {
            name,
            labels,
            examples,
        } = dataset;
        let mut out = Vec::with_capacity(examples.len() * 2);
        for example in examples {
            let copy = if self.params.target.applies_to(&example) {
                let cf = self.counterfactual(&example.text, rng);
                (cf.swaps > 0).then(|| {
                    let mut copy = example.clone();
                    copy.id = format!("{}#cda", example.id);
                    copy.text = cf.text;
                    for groups in [&mut copy.groups.stated, &mut copy.groups.inferred] {
                        if let Some(gender) = groups.get_mut(&Axis::Gender)
                            && let Some(other) = opposite(gender)
                        {
                            *gender = other.to_owned();
                        }
                    }
                    copy.meta
                        .insert(CDA_SOURCE_KEY.to_owned(), example.id.clone().into());
                    copy.meta.insert(CDA_SWAPS_KEY.to_owned(), cf.swaps.into());
                    copy
                })
            } else {
                None
            };
            out.push(example);
            out.extend(copy);
        }
        Ok(Dataset {
            name,
            labels,
            examples: out,
        })
    }
}
