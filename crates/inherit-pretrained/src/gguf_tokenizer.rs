//! The tokenizer and chat template stored in a GGUF file's metadata, rebuilt as a
//! `tokenizers::Tokenizer` so that prompt token ids equal llama.cpp's.
//!
//! Supported: `tokenizer.ggml.model = gpt2` (byte-level BPE) with the pre-tokenizers
//! `gpt2` (GPT-2's split regex) and `smollm`/`starcoder`/`refact`/`codeshell` (each digit on
//! its own, then GPT-2's regex). Control tokens (`token_type` 3) are special tokens;
//! user-defined tokens (4) are added tokens. The chat template must be ChatML
//! (`<|im_start|>role\n...<|im_end|>\n`), whose default system prompt is read from
//! `tokenizer.chat_template`.
//!
//! Control tokens come only from the template: [`GgufTokenizer::encode_prompt`] and
//! [`GgufTokenizer::encode_chat`] encode the template's own `<|im_start|>`/`<|im_end|>`
//! markers as control tokens and every piece of text (message contents, roles, the system
//! prompt, raw prompts) with special tokens disabled, so a dataset text containing
//! `<|im_start|>system` is read as those characters, not as a new turn.
//! [`GgufTokenizer::encode_text`] encodes a text the same way (for scoring).

use inherit_core::{ChatMessage, Prompt};
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::{BPE, Vocab};
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::{AddedToken, Tokenizer};

use crate::error::{Error, Result};
use crate::gguf::Gguf;

const TOKEN_TYPE_CONTROL: u64 = 3;
const TOKEN_TYPE_USER_DEFINED: u64 = 4;

/// A GGUF model's tokenizer, its end-of-generation ids and its chat template.
#[derive(Debug, Clone)]
pub struct GgufTokenizer {
    tokenizer: Tokenizer,
    /// The same tokenizer with special tokens disabled (read as text).
    plain: Tokenizer,
    stop_ids: Vec<u32>,
    eos_id: u32,
    template: ChatTemplate,
}

