//! MetricFrame and fairness measures against fairlearn.
//!
//! Expected values were computed once with fairlearn 0.15.0 (scikit-learn 1.9.1,
//! pandas 3.1.1, numpy 2.4.6) by `MetricFrame(metrics={accuracy_score,
//! selection_rate(pos_label), true_positive_rate, false_positive_rate,
//! f1_score(average="macro", zero_division=0)}, ...)` and `demographic_parity_*`,
//! `equalized_odds_*`, `equal_opportunity_difference` on the same arrays; the
//! multiclass case (C) binarises one-vs-rest on class 2 for TPR/FPR and the
//! demographic-parity/equalized-odds functions. Fixture B's group `c` has no positives:
//! fairlearn (via scikit-learn's `confusion_matrix(normalize="true")`) gives it TPR 0,
//! and so do we.

use inherit_eval::{Aggregate, FairnessReport, Metric, MetricFrame, Sample, SensitiveFeature};

const TOL: f64 = 1e-9;

struct Expect {
    metric: &'static str,
    overall: f64,
    by_group: &'static [(&'static str, f64)],
    group_min: f64,
    group_max: f64,
    diff_between: f64,
    diff_overall: f64,
    ratio_between: f64,
    ratio_overall: f64,
}

struct ExpectFair {
    dp_diff: f64,
    dp_ratio: f64,
    eo_diff: f64,
    eo_ratio: f64,
    eopp_diff: f64,
    dp_diff_overall: f64,
    eo_ratio_overall: f64,
}

fn close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= TOL,
        "{what}: got {got}, fairlearn {want}"
    );
}

fn check(
    y_true: &[usize],
    y_pred: &[usize],
    features: &[SensitiveFeature],
    pos: usize,
    expect: &[Expect],
    fair: &ExpectFair,
) {
    let metrics = [
        Metric::Accuracy,
        Metric::SelectionRate(pos),
        Metric::Tpr(pos),
        Metric::Fpr(pos),
        Metric::MacroF1,
    ];
    let sample = Sample::new(y_true, y_pred);
    let mf = MetricFrame::new(&metrics, sample, features).unwrap();
    for e in expect {
        let s = mf.summary(e.metric).unwrap();
        close(&format!("{} overall", e.metric), s.overall, e.overall);
        assert_eq!(s.by_group.len(), e.by_group.len(), "{}: groups", e.metric);
        for (k, v) in e.by_group {
            close(&format!("{} group {k}", e.metric), s.by_group[*k], *v);
        }
        close(&format!("{} group_min", e.metric), s.group_min, e.group_min);
        close(&format!("{} group_max", e.metric), s.group_max, e.group_max);
        close(
            &format!("{} difference", e.metric),
            mf.difference(e.metric, Aggregate::BetweenGroups).unwrap(),
            e.diff_between,
        );
        close(
            &format!("{} difference to_overall", e.metric),
            mf.difference(e.metric, Aggregate::ToOverall).unwrap(),
            e.diff_overall,
        );
        close(
            &format!("{} ratio", e.metric),
            mf.ratio(e.metric, Aggregate::BetweenGroups).unwrap(),
            e.ratio_between,
        );
        close(
            &format!("{} ratio to_overall", e.metric),
            mf.ratio(e.metric, Aggregate::ToOverall).unwrap(),
            e.ratio_overall,
        );
    }
    let r = FairnessReport::compute(sample, features, pos, Aggregate::BetweenGroups).unwrap();
    close(
        "demographic_parity_difference",
        r.demographic_parity_difference,
        fair.dp_diff,
    );
    close(
        "demographic_parity_ratio",
        r.demographic_parity_ratio,
        fair.dp_ratio,
    );
    close(
        "equalized_odds_difference",
        r.equalized_odds_difference,
        fair.eo_diff,
    );
    close(
        "equalized_odds_ratio",
        r.equalized_odds_ratio,
        fair.eo_ratio,
    );
    close(
        "equal_opportunity_difference",
        r.equal_opportunity_difference,
        fair.eopp_diff,
    );
    let r = FairnessReport::compute(sample, features, pos, Aggregate::ToOverall).unwrap();
    close(
        "demographic_parity_difference to_overall",
        r.demographic_parity_difference,
        fair.dp_diff_overall,
    );
    close(
        "equalized_odds_ratio to_overall",
        r.equalized_odds_ratio,
        fair.eo_ratio_overall,
    );
}

