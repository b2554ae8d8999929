//! What a LoRA adapter adapts: rank, scaling, dropout, the projections (by their PEFT
//! names) and the decoder layers.
//!
//! The names and the scaling follow PEFT's `LoraConfig` (`r`, `lora_alpha`,
//! `lora_dropout`, `target_modules`, `layers_to_transform`): the adapter of a projection
//! `W` adds `(alpha / r) * B A x` to `W x`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::llama::LlamaConfig;

/// Largest accepted rank (far above any useful LoRA rank; bounds allocations made from
/// an untrusted adapter file).
pub const MAX_RANK: usize = 4096;

/// A projection of a llama block that can carry an adapter, named as in Hugging Face's
/// `LlamaForCausalLM` (and so in PEFT's `target_modules`).
///
/// This crate fuses q, k and v into one `wqkv` matrix and gate and up into one `gate_up`
/// matrix; an adapter on `q_proj` adapts the query columns of `wqkv` only, and so on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum LoraTarget {
    /// `self_attn.q_proj` (queries, `d_model -> d_model`).
    #[serde(rename = "q_proj")]
    QProj,
    /// `self_attn.k_proj` (keys, `d_model -> kv_heads * head_dim`).
    #[serde(rename = "k_proj")]
    KProj,
    /// `self_attn.v_proj` (values, `d_model -> kv_heads * head_dim`).
    #[serde(rename = "v_proj")]
    VProj,
    /// `self_attn.o_proj` (attention output, `d_model -> d_model`).
    #[serde(rename = "o_proj")]
    OProj,
    /// `mlp.gate_proj` (SwiGLU gate, `d_model -> d_ff`).
    #[serde(rename = "gate_proj")]
    GateProj,
    /// `mlp.up_proj` (SwiGLU up, `d_model -> d_ff`).
    #[serde(rename = "up_proj")]
    UpProj,
    /// `mlp.down_proj` (`d_ff -> d_model`).
    #[serde(rename = "down_proj")]
    DownProj,
}

impl LoraTarget {
    /// All seven projections, in block order (PEFT's `all-linear` for llama, without the
    /// output head).
    pub const ALL: [LoraTarget; 7] = [
        LoraTarget::QProj,
        LoraTarget::KProj,
        LoraTarget::VProj,
        LoraTarget::OProj,
        LoraTarget::GateProj,
        LoraTarget::UpProj,
        LoraTarget::DownProj,
    ];

    /// The PEFT / Hugging Face module name (`q_proj`, ...).
    pub fn peft_name(self) -> &'static str {
        match self {
            LoraTarget::QProj => "q_proj",
            LoraTarget::KProj => "k_proj",
            LoraTarget::VProj => "v_proj",
            LoraTarget::OProj => "o_proj",
            LoraTarget::GateProj => "gate_proj",
            LoraTarget::UpProj => "up_proj",
            LoraTarget::DownProj => "down_proj",
        }
    }

    /// The parent module in Hugging Face's block (`self_attn` or `mlp`).
    pub fn parent(self) -> &'static str {
        match self {
            LoraTarget::QProj | LoraTarget::KProj | LoraTarget::VProj | LoraTarget::OProj => {
                "self_attn"
            }
            _ => "mlp",
        }
    }

    /// `(in_features, out_features)` of the projection in a model of `config`.
    pub fn dims(self, config: &LlamaConfig) -> (usize, usize) {
        let d = config.d_model;
        let kv = config.n_kv_heads * config.head_dim();
        match self {
            LoraTarget::QProj | LoraTarget::OProj => (d, d),
            LoraTarget::KProj | LoraTarget::VProj => (d, kv),
            LoraTarget::GateProj | LoraTarget::UpProj => (d, config.d_ff),
            LoraTarget::DownProj => (config.d_ff, d),
        }
    }
}

impl fmt::Display for LoraTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.peft_name())
    }
}

impl FromStr for LoraTarget {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        LoraTarget::ALL
            .into_iter()
            .find(|t| t.peft_name() == s)
            .ok_or_else(|| {
                Error::invalid(
                    "target_modules",
                    format!(
                        "`{s}` is not a llama projection (q_proj, k_proj, v_proj, o_proj, \
                         gate_proj, up_proj, down_proj)"
                    ),
                )
            })
    }
}

/// Which decoder layers carry adapters.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum LayerSelection {
    /// Every layer.
    #[default]
    All,
    /// The last `k` layers (`n_layers - k ..`): the prefix cache then serves the first
    /// `n_layers - k`, which the adapters never change.
    Top(usize),
    /// These layer indices (PEFT's `layers_to_transform`), ascending, no repeats.
    Only(Vec<usize>),
}

impl LayerSelection {
    /// The adapted layer indices (ascending) of a model with `n_layers` blocks; an empty
    /// selection or an index past the model is an [`Error::InvalidParam`] on `layers`.
    pub fn indices(&self, n_layers: usize) -> Result<Vec<usize>> {
        let bad = |m: String| Err(Error::invalid("layers", m));
        match self {
            LayerSelection::All => Ok((0..n_layers).collect()),
            LayerSelection::Top(k) if *k == 0 || *k > n_layers => {
                bad(format!("top:{k} is outside 1..={n_layers}"))
            }
            LayerSelection::Top(k) => Ok((n_layers - k..n_layers).collect()),
            LayerSelection::Only(v) if v.is_empty() => bad("no layer selected".into()),
            LayerSelection::Only(v) => {
                if let Some(i) = v.iter().find(|&&i| i >= n_layers) {
                    return bad(format!("layer {i} is past the model's {n_layers} layers"));
                }
                if v.windows(2).any(|w| w[0] >= w[1]) {
                    return bad(format!("layers {v:?} are not ascending without repeats"));
                }
                Ok(v.clone())
            }
        }
    }
}

