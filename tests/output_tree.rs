//! README's description of a run's output folder matches what a run writes: a tiny
//! two-task study with the model-free stand-ins is run, its tree listed (one line per
//! folder with its files; cell keys written `KEY`, per-metric plots `METRIC-BIAS`), and
//! compared with `docs/output-tree.txt`, which README and
//! `docs/reproduction.md` show between their `output-tree` markers. After a deliberate
//! change of the layout: `INHERIT_BLESS=1 cargo test -p inherit --test output_tree`
//! rewrites the list, then copy it into both documents.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use inherit::study::{Study, StudyConfig};

const TINY_TWO_TASKS: &str = r#"
out = "unused"
bias_types = ["contrastive-single-explicit"]
gammas = [0.0, 0.5]
mitigations = ["none", "mask"]
seeds = [1]
device = "flex"

[[tasks]]
kind = "occupation"
axis = "gender"
groups = ["female", "male"]
train_per_cell = 2
test_per_cell = 2
seed = 0

[[tasks]]
kind = "hiring"
axis = "culture"
groups = ["anglo", "arabic"]
train_per_cell = 2
test_per_cell = 1
seed = 0

[generator]
kind = "stand-in"
neutral_per_label = 3
augmented_per_label = 6
max_tokens = 40
temperature = 0.8
top_p = 0.95
batch_size = 8
seed = 7

[embedding]
kind = "hashing"
samples_per_source = 24
permutations = 50

[downstream]
model = "bag"
vocab_size = 500
embed_dim = 16
epochs = 2
batch_size = 32
learning_rate = 0.01
max_len = 64
"#;

/// Every folder under `root` (as `OUT/...`) with its files, one line each: hex keys
/// written `KEY`, the per-metric plots `METRIC-BIAS.png` / `.svg`.
fn tree(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(root).expect("inside");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| {
                    let s = c.as_os_str().to_string_lossy().into_owned();
                    if s.len() >= 12 && s.chars().all(|ch| ch.is_ascii_hexdigit()) {
                        "KEY".to_owned()
                    } else {
                        s
                    }
                })
                .collect();
            let mut file = parts.pop().expect("a file name");
            if parts.last().is_some_and(|d| d == "plots") && !file.starts_with("group-imbalance") {
                let ext = file.rsplit('.').next().unwrap_or_default().to_owned();
                file = format!("METRIC-BIAS.{ext}");
            }
            let folder = std::iter::once("OUT".to_owned())
                .chain(parts)
                .collect::<Vec<_>>()
                .join("/");
            out.entry(format!("{folder}/")).or_default().insert(file);
        }
    }
    out
}

fn expected_list() -> (std::path::PathBuf, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/output-tree.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    (path, text)
}

#[test]
fn a_tiny_run_writes_the_tree_readme_shows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("run");
    let config = StudyConfig::parse(TINY_TWO_TASKS, "tiny two tasks")
        .expect("config")
        .with_out(&out);
    Study::new(config).jobs(1).run().expect("the study runs");
    let actual: String = tree(&out)
        .into_iter()
        .map(|(folder, files)| {
            let files: Vec<String> = files.into_iter().collect();
            format!("{folder:<26} {}\n", files.join(" "))
        })
        .collect();
    let (path, expected) = expected_list();
    if std::env::var_os("INHERIT_BLESS").is_some() {
        std::fs::write(&path, &actual).expect("bless");
        return;
    }
    assert_eq!(
        actual,
        expected,
        "the run's tree differs from {} (INHERIT_BLESS=1 rewrites it)",
        path.display()
    );
}

#[test]
fn readme_and_reproduction_show_the_listed_tree() {
    let (_, expected) = expected_list();
    for doc in ["README.md", "docs/reproduction.md"] {
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(doc))
            .expect("the document");
        let begin = "<!-- output-tree:begin -->\n```text\n";
        let end = "```\n<!-- output-tree:end -->";
        let start = text.find(begin).expect("the output-tree markers") + begin.len();
        let stop = text[start..].find(end).expect("closing marker") + start;
        assert_eq!(
            &text[start..stop],
            expected,
            "{doc}'s output tree differs from docs/output-tree.txt"
        );
    }
}
