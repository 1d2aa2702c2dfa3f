//! `@vectorize`: a user-defined element-wise op beside the hand-written
//! add_scalar it equals, and a transcendental, on every selected backend. A
//! backend that does not run a capability is skipped with its reason, not
//! counted as wrong.

use super::common::{
    check_add, cpu_and_others, cpu_backend_count, extrapolated, extrapolation_note,
    facade_backends, new_row, shape_bytes, simulator_planes, time_or_skip,
};
use super::{Data, PythonPeers, Workload};
use crate::config::Config;
use crate::inputs::pattern;
use crate::measure::{Rounds, Timings};
use crate::peers::Peers;
use crate::row::{Check, Row, row_id};
use crate::targets::{Target, arrays_too_small, find, over_fastest_peer, time_ratio};
use hotloop::{Affine, Backend, Error, Exp, add_scalar_into, map_into};
use ndarray::Array3;
use std::cell::RefCell;

/// `map(Affine)` may take at most this much longer than the hand-written
/// add it equals (the two are timed in alternation).
pub const MAP_OVER_ADD_MAX: f64 = 1.05;

/// The map workload (`--workload map`).
pub struct Map;

impl Workload for Map {
    fn name(&self) -> &'static str {
        "map"
    }

    fn data(&self) -> Data {
        Data::SharedInput
    }

    /// The input and an output; the Python peers' copy of both.
    fn memory(&self, cfg: &Config, python: bool) -> Result<u64, String> {
        shape_bytes(cfg, if python { 4 } else { 2 })
    }

    fn python(&self) -> PythonPeers {
        PythonPeers {
            cpu: Some("NumPy's exp and Numba's @vectorize, serial and parallel"),
            gpu: false,
            simulator: false,
            rounds: true,
            script_too: false,
        }
    }

    /// One step for the CPU backends (their rows run in one set of rounds
    /// with the Python peers), two (the pair, then Exp) on each other.
    fn steps(&self, cfg: &Config) -> u64 {
        let cpu = cpu_backend_count(cfg);
        u64::from(cpu > 0) + 2 * (facade_backends(cfg) - cpu)
    }

    fn rows(
        &self,
        cfg: &Config,
        input: Option<&Array3<f64>>,
        peers: &Peers,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Vec<Row>, String> {
        rows(cfg, super::shared(input)?, peers, progress)
    }

    /// On the CPU, the map against the hand-written add it equals; Exp on
    /// one thread at least as fast as NumPy's, and in parallel as the
    /// fastest Python peer; the user's op as Numba's `@vectorize` of the
    /// same formula, on one thread and in parallel.
    fn targets(&self, rows: &[Row]) -> Vec<Target> {
        let mut out = Vec::new();
        for backend in ["serial", "parallel"] {
            if let (Some(map), Some(add)) = (
                find(rows, &row_id(&[KIND, backend, AFFINE])),
                find(rows, &row_id(&[KIND, backend, ADD])),
            ) {
                out.push(
                    Target::new(
                        format!("{backend} map(Affine) time / hand-written add_scalar"),
                        time_ratio(map, add),
                        MAP_OVER_ADD_MAX,
                        true,
                    )
                    .unless_too_small(arrays_too_small(add)),
                );
            }
        }
        let peers: [(&str, &str, &[&str]); 4] = [
            ("serial", EXP, &[NUMPY_EXP]),
            ("parallel", EXP, &EXP_PEERS),
            ("serial", AFFINE, &[AFFINE_PEERS[0]]),
            ("parallel", AFFINE, &AFFINE_PEERS),
        ];
        for (backend, key, forms) in peers {
            if let Some(r) = find(rows, &row_id(&[KIND, backend, key]))
                && let Some(t) = over_fastest_peer(rows, backend, r, forms)
            {
                out.push(
                    Target {
                        name: format!("{} ({})", t.name, r.form),
                        ..t
                    }
                    .unless_too_small(arrays_too_small(r)),
                );
            }
        }
        out
    }
}

