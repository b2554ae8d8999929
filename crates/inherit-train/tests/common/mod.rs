//! Synthetic data shared by the integration tests.
#![allow(dead_code)]

use std::sync::Mutex;

use inherit_core::{Axis, BiasType, Dataset, Example, Groups, Provenance, seeded_rng};
use inherit_mitigate::{BatchView, Mitigation};
use inherit_train::{TextTokenizer, TokenizerConfig, TrainParams};
use rand::RngExt;

pub const CLASS_WORDS: [[&str; 5]; 2] = [
    ["alpha", "amber", "apple", "arrow", "atlas"],
    ["bravo", "bison", "brick", "bloom", "banjo"],
];

pub fn augmented_provenance() -> Provenance {
    Provenance::Augmented {
        generator: "test".into(),
        bias_type: BiasType::Neutral,
        prompt_id: "p".into(),
        seed: 0,
        round: 0,
    }
}

/// A text of 6-9 filler words with one class word of `label` (the `word`-th when given)
/// inserted at a random place, plus `extra` words.
pub fn text(
    rng: &mut inherit_core::SeededRng,
    label: usize,
    word: Option<usize>,
    extra: &[&str],
) -> String {
    let n = rng.random_range(6..10);
    let mut words: Vec<String> = (0..n)
        .map(|_| format!("w{}", rng.random_range(0..40)))
        .collect();
    let w = word.unwrap_or_else(|| rng.random_range(0..5));
    let at = rng.random_range(0..=words.len());
    words.insert(at, CLASS_WORDS[label][w].to_owned());
    for e in extra {
        let at = rng.random_range(0..=words.len());
        words.insert(at, (*e).to_owned());
    }
    words.join(" ")
}

/// A separable two-class dataset: the label is the class of the class word in the text.
pub fn separable(name: &str, n: usize, seed: u64) -> Dataset {
    let mut rng = seeded_rng(seed);
    let labels = vec!["a".to_owned(), "b".to_owned()];
    let examples = (0..n)
        .map(|i| {
            let label = i % 2;
            let gender = if rng.random::<bool>() {
                "female"
            } else {
                "male"
            };
            Example::new(
                format!("{name}-{i}"),
                text(&mut rng, label, None, &[]),
                Provenance::original(name),
            )
            .with_label(labels[label].clone())
            .with_groups(Groups::new().with_stated(Axis::Gender, gender))
        })
        .collect();
    Dataset::with_labels(name, labels, examples).unwrap()
}

pub fn tokenizer_for(data: &Dataset, max_length: usize) -> TextTokenizer {
    let texts: Vec<&str> = data.examples.iter().map(|e| e.text.as_str()).collect();
    let cfg = TokenizerConfig {
        vocab_size: 300,
        max_length,
        ..Default::default()
    };
    TextTokenizer::train(&cfg, &texts).unwrap()
}

pub fn quiet(params: TrainParams) -> TrainParams {
    TrainParams {
        progress: false,
        ..params
    }
}

pub fn accuracy(pred: &[usize], data: &Dataset) -> f64 {
    let gold: Vec<usize> = data
        .examples
        .iter()
        .map(|e| data.label_id(e).unwrap())
        .collect();
    pred.iter().zip(&gold).filter(|(p, g)| p == g).count() as f64 / gold.len() as f64
}

pub fn texts(data: &Dataset) -> Vec<String> {
    data.examples.iter().map(|e| e.text.clone()).collect()
}

/// Example weight read from `meta.weight` (default 1).
#[derive(Debug)]
pub struct WeightFromMeta;

impl Mitigation for WeightFromMeta {
    fn spec(&self) -> String {
        "test-weight".into()
    }
    fn example_weight(&self, example: &Example) -> f32 {
        example
            .meta
            .get("weight")
            .and_then(|v| v.as_f64())
            .map_or(1.0, |w| w as f32)
    }
}

