//! Training a word-level tokenizer twice on the same corpus gives the same vocabulary ids.
//! (The subword trainers of the `tokenizers` crate break ties between equally frequent
//! merges in hash-map order, so their vocabularies can differ between processes; see
//! `TokenizerKind::WordLevel`.)

use inherit_train::{TextTokenizer, TokenizerConfig, TokenizerKind};

fn corpus() -> Vec<String> {
    let words = [
        "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta",
    ];
    (0..200)
        .map(|i| {
            format!(
                "{} {} {} {}",
                words[i % 8],
                words[(i * 3) % 8],
                words[(i * 5 + 1) % 8],
                i % 17
            )
        })
        .collect()
}

fn vocab(t: &TextTokenizer) -> Vec<(u32, String)> {
    let mut v: Vec<(u32, String)> = t
        .inner()
        .get_vocab(true)
        .into_iter()
        .map(|(s, i)| (i, s))
        .collect();
    v.sort();
    v
}

#[test]
fn word_level_training_twice_gives_identical_ids() {
    {
        let kind = TokenizerKind::WordLevel;
        let cfg = TokenizerConfig {
            kind,
            vocab_size: 120,
            ..Default::default()
        };
        let a = TextTokenizer::train(&cfg, &corpus()).unwrap();
        for _ in 0..5 {
            let b = TextTokenizer::train(&cfg, &corpus()).unwrap();
            assert_eq!(vocab(&a), vocab(&b), "{kind:?}");
        }
        // 8 words, 17 numbers, 7 specials; the most frequent word first after the specials.
        assert_eq!(vocab(&a).len(), 7 + 8 + 17);
        let ids = a.encode("alpha zeta unseen").unwrap();
        assert_eq!(ids.len(), 3);
        assert_eq!(a.id_to_token(ids[2]).as_deref(), Some("[UNK]"));
    }
}
