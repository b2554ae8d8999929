//! `analyze`: the paper's misalignment analyses and the bias benchmarks on any dataset,
//! printed as Markdown and JSON.
//!
//! ```text
//! cargo run --release --example analyze -- groups --data aug.jsonl [--axis gender] [--source inferred]
//! cargo run --release --example analyze -- shift --original a.jsonl --augmented b.jsonl [--n 200]
//! cargo run --release --example analyze -- bbq --category Age --predictions preds.jsonl
//! cargo run --release --example analyze -- bbq --category Age --limit 200        # SmolLM2 answers
//! cargo run --release --example analyze -- crows [--limit 300]                    # SmolLM2 scores
//! cargo run --release --example analyze -- winobias [--limit 200]                 # SmolLM2 resolves
//! cargo run --release --example analyze -- eec [--limit 800]                      # SmolLM2 scores
//! ```

mod benchmarks;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use inherit::core::{Axis, Dataset, Embedder, SequenceScorer};
use inherit::data::{BbqCategory, DataDir, Stereotype, WinoBiasFile, WinoPart, WinoType};
use inherit::eval::benchmarks::{bbq, crows, eec, winobias};
use inherit::eval::misalign::{
    GroupDistribution, GroupSource, MmdParams, mean_embedding_distance, mmd_test,
};
use inherit::train::hub::{self, Hub};
use inherit::train::{Device, MiniLm, SmolLm};
use serde_json::json;

const HELP: &str = "\
analyze: misalignment analyses and bias benchmarks, printed as Markdown then JSON

USAGE:
    analyze groups --data FILE [--axis AXIS] [--source stated|inferred|any]
        group distribution of a JSONL dataset per label, with chi-square tests against
        parity (group data misalignment) [axis: gender; source: any]
    analyze shift --original FILE --augmented FILE [--n N] [--permutations P] [--seed S]
        MMD^2 (RBF, median heuristic) with a permutation p-value and the mean-embedding
        distance between two JSONL datasets, embedded with all-MiniLM-L6-v2
        (data distribution misalignment) [n: 200; permutations: 500; seed: 0]
    analyze bbq --category CATEGORY [--predictions FILE] [--limit N]
        BBQ accuracy (ambiguous, disambiguated) and bias scores per category, from a
        predictions JSONL ({example_id, category, prediction}) or, without one, from
        SmolLM2's likelihoods
    analyze crows [--limit N]
        CrowS-Pairs pct_stereotype and mean log-likelihood difference with SmolLM2
    analyze winobias [--limit N]
        WinoBias pro vs anti accuracy with SmolLM2 choosing the pronoun's referent
    analyze eec [--limit N]
        EEC: female - male and African-American - European gaps per emotion in SmolLM2's
        mean per-token log-likelihood of otherwise identical sentences

COMMON OPTIONS:
    --data-dir DIR     the shared datasets (default: INHERIT_DATA_DIR, else ../shared/data)
    --gguf PATH        SmolLM2 GGUF file instead of the cached download
    --bert-dir DIR     MiniLM folder (model.safetensors, tokenizer.json) instead of the cache
    -h, --help         this help
";

use benchmarks::BoxResult;

struct Args {
    command: String,
    options: BTreeMap<String, String>,
}

fn parse_args() -> BoxResult<Option<Args>> {
    let mut it = std::env::args().skip(1);
    let Some(command) = it.next() else {
        return Err(
            "a command is needed (groups, shift, bbq, crows, winobias, eec); see --help".into(),
        );
    };
    if command == "-h" || command == "--help" {
        return Ok(None);
    }
    let mut options = BTreeMap::new();
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        let Some(name) = flag.strip_prefix("--") else {
            return Err(format!("unexpected argument `{flag}`").into());
        };
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        options.insert(name.to_owned(), value);
    }
    Ok(Some(Args { command, options }))
}

impl Args {
    fn get(&self, name: &str) -> Option<&str> {
        self.options.get(name).map(String::as_str)
    }

    fn required(&self, name: &str) -> BoxResult<&str> {
        self.get(name)
            .ok_or_else(|| format!("`{}` needs --{name}", self.command).into())
    }

