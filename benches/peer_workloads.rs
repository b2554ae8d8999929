//! Our side of the peer benchmarks (`benches/peers/run.sh`, see `benches/peers/README.md`):
//! one subcommand per workload, each timing our code and printing one JSON line (the
//! last line of stdout, starting with `{`) that the harness reads. Where the peer needs
//! the same inputs, the subcommand writes them to a file (`--inputs`).
//!
//! ```sh
//! cargo bench --bench peer_workloads -- fairness --rows 1000000 --boot 100
//! cargo bench --bench peer_workloads -- classifier --inputs /tmp/cls.json
//! cargo bench --bench peer_workloads -- lora
//! cargo bench --bench peer_workloads -- generation --batches 1,16
//! cargo bench --bench peer_workloads -- embedding --inputs /tmp/emb.json
//! ```
//!
//! Our code runs on burn-flex (CPU); see the harness README for how many threads that
//! uses.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, Subcommand};
use inherit::core::{
    ChatMessage, Dataset, Embedder, Example, GenerationParams, Prompt, Provenance, seeded_rng,
};
use inherit::eval::{BootstrapParams, Metric, MetricFrame, Sample, SensitiveFeature};
use inherit::pretrained::{Device, LayerSelection, LoraConfig, MiniLm, SmolLm};
use inherit::train::{
    BagOfEmbeddingsConfig, ClassifierTrainer, LoraSftTrainer, SftPair, TextTokenizer,
    TokenizerConfig, TrainParams, TransformerClassifierConfig,
};
use rand::RngExt;
use serde_json::{Value, json};

#[derive(Parser)]
#[command(about = "Our side of the peer benchmarks (benches/peers/run.sh)")]
struct Cli {
    #[command(subcommand)]
    workload: Workload,
    /// Ignored: `cargo bench` passes it to every bench binary.
    #[arg(long, hide = true)]
    bench: bool,
}

#[derive(Subcommand)]
enum Workload {
    /// MetricFrame point estimates and bootstrap on synthetic binary predictions, 3 groups.
    Fairness {
        /// Rows.
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        /// Bootstrap resamples.
        #[arg(long, default_value_t = 100)]
        boot: usize,
        /// Write the inputs here (y_true, y_pred, group index as three blocks of u8).
        #[arg(long)]
        inputs: Option<PathBuf>,
    },
    /// Training of the bag-of-embeddings and transformer classifiers.
    Classifier {
        /// Training examples.
        #[arg(long, default_value_t = 2000)]
        examples: usize,
        /// Epochs.
        #[arg(long, default_value_t = 2)]
        epochs: usize,
        /// Batch size.
        #[arg(long, default_value_t = 32)]
        batch: usize,
        /// Write the token ids, labels and hyper-parameters here (JSON).
        #[arg(long)]
        inputs: Option<PathBuf>,
    },
    /// LoRA SFT of SmolLM2-135M-Instruct, seconds per optimizer step.
    Lora {
        /// Chat pairs (the workload of crates/inherit-train/benches/lora_throughput.rs).
        #[arg(long, default_value_t = 16)]
        pairs: usize,
        /// Batch size.
        #[arg(long, default_value_t = 8)]
        batch: usize,
        /// Timed fits of one epoch each, after one warm-up fit.
        #[arg(long, default_value_t = 2)]
        fits: usize,
    },
    /// SmolLM2 greedy generation, tokens/s.
    Generation {
        /// New tokens per row (at most).
        #[arg(long, default_value_t = 64)]
        tokens: usize,
        /// Batch sizes, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "1,16")]
        batches: Vec<usize>,
    },
    /// MiniLM sentence embedding, sentences/s.
    Embedding {
        /// Sentences.
        #[arg(long, default_value_t = 256)]
        sentences: usize,
        /// Write the sentences, the model folder and a few of our embeddings here (JSON).
        #[arg(long)]
        inputs: Option<PathBuf>,
    },
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.workload {
        Workload::Fairness { rows, boot, inputs } => fairness(rows, boot, inputs),
        Workload::Classifier {
            examples,
            epochs,
            batch,
            inputs,
        } => classifier(examples, epochs, batch, inputs),
        Workload::Lora { pairs, batch, fits } => lora(pairs, batch, fits),
        Workload::Generation { tokens, batches } => generation(tokens, &batches),
        Workload::Embedding { sentences, inputs } => embedding(sentences, inputs),
    };
    match result {
        Ok(v) => println!("{v}"),
        Err(e) => {
            eprintln!("peer_workloads: {e}");
            std::process::exit(1);
        }
    }
}

