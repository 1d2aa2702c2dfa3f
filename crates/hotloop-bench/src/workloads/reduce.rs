//! Reductions (`prange` with `+=`): sum, max, min and count-where.

use super::common::{
    cpu_and_others, cpu_backend_count, extrapolated, extrapolation_note, facade_backends,
    shape_bytes, simulator_planes,
};
use super::{Data, PythonPeers, Workload};
use crate::config::Config;
use crate::inputs::pattern;
use crate::measure::{Rounds, Timings, time};
use crate::peers::Peers;
use crate::row::{Check, Row, row_id};
use crate::targets::{
    MIN_JUDGED_ARRAY_BYTES, Target, fastest_peer, find, over_peer, tie_at_limit, time_ratio,
};
use hotloop::{Backend, Error, GreaterThan, count_where, max, min, sum};
use hotloop_cpu::pool::Pool;
use hotloop_cpu::probe::read_all_parallel;
use ndarray::{Array3, ArrayView3};
use std::cell::{Cell, RefCell};
use std::num::NonZeroUsize;

/// The reductions measured, by name.
const OPS: [&str; 4] = ["sum", "max", "min", "count > 0"];

/// Each reduction's NumPy form in `python/peers.py` (one thread), in
/// [`OPS`]' order.
const NUMPY_FORMS: [&str; 4] = [
    "numpy sum",
    "numpy max",
    "numpy min",
    "numpy count_nonzero(x > 0)",
];

/// Each reduction's Numba form there (`parallel=True`), in [`OPS`]' order.
const NUMBA_FORMS: [&str; 4] = [
    "numba prange",
    "numba parallel np.max",
    "numba parallel np.min",
    "numba prange",
];

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

    /// The input alone: a reduction writes nothing. The Python peers,
    /// timed beside the rows, hold a copy of it, and NumPy's count makes a
    /// boolean array of it, an eighth of its size.
    fn memory(&self, cfg: &Config, python: bool) -> Result<u64, String> {
        let input = shape_bytes(cfg, 1)?;
        Ok(if python { 2 * input + input / 8 } else { input })
    }

    fn python(&self) -> PythonPeers {
        PythonPeers {
            cpu: Some("NumPy's sum, max, min and count_nonzero, and Numba's parallel reductions"),
            gpu: false,
            simulator: false,
            rounds: true,
            script_too: false,
        }
    }

    /// One step for the CPU backends (their reductions run in one set of
    /// rounds), one per reduction on the others.
    fn steps(&self, cfg: &Config) -> u64 {
        let cpu = cpu_backend_count(cfg);
        u64::from(cpu > 0) + OPS.len() as u64 * (facade_backends(cfg) - cpu)
    }

    /// Each parallel reduction at least 0.9 of the read limit on as many
    /// threads (timed in the same rounds) and at least as fast as the
    /// fastest Python peer of the run; each serial one at least as fast as
    /// NumPy's (one thread). A peer target missed while both sides run at
    /// the read pass of their rounds names that bound ([`tie_at_limit`]).
    fn targets(&self, rows: &[Row]) -> Vec<Target> {
        let mut out = Vec::new();
        for (k, op) in OPS.into_iter().enumerate() {
            let numpy = NUMPY_FORMS[k];
            let parallel = find(rows, &row_id(&[op, "parallel"]));
            if let (Some(r), Some(read)) = (parallel, find(rows, &read_id("parallel"))) {
                out.push(
                    Target::new(
                        format!("parallel {} / read-only pass bandwidth", r.workload),
                        time_ratio(read, r),
                        0.90,
                        false,
                    )
                    .unless_too_small(read_too_small(r)),
                );
            }
            // Each against its fastest peer on as many threads; where both
            // run at the read pass of their rounds, a miss is a tie at the
            // memory's limit.
            for (backend, forms) in [
                ("parallel", &[numpy, NUMBA_FORMS[k]][..]),
                ("serial", &[numpy]),
            ] {
                if let Some(r) = find(rows, &row_id(&[op, backend]))
                    && let Some(peer) = fastest_peer(rows, r, forms)
                {
                    let bound = find(rows, &read_id(backend))
                        .and_then(|read| tie_at_limit(r, peer, read, "the read pass"));
                    out.push(
                        over_peer(backend, r, peer)
                            .explained_by(bound)
                            .unless_too_small(read_too_small(r)),
                    );
                }
            }
        }
        out
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
}

