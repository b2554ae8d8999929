//! The seeded byte mutator: bit flips, interesting integers written over the bytes,
//! truncation, deleted / duplicated / inserted ranges, splices with another corpus entry,
//! dictionary tokens, numbers in text replaced by huge or odd ones, torn UTF-8 and line
//! shuffles. Every draw comes from one ChaCha8 stream, so a `(seed, input number)` pair
//! always gives the same input.

use inherit_core::SeededRng;
use rand::RngExt;

/// Integers that break size arithmetic, written little-endian over 1, 2, 4 or 8 bytes.
const INTERESTING: [u64; 22] = [
    0,
    1,
    2,
    3,
    4,
    7,
    8,
    16,
    31,
    32,
    0x7f,
    0x80,
    0xff,
    0x7fff,
    0xffff,
    0x7fff_ffff,
    0xffff_ffff,
    1 << 32,
    1 << 40,
    1 << 62,
    i64::MAX as u64,
    u64::MAX,
];

/// Text that breaks text parsers: numbers at and past the limits of every type, quotes,
/// separators, escapes, torn and exotic UTF-8.
const TEXT_TOKENS: &[&[u8]] = &[
    b"\"",
    b"'",
    b",",
    b"\t",
    b"\n",
    b"\r\n",
    b"\r",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b"=",
    b"+",
    b"\\",
    b"\\u0000",
    b"\\ud800",
    b"\0",
    b" ",
    b"null",
    b"true",
    b"false",
    b"-1",
    b"0",
    b"-0",
    b"0.0",
    b"1e308",
    b"-1e308",
    b"1e400",
    b"1e-400",
    b"NaN",
    b"nan",
    b"inf",
    b"-inf",
    b"4294967295",
    b"4294967296",
    b"9223372036854775807",
    b"9223372036854775808",
    b"-9223372036854775809",
    b"18446744073709551615",
    b"18446744073709551616",
    b"99999999999999999999999999999999999999",
    b"0x10",
    b"\xef\xbb\xbf",
    b"\xc3\xa9",
    b"\xe2\x80\xae",
    b"\xf4\x8f\xbf\xbf",
    b"\xff",
    b"\xc3",
    b"\xe2\x82",
    b"\xed\xa0\x80",
    b"<|im_start|>",
    b"<|im_end|>",
    b"{{",
    b"}}",
    b"{name}",
];

/// The mutator of one fuzz target.
pub struct Mutator {
    rng: SeededRng,
    dict: Vec<Vec<u8>>,
    max_len: usize,
}

impl Mutator {
    /// A mutator drawing from `rng`, using `dict` (target-specific tokens) besides the
    /// built-in ones, and never returning more than `max_len` bytes.
    pub fn new(rng: SeededRng, dict: &[&[u8]], max_len: usize) -> Self {
        Mutator {
            rng,
            dict: dict.iter().map(|d| d.to_vec()).collect(),
            max_len,
        }
    }

    /// The random stream (for structure-aware mutations).
    pub fn rng(&mut self) -> &mut SeededRng {
        &mut self.rng
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            self.rng.random_range(0..n)
        }
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    /// An interesting integer, sometimes off by one or negated.
    pub fn interesting(&mut self) -> u64 {
        let v = INTERESTING[self.below(INTERESTING.len())];
        match self.below(4) {
            0 => v.wrapping_add(1),
            1 => v.wrapping_sub(1),
            2 => v.wrapping_neg(),
            _ => v,
        }
    }

    /// A token from the dictionaries.
    pub fn token(&mut self) -> Vec<u8> {
        if !self.dict.is_empty() && self.chance(0.5) {
            let i = self.below(self.dict.len());
            self.dict[i].clone()
        } else {
            TEXT_TOKENS[self.below(TEXT_TOKENS.len())].to_vec()
        }
    }

    /// `input` mutated 1 to 8 times (rarely up to 32), with `other` (another corpus
    /// entry) available for splices.
    pub fn mutate(&mut self, input: &[u8], other: &[u8]) -> Vec<u8> {
        let mut data = input.to_vec();
        let rounds = if self.chance(0.05) {
            1 + self.below(32)
        } else {
            1 + self.below(8)
        };
        for _ in 0..rounds {
            self.once(&mut data, other);
        }
        data.truncate(self.max_len);
        data
    }

