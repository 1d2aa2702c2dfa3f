//! The Python side as the suite's two callers of it see it (the scripts
//! run after the hotloop rows, [`crate::python`], and the worker whose
//! peers run in rounds with them, [`crate::peers`]): where the scripts
//! are, their progress lines, and their rows.

use crate::measure::Timings;
use crate::row::{Check, Row, row_id};
use std::path::{Path, PathBuf};

/// The workspace the suite was built from.
pub fn workspace_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

/// A script of `python/`: beside the binary (`bin/../python/`, as the GPU
/// kit lays it out) if there, else in the workspace it was built from.
pub fn script(name: &str) -> PathBuf {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("python").join(name)));
    match beside {
        Some(p) if p.is_file() => p,
        _ => workspace_root().join("python").join(name),
    }
}

/// Binds the OpenMP threads that run Numba's `parallel=True` in a Python
/// process, one to a CPU, as [`crate::config::Config::start_pool`] binds
/// the parallel backend's workers (`OMP_PROC_BIND=true`), so that both
/// sides of a comparison run under the same placement: unless `bind` is
/// off (`--no-bind`) or the user set `OMP_PROC_BIND`.
pub fn bind_openmp(cmd: &mut std::process::Command, bind: bool) {
    if bind && std::env::var_os("OMP_PROC_BIND").is_none() {
        cmd.env("OMP_PROC_BIND", "true");
    }
}

/// Passes a script's stderr (its progress lines), line by line, through
/// [`crate::progress::note`], above the progress bar, from a thread of
/// its own (`None` if its stderr is not piped).
pub fn relay_stderr(child: &mut std::process::Child) -> Option<std::thread::JoinHandle<()>> {
    use std::io::BufRead as _;
    let stderr = child.stderr.take()?;
    Some(std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            crate::progress::note(&line);
        }
    }))
}

/// The Python rows' backend, from a script's first line: the interpreter,
/// Numba's version, and its threads or its GPU.
pub fn backend_name(meta: &serde_json::Value) -> String {
    match (
        meta["python"].as_str(),
        meta["numba"].as_str(),
        meta["threads"].as_u64(),
        meta["device"].as_str(),
    ) {
        (Some(p), Some(n), _, Some(d)) => format!("python {p}, numba {n} on {d}"),
        (Some(p), Some(n), Some(t), _) => format!("python {p}, numba {n} ({t} threads)"),
        (Some(p), ..) => format!("python {p}"),
        _ => "python".into(),
    }
}

/// What a Python row says, from a script's line or the worker's peer.
pub struct PythonRow<'a> {
    pub backend: &'a str,
    pub workload: &'a str,
    pub form: &'a str,
    pub timings: Timings,
    pub bytes: Option<u64>,
    pub samples: Option<u64>,
    pub check: Check,
    pub compile_s: Option<f64>,
    pub note: Option<String>,
}

/// A Python row, its id `python/<workload>/<backend>/<form>` (what
/// [`crate::targets::python`] finds it by).
pub fn row(r: PythonRow) -> Row {
    Row {
        id: row_id(&["python", r.workload, r.backend, r.form]),
        workload: r.workload.into(),
        backend: r.backend.into(),
        form: r.form.into(),
        timings: r.timings,
        bytes: r.bytes,
        samples: r.samples,
        baseline: false,
        check: r.check,
        compile_s: r.compile_s,
        gpu: None,
        note: r.note,
    }
}
