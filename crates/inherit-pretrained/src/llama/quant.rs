//! Decoding-time matrix products straight from the GGUF file's quantised blocks.
//!
//! A decoding step multiplies a handful of rows (one per sequence of the batch) by every
//! weight matrix: the product is bound by the bytes of weight it reads, not by arithmetic.
//! The burn [`Linear`](burn::nn::Linear) layers hold the weights dequantised to `f32`
//! (4 bytes per weight, what training and long prefills want); [`QuantMatrix`] keeps the
//! same weights in their ggml blocks (Q4_1: 20 bytes per 32 weights, 0.625 bytes per
//! weight; Q8_0: 1.06) and multiplies by decoding one row of blocks at a time (in
//! registers for a single input row, into a small `f32` buffer shared by several), on
//! every core (rayon) and with AVX2/FMA where the CPU has them. The
//! decoded weights are bit for bit those of [`crate::gguf::dequantize`]; only the order
//! of the additions differs from burn's product.
//!
//! Block layouts (ggml's `block_q4_0`, `block_q4_1`, `block_q8_0`): an f16 scale `d`
//! (Q4_1: then an f16 minimum `m`), then the quants; in the 4-bit types byte `i` holds
//! element `i` in its low nibble and element `i + 16` in its high one.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::gguf::{Gguf, TensorType, f16_to_f32};

/// Weights per ggml block.
const BLOCK: usize = 32;

/// Output rows per parallel task.
const ROWS_PER_TASK: usize = 32;

/// The block types [`QuantMatrix`] multiplies directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `(q - 8) * d`.
    Q4_0,
    /// `q * d + m`.
    Q4_1,
    /// `q * d`, `q` signed.
    Q8_0,
}

impl Kind {
    fn of(ty: TensorType) -> Option<Kind> {
        match ty {
            TensorType::Q4_0 => Some(Kind::Q4_0),
            TensorType::Q4_1 => Some(Kind::Q4_1),
            TensorType::Q8_0 => Some(Kind::Q8_0),
            _ => None,
        }
    }

    /// Bytes of quants per block (after the f16 scale and, for Q4_1, the f16 minimum).
    fn quant_bytes(self) -> usize {
        match self {
            Kind::Q4_0 | Kind::Q4_1 => 16,
            Kind::Q8_0 => 32,
        }
    }
}

/// A `[rows, cols]` weight matrix (rows = output features) in ggml blocks along `cols`.
#[derive(Debug, Clone)]
pub struct QuantMatrix {
    kind: Kind,
    rows: usize,
    cols: usize,
    /// Per block, its scale `d` as `f32`.
    scales: Vec<f32>,
    /// Per block, its minimum `m` (Q4_1 only; empty otherwise).
    mins: Vec<f32>,
    /// Per block, its quants (16 bytes for the 4-bit types, 32 for Q8_0).
    quants: Vec<u8>,
}

impl QuantMatrix {
    /// The GGUF tensor `name` of `rows` × `cols` (GGUF dims `[cols, rows]`), or `None`
    /// when its type is not one of Q4_0, Q4_1, Q8_0 (the caller then keeps the `f32` path).
    pub(crate) fn from_gguf(
        gguf: &Gguf,
        name: &str,
        cols: usize,
        rows: usize,
    ) -> Result<Option<Self>> {
        let (info, bytes) = gguf.raw(name)?;
        if Kind::of(info.ty).is_none() {
            return Ok(None);
        }
        if info.dims != [cols as u64, rows as u64] || !cols.is_multiple_of(BLOCK) {
            return Err(Error::weights(
                gguf.path(),
                format!(
                    "tensor `{name}` has dims {:?}, expected [{cols}, {rows}] in blocks of {BLOCK}",
                    info.dims
                ),
            ));
        }
        let expected = rows * cols / BLOCK * info.ty.block().1 as usize;
        if bytes.len() != expected {
            return Err(Error::weights(
                gguf.path(),
                format!(
                    "tensor `{name}` holds {} bytes, expected {expected}",
                    bytes.len()
                ),
            ));
        }
        Ok(Self::from_blocks(info.ty, rows, cols, bytes))
    }

