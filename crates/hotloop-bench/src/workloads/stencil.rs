//! `@stencil`: the 3-D 7-point Laplacian and the 2-D 5-point Jacobi step,
//! zero border (Numba's default), on every selected backend. A backend that
//! does not run a capability is skipped with its reason, not counted as
//! wrong.

use super::common::{
    check_close, cpu_and_others, cpu_backend_count, facade_backends, new_row, time_or_skip,
};
use super::{Data, PythonPeers, Workload};
use crate::config::Config;
use crate::inputs::pattern;
use crate::measure::{Rounds, Timings};
use crate::peers::Peers;
use crate::row::{Row, row_id};
use crate::targets::{Target, find, median, over_fastest_peer};
use hotloop::{Backend, Boundary, Jacobi5, Laplacian7, stencil2_into, stencil3_into};
use ndarray::{Array2, Array3};
use std::cell::RefCell;

/// The stencil workload (`--workload stencil`).
pub struct Stencil;

impl Workload for Stencil {
    fn name(&self) -> &'static str {
        "stencil"
    }

    fn data(&self) -> Data {
        Data::OwnArrays
    }

    /// Each grid, its reference and its output; the Python peers' as
    /// many, and a temporary as large while they build their reference.
    fn memory(&self, cfg: &Config, python: bool) -> Result<u64, String> {
        let (n3, n2) = sides(cfg);
        let arrays = if python { 7 } else { 3 };
        Ok(arrays * 8 * (n3.pow(3) + n2.pow(2)) as u64)
    }

    fn python(&self) -> PythonPeers {
        PythonPeers {
            cpu: Some("Numba's @stencil under @njit, serial and parallel"),
            gpu: false,
            simulator: false,
            rounds: true,
            script_too: false,
        }
    }

    /// One step for the CPU backends (their rows run in one set of rounds
    /// with the Python peers), two (the Laplacian, the Jacobi step) on
    /// each other.
    fn steps(&self, cfg: &Config) -> u64 {
        let cpu = cpu_backend_count(cfg);
        u64::from(cpu > 0) + 2 * (facade_backends(cfg) - cpu)
    }

    fn rows(
        &self,
        cfg: &Config,
        _input: Option<&Array3<f64>>,
        peers: &Peers,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Vec<Row>, String> {
        rows(cfg, peers, progress)
    }

    /// Each stencil's parallel speedup over serial; its serial row at
    /// least as fast as Numba's `@stencil` under `@njit`, its parallel row
    /// as the fastest of Numba's forms.
    fn targets(&self, rows: &[Row]) -> Vec<Target> {
        let mut out = Vec::new();
        for (kind, _) in STENCILS {
            for (backend, forms) in [
                ("serial", &NUMBA_FORMS[..1]),
                ("parallel", &NUMBA_FORMS[..]),
            ] {
                if let Some(r) = find(rows, &row_id(&[kind, backend, ZERO_BORDER]))
                    && let Some(t) = over_fastest_peer(rows, backend, r, forms)
                {
                    out.push(t);
                }
            }
        }
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
/// Both stencils: their row kinds and their keys in `python/peers.py`.
const STENCILS: [(&str, &str); 2] = [(LAPLACIAN, "laplacian7"), (JACOBI, "jacobi5")];
/// Numba's forms of each stencil there, serial then parallel.
const NUMBA_FORMS: [&str; 2] = [
    "numba @stencil, @njit",
    "numba @stencil, @njit(parallel=True)",
];

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
/// zero border (Numba's default), on grids larger than the last-level
/// cache. On the CPU both, on each backend, run in one set of rounds with
/// Numba's `@stencil` peers.
fn rows(cfg: &Config, peers: &Peers, progress: &mut dyn FnMut(&str)) -> Result<Vec<Row>, String> {
    let (n3, n2) = sides(cfg);
    let x3 = Array3::from_shape_fn((n3, n3, n3), |(i, j, k)| pattern(i * 7919 + j * 31 + k));
    let x2 = Array2::from_shape_fn((n2, n2), |(j, k)| pattern(j * 131 + k));
    let want3 = reference_laplacian(&x3);
    let want2 = reference_jacobi(&x2);
    let out3 = RefCell::new(Array3::<f64>::from_elem(x3.dim(), 1.0));
    let out2 = RefCell::new(Array2::<f64>::from_elem(x2.dim(), 1.0));
    let workloads = [
        format!("stencil laplacian7 f64 {n3}^3"),
        format!("stencil jacobi5 f64 {n2}^2"),
    ];
    // Stencil `k` of STENCILS on `backend`, into its output.
    let run = |k: usize, backend: Backend| {
        if k == 0 {
            stencil3_into(
                backend,
                Laplacian7::unit(),
                &x3,
                Boundary::default(),
                &mut out3.borrow_mut(),
            )
        } else {
            stencil2_into(
                backend,
                Jacobi5,
                &x2,
                Boundary::default(),
                &mut out2.borrow_mut(),
            )
        }
    };
    // Its row, the output checked once more outside the timings.
    let finish = |k: usize, backend: Backend, t: Timings| -> Result<Row, String> {
        out3.borrow_mut().fill(1.0);
        out2.borrow_mut().fill(1.0);
        run(k, backend).map_err(|e| format!("stencil on {backend}: {e}"))?;
        let mut r = new_row(
            STENCILS[k].0,
            ZERO_BORDER,
            &workloads[k],
            backend,
            "zero border",
            t,
        );
        r.check = if k == 0 {
            check_close(out3.borrow().as_slice().unwrap(), want3.as_slice().unwrap())
        } else {
            check_close(out2.borrow().as_slice().unwrap(), want2.as_slice().unwrap())
        };
        let cells = if k == 0 { x3.len() } else { x2.len() };
        r.bytes = Some(2 * (cells * 8) as u64);
        r.baseline = backend == Backend::Serial;
        r.note = Some("@stencil: relative indices, Numba's zero-border default".into());
        Ok(r)
    };
    let (cpu, others) = cpu_and_others(cfg)?;
    let mut rows = Vec::new();
    if !cpu.is_empty() {
        let peer_list = peers.prepare("stencil", serde_json::json!({ "n3": n3, "n2": n2 }));
        progress(&format!(
            "stencil: laplacian and jacobi on the CPU, in rounds{}",
            if peer_list.is_empty() {
                ""
            } else {
                " with Numba's @stencil"
            }
        ));
        let mut rounds = Rounds::new();
        let mut at = Vec::new();
        for &backend in &cpu {
            let run = &run;
            at.push([0, 1].map(|k| rounds.clocked(move || run(k, backend))));
        }
        let peer_at = peers.add_to(&peer_list, &mut rounds);
        let timings = rounds
            .run(cfg.plan)
            .map_err(|e| format!("stencil on the CPU: {e}"))?;
        for (p, &i) in peer_list.iter().zip(&peer_at) {
            if let Some(k) = STENCILS.iter().position(|s| s.1 == p.key) {
                rows.extend(peers.row(p, &workloads[k], timings[i].clone()));
            }
        }
        peers.release();
        for (s, &backend) in cpu.iter().enumerate() {
            for k in 0..2 {
                rows.push(finish(k, backend, timings[at[s][k]].clone())?);
            }
        }
    }
    for (backend, plan) in others {
        for (k, (_, name)) in STENCILS.into_iter().enumerate() {
            progress(&format!("stencil: {name} on {backend}"));
            if let Some(t) = time_or_skip("stencil", backend, plan, || run(k, backend))? {
                rows.push(finish(k, backend, t)?);
            }
        }
    }
    Ok(rows)
}