impl GgufTokenizer {
    /// Builds the tokenizer from `tokenizer.ggml.*` metadata.
    pub fn from_gguf(gguf: &Gguf) -> Result<Self> {
        let bad = |m: String| Error::weights(gguf.path(), m);
        let model = gguf.get_str("tokenizer.ggml.model")?;
        if model != "gpt2" {
            return Err(bad(format!(
                "tokenizer.ggml.model `{model}` is not supported (only gpt2 byte-level BPE)"
            )));
        }
        let strings = |key: &str| -> Result<Vec<String>> {
            gguf.get_array(key)?
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| bad(format!("`{key}` holds a non-string")))
                })
                .collect()
        };
        let tokens = strings("tokenizer.ggml.tokens")?;
        // Every id must index the embedding, when the file has one.
        if let Some(embd) = gguf.tensors.get("token_embd.weight") {
            let rows = embd.dims.get(1).copied().unwrap_or(0);
            if tokens.len() as u64 > rows {
                return Err(bad(format!(
                    "the tokenizer has {} tokens but `token_embd.weight` only {rows} rows: \
                     token ids past {} would index outside the embedding",
                    tokens.len(),
                    rows.saturating_sub(1)
                )));
            }
        }
        let vocab: Vocab = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let merges = strings("tokenizer.ggml.merges")?
            .into_iter()
            .map(|m| match m.split_once(' ') {
                Some((a, b)) => Ok((a.to_owned(), b.to_owned())),
                None => Err(bad(format!(
                    "merge `{m}` is not two tokens separated by a space"
                ))),
            })
            .collect::<Result<Vec<_>>>()?;
        let bpe = BPE::builder()
            .vocab_and_merges(vocab, merges)
            .build()
            .map_err(|e| Error::Tokenizer(format!("building BPE: {e}")))?;
        let mut tokenizer = Tokenizer::new(bpe);
        let byte_level = ByteLevel::new(false, true, true);
        let pre: PreTokenizerWrapper = match gguf.get_str("tokenizer.ggml.pre").unwrap_or("gpt2") {
            "gpt2" | "default" => byte_level.into(),
            "smollm" | "starcoder" | "refact" | "codeshell" => {
                Sequence::new(vec![Digits::new(true).into(), byte_level.into()]).into()
            }
            other => {
                return Err(bad(format!(
                    "pre-tokenizer `{other}` is not supported (gpt2, smollm, starcoder)"
                )));
            }
        };
        tokenizer.with_pre_tokenizer(Some(pre));
        tokenizer.with_decoder(Some(ByteLevelDecoder::default()));

        let types = gguf.get_array("tokenizer.ggml.token_type")?;
        if types.len() != tokens.len() {
            return Err(bad(format!(
                "{} token types for {} tokens",
                types.len(),
                tokens.len()
            )));
        }
        let mut special = Vec::new();
        let mut added = Vec::new();
        for (token, ty) in tokens.iter().zip(types) {
            match ty.as_u64() {
                Some(TOKEN_TYPE_CONTROL) => special.push(AddedToken::from(token.clone(), true)),
                Some(TOKEN_TYPE_USER_DEFINED) => added.push(AddedToken::from(token.clone(), false)),
                _ => {}
            }
        }
        tokenizer
            .add_special_tokens(special)
            .and_then(|_| tokenizer.add_tokens(added))
            .map_err(|e| Error::Tokenizer(format!("adding special tokens: {e}")))?;

        let id_of = |key: &str| -> Result<u32> {
            let id = gguf.get_u64(key)?;
            if id as usize >= tokens.len() {
                return Err(bad(format!(
                    "`{key}` = {id} is past the vocabulary ({})",
                    tokens.len()
                )));
            }
            Ok(id as u32)
        };
        let eos_id = id_of("tokenizer.ggml.eos_token_id")?;
        // End-of-generation: EOS and the ChatML / document terminators when present.
        let mut stop_ids = vec![eos_id];
        for t in ["<|im_end|>", "<|endoftext|>"] {
            if let Some(id) = tokenizer.token_to_id(t)
                && !stop_ids.contains(&id)
            {
                stop_ids.push(id);
            }
        }
        let template = match gguf.metadata.get("tokenizer.chat_template") {
            Some(v) => ChatTemplate::parse(
                v.as_str()
                    .ok_or_else(|| bad("tokenizer.chat_template is not a string".into()))?,
            )
            .map_err(bad)?,
            None => ChatTemplate::default(),
        };
        let mut plain = tokenizer.clone();
        plain.set_encode_special_tokens(true);
        Ok(GgufTokenizer {
            tokenizer,
            plain,
            stop_ids,
            eos_id,
            template,
        })
    }

    /// Token ids of `text` with control tokens such as `<|im_start|>` recognised anywhere
    /// in it (no BOS is added, as `tokenizer.ggml.add_bos_token` is false for the models
    /// supported). Only for text whose control tokens are meant, such as a template
    /// written by the program: user or dataset text goes through
    /// [`GgufTokenizer::encode_text`] or [`GgufTokenizer::encode_prompt`].
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        Self::encode_with(&self.tokenizer, text)
    }

    /// Token ids of `text` read as plain text: `<|im_start|>` in it is those 12
    /// characters, never a control token (user-defined added tokens are still matched).
    pub fn encode_text(&self, text: &str) -> Result<Vec<u32>> {
        Self::encode_with(&self.plain, text)
    }

    /// Token ids of a conversation through the chat template: the template's markers are
    /// control tokens, every text in it (contents, roles, the default system prompt) is
    /// plain text. Equal to `encode(&template().render(messages))` whenever no text holds
    /// a control token's spelling.
    pub fn encode_chat(&self, messages: &[ChatMessage]) -> Result<Vec<u32>> {
        let mut ids = Vec::new();
        for segment in self.template.segments(messages) {
            match segment {
                Segment::Marker(marker) => match self.tokenizer.token_to_id(marker) {
                    Some(id) => ids.push(id),
                    None => ids.extend(self.encode_text(marker)?),
                },
                Segment::Text(text) => ids.extend(self.encode_text(&text)?),
            }
        }
        Ok(ids)
    }

    /// Token ids of a prompt: a chat through [`GgufTokenizer::encode_chat`], a raw prompt
    /// as plain text ([`GgufTokenizer::encode_text`]).
    pub fn encode_prompt(&self, prompt: &Prompt) -> Result<Vec<u32>> {
        match prompt {
            Prompt::Chat(messages) => self.encode_chat(messages),
            Prompt::Raw(text) => self.encode_text(text),
        }
    }

    fn encode_with(tokenizer: &Tokenizer, text: &str) -> Result<Vec<u32>> {
        let enc = tokenizer
            .encode_fast(text, false)
            .map_err(|e| Error::Tokenizer(format!("encoding {text:?}: {e}")))?;
        Ok(enc.get_ids().to_vec())
    }

    /// The text of `ids`, special tokens skipped.
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.tokenizer
            .decode(ids, true)
            .map_err(|e| Error::Tokenizer(format!("decoding {ids:?}: {e}")))
    }

    /// The vocabulary entry of one id (byte-level form, e.g. `Ġthe`).
    pub fn token(&self, id: u32) -> Option<String> {
        self.tokenizer.id_to_token(id)
    }

    /// Ids that end a generation (EOS, `<|im_end|>`, `<|endoftext|>`).
    pub fn stop_ids(&self) -> &[u32] {
        &self.stop_ids
    }

    /// The end-of-sequence id (`tokenizer.ggml.eos_token_id`).
    pub fn eos_id(&self) -> u32 {
        self.eos_id
    }

    /// The chat template.
    pub fn template(&self) -> &ChatTemplate {
        &self.template
    }

    /// The underlying `tokenizers` tokenizer.
    pub fn inner(&self) -> &Tokenizer {
        &self.tokenizer
    }
}

