//! Word vectors in the GloVe text format (`word v1 v2 ... vd` per line; a word2vec-style
//! `count dim` header line is skipped), for initialising embedding tables.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

use crate::error::{Error, Result};
use crate::tokenizer::TextTokenizer;

/// Vectors for the words of a vocabulary.
#[derive(Debug, Clone, PartialEq)]
pub struct WordVectors {
    /// Vector width.
    pub dim: usize,
    /// Word -> vector.
    pub vectors: HashMap<String, Vec<f32>>,
}

impl WordVectors {
    /// Reads a GloVe text file, keeping only the words `keep` accepts (so a large file
    /// costs no more memory than the vocabulary).
    pub fn read(path: impl AsRef<Path>, keep: impl Fn(&str) -> bool) -> Result<Self> {
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|e| inherit_core::Error::io(path, e))?;
        let bad = |line: u64, message: String| Error::WordVectors {
            path: path.to_path_buf(),
            line,
            message,
        };
        let mut dim = None;
        let mut vectors = HashMap::new();
        for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
            let n = i as u64 + 1;
            let line = line.map_err(|e| inherit_core::Error::io(path, e))?;
            let mut parts = line.split_whitespace();
            let Some(word) = parts.next() else { continue };
            let rest: Vec<&str> = parts.collect();
            if n == 1 && rest.len() == 1 && word.parse::<usize>().is_ok() {
                continue; // word2vec header `count dim`
            }
            let d = *dim.get_or_insert(rest.len());
            if rest.len() != d || d == 0 {
                return Err(bad(
                    n,
                    format!("expected {d} numbers after the word, found {}", rest.len()),
                ));
            }
            if !keep(word) {
                continue;
            }
            let v = rest
                .iter()
                .enumerate()
                .map(|(j, s)| {
                    s.parse::<f32>()
                        .map_err(|_| bad(n, format!("value {} `{s}` is not a number", j + 1)))
                })
                .collect::<Result<Vec<f32>>>()?;
            vectors.insert(word.to_owned(), v);
        }
        let dim = dim.ok_or_else(|| bad(1, "the file holds no vectors".into()))?;
        Ok(WordVectors { dim, vectors })
    }

    /// Reads the vectors of the words in `tokenizer`'s vocabulary.
    pub fn read_for(path: impl AsRef<Path>, tokenizer: &TextTokenizer) -> Result<Self> {
        Self::read(path, |w| tokenizer.token_to_id(w).is_some())
    }

    /// Overwrites the rows of `table` (`[vocab, dim]`, row-major) of the vocabulary words
    /// that have a vector; returns how many rows were set.
    pub fn fill(&self, tokenizer: &TextTokenizer, table: &mut [f32], dim: usize) -> Result<usize> {
        if dim != self.dim {
            return Err(Error::invalid(
                "embed_dim",
                format!("is {dim} but the word vectors have {} dimensions", self.dim),
            ));
        }
        let mut set = 0;
        for (word, v) in &self.vectors {
            if let Some(id) = tokenizer.token_to_id(word) {
                let row = id as usize * dim;
                table[row..row + dim].copy_from_slice(v);
                set += 1;
            }
        }
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_glove_lines_and_names_bad_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("v.txt");
        std::fs::write(&p, "2 3\nnurse 0.1 0.2 0.3\ndoctor 1 2 3\n").unwrap();
        let v = WordVectors::read(&p, |w| w == "nurse").unwrap();
        assert_eq!(v.dim, 3);
        assert_eq!(v.vectors.len(), 1);
        assert_eq!(v.vectors["nurse"], vec![0.1, 0.2, 0.3]);
        std::fs::write(&p, "nurse 0.1 0.2\ndoctor 1 x\n").unwrap();
        let err = WordVectors::read(&p, |_| true).unwrap_err().to_string();
        assert!(err.contains("v.txt:2") && err.contains("`x`"), "{err}");
        std::fs::write(&p, "nurse 0.1 0.2\ndoctor 1\n").unwrap();
        let err = WordVectors::read(&p, |_| true).unwrap_err().to_string();
        assert!(
            err.contains("v.txt:2") && err.contains("expected 2"),
            "{err}"
        );
    }
}