const A_TRUE: &[usize] = &[
    1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 1,
];
const A_PRED: &[usize] = &[
    1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1,
];
const A_GROUP: &[&str] = &[
    "f", "m", "f", "f", "f", "m", "m", "m", "m", "m", "m", "f", "m", "m", "f", "f", "m", "f", "m",
    "f", "f", "f", "f", "m", "f", "f", "m", "m", "f", "m",
];
const B_TRUE: &[usize] = &[
    0, 1, 0, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
];
const B_PRED: &[usize] = &[
    1, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1,
];
const B_GROUP: &[&str] = &[
    "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "b", "b", "b", "b", "b", "b", "b",
    "b", "b", "b", "c", "c", "c", "c", "c", "c", "c", "c",
];
const C_TRUE: &[usize] = &[
    2, 1, 0, 1, 0, 2, 2, 1, 2, 1, 1, 2, 2, 2, 2, 0, 1, 2, 0, 0, 1, 2, 2, 2, 1, 0, 2, 1, 2, 2, 2, 0,
    2, 1, 1, 2, 2, 1, 0, 2,
];
const C_PRED: &[usize] = &[
    2, 1, 0, 1, 0, 1, 2, 1, 2, 2, 1, 1, 2, 2, 1, 1, 1, 2, 2, 0, 2, 2, 2, 2, 2, 0, 2, 2, 2, 0, 2, 0,
    2, 1, 1, 2, 2, 1, 0, 2,
];
const C_GROUP: &[&str] = &[
    "x", "x", "x", "x", "y", "x", "x", "x", "z", "x", "z", "x", "z", "y", "x", "x", "x", "y", "x",
    "x", "x", "z", "x", "x", "y", "x", "y", "z", "z", "y", "y", "z", "y", "y", "x", "y", "x", "x",
    "z", "y",
];
const D_TRUE: &[usize] = &[
    0, 0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 1,
    0, 0, 1, 1, 0, 1, 0, 1,
];
const D_PRED: &[usize] = &[
    0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 1, 1,
    1, 0, 1, 1, 1, 1, 0, 1,
];
const D_GENDER: &[&str] = &[
    "m", "f", "m", "m", "m", "f", "m", "f", "m", "m", "f", "m", "m", "f", "f", "f", "f", "m", "m",
    "f", "f", "m", "f", "f", "m", "m", "f", "m", "m", "m", "m", "m", "f", "f", "m", "f", "f", "m",
    "m", "m",
];
const D_CULTURE: &[&str] = &[
    "spanish", "arabic", "arabic", "arabic", "spanish", "chinese", "arabic", "spanish", "chinese",
    "spanish", "chinese", "arabic", "spanish", "arabic", "arabic", "spanish", "chinese", "chinese",
    "arabic", "spanish", "chinese", "spanish", "chinese", "spanish", "spanish", "spanish",
    "arabic", "spanish", "chinese", "chinese", "arabic", "chinese", "arabic", "arabic", "spanish",
    "spanish", "chinese", "spanish", "arabic", "spanish",
];
const A_EXPECT: &[Expect] = &[
    Expect {
        metric: "accuracy",
        overall: 0.7666666666666667,
        by_group: &[("f", 0.8), ("m", 0.7333333333333333)],
        group_min: 0.7333333333333333,
        group_max: 0.8,
        diff_between: 0.06666666666666676,
        diff_overall: 0.03333333333333344,
        ratio_between: 0.9166666666666665,
        ratio_overall: 0.9565217391304347,
    },
    Expect {
        metric: "selection_rate[1]",
        overall: 0.4,
        by_group: &[("f", 0.5333333333333333), ("m", 0.26666666666666666)],
        group_min: 0.26666666666666666,
        group_max: 0.5333333333333333,
        diff_between: 0.26666666666666666,
        diff_overall: 0.13333333333333336,
        ratio_between: 0.5,
        ratio_overall: 0.6666666666666666,
    },
    Expect {
        metric: "tpr[1]",
        overall: 0.6666666666666666,
        by_group: &[("f", 0.7777777777777778), ("m", 0.5)],
        group_min: 0.5,
        group_max: 0.7777777777777778,
        diff_between: 0.2777777777777778,
        diff_overall: 0.16666666666666663,
        ratio_between: 0.6428571428571428,
        ratio_overall: 0.75,
    },
    Expect {
        metric: "fpr[1]",
        overall: 0.13333333333333333,
        by_group: &[("f", 0.16666666666666666), ("m", 0.1111111111111111)],
        group_min: 0.1111111111111111,
        group_max: 0.16666666666666666,
        diff_between: 0.05555555555555555,
        diff_overall: 0.033333333333333326,
        ratio_between: 0.6666666666666666,
        ratio_overall: 0.8,
    },
    Expect {
        metric: "macro_f1",
        overall: 0.7643097643097643,
        by_group: &[("f", 0.7963800904977376), ("m", 0.7)],
        group_min: 0.7,
        group_max: 0.7963800904977376,
        diff_between: 0.09638009049773766,
        diff_overall: 0.06430976430976432,
        ratio_between: 0.8789772727272727,
        ratio_overall: 0.9158590308370044,
    },
];
const A_FAIR: ExpectFair = ExpectFair {
    dp_diff: 0.26666666666666666,
    dp_ratio: 0.5,
    eo_diff: 0.2777777777777778,
    eo_ratio: 0.6428571428571428,
    eopp_diff: 0.2777777777777778,
    dp_diff_overall: 0.13333333333333336,
    eo_ratio_overall: 0.75,
};

