//! Holm–Bonferroni step-down correction for multiple comparisons.

/// Holm-adjusted p-values, in the input order: sorted ascending, the `i`-th (0-based)
/// becomes `max_{j <= i} min(1, (m - j) p_(j))`. Reject where the adjusted value is
/// below the family-wise level.
pub fn holm_bonferroni(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut adjusted = vec![0.0; m];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p_values[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holm_by_hand() {
        // sorted 0.01, 0.02, 0.04, 0.3 -> 4*.01=.04, 3*.02=.06, 2*.04=.08, 1*.3=.3
        let adj = holm_bonferroni(&[0.04, 0.01, 0.3, 0.02]);
        let want = [0.08, 0.04, 0.3, 0.06];
        for (a, w) in adj.iter().zip(want) {
            assert!((a - w).abs() < 1e-12, "{adj:?}");
        }
        // monotone: a smaller raw p with a large multiplier is lifted to the running max
        let adj = holm_bonferroni(&[0.02, 0.011]);
        assert_eq!(adj, vec![0.022, 0.022]);
        assert_eq!(holm_bonferroni(&[0.9, 0.8]), vec![1.0, 1.0]);
    }
}
