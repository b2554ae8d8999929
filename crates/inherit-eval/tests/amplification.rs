//! Directional bias amplification (Wang & Russakovsky 2021) against hand computations.

use inherit_eval::{
    DirectionalAmplification, DirectionalCell, Error, Reference, bias_amplification,
    directional_bias_amplification,
};

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// `n` copies of `x`.
fn rep(x: &str, n: usize) -> Vec<String> {
    vec![x.to_owned(); n]
}

fn cell<'a>(r: &'a DirectionalAmplification, attr: &str, task: &str) -> &'a DirectionalCell {
    r.cells
        .iter()
        .find(|c| c.attr == attr && c.task == task)
        .unwrap_or_else(|| panic!("no cell ({attr}, {task})"))
}

fn close(got: f64, want: f64) {
    assert!((got - want).abs() <= 1e-12, "got {got}, want {want}");
}

#[test]
fn hand_computed_with_explicit_reference() {
    // Test set, 10 rows: (true task, attribute) -> predicted task.
    //   f: nurse->nurse, nurse->nurse, nurse->eng, eng->nurse, teacher->nurse, teacher->doctor
    //   m: nurse->eng, eng->eng, eng->eng, teacher->teacher
    let truth = s(&[
        "nurse", "nurse", "nurse", "eng", "teacher", "teacher", "nurse", "eng", "eng", "teacher",
    ]);
    let attrs = s(&["f", "f", "f", "f", "f", "f", "m", "m", "m", "m"]);
    let pred = s(&[
        "nurse", "nurse", "eng", "nurse", "nurse", "doctor", "eng", "eng", "eng", "teacher",
    ]);
    // Reference, 14 rows: nurse f4 m1, eng f1 m4, teacher f2 m2.
    let mut ref_tasks = rep("nurse", 5);
    ref_tasks.extend(rep("eng", 5));
    ref_tasks.extend(rep("teacher", 4));
    let ref_attrs: Vec<String> = [("f", 4), ("m", 1), ("f", 1), ("m", 4), ("f", 2), ("m", 2)]
        .iter()
        .flat_map(|&(a, n)| rep(a, n))
        .collect();
    let r = directional_bias_amplification(
        &truth,
        &attrs,
        &pred,
        Reference::Pairs {
            tasks: &ref_tasks,
            attrs: &ref_attrs,
        },
    )
    .unwrap();
    // A = {f, m}; T = {doctor, eng, nurse, teacher} (doctor is only predicted): 8 cells.
    assert_eq!(r.cells.len(), 8);
    assert_eq!(
        r.cells
            .iter()
            .map(|c| (c.attr.as_str(), c.task.as_str()))
            .collect::<Vec<_>>(),
        [
            ("f", "doctor"),
            ("f", "eng"),
            ("f", "nurse"),
            ("f", "teacher"),
            ("m", "doctor"),
            ("m", "eng"),
            ("m", "nurse"),
            ("m", "teacher"),
        ]
    );
    // Signs from the reference counts (n = 14, c(f) = c(m) = 7, c(nurse) = c(eng) = 5,
    // c(teacher) = 4, c(doctor) = 0), comparing n c(a,t) with c(a) c(t):
    //   (f, nurse)   14*4 = 56 > 7*5 = 35 -> +1     (m, nurse)   14*1 = 14 < 35 -> -1
    //   (f, eng)     14*1 = 14 < 35       -> -1     (m, eng)     14*4 = 56 > 35 -> +1
    //   (f, teacher) 14*2 = 28 = 7*4 = 28 -> 0      (m, teacher) 28 = 28        -> 0
    //   (·, doctor)  0 = 0                -> 0
    let signs: Vec<i8> = r.cells.iter().map(|c| c.sign).collect();
    assert_eq!(signs, [0, -1, 1, 0, 0, 1, -1, 0]);
    assert_eq!(r.signed_cells, 4);
    // P_ref(f, nurse) - P_ref(f) P_ref(nurse) = 4/14 - (7/14)(5/14) = 56/196 - 35/196 = 3/28.
    close(cell(&r, "f", "nurse").reference_dependence, 3.0 / 28.0);
    close(cell(&r, "f", "teacher").reference_dependence, 0.0);
    // f (6 rows): P  nurse 3/6, eng 1/6, teacher 2/6, doctor 0
    //             P^ nurse 4/6, eng 1/6, teacher 0,   doctor 1/6
    //             Delta nurse +1/6, eng 0, teacher -2/6, doctor +1/6
    // m (4 rows): P  nurse 1/4, eng 2/4, teacher 1/4
    //             P^ nurse 0,   eng 3/4, teacher 1/4
    //             Delta nurse -1/4, eng +1/4, teacher 0, doctor 0
    let c = cell(&r, "f", "nurse");
    assert_eq!(c.attr_rows, 6);
    close(c.p_true, 3.0 / 6.0);
    close(c.p_pred, 4.0 / 6.0);
    close(c.delta, 1.0 / 6.0);
    close(cell(&r, "f", "teacher").delta, -2.0 / 6.0);
    close(cell(&r, "f", "doctor").delta, 1.0 / 6.0);
    let c = cell(&r, "m", "nurse");
    assert_eq!(c.attr_rows, 4);
    close(c.p_true, 1.0 / 4.0);
    close(c.p_pred, 0.0);
    close(cell(&r, "m", "eng").delta, 1.0 / 4.0);
    // sum s*Delta = (+1)(1/6) + (-1)(0) + (-1)(-1/4) + (+1)(1/4) = 1/6 + 1/2 = 2/3
    // (teacher's -2/6 and doctor's +1/6 have s = 0); value = (2/3) / (|A||T| = 8) = 1/12.
    close(r.value, 1.0 / 12.0);
}

