//! `pilot`: the pilot sweep that picks the hiring recipe of the fine-tuned SmolLM2
//! (issue: a model that has learned the task before any bias is measured). Each recipe
//! (D_o size and rule, optimizer steps, adapted layers, rank, learning rate, batch) trains
//! the LoRA model on D_o alone (γ = 0) for every seed through the study engine, and the
//! table reports what the gate looks at: decided accuracy, borderline hire rate, and
//! the paired margins (headline and placebo). With `gamma` and `mitigation` a recipe
//! mixes in the stand-in generator's skewed D_a instead, which is how the loss
//! mitigation's λ is swept under the accuracy guard (`mitigation=loss:0.1`, ...; the
//! table's JSON lines keep the alignment term's share of the loss).
//!
//! ```sh
//! cargo run --release --example pilot -- --out runs/pilot --seeds 1,2 \
//!     --recipe train=8,steps=120,layers=top:4,rank=8,lr=0.002,batch=8 \
//!     --recipe train=8,steps=240,layers=top:4,rank=8,lr=0.002,batch=8
//! cargo run --release --example pilot -- --out runs/lambda --seeds 1,2 \
//!     --recipe rule=experience,gamma=0.5,mitigation=loss:1 \
//!     --recipe rule=experience,gamma=0.5,mitigation=loss:10
//! ```
//!
//! Writes `pilot.jsonl` (one line per recipe) and `pilot.md` to `--out`, each recipe's
//! study in `--out/<recipe>/` (resumable: a rerun reuses finished cells).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use inherit::study::{Study, StudyConfig};

/// Run the hiring pilot sweep (γ = 0, D_o only) over LoRA recipes.
#[derive(Parser, Debug)]
#[command(name = "pilot", version)]
struct Args {
    /// Output folder.
    #[arg(long, default_value = "runs/pilot")]
    out: PathBuf,
    /// Seeds (comma-separated).
    #[arg(long, default_value = "1,2", value_delimiter = ',')]
    seeds: Vec<u64>,
    /// A recipe: comma-separated `key=value` of train (D_o profiles per culture ×
    /// gender × decision), test (decided test profiles per cell), pairs
    /// (counterfactual bases), rule (`experience_and_degree` or `experience`), gamma and
    /// mitigation (default 0 and none: D_o alone; the stand-in generator writes D_a), steps, layers (`all` or `top:K`), rank, lr, batch,
    /// max_len. Repeat for several.
    #[arg(long, required = true)]
    recipe: Vec<String>,
    /// Cells trained at once.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// Only write the first recipe's training pairs, decided test prompts and setup to
    /// DIR for the independent PyTorch + PEFT check (scripts/reference/hiring_peft.py),
    /// then exit.
    #[arg(long, value_name = "DIR")]
    export: Option<PathBuf>,
}

/// The first recipe's D_o as chat pairs, its decided test profiles as prompts with their
/// labels, and the training setup, for `scripts/reference/hiring_peft.py`.
fn export(
    dir: &std::path::Path,
    r: &BTreeMap<String, String>,
    config: &inherit::study::ValidStudyConfig,
) -> Result<(), String> {
    let task = inherit::study::task::from_config(config).map_err(|e| e.to_string())?;
    let data = task.data().map_err(|e| e.to_string())?;
    let mut train = String::new();
    for e in &data.train.examples {
        let (prompt, response) = task
            .sft_pair(e)
            .ok_or_else(|| format!("no instruction pair for `{}`", e.id))?;
        let _ = writeln!(
            train,
            "{}",
            serde_json::json!({"prompt": prompt, "response": response})
        );
    }
    let mut test = String::new();
    for e in data.test.examples.iter().filter(|e| e.label.is_some()) {
        let prompt = task.instruction(&e.text).unwrap_or_default();
        let _ = writeln!(
            test,
            "{}",
            serde_json::json!({"prompt": prompt, "label": e.label})
        );
    }
    let d = &config.tasks[0].downstream;
    let setup = serde_json::json!({
        "recipe": r,
        "answers": {"hire": task.answer("hire"), "reject": task.answer("reject")},
        "lora_rank": d.get("lora_rank").and_then(|v| v.as_integer()),
        "lora_alpha": 2 * d.get("lora_rank").and_then(|v| v.as_integer()).unwrap_or(8),
        "lora_layers": r["layers"],
        "max_steps": r["steps"].parse::<usize>().map_err(|e| e.to_string())?,
        "batch_size": r["batch"].parse::<usize>().map_err(|e| e.to_string())?,
        "learning_rate": r["lr"].parse::<f64>().map_err(|e| e.to_string())?,
        "weight_decay": 0.01,
        "grad_clip_norm_per_tensor": 1.0,
        "schedule": "linear decay from the peak to 0 over max_steps, no warm-up",
        "max_len": r["max_len"].parse::<usize>().map_err(|e| e.to_string())?,
    });
    let write = |name: &str, text: &str| {
        inherit::core::io::write_atomic(dir.join(name), text.as_bytes()).map_err(|e| e.to_string())
    };
    write("train.jsonl", &train)?;
    write("test.jsonl", &test)?;
    write("setup.json", &setup.to_string())
}

