//! Shared test helpers: a deterministic fake generator and a scripted HTTP server.

#![allow(dead_code)]

pub mod server;

use std::sync::atomic::{AtomicUsize, Ordering};

use inherit_augment::NameTable;
use inherit_core::{GenerationParams, Prompt, TextGenerator, derive_seed};

/// A deterministic generator: writes a short biography of the person the prompt's task
/// sentence names ("... of SUBJECT, ..."), with "She"/"He" following the subject's gender
/// and filler words drawn from `(seed, position, prompt)`. Every `refuse_every`-th prompt
/// of a batch position gets a refusal; calls after `fail_after_calls` fail.
pub struct FakeGenerator {
    pub names: NameTable,
    pub calls: AtomicUsize,
    pub prompts_seen: AtomicUsize,
    pub fail_after_calls: Option<usize>,
    pub refuse_every: Option<usize>,
}

impl FakeGenerator {
    pub fn new() -> Self {
        FakeGenerator {
            names: NameTable::builtin(),
            calls: AtomicUsize::new(0),
            prompts_seen: AtomicUsize::new(0),
            fail_after_calls: None,
            refuse_every: None,
        }
    }

    fn gender_of(&self, subject: &str) -> Option<&'static str> {
        let words: Vec<&str> = subject.split(|c: char| !c.is_alphanumeric()).collect();
        if words.contains(&"woman") {
            return Some("female");
        }
        if words.contains(&"man") {
            return Some("male");
        }
        for (gender, by_culture) in &self.names.first_names {
            if by_culture
                .values()
                .flatten()
                .any(|n| words.contains(&n.as_str()))
            {
                return Some(if gender == "female" { "female" } else { "male" });
            }
        }
        None
    }

    pub fn write(&self, prompt: &Prompt, seed: u64, position: usize) -> String {
        let text = prompt.flatten();
        let subject = text
            .split(" of ")
            .nth(1)
            .and_then(|s| s.split([',', '.']).next())
            .unwrap_or("the person")
            .trim()
            .to_owned();
        let pronoun = match self.gender_of(&subject) {
            Some("female") => "She",
            Some(_) => "He",
            None => "They",
        };
        let s = derive_seed(seed, &format!("{position}/{text}"));
        let filler: Vec<String> = (0..12)
            .map(|k| format!("w{}", (s >> (k * 5)) & 0x3ff))
            .collect();
        format!(
            "Here is the biography:\n\n{subject} has built a long career. {pronoun} is known for {}. \
             {pronoun} also enjoys {} on weekends.",
            filler[..6].join(" "),
            filler[6..].join(" ")
        )
    }
}

impl TextGenerator for FakeGenerator {
    fn id(&self) -> String {
        "fake".into()
    }

    fn generate(
        &self,
        prompts: &[Prompt],
        params: &GenerationParams,
    ) -> inherit_core::Result<Vec<String>> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        if self.fail_after_calls.is_some_and(|k| call >= k) {
            return Err(inherit_core::Error::backend("fake", "simulated crash"));
        }
        self.prompts_seen.fetch_add(prompts.len(), Ordering::SeqCst);
        Ok(prompts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                if self
                    .refuse_every
                    .is_some_and(|k| (p.flatten().len() + i) % k == 0)
                {
                    "I'm sorry, but I can't help with that request.".to_owned()
                } else {
                    self.write(p, params.seed, i)
                }
            })
            .collect())
    }
}