const B_EXPECT: &[Expect] = &[
    Expect {
        metric: "accuracy",
        overall: 0.7,
        by_group: &[("a", 0.5833333333333334), ("b", 0.8), ("c", 0.75)],
        group_min: 0.5833333333333334,
        group_max: 0.8,
        diff_between: 0.21666666666666667,
        diff_overall: 0.11666666666666659,
        ratio_between: 0.7291666666666666,
        ratio_overall: 0.8333333333333335,
    },
    Expect {
        metric: "selection_rate[1]",
        overall: 0.5,
        by_group: &[("a", 0.5833333333333334), ("b", 0.6), ("c", 0.25)],
        group_min: 0.25,
        group_max: 0.6,
        diff_between: 0.35,
        diff_overall: 0.25,
        ratio_between: 0.4166666666666667,
        ratio_overall: 0.5,
    },
    Expect {
        metric: "tpr[1]",
        overall: 0.8,
        by_group: &[("a", 0.6666666666666666), ("b", 1.0), ("c", 0.0)],
        group_min: 0.0,
        group_max: 1.0,
        diff_between: 1.0,
        diff_overall: 0.8,
        ratio_between: 0.0,
        ratio_overall: 0.0,
    },
    Expect {
        metric: "fpr[1]",
        overall: 0.35,
        by_group: &[("a", 0.5), ("b", 0.3333333333333333), ("c", 0.25)],
        group_min: 0.25,
        group_max: 0.5,
        diff_between: 0.25,
        diff_overall: 0.15000000000000002,
        ratio_between: 0.5,
        ratio_overall: 0.7,
    },
    Expect {
        metric: "macro_f1",
        overall: 0.6914285714285715,
        by_group: &[
            ("a", 0.5804195804195804),
            ("b", 0.8),
            ("c", 0.42857142857142855),
        ],
        group_min: 0.42857142857142855,
        group_max: 0.8,
        diff_between: 0.3714285714285715,
        diff_overall: 0.26285714285714296,
        ratio_between: 0.5357142857142857,
        ratio_overall: 0.6198347107438016,
    },
];
const B_FAIR: ExpectFair = ExpectFair {
    dp_diff: 0.35,
    dp_ratio: 0.4166666666666667,
    eo_diff: 1.0,
    eo_ratio: 0.0,
    eopp_diff: 1.0,
    dp_diff_overall: 0.25,
    eo_ratio_overall: 0.0,
};

