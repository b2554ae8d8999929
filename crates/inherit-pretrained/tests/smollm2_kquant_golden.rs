//! SmolLM2-135M-Instruct requantised by llama.cpp's `llama-quantize --allow-requantize` to
//! Q4_K_M (Q5_0, Q4_K, Q6_K and Q8_0 tensors) and Q6_K (Q8_0 and Q6_K), against
//! llama.cpp's own greedy runs and teacher-forced log-probabilities on the same files
//! (`tests/golden/smollm2_kquant_llamacpp.json`, made by
//! `scripts/reference/kquant_goldens.sh`).
//!
//! The requantised files (about 100 MB each) are not in the repository and CI has no
//! llama.cpp to make them: the script leaves them in `$INHERIT_CACHE/kquant` (default
//! `~/.cache/inherit/kquant`), and these tests skip with a message where they are absent;
//! with `INHERIT_KQUANT_DIR` set, the files are expected there and a missing one fails.
//! The dequantisation itself is pinned to ggml in every run by `tests/gguf_kquants.rs`.

use std::path::PathBuf;

use burn::tensor::Device;
use inherit_core::GenerationParams;
use inherit_pretrained::SmolLm;

/// llama.cpp quantises activations to 8 bits inside its quantised products; ours are
/// `f32`. Measured differences (see `crates/inherit-pretrained/README.md`) stay well
/// inside these bounds.
const GREEDY_LOGPROB_TOLERANCE: f64 = 0.3;
const FORCED_LOGPROB_TOLERANCE: f64 = 0.3;
const FORCED_MEAN_TOLERANCE: f64 = 0.05;
/// Top-1 minus top-2 log-probability below which the greedy choice is a near-tie.
const NEAR_TIE: f64 = 0.1;

fn golden() -> serde_json::Value {
    serde_json::from_str(include_str!("golden/smollm2_kquant_llamacpp.json")).unwrap()
}

/// The requantised file named in the golden, or `None` (skip) when it is absent and not
/// expected.
fn model_file(name: &str, golden: &serde_json::Value) -> Option<PathBuf> {
    let file = golden["file"].as_str().unwrap();
    let (dir, expected) = match std::env::var_os("INHERIT_KQUANT_DIR") {
        Some(d) => (PathBuf::from(d), true),
        None => (
            inherit_pretrained::hub::cache_dir().unwrap().join("kquant"),
            false,
        ),
    };
    let path = dir.join(file);
    if path.is_file() {
        return Some(path);
    }
    assert!(
        !expected,
        "{name}: {} not found (INHERIT_KQUANT_DIR is set); make it with \
         scripts/reference/kquant_goldens.sh",
        path.display()
    );
    eprintln!(
        "SKIPPED {name}: {} not found (needs llama.cpp: scripts/reference/kquant_goldens.sh \
         makes it; the block-level golden tests/gguf_kquants.rs ran instead)",
        path.display()
    );
    None
}

fn load(name: &str) -> Option<(SmolLm, serde_json::Value)> {
    let golden = golden()["models"][name].clone();
    let path = model_file(name, &golden)?;
    let lm = SmolLm::load(&path, &Device::flex()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        lm.sha256(),
        golden["sha256"].as_str().unwrap(),
        "{}: not the file the golden was made from",
        path.display()
    );
    // Every projection of every block, and the output, multiplies from the file's blocks.
    assert!(lm.model().blocks.iter().all(|b| b.quant.is_some()), "{name}");
    assert!(lm.model().output_quant.is_some(), "{name}");
    Some((lm, golden))
}

