//! `inherit`: the umbrella crate of the workspace.
//!
//! It only re-exports the member crates so that a user can depend on one crate and
//! reach everything; it holds no pipeline logic. The crates are wired together in
//! the example binaries under `examples/`.

pub use inherit_augment as augment;
pub use inherit_core as core;
pub use inherit_data as data;
pub use inherit_eval as eval;
pub use inherit_mitigate as mitigate;
pub use inherit_mix as mix;
pub use inherit_pretrained as pretrained;
pub use inherit_study as study;
pub use inherit_train as train;
