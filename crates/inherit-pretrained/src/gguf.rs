//! A reader for GGUF v2/v3 files (llama.cpp's weight format): header, metadata of every value
//! type, tensor infos, alignment, and dequantisation to `f32` of F32, F16, BF16, the legacy
//! quants Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0, and the K-quants Q4_K, Q5_K and Q6_K (what
//! `llama-quantize` writes for Q4_K_M, Q5_K_M and Q6_K files).
//!
//! The block layouts are ggml's (`ggml/src/ggml-common.h`: `block_q5_0`, `block_q5_1`,
//! `block_q4_K`, `block_q5_K`, `block_q6_K`), and the values are those of ggml's
//! `dequantize_row_*` in `ggml/src/ggml-quants.c`, computed in the same order without
//! fused multiply-adds, so they equal the `gguf` Python package's `dequantize` bit for bit
//! (`tests/gguf_kquants.rs` pins them to blocks of real files).
//!
//! The whole file is read into memory and every length, count and offset in it is checked
//! against the bytes actually present before anything is allocated, so a malformed or
//! truncated file gives [`Error::Gguf`] (with the byte offset), never a panic or a huge
//! allocation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

const MAGIC: &[u8; 4] = b"GGUF";
const DEFAULT_ALIGNMENT: u64 = 32;
const MAX_DIMS: u32 = 4;
/// Most metadata array items (all arrays together) a file may hold. Each item becomes a
/// [`Value`] of a few dozen bytes however small it is in the file, so the total is bounded
/// as well as each array's count; real tokenizers hold well under a million
/// (SmolLM2: about 150 000).
pub const MAX_METADATA_ITEMS: u64 = 1 << 24;

/// One metadata value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `uint8`.
    U8(u8),
    /// `int8`.
    I8(i8),
    /// `uint16`.
    U16(u16),
    /// `int16`.
    I16(i16),
    /// `uint32`.
    U32(u32),
    /// `int32`.
    I32(i32),
    /// `float32`.
    F32(f32),
    /// `bool`.
    Bool(bool),
    /// `string` (UTF-8).
    String(String),
    /// `array` of values of one type.
    Array(Vec<Value>),
    /// `uint64`.
    U64(u64),
    /// `int64`.
    I64(i64),
    /// `float64`.
    F64(f64),
}

impl Value {
    /// The value as an unsigned integer, for any non-negative integer type.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::U8(v) => Some(v.into()),
            Value::U16(v) => Some(v.into()),
            Value::U32(v) => Some(v.into()),
            Value::U64(v) => Some(v),
            Value::I8(v) => u64::try_from(v).ok(),
            Value::I16(v) => u64::try_from(v).ok(),
            Value::I32(v) => u64::try_from(v).ok(),
            Value::I64(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The value as a float, for either float type.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::F32(v) => Some(v.into()),
            Value::F64(v) => Some(v),
            _ => None,
        }
    }

    /// The value as a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value as an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
}

/// The storage type of a tensor (the ggml type ids this reader knows), named as ggml
/// names them.
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TensorType {
    /// 32-bit float.
    F32,
    /// IEEE half.
    F16,
    /// Blocks of 32: an f16 scale and 32 signed 4-bit values offset by 8.
    Q4_0,
    /// Blocks of 32: an f16 scale, an f16 minimum and 32 unsigned 4-bit values.
    Q4_1,
    /// Blocks of 32: an f16 scale and 32 signed bytes.
    Q8_0,
    /// Blocks of 32: an f16 scale, 32 high bits and 32 low nibbles; `(q - 16) * d`.
    Q5_0,
    /// Blocks of 32: an f16 scale and minimum, 32 high bits and 32 low nibbles;
    /// `q * d + m`.
    Q5_1,
    /// Super-blocks of 256: f16 `d` and `dmin`, eight 6-bit scales and minima of 32
    /// weights each, 4-bit quants; `d * sc * q - dmin * m`.
    Q4_K,
    /// [`TensorType::Q4_K`] with a fifth bit per weight.
    Q5_K,
    /// Super-blocks of 256: 4 low bits, 2 high bits, sixteen 8-bit scales of 16 weights
    /// each and an f16 `d`; `d * sc * (q - 32)`.
    Q6_K,
    /// bfloat16.
    BF16,
}

/// Weights per K-quant super-block (ggml's `QK_K`).
pub(crate) const QK_K: usize = 256;
/// Bytes of packed 6-bit scales and minima in a Q4_K / Q5_K super-block (`K_SCALE_SIZE`).
const K_SCALE_SIZE: usize = 12;

