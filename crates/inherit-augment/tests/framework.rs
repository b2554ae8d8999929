//! The bias generation framework: every type yields distinct prompts whose text carries
//! its axes, and what a prompt asked for travels into the examples.

mod common;

use std::collections::BTreeSet;

use common::FakeGenerator;
use inherit_augment::{
    Attribute, AugmentParams, Augmenter, BiasTarget, Direction, NameTable, Portrayal,
    PromptBuilder, PromptSpec, PromptStyle, Templates, default_lexicon,
};
use inherit_core::{
    Axis, BiasType, Framing, Lexicon, LexiconEntry, Prompt, Provenance, Scope, TermKind, Visibility,
};

/// Every word of every group phrase (adjective, noun) of the framework, as a descriptor
/// term signalling its group: what an explicit prompt must contain and an implicit one
/// must not.
fn descriptor_lexicon(t: &Templates) -> Lexicon {
    let mut entries = Vec::new();
    for (axis, groups) in &t.framework.groups {
        for (group, phrase) in groups {
            let terms = std::iter::once(&phrase.adjective).chain(&phrase.noun);
            for term in terms {
                for word in term
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                {
                    entries.push(LexiconEntry::new(
                        word,
                        axis.clone(),
                        group.clone(),
                        TermKind::Descriptor,
                    ));
                }
            }
        }
    }
    Lexicon::new(entries)
}

fn spec(family: &str, bias: BiasType) -> PromptSpec {
    let s = PromptSpec::new(family, bias).seed(11);
    if family == "generic" {
        s.labels(["positive", "negative"])
            .task("short movie review")
            .targets([BiasTarget::new(
                Axis::Gender,
                Attribute::Label,
                "female",
                "male",
            )])
    } else {
        s
    }
}

#[test]
fn every_type_of_every_family_carries_its_axes() {
    let t = Templates::builtin();
    let names = NameTable::builtin();
    let descriptors = descriptor_lexicon(&t);
    let name_lex = Lexicon::new(names.lexicon_entries());
    for family in t.family_ids() {
        let fam = t.family(family).unwrap();
        for index in 0..8 {
            let mut texts = BTreeSet::new();
            for bias in BiasType::all() {
                let builder = PromptBuilder::new(spec(family, bias), &t, &names).unwrap();
                let p = builder.build(index).unwrap();
                let text = p.text();
                let ctx = format!("{family} {bias} #{index}: {text}");
                assert!(
                    texts.insert(text.clone()),
                    "duplicate prompt across types: {ctx}"
                );
                assert_eq!(p.bias_type, bias);
                assert!(p.label.is_some(), "{ctx}");
                let found = descriptors.group_counts(&text);
                let BiasType::Biased {
                    framing,
                    scope,
                    visibility,
                } = bias
                else {
                    assert!(found.is_empty(), "neutral prompt names a group: {ctx}");
                    assert!(
                        name_lex.find(&text).is_empty(),
                        "neutral prompt names a person: {ctx}"
                    );
                    assert!(p.stated.is_empty() && p.target.is_none() && p.direction.is_none());
                    continue;
                };
                let target = p.target.clone().unwrap();
                let expected_axes = match scope {
                    Scope::Single => 1,
                    Scope::Intersectional => {
                        1 + fam.intersect.iter().filter(|a| **a != target.axis).count()
                    }
                };
                assert_eq!(p.stated.len(), expected_axes, "{ctx}");
                assert_eq!(
                    p.stated[&target.axis], target.stereotyped,
                    "consistent direction: {ctx}"
                );
                let contrastive = framing == Framing::Contrastive;
                match visibility {
                    Visibility::Explicit => {
                        let on_target = found.get(&target.axis).map_or(0, |g| g.len());
                        assert_eq!(on_target, if contrastive { 2 } else { 1 }, "{ctx}");
                        assert_eq!(found.len(), expected_axes, "stacked axes are named: {ctx}");
                        for (axis, group) in &p.stated {
                            assert!(
                                found[axis].contains_key(group),
                                "stated {axis}={group} not named: {ctx}"
                            );
                        }
                        assert!(
                            name_lex.find(&text).is_empty(),
                            "explicit prompt uses a name: {ctx}"
                        );
                    }
                    Visibility::Implicit => {
                        assert!(
                            found.is_empty(),
                            "implicit prompt names a group {found:?}: {ctx}"
                        );
                        assert!(
                            !name_lex.find(&text).is_empty(),
                            "implicit prompt names nobody: {ctx}"
                        );
                        assert_eq!(p.names.len(), if contrastive { 2 } else { 1 }, "{ctx}");
                        for name in &p.names {
                            assert!(text.contains(name.as_str()), "{ctx}");
                        }
                        if contrastive {
                            // The two names signal the two groups of the target axis.
                            let by_name =
                                |n: &str| name_lex.infer(n).inferred.get(&target.axis).cloned();
                            assert_eq!(
                                by_name(&p.names[0]).as_deref(),
                                Some(target.stereotyped.as_str()),
                                "{ctx}"
                            );
                            assert_eq!(
                                by_name(&p.names[1]).as_deref(),
                                Some(target.counter.as_str()),
                                "{ctx}"
                            );
                        }
                    }
                }
                if contrastive {
                    assert_eq!(p.contrast[&target.axis], target.counter, "{ctx}");
                } else {
                    assert!(p.contrast.is_empty());
                }
            }
        }
    }
}

