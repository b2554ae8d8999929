//! [`LlamaConfig`]: the architecture's hyper-parameters, read and bounds-checked from a
//! GGUF file's `{arch}.*` metadata.

use crate::error::{Error, Result};
use crate::gguf::Gguf;

/// Largest accepted `embedding_length` and head counts (Llama 3.1 405B: 16384).
pub const MAX_WIDTH: u64 = 1 << 16;
/// Largest accepted `feed_forward_length` (Llama 3.1 405B: 53248).
pub const MAX_FF: u64 = 1 << 18;
/// Largest accepted `block_count` (Llama 3.1 405B: 126).
pub const MAX_LAYERS: u64 = 1 << 10;
/// Largest accepted vocabulary (Gemma: 256000).
pub const MAX_VOCAB: u64 = 1 << 22;
/// Largest accepted `context_length` (Llama 3.1: 131072).
pub const MAX_CONTEXT: u64 = 1 << 24;

/// Architecture hyper-parameters, read from `{arch}.*` GGUF metadata.
///
/// [`LlamaConfig::from_gguf`] checks every size against the bounds above (and against 0),
/// the head counts against the width, the tokenizer's vocabulary against the embedding
/// rows and the embedding's shape, so a crafted file gives [`Error::Weights`], never a
/// division by zero, an aborted allocation or an out-of-range token id.
#[derive(Debug, Clone, PartialEq)]
pub struct LlamaConfig {
    /// Vocabulary size.
    pub vocab: usize,
    /// Width of the residual stream.
    pub d_model: usize,
    /// Number of decoder blocks.
    pub n_layers: usize,
    /// Attention (query) heads.
    pub n_heads: usize,
    /// Key/value heads (grouped-query attention: `n_heads` is a multiple).
    pub n_kv_heads: usize,
    /// Width of the feed-forward layer.
    pub d_ff: usize,
    /// RMSNorm epsilon.
    pub rms_eps: f64,
    /// RoPE frequency base.
    pub rope_base: f64,
    /// Longest context the model was trained for.
    pub context: usize,
    /// The architecture variant (`general.architecture`).
    pub arch: Arch,
    /// RoPE position scale (`1 / {arch}.rope.scaling.factor` for linear scaling, else 1):
    /// rotation angles are `position * rope_freq_scale * base^(-2i / head_dim)`, divided by
    /// the `rope_freqs.weight` factors when the file has them (Llama 3.1/3.2).
    pub rope_freq_scale: f64,
}

/// The llama-family architectures the decoder runs, by `general.architecture`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Arch {
    /// `llama` (Llama 2/3, SmolLM2, ...): `attn_q`/`attn_k` rows stored permuted by
    /// llama.cpp's converter (undone at load), no projection biases.
    #[default]
    Llama,
    /// `qwen2` (Qwen2, Qwen2.5): `attn_q`/`attn_k` rows in rotate-half ("NEOX") order as
    /// stored, and biases on the query, key and value projections
    /// (`blk.N.attn_{q,k,v}.bias`).
    Qwen2,
}

impl Arch {
    /// The `general.architecture` value, also the prefix of its metadata keys.
    pub fn name(self) -> &'static str {
        match self {
            Arch::Llama => "llama",
            Arch::Qwen2 => "qwen2",
        }
    }

    /// Whether llama.cpp's converter permuted the `attn_q`/`attn_k` rows.
    pub fn permuted_qk(self) -> bool {
        self == Arch::Llama
    }

    /// Whether the query, key and value projections have biases.
    pub fn qkv_bias(self) -> bool {
        self == Arch::Qwen2
    }
}

