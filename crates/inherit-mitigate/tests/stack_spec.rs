//! MitigationStack: order of data stages, product of weights, sum of losses; spec strings.

mod common;

use burn::tensor::{Device, Int, Tensor};
use common::{augmented, labelled, lexicon, original};
use inherit_core::{Dataset, Example, SeededRng, seeded_rng};
use inherit_mitigate::{
    AlignLoss, BatchView, Mitigation, MitigationStack, Result, SpecContext, SpecMember, TokenPrefix,
};

/// Appends a marker to every text and weighs every example by a constant.
#[derive(Debug)]
struct Suffix(String, f32);

impl Mitigation for Suffix {
    fn spec(&self) -> String {
        SpecMember::new("suffix").arg(&self.0).to_string()
    }
    fn prepare(&self, mut d: Dataset, _rng: &mut SeededRng) -> Result<Dataset> {
        for e in &mut d.examples {
            e.text.push_str(&self.0);
        }
        Ok(d)
    }
    fn example_weight(&self, _: &Example) -> f32 {
        self.1
    }
}

fn data() -> Dataset {
    Dataset::new(
        "d",
        vec![
            labelled(original("o", "She is here."), "a", "female"),
            labelled(augmented("a", "He is here."), "b", "male"),
        ],
    )
}

#[test]
fn data_stages_run_in_order_and_weights_multiply() {
    let stack = MitigationStack::new()
        .with(Suffix(" 1".into(), 2.0))
        .with(TokenPrefix::default())
        .with(Suffix(" 2".into(), 0.25));
    let out = stack.prepare(data(), &mut seeded_rng(0)).unwrap();
    assert_eq!(out.examples[0].text, "She is here. 1 2");
    assert_eq!(
        out.examples[1].text,
        "The following text may contain bias. He is here. 1 2"
    );
    assert_eq!(stack.example_weight(&out.examples[0]), 0.5);
    assert_eq!(MitigationStack::new().example_weight(&out.examples[0]), 1.0);
}

#[test]
fn extra_losses_are_summed() {
    let device = Device::flex();
    let view = BatchView {
        // Gap [-3, 2, 4], ||gap||^2 / d = 29 / 3.
        hidden: Tensor::<2>::from_floats([[1.0, 2.0, 3.0], [4.0, 0.0, -1.0]], &device),
        logits: Tensor::<2>::zeros([2, 2], &device),
        labels: Tensor::<1, Int>::from_ints([0, 1], &device),
        augmented: Tensor::<1>::from_floats([0.0, 1.0], &device),
        group_ids: Tensor::<1, Int>::from_ints([0, 1], &device),
        group_names: vec!["female".into(), "male".into()],
        is_augmented: vec![false, true],
        strata: vec![-1, -1],
    };
    let stack = MitigationStack::new()
        .with(AlignLoss::new(0.5).unwrap())
        .with(TokenPrefix::default())
        .with(AlignLoss::new(2.0).unwrap());
    let loss = stack.extra_loss(&view).unwrap();
    // (0.5 + 2) * 29 / 3 = 72.5 / 3
    let value = loss.into_data().try_to_vec::<f32>().unwrap()[0];
    assert!((value - 72.5 / 3.0).abs() < 1e-4, "{value}");
    assert!(
        MitigationStack::new()
            .with(TokenPrefix::default())
            .extra_loss(&view)
            .is_none()
    );
}

fn ctx() -> SpecContext {
    SpecContext::new().with_lexicon(lexicon())
}

