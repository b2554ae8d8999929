//! Decoding-time matrix products straight from the GGUF file's quantised blocks.
//!
//! A decoding step multiplies a handful of rows (one per sequence of the batch) by every
//! weight matrix: the product is bound by the bytes of weight it reads, not by arithmetic.
//! The burn [`Linear`](burn::nn::Linear) layers hold the weights dequantised to `f32`
//! (4 bytes per weight, what training and long prefills want); [`QuantMatrix`] keeps the
//! same weights in blocks of 32 (Q4_1: 16 bytes of nibbles and two `f32`, 0.75 bytes per
//! weight; Q8_0: 1.125) and multiplies by decoding one row of blocks at a time (in
//! registers for a single input row, into a small `f32` buffer shared by several), on
//! every core (rayon) and with AVX2/FMA where the CPU has them. The
//! decoded weights are bit for bit those of [`crate::gguf::dequantize`]; only the order
//! of the additions differs from burn's product.
//!
//! Block layouts (ggml's `block_q4_0`, `block_q4_1`, `block_q8_0`): an f16 scale `d`
//! (Q4_1: then an f16 minimum `m`), then the quants; in the 4-bit types byte `i` holds
//! element `i` in its low nibble and element `i + 16` in its high one.
//!
//! The other GGUF block types are repacked at load into one of five in-memory layouts
//! (a [`Kind`]) of 32 weights a block, with the weight computed by the same `f32`
//! operations as ggml's `dequantize_row_*` (so still bit for bit):
//!
//! | file type | layout | weight |
//! |---|---|---|
//! | Q4_0 | nibbles | `(q - 8) * d` |
//! | Q4_1; Q4_K (each 32-weight sub-block, `d = d·sc`, `m = -(dmin·m)`) | nibbles + minimum | `q * d + m` |
//! | Q8_0; Q5_0 (`q - 16` stored) | signed bytes | `q * d` |
//! | Q5_1; Q5_K (sub-blocks as Q4_K) | unsigned bytes + minimum | `q * d + m` |
//! | Q6_K (`d·sc` per 16 weights, `q - 32` stored) | signed bytes, two scales | `q * d_half` |
//!
//! (`q * d + (-m1)` rounds as ggml's `d1 * q - m1` does: negation is exact.) A matrix
//! stacked from tensors of different types (llama-quantize's mixes give `attn_v` another
//! type than `attn_q`) keeps one part per type.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::gguf::{
    Gguf, QK_K, TensorType, f16_at, k_scale_min, q4_k_values, q5_k_values, q5_values, q6_k_values,
};

/// Weights per in-memory block.
const BLOCK: usize = 32;

/// Output rows per parallel task.
const ROWS_PER_TASK: usize = 32;

/// The in-memory block layouts [`QuantMatrix`] multiplies from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Nibbles, `(q - 8) * d` (Q4_0).
    Q4_0,
    /// Nibbles and a minimum, `q * d + m` (Q4_1, Q4_K).
    Q4_1,
    /// Signed bytes, `q * d` (Q8_0, Q5_0).
    Q8_0,
    /// Unsigned bytes and a minimum, `q * d + m` (Q5_1, Q5_K).
    U8Min,
    /// Signed bytes with one scale per 16 weights, `q * d[i / 16]` (Q6_K).
    I8Half,
}

impl Kind {
    fn of(ty: TensorType) -> Option<Kind> {
        match ty {
            TensorType::Q4_0 => Some(Kind::Q4_0),
            TensorType::Q4_1 | TensorType::Q4_K => Some(Kind::Q4_1),
            TensorType::Q8_0 | TensorType::Q5_0 => Some(Kind::Q8_0),
            TensorType::Q5_1 | TensorType::Q5_K => Some(Kind::U8Min),
            TensorType::Q6_K => Some(Kind::I8Half),
            TensorType::F32 | TensorType::F16 | TensorType::BF16 => None,
        }
    }

    /// Bytes of quants per block.
    fn quant_bytes(self) -> usize {
        match self {
            Kind::Q4_0 | Kind::Q4_1 => 16,
            Kind::Q8_0 | Kind::U8Min | Kind::I8Half => 32,
        }
    }

    /// Scales per block.
    fn scales(self) -> usize {
        if self == Kind::I8Half { 2 } else { 1 }
    }

