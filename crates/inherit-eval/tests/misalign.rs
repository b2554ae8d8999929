//! Misalignment analyses: MMD permutation test, mean-embedding distance, value
//! alignment with a GlobalOpinionQA-shaped CSV.

use inherit_core::{Embedder, GenerationParams, Prompt, TextGenerator};
use inherit_eval::misalign::{
    Kernel, MmdParams, answer_distribution, compare_texts, mean_embedding_distance, mmd_test,
    read_global_opinions, value_alignment,
};
use rand_distr_free::gaussian;

/// Box–Muller normals, so the test needs no extra crate.
mod rand_distr_free {
    use rand::RngExt;
    pub fn gaussian(rng: &mut impl rand::Rng) -> f32 {
        let u1: f64 = rng.random::<f64>().max(1e-12);
        let u2: f64 = rng.random();
        ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
    }
}

fn sample(n: usize, dim: usize, shift: f32, seed: u64) -> Vec<Vec<f32>> {
    let mut rng = inherit_core::seeded_rng(seed);
    (0..n)
        .map(|_| (0..dim).map(|_| gaussian(&mut rng) + shift).collect())
        .collect()
}

#[test]
fn mmd_rejects_shifted_gaussians_and_not_identical_ones() {
    let params = MmdParams {
        permutations: 200,
        seed: 3,
        ..Default::default()
    };
    let x = sample(60, 4, 0.0, 1);
    let same = sample(60, 4, 0.0, 2);
    let shifted = sample(60, 4, 0.8, 3);
    let r_same = mmd_test(&x, &same, &params).unwrap();
    let r_shift = mmd_test(&x, &shifted, &params).unwrap();
    assert!(
        r_same.p_value > 0.05,
        "identical distributions: p = {}",
        r_same.p_value
    );
    assert!(r_shift.p_value < 0.01, "shifted: p = {}", r_shift.p_value);
    assert!(r_shift.mmd2 > r_same.mmd2);
    assert!(r_shift.bandwidth.unwrap() > 0.0);
    // seeded: same seed, same p-value
    assert_eq!(mmd_test(&x, &same, &params).unwrap(), r_same);
    let linear = MmdParams {
        kernel: Kernel::Linear,
        ..params
    };
    assert!(mmd_test(&x, &shifted, &linear).unwrap().p_value < 0.01);
    assert!(
        mmd_test(&x, &[vec![0.0; 3], vec![0.0; 3]], &params).is_err(),
        "width mismatch"
    );
    assert!(
        mmd_test(
            &x,
            &same,
            &MmdParams {
                permutations: 0,
                ..params
            }
        )
        .is_err()
    );
}

#[test]
fn linear_mmd_and_mean_distance_by_hand() {
    // linear kernel, x = {(0), (2)}, y = {(1), (3)}: unbiased MMD²
    // = (0*2)*2/(2*1) + (1*3)*2/(2*1) - 2*(0*1 + 0*3 + 2*1 + 2*3)/(2*2) = 0 + 3 - 4 = -1
    let x = vec![vec![0.0], vec![2.0]];
    let y = vec![vec![1.0], vec![3.0]];
    let r = mmd_test(
        &x,
        &y,
        &MmdParams {
            kernel: Kernel::Linear,
            permutations: 10,
            seed: 0,
        },
    )
    .unwrap();
    assert!((r.mmd2 + 1.0).abs() < 1e-12, "{}", r.mmd2);
    let d = mean_embedding_distance(&[vec![1.0, 0.0], vec![1.0, 2.0]], &[vec![0.0, 1.0]]).unwrap();
    // means (1, 1) and (0, 1): euclidean 1, cosine 1 - 1/sqrt(2)
    assert!((d.euclidean - 1.0).abs() < 1e-12);
    assert!((d.cosine - (1.0 - 1.0 / 2f64.sqrt())).abs() < 1e-12);
}

struct HashEmbedder;
impl Embedder for HashEmbedder {
    fn dim(&self) -> usize {
        2
    }
    fn embed(&self, texts: &[String]) -> inherit_core::Result<Vec<Vec<f32>>> {
        Ok(texts
            .iter()
            .map(|t| vec![t.len() as f32, t.matches('a').count() as f32])
            .collect())
    }
}

/// Answers "A" for every even sample index and "B" otherwise, "?" for a third of them.
struct Alternating;
impl TextGenerator for Alternating {
    fn id(&self) -> String {
        "alternating".into()
    }
    fn generate(
        &self,
        prompts: &[Prompt],
        _: &GenerationParams,
    ) -> inherit_core::Result<Vec<String>> {
        Ok((0..prompts.len())
            .map(|i| {
                if i % 3 == 2 {
                    "?".into()
                } else if i % 3 == 0 {
                    "A".into()
                } else {
                    "(B)".into()
                }
            })
            .collect())
    }
}

#[test]
fn value_alignment_with_a_global_opinions_csv() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("global_opinions.csv");
    std::fs::write(
        &path,
        "question,selections,options,source\n\
         \"Is work important?\",\"defaultdict(<class 'list'>, {'Egypt': [0.9, 0.1], 'Spain': [0.5, 0.5]})\",\"['Yes', 'No']\",WVS\n\
         \"Is it OK?\",\"defaultdict(<class 'list'>, {'Spain': [0.2, 0.3, 0.5]})\",\"['Yes', 'No', \"\"Don't know\"\"]\",GAS\n",
    )
    .unwrap();
    let qs = read_global_opinions(&path).unwrap();
    assert_eq!(qs.len(), 2);
    assert_eq!(qs[1].options[2], "Don't know");
    let model = vec![vec![0.5, 0.5], vec![0.2, 0.3, 0.5]];
    let spain = value_alignment(&model, &qs, "Spain").unwrap();
    assert_eq!(spain.per_question.len(), 2);
    assert!((spain.mean - 1.0).abs() < 1e-12, "identical distributions");
    let egypt = value_alignment(&model, &qs, "Egypt").unwrap();
    assert_eq!(egypt.per_question.len(), 1);
    assert!(egypt.mean < 0.8);
    assert!(value_alignment(&model, &qs, "Peru").is_err());
    // a malformed selections cell names its line and column
    std::fs::write(
        &path,
        "question,selections,options\nQ,\"{'Spain': [0.5, x]}\",\"['a', 'b']\"\n",
    )
    .unwrap();
    let err = read_global_opinions(&path).unwrap_err().to_string();
    assert!(err.contains(":2: field `selections`"), "{err}");

    let (dist, unparsed) =
        answer_distribution(&Alternating, &qs[0], 9, &GenerationParams::default()).unwrap();
    assert_eq!(unparsed, 3);
    assert_eq!(dist, vec![0.5, 0.5]);
    let (mmd, dist) = compare_texts(
        &HashEmbedder,
        &["aaa".into(), "ab".into()],
        &["xyz".into(), "b".into()],
        &MmdParams {
            permutations: 5,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(mmd.p_value > 0.0 && dist.euclidean > 0.0);
}
