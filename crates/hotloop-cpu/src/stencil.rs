//! Stencils (`@stencil`) on the CPU: `hotloop_core::stencil`'s range body
//! over every cell of the output, serially or in fixed-size runs of rows
//! over the pool; a 3-D grid with large planes in bands (of rows swept
//! through the planes, `cells`), in slabs of planes over the pool. Large
//! outputs are written with streaming stores
//! ([`write_with`](crate::store::write_with)), as the element-wise
//! kernels' are: a stencil's output is not read again while it runs, and
//! skipping the write-allocate read saves a third of its memory traffic.
//! The cells are computed with the widest vectors the CPU has
//! ([`with_widest`]), the input a block ahead prefetched (`blocks`), long
//! rows, and bands of two planes, side by side
//! ([`write_side_by_side`]).
//!
//! Each output cell is computed by the same arithmetic whichever task (or
//! streaming block) owns it, the interior fast path changing only how
//! values are fetched, so the parallel form is bit-identical to the serial
//! one in every boundary mode.

use crate::prefetch::{Hint, lines};
use crate::simd::with_widest;
use crate::store::{StoreMode, write_side_by_side};
use hotloop_core::Num;
use hotloop_core::index::Shape3;
use hotloop_core::stencil::{Boundary, ReachError, Stencil3, stencil_range};

/// Output elements per parallel task (rounded to whole rows): about 256 KiB
/// of f64, so a task's input rows stay in L2 while it runs.
pub const STENCIL_TASK_ELEMS: usize = 1 << 15;

/// Bytes of output per prefetched block, and how far ahead of the block
/// computed its input is prefetched: the input lines a block of this many
/// cells reads first from memory are requested while the blocks before it
/// are computed.
const PREFETCH_BLOCK_BYTES: usize = 4096;

/// Output cells `at .. at + out.len()` (row-major) of `kernel(input)`, in
/// blocks of at most [`PREFETCH_BLOCK_BYTES`]; before each, the lines of
/// its furthest forward reach (the plane ahead, in a 3-D stencil) that
/// many bytes further on are prefetched into L2: a stencil's loads from
/// memory queue behind the loads it serves from L2, and the hardware
/// prefetcher alone did not run far enough ahead (the 4096^2 Jacobi step
/// on one thread went from 27.5 to 21.5 ms with it). Into L2, not L1: on
/// an AMD EPYC (Zen 4), builds timed in alternation, one thread's Jacobi
/// step took 9.0 to 9.7 ms against 11.6 to 12.3 into L1, two threads' 5.5
/// to 6.4 against 6.5 to 6.9, and the 256^3 Laplacian 6.8 to 7.5 against
/// 7.0 to 8.0 on two threads. Each call prefetches only its own cells'
/// lines, at that distance, so a caller handing out short runs (a
/// streaming scratch block) asks for each line once.
#[inline(always)]
fn blocks<T: Num, K: Stencil3<T>>(
    kernel: &K,
    input: &[T],
    shape: Shape3,
    boundary: Boundary<T>,
    at: usize,
    out: &mut [T],
) -> Result<(), ReachError> {
    let block = PREFETCH_BLOCK_BYTES / size_of::<T>().max(1);
    let [hx, hy, hz] = K::NEIGHBOURHOOD.map(|(_, hi)| hi.max(0) as usize);
    let ahead = (hx * shape.ny + hy) * shape.nz + hz + block;
    let mut start = 0;
    while start < out.len() {
        let end = (start + block).min(out.len());
        lines(input, at + start + ahead, at + end + ahead, Hint::L2);
        stencil_range(
            kernel,
            input,
            shape,
            boundary,
            at + start,
            &mut out[start..end],
        )?;
        start = end;
    }
    Ok(())
}

/// Planes larger than this are written two side by side, in bands of
/// rows swept through the planes ([`band_rows`]).
const SIDE_BY_SIDE_PLANE_BYTES: usize = 256 << 10;

/// The largest plane swept whole, about an L2 (1 MiB on an AMD EPYC Zen
/// 4, 2 MiB on an Intel Sapphire Rapids); larger ones are cut into bands
/// of [`BAND_BYTES`].
const WHOLE_PLANE_BYTES: usize = 1 << 20;

/// Bytes of one band's rows in a plane, where planes are cut into bands.
const BAND_BYTES: usize = 256 << 10;

/// Slabs of planes per thread when a banded grid is split over a pool.
const SLABS_PER_THREAD: usize = 4;

