//! File I/O shared by every crate: atomic writes, JSONL and delimited-text readers whose
//! errors name the file, the line and the field.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::fault::{self, FaultFile};

/// A file being written: bytes go to a temporary file beside the target, which replaces
/// the target only on [`AtomicFile::commit`]. Dropped without commit, the temporary file
/// is removed and the target is untouched, so a crash never leaves a half-written file.
///
/// The temporary file has an unpredictable name (`.{name}.tmp` and random characters) and
/// is created with `O_EXCL` (`create_new`), so it never follows a planted link nor
/// shares a file with another writer of the same target, in this process or another.
pub struct AtomicFile {
    target: PathBuf,
    tmp: Option<tempfile::TempPath>,
    writer: Option<BufWriter<FaultFile>>,
}

/// The directory of `target` (`.` for a bare file name).
fn parent_dir(target: &Path) -> PathBuf {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A new, empty file beside `target` with an unpredictable name starting with
/// `.{name}.{tag}`, created exclusively (`create_new`); removed when the returned path is
/// dropped unless it is persisted.
fn create_temp_beside(target: &Path, tag: &str) -> Result<(File, tempfile::TempPath)> {
    let dir = parent_dir(target);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let name = target
        .file_name()
        .ok_or_else(|| Error::invalid("path", format!("{} names no file", target.display())))?
        .to_string_lossy()
        .into_owned();
    let prefix = format!(".{name}.{tag}");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).rand_bytes(12);
    // Created with mode 0666 less the umask, as `File::create` would (tempfile's default
    // of 0600 made reports unreadable by the group of a shared folder).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let tmp = builder.tempfile_in(&dir).map_err(|e| Error::io(&dir, e))?;
    Ok(tmp.into_parts())
}

