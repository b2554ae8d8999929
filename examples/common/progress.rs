//! The study's progress on stderr: one bar per stage (each generation pool in texts
//! accepted / asked for, the cells), with a steady tick, an ETA from the measured cost of
//! each kind of cell ([`inherit::study::CellEta`]), and finished bars cleared (a log line
//! says what finished, in how long). When stderr is not a terminal (Slurm, `nohup`), no
//! bar is drawn: a plain line says where the stage stands every `interval`.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use inherit::study::{CellEta, CellKind, Progress, generation_remaining};

/// `1h02m`, `3m05s`, `42s`.
pub fn fmt_duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// Where the current stage stands (shared with the bar's ETA field and the line printer;
/// never locked while a bar method runs).
struct Stand {
    stage: String,
    unit: &'static str,
    started: Instant,
    /// Units done when the stage (or this process) began.
    initial: u64,
    done: u64,
    total: u64,
    /// The cells stage's per-kind estimate; other stages use their rate.
    cells: Option<CellEta>,
    /// Other stages: the estimate at the last step (stage seconds, seconds left), counted
    /// down between steps.
    at_step: Option<(f64, f64)>,
    /// A generation stage: its estimate comes from [`Stand::step_generation`].
    generation: bool,
}

impl Stand {
    fn new(stage: &str, unit: &'static str, total: u64, initial: u64) -> Self {
        Stand {
            stage: stage.to_owned(),
            unit,
            started: Instant::now(),
            initial,
            done: initial,
            total,
            cells: None,
            at_step: None,
            generation: false,
        }
    }

    /// Records a generation step: `accepted` texts from `prompts` prompts, `cached` of
    /// them read from the cache (`generation_remaining` gives the estimate).
    fn step_generation(&mut self, accepted: u64, prompts: u64, cached: u64) {
        self.generation = true;
        self.done = accepted;
        let t = self.started.elapsed().as_secs_f64();
        if let Some(left) = generation_remaining(t, accepted, self.total, prompts, cached) {
            self.at_step = Some((t, left));
        }
    }

    /// Records a step to `done` (the rate so far gives the estimate until the next).
    fn step(&mut self, done: u64) {
        self.done = done;
        if self.generation {
            return;
        }
        let t = self.started.elapsed().as_secs_f64();
        let fresh = done.saturating_sub(self.initial);
        if fresh > 0 && self.total > 0 {
            let left = self.total.saturating_sub(done) as f64 * t / fresh as f64;
            self.at_step = Some((t, left));
        }
    }

    /// Seconds left, when there is something to estimate from.
    fn remaining(&self) -> Option<f64> {
        let t = self.started.elapsed().as_secs_f64();
        if let Some(eta) = &self.cells {
            return eta.remaining(t);
        }
        self.at_step.map(|(at, left)| (left - (t - at)).max(0.0))
    }

    /// `[cells] 3/8 cells (37%), 1.5 cells/min, elapsed 2m00s, ETA 3m20s`.
    fn line(&self) -> String {
        let t = self.started.elapsed().as_secs_f64();
        if self.total == 0 {
            return format!("[{}] running, elapsed {}", self.stage, fmt_duration(t));
        }
        let fresh = self.done.saturating_sub(self.initial);
        let rate = if t > 0.0 {
            fresh as f64 * 60.0 / t
        } else {
            0.0
        };
        let eta = self
            .remaining()
            .map_or_else(|| "unknown".to_owned(), fmt_duration);
        format!(
            "[{}] {}/{} {} ({:.0}%), {rate:.1} {}/min, elapsed {}, ETA {eta}",
            self.stage,
            self.done,
            self.total,
            self.unit,
            100.0 * self.done as f64 / self.total as f64,
            self.unit,
            fmt_duration(t),
        )
    }
}

/// Draws the study's progress; see the module docs.
pub struct Reporter {
    multi: MultiProgress,
    terminal: bool,
    bar: Mutex<Option<(String, ProgressBar)>>,
    stand: Arc<Mutex<Option<Stand>>>,
    stop: Arc<AtomicBool>,
}