impl LlamaConfig {
    /// Reads the configuration of a `general.architecture = llama` or `qwen2` file.
    ///
    /// What the decoder does not implement is refused with an [`Error::Weights`] naming
    /// the metadata key: another architecture, RoPE scaling other than linear
    /// (`{arch}.rope.scaling.type` = `yarn`, `longrope`, ...), partial RoPE
    /// (`{arch}.rope.dimension_count`), head widths other than `embedding_length /
    /// head_count` (`{arch}.attention.key_length` / `value_length`), attention logit
    /// soft-capping and sliding windows.
    pub fn from_gguf(gguf: &Gguf) -> Result<Self> {
        let arch_name = gguf.get_str("general.architecture")?;
        let arch = match arch_name {
            "llama" => Arch::Llama,
            "qwen2" => Arch::Qwen2,
            other => {
                return Err(Error::weights(
                    gguf.path(),
                    format!("`general.architecture` = `{other}` is not supported (llama, qwen2)"),
                ));
            }
        };
        let a = arch.name();
        let bad = |m: String| Error::weights(gguf.path(), m);
        // Every size must be at least 1 and at most its bound (far above any released
        // llama model): a 0 divides by zero later, a huge one aborts an allocation.
        let sized = |k: &str, max: u64| -> Result<usize> {
            let key = format!("{a}.{k}");
            let v = gguf.get_u64(&key)?;
            if v == 0 || v > max {
                return Err(bad(format!("`{key}` = {v} is outside 1..={max}")));
            }
            usize::try_from(v).map_err(|_| bad(format!("`{key}` = {v} does not fit in memory")))
        };
        let d_model = sized("embedding_length", MAX_WIDTH)?;
        let n_heads = sized("attention.head_count", MAX_WIDTH)?;
        let n_kv_heads = match gguf.metadata.get(&format!("{a}.attention.head_count_kv")) {
            Some(_) => sized("attention.head_count_kv", MAX_WIDTH)?,
            None => n_heads,
        };
        let tokens = gguf
            .metadata
            .get("tokenizer.ggml.tokens")
            .and_then(|v| v.as_array())
            .map(<[_]>::len);
        let vocab = match gguf.metadata.get(&format!("{a}.vocab_size")) {
            Some(_) => sized("vocab_size", MAX_VOCAB)?,
            None => match tokens {
                Some(n) if n > 0 && n as u64 <= MAX_VOCAB => n,
                Some(n) => {
                    return Err(bad(format!(
                        "the tokenizer has {n} tokens, outside 1..={MAX_VOCAB}"
                    )));
                }
                None => {
                    return Err(bad(format!(
                        "neither `{a}.vocab_size` nor `tokenizer.ggml.tokens` gives the \
                         vocabulary size"
                    )));
                }
            },
        };
        if let Some(n) = tokens
            && n > vocab
        {
            return Err(bad(format!(
                "the tokenizer has {n} tokens but the model only {vocab} embedding rows: \
                 token ids past {} would index outside the embedding",
                vocab - 1
            )));
        }
        let key = |k: &str| format!("{a}.{k}");
        let rms_eps = gguf.get_f64(&key("attention.layer_norm_rms_epsilon"))?;
        if !(rms_eps.is_finite() && rms_eps > 0.0 && rms_eps < 1.0) {
            return Err(bad(format!(
                "`{}` = {rms_eps} is not in (0, 1)",
                key("attention.layer_norm_rms_epsilon")
            )));
        }
        let rope_base = gguf.get_f64(&key("rope.freq_base")).unwrap_or(10_000.0);
        if !(rope_base.is_finite() && rope_base > 1.0) {
            return Err(bad(format!(
                "`{}` = {rope_base} is not a finite number above 1",
                key("rope.freq_base")
            )));
        }
        let rope_freq_scale = rope_freq_scale(gguf, a)?;
        let config = LlamaConfig {
            vocab,
            d_model,
            n_layers: sized("block_count", MAX_LAYERS)?,
            n_heads,
            n_kv_heads,
            d_ff: sized("feed_forward_length", MAX_FF)?,
            rms_eps,
            rope_base,
            context: sized("context_length", MAX_CONTEXT)?,
            arch,
            rope_freq_scale,
        };
        if d_model % n_heads != 0 || n_heads % n_kv_heads != 0 {
            return Err(bad(format!(
                "{n_heads} heads / {n_kv_heads} KV heads do not divide width {d_model}"
            )));
        }
        if !config.head_dim().is_multiple_of(2) {
            return Err(bad("head width must be even for RoPE".into()));
        }
        let rope_key = key("rope.dimension_count");
        if let Some(v) = gguf.metadata.get(&rope_key) {
            let rope_dims = v.as_u64();
            if rope_dims != Some(config.head_dim() as u64) {
                return Err(bad(format!(
                    "`{rope_key}` = {v:?}: partial RoPE (of {} dims) is not supported",
                    config.head_dim()
                )));
            }
        }
        for k in ["attention.key_length", "attention.value_length"] {
            let k = key(k);
            if let Some(v) = gguf.metadata.get(&k)
                && v.as_u64() != Some(config.head_dim() as u64)
            {
                return Err(bad(format!(
                    "`{k}` = {v:?}: heads wider or narrower than embedding_length / \
                     head_count ({}) are not supported",
                    config.head_dim()
                )));
            }
        }
        for k in [
            "attn_logit_softcapping",
            "final_logit_softcapping",
            "attention.sliding_window",
        ] {
            let k = key(k);
            if gguf.metadata.contains_key(&k) {
                return Err(bad(format!("`{k}` is set: not supported")));
            }
        }
        // The embedding must have the shape the config implies, checked before anything
        // is allocated.
        let embd = gguf.info("token_embd.weight")?;
        if embd.dims != [d_model as u64, vocab as u64] {
            return Err(bad(format!(
                "tensor `token_embd.weight` has dims {:?}, expected [{d_model}, {vocab}] \
                 (embedding_length, vocabulary)",
                embd.dims
            )));
        }
        Ok(config)
    }

    /// Width of one attention head.
    pub fn head_dim(&self) -> usize {
        self.d_model / self.n_heads
    }
}

/// The RoPE position scale from `{a}.rope.scaling.*` (or the older
/// `{a}.rope.scale_linear`): 1 without scaling, `1 / factor` for linear scaling; any other
/// scaling type is refused naming the key. (Llama 3's own scaling needs no key: its
/// converter stores the per-frequency factors as the tensor `rope_freqs.weight`.)
fn rope_freq_scale(gguf: &Gguf, a: &str) -> Result<f64> {
    let bad = |m: String| Error::weights(gguf.path(), m);
    let factor_of = |k: &str| -> Result<Option<f64>> {
        match gguf.metadata.get(k) {
            None => Ok(None),
            Some(_) => {
                let f = gguf.get_f64(k)?;
                if !(f.is_finite() && f > 0.0) {
                    return Err(bad(format!("`{k}` = {f} is not a finite number above 0")));
                }
                Ok(Some(f))
            }
        }
    };
    let type_key = format!("{a}.rope.scaling.type");
    let factor_key = format!("{a}.rope.scaling.factor");
    let ty = match gguf.metadata.get(&type_key) {
        None => None,
        Some(_) => Some(gguf.get_str(&type_key)?),
    };
    let factor = match ty {
        None | Some("none") => factor_of(&format!("{a}.rope.scale_linear"))?,
        Some("linear") => Some(
            factor_of(&factor_key)?
                .ok_or_else(|| bad(format!("`{type_key}` = linear without `{factor_key}`")))?,
        ),
        Some(other) => {
            return Err(bad(format!(
                "`{type_key}` = `{other}`: only linear RoPE scaling (and Llama 3's \
                 `rope_freqs.weight` factors) is supported"
            )));
        }
    };
    Ok(factor.map_or(1.0, |f| 1.0 / f))
}
