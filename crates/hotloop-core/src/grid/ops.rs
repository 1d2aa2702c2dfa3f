//! Per-thread bodies of the ops' forms: maps (`@vectorize`), gufuncs
//! (`@guvectorize`), stencils (`@stencil`), count-where, and `min`.
//! Re-exported by [`crate::grid`], beside the `add_scalar`, sum and max
//! bodies, and used the same way: the entry points `#[device_op]` generates
//! call them over the concrete op, the simulator over any op.
//!
//! Each computes an element (a row, a cell) with exactly the code the CPU
//! backends run for it ([`crate::map::map_at`], [`crate::gufunc::gufunc_at`],
//! [`crate::stencil::stencil_cell`]), so a grid backend's maps, gufuncs and
//! stencils are the CPU's bits; `min` and counts do not depend on the
//! order of combination at all (an order-free combiner, an exact sum), so
//! they are the CPU's bits at any launch too.
//!
//! Work is split grid-stride: thread `t` of `T` handles items `t, t + T,
//! ...`, whatever the launch shape. The items are elements (maps,
//! reductions), rows (gufuncs: one thread runs a whole row, the row's loop
//! being sequential in the kernel) or output cells (stencils).

use crate::Num;
use crate::grid::ThreadIdx;
use crate::gufunc::{Blocks, GuKernel, gufunc_at};
use crate::index::Shape3;
use crate::map::{BinaryOp, NaryOp, UnaryOp, map_at, map_n_at, zip_at};
use crate::predicate::Predicate;
use crate::stencil::{Boundary, ReachError, Stencil3, stencil_cell};

/// `out[i] = op(input[i])` for this thread's grid-stride indices below
/// `len`.
///
/// # Safety
/// `input` and `out` must be valid for `len` elements; `out` may equal
/// `input` (in place) but must not otherwise overlap it; no other thread
/// writes this thread's indices.
#[inline(always)]
pub unsafe fn map_thread<T: Num, U: Num, Op: UnaryOp<T, U>>(
    idx: ThreadIdx,
    op: &Op,
    input: *const T,
    out: *mut U,
    len: u64,
) {
    for i in idx.grid_stride(len) {
        // SAFETY: i < len; the caller vouches for the buffers and for this
        // index being this thread's alone.
        unsafe { map_at(op, input, out, i as usize) };
    }
}

/// `outputs[k][i] = op(inputs[..][i])[k]` for this thread's grid-stride
/// indices below `len`.
///
/// # Safety
/// Every buffer is valid for `len` elements; the outputs do not overlap
/// each other or the inputs; no other thread writes this thread's indices.
#[inline(always)]
pub unsafe fn map_n_thread<T: Num, Op: NaryOp<T, I, O>, const I: usize, const O: usize>(
    idx: ThreadIdx,
    op: &Op,
    inputs: [*const T; I],
    outputs: [*mut T; O],
    len: u64,
) {
    for i in idx.grid_stride(len) {
        // SAFETY: i < len; the caller vouches for the buffers and for this
        // index being this thread's alone.
        unsafe { map_n_at(op, inputs, outputs, i as usize) };
    }
}

/// `out[i] = op(a[i], b[i])` for this thread's grid-stride indices.
///
/// # Safety
/// As [`map_thread`], for `a`, `b` and `out` (`out` may equal `a` or `b`).
#[inline(always)]
pub unsafe fn zip_thread<T: Num, Op: BinaryOp<T>>(
    idx: ThreadIdx,
    op: &Op,
    a: *const T,
    b: *const T,
    out: *mut T,
    len: u64,
) {
    for i in idx.grid_stride(len) {
        // SAFETY: as map_thread.
        unsafe { zip_at(op, a, b, out, i as usize) };
    }
}

/// This thread's iterations of a gufunc's outer loop, `l < loops`,
/// grid-stride, each the kernel over the core blocks `blocks` places (one
/// thread per iteration: the kernel's loop over its blocks is sequential,
/// as on the CPU).
///
/// # Safety
/// Every array is valid for the blocks of `loops` iterations
/// ([`gufunc_at`]); the outputs do not overlap each other or the inputs; no
/// other thread writes this thread's blocks.
#[inline(always)]
pub unsafe fn gufunc_thread<T: Num, K: GuKernel<T, I, O>, const I: usize, const O: usize>(
    idx: ThreadIdx,
    kernel: &K,
    core: &[usize],
    inputs: [*const T; I],
    outputs: [*mut T; O],
    blocks: &Blocks<I, O>,
    loops: u64,
) {
    for l in idx.grid_stride(loops) {
        // SAFETY: l < loops; blocks as the caller vouches.
        unsafe { gufunc_at(kernel, core, inputs, outputs, blocks, l as usize) };
    }
}

/// The coordinates `(x, y, z)` of row-major cell `c` of `shape`.
#[inline(always)]
pub const fn cell_coords(shape: Shape3, c: usize) -> (usize, usize, usize) {
    let row = c / shape.nz;
    (row / shape.ny, row % shape.ny, c % shape.nz)
}

