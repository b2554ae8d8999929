//! Plan → generate → shards → merge gives the same results as one process, cell by cell;
//! a resubmitted shard redoes nothing; duplicates are dropped and missing cells named.

mod common;

use inherit_eval::report::{ResultRecord, read_results};
use inherit_study::{Shard, Study};

fn by_key(mut records: Vec<ResultRecord>) -> Vec<ResultRecord> {
    records.sort_by(|a, b| a.key.cmp(&b.key));
    records
}

#[test]
fn sharded_runs_merge_to_the_single_process_results() {
    let dir = tempfile::tempdir().unwrap();
    let single = Study::new(common::tiny(&dir.path().join("single")))
        .run()
        .unwrap();

    let out = dir.path().join("sharded");
    let cfg = common::tiny(&out);
    // γ = 0: one `none` cell per seed (`mask` and `loss` are inert without D_a);
    // γ = 0.2: 3 mitigations × 2 seeds.
    let cells = 2 + 6;
    assert_eq!(Study::new(cfg.clone()).plan().unwrap(), cells);
    let plan = std::fs::read_to_string(out.join("plan.jsonl")).unwrap();
    assert_eq!(plan.lines().count(), cells);
    assert!(out.join("study.toml").exists());

    // Before the generation stage, a shard refuses to run.
    let err = Study::new(cfg.clone())
        .run_shard("0/3".parse().unwrap())
        .unwrap_err();
    assert!(err.to_string().contains("study generate"), "{err}");
    Study::new(cfg.clone()).generate().unwrap();

    // The report refuses while shards are missing, naming how many cells lack a result.
    Study::new(cfg.clone())
        .run_shard("0/3".parse().unwrap())
        .unwrap();
    let err = Study::new(cfg.clone()).report().unwrap_err().to_string();
    assert!(err.contains("planned cells have no result"), "{err}");

    let mut run_total = 0;
    for i in 1..3 {
        let t = Study::new(cfg.clone())
            .run_shard(Shard { index: i, count: 3 })
            .unwrap();
        run_total += t.cells_run;
    }
    let shard0 = read_results(out.join("results.shard-0.jsonl"))
        .unwrap()
        .records;
    assert_eq!(
        run_total + shard0.len(),
        cells,
        "every cell ran in exactly one shard"
    );
    // A shard that owns at least one cell (which one depends on the cells' keys).
    let (busy, records) = (0..3)
        .map(|i| {
            let path = out.join(format!("results.shard-{i}.jsonl"));
            (path.clone(), read_results(&path).unwrap().records)
        })
        .find(|(_, r)| !r.is_empty())
        .expect("some shard ran a cell");

    // A resubmitted shard finds its cells finished.
    let again = Study::new(cfg.clone())
        .run_shard("1/3".parse().unwrap())
        .unwrap();
    assert_eq!(again.cells_run, 0);

    // A record appended twice (e.g. by a shard killed after its append and rerun from an
    // older copy) counts once.
    let mut text = std::fs::read_to_string(&busy).unwrap();
    text.push_str(&serde_json::to_string(&records[0]).unwrap());
    text.push('\n');
    std::fs::write(&busy, text).unwrap();

    let merged = Study::new(cfg).report().unwrap();
    assert_eq!(
        by_key(merged.records),
        by_key(single.records),
        "merged shards equal the single-process run, cell by cell"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["merge"]["duplicates_dropped"], 1);
    assert_eq!(manifest["merge"]["conflicts"], 0);
    assert_eq!(manifest["cells"], cells);
}