    /// The matrix in `bytes`, whole blocks of `ty` (checked by the caller), or `None` when
    /// `ty` is not one of Q4_0, Q4_1, Q8_0.
    fn from_blocks(ty: TensorType, rows: usize, cols: usize, bytes: &[u8]) -> Option<Self> {
        let kind = Kind::of(ty)?;
        let block_bytes = ty.block().1 as usize;
        let quant_bytes = kind.quant_bytes();
        let blocks = bytes.len() / block_bytes;
        let f16_at = |b: &[u8], i: usize| f16_to_f32(u16::from_le_bytes([b[i], b[i + 1]]));
        let mut m = QuantMatrix {
            kind,
            rows,
            cols,
            scales: Vec::with_capacity(blocks),
            mins: Vec::with_capacity(if kind == Kind::Q4_1 { blocks } else { 0 }),
            quants: Vec::with_capacity(blocks * quant_bytes),
        };
        for b in bytes.chunks_exact(block_bytes) {
            m.scales.push(f16_at(b, 0));
            if kind == Kind::Q4_1 {
                m.mins.push(f16_at(b, 2));
            }
            m.quants.extend_from_slice(&b[block_bytes - quant_bytes..]);
        }
        Some(m)
    }

    /// Output features.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Input features.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Reorders the rows: row `i` of the result is row `order[i]` of `self`.
    pub(crate) fn reorder_rows(self, order: &[usize]) -> Self {
        let per_row = self.cols / BLOCK;
        let gather = |v: &[f32]| -> Vec<f32> {
            order
                .iter()
                .flat_map(|&r| &v[r * per_row..(r + 1) * per_row])
                .copied()
                .collect()
        };
        let qb = per_row * self.kind.quant_bytes();
        QuantMatrix {
            scales: gather(&self.scales),
            mins: if self.mins.is_empty() {
                Vec::new()
            } else {
                gather(&self.mins)
            },
            quants: order
                .iter()
                .flat_map(|&r| &self.quants[r * qb..(r + 1) * qb])
                .copied()
                .collect(),
            ..self
        }
    }

    /// The matrices' rows one after another (`None` unless all share the block type and
    /// the number of columns).
    pub(crate) fn stack(parts: Vec<QuantMatrix>) -> Option<QuantMatrix> {
        let first = parts.first()?;
        let (kind, cols) = (first.kind, first.cols);
        if parts.iter().any(|p| p.kind != kind || p.cols != cols) {
            return None;
        }
        let mut out = QuantMatrix {
            kind,
            rows: 0,
            cols,
            scales: Vec::new(),
            mins: Vec::new(),
            quants: Vec::new(),
        };
        for p in parts {
            out.rows += p.rows;
            out.scales.extend(p.scales);
            out.mins.extend(p.mins);
            out.quants.extend(p.quants);
        }
        Some(out)
    }

    /// Block `b` dequantised: the values of [`crate::gguf::dequantize`], bit for bit.
    /// Fixed-size arrays throughout: no bounds checks in the loops, which the compiler
    /// then turns into vector instructions.
    #[inline(always)]
    fn decode_block(&self, b: usize) -> [f32; BLOCK] {
        let d = self.scales[b];
        let qb = self.kind.quant_bytes();
        let qs = &self.quants[b * qb..(b + 1) * qb];
        // Quants to integers first, then one multiply(-add) per weight.
        let mut q = [0i32; BLOCK];
        let mut w = [0f32; BLOCK];
        match self.kind {
            Kind::Q4_0 | Kind::Q4_1 => {
                let qs: &[u8; 16] = qs.try_into().expect("16 bytes of 4-bit quants");
                for i in 0..16 {
                    q[i] = i32::from(qs[i] & 0x0f);
                    q[i + 16] = i32::from(qs[i] >> 4);
                }
                if self.kind == Kind::Q4_1 {
                    let m = self.mins[b];
                    for i in 0..BLOCK {
                        w[i] = q[i] as f32 * d + m;
                    }
                } else {
                    for i in 0..BLOCK {
                        w[i] = (q[i] as f32 - 8.0) * d;
                    }
                }
            }
            Kind::Q8_0 => {
                let qs: &[u8; BLOCK] = qs.try_into().expect("32 bytes of 8-bit quants");
                for i in 0..BLOCK {
                    q[i] = i32::from(qs[i] as i8);
                }
                for i in 0..BLOCK {
                    w[i] = q[i] as f32 * d;
                }
            }
        }
        w
    }