/// Syncs a directory so that a rename or creation inside it survives a power loss (a
/// no-op where directories cannot be opened, e.g. on Windows).
pub fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        File::open(dir)
            .and_then(|d| fault::sync_all(&d))
            .map_err(|e| Error::io(dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

impl AtomicFile {
    /// Starts writing `target` (its parent directory is created if missing).
    pub fn create(target: impl AsRef<Path>) -> Result<Self> {
        let target = target.as_ref().to_path_buf();
        let (file, tmp) = create_temp_beside(&target, "tmp")?;
        Ok(AtomicFile {
            target,
            tmp: Some(tmp),
            writer: Some(BufWriter::new(FaultFile(file))),
        })
    }

    /// The writer for the content.
    pub fn writer(&mut self) -> &mut BufWriter<FaultFile> {
        self.writer.as_mut().expect("writer present until commit")
    }

    /// Flushes, syncs and renames the temporary file onto the target (then syncs the
    /// directory, so the rename is durable).
    pub fn commit(mut self) -> Result<()> {
        let writer = self.writer.take().expect("writer present until commit");
        let tmp = self.tmp.take().expect("temp path present until commit");
        let FaultFile(file) = writer
            .into_inner()
            .map_err(|e| Error::io(&*tmp, e.into_error()))?;
        fault::sync_all(&file).map_err(|e| Error::io(&*tmp, e))?;
        drop(file);
        fault::persist(tmp, &self.target).map_err(|e| Error::io(&self.target, e.error))?;
        sync_dir(&parent_dir(&self.target))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.writer().flush()
    }
}

/// An exclusive inter-process lock guarding an append-only data file (a generation
/// cache, a results file) against a second writer.
///
/// The lock is an OS advisory lock (`flock` on Unix, `LockFileEx` on Windows) on a lock
/// file beside the data file, `{name}.lock`, which also holds the pid of the process that
/// holds it. The OS releases the lock when the holder exits, however it dies, so a killed
/// run never leaves a stale lock; the lock file itself is left in place. Each
/// [`FileLock::acquire`] opens the lock file anew, so two handles in one process also
/// exclude each other.
#[derive(Debug)]
pub struct FileLock {
    path: PathBuf,
    _file: File,
}

impl FileLock {
    /// The lock file guarding `target`: `{target}.lock`.
    pub fn lock_path(target: &Path) -> PathBuf {
        let mut name = target.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Takes the lock of `target` without waiting. If another process (or another handle)
    /// holds it, fails with an [`Error::Io`] of kind
    /// [`WouldBlock`](std::io::ErrorKind::WouldBlock) on the lock file whose message names
    /// the holder's pid.
    pub fn acquire(target: impl AsRef<Path>) -> Result<Self> {
        let target = target.as_ref();
        let path = Self::lock_path(target);
        let dir = parent_dir(&path);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let mut file = open_output(
            &path,
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false),
        )?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = read_holder(&path);
                return Err(Error::io(
                    &path,
                    std::io::Error::new(
                        std::io::ErrorKind::WouldBlock,
                        format!(
                            "{} is in use by another process ({holder}); wait for it to \
                             finish, or use another output file",
                            target.display()
                        ),
                    ),
                ));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&path, e)),
        }
        let pid = format!("{}\n", std::process::id());
        file.set_len(0)
            .and_then(|()| {
                use std::io::Seek;
                file.seek(std::io::SeekFrom::Start(0))?;
                file.write_all(pid.as_bytes())?;
                file.sync_data()
            })
            .map_err(|e| Error::io(&path, e))?;
        Ok(FileLock { path, _file: file })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// An append-only file opened under its [`FileLock`], with the bytes it held when opened:
/// what the generation cache and the results file both start from before repairing a torn
/// last line.
#[derive(Debug)]
pub struct LockedAppend {
    /// The file, opened for reading and appending.
    pub file: File,
    /// Its lock, held while this value (or the lock moved out of it) lives.
    pub lock: FileLock,
    /// The file's contents at opening.
    pub bytes: Vec<u8>,
}

impl LockedAppend {
    /// Creates `path`'s directory if missing, takes the lock of `path` (failing as
    /// [`FileLock::acquire`] does when another handle holds it), opens or creates the file
    /// for reading and appending, and reads it whole.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let lock = FileLock::acquire(path)?;
        let io = |e| Error::io(path, e);
        let existed = std::fs::symlink_metadata(path).is_ok();
        let mut file = open_output(
            path,
            std::fs::OpenOptions::new()
                .read(true)
                .append(true)
                .create(true),
        )?;
        if !existed {
            sync_dir(&parent_dir(path))?;
        }
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut bytes).map_err(io)?;
        Ok(LockedAppend { file, lock, bytes })
    }
}

/// Opens `path`, a file of an output folder, with `options`, refusing to follow a
/// symbolic link at `path` (`O_NOFOLLOW`) or to open anything but a regular file (checked
/// with `fstat` on the opened file, and opened with `O_NONBLOCK` so that a FIFO cannot
/// hang the open). Output folders are shared on clusters: a link planted at a lock or
/// results file must not make a run truncate or append to the file it points to.
pub fn open_output(path: &Path, options: &mut std::fs::OpenOptions) -> Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return Error::io(
                path,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "is a symbolic link; refusing to write through it (remove the link, or \
                     use another output folder)",
                ),
            );
        }
        Error::io(path, e)
    })?;
    check_regular(path, &file)?;
    Ok(file)
}

/// Fails unless the opened `file` is a regular file (not a FIFO, a device, a socket or a
/// directory).
fn check_regular(path: &Path, file: &File) -> Result<()> {
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if meta.is_file() {
        return Ok(());
    }
    let what = file_kind(&meta.file_type());
    Err(Error::io(
        path,
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("is {what}, not a regular file"),
        ),
    ))
}

fn file_kind(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else {
        "not a plain file"
    }
}

/// Opens `path` for reading, refusing anything but a regular file (a FIFO or `/dev/zero`
/// given as a config, cache or data file would hang or exhaust memory). Symbolic links
/// are followed: reading through one is harmless.
pub fn open_regular(path: &Path) -> Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| Error::io(path, e))?;
    check_regular(path, &file)?;
    Ok(file)
}

