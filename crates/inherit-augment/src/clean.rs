//! Output cleaning: from a generator's raw reply to one unit of text (one biography,
//! profile, story...), or a [`RejectReason`].
//!
//! Steps, in order:
//! 1. cut at the start of another chat turn (`<|im_start|>user`, `[INST]`, `\nUser:` ...),
//!    drop a leading role marker (`<|im_start|>assistant`, `Assistant:`) and every
//!    remaining special token (`<|...|>`, `<s>`, `</s>`);
//! 2. drop the echoed prompt (the raw prompt or the last user message at the start);
//! 3. drop leading preamble paragraphs ("Sure! Here is a biography:", `**Biography**`,
//!    `Biography:`) and keep the first paragraph of content, cut at a separator line
//!    (`---`, `Note:`);
//! 4. strip wrapping quotes and markdown emphasis, join lines, collapse whitespace;
//! 5. keep at most `max_words` words, ending at a sentence end; drop a trailing sentence
//!    cut off by the token limit;
//! 6. reject empty output, refusals (a marker such as "I can't" or "as an AI" near the
//!    start) and outputs shorter than `min_words` words.

use std::fmt;

use inherit_core::Prompt;
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// Why an output was not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RejectReason {
    /// Nothing left after cleaning.
    Empty,
    /// The generator declined.
    Refusal,
    /// Fewer than `min_words` words.
    TooShort,
    /// The same words as an accepted output.
    ExactDuplicate,
    /// Estimated word-shingle Jaccard similarity with an accepted output at or above the
    /// threshold.
    NearDuplicate,
}

