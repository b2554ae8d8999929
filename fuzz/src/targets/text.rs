//! Small text formats: prompt-template, framework and name files (inherit-augment),
//! `Retry-After` values, mitigation spec strings and the study's TOML configuration.

use std::sync::OnceLock;
use std::time::{Duration, UNIX_EPOCH};

use inherit_augment::retry::parse_retry_after_at;
use inherit_augment::{
    NameTable, PromptBuilder, PromptSpec, RetryPolicy, Templates, default_lexicon,
};
use inherit_core::BiasType;
use inherit_mitigate::{MitigationStack, SpecContext};
use inherit_study::StudyConfig;

use crate::driver::{Case, Verdict};
use crate::seeds::{file, files_in, workspace};

fn templates_dir() -> std::path::PathBuf {
    workspace().join("crates/inherit-augment/templates")
}

fn builtin() -> &'static Templates {
    static T: OnceLock<Templates> = OnceLock::new();
    T.get_or_init(Templates::builtin)
}

fn names() -> &'static NameTable {
    static N: OnceLock<NameTable> = OnceLock::new();
    N.get_or_init(NameTable::builtin)
}

/// Template keys and placeholders.
pub const TEMPLATE_DICT: &[&[u8]] = &[
    b"{label}",
    b"{a_label}",
    b"{task}",
    b"{subject}",
    b"{ref}",
    b"{other}",
    b"{group}",
    b"{attribute}",
    b"{{",
    b"}}",
    b"{",
    b"}",
    b"\"id\"",
    b"\"axis\"",
    b"\"attribute\"",
    b"\"intersect\"",
    b"\"labels\"",
    b"\"neutral\"",
    b"\"stereotypes\"",
    b"gender",
    b"culture",
    b"age",
    b"female",
    b"male",
    b"anglo",
    b"[]",
];

/// Builds a few prompts of every bias type for `family` (a bias type the family cannot
/// serve is an error, fine).
fn build_prompts(templates: &Templates, names: &NameTable, family: &str) {
    for bias in BiasType::all() {
        let spec = PromptSpec::new(family, bias).seed(3);
        if let Ok(builder) = PromptBuilder::new(spec, templates, names) {
            for i in 0..3 {
                if let Ok(p) = builder.build(i) {
                    let _ = p.text();
                }
            }
        }
    }
}

/// The built-in family files.
pub fn family_seeds() -> Vec<Vec<u8>> {
    ["occupation", "hiring", "salary", "story", "generic"]
        .iter()
        .filter_map(|f| file(&templates_dir().join(format!("{f}.json"))))
        .collect()
}

/// A family file loaded over the built-in templates, then prompts built from it.
pub fn family(case: &Case<'_>) -> Verdict {
    let path = case.write("family.json");
    let mut templates = builtin().clone();
    if templates.load_family_file(&path).is_err() {
        return Verdict::Rejected;
    }
    let ids: Vec<String> = templates
        .family_ids()
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    // The loaded family replaced (or joined) the built-in ones: build from each new one.
    for id in ids {
        if builtin().family(&id).ok() != templates.family(&id).ok() {
            build_prompts(&templates, names(), &id);
        }
    }
    Verdict::Accepted
}

/// The built-in framework file.
pub fn framework_seeds() -> Vec<Vec<u8>> {
    file(&templates_dir().join("framework.json"))
        .into_iter()
        .collect()
}

/// A framework file over the built-in families, then prompts of one family.
pub fn framework(case: &Case<'_>) -> Verdict {
    let path = case.write("framework.json");
    let mut templates = builtin().clone();
    if templates.load_framework_file(&path).is_err() {
        return Verdict::Rejected;
    }
    build_prompts(&templates, names(), "occupation");
    Verdict::Accepted
}

/// The built-in name table.
pub fn names_seeds() -> Vec<Vec<u8>> {
    file(&templates_dir().join("names.json"))
        .into_iter()
        .collect()
}

/// A name table, its lexicon, and prompts that draw names from it.
pub fn name_table(case: &Case<'_>) -> Verdict {
    let path = case.write("names.json");
    let Ok(table) = NameTable::from_json_file(&path) else {
        return Verdict::Rejected;
    };
    let lexicon = default_lexicon(&table);
    let _ = lexicon.infer("Emily met Mohammed and Mei.");
    build_prompts(builtin(), &table, "hiring");
    Verdict::Accepted
}

