//! Reweighing makes group and label independent under the weights.

mod common;

use std::collections::BTreeMap;

use common::{augmented, labelled, original};
use inherit_core::{Axis, Dataset, Example, Groups, seeded_rng};
use inherit_mitigate::{Mitigation, Reweighing};

/// 30 female nurses, 10 female dentists, 10 male nurses, 50 male dentists, 2 `nonbinary`
/// nurses and 1 dentist, 4 nurses and 3 dentists without a gender, 5 unlabelled; half of
/// each cell augmented.
fn skewed() -> Dataset {
    let mut examples = Vec::new();
    let cells = [
        ("female", "nurse", 30),
        ("female", "dentist", 10),
        ("male", "nurse", 10),
        ("male", "dentist", 50),
        ("nonbinary", "nurse", 2),
        ("nonbinary", "dentist", 1),
    ];
    for (gender, label, n) in cells {
        for i in 0..n {
            let id = format!("{gender}-{label}-{i}");
            let ex = if i % 2 == 0 {
                original(&id, "text")
            } else {
                augmented(&id, "text")
            };
            examples.push(labelled(ex, label, gender));
        }
    }
    for i in 0..7 {
        let label = if i < 4 { "nurse" } else { "dentist" };
        examples.push(original(&format!("nogroup-{i}"), "text").with_label(label));
    }
    for i in 0..5 {
        examples.push(
            original(&format!("unlabelled-{i}"), "text")
                .with_groups(Groups::new().with_stated(Axis::Gender, "female")),
        );
    }
    Dataset::new("skewed", examples)
}

#[test]
fn weighted_joint_equals_product_of_marginals() {
    let reweigh = Reweighing::default();
    let data = reweigh.prepare(skewed(), &mut seeded_rng(0)).unwrap();
    let mut joint: BTreeMap<(String, String), f64> = BTreeMap::new();
    let mut total = 0.0;
    for ex in data.examples.iter().filter(|e| e.label.is_some()) {
        let w = f64::from(reweigh.example_weight(ex));
        let group = ex.groups.value(&Axis::Gender).unwrap_or("-").to_owned();
        *joint.entry((group, ex.label.clone().unwrap())).or_default() += w;
        total += w;
    }
    let mut p_group: BTreeMap<&str, f64> = BTreeMap::new();
    let mut p_label: BTreeMap<&str, f64> = BTreeMap::new();
    for ((g, y), w) in &joint {
        *p_group.entry(g).or_default() += w / total;
        *p_label.entry(y).or_default() += w / total;
    }
    // Every (group, label) pair of the product, observed or not.
    assert_eq!((p_group.len(), p_label.len()), (4, 2));
    for (g, pg) in &p_group {
        for (y, py) in &p_label {
            let p = joint
                .get(&(g.to_string(), y.to_string()))
                .copied()
                .unwrap_or(0.0)
                / total;
            assert!(
                (p - pg * py).abs() < 1e-6,
                "P({g},{y}) = {p} vs {}",
                pg * py
            );
        }
    }
    // Without the weights the data is far from independent: P(male, dentist) = 50/110,
    // P(male) P(dentist) = (60/110)(64/110).
    assert!((50.0f64 / 110.0 - (60.0 / 110.0) * (64.0 / 110.0)).abs() > 0.1);
    // The weights sum to the number of labelled examples.
    assert!((total - 110.0).abs() < 1e-3, "{total}");
}

#[test]
fn independence_is_exact_when_every_cell_is_observed() {
    let mut data = skewed();
    data.examples.retain(|e| {
        e.label.is_some() && matches!(e.groups.value(&Axis::Gender), Some("female" | "male"))
    });
    let reweigh = Reweighing::default();
    let data = reweigh.prepare(data, &mut seeded_rng(0)).unwrap();
    let weight = |g: &str, y: &str| -> f64 {
        data.examples
            .iter()
            .filter(|e| e.groups.value(&Axis::Gender) == Some(g) && e.label.as_deref() == Some(y))
            .map(|e| f64::from(reweigh.example_weight(e)))
            .sum()
    };
    let n = 100.0;
    for g in ["female", "male"] {
        for y in ["nurse", "dentist"] {
            let p_g = (weight(g, "nurse") + weight(g, "dentist")) / n;
            let p_y = (weight("female", y) + weight("male", y)) / n;
            assert!((weight(g, y) / n - p_g * p_y).abs() < 1e-6, "{g} {y}");
        }
    }
    // Hand computation, female nurses: P(f) = 40/100, P(nurse) = 40/100,
    // P(f, nurse) = 30/100 -> w = 0.16 / 0.30 = 0.5333...
    let table = reweigh.table(&data).unwrap();
    assert!((table.weight("female", "nurse").unwrap() - 0.16 / 0.30).abs() < 1e-12);
    // Male nurses: P(m) = 0.6, P(nurse) = 0.4, P(m, nurse) = 0.1 -> w = 2.4.
    assert!((table.weight("male", "nurse").unwrap() - 2.4).abs() < 1e-12);
}

#[test]
fn unlabelled_examples_keep_weight_one_and_axis_is_chosen() {
    let reweigh = Reweighing::new(Axis::Culture);
    assert_eq!(reweigh.meta_key(), "reweigh_weight.culture");
    assert_eq!(reweigh.spec(), "reweigh:culture");
    assert_eq!(Reweighing::default().spec(), "reweigh");
    let data = Dataset::new(
        "d",
        vec![
            original("a", "x")
                .with_label("p")
                .with_groups(Groups::new().with_inferred(Axis::Culture, "arabic")),
            original("b", "x").with_label("q"),
            original("c", "x"),
        ],
    );
    let out = reweigh.prepare(data, &mut seeded_rng(0)).unwrap();
    // Culture is read from the inferred value when none is stated: a = (arabic, p),
    // b = (-, q); each cell has P(g)P(y)/P(g,y) = (1/2)(1/2)/(1/2) = 0.5.
    assert_eq!(reweigh.example_weight(&out.examples[0]), 0.5);
    assert_eq!(reweigh.example_weight(&out.examples[1]), 0.5);
    assert_eq!(reweigh.example_weight(&out.examples[2]), 1.0);
    let none: Vec<Example> = vec![original("u", "x")];
    let err = reweigh
        .prepare(Dataset::new("empty", none), &mut seeded_rng(0))
        .unwrap_err();
    assert!(err.to_string().contains("no labelled example"), "{err}");
}