/// Rows per band when cells `first .. first + len` are whole planes of a
/// 3-D grid whose kernel reads the planes either side and whose planes are
/// larger than [`SIDE_BY_SIDE_PLANE_BYTES`]: every row up to
/// [`WHOLE_PLANE_BYTES`], else [`BAND_BYTES`] of them, so that the band's
/// rows in the planes either side are still in L2 when read again. `None`
/// where the plain row-major order keeps its neighbours in the cache by
/// itself. Measured on an AMD EPYC (Zen 4, 1 MiB L2), two threads, builds
/// timed in alternation: the 256^3 Laplacian (512 KiB planes) took 7.2 to
/// 7.4 ms whole against 7.6 to 7.7 in 256 KiB bands; 320^3 (800 KiB
/// planes) 14.5 against 14.9 to 15.5; 384^3 (1.15 MiB) 26 to 28 against
/// 26 to 26.3; 512^3 (2 MiB) 85 to 86 against 69.
#[inline(always)]
fn band_rows<T: Num, K: Stencil3<T>>(shape: Shape3, first: usize, len: usize) -> Option<usize> {
    let plane = shape.ny * shape.nz;
    let plane_bytes = plane * size_of::<T>();
    let whole_planes = plane > 0 && first.is_multiple_of(plane) && len.is_multiple_of(plane);
    (K::NEIGHBOURHOOD[0] != (0, 0) && whole_planes && plane_bytes > SIDE_BY_SIDE_PLANE_BYTES).then(
        || {
            if plane_bytes > WHOLE_PLANE_BYTES {
                (BAND_BYTES / (shape.nz * size_of::<T>()).max(1)).clamp(1, shape.ny)
            } else {
                shape.ny
            }
        },
    )
}

/// Rows of at least this many bytes are written two side by side
/// ([`write_side_by_side`]): three rows of a 5-point stencil no longer fit
/// L1 together, so the second row of a pair finds the row it shares with
/// the first there, read a block before.
const SIDE_BY_SIDE_ROW_BYTES: usize = 4 << 10;

/// The row length to write side by side when cells from `first` on are
/// whole rows of at least [`SIDE_BY_SIDE_ROW_BYTES`].
#[inline(always)]
fn side_by_side_run<T>(shape: Shape3, first: usize) -> Option<usize> {
    let nz = shape.nz;
    (nz > 0 && first.is_multiple_of(nz) && nz * size_of::<T>() >= SIDE_BY_SIDE_ROW_BYTES)
        .then_some(nz)
}