type Res<T> = Result<T, String>;

/// CPU seconds (user + system, all threads) this process has used, from /proc/self/stat
/// (Linux; clock ticks of 1/100 s); `None` elsewhere.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces): state is field 3, utime 14,
    // stime 15.
    let rest: Vec<&str> = stat[stat.rfind(')')? + 2..].split(' ').collect();
    let ticks = rest.get(11)?.parse::<f64>().ok()? + rest.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Wall and CPU time of a timed region: how many cores it kept busy on average.
struct Clock {
    wall: Instant,
    cpu: Option<f64>,
}

impl Clock {
    fn start() -> Self {
        Clock {
            wall: Instant::now(),
            cpu: cpu_seconds(),
        }
    }

    /// CPU seconds per wall second since `start` (`null` where unknown, or where the
    /// region is too short for the 10 ms ticks to say).
    fn cores_busy(&self) -> Value {
        let wall = self.wall.elapsed().as_secs_f64();
        match (self.cpu, cpu_seconds()) {
            (Some(a), Some(b)) if wall >= 0.2 => json!((b - a) / wall),
            _ => Value::Null,
        }
    }
}

fn write(path: &PathBuf, bytes: &[u8]) -> Res<()> {
    std::fs::write(path, bytes).map_err(|e| format!("writing {}: {e}", path.display()))
}

const GROUPS: [&str; 3] = ["a", "b", "c"];

fn fairness(n: usize, n_boot: usize, inputs: Option<PathBuf>) -> Res<Value> {
    let mut rng = seeded_rng(1);
    let y_true: Vec<usize> = (0..n).map(|_| rng.random_range(0..2)).collect();
    let y_pred: Vec<usize> = y_true
        .iter()
        .map(|&y| if rng.random::<f64>() < 0.8 { y } else { 1 - y })
        .collect();
    let group: Vec<u8> = (0..n).map(|_| rng.random_range(0..3u8)).collect();
    if let Some(path) = &inputs {
        let mut bytes = Vec::with_capacity(3 * n);
        bytes.extend(y_true.iter().map(|&y| y as u8));
        bytes.extend(y_pred.iter().map(|&y| y as u8));
        bytes.extend(&group);
        write(path, &bytes)?;
    }
    let features = [SensitiveFeature::new(
        "group",
        group.iter().map(|&g| GROUPS[g as usize]),
    )];
    let metrics = [
        Metric::Accuracy,
        Metric::MacroF1,
        Metric::SelectionRate(1),
        Metric::Tpr(1),
        Metric::Fpr(1),
    ];
    let sample = Sample::new(&y_true, &y_pred);

    let clock = Clock::start();
    let t = Instant::now();
    let mf = MetricFrame::new(&metrics, sample, &features).map_err(|e| e.to_string())?;
    let point_s = t.elapsed().as_secs_f64();

    let params = BootstrapParams {
        n_boot,
        confidence: 0.95,
        seed: 7,
    };
    let t = Instant::now();
    let boot = MetricFrame::with_bootstrap(&metrics, sample, &features, &params)
        .map_err(|e| e.to_string())?;
    let boot_s = t.elapsed().as_secs_f64();
    let cores_busy = clock.cores_busy();
    let ci = boot
        .summary("accuracy")
        .map_err(|e| e.to_string())?
        .ci
        .as_ref()
        .map(|c| json!([c.overall.low, c.overall.high]));

    // Point estimates per metric, in fairlearn's terms.
    let mut point = serde_json::Map::new();
    for name in &mf.metric_names {
        let s = mf.summary(name).map_err(|e| e.to_string())?;
        point.insert(
            name.clone(),
            json!({
                "overall": s.overall,
                "by_group": s.by_group,
                "group_min": s.group_min,
                "group_max": s.group_max,
                "difference_between_groups": s.difference_between_groups,
                "difference_to_overall": s.difference_to_overall,
                "ratio_between_groups": s.ratio_between_groups,
                "ratio_to_overall": s.ratio_to_overall,
            }),
        );
    }
    eprintln!(
        "MetricFrame, {n} rows: point {point_s:.3} s, point + bootstrap {n_boot}: {boot_s:.3} s"
    );
    Ok(json!({
        "workload": "fairness",
        "rows": n,
        "groups": GROUPS.len(),
        "n_boot": n_boot,
        "point_seconds": point_s,
        "bootstrap_seconds": boot_s,
        "accuracy_ci95": ci,
        "cores_busy": cores_busy,
        "point": point,
    }))
}