    /// Row `row` dequantised into `out` (`cols` long).
    #[inline(always)]
    fn decode_row(&self, row: usize, out: &mut [f32]) {
        let per_row = self.cols / BLOCK;
        for (j, w) in out.chunks_exact_mut(BLOCK).enumerate() {
            w.copy_from_slice(&self.decode_block(row * per_row + j));
        }
    }

    /// [`dot`] of row `row` with `x`, decoding block by block in registers: the same
    /// arithmetic as `dot` over [`QuantMatrix::decode_row`], without the round trip
    /// through memory.
    #[inline(always)]
    fn row_dot<const FMA: bool>(&self, row: usize, x: &[f32]) -> f32 {
        let per_row = self.cols / BLOCK;
        let mut acc = [0f32; BLOCK];
        for (j, cx) in x.chunks_exact(BLOCK).enumerate() {
            let cx: &[f32; BLOCK] = cx.try_into().expect("a whole block");
            let w = self.decode_block(row * per_row + j);
            for l in 0..BLOCK {
                acc[l] = fma::<FMA>(w[l], cx[l], acc[l]);
            }
        }
        acc.iter().sum()
    }

    /// `x · selfᵀ` for `x` of `m` rows of `cols` (row-major): `m` rows of `rows` outputs.
    pub(crate) fn matmul(&self, x: &[f32], m: usize) -> Vec<f32> {
        assert_eq!(x.len(), m * self.cols, "QuantMatrix::matmul: input size");
        self.matmul_on(x, m, simd_available())
    }

    /// [`QuantMatrix::matmul`], with the AVX2/FMA kernel when `simd` (which the caller
    /// has checked the CPU for) or the portable one.
    fn matmul_on(&self, x: &[f32], m: usize, simd: bool) -> Vec<f32> {
        // Outputs transposed (`[rows, m]`) so that each task owns a contiguous slice.
        let mut out_t = vec![0f32; self.rows * m];
        out_t
            .par_chunks_mut(ROWS_PER_TASK * m)
            .enumerate()
            .for_each_init(
                || vec![0f32; self.cols],
                |w, (task, out)| {
                    let first = task * ROWS_PER_TASK;
                    #[cfg(target_arch = "x86_64")]
                    if simd {
                        // SAFETY: `simd` is true only where the CPU has AVX2 and FMA
                        // (`simd_available`); the function itself is safe Rust.
                        #[allow(unsafe_code)]
                        unsafe {
                            self.rows_avx2(first, out, w, x, m)
                        };
                        return;
                    }
                    let _ = simd;
                    self.rows_with::<false>(first, out, w, x, m);
                },
            );
        let mut out = vec![0f32; self.rows * m];
        for (n, row) in out_t.chunks_exact(m).enumerate() {
            for (r, &v) in row.iter().enumerate() {
                out[r * self.rows + n] = v;
            }
        }
        out
    }

