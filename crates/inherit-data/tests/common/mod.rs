//! Locating the shared data directory in tests.

use std::path::PathBuf;

use inherit_data::DataDir;

/// `INHERIT_DATA_DIR`, else `<workspace>/../shared/data`; panics (fails the test) with a
/// clear message when the directory is missing.
pub fn data_dir() -> DataDir {
    let path = std::env::var_os("INHERIT_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    DataDir::new(&path).unwrap_or_else(|e| {
        panic!(
            "the shared data directory is required for these tests: {e}. Set INHERIT_DATA_DIR \
             or place the data at {}",
            path.display()
        )
    })
}