/// A gender-balanced test set: 10 rows each of (nurse, f), (nurse, m), (eng, f), (eng, m).
fn balanced() -> (Vec<String>, Vec<String>) {
    let mut tasks = Vec::new();
    let mut attrs = Vec::new();
    for (t, a) in [("nurse", "f"), ("nurse", "m"), ("eng", "f"), ("eng", "m")] {
        tasks.extend(rep(t, 10));
        attrs.extend(rep(a, 10));
    }
    (tasks, attrs)
}

/// The true tasks with `k` male nurses predicted `eng` and `k` female engineers predicted
/// `nurse` (`toward_stereotype`), or `k` female nurses -> `eng` and `k` male engineers
/// -> `nurse` (against it).
fn skewed(k: usize, toward_stereotype: bool) -> Vec<String> {
    let (mut pred, attrs) = balanced();
    let (mut nurses, mut engs) = (0, 0);
    for i in 0..pred.len() {
        let (nurse_attr, eng_attr) = if toward_stereotype {
            ("m", "f")
        } else {
            ("f", "m")
        };
        if pred[i] == "nurse" && attrs[i] == nurse_attr && nurses < k {
            pred[i] = "eng".into();
            nurses += 1;
        } else if pred[i] == "eng" && attrs[i] == eng_attr && engs < k {
            pred[i] = "nurse".into();
            engs += 1;
        }
    }
    pred
}

#[test]
fn balanced_test_set_reference_sets_the_direction() {
    let (truth, attrs) = balanced();
    // Reference skewed nurse -> female: nurse f8 m2, eng f2 m8 (n = 20, all margins 10):
    // (f, nurse) and (m, eng): 20*8 = 160 > 10*10 -> +1; the other two: 40 < 100 -> -1.
    let ref_tasks: Vec<String> = [rep("nurse", 10), rep("eng", 10)].concat();
    let ref_attrs: Vec<String> = [rep("f", 8), rep("m", 2), rep("f", 2), rep("m", 8)].concat();
    let reference = Reference::Pairs {
        tasks: &ref_tasks,
        attrs: &ref_attrs,
    };

    // A perfect predictor: every Delta is 0, so the value is exactly 0.
    let perfect = directional_bias_amplification(&truth, &attrs, &truth, reference).unwrap();
    assert_eq!(perfect.value, 0.0);
    assert_eq!(perfect.signed_cells, 4);

    // k = 2 flips toward the stereotype: P(nurse | f) = 10/20 -> P^ = 12/20 (Delta +0.1,
    // s +1), P(eng | f) 10/20 -> 8/20 (-0.1, s -1), P(nurse | m) -> 8/20 (-0.1, s -1),
    // P(eng | m) -> 12/20 (+0.1, s +1): each s*Delta = +0.1; value = 0.4 / 4 = 0.1.
    // In general k flips give k/20.
    for k in 1..=5 {
        let r =
            directional_bias_amplification(&truth, &attrs, &skewed(k, true), reference).unwrap();
        close(r.value, k as f64 / 20.0);
        assert!(r.value > 0.0);
        // The reverse skew is the mirror image.
        let r =
            directional_bias_amplification(&truth, &attrs, &skewed(k, false), reference).unwrap();
        close(r.value, -(k as f64) / 20.0);
        assert!(r.value < 0.0);
    }
    let r = directional_bias_amplification(&truth, &attrs, &skewed(2, true), reference).unwrap();
    close(cell(&r, "f", "nurse").delta, 0.1);
    close(cell(&r, "m", "nurse").delta, -0.1);

    // The ground truth of a balanced set is independent (n c(a,t) = 40*10 = 400 =
    // c(a) c(t) = 20*20 in every cell), so it gives no direction and the score is 0 by
    // construction, skew or not: the reason for `Reference::Pairs`.
    let r =
        directional_bias_amplification(&truth, &attrs, &skewed(5, true), Reference::GroundTruth)
            .unwrap();
    assert_eq!(r.signed_cells, 0);
    assert!(r.cells.iter().all(|c| c.sign == 0));
    assert_eq!(r.value, 0.0);

    // Zhao et al. on the same data, with the balanced test set as "training" data: no
    // b* exceeds 1/|G| = 0.5, so nothing is counted and the skew is invisible.
    let zhao = bias_amplification(&truth, &attrs, &skewed(5, true), &attrs).unwrap();
    assert_eq!(zhao.value, 0.0);
}

