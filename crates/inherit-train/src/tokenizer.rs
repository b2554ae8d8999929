//! Subword tokenisation through the `tokenizers` crate: train a WordPiece or BPE vocabulary
//! offline on a corpus, or load a `tokenizer.json`; encode batches with truncation,
//! padding to the batch's longest sequence and attention masks.

use std::path::Path;

use serde::{Deserialize, Serialize};
use tokenizers::decoders::DecoderWrapper;
use tokenizers::models::bpe::{BPE, BpeTrainerBuilder};
use tokenizers::models::wordpiece::{WordPiece, WordPieceTrainerBuilder};
use tokenizers::models::{ModelWrapper, TrainerWrapper};
use tokenizers::normalizers::{BertNormalizer, Lowercase, NormalizerWrapper};
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::{AddedToken, PostProcessorWrapper, Tokenizer, TokenizerBuilder};

use crate::error::{Error, Result};

/// The subword algorithm of a trained vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TokenizerKind {
    /// BERT-style WordPiece (`##` continuation pieces) after BERT normalisation.
    #[default]
    WordPiece,
    /// Byte-level BPE (GPT-2 style; never produces `[UNK]`).
    Bpe,
    /// Whole words after BERT normalisation and pre-tokenisation: the `vocab_size` most
    /// frequent words (ties by spelling), the rest `[UNK]`. Fully deterministic, unlike the
    /// subword trainers, whose merges depend on hash-map order when counts tie.
    WordLevel,
}

/// The names of the special tokens.
///
/// `pad`, `unk`, `cls` (start of sequence), `sep` (end of sequence) must exist in the
/// vocabulary; `mask`, `aug` and `orig` are reserved so that mitigations (source tags,
/// masking) can use them as single tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SpecialTokens {
    /// Padding.
    pub pad: String,
    /// Unknown piece.
    pub unk: String,
    /// Start of sequence (classifier pooling position, LM beginning of text).
    pub cls: String,
    /// End of sequence (LM end of text).
    pub sep: String,
    /// Mask token.
    pub mask: String,
    /// Source tag of augmented examples.
    pub aug: String,
    /// Source tag of original examples.
    pub orig: String,
}

impl Default for SpecialTokens {
    fn default() -> Self {
        SpecialTokens {
            pad: "[PAD]".into(),
            unk: "[UNK]".into(),
            cls: "[CLS]".into(),
            sep: "[SEP]".into(),
            mask: "[MASK]".into(),
            aug: "<aug>".into(),
            orig: "<orig>".into(),
        }
    }
}

impl SpecialTokens {
    /// All seven, in id order for a trained vocabulary (`[PAD]` is id 0).
    pub fn all(&self) -> [&str; 7] {
        [
            &self.pad, &self.unk, &self.cls, &self.sep, &self.mask, &self.aug, &self.orig,
        ]
    }
}

/// Tokenizer settings.
///
/// | name | default | range |
/// |---|---|---|
/// | `kind` | `wordpiece` | `wordpiece`, `bpe` |
/// | `vocab_size` | 4000 | >= 16 (training only) |
/// | `min_frequency` | 1 | >= 1 (training only) |
/// | `lowercase` | true | (training only) |
/// | `max_length` | 128 | >= 2; longer texts are truncated |
/// | `special` | see [`SpecialTokens`] | distinct, non-empty |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TokenizerConfig {
    /// Subword algorithm.
    pub kind: TokenizerKind,
    /// Target vocabulary size, special tokens included.
    pub vocab_size: usize,
    /// Minimum pair frequency for a merge.
    pub min_frequency: u64,
    /// Lowercase before tokenising.
    pub lowercase: bool,
    /// Maximum sequence length in tokens, special tokens included.
    pub max_length: usize,
    /// Special token names.
    pub special: SpecialTokens,
}

impl Default for TokenizerConfig {
    fn default() -> Self {
        TokenizerConfig {
            kind: TokenizerKind::WordPiece,
            vocab_size: 4000,
            min_frequency: 1,
            lowercase: true,
            max_length: 128,
            special: SpecialTokens::default(),
        }
    }
}

impl TokenizerConfig {
    /// Checks the ranges in the table above.
    pub fn check(&self) -> Result<()> {
        if self.vocab_size < 16 {
            return Err(Error::invalid(
                "vocab_size",
                format!("must be >= 16, got {}", self.vocab_size),
            ));
        }
        if self.min_frequency == 0 {
            return Err(Error::invalid("min_frequency", "must be >= 1"));
        }
        if self.max_length < 2 {
            return Err(Error::invalid(
                "max_length",
                format!("must be >= 2, got {}", self.max_length),
            ));
        }
        let all = self.special.all();
        for (i, t) in all.iter().enumerate() {
            if t.is_empty() {
                return Err(Error::invalid("special", "special tokens cannot be empty"));
            }
            if all[..i].contains(t) {
                return Err(Error::invalid(
                    "special",
                    format!("special token `{t}` is given twice"),
                ));
            }
        }
        Ok(())
    }
}

