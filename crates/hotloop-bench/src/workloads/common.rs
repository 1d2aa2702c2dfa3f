//! What several workloads' measurements share: the facade backends they run
//! on, the simulator's reduced sizes, the checks against [`pattern`], the
//! memory their arrays take.

use crate::config::Config;
use crate::inputs::pattern;
use crate::measure::{Plan, Rounds, Timings, time};
use crate::peers::Peers;
use crate::row::{Check, Row, row_id};
use crate::targets::{Target, python, time_ratio};
use hotloop::{Backend, Error};

/// The facade backends the configuration selects, each with its plan.
pub fn backends(cfg: &Config) -> Vec<(Backend, Plan)> {
    let mut out = Vec::new();
    if cfg.runs_backend("serial") {
        out.push((Backend::Serial, cfg.plan));
    }
    if cfg.runs_backend("parallel") {
        out.push((Backend::parallel(), cfg.plan));
    }
    if cfg.runs_backend("simulator") {
        out.push((Backend::simulator(), cfg.simulator_plan()));
    }
    if cfg.runs_backend("cuda") {
        out.push((Backend::cuda(), cfg.plan));
    }
    out
}

/// What [`cpu_and_others`] gives.
pub type CpuAndOthers = (Vec<Backend>, Vec<(Backend, Plan)>);

/// [`backends`] split in two: the CPU ones (serial, parallel), whose rows
/// a workload times in one set of rounds with its Python peers, and the
/// others (simulator, CUDA), each measured on its own.
pub fn cpu_and_others(cfg: &Config) -> CpuAndOthers {
    let (cpu, others): (Vec<_>, Vec<_>) = backends(cfg)
        .into_iter()
        .partition(|(b, _)| matches!(b, Backend::Serial | Backend::Parallel { .. }));
    (cpu.into_iter().map(|(b, _)| b).collect(), others)
}

/// What [`cpu_rounds`] gives: each CPU backend's timings, the peers' rows.
pub type CpuRounds = (Vec<(Backend, Timings)>, Vec<Row>);

/// Times `run` on each CPU backend `cfg` selects and the Python peers of
/// `set` (`python/peers.py`'s, built with `args`), in one set of rounds
/// (see [`crate::measure::Rounds`]); one progress step. Returns each
/// backend's timings, in order, and the peers' rows on `workload`.
pub fn cpu_rounds(
    cfg: &Config,
    peers: &Peers,
    (set, args): (&str, serde_json::Value),
    workload: &str,
    run: &dyn Fn(Backend) -> hotloop::Result<()>,
    progress: &mut dyn FnMut(&str),
) -> Result<CpuRounds, String> {
    let cpu = cpu_backends(cfg);
    let list = peers.prepare(set, args);
    progress(&format!(
        "{set} on the CPU, in rounds{}",
        if list.is_empty() {
            ""
        } else {
            " with its Python peers"
        }
    ));
    let mut rounds = Rounds::new();
    for &backend in &cpu {
        rounds.clocked(move || run(backend));
    }
    let at = peers.add_to(&list, &mut rounds);
    let timings = rounds.run(cfg.plan).map_err(|e| format!("{set}: {e}"))?;
    let mut peer_rows = Vec::new();
    for (p, &i) in list.iter().zip(&at) {
        peer_rows.extend(peers.row(p, workload, timings[i].clone()));
    }
    peers.release();
    Ok((cpu.into_iter().zip(timings).collect(), peer_rows))
}

/// The CPU facade backends `cfg` selects (serial, parallel), for the
/// workloads that run a user's loop body, which has no GPU form.
pub fn cpu_backends(cfg: &Config) -> Vec<Backend> {
    let mut out = Vec::new();
    if cfg.runs_backend("serial") {
        out.push(Backend::Serial);
    }
    if cfg.runs_backend("parallel") {
        out.push(Backend::parallel());
    }
    out
}

/// How many backends [`cpu_backends`] gives for `cfg`.
pub fn cpu_backend_count(cfg: &Config) -> u64 {
    u64::from(cfg.runs_backend("serial")) + u64::from(cfg.runs_backend("parallel"))
}

/// How many facade backends [`backends`] gives for `cfg` (without building
/// them).
pub fn facade_backends(cfg: &Config) -> u64 {
    ["serial", "parallel", "simulator", "cuda"]
        .into_iter()
        .filter(|b| cfg.runs_backend(b))
        .count() as u64
}

/// The bytes of `arrays` f64 arrays of `--size`'s shape.
pub fn shape_bytes(cfg: &Config, arrays: u64) -> Result<u64, String> {
    cfg.shape
        .iter()
        .try_fold(8 * arrays, |acc, &d| acc.checked_mul(d as u64))
        .ok_or_else(|| "array size overflows".into())
}

