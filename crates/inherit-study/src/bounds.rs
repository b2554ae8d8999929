//! Upper bounds of every count, size and length of a study configuration, and the checks
//! [`crate::config::StudyConfig::check`] runs with them.
//!
//! Each bound is far above any run a machine can finish but low enough that nothing sized
//! by it can overflow or fail to allocate: `batch_size = 2^64 − 1`, `embed_dim = 1e11` or
//! `rounds = 2^32 − 1` are configuration errors naming the key and its bound, not an
//! allocation failure. The sizes that multiply into one allocation (the downstream
//! model's embedding table, the grid of cells) are bounded as products too, an estimate
//! of the run's memory before anything is allocated. Lists whose entries name cells
//! (seeds, γ values, mitigations, bias types) must not repeat an entry: a repeated seed
//! would run the same cells twice.

use crate::config::{DownstreamConfig, StudyConfig};

/// Most tasks in one study.
pub const MAX_TASKS: usize = 64;
/// Most entries of each grid list (`bias_types`, `gammas`, `mitigations`).
pub const MAX_GRID_LIST: usize = 64;
/// Most seeds.
pub const MAX_SEEDS: usize = 1_000;
/// Most cells of the whole grid (tasks × bias types × γ × mitigations × seeds × rounds).
pub const MAX_CELLS: u64 = 1_000_000;
/// Most examples per cell of a task's suite (`train_per_cell`, `test_per_cell`).
pub const MAX_PER_CELL: usize = 100_000;
/// Most self-augmentation rounds.
pub const MAX_ROUNDS: u32 = 100;
/// Most generated examples per label (`neutral_per_label`, `augmented_per_label`).
pub const MAX_PER_LABEL: usize = 1_000_000;
/// Most new tokens per generation (SmolLM2's context).
pub const MAX_NEW_TOKENS: usize = 8_192;
/// Most prompts per generation batch.
pub const MAX_GENERATION_BATCH: usize = 4_096;
/// Most texts per source of the embedding analysis.
pub const MAX_SAMPLES_PER_SOURCE: usize = 100_000;
/// Most permutations of the MMD test.
pub const MAX_PERMUTATIONS: usize = 1_000_000;
/// Largest downstream tokenizer vocabulary.
pub const MAX_VOCAB: usize = 1_000_000;
/// Largest downstream model width.
pub const MAX_EMBED_DIM: usize = 8_192;
/// Most training epochs.
pub const MAX_EPOCHS: usize = 100_000;
/// Largest downstream batch.
pub const MAX_BATCH: usize = 65_536;
/// Most tokens per downstream text.
pub const MAX_LEN: usize = 8_192;
/// Largest downstream embedding table, `vocab_size × embed_dim` parameters (1 GiB of
/// `f32`).
pub const MAX_EMBEDDING_PARAMS: u64 = 1 << 28;
/// Largest activation tensor of one downstream batch, `batch_size × max_len × embed_dim`
/// values (4 GiB of `f32`).
pub const MAX_BATCH_ACTIVATIONS: u64 = 1 << 30;

/// `(key, message)` of a value over its bound.
pub type Violation = (String, String);

fn over(
    key: impl Into<String>,
    value: impl std::fmt::Display,
    bound: impl std::fmt::Display,
) -> Violation {
    (key.into(), format!("{value} is over the bound of {bound}"))
}

fn at_most<T: PartialOrd + std::fmt::Display>(key: &str, v: T, bound: T) -> Result<(), Violation> {
    if v > bound {
        Err(over(key, v, bound))
    } else {
        Ok(())
    }
}

/// The first repeated entry of a list, named `key[i]`.
fn unique<T: PartialEq + std::fmt::Debug>(key: &str, items: &[T]) -> Result<(), Violation> {
    for (i, x) in items.iter().enumerate() {
        if let Some(j) = items[..i].iter().position(|y| y == x) {
            return Err((
                format!("{key}[{i}]"),
                format!("{x:?} repeats {key}[{j}]; each entry must be unique"),
            ));
        }
    }
    Ok(())
}