/// Ids of the special tokens in a vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecialIds {
    /// `[PAD]`.
    pub pad: u32,
    /// `[UNK]` (None for byte-level vocabularies that lack it).
    pub unk: Option<u32>,
    /// `[CLS]`.
    pub cls: u32,
    /// `[SEP]`.
    pub sep: u32,
}

/// A subword tokenizer with the settings the models need.
#[derive(Debug, Clone)]
pub struct TextTokenizer {
    inner: Tokenizer,
    config: TokenizerConfig,
    ids: SpecialIds,
}

impl TextTokenizer {
    /// Trains a vocabulary on `texts` (deterministic: no sampling is involved).
    pub fn train<S: AsRef<str> + Sync>(config: &TokenizerConfig, texts: &[S]) -> Result<Self> {
        config.check()?;
        if texts.is_empty() {
            return Err(Error::Data("cannot train a tokenizer on no texts".into()));
        }
        let specials: Vec<AddedToken> = config
            .special
            .all()
            .iter()
            .map(|t| AddedToken::from(*t, true))
            .collect();
        let tok_err = |e: tokenizers::Error| Error::Tokenizer(e.to_string());
        if config.kind == TokenizerKind::WordLevel {
            return Self::train_word_level(config, texts, &specials);
        }
        let (model, normalizer, pre, decoder, mut trainer): (
            ModelWrapper,
            Option<NormalizerWrapper>,
            PreTokenizerWrapper,
            DecoderWrapper,
            TrainerWrapper,
        ) = match config.kind {
            TokenizerKind::WordPiece => (
                WordPiece::builder()
                    .unk_token(config.special.unk.clone())
                    .build()
                    .map_err(tok_err)?
                    .into(),
                Some(BertNormalizer::new(true, true, None, config.lowercase).into()),
                BertPreTokenizer.into(),
                tokenizers::decoders::wordpiece::WordPiece::default().into(),
                WordPieceTrainerBuilder::new()
                    .vocab_size(config.vocab_size)
                    .min_frequency(config.min_frequency)
                    .special_tokens(specials)
                    .show_progress(false)
                    .build()
                    .into(),
            ),
            TokenizerKind::WordLevel => unreachable!("handled above"),
            TokenizerKind::Bpe => (
                BPE::default().into(),
                config.lowercase.then(|| Lowercase.into()),
                ByteLevel::default().into(),
                ByteLevel::default().into(),
                BpeTrainerBuilder::new()
                    .vocab_size(config.vocab_size)
                    .min_frequency(config.min_frequency)
                    .special_tokens(specials)
                    .initial_alphabet(ByteLevel::alphabet().into_iter().collect())
                    .show_progress(false)
                    .build()
                    .into(),
            ),
        };
        let mut tokenizer = TokenizerBuilder::<
            ModelWrapper,
            NormalizerWrapper,
            PreTokenizerWrapper,
            PostProcessorWrapper,
            DecoderWrapper,
        >::default()
        .with_model(model)
        .with_normalizer(normalizer)
        .with_pre_tokenizer(Some(pre))
        .with_decoder(Some(decoder))
        .build()
        .map_err(tok_err)?;
        tokenizer
            .train(&mut trainer, texts.iter().map(|t| t.as_ref()))
            .map_err(tok_err)?;
        if config.kind == TokenizerKind::WordPiece {
            // The trainer numbers tokens in hash-map order, which differs between
            // processes; renumber so one corpus always gives the same ids.
            let n_special = config.special.all().len() as u32;
            let mut rest: Vec<(String, u32)> = tokenizer
                .get_vocab(false)
                .into_iter()
                .filter(|(_, id)| *id >= n_special)
                .collect();
            rest.sort();
            let mut vocab: ahash::AHashMap<String, u32> = tokenizer
                .get_vocab(false)
                .into_iter()
                .filter(|(_, id)| *id < n_special)
                .collect();
            for (i, (token, _)) in rest.into_iter().enumerate() {
                vocab.insert(token, n_special + i as u32);
            }
            let model = WordPiece::builder()
                .vocab(vocab)
                .unk_token(config.special.unk.clone())
                .build()
                .map_err(tok_err)?;
            tokenizer.with_model(model);
        }
        Self::from_tokenizer(Tokenizer::from(tokenizer), config.clone())
    }