    /// [`QuantMatrix::rows_with`] compiled for AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn rows_avx2(&self, first: usize, out: &mut [f32], w: &mut [f32], x: &[f32], m: usize) {
        self.rows_with::<true>(first, out, w, x, m);
    }

    /// Output rows `first..` into `out` (`[rows, m]`), decoding each weight row into `w`
    /// once for all `m` inputs; fused multiply-adds when `FMA` (only where the CPU has
    /// them: the software fallback of `mul_add` is slow).
    #[inline(always)]
    fn rows_with<const FMA: bool>(
        &self,
        first: usize,
        out: &mut [f32],
        w: &mut [f32],
        x: &[f32],
        m: usize,
    ) {
        if m == 1 {
            for (j, o) in out.iter_mut().enumerate() {
                *o = self.row_dot::<FMA>(first + j, x);
            }
            return;
        }
        let input = |r: usize| &x[r * self.cols..(r + 1) * self.cols];
        for (j, o) in out.chunks_exact_mut(m).enumerate() {
            self.decode_row(first + j, w);
            // Two inputs per pass over the decoded row (one load of it for two products);
            // `dot2` computes each product as `dot` does, so a sequence's outputs do not
            // depend on the batch it runs in.
            let mut r = 0;
            while r + 2 <= m {
                (o[r], o[r + 1]) = dot2::<FMA>(w, input(r), input(r + 1));
                r += 2;
            }
            if r < m {
                o[r] = dot::<FMA>(w, input(r));
            }
        }
    }
}

/// Whether this CPU runs the AVX2/FMA kernel.
fn simd_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `w[i] * x[i] + acc`, fused where `FMA`.
#[inline(always)]
fn fma<const FMA: bool>(w: f32, x: f32, acc: f32) -> f32 {
    if FMA { w.mul_add(x, acc) } else { acc + w * x }
}

/// `Σ w[i] x[i]` over slices whose length is a multiple of 32, in 32 independent lanes
/// (which the compiler keeps in vector registers).
#[inline(always)]
fn dot<const FMA: bool>(w: &[f32], x: &[f32]) -> f32 {
    let mut acc = [0f32; BLOCK];
    for (cw, cx) in w.chunks_exact(BLOCK).zip(x.chunks_exact(BLOCK)) {
        let cw: &[f32; BLOCK] = cw.try_into().expect("a whole block");
        let cx: &[f32; BLOCK] = cx.try_into().expect("a whole block");
        for l in 0..BLOCK {
            acc[l] = fma::<FMA>(cw[l], cx[l], acc[l]);
        }
    }
    acc.iter().sum()
}