impl TensorType {
    /// The type of a ggml type id, when this reader dequantises it.
    pub fn from_id(id: u32) -> Option<Self> {
        Some(match id {
            0 => TensorType::F32,
            1 => TensorType::F16,
            2 => TensorType::Q4_0,
            3 => TensorType::Q4_1,
            6 => TensorType::Q5_0,
            7 => TensorType::Q5_1,
            8 => TensorType::Q8_0,
            12 => TensorType::Q4_K,
            13 => TensorType::Q5_K,
            14 => TensorType::Q6_K,
            30 => TensorType::BF16,
            _ => return None,
        })
    }

    /// ggml's type id.
    pub fn id(self) -> u32 {
        match self {
            TensorType::F32 => 0,
            TensorType::F16 => 1,
            TensorType::Q4_0 => 2,
            TensorType::Q4_1 => 3,
            TensorType::Q5_0 => 6,
            TensorType::Q5_1 => 7,
            TensorType::Q8_0 => 8,
            TensorType::Q4_K => 12,
            TensorType::Q5_K => 13,
            TensorType::Q6_K => 14,
            TensorType::BF16 => 30,
        }
    }

    /// (elements per block, bytes per block).
    pub fn block(self) -> (u64, u64) {
        match self {
            TensorType::F32 => (1, 4),
            TensorType::F16 | TensorType::BF16 => (1, 2),
            TensorType::Q4_0 => (32, 18),
            TensorType::Q4_1 => (32, 20),
            TensorType::Q5_0 => (32, 22),
            TensorType::Q5_1 => (32, 24),
            TensorType::Q8_0 => (32, 34),
            TensorType::Q4_K => (256, 144),
            TensorType::Q5_K => (256, 176),
            TensorType::Q6_K => (256, 210),
        }
    }
}

/// ggml's name of a type id this reader does not dequantise (for error messages).
fn unsupported_type_name(id: u32) -> &'static str {
    match id {
        4 | 5 => "Q4_2/Q4_3 (removed from ggml)",
        9 => "Q8_1",
        10 => "Q2_K",
        11 => "Q3_K",
        15 => "Q8_K",
        16..=23 | 29 => "an IQ quant",
        24 => "I8",
        25 => "I16",
        26 => "I32",
        27 => "I64",
        28 => "F64",
        34 | 35 => "a ternary TQ quant",
        39 => "MXFP4",
        _ => "unknown",
    }
}

/// Where a tensor lies in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    /// Dimensions as GGUF stores them: `dims[0]` is the contiguous (innermost) one.
    pub dims: Vec<u64>,
    /// Storage type.
    pub ty: TensorType,
    /// Absolute byte offset of the data in the file.
    pub offset: u64,
    /// Size of the data in bytes.
    pub size: u64,
}

impl TensorInfo {
    /// Number of elements (saturating at `u64::MAX`; [`Gguf::parse`] accepts only tensors
    /// whose count fits).
    pub fn len(&self) -> u64 {
        self.dims.iter().fold(1u64, |a, &d| a.saturating_mul(d))
    }

    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A parsed GGUF file: metadata, tensor infos and the raw bytes.
#[derive(Debug)]
pub struct Gguf {
    path: PathBuf,
    /// The format version (2 or 3).
    pub version: u32,
    /// Metadata by key.
    pub metadata: BTreeMap<String, Value>,
    /// Tensor infos by name.
    pub tensors: BTreeMap<String, TensorInfo>,
    bytes: Vec<u8>,
}

impl Gguf {
    /// Reads and parses a GGUF file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        // Only a regular file: `/dev/zero` would be read until memory runs out, a FIFO
        // would hang.
        let bytes = inherit_core::io::read_regular(path)?;
        Self::parse(path, bytes)
    }

