//! The MPI rows (`--ranks N`): hotloop's workloads on MPI ranks, launched
//! under `mpirun -n 1..N` on this machine (oversubscribed where `N`
//! exceeds the cores), each row checked against the one-process answer.
//!
//! The ranks run `hotloop-mpi`'s `bench_rows` example (the worker: `cargo
//! xtask bench --ranks N` builds it and names it in
//! [`WORKER_ENV`]), which prints one JSON line of facts per job; the suite
//! itself needs no MPI library. Strong scaling keeps the problem's size
//! fixed from 1 to `N` ranks; weak scaling keeps each rank's share fixed.
//! Beside them, the same workload in one process (2 threads on the
//! parallel backend, no MPI) is the reference the MPI rows are judged by.

use crate::config::Config;
use crate::measure::Timings;
use crate::row::{Check, Row};
use crate::targets::{Target, find, time_ratio};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Environment variable naming the worker binary.
pub const WORKER_ENV: &str = "HOTLOOP_MPI_ROWS";

/// The id of the one-process pi row the MPI pi rows are compared with.
pub const PI_ONE_PROCESS: &str = "mpi/pi/one_process";
/// The id prefix of the strong-scaling pi rows (`.../<ranks>`).
pub const PI_STRONG: &str = "mpi/pi/strong";
/// The id of the one-process Jacobi row.
pub const JACOBI_ONE_PROCESS: &str = "mpi/jacobi/one_process";
/// The id prefix of the strong-scaling Jacobi rows (`.../<ranks>`).
pub const JACOBI_STRONG: &str = "mpi/jacobi/strong";

/// The MPI rows' targets: an embarrassingly parallel count must cost next
/// to nothing on 2 ranks, and a Jacobi sweep with halo exchanges little.
pub fn targets(rows: &[Row]) -> Vec<Target> {
    let mut out = Vec::new();
    if let (Some(one), Some(two)) = (
        find(rows, PI_ONE_PROCESS),
        find(rows, &format!("{PI_STRONG}/2")),
    ) {
        out.push(Target::new(
            format!(
                "MPI pi on 2 ranks x 1 thread / one process on 2 threads ({})",
                one.workload
            ),
            time_ratio(one, two),
            0.9,
            false,
        ));
    }
    if let (Some(one), Some(two)) = (
        find(rows, JACOBI_ONE_PROCESS),
        find(rows, &format!("{JACOBI_STRONG}/2")),
    ) {
        out.push(Target::new(
            format!(
                "MPI Jacobi on 2 ranks x 1 thread / one process on 2 threads ({})",
                one.workload
            ),
            time_ratio(one, two),
            0.8,
            false,
        ));
    }
    out
}

/// One job's facts as the worker prints them.
#[derive(Debug, Deserialize)]
struct Facts {
    ranks: usize,
    threads: usize,
    #[serde(default)]
    halo_s: Option<f64>,
    first_call_s: f64,
    repeats_s: Vec<f64>,
    answer: String,
    one_process: String,
}

/// How long one `mpirun` may take before it is killed and the row fails:
/// far beyond a row's few seconds, far below a hang.
const JOB_LIMIT: Duration = Duration::from_secs(600);

/// The workloads the MPI rows run, with their sizes.
struct Sizes {
    /// Monte Carlo samples (strong scaling; weak: this many / N per rank).
    pi_samples: u64,
    /// Elements of the summed array (strong; weak: per rank / N).
    sum_elements: u64,
    /// The Jacobi grid's side and sweeps (strong scaling).
    jacobi: (usize, usize),
}

fn sizes(cfg: &Config) -> Sizes {
    if cfg.quick {
        Sizes {
            pi_samples: 100_000_000,
            sum_elements: 1 << 24,
            jacobi: (1024, 20),
        }
    } else {
        Sizes {
            pi_samples: 1_000_000_000,
            sum_elements: 1 << 27,
            jacobi: (4096, 100),
        }
    }
}

/// Progress steps [`rows`] reports for `ranks`.
pub fn steps(ranks: usize) -> u64 {
    // Pi and sum: one-process reference, strong 1..=N, weak 1..=N;
    // Jacobi: the reference and strong 1..=N.
    2 * (1 + 2 * ranks as u64) + 1 + ranks as u64
}