/// The output cells of a stencil this thread computes: cells `c` of the
/// row-major `shape`, grid-stride, each [`stencil_cell`] (the CPU's own
/// per-cell arithmetic, under the same boundary mode) written to `out[c]`.
/// Stops at the first cell whose kernel reads outside its declared
/// neighbourhood, with that cell's index and error (the built-ins never
/// do).
///
/// # Safety
/// `input` and `out` must be valid for the shape's element count (which
/// must not overflow `usize`) and must not overlap; no other thread writes
/// this thread's cells.
#[inline(always)]
pub unsafe fn stencil_thread<T: Num, K: Stencil3<T>>(
    idx: ThreadIdx,
    kernel: &K,
    input: *const T,
    out: *mut T,
    shape: Shape3,
    boundary: Boundary<T>,
) -> Result<(), (u64, ReachError)> {
    let len = shape.nx * shape.ny * shape.nz;
    // SAFETY: the caller vouches for `len` readable elements, which no
    // thread writes during the launch (out does not overlap).
    let src = unsafe { core::slice::from_raw_parts(input, len) };
    for c in idx.grid_stride(len as u64) {
        let (x, y, z) = cell_coords(shape, c as usize);
        let v = stencil_cell(kernel, src, shape, boundary, x, y, z).map_err(|e| (c, e))?;
        // SAFETY: c < len, this thread's cell.
        unsafe { *out.add(c as usize) = v };
    }
    Ok(())
}

/// This thread's NaN-propagating partial minimum ([`Num::HIGHEST`] if it
/// has no indices).
///
/// # Safety
/// `input` must be valid for `len` elements.
#[inline(always)]
pub unsafe fn min_thread_partial<T: Num>(idx: ThreadIdx, input: *const T, len: u64) -> T {
    let mut acc = T::HIGHEST;
    for i in idx.grid_stride(len) {
        // SAFETY: i < len.
        acc = T::min_of(acc, unsafe { *input.add(i as usize) });
    }
    acc
}