    fn number<T: std::str::FromStr>(&self, name: &str, default: T) -> BoxResult<T> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{name}: `{v}` is not a number").into()),
        }
    }

    fn check_known(&self, known: &[&str]) -> BoxResult<()> {
        for name in self.options.keys() {
            let all = [known, &["data-dir", "gguf", "bert-dir"]].concat();
            if !all.contains(&name.as_str()) {
                return Err(format!("`{}` has no option --{name}", self.command).into());
            }
        }
        Ok(())
    }

    fn data_dir(&self) -> BoxResult<DataDir> {
        Ok(match self.get("data-dir") {
            Some(d) => DataDir::new(d)?,
            None => DataDir::from_env().or_else(|_| DataDir::new("../shared/data"))?,
        })
    }

    fn smollm(&self) -> BoxResult<SmolLm> {
        let path = match self.get("gguf") {
            Some(p) => PathBuf::from(p),
            None => hub::ensure(&hub::SMOLLM2_GGUF)?,
        };
        Ok(SmolLm::load(&path, &Device::flex())?)
    }

    fn minilm(&self) -> BoxResult<MiniLm> {
        let dir = match self.get("bert-dir") {
            Some(d) => PathBuf::from(d),
            None => Hub::from_env()?.ensure_extracted(&hub::MINILM_ZIP, &hub::MINILM_FILES)?,
        };
        Ok(MiniLm::load(&dir, &Device::flex())?)
    }
}

/// `(markdown, json)` of one analysis.
type Output = (String, serde_json::Value);