/// Runs one row's measurement; `None` (with the reason printed) if the
/// backend does not offer the operation.
pub fn time_or_skip(
    what: &str,
    backend: Backend,
    plan: Plan,
    f: impl FnMut() -> hotloop::Result<()>,
) -> Result<Option<Timings>, String> {
    match time(plan, f) {
        Ok(t) => Ok(Some(t)),
        Err(Error::BackendUnavailable { reason, .. }) => {
            crate::progress::note(&format!("{what} skipped on {backend}: {reason}"));
            Ok(None)
        }
        Err(e) => Err(format!("{what} on {backend}: {e}")),
    }
}

/// A row of a facade backend, its id `<kind>/<backend>/<key>`.
pub fn new_row(
    kind: &str,
    key: &str,
    workload: &str,
    backend: Backend,
    form: &str,
    timings: Timings,
) -> Row {
    let id = row_id(&[kind, backend.name(), key]);
    Row::new(id, workload, backend.to_string(), form, timings)
}

/// Within a few ulps of the reference's magnitude: the kernel may add the
/// same terms in another order.
pub fn check_close(got: &[f64], want: &[f64]) -> Check {
    let scale = want.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    let tol = 16.0 * f64::EPSILON * scale;
    match got.iter().zip(want).position(|(g, w)| (g - w).abs() > tol) {
        None => Check::Passed,
        Some(i) => Check::Failed(format!("cell {i} is {}, reference {}", got[i], want[i])),
    }
}

/// Most elements a simulator row runs on: the simulator checks kernels, it
/// is not a speed tool, and at the blog's sizes its rows alone took most
/// of the suite's time. Its rows are measured on the leading part of the
/// input and their times extrapolated by element count, as the pure-Python
/// row's are, and say so in their note.
pub const SIMULATOR_ELEMS: usize = 1 << 22;

/// The leading planes of `x` that hold at most [`SIMULATOR_ELEMS`]
/// elements (one plane at least), and the factor the simulator's times on
/// them are extrapolated by.
pub fn simulator_planes(shape: [usize; 3]) -> (usize, f64) {
    let plane = (shape[1] * shape[2]).max(1);
    let planes = (SIMULATOR_ELEMS / plane).clamp(1, shape[0].max(1));
    let full = shape.iter().product::<usize>().max(1);
    (planes, full as f64 / (planes * plane) as f64)
}

/// `t` extrapolated by `factor`.
pub fn extrapolated(t: Timings, factor: f64) -> Timings {
    Timings {
        first_call_s: t.first_call_s.map(|s| s * factor),
        repeats_s: t.repeats_s.iter().map(|s| s * factor).collect(),
        rounds: t.rounds,
    }
}

/// The note of a row measured on `measured` and extrapolated by `factor`
/// (`None` when it ran at full size).
pub fn extrapolation_note(measured: &str, factor: f64) -> Option<String> {
    (factor > 1.0).then(|| {
        format!(
            "measured on {measured} and extrapolated x{factor:.0} by element count: the \
             simulator checks kernels, it is not a speed tool; no bandwidth is given, since \
             the part measured fits in the cache"
        )
    })
}

/// The serial and parallel rows `<kind>/<backend>/<key>` against Numba's
/// `@njit` and `prange` rows of the same program (`what`, in the target's
/// name): each at most Numba's time.
pub fn against_numba(rows: &[Row], kind: &str, key: &str, what: &str) -> Vec<Target> {
    let peers = [("serial", "numba @njit"), ("parallel", "numba prange")];
    against(rows, kind, key, what, peers)
}

/// The rows `<kind>/<backend>/<key>` of each `(backend, peer)` against the
/// Python row `peer` of the same workload: each at most the peer's time.
pub fn against(
    rows: &[Row],
    kind: &str,
    key: &str,
    what: &str,
    peers: [(&str, &str); 2],
) -> Vec<Target> {
    let mut out = Vec::new();
    for (backend, peer) in peers {
        let id = row_id(&[kind, backend, key]);
        let Some(ours) = rows.iter().find(|r| r.id == id) else {
            continue;
        };
        if let Some(numba) = python(rows, &ours.workload, peer) {
            out.push(Target::new(
                format!("{backend} {what} time / {peer} ({})", ours.workload),
                time_ratio(ours, numba),
                1.0,
                true,
            ));
        }
    }
    out
}

/// `Check::Passed` if `out[i] == pattern(i) + 2` everywhere.
pub fn check_add(out: &[f64]) -> Check {
    match out
        .iter()
        .enumerate()
        .find(|(i, o)| **o != pattern(*i) + 2.0)
    {
        None => Check::Passed,
        Some((i, o)) => Check::Failed(format!("element {i} is {o}, expected {}", pattern(i) + 2.0)),
    }
}