/// The texts of crates/inherit-train/benches/train_throughput.rs (`n` of them).
fn classifier_data(n: usize) -> Dataset {
    let mut rng = seeded_rng(0);
    let class_words = [["alpha", "amber", "apple"], ["bravo", "bison", "brick"]];
    let examples = (0..n)
        .map(|i| {
            let label = i % 2;
            let mut words: Vec<String> = (0..rng.random_range(6..10))
                .map(|_| format!("w{}", rng.random_range(0..50)))
                .collect();
            words.push(class_words[label][rng.random_range(0..3)].to_owned());
            Example::new(
                format!("e{i}"),
                words.join(" "),
                Provenance::original("bench"),
            )
            .with_label(["a", "b"][label])
        })
        .collect();
    Dataset::new("bench", examples)
}

fn classifier(n: usize, epochs: usize, batch: usize, inputs: Option<PathBuf>) -> Res<Value> {
    let data = classifier_data(n);
    let texts: Vec<&str> = data.examples.iter().map(|e| e.text.as_str()).collect();
    let max_length = 32;
    let tok = TextTokenizer::train(
        &TokenizerConfig {
            vocab_size: 300,
            max_length,
            ..Default::default()
        },
        &texts,
    )
    .map_err(|e| e.to_string())?;
    let params = TrainParams {
        epochs,
        batch_size: batch,
        early_stopping: None,
        progress: false,
        ..Default::default()
    };
    let bag = BagOfEmbeddingsConfig {
        embed_dim: 64,
        hidden_dim: Some(64),
        ..Default::default()
    };
    let tr = TransformerClassifierConfig {
        max_length,
        ..Default::default()
    };
    if let Some(path) = &inputs {
        let ids = texts
            .iter()
            .map(|t| tok.classifier_ids(t))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        let labels: Vec<usize> = data
            .examples
            .iter()
            .map(|e| usize::from(e.label.as_deref() == Some("b")))
            .collect();
        let spec = json!({
            "ids": ids,
            "labels": labels,
            "num_classes": 2,
            "vocab_size": tok.vocab_size(),
            "pad_id": tok.special_ids().pad,
            "epochs": epochs,
            "batch_size": batch,
            "learning_rate": params.learning_rate,
            "weight_decay": params.weight_decay,
            "adam_epsilon": 1e-5,
            "grad_clip_norm_per_tensor": params.grad_clip_norm,
            "lr_decay": "linear",
            "bag": {"embed_dim": bag.embed_dim, "hidden_dim": bag.hidden_dim, "dropout": bag.dropout},
            "transformer": {
                "d_model": tr.d_model, "heads": tr.heads, "layers": tr.layers, "d_ff": tr.d_ff,
                "max_length": tr.max_length, "dropout": tr.dropout, "pooling": "mean",
            },
        });
        write(path, spec.to_string().as_bytes())?;
    }
    let trainer = ClassifierTrainer::new(params).map_err(|e| e.to_string())?;
    let clock = Clock::start();
    let (_, bag_report) = trainer
        .fit(&bag, tok.clone(), &data, None)
        .map_err(|e| e.to_string())?;
    let (_, tr_report) = trainer
        .fit(&tr, tok, &data, None)
        .map_err(|e| e.to_string())?;
    let cores_busy = clock.cores_busy();
    eprintln!(
        "bag-of-embeddings {:.1} examples/s, transformer {:.1} examples/s",
        bag_report.examples_per_second, tr_report.examples_per_second
    );
    Ok(json!({
        "workload": "classifier",
        "examples": n,
        "epochs": epochs,
        "batch_size": batch,
        "bag_examples_per_second": bag_report.examples_per_second,
        "bag_steps": bag_report.steps,
        "transformer_examples_per_second": tr_report.examples_per_second,
        "transformer_steps": tr_report.steps,
        "cores_busy": cores_busy,
    }))
}

