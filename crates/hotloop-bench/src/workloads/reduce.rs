//! Reductions (`prange` with `+=`): sum, max, min and count-where.

use super::common::{
    backends, extrapolated, extrapolation_note, facade_backends, shape_bytes, simulator_planes,
};
use super::{Data, Workload};
use crate::config::Config;
use crate::inputs::pattern;
use crate::measure::time;
use crate::row::{Check, Row, row_id};
use hotloop::{Backend, Error, GreaterThan, count_where, max, min, sum};
use ndarray::{Array3, ArrayView3};

/// The reductions measured, by name.
const OPS: [&str; 4] = ["sum", "max", "min", "count > 0"];

/// Runs reduction `op` on `backend`; the count comes back as an `f64`.
fn reduce(op: &str, backend: Backend, x: &ArrayView3<f64>) -> hotloop::Result<f64> {
    match op {
        "sum" => sum(backend, x),
        "max" => max(backend, x),
        "min" => min(backend, x),
        _ => count_where(backend, GreaterThan(0.0), x).map(|c| c as f64),
    }
}

/// The reductions workload (`--workload reduce`).
pub struct Reduce;

impl Workload for Reduce {
    fn name(&self) -> &'static str {
        "reduce"
    }

    fn data(&self) -> Data {
        Data::SharedInput
    }

    /// The input alone: a reduction writes nothing.
    fn memory(&self, cfg: &Config, _python: bool) -> Result<u64, String> {
        shape_bytes(cfg, 1)
    }

    fn steps(&self, cfg: &Config) -> u64 {
        OPS.len() as u64 * facade_backends(cfg)
    }

    fn rows(
        &self,
        cfg: &Config,
        input: Option<&Array3<f64>>,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Vec<Row>, String> {
        rows(cfg, super::shared(input)?, progress)
    }
}

/// Measures every reduction on every selected backend.
fn rows(cfg: &Config, x: &Array3<f64>, progress: &mut dyn FnMut(&str)) -> Result<Vec<Row>, String> {
    let [a, b, c] = cfg.shape;
    // Independent references over the first `len` elements: a compensated
    // sum, plain folds and a count.
    let references = |len: usize| {
        let (mut s, mut comp) = (0.0f64, 0.0f64);
        for i in 0..len {
            let v = pattern(i);
            let t = s + v;
            comp += if s.abs() >= v.abs() {
                (s - t) + v
            } else {
                (v - t) + s
            };
            s = t;
        }
        let abs_sum: f64 = (0..len).map(|i| pattern(i).abs()).sum();
        let sum_tol = (len.max(2) as f64).log2().ceil().max(1.0) * 2048.0 * f64::EPSILON * abs_sum;
        [
            ("sum", s + comp, sum_tol),
            (
                "max",
                (0..len).map(pattern).fold(f64::NEG_INFINITY, f64::max),
                0.0,
            ),
            (
                "min",
                (0..len).map(pattern).fold(f64::INFINITY, f64::min),
                0.0,
            ),
            (
                "count > 0",
                (0..len).filter(|&i| pattern(i) > 0.0).count() as f64,
                0.0,
            ),
        ]
    };
    let full = references(x.len());
    let (planes, factor) = simulator_planes(cfg.shape);
    let part = references(planes * b * c);

    let mut rows = Vec::new();
    for (k, op) in OPS.into_iter().enumerate() {
        let workload = format!("{op} f64 {a}x{b}x{c}");
        for (backend, plan) in backends(cfg)? {
            // The simulator runs the leading planes, extrapolated.
            let sim = matches!(backend, Backend::Simulator { .. });
            let (refs, n, factor) = if sim {
                (&part, planes * b * c, factor)
            } else {
                (&full, x.len(), 1.0)
            };
            let (_, want, tol) = refs[k];
            let xs = x.slice(ndarray::s![..n / (b * c).max(1), .., ..]);
            progress(&format!("reduce: {op} on {backend}"));
            if matches!(backend, Backend::Cuda { .. }) && matches!(op, "sum" | "max") {
                rows.push(cuda_row(cfg, op, &workload, x, want, tol)?);
                continue;
            }
            let mut got = f64::NAN;
            let t = match time(plan, || {
                got = reduce(op, backend, &xs)?;
                Ok::<_, Error>(())
            }) {
                Ok(t) => t,
                Err(Error::BackendUnavailable { reason, .. }) => {
                    crate::progress::note(&format!("{op} skipped on {backend}: {reason}"));
                    continue;
                }
                Err(e) => return Err(format!("{op} on {backend}: {e}")),
            };
            let check = if (got - want).abs() <= tol {
                Check::Passed
            } else {
                Check::Failed(format!("{op} = {got}, expected {want}"))
            };
            let grid = matches!(backend, Backend::Simulator { .. } | Backend::Cuda { .. });
            rows.push(Row {
                id: row_id(&[op, backend.name()]),
                workload: workload.clone(),
                backend: match backend.launch_for(n as u64) {
                    Ok(Some(l)) => format!("{} ({l})", backend.name()),
                    _ => backend.to_string(),
                },
                form: match (grid, op) {
                    (true, "sum") => "chunk per thread, host finish",
                    (true, _) => "block partials, host finish",
                    (false, _) => "fixed-order chunks",
                }
                .into(),
                timings: extrapolated(t, factor),
                bytes: Some((x.len() * size_of::<f64>()) as u64),
                samples: None,
                baseline: backend == Backend::Serial,
                check,
                compile_s: None,
                gpu: None,
                note: extrapolation_note(&format!("{}x{b}x{c}", n / (b * c).max(1)), factor),
            });
        }
    }
    Ok(rows)
}

/// A CUDA sum or max row, timed by its parts.
fn cuda_row(
    cfg: &Config,
    op: &str,
    workload: &str,
    x: &Array3<f64>,
    want: f64,
    tol: f64,
) -> Result<Row, String> {
    let dev = hotloop_cuda::device(0).map_err(|e| e.to_string())?;
    let src = x.as_slice().expect("standard layout");
    let mut got = f64::NAN;
    let (t, gpu) = crate::gpu::time(cfg.plan, || {
        let (v, timings) = if op == "sum" {
            hotloop_cuda::ops::sum_timed(&dev, None, src)?
        } else {
            let (v, timings) = hotloop_cuda::ops::max_timed(&dev, None, src)?;
            (v.unwrap_or(f64::NAN), timings)
        };
        got = v;
        Ok(timings)
    })
    .map_err(|e| e.to_string())?;
    let check = if (got - want).abs() <= tol {
        Check::Passed
    } else {
        Check::Failed(format!("{op} = {got} on the GPU, expected {want}"))
    };
    Ok(Row {
        id: row_id(&[op, "cuda"]),
        workload: workload.into(),
        backend: format!("cuda:0 {}", dev.info().name),
        form: if op == "sum" {
            "chunk per thread, host finish"
        } else {
            "block partials, host finish"
        }
        .into(),
        timings: t,
        bytes: Some((x.len() * size_of::<f64>()) as u64),
        samples: None,
        baseline: false,
        check,
        compile_s: None,
        gpu: Some(gpu),
        note: Some(
            "kernel time from CUDA events after a synchronize; copies in their own columns".into(),
        ),
    })
}