impl fmt::Display for LayerSelection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayerSelection::All => f.write_str("all"),
            LayerSelection::Top(k) => write!(f, "top:{k}"),
            LayerSelection::Only(v) => {
                let v: Vec<String> = v.iter().map(usize::to_string).collect();
                write!(f, "{}", v.join(","))
            }
        }
    }
}

impl FromStr for LayerSelection {
    type Err = Error;

    /// `all`, `top:K`, or comma-separated indices (`20,21,29`).
    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            Error::invalid(
                "layers",
                format!("`{s}` is not `all`, `top:K` or comma-separated layer indices"),
            )
        };
        let s = s.trim();
        if s == "all" {
            return Ok(LayerSelection::All);
        }
        if let Some(k) = s.strip_prefix("top:") {
            return k.trim().parse().map(LayerSelection::Top).map_err(|_| bad());
        }
        s.split(',')
            .map(|i| i.trim().parse::<usize>().map_err(|_| bad()))
            .collect::<Result<Vec<_>>>()
            .map(LayerSelection::Only)
    }
}

/// LoRA hyper-parameters.
///
/// | name | default | range |
/// |---|---|---|
/// | `rank` (PEFT `r`) | 8 | 1..=[`MAX_RANK`] |
/// | `alpha` (PEFT `lora_alpha`) | 16 | finite, > 0; the update is scaled by `alpha / rank` |
/// | `dropout` (PEFT `lora_dropout`) | 0 | [0, 1): dropout on each adapter's input while training |
/// | `targets` (PEFT `target_modules`) | all seven projections | non-empty, no repeats |
/// | `layers` (PEFT `layers_to_transform`) | all | see [`LayerSelection`] |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoraConfig {
    /// Rank of the update.
    pub rank: usize,
    /// Scaling numerator.
    pub alpha: f64,
    /// Dropout on the adapters' inputs (training only).
    pub dropout: f64,
    /// The adapted projections.
    pub targets: Vec<LoraTarget>,
    /// The adapted layers.
    pub layers: LayerSelection,
}

impl Default for LoraConfig {
    fn default() -> Self {
        LoraConfig {
            rank: 8,
            alpha: 16.0,
            dropout: 0.0,
            targets: LoraTarget::ALL.to_vec(),
            layers: LayerSelection::All,
        }
    }
}

impl LoraConfig {
    /// Checks the ranges in the table above (the layers against a model: see
    /// [`LayerSelection::indices`]).
    pub fn check(&self) -> Result<()> {
        if self.rank == 0 || self.rank > MAX_RANK {
            return Err(Error::invalid(
                "rank",
                format!("{} is outside 1..={MAX_RANK}", self.rank),
            ));
        }
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            return Err(Error::invalid(
                "alpha",
                format!("must be finite and > 0, got {}", self.alpha),
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(Error::invalid(
                "dropout",
                format!("must be in [0, 1), got {}", self.dropout),
            ));
        }
        if self.targets.is_empty() {
            return Err(Error::invalid("targets", "no projection selected"));
        }
        let mut sorted = self.targets.clone();
        sorted.sort();
        sorted.dedup();
        if sorted.len() != self.targets.len() {
            return Err(Error::invalid(
                "targets",
                format!("{:?} names a projection twice", self.targets),
            ));
        }
        Ok(())
    }

    /// The factor of the low-rank update, `alpha / rank`.
    pub fn scale(&self) -> f64 {
        self.alpha / self.rank as f64
    }

    /// Whether `target` is adapted.
    pub fn targets_projection(&self, target: LoraTarget) -> bool {
        self.targets.contains(&target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_selections_parse_and_resolve() {
        assert_eq!(
            "all".parse::<LayerSelection>().unwrap(),
            LayerSelection::All
        );
        assert_eq!(
            "top:4".parse::<LayerSelection>().unwrap(),
            LayerSelection::Top(4)
        );
        assert_eq!(
            LayerSelection::Top(4).indices(30).unwrap(),
            vec![26, 27, 28, 29]
        );
        assert_eq!(
            "1, 3".parse::<LayerSelection>().unwrap(),
            LayerSelection::Only(vec![1, 3])
        );
        assert!("top:x".parse::<LayerSelection>().is_err());
        assert!(LayerSelection::Top(0).indices(30).is_err());
        assert!(LayerSelection::Top(31).indices(30).is_err());
        assert!(LayerSelection::Only(vec![3, 1]).indices(30).is_err());
        assert!(LayerSelection::Only(vec![30]).indices(30).is_err());
        for s in ["all", "top:2", "0,5"] {
            assert_eq!(s.parse::<LayerSelection>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn config_ranges_are_checked() {
        assert!(LoraConfig::default().check().is_ok());
        assert_eq!(LoraConfig::default().scale(), 2.0);
        for bad in [
            LoraConfig {
                rank: 0,
                ..Default::default()
            },
            LoraConfig {
                alpha: f64::NAN,
                ..Default::default()
            },
            LoraConfig {
                dropout: 1.0,
                ..Default::default()
            },
            LoraConfig {
                targets: vec![],
                ..Default::default()
            },
            LoraConfig {
                targets: vec![LoraTarget::QProj, LoraTarget::QProj],
                ..Default::default()
            },
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
        assert_eq!("v_proj".parse::<LoraTarget>().unwrap(), LoraTarget::VProj);
        assert!("lm_head".parse::<LoraTarget>().is_err());
    }
}
