//! The CPU form of numba-examples' matrix multiply: `C = A @ B` for f32
//! square matrices in the i-k-j order a Numba user writes under `prange`
//! (each row of `C` one iteration), hotloop's `prange(..).rows_into` on
//! serial and parallel beside the same loop under Numba's `@njit` and
//! `prange` in the same run.

use super::common::{against_numba, cpu_backend_count, cpu_rounds};
use super::{Data, PythonPeers, Workload};
use crate::config::Config;
use crate::inputs::LineAligned;
use crate::peers::Peers;
use crate::row::{Check, Row, row_id};
use crate::targets::Target;
use hotloop::prange;
use ndarray::Array3;
use std::cell::RefCell;

/// The matrices' side: 1024 (256 with `--quick`), fewer for a `--size` of
/// fewer elements.
pub fn side(cfg: &Config) -> usize {
    let most = if cfg.quick { 256 } else { 1024 };
    let elems: usize = cfg.shape.iter().product();
    most.min(elems.isqrt().max(1))
}

const KIND: &str = "matmul";
const KEY: &str = "prange_rows";

/// `A[i, k]` and `B[k, j]`: small integers (every product and sum exact in
/// f32, so every form's `C` is the same), the sequence
/// `python/peers.py` builds too.
pub fn inputs(n: usize) -> (Vec<f32>, Vec<f32>) {
    let a = (0..n * n).map(|i| (i % 7) as f32 - 3.0).collect();
    let b = (0..n * n).map(|i| (i % 5) as f32).collect();
    (a, b)
}

/// Row `i` of `C = A @ B`, i-k-j: the loop body (`#[inline]`, its
/// closure `#[inline(always)]`: see [`hotloop::Prange`] on the instruction
/// set).
#[inline]
fn row_of(a: &[f32], b: &[f32], n: usize, i: usize, row: &mut [f32]) {
    row.fill(0.0);
    for k in 0..n {
        let aik = a[i * n + k];
        for (c, bkj) in row.iter_mut().zip(&b[k * n..(k + 1) * n]) {
            *c += aik * bkj;
        }
    }
}

/// The matmul workload (`--workload matmul`).
pub struct Matmul;

impl Workload for Matmul {
    fn name(&self) -> &'static str {
        "matmul"
    }

    fn data(&self) -> Data {
        Data::OwnArrays
    }

    fn memory(&self, cfg: &Config, _python: bool) -> Result<u64, String> {
        let n = side(cfg) as u64;
        Ok(4 * 4 * n * n)
    }

    /// One step: the CPU backends and the Python peers in one set of
    /// rounds.
    fn steps(&self, cfg: &Config) -> u64 {
        u64::from(cpu_backend_count(cfg) > 0)
    }

    fn rows(
        &self,
        cfg: &Config,
        _input: Option<&Array3<f64>>,
        peers: &Peers,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Vec<Row>, String> {
        let n = side(cfg);
        let workload = workload_name(n);
        let (a, b) = inputs(n);
        let (a, b) = (LineAligned::new(&a), LineAligned::new(&b));
        // The reference, once, on one thread.
        let mut want = vec![0.0f32; n * n];
        for (i, row) in want.chunks_mut(n).enumerate() {
            row_of(&a, &b, n, i, row);
        }
        let c = RefCell::new(LineAligned::new(&vec![0.0f32; n * n]));
        let run = |backend| {
            prange(0..n).on(backend).rows_into(
                &mut c.borrow_mut(),
                n,
                #[inline(always)]
                |i, row| row_of(&a, &b, n, i, row),
            )
        };
        let set = ("matmul", serde_json::json!({ "n": n }));
        let (timed, mut rows) = cpu_rounds(cfg, peers, set, &workload, &run, progress)?;
        for (backend, t) in timed {
            c.borrow_mut().fill(0.0);
            run(backend).map_err(|e| format!("matmul on {backend}: {e}"))?;
            let c = c.borrow();
            let id = row_id(&[KIND, backend.name(), KEY]);
            let mut r = Row::new(id, &workload, backend.to_string(), "prange rows_into", t);
            r.check = match c.iter().zip(&want).position(|(g, w)| g != w) {
                None => Check::Passed,
                Some(i) => Check::Failed(format!("C[{i}] is {}, expected {}", c[i], want[i])),
            };
            r.bytes = Some(3 * 4 * (n * n) as u64);
            r.note = Some(
                "the user's i-k-j row loop in prange(0..n).rows_into, the closure \
                 #[inline(always)] so that it runs with the widest instruction set; exact \
                 small-integer products, so every form's C is equal; every matrix on a 64-byte \
                 line, as the Numba peers' are"
                    .into(),
            );
            rows.push(r);
        }
        Ok(rows)
    }

    fn python(&self) -> PythonPeers {
        PythonPeers {
            cpu: Some("Numba matmul"),
            gpu: false,
            simulator: false,
            rounds: true,
            script_too: false,
        }
    }

    fn targets(&self, rows: &[Row]) -> Vec<Target> {
        against_numba(rows, KIND, KEY, "matmul")
    }
}

/// The workload's name in the table, shared with the Python rows.
pub fn workload_name(n: usize) -> String {
    format!("matmul f32 {n}x{n}")
}