const C_EXPECT: &[Expect] = &[
    Expect {
        metric: "accuracy",
        overall: 0.75,
        by_group: &[
            ("x", 0.6666666666666666),
            ("y", 0.8181818181818182),
            ("z", 0.875),
        ],
        group_min: 0.6666666666666666,
        group_max: 0.875,
        diff_between: 0.20833333333333337,
        diff_overall: 0.125,
        ratio_between: 0.7619047619047619,
        ratio_overall: 0.8571428571428571,
    },
    Expect {
        metric: "selection_rate[2]",
        overall: 0.525,
        by_group: &[
            ("x", 0.38095238095238093),
            ("y", 0.7272727272727273),
            ("z", 0.625),
        ],
        group_min: 0.38095238095238093,
        group_max: 0.7272727272727273,
        diff_between: 0.34632034632034636,
        diff_overall: 0.20227272727272727,
        ratio_between: 0.5238095238095237,
        ratio_overall: 0.721875,
    },
    Expect {
        metric: "tpr[2]",
        overall: 0.8,
        by_group: &[("x", 0.625), ("y", 0.875), ("z", 1.0)],
        group_min: 0.625,
        group_max: 1.0,
        diff_between: 0.375,
        diff_overall: 0.19999999999999996,
        ratio_between: 0.625,
        ratio_overall: 0.78125,
    },
    Expect {
        metric: "fpr[2]",
        overall: 0.25,
        by_group: &[
            ("x", 0.23076923076923078),
            ("y", 0.3333333333333333),
            ("z", 0.25),
        ],
        group_min: 0.23076923076923078,
        group_max: 0.3333333333333333,
        diff_between: 0.10256410256410253,
        diff_overall: 0.08333333333333331,
        ratio_between: 0.6923076923076924,
        ratio_overall: 0.75,
    },
    Expect {
        metric: "macro_f1",
        overall: 0.7490514905149052,
        by_group: &[
            ("x", 0.6805555555555555),
            ("y", 0.736111111111111),
            ("z", 0.8518518518518517),
        ],
        group_min: 0.6805555555555555,
        group_max: 0.8518518518518517,
        diff_between: 0.17129629629629628,
        diff_overall: 0.10280036133694659,
        ratio_between: 0.7989130434782609,
        ratio_overall: 0.87932131495228,
    },
];
const C_FAIR: ExpectFair = ExpectFair {
    dp_diff: 0.34632034632034636,
    dp_ratio: 0.5238095238095237,
    eo_diff: 0.375,
    eo_ratio: 0.625,
    eopp_diff: 0.375,
    dp_diff_overall: 0.20227272727272727,
    eo_ratio_overall: 0.75,
};

