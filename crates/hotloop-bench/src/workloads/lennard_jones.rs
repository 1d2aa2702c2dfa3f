//! `prange` over a user's own loop body: the Lennard-Jones energy of 2000
//! atoms (`examples/lennard_jones.rs`), hotloop's `prange(..).sum` on one
//! thread and on the pool, beside the same pair loop under Numba's `@njit`
//! and `@njit(parallel=True)` with `prange` in the same run.

use super::common::{against_numba, cpu_backend_count, cpu_rounds};
use super::{Data, PythonPeers, Workload};
use crate::config::Config;
use crate::peers::Peers;
use crate::row::{Check, Row, row_id};
use crate::targets::Target;
use hotloop::prange;
use ndarray::Array3;
use std::cell::Cell;

/// Atoms: the example's 2000 (a third of it for a `--size` of fewer than
/// 2000 elements, as in the unit tests).
pub fn atoms_for(cfg: &Config) -> usize {
    2000.min(cfg.shape.iter().product::<usize>().max(2))
}

const KIND: &str = "lennard_jones";
const KEY: &str = "prange_sum";

/// Atoms on a jittered cubic lattice of spacing 1.1 (no two too close);
/// `python/peers.py` builds the same positions.
pub fn atoms(n: usize) -> Vec<[f64; 3]> {
    let side = (n as f64).cbrt().ceil() as usize;
    (0..n)
        .map(|i| {
            let cell = [i % side, (i / side) % side, i / (side * side)];
            let jitter = |k: usize| ((i * 7919 + k * 104_729) % 1000) as f64 * 1e-4;
            [0, 1, 2].map(|k| cell[k] as f64 * 1.1 + jitter(k))
        })
        .collect()
}

/// Atom `i`'s pairs with the atoms after it: the loop body (`#[inline]`,
/// its closure `#[inline(always)]`: see [`hotloop::Prange`] on the
/// instruction set).
#[inline]
fn pair_energy(pos: &[[f64; 3]], i: usize) -> f64 {
    let mut e = 0.0;
    for p in &pos[i + 1..] {
        let d = [0, 1, 2].map(|k| pos[i][k] - p[k]);
        let s6 = (1.0 / (d[0] * d[0] + d[1] * d[1] + d[2] * d[2])).powi(3);
        e += 4.0 * (s6 * s6 - s6);
    }
    e
}

/// The Lennard-Jones workload (`--workload lennard_jones`).
pub struct LennardJones;

impl Workload for LennardJones {
    fn name(&self) -> &'static str {
        "lennard_jones"
    }

    fn data(&self) -> Data {
        Data::OwnArrays
    }

    fn memory(&self, cfg: &Config, _python: bool) -> Result<u64, String> {
        Ok(24 * atoms_for(cfg) as u64)
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
        let n = atoms_for(cfg);
        let workload = workload_name(n);
        let pos = atoms(n);
        // The plain loop, once: what every row must come close to.
        let plain: f64 = (0..n).map(|i| pair_energy(&pos, i)).sum();
        let energy = Cell::new(0.0);
        let run = |backend| {
            energy.set(prange(0..n).on(backend).sum(
                #[inline(always)]
                |i| pair_energy(&pos, i),
            )?);
            Ok(())
        };
        let set = ("lennard_jones", serde_json::json!({ "n": n }));
        let (timed, mut rows) = cpu_rounds(cfg, peers, set, &workload, &run, progress)?;
        let mut bits = None;
        for (backend, t) in timed {
            run(backend).map_err(|e| format!("lennard_jones on {backend}: {e}"))?;
            let energy = energy.get();
            let id = row_id(&[KIND, backend.name(), KEY]);
            let mut r = Row::new(id, &workload, backend.to_string(), "prange sum", t);
            // The same bits at every thread count, and the plain loop's sum
            // to rounding.
            let same = *bits.get_or_insert(energy.to_bits()) == energy.to_bits();
            r.check = if !same {
                Check::Failed("the energy's bits differ between serial and parallel".into())
            } else if (energy - plain).abs() > 1e-9 * plain.abs() {
                Check::Failed(format!("energy {energy}, plain loop {plain}"))
            } else {
                Check::Passed
            };
            // The positions, which every pass reads.
            r.bytes = Some(24 * n as u64);
            r.note = Some(
                "the user's own pair loop in a prange(0..n).sum closure (#[inline(always)]); fixed \
                 chunks and tree: \
                 the same bits on any thread count"
                    .into(),
            );
            rows.push(r);
        }
        Ok(rows)
    }

    fn python(&self) -> PythonPeers {
        PythonPeers {
            cpu: Some("Numba Lennard-Jones"),
            gpu: false,
            simulator: false,
            rounds: true,
            script_too: false,
        }
    }

    /// hotloop's serial and parallel loops against Numba's `@njit` and
    /// `prange` of the same loop.
    fn targets(&self, rows: &[Row]) -> Vec<Target> {
        against_numba(rows, KIND, KEY, "Lennard-Jones")
    }
}

/// The workload's name in the table, shared with the Python rows.
pub fn workload_name(n: usize) -> String {
    format!("lennard_jones {n} atoms f64")
}
