//! The blog's Python rows, run side by side in the same suite.
//!
//! `python/blog_bench.py` measures the pure-Python loop, NumPy and Numba
//! (and Numba's CUDA simulator, beside hotloop's) the way the Rust rows are
//! measured, and `python/gpu_bench.py` the blog's GPU
//! code (its `@cuda.jit` kernel and launch, a grid-stride kernel, CuPy,
//! Numba's Monte Carlo with `xoroshiro128p`) the way the CUDA rows are;
//! each prints one JSON object per row. This module finds an interpreter
//! that can import NumPy and Numba (`$HOTLOOP_PYTHON` if set), runs the
//! scripts the selected backends call for (the CPU one for `serial` or
//! `parallel`, the GPU one for `cuda`) on the selected workloads that have
//! counterparts in them (each workload says which, in its
//! [`Workload::python`](crate::workloads::Workload::python)), and turns
//! their lines into [`Row`]s.

use crate::config::Config;
use crate::measure::Timings;
use crate::row::{Check, Row};
use crate::workloads::PythonPeers;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Environment variable naming the interpreter for the Python rows (the
/// GPU kit sets it to the machine's `python3`).
pub const PYTHON_ENV: &str = "HOTLOOP_PYTHON";

/// Where `--setup-python` puts its virtual environment.
pub fn venv_dir() -> PathBuf {
    crate::interpreter::workspace_root().join("target/hotloop-bench/python-venv")
}

fn venv_python() -> PathBuf {
    venv_dir().join("bin/python")
}

/// An interpreter that can import numpy and numba: `$HOTLOOP_PYTHON` if
/// set, else the suite's own venv, then `python3` on the PATH. `Err` says
/// why none could, in a few words.
pub fn find_interpreter() -> Result<PathBuf, String> {
    let mut tried = Vec::new();
    let candidates = match std::env::var_os(PYTHON_ENV) {
        Some(p) if !p.is_empty() => vec![PathBuf::from(p)],
        _ => vec![venv_python(), PathBuf::from("python3")],
    };
    for candidate in candidates {
        if candidate.is_absolute() && !candidate.exists() {
            continue;
        }
        match Command::new(&candidate)
            .args(["-c", "import numpy, numba"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
        {
            Ok(s) if s.success() => return Ok(candidate),
            Ok(_) => tried.push(format!(
                "{} cannot import numpy and numba",
                candidate.display()
            )),
            Err(e) => tried.push(format!("{}: {e}", candidate.display())),
        }
    }
    if tried.is_empty() {
        tried.push("no Python interpreter found".into());
    }
    Err(tried.join("; "))
}

/// Environment variable holding the command the user typed (set by
/// `cargo xtask bench`), quoted back with `--setup-python` added.
pub const COMMAND_ENV: &str = "HOTLOOP_BENCH_COMMAND";

/// The command that runs this same suite with the Python rows set up: the
/// user's own command with `--setup-python` added.
pub fn setup_command() -> String {
    let typed = std::env::var(COMMAND_ENV).unwrap_or_else(|_| {
        std::iter::once("cargo xtask bench".to_string())
            .chain(std::env::args().skip(1))
            .collect::<Vec<_>>()
            .join(" ")
    });
    with_setup_flag(&typed)
}

fn with_setup_flag(typed: &str) -> String {
    if typed.split_whitespace().any(|a| a == "--setup-python") {
        typed.to_string()
    } else {
        format!("{typed} --setup-python")
    }
}

/// The selected workloads' names that `script` has (its `--workloads`),
/// in [`crate::workloads::all`]'s order.
fn script_workloads(cfg: &Config, script: Script) -> Vec<&'static str> {
    crate::workloads::selected(cfg)
        .filter(|w| script.has(&w.python()) && script.beside(cfg, &w.python()))
        .map(|w| w.name())
        .collect()
}

/// The two scripts of `python/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Script {
    /// `blog_bench.py`: pure Python, NumPy and Numba, beside the serial
    /// and parallel rows (Numba's CUDA simulator beside the simulator's).
    Cpu,
    /// `gpu_bench.py`: Numba CUDA and CuPy, beside the CUDA rows.
    Gpu,
}

impl Script {
    /// Whether this script runs for the backends `cfg` selects.
    fn runs(self, cfg: &Config) -> bool {
        match self {
            Script::Cpu => ["serial", "parallel", "simulator"]
                .iter()
                .any(|b| cfg.runs_backend(b)),
            Script::Gpu => cfg.runs_backend("cuda"),
        }
    }

    /// Whether the backends its rows of a workload with these
    /// counterparts stand beside are selected.
    fn beside(self, cfg: &Config, peers: &PythonPeers) -> bool {
        match self {
            Script::Cpu if peers.simulator => cfg.runs_backend("simulator"),
            Script::Cpu => cfg.runs_backend("serial") || cfg.runs_backend("parallel"),
            Script::Gpu => true,
        }
    }

    /// Whether it measures a workload with these counterparts.
    fn has(self, peers: &PythonPeers) -> bool {
        match self {
            Script::Cpu => peers.cpu.is_some() && (!peers.rounds || peers.script_too),
            Script::Gpu => peers.gpu,
        }
    }

    /// Whether it runs for `cfg` and has a selected workload.
    fn active(self, cfg: &Config) -> bool {
        self.runs(cfg) && !script_workloads(cfg, self).is_empty()
    }
}

/// Whether `cfg` runs a workload whose Python peers are timed in rounds
/// with its rows, by the worker of [`crate::peers`].
pub fn worker_needed(cfg: &Config) -> bool {
    crate::workloads::selected(cfg)
        .any(|w| w.python().rounds && Script::Cpu.beside(cfg, &w.python()))
}

/// How many progress steps [`rows`] takes: one per script it runs.
pub fn steps(cfg: &Config) -> u64 {
    [Script::Cpu, Script::Gpu]
        .into_iter()
        .filter(|s| s.active(cfg))
        .count() as u64
}

/// Which Python rows this configuration would add, in words (`None` when
/// it has none: no selected workload has a Python counterpart beside the
/// selected backends).
pub fn rows_for(cfg: &Config) -> Option<String> {
    if cfg.sweep {
        return Some("the NumPy and Numba sweep points".into());
    }
    let mut parts = Vec::new();
    if Script::Cpu.runs(cfg) {
        parts.extend(
            crate::workloads::selected(cfg)
                .filter(|w| Script::Cpu.beside(cfg, &w.python()))
                .filter_map(|w| w.python().cpu),
        );
    }
    if Script::Gpu.active(cfg) {
        parts.push("Numba CUDA and CuPy");
    }
    (!parts.is_empty()).then(|| format!("the Python rows ({})", parts.join("; ")))
}

/// Asks on the terminal whether to install numpy and numba; only an
/// explicit yes does.
pub fn ask_to_install(rows: &str) -> Result<bool, String> {
    use std::io::Write as _;
    eprint!(
        "{rows} need numpy and numba: install them (about 300 MB, once) into {}? [y/N] ",
        venv_dir().display()
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| format!("reading the answer: {e}"))?;
    Ok(is_yes(&answer))
}

/// `y` or `yes`, any case; anything else (an empty line too) is a no.
fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// Creates the venv and installs python/requirements.txt into it.
pub fn setup() -> Result<(), String> {
    let venv = venv_dir();
    if !venv_python().exists() {
        eprintln!("creating {}", venv.display());
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    eprintln!("installing numpy and numba into {}", venv.display());
    run(Command::new(venv_python())
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(crate::interpreter::workspace_root().join("python/requirements.txt")))
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let status = cmd.status().map_err(|e| format!("{cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed ({status})"))
    }
}

/// Runs the scripts the selected backends call for, with the suite's
/// sizes, on the selected workloads each has, and returns their rows.
pub fn rows(
    cfg: &Config,
    python: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    if Script::Cpu.active(cfg) {
        rows.extend(cpu_rows(cfg, python, progress)?);
    }
    if Script::Gpu.active(cfg) {
        rows.extend(gpu_rows(cfg, python, progress)?);
    }
    Ok(rows)
}

/// Runs `cmd` (a script), its stderr passed through, and parses its rows.
fn run_script(cmd: Command, name: &str) -> Result<Vec<Row>, String> {
    parse(&String::from_utf8_lossy(&script_output(cmd, name)?))
}

/// Runs a script to its end and returns its stdout; its stderr (progress
/// lines) goes line by line through [`crate::progress::note`], above the
/// progress bar.
fn script_output(mut cmd: Command, name: &str) -> Result<Vec<u8>, String> {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| format!("running {name}: {e}"))?;
    let relay = crate::interpreter::relay_stderr(&mut child);
    let out = child
        .wait_with_output()
        .map_err(|e| format!("running {name}: {e}"))?;
    if let Some(relay) = relay {
        let _ = relay.join();
    }
    if !out.status.success() {
        return Err(format!("python/{name} failed ({})", out.status));
    }
    Ok(out.stdout)
}

