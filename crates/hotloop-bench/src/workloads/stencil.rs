//! `@stencil`: the 3-D 7-point Laplacian and the 2-D 5-point Jacobi step,
//! zero border (Numba's default), on every selected backend. A backend that
//! does not run a capability is skipped with its reason, not counted as
//! wrong. On the CPU a STREAM-style copy of the grid's bytes runs in the
//! same rounds: a stencil reads its input and writes its output once, as
//! the copy does, so the copy is its limit. A solver's sweeps, each over
//! the one before, run there too: [`SWEEPS`] Jacobi steps blocked in time
//! (`stencil2_steps_into`) beside a loop of single steps.

use super::common::{
    check_close, cpu_and_others, cpu_backend_count, facade_backends, new_row, time_or_skip,
};
use super::{Data, PythonPeers, Workload};
use crate::config::Config;
use crate::inputs::{input, output};
use crate::measure::{Rounds, Timings};
use crate::peers::Peers;
use crate::row::{Check, Row, row_id};
use crate::targets::{
    Target, arrays_too_small, bandwidth_ratio, find, over_fastest_peer, time_ratio,
};
use hotloop::{
    Backend, Boundary, Jacobi5, Laplacian7, stencil2_into, stencil2_steps_into, stencil3_into,
};
use hotloop_cpu::parallel::copy_streaming;
use hotloop_cpu::pool::Pool;
use ndarray::{Array2, Array3};
use std::cell::RefCell;
use std::num::NonZeroUsize;

/// The stencil workload (`--workload stencil`).
pub struct Stencil;

