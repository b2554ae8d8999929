//! K-quant and 5-bit blocks (Q4_K, Q5_K, Q6_K, Q5_0, Q5_1) against ggml itself: real
//! blocks taken from SmolLM2 requantised by llama.cpp's `llama-quantize`, with ggml's own
//! dequantisation (`dequantize_row_*`), in `tests/golden/kquant_blocks.json` (made by
//! `scripts/reference/kquant_goldens.sh`, which also checked that the `gguf` Python
//! package gives the same bits). Needs no model file: runs everywhere, CI included.
//! Also: these types inside a GGUF file, and crafted files that must give typed errors.

mod gguf_writer;

use gguf_writer::Writer;
use inherit_pretrained::Error;
use inherit_pretrained::gguf::{Gguf, TensorType, dequantize};

fn golden() -> serde_json::Value {
    let text = include_str!("golden/kquant_blocks.json");
    serde_json::from_str(text).unwrap()
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// (type, raw blocks, ggml's values as bit patterns) of each golden type.
fn cases() -> Vec<(TensorType, Vec<u8>, Vec<u32>)> {
    golden()["types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let id = t["type_id"].as_u64().unwrap() as u32;
            let ty = TensorType::from_id(id).unwrap_or_else(|| panic!("type id {id}"));
            assert_eq!(format!("{ty:?}"), t["type"].as_str().unwrap());
            assert_eq!(ty.id(), id);
            let values = hex(t["values_f32_le_hex"].as_str().unwrap())
                .chunks_exact(4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            (ty, hex(t["raw_hex"].as_str().unwrap()), values)
        })
        .collect()
}

#[test]
fn real_blocks_dequantise_to_ggmls_values_bit_for_bit() {
    let cases = cases();
    let names: Vec<String> = cases.iter().map(|c| format!("{:?}", c.0)).collect();
    assert_eq!(names, ["Q4_K", "Q5_K", "Q6_K", "Q5_0", "Q5_1"]);
    for (ty, raw, want) in cases {
        let (block_len, block_bytes) = ty.block();
        assert_eq!(raw.len() as u64 % block_bytes, 0, "{ty:?}");
        assert_eq!(
            want.len() as u64,
            raw.len() as u64 / block_bytes * block_len
        );
        let got: Vec<u32> = dequantize(ty, &raw).iter().map(|v| v.to_bits()).collect();
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(
                g,
                w,
                "{ty:?} element {i}: {} vs ggml {}",
                f32::from_bits(*g),
                f32::from_bits(*w)
            );
        }
        assert_eq!(got.len(), want.len());
        // Real weights, not a degenerate block: values spread over both signs.
        assert!(want.iter().any(|&b| f32::from_bits(b) > 0.0), "{ty:?}");
        assert!(want.iter().any(|&b| f32::from_bits(b) < 0.0), "{ty:?}");
    }
}

#[test]
fn k_quant_tensors_are_read_from_a_gguf_file() {
    let mut w = Writer::default();
    for (ty, raw, _) in cases() {
        let (block_len, block_bytes) = ty.block();
        let blocks = raw.len() as u64 / block_bytes;
        // One row of all the blocks.
        w.tensor(&format!("{ty:?}"), &[blocks * block_len, 1], ty.id(), &raw);
    }
    let gguf = Gguf::parse("k.gguf", w.bytes()).unwrap();
    for (ty, raw, want) in cases() {
        let name = format!("{ty:?}");
        let info = gguf.info(&name).unwrap();
        assert_eq!(info.ty, ty);
        assert_eq!(info.size as usize, raw.len());
        let got: Vec<u32> = gguf
            .dequantize(&name)
            .unwrap()
            .iter()
            .map(|v| v.to_bits())
            .collect();
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn crafted_k_quant_files_are_typed_errors() {
    let err = |w: &Writer| match Gguf::parse("c.gguf", w.bytes()) {
        Err(e @ Error::Gguf { .. }) => e.to_string(),
        other => panic!("expected a GGUF error, got {other:?}"),
    };
    // A Q4_K row of 128 weights: not a whole super-block.
    let mut w = Writer::default();
    w.tensor("blk.0.attn_k.weight", &[128, 2], 12, &[0; 144]);
    let e = err(&w);
    assert!(
        e.contains("`blk.0.attn_k.weight`") && e.contains("not a multiple of 256"),
        "{e}"
    );
    // Two Q6_K super-blocks announced, one present.
    let mut w = Writer::default();
    w.tensor("t", &[256, 2], 14, &[0; 210]);
    assert!(err(&w).contains("runs past the end"));
    // Types this reader does not dequantise are named with their id.
    for (id, name) in [(10u32, "Q2_K"), (11, "Q3_K"), (16, "IQ"), (9, "Q8_1")] {
        let mut w = Writer::default();
        w.tensor("blk.3.ffn_down.weight", &[256, 1], id, &[0; 256]);
        let e = err(&w);
        assert!(
            e.contains("`blk.3.ffn_down.weight`")
                && e.contains(&format!("type id {id}"))
                && e.contains(name),
            "{e}"
        );
    }
    // Dimensions whose block count overflows are errors, not panics.
    let mut w = Writer::default();
    w.tensor("t", &[256, u64::MAX / 2], 12, &[0; 144]);
    assert!(matches!(
        Gguf::parse("c.gguf", w.bytes()),
        Err(Error::Gguf { .. })
    ));
}
