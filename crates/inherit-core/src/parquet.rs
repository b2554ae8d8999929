//! Parquet input and output (feature `parquet`), as Hugging Face datasets and pandas store
//! tables: one column per field.
//!
//! - [`read_rows`] reads any flat Parquet file (string, integer, float, boolean, null and
//!   dictionary-encoded columns, as pyarrow writes them from pandas or `datasets`) into one
//!   JSON object per row; [`read()`] deserialises those rows into records, with errors that
//!   name the file, the 1-based row and the field, as [`crate::io::read_jsonl`] does.
//! - [`write()`] writes serialisable records (a [`Dataset`](crate::Dataset)'s examples,
//!   result rows) atomically: scalar fields become typed columns (`Utf8`, `Int64`,
//!   `Float64`, `Boolean`), nested ones (groups, provenance, metadata) JSON text, listed in
//!   the file's key-value metadata under [`JSON_COLUMNS_KEY`] so that [`read()`] restores
//!   them. Snappy-compressed, like pyarrow's default.
//!
//! A file that is not Parquet, is truncated or uses a codec this build lacks (only snappy
//! and uncompressed are compiled in) is an [`Error::Parse`] naming the file; nested
//! column types (lists, structs) are an error naming the column.

use std::collections::HashSet;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};

use crate::error::{Error, Result};
use crate::io::{AtomicFile, parse_json_line};

/// Key of the file metadata entry listing the columns [`write()`] stored as JSON text.
pub const JSON_COLUMNS_KEY: &str = "inherit:json_columns";

/// Rows per record batch when writing.
const BATCH_ROWS: usize = 8192;

fn bad(path: &Path, row: u64, field: Option<&str>, message: impl std::fmt::Display) -> Error {
    Error::parse(path, row, field, message.to_string())
}

