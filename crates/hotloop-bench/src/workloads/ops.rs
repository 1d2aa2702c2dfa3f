//! The Numba-parity capabilities: `@vectorize` maps, `@stencil`,
//! `@guvectorize`, on every selected backend. A backend that does not run a
//! capability is skipped with its reason, not counted as wrong.

use super::{check_add, pattern};
use crate::config::Config;
use crate::measure::{Plan, time};
use crate::row::{Check, Row, row_id};
use hotloop::{
    Affine, Backend, Boundary, Error, Exp, Jacobi5, Laplacian7, add_scalar_into, map_into,
    moving_average, normalize_rows, stencil2_into, stencil3_into,
};
use ndarray::{Array2, Array3};

/// The facade backends the configuration selects, each with its plan.
pub fn backends(cfg: &Config) -> Result<Vec<(Backend, Plan)>, String> {
    let mut out = Vec::new();
    if cfg.runs_backend("serial") {
        out.push((Backend::Serial, cfg.plan));
    }
    if cfg.runs_backend("parallel") {
        out.push((cfg.parallel()?, cfg.plan));
    }
    if cfg.runs_backend("simulator") {
        out.push((Backend::simulator(), cfg.simulator_plan()));
    }
    if cfg.runs_backend("cuda") {
        out.push((Backend::cuda(), cfg.plan));
    }
    Ok(out)
}

/// Runs one row's measurement; `None` (with the reason printed) if the
/// backend does not offer the operation.
fn measure(
    what: &str,
    backend: Backend,
    plan: Plan,
    f: impl FnMut() -> hotloop::Result<()>,
) -> Result<Option<crate::measure::Timings>, String> {
    match time(plan, f) {
        Ok(t) => Ok(Some(t)),
        Err(Error::BackendUnavailable { reason, .. }) => {
            crate::progress::note(&format!("{what} skipped on {backend}: {reason}"));
            Ok(None)
        }
        Err(e) => Err(format!("{what} on {backend}: {e}")),
    }
}

fn new_row(
    kind: &str,
    key: &str,
    workload: &str,
    backend: Backend,
    form: &str,
    timings: crate::measure::Timings,
) -> Row {
    let id = row_id(&[kind, backend.name(), key]);
    Row::new(id, workload, backend.to_string(), form, timings)
}