/// Every MPI row for `1..=ranks` ranks.
pub fn rows(
    cfg: &Config,
    ranks: usize,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Row>, String> {
    let worker = worker()?;
    let mpirun = Mpirun::detect()?;
    let s = sizes(cfg);
    let mut rows = Vec::new();
    let threads = 2;

    progress("mpi: pi in one process");
    let b = hotloop::Backend::parallel_with_threads(threads).map_err(|e| e.to_string())?;
    let mut hits = 0;
    let t = crate::measure::time(cfg.plan, || {
        hits = hotloop::monte_carlo_pi(b, s.pi_samples, crate::workloads::pi::SEED)?.hits;
        Ok::<_, hotloop::Error>(())
    })
    .map_err(|e| e.to_string())?;
    let mut r = Row::new(
        PI_ONE_PROCESS.into(),
        format!("mpi pi {} samples", fmt_count(s.pi_samples)),
        b.to_string(),
        "one process, no MPI",
        t,
    );
    r.samples = Some(s.pi_samples);
    r.baseline = true;
    r.check = check(
        &hits.to_string(),
        &hotloop_cpu::montecarlo::count_hits_serial(crate::workloads::pi::SEED, s.pi_samples)
            .to_string(),
    );
    r.note = Some("the reference of the MPI rows below: the same count in one process".into());
    rows.push(r);
    for n in 1..=ranks {
        progress(&format!("mpi: pi, strong scaling, {}", plural(n, "rank")));
        let f = mpirun.job(
            &worker,
            n,
            &["pi", "--size", &s.pi_samples.to_string()],
            cfg,
        )?;
        let mut r = row(
            &format!("{PI_STRONG}/{n}"),
            format!("mpi pi {} samples", fmt_count(s.pi_samples)),
            &f,
        );
        r.samples = Some(s.pi_samples);
        r.note = Some("strong scaling: the same samples over more ranks".into());
        rows.push(r);
    }
    for n in 1..=ranks {
        progress(&format!("mpi: pi, weak scaling, {}", plural(n, "rank")));
        let samples = s.pi_samples / ranks as u64 * n as u64;
        let f = mpirun.job(&worker, n, &["pi", "--size", &samples.to_string()], cfg)?;
        let mut r = row(
            &format!("mpi/pi/weak/{n}"),
            format!(
                "mpi pi {} samples per rank, weak scaling",
                fmt_count(s.pi_samples / ranks as u64)
            ),
            &f,
        );
        r.samples = Some(samples);
        r.note = Some("weak scaling: the same samples per rank; flat times scale".into());
        rows.push(r);
    }

    progress("mpi: sum in one process");
    let planes = (s.sum_elements as usize).div_ceil(1 << 20).max(1);
    // Any values do for the one-process time; the MPI rows' answers are
    // checked by the worker against its own one-process sum.
    let x = crate::inputs::input([planes, 1024, 1024])?;
    let mut total = 0.0;
    let t = crate::measure::time(cfg.plan, || {
        total = hotloop::sum(b, &x)?;
        Ok::<_, hotloop::Error>(())
    })
    .map_err(|e| e.to_string())?;
    let bytes = (x.len() * size_of::<f64>()) as u64;
    let workload = format!("mpi sum f64 {planes}x1024x1024");
    let mut r = Row::new(
        "mpi/sum/one_process".into(),
        workload.clone(),
        b.to_string(),
        "one process, no MPI",
        t,
    );
    r.bytes = Some(bytes);
    r.baseline = true;
    let serial = hotloop::sum(hotloop::Backend::Serial, &x).map_err(|e| e.to_string())?;
    r.check = check(
        &format!("{:#x}", total.to_bits()),
        &format!("{:#x}", serial.to_bits()),
    );
    r.note = Some("the reference of the MPI rows below: the same sum in one process".into());
    rows.push(r);
    drop(x);
    for n in 1..=ranks {
        progress(&format!("mpi: sum, strong scaling, {}", plural(n, "rank")));
        let f = mpirun.job(
            &worker,
            n,
            &["sum", "--size", &s.sum_elements.to_string()],
            cfg,
        )?;
        let mut r = row(&format!("mpi/sum/strong/{n}"), workload.clone(), &f);
        r.bytes = Some(bytes);
        r.note = Some("strong scaling: the same array over more ranks, bit-identical sum".into());
        rows.push(r);
    }
    for n in 1..=ranks {
        progress(&format!("mpi: sum, weak scaling, {}", plural(n, "rank")));
        let per_rank = (s.sum_elements / ranks as u64).max(1 << 20);
        let elements = per_rank * n as u64;
        let f = mpirun.job(&worker, n, &["sum", "--size", &elements.to_string()], cfg)?;
        let mut r = row(
            &format!("mpi/sum/weak/{n}"),
            format!(
                "mpi sum f64 {}x1024x1024 per rank, weak scaling",
                per_rank >> 20
            ),
            &f,
        );
        r.bytes = Some((elements as usize).div_ceil(1 << 20) as u64 * (8 << 20));
        r.note = Some("weak scaling: the same slab per rank".into());
        rows.push(r);
    }

    rows.extend(jacobi_rows(
        cfg, &mpirun, &worker, ranks, s.jacobi, progress,
    )?);
    Ok(rows)
}

/// Jacobi sweeps on an `n x n` grid: one process on 2 threads, then
/// `1..=ranks` ranks (strong scaling), each row's note giving the halo
/// exchange's share of its time.
fn jacobi_rows(
    cfg: &Config,
    mpirun: &Mpirun,
    worker: &Path,
    ranks: usize,
    (n, sweeps): (usize, usize),
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Row>, String> {
    use hotloop::{Boundary, Jacobi5, stencil2_into};
    let workload = format!("mpi jacobi f64 {n}^2, {sweeps} sweeps");
    // Bytes a sweep must move at least: read the grid, write the next one.
    let bytes = Some((2 * n * n * size_of::<f64>() * sweeps) as u64);
    let mut rows = Vec::new();
    progress("mpi: Jacobi in one process");
    let b = hotloop::Backend::parallel_with_threads(2).map_err(|e| e.to_string())?;
    let start =
        ndarray::Array2::from_shape_fn((n, n), |(i, j)| ((i * 31 + j * 17) % 1000) as f64 * 1e-3);
    let (mut a, mut next) = (start.clone(), start.clone());
    let t = crate::measure::time(cfg.plan, || {
        a.assign(&start);
        for _ in 0..sweeps {
            stencil2_into(b, Jacobi5, &a, Boundary::PadConstant(1.0), &mut next)?;
            std::mem::swap(&mut a, &mut next);
        }
        Ok::<_, hotloop::Error>(())
    })
    .map_err(|e| e.to_string())?;
    let mut r = Row::new(
        JACOBI_ONE_PROCESS.into(),
        workload.clone(),
        b.to_string(),
        "one process, no MPI",
        t,
    );
    r.bytes = bytes;
    r.baseline = true;
    // The worker checks each job against one process; here the same
    // sweeps on the serial backend check this row.
    let mut s = start.clone();
    let mut s_next = start.clone();
    for _ in 0..sweeps {
        stencil2_into(
            hotloop::Backend::Serial,
            Jacobi5,
            &s,
            Boundary::PadConstant(1.0),
            &mut s_next,
        )
        .map_err(|e| e.to_string())?;
        std::mem::swap(&mut s, &mut s_next);
    }
    r.check = if s
        .iter()
        .zip(a.iter())
        .all(|(x, y)| x.to_bits() == y.to_bits())
    {
        Check::Passed
    } else {
        Check::Failed("2 threads differ from serial".into())
    };
    r.note = Some("the reference of the MPI rows below: the same sweeps in one process".into());
    rows.push(r);
    for k in 1..=ranks {
        progress(&format!(
            "mpi: Jacobi, strong scaling, {}",
            plural(k, "rank")
        ));
        let f = mpirun.job(
            worker,
            k,
            &[
                "jacobi",
                "--size",
                &n.to_string(),
                "--sweeps",
                &sweeps.to_string(),
            ],
            cfg,
        )?;
        let mut r = row(&format!("{JACOBI_STRONG}/{k}"), workload.clone(), &f);
        r.bytes = bytes;
        let share = f.halo_s.map_or(0.0, |h| h / r.timings.median());
        r.note = Some(format!(
            "strong scaling; halo exchange {:.0}% of the time (the rank that waited least)",
            100.0 * share
        ));
        rows.push(r);
    }
    Ok(rows)
}

fn check(answer: &str, one_process: &str) -> Check {
    if answer == one_process {
        Check::Passed
    } else {
        Check::Failed(format!("{answer}, one process {one_process}"))
    }
}

/// A row from a job's facts, labelled `mpi, R ranks x T thread(s)`.
fn row(id: &str, workload: String, f: &Facts) -> Row {
    let mut r = Row::new(
        id.into(),
        workload,
        "mpi",
        format!(
            "mpi, {} x {}",
            plural(f.ranks, "rank"),
            plural(f.threads, "thread")
        ),
        Timings {
            first_call_s: Some(f.first_call_s),
            repeats_s: f.repeats_s.clone(),
            rounds: None,
        },
    );
    r.check = check(&f.answer, &f.one_process);
    r
}

/// `1 rank`, `3 ranks`.
fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// `1e9` for round powers of ten, else the number.
fn fmt_count(n: u64) -> String {
    let e = (n as f64).log10();
    if n > 0 && e.fract() == 0.0 {
        format!("1e{e}")
    } else {
        n.to_string()
    }
}

/// The worker binary, from [`WORKER_ENV`].
fn worker() -> Result<PathBuf, String> {
    let path = std::env::var_os(WORKER_ENV).map(PathBuf::from).ok_or_else(|| {
        format!("--ranks runs hotloop-mpi's bench_rows worker: run it as `cargo xtask bench --ranks N`, which builds it (or set {WORKER_ENV})")
    })?;
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!("{WORKER_ENV}={} is not a file", path.display()))
    }
}