/// The bytes of `path`, which must be a regular file (see [`open_regular`]).
pub fn read_regular(path: impl AsRef<Path>) -> Result<Vec<u8>> {
    let path = path.as_ref();
    let mut file = open_regular(path)?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut file, &mut bytes).map_err(|e| Error::io(path, e))?;
    Ok(bytes)
}

/// The text of `path`, which must be a regular file holding UTF-8 (see [`open_regular`]).
pub fn read_regular_string(path: impl AsRef<Path>) -> Result<String> {
    let path = path.as_ref();
    String::from_utf8(read_regular(path)?).map_err(|e| {
        Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()),
        )
    })
}

/// Cuts an append-only `file` back to `good_len` (the end of its last complete record)
/// after the failed write or sync `e`, and returns `e` (same kind) with a message saying
/// what was done. If the cut fails too, the message says so: the partial line is then
/// cut off by the next open, as after a crash.
pub fn roll_back(file: &File, good_len: u64, e: std::io::Error) -> std::io::Error {
    let cut = fault::set_len(file, good_len).and_then(|()| fault::sync_data(file));
    let what = match cut {
        Ok(()) => format!("the file was cut back to its last complete record (byte {good_len})"),
        Err(c) => format!(
            "cutting the file back to its last complete record (byte {good_len}) failed too \
             ({c}); the next open cuts off the partial line"
        ),
    };
    std::io::Error::new(
        e.kind(),
        format!("{e}; {what}; nothing more is written through this handle"),
    )
}

/// `pid N` from a lock file, read once more after a short wait if the holder has locked
/// but not yet written its pid.
fn read_holder(path: &Path) -> String {
    for attempt in 0..2 {
        if let Ok(text) = std::fs::read_to_string(path)
            && let Ok(pid) = text.trim().parse::<u32>()
        {
            return format!("pid {pid}");
        }
        if attempt == 0 {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
    format!("pid unknown; see {}", path.display())
}

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
    let path = path.as_ref();
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes).map_err(|e| Error::io(path, e))?;
    f.commit()
}

/// Writes one JSON object per line, atomically.
pub fn write_jsonl<T: Serialize>(path: impl AsRef<Path>, items: &[T]) -> Result<()> {
    let path = path.as_ref();
    let mut f = AtomicFile::create(path)?;
    for item in items {
        serde_json::to_writer(f.writer(), item)
            .map_err(|e| Error::io(path, std::io::Error::other(e)))?;
        f.writer()
            .write_all(b"\n")
            .map_err(|e| Error::io(path, e))?;
    }
    f.commit()
}

/// Reads one JSON value of type `T` per non-blank line.
///
/// Errors name the file, the 1-based line and, where serde can tell, the field (a
/// dotted path such as `provenance.seed`). An empty file (no records) is
/// [`Error::Empty`].
pub fn read_jsonl<T: DeserializeOwned>(path: impl AsRef<Path>) -> Result<Vec<T>> {
    let path = path.as_ref();
    let file = open_regular(path)?;
    let mut out = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line_no = i as u64 + 1;
        let line = line.map_err(|e| Error::io(path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(parse_json_line(path, line_no, &line)?);
    }
    if out.is_empty() {
        return Err(Error::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(out)
}

/// Parses one JSON line into `T`, with an error naming file, line and field.
pub fn parse_json_line<T: DeserializeOwned>(path: &Path, line: u64, text: &str) -> Result<T> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Error::parse(path, line, None, format!("invalid JSON: {e}")))?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.inner().to_string();
        let mut field = e.path().to_string();
        if let Some(missing) = inner
            .strip_prefix("missing field `")
            .and_then(|s| s.split('`').next())
        {
            field = if field == "." {
                missing.to_owned()
            } else {
                format!("{field}.{missing}")
            };
        }
        let field = (field != ".").then_some(field);
        Error::parse(path, line, field.as_deref(), inner)
    })
}

