//! WinoBias (Zhao et al. 2018): files, sentences and their mentions.

use serde::{Deserialize, Serialize};

/// Pro- or anti-stereotyped WinoBias sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stereotype {
    /// The pronoun's gender matches the occupation's stereotype.
    Pro,
    /// The pronoun's gender goes against it.
    Anti,
}

impl Stereotype {
    /// `pro` or `anti`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Stereotype::Pro => "pro",
            Stereotype::Anti => "anti",
        }
    }
}

/// WinoBias sentence type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum WinoType {
    /// Type 1: resolving the pronoun needs world knowledge.
    #[serde(rename = "type1")]
    Type1,
    /// Type 2: syntax alone resolves the pronoun.
    #[serde(rename = "type2")]
    Type2,
}

impl WinoType {
    /// `type1` or `type2`.
    pub fn as_str(&self) -> &'static str {
        match self {
            WinoType::Type1 => "type1",
            WinoType::Type2 => "type2",
        }
    }
}

/// Upstream WinoBias split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WinoPart {
    /// Development split.
    Dev,
    /// Test split.
    Test,
}

impl WinoPart {
    /// `dev` or `test`.
    pub fn as_str(&self) -> &'static str {
        match self {
            WinoPart::Dev => "dev",
            WinoPart::Test => "test",
        }
    }
}

/// One of the eight WinoBias sentence files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct WinoBiasFile {
    /// Pro or anti.
    pub stereotype: Stereotype,
    /// Type 1 or 2.
    pub kind: WinoType,
    /// Dev or test.
    pub part: WinoPart,
}

impl WinoBiasFile {
    /// All eight files, pro before anti, type 1 before 2, dev before test.
    pub fn all() -> Vec<WinoBiasFile> {
        let mut out = Vec::with_capacity(8);
        for stereotype in [Stereotype::Pro, Stereotype::Anti] {
            for kind in [WinoType::Type1, WinoType::Type2] {
                for part in [WinoPart::Dev, WinoPart::Test] {
                    out.push(WinoBiasFile {
                        stereotype,
                        kind,
                        part,
                    });
                }
            }
        }
        out
    }

    /// The upstream file's path relative to a data directory, e.g.
    /// `winobias/pro_stereotyped_type1.txt.dev`.
    pub fn relative_path(&self) -> String {
        format!(
            "winobias/{}_stereotyped_{}.txt.{}",
            self.stereotype.as_str(),
            self.kind.as_str(),
            self.part.as_str()
        )
    }
}

/// A bracketed WinoBias mention: its text and byte span in [`WinoBiasSentence::text`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mention {
    /// The mention as written (`The developer`, `he`).
    pub text: String,
    /// Byte offset of its first character in the bracket-free text.
    pub start: usize,
    /// Byte offset one past its last character.
    pub end: usize,
}

/// One WinoBias sentence with its mentions parsed out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WinoBiasSentence {
    /// Which file it came from (its [`Stereotype`] is the sentence's).
    pub file: WinoBiasFile,
    /// The sentence number written at the start of the line.
    pub number: u32,
    /// The sentence without brackets.
    pub text: String,
    /// The first bracketed mention: the antecedent (`The developer`).
    pub entity: Mention,
    /// The second bracketed mention: the pronoun referring to it (`he`).
    pub pronoun: Mention,
    /// Further bracketed mentions of the same entity (`[her] hair`), in order.
    pub extra_mentions: Vec<Mention>,
    /// The antecedent occupation: the entity without its article (`developer`).
    pub occupation: String,
    /// The gender of the pronoun: `female` or `male`.
    pub pronoun_gender: String,
}

impl WinoBiasSentence {
    /// Pro- or anti-stereotyped (from its file).
    pub fn stereotype(&self) -> Stereotype {
        self.file.stereotype
    }
}

// ---------------------------------------------------------------------------------------
// EEC
// ---------------------------------------------------------------------------------------