/// `Retry-After` values: numbers of every shape and the three HTTP-date forms.
pub fn retry_after_seeds() -> Vec<Vec<u8>> {
    [
        "120",
        "0",
        "1.5",
        "1e20",
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "Thu, 29 Feb 2024 23:59:60 GMT",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

/// Month and day names, for the mutator.
pub const DATE_DICT: &[&[u8]] = &[
    b"GMT",
    b"Jan",
    b"Feb",
    b"Dec",
    b"Sun, ",
    b"Sunday, ",
    b"-",
    b":",
    b"  ",
    b"60",
    b"99",
    b"00",
    b"1969",
    b"9999",
    b"99999",
];

/// A `Retry-After` value, parsed at three clock readings, then used by the policy.
pub fn retry_after(case: &Case<'_>) -> Verdict {
    let text = case.text();
    let policy = RetryPolicy::default();
    let mut any = false;
    for now in [
        UNIX_EPOCH,
        UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        UNIX_EPOCH + Duration::from_secs(u64::MAX / 4),
    ] {
        let parsed = parse_retry_after_at(&text, now);
        any |= parsed.is_some();
        let wait = policy.delay("fuzz", 1 + (case.bytes.len() as u32 % 80), parsed);
        assert!(
            wait <= Duration::from_millis(policy.max_backoff_ms),
            "capped: {wait:?}"
        );
    }
    if any {
        Verdict::Accepted
    } else {
        Verdict::Rejected
    }
}

/// Spec strings: every built-in strategy, with options, quoted values and stacks.
pub fn spec_seeds() -> Vec<Vec<u8>> {
    [
        "none",
        "token",
        "tag:target=all",
        "mask:neutral,target=all",
        "loss:0.5",
        "reweigh:gender",
        "cda",
        "token:\"Beware: \\\"synthetic\\\".\",target=all+loss:lambda=1.0",
        "reweigh+loss:1.0+mask",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

/// Spec grammar tokens.
pub const SPEC_DICT: &[&[u8]] = &[
    b"none", b"token", b"tag", b"mask", b"loss", b"reweigh", b"cda", b"+", b":", b",", b"=", b"\"",
    b"\\\"", b"target=", b"lambda=", b"all", b"neutral",
];

fn spec_context() -> &'static SpecContext {
    static C: OnceLock<SpecContext> = OnceLock::new();
    C.get_or_init(|| SpecContext::new().with_lexicon(inherit_data::lexicons::gender_words()))
}

/// A spec string parsed into a stack; its canonical form parses back to the same form.
pub fn spec(case: &Case<'_>) -> Verdict {
    let text = case.text();
    let _ = inherit_mitigate::spec::parse_members(&text);
    let Ok(stack) = MitigationStack::parse(&text, spec_context()) else {
        return Verdict::Rejected;
    };
    let canonical = stack.to_string();
    let again = MitigationStack::parse(&canonical, spec_context())
        .unwrap_or_else(|e| panic!("the canonical form `{canonical}` of `{text}` fails: {e}"));
    assert_eq!(again.to_string(), canonical, "canonical form of `{text}`");
    Verdict::Accepted
}

/// The shipped study configurations.
pub fn config_seeds() -> Vec<Vec<u8>> {
    files_in(&workspace().join("configs"), ".toml")
}

/// Study configuration keys.
pub const CONFIG_DICT: &[&[u8]] = &[
    b"[[tasks]]",
    b"[generator]",
    b"[embedding]",
    b"[downstream]",
    b"bias_types",
    b"gammas",
    b"mitigations",
    b"seeds",
    b"kind",
    b"axis",
    b"groups",
    b"train_per_cell",
    b"=",
    b"[",
    b"]",
    b"\"",
    b"'''",
    b"#",
    b"1e400",
    b"-1",
    b"nan",
    b"inf",
];

/// A TOML study configuration, checked, with its mitigation specs parsed.
pub fn config(case: &Case<'_>) -> Verdict {
    let Ok(config) = StudyConfig::parse(&case.text(), "fuzz.toml") else {
        return Verdict::Rejected;
    };
    let _ = config.axis();
    let _ = config.bias_types_parsed();
    let ctx = inherit_study::config::spec_context(inherit_data::lexicons::gender_words());
    for m in &config.mitigations {
        let _ = MitigationStack::parse(m, &ctx);
    }
    Verdict::Accepted
}
