//! The reductions the blog's output used: sum and max.

use super::pattern;
use crate::config::Config;
use crate::measure::time;
use crate::row::{Check, Row};
use hotloop::{Backend, max, sum};
use ndarray::Array3;

/// Measures sum and max on every selected backend.
pub fn rows(
    cfg: &Config,
    x: &Array3<f64>,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Row>, String> {
    let [a, b, c] = cfg.shape;
    let len = x.len();
    // Independent references: a compensated sum and a plain fold.
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
    let want_sum = s + comp;
    let abs_sum: f64 = (0..len).map(|i| pattern(i).abs()).sum();
    let tol = (len.max(2) as f64).log2().ceil().max(1.0) * 2048.0 * f64::EPSILON * abs_sum;
    let want_max = (0..len).map(pattern).fold(f64::NEG_INFINITY, f64::max);

    let mut backends = Vec::new();
    if cfg.runs_backend("serial") {
        backends.push(Backend::Serial);
    }
    if cfg.runs_backend("parallel") {
        backends.push(cfg.parallel()?);
    }
    if cfg.runs_backend("simulator") {
        backends.push(Backend::simulator());
    }
    let mut rows = Vec::new();
    for (op, is_sum) in [("sum", true), ("max", false)] {
        for (k, &backend) in backends.iter().enumerate() {
            progress(&format!("reduce: {op} on {backend}"));
            let mut got = f64::NAN;
            let t = time(cfg.plan, || {
                got = if is_sum {
                    sum(backend, x)?
                } else {
                    max(backend, x)?
                };
                Ok::<_, hotloop::Error>(())
            })
            .map_err(|e| e.to_string())?;
            let check = if is_sum && (got - want_sum).abs() <= tol || !is_sum && got == want_max {
                Check::Passed
            } else {
                let want = if is_sum { want_sum } else { want_max };
                Check::Failed(format!("{op} = {got}, expected {want}"))
            };
            rows.push(Row {
                workload: format!("{op} f64 {a}x{b}x{c}"),
                backend: backend.to_string(),
                form: if is_sum {
                    "fixed-order chunks"
                } else {
                    "lanes"
                }
                .into(),
                timings: t,
                bytes: Some((len * size_of::<f64>()) as u64),
                samples: None,
                baseline: k == 0,
                check,
                compile_s: None,
                gpu: None,
                note: None,
            });
        }
    }
    if cfg.runs_backend("cuda") {
        let dev = hotloop::crates::cuda::device(0).map_err(|e| e.to_string())?;
        let src = x.as_slice().expect("standard layout");
        for (op, is_sum) in [("sum", true), ("max", false)] {
            progress(&format!("reduce: {op} on cuda"));
            let mut got = f64::NAN;
            let (t, gpu) = crate::gpu::time(cfg.plan, || {
                let (v, timings) = if is_sum {
                    hotloop::crates::cuda::ops::sum_timed(&dev, None, src)?
                } else {
                    let (v, timings) = hotloop::crates::cuda::ops::max_timed(&dev, None, src)?;
                    (v.unwrap_or(f64::NAN), timings)
                };
                got = v;
                Ok(timings)
            })
            .map_err(|e| e.to_string())?;
            let check = if is_sum && (got - want_sum).abs() <= tol || !is_sum && got == want_max {
                Check::Passed
            } else {
                Check::Failed(format!("{op} = {got} on the GPU"))
            };
            rows.push(Row {
                workload: format!("{op} f64 {a}x{b}x{c}"),
                backend: format!("cuda:0 {}", dev.info().name),
                form: "block partials, host finish".into(),
                timings: t,
                bytes: Some((len * size_of::<f64>()) as u64),
                samples: None,
                baseline: false,
                check,
                compile_s: None,
                gpu: Some(gpu),
                note: Some(
                    "kernel time from CUDA events after a synchronize; copies in their own columns"
                        .into(),
                ),
            });
        }
    }
    Ok(rows)
}