/// Measures every reduction on every selected backend.
fn rows(
    cfg: &Config,
    x: &Array3<f64>,
    peers: &Peers,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Row>, String> {
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

    let (cpu, others) = cpu_and_others(cfg);
    let mut rows = Vec::new();
    if !cpu.is_empty() {
        rows.extend(cpu_rows(cfg, &cpu, x, &full, peers, progress)?);
    }
    for (backend, plan) in others {
        for (k, op) in OPS.into_iter().enumerate() {
            let workload = format!("{op} f64 {a}x{b}x{c}");
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
            let mut row = op_row(
                op,
                backend,
                &workload,
                n,
                extrapolated(t, factor),
                check(op, got, want, tol),
            );
            row.bytes = Some((x.len() * size_of::<f64>()) as u64);
            row.note = extrapolation_note(&format!("{}x{b}x{c}", n / (b * c).max(1)), factor);
            rows.push(row);
        }
    }
    Ok(rows)
}

/// Whether reduction `op` gave `want` within `tol`.
fn check(op: &str, got: f64, want: f64, tol: f64) -> Check {
    if (got - want).abs() <= tol {
        Check::Passed
    } else {
        Check::Failed(format!("{op} = {got}, expected {want}"))
    }
}

/// Reduction `op`'s row on `backend` over `n` elements.
fn op_row(
    op: &str,
    backend: Backend,
    workload: &str,
    n: usize,
    timings: Timings,
    check: Check,
) -> Row {
    let grid = matches!(backend, Backend::Simulator { .. } | Backend::Cuda { .. });
    Row {
        id: row_id(&[op, backend.name()]),
        workload: workload.into(),
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
        timings,
        bytes: Some((n * size_of::<f64>()) as u64),
        samples: None,
        baseline: backend == Backend::Serial,
        check,
        compile_s: None,
        gpu: None,
        note: None,
    }
}

/// Why an input of `row`'s bytes measures the cache, not memory.
fn read_too_small(row: &Row) -> Option<String> {
    let bytes = row.bytes?;
    (bytes < MIN_JUDGED_ARRAY_BYTES).then(|| {
        format!(
            "an input of {} is under {}: cache, not memory",
            hotloop_runtime::Bytes(bytes),
            hotloop_runtime::Bytes(MIN_JUDGED_ARRAY_BYTES)
        )
    })
}

/// The read-only pass's row id on a CPU backend (`serial`, `parallel`).
fn read_id(backend: &str) -> String {
    row_id(&["read", backend])
}

/// The id of the parallel read-only pass: the machine's read limit, the
/// reference of the reductions' share of bandwidth.
pub const READ_PARALLEL: &str = "read/parallel";

/// Whether `row` only reads its bytes (a reduction or the read-only pass),
/// so that its share of bandwidth is of the read limit, not the copy's.
pub fn reads_only(row: &Row) -> bool {
    let kind = row.id.split('/').next().unwrap_or_default();
    kind == "read" || OPS.iter().any(|op| row_id(&[op]) == kind)
}

/// The four reductions on each CPU backend, the machine's read limit on
/// as many threads ([`hotloop_cpu::probe`]) and the Python peers, timed in
/// one set of rounds (read, sum, max, min, count on each backend, then
/// each peer, and again), so that each reduction's share of the read limit
/// and its ratio to NumPy's and Numba's compare rows that saw the machine
/// in the same state.
fn cpu_rows(
    cfg: &Config,
    backends: &[Backend],
    x: &Array3<f64>,
    refs: &[(&str, f64, f64); 4],
    peers: &Peers,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Row>, String> {
    let [a, b, c] = cfg.shape;
    let src = x.as_slice().expect("standard layout");
    let mut pools = Vec::new();
    for &backend in backends {
        let threads = match backend {
            Backend::Serial => NonZeroUsize::new(1),
            _ => None,
        };
        let pool = Pool::get(threads).map_err(|e| e.to_string())?;
        let want_read = read_all_parallel(&pool, src);
        pools.push((pool, want_read));
    }
    let peer_list = peers.prepare("reduce", serde_json::json!({ "shape": cfg.shape }));
    let names: Vec<_> = backends.iter().map(|b| b.name()).collect();
    progress(&format!(
        "reduce: sum, max, min and count on {}, in rounds with read-only passes{}",
        names.join(" and "),
        if peer_list.is_empty() {
            ""
        } else {
            " and the Python peers"
        }
    ));
    let view = x.view();
    let reads: Vec<Cell<u64>> = backends.iter().map(|_| Cell::new(0)).collect();
    let got: Vec<RefCell<[f64; 4]>> = backends
        .iter()
        .map(|_| RefCell::new([f64::NAN; 4]))
        .collect();
    let mut rounds = Rounds::<hotloop::Error>::new();
    let mut index = Vec::new();
    for (s, &backend) in backends.iter().enumerate() {
        let (pool, read, view) = (&pools[s].0, &reads[s], &view);
        let read_at = rounds.clocked(move || {
            read.set(read_all_parallel(pool, src));
            Ok(())
        });
        let got = &got[s];
        let ops_at: [usize; 4] = std::array::from_fn(|k| {
            rounds.clocked(move || {
                got.borrow_mut()[k] = reduce(OPS[k], backend, view)?;
                Ok(())
            })
        });
        index.push((read_at, ops_at));
    }
    let peer_at = peers.add_to(&peer_list, &mut rounds);
    let timings = rounds
        .run(cfg.plan)
        .map_err(|e| format!("reduce on {}: {e}", names.join(", ")))?;
    let mut rows = Vec::new();
    for (s, &backend) in backends.iter().enumerate() {
        let (read_at, ops_at) = index[s];
        let (pool, want_read) = &pools[s];
        let threads_said = match backend {
            Backend::Serial => "one thread".to_string(),
            _ => format!("{} threads", pool.threads()),
        };
        rows.push(Row {
            id: read_id(backend.name()),
            workload: format!("read-only pass f64 {a}x{b}x{c}"),
            backend: backend.to_string(),
            form: format!("stream read, {}", hotloop_cpu::probe::loads()),
            timings: timings[read_at].clone(),
            bytes: Some(size_of_val(src) as u64),
            samples: None,
            baseline: false,
            check: if reads[s].get() == *want_read {
                Check::Passed
            } else {
                Check::Failed("the read's XOR of the words changed between calls".into())
            },
            compile_s: None,
            gpu: None,
            note: Some(format!(
                "the machine's read limit on {threads_said}, timed in rounds with the reductions: the reference of their share"
            )),
        });
        let got = *got[s].borrow();
        for (k, op) in OPS.into_iter().enumerate() {
            let (_, want, tol) = refs[k];
            rows.push(op_row(
                op,
                backend,
                &format!("{op} f64 {a}x{b}x{c}"),
                src.len(),
                timings[ops_at[k]].clone(),
                check(op, got[k], want, tol),
            ));
        }
    }
    for (p, &at) in peer_list.iter().zip(&peer_at) {
        let workload = format!("{} f64 {a}x{b}x{c}", p.key);
        rows.extend(peers.row(p, &workload, timings[at].clone()));
    }
    peers.release();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reductions_and_the_read_pass_are_read_bound_and_nothing_else_is() {
        assert_eq!(read_id("parallel"), READ_PARALLEL);
        let row = |id: String| Row {
            id,
            ..op_row(
                "sum",
                Backend::Serial,
                "w",
                1,
                Timings::default(),
                Check::NotRun,
            )
        };
        for op in OPS {
            assert!(reads_only(&row(row_id(&[op, "parallel"]))), "{op}");
        }
        assert!(reads_only(&row(read_id("serial"))));
        assert!(!reads_only(&row(crate::workloads::add::STREAM_COPY.into())));
        assert!(!reads_only(&row(row_id(&[
            "add_scalar",
            "serial",
            "vectorized"
        ]))));
    }

    #[test]
    fn an_extrapolated_row_gives_no_bandwidth() {
        let t = Timings {
            first_call_s: None,
            repeats_s: vec![0.5],
            rounds: None,
        };
        let mut r = op_row("sum", Backend::simulator(), "w", 1 << 20, t, Check::Passed);
        assert_eq!(r.gb_per_s(), Some(8.0 * (1 << 20) as f64 / 0.5 / 1e9));
        r.note = crate::workloads::common::extrapolation_note("4x1024x256", 64.0);
        assert!(r.is_extrapolated() && r.gb_per_s().is_none());
        assert!(crate::workloads::common::extrapolation_note("all", 1.0).is_none());
    }
}