/// A recipe's values, with defaults for the keys it leaves out.
fn recipe(spec: &str) -> Result<BTreeMap<String, String>, String> {
    let mut r: BTreeMap<String, String> = [
        ("train", "8"),
        ("test", "5"),
        ("pairs", "100"),
        ("steps", "120"),
        ("layers", "top:4"),
        ("rank", "8"),
        ("lr", "0.002"),
        ("batch", "8"),
        ("max_len", "256"),
        ("rule", "experience_and_degree"),
        ("gamma", "0"),
        ("mitigation", "none"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for part in spec.split(',').filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("recipe part `{part}` is not key=value"))?;
        if !r.contains_key(k) {
            return Err(format!(
                "unknown recipe key `{k}`; known: {}",
                r.keys().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        r.insert(k.to_owned(), v.to_owned());
    }
    Ok(r)
}

fn config(r: &BTreeMap<String, String>, seeds: &[u64]) -> String {
    format!(
        r#"
out = "unused"
bias_types = ["contrastive-single-explicit"]
gammas = [{gamma}]
mitigations = ["{mitigation}"]
seeds = {seeds:?}
device = "flex"

[[tasks]]
kind = "hiring"
axis = "culture"
groups = ["anglo", "arabic"]
train_per_cell = {train}
test_per_cell = {test}
pairs = {pairs}
rule = "{rule}"
seed = 0
downstream = {{ model = "smollm2-lora", lora_rank = {rank}, lora_layers = "{layers}", epochs = 1, max_steps = {steps}, batch_size = {batch}, learning_rate = {lr}, max_len = {max_len} }}

[generator]
kind = "stand-in"
neutral_per_label = 2
augmented_per_label = {augmented}
max_tokens = 40
temperature = 0.8
top_p = 0.95
batch_size = 8
seed = 7

[embedding]
kind = "none"
samples_per_source = 10
permutations = 10

[downstream]
model = "bag"
vocab_size = 2000
embed_dim = 64
epochs = 1
batch_size = 32
learning_rate = 0.01
max_len = 128
"#,
        train = r["train"],
        test = r["test"],
        pairs = r["pairs"],
        rank = r["rank"],
        layers = r["layers"],
        steps = r["steps"],
        batch = r["batch"],
        lr = r["lr"],
        max_len = r["max_len"],
        rule = r["rule"],
        gamma = r["gamma"],
        mitigation = r["mitigation"],
        // D_a at γ ≤ 0.5 is at most |D_o| = 20 × train; twice that in the pool.
        augmented = 20 * r["train"].parse::<usize>().unwrap_or(8),
    )
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut md = String::from(
        "| recipe | seeds | decided accuracy (per seed) | borderline hire rate | pair margin gap | placebo gap | gate passed | s per cell |\n|---|---:|---|---:|---:|---:|---:|---:|\n",
    );
    let mut jsonl = String::new();
    for spec in &args.recipe {
        let r = match recipe(spec) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        let name: String = spec
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let out = args.out.join(&name);
        let config = match StudyConfig::parse(&config(&r, &args.seeds), "pilot recipe") {
            Ok(c) => c.with_out(&out),
            Err(e) => {
                eprintln!("error: recipe `{spec}`: {e}");
                return ExitCode::from(2);
            }
        };
        if let Some(dir) = &args.export {
            return match export(dir, &r, &config) {
                Ok(()) => {
                    eprintln!("wrote {}", dir.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(1)
                }
            };
        }
        eprintln!("[pilot] {spec}");
        let t = Instant::now();
        let outcome = match Study::new(config).jobs(args.jobs).run() {
            Ok(o) => o,
            Err(e) => {
                eprintln!("error: recipe `{spec}`: {e}");
                return ExitCode::from(1);
            }
        };
        let seconds = t.elapsed().as_secs_f64() / outcome.records.len().max(1) as f64;
        let metric = |m: &str| -> Vec<f64> {
            outcome
                .records
                .iter()
                .map(|r| r.metrics.get(m).copied().unwrap_or(f64::NAN))
                .collect()
        };
        let acc = metric("accuracy");
        let line = serde_json::json!({
            "recipe": spec,
            "seeds": args.seeds,
            "accuracy": acc,
            "borderline_hire_rate": metric("borderline_hire_rate"),
            "pair_margin_gap": metric("pair_margin_gap"),
            "placebo_margin_gap": metric("placebo_margin_gap"),
            "gate": metric("gate"),
            "train_loss": metric("train.loss"),
            "align_share": metric("train.align_share"),
            "seconds_per_cell": seconds,
        });
        let _ = writeln!(jsonl, "{line}");
        let _ = writeln!(
            md,
            "| `{spec}` | {} | {:.3} ({}) | {:.3} | {:.3} | {:.3} | {} of {} | {:.0} |",
            acc.len(),
            mean(&acc),
            acc.iter()
                .map(|a| format!("{a:.2}"))
                .collect::<Vec<_>>()
                .join(", "),
            mean(&metric("borderline_hire_rate")),
            mean(&metric("pair_margin_gap")),
            mean(&metric("placebo_margin_gap")),
            metric("gate").iter().filter(|g| **g >= 0.5).count(),
            acc.len(),
            seconds
        );
        eprintln!("{}", md.lines().last().unwrap_or_default());
    }
    let write = |file: &str, text: &str| {
        inherit::core::io::write_atomic(args.out.join(file), text.as_bytes())
    };
    if let Err(e) = write("pilot.jsonl", &jsonl).and_then(|()| write("pilot.md", &md)) {
        eprintln!("error: {e}");
        return ExitCode::from(1);
    }
    println!("{md}");
    ExitCode::SUCCESS
}
