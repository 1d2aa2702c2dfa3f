//! Numba's pipelined add: 1 GiB of f64 in 8 pinned chunks over 2 streams
//! (chunk `c` on stream `c % 2`: copy in, kernel, copy out, each queued
//! and returning at once, so one stream's copies overlap the other's
//! kernel), against the same data as one synchronous round trip, and
//! beside the same pipeline in numba-cuda (`python/gpu_bench.py`). GPU
//! rows only: the simulator runs a stream's work as it is queued, so its
//! pipeline would time nothing a GPU does (`examples/custom-kernels`
//! checks it there).

use super::{Data, PythonPeers, Workload};
use crate::config::Config;
use crate::measure::time;
use crate::peers::Peers;
use crate::row::{Check, Row, row_id};
use crate::targets::{Target, python, time_ratio};
use hotloop::Error;
use hotloop_kernels::add_scalar;
use ndarray::Array3;

const KIND: &str = "pipeline";

/// Chunks, and streams they alternate over.
const CHUNKS: usize = 8;
const STREAMS: usize = 2;

/// Elements: 1 GiB of f64 (8 MiB with `--quick`).
pub fn elements(cfg: &Config) -> usize {
    if cfg.quick { 1 << 20 } else { 1 << 27 }
}

/// The table's workload name, shared with the Python rows.
pub fn workload_name(n: usize) -> String {
    format!("add 2, {n} f64 in {CHUNKS} chunks over {STREAMS} streams")
}

/// numba-cuda's row, which the target compares with.
const NUMBA_PIPELINE: &str = "numba-cuda pipeline (pinned, 2 streams)";

/// Element `i`, as `python/gpu_bench.py` builds it.
fn element(i: usize) -> f64 {
    (i % 4099) as f64 * 0.25
}

/// The pipeline workload (`--workload pipeline`).
pub struct Pipeline;

impl Workload for Pipeline {
    fn name(&self) -> &'static str {
        "pipeline"
    }

    fn data(&self) -> Data {
        Data::OwnArrays
    }

    /// The input, the pinned chunks in and out, the round trip's result.
    fn memory(&self, cfg: &Config, _python: bool) -> Result<u64, String> {
        Ok(4 * 8 * elements(cfg) as u64)
    }

    fn steps(&self, cfg: &Config) -> u64 {
        2 * u64::from(cfg.runs_backend("cuda"))
    }

    fn rows(
        &self,
        cfg: &Config,
        _input: Option<&Array3<f64>>,
        _peers: &Peers,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Vec<Row>, String> {
        if !cfg.runs_backend("cuda") {
            return Ok(Vec::new());
        }
        let err = |e: Error| format!("pipeline: {e}");
        let n = elements(cfg);
        let chunk = n / CHUNKS;
        let workload = workload_name(n);
        let x: Vec<f64> = (0..n).map(element).collect();
        let dev = hotloop_cuda::device(0).map_err(err)?;
        let module = hotloop_cuda::Module::builtin(&dev);
        let mut pin_in = Vec::new();
        let mut pin_out = Vec::new();
        for c in x.chunks(chunk) {
            let mut p = dev.pinned_array::<f64>(chunk).map_err(err)?;
            p.as_mut_slice().map_err(err)?.copy_from_slice(c);
            pin_in.push(p);
            pin_out.push(dev.pinned_array::<f64>(chunk).map_err(err)?);
        }
        let streams = [module.stream().map_err(err)?, module.stream().map_err(err)?];
        let mut d_in = Vec::new();
        let mut d_out = Vec::new();
        for _ in 0..STREAMS {
            d_in.push(module.device_array::<f64>(chunk).map_err(err)?);
            d_out.push(module.device_array::<f64>(chunk).map_err(err)?);
        }
        let grid = (dev.info().multiprocessors * 4, 256);
        progress("pipeline: 8 chunks over 2 streams");
        let t = time(cfg.plan, || {
            let mut pending = Vec::with_capacity(2 * CHUNKS);
            for (c, (input, output)) in pin_in.iter().zip(pin_out.iter_mut()).enumerate() {
                let (s, st) = (c % STREAMS, &streams[c % STREAMS]);
                pending.push(st.copy_to_device_async(input, &mut d_in[s])?);
                add_scalar::launch::<f64, _>(st, grid, &d_in[s], &mut d_out[s], 2.0)?;
                pending.push(st.copy_to_host_async(&d_out[s], output)?);
            }
            pending.into_iter().try_for_each(|p| p.wait())
        })
        .map_err(err)?;
        let mut ok = true;
        for (c, out) in pin_out.iter().enumerate() {
            let got = out.as_slice().map_err(err)?;
            ok &= got.iter().zip(&x[c * chunk..]).all(|(g, v)| *g == v + 2.0);
        }
        let mut rows = Vec::new();
        let mut push = |key: &str, form: &str, t, ok: bool| {
            let mut r = Row::new(row_id(&[KIND, "cuda", key]), &workload, "cuda", form, t);
            r.check = if ok {
                Check::Passed
            } else {
                Check::Failed("an element is not its input + 2".into())
            };
            // Read once and written once, across the bus each way.
            r.bytes = Some(2 * 8 * n as u64);
            rows.push(r);
        };
        push("pinned_streams", "pinned chunks, 2 streams", t, ok);
        progress("pipeline: one synchronous round trip");
        let mut y = vec![0.0; n];
        let t = time(cfg.plan, || {
            let d = module.to_device(&x)?;
            let mut d_y = module.device_array_like(&d)?;
            add_scalar::launch::<f64, _>(&module, grid, &d, &mut d_y, 2.0)?;
            d_y.copy_to_host_into(&mut y)
        })
        .map_err(err)?;
        let ok = y.iter().zip(&x).all(|(g, v)| *g == v + 2.0);
        push("round_trip", "one synchronous round trip (pageable)", t, ok);
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

    /// The pipeline faster than the synchronous round trip, and no slower
    /// than numba-cuda's.
    fn targets(&self, rows: &[Row]) -> Vec<Target> {
        let find = |key: &str| rows.iter().find(|r| r.id == row_id(&[KIND, "cuda", key]));
        let mut out = Vec::new();
        let Some(ours) = find("pinned_streams") else {
            return out;
        };
        if let Some(sync) = find("round_trip") {
            out.push(Target::new(
                format!("pipeline time / synchronous round trip ({})", ours.workload),
                time_ratio(ours, sync),
                1.0,
                true,
            ));
        }
        if let Some(numba) = python(rows, &ours.workload, NUMBA_PIPELINE) {
            out.push(Target::new(
                format!("pipeline time / {NUMBA_PIPELINE} ({})", ours.workload),
                time_ratio(ours, numba),
                1.0,
                true,
            ));
        }
        out
    }
}
