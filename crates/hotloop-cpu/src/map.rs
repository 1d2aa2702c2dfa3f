//! Element-wise maps (`@vectorize`) on the CPU: any [`UnaryOp`] or
//! [`BinaryOp`] from `hotloop-core`, serially or over the pool.
//!
//! The loops are `hotloop_core::map`'s slice loops, which vectorize like
//! `add_scalar`'s; out-of-place forms write large outputs with streaming
//! stores ([`crate::store::map_streaming`]) exactly as `add_scalar` does.
//! Every element is computed by the same `apply` on every backend and
//! thread count, so the results are bit-identical; the few built-ins with
//! a loop vectorized by hand ([`crate::vectorized`]) give its bits too.

use crate::simd::with_widest;
use crate::store::{StoreMode, map_streaming, zip_streaming};
use crate::vectorized::unary;
use hotloop_core::Num;
use hotloop_core::map::{
    BinaryOp, NaryOp, UnaryOp, map_n_slice, map_slice, map_slice_in_place, zip_slice,
    zip_slice_in_place,
};

/// One thread.
pub mod serial {
    use super::*;

    /// `out[i] = op(input[i])`. Same lengths (the callers check).
    pub fn map<T: Num, U: Num, Op: UnaryOp<T, U>>(
        op: &Op,
        input: &[T],
        out: &mut [U],
        store: StoreMode,
    ) {
        debug_assert_eq!(input.len(), out.len());
        if let Some(by_hand) = unary(op) {
            by_hand(input, out, store.streams(size_of_val(out)));
        } else if store.streams(size_of_val(out)) {
            map_streaming(input, out, |x| op.apply(x));
        } else {
            with_widest(
                #[inline(always)]
                || map_slice(op, input, out),
            );
        }
    }

    /// `data[i] = op(data[i])`.
    pub fn map_in_place<T: Num, Op: UnaryOp<T>>(op: &Op, data: &mut [T]) {
        with_widest(
            #[inline(always)]
            || map_slice_in_place(op, data),
        );
    }

    /// `outputs[k][i] = op(inputs[..][i])[k]`. Same lengths (the callers
    /// check).
    pub fn map_n<T: Num, Op: NaryOp<T, I, O>, const I: usize, const O: usize>(
        op: &Op,
        inputs: [&[T]; I],
        outputs: [&mut [T]; O],
    ) {
        with_widest(
            #[inline(always)]
            || map_n_slice(op, inputs, outputs),
        );
    }

    /// `out[i] = op(a[i], b[i])`. Same lengths (the callers check).
    pub fn zip<T: Num, Op: BinaryOp<T>>(
        op: &Op,
        a: &[T],
        b: &[T],
        out: &mut [T],
        store: StoreMode,
    ) {
        debug_assert!(a.len() == out.len() && b.len() == out.len());
        if store.streams(size_of_val(out)) {
            zip_streaming(a, b, out, |x, y| op.apply(x, y));
        } else {
            with_widest(
                #[inline(always)]
                || zip_slice(op, a, b, out),
            );
        }
    }

    /// `a[i] = op(a[i], b[i])`.
    pub fn zip_in_place<T: Num, Op: BinaryOp<T>>(op: &Op, a: &mut [T], b: &[T]) {
        with_widest(
            #[inline(always)]
            || zip_slice_in_place(op, a, b),
        );
    }
}

/// Over a [`Pool`](crate::pool::Pool), in fixed
/// [`ELEMENTWISE_CHUNK`](crate::parallel::ELEMENTWISE_CHUNK)-element tasks.
pub mod parallel {
    use super::*;
    use crate::parallel::ELEMENTWISE_CHUNK;
    use crate::pool::Pool;

    /// `out[i] = op(input[i])` over the pool.
    pub fn map<T: Num, U: Num, Op: UnaryOp<T, U>>(
        pool: &Pool,
        op: &Op,
        input: &[T],
        out: &mut [U],
        store: StoreMode,
    ) {
        debug_assert_eq!(input.len(), out.len());
        if pool.runs_serially(size_of_val(out)) {
            return super::serial::map(op, input, out, store);
        }
        let streams = store.streams(size_of_val(out));
        let by_hand = unary(op);
        pool.for_each_part((out, input), ELEMENTWISE_CHUNK, |(o, i)| {
            if let Some(by_hand) = by_hand {
                by_hand(i, o, streams);
            } else if streams {
                map_streaming(i, o, |x| op.apply(x));
            } else {
                with_widest(
                    #[inline(always)]
                    || map_slice(op, i, o),
                );
            }
        });
    }

