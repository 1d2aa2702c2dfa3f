//! `hotloop-bench`: the cross-backend comparison suite. Run it through
//! `cargo xtask bench`, which builds it in release mode.

mod chart;
mod config;
mod gpu;
mod inputs;
mod interpreter;
mod machine;
mod measure;
mod mpi;
mod peers;
mod progress;
mod python;
mod report;
mod row;
mod sweep;
mod targets;
mod workloads;

use config::Config;
use std::io::IsTerminal as _;
use std::process::ExitCode;

/// Exit status of a bad argument (clap's, which `cargo xtask bench` passes
/// on as its own).
const USAGE: u8 = 2;

fn main() -> ExitCode {
    // `args_os`: `args` panics on an argument that is not UTF-8.
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    // Every argument parsed and validated before any work: `--help` and a
    // bad argument end here (exit 0 and 2), and so does an argument this
    // machine cannot honour (a CUDA device it lacks, an `--out` it cannot
    // write), each in one line.
    let mut cfg = match Config::from_args(&args, &workloads::Suite) {
        Ok(config::Request::Run(c)) => c,
        Ok(config::Request::CudaAvailable) => return cuda_available(),
        Err(e) if e.use_stderr() => {
            eprintln!("{}", config::usage_line(&e));
            return ExitCode::from(USAGE);
        }
        Err(e) => e.exit(),
    };
    if let Err(e) = cfg.check_machine() {
        eprintln!("error: {e}");
        return ExitCode::from(USAGE);
    }
    if let Err(e) = cfg.start_pool() {
        eprintln!("hotloop-bench: {e}");
        return ExitCode::FAILURE;
    }
    let outcome = if cfg.sweep {
        run_sweep(&cfg)
    } else {
        run(&cfg)
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!(
                "hotloop-bench: {}",
                if cfg.sweep {
                    "a point computed a wrong answer (marked ✗)"
                } else {
                    "some rows computed a wrong answer (marked ✗)"
                }
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("hotloop-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Exit status of `--cuda-available` when no device can run the kernels.
const NO_CUDA: u8 = 3;

/// `--cuda-available`: one line naming device 0 (exit 0) or saying why the
/// CUDA backend cannot run here (exit [`NO_CUDA`]), within the time it takes
/// to load the driver and the kernels.
fn cuda_available() -> ExitCode {
    match hotloop_cuda::device(0) {
        Ok(dev) => {
            let i = dev.info();
            println!(
                "cuda:0 {} (compute capability {}.{}, {} multiprocessors, {:.0} GiB, driver CUDA {}.{}, PTX {} in {:.0} ms)",
                i.name,
                i.compute_capability.0,
                i.compute_capability.1,
                i.multiprocessors,
                i.total_memory as f64 / (1u64 << 30) as f64,
                i.driver_version.0,
                i.driver_version.1,
                i.ptx_arch,
                i.module_load.as_secs_f64() * 1e3,
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("no CUDA device: {e}");
            ExitCode::from(NO_CUDA)
        }
    }
}

/// The interpreter for the Python rows, or `None` if they are not to run
/// (with one line saying which rows are missing and the command that adds
/// them). Nothing is installed without `--setup-python`, or a "y" typed at
/// the question asked when stdin and stderr are a terminal (not with
/// `--quick`).
fn python_interpreter(cfg: &Config) -> Result<Option<std::path::PathBuf>, String> {
    use config::PythonMode;
    if cfg.python == PythonMode::Off {
        return Ok(None);
    }
    let Some(rows) = python::rows_for(cfg) else {
        return Ok(None);
    };
    if cfg.setup_python {
        python::setup()?;
    }
    let why = match python::find_interpreter() {
        Ok(p) => return Ok(Some(p)),
        Err(why) => why,
    };
    let command = python::setup_command();
    if cfg.python == PythonMode::On {
        return Err(format!(
            "--python: {why}; `{command}` installs numpy and numba"
        ));
    }
    let tty = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if tty && !cfg.quick && python::ask_to_install(&rows)? {
        python::setup()?;
        return python::find_interpreter().map(Some);
    }
    eprintln!("{rows} missing ({why}): `{command}` adds them");
    Ok(None)
}

/// Runs the size sweep; `Ok(false)` if any point was wrong. A parallel form
/// slower than its serial one by more than 10% at some size is a missed
/// target, printed as the suite prints its own.
fn run_sweep(cfg: &Config) -> Result<bool, String> {
    let machine = machine::Machine::detect(cfg.bind);
    eprintln!("hotloop bench --sweep on {}", machine.summary());
    let python = python_interpreter(cfg)?;
    let mut progress = progress::Progress::new(progress::sweep_steps(cfg, python.is_some()));
    let mut points = sweep::run(cfg, &mut |what| progress.step(what))?;
    if let Some(py) = python {
        progress.step("sweep: NumPy and Numba");
        points.extend(python::sweep_points(cfg, &py, cfg.sweep_max_bytes())?);
    }
    progress.finish();
    let caches = sweep::caches();
    println!("{}", sweep::table(&points));
    let cutoff = hotloop_cpu::parallel::Pool::current().serial_below_bytes();
    println!(
        "the parallel forms run serially below {} per array (measured on this machine; the \
         reductions, which write nothing, below {})",
        hotloop_runtime::Bytes(cutoff as u64),
        hotloop_runtime::Bytes(2 * cutoff as u64)
    );
    let losses = sweep::parallel_losses(&points, 0.1);
    if losses.is_empty() {
        println!("met    the parallel forms within 10% of the serial ones or faster at every size");
    }
    for (kernel, bytes, ratio) in &losses {
        println!(
            "MISSED parallel {kernel} at {}: {ratio:.2} of serial (goal at least 0.9)",
            hotloop_runtime::Bytes(*bytes)
        );
    }
    for (bytes, ratio) in sweep::prange_losses(&points) {
        println!(
            "Numba's prange loop is {ratio:.2} of its range loop at {} (numba #7246, #3213)",
            hotloop_runtime::Bytes(bytes)
        );
    }
    let wrong = points.iter().filter(|p| !p.checked).count();
    if let Some(dir) = &cfg.out_dir {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let title = format!(
            "GB/s against array size, {} ({} stores)",
            machine.summary(),
            hotloop_cpu::store::streaming_stores()
        );
        std::fs::write(dir.join("sweep.svg"), sweep::svg(&points, &caches, &title))
            .map_err(|e| e.to_string())?;
        let json = serde_json::to_string_pretty(&points).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("sweep.json"), json).map_err(|e| e.to_string())?;
        println!("results: {}", dir.display());
    }
    for p in points.iter().filter(|p| !p.checked) {
        println!(
            "✗ {} / {} at {}: wrong answer",
            p.kernel,
            p.backend,
            hotloop_runtime::Bytes(p.bytes)
        );
    }
    Ok(wrong == 0)
}

/// Runs the suite; `Ok(false)` if any row was wrong.
fn run(cfg: &Config) -> Result<bool, String> {
    let machine = machine::Machine::detect(cfg.bind);
    eprintln!("hotloop bench on {}", machine.summary());
    let python = python_interpreter(cfg)?;
    let steps = match cfg.ranks {
        Some(n) => mpi::steps(n),
        None => suite_steps(cfg, python.is_some()),
    };
    let mut progress = progress::Progress::new(steps);
    let (rows, python_failed) = match cfg.ranks {
        Some(n) => (mpi::rows(cfg, n, &mut |what| progress.step(what))?, None),
        None => measure_rows(cfg, python.as_deref(), &mut |what| progress.step(what))?,
    };
    progress.finish();
    let mut machine = machine;
    machine.python = rows
        .iter()
        .find(|r| r.backend.starts_with("python"))
        .map(|r| r.backend.clone());
    let report = report::Report::new(machine, rows);
    print!("{}", report.text_table(report::terminal_width()));
    if let Some(bw) = report.copy_bandwidth_gb_s {
        println!(
            "copy bandwidth: {bw:.1} GB/s (read + write counted); memory-bound rows show their share of it"
        );
    }
    if let Some(bw) = report.read_bandwidth_gb_s {
        println!("read bandwidth: {bw:.1} GB/s; the reductions show their share of it");
    }
    let width = report::terminal_width();
    for t in &report.targets {
        // "met    ", "MISSED " or "n/a    ", the rest hanging after it.
        let line = t.line();
        let (verdict, rest) = line.split_at(7);
        print!("{}", report::wrap(rest, width, verdict));
    }
    for line in [
        targets::missed_summary(&report.targets),
        targets::unjudged_summary(&report.targets),
    ]
    .into_iter()
    .flatten()
    {
        print!("{}", report::wrap(&line, width, ""));
    }
    for r in &report.rows {
        if let row::Check::Failed(why) = &r.check {
            println!("✗ {} / {} / {}: {why}", r.workload, r.backend, r.form);
        }
    }
    if let Some(e) = &python_failed {
        println!("✗ the Python rows: {e}");
    }
    if let Some(dir) = &cfg.out_dir {
        report
            .write(dir)
            .map_err(|e| format!("writing results to {}: {e}", dir.display()))?;
        println!("results: {}", dir.display());
    }
    Ok(!report.any_failed() && python_failed.is_none())
}

/// How many steps [`measure_rows`] takes for `cfg` (with the Python
/// scripts when `python`): one per call of its `progress`, as the test
/// below checks.
fn suite_steps(cfg: &Config, python: bool) -> u64 {
    workloads::steps(cfg) + if python { python::steps(cfg) } else { 0 }
}

/// Measures every row `cfg` selects, the Python peers' too when `python`
/// names an interpreter (the worker's in rounds with the rows they are
/// compared with, the scripts' after all the hotloop rows), calling
/// `progress` at each step. A failing Python peer fails the run, but not
/// the Rust rows' report: its error is returned beside them.
fn measure_rows(
    cfg: &Config,
    python: Option<&std::path::Path>,
    progress: &mut dyn FnMut(&str),
) -> Result<(Vec<row::Row>, Option<String>), String> {
    let mut python_failed = None;
    let peers = match python {
        Some(py) if python::worker_needed(cfg) => match peers::Peers::start(py, cfg) {
            Ok(p) => p,
            Err(e) => {
                python_failed = Some(e);
                peers::Peers::none()
            }
        },
        _ => peers::Peers::none(),
    };
    let mut rows = workloads::measure(cfg, &peers, progress)?;
    python_failed = python_failed.or_else(|| peers.failure());
    drop(peers);
    if let Some(python) = python {
        match python::rows(cfg, python, progress) {
            Ok(r) => rows.extend(r),
            Err(e) => python_failed = python_failed.or(Some(e)),
        }
    }
    Ok((rows, python_failed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_step_count_is_the_number_of_progress_calls() {
        for args in [
            "--size 3x4x5 --samples 1001,2002 --backend serial,parallel,simulator --repeat 1 --no-python",
            "--size 3x4x5 --samples 1001 --backend parallel --workload add,pi,map --repeat 1 --no-python",
            "--size 3x4x5 --samples 1001 --backend simulator --workload stencil,gufunc,reduce --repeat 1 --no-python",
        ] {
            let c = cfg(args);
            let mut calls = 0u64;
            measure_rows(&c, None, &mut |_| calls += 1).unwrap();
            assert_eq!(calls, suite_steps(&c, false), "{args}");
        }
    }

    fn cfg(args: &str) -> Config {
        let args: Vec<String> = args.split_whitespace().map(String::from).collect();
        match Config::from_args(&args, &workloads::Suite) {
            Ok(config::Request::Run(c)) => c,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn a_wrong_backend_fails_the_run() {
        let c = cfg("--size 3x4x5 --workload add --backend serial,wrong --repeat 1 --no-python");
        assert_eq!(run(&c), Ok(false));
    }

    #[test]
    fn right_backends_pass_the_run() {
        let c = cfg(
            "--size 3x4x5 --samples 1001 --backend serial,parallel,simulator --repeat 1 --no-python",
        );
        assert_eq!(run(&c), Ok(true));
    }
}