impl Reporter {
    /// A reporter on stderr; without a terminal, a line every `interval`.
    pub fn new(interval: Duration) -> Arc<Self> {
        let terminal = std::io::stderr().is_terminal();
        let multi = MultiProgress::with_draw_target(if terminal {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        let reporter = Arc::new(Reporter {
            multi,
            terminal,
            bar: Mutex::new(None),
            stand: Arc::new(Mutex::new(None)),
            stop: Arc::new(AtomicBool::new(false)),
        });
        if !terminal {
            let (stand, stop) = (reporter.stand.clone(), reporter.stop.clone());
            std::thread::spawn(move || {
                let step = Duration::from_millis(200);
                let mut last = Instant::now();
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(step);
                    if last.elapsed() < interval {
                        continue;
                    }
                    last = Instant::now();
                    let line = lock(&stand).as_ref().map(Stand::line);
                    if let Some(line) = line {
                        tracing::info!("{line}");
                    }
                }
            });
        }
        reporter
    }

    /// A writer for the logs that draws them above the bars.
    pub fn log_writer(&self) -> LogWriter {
        LogWriter(self.multi.clone())
    }

    /// Stops the periodic lines and clears any bar left.
    pub fn finish(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.close_bar();
        *lock(&self.stand) = None;
    }

    /// Handles one event of the study.
    pub fn handle(&self, p: &Progress<'_>) {
        match p {
            Progress::Stage { stage, detail } => {
                tracing::info!("[{stage}] {detail}");
                // A stage without a bar of its own (models, shift, report) still gets
                // its periodic line.
                if !matches!(*stage, "cells" | "rounds" | "augment") {
                    self.close_bar();
                    *lock(&self.stand) = Some(Stand::new(stage, "", 0, 0));
                }
            }
            Progress::Generation {
                pool,
                accepted,
                wanted,
                prompts,
                cached,
            } => {
                let name = format!("generate {pool}");
                if !self.in_stage(&name) {
                    self.open_bar(&name, "texts", *wanted as u64, 0, None);
                }
                if let Some(s) = lock(&self.stand).as_mut() {
                    s.step_generation(*accepted as u64, *prompts as u64, *cached as u64);
                }
                self.advance(*accepted as u64, None);
            }
            Progress::Planned {
                total,
                finished,
                left,
            } => {
                self.open_bar(
                    "cells",
                    "cells",
                    *total as u64,
                    *finished as u64,
                    Some(CellEta::new(*left)),
                );
            }
            Progress::Cell {
                done,
                record: r,
                seconds,
                kind,
                ..
            } => {
                let what = match kind {
                    CellKind::Round | CellKind::ChainStart => {
                        format!("round {} seed={}", r.round, r.seed)
                    }
                    CellKind::Cell => format!(
                        "{} γ={} {} seed={}",
                        r.bias_type, r.gamma, r.mitigation, r.seed
                    ),
                };
                tracing::debug!("finished {what} in {seconds:.1} s");
                self.advance(
                    *done as u64,
                    Some((
                        *kind,
                        *seconds,
                        format!("last: {what} ({})", fmt_duration(*seconds)),
                    )),
                );
            }
        }
    }

    /// Whether the current stage is `name` (with or without a bar: without a terminal
    /// there is none, and the stage's clock must not restart at every event).
    fn in_stage(&self, name: &str) -> bool {
        lock(&self.stand).as_ref().is_some_and(|s| s.stage == name)
    }

    fn open_bar(&self, name: &str, unit: &'static str, total: u64, at: u64, eta: Option<CellEta>) {
        self.close_bar();
        let mut stand = Stand::new(name, unit, total, at);
        stand.cells = eta;
        *lock(&self.stand) = Some(stand);
        if !self.terminal {
            return;
        }
        let shared = self.stand.clone();
        let style = ProgressStyle::with_template(&format!(
            "{{spinner}} {name:<28} {{bar:30}} {{pos}}/{{len}} {unit} [{{took}}, ETA {{remaining}}] {{msg}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key("took", |state: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{}", fmt_duration(state.elapsed().as_secs_f64()));
        })
        .with_key(
            "remaining",
            move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
                let left = lock(&shared).as_ref().and_then(Stand::remaining);
                let _ = match left {
                    Some(s) => write!(w, "{}", fmt_duration(s)),
                    None => write!(w, "…"),
                };
            },
        );
        let bar = self.multi.add(ProgressBar::new(total));
        bar.set_style(style);
        bar.set_position(at);
        bar.enable_steady_tick(Duration::from_millis(200));
        *lock(&self.bar) = Some((name.to_owned(), bar));
    }

    /// Moves the current stage to `done`; a finished cell also updates the estimate.
    fn advance(&self, done: u64, cell: Option<(CellKind, f64, String)>) {
        let finished = {
            let mut stand = lock(&self.stand);
            let Some(s) = stand.as_mut() else { return };
            s.step(done);
            if let (Some(eta), Some((kind, seconds, _))) = (s.cells.as_mut(), &cell) {
                eta.finished(*kind, *seconds, s.started.elapsed().as_secs_f64());
            }
            (s.total > 0 && done >= s.total).then(|| {
                format!(
                    "[{}] {}/{} {} in {}",
                    s.stage,
                    done,
                    s.total,
                    s.unit,
                    fmt_duration(s.started.elapsed().as_secs_f64())
                )
            })
        };
        if let Some((_, bar)) = lock(&self.bar).as_ref() {
            bar.set_position(done);
            if let Some((_, _, msg)) = cell {
                bar.set_message(msg);
            }
        }
        if let Some(line) = finished {
            self.close_bar();
            *lock(&self.stand) = None;
            tracing::info!("{line}");
        }
    }

    fn close_bar(&self) {
        if let Some((_, bar)) = lock(&self.bar).take() {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Log lines on stderr, drawn above the bars.
#[derive(Clone)]
pub struct LogWriter(MultiProgress);

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.suspend(|| std::io::stderr().write_all(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogWriter;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
