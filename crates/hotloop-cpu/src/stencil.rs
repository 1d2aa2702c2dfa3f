//! Stencils (`@stencil`) on the CPU: `hotloop_core::stencil`'s range body
//! over every cell of the output, serially or in fixed-size runs of rows
//! over the pool. Large outputs are written with streaming stores
//! ([`write_with`]), as the element-wise kernels' are: a stencil's output
//! is not read again while it runs, and skipping the write-allocate read
//! saves a third of its memory traffic.
//!
//! Each output cell is computed by the same arithmetic whichever task (or
//! streaming block) owns it, the interior fast path changing only how
//! values are fetched, so the parallel form is bit-identical to the serial
//! one in every boundary mode.

use crate::store::{StoreMode, write_with};
use hotloop_core::Num;
use hotloop_core::index::Shape3;
use hotloop_core::stencil::{Boundary, ReachError, Stencil3, stencil_range};

/// Output elements per parallel task (rounded to whole rows): about 256 KiB
/// of f64, so a task's input rows stay in L2 while it runs.
pub const STENCIL_TASK_ELEMS: usize = 1 << 15;

/// One thread: every row of `out` (`shape`'s element count, like `input`).
pub mod serial {
    use super::*;

    /// `out = kernel(input)` under `boundary`; stops at the first read
    /// outside the kernel's declared neighbourhood, with that error.
    pub fn run<T: Num, K: Stencil3<T>>(
        kernel: &K,
        input: &[T],
        shape: Shape3,
        boundary: Boundary<T>,
        out: &mut [T],
        store: StoreMode,
    ) -> Result<(), ReachError> {
        run_cells(kernel, input, shape, boundary, 0, out, store)
    }

    /// Output cells `first .. first + out.len()` (row-major) of
    /// `kernel(input)` into `out`, each with the bits [`run`] gives it: a
    /// part of the output, such as the planes one MPI rank owns of an
    /// input window holding them and their halo.
    pub fn run_cells<T: Num, K: Stencil3<T>>(
        kernel: &K,
        input: &[T],
        shape: Shape3,
        boundary: Boundary<T>,
        first: usize,
        out: &mut [T],
        store: StoreMode,
    ) -> Result<(), ReachError> {
        let mut result = Ok(());
        write_with(store.streams(size_of_val(out)), out, |at, dst| {
            if result.is_ok() {
                result = stencil_range(kernel, input, shape, boundary, first + at, dst);
            }
        });
        result
    }
}

/// Over a [`Pool`](crate::pool::Pool).
pub mod parallel {
    use super::*;
    use crate::pool::Pool;
    use rayon::prelude::*;

    /// [`serial::run`] with the rows split over the pool in runs of about
    /// [`STENCIL_TASK_ELEMS`] elements.
    pub fn run<T: Num, K: Stencil3<T>>(
        pool: &Pool,
        kernel: &K,
        input: &[T],
        shape: Shape3,
        boundary: Boundary<T>,
        out: &mut [T],
        store: StoreMode,
    ) -> Result<(), ReachError> {
        run_cells(pool, kernel, input, shape, boundary, 0, out, store)
    }

    /// [`serial::run_cells`] over the pool, as
    /// [`run`] splits it (in whole rows when `first` starts a row).
    #[allow(clippy::too_many_arguments)]
    pub fn run_cells<T: Num, K: Stencil3<T>>(
        pool: &Pool,
        kernel: &K,
        input: &[T],
        shape: Shape3,
        boundary: Boundary<T>,
        first: usize,
        out: &mut [T],
        store: StoreMode,
    ) -> Result<(), ReachError> {
        let nz = shape.nz;
        if nz == 0 || out.is_empty() {
            return Ok(());
        }
        let streams = store.streams(size_of_val(out));
        let task = (STENCIL_TASK_ELEMS / nz).max(1) * nz;
        pool.install(|| {
            out.par_chunks_mut(task).enumerate().try_for_each(|(t, o)| {
                let mut result = Ok(());
                write_with(streams, o, |at, dst| {
                    if result.is_ok() {
                        let at = first + t * task + at;
                        result = stencil_range(kernel, input, shape, boundary, at, dst);
                    }
                });
                result
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::Pool;
    use hotloop_core::stencil::{Jacobi5, Laplacian7, Planar};
    use std::num::NonZeroUsize;

    #[test]
    fn parallel_equals_serial_bitwise_in_every_mode() {
        let shape = Shape3::new(9, 17, 301);
        let n = shape.checked_len().unwrap();
        let x: Vec<f64> = (0..n)
            .map(|i| ((i * 7919) % 1009) as f64 / 7.0 - 70.0)
            .collect();
        let k = Laplacian7 { scale: 0.3 };
        let plane = Shape3::new(1, 9 * 17, 301);
        let same = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(a, b)| a.to_bits() == b.to_bits());
        for b in [
            Boundary::FillBorder(0.0),
            Boundary::FillBorder(2.0),
            Boundary::PadConstant(-1.5),
            Boundary::Clamp,
        ] {
            let mut want = vec![0.0; n];
            serial::run(&k, &x, shape, b, &mut want, StoreMode::Cached).unwrap();
            let mut want2 = vec![0.0; n];
            serial::run(
                &Planar(Jacobi5),
                &x,
                plane,
                b,
                &mut want2,
                StoreMode::Cached,
            )
            .unwrap();
            for store in [StoreMode::Cached, StoreMode::Streaming] {
                let mut got = vec![f64::NAN; n];
                serial::run(&k, &x, shape, b, &mut got, store).unwrap();
                assert!(same(&got, &want), "serial {store:?}");
                for t in [1, 2, 3, 8] {
                    let pool = Pool::get(NonZeroUsize::new(t)).unwrap();
                    parallel::run(&pool, &k, &x, shape, b, &mut got, store).unwrap();
                    assert!(same(&got, &want), "threads={t} {store:?}");
                    parallel::run(&pool, &Planar(Jacobi5), &x, plane, b, &mut got, store).unwrap();
                    assert!(same(&got, &want2), "threads={t} {store:?}");
                    // Any run of whole rows, or of cells, alone: its bits.
                    for (lo, hi) in [(0, 301), (301 * 17, 301 * 40), (5, n - 7), (n - 1, n)] {
                        let mut part = vec![f64::NAN; hi - lo];
                        parallel::run_cells(&pool, &k, &x, shape, b, lo, &mut part, store).unwrap();
                        assert!(same(&part, &want[lo..hi]), "cells {lo}..{hi}");
                        serial::run_cells(&k, &x, shape, b, lo, &mut part, store).unwrap();
                        assert!(same(&part, &want[lo..hi]), "serial cells {lo}..{hi}");
                    }
                }
            }
        }
    }
}