/// How to launch a job here.
struct Mpirun {
    /// Open MPI (root and oversubscription settings) or another MPI.
    open_mpi: bool,
}

impl Mpirun {
    fn detect() -> Result<Mpirun, String> {
        let out = Command::new("mpirun")
            .arg("--version")
            .output()
            .map_err(|e| {
                format!("--ranks needs mpirun (`cargo xtask bench --ranks N` installs MPI): {e}")
            })?;
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        Ok(Mpirun {
            open_mpi: text.contains("Open MPI") || text.contains("OpenRTE"),
        })
    }

    /// Runs the worker on `ranks` ranks with `args` and the run's repeats;
    /// its one line of facts, or why not.
    fn job(
        &self,
        worker: &Path,
        ranks: usize,
        args: &[&str],
        cfg: &Config,
    ) -> Result<Facts, String> {
        let mut cmd = Command::new("mpirun");
        if self.open_mpi {
            // One machine, maybe more ranks than cores, maybe as root
            // (containers, CI): Open MPI refuses all three by default.
            cmd.args(["--oversubscribe", "--bind-to", "none"])
                .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
                .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
        }
        cmd.arg("-n")
            .arg(ranks.to_string())
            .arg(worker)
            .args(args)
            .args(["--repeat", &cfg.plan.repeat.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| format!("starting mpirun: {e}"))?;
        let started = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
                break s;
            }
            if started.elapsed() > JOB_LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "mpirun -n {ranks} {}: no answer within {JOB_LIMIT:?}",
                    args.join(" ")
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !status.success() {
            return Err(format!(
                "mpirun -n {ranks} {} failed ({status}): {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let line = stdout.lines().find(|l| l.starts_with('{')).ok_or_else(|| {
            format!(
                "mpirun -n {ranks} {}: no result line in {stdout:?}",
                args.join(" ")
            )
        })?;
        serde_json::from_str(line).map_err(|e| format!("mpi worker's line {line:?}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_become_checked_rows_labelled_with_the_layout() {
        let f: Facts = serde_json::from_str(
            r#"{"op":"pi","ranks":3,"threads":1,"size":100,"first_call_s":0.5,"repeats_s":[0.25,0.5],"answer":"78","one_process":"78"}"#,
        )
        .unwrap();
        let r = row("mpi/pi/strong/3", "mpi pi 100 samples".into(), &f);
        assert_eq!(r.form, "mpi, 3 ranks x 1 thread");
        assert_eq!(r.check, Check::Passed);
        assert_eq!(r.timings.repeats_s, vec![0.25, 0.5]);
        let wrong = Facts {
            answer: "79".into(),
            ..f
        };
        assert!(matches!(
            row("x", "w".into(), &wrong).check,
            Check::Failed(_)
        ));
        assert_eq!(fmt_count(1_000_000_000), "1e9");
        assert_eq!(fmt_count(33_000_000), "33000000");
    }
}