impl RejectReason {
    /// The stable id (`empty`, `refusal`, `too-short`, `exact-duplicate`, `near-duplicate`).
    pub fn id(&self) -> &'static str {
        match self {
            RejectReason::Empty => "empty",
            RejectReason::Refusal => "refusal",
            RejectReason::TooShort => "too-short",
            RejectReason::ExactDuplicate => "exact-duplicate",
            RejectReason::NearDuplicate => "near-duplicate",
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Cleaning parameters.
///
/// | name | default | range |
/// |---|---|---|
/// | `min_words` | 20 | >= 1 |
/// | `max_words` | 250 | >= `min_words` |
/// | `refusal_markers` | 20 English phrases ("i can't", "as an ai" ...) | lowercase phrases, matched in the first 160 characters |
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CleanParams {
    /// Shortest accepted output, in words.
    pub min_words: usize,
    /// Longest kept output, in words (longer ones are cut at a sentence end).
    pub max_words: usize,
    /// Phrases that mark a refusal.
    pub refusal_markers: Vec<String>,
}

impl Default for CleanParams {
    fn default() -> Self {
        let markers = [
            "i'm sorry",
            "i am sorry",
            "i apologize",
            "i apologise",
            "i cannot",
            "i can't",
            "i can not",
            "i won't",
            "i will not",
            "i'm unable",
            "i am unable",
            "i'm not able",
            "i am not able",
            "as an ai",
            "as a language model",
            "cannot fulfill",
            "can't fulfill",
            "cannot comply",
            "not comfortable",
            "i must decline",
        ];
        CleanParams {
            min_words: 20,
            max_words: 250,
            refusal_markers: markers.iter().map(|s| (*s).to_owned()).collect(),
        }
    }
}

impl CleanParams {
    /// Checks the ranges in the table above.
    pub fn check(&self) -> Result<()> {
        if self.min_words == 0 {
            return Err(inherit_core::Error::invalid("min_words", "must be at least 1").into());
        }
        if self.max_words < self.min_words {
            return Err(inherit_core::Error::invalid(
                "max_words",
                format!(
                    "must be >= min_words ({}), got {}",
                    self.min_words, self.max_words
                ),
            )
            .into());
        }
        Ok(())
    }
}

const TURN_STARTS: [&str; 10] = [
    "<|im_start|>user",
    "<|im_start|>system",
    "<|user|>",
    "<|start_header_id|>user",
    "[INST]",
    "\nUser:",
    "\nuser:",
    "\nHuman:",
    "\n### Instruction",
    "\n<|im_start|>",
];
const ROLE_PREFIXES: [&str; 7] = [
    "<|im_start|>assistant",
    "<|assistant|>",
    "<|start_header_id|>assistant<|end_header_id|>",
    "Assistant:",
    "assistant:",
    "### Response:",
    "AI:",
];
const PREAMBLE_STARTS: [&str; 9] = [
    "sure",
    "certainly",
    "here is",
    "here's",
    "of course",
    "okay",
    "ok,",
    "absolutely",
    "below is",
];
const SEPARATORS: [&str; 4] = ["---", "***", "___", "==="];
const TRAILERS: [&str; 4] = ["note:", "(note", "*note", "i hope"];

/// Cleans one raw output of `prompt`: the kept text, or why it is rejected.
pub fn clean_output(
    raw: &str,
    prompt: &Prompt,
    params: &CleanParams,
) -> Result<String, RejectReason> {
    let mut text = raw.to_owned();
    if let Some(cut) = TURN_STARTS
        .iter()
        .filter_map(|m| text.find(m))
        .filter(|&i| i > 0)
        .min()
    {
        text.truncate(cut);
    }
    let trimmed = text.trim_start();
    let mut text = ROLE_PREFIXES
        .iter()
        .find_map(|p| trimmed.strip_prefix(p))
        .unwrap_or(trimmed)
        .to_owned();
    text = strip_special_tokens(&text);
    text = strip_echo(&text, prompt);

    let paragraphs: Vec<&str> = text
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let body = paragraphs
        .iter()
        .copied()
        .find(|p| !is_preamble(p))
        .unwrap_or("");
    let mut lines = Vec::new();
    for (i, line) in body.lines().map(str::trim).enumerate() {
        if i == 0 && is_preamble(line) {
            continue;
        }
        let lower = line.to_lowercase();
        if SEPARATORS.iter().any(|s| line.starts_with(s))
            || TRAILERS.iter().any(|t| lower.starts_with(t))
        {
            break;
        }
        lines.push(line);
    }
    let joined = lines.join(" ");
    let unwrapped = unwrap_quotes(joined.trim());
    let words: Vec<&str> = unwrapped.split_whitespace().collect();
    let kept = trim_to_sentences(&words, params.max_words);
    if kept.is_empty() {
        return Err(RejectReason::Empty);
    }
    let head: String = kept
        .chars()
        .take(160)
        .collect::<String>()
        .to_lowercase()
        .replace('’', "'");
    if params
        .refusal_markers
        .iter()
        .any(|m| head.contains(m.as_str()))
    {
        return Err(RejectReason::Refusal);
    }
    if kept.split_whitespace().count() < params.min_words {
        return Err(RejectReason::TooShort);
    }
    Ok(kept)
}

fn strip_special_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("<|") {
        out.push_str(&rest[..i]);
        match rest[i..].find("|>") {
            Some(j) => rest = &rest[i + j + 2..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out.replace("<s>", "").replace("</s>", "")
}

fn strip_echo(text: &str, prompt: &Prompt) -> String {
    let echoes: Vec<String> = match prompt {
        Prompt::Raw(raw) => vec![raw.trim().to_owned()],
        Prompt::Chat(msgs) => msgs
            .iter()
            .rev()
            .filter(|m| m.role == "user")
            .take(1)
            .map(|m| m.content.trim().to_owned())
            .collect(),
    };
    let trimmed = text.trim_start();
    for echo in echoes {
        if !echo.is_empty()
            && let Some(rest) = trimmed.strip_prefix(echo.as_str())
        {
            return rest.to_owned();
        }
    }
    trimmed.to_owned()
}

/// A paragraph that introduces the text rather than being it.
fn is_preamble(p: &str) -> bool {
    let first_line = p.lines().next().unwrap_or("").trim();
    let lower = first_line.to_lowercase();
    let short = first_line.split_whitespace().count() <= 15;
    let single_line = p.lines().count() == 1;
    let heading = short
        && (first_line.starts_with('#')
            || (first_line.starts_with("**") && first_line.ends_with("**")));
    (single_line && short && (lower.ends_with(':') || heading))
        || (short && PREAMBLE_STARTS.iter().any(|s| lower.starts_with(s)) && lower.ends_with(':'))
        || (single_line && heading)
}

fn unwrap_quotes(s: &str) -> String {
    let mut s = s.trim();
    for (open, close) in [("\"", "\""), ("“", "”"), ("**", "**"), ("*", "*")] {
        if s.len() > open.len() + close.len()
            && let Some(inner) = s.strip_prefix(open).and_then(|t| t.strip_suffix(close))
        {
            s = inner.trim();
        }
    }
    s.to_owned()
}

/// At most `max_words` words, ending at the last sentence end (`.`, `!`, `?`, possibly
/// followed by a closing quote or bracket) when the text has one.
fn trim_to_sentences(words: &[&str], max_words: usize) -> String {
    let words = &words[..words.len().min(max_words)];
    let ends = |w: &str| {
        let w = w.trim_end_matches(['"', '”', '\'', '’', ')']);
        w.ends_with(['.', '!', '?'])
    };
    match words.iter().rposition(|w| ends(w)) {
        Some(last) => words[..=last].join(" "),
        None => words.join(" "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(min_words: usize) -> CleanParams {
        CleanParams {
            min_words,
            ..CleanParams::default()
        }
    }

    const BIO: &str = "Mei Chen is a nurse in Boston. She has worked in intensive care for ten years. Colleagues praise her calm under pressure.";

    #[test]
    fn chat_artefacts_preambles_and_extra_units_are_removed() {
        let p = Prompt::user("Write a biography of a nurse.");
        let raw = format!(
            "<|im_start|>assistant\nSure! Here is a short biography:\n\n**{BIO}**\n\n---\nBiography 2: another one.<|im_end|>\n<|im_start|>user\nmore"
        );
        assert_eq!(clean_output(&raw, &p, &params(5)).unwrap(), BIO);
        let raw = format!("Biography:\n{BIO} She plans to");
        assert_eq!(clean_output(&raw, &p, &params(5)).unwrap(), BIO);
        let raw = format!("\"{BIO}\"\nNote: this is fictional.");
        assert_eq!(clean_output(&raw, &p, &params(5)).unwrap(), BIO);
    }

    #[test]
    fn echoed_prompt_is_dropped() {
        let raw_prompt = "Write a biography of a nurse.\n\nBiography:";
        let p = Prompt::Raw(raw_prompt.into());
        let out = clean_output(&format!("{raw_prompt} {BIO}"), &p, &params(5)).unwrap();
        assert_eq!(out, BIO);
        let chat = Prompt::user("Write a biography of a nurse.");
        let out = clean_output(
            &format!("Write a biography of a nurse.\n{BIO}"),
            &chat,
            &params(5),
        )
        .unwrap();
        assert_eq!(out, BIO);
    }

    #[test]
    fn rejections_by_reason() {
        let p = Prompt::user("x");
        assert_eq!(
            clean_output("  <|im_end|> ", &p, &params(5)),
            Err(RejectReason::Empty)
        );
        assert_eq!(
            clean_output(
                "I'm sorry, but I can't write a biography that stereotypes people.",
                &p,
                &params(5)
            ),
            Err(RejectReason::Refusal)
        );
        assert_eq!(
            clean_output("As an AI language model I won't.", &p, &params(1)),
            Err(RejectReason::Refusal)
        );
        assert_eq!(
            clean_output("Mei is a nurse.", &p, &params(5)),
            Err(RejectReason::TooShort)
        );
    }

    #[test]
    fn long_outputs_are_cut_at_a_sentence_end() {
        let p = Prompt::user("x");
        let p2 = CleanParams {
            min_words: 3,
            max_words: 12,
            ..CleanParams::default()
        };
        // 6 + 6 + 6 words: the cap of 12 falls at the end of the second sentence.
        let raw = "One two three four five six. Seven eight nine ten eleven twelve. Thirteen fourteen fifteen sixteen seventeen eighteen.";
        assert_eq!(
            clean_output(raw, &p, &p2).unwrap(),
            "One two three four five six. Seven eight nine ten eleven twelve."
        );
        assert!(
            CleanParams {
                min_words: 5,
                max_words: 4,
                ..CleanParams::default()
            }
            .check()
            .is_err()
        );
    }
}