    /// `outputs[k][i] = op(inputs[..][i])[k]` over the pool.
    pub fn map_n<T: Num, Op: NaryOp<T, I, O>, const I: usize, const O: usize>(
        pool: &Pool,
        op: &Op,
        inputs: [&[T]; I],
        outputs: [&mut [T]; O],
    ) {
        let bytes = outputs.iter().map(|o| size_of_val(*o)).sum();
        if pool.runs_serially(bytes) {
            return super::serial::map_n(op, inputs, outputs);
        }
        pool.for_each_part((outputs, inputs), ELEMENTWISE_CHUNK, |(o, i)| {
            with_widest(
                #[inline(always)]
                || map_n_slice(op, i, o),
            );
        });
    }

    /// `data[i] = op(data[i])` over the pool.
    pub fn map_in_place<T: Num, Op: UnaryOp<T>>(pool: &Pool, op: &Op, data: &mut [T]) {
        if pool.runs_serially(size_of_val(data)) {
            return super::serial::map_in_place(op, data);
        }
        pool.for_each_part(data, ELEMENTWISE_CHUNK, |d| {
            with_widest(
                #[inline(always)]
                || map_slice_in_place(op, d),
            )
        });
    }

    /// `out[i] = op(a[i], b[i])` over the pool.
    pub fn zip<T: Num, Op: BinaryOp<T>>(
        pool: &Pool,
        op: &Op,
        a: &[T],
        b: &[T],
        out: &mut [T],
        store: StoreMode,
    ) {
        debug_assert!(a.len() == out.len() && b.len() == out.len());
        if pool.runs_serially(size_of_val(out)) {
            return super::serial::zip(op, a, b, out, store);
        }
        let streams = store.streams(size_of_val(out));
        pool.for_each_part((out, (a, b)), ELEMENTWISE_CHUNK, |(o, (x, y))| {
            if streams {
                zip_streaming(x, y, o, |p, q| op.apply(p, q));
            } else {
                with_widest(
                    #[inline(always)]
                    || zip_slice(op, x, y, o),
                );
            }
        });
    }

    /// `a[i] = op(a[i], b[i])` over the pool.
    pub fn zip_in_place<T: Num, Op: BinaryOp<T>>(pool: &Pool, op: &Op, a: &mut [T], b: &[T]) {
        if pool.runs_serially(size_of_val(a)) {
            return super::serial::zip_in_place(op, a, b);
        }
        pool.for_each_part((a, b), ELEMENTWISE_CHUNK, |(x, y)| {
            with_widest(
                #[inline(always)]
                || zip_slice_in_place(op, x, y),
            )
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::Pool;
    use hotloop_core::map::{Affine, Axpy, Exp};
    use std::num::NonZeroUsize;

    #[test]
    fn serial_and_parallel_agree_bitwise_with_and_without_streaming() {
        // The pool at every size: small inputs would otherwise run serially.
        crate::pool::set_serial_below_bytes(Some(0));
        let n = 3 * crate::parallel::ELEMENTWISE_CHUNK + 1001;
        let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin() * 20.0).collect();
        let y: Vec<f64> = (0..n).map(|i| i as f64 * 1e-3).collect();
        let mut want = vec![0.0; n];
        serial::map(&Exp, &x, &mut want, StoreMode::Cached);
        assert!(
            want.iter()
                .zip(&x)
                .all(|(w, &v)| *w == hotloop_core::Real::exp(v))
        );
        let mut want_zip = vec![0.0; n];
        serial::zip(&Axpy { a: 3.0 }, &x, &y, &mut want_zip, StoreMode::Cached);
        for t in [1, 2, 3] {
            let pool = Pool::get(NonZeroUsize::new(t)).unwrap();
            for store in [StoreMode::Cached, StoreMode::Streaming] {
                let mut got = vec![f64::NAN; n];
                parallel::map(&pool, &Exp, &x, &mut got, store);
                assert_eq!(got, want, "threads={t} {store:?}");
                parallel::zip(&pool, &Axpy { a: 3.0 }, &x, &y, &mut got, store);
                assert_eq!(got, want_zip, "threads={t} {store:?}");
                let mut s = vec![f64::NAN; n];
                serial::map(&Exp, &x, &mut s, store);
                assert_eq!(s, want);
            }
            let mut d = x.clone();
            parallel::map_in_place(&pool, &Affine { a: 2.0, b: 1.0 }, &mut d);
            assert!(d.iter().zip(&x).all(|(d, x)| *d == 2.0 * x + 1.0));
            let mut d = x.clone();
            parallel::zip_in_place(&pool, &Axpy { a: 3.0 }, &mut d, &y);
            assert_eq!(d, want_zip);
        }
    }
}
