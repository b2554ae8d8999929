//! Ranks with ties averaged (scipy's `rankdata(method="average")`).

/// 1-based ranks of `values`, ties sharing the mean of their ranks. NaN sorts last.
pub fn average_ranks(values: &[f64]) -> Vec<f64> {
    tied_ranks(values).0
}

/// Average ranks and the sizes of the tie groups (every group, including size 1).
pub(crate) fn tied_ranks(values: &[f64]) -> (Vec<f64>, Vec<usize>) {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut ties = Vec::new();
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        while j < order.len() && values[order[j]] == values[order[i]] {
            j += 1;
        }
        // positions i..j (0-based) share rank mean((i+1)..=j)
        let rank = (i + 1 + j) as f64 / 2.0;
        for &o in &order[i..j] {
            ranks[o] = rank;
        }
        ties.push(j - i);
        i = j;
    }
    (ranks, ties)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_the_mean_rank() {
        let (r, t) = tied_ranks(&[3.0, 1.0, 3.0, 2.0, 3.0]);
        assert_eq!(r, vec![4.0, 1.0, 4.0, 2.0, 4.0]);
        assert_eq!(t, vec![1, 1, 3]);
    }
}
