//! What the suite runs, from the command line.
//!
//! The options are [`Cli`]'s fields: clap (derive) parses them and writes
//! `--help` from the same definitions, so the two cannot drift.
//! [`Config::from_args`] then validates what clap cannot see on its own
//! (extents of zero, sizes that overflow or do not fit in this machine's
//! memory, a thread count the parallel backend refuses), and
//! [`Config::check_machine`] what needs the machine (a CUDA device asked
//! for by name, a writable `--out`), all before any work: a bad argument is
//! a usage error (exit 2, one line, [`usage_line`]) at once.

use crate::measure::Plan;
use clap::builder::PossibleValuesParser;
use clap::error::ErrorKind;
use clap::{CommandFactory as _, FromArgMatches as _, Parser};
use hotloop::Backend;
use hotloop_cpu::pool::bind_to_cpu;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Backends by name.
#[cfg(not(test))]
pub const BACKENDS: &[&str] = &["serial", "parallel", "simulator", "cuda"];
/// Test builds add `wrong`, a backend that computes a wrong answer on
/// purpose, to prove that a wrong row is marked ✗ and fails the run.
#[cfg(test)]
pub const BACKENDS: &[&str] = &["serial", "parallel", "simulator", "cuda", "wrong"];

/// The add / reduce / map array shape of a default run.
pub const DEFAULT_SHAPE: [usize; 3] = [1024, 1024, 512];
/// The same with `--quick`.
pub const QUICK_SHAPE: [usize; 3] = [256, 256, 128];

/// The most `--repeat` takes. Each row keeps every repeat's time (and
/// reserves room for them up front), and a million repeats of even the
/// quickest row already outlast any useful median.
pub const MAX_REPEAT: usize = 1_000_000;

/// The suite's command line.
#[derive(Parser, Debug)]
#[command(
    name = "hotloop-bench",
    bin_name = "cargo xtask bench",
    about = "The cross-backend comparison suite: every workload on every backend this machine has, \
             each answer checked, in one table.",
    long_about = "The cross-backend comparison suite: runs every workload on every backend this \
                  machine has, checks every answer, and prints one table (median of the repeats, \
                  min, max, first call, GB/s or samples/s, share of the measured copy bandwidth, \
                  speedup over the workload's baseline), then the project's speed targets.\n\n\
                  The Python rows (pure Python, NumPy, Numba) run when an interpreter with numpy \
                  and numba is found (target/hotloop-bench/python-venv first, then python3); \
                  --setup-python installs them there once. Exit status: 0 when every answer was \
                  right, 1 when a row was wrong or the run failed, 2 for a bad argument.",
    after_help = "Examples:\n  cargo xtask bench --quick\n  cargo xtask bench --setup-python\n  \
                  cargo xtask bench --backend serial,parallel --workload add,pi --size 512x512x256",
    disable_version_flag = true
)]
pub struct Cli {
    /// Small sizes (256x256x128, Monte Carlo up to 3.3e7 samples), done in well under a minute
    #[arg(long)]
    pub quick: bool,

    /// Also Monte Carlo at 1e10 samples
    #[arg(long, conflicts_with_all = ["quick", "samples"])]
    pub full: bool,

    /// GB/s against array size instead of the suite: add 2, map Affine and sum, serial and
    /// parallel, beside a STREAM copy, 4 KiB to 4 GiB per array (--quick: to 64 MiB); writes
    /// sweep.svg and sweep.json with --out
    #[arg(long, conflicts_with_all = ["full", "size", "samples", "backend", "workload", "repeat"])]
    pub sweep: bool,

    /// add / reduce / map array shape, three extents of at least 1 [default: 1024x1024x512;
    /// --quick: 256x256x128]
    #[arg(long, value_name = "AxBxC", value_parser = parse_shape)]
    pub size: Option<Shape>,

    /// Monte Carlo sample counts, whole numbers such as 1e9 or 33000000, up to the most one call
    /// takes [default: 1e4,3.3e7,1e9; --quick: 1e4,3.3e7; --full: 1e4,3.3e7,1e9,1e10]
    #[arg(long, value_name = "N[,N...]", value_delimiter = ',', value_parser = parse_count)]
    pub samples: Option<Vec<u64>>,

