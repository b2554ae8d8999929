//! `Study::jobs`: cells trained on several threads give exactly the records of one thread.

mod common;

use std::collections::BTreeMap;

use inherit_study::Study;

fn records(jobs: usize) -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let outcome = Study::new(common::tiny(dir.path()))
        .jobs(jobs)
        .run()
        .unwrap();
    outcome
        .records
        .iter()
        .map(|r| (r.key.clone(), serde_json::to_string(&r.metrics).unwrap()))
        .collect()
}

#[test]
fn two_workers_give_the_records_of_one() {
    let one = records(1);
    // 2 γ × 3 mitigations × 2 seeds.
    assert_eq!(one.len(), 12);
    assert_eq!(records(2), one);
    assert_eq!(records(5), one);
}