/// `lambda * ||mean hidden(augmented) - mean hidden(original)||^2`.
#[derive(Debug)]
pub struct AlignLoss(pub f32);

impl Mitigation for AlignLoss {
    fn spec(&self) -> String {
        format!("loss:{}", self.0)
    }
    fn extra_loss(&self, view: &BatchView) -> Option<burn::tensor::Tensor<1>> {
        if !view.has_both_sources() {
            return None;
        }
        let [b, d] = view.hidden.dims();
        let a = view.augmented.clone().reshape([b, 1]);
        let o = a.clone().neg().add_scalar(1.0);
        let n_a = view.is_augmented.iter().filter(|x| **x).count() as f64;
        let n_o = b as f64 - n_a;
        let mean_a = (view.hidden.clone() * a).sum_dim(0).div_scalar(n_a);
        let mean_o = (view.hidden.clone() * o).sum_dim(0).div_scalar(n_o);
        let gap = (mean_a - mean_o).powi_scalar(2).sum().reshape([1]);
        let _ = d;
        Some(gap.mul_scalar(self.0))
    }
}

/// Records the shape of every BatchView it sees.
#[derive(Debug, Default)]
pub struct Recorder {
    pub views: Mutex<Vec<ViewShape>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ViewShape {
    pub hidden: [usize; 2],
    pub logits: [usize; 2],
    pub labels: Vec<i64>,
    pub augmented: [usize; 1],
    pub group_ids: Vec<i64>,
    pub group_names: Vec<String>,
    pub both_sources: bool,
    pub len: usize,
}

impl Mitigation for Recorder {
    fn spec(&self) -> String {
        "recorder".into()
    }
    fn extra_loss(&self, view: &BatchView) -> Option<burn::tensor::Tensor<1>> {
        self.views.lock().unwrap().push(ViewShape {
            hidden: view.hidden.dims(),
            logits: view.logits.dims(),
            labels: view.labels.clone().try_into_vec_as::<i64>().unwrap(),
            augmented: view.augmented.dims(),
            group_ids: view.group_ids.clone().try_into_vec_as::<i64>().unwrap(),
            group_names: view.group_names.clone(),
            both_sources: view.has_both_sources(),
            len: view.len(),
        });
        None
    }
}

/// The device the model tests run on: `INHERIT_DEVICE` (a [`inherit_train::DeviceSpec`]:
/// `flex`, `tch-cpu`, `tch-cuda:N`, `cuda:N`), `flex` when unset. The LoRA tests pass on
/// each backend the build has (see the crate README for the libtorch build).
pub fn device() -> burn::tensor::Device {
    let spec = std::env::var("INHERIT_DEVICE").unwrap_or_else(|_| "flex".into());
    let spec: inherit_train::DeviceSpec = spec
        .parse()
        .unwrap_or_else(|e| panic!("INHERIT_DEVICE: {e}"));
    spec.device()
        .unwrap_or_else(|e| panic!("INHERIT_DEVICE: {e}"))
}

/// log p(next token) over the vocabulary after `ids`, with `adapters` applied on the fly
/// (none: the base model).
pub fn next_token_logprobs(
    lm: &inherit_pretrained::SmolLm,
    ids: &[u32],
    adapters: Option<&inherit_pretrained::LoraAdapters>,
) -> Vec<f32> {
    use inherit_pretrained::llama::{KvCache, StepInput};
    let mut pass = adapters.map(inherit_pretrained::LoraPass::new);
    let hidden = lm.model().forward_adapted(
        &StepInput {
            tokens: &[ids.to_vec()],
            pad: &[0],
        },
        &mut KvCache::default(),
        pass.as_mut(),
    );
    let last = hidden.narrow(1, ids.len() - 1, 1);
    burn::tensor::activation::log_softmax(lm.model().logits(last), 2)
        .into_data()
        .try_to_vec::<f32>()
        .expect("f32 log-probabilities")
}
