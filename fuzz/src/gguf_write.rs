//! A GGUF v3 writer (the inverse of `inherit_pretrained::gguf`), used to build the
//! small seed models and to re-serialise structure-aware mutants: metadata values and
//! tensor infos changed one at a time, so the fuzzer reaches the checks past the header.

use inherit_pretrained::gguf::{Gguf, TensorType, Value};

/// One tensor to write.
#[derive(Debug, Clone)]
pub struct Tensor {
    /// Name.
    pub name: String,
    /// Dimensions (`dims[0]` contiguous).
    pub dims: Vec<u64>,
    /// ggml type id.
    pub ty: u32,
    /// Raw data bytes.
    pub data: Vec<u8>,
    /// The offset to write instead of the real one (a mutation).
    pub offset: Option<u64>,
}

/// A GGUF file as lists (order kept, duplicates allowed).
#[derive(Debug, Clone, Default)]
pub struct File {
    /// Metadata, in order.
    pub metadata: Vec<(String, Value)>,
    /// Tensors, in order.
    pub tensors: Vec<Tensor>,
}

/// The ggml type id of a tensor type.
pub fn type_id(ty: TensorType) -> u32 {
    ty.id()
}

/// The GGUF metadata type id of a value.
pub fn value_type(v: &Value) -> u32 {
    match v {
        Value::U8(_) => 0,
        Value::I8(_) => 1,
        Value::U16(_) => 2,
        Value::I16(_) => 3,
        Value::U32(_) => 4,
        Value::I32(_) => 5,
        Value::F32(_) => 6,
        Value::Bool(_) => 7,
        Value::String(_) => 8,
        Value::Array(_) => 9,
        Value::U64(_) => 10,
        Value::I64(_) => 11,
        Value::F64(_) => 12,
    }
}

fn string(out: &mut Vec<u8>, s: &str) {
    out.extend((s.len() as u64).to_le_bytes());
    out.extend(s.as_bytes());
}

fn value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::U8(x) => out.push(*x),
        Value::I8(x) => out.extend(x.to_le_bytes()),
        Value::U16(x) => out.extend(x.to_le_bytes()),
        Value::I16(x) => out.extend(x.to_le_bytes()),
        Value::U32(x) => out.extend(x.to_le_bytes()),
        Value::I32(x) => out.extend(x.to_le_bytes()),
        Value::F32(x) => out.extend(x.to_le_bytes()),
        Value::Bool(x) => out.push(u8::from(*x)),
        Value::String(s) => string(out, s),
        Value::Array(items) => {
            // The item type is the first item's (strings when empty).
            let ty = items.first().map_or(8, value_type);
            out.extend(ty.to_le_bytes());
            out.extend((items.len() as u64).to_le_bytes());
            for item in items {
                value(out, item);
            }
        }
        Value::U64(x) => out.extend(x.to_le_bytes()),
        Value::I64(x) => out.extend(x.to_le_bytes()),
        Value::F64(x) => out.extend(x.to_le_bytes()),
    }
}

impl File {
    /// The bytes of the file (alignment 32, unless `general.alignment` says otherwise and
    /// is a usable power of two).
    pub fn bytes(&self) -> Vec<u8> {
        let align = self
            .metadata
            .iter()
            .rev()
            .find(|(k, _)| k == "general.alignment")
            .and_then(|(_, v)| v.as_u64())
            .filter(|a| a.is_power_of_two() && *a <= 4096)
            .unwrap_or(32) as usize;
        let mut out = b"GGUF".to_vec();
        out.extend(3u32.to_le_bytes());
        out.extend((self.tensors.len() as u64).to_le_bytes());
        out.extend((self.metadata.len() as u64).to_le_bytes());
        for (k, v) in &self.metadata {
            string(&mut out, k);
            out.extend(value_type(v).to_le_bytes());
            value(&mut out, v);
        }
        let mut data: Vec<u8> = Vec::new();
        for t in &self.tensors {
            while !data.len().is_multiple_of(align) {
                data.push(0);
            }
            string(&mut out, &t.name);
            out.extend((t.dims.len() as u32).to_le_bytes());
            for d in &t.dims {
                out.extend(d.to_le_bytes());
            }
            out.extend(t.ty.to_le_bytes());
            out.extend(t.offset.unwrap_or(data.len() as u64).to_le_bytes());
            data.extend(&t.data);
        }
        while !out.len().is_multiple_of(align) {
            out.push(0);
        }
        out.extend(data);
        out
    }

    /// The file `bytes` hold, if they parse (`None` otherwise).
    pub fn parse(bytes: &[u8]) -> Option<File> {
        let gguf = Gguf::parse("mutant.gguf", bytes.to_vec()).ok()?;
        let mut tensors: Vec<_> = gguf.tensors.iter().collect();
        tensors.sort_by_key(|(_, info)| info.offset);
        Some(File {
            metadata: gguf
                .metadata
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            tensors: tensors
                .into_iter()
                .map(|(name, info)| Tensor {
                    name: name.clone(),
                    dims: info.dims.clone(),
                    ty: type_id(info.ty),
                    data: bytes[info.offset as usize..(info.offset + info.size) as usize].to_vec(),
                    offset: None,
                })
                .collect(),
        })
    }
}
