//! The simulators side by side: a block reduction over 1e7 f64 as a user's
//! `#[kernel]` on hotloop's simulator, beside the same kernel under Numba's
//! (`NUMBA_ENABLE_CUDASIM=1`, `python/blog_bench.py`) in the same run.
//!
//! Two kernels, each thread summing its grid-stride share and the block
//! adding its sum to `total[0]` by one atomic: `shuffle`, whose warps fold
//! by `shfl_down_sync` (numba-examples' reduction with warp shuffles), and
//! `tree`, a shared-memory tree with a barrier between steps. Numba's
//! simulator has no warp shuffles (its `cuda.shfl_down_sync` is an
//! `AttributeError`, numba 0.68 and numba-cuda 0.30 alike), so it runs
//! the tree kernel only, and the script says so; the comparison is the
//! tree kernel's on both, with the shuffle kernel's row beside it.

use super::{Data, PythonPeers, Workload};
use crate::config::Config;
use crate::measure::time;
use crate::peers::Peers;
use crate::row::{Check, Row, row_id};
use crate::targets::{Target, python, time_ratio};
use hotloop_device::prelude::*;
use hotloop_sim::Simulator;
use ndarray::Array3;

const KIND: &str = "warp_sum";

/// The launch both simulators run: 8 blocks of 256 threads. (Numba's
/// simulator makes a Python thread of each CUDA thread, some 3 ms apiece:
/// a larger grid would time its thread start-up more than its sum.)
pub const LAUNCH: (u32, u32) = (8, 256);

/// Elements: 1e7 (1e5 with `--quick`).
pub fn elements(cfg: &Config) -> usize {
    if cfg.quick { 100_000 } else { 10_000_000 }
}

/// Element `i`: an integer from -500 to 512, so every order of additions
/// is exact and both simulators' sums are checked exactly;
/// `python/blog_bench.py` builds the same.
pub fn element(i: usize) -> f64 {
    (i * 7919 % 1013) as f64 - 500.0
}

/// The warp-shuffle reduction (whole warps: the block is a multiple of
/// 32 threads).
#[kernel]
pub fn shuffle_sum(x: &[f64], total: Out<f64>) {
    let warp_sums = shared_array!(f64, 32);
    let mut v = 0.0;
    for i in grid_stride(x.len()) {
        v += x[i];
    }
    let mut offset = 16;
    while offset > 0 {
        v += shfl_down_sync(FULL_MASK, v, offset);
        offset /= 2;
    }
    let (lane, warp) = (lane_id(), thread_rank() / 32);
    if lane == 0 {
        warp_sums.set(warp, v);
    }
    sync_threads();
    if warp == 0 {
        let warps = (block_dim().count() / 32) as u32;
        let mut s = if lane < warps {
            warp_sums.get(lane as usize)
        } else {
            0.0
        };
        let mut offset = 16;
        while offset > 0 {
            s += shfl_down_sync(FULL_MASK, s, offset);
            offset /= 2;
        }
        if lane == 0 {
            total.atomic_add(0, s);
        }
    }
}

/// The shared-memory tree reduction (a power-of-two block), as Numba's
/// simulator can run it.
#[kernel]
pub fn tree_sum(x: &[f64], total: Out<f64>) {
    let tile = shared_array!(f64, 1024);
    let mut v = 0.0;
    for i in grid_stride(x.len()) {
        v += x[i];
    }
    let t = thread_idx().x as usize;
    tile.set(t, v);
    sync_threads();
    let mut s = block_dim().x as usize / 2;
    while s > 0 {
        if t < s {
            tile.set(t, tile.get(t) + tile.get(t + s));
        }
        sync_threads();
        s /= 2;
    }
    if t == 0 {
        total.atomic_add(0, tile.get(0));
    }
}

/// The warp-sum workload (`--workload warp-sum`).
pub struct WarpSum;

impl Workload for WarpSum {
    fn name(&self) -> &'static str {
        "warp-sum"
    }

    fn data(&self) -> Data {
        Data::OwnArrays
    }

    /// The input and its simulated device copy; NumPy's and the Python
    /// simulator's copies.
    fn memory(&self, cfg: &Config, _python: bool) -> Result<u64, String> {
        Ok(2 * 8 * elements(cfg) as u64)
    }

    fn steps(&self, cfg: &Config) -> u64 {
        if cfg.runs_backend("simulator") { 2 } else { 0 }
    }

    fn rows(
        &self,
        cfg: &Config,
        _input: Option<&Array3<f64>>,
        _peers: &Peers,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Vec<Row>, String> {
        if !cfg.runs_backend("simulator") {
            return Ok(Vec::new());
        }
        let n = elements(cfg);
        let workload = workload_name(n);
        let x: Vec<f64> = (0..n).map(element).collect();
        let want: f64 = x.iter().sum();
        let sim = Simulator::new();
        let d_x = sim.to_device(&x).map_err(|e| e.to_string())?;
        let mut rows = Vec::new();
        for (key, form) in [
            ("shuffle", "#[kernel] warp-shuffle sum"),
            ("tree", "#[kernel] shared-memory tree sum"),
        ] {
            progress(&format!("warp-sum: {key} kernel on the simulator"));
            let mut got = f64::NAN;
            let t = time(cfg.simulator_plan(), || {
                let mut total = sim.device_array::<f64>(1)?;
                match key {
                    "shuffle" => shuffle_sum::launch(&sim, LAUNCH, &d_x, &mut total)?,
                    _ => tree_sum::launch(&sim, LAUNCH, &d_x, &mut total)?,
                }
                got = total.copy_to_host()?[0];
                Ok::<(), hotloop::Error>(())
            })
            .map_err(|e| format!("warp-sum {key}: {e}"))?;
            let backend = format!("simulator ({}x{})", LAUNCH.0, LAUNCH.1);
            let mut r = Row::new(
                row_id(&[KIND, "simulator", key]),
                &workload,
                backend,
                form,
                t,
            );
            r.check = if got == want {
                Check::Passed
            } else {
                Check::Failed(format!("sum {got}, exact {want}"))
            };
            r.bytes = Some(8 * n as u64);
            r.note = Some(
                "every thread of a block a coroutine, warps in lockstep at each shuffle, masks \
                 and barriers checked"
                    .into(),
            );
            rows.push(r);
        }
        Ok(rows)
    }

    fn python(&self) -> PythonPeers {
        PythonPeers {
            cpu: Some("the same kernels under Numba's CUDA simulator"),
            gpu: false,
            simulator: true,
            rounds: false,
            script_too: false,
        }
    }

    /// How many times faster hotloop's simulator is than Numba's on the
    /// tree kernel both run, and its shuffle kernel than Numba's tree: at
    /// least as fast.
    fn targets(&self, rows: &[Row]) -> Vec<Target> {
        let mut out = Vec::new();
        for key in ["tree", "shuffle"] {
            let id = row_id(&[KIND, "simulator", key]);
            let Some(ours) = rows.iter().find(|r| r.id == id) else {
                continue;
            };
            if let Some(numba) = python(rows, &ours.workload, CUDASIM_TREE) {
                out.push(Target::new(
                    format!(
                        "{CUDASIM_TREE} time / simulator {key} kernel ({})",
                        ours.workload
                    ),
                    time_ratio(numba, ours),
                    1.0,
                    false,
                ));
            }
        }
        out
    }
}

/// The Python row of Numba's simulator on the tree kernel.
const CUDASIM_TREE: &str = "numba CUDASIM tree kernel";

/// The workload's name in the table, shared with the Python rows.
pub fn workload_name(n: usize) -> String {
    format!("block sum {n} f64 (simulators)")
}