/// Output cells `first .. first + out.len()` (row-major) of
/// `kernel(input)`, with the widest vectors the CPU has. Where they are
/// whole large planes ([`band_rows`]), in bands: a band of rows swept
/// through every plane of `out`, two planes side by side, then the next
/// band. Each cell gets the same bits in any order.
#[inline(always)]
fn cells<T: Num, K: Stencil3<T>>(
    kernel: &K,
    input: &[T],
    shape: Shape3,
    boundary: Boundary<T>,
    first: usize,
    out: &mut [T],
    streams: bool,
) -> Result<(), ReachError> {
    let mut result = Ok(());
    with_widest(
        #[inline(always)]
        || match band_rows::<T, K>(shape, first, out.len()) {
            Some(rows) => {
                let plane = shape.ny * shape.nz;
                for y0 in (0..shape.ny).step_by(rows) {
                    let (band, planes) = (rows.min(shape.ny - y0) * shape.nz, out.len() / plane);
                    // Two planes' bands side by side: the second finds the
                    // rows it shares with the first in L1.
                    for p in (0..planes).step_by(2) {
                        let lo = p * plane + y0 * shape.nz;
                        let span = if p + 1 < planes { plane + band } else { band };
                        write_side_by_side(
                            streams,
                            &mut out[lo..lo + span],
                            band,
                            plane,
                            #[inline(always)]
                            |at, dst| {
                                if result.is_ok() {
                                    let at = first + lo + at;
                                    result = blocks(kernel, input, shape, boundary, at, dst);
                                }
                            },
                        );
                    }
                }
            }
            None => {
                // Rows written in pairs, side by side, where they are long;
                // else `out` as one run.
                let run = side_by_side_run::<T>(shape, first).unwrap_or(out.len().max(1));
                for (c, pair) in out.chunks_mut(2 * run).enumerate() {
                    let first = first + c * 2 * run;
                    write_side_by_side(
                        streams,
                        pair,
                        run,
                        run,
                        #[inline(always)]
                        |at, dst| {
                            if result.is_ok() {
                                result = blocks(kernel, input, shape, boundary, first + at, dst);
                            }
                        },
                    );
                }
            }
        },
    );
    result
}

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
        let streams = store.streams(size_of_val(out));
        cells(kernel, input, shape, boundary, first, out, streams)
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
        let task = match band_rows::<T, K>(shape, first, out.len()) {
            // Slabs of whole planes, each in bands; a few per thread so that
            // the pool balances them, each many planes deep so that the
            // planes either side of a slab, read twice, are few.
            Some(_) => {
                let (plane, parts) = (shape.ny * nz, pool.threads() * SLABS_PER_THREAD);
                (out.len() / plane).div_ceil(parts) * plane
            }
            None => (STENCIL_TASK_ELEMS / nz).max(1) * nz,
        };
        pool.install(|| {
            out.par_chunks_mut(task).enumerate().try_for_each(|(t, o)| {
                cells(kernel, input, shape, boundary, first + t * task, o, streams)
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

    #[test]
    fn long_rows_side_by_side_give_the_row_major_bits() {
        // Rows of 4.7 KiB, written in pairs; an odd row count leaves one
        // alone, and an odd row length misaligns every other row.
        let shape = Shape3::new(1, 23, 601);
        assert_eq!(side_by_side_run::<f64>(shape, 0), Some(601));
        assert_eq!(side_by_side_run::<f64>(shape, 5), None);
        assert_eq!(side_by_side_run::<f32>(shape, 0), None);
        let n = shape.checked_len().unwrap();
        let x: Vec<f64> = (0..n).map(|i| ((i * 7919) % 1009) as f64 / 7.0).collect();
        let same = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(a, b)| a.to_bits() == b.to_bits());
        for b in [Boundary::FillBorder(0.0), Boundary::Clamp] {
            let mut want = vec![0.0; n];
            stencil_range(&Planar(Jacobi5), &x, shape, b, 0, &mut want).unwrap();
            let pool = Pool::get(NonZeroUsize::new(2)).unwrap();
            for (lo, hi) in [(0, n), (601, n - 601), (3, n)] {
                let mut got = vec![f64::NAN; hi - lo];
                serial::run_cells(
                    &Planar(Jacobi5),
                    &x,
                    shape,
                    b,
                    lo,
                    &mut got,
                    StoreMode::Streaming,
                )
                .unwrap();
                assert!(same(&got, &want[lo..hi]), "serial {lo}..{hi} {b:?}");
                got.fill(f64::NAN);
                parallel::run_cells(
                    &pool,
                    &Planar(Jacobi5),
                    &x,
                    shape,
                    b,
                    lo,
                    &mut got,
                    StoreMode::Streaming,
                )
                .unwrap();
                assert!(same(&got, &want[lo..hi]), "parallel {lo}..{hi} {b:?}");
            }
        }
    }

    #[test]
    fn banded_planes_give_the_row_major_bits() {
        // Planes of 306 KiB, swept whole, two side by side; planes of 1.03
        // MiB, in bands of 108 rows (the last 18).
        for (ny, rows) in [(130, 130), (450, 108)] {
            planes_in_bands(Shape3::new(5, ny, 301), rows);
        }
    }

    fn planes_in_bands(shape: Shape3, rows: usize) {
        let plane = shape.ny * shape.nz;
        assert_eq!(
            band_rows::<f64, Laplacian7<f64>>(shape, 0, 5 * plane),
            Some(rows)
        );
        assert_eq!(
            band_rows::<f64, Laplacian7<f64>>(shape, 0, 5 * plane - 1),
            None
        );
        assert_eq!(band_rows::<f64, Planar<Jacobi5>>(shape, 0, 5 * plane), None);
        let n = shape.checked_len().unwrap();
        let x: Vec<f64> = (0..n)
            .map(|i| ((i * 7919) % 1009) as f64 / 7.0 - 70.0)
            .collect();
        let k = Laplacian7 { scale: 0.3 };
        let same = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(a, b)| a.to_bits() == b.to_bits());
        for b in [
            Boundary::FillBorder(0.0),
            Boundary::PadConstant(-1.5),
            Boundary::Clamp,
        ] {
            // Row-major, straight from the core's range body.
            let mut want = vec![0.0; n];
            stencil_range(&k, &x, shape, b, 0, &mut want).unwrap();
            for store in [StoreMode::Cached, StoreMode::Streaming] {
                let mut got = vec![f64::NAN; n];
                serial::run(&k, &x, shape, b, &mut got, store).unwrap();
                assert!(same(&got, &want), "serial {b:?} {store:?}");
                for t in [1, 2, 3] {
                    let pool = Pool::get(NonZeroUsize::new(t)).unwrap();
                    got.fill(f64::NAN);
                    parallel::run(&pool, &k, &x, shape, b, &mut got, store).unwrap();
                    assert!(same(&got, &want), "threads={t} {b:?} {store:?}");
                    // Two whole planes of the middle, as an MPI rank owns them.
                    let mut part = vec![f64::NAN; 2 * plane];
                    parallel::run_cells(&pool, &k, &x, shape, b, plane, &mut part, store).unwrap();
                    assert!(same(&part, &want[plane..3 * plane]), "planes, threads={t}");
                }
            }
        }
    }
}
