//! Shared helpers of the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The real-data directory: `INHERIT_DATA_DIR`, else `<workspace>/../shared/data`.
/// Panics with a clear message when it is missing (tests must not pass silently).
pub fn data_dir() -> PathBuf {
    let dir = std::env::var_os("INHERIT_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    assert!(
        dir.is_dir(),
        "real data directory {} is missing: set INHERIT_DATA_DIR or place shared/data beside the repository",
        dir.display()
    );
    dir
}