const D_EXPECT: &[Expect] = &[
    Expect {
        metric: "accuracy",
        overall: 0.775,
        by_group: &[
            ("f|arabic", 0.6666666666666666),
            ("f|chinese", 0.8333333333333334),
            ("f|spanish", 0.6),
            ("m|arabic", 0.7142857142857143),
            ("m|chinese", 0.8),
            ("m|spanish", 0.9090909090909091),
        ],
        group_min: 0.6,
        group_max: 0.9090909090909091,
        diff_between: 0.3090909090909091,
        diff_overall: 0.17500000000000004,
        ratio_between: 0.66,
        ratio_overall: 0.7741935483870968,
    },
    Expect {
        metric: "selection_rate[1]",
        overall: 0.5,
        by_group: &[
            ("f|arabic", 0.3333333333333333),
            ("f|chinese", 0.6666666666666666),
            ("f|spanish", 0.4),
            ("m|arabic", 0.14285714285714285),
            ("m|chinese", 1.0),
            ("m|spanish", 0.5454545454545454),
        ],
        group_min: 0.14285714285714285,
        group_max: 1.0,
        diff_between: 0.8571428571428572,
        diff_overall: 0.5,
        ratio_between: 0.14285714285714285,
        ratio_overall: 0.2857142857142857,
    },
    Expect {
        metric: "tpr[1]",
        overall: 0.7894736842105263,
        by_group: &[
            ("f|arabic", 0.0),
            ("f|chinese", 1.0),
            ("f|spanish", 0.5),
            ("m|arabic", 0.3333333333333333),
            ("m|chinese", 1.0),
            ("m|spanish", 1.0),
        ],
        group_min: 0.0,
        group_max: 1.0,
        diff_between: 1.0,
        diff_overall: 0.7894736842105263,
        ratio_between: 0.0,
        ratio_overall: 0.0,
    },
    Expect {
        metric: "fpr[1]",
        overall: 0.23809523809523808,
        by_group: &[
            ("f|arabic", 0.3333333333333333),
            ("f|chinese", 0.3333333333333333),
            ("f|spanish", 0.0),
            ("m|arabic", 0.0),
            ("m|chinese", 1.0),
            ("m|spanish", 0.16666666666666666),
        ],
        group_min: 0.0,
        group_max: 1.0,
        diff_between: 1.0,
        diff_overall: 0.7619047619047619,
        ratio_between: 0.0,
        ratio_overall: 0.0,
    },
    Expect {
        metric: "macro_f1",
        overall: 0.7748592870544091,
        by_group: &[
            ("f|arabic", 0.4),
            ("f|chinese", 0.8285714285714285),
            ("f|spanish", 0.5833333333333333),
            ("m|arabic", 0.65),
            ("m|chinese", 0.4444444444444444),
            ("m|spanish", 0.9090909090909091),
        ],
        group_min: 0.4,
        group_max: 0.9090909090909091,
        diff_between: 0.509090909090909,
        diff_overall: 0.3748592870544091,
        ratio_between: 0.44000000000000006,
        ratio_overall: 0.5162227602905569,
    },
];
const D_FAIR: ExpectFair = ExpectFair {
    dp_diff: 0.8571428571428572,
    dp_ratio: 0.14285714285714285,
    eo_diff: 1.0,
    eo_ratio: 0.0,
    eopp_diff: 1.0,
    dp_diff_overall: 0.5,
    eo_ratio_overall: 0.0,
};

#[test]
fn binary_two_groups_equal_fairlearn() {
    check(
        A_TRUE,
        A_PRED,
        &[SensitiveFeature::new("gender", A_GROUP.iter().copied())],
        1,
        A_EXPECT,
        &A_FAIR,
    );
}

#[test]
fn binary_three_groups_with_a_group_without_positives_equal_fairlearn() {
    let f = [SensitiveFeature::new("g", B_GROUP.iter().copied())];
    check(B_TRUE, B_PRED, &f, 1, B_EXPECT, &B_FAIR);
    // documented behaviour: the group without positives has TPR 0, not NaN
    let mf = MetricFrame::new(&[Metric::Tpr(1)], Sample::new(B_TRUE, B_PRED), &f).unwrap();
    assert_eq!(mf.by_group("tpr[1]").unwrap()["c"], 0.0);
}

#[test]
fn multiclass_three_groups_equal_fairlearn() {
    check(
        C_TRUE,
        C_PRED,
        &[SensitiveFeature::new("g", C_GROUP.iter().copied())],
        2,
        C_EXPECT,
        &C_FAIR,
    );
}

#[test]
fn two_sensitive_features_equal_fairlearn() {
    let f = [
        SensitiveFeature::new("gender", D_GENDER.iter().copied()),
        SensitiveFeature::new("culture", D_CULTURE.iter().copied()),
    ];
    check(D_TRUE, D_PRED, &f, 1, D_EXPECT, &D_FAIR);
    let mf = MetricFrame::new(&[Metric::Count], Sample::new(D_TRUE, D_PRED), &f).unwrap();
    assert_eq!(mf.features, ["gender", "culture"]);
    assert_eq!(
        mf.groups.iter().map(|g| g.size).sum::<usize>(),
        D_TRUE.len()
    );
    assert_eq!(mf.groups[0].key, "f|arabic");
}
