//! Helpers for the workspace's tests.

use std::path::Path;

/// True when tests run in CI: the environment variable `CI` is `true` or `1` (as GitHub
/// Actions, GitLab CI and most CI services set it).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// For a test that needs the data at `path` (a directory or a file): false when it is
/// there. When it is missing, outside CI the test is skipped (this prints `skipped: ...`
/// and returns true, and the test returns early); in CI (see [`in_ci`]) it panics, failing
/// the test with a message naming the path, so a wrong data path can never give a
/// partly green run.
pub fn skip_without_data(path: &Path, what: &str) -> bool {
    if path.exists() {
        return false;
    }
    if in_ci() {
        panic!(
            "{what} is missing at {} and CI=true: tests that need data fail in CI instead \
             of skipping (set INHERIT_DATA_DIR to the data folder)",
            path.display()
        );
    }
    eprintln!("skipped: {what} is missing at {}", path.display());
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn present_data_is_never_skipped() {
        assert!(!skip_without_data(Path::new("."), "the working directory"));
    }

    /// Regression: with the data folder missing, the toxicity and sentiment tests printed
    /// "skipped" and passed, in CI too. Runs the CI case in a child process, since `CI`
    /// is process-wide.
    #[test]
    fn missing_data_fails_in_ci_naming_the_path_and_skips_outside() {
        if std::env::var_os("INHERIT_TESTING_CHILD").is_some() {
            skip_without_data(Path::new("/nonexistent/inherit-data"), "the data directory");
            return;
        }
        let exe = std::env::current_exe().unwrap();
        let run = |ci: &str| {
            std::process::Command::new(&exe)
                .args([
                    "testing::tests::missing_data_fails_in_ci_naming_the_path_and_skips_outside",
                    "--exact",
                    "--nocapture",
                ])
                .env("INHERIT_TESTING_CHILD", "1")
                .env("CI", ci)
                .output()
                .unwrap()
        };
        let ci = run("true");
        let text =
            String::from_utf8_lossy(&ci.stderr).into_owned() + &String::from_utf8_lossy(&ci.stdout);
        assert!(!ci.status.success(), "{text}");
        assert!(text.contains("/nonexistent/inherit-data"), "{text}");
        let local = run("false");
        let text = String::from_utf8_lossy(&local.stderr).into_owned();
        assert!(local.status.success(), "{text}");
        assert!(text.contains("skipped"), "{text}");
    }
}
