//! A fine-tuned [`SmolLm`]: LoRA adapters merged into the weights or applied on the fly,
//! behind the same generation, scoring and KV-cache path as the base model.

use std::path::Path;

use burn::module::Module;

use crate::error::Result;
use crate::lora::LoraAdapters;
use crate::peft;

use super::SmolLm;

/// How an adapter is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AdapterMode {
    /// Folded into a copy of the base weights ([`LoraAdapters::merge`]): the base model's
    /// speed; the default.
    #[default]
    Merged,
    /// Applied at every forward pass (`Llama::forward_adapted`): the base weights stay
    /// as loaded.
    OnTheFly,
}

/// The adapter a [`SmolLm`] serves with.
#[derive(Debug, Clone)]
pub(super) struct Adapter {
    adapters: LoraAdapters,
    mode: AdapterMode,
    fingerprint: String,
}

impl Adapter {
    /// The adapters to apply at each forward pass (none when merged).
    pub(super) fn on_the_fly(&self) -> Option<&LoraAdapters> {
        (self.mode == AdapterMode::OnTheFly).then_some(&self.adapters)
    }

    /// sha256 of the adapter's PEFT files ([`peft::fingerprint`]).
    pub(super) fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

impl SmolLm {
    /// Serves the model with `adapters` (which must fit its shape), merged into the
    /// weights or applied on the fly. A model already carrying an adapter is an error:
    /// adapters do not stack.
    pub fn with_adapter(mut self, adapters: LoraAdapters, mode: AdapterMode) -> Result<Self> {
        if self.adapter.is_some() {
            return Err(crate::Error::invalid(
                "adapter",
                "the model already serves with an adapter",
            ));
        }
        adapters.check_fits(&self.config)?;
        let adapters = adapters.valid().fork(&self.device);
        let fingerprint = peft::fingerprint(&adapters)?;
        if mode == AdapterMode::Merged {
            self.model = adapters.try_merge(&self.model)?;
        } else {
            adapters.check_finite()?;
        }
        self.adapter = Some(Adapter {
            adapters,
            mode,
            fingerprint,
        });
        Ok(self)
    }

    /// Reads PEFT adapter files from `dir` ([`peft::load`]) and serves with them.
    pub fn load_adapter(self, dir: impl AsRef<Path>, mode: AdapterMode) -> Result<Self> {
        let loaded = peft::load(dir, &self.config, &self.device)?;
        self.with_adapter(loaded.adapters, mode)
    }

    /// The adapters the model serves with, and how.
    pub fn adapter(&self) -> Option<(&LoraAdapters, AdapterMode)> {
        self.adapter.as_ref().map(|a| (&a.adapters, a.mode))
    }
}
