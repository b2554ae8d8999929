//! A reader for GGUF v2/v3 files (llama.cpp's weight format): header, metadata of every value
//! type, tensor infos, alignment, and dequantisation of F32, F16, BF16, Q8_0, Q4_0 and Q4_1
//! tensors to `f32`.
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

/// The storage type of a tensor (the ggml type ids this reader knows).
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
    /// bfloat16.
    BF16,
}

impl TensorType {
    fn from_id(id: u32) -> Option<Self> {
        Some(match id {
            0 => TensorType::F32,
            1 => TensorType::F16,
            2 => TensorType::Q4_0,
            3 => TensorType::Q4_1,
            8 => TensorType::Q8_0,
            30 => TensorType::BF16,
            _ => return None,
        })
    }

    /// (elements per block, bytes per block).
    pub(crate) fn block(self) -> (u64, u64) {
        match self {
            TensorType::F32 => (1, 4),
            TensorType::F16 | TensorType::BF16 => (1, 2),
            TensorType::Q4_0 => (32, 18),
            TensorType::Q4_1 => (32, 20),
            TensorType::Q8_0 => (32, 34),
        }
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
                    format!("tensor `{name}` has unsupported type id {type_id}"),
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

/// Dequantises raw tensor bytes of type `ty` (whose length is a whole number of blocks).
pub fn dequantize(ty: TensorType, data: &[u8]) -> Vec<f32> {
    let (block_len, block_bytes) = ty.block();
    let mut out = Vec::with_capacity(data.len() / block_bytes as usize * block_len as usize);
    let f16_at = |b: &[u8], i: usize| f16_to_f32(u16::from_le_bytes([b[i], b[i + 1]]));
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
        }
    }
    out
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