/// Options for [`DelimitedReader`].
#[derive(Debug, Clone, Copy)]
pub struct DelimitedOptions {
    /// Field separator (`b','` for CSV, `b'\t'` for TSV).
    pub delimiter: u8,
    /// Whether double quotes delimit fields (off for GLUE-style TSV).
    pub quoting: bool,
}

impl Default for DelimitedOptions {
    fn default() -> Self {
        DelimitedOptions {
            delimiter: b',',
            quoting: true,
        }
    }
}

impl DelimitedOptions {
    /// Tab-separated, no quoting (GLUE's TSV files).
    pub fn tsv() -> Self {
        DelimitedOptions {
            delimiter: b'\t',
            quoting: false,
        }
    }
}

/// A CSV/TSV reader with a header row, whose rows look fields up by column name and
/// report errors with file, line and column.
pub struct DelimitedReader {
    path: PathBuf,
    /// Header names that occur more than once (rows read the last of them).
    duplicated: Vec<String>,
    headers: Arc<HashMap<String, usize>>,
    /// Byte offset of the start of each line, to turn record offsets into line numbers
    /// whatever the line endings (LF or CRLF).
    line_starts: Arc<Vec<u64>>,
    reader: csv::Reader<std::io::Cursor<Vec<u8>>>,
}

/// The 1-based line of a record starting at byte `offset`. With CRLF endings the csv
/// parser reports a record as starting on the `\n` that ends the previous line, so an
/// offset sitting on a line end counts as the next line.
fn line_of(line_starts: &[u64], offset: u64) -> u64 {
    let offset = if line_starts.binary_search(&(offset + 1)).is_ok() {
        offset + 1
    } else {
        offset
    };
    line_starts.partition_point(|s| *s <= offset) as u64
}