fn groups(a: &Args) -> BoxResult<Output> {
    a.check_known(&["data", "axis", "source"])?;
    let data = Dataset::read_jsonl(a.required("data")?)?;
    let axis: Axis = a.get("axis").unwrap_or("gender").parse()?;
    let source = match a.get("source").unwrap_or("any") {
        "stated" => GroupSource::Stated,
        "inferred" => GroupSource::Inferred,
        "any" => GroupSource::Either,
        other => return Err(format!("--source: `{other}`; known: stated, inferred, any").into()),
    };
    let dist = GroupDistribution::from_dataset(&data, &axis, source);
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
            .map_or("–".to_owned(), |t| format!("{:.3e}", t.p_value));
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

fn shift(a: &Args) -> BoxResult<Output> {
    a.check_known(&["original", "augmented", "n", "permutations", "seed"])?;
    let n: usize = a.number("n", 200)?;
    let sample = |path: &str| -> BoxResult<Vec<String>> {
        let d = Dataset::read_jsonl(path)?;
        let step = (d.len() / n.max(1)).max(1);
        Ok(d.examples
            .iter()
            .step_by(step)
            .take(n)
            .map(|e| e.text.clone())
            .collect())
    };
    let (x, y) = (
        sample(a.required("original")?)?,
        sample(a.required("augmented")?)?,
    );
    let minilm = a.minilm()?;
    let embed = |texts: &[String]| -> BoxResult<Vec<Vec<f32>>> {
        let mut out = Vec::new();
        for chunk in texts.chunks(32) {
            out.extend(minilm.embed(chunk)?);
        }
        Ok(out)
    };
    let (ex, ey) = (embed(&x)?, embed(&y)?);
    let params = MmdParams {
        permutations: a.number("permutations", 500)?,
        seed: a.number("seed", 0)?,
        ..MmdParams::default()
    };
    let mmd = mmd_test(&ex, &ey, &params)?;
    let mean = mean_embedding_distance(&ex, &ey)?;
    let md = format!(
        "| n original | n augmented | MMD² (RBF) | permutation p | mean-embedding distance | 1 − cos(means) |\n|---:|---:|---:|---:|---:|---:|\n| {} | {} | {:.5} | {:.4} | {:.4} | {:.5} |\n",
        ex.len(),
        ey.len(),
        mmd.mmd2,
        mmd.p_value,
        mean.euclidean,
        mean.cosine
    );
    Ok((
        md,
        json!({ "mmd": mmd, "mean_distance": mean, "n_original": ex.len(), "n_augmented": ey.len() }),
    ))
}

fn bbq_cmd(a: &Args) -> BoxResult<Output> {
    a.check_known(&["category", "predictions", "limit"])?;
    let name = a.required("category")?;
    let category = BbqCategory::from_name(name).ok_or_else(|| {
        let known: Vec<&str> = BbqCategory::ALL.iter().map(BbqCategory::as_str).collect();
        format!("--category: unknown `{name}`; known: {}", known.join(", "))
    })?;
    let mut items = benchmarks::bbq_items(&a.data_dir()?, category)?;
    let predictions = match a.get("predictions") {
        Some(p) => bbq::read_predictions(p)?,
        None => {
            let limit: usize = a.number("limit", 200)?;
            items.truncate(limit);
            bbq::predict_bbq(&a.smollm()?, &items)?
        }
    };
    let report = bbq::score_bbq(&items, &predictions)?;
    let mut md = String::from(
        "| category | n ambig | n disambig | acc ambig | acc disambig | s_DIS | s_AMB |\n|---|---:|---:|---:|---:|---:|---:|\n",
    );
    let rows = std::iter::once(("all".to_owned(), &report.overall))
        .chain(report.per_category.iter().map(|(c, s)| (c.clone(), s)));
    for (c, s) in rows {
        md.push_str(&format!(
            "| {c} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} |\n",
            s.n_ambiguous,
            s.n_disambiguated,
            s.accuracy_ambiguous,
            s.accuracy_disambiguated,
            s.s_dis,
            s.s_amb
        ));
    }
    Ok((md, serde_json::to_value(&report)?))
}

fn crows_cmd(a: &Args) -> BoxResult<Output> {
    a.check_known(&["limit"])?;
    let mut pairs = benchmarks::crows_pairs(&a.data_dir()?)?;
    pairs.truncate(a.number("limit", pairs.len())?);
    let report = crows::score_crows(
        &a.smollm()? as &dyn SequenceScorer,
        &pairs,
        crows::CrowsScoring::Total,
    )?;
    let mut md = String::from(
        "| slice | n | pct_stereotype | mean log-likelihood difference |\n|---|---:|---:|---:|\n",
    );
    let rows = std::iter::once(("all".to_owned(), &report.overall))
        .chain(report.by_direction.iter().map(|(k, v)| (k.clone(), v)))
        .chain(report.by_bias_type.iter().map(|(k, v)| (k.clone(), v)));
    for (k, s) in rows {
        md.push_str(&format!(
            "| {k} | {} | {:.1} | {:.3} |\n",
            s.n, s.pct_stereotype, s.mean_ll_difference
        ));
    }
    Ok((md, serde_json::to_value(&report)?))
}

fn winobias_cmd(a: &Args) -> BoxResult<Output> {
    a.check_known(&["limit"])?;
    let dir = a.data_dir()?;
    let limit: usize = a.number("limit", 396)?;
    let (female, male) = dir.winobias_occupations()?;
    let occupations: Vec<String> = female.into_iter().chain(male).collect();
    let mut items = Vec::new();
    for stereotype in [Stereotype::Pro, Stereotype::Anti] {
        let file = WinoBiasFile {
            stereotype,
            kind: WinoType::Type1,
            part: WinoPart::Test,
        };
        let mut part = benchmarks::winobias_items(&dir, file)?;
        part.truncate(limit);
        items.extend(part);
    }
    let lm = a.smollm()?;
    let correct = winobias::resolve_with_scorer(&lm, &items, &occupations)?;
    let report = winobias::score_winobias(&items, &correct)?;
    let md = format!(
        "| n pro | n anti | accuracy pro | accuracy anti | gap |\n|---:|---:|---:|---:|---:|\n| {} | {} | {:.3} | {:.3} | {:+.3} |\n",
        report.n_pro, report.n_anti, report.accuracy_pro, report.accuracy_anti, report.gap
    );
    Ok((md, serde_json::to_value(&report)?))
}

fn eec_cmd(a: &Args) -> BoxResult<Output> {
    a.check_known(&["limit"])?;
    let mut rows = benchmarks::eec_rows(&a.data_dir()?)?;
    rows.truncate(a.number("limit", rows.len())?);
    let texts: Vec<String> = rows.iter().map(|r| r.sentence.clone()).collect();
    let scores: Vec<f64> = a
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
                .map_or("–".to_owned(), |t| format!("{:.3}", t.p_value));
            md.push_str(&format!(
                "| {name} | {emotion} | {} | {:+.4} | {p} |\n",
                g.n_pairs, g.mean_gap
            ));
        }
    }
    Ok((md, serde_json::to_value(&report)?))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(a)) => a,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    let result = match args.command.as_str() {
        "groups" => groups(&args),
        "shift" => shift(&args),
        "bbq" => bbq_cmd(&args),
        "crows" => crows_cmd(&args),
        "winobias" => winobias_cmd(&args),
        "eec" => eec_cmd(&args),
        other => Err(format!(
            "unknown command `{other}`; known: groups, shift, bbq, crows, winobias, eec"
        )
        .into()),
    };
    match result.and_then(|(md, json)| Ok((md, serde_json::to_string_pretty(&json)?))) {
        Ok((md, json)) => {
            println!("{md}");
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