impl Workload for Stencil {
    fn name(&self) -> &'static str {
        "stencil"
    }

    fn data(&self) -> Data {
        Data::OwnArrays
    }

    /// Each grid, its reference and its output, and the copy's output;
    /// the Python peers' as many, and a temporary as large while they
    /// build their reference; the sweeps' reference and three outputs, and
    /// the peers' reference, two outputs and temporaries.
    fn memory(&self, cfg: &Config, python: bool) -> Result<u64, String> {
        let (n3, n2) = sides(cfg);
        Ok(footprint(n3, n2, python))
    }

    fn python(&self) -> PythonPeers {
        PythonPeers {
            cpu: Some("Numba's @stencil under @njit, serial and parallel, once and in a loop"),
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
    /// as the fastest of Numba's forms and at least
    /// [`SHARE_OF_COPY`] of the copy's bandwidth on as many threads; the
    /// sweeps blocked in time at least as fast as the loop of steps, and
    /// as Numba's loop of `@stencil` calls (serial, and the fastest form).
    fn targets(&self, rows: &[Row]) -> Vec<Target> {
        let mut out = Vec::new();
        for (kind, _) in STENCILS {
            if let (Some(r), Some(copy)) = (
                find(rows, &row_id(&[kind, "parallel", ZERO_BORDER])),
                find(rows, &row_id(&[COPY, "parallel", GRID])),
            ) && let Some(share) = bandwidth_ratio(r, copy)
            {
                out.push(
                    Target::new(
                        format!("parallel {} / stream copy bandwidth", r.workload),
                        share,
                        SHARE_OF_COPY,
                        false,
                    )
                    .unless_too_small(arrays_too_small(r)),
                );
            }
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
        for backend in ["serial", "parallel"] {
            if let (Some(blocked), Some(looped)) = (
                find(rows, &row_id(&[SWEPT, backend, BLOCKED])),
                find(rows, &row_id(&[SWEPT, backend, LOOPED])),
            ) {
                out.push(Target::new(
                    format!(
                        "{backend} {} blocked in time / a loop of steps",
                        blocked.workload
                    ),
                    time_ratio(looped, blocked),
                    1.0,
                    false,
                ));
            }
        }
        for (backend, forms) in [
            ("serial", &NUMBA_SWEPT_FORMS[..1]),
            ("parallel", &NUMBA_SWEPT_FORMS[..]),
        ] {
            if let Some(r) = find(rows, &row_id(&[SWEPT, backend, BLOCKED]))
                && let Some(t) = over_fastest_peer(rows, backend, r, forms)
            {
                out.push(t);
            }
        }
        for kind in [LAPLACIAN, JACOBI] {
            if let (Some(s), Some(p)) = (
                find(rows, &row_id(&[kind, "serial", ZERO_BORDER])),
                find(rows, &row_id(&[kind, "parallel", ZERO_BORDER])),
            ) {
                out.push(Target::new(
                    format!("parallel speedup of {}", s.workload),
                    time_ratio(s, p),
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
/// The sweeps rows' ids: `stencil_jacobi5_sweeps/<backend>/<key>`.
const SWEPT: &str = "stencil_jacobi5_sweeps";
/// The key of the sweeps blocked in time (`stencil2_steps_into`).
const BLOCKED: &str = "blocked";
/// The key of the loop of single steps (`stencil2_into`, alternating
/// between two outputs).
const LOOPED: &str = "loop";
/// Jacobi steps a sweeps row runs, each over the one before: a blocked
/// pass's most.
pub const SWEEPS: usize = 8;
/// The sweeps' key in `python/peers.py`.
const SWEPT_PEERS: &str = "jacobi5_sweeps";
/// Numba's forms of the sweeps there (a loop of `@stencil` calls in a
/// compiled function), serial then parallel.
const NUMBA_SWEPT_FORMS: [&str; 2] = [
    "numba @stencil loop, @njit",
    "numba @stencil loop, @njit(parallel=True)",
];
/// The copy rows' ids: `stream_copy/<backend>/stencil_grid`.
const COPY: &str = "stream_copy";
/// The key of the copy rows.
const GRID: &str = "stencil_grid";
/// The share of the copy's bandwidth a parallel stencil must reach: the
/// rest is the loads it serves from the cache (its neighbours) beside the
/// copy's one stream.
const SHARE_OF_COPY: f64 = 0.8;
/// Both stencils: their row kinds and their keys in `python/peers.py`.
const STENCILS: [(&str, &str); 2] = [(LAPLACIAN, "laplacian7"), (JACOBI, "jacobi5")];
/// Numba's forms of each stencil there, serial then parallel.
const NUMBA_FORMS: [&str; 2] = [
    "numba @stencil, @njit",
    "numba @stencil, @njit(parallel=True)",
];

/// The bytes the workload holds at once on grids of sides `n3` and `n2`:
/// each grid's input, outputs and reference, the sweeps' pair and theirs,
/// and with the Python peers their own copies beside them.
fn footprint(n3: usize, n2: usize, python: bool) -> u64 {
    let arrays = if python { 8 } else { 4 };
    let swept = if python { 12 } else { 4 };
    arrays * 8 * (n3.pow(3) + n2.pow(2)) as u64 + swept * 8 * n2.pow(2) as u64
}

/// The smallest sides [`sides`] picks by the cache: the grids' size where
/// the last-level cache is under 64 MiB.
const MIN_SIDES: (usize, usize) = (256, 4096);

/// The 3-D grid's side and the 2-D grid's: by default each grid at least
/// twice the largest cache ([`MIN_SIDES`] at least), as large as fits in
/// 80% of the available memory with the run's Python peers ([`fit`]),
/// never more cells than `--size`. A grid that fits the cache is read from
/// it on the calls after a copy of it: 128 MiB grids on a VM reporting a
/// 480 MiB L3 ran the Laplacian in 11.5 ms or 17.5 ms by what the call
/// before had left there.
fn sides(cfg: &Config) -> (usize, usize) {
    let (n3, n2) = if cfg.quick {
        (128, 2048)
    } else {
        let cache = crate::sweep::caches().into_iter().map(|(_, b)| b).max();
        let cells = (2 * cache.unwrap_or(0) / 8) as f64;
        let by_cache = (
            (cells.cbrt() as usize)
                .next_multiple_of(64)
                .max(MIN_SIDES.0),
            (cells.sqrt() as usize)
                .next_multiple_of(256)
                .max(MIN_SIDES.1),
        );
        let python = cfg.python != crate::config::PythonMode::Off;
        match hotloop_runtime::memory::available_bytes() {
            Some(available) => fit(by_cache, python, available / 5 * 4),
            None => by_cache,
        }
    };
    let len = cfg.shape.iter().product::<usize>().max(1) as f64;
    let n3 = n3.min(len.cbrt() as usize).max(1);
    let n2 = n2.min(len.sqrt() as usize).max(1);
    (n3, n2)
}

/// `sides` shrunk, both grids by one factor of their cells, until their
/// [`footprint`] is at most `budget` bytes, never below [`MIN_SIDES`]
/// (where even those do not fit, the run's memory check says so). Twice a
/// 480 MiB L3, 512^3 and 11264^2, would need 27 GiB with the peers.
fn fit((n3, n2): (usize, usize), python: bool, budget: u64) -> (usize, usize) {
    let need = footprint(n3, n2, python);
    if need <= budget {
        return (n3, n2);
    }
    let f = budget as f64 / need as f64;
    let down = |side: usize, root: f64, step: usize, least: usize| {
        ((side as f64 * root) as usize / step * step).max(least)
    };
    (
        down(n3, f.cbrt(), 64, MIN_SIDES.0),
        down(n2, f.sqrt(), 256, MIN_SIDES.1),
    )
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
    // Allocated as NumPy's arrays are (on huge pages where the system
    // allows), as the peers' are.
    let x3 = input([n3; 3])?;
    let plane = |a: Array3<f64>| a.into_shape_with_order((n2, n2)).map_err(|e| e.to_string());
    let x2 = plane(input([1, n2, n2])?)?;
    let want3 = reference_laplacian(&x3);
    let want2 = reference_jacobi(&x2);
    let out3 = RefCell::new(output([n3; 3], 1.0)?);
    let out2 = RefCell::new(plane(output([1, n2, n2], 1.0)?)?);
    // The sweeps' reference, and their outputs: the blocked form's, and
    // the two the loop alternates between.
    let want_swept = (0..SWEEPS).fold(x2.clone(), |a, _| reference_jacobi(&a));
    let grid2 = || Ok::<_, String>(RefCell::new(plane(output([1, n2, n2], 1.0)?)?));
    let (swept, ping, pong) = (grid2()?, grid2()?, grid2()?);
    let swept_workload = format!("stencil jacobi5 f64 {n2}^2, {SWEEPS} sweeps");
    // The sweeps on `backend`, blocked or looped (`key`).
    let sweep = |key: &str, backend: Backend| -> hotloop::Result<()> {
        let zero = Boundary::default();
        if key == BLOCKED {
            return stencil2_steps_into(
                backend,
                Jacobi5,
                &x2,
                zero,
                SWEEPS,
                &mut swept.borrow_mut(),
            );
        }
        let (mut last, mut next) = (ping.borrow_mut(), pong.borrow_mut());
        stencil2_into(backend, Jacobi5, &x2, zero, &mut last)?;
        for _ in 1..SWEEPS {
            stencil2_into(backend, Jacobi5, &last, zero, &mut next)?;
            std::mem::swap(&mut last, &mut next);
        }
        Ok(())
    };
    // Its row, the output checked once more outside the timings.
    let sweeps_row = |key: &str, backend: Backend, t: Timings| -> Result<Row, String> {
        sweep(key, backend).map_err(|e| format!("stencil sweeps on {backend}: {e}"))?;
        let (form, got) = match key {
            BLOCKED => ("stencil2_steps_into: blocked in time", swept.borrow()),
            _ if SWEEPS % 2 == 1 => ("a loop of stencil2_into", ping.borrow()),
            _ => ("a loop of stencil2_into", pong.borrow()),
        };
        let mut r = new_row(SWEPT, key, &swept_workload, backend, form, t);
        r.check = check_close(got.as_slice().unwrap(), want_swept.as_slice().unwrap());
        // What the loop moves, a grid in and a grid out a sweep: the
        // blocked form's throughput is of those bytes, not of its own.
        r.bytes = Some((2 * SWEEPS * size_of_val(want_swept.as_slice().unwrap())) as u64);
        r.note = Some(format!(
            "{SWEEPS} Jacobi steps, each over the one before, zero border; \
             the loop alternates between two outputs; throughput of the loop's bytes \
             (two grids a sweep), which blocking in time does not move"
        ));
        Ok(r)
    };
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
    let (cpu, others) = cpu_and_others(cfg);
    let mut rows = Vec::new();
    if !cpu.is_empty() {
        let args = serde_json::json!({ "n3": n3, "n2": n2, "sweeps": SWEEPS });
        let peer_list = peers.prepare("stencil", args);
        progress(&format!(
            "stencil: laplacian and jacobi on the CPU, in rounds{}",
            if peer_list.is_empty() {
                ""
            } else {
                " with Numba's @stencil"
            }
        ));
        let copied = RefCell::new(output([n3; 3], 1.0)?);
        let src = x3.as_slice().expect("standard layout");
        let mut pools = Vec::new();
        for &backend in &cpu {
            let threads = match backend {
                Backend::Serial => NonZeroUsize::new(1),
                _ => None,
            };
            pools.push(Pool::get(threads).map_err(|e| e.to_string())?);
        }
        let mut rounds = Rounds::new();
        let mut at = Vec::new();
        for (&backend, pool) in cpu.iter().zip(&pools) {
            let (run, sweep) = (&run, &sweep);
            let copy = rounds.clocked(|| {
                let mut dst = copied.borrow_mut();
                copy_streaming(pool, src, dst.as_slice_mut().expect("standard layout"));
                Ok(())
            });
            at.push((
                copy,
                [0, 1].map(|k| rounds.clocked(move || run(k, backend))),
                [BLOCKED, LOOPED].map(|key| rounds.clocked(move || sweep(key, backend))),
            ));
        }
        let peer_at = peers.add_to(&peer_list, &mut rounds);
        let timings = rounds
            .run(cfg.plan)
            .map_err(|e| format!("stencil on the CPU: {e}"))?;
        for (p, &i) in peer_list.iter().zip(&peer_at) {
            if let Some(k) = STENCILS.iter().position(|s| s.1 == p.key) {
                rows.extend(peers.row(p, &workloads[k], timings[i].clone()));
            } else if p.key == SWEPT_PEERS {
                rows.extend(peers.row(p, &swept_workload, timings[i].clone()));
            }
        }
        peers.release();
        for (s, &backend) in cpu.iter().enumerate() {
            let (copy, stencils, sweeps) = at[s];
            copied.borrow_mut().fill(1.0);
            copy_streaming(&pools[s], src, copied.borrow_mut().as_slice_mut().unwrap());
            let mut r = new_row(
                COPY,
                GRID,
                &format!("stencils' limit: stream copy f64 {n3}^3"),
                backend,
                &format!("stream copy, {}", hotloop_cpu::store::streaming_stores()),
                timings[copy].clone(),
            );
            r.check = if copied.borrow().as_slice() == Some(src) {
                Check::Passed
            } else {
                Check::Failed("copy differs from its source".into())
            };
            r.bytes = Some(2 * size_of_val(src) as u64);
            r.note = Some(
                "the Laplacian's grid copied with streaming stores, in the stencils' rounds: \
                 their bandwidth limit"
                    .into(),
            );
            rows.push(r);
            for k in 0..2 {
                rows.push(finish(k, backend, timings[stencils[k]].clone())?);
            }
            for (key, t) in [BLOCKED, LOOPED].into_iter().zip(sweeps) {
                rows.push(sweeps_row(key, backend, timings[t].clone())?);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::row::Check;

    #[test]
    fn grids_shrink_to_fit_the_memory_never_below_the_least() {
        const GIB: u64 = 1 << 30;
        // Twice a 480 MiB L3 fits 48 GiB as it is, not 80% of 23 GiB.
        assert_eq!(fit((512, 11264), true, 48 * GIB), (512, 11264));
        let (n3, n2) = fit((512, 11264), true, 23 * GIB / 5 * 4);
        assert!(footprint(n3, n2, true) <= 23 * GIB / 5 * 4, "{n3} {n2}");
        assert!(n3 < 512 && n2 < 11264 && n3 % 64 == 0 && n2 % 256 == 0);
        assert!(footprint(n3 + 64, n2 + 256, true) > 23 * GIB / 5 * 4);
        // Without the peers the same grids fit.
        assert_eq!(fit((512, 11264), false, 23 * GIB / 5 * 4), (512, 11264));
        assert_eq!(fit((512, 11264), true, GIB), MIN_SIDES);
    }

    fn row(id: &str, workload: &str, secs: f64, bytes: u64) -> Row {
        let timings = Timings {
            first_call_s: None,
            repeats_s: vec![secs],
            rounds: None,
        };
        let mut r = Row::new(id.into(), workload, "parallel", "form", timings);
        r.bytes = Some(bytes);
        r.check = Check::Passed;
        r
    }

    #[test]
    fn the_parallel_stencils_share_of_the_copy_is_of_bandwidth() {
        let big = 2 * (256u64 << 20);
        let rows = vec![
            row(&row_id(&[COPY, "parallel", GRID]), "copy", 1.0, big),
            // Same bytes in 1.2x the copy's time: 0.83 of its bandwidth.
            row(
                &row_id(&[LAPLACIAN, "parallel", ZERO_BORDER]),
                "lap",
                1.2,
                big,
            ),
            // Half the bytes in the copy's time: 0.5.
            row(
                &row_id(&[JACOBI, "parallel", ZERO_BORDER]),
                "jac",
                1.0,
                big / 2,
            ),
        ];
        let t = Stencil.targets(&rows);
        let share = |w: &str| {
            t.iter()
                .find(|t| t.name == format!("parallel {w} / stream copy bandwidth"))
                .unwrap()
        };
        assert!((share("lap").measured - 1.0 / 1.2).abs() < 1e-12 && share("lap").met);
        assert!((share("jac").measured - 0.5).abs() < 1e-12 && !share("jac").met);
        // Without the copy in the run, no share is claimed.
        assert!(
            Stencil
                .targets(&rows[1..])
                .iter()
                .all(|t| !t.name.contains("copy"))
        );
    }

    #[test]
    fn sweeps_blocked_in_time_must_beat_the_loop_on_each_backend() {
        let rows = vec![
            row(&row_id(&[SWEPT, "parallel", BLOCKED]), "sweeps", 0.8, 1),
            row(&row_id(&[SWEPT, "parallel", LOOPED]), "sweeps", 1.0, 1),
            // Serial slower blocked: missed.
            row(&row_id(&[SWEPT, "serial", BLOCKED]), "sweeps", 1.1, 1),
            row(&row_id(&[SWEPT, "serial", LOOPED]), "sweeps", 1.0, 1),
        ];
        let t = Stencil.targets(&rows);
        let target = |b: &str| {
            t.iter()
                .find(|t| t.name == format!("{b} sweeps blocked in time / a loop of steps"))
                .unwrap_or_else(|| panic!("no {b} sweeps target in {t:?}"))
        };
        assert!((target("parallel").measured - 1.25).abs() < 1e-12);
        assert!(target("parallel").met);
        assert!(!target("serial").met);
    }
}