/// The workload of crates/inherit-train/benches/lora_throughput.rs and of
/// scripts/reference/lora_sgd.py's `bench_pairs` (keep the three in step).
fn lora_pairs(n: usize) -> Vec<SftPair> {
    let topics = [
        "nurse", "engineer", "teacher", "pilot", "farmer", "chef", "judge", "baker",
    ];
    (0..n)
        .map(|i| {
            let topic = topics[i % topics.len()];
            let response = format!("The {topic} started work early on day {i}. ",).repeat(8)
                + "They went home after a long and useful day, tired but happy with the work.";
            SftPair::new(
                format!("Write a short story about a {topic}."),
                Example::new(format!("p{i}"), response, Provenance::original("bench")),
            )
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn lora(n: usize, batch: usize, fits: usize) -> Res<Value> {
    let lm = SmolLm::load_default(&Device::flex()).map_err(|e| e.to_string())?;
    let pairs = lora_pairs(n);
    let tok = lm.tokenizer();
    let mut tokens = 0usize;
    for p in &pairs {
        tokens += tok
            .encode_chat(&[ChatMessage::user(p.prompt.clone())])
            .map_err(|e| e.to_string())?
            .len()
            + tok
                .encode_text(&p.response.text)
                .map_err(|e| e.to_string())?
                .len()
            + 1;
    }
    let params = TrainParams {
        epochs: 1,
        batch_size: batch,
        learning_rate: 1e-4,
        progress: false,
        early_stopping: None,
        ..TrainParams::default()
    };
    let lora = LoraConfig {
        rank: 8,
        alpha: 16.0,
        layers: LayerSelection::All,
        ..Default::default()
    };
    let trainer = LoraSftTrainer::new(params, lora).map_err(|e| e.to_string())?;
    trainer.fit(&lm, &pairs, &[]).map_err(|e| e.to_string())?; // warm-up
    let mut per_step = Vec::new();
    let mut steps = 0;
    let clock = Clock::start();
    for _ in 0..fits.max(1) {
        let t = Instant::now();
        let (_, report) = trainer.fit(&lm, &pairs, &[]).map_err(|e| e.to_string())?;
        let secs = t.elapsed().as_secs_f64();
        per_step.push(secs / report.steps.max(1) as f64);
        steps += report.steps;
    }
    let cores_busy = clock.cores_busy();
    let s = median(per_step);
    eprintln!("LoRA SFT: {s:.2} s/step ({steps} steps timed)");
    Ok(json!({
        "workload": "lora",
        "pairs": n,
        "batch_size": batch,
        "rank": 8,
        "tokens_per_pair": tokens as f64 / n.max(1) as f64,
        "seconds_per_step_median": s,
        "steps_timed": steps,
        "cores_busy": cores_busy,
        "training_tokens_per_second": tokens as f64 * batch as f64 / n.max(1) as f64 / s,
    }))
}

fn generation(max_tokens: usize, batches: &[usize]) -> Res<Value> {
    let device = Device::flex();
    let t = Instant::now();
    let mut lm = SmolLm::load_default(&device).map_err(|e| e.to_string())?;
    let load_s = t.elapsed().as_secs_f64();
    let chat = Prompt::user("Write a short biography of a nurse.");
    let prompt = lm
        .tokenizer()
        .encode(&lm.render(&chat))
        .map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    for &batch in batches {
        lm.set_max_batch(batch).map_err(|e| e.to_string())?;
        lm.generate_ids(std::slice::from_ref(&prompt), &GenerationParams::greedy(2))
            .map_err(|e| e.to_string())?; // warm-up
        let prompts = vec![prompt.clone(); batch];
        let clock = Clock::start();
        let t = Instant::now();
        let out = lm
            .generate_ids(&prompts, &GenerationParams::greedy(max_tokens))
            .map_err(|e| e.to_string())?;
        let secs = t.elapsed().as_secs_f64();
        let tokens: usize = out.iter().map(|g| g.tokens.len()).sum();
        eprintln!(
            "SmolLM2 batch {batch}: {tokens} tokens in {secs:.2} s = {:.1} tokens/s",
            tokens as f64 / secs
        );
        rows.push(json!({
            "batch": batch,
            "tokens": tokens,
            "seconds": secs,
            "tokens_per_second": tokens as f64 / secs,
            "cores_busy": clock.cores_busy(),
        }));
    }
    Ok(json!({
        "workload": "generation",
        "gguf": lm.path(),
        "load_seconds": load_s,
        "prompt_tokens": prompt.len(),
        "max_new_tokens": max_tokens,
        "rows": rows,
    }))
}

fn embedding(n: usize, inputs: Option<PathBuf>) -> Res<Value> {
    let device = Device::flex();
    let t = Instant::now();
    let minilm = MiniLm::load_default(&device).map_err(|e| e.to_string())?;
    let load_s = t.elapsed().as_secs_f64();
    let sentences: Vec<String> = (0..n)
        .map(|i| format!("The nurse number {i} said that she would be late for the morning shift."))
        .collect();
    minilm
        .embed(&sentences[..4.min(n)])
        .map_err(|e| e.to_string())?; // warm-up
    let clock = Clock::start();
    let t = Instant::now();
    let vectors = minilm.embed(&sentences).map_err(|e| e.to_string())?;
    let secs = t.elapsed().as_secs_f64();
    let cores_busy = clock.cores_busy();
    eprintln!(
        "MiniLM: {n} sentences in {secs:.2} s = {:.1} sentences/s",
        n as f64 / secs
    );
    let dir = inherit::pretrained::hub::Hub::from_env()
        .and_then(|h| {
            h.ensure_extracted(
                &inherit::pretrained::hub::MINILM_ZIP,
                &inherit::pretrained::hub::MINILM_FILES,
            )
        })
        .map_err(|e| e.to_string())?;
    if let Some(path) = &inputs {
        let spec = json!({
            "sentences": sentences,
            "model_dir": dir,
            "batch_size": 32,
            "first_embeddings": vectors.iter().take(8).collect::<Vec<_>>(),
        });
        write(path, spec.to_string().as_bytes())?;
    }
    Ok(json!({
        "workload": "embedding",
        "sentences": n,
        "batch_size": 32,
        "model_dir": dir,
        "load_seconds": load_s,
        "seconds": secs,
        "sentences_per_second": n as f64 / secs,
        "cores_busy": cores_busy,
    }))
}