/// [`dot`] of `w` with two inputs in one pass over `w`; each sum is computed exactly as
/// [`dot`] computes it.
#[inline(always)]
fn dot2<const FMA: bool>(w: &[f32], x0: &[f32], x1: &[f32]) -> (f32, f32) {
    let (mut a0, mut a1) = ([0f32; BLOCK], [0f32; BLOCK]);
    for ((cw, c0), c1) in w
        .chunks_exact(BLOCK)
        .zip(x0.chunks_exact(BLOCK))
        .zip(x1.chunks_exact(BLOCK))
    {
        let cw: &[f32; BLOCK] = cw.try_into().expect("a whole block");
        let c0: &[f32; BLOCK] = c0.try_into().expect("a whole block");
        let c1: &[f32; BLOCK] = c1.try_into().expect("a whole block");
        for l in 0..BLOCK {
            a0[l] = fma::<FMA>(cw[l], c0[l], a0[l]);
            a1[l] = fma::<FMA>(cw[l], c1[l], a1[l]);
        }
    }
    (a0.iter().sum(), a1.iter().sum())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gguf::dequantize;

    /// Blocks of `ty` with varied scales, minima and quants (deterministic).
    fn blocks(ty: TensorType, n: usize) -> Vec<u8> {
        let block_bytes = ty.block().1 as usize;
        let quant_bytes = Kind::of(ty).unwrap().quant_bytes();
        let f16 = |v: u16| v.to_le_bytes();
        let mut out = Vec::new();
        for b in 0..n {
            let mut block = vec![0u8; block_bytes];
            // f16 0x2c00 = 0.0625; vary the mantissa per block. Minimum: negative.
            block[..2].copy_from_slice(&f16(0x2c00 + (b as u16 * 37) % 512));
            if ty == TensorType::Q4_1 {
                block[2..4].copy_from_slice(&f16(0xb800 + (b as u16 * 11) % 256));
            }
            for (i, q) in block[block_bytes - quant_bytes..].iter_mut().enumerate() {
                *q = ((b * 131 + i * 29) % 256) as u8;
            }
            out.extend(block);
        }
        out
    }

    fn matrix(ty: TensorType, rows: usize, cols: usize) -> (QuantMatrix, Vec<f32>) {
        let raw = blocks(ty, rows * cols / BLOCK);
        let m = QuantMatrix::from_blocks(ty, rows, cols, &raw).unwrap();
        (m, dequantize(ty, &raw))
    }

    #[test]
    fn decoded_rows_equal_the_dequantised_tensor_bit_for_bit() {
        for ty in [TensorType::Q4_0, TensorType::Q4_1, TensorType::Q8_0] {
            let (m, dense) = matrix(ty, 5, 96);
            let mut row = vec![0f32; 96];
            for r in 0..5 {
                m.decode_row(r, &mut row);
                assert_eq!(row, dense[r * 96..(r + 1) * 96], "{ty:?} row {r}");
            }
        }
    }

    #[test]
    fn product_matches_a_float64_product_of_the_dequantised_weights() {
        for ty in [TensorType::Q4_0, TensorType::Q4_1, TensorType::Q8_0] {
            // 70 rows: two full tasks and a partial one.
            let (rows, cols, m) = (70, 128, 3);
            let (q, dense) = matrix(ty, rows, cols);
            let x: Vec<f32> = (0..m * cols)
                .map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0)
                .collect();
            let y = q.matmul(&x, m);
            let y_plain = q.matmul_on(&x, m, false);
            // A row's outputs do not depend on the rows beside it (one row alone takes
            // the fused decode-and-dot path, three take the decoded-row one).
            for r in 0..m {
                let alone = q.matmul(&x[r * cols..(r + 1) * cols], 1);
                let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                assert_eq!(
                    bits(&alone),
                    bits(&y[r * rows..(r + 1) * rows]),
                    "{ty:?} row {r}"
                );
            }
            for r in 0..m {
                for n in 0..rows {
                    let want: f64 = (0..cols)
                        .map(|k| f64::from(x[r * cols + k]) * f64::from(dense[n * cols + k]))
                        .sum();
                    for got in [y[r * rows + n], y_plain[r * rows + n]] {
                        assert!(
                            (f64::from(got) - want).abs() <= 1e-4 * (1.0 + want.abs()),
                            "{ty:?} [{r}, {n}]: {got} vs {want}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn reordered_and_stacked_rows_are_the_rows_asked_for() {
        let (a, dense_a) = matrix(TensorType::Q4_1, 4, 64);
        let (b, dense_b) = matrix(TensorType::Q4_1, 2, 64);
        let stacked = QuantMatrix::stack(vec![a.reorder_rows(&[2, 0, 3, 1]), b]).unwrap();
        assert_eq!(stacked.rows(), 6);
        let mut row = vec![0f32; 64];
        for (i, want) in [
            &dense_a[128..192],
            &dense_a[0..64],
            &dense_a[192..256],
            &dense_a[64..128],
            &dense_b[0..64],
            &dense_b[64..128],
        ]
        .into_iter()
        .enumerate()
        {
            stacked.decode_row(i, &mut row);
            assert_eq!(row, want, "row {i}");
        }
        let (q8, _) = matrix(TensorType::Q8_0, 2, 64);
        let (q4, _) = matrix(TensorType::Q4_1, 2, 64);
        assert!(
            QuantMatrix::stack(vec![q8, q4]).is_none(),
            "mixed block types"
        );
    }
}