    /// Parses GGUF bytes; `path` is only used in error messages.
    pub fn parse(path: impl Into<PathBuf>, bytes: Vec<u8>) -> Result<Self> {
        let path = path.into();
        let mut r = Cursor {
            bytes: &bytes,
            pos: 0,
            path: &path,
            items: 0,
        };
        if r.take(4)? != MAGIC {
            return Err(r.error(0, "not a GGUF file (bad magic)"));
        }
        let version = r.u32()?;
        if !(2..=3).contains(&version) {
            return Err(r.error(
                4,
                format!("unsupported GGUF version {version} (need 2 or 3)"),
            ));
        }
        let n_tensors = r.u64()?;
        let n_kv = r.u64()?;
        let mut metadata = BTreeMap::new();
        for _ in 0..n_kv {
            let key = r.string()?;
            let ty = r.u32()?;
            let value = r.value(ty, 0)?;
            metadata.insert(key, value);
        }
        let alignment = match metadata.get("general.alignment") {
            None => DEFAULT_ALIGNMENT,
            Some(v) => match v.as_u64() {
                Some(a) if a > 0 && a.is_power_of_two() => a,
                _ => {
                    return Err(r.error(
                        r.pos,
                        format!("general.alignment {v:?} is not a power of two"),
                    ));
                }
            },
        };
        // Each tensor info takes at least 24 bytes: a bound on the count before looping.
        if n_tensors > r.remaining() / 24 {
            return Err(r.error(r.pos, format!("{n_tensors} tensors cannot fit in the file")));
        }
        let mut infos = Vec::new();
        for _ in 0..n_tensors {
            let at = r.pos;
            let name = r.string()?;
            let n_dims = r.u32()?;
            if n_dims == 0 || n_dims > MAX_DIMS {
                return Err(r.error(
                    at,
                    format!("tensor `{name}` has {n_dims} dimensions (1 to {MAX_DIMS} allowed)"),
                ));
            }
            let dims = (0..n_dims).map(|_| r.u64()).collect::<Result<Vec<_>>>()?;
            let type_id = r.u32()?;
            let ty = TensorType::from_id(type_id).ok_or_else(|| {
                r.error(
                    at,
                    format!(
                        "tensor `{name}` has unsupported type id {type_id} ({}); supported: \
                         F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K",
                        unsupported_type_name(type_id)
                    ),
                )
            })?;
            let offset = r.u64()?;
            infos.push((at, name, dims, ty, offset));
        }
        let data_start = r.pos.div_ceil(alignment as usize) * alignment as usize;
        let mut tensors = BTreeMap::new();
        for (at, name, dims, ty, offset) in infos {
            let bad = |m: String| r.error(at, format!("tensor `{name}`: {m}"));
            let Some(len) = dims.iter().try_fold(1u64, |a, &d| a.checked_mul(d)) else {
                return Err(bad(format!("dimensions {dims:?} overflow")));
            };
            let (block_len, block_bytes) = ty.block();
            if dims[0] % block_len != 0 {
                return Err(bad(format!(
                    "first dimension {} is not a multiple of {block_len}",
                    dims[0]
                )));
            }
            if offset % alignment != 0 {
                return Err(bad(format!(
                    "offset {offset} is not aligned to {alignment}"
                )));
            }
            // In u128, none of these can overflow: the size is at most 2^64 / 1 * 34.
            let size = u128::from(len) / u128::from(block_len) * u128::from(block_bytes);
            let end = data_start as u128 + u128::from(offset) + size;
            if end > bytes.len() as u128 {
                return Err(bad(format!(
                    "data ({size} bytes at {offset} past {data_start}) runs past the end of the file ({} bytes): truncated?",
                    bytes.len()
                )));
            }
            // Fits: it ends inside the file.
            let size = size as u64;
            let info = TensorInfo {
                dims,
                ty,
                offset: data_start as u64 + offset,
                size,
            };
            if tensors.insert(name.clone(), info).is_some() {
                return Err(r.error(at, format!("tensor `{name}` appears twice")));
            }
        }
        Ok(Gguf {
            path,
            version,
            metadata,
            tensors,
            bytes,
        })
    }

    /// The file this was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A metadata value, or an error naming the missing key.
    pub fn get(&self, key: &str) -> Result<&Value> {
        self.metadata
            .get(key)
            .ok_or_else(|| Error::weights(&self.path, format!("missing metadata key `{key}`")))
    }

    /// An unsigned integer metadata value.
    pub fn get_u64(&self, key: &str) -> Result<u64> {
        let v = self.get(key)?;
        v.as_u64()
            .ok_or_else(|| self.wrong_type(key, "an unsigned integer", v))
    }

    /// A float metadata value.
    pub fn get_f64(&self, key: &str) -> Result<f64> {
        let v = self.get(key)?;
        v.as_f64().ok_or_else(|| self.wrong_type(key, "a float", v))
    }

    /// A string metadata value.
    pub fn get_str(&self, key: &str) -> Result<&str> {
        let v = self.get(key)?;
        v.as_str()
            .ok_or_else(|| self.wrong_type(key, "a string", v))
    }

