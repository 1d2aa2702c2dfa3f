//! `@stencil`: the 3-D 7-point Laplacian and the 2-D 5-point Jacobi step,
//! zero border (Numba's default), on every selected backend. A backend that
//! does not run a capability is skipped with its reason, not counted as
//! wrong.

use super::common::{backends, check_close, facade_backends, new_row, time_or_skip};
use super::{Data, Workload};
use crate::config::Config;
use crate::inputs::pattern;
use crate::row::{Row, row_id};
use crate::targets::{Target, find, median};
use hotloop::{Backend, Boundary, Jacobi5, Laplacian7, stencil2_into, stencil3_into};
use ndarray::{Array2, Array3};

/// The stencil workload (`--workload stencil`).
pub struct Stencil;

impl Workload for Stencil {
    fn name(&self) -> &'static str {
        "stencil"
    }

    fn data(&self) -> Data {
        Data::OwnArrays
    }

    /// Each grid, its reference and its output.
    fn memory(&self, cfg: &Config, _python: bool) -> Result<u64, String> {
        let (n3, n2) = sides(cfg);
        Ok(3 * 8 * (n3.pow(3) + n2.pow(2)) as u64)
    }

    fn steps(&self, cfg: &Config) -> u64 {
        // The Laplacian and the Jacobi step.
        2 * facade_backends(cfg)
    }

    fn rows(
        &self,
        cfg: &Config,
        _input: Option<&Array3<f64>>,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Vec<Row>, String> {
        rows(cfg, progress)
    }

    /// Each stencil's parallel speedup over serial.
    fn targets(&self, rows: &[Row]) -> Vec<Target> {
        let mut out = Vec::new();
        for kind in [LAPLACIAN, JACOBI] {
            if let (Some(s), Some(p)) = (
                find(rows, &row_id(&[kind, "serial", ZERO_BORDER])),
                find(rows, &row_id(&[kind, "parallel", ZERO_BORDER])),
            ) {
                out.push(Target::new(
                    format!("parallel speedup of {}", s.workload),
                    median(s) / median(p),
                    1.6,
                    false,
                ));
            }
        }
        out
    }
}

/// The Laplacian rows' ids: `stencil_laplacian7/<backend>/zero_border`.
const LAPLACIAN: &str = "stencil_laplacian7";
/// The Jacobi rows' ids: `stencil_jacobi5/<backend>/zero_border`.
const JACOBI: &str = "stencil_jacobi5";
/// The key of the zero-border rows.
const ZERO_BORDER: &str = "zero_border";

/// The 3-D grid's side and the 2-D grid's: beyond the last-level cache by
/// default, never more cells than `--size`.
fn sides(cfg: &Config) -> (usize, usize) {
    let (n3, n2) = if cfg.quick { (128, 2048) } else { (256, 4096) };
    let len = cfg.shape.iter().product::<usize>().max(1) as f64;
    let n3 = n3.min(len.cbrt() as usize).max(1);
    let n2 = n2.min(len.sqrt() as usize).max(1);
    (n3, n2)
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

/// `@stencil`: the 3-D 7-point Laplacian and the 2-D 5-point Jacobi step,
/// zero border (Numba's default), on grids larger than the last-level cache.
fn rows(cfg: &Config, progress: &mut dyn FnMut(&str)) -> Result<Vec<Row>, String> {
    let (n3, n2) = sides(cfg);
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
        if let Some(t) = time_or_skip("stencil", backend, plan, || {
            stencil3_into(backend, lap, &x3, Boundary::default(), &mut out3)
        })? {
            let mut r = new_row(LAPLACIAN, ZERO_BORDER, &w3, backend, "zero border", t);
            r.check = check_close(out3.as_slice().unwrap(), want3.as_slice().unwrap());
            r.bytes = Some(2 * (x3.len() * 8) as u64);
            r.baseline = backend == Backend::Serial;
            r.note = Some("@stencil: relative indices, Numba's zero-border default".into());
            rows.push(r);
        }
        progress(&format!("stencil: jacobi on {backend}"));
        if let Some(t) = time_or_skip("stencil", backend, plan, || {
            stencil2_into(backend, Jacobi5, &x2, Boundary::default(), &mut out2)
        })? {
            let mut r = new_row(JACOBI, ZERO_BORDER, &w2, backend, "zero border", t);
            r.check = check_close(out2.as_slice().unwrap(), want2.as_slice().unwrap());
            r.bytes = Some(2 * (x2.len() * 8) as u64);
            r.baseline = backend == Backend::Serial;
            r.note = Some("@stencil: relative indices, Numba's zero-border default".into());
            rows.push(r);
        }
    }
    Ok(rows)
}