    /// Whether blocks carry a minimum.
    fn has_min(self) -> bool {
        matches!(self, Kind::Q4_1 | Kind::U8Min)
    }
}

/// Consecutive rows of one [`Kind`].
#[derive(Debug, Clone)]
struct Part {
    kind: Kind,
    rows: usize,
    /// Per block, its scale(s) `d` as `f32`.
    scales: Vec<f32>,
    /// Per block, its minimum `m` (kinds with a minimum only; empty otherwise).
    mins: Vec<f32>,
    /// Per block, its quants (16 bytes of nibbles or 32 bytes).
    quants: Vec<u8>,
}

impl Part {
    fn new(kind: Kind) -> Self {
        Part {
            kind,
            rows: 0,
            scales: Vec::new(),
            mins: Vec::new(),
            quants: Vec::new(),
        }
    }

    /// Appends row `row` of `src` (of the same kind), `per_row` blocks long.
    fn push_row(&mut self, src: &Part, row: usize, per_row: usize) {
        let (s, q) = (self.kind.scales(), self.kind.quant_bytes());
        self.scales
            .extend_from_slice(&src.scales[row * per_row * s..(row + 1) * per_row * s]);
        if self.kind.has_min() {
            self.mins
                .extend_from_slice(&src.mins[row * per_row..(row + 1) * per_row]);
        }
        self.quants
            .extend_from_slice(&src.quants[row * per_row * q..(row + 1) * per_row * q]);
        self.rows += 1;
    }

    /// Block `b` dequantised: the values of [`crate::gguf::dequantize`], bit for bit.
    /// Fixed-size arrays throughout: no bounds checks in the loops, which the compiler
    /// then turns into vector instructions.
    #[inline(always)]
    fn decode_block(&self, b: usize) -> [f32; BLOCK] {
        let qb = self.kind.quant_bytes();
        let qs = &self.quants[b * qb..(b + 1) * qb];
        // Quants to integers first, then one multiply(-add) per weight.
        let mut q = [0i32; BLOCK];
        let mut w = [0f32; BLOCK];
        match self.kind {
            Kind::Q4_0 | Kind::Q4_1 => {
                let d = self.scales[b];
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
                let d = self.scales[b];
                let qs: &[u8; BLOCK] = qs.try_into().expect("32 bytes of 8-bit quants");
                for i in 0..BLOCK {
                    q[i] = i32::from(qs[i] as i8);
                }
                for i in 0..BLOCK {
                    w[i] = q[i] as f32 * d;
                }
            }
            Kind::U8Min => {
                let (d, m) = (self.scales[b], self.mins[b]);
                let qs: &[u8; BLOCK] = qs.try_into().expect("32 bytes of 8-bit quants");
                for i in 0..BLOCK {
                    q[i] = i32::from(qs[i]);
                }
                for i in 0..BLOCK {
                    w[i] = q[i] as f32 * d + m;
                }
            }
            Kind::I8Half => {
                let (d0, d1) = (self.scales[2 * b], self.scales[2 * b + 1]);
                let qs: &[u8; BLOCK] = qs.try_into().expect("32 bytes of 8-bit quants");
                for i in 0..BLOCK {
                    q[i] = i32::from(qs[i] as i8);
                }
                for i in 0..16 {
                    w[i] = q[i] as f32 * d0;
                    w[i + 16] = q[i + 16] as f32 * d1;
                }
            }
        }
        w
    }
}

/// A `[rows, cols]` weight matrix (rows = output features) in blocks of 32 along `cols`.
#[derive(Debug, Clone)]
pub struct QuantMatrix {
    rows: usize,
    cols: usize,
    /// The rows, in order, by layout (one part unless stacked from several types).
    parts: Vec<Part>,
}