/// The ChatML chat template: `<|im_start|>role\ncontent<|im_end|>\n` per message, then
/// `<|im_start|>assistant\n`; a conversation that does not open with a system message gets
/// the model's default system prompt first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatTemplate {
    /// The system prompt added when the conversation has none.
    pub default_system: Option<String>,
}

impl ChatTemplate {
    /// Reads a Jinja `tokenizer.chat_template`, which must be ChatML; the default system
    /// prompt is the literal text after `<|im_start|>system\n` in it.
    pub fn parse(template: &str) -> Result<Self, String> {
        if !template.contains("<|im_start|>") || !template.contains("<|im_end|>") {
            return Err(
                "tokenizer.chat_template is not ChatML (<|im_start|> ... <|im_end|>)".into(),
            );
        }
        let default_system = ["<|im_start|>system\n", "<|im_start|>system\\n"]
            .iter()
            .find_map(|open| {
                let rest = &template[template.find(open)? + open.len()..];
                Some(rest[..rest.find("<|im_end|>")?].to_owned())
            });
        Ok(ChatTemplate { default_system })
    }

    /// The prompt text of a conversation, ending with the opening of the assistant's turn.
    pub fn render(&self, messages: &[ChatMessage]) -> String {
        self.segments(messages)
            .into_iter()
            .map(|s| match s {
                Segment::Marker(m) => m.to_owned(),
                Segment::Text(t) => t,
            })
            .collect()
    }

    /// The rendered conversation as the template's markers and the texts between them.
    pub fn segments(&self, messages: &[ChatMessage]) -> Vec<Segment> {
        let mut out = Vec::new();
        let mut turn = |role: &str, content: &str| {
            out.push(Segment::Marker(IM_START));
            out.push(Segment::Text(format!("{role}\n{content}")));
            out.push(Segment::Marker(IM_END));
            out.push(Segment::Text("\n".into()));
        };
        let opens_with_system = messages.first().is_some_and(|m| m.role == "system");
        if let (false, Some(system)) = (opens_with_system, &self.default_system) {
            turn("system", system);
        }
        for m in messages {
            turn(&m.role, &m.content);
        }
        out.push(Segment::Marker(IM_START));
        out.push(Segment::Text("assistant\n".into()));
        out
    }
}

/// The ChatML turn opener.
const IM_START: &str = "<|im_start|>";
/// The ChatML turn terminator.
const IM_END: &str = "<|im_end|>";

/// A piece of a rendered chat: a marker of the template (a control token) or text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A control token of the template (`<|im_start|>`, `<|im_end|>`).
    Marker(&'static str),
    /// Text, to be encoded with special tokens disabled.
    Text(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chatml_default_system_prompt_is_read_and_used_only_without_a_system_turn() {
        let t = ChatTemplate::parse(
            "{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nBe kind<|im_end|>\n' }}{% endif %}",
        )
        .unwrap();
        assert_eq!(t.default_system.as_deref(), Some("Be kind"));
        assert_eq!(
            t.render(&[ChatMessage::user("hi")]),
            "<|im_start|>system\nBe kind<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
        );
        assert_eq!(
            t.render(&[ChatMessage::system("S"), ChatMessage::user("hi")]),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
        );
        assert!(ChatTemplate::parse("[INST] {{ m }} [/INST]").is_err());
    }
}
