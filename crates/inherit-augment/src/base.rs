//! The trait the augmenter pulls prompts from.

use crate::error::Result;
use crate::spec::BiasPrompt;

/// A sequence of prompts addressed by index: a finite list, or an unbounded
/// [`crate::PromptBuilder`] whose prompt `i` is a pure function of its spec, its seed and
/// `i` (so a rerun asks for exactly the same prompts, and the cache can skip them).
pub trait PromptSource {
    /// How many prompts there are (`None`: unbounded).
    fn limit(&self) -> Option<usize>;

    /// Prompt number `index` (`index < limit`).
    fn prompt(&self, index: usize) -> Result<BiasPrompt>;
}

impl PromptSource for [BiasPrompt] {
    fn limit(&self) -> Option<usize> {
        Some(self.len())
    }

    fn prompt(&self, index: usize) -> Result<BiasPrompt> {
        self.get(index).cloned().ok_or_else(|| {
            inherit_core::Error::invalid(
                "index",
                format!("prompt {index} out of range (0..{})", self.len()),
            )
            .into()
        })
    }
}
