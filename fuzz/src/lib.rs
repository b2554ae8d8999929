//! Fuzzing every parser of user-supplied files, without nightly: a seeded ChaCha
//! mutator ([`mutate`]) over seed corpora taken from the real files ([`seeds`]), a driver
//! that runs each input under `catch_unwind` with its peak memory measured and a hang
//! watchdog ([`driver`]), and one target per parser ([`targets`]).
//!
//! Run every target for `N` inputs with `scripts/fuzz.sh N` (the `inherit-fuzz` binary);
//! `cargo test -p inherit-fuzz` runs a short smoke pass of each. See
//! `docs/reliability.md`.

pub mod alloc;
pub mod cli;
pub mod driver;
pub mod gguf_write;
pub mod json;
pub mod mutate;
pub mod seeds;
pub mod targets;

pub use driver::{Case, Finding, Options, Report, Target, Verdict, note, run};

/// Every allocation of a process linking this crate is counted (see [`alloc`]).
#[global_allocator]
static GLOBAL: alloc::Counting = alloc::Counting;