/// How many of this thread's grid-stride elements satisfy `pred`.
///
/// # Safety
/// `input` must be valid for `len` elements.
#[inline(always)]
pub unsafe fn count_thread_partial<T: Num, P: Predicate<T>>(
    idx: ThreadIdx,
    pred: &P,
    input: *const T,
    len: u64,
) -> u64 {
    let mut n = 0u64;
    for i in idx.grid_stride(len) {
        // SAFETY: i < len.
        n += pred.test(unsafe { *input.add(i as usize) }) as u64;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gufunc::{MovingAverage, NormalizeRows};
    use crate::map::{Affine, Axpy, Exp};
    use crate::predicate::InRange;
    use crate::reduce::{Sum, block_tree, min_slice};
    use crate::stencil::{Jacobi5, Laplacian7, Planar, stencil_range};

    fn grid(blocks: u32, threads: u32) -> impl Iterator<Item = ThreadIdx> {
        (0..blocks).flat_map(move |block| {
            (0..threads).map(move |thread| ThreadIdx {
                block,
                block_dim: threads,
                thread,
                grid_dim: blocks,
            })
        })
    }

    const LAUNCHES: [(u32, u32); 5] = [(1, 1), (3, 7), (5, 33), (1, 64), (40, 64)];

    fn values<const N: usize>() -> [f64; N] {
        core::array::from_fn(|i| ((i * 7919) % 211) as f64 * 0.37 - 31.0)
    }

    #[test]
    fn maps_and_zips_cover_every_index_with_the_op() {
        let x = values::<301>();
        let y: [f64; 301] = core::array::from_fn(|i| i as f64 * 0.5);
        for (b, t) in LAUNCHES {
            let mut out = [f64::NAN; 301];
            let mut inplace = x;
            let mut zipped = [f64::NAN; 301];
            for idx in grid(b, t) {
                // SAFETY: 301-element arrays; grid-stride indices are disjoint.
                unsafe {
                    map_thread(idx, &Exp, x.as_ptr(), out.as_mut_ptr(), 301);
                    let p = inplace.as_mut_ptr();
                    map_thread(idx, &Affine { a: 2.0, b: 1.0 }, p, p, 301);
                    let a = Axpy { a: -3.0 };
                    zip_thread(idx, &a, x.as_ptr(), y.as_ptr(), zipped.as_mut_ptr(), 301);
                }
            }
            for i in 0..301 {
                assert_eq!(out[i].to_bits(), crate::math::exp_f64(x[i]).to_bits());
                assert_eq!(inplace[i], 2.0 * x[i] + 1.0);
                assert_eq!(zipped[i], -3.0 * x[i] + y[i]);
            }
        }
    }

    #[test]
    fn gufunc_rows_are_the_kernels_rows() {
        let x = values::<84>();
        // 7 rows of 12.
        for (b, t) in LAUNCHES {
            let mut want = [0.0; 84];
            let mut got = [f64::NAN; 84];
            let k = MovingAverage { window: 5 };
            for (i, o) in x.chunks(12).zip(want.chunks_mut(12)) {
                k.apply(&[12], [i], [o]);
            }
            let blocks = Blocks {
                in_block: [12],
                in_step: [12],
                out_block: [12],
            };
            let (ins, outs) = ([x.as_ptr()], [got.as_mut_ptr()]);
            for idx in grid(b, t) {
                // SAFETY: 7 blocks of 12 in 84-element arrays.
                unsafe { gufunc_thread(idx, &k, &[12], ins, outs, &blocks, 7) };
            }
            assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits), "{b}x{t}");
            for idx in grid(b, t) {
                // SAFETY: as above.
                unsafe { gufunc_thread(idx, &NormalizeRows, &[12], ins, outs, &blocks, 7) };
            }
            for (i, o) in x.chunks(12).zip(want.chunks_mut(12)) {
                NormalizeRows.apply(&[12], [i], [o]);
            }
            assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits), "{b}x{t}");
        }
    }

    #[test]
    fn stencil_cells_match_the_cpu_range_body_bit_for_bit() {
        let x = values::<105>();
        for dims in [(1, 1, 1), (2, 2, 2), (3, 5, 7), (1, 1, 105), (5, 3, 7)] {
            let shape = Shape3::new(dims.0, dims.1, dims.2);
            let n = dims.0 * dims.1 * dims.2;
            for boundary in [
                Boundary::FillBorder(0.0),
                Boundary::FillBorder(-2.0),
                Boundary::PadConstant(1.25),
                Boundary::Clamp,
            ] {
                let mut want = [f64::NAN; 105];
                let mut planar = [f64::NAN; 105];
                let lap = Laplacian7 { scale: 0.5 };
                stencil_range(&lap, &x[..n], shape, boundary, 0, &mut want[..n]).unwrap();
                stencil_range(
                    &Planar(Jacobi5),
                    &x[..n],
                    shape,
                    boundary,
                    0,
                    &mut planar[..n],
                )
                .unwrap();
                for (b, t) in LAUNCHES {
                    let mut got = [f64::NAN; 105];
                    let mut got2 = [f64::NAN; 105];
                    for idx in grid(b, t) {
                        // SAFETY: n elements each; disjoint cells per thread.
                        unsafe {
                            stencil_thread(
                                idx,
                                &lap,
                                x.as_ptr(),
                                got.as_mut_ptr(),
                                shape,
                                boundary,
                            )
                            .unwrap();
                            let j = Planar(Jacobi5);
                            stencil_thread(idx, &j, x.as_ptr(), got2.as_mut_ptr(), shape, boundary)
                                .unwrap();
                        }
                    }
                    let bits =
                        |a: &[f64]| -> [u64; 105] { core::array::from_fn(|i| a[i].to_bits()) };
                    assert_eq!(bits(&got), bits(&want), "{dims:?} {boundary:?} {b}x{t}");
                    assert_eq!(bits(&got2), bits(&planar), "{dims:?} {boundary:?} {b}x{t}");
                }
            }
        }
        assert_eq!(cell_coords(Shape3::new(3, 5, 7), 3 * 7 + 4), (0, 3, 4));
        assert_eq!(cell_coords(Shape3::new(3, 5, 7), 2 * 35 + 6), (2, 0, 6));
    }

    #[test]
    fn min_and_count_partials_combine_to_the_whole() {
        let mut x = values::<257>();
        let pred = InRange {
            lo: -10.0,
            hi: 10.0,
        };
        let want_count = x.iter().filter(|v| (-10.0..10.0).contains(*v)).count() as u64;
        for (b, t) in LAUNCHES {
            let (mut min, mut count) = (f64::INFINITY, 0u64);
            for blk in 0..b {
                let mut mins = [0.0f64; 64];
                let mut counts = [0u64; 64];
                for idx in grid(b, t).filter(|i| i.block == blk) {
                    let s = idx.thread as usize;
                    // SAFETY: 257 elements.
                    unsafe {
                        mins[s] = min_thread_partial(idx, x.as_ptr(), 257);
                        counts[s] = count_thread_partial(idx, &pred, x.as_ptr(), 257);
                    }
                }
                min = Num::min_of(
                    min,
                    block_tree::<f64, crate::reduce::Min>(&mut mins[..t as usize]),
                );
                count += block_tree::<u64, Sum>(&mut counts[..t as usize]);
            }
            assert_eq!(Some(min), min_slice(&x), "{b}x{t}");
            assert_eq!(count, want_count, "{b}x{t}");
        }
        x[100] = f64::NAN;
        let t = grid(1, 1).next().unwrap();
        // SAFETY: 257 elements.
        assert!(unsafe { min_thread_partial(t, x.as_ptr(), 257) }.is_nan());
        // SAFETY: no elements read.
        assert_eq!(
            unsafe { min_thread_partial(t, x.as_ptr(), 0) },
            f64::INFINITY
        );
    }
}