    /// An array metadata value.
    pub fn get_array(&self, key: &str) -> Result<&[Value]> {
        let v = self.get(key)?;
        v.as_array()
            .ok_or_else(|| self.wrong_type(key, "an array", v))
    }

    fn wrong_type(&self, key: &str, want: &str, got: &Value) -> Error {
        let shown = format!("{got:?}");
        let shown: String = shown.chars().take(60).collect();
        Error::weights(
            &self.path,
            format!("metadata `{key}` should be {want}, got {shown}"),
        )
    }

    /// The info of a tensor, or an error naming it.
    pub fn info(&self, name: &str) -> Result<&TensorInfo> {
        self.tensors
            .get(name)
            .ok_or_else(|| Error::weights(&self.path, format!("missing tensor `{name}`")))
    }

    /// A tensor dequantised to `f32`, in GGUF order (`dims[0]` contiguous).
    pub fn dequantize(&self, name: &str) -> Result<Vec<f32>> {
        let (info, data) = self.raw(name)?;
        Ok(dequantize(info.ty, data))
    }

    /// A tensor's info and its bytes as stored (blocks of its type).
    pub fn raw(&self, name: &str) -> Result<(&TensorInfo, &[u8])> {
        let info = self.info(name)?;
        Ok((
            info,
            &self.bytes[info.offset as usize..(info.offset + info.size) as usize],
        ))
    }
}

