//! Every fuzz target, by name.

pub mod data;
pub mod files;
pub mod pretrained;
pub mod text;

use crate::driver::Target;

const KIB: usize = 1024;

/// All targets, in the order `scripts/fuzz.sh` runs them.
pub fn all() -> Vec<Target> {
    vec![
        Target {
            name: "gguf",
            about: "GGUF reader, dequantisation, llama config and the SmolLM2 loader (scoring, generation)",
            seeds: crate::seeds::gguf,
            dict: pretrained::GGUF_DICT,
            max_len: 1024 * KIB,
            structured: Some(pretrained::structured),
            run: pretrained::gguf,
        },
        Target {
            name: "gguf_tokenizer",
            about: "GGUF tokenizer metadata: vocabulary, merges, token types, ids, chat template",
            seeds: crate::seeds::gguf,
            dict: pretrained::GGUF_DICT,
            max_len: 1024 * KIB,
            structured: Some(pretrained::structured),
            run: pretrained::gguf_tokenizer,
        },
        Target {
            name: "bert_config",
            about: "BERT config.json (against a tiny model.safetensors)",
            seeds: || {
                let mut s = vec![crate::seeds::tiny_bert_config()];
                s.extend(
                    crate::seeds::minilm_dir()
                        .and_then(|d| crate::seeds::file(&d.join("config.json"))),
                );
                s
            },
            dict: pretrained::BERT_DICT,
            max_len: 16 * KIB,
            structured: Some(crate::json::document),
            run: pretrained::bert_config,
        },
        Target {
            name: "safetensors",
            about: "BERT model.safetensors header and data (against a tiny config.json)",
            seeds: || {
                let mut s = vec![crate::seeds::tiny_bert_safetensors()];
                s.extend(crate::seeds::minilm_header());
                s
            },
            dict: pretrained::BERT_DICT,
            max_len: 64 * KIB,
            structured: Some(crate::json::safetensors),
            run: pretrained::safetensors,
        },
        Target {
            name: "data_bbq",
            about: "BBQ JSON lines",
            seeds: data::bbq_seeds,
            dict: data::DATA_DICT,
            max_len: 64 * KIB,
            structured: Some(crate::json::lines),
            run: data::bbq,
        },
        Target {
            name: "data_bold",
            about: "BOLD JSON (as each domain) and its dataset",
            seeds: data::bold_seeds,
            dict: data::DATA_DICT,
            max_len: 64 * KIB,
            structured: Some(crate::json::document),
            run: data::bold,
        },
        Target {
            name: "data_crows",
            about: "CrowS-Pairs CSV",
            seeds: data::crows_seeds,
            dict: data::DATA_DICT,
            max_len: 64 * KIB,
            structured: None,
            run: data::crows,
        },
        Target {
            name: "data_eec",
            about: "EEC CSV and its dataset",
            seeds: data::eec_seeds,
            dict: data::DATA_DICT,
            max_len: 64 * KIB,
            structured: None,
            run: data::eec,
        },
        Target {
            name: "data_holistic",
            about: "HolisticBias descriptors JSON and their lexicon",
            seeds: data::holistic_seeds,
            dict: data::DATA_DICT,
            max_len: 64 * KIB,
            structured: Some(crate::json::document),
            run: data::holistic,
        },
        Target {
            name: "data_madlibs",
            about: "identity-term madlibs CSV",
            seeds: data::madlibs_seeds,
            dict: data::DATA_DICT,
            max_len: 64 * KIB,
            structured: None,
            run: data::madlibs,
        },
        Target {
            name: "data_sst2",
            about: "SST-2 TSV",
            seeds: data::sst2_seeds,
            dict: data::DATA_DICT,
            max_len: 64 * KIB,
            structured: None,
            run: data::sst2,
        },
        Target {
            name: "data_winobias",
            about: "WinoBias sentence files (as every file kind) and their dataset",
            seeds: data::winobias_seeds,
            dict: data::DATA_DICT,
            max_len: 64 * KIB,
            structured: None,
            run: data::winobias,
        },
        Target {
            name: "data_word_lists",
            about: "WinoBias word lists and gender-pair files",
            seeds: data::word_list_seeds,
            dict: data::DATA_DICT,
            max_len: 64 * KIB,
            structured: None,
            run: data::word_lists,
        },
        Target {
            name: "data_bios",
            about: "Bias in Bios as JSON lines, CSV and TSV",
            seeds: data::bios_seeds,
            dict: data::DATA_DICT,
            max_len: 64 * KIB,
            structured: Some(crate::json::lines),
            run: data::bios,
        },
        Target {
            name: "core_jsonl",
            about: "inherit-core's JSON-lines reader (examples), with a write/read round trip",
            seeds: files::jsonl_seeds,
            dict: data::DATA_DICT,
            max_len: 64 * KIB,
            structured: Some(crate::json::lines),
            run: files::jsonl,
        },
        Target {
            name: "core_delimited",
            about: "inherit-core's CSV / TSV reader",
            seeds: files::delimited_seeds,
            dict: data::DATA_DICT,
            max_len: 64 * KIB,
            structured: None,
            run: files::delimited,
        },
        Target {
            name: "results",
            about: "results.jsonl: reader, writer repair, append, read back, aggregation",
            seeds: files::results_seeds,
            dict: &[
                b"\"metrics\"",
                b"\"ci\"",
                b"\"key\"",
                b"\"gamma\"",
                b"\"seed\"",
                b"null",
            ],
            max_len: 64 * KIB,
            structured: Some(crate::json::lines),
            run: files::results,
        },
        Target {
            name: "cache",
            about: "generation cache: open (repair), append, reopen",
            seeds: files::cache_seeds,
            dict: &[b"\"key\"", b"\"prompt_id\"", b"\"output\""],
            max_len: 64 * KIB,
            structured: Some(crate::json::lines),
            run: files::cache,
        },
        Target {
            name: "templates_family",
            about: "prompt-template family files, and prompts built from them",
            seeds: text::family_seeds,
            dict: text::TEMPLATE_DICT,
            max_len: 64 * KIB,
            structured: Some(crate::json::document),
            run: text::family,
        },
        Target {
            name: "templates_framework",
            about: "the prompt framework file, and prompts built with it",
            seeds: text::framework_seeds,
            dict: text::TEMPLATE_DICT,
            max_len: 64 * KIB,
            structured: Some(crate::json::document),
            run: text::framework,
        },
        Target {
            name: "templates_names",
            about: "name-table files, their lexicon, and prompts drawing from them",
            seeds: text::names_seeds,
            dict: text::TEMPLATE_DICT,
            max_len: 64 * KIB,
            structured: Some(crate::json::document),
            run: text::name_table,
        },
        Target {
            name: "retry_after",
            about: "HTTP Retry-After values (seconds and HTTP-dates) and the capped wait",
            seeds: text::retry_after_seeds,
            dict: text::DATE_DICT,
            max_len: 256,
            structured: None,
            run: text::retry_after,
        },
        Target {
            name: "mitigation_spec",
            about: "mitigation spec strings, with the canonical-form round trip",
            seeds: text::spec_seeds,
            dict: text::SPEC_DICT,
            max_len: 1024,
            structured: None,
            run: text::spec,
        },
        Target {
            name: "study_config",
            about: "the study's TOML configuration",
            seeds: text::config_seeds,
            dict: text::CONFIG_DICT,
            max_len: 16 * KIB,
            structured: None,
            run: text::config,
        },
    ]
}

/// The target called `name`.
pub fn by_name(name: &str) -> Option<Target> {
    all().into_iter().find(|t| t.name == name)
}
