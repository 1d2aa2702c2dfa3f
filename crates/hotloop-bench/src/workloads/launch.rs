//! The host's cost of one kernel launch: the built-in `add_scalar` over
//! empty arrays, one block of one thread, so that nothing but the launch
//! is timed. On the simulator (its host path: arguments, checks, one
//! simulated thread), synchronously and on a stream; on a GPU, queued on a
//! stream (the host's time to queue, `launches` at a time, then one
//! synchronize) beside numba-cuda's same launch on a stream
//! (`python/gpu_bench.py`, which the GPU kit runs), and synchronously
//! (launch, events, synchronize). Each repeat's figure is one launch's
//! share of `launches`.

use super::{Data, PythonPeers, Workload};
use crate::config::Config;
use crate::measure::{Timings, time};
use crate::peers::Peers;
use crate::row::{Check, Row, row_id};
use crate::targets::{Target, median, python, time_ratio};
use hotloop::Error;
use hotloop_kernels::add_scalar;
use hotloop_sim::Simulator;
use ndarray::Array3;

const KIND: &str = "launch";

/// Launches per timed repeat: 10 000 (1 000 with `--quick`).
pub fn launches(cfg: &Config) -> u32 {
    if cfg.quick { 1_000 } else { 10_000 }
}

/// The table's workload name, shared with the Python rows.
pub fn workload_name(n: u32) -> String {
    format!("kernel launch, host time ({n} launches a repeat)")
}

/// numba-cuda's row, which the GPU target compares with.
const NUMBA_STREAM: &str = "numba @cuda.jit on a stream";

/// Goal for a launch queued on a GPU stream, in seconds of host time.
const GOAL_S: f64 = 10e-6;

/// Times `n` calls of `launch` per repeat, one call's share each.
fn per_launch(
    cfg: &Config,
    n: u32,
    mut launch: impl FnMut() -> hotloop::Result<()>,
    mut finish: impl FnMut() -> hotloop::Result<()>,
) -> hotloop::Result<Timings> {
    let t = time(cfg.plan, || {
        for _ in 0..n {
            launch()?;
        }
        finish()
    })?;
    let share = |s: f64| s / f64::from(n);
    Ok(Timings {
        first_call_s: t.first_call_s.map(share),
        repeats_s: t.repeats_s.iter().copied().map(share).collect(),
        rounds: t.rounds,
    })
}

/// The launch workload (`--workload launch`).
pub struct Launch;

impl Workload for Launch {
    fn name(&self) -> &'static str {
        "launch"
    }

    fn data(&self) -> Data {
        Data::OwnArrays
    }

    fn memory(&self, _cfg: &Config, _python: bool) -> Result<u64, String> {
        Ok(1 << 20)
    }

    fn steps(&self, cfg: &Config) -> u64 {
        2 * u64::from(cfg.runs_backend("simulator")) + 2 * u64::from(cfg.runs_backend("cuda"))
    }

    fn rows(
        &self,
        cfg: &Config,
        _input: Option<&Array3<f64>>,
        _peers: &Peers,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Vec<Row>, String> {
        let n = launches(cfg);
        let workload = workload_name(n);
        let mut rows = Vec::new();
        let mut push = |backend: &str, key: &str, form: &str, t: Timings| {
            let mut r = Row::new(row_id(&[KIND, backend, key]), &workload, backend, form, t);
            r.check = Check::Passed;
            // One launch a figure: the throughput column is launches a second.
            r.samples = Some(1);
            r.note =
                Some("one launch's host time: the figure is the repeat over the launches".into());
            rows.push(r);
        };
        let err = |e: Error| format!("launch: {e}");
        if cfg.runs_backend("simulator") {
            let sim = Simulator::new();
            let (x, mut y) = (
                sim.device_array::<f64>(0).map_err(err)?,
                sim.device_array::<f64>(0).map_err(err)?,
            );
            progress("launch: simulator");
            let t = per_launch(
                cfg,
                n,
                || add_scalar::launch::<f64, _>(&sim, (1, 1), &x, &mut y, 0.0),
                || Ok(()),
            )
            .map_err(err)?;
            push("simulator", "sync", "add_scalar, 1 thread", t);
            progress("launch: simulator stream");
            let s = sim.stream();
            let t = per_launch(
                cfg,
                n,
                || add_scalar::launch::<f64, _>(&s, (1, 1), &x, &mut y, 0.0),
                || {
                    s.synchronize();
                    Ok(())
                },
            )
            .map_err(err)?;
            push(
                "simulator",
                "stream",
                "add_scalar, 1 thread, on a stream",
                t,
            );
        }
        if cfg.runs_backend("cuda") {
            let dev = hotloop_cuda::device(0).map_err(err)?;
            let module = hotloop_cuda::Module::builtin(&dev);
            let (x, mut y) = (
                module.device_array::<f64>(0).map_err(err)?,
                module.device_array::<f64>(0).map_err(err)?,
            );
            progress("launch: cuda stream");
            let s = module.stream().map_err(err)?;
            let t = per_launch(
                cfg,
                n,
                || add_scalar::launch::<f64, _>(&s, (1, 1), &x, &mut y, 0.0),
                || s.synchronize(),
            )
            .map_err(err)?;
            push("cuda", "stream", "add_scalar, queued on a stream", t);
            progress("launch: cuda synchronous");
            let t = per_launch(
                cfg,
                n,
                || add_scalar::launch::<f64, _>(&module, (1, 1), &x, &mut y, 0.0).map(drop),
                || Ok(()),
            )
            .map_err(err)?;
            push(
                "cuda",
                "sync",
                "add_scalar, launch, events and synchronize",
                t,
            );
        }
        Ok(rows)
    }

    fn python(&self) -> PythonPeers {
        PythonPeers {
            cpu: None,
            gpu: true,
            simulator: false,
            rounds: false,
            script_too: false,
        }
    }

    /// A launch queued on a GPU stream within 10 us of host time, and no
    /// slower than numba-cuda's.
    fn targets(&self, rows: &[Row]) -> Vec<Target> {
        let mut out = Vec::new();
        let Some(ours) = rows
            .iter()
            .find(|r| r.id == row_id(&[KIND, "cuda", "stream"]))
        else {
            return out;
        };
        out.push(Target::new(
            format!(
                "host time of a launch on a GPU stream / 10 us ({})",
                ours.workload
            ),
            median(ours) / GOAL_S,
            1.0,
            true,
        ));
        if let Some(numba) = python(rows, &ours.workload, NUMBA_STREAM) {
            out.push(Target::new(
                format!("a launch on a stream / {NUMBA_STREAM} ({})", ours.workload),
                time_ratio(ours, numba),
                1.0,
                true,
            ));
        }
        out
    }
}