    /// Backends to run [default: all this machine has]
    #[arg(
        long,
        value_name = "B[,B...]",
        value_delimiter = ',',
        value_parser = PossibleValuesParser::new(BACKENDS.iter().copied()),
    )]
    pub backend: Vec<String>,

    /// Workloads to run [default: all]
    // Its values are the catalogue's, set by `Config::from_args`.
    #[arg(long, value_name = "W[,W...]", value_delimiter = ',')]
    pub workload: Vec<String>,

    /// The parallel backend's thread count [default: one per CPU, or RAYON_NUM_THREADS]
    #[arg(long, value_name = "N", value_parser = at_least_one)]
    pub threads: Option<usize>,

    /// Leave the parallel backend's workers, and the OpenMP threads of the Python peers' Numba,
    /// free to move between CPUs [default: each bound to one, as OMP_PROC_BIND=true binds]
    #[arg(long)]
    pub no_bind: bool,

    /// Timed repeats per row, after a first call and a warm-up (long rows: at most 3), at most
    /// 1000000
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = parse_repeat)]
    pub repeat: usize,

    /// Run the Python rows, an error if no interpreter can (default: when one is found)
    #[arg(long, conflicts_with = "no_python")]
    pub python: bool,

    /// Leave the Python rows out
    #[arg(long)]
    pub no_python: bool,

    /// Install numpy and numba (about 300 MB, once) into target/hotloop-bench/python-venv
    /// for the Python rows; without it the suite never installs anything
    #[arg(long, conflicts_with = "no_python")]
    pub setup_python: bool,

    /// Write results.json, results.csv, table.md and chart.svg there, a directory created if
    /// missing and checked writable before any work (`cargo xtask bench` defaults to
    /// `target/hotloop-bench/<UTC timestamp>/`)
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Instead of the suite: hotloop's workloads on MPI ranks under `mpirun -n 1..N` on this
    /// machine (pi and a distributed sum, strong and weak scaling, each against the one-process
    /// answer); `cargo xtask bench --ranks N` builds the MPI worker and installs MPI where missing
    #[arg(
        long,
        value_name = "N",
        value_parser = at_least_one,
        conflicts_with_all = ["sweep", "full", "size", "samples", "backend", "workload"]
    )]
    pub ranks: Option<usize>,

    /// Say in one line whether CUDA device 0 can run the kernels (exit 0) or why not (exit 3),
    /// and run nothing else
    #[arg(long, exclusive = true)]
    pub cuda_available: bool,
}

/// An array shape from `--size`: three extents, each at least 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape(pub [usize; 3]);

/// The resolved run configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// add_scalar / reduction array shape.
    pub shape: [usize; 3],
    /// Monte Carlo sample counts.
    pub samples: Vec<u64>,
    /// Backends to run, by name.
    pub backends: Vec<String>,
    /// Whether `--backend` named them (an unavailable one is then an error,
    /// not a note).
    pub backends_explicit: bool,
    /// Workloads to run, by name (from the [`Catalogue`]'s).
    pub workloads: Vec<String>,
    /// Parallel backend's thread count.
    pub threads: Option<usize>,
    /// Whether each worker of the parallel backend, and each OpenMP
    /// thread of the Python peers, is bound to one CPU (not `--no-bind`).
    pub bind: bool,
    /// Warm-up and repeats.
    pub plan: Plan,
    /// Where to write results (None: don't).
    pub out_dir: Option<PathBuf>,
    /// Whether to run the Python rows.
    pub python: PythonMode,
    /// `--setup-python`: install numpy and numba into the suite's venv.
    pub setup_python: bool,
    /// `--quick`.
    pub quick: bool,
    /// `--sweep`: throughput against size instead of the suite.
    pub sweep: bool,
    /// `--ranks N`: the MPI rows on 1..N ranks instead of the suite.
    pub ranks: Option<usize>,
}

/// When the Python rows run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PythonMode {
    /// When an interpreter with numpy and numba is found (the default).
    Auto,
    /// Always; an error if no interpreter can run them (`--python`).
    On,
    /// Never (`--no-python`).
    Off,
}

/// What `--cuda-available` or a normal run asks for.
#[derive(Debug)]
pub enum Request {
    /// `--cuda-available`: probe the device and say so.
    CudaAvailable,
    /// Run the suite (or the sweep).
    Run(Config),
}

