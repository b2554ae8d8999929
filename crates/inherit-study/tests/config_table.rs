//! The "default" column of the key table in `config.rs`'s rustdoc agrees with the shipped
//! `configs/default.toml`: every key the file sets is checked against the table's value
//! (the table's keys the file leaves out are built-in defaults and are not checked here).

use inherit_study::config::DEFAULT_TOML;

/// `(key, default)` rows of the table: `tasks[].seed`, `generator.temperature`, ...; a
/// row naming several keys (`generator.temperature`, `top_p`) gives one pair per key.
fn table_rows() -> Vec<(String, String)> {
    let source = include_str!("../src/config.rs");
    let mut rows = Vec::new();
    for line in source.lines().filter_map(|l| l.strip_prefix("//! | `")) {
        let cells: Vec<&str> = line.split(" | ").collect();
        if cells.len() < 3 {
            continue;
        }
        let keys: Vec<String> = cells[0]
            .split(", ")
            .map(|k| k.trim_matches('`').to_owned())
            .collect();
        let values: Vec<&str> = if keys.len() > 1 {
            cells[1].split(", ").collect()
        } else {
            vec![cells[1]]
        };
        if keys.len() != values.len() {
            continue;
        }
        // Later keys of a row are siblings of the first (`generator.temperature`, `top_p`).
        let prefix = keys[0].rsplit_once('.').map(|(p, _)| p.to_owned());
        for (i, (k, v)) in keys.into_iter().zip(values).enumerate() {
            let key = match (&prefix, i) {
                (Some(p), i) if i > 0 && !k.contains('.') => format!("{p}.{k}"),
                _ => k,
            };
            rows.push((key, v.trim().trim_matches('`').to_owned()));
        }
    }
    rows
}

/// The value of `key` (`a.b`, `tasks[].x` for the first task) in the default file.
fn lookup<'a>(file: &'a toml::Value, key: &str) -> Option<&'a toml::Value> {
    let mut v = file;
    for part in key.split('.') {
        v = match part.strip_suffix("[]") {
            Some(array) => v.get(array)?.get(0)?,
            None => v.get(part)?,
        };
    }
    Some(v)
}

/// Whether the table's text states `actual`.
fn agrees(text: &str, actual: &toml::Value) -> bool {
    if let Ok(parsed) = format!("x = {text}").parse::<toml::Table>()
        && let Some(v) = parsed.get("x")
    {
        return match (v, actual) {
            (toml::Value::Integer(a), toml::Value::Float(b)) => *a as f64 == *b,
            (toml::Value::Array(a), toml::Value::Array(b)) => {
                a.len() == b.len()
                    && a.iter().zip(b).all(|(x, y)| match (x, y) {
                        (toml::Value::Integer(p), toml::Value::Float(q)) => *p as f64 == *q,
                        _ => x == y,
                    })
            }
            _ => v == actual,
        };
    }
    // Bare words (`runs/study`, `flex`, `top:4`) are strings.
    actual.as_str() == Some(text)
}

#[test]
fn the_key_tables_defaults_are_those_of_configs_default_toml() {
    let file = toml::Value::Table(
        DEFAULT_TOML
            .parse::<toml::Table>()
            .expect("default.toml parses"),
    );
    let rows = table_rows();
    assert!(rows.len() > 30, "the table was found ({} rows)", rows.len());
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (key, text) in &rows {
        if key.starts_with('[') || text == "–" {
            continue;
        }
        let Some(actual) = lookup(&file, key) else {
            continue;
        };
        if actual.is_table() {
            continue;
        }
        checked += 1;
        if !agrees(text, actual) {
            wrong.push(format!(
                "{key}: table says {text}, default.toml has {actual}"
            ));
        }
    }
    assert!(checked >= 20, "only {checked} keys checked");
    assert!(
        wrong.is_empty(),
        "the key table disagrees:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn with_gguf_points_every_smollm2_model_at_the_file() {
    let text = DEFAULT_TOML.replace(
        "downstream = { model = \"smollm2-lora\"",
        "downstream = { gguf = \"/elsewhere.gguf\", model = \"smollm2-lora\"",
    );
    assert_ne!(
        text, DEFAULT_TOML,
        "the default config's hiring task names smollm2-lora"
    );
    let config = inherit_study::StudyConfig::parse(&text, "default (edited)")
        .unwrap()
        .with_gguf("/models/own.gguf");
    let own = std::path::Path::new("/models/own.gguf");
    assert_eq!(config.generator.gguf.as_deref(), Some(own));
    assert_eq!(config.downstream.gguf.as_deref(), Some(own));
    // A task's own `gguf` is overridden too, so no cell reads another model.
    for task in config.per_task() {
        assert_eq!(
            task.downstream.gguf.as_deref(),
            Some(own),
            "{}",
            task.task().kind
        );
    }
}
