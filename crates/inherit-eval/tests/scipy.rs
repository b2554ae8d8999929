//! Statistics against scipy. Expected values computed once with scipy 1.17.1
//! (numpy 2.4.6), e.g. `scipy.stats.ttest_ind(X, Y, equal_var=False)`,
//! `mannwhitneyu(X, Y)` (method "auto"), `chisquare`, `chi2_contingency`,
//! `t.ppf`, `scipy.spatial.distance.jensenshannon(p, q, base=2)`.

use inherit_eval::stats::{
    MwuMethod, chi_square_gof, chi_square_independence, cohens_d, mann_whitney_u, mean_ci,
    paired_t_test, student_t_test, welch_t_test,
};

const X: &[f64] = &[12.1, 14.3, 11.8, 15.2, 13.9, 12.7, 16.1, 14.8, 13.3, 12.9];
const Y: &[f64] = &[
    10.2, 11.9, 12.4, 10.8, 13.1, 11.1, 12.0, 9.7, 11.5, 12.6, 10.9, 11.4,
];
const B: &[f64] = &[11.0, 13.5, 11.3, 14.1, 13.1, 12.2, 15.0, 14.0, 12.8, 11.8];

fn close(what: &str, got: f64, want: f64, tol: f64) {
    assert!((got - want).abs() <= tol, "{what}: got {got}, scipy {want}");
}

#[test]
fn t_tests_equal_scipy() {
    let t = welch_t_test(X, Y).unwrap();
    close("welch t", t.statistic, 4.253109597888045, 1e-9);
    close("welch df", t.df, 15.904219966729357, 1e-9);
    close("welch p", t.p_value, 0.000614800150926723, 1e-9);
    let t = student_t_test(X, Y).unwrap();
    close("student t", t.statistic, 4.387794962953419, 1e-9);
    assert_eq!(t.df, 20.0);
    close("student p", t.p_value, 0.00028419851047703124, 1e-9);
    let t = paired_t_test(X, B).unwrap();
    close("paired t", t.statistic, 9.992025806118844, 1e-9);
    close("paired p", t.p_value, 3.602074759447951e-06, 1e-9);
    assert!(paired_t_test(X, Y).is_err(), "unequal lengths");
    assert!(welch_t_test(&[1.0], Y).is_err(), "one value");
}

#[test]
fn mann_whitney_equals_scipy_asymptotic_ties_and_exact() {
    let m = mann_whitney_u(X, Y).unwrap();
    assert_eq!(m.u, 110.0);
    assert_eq!(m.method, MwuMethod::Asymptotic);
    close("mwu p", m.p_value, 0.001098770124574993, 1e-9);
    let xt = [1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0, 5.0, 5.0, 6.0];
    let yt = [2.0, 3.0, 4.0, 4.0, 5.0, 6.0, 6.0, 6.0, 7.0, 8.0, 8.0];
    let m = mann_whitney_u(&xt, &yt).unwrap();
    assert_eq!(m.u, 24.0);
    close("mwu ties p", m.p_value, 0.029921087970888584, 1e-9);
    let m = mann_whitney_u(&[1.1, 3.4, 2.2, 5.9, 4.1], &[6.3, 7.7, 2.9, 8.8, 5.5, 9.1]).unwrap();
    assert_eq!(m.method, MwuMethod::Exact);
    assert_eq!(m.u, 4.0);
    close("mwu exact p", m.p_value, 0.05194805194805195, 1e-12);
    close(
        "rank biserial",
        m.rank_biserial,
        2.0 * 4.0 / 30.0 - 1.0,
        1e-12,
    );
}

#[test]
fn chi_square_tests_equal_scipy() {
    let c = chi_square_gof(&[18.0, 22.0, 30.0, 30.0], &[25.0; 4]).unwrap();
    close("gof stat", c.statistic, 4.32, 1e-12);
    close("gof p", c.p_value, 0.22891886433610517, 1e-9);
    // expected given as proportions is rescaled to the observed total
    let c = chi_square_gof(&[50.0, 30.0, 20.0], &[0.4, 0.4, 0.2]).unwrap();
    close("gof2 stat", c.statistic, 5.0, 1e-12);
    close("gof2 p", c.p_value, 0.0820849986238988, 1e-9);
    let t = vec![vec![20.0, 15.0], vec![10.0, 25.0]];
    let c = chi_square_independence(&t, true).unwrap();
    close("yates stat", c.statistic, 4.725, 1e-12);
    close("yates p", c.p_value, 0.029727183306054526, 1e-9);
    let c = chi_square_independence(&t, false).unwrap();
    close("2x2 stat", c.statistic, 5.833333333333334, 1e-12);
    close("2x2 p", c.p_value, 0.0157252997545054, 1e-9);
    let c =
        chi_square_independence(&[vec![12.0, 30.0, 8.0], vec![25.0, 14.0, 11.0]], true).unwrap();
    assert_eq!(c.dof, 2);
    close("2x3 stat", c.statistic, 10.8594335962757, 1e-9);
    close("2x3 p", c.p_value, 0.0043843372793480285, 1e-9);
    assert!(chi_square_independence(&[vec![0.0, 0.0], vec![1.0, 2.0]], true).is_err());
}

#[test]
fn t_interval_and_cohens_d_equal_scipy() {
    // t.ppf(0.975, 4) = 2.7764451051977934
    let v = [0.70, 0.74, 0.69, 0.77, 0.72];
    let ci = mean_ci(&v, 0.95).unwrap();
    let half = 2.7764451051977934 * ci.std / 5f64.sqrt();
    close("ci low", ci.low, ci.mean - half, 1e-9);
    close("ci high", ci.high, ci.mean + half, 1e-9);
    assert!(mean_ci(&[0.5], 0.95).unwrap().low.is_nan());
    close(
        "cohen d",
        cohens_d(X, Y).unwrap(),
        1.8787415602210669,
        1e-12,
    );
}