/// `python/gpu_bench.py`: the blog's GPU code.
fn gpu_rows(
    cfg: &Config,
    python: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Row>, String> {
    let wl = script_workloads(cfg, Script::Gpu);
    progress("python: numba.cuda and cupy rows");
    let mut cmd = Command::new(python);
    cmd.arg(crate::interpreter::script("gpu_bench.py"))
        .arg("--shape");
    cmd.args(cfg.shape.map(|d| d.to_string()));
    cmd.arg("--samples")
        .args(cfg.samples.iter().map(u64::to_string));
    cmd.args(["--repeat", &cfg.plan.repeat.to_string()]);
    cmd.args(["--workloads", &wl.join(",")]);
    cmd.args([
        "--launches",
        &crate::workloads::launch::launches(cfg).to_string(),
        "--pipeline-elements",
        &crate::workloads::pipeline::elements(cfg).to_string(),
    ]);
    run_script(cmd, "gpu_bench.py")
}

/// `python/blog_bench.py`: the blog's CPU code.
fn cpu_rows(
    cfg: &Config,
    python: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Row>, String> {
    progress("python: numpy and numba rows");
    let mut cmd = Command::new(python);
    cmd.arg(crate::interpreter::script("blog_bench.py"))
        .arg("--shape");
    for d in cfg.shape {
        cmd.arg(d.to_string());
    }
    // The pure-Python loop runs on a slab of the array (a few planes) and is
    // extrapolated; at the blog's size the whole loop would take hours.
    let pure = [cfg.shape[0].clamp(1, 2), cfg.shape[1].min(64), cfg.shape[2]];
    cmd.arg("--pure-shape").args(pure.map(|d| d.to_string()));
    cmd.arg("--samples")
        .args(cfg.samples.iter().map(u64::to_string));
    cmd.args(["--repeat", &cfg.plan.repeat.to_string()]);
    cmd.args([
        "--warp-sum-elements",
        &crate::workloads::warp_sum::elements(cfg).to_string(),
    ]);
    if let Some(t) = cfg.threads {
        cmd.args(["--threads", &t.to_string()]);
    }
    crate::interpreter::bind_openmp(&mut cmd, cfg.bind);
    let wl = script_workloads(cfg, Script::Cpu);
    cmd.args(["--workloads", &wl.join(",")]);
    run_script(cmd, "blog_bench.py")
}

/// The script's add 2 sweep (NumPy `add(out=)`, Numba's `range` and
/// `prange` loops) up to `max_bytes` per array, as sweep points.
pub fn sweep_points(
    cfg: &Config,
    python: &Path,
    max_bytes: u64,
) -> Result<Vec<crate::sweep::Point>, String> {
    let mut cmd = Command::new(python);
    cmd.arg(crate::interpreter::script("blog_bench.py")).args([
        "--workloads",
        "sweep",
        "--sweep-max",
        &max_bytes.to_string(),
    ]);
    if let Some(t) = cfg.threads {
        cmd.args(["--threads", &t.to_string()]);
    }
    crate::interpreter::bind_openmp(&mut cmd, cfg.bind);
    let stdout = script_output(cmd, "blog_bench.py")?;
    let mut points = Vec::new();
    for line in String::from_utf8_lossy(&stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| format!("bad line from blog_bench.py: {e}: {line}"))?;
        if v["sweep"].as_bool() != Some(true) {
            continue;
        }
        points.push(crate::sweep::Point {
            kernel: "add 2",
            backend: v["backend"].as_str().unwrap_or("python").to_string(),
            bytes: v["bytes"].as_u64().ok_or("a sweep point without bytes")?,
            gb_per_s: v["gb_per_s"].as_f64().ok_or("a sweep point without GB/s")?,
            checked: v["checked"].as_bool() == Some(true),
        });
    }
    Ok(points)
}

/// Turns the script's JSON lines into rows.
pub fn parse(stdout: &str) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    let mut backend = "python".to_string();
    for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| format!("bad line from blog_bench.py: {e}: {line}"))?;
        if v["meta"].as_bool() == Some(true) {
            backend = crate::interpreter::backend_name(&v);
            continue;
        }
        if let Some(why) = v["skipped"].as_str() {
            crate::progress::note(&format!(
                "python rows skipped ({}): {why}",
                v["form"].as_str().unwrap_or("?")
            ));
            continue;
        }
        let str_field = |k: &str| {
            v[k].as_str()
                .map(String::from)
                .ok_or_else(|| format!("row without `{k}`: {line}"))
        };
        let repeats_s: Vec<f64> = v["repeats_s"]
            .as_array()
            .ok_or_else(|| format!("row without repeats: {line}"))?
            .iter()
            .filter_map(serde_json::Value::as_f64)
            .collect();
        let check = match v["check"].as_str() {
            Some("passed") => Check::Passed,
            Some("not_run") => Check::NotRun,
            other => Check::Failed(format!("the Python row's own check said {other:?}")),
        };
        let (workload, form) = (str_field("workload")?, str_field("form")?);
        let mut r = crate::interpreter::row(crate::interpreter::PythonRow {
            backend: &backend,
            workload: &workload,
            form: &form,
            timings: Timings {
                first_call_s: v["first_call_s"].as_f64(),
                repeats_s,
                rounds: None,
            },
            bytes: v["bytes"].as_u64(),
            samples: v["samples"].as_u64(),
            check,
            compile_s: v["compile_s"].as_f64(),
            note: v["note"].as_str().map(String::from),
        });
        r.gpu = gpu_breakdown(&v["gpu"]);
        rows.push(r);
    }
    Ok(rows)
}