    /// [`TokenizerKind::WordLevel`] training: counts normalised, pre-tokenised words and
    /// keeps the most frequent, specials first.
    fn train_word_level<S: AsRef<str>>(
        config: &TokenizerConfig,
        texts: &[S],
        specials: &[AddedToken],
    ) -> Result<Self> {
        use tokenizers::{
            NormalizedString, Normalizer, OffsetReferential, OffsetType, PreTokenizedString,
            PreTokenizer,
        };
        let tok_err = |e: tokenizers::Error| Error::Tokenizer(e.to_string());
        let normalizer = BertNormalizer::new(true, true, None, config.lowercase);
        let mut counts: std::collections::HashMap<String, u64> = Default::default();
        for text in texts {
            let mut normalized = NormalizedString::from(text.as_ref());
            normalizer.normalize(&mut normalized).map_err(tok_err)?;
            let mut pre = PreTokenizedString::from(normalized);
            BertPreTokenizer.pre_tokenize(&mut pre).map_err(tok_err)?;
            for (word, _, _) in pre.get_splits(OffsetReferential::Original, OffsetType::Byte) {
                *counts.entry(word.to_owned()).or_default() += 1;
            }
        }
        let names = config.special.all();
        let mut words: Vec<(String, u64)> = counts
            .into_iter()
            .filter(|(w, c)| *c >= config.min_frequency && !names.contains(&w.as_str()))
            .collect();
        words.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut vocab: ahash::AHashMap<String, u32> = ahash::AHashMap::new();
        for name in names {
            let id = vocab.len() as u32;
            vocab.insert(name.to_owned(), id);
        }
        for (word, _) in words
            .into_iter()
            .take(config.vocab_size.saturating_sub(names.len()))
        {
            let id = vocab.len() as u32;
            vocab.insert(word, id);
        }
        let model = tokenizers::models::wordlevel::WordLevel::builder()
            .vocab(vocab)
            .unk_token(config.special.unk.clone())
            .build()
            .map_err(tok_err)?;
        let mut tokenizer = Tokenizer::new(model);
        tokenizer
            .with_normalizer(Some(normalizer))
            .map_err(tok_err)?;
        tokenizer.with_pre_tokenizer(Some(BertPreTokenizer));
        tokenizer
            .add_special_tokens(specials.to_vec())
            .map_err(tok_err)?;
        Self::from_tokenizer(tokenizer, config.clone())
    }

    /// Wraps a loaded `tokenizers` tokenizer; the special tokens named in `config` must be
    /// in its vocabulary (`unk` may be missing for byte-level vocabularies).
    pub fn from_tokenizer(inner: Tokenizer, config: TokenizerConfig) -> Result<Self> {
        if config.max_length < 2 {
            return Err(Error::invalid("max_length", "must be >= 2"));
        }
        let id = |name: &str| {
            inner.token_to_id(name).ok_or_else(|| {
                Error::Tokenizer(format!(
                    "the vocabulary has no token `{name}`; set `special` in the tokenizer \
                     config to the names this vocabulary uses"
                ))
            })
        };
        let ids = SpecialIds {
            pad: id(&config.special.pad)?,
            unk: inner.token_to_id(&config.special.unk),
            cls: id(&config.special.cls)?,
            sep: id(&config.special.sep)?,
        };
        Ok(TextTokenizer { inner, config, ids })
    }

    /// Loads a `tokenizer.json` file (any model the `tokenizers` crate reads).
    pub fn from_file(path: impl AsRef<Path>, config: TokenizerConfig) -> Result<Self> {
        let path = path.as_ref();
        let inner = Tokenizer::from_file(path)
            .map_err(|e| Error::Tokenizer(format!("{}: {e}", path.display())))?;
        Self::from_tokenizer(inner, config)
    }

    /// Writes the vocabulary as `tokenizer.json`, atomically.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let json = self
            .inner
            .to_string(true)
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        inherit_core::io::write_atomic(path, json.as_bytes())?;
        Ok(())
    }

    /// The settings.
    pub fn config(&self) -> &TokenizerConfig {
        &self.config
    }

    /// The special token ids.
    pub fn special_ids(&self) -> SpecialIds {
        self.ids
    }

    /// The underlying `tokenizers` tokenizer.
    pub fn inner(&self) -> &Tokenizer {
        &self.inner
    }

    /// Vocabulary size, added tokens included (the embedding table size).
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// The id of a token, if in the vocabulary.
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    /// The token of an id.
    pub fn id_to_token(&self, id: u32) -> Option<String> {
        self.inner.id_to_token(id)
    }

    /// Subword ids of a text, without special tokens or truncation.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        Ok(self
            .inner
            .encode(text, false)
            .map_err(|e| Error::Tokenizer(e.to_string()))?
            .get_ids()
            .to_vec())
    }

    /// The text of subword ids, special tokens skipped.
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.inner
            .decode(ids, true)
            .map_err(|e| Error::Tokenizer(e.to_string()))
    }

    /// Classifier input: `[CLS] pieces...`, truncated to `max_length`, padded to the
    /// longest sequence of the batch.
    pub fn encode_for_classifier<S: AsRef<str>>(&self, texts: &[S]) -> Result<EncodedBatch> {
        let seqs = texts
            .iter()
            .map(|t| self.classifier_ids(t.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        Ok(EncodedBatch::pad(&seqs, self.ids.pad))
    }

    /// The unpadded classifier input of one text: `[CLS] pieces...`, truncated to
    /// `max_length`.
    pub fn classifier_ids(&self, text: &str) -> Result<Vec<u32>> {
        let mut ids = vec![self.ids.cls];
        ids.extend(self.encode(text)?);
        ids.truncate(self.config.max_length);
        Ok(ids)
    }
}

/// A padded batch of token ids on the host.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedBatch {
    /// Row-major ids, `[batch, len]`, padding filled with the pad id.
    pub ids: Vec<u32>,
    /// 1 for real tokens and 0 for padding, `[batch, len]`.
    pub mask: Vec<u8>,
    /// Number of sequences.
    pub batch: usize,
    /// Padded length (the batch's longest sequence).
    pub len: usize,
}