#[test]
fn ground_truth_reference_follows_wang_russakovsky_signs() {
    // Unbalanced test set, 12 rows: nurse f5 m1, eng f2 m4.
    // c(f) = 7, c(m) = 5, c(nurse) = c(eng) = 6, n = 12.
    let truth: Vec<String> = [rep("nurse", 6), rep("eng", 6)].concat();
    let attrs: Vec<String> = [rep("f", 5), rep("m", 1), rep("f", 2), rep("m", 4)].concat();
    // W&R: y_at = 1[P(a, t) > P(a) P(t)], s = 2 y - 1 (no ties here, so our s agrees):
    //   (f, nurse) 5/12 > (7/12)(6/12) = 42/144 = 3.5/12 -> y 1, s +1
    //   (m, nurse) 1/12 < (5/12)(6/12) = 2.5/12          -> y 0, s -1
    //   (f, eng)   2/12 < 3.5/12                         -> y 0, s -1
    //   (m, eng)   4/12 > 2.5/12                         -> y 1, s +1
    let n = truth.len() as f64;
    let count = |t: Option<&str>, a: Option<&str>| {
        truth
            .iter()
            .zip(&attrs)
            .filter(|(tt, aa)| t.is_none_or(|t| *tt == t) && a.is_none_or(|a| *aa == a))
            .count() as f64
    };
    let amplifying = {
        // The one male nurse -> eng, the first female engineer -> nurse.
        let mut p = truth.clone();
        p[5] = "eng".into();
        p[6] = "nurse".into();
        p
    };
    let r = directional_bias_amplification(&truth, &attrs, &amplifying, Reference::GroundTruth)
        .unwrap();
    for c in &r.cells {
        let p_at = count(Some(&c.task), Some(&c.attr)) / n;
        let p_a = count(None, Some(&c.attr)) / n;
        let p_t = count(Some(&c.task), None) / n;
        let y = if p_at > p_a * p_t { 1 } else { 0 };
        assert_eq!(c.sign, 2 * y - 1, "cell ({}, {})", c.attr, c.task);
        close(c.reference_dependence, p_at - p_a * p_t);
    }
    assert_eq!(cell(&r, "f", "nurse").sign, 1);
    assert_eq!(cell(&r, "m", "nurse").sign, -1);
    // f: P nurse 5/7, eng 2/7; P^ nurse 6/7, eng 1/7 -> s*Delta = 1/7 + 1/7
    // m: P nurse 1/5, eng 4/5; P^ nurse 0,   eng 1   -> s*Delta = 1/5 + 1/5
    // sum = 2/7 + 2/5 = 24/35; value = (24/35) / 4 = 6/35.
    close(r.value, 6.0 / 35.0);

    // Against the association: a female nurse -> eng and a male engineer -> nurse.
    // f: P^ nurse 4/7, eng 3/7 -> s*Delta = -1/7 - 1/7; m: P^ nurse 2/5, eng 3/5 ->
    // -1/5 - 1/5; value = -(24/35) / 4 = -6/35.
    let dampening = {
        let mut p = truth.clone();
        p[0] = "eng".into();
        p[8] = "nurse".into();
        p
    };
    let r =
        directional_bias_amplification(&truth, &attrs, &dampening, Reference::GroundTruth).unwrap();
    close(r.value, -6.0 / 35.0);
}

#[test]
fn bad_inputs_are_typed_errors() {
    let t = s(&["nurse", "eng"]);
    let a = s(&["f", "m"]);
    let short = s(&["f"]);
    let gt = Reference::GroundTruth;
    assert!(matches!(
        directional_bias_amplification(&t, &short, &t, gt),
        Err(Error::LengthMismatch { ref what, expected: 2, got: 1 }) if what == "attrs"
    ));
    assert!(matches!(
        directional_bias_amplification(&t, &a, &short, gt),
        Err(Error::LengthMismatch { ref what, expected: 2, got: 1 }) if what == "pred_tasks"
    ));
    let pairs = Reference::Pairs {
        tasks: &t,
        attrs: &short,
    };
    assert!(matches!(
        directional_bias_amplification(&t, &a, &t, pairs),
        Err(Error::LengthMismatch { ref what, expected: 2, got: 1 }) if what == "reference attrs"
    ));
    assert!(matches!(
        directional_bias_amplification(&[], &[], &[], gt),
        Err(Error::NoData(_))
    ));
    let empty = Reference::Pairs {
        tasks: &[],
        attrs: &[],
    };
    assert!(matches!(
        directional_bias_amplification(&t, &a, &t, empty),
        Err(Error::NoData(_))
    ));
}