/// Every row of a flat Parquet file as a JSON object (column name to value; nulls kept).
/// Columns named in the file's [`JSON_COLUMNS_KEY`] metadata are parsed back from JSON.
/// A file without rows is [`Error::Empty`].
pub fn read_rows(path: impl AsRef<Path>) -> Result<Vec<Map<String, Value>>> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| bad(path, 0, None, format!("not a readable Parquet file: {e}")))?;
    let json_columns: HashSet<String> = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|k| k.key == JSON_COLUMNS_KEY))
        .and_then(|k| k.value.as_deref())
        .map(|v| {
            serde_json::from_str::<Vec<String>>(v)
                .map_err(|e| bad(path, 0, None, format!("metadata `{JSON_COLUMNS_KEY}`: {e}")))
        })
        .transpose()?
        .unwrap_or_default()
        .into_iter()
        .collect();
    let reader = builder
        .build()
        .map_err(|e| bad(path, 0, None, format!("cannot read: {e}")))?;
    let mut rows = Vec::new();
    for batch in reader {
        let first = rows.len() as u64 + 1;
        let batch = batch.map_err(|e| bad(path, first, None, format!("cannot decode: {e}")))?;
        let schema = batch.schema();
        let mut columns = Vec::with_capacity(batch.num_columns());
        for (field, array) in schema.fields().iter().zip(batch.columns()) {
            let name = field.name();
            let mut values =
                column_values(array.as_ref()).map_err(|m| bad(path, first, Some(name), m))?;
            if json_columns.contains(name) {
                for (i, v) in values.iter_mut().enumerate() {
                    if let Value::String(text) = v {
                        *v = serde_json::from_str(text).map_err(|e| {
                            bad(
                                path,
                                first + i as u64,
                                Some(name),
                                format!("invalid JSON: {e}"),
                            )
                        })?;
                    }
                }
            }
            columns.push((name.clone(), values));
        }
        for r in 0..batch.num_rows() {
            rows.push(
                columns
                    .iter_mut()
                    .map(|(name, values)| (name.clone(), std::mem::take(&mut values[r])))
                    .collect(),
            );
        }
    }
    if rows.is_empty() {
        return Err(Error::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(rows)
}

/// The values of one column as JSON (null where the column is null).
fn column_values(array: &dyn Array) -> std::result::Result<Vec<Value>, String> {
    let n = array.len();
    let mut out = Vec::with_capacity(n);
    macro_rules! ints {
        ($t:ty) => {{
            let a = array.as_primitive::<$t>();
            for i in 0..n {
                out.push(if a.is_null(i) {
                    Value::Null
                } else {
                    Value::from(a.value(i))
                });
            }
        }};
    }
    macro_rules! floats {
        ($t:ty) => {{
            let a = array.as_primitive::<$t>();
            for i in 0..n {
                out.push(if a.is_null(i) {
                    Value::Null
                } else {
                    Number::from_f64(f64::from(a.value(i))).map_or(Value::Null, Value::Number)
                });
            }
        }};
    }
    match array.data_type() {
        DataType::Null => out.resize(n, Value::Null),
        DataType::Boolean => {
            let a = array.as_boolean();
            out.extend((0..n).map(|i| {
                if a.is_null(i) {
                    Value::Null
                } else {
                    Value::Bool(a.value(i))
                }
            }));
        }
        DataType::Utf8 => out.extend(
            array
                .as_string::<i32>()
                .iter()
                .map(|s| s.map_or(Value::Null, |s| Value::String(s.to_owned()))),
        ),
        DataType::LargeUtf8 => out.extend(
            array
                .as_string::<i64>()
                .iter()
                .map(|s| s.map_or(Value::Null, |s| Value::String(s.to_owned()))),
        ),
        DataType::Utf8View => out.extend(
            array
                .as_string_view()
                .iter()
                .map(|s| s.map_or(Value::Null, |s| Value::String(s.to_owned()))),
        ),
        DataType::Int8 => ints!(Int8Type),
        DataType::Int16 => ints!(Int16Type),
        DataType::Int32 => ints!(Int32Type),
        DataType::Int64 => ints!(Int64Type),
        DataType::UInt8 => ints!(UInt8Type),
        DataType::UInt16 => ints!(UInt16Type),
        DataType::UInt32 => ints!(UInt32Type),
        DataType::UInt64 => ints!(UInt64Type),
        DataType::Float32 => floats!(Float32Type),
        DataType::Float64 => floats!(Float64Type),
        DataType::Dictionary(_, _) => {
            let dict = array.as_any_dictionary();
            let values = column_values(dict.values().as_ref())?;
            for (i, k) in dict.normalized_keys().into_iter().enumerate() {
                out.push(if array.is_null(i) {
                    Value::Null
                } else {
                    values
                        .get(k)
                        .cloned()
                        .ok_or_else(|| format!("dictionary key {k} out of range"))?
                });
            }
        }
        other => {
            return Err(format!(
                "column type {other} is not supported (flat scalar columns only)"
            ));
        }
    }
    Ok(out)
}

/// Every row of a Parquet file as a `T` (null fields left out, so optional and defaulted
/// fields may be null); errors name the file, the 1-based row and the field.
pub fn read<T: DeserializeOwned>(path: impl AsRef<Path>) -> Result<Vec<T>> {
    let path = path.as_ref();
    read_rows(path)?
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            let row: Map<String, Value> = row.into_iter().filter(|(_, v)| !v.is_null()).collect();
            // Through the JSON-lines parser, for its errors naming row and field.
            let text = Value::Object(row).to_string();
            parse_json_line(path, i as u64 + 1, &text)
        })
        .collect()
}

/// The column type a field's values take.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    Str,
    Int,
    Float,
    Bool,
    Json,
}

fn kind_of(v: &Value) -> Kind {
    match v {
        Value::Null => Kind::Null,
        Value::String(_) => Kind::Str,
        Value::Bool(_) => Kind::Bool,
        Value::Number(n) if n.is_i64() => Kind::Int,
        Value::Number(n) if n.is_f64() => Kind::Float,
        // u64 past i64::MAX, arrays, objects: exact as JSON text.
        _ => Kind::Json,
    }
}