impl Config {
    /// Starts rayon's global pool, which every parallel row runs on
    /// ([`Backend::parallel`]): `--threads` workers, each bound to one CPU
    /// unless `--no-bind` (why: [`bind_to_cpu`]). Called once, before any
    /// parallel work.
    pub fn start_pool(&self) -> Result<(), String> {
        let mut pool = rayon::ThreadPoolBuilder::new().num_threads(self.threads.unwrap_or(0));
        if self.bind {
            pool = pool.start_handler(|i| {
                bind_to_cpu(i);
            });
        }
        pool.build_global()
            .map_err(|e| format!("starting the parallel backend's pool: {e}"))
    }

    /// Plan for the simulator's rows: it exists to check the kernels, not
    /// to be fast, so fewer repeats.
    pub fn simulator_plan(&self) -> Plan {
        Plan {
            warmup: 0,
            repeat: self.plan.repeat.min(3),
        }
    }

    /// What the arguments ask of this machine, checked before any work as
    /// the arguments themselves are: a CUDA device if `--backend` names
    /// `cuda` (without it, a missing device only drops the CUDA rows, with
    /// a line saying why), a writable `--out` directory (created if
    /// missing). `Err` is a usage error's one line.
    pub fn check_machine(&mut self) -> Result<(), String> {
        let no_cuda = if self.runs_backend("cuda") {
            hotloop_cuda::availability(0).err()
        } else {
            None
        };
        if let Some(why) = &no_cuda
            && self.backends_explicit
        {
            return Err(format!("--backend cuda: {why}"));
        }
        if let Some(dir) = &self.out_dir {
            check_out_dir(dir).map_err(|e| format!("--out {}: {e}", dir.display()))?;
        }
        // Said only once every check has passed, so that a refusal stays
        // the one line on stderr.
        if let Some(why) = no_cuda {
            eprintln!("CUDA rows skipped: {why}");
            self.backends.retain(|b| b != "cuda");
        }
        Ok(())
    }

    /// Whether a backend is selected.
    pub fn runs_backend(&self, name: &str) -> bool {
        self.backends.iter().any(|b| b == name)
    }

    /// Parses and validates the suite's arguments (without the program
    /// name) against the workloads `catalogue` offers. `Err` is clap's
    /// error: the help (exit 0) or a usage error naming the argument (exit
    /// 2, printed as [`usage_line`]). Only `--out` takes a value that is
    /// not UTF-8 (a path may be any bytes).
    pub fn from_args<A: AsRef<std::ffi::OsStr>>(
        args: &[A],
        catalogue: &dyn Catalogue,
    ) -> Result<Request, clap::Error> {
        let args: Vec<OsString> = args.iter().map(|a| a.as_ref().to_owned()).collect();
        let names = catalogue.names();
        let command = Cli::command().mut_arg("workload", |a| {
            a.value_parser(PossibleValuesParser::new(names.iter().copied()))
        });
        check_utf8(&args).map_err(|e| command.clone().error(ErrorKind::InvalidUtf8, e))?;
        let matches = command
            .clone()
            .try_get_matches_from(std::iter::once(OsString::from("hotloop-bench")).chain(args))?;
        let cli = Cli::from_arg_matches(&matches)?;
        if cli.cuda_available {
            return Ok(Request::CudaAvailable);
        }
        let cfg = Config::from_cli(cli, &names);
        cfg.validate(catalogue)
            .map_err(|e| command.clone().error(e.0, e.1))?;
        Ok(Request::Run(cfg))
    }