/// The map rows' ids: `map/<backend>/<key>`.
const KIND: &str = "map";
/// The key of the hand-written add_scalar row.
const ADD: &str = "add_scalar";
/// The key of the `Affine` map row (and its peers' in `python/peers.py`).
const AFFINE: &str = "affine";
/// The key of the `Exp` map row (and its peers').
const EXP: &str = "exp";
/// NumPy's exp into a preallocated output, one thread.
const NUMPY_EXP: &str = "numpy exp(out=)";
/// Every Python form of Exp in `python/peers.py`.
const EXP_PEERS: [&str; 3] = [
    NUMPY_EXP,
    "numba @vectorize np.exp",
    "numba @vectorize np.exp, target='parallel'",
];
/// Numba's forms of the user's op, serial then parallel.
const AFFINE_PEERS: [&str; 2] = [
    "numba @vectorize x * 1 + 2",
    "numba @vectorize x * 1 + 2, target='parallel'",
];

/// Ulps between two finite f64 of the same sign (or both zero).
fn ulps(a: f64, b: f64) -> u64 {
    (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
}

/// The three map rows of a backend, in the order they are timed.
const MAPS: [(&str, &str, &str); 3] = [
    (
        ADD,
        "add_scalar, hand-written",
        "the reference the map must match: same traffic, same answer; timed in alternation with the map",
    ),
    (
        AFFINE,
        "map Affine{a: 1, b: 2}",
        "@vectorize: a user-written scalar op applied by the library",
    ),
    (
        EXP,
        "map Exp",
        "hotloop-core's own exp (no libm), checked within 2 ulp of std",
    ),
];

/// Runs map `key` of [`MAPS`] on `backend` from `x` into `out`.
fn run(
    key: &str,
    backend: Backend,
    x: &ndarray::ArrayView3<f64>,
    out: &mut ndarray::ArrayViewMut3<f64>,
) -> hotloop::Result<()> {
    match key {
        ADD => add_scalar_into(backend, x, 2.0, out),
        AFFINE => map_into(backend, Affine { a: 1.0, b: 2.0 }, x, out),
        _ => map_into(backend, Exp, x, out),
    }
}

/// Whether `out` (the first elements of the output) is map `key` of the
/// input.
fn check(key: &str, out: &[f64]) -> Check {
    if key != EXP {
        return check_add(out);
    }
    let worst = out
        .iter()
        .enumerate()
        .map(|(i, &o)| ulps(o, pattern(i).exp()))
        .max()
        .unwrap_or(0);
    if worst <= 2 {
        Check::Passed
    } else {
        Check::Failed(format!("exp is {worst} ulp from std's (bound: 2)"))
    }
}

/// `@vectorize`: a user-defined element-wise op (here `Affine { a: 1, b: 2 }`,
/// the same traffic and answer as add_scalar) beside the hand-written
/// add_scalar, and a transcendental (`Exp`). On the CPU all of them, on
/// each backend, run in one set of rounds with NumPy's exp and Numba's
/// `@vectorize` forms of both ops.
fn rows(
    cfg: &Config,
    x: &Array3<f64>,
    peers: &Peers,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Row>, String> {
    let [a, b, c] = cfg.shape;
    let workload = format!("map f64 {a}x{b}x{c}");
    let bytes = Some(2 * (x.len() * size_of::<f64>()) as u64);
    let mut out = crate::inputs::output(cfg.shape, 1.0)?;
    let (cpu, others) = cpu_and_others(cfg);
    let mut rows = Vec::new();
    // Each row checked once more, outside the timings, on its leading
    // `planes`, its note saying how it was measured.
    let finish = |backend: Backend,
                  key: &str,
                  t: Timings,
                  planes: usize,
                  factor: f64,
                  out: &mut Array3<f64>|
     -> Result<Row, String> {
        let (_, form, what) = MAPS.iter().find(|m| m.0 == key).expect("a key of MAPS");
        out.fill(1.0);
        let xs = x.slice(ndarray::s![..planes, .., ..]);
        run(
            key,
            backend,
            &xs,
            &mut out.slice_mut(ndarray::s![..planes, .., ..]),
        )
        .map_err(|e| format!("map on {backend}: {e}"))?;
        let mut r = new_row(KIND, key, &workload, backend, form, extrapolated(t, factor));
        r.check = check(key, &out.as_slice().unwrap()[..planes * b * c]);
        r.bytes = bytes;
        r.baseline = key == ADD && backend == Backend::Serial;
        let extra = extrapolation_note(&format!("{planes}x{b}x{c}"), factor);
        r.note = Some(extra.map_or_else(|| what.to_string(), |e| format!("{what}; {e}")));
        Ok(r)
    };
    if !cpu.is_empty() {
        let peer_list = peers.prepare("map", serde_json::json!({ "shape": cfg.shape }));
        progress(&format!(
            "map: add_scalar, Affine and Exp on the CPU, in rounds{}",
            if peer_list.is_empty() {
                ""
            } else {
                " with NumPy and Numba"
            }
        ));
        let out_cell = RefCell::new(&mut out);
        let xv = x.view();
        let mut rounds = Rounds::new();
        let mut at = Vec::new();
        for &backend in &cpu {
            let (out_cell, xv) = (&out_cell, &xv);
            at.push(MAPS.map(|(key, ..)| {
                rounds.clocked(move || run(key, backend, xv, &mut out_cell.borrow_mut().view_mut()))
            }));
        }
        let peer_at = peers.add_to(&peer_list, &mut rounds);
        let timings = rounds
            .run(cfg.plan)
            .map_err(|e| format!("map on the CPU: {e}"))?;
        for (p, &i) in peer_list.iter().zip(&peer_at) {
            rows.extend(peers.row(p, &workload, timings[i].clone()));
        }
        peers.release();
        for (s, &backend) in cpu.iter().enumerate() {
            for (k, (key, ..)) in MAPS.iter().enumerate() {
                rows.push(finish(
                    backend,
                    key,
                    timings[at[s][k]].clone(),
                    a,
                    1.0,
                    &mut out,
                )?);
            }
        }
    }
    for (backend, plan) in others {
        // The simulator runs the leading planes, extrapolated.
        let (planes, factor) = if matches!(backend, Backend::Simulator { .. }) {
            simulator_planes(cfg.shape)
        } else {
            (a, 1.0)
        };
        let xs = x.slice(ndarray::s![..planes, .., ..]);
        progress(&format!(
            "map: add_scalar and Affine on {backend}, alternating"
        ));
        // Timed in alternation: their ratio is the target, and it must not
        // be the machine's drift between two rows.
        let out_cell = RefCell::new(&mut out);
        let paired = crate::measure::time_pair(
            plan,
            || {
                let mut o = out_cell.borrow_mut();
                run(
                    ADD,
                    backend,
                    &xs,
                    &mut o.slice_mut(ndarray::s![..planes, .., ..]),
                )
            },
            || {
                let mut o = out_cell.borrow_mut();
                run(
                    AFFINE,
                    backend,
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
        rows.push(finish(backend, ADD, t_add, planes, factor, &mut out)?);
        rows.push(finish(backend, AFFINE, t_map, planes, factor, &mut out)?);
        progress(&format!("map: Exp on {backend}"));
        if let Some(t) = time_or_skip("map exp", backend, plan, || {
            run(
                EXP,
                backend,
                &xs,
                &mut out.slice_mut(ndarray::s![..planes, .., ..]),
            )
        })? {
            rows.push(finish(backend, EXP, t, planes, factor, &mut out)?);
        }
    }
    Ok(rows)
}
