//! Spec strings: the short text form of a [`MitigationStack`](crate::MitigationStack) used
//! in configs and on command lines, and the context that turns one into strategies.
//!
//! Grammar (whitespace around the punctuation is ignored):
//!
//! ```text
//! stack  := "none" | member ("+" member)*
//! member := name [":" arg ("," arg)*]
//! arg    := value | key "=" value
//! value  := bare | quoted
//! bare   := one or more characters other than whitespace and + , = " \
//! quoted := '"' characters, with \" and \\ as escapes '"'
//! ```
//!
//! An argument without a key sets the strategy's *primary* option (the mixing weight of
//! `loss`, the axis of `reweigh`, ...); only the first argument may omit its key. So
//! `loss:0.5` = `loss:lambda=0.5` and `mask:neutral,target=all`. Each strategy writes its
//! canonical spec (defaults left out, primary option without its key) with
//! [`SpecMember`]'s `Display`, so `parse(stack.to_string())` rebuilds the same stack.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use inherit_core::Lexicon;

use crate::base::Mitigation;
use crate::error::{Error, Result};
use crate::{
    AlignLoss, CounterfactualAugmentation, MaskSensitive, Reweighing, SourceTag, TokenPrefix,
};

/// The names of the built-in strategies, in the order the README lists them.
pub const BUILTIN_NAMES: [&str; 6] = ["token", "tag", "mask", "loss", "reweigh", "cda"];

/// One argument of a spec member: `value` or `key=value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecArg {
    /// The key, `None` for the primary option.
    pub key: Option<String>,
    /// The value, unquoted.
    pub value: String,
}

/// One member of a spec string: a strategy name with its arguments.
///
/// ```
/// use inherit_mitigate::SpecMember;
///
/// let member = SpecMember::new("token").arg("Beware: synthetic.").keyed("target", "all");
/// assert_eq!(member.to_string(), r#"token:"Beware: synthetic.",target=all"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecMember {
    /// The strategy name.
    pub name: String,
    /// The arguments, in order.
    pub args: Vec<SpecArg>,
}

impl SpecMember {
    /// A member without arguments.
    pub fn new(name: impl Into<String>) -> Self {
        SpecMember {
            name: name.into(),
            args: Vec::new(),
        }
    }

    /// Builder: adds the primary (key-less) argument.
    pub fn arg(mut self, value: impl Into<String>) -> Self {
        self.args.push(SpecArg {
            key: None,
            value: value.into(),
        });
        self
    }

    /// Builder: adds a `key=value` argument.
    pub fn keyed(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.args.push(SpecArg {
            key: Some(key.into()),
            value: value.into(),
        });
        self
    }

    /// A [`Error::Spec`] about this member.
    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::Spec {
            spec: self.to_string(),
            message: message.into(),
        }
    }

    /// Resolves the arguments against the options a strategy knows: the key-less first
    /// argument goes to `primary`; unknown, duplicate or misplaced arguments are errors
    /// that list the known keys.
    pub fn options(&self, primary: Option<&str>, known: &[&str]) -> Result<SpecOptions> {
        let mut values = BTreeMap::new();
        for (i, arg) in self.args.iter().enumerate() {
            let key = match (&arg.key, primary) {
                (Some(key), _) => key.as_str(),
                (None, Some(primary)) if i == 0 => primary,
                (None, Some(_)) => {
                    return Err(self.error(format!(
                        "only the first argument may omit its key; write `key={}`",
                        quote(&arg.value)
                    )));
                }
                (None, None) => {
                    return Err(self.error(format!(
                        "`{}` takes no key-less argument (got `{}`){}",
                        self.name,
                        arg.value,
                        known_keys(known)
                    )));
                }
            };
            if !known.contains(&key) {
                return Err(self.error(format!(
                    "unknown option `{key}` for `{}`{}",
                    self.name,
                    known_keys(known)
                )));
            }
            if values.insert(key.to_owned(), arg.value.clone()).is_some() {
                return Err(self.error(format!("option `{key}` is given twice")));
            }
        }
        Ok(SpecOptions {
            member: self.clone(),
            values,
        })
    }
}