fn join(a: Kind, b: Kind) -> Kind {
    match (a, b) {
        (Kind::Null, k) | (k, Kind::Null) => k,
        (x, y) if x == y => x,
        (Kind::Int, Kind::Float) | (Kind::Float, Kind::Int) => Kind::Float,
        _ => Kind::Json,
    }
}

/// Writes `items` (each serialising to a JSON object) as a Parquet file, atomically.
pub fn write<T: Serialize>(path: impl AsRef<Path>, items: &[T]) -> Result<()> {
    let path = path.as_ref();
    let rows = items
        .iter()
        .enumerate()
        .map(|(i, item)| match serde_json::to_value(item) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(other) => Err(Error::invalid(
                "items",
                format!("item {i} is not a record (a JSON object) but {other}"),
            )),
            Err(e) => Err(Error::invalid("items", format!("item {i}: {e}"))),
        })
        .collect::<Result<Vec<_>>>()?;
    let mut names: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    for row in &rows {
        for k in row.keys() {
            if seen.insert(k.clone()) {
                names.push(k.clone());
            }
        }
    }
    let kinds: Vec<Kind> = names
        .iter()
        .map(|n| {
            rows.iter()
                .filter_map(|r| r.get(n))
                .fold(Kind::Null, |k, v| join(k, kind_of(v)))
        })
        .collect();
    let fields: Vec<Field> = names
        .iter()
        .zip(&kinds)
        .map(|(n, k)| {
            let ty = match k {
                Kind::Int => DataType::Int64,
                Kind::Float => DataType::Float64,
                Kind::Bool => DataType::Boolean,
                Kind::Null | Kind::Str | Kind::Json => DataType::Utf8,
            };
            Field::new(n, ty, true)
        })
        .collect();
    let json: Vec<&String> = names
        .iter()
        .zip(&kinds)
        .filter(|(_, k)| **k == Kind::Json)
        .map(|(n, _)| n)
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_key_value_metadata(Some(vec![KeyValue::new(
            JSON_COLUMNS_KEY.to_owned(),
            serde_json::to_string(&json).expect("strings serialise"),
        )]))
        .build();
    let fail = |e: parquet::errors::ParquetError| Error::io(path, std::io::Error::other(e));
    let mut file = AtomicFile::create(path)?;
    let mut writer =
        ArrowWriter::try_new(file.writer(), schema.clone(), Some(props)).map_err(fail)?;
    for chunk in rows.chunks(BATCH_ROWS) {
        let columns: Vec<ArrayRef> = names
            .iter()
            .zip(&kinds)
            .map(|(n, k)| column(chunk, n, *k))
            .collect();
        let batch = RecordBatch::try_new(schema.clone(), columns)
            .map_err(|e| Error::io(path, std::io::Error::other(e)))?;
        writer.write(&batch).map_err(fail)?;
    }
    writer.close().map_err(fail)?;
    file.commit()
}

/// The Arrow column of field `name` over `rows`, of kind `kind`.
fn column(rows: &[Map<String, Value>], name: &str, kind: Kind) -> ArrayRef {
    let values = rows.iter().map(|r| r.get(name).filter(|v| !v.is_null()));
    match kind {
        Kind::Int => Arc::new(
            values
                .map(|v| v.and_then(Value::as_i64))
                .collect::<Int64Array>(),
        ),
        Kind::Float => Arc::new(
            values
                .map(|v| v.and_then(Value::as_f64))
                .collect::<Float64Array>(),
        ),
        Kind::Bool => Arc::new(
            values
                .map(|v| v.and_then(Value::as_bool))
                .collect::<BooleanArray>(),
        ),
        Kind::Null | Kind::Str => Arc::new(
            values
                .map(|v| v.and_then(Value::as_str).map(str::to_owned))
                .collect::<StringArray>(),
        ),
        Kind::Json => Arc::new(
            values
                .map(|v| v.map(Value::to_string))
                .collect::<StringArray>(),
        ),
    }
}