/// Checks every bound of the configuration and that no grid list repeats an entry.
pub fn check(c: &StudyConfig) -> Result<(), Violation> {
    at_most("tasks", c.tasks.len(), MAX_TASKS)?;
    at_most("bias_types", c.bias_types.len(), MAX_GRID_LIST)?;
    at_most("gammas", c.gammas.len(), MAX_GRID_LIST)?;
    at_most("mitigations", c.mitigations.len(), MAX_GRID_LIST)?;
    at_most("seeds", c.seeds.len(), MAX_SEEDS)?;
    unique("seeds", &c.seeds)?;
    // γ values compare by their bits: 0.0 and -0.0 are refused as out of range anyway.
    let gamma_bits: Vec<u64> = c.gammas.iter().map(|g| g.to_bits()).collect();
    if let Err((key, _)) = unique("gammas", &gamma_bits) {
        return Err((
            key,
            "repeats an earlier γ; each entry must be unique".into(),
        ));
    }
    unique("mitigations", &c.mitigations)?;
    unique("bias_types", &c.bias_types)?;
    let mut cells: u64 = 0;
    for (i, t) in c.tasks.iter().enumerate() {
        let key = |k: &str| format!("tasks[{i}].{k}");
        at_most(&key("train_per_cell"), t.train_per_cell, MAX_PER_CELL)?;
        at_most(&key("test_per_cell"), t.test_per_cell, MAX_PER_CELL)?;
        at_most(&key("rounds"), t.rounds, MAX_ROUNDS)?;
        let grid = [
            c.bias_types.len() as u64,
            c.gammas.len() as u64,
            c.mitigations.len() as u64,
            c.seeds.len() as u64,
            u64::from(t.rounds.max(1)),
        ]
        .iter()
        .fold(1u64, |a, b| a.saturating_mul(*b));
        cells = cells.saturating_add(grid);
    }
    if cells > MAX_CELLS {
        return Err(over("tasks", format!("a grid of {cells} cells"), MAX_CELLS));
    }
    let g = &c.generator;
    at_most(
        "generator.neutral_per_label",
        g.neutral_per_label,
        MAX_PER_LABEL,
    )?;
    at_most(
        "generator.augmented_per_label",
        g.augmented_per_label,
        MAX_PER_LABEL,
    )?;
    at_most("generator.max_tokens", g.max_tokens, MAX_NEW_TOKENS)?;
    at_most("generator.batch_size", g.batch_size, MAX_GENERATION_BATCH)?;
    if !(g.temperature.is_finite() && g.temperature >= 0.0) {
        return Err((
            "generator.temperature".into(),
            format!("must be a finite number >= 0, got {}", g.temperature),
        ));
    }
    if !(g.top_p > 0.0 && g.top_p <= 1.0) {
        return Err((
            "generator.top_p".into(),
            format!("must be in (0, 1], got {}", g.top_p),
        ));
    }
    let e = &c.embedding;
    at_most(
        "embedding.samples_per_source",
        e.samples_per_source,
        MAX_SAMPLES_PER_SOURCE,
    )?;
    at_most("embedding.permutations", e.permutations, MAX_PERMUTATIONS)?;
    Ok(())
}

/// Checks the bounds of a downstream configuration (the study's, or a task's merged
/// one); the key is `downstream.*`.
pub fn check_downstream(d: &DownstreamConfig) -> Result<(), Violation> {
    at_most("downstream.vocab_size", d.vocab_size, MAX_VOCAB)?;
    at_most("downstream.embed_dim", d.embed_dim, MAX_EMBED_DIM)?;
    at_most("downstream.epochs", d.epochs, MAX_EPOCHS)?;
    at_most("downstream.batch_size", d.batch_size, MAX_BATCH)?;
    at_most("downstream.max_len", d.max_len, MAX_LEN)?;
    let table = (d.vocab_size as u64).saturating_mul(d.embed_dim as u64);
    if table > MAX_EMBEDDING_PARAMS {
        return Err(over(
            "downstream.embed_dim",
            format!("an embedding table of vocab_size × embed_dim = {table} parameters"),
            MAX_EMBEDDING_PARAMS,
        ));
    }
    let activations = (d.batch_size as u64)
        .saturating_mul(d.max_len as u64)
        .saturating_mul(d.embed_dim as u64);
    if activations > MAX_BATCH_ACTIVATIONS {
        return Err(over(
            "downstream.batch_size",
            format!("batch activations of batch_size × max_len × embed_dim = {activations} values"),
            MAX_BATCH_ACTIVATIONS,
        ));
    }
    Ok(())
}