/// A GPU row's breakdown, from the script's `gpu` object (seconds).
fn gpu_breakdown(v: &serde_json::Value) -> Option<crate::row::GpuBreakdown> {
    let f = |k: &str| v[k].as_f64();
    Some(crate::row::GpuBreakdown {
        host_to_device_s: f("host_to_device_s")?,
        kernel_s: f("kernel_s")?,
        device_to_host_s: f("device_to_host_s")?,
        total_s: f("total_s")?,
        // Numba compiles on the first call, reported as `compile_s`.
        module_load_s: 0.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rows_meta_and_skips() {
        let out = r#"{"meta": true, "python": "3.11.7", "numpy": "2.4.6", "numba": "0.68.1", "threads": 2}
{"workload": "add_scalar f64 4x4x4", "form": "numba prange", "repeats_s": [0.5, 0.25], "first_call_s": 1.5, "compile_s": 1.0, "bytes": 1024, "check": "passed", "note": "n"}
{"workload": "monte carlo pi", "form": "numba", "skipped": "numba is not importable"}
{"workload": "monte carlo pi 1e4 samples", "form": "numba @jit", "repeats_s": [0.1], "first_call_s": 0.2, "samples": 10000, "check": "failed"}
"#;
        let rows = parse(out).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].backend, "python 3.11.7, numba 0.68.1 (2 threads)");
        assert_eq!(rows[0].bytes, Some(1024));
        assert_eq!(rows[0].compile_s, Some(1.0));
        assert_eq!(rows[0].note.as_deref(), Some("n"));
        assert_eq!(rows[0].timings.median(), 0.375);
        assert!(matches!(rows[1].check, Check::Failed(_)));
        assert_eq!(rows[1].samples, Some(10_000));
    }

    #[test]
    fn parses_gpu_rows() {
        let out = r#"{"meta": true, "python": "3.12.3", "numpy": "2.1", "numba": "0.61.2", "device": "NVIDIA H200", "cupy": "13.4"}
{"workload": "add_scalar f64 4x4x4", "form": "cupy add(out=)", "repeats_s": [0.002, 0.004], "first_call_s": 0.5, "compile_s": 0.4, "bytes": 1024, "check": "passed", "gpu": {"host_to_device_s": 0.0, "kernel_s": 0.003, "device_to_host_s": 0.0, "total_s": 0.0031}}
{"workload": "add_scalar f64 4x4x4", "form": "blog's timing: launch, no synchronize", "repeats_s": [1e-5], "first_call_s": null, "bytes": null, "check": "passed"}
"#;
        let rows = parse(out).unwrap();
        assert_eq!(
            rows[0].backend,
            "python 3.12.3, numba 0.61.2 on NVIDIA H200"
        );
        let g = rows[0].gpu.expect("a GPU row");
        assert_eq!((g.kernel_s, g.total_s), (0.003, 0.0031));
        assert!(rows[1].gpu.is_none() && rows[1].bytes.is_none());
        assert_eq!(rows[1].timings.first_call_s, None);
    }

    #[test]
    fn only_an_explicit_yes_installs() {
        for yes in ["y", "Y\n", " yes ", "YES"] {
            assert!(is_yes(yes), "{yes:?}");
        }
        for no in ["", "\n", "n", "no", "yep", "sure", "y y"] {
            assert!(!is_yes(no), "{no:?}");
        }
    }

    #[test]
    fn the_setup_command_is_the_users_own_plus_the_flag() {
        assert_eq!(
            with_setup_flag("cargo xtask bench --quick --backend serial"),
            "cargo xtask bench --quick --backend serial --setup-python"
        );
        assert_eq!(
            with_setup_flag("cargo xtask bench --setup-python"),
            "cargo xtask bench --setup-python"
        );
    }

    #[test]
    fn missing_rows_are_named_by_what_the_configuration_runs() {
        let cfg = |a: &str| {
            let args: Vec<String> = a.split_whitespace().map(String::from).collect();
            match Config::from_args(&args, &crate::workloads::Suite) {
                Ok(crate::config::Request::Run(c)) => c,
                other => panic!("{a}: {other:?}"),
            }
        };
        let all = rows_for(&cfg("--size 2x2x2")).unwrap();
        assert!(
            all.contains("pure Python, NumPy and Numba add")
                && all.contains("Numba Monte Carlo")
                && all.contains("Numba CUDA and CuPy"),
            "{all}"
        );
        let add = rows_for(&cfg("--size 2x2x2 --workload add --backend parallel")).unwrap();
        assert_eq!(add, "the Python rows (pure Python, NumPy and Numba add)");
        assert_eq!(
            rows_for(&cfg("--size 2x2x2 --workload launch --backend serial")),
            None
        );
        // The map's peers run in rounds with its rows: the worker, not the
        // script, and only beside the CPU backends.
        let map = cfg("--size 2x2x2 --workload map");
        assert!(rows_for(&map).unwrap().contains("@vectorize"));
        assert!(worker_needed(&map) && !Script::Cpu.active(&map));
        assert!(!worker_needed(&cfg(
            "--size 2x2x2 --workload map --backend simulator"
        )));
        // The add's compared peers too, and its script's rows after.
        let add = cfg("--size 2x2x2 --workload add --backend serial");
        assert!(worker_needed(&add) && Script::Cpu.active(&add));
        assert!(!worker_needed(&cfg("--size 2x2x2 --workload pi")));
        assert_eq!(
            rows_for(&cfg("--size 2x2x2 --workload add --backend simulator")),
            None
        );
        assert_eq!(
            rows_for(&cfg("--size 2x2x2 --backend simulator")).unwrap(),
            "the Python rows (the same kernels under Numba's CUDA simulator)"
        );
        let all = rows_for(&cfg("--size 2x2x2 --backend serial")).unwrap();
        assert!(!all.contains("CUDA simulator"), "{all}");
        assert!(rows_for(&cfg("--sweep --quick")).unwrap().contains("sweep"));
    }

    #[test]
    fn malformed_output_is_an_error() {
        assert!(parse("not json").is_err());
        assert!(parse(r#"{"workload": "w", "form": "f"}"#).is_err());
    }
}
