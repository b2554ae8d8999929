//! A tiny study configuration with the model-free stand-ins, shared by the tests.

#![allow(dead_code)]

use std::path::Path;

use inherit_study::{StudyConfig, ValidStudyConfig};

/// Stand-in generator (known 80/20 gender skew), hashing embedder, bag classifier.
pub const TINY: &str = r#"
out = "unused"
bias_types = ["contrastive-single-explicit"]
gammas = [0.0, 0.2]
mitigations = ["none", "mask", "loss:1.0"]
seeds = [1, 2]
device = "flex"

[[tasks]]
kind = "occupation"
axis = "gender"
groups = ["female", "male"]
train_per_cell = 2
test_per_cell = 2
seed = 0

[generator]
kind = "stand-in"
neutral_per_label = 3
augmented_per_label = 6
max_tokens = 40
temperature = 0.8
top_p = 0.95
batch_size = 8
seed = 7

[embedding]
kind = "hashing"
samples_per_source = 24
permutations = 50

[downstream]
model = "bag"
vocab_size = 500
embed_dim = 16
epochs = 3
batch_size = 32
learning_rate = 0.01
max_len = 64
"#;

/// [`TINY`] writing to `out`.
pub fn tiny(out: &Path) -> ValidStudyConfig {
    StudyConfig::parse(TINY, "tiny").unwrap().with_out(out)
}

/// [`TINY`] with `edit` applied to the parsed config, checked again.
pub fn tiny_with(out: &Path, edit: impl FnOnce(&mut StudyConfig)) -> ValidStudyConfig {
    let mut c = tiny(out).into_inner();
    edit(&mut c);
    c.check("tiny (edited)").unwrap()
}