impl EncodedBatch {
    /// Pads sequences to the longest one.
    pub fn pad(seqs: &[Vec<u32>], pad_id: u32) -> Self {
        let len = seqs.iter().map(Vec::len).max().unwrap_or(0).max(1);
        let mut ids = Vec::with_capacity(seqs.len() * len);
        let mut mask = Vec::with_capacity(seqs.len() * len);
        for s in seqs {
            ids.extend_from_slice(s);
            mask.extend(std::iter::repeat_n(1u8, s.len()));
            ids.extend(std::iter::repeat_n(pad_id, len - s.len()));
            mask.extend(std::iter::repeat_n(0u8, len - s.len()));
        }
        EncodedBatch {
            ids,
            mask,
            batch: seqs.len(),
            len,
        }
    }

    /// Real (non-padding) length of row `i`.
    pub fn length(&self, i: usize) -> usize {
        self.mask[i * self.len..(i + 1) * self.len]
            .iter()
            .map(|m| *m as usize)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus() -> Vec<String> {
        (0..50)
            .map(|i| format!("the nurse helped patient {i} and the doctor <aug> smiled"))
            .collect()
    }

    #[test]
    fn trained_wordpiece_has_specials_first_and_pads_with_masks() {
        let cfg = TokenizerConfig {
            vocab_size: 200,
            max_length: 5,
            ..Default::default()
        };
        let tok = TextTokenizer::train(&cfg, &corpus()).unwrap();
        for (i, name) in cfg.special.all().iter().enumerate() {
            assert_eq!(tok.token_to_id(name), Some(i as u32), "{name}");
        }
        // A source tag stays one token, and is not lowercased or split.
        let ids = tok.encode("<aug> nurse").unwrap();
        assert_eq!(ids[0], tok.token_to_id("<aug>").unwrap());
        let b = tok
            .encode_for_classifier(&["nurse", "the nurse helped the doctor today"])
            .unwrap();
        assert_eq!((b.batch, b.len), (2, 5)); // truncated to max_length 5
        assert_eq!(b.ids[0], tok.special_ids().cls);
        assert_eq!(b.length(0), 2); // [CLS] nurse
        assert_eq!(&b.mask[..5], &[1, 1, 0, 0, 0]);
        assert_eq!(&b.ids[2..5], &[0, 0, 0]);
        assert_eq!(b.length(1), 5);
    }

    #[test]
    fn bpe_round_trips_text_and_saved_json_reloads() {
        let cfg = TokenizerConfig {
            kind: TokenizerKind::Bpe,
            vocab_size: 300,
            ..Default::default()
        };
        let tok = TextTokenizer::train(&cfg, &corpus()).unwrap();
        let ids = tok.encode("the doctor smiled").unwrap();
        assert_eq!(tok.decode(&ids).unwrap().trim(), "the doctor smiled");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokenizer.json");
        tok.save(&path).unwrap();
        let back = TextTokenizer::from_file(&path, cfg.clone()).unwrap();
        assert_eq!(back.encode("the doctor smiled").unwrap(), ids);
        assert_eq!(back.vocab_size(), tok.vocab_size());
    }

    #[test]
    fn missing_special_token_and_bad_config_are_reported() {
        let tok = TextTokenizer::train(&TokenizerConfig::default(), &corpus()).unwrap();
        let mut cfg = TokenizerConfig::default();
        cfg.special.pad = "<pad>".into();
        let err = TextTokenizer::from_tokenizer(tok.inner().clone(), cfg).unwrap_err();
        assert!(err.to_string().contains("`<pad>`"), "{err}");
        let mut dup = TokenizerConfig::default();
        dup.special.mask = "[PAD]".into();
        assert!(dup.check().is_err());
        assert!(TextTokenizer::train(&TokenizerConfig::default(), &Vec::<String>::new()).is_err());
    }
}