/// Dequantises raw tensor bytes of type `ty` (whose length is a whole number of blocks;
/// a partial block at the end is ignored).
pub fn dequantize(ty: TensorType, data: &[u8]) -> Vec<f32> {
    let (block_len, block_bytes) = ty.block();
    let mut out = Vec::with_capacity(data.len() / block_bytes as usize * block_len as usize);
    for b in data.chunks_exact(block_bytes as usize) {
        match ty {
            TensorType::F32 => out.push(f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            TensorType::F16 => out.push(f16_at(b, 0)),
            TensorType::BF16 => out.push(f32::from_bits(
                u32::from(u16::from_le_bytes([b[0], b[1]])) << 16,
            )),
            TensorType::Q8_0 => {
                let d = f16_at(b, 0);
                out.extend(b[2..34].iter().map(|&q| f32::from(q as i8) * d));
            }
            TensorType::Q4_0 => {
                let d = f16_at(b, 0);
                let qs = &b[2..18];
                out.extend(qs.iter().map(|&q| (f32::from(q & 0x0f) - 8.0) * d));
                out.extend(qs.iter().map(|&q| (f32::from(q >> 4) - 8.0) * d));
            }
            TensorType::Q4_1 => {
                let (d, m) = (f16_at(b, 0), f16_at(b, 2));
                let qs = &b[4..20];
                out.extend(qs.iter().map(|&q| f32::from(q & 0x0f) * d + m));
                out.extend(qs.iter().map(|&q| f32::from(q >> 4) * d + m));
            }
            TensorType::Q5_0 => {
                let d = f16_at(b, 0);
                let q = q5_values(&b[2..22]);
                out.extend(q.iter().map(|&q| (i32::from(q) - 16) as f32 * d));
            }
            TensorType::Q5_1 => {
                let (d, m) = (f16_at(b, 0), f16_at(b, 2));
                let q = q5_values(&b[4..24]);
                out.extend(q.iter().map(|&q| f32::from(q) * d + m));
            }
            TensorType::Q4_K | TensorType::Q5_K => {
                let (d, dmin) = (f16_at(b, 0), f16_at(b, 2));
                let scales: &[u8; K_SCALE_SIZE] = b[4..16].try_into().expect("12 bytes");
                let q = if ty == TensorType::Q4_K {
                    q4_k_values(&b[16..144])
                } else {
                    q5_k_values(&b[16..176])
                };
                for (j, sub) in q.chunks_exact(32).enumerate() {
                    let (sc, m) = k_scale_min(j, scales);
                    let (d1, m1) = (d * f32::from(sc), dmin * f32::from(m));
                    out.extend(sub.iter().map(|&q| d1 * f32::from(q) - m1));
                }
            }
            TensorType::Q6_K => {
                let d = f16_at(b, 208);
                let q = q6_k_values(&b[..208]);
                for (j, sub) in q.chunks_exact(16).enumerate() {
                    let scale = d * f32::from(b[192 + j] as i8);
                    out.extend(sub.iter().map(|&q| scale * f32::from(q)));
                }
            }
        }
    }
    out
}

/// The f16 at byte `i` of `b`, as `f32`.
pub(crate) fn f16_at(b: &[u8], i: usize) -> f32 {
    f16_to_f32(u16::from_le_bytes([b[i], b[i + 1]]))
}

/// The 32 unsigned 5-bit quants of a Q5_0 / Q5_1 block from its `qh` (4 bytes, a
/// little-endian `u32` whose bit `j` is element `j`'s fifth bit) and `qs` (16 bytes: byte
/// `j` holds element `j` in its low nibble and element `j + 16` in its high one).
pub(crate) fn q5_values(qh_qs: &[u8]) -> [u8; 32] {
    let qh = u32::from_le_bytes([qh_qs[0], qh_qs[1], qh_qs[2], qh_qs[3]]);
    let qs = &qh_qs[4..20];
    let mut q = [0u8; 32];
    for j in 0..16 {
        let hi0 = ((qh >> j) & 1) as u8;
        let hi1 = ((qh >> (j + 16)) & 1) as u8;
        q[j] = (qs[j] & 0x0f) | (hi0 << 4);
        q[j + 16] = (qs[j] >> 4) | (hi1 << 4);
    }
    q
}

/// Sub-block `j`'s (scale, minimum) of a Q4_K / Q5_K super-block: ggml's
/// `get_scale_min_k4` (6 bits each, the high two bits of sub-blocks 4..8 packed into the
/// top of bytes 0..8).
pub(crate) fn k_scale_min(j: usize, q: &[u8; K_SCALE_SIZE]) -> (u8, u8) {
    if j < 4 {
        (q[j] & 63, q[j + 4] & 63)
    } else {
        (
            (q[j + 4] & 0x0f) | ((q[j - 4] >> 6) << 4),
            (q[j + 4] >> 4) | ((q[j] >> 6) << 4),
        )
    }
}

/// The 256 4-bit quants of a Q4_K super-block from its `qs` (128 bytes: each 64 weights
/// take 32 bytes, the first 32 weights in their low nibbles, the next 32 in the high ones).
pub(crate) fn q4_k_values(qs: &[u8]) -> [u8; QK_K] {
    let mut q = [0u8; QK_K];
    for (c, chunk) in qs.chunks_exact(32).enumerate() {
        for (l, &byte) in chunk.iter().enumerate() {
            q[c * 64 + l] = byte & 0x0f;
            q[c * 64 + 32 + l] = byte >> 4;
        }
    }
    q
}

/// The 256 5-bit quants of a Q5_K super-block from its `qh` (32 bytes: bit `2c` of byte
/// `l` is the fifth bit of weight `64c + l`, bit `2c + 1` that of weight `64c + 32 + l`)
/// and `qs` (128 bytes, laid out as in Q4_K).
pub(crate) fn q5_k_values(qh_qs: &[u8]) -> [u8; QK_K] {
    let (qh, qs) = qh_qs.split_at(32);
    let mut q = q4_k_values(qs);
    for c in 0..4 {
        for l in 0..32 {
            q[c * 64 + l] |= ((qh[l] >> (2 * c)) & 1) << 4;
            q[c * 64 + 32 + l] |= ((qh[l] >> (2 * c + 1)) & 1) << 4;
        }
    }
    q
}

/// The 256 signed 6-bit quants (`q - 32`, in -32..=31) of a Q6_K super-block from its
/// `ql` (128 bytes) and `qh` (64 bytes): per half of 128 weights, `ql` bytes `l` and
/// `l + 32` give the low nibbles of weights `l`, `l + 32` (low nibble) and `l + 64`,
/// `l + 96` (high nibble), and bits `0-1`, `2-3`, `4-5`, `6-7` of `qh` byte `l` their
/// high two bits.
pub(crate) fn q6_k_values(ql_qh: &[u8]) -> [i8; QK_K] {
    let (ql, qh) = ql_qh.split_at(128);
    let mut q = [0i8; QK_K];
    for half in 0..2 {
        let (ql, qh) = (
            &ql[half * 64..half * 64 + 64],
            &qh[half * 32..half * 32 + 32],
        );
        let y = &mut q[half * 128..half * 128 + 128];
        for l in 0..32 {
            let six = |low: u8, shift: u32| ((low | (((qh[l] >> shift) & 3) << 4)) as i8) - 32;
            y[l] = six(ql[l] & 0x0f, 0);
            y[l + 32] = six(ql[l + 32] & 0x0f, 2);
            y[l + 64] = six(ql[l] >> 4, 4);
            y[l + 96] = six(ql[l + 32] >> 4, 6);
        }
    }
    q
}

/// Converts IEEE 754 half-precision bits to `f32` (subnormals, infinities and NaN included).
pub fn f16_to_f32(h: u16) -> f32 {
    let exp = u32::from((h >> 10) & 0x1f);
    let man = u32::from(h & 0x3ff);
    let magnitude = match exp {
        0 => man as f32 * (-24f32).exp2(),
        0x1f if man == 0 => f32::INFINITY,
        0x1f => f32::NAN,
        _ => f32::from_bits(((exp + 112) << 23) | (man << 13)),
    };
    if h >> 15 == 1 { -magnitude } else { magnitude }
}

/// A bounds-checked little-endian reader over the file bytes.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    path: &'a Path,
    /// Metadata array items read so far (all arrays).
    items: u64,
}

