//! `@guvectorize`: a moving average `(n),()->(n)` and a row normalisation
//! `(n)->(n)` over the rows of a 2-D array, on every selected backend. A
//! backend that does not run a capability is skipped with its reason, not
//! counted as wrong.

use super::common::{backends, check_close, facade_backends, new_row, time_or_skip};
use super::{Data, PythonPeers, Workload};
use crate::config::Config;
use crate::inputs::pattern;
use crate::row::{Row, row_id};
use crate::targets::{Target, median, python};
use hotloop::{Backend, moving_average, normalize_rows};
use ndarray::{Array2, Array3};

/// Numba's parallel form of each gufunc in `python/blog_bench.py`.
const NUMBA_PARALLEL: &str = "numba @guvectorize, target='parallel'";

/// The gufunc workload (`--workload gufunc`).
pub struct Gufunc;

impl Workload for Gufunc {
    fn name(&self) -> &'static str {
        "gufunc"
    }

    fn data(&self) -> Data {
        Data::OwnArrays
    }

    /// The input, the two references, a result and the next one that
    /// replaces it.
    fn memory(&self, cfg: &Config, _python: bool) -> Result<u64, String> {
        let (rows_n, n, _) = sizes(cfg);
        Ok(5 * 8 * (rows_n * n) as u64)
    }

    fn steps(&self, cfg: &Config) -> u64 {
        // The moving average and the normalisation.
        2 * facade_backends(cfg)
    }

    fn python(&self) -> PythonPeers {
        PythonPeers {
            cpu: Some("Numba's @guvectorize, serial and parallel"),
            gpu: false,
            simulator: false,
        }
    }

    /// Each gufunc's parallel row at least as fast as Numba's parallel
    /// `@guvectorize` of the same run, both allocating their output.
    fn targets(&self, rows: &[Row]) -> Vec<Target> {
        ["gufunc_moving_average", "gufunc_normalize_rows"]
            .into_iter()
            .filter_map(|kind| {
                rows.iter()
                    .find(|r| r.id == row_id(&[kind, "parallel", "rows"]))
            })
            .filter_map(|r| {
                let numba = python(rows, &r.workload, NUMBA_PARALLEL)?;
                Some(Target::new(
                    format!("parallel {} speedup over {NUMBA_PARALLEL}", r.workload),
                    median(numba) / median(r),
                    1.0,
                    false,
                ))
            })
            .collect()
    }

    fn rows(
        &self,
        cfg: &Config,
        _input: Option<&Array3<f64>>,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Vec<Row>, String> {
        rows(cfg, progress)
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

/// `@guvectorize`: a moving average `(n),()->(n)` and a row normalisation
/// `(n)->(n)` over the rows of a 2-D array, parallel across rows.
fn rows(cfg: &Config, progress: &mut dyn FnMut(&str)) -> Result<Vec<Row>, String> {
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
    let ma_w = format!("gufunc moving average f64 {rows_n}x{n}, window {window}");
    let nr_w = format!("gufunc normalize rows f64 {rows_n}x{n}");
    let mut rows = Vec::new();
    for (backend, plan) in backends(cfg)? {
        progress(&format!("gufunc: moving average on {backend}"));
        let mut got = None;
        if let Some(t) = time_or_skip("moving average", backend, plan, || {
            got = Some(moving_average(backend, &x, window)?);
            Ok(())
        })? {
            let mut r = new_row(
                "gufunc_moving_average",
                "rows",
                &ma_w,
                backend,
                "(n),()->(n)",
                t,
            );
            r.check = check_close(
                got.unwrap().as_slice().unwrap(),
                want_ma.as_slice().unwrap(),
            );
            r.bytes = Some(2 * (x.len() * 8) as u64);
            r.baseline = backend == Backend::Serial;
            r.note = Some("@guvectorize: core dimension n, looped (and parallel) over rows".into());
            rows.push(r);
        }
        progress(&format!("gufunc: normalize rows on {backend}"));
        let mut got = None;
        if let Some(t) = time_or_skip("normalize rows", backend, plan, || {
            got = Some(normalize_rows(backend, &x)?);
            Ok(())
        })? {
            let mut r = new_row(
                "gufunc_normalize_rows",
                "rows",
                &nr_w,
                backend,
                "(n)->(n)",
                t,
            );
            r.check = check_close(
                got.unwrap().as_slice().unwrap(),
                want_norm.as_slice().unwrap(),
            );
            r.bytes = Some(2 * (x.len() * 8) as u64);
            r.baseline = backend == Backend::Serial;
            r.note = Some("@guvectorize: core dimension n, looped (and parallel) over rows".into());
            rows.push(r);
        }
    }
    Ok(rows)
}
