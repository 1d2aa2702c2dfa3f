//! The blog's Python rows, run side by side in the same suite.
//!
//! `python/blog_bench.py` measures the pure-Python loop, NumPy and Numba the
//! way the Rust rows are measured and prints one JSON object per row; this
//! module finds an interpreter that can import NumPy and Numba, runs the
//! script, and turns its lines into [`Row`]s.

use crate::config::Config;
use crate::measure::Timings;
use crate::row::{Check, Row};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn workspace_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

fn script() -> PathBuf {
    workspace_root().join("python/blog_bench.py")
}

/// Where `--setup-python` puts its virtual environment.
pub fn venv_dir() -> PathBuf {
    workspace_root().join("target/hotloop-bench/python-venv")
}

fn venv_python() -> PathBuf {
    venv_dir().join("bin/python")
}

/// An interpreter that can import numpy and numba: the suite's own venv
/// first, then `python3` on the PATH. `Err` says why none could.
pub fn find_interpreter() -> Result<PathBuf, String> {
    let mut tried = Vec::new();
    for candidate in [venv_python(), PathBuf::from("python3")] {
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
    Err(format!(
        "{}; `cargo xtask bench --python --setup-python` installs them into {}",
        tried.join("; "),
        venv_dir().display()
    ))
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
        .arg(workspace_root().join("python/requirements.txt")))
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let status = cmd.status().map_err(|e| format!("{cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed ({status})"))
    }
}

/// Runs the script with the suite's sizes and returns its rows.
pub fn rows(
    cfg: &Config,
    python: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Row>, String> {
    progress("python: numpy and numba rows");
    let mut cmd = Command::new(python);
    cmd.arg(script()).arg("--shape");
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
    if let Some(t) = cfg.threads {
        cmd.args(["--threads", &t.to_string()]);
    }
    let wl: Vec<&str> = ["add", "pi"]
        .into_iter()
        .filter(|w| cfg.runs_workload(w))
        .collect();
    if wl.is_empty() {
        return Ok(Vec::new());
    }
    cmd.args(["--workloads", &wl.join(",")]);
    cmd.stderr(Stdio::inherit());
    let out = cmd
        .output()
        .map_err(|e| format!("running {}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(format!("python/blog_bench.py failed ({})", out.status));
    }
    parse(&String::from_utf8_lossy(&out.stdout))
}

/// Turns the script's JSON lines into rows.
pub fn parse(stdout: &str) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    let mut backend = "python".to_string();
    for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| format!("bad line from blog_bench.py: {e}: {line}"))?;
        if v["meta"].as_bool() == Some(true) {
            backend = match (
                v["python"].as_str(),
                v["numba"].as_str(),
                v["threads"].as_u64(),
            ) {
                (Some(p), Some(n), Some(t)) => format!("python {p}, numba {n} ({t} threads)"),
                (Some(p), _, _) => format!("python {p}"),
                _ => "python".into(),
            };
            continue;
        }
        if let Some(why) = v["skipped"].as_str() {
            eprintln!(
                "python rows skipped ({}): {why}",
                v["form"].as_str().unwrap_or("?")
            );
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
            other => Check::Failed(format!("the Python row's own check said {other:?}")),
        };
        rows.push(Row {
            workload: str_field("workload")?,
            backend: backend.clone(),
            form: str_field("form")?,
            timings: Timings {
                first_call_s: v["first_call_s"].as_f64(),
                repeats_s,
            },
            bytes: v["bytes"].as_u64(),
            samples: v["samples"].as_u64(),
            baseline: false,
            check,
            compile_s: v["compile_s"].as_f64(),
            gpu: None,
            note: v["note"].as_str().map(String::from),
        });
    }
    Ok(rows)
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
    fn malformed_output_is_an_error() {
        assert!(parse("not json").is_err());
        assert!(parse(r#"{"workload": "w", "form": "f"}"#).is_err());
    }
}