fn known_keys(known: &[&str]) -> String {
    if known.is_empty() {
        "; it takes no options".to_owned()
    } else {
        format!("; known: {}", known.join(", "))
    }
}

impl fmt::Display for SpecMember {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for (i, arg) in self.args.iter().enumerate() {
            f.write_str(if i == 0 { ":" } else { "," })?;
            if let Some(key) = &arg.key {
                write!(f, "{key}=")?;
            }
            f.write_str(&quote(&arg.value))?;
        }
        Ok(())
    }
}

/// The resolved options of one [`SpecMember`], by key.
#[derive(Debug, Clone)]
pub struct SpecOptions {
    member: SpecMember,
    values: BTreeMap<String, String>,
}

impl SpecOptions {
    /// The raw value of an option.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// The value of an option parsed with [`FromStr`]; a value that does not parse is an
    /// error naming the option.
    pub fn parse<T>(&self, key: &str) -> Result<Option<T>>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        self.get(key)
            .map(|v| {
                v.parse::<T>()
                    .map_err(|e| self.member.error(format!("option `{key}` = `{v}`: {e}")))
            })
            .transpose()
    }
}

/// Writes a value for a spec string: as is when it is a bare value, otherwise quoted with
/// `"` and `\` escaped.
pub fn quote(value: &str) -> String {
    let bare = !value.is_empty()
        && value
            .chars()
            .all(|c| !c.is_whitespace() && !matches!(c, '+' | ',' | '=' | '"' | '\\'));
    if bare {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Splits a spec string into members (`none` is an ordinary name here).
pub fn parse_members(spec: &str) -> Result<Vec<SpecMember>> {
    let mut parser = Parser {
        chars: spec.chars().collect(),
        pos: 0,
    };
    parser.members().map_err(|message| Error::Spec {
        spec: spec.to_owned(),
        message,
    })
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn column(&self) -> usize {
        self.pos + 1
    }

    fn members(&mut self) -> std::result::Result<Vec<SpecMember>, String> {
        let mut out = vec![self.member()?];
        loop {
            self.skip_ws();
            match self.peek() {
                None => return Ok(out),
                Some('+') => {
                    self.pos += 1;
                    out.push(self.member()?);
                }
                Some(c) => {
                    return Err(format!(
                        "unexpected `{c}` at column {}; members are joined with `+` and \
                         values with spaces or + , = \" \\ must be quoted",
                        self.column()
                    ));
                }
            }
        }
    }

    fn member(&mut self) -> std::result::Result<SpecMember, String> {
        self.skip_ws();
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-')
        {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(match self.peek() {
                None => "expected a mitigation name at the end (use `none` for no mitigation)"
                    .to_owned(),
                Some(c) => format!(
                    "expected a mitigation name at column {}, found `{c}`",
                    start + 1
                ),
            });
        }
        let mut member = SpecMember::new(self.chars[start..self.pos].iter().collect::<String>());
        self.skip_ws();
        if self.peek() == Some(':') {
            self.pos += 1;
            loop {
                member.args.push(self.arg()?);
                self.skip_ws();
                if self.peek() != Some(',') {
                    break;
                }
                self.pos += 1;
            }
        }
        Ok(member)
    }

    fn arg(&mut self) -> std::result::Result<SpecArg, String> {
        self.skip_ws();
        let key_column = self.column();
        let (first, quoted) = self.value()?;
        self.skip_ws();
        if self.peek() != Some('=') {
            return Ok(SpecArg {
                key: None,
                value: first,
            });
        }
        if quoted {
            return Err(format!("a key cannot be quoted (column {key_column})"));
        }
        self.pos += 1;
        self.skip_ws();
        let (value, _) = self.value()?;
        Ok(SpecArg {
            key: Some(first),
            value,
        })
    }

    /// A bare or quoted value, with whether it was quoted.
    fn value(&mut self) -> std::result::Result<(String, bool), String> {
        if self.peek() == Some('"') {
            let open = self.column();
            self.pos += 1;
            let mut out = String::new();
            loop {
                match self.peek() {
                    None => return Err(format!("the quote opened at column {open} is not closed")),
                    Some('"') => {
                        self.pos += 1;
                        return Ok((out, true));
                    }
                    Some('\\') => {
                        self.pos += 1;
                        match self.peek() {
                            Some(c @ ('"' | '\\')) => out.push(c),
                            _ => {
                                return Err(format!(
                                    "bad escape at column {}: only \\\" and \\\\ are allowed",
                                    self.column()
                                ));
                            }
                        }
                        self.pos += 1;
                    }
                    Some(c) => {
                        out.push(c);
                        self.pos += 1;
                    }
                }
            }
        }
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| !c.is_whitespace() && !matches!(c, '+' | ',' | '=' | '"' | '\\'))
        {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(match self.peek() {
                None => "expected a value at the end".to_owned(),
                Some(c) => format!("expected a value at column {}, found `{c}`", start + 1),
            });
        }
        Ok((self.chars[start..self.pos].iter().collect(), false))
    }
}

/// Builds a user-defined strategy from its spec member.
pub type Constructor =
    Arc<dyn Fn(&SpecMember, &SpecContext) -> Result<Box<dyn Mitigation>> + Send + Sync>;

/// What parsing needs beyond the string: the lexicon for `mask` and `cda` (this crate
/// ships none; pass `inherit-data`'s or your own) and constructors of user-defined
/// strategies.
#[derive(Clone, Default)]
pub struct SpecContext {
    lexicon: Option<Arc<Lexicon>>,
    custom: BTreeMap<String, Constructor>,
}

impl fmt::Debug for SpecContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpecContext")
            .field("lexicon_terms", &self.lexicon.as_ref().map(|l| l.len()))
            .field("custom", &self.custom.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl SpecContext {
    /// A context without lexicon or custom strategies.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builder: the lexicon that `mask` and `cda` use.
    pub fn with_lexicon(mut self, lexicon: impl Into<Arc<Lexicon>>) -> Self {
        self.lexicon = Some(lexicon.into());
        self
    }

    /// The lexicon, if one was given.
    pub fn lexicon(&self) -> Option<&Arc<Lexicon>> {
        self.lexicon.as_ref()
    }

    /// The lexicon, or an error telling the user of `member` to provide one.
    pub fn require_lexicon(&self, member: &SpecMember) -> Result<Arc<Lexicon>> {
        self.lexicon.clone().ok_or_else(|| {
            member.error(format!(
                "`{}` needs a lexicon of sensitive terms: build the context with \
                 `SpecContext::new().with_lexicon(...)` (e.g. inherit-data's lexicon)",
                member.name
            ))
        })
    }

    /// Registers a user-defined strategy under `name`, so spec strings can name it.
    /// Names are letters, digits, `_` and `-`, and may not shadow `none`, a built-in or an
    /// earlier registration.
    pub fn register(
        &mut self,
        name: &str,
        constructor: impl Fn(&SpecMember, &SpecContext) -> Result<Box<dyn Mitigation>>
        + Send
        + Sync
        + 'static,
    ) -> Result<()> {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
        let message = if !valid {
            Some("a name is letters, digits, `_` and `-`".to_owned())
        } else if name == "none" || BUILTIN_NAMES.contains(&name) || self.custom.contains_key(name)
        {
            Some(format!(
                "the name is taken; taken: {}",
                self.known_names().join(", ")
            ))
        } else {
            None
        };
        if let Some(message) = message {
            return Err(Error::Spec {
                spec: name.to_owned(),
                message,
            });
        }
        self.custom.insert(name.to_owned(), Arc::new(constructor));
        Ok(())
    }

    /// Every name a spec may use: `none`, the built-ins, then registered ones.
    pub fn known_names(&self) -> Vec<String> {
        std::iter::once("none")
            .chain(BUILTIN_NAMES)
            .map(str::to_owned)
            .chain(self.custom.keys().cloned())
            .collect()
    }

    /// Builds the strategy a member names.
    pub fn build(&self, member: &SpecMember) -> Result<Box<dyn Mitigation>> {
        Ok(match member.name.as_str() {
            "token" => Box::new(TokenPrefix::from_spec(member)?),
            "tag" => Box::new(SourceTag::from_spec(member)?),
            "mask" => Box::new(MaskSensitive::from_spec(member, self)?),
            "loss" => Box::new(AlignLoss::from_spec(member)?),
            "reweigh" => Box::new(Reweighing::from_spec(member)?),
            "cda" => Box::new(CounterfactualAugmentation::from_spec(member, self)?),
            name => match self.custom.get(name) {
                Some(constructor) => constructor(member, self)?,
                None => {
                    return Err(member.error(format!(
                        "unknown mitigation `{name}`; known: {}",
                        self.known_names().join(", ")
                    )));
                }
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_keys_and_quotes_parse() {
        let m = parse_members(r#" token : "a, b+c \"q\" \\" , target = all + loss:0.5"#).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].name, "token");
        assert_eq!(
            m[0].args[0],
            SpecArg {
                key: None,
                value: r#"a, b+c "q" \"#.into()
            }
        );
        assert_eq!(
            m[0].args[1],
            SpecArg {
                key: Some("target".into()),
                value: "all".into()
            }
        );
        assert_eq!(m[1].to_string(), "loss:0.5");
        // Display quotes what needs quoting, and the result parses back.
        let again = parse_members(&m[0].to_string()).unwrap();
        assert_eq!(again[0], m[0]);
    }

    #[test]
    fn syntax_errors_say_where() {
        let msg = |s: &str| parse_members(s).unwrap_err().to_string();
        assert!(
            msg("token:\"open").contains("not closed"),
            "{}",
            msg("token:\"open")
        );
        assert!(
            msg("token+").contains("expected a mitigation name"),
            "{}",
            msg("token+")
        );
        assert!(msg("").contains("use `none`"), "{}", msg(""));
        assert!(
            msg("loss:0.5 x").contains("column 10"),
            "{}",
            msg("loss:0.5 x")
        );
        assert!(
            msg("mask:=x").contains("expected a value at column 6"),
            "{}",
            msg("mask:=x")
        );
        assert!(
            msg("token:\"k\"=v").contains("key cannot be quoted"),
            "{}",
            msg("token:\"k\"=v")
        );
    }

    #[test]
    fn options_resolve_the_primary_and_reject_the_rest() {
        let member = &parse_members("mask:neutral,target=all").unwrap()[0];
        let opts = member.options(Some("mode"), &["mode", "target"]).unwrap();
        assert_eq!(opts.get("mode"), Some("neutral"));
        assert_eq!(opts.get("target"), Some("all"));
        let err = member
            .options(Some("mode"), &["mode"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown option `target`") && err.contains("known: mode"),
            "{err}"
        );
        let twice = &parse_members("loss:1,lambda=2").unwrap()[0];
        let err = twice
            .options(Some("lambda"), &["lambda"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("given twice"), "{err}");
        let late = &parse_members("loss:lambda=1,2").unwrap()[0];
        let err = late
            .options(Some("lambda"), &["lambda"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("only the first argument"), "{err}");
        let bad = &parse_members("loss:abc").unwrap()[0];
        let err = bad
            .options(Some("lambda"), &["lambda"])
            .unwrap()
            .parse::<f64>("lambda")
            .unwrap_err()
            .to_string();
        assert!(err.contains("option `lambda` = `abc`"), "{err}");
    }

    #[test]
    fn quote_leaves_bare_values_alone() {
        assert_eq!(quote("<aug>"), "<aug>");
        assert_eq!(quote("[MASK]"), "[MASK]");
        assert_eq!(quote("0.5"), "0.5");
        assert_eq!(quote(""), "\"\"");
        assert_eq!(quote("a b"), "\"a b\"");
    }
}