fn ids(v: &serde_json::Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

/// (compared steps, largest |Δ log-prob|) of a batched greedy run against llama.cpp's.
fn greedy(lm: &SmolLm, golden: &serde_json::Value) -> (usize, f64) {
    let cases = golden["greedy"].as_array().unwrap();
    let prompts: Vec<Vec<u32>> = cases
        .iter()
        .map(|c| {
            let want = ids(&c["prompt_token_ids"]);
            let prompt = c["prompt"].as_str().unwrap();
            assert_eq!(lm.tokenizer().encode(prompt).unwrap(), want, "{prompt:?}");
            want
        })
        .collect();
    let max_steps = cases
        .iter()
        .map(|c| c["steps"].as_array().unwrap().len())
        .max()
        .unwrap();
    let generations = lm
        .generate_ids(&prompts, &GenerationParams::greedy(max_steps))
        .unwrap();
    let (mut compared, mut worst) = (0, 0f64);
    for (case, generation) in cases.iter().zip(&generations) {
        for (j, step) in case["steps"].as_array().unwrap().iter().enumerate() {
            let top = &step["top"];
            let lp = |k: usize| top[k]["logprob"].as_f64().unwrap();
            if lp(0) - lp(1) < NEAR_TIE {
                break;
            }
            let id = step["id"].as_u64().unwrap() as u32;
            if lm.tokenizer().stop_ids().contains(&id) {
                assert_eq!(generation.tokens.len(), j, "{}: stops at {j}", case["prompt"]);
                compared += 1;
                break;
            }
            assert_eq!(generation.tokens[j], id, "{} step {j}", case["prompt"]);
            let d = (f64::from(generation.logprobs[j]) - lp(0)).abs();
            worst = worst.max(d);
            compared += 1;
        }
    }
    (compared, worst)
}

/// (positions, largest and mean |Δ log-prob| of the forced token, top-1 agreements where
/// llama.cpp's top-1 is no near-tie, such positions) of the teacher-forced passage.
fn forced(lm: &SmolLm, golden: &serde_json::Value) -> (usize, f64, f64, usize, usize) {
    let forced = &golden["forced"];
    let token_ids = ids(&forced["token_ids"]);
    let text = forced["text"].as_str().unwrap();
    assert_eq!(token_ids[0], lm.score_prefix_id());
    assert_eq!(lm.tokenizer().encode(text).unwrap(), token_ids[1..]);
    let rows = lm.next_token_logprobs(&token_ids).unwrap();
    let steps = forced["steps"].as_array().unwrap();
    assert_eq!(steps.len(), token_ids.len() - 1);
    let (mut worst, mut sum, mut agree, mut clear) = (0f64, 0f64, 0, 0);
    for (t, step) in steps.iter().enumerate() {
        let next = step["next"].as_u64().unwrap() as usize;
        assert_eq!(next as u32, token_ids[t + 1]);
        let d = (f64::from(rows[t][next]) - step["logprob"].as_f64().unwrap()).abs();
        worst = worst.max(d);
        sum += d;
        let top = &step["top"];
        if top[0]["logprob"].as_f64().unwrap() - top[1]["logprob"].as_f64().unwrap() >= NEAR_TIE {
            clear += 1;
            let ours = (0..rows[t].len())
                .max_by(|&a, &b| rows[t][a].total_cmp(&rows[t][b]))
                .unwrap();
            agree += usize::from(ours as u64 == top[0]["id"].as_u64().unwrap());
        }
    }
    (steps.len(), worst, sum / steps.len() as f64, agree, clear)
}

fn check(name: &str, min_greedy_steps: usize) {
    let Some((lm, golden)) = load(name) else {
        return;
    };
    let (compared, worst) = greedy(&lm, &golden);
    eprintln!("{name}: greedy equal for {compared} steps before the first near-ties; max |Δ logprob| {worst:.4}");
    assert!(compared >= min_greedy_steps, "{name}: only {compared} greedy steps compared");
    assert!(worst <= GREEDY_LOGPROB_TOLERANCE, "{name}: greedy |Δ logprob| {worst}");
    let (n, worst, mean, agree, clear) = forced(&lm, &golden);
    eprintln!(
        "{name}: teacher-forced {n} tokens: max |Δ logprob| {worst:.4}, mean {mean:.4}; top-1 equal at {agree} of {clear} clear positions"
    );
    assert!(worst <= FORCED_LOGPROB_TOLERANCE, "{name}: forced |Δ logprob| {worst}");
    assert!(mean <= FORCED_MEAN_TOLERANCE, "{name}: forced mean |Δ logprob| {mean}");
    assert_eq!(agree, clear, "{name}: top-1 differs at a clear position");
}

#[test]
fn q4_k_m_matches_llama_cpp() {
    check("Q4_K_M", 1);
}

#[test]
fn q6_k_matches_llama_cpp() {
    check("Q6_K", 1);
}