    /// The configuration `cli` asks for, with the defaults filled in.
    fn from_cli(cli: Cli, workloads: &[&'static str]) -> Config {
        let quick = cli.quick;
        let backends_explicit = !cli.backend.is_empty();
        Config {
            shape: cli
                .size
                .map_or(if quick { QUICK_SHAPE } else { DEFAULT_SHAPE }, |s| s.0),
            samples: cli.samples.unwrap_or_else(|| {
                if quick {
                    vec![10_000, 33_000_000]
                } else if cli.full {
                    vec![10_000, 33_000_000, 1_000_000_000, 10_000_000_000]
                } else {
                    vec![10_000, 33_000_000, 1_000_000_000]
                }
            }),
            backends: if backends_explicit {
                dedup(cli.backend)
            } else {
                BACKENDS
                    .iter()
                    .filter(|b| **b != "wrong")
                    .map(|s| s.to_string())
                    .collect()
            },
            backends_explicit,
            workloads: if cli.workload.is_empty() {
                workloads.iter().map(|w| w.to_string()).collect()
            } else {
                dedup(cli.workload)
            },
            threads: cli.threads,
            bind: !cli.no_bind,
            plan: Plan {
                warmup: 1,
                repeat: cli.repeat,
            },
            out_dir: cli.out,
            python: if cli.no_python || cli.ranks.is_some() {
                PythonMode::Off
            } else if cli.python {
                PythonMode::On
            } else {
                PythonMode::Auto
            },
            setup_python: cli.setup_python,
            quick,
            sweep: cli.sweep,
            ranks: cli.ranks,
        }
    }

    /// The largest array size of the sweep: the blog's 4 GiB, 64 MiB with
    /// `--quick`.
    pub fn sweep_max_bytes(&self) -> u64 {
        if self.quick { 64 << 20 } else { 4 << 30 }
    }

    /// What clap cannot check: sizes against overflow and this machine's
    /// memory, the thread count against the parallel backend's limit.
    fn validate(&self, catalogue: &dyn Catalogue) -> Result<(), (ErrorKind, String)> {
        let invalid = |m: String| (ErrorKind::ValueValidation, m);
        if let Some(t) = self.threads
            && (self.sweep || self.runs_backend("parallel"))
        {
            Backend::parallel_with_threads(t).map_err(|e| invalid(format!("--threads: {e}")))?;
        }
        if self.sweep {
            // The sweep's largest point holds an input and an output.
            let bytes = 2 * self.sweep_max_bytes();
            return hotloop_runtime::memory::check_fits("the sweep's arrays", bytes)
                .map_err(|e| invalid(format!("{e}; try --sweep --quick")));
        }
        catalogue
            .memory(self, self.python != PythonMode::Off)
            .and_then(|bytes| {
                hotloop_runtime::memory::check_fits("the benchmark arrays", bytes)
                    .map_err(|e| format!("{e}; choose a smaller --size"))
            })
            .map_err(|e| invalid(format!("--size {}: {e}", fmt_shape(self.shape))))
    }
}

/// What the configuration knows of the workloads, which are measured on a
/// `Config` and so stand above it (`crate::workloads` implements it): the
/// `--workload` values, and the memory a configuration's arrays need.
pub trait Catalogue {
    /// The workloads' names, in `--workload`'s order.
    fn names(&self) -> Vec<&'static str>;
    /// The most the workloads `cfg` selects hold at once (they run one
    /// after the other), with their Python rows when `python`: refused,
    /// before anything is allocated, where it does not fit this machine's
    /// available memory.
    fn memory(&self, cfg: &Config, python: bool) -> Result<u64, String>;
}

/// A usage error as one line on stderr: clap's message with the valid
/// values or a tip that follow it, without the usage and `--help` lines
/// after them (the help has them all).
pub fn usage_line(e: &clap::Error) -> String {
    e.to_string()
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Refuses an argument that is not UTF-8, naming it, unless it is
/// `--out`'s path (clap's own error would not say which argument it was).
fn check_utf8(args: &[OsString]) -> Result<(), String> {
    let mut is_out_value = false;
    for a in args {
        let out_value = std::mem::replace(&mut is_out_value, a == "--out");
        if out_value || a.as_encoded_bytes().starts_with(b"--out=") {
            continue;
        }
        if a.to_str().is_none() {
            return Err(format!(
                "the argument '{}' is not valid UTF-8 (only --out takes any bytes)",
                a.to_string_lossy()
            ));
        }
    }
    Ok(())
}

/// `--out`: a directory (created if missing) that a file can be written
/// in, found out before any work rather than when the results are written
/// at the end. A probe file is written and removed: permission bits alone
/// do not tell (root ignores them; a read-only mount does not show in
/// them).
fn check_out_dir(dir: &Path) -> Result<(), String> {
    if dir.exists() && !dir.is_dir() {
        return Err("exists and is not a directory".into());
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create the directory: {e}"))?;
    let probe = dir.join(format!(".hotloop-bench-probe-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| format!("cannot write a file there: {e}"))?;
    std::fs::remove_file(&probe).map_err(|e| format!("cannot remove {}: {e}", probe.display()))
}

/// `AxBxC`.
pub fn fmt_shape(s: [usize; 3]) -> String {
    format!("{}x{}x{}", s[0], s[1], s[2])
}

fn dedup(names: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(names.len());
    for n in names {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

/// `--size`: three extents, each at least 1, whose product (the element
/// count) fits in a `usize`.
fn parse_shape(s: &str) -> Result<Shape, String> {
    const EXPECTED: &str = "expected three extents like 1024x1024x512";
    let dims: Vec<usize> = s
        .split(['x', 'X', ','])
        .map(|d| {
            let d = d.trim();
            d.parse::<usize>()
                .map_err(|_| format!("`{d}` is not a whole number ({EXPECTED})"))
        })
        .collect::<Result<_, _>>()?;
    let [a, b, c] = dims[..] else {
        return Err(format!("{} extents given, {EXPECTED}", dims.len()));
    };
    if dims.contains(&0) {
        return Err("every extent must be at least 1 (an empty array measures nothing)".into());
    }
    if dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .and_then(|n| n.checked_mul(size_of::<f64>()))
        .is_none()
    {
        return Err("the array's size in bytes overflows".into());
    }
    Ok(Shape([a, b, c]))
}

/// `--samples`: `1e9`, `33000000` or `3.3e7` as a whole count, at least 1.
fn parse_count(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let n = match s.parse::<u64>() {
        Ok(n) => n,
        Err(_) => {
            let f: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
            // 2^64 is the first f64 past u64::MAX.
            if f.fract() != 0.0 || !(0.0..18_446_744_073_709_551_616.0).contains(&f) {
                return Err(format!("`{s}` is not a whole number of samples"));
            }
            f as u64
        }
    };
    if n == 0 {
        return Err("zero samples cannot estimate anything".into());
    }
    if n > hotloop::MAX_SAMPLES {
        // The library's own refusal, found now instead of at the pi rows.
        return Err(hotloop_runtime::Error::TooManySamples {
            requested: n,
            limit: hotloop::MAX_SAMPLES,
        }
        .to_string());
    }
    Ok(n)
}

/// `--repeat`: a whole number from 1 to [`MAX_REPEAT`].
fn parse_repeat(s: &str) -> Result<usize, String> {
    match at_least_one(s)? {
        n if n > MAX_REPEAT => Err(format!("more than the {MAX_REPEAT} repeats a row takes")),
        n => Ok(n),
    }
}

/// `--threads`: a whole number, at least 1.
fn at_least_one(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{s}` is not a whole number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The workloads as the parser's tests see them: the suite's names, and
    /// two arrays of the configured shape for every one but pi (the real
    /// figures are the workloads' own, tested with them).
    struct Fixture;

    impl Catalogue for Fixture {
        fn names(&self) -> Vec<&'static str> {
            vec!["add", "pi", "reduce", "map", "stencil", "gufunc"]
        }
        fn memory(&self, cfg: &Config, _python: bool) -> Result<u64, String> {
            let elems = cfg
                .shape
                .iter()
                .try_fold(1u64, |a, &d| a.checked_mul(d as u64))
                .ok_or("the shape overflows")?;
            let arrays = cfg.workloads.iter().any(|w| w != "pi");
            Ok(if arrays { elems.saturating_mul(16) } else { 0 })
        }
    }

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    fn parse(s: &str) -> Result<Config, String> {
        match Config::from_args(&args(s), &Fixture) {
            Ok(Request::Run(c)) => Ok(c),
            Ok(Request::CudaAvailable) => Err("--cuda-available".into()),
            Err(e) => Err(e.to_string()),
        }
    }

    #[test]
    fn parses_the_options() {
        let c = parse("--quick --size 4x5x6 --samples 1e4,3.3e7 --threads 2 --repeat 2").unwrap();
        assert_eq!(c.shape, [4, 5, 6]);
        assert_eq!(c.samples, vec![10_000, 33_000_000]);
        assert_eq!(c.threads, Some(2));
        assert_eq!(c.plan.repeat, 2);
        assert!(c.quick && !c.sweep);
        assert_eq!(c.python, PythonMode::Auto);
        assert!(c.bind, "workers are bound unless asked not to be");
        let c = parse("--python --setup-python --size 2x2x2 --no-bind").unwrap();
        assert_eq!((c.python, c.setup_python), (PythonMode::On, true));
        assert!(!c.bind);
        let c = parse(
            "--no-python --backend serial,parallel,serial --workload pi --size 2x2x2 --out x",
        )
        .unwrap();
        assert_eq!(c.python, PythonMode::Off);
        assert_eq!(c.backends, ["serial", "parallel"]);
        assert!(c.backends_explicit);
        assert_eq!(c.workloads, ["pi"]);
        assert_eq!(c.out_dir, Some(PathBuf::from("x")));
        let c = parse("--sweep --quick --threads 1").unwrap();
        assert!(c.sweep && c.quick);
        assert!(matches!(
            Config::from_args(&args("--cuda-available"), &Fixture),
            Ok(Request::CudaAvailable)
        ));
    }

    #[test]
    fn the_defaults_follow_quick_and_full() {
        let c = parse("--quick").unwrap();
        assert_eq!(c.shape, QUICK_SHAPE);
        assert_eq!(c.samples, [10_000, 33_000_000]);
        assert_eq!(c.plan.repeat, 5);
        assert_eq!(c.backends, ["serial", "parallel", "simulator", "cuda"]);
        assert!(!c.backends_explicit);
        assert_eq!(c.workloads, Fixture.names());
        let c = parse("--full --size 2x2x2").unwrap();
        assert_eq!(c.samples.last(), Some(&10_000_000_000));
    }

    #[test]
    fn unknown_names_list_the_valid_ones() {
        let e = parse("--backend serial,gpu").unwrap_err();
        assert!(
            e.contains("invalid value 'gpu'")
                && e.contains("serial, parallel, simulator, cuda")
                && e.contains("--backend"),
            "{e}"
        );
        let e = parse("--workload nope").unwrap_err();
        assert!(e.contains("add, pi, reduce, map, stencil, gufunc"), "{e}");
        let e = parse("--frobnicate").unwrap_err();
        assert!(e.contains("unexpected argument '--frobnicate'"), "{e}");
    }

    #[test]
    fn bad_values_are_refused_with_the_reason() {
        for (bad, says) in [
            ("--size 0x1x1", "at least 1"),
            ("--size 4x5", "2 extents given"),
            ("--size 4x5x6x7", "4 extents given"),
            ("--size 4xax6", "`a` is not a whole number"),
            ("--size 4x-5x6", "`-5` is not a whole number"),
            (
                "--size 18446744073709551615x2x1",
                "the array's size in bytes overflows",
            ),
            ("--size 4294967296x4294967296x1", "overflows"),
            ("--samples 0", "zero samples"),
            ("--samples 1.5", "not a whole number of samples"),
            ("--samples 1e30", "not a whole number of samples"),
            ("--samples 1e4,,", "not a number"),
            ("--threads 0", "at least 1"),
            ("--repeat 0", "at least 1"),
            (
                "--repeat 1000001",
                "more than the 1000000 repeats a row takes",
            ),
            ("--repeat 1000000000000", "more than the 1000000 repeats"),
            (
                "--samples 1e4,1e15",
                "1000000000000000 samples exceeds the limit of 100000000000000 per call",
            ),
            ("--repeat many", "`many` is not a whole number"),
            ("--size", "a value is required"),
        ] {
            let e = parse(bad).expect_err(bad);
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn the_limits_themselves_are_taken() {
        let c = parse(&format!(
            "--samples {} --repeat {MAX_REPEAT} --size 2x2x2",
            hotloop::MAX_SAMPLES
        ))
        .unwrap();
        assert_eq!(c.samples, [hotloop::MAX_SAMPLES]);
        assert_eq!(c.plan.repeat, MAX_REPEAT);
    }

    #[test]
    fn usage_errors_are_one_line() {
        for bad in [
            "--workload matmul",
            "--frobnicate",
            "--quick --full",
            "--size 0x1x1",
            "--samples 1e15",
            "--size 1048576x1048576x1 --no-python",
        ] {
            let e = Config::from_args(&args(bad), &Fixture).unwrap_err();
            let line = usage_line(&e);
            assert!(
                line.starts_with("error: ") && !line.contains('\n') && !line.contains("Usage"),
                "{bad}: {line:?}"
            );
        }
        let e = Config::from_args(&args("--workload matmul"), &Fixture).unwrap_err();
        assert!(
            usage_line(&e).ends_with("[possible values: add, pi, reduce, map, stencil, gufunc]"),
            "{}",
            usage_line(&e)
        );
    }

    #[cfg(unix)]
    #[test]
    fn only_out_takes_bytes_that_are_not_utf8() {
        use std::os::unix::ffi::OsStrExt as _;
        let bytes = |s: &[u8]| std::ffi::OsStr::from_bytes(s).to_owned();
        let dir = bytes(b"res-\xff");
        for args in [
            vec!["--out".into(), dir.clone()],
            vec![bytes(b"--out=res-\xff")],
        ] {
            match Config::from_args(&args, &Fixture) {
                Ok(Request::Run(c)) => assert_eq!(c.out_dir.unwrap().as_os_str(), dir),
                other => panic!("{args:?}: {other:?}"),
            }
        }
        let e = Config::from_args(&[bytes(b"--size"), bytes(b"2x2x\xff")], &Fixture).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert_eq!(
            usage_line(&e),
            "error: the argument '2x2x\u{fffd}' is not valid UTF-8 (only --out takes any bytes)"
        );
    }

    #[test]
    fn out_must_be_a_directory_this_process_can_write() {
        let base = std::env::temp_dir().join(format!("hotloop-bench-out-{}", std::process::id()));
        let new = base.join("a/b");
        check_out_dir(&new).unwrap();
        assert!(new.is_dir());
        // The probe is gone; an existing directory is fine.
        assert_eq!(std::fs::read_dir(&new).unwrap().count(), 0);
        check_out_dir(&new).unwrap();
        let file = base.join("file");
        std::fs::write(&file, "").unwrap();
        assert_eq!(
            check_out_dir(&file).unwrap_err(),
            "exists and is not a directory"
        );
        let e = check_out_dir(&file.join("x")).unwrap_err();
        assert!(e.starts_with("cannot create the directory: "), "{e}");
        let _ = std::fs::remove_dir_all(&base);
    }

    #[test]
    fn contradictions_are_refused() {
        for bad in [
            "--python --no-python",
            "--setup-python --no-python",
            "--quick --full",
            "--full --samples 1e4",
            "--sweep --size 2x2x2",
            "--sweep --backend serial",
            "--sweep --workload add",
            "--cuda-available --quick",
        ] {
            let e = parse(bad).expect_err(bad);
            assert!(e.contains("cannot be used with"), "{bad}: {e}");
        }
    }

    #[test]
    fn sizes_beyond_memory_are_refused_up_front() {
        // 2^40 elements: 8 TiB per array.
        let e = parse("--size 1048576x1048576x1 --no-python").unwrap_err();
        assert!(
            e.contains("--size 1048576x1048576x1")
                && e.contains("is available")
                && e.contains("choose a smaller --size"),
            "{e}"
        );
        // The same arrays are no concern when no workload uses them.
        assert!(parse("--size 1048576x1048576x1 --workload pi --no-python").is_ok());
    }

    #[test]
    fn threads_beyond_the_backend_limit_are_refused_up_front() {
        let e = parse("--threads 1000000 --size 2x2x2").unwrap_err();
        assert!(e.contains("--threads") && e.contains("exceeds"), "{e}");
        // Only where the parallel backend runs.
        assert!(parse("--threads 1000000 --size 2x2x2 --backend serial").is_ok());
    }

    #[test]
    fn help_is_generated_from_the_definitions() {
        let e = Config::from_args(&args("--help"), &Fixture).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DisplayHelp);
        let help = e.to_string();
        for opt in [
            "--quick",
            "--full",
            "--sweep",
            "--size <AxBxC>",
            "--samples <N[,N...]>",
            "--backend <B[,B...]>",
            "--workload <W[,W...]>",
            "--threads <N>",
            "--no-bind",
            "--repeat <N>",
            "--python",
            "--no-python",
            "--setup-python",
            "--out <DIR>",
            "--cuda-available",
            "results.json, results.csv, table.md and chart.svg",
            "serial, parallel, simulator, cuda",
        ] {
            assert!(help.contains(opt), "help lacks {opt}:\n{help}");
        }
        // The bound --repeat's help states is the one enforced (the help
        // wraps its lines anywhere).
        let words = help.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(words.contains(&format!("at most {MAX_REPEAT}")), "{help}");
        Cli::command().debug_assert();
    }
}