impl DelimitedReader {
    /// Opens `path` and reads its header; `required` columns must all be present.
    pub fn open(
        path: impl AsRef<Path>,
        options: DelimitedOptions,
        required: &[&str],
    ) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let bytes = read_regular(&path)?;
        let line_starts: Vec<u64> = std::iter::once(0)
            .chain(
                bytes
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| **b == b'\n')
                    .map(|(i, _)| i as u64 + 1),
            )
            .collect();
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(options.delimiter)
            .quoting(options.quoting)
            .flexible(true)
            .from_reader(std::io::Cursor::new(bytes));
        let header = reader
            .headers()
            .map_err(|e| Error::parse(&path, 1, None, format!("cannot read header: {e}")))?
            .clone();
        if header.iter().all(|h| h.trim().is_empty()) {
            return Err(Error::Empty { path });
        }
        let mut headers: HashMap<String, usize> = HashMap::new();
        let mut duplicated = Vec::new();
        for (i, h) in header.iter().enumerate() {
            let name = h.trim().trim_start_matches('\u{feff}').to_owned();
            if headers.insert(name.clone(), i).is_some() && !duplicated.contains(&name) {
                duplicated.push(name);
            }
        }
        for col in required {
            if !headers.contains_key(*col) {
                return Err(Error::parse(
                    &path,
                    1,
                    Some(col),
                    format!(
                        "missing column; the header has: {}",
                        header.iter().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
        Ok(DelimitedReader {
            path,
            duplicated,
            headers: Arc::new(headers),
            line_starts: Arc::new(line_starts),
            reader,
        })
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Header names that occur more than once, in header order (a row's field of such a
    /// name is the last column of that name). Readers that look columns up by name
    /// should refuse these with [`DelimitedReader::check_unique_header`].
    pub fn duplicated_columns(&self) -> &[String] {
        &self.duplicated
    }

    /// An error naming line 1 and the first column whose name is duplicated, if any.
    pub fn check_unique_header(&self) -> Result<()> {
        match self.duplicated.first() {
            None => Ok(()),
            Some(name) => Err(Error::parse(
                &self.path,
                1,
                Some(name),
                "the header names this column more than once",
            )),
        }
    }

    /// True when the header has `column`.
    pub fn has_column(&self, column: &str) -> bool {
        self.headers.contains_key(column)
    }

    /// Iterates over the data rows.
    pub fn rows(&mut self) -> impl Iterator<Item = Result<Row>> + '_ {
        let path = self.path.clone();
        let headers = Arc::clone(&self.headers);
        let starts = Arc::clone(&self.line_starts);
        self.reader.records().map(move |rec| {
            let rec = rec.map_err(|e| {
                let line = e.position().map_or(0, |p| line_of(&starts, p.byte()));
                Error::parse(&path, line, None, format!("malformed record: {e}"))
            })?;
            let line = rec.position().map_or(0, |p| line_of(&starts, p.byte()));
            Ok(Row {
                path: path.clone(),
                line,
                headers: Arc::clone(&headers),
                record: rec,
            })
        })
    }
}

/// One data row of a [`DelimitedReader`].
pub struct Row {
    path: PathBuf,
    line: u64,
    headers: Arc<HashMap<String, usize>>,
    record: csv::StringRecord,
}

impl Row {
    /// The 1-based line the row starts on.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The field in `column`; an error if the row is too short.
    pub fn get(&self, column: &str) -> Result<&str> {
        let idx = *self
            .headers
            .get(column)
            .ok_or_else(|| self.error(column, "no such column"))?;
        self.record
            .get(idx)
            .ok_or_else(|| self.error(column, "the row has too few fields"))
    }

    /// The field in `column`, which must not be blank.
    pub fn non_empty(&self, column: &str) -> Result<&str> {
        let v = self.get(column)?;
        if v.trim().is_empty() {
            return Err(self.error(column, "empty value"));
        }
        Ok(v)
    }

    /// The field in `column` parsed as `T`.
    pub fn parse<T: std::str::FromStr>(&self, column: &str) -> Result<T>
    where
        T::Err: std::fmt::Display,
    {
        let v = self.get(column)?;
        v.trim().parse::<T>().map_err(|e| {
            self.error(
                column,
                &format!("cannot parse {v:?} as {}: {e}", std::any::type_name::<T>()),
            )
        })
    }

    /// The field in `column` as a finite `f64`: NaN and infinities (`nan`, `inf`, `1e999`)
    /// are errors naming the row's line and the column.
    pub fn parse_finite(&self, column: &str) -> Result<f64> {
        let v: f64 = self.parse(column)?;
        if !v.is_finite() {
            return Err(self.error(
                column,
                &format!("{} is not a finite number", self.get(column)?.trim()),
            ));
        }
        Ok(v)
    }

    /// An error located at this row and `column`.
    pub fn error(&self, column: &str, message: &str) -> Error {
        Error::parse(&self.path, self.line, Some(column), message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, serde::Serialize, PartialEq)]
    struct Rec {
        name: String,
        n: u32,
    }

    #[test]
    fn jsonl_errors_name_line_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.jsonl");
        std::fs::write(
            &p,
            "{\"name\":\"a\",\"n\":1}\n\n{\"name\":\"b\",\"n\":\"two\"}\n",
        )
        .unwrap();
        let err = read_jsonl::<Rec>(&p).unwrap_err();
        match &err {
            Error::Parse { location, .. } => {
                assert_eq!(location.line, 3);
                assert_eq!(location.field.as_deref(), Some("n"));
            }
            other => panic!("unexpected {other:?}"),
        }
        std::fs::write(&p, "{\"name\":\"a\"}\n").unwrap();
        let msg = read_jsonl::<Rec>(&p).unwrap_err().to_string();
        assert!(msg.contains("x.jsonl:1: field `n`"), "{msg}");
        std::fs::write(&p, "{\"name\":\n").unwrap();
        let msg = read_jsonl::<Rec>(&p).unwrap_err().to_string();
        assert!(
            msg.contains("x.jsonl:1") && msg.contains("invalid JSON"),
            "{msg}"
        );
        std::fs::write(&p, "\n  \n").unwrap();
        assert!(matches!(read_jsonl::<Rec>(&p), Err(Error::Empty { .. })));
    }

    #[test]
    fn atomic_file_leaves_target_untouched_until_commit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.jsonl");
        write_jsonl(
            &p,
            &[Rec {
                name: "a".into(),
                n: 1,
            }],
        )
        .unwrap();
        {
            let mut f = AtomicFile::create(&p).unwrap();
            f.write_all(b"partial").unwrap();
            // dropped without commit
        }
        let back: Vec<Rec> = read_jsonl(&p).unwrap();
        assert_eq!(
            back,
            vec![Rec {
                name: "a".into(),
                n: 1
            }]
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "temp file removed"
        );
    }

    /// Regression: the temporary file was `.{name}.tmp-{pid}`, opened with
    /// `File::create`: a link planted at that name redirected the write to another file,
    /// and two writers of one target in one process shared (and truncated) one file.
    #[cfg(unix)]
    #[test]
    fn temp_names_are_unpredictable_and_created_exclusively() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.json");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let old_name = dir
            .path()
            .join(format!(".out.json.tmp-{}", std::process::id()));
        std::os::unix::fs::symlink(&victim, &old_name).unwrap();
        write_atomic(&target, b"new content").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new content");

        // Two writers of one target at once: both commit whole content.
        let mut a = AtomicFile::create(&target).unwrap();
        let mut b = AtomicFile::create(&target).unwrap();
        a.write_all(b"from a").unwrap();
        b.write_all(b"from b").unwrap();
        a.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "from a");
        b.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "from b");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 3, "no temp file left: {names:?}");
    }

    #[test]
    fn a_file_lock_excludes_a_second_holder_and_names_the_pid() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("results.jsonl");
        let lock = FileLock::acquire(&target).unwrap();
        assert_eq!(lock.path(), dir.path().join("results.jsonl.lock"));
        assert_eq!(
            std::fs::read_to_string(lock.path()).unwrap(),
            format!("{}\n", std::process::id())
        );
        let err = FileLock::acquire(&target).unwrap_err();
        match &err {
            Error::Io { path, source } => {
                assert_eq!(path, lock.path());
                assert_eq!(source.kind(), std::io::ErrorKind::WouldBlock);
            }
            other => panic!("unexpected {other:?}"),
        }
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("pid {}", std::process::id())) && msg.contains("results.jsonl"),
            "{msg}"
        );
        drop(lock);
        let again = FileLock::acquire(&target).unwrap();
        drop(again);
    }

    /// Regression: `fairness_report` accepted NaN or infinite scores (and printed an AUC
    /// of 0.5), and a duplicated header name silently read the last of its columns.
    #[test]
    fn non_finite_numbers_and_duplicated_header_names_are_refused_naming_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.csv");
        for bad in ["NaN", "inf", "-inf", "1e999"] {
            std::fs::write(&p, format!("y,score\n1,0.5\n0,{bad}\n")).unwrap();
            let mut r = DelimitedReader::open(&p, DelimitedOptions::default(), &["score"]).unwrap();
            r.check_unique_header().unwrap();
            let rows: Vec<Row> = r.rows().collect::<Result<_>>().unwrap();
            assert_eq!(rows[0].parse_finite("score").unwrap(), 0.5);
            let msg = rows[1].parse_finite("score").unwrap_err().to_string();
            assert!(
                msg.contains("s.csv:3: field `score`") && msg.contains("not a finite number"),
                "{bad}: {msg}"
            );
        }
        std::fs::write(&p, "y,group,score,group\n1,a,0.5,b\n").unwrap();
        let r = DelimitedReader::open(&p, DelimitedOptions::default(), &["group"]).unwrap();
        assert_eq!(r.duplicated_columns(), ["group".to_owned()]);
        let msg = r.check_unique_header().unwrap_err().to_string();
        assert!(
            msg.contains("s.csv:1: field `group`") && msg.contains("more than once"),
            "{msg}"
        );
    }

    /// Regression: a FIFO given as a data file hung the reader, `/dev/zero` ran it out
    /// of memory.
    #[cfg(unix)]
    #[test]
    fn only_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo.jsonl");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success());
        assert!(made, "mkfifo failed");
        for path in [fifo.as_path(), Path::new("/dev/zero"), dir.path()] {
            let err = read_jsonl::<Rec>(path).unwrap_err().to_string();
            assert!(
                err.contains("not a regular file"),
                "{}: {err}",
                path.display()
            );
            let err = DelimitedReader::open(path, DelimitedOptions::default(), &[])
                .err()
                .unwrap()
                .to_string();
            assert!(
                err.contains("not a regular file"),
                "{}: {err}",
                path.display()
            );
            assert!(read_regular(path).is_err());
        }
        let err = read_regular(&fifo).unwrap_err().to_string();
        assert!(err.contains("is a FIFO"), "{err}");
    }

    /// Regression: `FileLock::acquire` truncated the target of a symlinked lock file and
    /// wrote its pid into it; the append-only files were opened through links too.
    #[cfg(unix)]
    #[test]
    fn locks_and_appends_refuse_symbolic_links_and_leave_their_targets_alone() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let target = dir.path().join("results.jsonl");
        std::os::unix::fs::symlink(&victim, FileLock::lock_path(&target)).unwrap();
        let err = FileLock::acquire(&target).unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");

        let other = dir.path().join("cache.jsonl");
        std::os::unix::fs::symlink(&victim, &other).unwrap();
        let err = LockedAppend::open(&other).unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        // A plain file still opens.
        let plain = dir.path().join("plain.jsonl");
        let opened = LockedAppend::open(&plain).unwrap();
        assert!(opened.bytes.is_empty());
    }

    /// Regression: `AtomicFile` wrote mode 0600 whatever the umask, so reports on a
    /// shared folder were unreadable by the group.
    #[cfg(unix)]
    #[test]
    fn atomic_files_get_the_mode_file_create_would_give() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let probe = dir.path().join("probe");
        File::create(&probe).unwrap();
        let expected = std::fs::metadata(&probe).unwrap().permissions().mode() & 0o777;
        let target = dir.path().join("report.md");
        write_atomic(&target, b"report").unwrap();
        let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, expected, "{mode:o} vs {expected:o}");
        // Unless the umask hides them, group and others may read it (0644 under 022).
        if expected & 0o044 != 0 {
            assert_ne!(mode, 0o600);
        }
    }

    #[test]
    fn delimited_rows_report_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        std::fs::write(&p, "a,b\n1,x\n2\n").unwrap();
        let mut r = DelimitedReader::open(&p, DelimitedOptions::default(), &["a", "b"]).unwrap();
        let rows: Vec<Row> = r.rows().collect::<Result<_>>().unwrap();
        assert_eq!(rows[0].parse::<u32>("a").unwrap(), 1);
        let err = rows[0].parse::<u32>("b").unwrap_err().to_string();
        assert!(err.contains("t.csv:2: field `b`"), "{err}");
        let err = rows[1].get("b").unwrap_err().to_string();
        assert!(err.contains("t.csv:3: field `b`"), "{err}");
        let err = DelimitedReader::open(&p, DelimitedOptions::default(), &["c"])
            .err()
            .unwrap();
        assert!(
            err.to_string()
                .contains("t.csv:1: field `c`: missing column"),
            "{err}"
        );
        // CRLF line endings give the same line numbers.
        std::fs::write(&p, "a,b\r\n1,x\r\n\"2\nsecond line\",y\r\n3,z\r\n").unwrap();
        let mut r = DelimitedReader::open(&p, DelimitedOptions::default(), &["a"]).unwrap();
        let lines: Vec<u64> = r.rows().map(|row| row.unwrap().line()).collect();
        assert_eq!(lines, [2, 3, 5]);
        std::fs::write(&p, "").unwrap();
        assert!(matches!(
            DelimitedReader::open(&p, DelimitedOptions::default(), &[]),
            Err(Error::Empty { .. })
        ));
    }
}