impl QuantMatrix {
    /// The GGUF tensor `name` of `rows` × `cols` (GGUF dims `[cols, rows]`), or `None`
    /// when its type is not quantised (F32, F16, BF16: the caller then keeps the `f32`
    /// path).
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
        let block_len = info.ty.block().0 as usize;
        if info.dims != [cols as u64, rows as u64] || !cols.is_multiple_of(block_len) {
            return Err(Error::weights(
                gguf.path(),
                format!(
                    "tensor `{name}` ({:?}, type id {}) has dims {:?}, expected [{cols}, {rows}] \
                     in blocks of {block_len}",
                    info.ty,
                    info.ty.id(),
                    info.dims
                ),
            ));
        }
        let expected = rows
            .checked_mul(cols)
            .map(|n| n / block_len * info.ty.block().1 as usize);
        if Some(bytes.len()) != expected {
            return Err(Error::weights(
                gguf.path(),
                format!(
                    "tensor `{name}` ({:?}, type id {}) holds {} bytes, expected {expected:?}",
                    info.ty,
                    info.ty.id(),
                    bytes.len()
                ),
            ));
        }
        Ok(Self::from_blocks(info.ty, rows, cols, bytes))
    }

    /// The matrix in `bytes`, whole blocks of `ty` (checked by the caller), or `None` when
    /// `ty` is not quantised.
    fn from_blocks(ty: TensorType, rows: usize, cols: usize, bytes: &[u8]) -> Option<Self> {
        let kind = Kind::of(ty)?;
        let block_bytes = ty.block().1 as usize;
        let blocks = rows * cols / BLOCK;
        let mut p = Part {
            kind,
            rows,
            scales: Vec::with_capacity(blocks * kind.scales()),
            mins: Vec::with_capacity(if kind.has_min() { blocks } else { 0 }),
            quants: Vec::with_capacity(blocks * kind.quant_bytes()),
        };
        for b in bytes.chunks_exact(block_bytes) {
            match ty {
                TensorType::Q4_0 | TensorType::Q8_0 => {
                    p.scales.push(f16_at(b, 0));
                    p.quants.extend_from_slice(&b[2..]);
                }
                TensorType::Q4_1 => {
                    p.scales.push(f16_at(b, 0));
                    p.mins.push(f16_at(b, 2));
                    p.quants.extend_from_slice(&b[4..]);
                }
                TensorType::Q5_0 => {
                    p.scales.push(f16_at(b, 0));
                    p.quants
                        .extend(q5_values(&b[2..]).iter().map(|&q| (q as i8 - 16) as u8));
                }
                TensorType::Q5_1 => {
                    p.scales.push(f16_at(b, 0));
                    p.mins.push(f16_at(b, 2));
                    p.quants.extend_from_slice(&q5_values(&b[4..]));
                }
                TensorType::Q4_K | TensorType::Q5_K => {
                    let (d, dmin) = (f16_at(b, 0), f16_at(b, 2));
                    let scales: &[u8; 12] = b[4..16].try_into().expect("12 bytes");
                    let q = if ty == TensorType::Q4_K {
                        q4_k_values(&b[16..])
                    } else {
                        q5_k_values(&b[16..])
                    };
                    for (j, sub) in q.chunks_exact(BLOCK).enumerate() {
                        let (sc, m) = k_scale_min(j, scales);
                        p.scales.push(d * f32::from(sc));
                        p.mins.push(-(dmin * f32::from(m)));
                        if ty == TensorType::Q4_K {
                            // Repacked as Q4_1: byte i holds weights i and i + 16.
                            p.quants
                                .extend((0..16).map(|i| sub[i] | (sub[i + 16] << 4)));
                        } else {
                            p.quants.extend_from_slice(sub);
                        }
                    }
                }
                TensorType::Q6_K => {
                    let d = f16_at(b, 208);
                    p.scales
                        .extend(b[192..208].iter().map(|&sc| d * f32::from(sc as i8)));
                    p.quants
                        .extend(q6_k_values(&b[..208]).iter().map(|&q| q as u8));
                }
                TensorType::F32 | TensorType::F16 | TensorType::BF16 => return None,
            }
        }
        debug_assert_eq!(QK_K % BLOCK, 0);
        Some(QuantMatrix {
            rows,
            cols,
            parts: vec![p],
        })
    }

    /// Output features.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Input features.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The part holding row `row` and the row's index within it.
    #[inline(always)]
    fn locate(&self, mut row: usize) -> (&Part, usize) {
        for p in &self.parts {
            if row < p.rows {
                return (p, row);
            }
            row -= p.rows;
        }
        panic!("QuantMatrix: row past the end");
    }

    /// Appends `src`'s row `row` to `parts`, in the last part when it has the same kind.
    fn push_row(parts: &mut Vec<Part>, src: &Part, row: usize, per_row: usize) {
        if parts.last().is_none_or(|p| p.kind != src.kind) {
            parts.push(Part::new(src.kind));
        }
        let last = parts.last_mut().expect("just pushed");
        last.push_row(src, row, per_row);
    }

    /// Reorders the rows: row `i` of the result is row `order[i]` of `self`.
    pub(crate) fn reorder_rows(self, order: &[usize]) -> Self {
        let per_row = self.cols / BLOCK;
        let mut parts = Vec::new();
        for &r in order {
            let (part, local) = self.locate(r);
            Self::push_row(&mut parts, part, local, per_row);
        }
        QuantMatrix {
            rows: order.len(),
            parts,
            ..self
        }
    }

    /// The matrices' rows one after another (`None` unless all share the number of
    /// columns); matrices of different block types stay separate parts.
    pub(crate) fn stack(parts: Vec<QuantMatrix>) -> Option<QuantMatrix> {
        let cols = parts.first()?.cols;
        if parts.iter().any(|p| p.cols != cols) {
            return None;
        }
        let mut out = QuantMatrix {
            rows: 0,
            cols,
            parts: Vec::new(),
        };
        for m in parts {
            out.rows += m.rows;
            for p in m.parts {
                match out.parts.last_mut() {
                    Some(last) if last.kind == p.kind => {
                        last.rows += p.rows;
                        last.scales.extend(p.scales);
                        last.mins.extend(p.mins);
                        last.quants.extend(p.quants);
                    }
                    _ => out.parts.push(p),
                }
            }
        }
        Some(out)
    }

    /// The block types (layouts) of the parts, in order, for tests.
    #[cfg(test)]
    fn kinds(&self) -> Vec<Kind> {
        self.parts.iter().map(|p| p.kind).collect()
    }

    /// Row `row` dequantised into `out` (`cols` long).
    #[inline(always)]
    fn decode_row(&self, row: usize, out: &mut [f32]) {
        let per_row = self.cols / BLOCK;
        let (part, row) = self.locate(row);
        for (j, w) in out.chunks_exact_mut(BLOCK).enumerate() {
            w.copy_from_slice(&part.decode_block(row * per_row + j));
        }
    }

    /// [`dot`] of row `row` with `x`, decoding block by block in registers: the same
    /// arithmetic as `dot` over [`QuantMatrix::decode_row`], without the round trip
    /// through memory.
    #[inline(always)]
    fn row_dot<const FMA: bool>(&self, row: usize, x: &[f32]) -> f32 {
        let per_row = self.cols / BLOCK;
        let (part, row) = self.locate(row);
        let mut acc = [0f32; BLOCK];
        for (j, cx) in x.chunks_exact(BLOCK).enumerate() {
            let cx: &[f32; BLOCK] = cx.try_into().expect("a whole block");
            let w = part.decode_block(row * per_row + j);
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

    /// Every quantised type.
    const ALL: [TensorType; 8] = [
        TensorType::Q4_0,
        TensorType::Q4_1,
        TensorType::Q5_0,
        TensorType::Q5_1,
        TensorType::Q8_0,
        TensorType::Q4_K,
        TensorType::Q5_K,
        TensorType::Q6_K,
    ];

    /// Blocks of `ty` with varied scales, minima and quants (deterministic): every byte
    /// pseudo-random, then the f16 fields set to finite values (a scale around 0.06, a
    /// negative minimum).
    fn blocks(ty: TensorType, n: usize) -> Vec<u8> {
        let block_bytes = ty.block().1 as usize;
        let f16 = |v: u16| v.to_le_bytes();
        let (scale_at, min_at) = match ty {
            TensorType::Q6_K => (208, None),
            TensorType::Q4_0 | TensorType::Q5_0 | TensorType::Q8_0 => (0, None),
            _ => (0, Some(2)),
        };
        let mut out = Vec::new();
        for b in 0..n {
            let mut block: Vec<u8> = (0..block_bytes)
                .map(|i| ((b * 131 + i * 29 + (i * i) % 7) % 256) as u8)
                .collect();
            block[scale_at..scale_at + 2].copy_from_slice(&f16(0x2c00 + (b as u16 * 37) % 512));
            if let Some(at) = min_at {
                block[at..at + 2].copy_from_slice(&f16(0xb800 + (b as u16 * 11) % 256));
            }
            out.extend(block);
        }
        out
    }

    fn matrix(ty: TensorType, rows: usize, cols: usize) -> (QuantMatrix, Vec<f32>) {
        let block_len = ty.block().0 as usize;
        let raw = blocks(ty, rows * cols / block_len);
        let m = QuantMatrix::from_blocks(ty, rows, cols, &raw).unwrap();
        (m, dequantize(ty, &raw))
    }

    #[test]
    fn decoded_rows_equal_the_dequantised_tensor_bit_for_bit() {
        for ty in ALL {
            let (m, dense) = matrix(ty, 5, 512);
            assert_eq!(dense.len(), 5 * 512, "{ty:?}");
            assert!(dense.iter().all(|v| v.is_finite()), "{ty:?}");
            let mut row = vec![0f32; 512];
            for r in 0..5 {
                m.decode_row(r, &mut row);
                let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                assert_eq!(
                    bits(&row),
                    bits(&dense[r * 512..(r + 1) * 512]),
                    "{ty:?} row {r}"
                );
            }
        }
    }

    #[test]
    fn real_k_quant_blocks_decode_to_ggmls_values() {
        // Blocks of SmolLM2 requantised by llama-quantize, with ggml's dequantisation
        // (see tests/gguf_kquants.rs): the repacked in-memory layouts give the same bits.
        let golden: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/golden/kquant_blocks.json")).unwrap();
        let hex = |s: &str| -> Vec<u8> {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect()
        };
        let mut seen = Vec::new();
        for t in golden["types"].as_array().unwrap() {
            let ty = TensorType::from_id(t["type_id"].as_u64().unwrap() as u32).unwrap();
            let raw = hex(t["raw_hex"].as_str().unwrap());
            let want: Vec<u32> = hex(t["values_f32_le_hex"].as_str().unwrap())
                .chunks_exact(4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            let (block_len, block_bytes) = ty.block();
            let cols = raw.len() / block_bytes as usize * block_len as usize;
            let m = QuantMatrix::from_blocks(ty, 1, cols, &raw).unwrap();
            let mut row = vec![0f32; cols];
            m.decode_row(0, &mut row);
            let got: Vec<u32> = row.iter().map(|v| v.to_bits()).collect();
            assert_eq!(got, want, "{ty:?}");
            seen.push(ty);
        }
        assert_eq!(seen.len(), 5);
    }

    #[test]
    fn product_matches_a_float64_product_of_the_dequantised_weights() {
        for ty in ALL {
            // 70 rows: two full tasks and a partial one.
            let (rows, cols, m) = (70, 256, 3);
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
        // Mixed block types stack into one matrix of several parts (a Q4_K_M file's
        // attn_q, attn_k and attn_v need not share a type); reordering crosses parts.
        let (q5, dense_q5) = matrix(TensorType::Q5_0, 2, 256);
        let (q6, dense_q6) = matrix(TensorType::Q6_K, 3, 256);
        let (q4k, dense_q4k) = matrix(TensorType::Q4_K, 1, 256);
        let mixed = QuantMatrix::stack(vec![q5, q6, q4k]).unwrap();
        assert_eq!(mixed.kinds(), [Kind::Q8_0, Kind::I8Half, Kind::Q4_1]);
        let dense: Vec<f32> = [dense_q5, dense_q6, dense_q4k].concat();
        let order = [5, 0, 3, 1, 4, 2];
        let reordered = mixed.reorder_rows(&order);
        assert_eq!(reordered.rows(), 6);
        let mut row = vec![0f32; 256];
        for (i, &r) in order.iter().enumerate() {
            reordered.decode_row(i, &mut row);
            assert_eq!(row, dense[r * 256..(r + 1) * 256], "row {i}");
        }
        let (narrow, _) = matrix(TensorType::Q8_0, 2, 64);
        let (wide, _) = matrix(TensorType::Q8_0, 2, 128);
        assert!(
            QuantMatrix::stack(vec![narrow, wide]).is_none(),
            "different widths"
        );
    }
}