    /// One mutation.
    pub fn once(&mut self, data: &mut Vec<u8>, other: &[u8]) {
        let len = data.len();
        match self.below(15) {
            // Flip a bit.
            0 if len > 0 => {
                let i = self.below(len);
                data[i] ^= 1 << self.below(8);
            }
            // A random or boundary byte.
            1 if len > 0 => {
                let i = self.below(len);
                data[i] = match self.below(3) {
                    0 => self.rng.random(),
                    1 => [0u8, 0x7f, 0x80, 0xff][self.below(4)],
                    _ => data[i].wrapping_add(1 + self.below(4) as u8),
                };
            }
            // An interesting integer over 1, 2, 4 or 8 bytes (aligned half of the time).
            2 if len > 0 => {
                let width = [1usize, 2, 4, 8][self.below(4)];
                if len >= width {
                    let mut at = self.below(len - width + 1);
                    if self.chance(0.5) {
                        at -= at % width;
                    }
                    let v = self.interesting().to_le_bytes();
                    data[at..at + width].copy_from_slice(&v[..width]);
                }
            }
            // Truncate.
            3 => {
                let at = self.below(len + 1);
                data.truncate(at);
            }
            // Delete a range.
            4 if len > 0 => {
                let at = self.below(len);
                let most = if self.chance(0.8) { 16 } else { len };
                let n = 1 + self.below((len - at).min(most));
                data.drain(at..at + n);
            }
            // Duplicate a range (sometimes many times).
            5 if len > 0 => {
                let at = self.below(len);
                let n = 1 + self.below((len - at).min(64));
                let chunk = data[at..at + n].to_vec();
                let times = if self.chance(0.1) {
                    1 + self.below(256)
                } else {
                    1
                };
                let to = self.below(len + 1);
                let mut insert = Vec::with_capacity(n * times);
                for _ in 0..times {
                    insert.extend_from_slice(&chunk);
                }
                insert.truncate(self.max_len);
                data.splice(to..to, insert);
            }
            // Insert random bytes.
            6 => {
                let to = self.below(len + 1);
                let n = 1 + self.below(16);
                let bytes: Vec<u8> = (0..n).map(|_| self.rng.random()).collect();
                data.splice(to..to, bytes);
            }
            // Splice: this input's head with another's tail.
            7 if !other.is_empty() => {
                let at = self.below(len + 1);
                let from = self.below(other.len());
                data.truncate(at);
                data.extend_from_slice(&other[from..]);
            }
            // Insert a dictionary token.
            8 | 9 => {
                let to = self.below(len + 1);
                let token = self.token();
                data.splice(to..to, token);
            }
            // Replace a token-sized range with a dictionary token.
            10 if len > 0 => {
                let at = self.below(len);
                let n = 1 + self.below((len - at).min(8));
                let token = self.token();
                data.splice(at..at + n, token);
            }
            // Replace a run of digits with an odd number.
            11 => self.replace_number(data),
            // Delete, duplicate or swap lines.
            12 => self.lines(data),
            // Cut inside a multi-byte character (a torn write).
            13 => {
                let starts: Vec<usize> = (0..len).filter(|&i| data[i] >= 0xc0).collect();
                if !starts.is_empty() {
                    let at = starts[self.below(starts.len())];
                    data.truncate(at + 1);
                } else if len > 0 {
                    let at = self.below(len + 1);
                    data.splice(at..at, [0xe2, 0x82]);
                }
            }
            // Overwrite with a copy of another corpus entry's range.
            _ if !other.is_empty() && len > 0 => {
                let from = self.below(other.len());
                let n = 1 + self.below((other.len() - from).min(32));
                let at = self.below(len);
                let end = (at + n).min(len);
                data.splice(at..end, other[from..from + n].iter().copied());
            }
            _ => {
                let to = self.below(len + 1);
                data.insert(to, self.rng.random());
            }
        }
    }

    fn replace_number(&mut self, data: &mut Vec<u8>) {
        let runs: Vec<(usize, usize)> = {
            let mut runs = Vec::new();
            let mut i = 0;
            while i < data.len() {
                if data[i].is_ascii_digit() {
                    let start = i;
                    while i < data.len() && (data[i].is_ascii_digit() || data[i] == b'.') {
                        i += 1;
                    }
                    runs.push((start, i));
                } else {
                    i += 1;
                }
            }
            runs
        };
        if runs.is_empty() {
            return;
        }
        let (start, end) = runs[self.below(runs.len())];
        let replacement: Vec<u8> = match self.below(4) {
            0 => self.interesting().to_string().into_bytes(),
            1 => (self.interesting() as i64).to_string().into_bytes(),
            2 => {
                let t = TEXT_TOKENS[22 + self.below(20)];
                t.to_vec()
            }
            _ => {
                let digits = 1 + self.below(40);
                (0..digits).map(|_| b'0' + self.below(10) as u8).collect()
            }
        };
        data.splice(start..end, replacement);
    }

    fn lines(&mut self, data: &mut Vec<u8>) {
        let mut lines: Vec<Vec<u8>> = data.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
        if lines.len() < 2 {
            return;
        }
        let i = self.below(lines.len());
        match self.below(3) {
            0 => {
                lines.remove(i);
            }
            1 => {
                let line = lines[i].clone();
                lines.insert(self.below(lines.len() + 1), line);
            }
            _ => {
                let j = self.below(lines.len());
                lines.swap(i, j);
            }
        }
        *data = lines.join(&b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_inputs_and_bounded_length() {
        let run = |seed| {
            let mut m = Mutator::new(inherit_core::seeded_rng(seed), &[b"tok"], 100);
            (0..200)
                .map(|_| m.mutate(b"{\"a\": 12, \"b\": [1,2]}\nline two\n", b"other"))
                .collect::<Vec<_>>()
        };
        let a = run(1);
        assert_eq!(a, run(1));
        assert_ne!(a, run(2));
        assert!(a.iter().all(|x| x.len() <= 100));
        assert!(a.iter().any(|x| x.is_empty()) || a.iter().any(|x| x.len() < 10));
    }
}