/// Ulps between two finite f64 of the same sign (or both zero).
fn ulps(a: f64, b: f64) -> u64 {
    (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
}

/// `@vectorize`: a user-defined element-wise op (here `Affine { a: 1, b: 2 }`,
/// the same traffic and answer as add_scalar) beside the hand-written
/// add_scalar, and a transcendental (`Exp`).
pub fn map_rows(
    cfg: &Config,
    x: &Array3<f64>,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Row>, String> {
    let [a, b, c] = cfg.shape;
    let workload = format!("map f64 {a}x{b}x{c}");
    let bytes = Some(2 * (x.len() * size_of::<f64>()) as u64);
    let mut out = Array3::<f64>::from_elem(cfg.shape, 1.0);
    let mut rows = Vec::new();
    for (backend, plan) in backends(cfg)? {
        // The simulator runs the leading planes, extrapolated.
        let (planes, factor) = if matches!(backend, Backend::Simulator { .. }) {
            super::simulator_planes(cfg.shape)
        } else {
            (a, 1.0)
        };
        let n = planes * b * c;
        let xs = x.slice(ndarray::s![..planes, .., ..]);
        let note = |what: &str| {
            let extra = super::extrapolation_note(&format!("{planes}x{b}x{c}"), factor);
            Some(extra.map_or_else(|| what.to_string(), |e| format!("{what}; {e}")))
        };
        progress(&format!(
            "map: add_scalar and Affine on {backend}, alternating"
        ));
        // Timed in alternation: their ratio is the target, and it must not
        // be the machine's drift between two rows.
        let affine = Affine { a: 1.0, b: 2.0 };
        let out_cell = std::cell::RefCell::new(&mut out);
        let paired = crate::measure::time_pair(
            plan,
            || {
                let mut o = out_cell.borrow_mut();
                add_scalar_into(
                    backend,
                    &xs,
                    2.0,
                    &mut o.slice_mut(ndarray::s![..planes, .., ..]),
                )
            },
            || {
                let mut o = out_cell.borrow_mut();
                map_into(
                    backend,
                    affine,
                    &xs,
                    &mut o.slice_mut(ndarray::s![..planes, .., ..]),
                )
            },
        );
        let (t_add, t_map) = match paired {
            Ok(t) => t,
            Err(Error::BackendUnavailable { reason, .. }) => {
                crate::progress::note(&format!("map skipped on {backend}: {reason}"));
                continue;
            }
            Err(e) => return Err(format!("map on {backend}: {e}")),
        };
        // Each checked once more, outside the timings.
        for (key, form, timings, what) in [
            (
                "add_scalar",
                "add_scalar, hand-written",
                t_add,
                "the reference the map must match: same traffic, same answer; timed in alternation with the map",
            ),
            (
                "affine",
                "map Affine{a: 1, b: 2}",
                t_map,
                "@vectorize: a user-written scalar op applied by the library",
            ),
        ] {
            out.fill(1.0);
            let mut dst = out.slice_mut(ndarray::s![..planes, .., ..]);
            if key == "affine" {
                map_into(backend, affine, &xs, &mut dst)
            } else {
                add_scalar_into(backend, &xs, 2.0, &mut dst)
            }
            .map_err(|e| format!("map on {backend}: {e}"))?;
            let t = super::extrapolated(timings, factor);
            let mut r = new_row("map", key, &workload, backend, form, t);
            r.check = check_add(&out.as_slice().unwrap()[..n]);
            r.bytes = bytes;
            r.baseline = key == "add_scalar" && backend == Backend::Serial;
            r.note = note(what);
            rows.push(r);
        }
        progress(&format!("map: Exp on {backend}"));
        if let Some(t) = measure("map exp", backend, plan, || {
            map_into(
                backend,
                Exp,
                &xs,
                &mut out.slice_mut(ndarray::s![..planes, .., ..]),
            )
        })? {
            let t = super::extrapolated(t, factor);
            let mut r = new_row("map", "exp", &workload, backend, "map Exp", t);
            let worst = out.as_slice().unwrap()[..n]
                .iter()
                .enumerate()
                .map(|(i, &o)| ulps(o, pattern(i).exp()))
                .max()
                .unwrap_or(0);
            r.check = if worst <= 2 {
                Check::Passed
            } else {
                Check::Failed(format!("exp is {worst} ulp from std's (bound: 2)"))
            };
            r.bytes = bytes;
            r.note = note("hotloop-core's own exp (no libm), checked within 2 ulp of std");
            rows.push(r);
        }
    }
    Ok(rows)
}

/// A plain nested-loop 3-D Laplacian with Numba's zero-border rule: the
/// independent reference for the stencil rows.
fn reference_laplacian(x: &Array3<f64>) -> Array3<f64> {
    let (nx, ny, nz) = x.dim();
    let mut out = Array3::zeros((nx, ny, nz));
    for i in 1..nx.saturating_sub(1) {
        for j in 1..ny.saturating_sub(1) {
            for k in 1..nz.saturating_sub(1) {
                let faces = x[[i - 1, j, k]]
                    + x[[i + 1, j, k]]
                    + x[[i, j - 1, k]]
                    + x[[i, j + 1, k]]
                    + x[[i, j, k - 1]]
                    + x[[i, j, k + 1]];
                out[[i, j, k]] = faces - 6.0 * x[[i, j, k]];
            }
        }
    }
    out
}

fn reference_jacobi(x: &Array2<f64>) -> Array2<f64> {
    let (ny, nz) = x.dim();
    let mut out = Array2::zeros((ny, nz));
    for j in 1..ny.saturating_sub(1) {
        for k in 1..nz.saturating_sub(1) {
            out[[j, k]] = 0.25 * (x[[j, k + 1]] + x[[j + 1, k]] + x[[j, k - 1]] + x[[j - 1, k]]);
        }
    }
    out
}

/// Within a few ulps of the reference's magnitude: the kernel may add the
/// same terms in another order.
fn check_close(got: &[f64], want: &[f64]) -> Check {
    let scale = want.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    let tol = 16.0 * f64::EPSILON * scale;
    match got.iter().zip(want).position(|(g, w)| (g - w).abs() > tol) {
        None => Check::Passed,
        Some(i) => Check::Failed(format!("cell {i} is {}, reference {}", got[i], want[i])),
    }
}

/// `@stencil`: the 3-D 7-point Laplacian and the 2-D 5-point Jacobi step,
/// zero border (Numba's default), on grids larger than the last-level cache.
pub fn stencil_rows(cfg: &Config, progress: &mut dyn FnMut(&str)) -> Result<Vec<Row>, String> {
    // Beyond the last-level cache by default; never more cells than --size.
    let (n3, n2) = if cfg.quick { (128, 2048) } else { (256, 4096) };
    let len = cfg.shape.iter().product::<usize>().max(1) as f64;
    let n3 = n3.min(len.cbrt() as usize).max(1);
    let n2 = n2.min(len.sqrt() as usize).max(1);
    let x3 = Array3::from_shape_fn((n3, n3, n3), |(i, j, k)| pattern(i * 7919 + j * 31 + k));
    let x2 = Array2::from_shape_fn((n2, n2), |(j, k)| pattern(j * 131 + k));
    let want3 = reference_laplacian(&x3);
    let want2 = reference_jacobi(&x2);
    let mut out3 = Array3::<f64>::from_elem(x3.dim(), 1.0);
    let mut out2 = Array2::<f64>::from_elem(x2.dim(), 1.0);
    let w3 = format!("stencil laplacian7 f64 {n3}^3");
    let w2 = format!("stencil jacobi5 f64 {n2}^2");
    let mut rows = Vec::new();
    for (backend, plan) in backends(cfg)? {
        progress(&format!("stencil: laplacian on {backend}"));
        let lap = Laplacian7::unit();
        if let Some(t) = measure("stencil", backend, plan, || {
            stencil3_into(backend, lap, &x3, Boundary::default(), &mut out3)
        })? {
            let mut r = new_row(
                "stencil_laplacian7",
                "zero_border",
                &w3,
                backend,
                "zero border",
                t,
            );
            r.check = check_close(out3.as_slice().unwrap(), want3.as_slice().unwrap());
            r.bytes = Some(2 * (x3.len() * 8) as u64);
            r.baseline = backend == Backend::Serial;
            r.note = Some("@stencil: relative indices, Numba's zero-border default".into());
            rows.push(r);
        }
        progress(&format!("stencil: jacobi on {backend}"));
        if let Some(t) = measure("stencil", backend, plan, || {
            stencil2_into(backend, Jacobi5, &x2, Boundary::default(), &mut out2)
        })? {
            let mut r = new_row(
                "stencil_jacobi5",
                "zero_border",
                &w2,
                backend,
                "zero border",
                t,
            );
            r.check = check_close(out2.as_slice().unwrap(), want2.as_slice().unwrap());
            r.bytes = Some(2 * (x2.len() * 8) as u64);
            r.baseline = backend == Backend::Serial;
            r.note = Some("@stencil: relative indices, Numba's zero-border default".into());
            rows.push(r);
        }
    }
    Ok(rows)
}

/// `@guvectorize`: a moving average `(n),()->(n)` and a row normalisation
/// `(n)->(n)` over the rows of a 2-D array, parallel across rows.
pub fn gufunc_rows(cfg: &Config, progress: &mut dyn FnMut(&str)) -> Result<Vec<Row>, String> {
    let (rows_n, n, window) = if cfg.quick {
        (1024, 4096, 16)
    } else {
        (4096, 8192, 16)
    };
    // Never more elements than --size asks for.
    let len = cfg.shape.iter().product::<usize>().max(1);
    let n = n.min(len).max(1);
    let rows_n = rows_n.min(len / n).max(1);
    let x = Array2::from_shape_fn((rows_n, n), |(r, i)| pattern(r * 8191 + i));
    // Independent references: direct window sums and norms.
    let mut want_ma = Array2::<f64>::zeros((rows_n, n));
    let mut want_norm = Array2::<f64>::zeros((rows_n, n));
    for r in 0..rows_n {
        let row = x.row(r);
        let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
        for i in 0..n {
            let lo = (i + 1).saturating_sub(window);
            want_ma[[r, i]] = row.slice(ndarray::s![lo..=i]).sum() / (i + 1 - lo) as f64;
            want_norm[[r, i]] = if norm == 0.0 { 0.0 } else { row[i] / norm };
        }
    }
    let ma_w = format!("gufunc moving average f64 {rows_n}x{n}, window {window}");
    let nr_w = format!("gufunc normalize rows f64 {rows_n}x{n}");
    let mut rows = Vec::new();
    for (backend, plan) in backends(cfg)? {
        progress(&format!("gufunc: moving average on {backend}"));
        let mut got = None;
        if let Some(t) = measure("moving average", backend, plan, || {
            got = Some(moving_average(backend, &x, window)?);
            Ok(())
        })? {
            let mut r = new_row(
                "gufunc_moving_average",
                "rows",
                &ma_w,
                backend,
                "(n),()->(n)",
                t,
            );
            r.check = check_close(
                got.unwrap().as_slice().unwrap(),
                want_ma.as_slice().unwrap(),
            );
            r.bytes = Some(2 * (x.len() * 8) as u64);
            r.baseline = backend == Backend::Serial;
            r.note = Some("@guvectorize: core dimension n, looped (and parallel) over rows".into());
            rows.push(r);
        }
        progress(&format!("gufunc: normalize rows on {backend}"));
        let mut got = None;
        if let Some(t) = measure("normalize rows", backend, plan, || {
            got = Some(normalize_rows(backend, &x)?);
            Ok(())
        })? {
            let mut r = new_row(
                "gufunc_normalize_rows",
                "rows",
                &nr_w,
                backend,
                "(n)->(n)",
                t,
            );
            r.check = check_close(
                got.unwrap().as_slice().unwrap(),
                want_norm.as_slice().unwrap(),
            );
            r.bytes = Some(2 * (x.len() * 8) as u64);
            r.baseline = backend == Backend::Serial;
            r.note = Some("@guvectorize: core dimension n, looped (and parallel) over rows".into());
            rows.push(r);
        }
    }
    Ok(rows)
}
