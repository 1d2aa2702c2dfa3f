//! Progress on stderr while the rows are measured: on a terminal, one
//! `indicatif` bar (step n of N, the step being measured, elapsed time and
//! an ETA from the steps measured so far); in a log, one plain line per
//! step. A step is one call of the workloads' `progress` callback: one
//! measurement, giving a row or two (a pair timed in alternation).
//!
//! Lines printed while the bar is shown go through [`note`], which prints
//! them above the bar instead of through it.

use crate::config::Config;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The bar being shown, for [`note`].
static SHOWN: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// The progress of one run.
pub struct Progress {
    bar: Option<ProgressBar>,
    total: u64,
    started: u64,
    start: Instant,
}

impl Progress {
    /// Progress over `total` steps: a bar when stderr is a terminal, plain
    /// lines otherwise.
    pub fn new(total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{elapsed:>4} {bar:20.cyan/blue} ETA {eta:<4} {wide_msg}",
                )
                .expect("a valid template")
                .progress_chars("━╸─"),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            *SHOWN.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar.clone());
            bar
        });
        Self {
            bar,
            total,
            started: 0,
            start: Instant::now(),
        }
    }

    /// Starts the next step, `what`; the previous one is done.
    pub fn step(&mut self, what: &str) {
        self.started += 1;
        // The count may be passed when a row is skipped or added at run
        // time; the bar's length follows.
        self.total = self.total.max(self.started);
        let line = format!("{} of {}: {what}", self.started, self.total);
        match &self.bar {
            Some(bar) => {
                bar.set_length(self.total);
                bar.set_position(self.started - 1);
                bar.set_message(line);
            }
            None => eprintln!("[{:>6.1} s] {line}", self.start.elapsed().as_secs_f64()),
        }
    }

    /// Ends the display with one line: how many steps, how long.
    pub fn finish(self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
            *SHOWN.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
        eprintln!(
            "[{:>6.1} s] done: {} steps measured",
            self.start.elapsed().as_secs_f64(),
            self.started
        );
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        // An error ends the run early: leave no bar on the screen.
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
            *SHOWN.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
    }
}

/// Prints `line` on stderr, above the bar when one is shown.
pub fn note(line: &str) {
    let shown = SHOWN.lock().unwrap_or_else(|e| e.into_inner()).clone();
    match shown {
        Some(bar) => bar.suspend(|| eprintln!("{line}")),
        None => eprintln!("{line}"),
    }
}

/// How many steps `--sweep` takes: one per size, and the Python points.
pub fn sweep_steps(cfg: &Config, python: bool) -> u64 {
    crate::sweep::sizes(cfg.sweep_max_bytes()).len() as u64 + u64::from(python)
}
