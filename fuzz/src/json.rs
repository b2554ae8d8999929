//! Structure-aware mutation of JSON: one node of the document changed (a number to a
//! boundary or out-of-range value, a string mutated, an array item dropped or doubled, an
//! object key removed or renamed), for whole documents, JSON lines and the JSON header of
//! a safetensors file. Byte mutations alone rarely keep JSON valid, and so rarely reach
//! the checks behind the parser.

use serde_json::{Map, Value};

use crate::mutate::Mutator;

/// Number texts no `f64` or `u64` holds, put in place of a marker after serialising.
const RAW_NUMBERS: [&str; 8] = [
    "1e400",
    "-1e400",
    "18446744073709551616",
    "-9223372036854775809",
    "99999999999999999999999999",
    "1e-400",
    "-0",
    "0.000000000000000000000000000000000000000000001",
];
const MARKER: &str = "\u{1}RAW\u{1}";

fn numbers(m: &mut Mutator) -> Value {
    match m.below(8) {
        0 => Value::from(m.interesting()),
        1 => Value::from(m.interesting() as i64),
        2 => Value::from(m.interesting() as u32),
        3 => Value::from([0.0, -1.0, 0.5, 1e300, -1e300, 1e-300, 3.5, 1e7][m.below(8)]),
        4 => Value::String(MARKER.to_owned()),
        5 => Value::Null,
        6 => Value::String(m.interesting().to_string()),
        _ => Value::from(m.below(5) as u64),
    }
}

/// Mutates one node, found by a random walk from `v`.
fn mutate_node(v: &mut Value, m: &mut Mutator, depth: u32) {
    let descend = depth < 12 && m.chance(0.75);
    match v {
        Value::Object(map) if !map.is_empty() && descend => {
            let k = m.below(map.len());
            if let Some((_, child)) = map.iter_mut().nth(k) {
                mutate_node(child, m, depth + 1);
            }
        }
        Value::Array(items) if !items.is_empty() && descend => {
            let k = m.below(items.len());
            mutate_node(&mut items[k], m, depth + 1);
        }
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            match m.below(4) {
                0 if !keys.is_empty() => {
                    map.remove(&keys[m.below(keys.len())]);
                }
                1 if !keys.is_empty() => {
                    let key = keys[m.below(keys.len())].clone();
                    if let Some(value) = map.remove(&key) {
                        let bytes = m.mutate(key.as_bytes(), b"");
                        map.insert(String::from_utf8_lossy(&bytes).into_owned(), value);
                    }
                }
                2 if !keys.is_empty() => {
                    let key = keys[m.below(keys.len())].clone();
                    map[&key] = numbers(m);
                }
                _ => *v = Value::Array(vec![]),
            }
        }
        Value::Array(items) => match m.below(5) {
            0 if !items.is_empty() => {
                let k = m.below(items.len());
                items.remove(k);
            }
            1 if !items.is_empty() => {
                let k = m.below(items.len());
                let times = if m.chance(0.1) { 1 + m.below(64) } else { 1 };
                for _ in 0..times {
                    items.insert(k, items[k].clone());
                }
            }
            2 => items.clear(),
            3 => items.push(numbers(m)),
            _ => *v = Value::Object(Map::new()),
        },
        Value::String(s) => {
            if m.chance(0.2) {
                *v = numbers(m);
            } else {
                let bytes = m.mutate(s.as_bytes(), b"");
                *s = String::from_utf8_lossy(&bytes).into_owned();
            }
        }
        Value::Number(_) | Value::Bool(_) | Value::Null => *v = numbers(m),
    }
}

/// Serialises `v`, pretty or not, with any marker replaced by a raw number text.
fn to_bytes(v: &Value, m: &mut Mutator) -> Vec<u8> {
    let text = if m.chance(0.5) {
        serde_json::to_string(v)
    } else {
        serde_json::to_string_pretty(v)
    }
    .unwrap_or_default();
    let quoted = serde_json::to_string(MARKER).unwrap_or_default();
    let mut out = text;
    while let Some(i) = out.find(&quoted) {
        let raw = RAW_NUMBERS[m.below(RAW_NUMBERS.len())];
        out.replace_range(i..i + quoted.len(), raw);
    }
    out.into_bytes()
}

/// A whole JSON document with one to three nodes mutated (`None` if it does not parse).
pub fn document(bytes: &[u8], m: &mut Mutator) -> Option<Vec<u8>> {
    let mut v: Value = serde_json::from_slice(bytes).ok()?;
    for _ in 0..1 + m.below(3) {
        mutate_node(&mut v, m, 0);
    }
    Some(to_bytes(&v, m))
}

/// JSON lines with one line's document mutated, or a line doubled, dropped or cut.
pub fn lines(bytes: &[u8], m: &mut Mutator) -> Option<Vec<u8>> {
    let mut lines: Vec<Vec<u8>> = bytes.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    let candidates: Vec<usize> = (0..lines.len())
        .filter(|&i| serde_json::from_slice::<Value>(&lines[i]).is_ok())
        .collect();
    if candidates.is_empty() {
        return None;
    }
    let i = candidates[m.below(candidates.len())];
    match m.below(6) {
        0 => {
            let dup = lines[i].clone();
            lines.insert(i, dup);
        }
        1 if lines.len() > 1 => {
            lines.remove(i);
        }
        2 => {
            let cut = m.below(lines[i].len() + 1);
            lines[i].truncate(cut);
        }
        _ => {
            let mut v: Value = serde_json::from_slice(&lines[i]).ok()?;
            mutate_node(&mut v, m, 0);
            // One line per document: compact, whatever `to_bytes` picks.
            let compact = serde_json::to_vec(&v).ok()?;
            let quoted = serde_json::to_string(MARKER).ok()?;
            let text = String::from_utf8(compact)
                .ok()?
                .replace(&quoted, RAW_NUMBERS[m.below(RAW_NUMBERS.len())]);
            lines[i] = text.into_bytes();
        }
    }
    Some(lines.join(&b'\n'))
}

/// A safetensors file with its JSON header mutated (the length prefix kept right, or
/// sometimes not).
pub fn safetensors(bytes: &[u8], m: &mut Mutator) -> Option<Vec<u8>> {
    let len = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?) as usize;
    let header = bytes.get(8..8usize.checked_add(len)?)?;
    let data = &bytes[8 + len..];
    let new_header = document(header, m)?;
    let mut out = if m.chance(0.9) {
        (new_header.len() as u64).to_le_bytes().to_vec()
    } else {
        m.interesting().to_le_bytes().to_vec()
    };
    out.extend(new_header);
    out.extend_from_slice(data);
    Some(out)
}