/// The fewest bytes one metadata value of type `ty` takes in the file.
fn min_value_bytes(ty: u32) -> u64 {
    match ty {
        0 | 1 | 7 => 1,
        2 | 3 => 2,
        4..=6 => 4,
        8 | 10..=12 => 8,
        9 => 12,
        _ => 1,
    }
}

impl Cursor<'_> {
    fn error(&self, offset: usize, message: impl Into<String>) -> Error {
        Error::Gguf {
            path: self.path.to_owned(),
            offset: offset as u64,
            message: message.into(),
        }
    }

    fn remaining(&self) -> u64 {
        (self.bytes.len() - self.pos) as u64
    }

    fn take(&mut self, n: u64) -> Result<&[u8]> {
        if n > self.remaining() {
            return Err(self.error(
                self.pos,
                format!("needs {n} more bytes but the file ends: truncated?"),
            ));
        }
        let start = self.pos;
        self.pos += n as usize;
        Ok(&self.bytes[start..self.pos])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N as u64)?);
        Ok(a)
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    fn string(&mut self) -> Result<String> {
        let at = self.pos;
        let len = self.u64()?;
        let raw = self.take(len)?.to_vec();
        String::from_utf8(raw).map_err(|_| self.error(at, "string is not valid UTF-8"))
    }

    fn value(&mut self, ty: u32, depth: u32) -> Result<Value> {
        let at = self.pos;
        Ok(match ty {
            0 => Value::U8(u8::from_le_bytes(self.array()?)),
            1 => Value::I8(i8::from_le_bytes(self.array()?)),
            2 => Value::U16(u16::from_le_bytes(self.array()?)),
            3 => Value::I16(i16::from_le_bytes(self.array()?)),
            4 => Value::U32(self.u32()?),
            5 => Value::I32(i32::from_le_bytes(self.array()?)),
            6 => Value::F32(f32::from_le_bytes(self.array()?)),
            7 => match self.array::<1>()?[0] {
                0 => Value::Bool(false),
                1 => Value::Bool(true),
                b => return Err(self.error(at, format!("bool byte is {b}, not 0 or 1"))),
            },
            8 => Value::String(self.string()?),
            9 => {
                if depth >= 4 {
                    return Err(self.error(at, "arrays nested more than 4 deep"));
                }
                let item_ty = self.u32()?;
                let n = self.u64()?;
                // Bound the count by the bytes its items need before allocating, and the
                // total of all arrays by MAX_METADATA_ITEMS.
                let need = u128::from(n) * u128::from(min_value_bytes(item_ty));
                if need > u128::from(self.remaining()) {
                    return Err(self.error(
                        at,
                        format!(
                            "array of {n} items of type {item_ty} cannot fit in the {} bytes left: truncated?",
                            self.remaining()
                        ),
                    ));
                }
                self.items = self.items.saturating_add(n);
                if self.items > MAX_METADATA_ITEMS {
                    return Err(self.error(
                        at,
                        format!(
                            "more than {MAX_METADATA_ITEMS} metadata array items in all \
                             (this array has {n})"
                        ),
                    ));
                }
                let items = (0..n)
                    .map(|_| self.value(item_ty, depth + 1))
                    .collect::<Result<Vec<_>>>()?;
                Value::Array(items)
            }
            10 => Value::U64(self.u64()?),
            11 => Value::I64(i64::from_le_bytes(self.array()?)),
            12 => Value::F64(f64::from_le_bytes(self.array()?)),
            other => return Err(self.error(at, format!("unknown metadata value type {other}"))),
        })
    }
}