#[test]
fn specs_round_trip_through_display() {
    let specs = [
        ("none", "none"),
        ("token", "token"),
        ("token:\"The following text may contain bias.\"", "token"),
        (
            "token:\"Careful, synthetic + \\\"odd\\\" text\",target=all",
            "token:\"Careful, synthetic + \\\"odd\\\" text\",target=all",
        ),
        ("token : target = all", "token:target=all"),
        ("tag", "tag"),
        (
            "tag:augmented=<syn>,original=<real>",
            "tag:augmented=<syn>,original=<real>",
        ),
        ("mask", "mask"),
        ("mask:neutral", "mask:neutral"),
        (
            "mask:mode=neutral,target=all,name=Robin,token=<M>",
            "mask:neutral,target=all,token=<M>,name=Robin",
        ),
        ("loss", "loss"),
        ("loss:0.5", "loss:0.5"),
        ("loss:lambda=1.0", "loss"),
        ("reweigh", "reweigh"),
        ("reweigh:gender", "reweigh"),
        ("reweigh:culture", "reweigh:culture"),
        ("cda", "cda"),
        ("cda:all", "cda:all"),
        ("token+mask", "token+mask"),
        ("reweigh+loss:1.0", "reweigh+loss"),
        (
            "cda+mask:neutral+tag+reweigh:culture+loss:0.25",
            "cda+mask:neutral+tag+reweigh:culture+loss:0.25",
        ),
    ];
    for (spec, canonical) in specs {
        let stack = MitigationStack::parse(spec, &ctx()).unwrap_or_else(|e| panic!("{spec}: {e}"));
        assert_eq!(stack.to_string(), canonical, "{spec}");
        let again = MitigationStack::parse(&stack.to_string(), &ctx()).unwrap();
        assert_eq!(again.to_string(), stack.to_string());
        assert_eq!(again.params(), stack.params(), "{spec}");
    }
    let params = MitigationStack::parse("mask:neutral+loss:0.5", &ctx())
        .unwrap()
        .params();
    assert_eq!(params[0]["params"]["mode"], "neutral");
    assert_eq!(params[1]["params"]["lambda"], 0.5);
}

#[test]
fn bad_specs_give_clear_errors() {
    let err =
        |spec: &str, ctx: &SpecContext| MitigationStack::parse(spec, ctx).unwrap_err().to_string();
    let e = err("token+maks", &ctx());
    assert!(
        e.contains("unknown mitigation `maks`")
            && e.contains("known: none, token, tag, mask, loss, reweigh, cda"),
        "{e}"
    );
    let e = err("loss:abc", &ctx());
    assert!(e.contains("option `lambda` = `abc`"), "{e}");
    let e = err("loss:-1", &ctx());
    assert!(e.contains("λ must be finite and >= 0"), "{e}");
    let e = err("mask:blur", &ctx());
    assert!(
        e.contains("unknown mask mode `blur`; known: token, neutral"),
        "{e}"
    );
    let e = err("token:target=some", &ctx());
    assert!(
        e.contains("unknown target `some`; known: augmented, all"),
        "{e}"
    );
    let e = err("mask", &SpecContext::new());
    assert!(e.contains("needs a lexicon"), "{e}");
    let e = err("none+token", &ctx());
    assert!(e.contains("`none` cannot be combined"), "{e}");
    let e = err("cda:colour=red", &ctx());
    assert!(
        e.contains("unknown option `colour` for `cda`; known: target"),
        "{e}"
    );
    let e = err("tag:x", &ctx());
    assert!(e.contains("takes no key-less argument"), "{e}");
    let e = err("token+", &ctx());
    assert!(e.contains("expected a mitigation name"), "{e}");
    assert!(err("", &ctx()).contains("use `none`"));
}

#[test]
fn registered_user_strategies_parse_and_round_trip() {
    let mut ctx = ctx();
    ctx.register("suffix", |member, _| {
        let opts = member.options(Some("text"), &["text"])?;
        let text = opts.get("text").unwrap_or(" !").to_owned();
        Ok(Box::new(Suffix(text, 1.0)))
    })
    .unwrap();
    let stack = MitigationStack::parse("suffix:\" ok\"+token", &ctx).unwrap();
    assert_eq!(stack.to_string(), "suffix:\" ok\"+token");
    let out = stack.prepare(data(), &mut seeded_rng(0)).unwrap();
    assert_eq!(out.examples[0].text, "She is here. ok");
    assert!(ctx.known_names().contains(&"suffix".to_owned()));
    assert!(ctx.register("token", |_, _| unreachable!()).is_err());
    assert!(ctx.register("bad name", |_, _| unreachable!()).is_err());
}

#[test]
fn strategies_that_only_touch_augmented_data_are_inert_without_it() {
    let inert = |spec: &str| {
        MitigationStack::parse(spec, &ctx())
            .unwrap_or_else(|e| panic!("{spec}: {e}"))
            .inert_without_augmented()
    };
    for spec in ["none", "token", "mask", "loss:1.0", "token+loss:0.5"] {
        assert!(inert(spec), "{spec}");
    }
    for spec in [
        "mask:target=all",
        "token:target=all",
        "token+mask:target=all",
    ] {
        assert!(!inert(spec), "{spec}");
    }
    // A user strategy that says nothing is assumed to act on original data too.
    assert!(!Suffix("x".into(), 1.0).inert_without_augmented());
}