#[test]
fn directions_and_user_targets_choose_the_subject() {
    let t = Templates::builtin();
    let names = NameTable::builtin();
    let bias: BiasType = "contextual-single-explicit".parse().unwrap();
    let nurse = |d: Direction| {
        let s = PromptSpec::new("occupation", bias)
            .labels(["nurse"])
            .direction(d);
        PromptBuilder::new(s, &t, &names).unwrap()
    };
    assert_eq!(
        nurse(Direction::StereotypeConsistent)
            .build(0)
            .unwrap()
            .stated[&Axis::Gender],
        "female"
    );
    assert_eq!(
        nurse(Direction::AntiStereotypical).build(0).unwrap().stated[&Axis::Gender],
        "male"
    );
    // Neutral direction: both groups appear as subjects, with the neutral clause.
    let neutral = nurse(Direction::Neutral);
    let subjects: BTreeSet<String> = (0..20)
        .map(|i| neutral.build(i).unwrap().stated[&Axis::Gender].clone())
        .collect();
    assert_eq!(subjects.len(), 2);
    assert!(
        neutral
            .build(0)
            .unwrap()
            .text()
            .contains("without suggesting")
    );

    // Portrayals cycle after labels and targets (salary: 6 labels x 4 targets = 24).
    let s =
        PromptSpec::new("salary", bias).portrayals([Portrayal::Favoured, Portrayal::Disfavoured]);
    let b = PromptBuilder::new(s, &t, &names).unwrap();
    let (fav, dis) = (b.build(0).unwrap(), b.build(24).unwrap());
    assert_eq!(
        (fav.label.clone(), fav.target.clone()),
        (dis.label.clone(), dis.target.clone())
    );
    assert_eq!(fav.stated[&Axis::Culture], "anglo");
    assert_eq!(dis.stated[&Axis::Culture], "arabic");
    assert_eq!(
        (fav.portrayal, dis.portrayal),
        (Some(Portrayal::Favoured), Some(Portrayal::Disfavoured))
    );
    assert!(
        dis.text().contains("less deserving of a high salary"),
        "{}",
        dis.text()
    );
    assert!(
        fav.text().contains("naturally deserving of a high salary"),
        "{}",
        fav.text()
    );

    // A user target on another axis: hiring with a gender stereotype, stated and named.
    let s = PromptSpec::new("hiring", "contrastive-single-explicit".parse().unwrap()).targets([
        BiasTarget::new(Axis::Gender, Attribute::Competence, "male", "female"),
    ]);
    let p = PromptBuilder::new(s, &t, &names).unwrap().build(3).unwrap();
    assert_eq!(p.stated[&Axis::Gender], "male");
    assert!(
        p.text().contains("a man") && p.text().contains("a woman"),
        "{}",
        p.text()
    );
}

#[test]
fn prompts_are_a_pure_function_of_spec_seed_and_index() {
    let t = Templates::builtin();
    let names = NameTable::builtin();
    let bias: BiasType = "contextual-intersectional-implicit".parse().unwrap();
    let a = PromptBuilder::new(PromptSpec::new("story", bias).seed(5), &t, &names).unwrap();
    let b = PromptBuilder::new(PromptSpec::new("story", bias).seed(5), &t, &names).unwrap();
    let c = PromptBuilder::new(PromptSpec::new("story", bias).seed(6), &t, &names).unwrap();
    let texts = |x: &PromptBuilder| {
        (0..10)
            .map(|i| x.build(i).unwrap().text())
            .collect::<Vec<_>>()
    };
    assert_eq!(texts(&a), texts(&b));
    assert_ne!(texts(&a), texts(&c));
    let ids: BTreeSet<String> = (0..50).map(|i| a.build(i).unwrap().id).collect();
    assert_eq!(ids.len(), 50, "prompt ids are unique");
}

