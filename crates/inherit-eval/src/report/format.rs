//! Numbers as reports print them: p-values in plain decimals (scientific only below
//! 0.001), no negative zero, and a mean that says over how many seeds it was taken when
//! some seeds had no value.

/// A p-value: three decimals (`0.706`, `1.000`), scientific only below 0.001
/// (`2.3e-4`); `–` when undefined.
pub fn fmt_p(p: f64) -> String {
    if !p.is_finite() {
        "–".into()
    } else if p < 1e-3 {
        format!("{p:.1e}")
    } else {
        fmt_fixed(p, 3)
    }
}

/// `x` with `decimals` decimals, never `-0.000` (a value that rounds to zero prints
/// as zero); `–` when not finite.
pub fn fmt_fixed(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let s = format!("{x:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_owned()
    } else {
        s
    }
}

/// `x` with a sign (`+0.120`, `-0.050`) and `decimals` decimals; a value that rounds to
/// zero prints as `0.000` with no sign; `–` when not finite.
pub fn fmt_signed(x: f64, decimals: usize) -> String {
    let s = fmt_fixed(x, decimals);
    if s == "–" || s.starts_with('-') || s.chars().all(|c| c == '0' || c == '.') {
        s
    } else {
        format!("+{s}")
    }
}

/// The mean of the finite values of `values` with `decimals` decimals; when some values
/// are missing (NaN: a metric undefined for that seed), the count is shown:
/// `0.188 (n = 1 of 3)`. `–` when none is finite.
pub fn fmt_mean_of(values: &[f64], decimals: usize) -> String {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return "–".into();
    }
    let mean = finite.iter().sum::<f64>() / finite.len() as f64;
    let s = fmt_fixed(mean, decimals);
    if finite.len() < values.len() {
        format!("{s} (n = {} of {})", finite.len(), values.len())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p_values_are_plain_decimals_above_a_thousandth() {
        assert_eq!(fmt_p(1.0), "1.000");
        assert_eq!(fmt_p(0.7055), "0.706");
        assert_eq!(fmt_p(0.001), "0.001");
        assert_eq!(fmt_p(0.000_23), "2.3e-4");
        assert_eq!(fmt_p(f64::NAN), "–");
    }

    #[test]
    fn no_negative_zero() {
        assert_eq!(fmt_fixed(-0.0, 3), "0.000");
        assert_eq!(fmt_fixed(-0.000_4, 3), "0.000");
        assert_eq!(fmt_fixed(-0.000_6, 3), "-0.001");
        assert_eq!(fmt_signed(-0.000_4, 3), "0.000");
        assert_eq!(fmt_signed(0.12, 3), "+0.120");
        assert_eq!(fmt_signed(-0.05, 3), "-0.050");
    }

    #[test]
    fn a_mean_over_fewer_seeds_says_so() {
        assert_eq!(fmt_mean_of(&[0.1, 0.2, 0.3], 3), "0.200");
        assert_eq!(
            fmt_mean_of(&[f64::NAN, 0.188, f64::NAN], 3),
            "0.188 (n = 1 of 3)"
        );
        assert_eq!(fmt_mean_of(&[f64::NAN], 3), "–");
    }
}
