//! Training a tokenizer twice on the same corpus gives the same vocabulary ids, in one
//! process and across processes. (The WordPiece trainer of the `tokenizers` crate broke
//! ties between equally frequent merges in hash-map order, so the default tokenizer's
//! vocabulary differed from one process to the next; WordPiece is now trained by our own
//! deterministic implementation.)

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

/// Trains `kind` on the corpus of this file in `CHILDREN` separate processes (this test
/// binary, re-run with an environment variable) and returns their vocabularies.
fn vocab_in_child_processes(kind: &str, children: usize) -> Vec<String> {
    let exe = std::env::current_exe().unwrap();
    (0..children)
        .map(|_| {
            let out = std::process::Command::new(&exe)
                .args([
                    "--exact",
                    "child_trains_a_tokenizer",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD_ENV, kind)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let stdout = String::from_utf8(out.stdout).unwrap();
            stdout
                .lines()
                .find_map(|l| l.split_once("VOCAB ").map(|(_, v)| v))
                .unwrap_or_else(|| panic!("no vocabulary printed: {stdout}"))
                .to_owned()
        })
        .collect()
}

const CHILD_ENV: &str = "INHERIT_TOKENIZER_DETERMINISM_CHILD";

/// Not a test of its own: the body of the child processes of the test below.
#[test]
fn child_trains_a_tokenizer() {
    let Ok(kind) = std::env::var(CHILD_ENV) else {
        return;
    };
    let kind = match kind.as_str() {
        "default" => TokenizerConfig::default().kind,
        "bpe" => TokenizerKind::Bpe,
        "wordpiece" => TokenizerKind::WordPiece,
        _ => TokenizerKind::WordLevel,
    };
    let cfg = TokenizerConfig {
        kind,
        vocab_size: 300,
        ..Default::default()
    };
    let t = TextTokenizer::train(&cfg, &tie_corpus()).unwrap();
    println!("VOCAB {}", serde_json::to_string(&vocab(&t)).unwrap());
}

/// Many words with equal counts, so subword merges tie.
fn tie_corpus() -> Vec<String> {
    let syll = [
        "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pu", "xi", "qo",
    ];
    let mut v = Vec::new();
    for a in syll {
        for b in syll {
            for c in ["", "n", "s"] {
                v.push(format!("{a}{b}{c} {b}{a}{c}"));
            }
        }
    }
    v
}

/// Regression: the default (WordPiece) tokenizer's vocabulary, not only its ids but its
/// merges, depended on the hash-map order of the process that trained it (4 processes
/// gave 4 vocabularies on this corpus).
#[test]
fn the_default_tokenizer_is_identical_across_processes() {
    assert_eq!(TokenizerConfig::default().kind, TokenizerKind::WordPiece);
    for kind in ["default", "wordpiece", "wordlevel"] {
        let v = vocab_in_child_processes(kind, 4);
        assert!(v[0].len() > 1000, "{kind}: {}", v[0]);
        for (i, other) in v.iter().enumerate().skip(1) {
            assert_eq!(&v[0], other, "{kind}: process {i} differs from process 0");
        }
    }
}