#[test]
fn raw_style_ends_with_the_cue_and_bad_specs_are_clear_errors() {
    let t = Templates::builtin();
    let names = NameTable::builtin();
    let s = PromptSpec::new("occupation", BiasType::Neutral).style(PromptStyle::Raw);
    let p = PromptBuilder::new(s, &t, &names).unwrap().build(0).unwrap();
    let Prompt::Raw(raw) = &p.prompt else {
        panic!("raw prompt expected")
    };
    assert!(raw.ends_with("Biography:"), "{raw}");

    let bias: BiasType = "contextual-single-explicit".parse().unwrap();
    let err = |s: PromptSpec| PromptBuilder::new(s, &t, &names).unwrap_err().to_string();
    let msg = err(PromptSpec::new("generic", bias)
        .labels(["positive"])
        .task("review"));
    assert!(
        msg.contains("no default stereotype") && msg.contains("positive"),
        "{msg}"
    );
    let msg = err(PromptSpec::new("generic", BiasType::Neutral).labels(["positive"]));
    assert!(msg.contains("task"), "{msg}");
    let msg = err(
        PromptSpec::new("occupation", bias).targets([BiasTarget::new(
            Axis::Gender,
            Attribute::Occupation,
            "female",
            "robot",
        )]),
    );
    assert!(msg.contains("robot"), "{msg}");
    let msg = err(PromptSpec::new("poems", bias));
    assert!(msg.contains("poems") && msg.contains("occupation"), "{msg}");
}

#[test]
fn labels_stated_groups_and_provenance_travel_into_the_examples() {
    let t = Templates::builtin();
    let names = NameTable::builtin();
    let lexicon = default_lexicon(&names);
    let fake = FakeGenerator::new();
    for bias in BiasType::paper_six() {
        let builder =
            PromptBuilder::new(PromptSpec::new("occupation", bias).seed(3), &t, &names).unwrap();
        let params = AugmentParams {
            progress: false,
            batch_size: 5,
            ..AugmentParams::default()
        };
        let out = Augmenter::new(&fake, &lexicon, params)
            .unwrap()
            .run(&builder, 12)
            .unwrap();
        assert_eq!(out.examples.len(), 12, "{bias}: {}", out.report);
        for (i, ex) in out.examples.iter().enumerate() {
            let p = builder.build(i).unwrap();
            assert_eq!(ex.id, p.id);
            assert_eq!(ex.label, p.label, "{bias}");
            assert_eq!(ex.groups.stated, p.stated, "{bias}");
            let Provenance::Augmented {
                generator,
                bias_type,
                prompt_id,
                round,
                ..
            } = &ex.provenance
            else {
                panic!("augmented provenance expected")
            };
            assert_eq!(
                (generator.as_str(), bias_type, prompt_id.as_str(), round),
                ("fake", &bias, p.id.as_str(), &0)
            );
            assert_eq!(ex.meta["favoured"], p.stated[&Axis::Gender].as_str());
            assert_eq!(ex.meta["direction"], "stereotype-consistent");
            // The fake writes She/He after the subject's gender, so inference agrees.
            assert_eq!(
                ex.groups.inferred.get(&Axis::Gender),
                p.stated.get(&Axis::Gender),
                "{bias}: {}",
                ex.text
            );
            assert!(
                !ex.text.starts_with("Here is"),
                "preamble stripped: {}",
                ex.text
            );
        }
        assert_eq!(
            out.report.stated_vs_inferred_mismatch.get(&Axis::Gender),
            None
        );
    }
}

#[test]
fn rejections_are_counted_and_the_budget_bounds_the_run() {
    let t = Templates::builtin();
    let names = NameTable::builtin();
    let lexicon = default_lexicon(&names);
    let mut fake = FakeGenerator::new();
    fake.refuse_every = Some(3);
    let builder =
        PromptBuilder::new(PromptSpec::new("occupation", BiasType::Neutral), &t, &names).unwrap();
    let params = AugmentParams {
        progress: false,
        batch_size: 4,
        max_prompts_factor: 2,
        ..AugmentParams::default()
    };
    let out = Augmenter::new(&fake, &lexicon, params)
        .unwrap()
        .run(&builder, 10)
        .unwrap();
    let r = &out.report;
    let refused = r
        .rejected
        .get(&inherit_augment::RejectReason::Refusal)
        .copied()
        .unwrap_or(0);
    assert!(refused > 0, "{r}");
    assert_eq!(r.prompts, r.accepted + r.rejected.values().sum::<usize>());
    assert!(r.prompts <= 20, "at most factor * n prompts: {r}");
    assert_eq!(r.accepted, out.examples.len());
    let json = serde_json::to_string(r).unwrap();
    assert!(json.contains(&format!("\"refusal\":{refused}")), "{json}");
    assert!(
        r.to_string()
            .contains(&format!("rejected refusal: {refused}")),
        "{r}"
    );
    // Neutral prompts state nothing; the fake writes "They": nothing inferred.
    assert!(out.examples.iter().all(|e| e.groups.stated.is_empty()));
}
