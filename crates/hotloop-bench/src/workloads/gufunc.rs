//! `@guvectorize`: a moving average `(n),()->(n)` and a row normalisation
//! `(n)->(n)` over the rows of a 2-D array, on every selected backend. A
//! backend that does not run a capability is skipped with its reason, not
//! counted as wrong.

use super::common::{
    check_close, cpu_and_others, cpu_backend_count, facade_backends, new_row, time_or_skip,
};
use super::{Data, PythonPeers, Workload};
use crate::config::Config;
use crate::inputs::pattern;
use crate::measure::{Rounds, Timings};
use crate::peers::Peers;
use crate::row::{Row, row_id};
use crate::targets::{Target, find, over_fastest_peer};
use hotloop::{Backend, moving_average, normalize_rows};
use ndarray::{Array2, Array3};
use std::cell::RefCell;

/// Numba's forms of each gufunc in `python/peers.py`.
const NUMBA_FORMS: [&str; 2] = [
    "numba @guvectorize",
    "numba @guvectorize, target='parallel'",
];

/// The gufunc workload (`--workload gufunc`).
pub struct Gufunc;

impl Workload for Gufunc {
    fn name(&self) -> &'static str {
        "gufunc"
    }

    fn data(&self) -> Data {
        Data::OwnArrays
    }

    /// The input, the two references, each CPU row's last result and the
    /// one a call makes; the Python peers' as many again.
    fn memory(&self, cfg: &Config, python: bool) -> Result<u64, String> {
        let (rows_n, n, _) = sizes(cfg);
        let arrays = if python { 16 } else { 8 };
        Ok(arrays * 8 * (rows_n * n) as u64)
    }

    /// One step for the CPU backends (their rows run in one set of
    /// rounds), two (the moving average and the normalisation) on each of
    /// the others.
    fn steps(&self, cfg: &Config) -> u64 {
        let cpu = cpu_backend_count(cfg);
        u64::from(cpu > 0) + 2 * (facade_backends(cfg) - cpu)
    }

    fn python(&self) -> PythonPeers {
        PythonPeers {
            cpu: Some("Numba's @guvectorize, serial and parallel"),
            gpu: false,
            simulator: false,
            rounds: true,
            script_too: false,
        }
    }

    /// Each gufunc's parallel row at least as fast as Numba's fastest
    /// `@guvectorize` of the same run, all of them allocating their output.
    fn targets(&self, rows: &[Row]) -> Vec<Target> {
        GUFUNCS
            .into_iter()
            .filter_map(|(kind, ..)| find(rows, &row_id(&[kind, "parallel", "rows"])))
            .filter_map(|r| over_fastest_peer(rows, "parallel", r, &NUMBA_FORMS))
            .collect()
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
}

/// The array's rows and columns and the moving average's window: never
/// more elements than `--size` asks for (the Python rows take the same).
pub fn sizes(cfg: &Config) -> (usize, usize, usize) {
    let (rows_n, n, window) = if cfg.quick {
        (1024, 4096, 16)
    } else {
        (4096, 8192, 16)
    };
    let len = cfg.shape.iter().product::<usize>().max(1);
    let n = n.min(len).max(1);
    let rows_n = rows_n.min(len / n).max(1);
    (rows_n, n, window)
}

/// The two gufuncs' row kinds, keys in `python/peers.py` and layouts.
const GUFUNCS: [(&str, &str, &str); 2] = [
    ("gufunc_moving_average", "moving average", "(n),()->(n)"),
    ("gufunc_normalize_rows", "normalize rows", "(n)->(n)"),
];

/// Runs gufunc `k` of [`GUFUNCS`] on `backend`.
fn call(
    k: usize,
    backend: Backend,
    x: &Array2<f64>,
    window: usize,
) -> hotloop::Result<Array2<f64>> {
    if k == 0 {
        moving_average(backend, x, window)
    } else {
        normalize_rows(backend, x)
    }
}

/// `@guvectorize`: a moving average `(n),()->(n)` and a row normalisation
/// `(n)->(n)` over the rows of a 2-D array, parallel across rows. On the
/// CPU both run in one set of rounds with Numba's `@guvectorize` peers.
fn rows(cfg: &Config, peers: &Peers, progress: &mut dyn FnMut(&str)) -> Result<Vec<Row>, String> {
    let (rows_n, n, window) = sizes(cfg);
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
    let wants = [&want_ma, &want_norm];
    let workloads = [
        format!("gufunc moving average f64 {rows_n}x{n}, window {window}"),
        format!("gufunc normalize rows f64 {rows_n}x{n}"),
    ];
    let row_of = |k: usize, backend: Backend, t: Timings, got: &Array2<f64>| {
        let (kind, _, layout) = GUFUNCS[k];
        let mut r = new_row(kind, "rows", &workloads[k], backend, layout, t);
        r.check = check_close(got.as_slice().unwrap(), wants[k].as_slice().unwrap());
        r.bytes = Some(2 * (x.len() * 8) as u64);
        r.baseline = backend == Backend::Serial;
        r.note = Some(
            "@guvectorize: core dimension n, looped (and parallel) over rows; allocates its output each call"
                .into(),
        );
        r
    };
    let (cpu, others) = cpu_and_others(cfg);
    let mut rows = Vec::new();
    if !cpu.is_empty() {
        let peer_list = peers.prepare(
            "gufunc",
            serde_json::json!({ "rows": rows_n, "cols": n, "window": window }),
        );
        progress(&format!(
            "gufunc: moving average and normalize rows on the CPU, in rounds{}",
            if peer_list.is_empty() {
                ""
            } else {
                " with Numba's @guvectorize"
            }
        ));
        let slots: Vec<[RefCell<Option<Array2<f64>>>; 2]> =
            cpu.iter().map(|_| Default::default()).collect();
        let mut rounds = Rounds::new();
        let mut at = Vec::new();
        for (s, &backend) in cpu.iter().enumerate() {
            let x = &x;
            at.push(
                [0, 1].map(|k| rounds.fresh(&slots[s][k], move || call(k, backend, x, window))),
            );
        }
        let peer_at = peers.add_to(&peer_list, &mut rounds);
        let timings = rounds
            .run(cfg.plan)
            .map_err(|e| format!("gufunc on the CPU: {e}"))?;
        for (s, &backend) in cpu.iter().enumerate() {
            for k in 0..2 {
                let got = slots[s][k].borrow();
                let got = got.as_ref().expect("a call ran");
                rows.push(row_of(k, backend, timings[at[s][k]].clone(), got));
            }
        }
        for (p, &i) in peer_list.iter().zip(&peer_at) {
            if let Some(k) = GUFUNCS.iter().position(|g| g.1 == p.key) {
                rows.extend(peers.row(p, &workloads[k], timings[i].clone()));
            }
        }
        peers.release();
    }
    for (backend, plan) in others {
        for (k, (_, name, _)) in GUFUNCS.into_iter().enumerate() {
            progress(&format!("gufunc: {name} on {backend}"));
            let mut got = None;
            if let Some(t) = time_or_skip(name, backend, plan, || {
                got = Some(call(k, backend, &x, window)?);
                Ok(())
            })? {
                rows.push(row_of(k, backend, t, got.as_ref().expect("a call ran")));
            }
        }
    }
    Ok(rows)
}
