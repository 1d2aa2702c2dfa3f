//! `@vectorize`: a user-defined element-wise op beside the hand-written
//! add_scalar it equals, and a transcendental, on every selected backend. A
//! backend that does not run a capability is skipped with its reason, not
//! counted as wrong.

use super::common::{
    backends, check_add, extrapolated, extrapolation_note, facade_backends, new_row, shape_bytes,
    simulator_planes, time_or_skip,
};
use super::{Data, Workload};
use crate::config::Config;
use crate::inputs::pattern;
use crate::row::{Check, Row, row_id};
use crate::targets::{Target, arrays_too_small, find, median};
use hotloop::{Affine, Backend, Error, Exp, add_scalar_into, map_into};
use ndarray::Array3;

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

    /// The input and an output.
    fn memory(&self, cfg: &Config, _python: bool) -> Result<u64, String> {
        shape_bytes(cfg, 2)
    }

    fn steps(&self, cfg: &Config) -> u64 {
        // The alternating pair and Exp.
        2 * facade_backends(cfg)
    }

    fn rows(
        &self,
        cfg: &Config,
        input: Option<&Array3<f64>>,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Vec<Row>, String> {
        rows(cfg, super::shared(input)?, progress)
    }

    /// On the CPU, the map against the hand-written add it equals.
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
                        median(map) / median(add),
                        MAP_OVER_ADD_MAX,
                        true,
                    )
                    .unless_too_small(arrays_too_small(add)),
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
/// The key of the `Affine` map row.
const AFFINE: &str = "affine";

/// Ulps between two finite f64 of the same sign (or both zero).
fn ulps(a: f64, b: f64) -> u64 {
    (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
}

/// `@vectorize`: a user-defined element-wise op (here `Affine { a: 1, b: 2 }`,
/// the same traffic and answer as add_scalar) beside the hand-written
/// add_scalar, and a transcendental (`Exp`).
fn rows(cfg: &Config, x: &Array3<f64>, progress: &mut dyn FnMut(&str)) -> Result<Vec<Row>, String> {
    let [a, b, c] = cfg.shape;
    let workload = format!("map f64 {a}x{b}x{c}");
    let bytes = Some(2 * (x.len() * size_of::<f64>()) as u64);
    let mut out = Array3::<f64>::from_elem(cfg.shape, 1.0);
    let mut rows = Vec::new();
    for (backend, plan) in backends(cfg)? {
        // The simulator runs the leading planes, extrapolated.
        let (planes, factor) = if matches!(backend, Backend::Simulator { .. }) {
            simulator_planes(cfg.shape)
        } else {
            (a, 1.0)
        };
        let n = planes * b * c;
        let xs = x.slice(ndarray::s![..planes, .., ..]);
        let note = |what: &str| {
            let extra = extrapolation_note(&format!("{planes}x{b}x{c}"), factor);
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
                ADD,
                "add_scalar, hand-written",
                t_add,
                "the reference the map must match: same traffic, same answer; timed in alternation with the map",
            ),
            (
                AFFINE,
                "map Affine{a: 1, b: 2}",
                t_map,
                "@vectorize: a user-written scalar op applied by the library",
            ),
        ] {
            out.fill(1.0);
            let mut dst = out.slice_mut(ndarray::s![..planes, .., ..]);
            if key == AFFINE {
                map_into(backend, affine, &xs, &mut dst)
            } else {
                add_scalar_into(backend, &xs, 2.0, &mut dst)
            }
            .map_err(|e| format!("map on {backend}: {e}"))?;
            let t = extrapolated(timings, factor);
            let mut r = new_row(KIND, key, &workload, backend, form, t);
            r.check = check_add(&out.as_slice().unwrap()[..n]);
            r.bytes = bytes;
            r.baseline = key == ADD && backend == Backend::Serial;
            r.note = note(what);
            rows.push(r);
        }
        progress(&format!("map: Exp on {backend}"));
        if let Some(t) = time_or_skip("map exp", backend, plan, || {
            map_into(
                backend,
                Exp,
                &xs,
                &mut out.slice_mut(ndarray::s![..planes, .., ..]),
            )
        })? {
            let t = extrapolated(t, factor);
            let mut r = new_row(KIND, "exp", &workload, backend, "map Exp", t);
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
