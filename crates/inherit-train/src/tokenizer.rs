//! Subword tokenisation through the `tokenizers` crate: train a WordPiece or BPE vocabulary
//! offline on a corpus, or load a `tokenizer.json`; encode batches with truncation,
//! padding to the batch's longest sequence and attention masks.

use std::path::Path;

use serde::{Deserialize, Serialize};
use tokenizers::decoders::DecoderWrapper;
use tokenizers::models::bpe::{BPE, BpeTrainerBuilder};
use tokenizers::models::wordpiece::WordPiece;
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
    /// BERT-style WordPiece (`##` continuation pieces) after BERT normalisation, trained
    /// by a deterministic implementation of the `tokenizers` WordPiece trainer: one
    /// corpus gives the same vocabulary and ids in every process.
    #[default]
    WordPiece,
    /// Byte-level BPE (GPT-2 style; never produces `[UNK]`), trained by the `tokenizers`
    /// crate, whose merge order in rare ties follows hash-map order: prefer `wordpiece`
    /// or `wordlevel` where vocabularies must be reproducible across processes.
    Bpe,
    /// Whole words after BERT normalisation and pre-tokenisation: the `vocab_size` most
    /// frequent words (ties by spelling), the rest `[UNK]`. Fully deterministic.
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
/// | `kind` | `wordpiece` | `wordpiece`, `bpe`, `wordlevel` |
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
        match config.kind {
            TokenizerKind::WordLevel => return Self::train_word_level(config, texts, &specials),
            TokenizerKind::WordPiece => return Self::train_word_piece(config, texts, &specials),
            TokenizerKind::Bpe => {}
        }
        let (model, normalizer, pre, decoder, mut trainer): (
            ModelWrapper,
            Option<NormalizerWrapper>,
            PreTokenizerWrapper,
            DecoderWrapper,
            TrainerWrapper,
        ) = match config.kind {
            TokenizerKind::WordLevel | TokenizerKind::WordPiece => {
                unreachable!("trained above")
            }
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
        Self::from_tokenizer(Tokenizer::from(tokenizer), config.clone())
    }

    /// Normalised, pre-tokenised words of `texts` (BERT normalisation and
    /// pre-tokenisation) with their counts, special-token names left out. Counted on all
    /// cores; the result does not depend on how the work is split.
    fn count_words<S: AsRef<str> + Sync>(
        config: &TokenizerConfig,
        texts: &[S],
    ) -> Result<std::collections::BTreeMap<String, u64>> {
        use tokenizers::{
            NormalizedString, Normalizer, OffsetReferential, OffsetType, PreTokenizedString,
            PreTokenizer,
        };
        let names = config.special.all();
        let count_chunk = |chunk: &[S]| -> Result<std::collections::HashMap<String, u64>> {
            let tok_err = |e: tokenizers::Error| Error::Tokenizer(e.to_string());
            let normalizer = BertNormalizer::new(true, true, None, config.lowercase);
            let mut counts = std::collections::HashMap::new();
            for text in chunk {
                let mut normalized = NormalizedString::from(text.as_ref());
                normalizer.normalize(&mut normalized).map_err(tok_err)?;
                let mut pre = PreTokenizedString::from(normalized);
                BertPreTokenizer.pre_tokenize(&mut pre).map_err(tok_err)?;
                for (word, _, _) in pre.get_splits(OffsetReferential::Original, OffsetType::Byte) {
                    if !names.contains(&word) {
                        *counts.entry(word.to_owned()).or_default() += 1;
                    }
                }
            }
            Ok(counts)
        };
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .clamp(1, 16);
        let chunk_len = texts.len().div_ceil(threads).max(256);
        let parts: Vec<Result<std::collections::HashMap<String, u64>>> =
            std::thread::scope(|scope| {
                let handles: Vec<_> = texts
                    .chunks(chunk_len)
                    .map(|chunk| scope.spawn(move || count_chunk(chunk)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join().unwrap_or_else(|_| {
                            Err(Error::Tokenizer("a word-counting thread panicked".into()))
                        })
                    })
                    .collect()
            });
        let mut counts = std::collections::BTreeMap::new();
        for part in parts {
            for (word, n) in part? {
                *counts.entry(word).or_default() += n;
            }
        }
        Ok(counts)
    }

    /// [`TokenizerKind::WordPiece`] training, deterministic: the BPE merge procedure of
    /// the `tokenizers` WordPiece trainer (start from characters, `##` marking a
    /// character inside a word; repeatedly merge the most frequent adjacent pair until
    /// `vocab_size` tokens or no pair occurs `min_frequency` times), with every order
    /// fixed: words in spelling order, the alphabet in character order, ties between
    /// equally frequent pairs broken by the ids of their tokens, which are themselves
    /// assigned in that fixed order. (The `tokenizers` trainer breaks those ties in
    /// hash-map order, so its vocabulary changed from one process to the next.) The
    /// final ids are specials first, then the other tokens in spelling order.
    fn train_word_piece<S: AsRef<str> + Sync>(
        config: &TokenizerConfig,
        texts: &[S],
        specials: &[AddedToken],
    ) -> Result<Self> {
        use std::cmp::Reverse;
        use std::collections::{BTreeSet, BinaryHeap, HashMap};
        const PREFIX: &str = "##";
        let tok_err = |e: tokenizers::Error| Error::Tokenizer(e.to_string());
        let counts = Self::count_words(config, texts)?;
        let names = config.special.all();

        let mut tokens: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut ids: HashMap<String, u32> = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let mut intern = |t: String, tokens: &mut Vec<String>| -> u32 {
            *ids.entry(t.clone()).or_insert_with(|| {
                tokens.push(t);
                tokens.len() as u32 - 1
            })
        };
        let chars: BTreeSet<char> = counts.keys().flat_map(|w| w.chars()).collect();
        let inner: BTreeSet<char> = counts.keys().flat_map(|w| w.chars().skip(1)).collect();
        for c in &chars {
            intern(c.to_string(), &mut tokens);
        }
        for c in &inner {
            intern(format!("{PREFIX}{c}"), &mut tokens);
        }
        let mut words: Vec<(Vec<u32>, i64)> = counts
            .iter()
            .map(|(w, n)| {
                let symbols = w
                    .chars()
                    .enumerate()
                    .map(|(i, c)| {
                        let t = if i == 0 {
                            c.to_string()
                        } else {
                            format!("{PREFIX}{c}")
                        };
                        intern(t, &mut tokens)
                    })
                    .collect();
                (symbols, i64::try_from(*n).unwrap_or(i64::MAX))
            })
            .collect();

        type Pair = (u32, u32);
        let mut pair_counts: HashMap<Pair, i64> = HashMap::new();
        let mut where_: HashMap<Pair, BTreeSet<usize>> = HashMap::new();
        for (wi, (symbols, n)) in words.iter().enumerate() {
            for p in symbols.windows(2) {
                *pair_counts.entry((p[0], p[1])).or_default() += n;
                where_.entry((p[0], p[1])).or_default().insert(wi);
            }
        }
        // Max count first; among equal counts, the smallest pair of ids.
        let mut heap: BinaryHeap<(i64, Reverse<Pair>)> =
            pair_counts.iter().map(|(p, c)| (*c, Reverse(*p))).collect();
        let min_count = i64::try_from(config.min_frequency.max(1)).unwrap_or(i64::MAX);
        while tokens.len() < config.vocab_size {
            let Some((count, Reverse(pair))) = heap.pop() else {
                break;
            };
            if pair_counts.get(&pair).copied() != Some(count) {
                continue; // stale: a newer entry holds the current count
            }
            if count < min_count {
                break;
            }
            let b = &tokens[pair.1 as usize];
            let merged = format!(
                "{}{}",
                tokens[pair.0 as usize],
                b.strip_prefix(PREFIX).unwrap_or(b)
            );
            let new_id = intern(merged, &mut tokens);
            let mut changed: BTreeSet<Pair> = BTreeSet::new();
            for wi in where_.remove(&pair).unwrap_or_default() {
                let (symbols, n) = &mut words[wi];
                if !symbols.windows(2).any(|p| (p[0], p[1]) == pair) {
                    continue;
                }
                for p in symbols.windows(2) {
                    *pair_counts.entry((p[0], p[1])).or_default() -= *n;
                    changed.insert((p[0], p[1]));
                }
                let mut out = Vec::with_capacity(symbols.len());
                let mut i = 0;
                while i < symbols.len() {
                    if i + 1 < symbols.len() && (symbols[i], symbols[i + 1]) == pair {
                        out.push(new_id);
                        i += 2;
                    } else {
                        out.push(symbols[i]);
                        i += 1;
                    }
                }
                *symbols = out;
                for p in symbols.windows(2) {
                    *pair_counts.entry((p[0], p[1])).or_default() += *n;
                    where_.entry((p[0], p[1])).or_default().insert(wi);
                    changed.insert((p[0], p[1]));
                }
            }
            for p in changed {
                let c = pair_counts.get(&p).copied().unwrap_or(0);
                if c > 0 {
                    heap.push((c, Reverse(p)));
                } else {
                    pair_counts.remove(&p);
                }
            }
        }

        let n_special = names.len();
        let mut rest: Vec<String> = tokens.split_off(n_special);
        rest.sort();
        let vocab: ahash::AHashMap<String, u32> = tokens
            .into_iter()
            .chain(rest)
            .enumerate()
            .map(|(i, t)| (t, i as u32))
            .collect();
        let model = WordPiece::builder()
            .vocab(vocab)
            .unk_token(config.special.unk.clone())
            .build()
            .map_err(tok_err)?;
        let mut tokenizer = Tokenizer::new(model);
        tokenizer
            .with_normalizer(Some(BertNormalizer::new(
                true,
                true,
                None,
                config.lowercase,
            )))
            .map_err(tok_err)?;
        tokenizer.with_pre_tokenizer(Some(BertPreTokenizer));
        tokenizer.with_decoder(Some(tokenizers::decoders::wordpiece::WordPiece::default()));
        tokenizer
            .add_special_tokens(specials.to_vec())
            .map_err(tok_err)?;
        Self::from_tokenizer(tokenizer, config.clone())
    }

    /// [`TokenizerKind::WordLevel`] training: counts normalised, pre-tokenised words and
    /// keeps the most frequent, specials first.
    fn train_word_level<S: AsRef<str> + Sync>(
        config: &TokenizerConfig,
        texts: &[S],
        specials: &[AddedToken],
    ) -> Result<Self> {
        let tok_err = |e: tokenizers::Error| Error::Tokenizer(e.to_string());
        let normalizer = BertNormalizer::new(true, true, None, config.lowercase);
        let names = config.special.all();
        let mut words: Vec<(String, u64)> = Self::count_words(config, texts)?
            .into_iter()
            .filter(|(_, c)| *c >= config.min_frequency)
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
