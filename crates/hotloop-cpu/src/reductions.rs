//! The `prange` reductions beyond `sum`: `min`, `max` and count-where.
//!
//! Min and max are computed per [`EXTREMUM_BLOCK`]-element block and the
//! block results are combined, in any grouping (a part per thread, cut at
//! [`SUM_CHUNK`] boundaries as the sum's parts are). The combiners
//! (`hotloop_core::reduce::Min`, `Max`) depend only on the set of values
//! (any NaN gives the canonical NaN; `-0.0 < +0.0`), so the result is
//! bit-identical on every thread count, and on every other backend and
//! launch. Counts are exact integers.

use crate::simd::{Isa, tuned, with_isa};
use hotloop_core::Num;
use hotloop_core::predicate::Predicate;
use hotloop_core::reduce::{SUM_CHUNK, count_slice, max_slice, min_slice};

/// Elements per call of the min/max loop: 2 MiB of f64. Large enough
/// that the call's set-up and final fold of its lanes cost nothing (two
/// threads' max of 4 GiB of f64 on this project's Xeon VM: 0.77-0.78 of
/// the read limit per [`SUM_CHUNK`], 0.80-0.81 per 64 of them, alternated;
/// 0.90-0.92 against 0.92-0.96 with the lanes of `tuned`), small enough
/// that a block with a NaN or a zero maximum, folded again exactly, stays
/// in the cache.
pub const EXTREMUM_BLOCK: usize = 64 * SUM_CHUNK;

/// One thread.
pub mod serial {
    use super::*;

    /// NaN-propagating minimum, `None` for an empty input.
    pub fn min<T: Num>(input: &[T]) -> Option<T> {
        input
            .chunks(EXTREMUM_BLOCK)
            .map(|c| {
                with_isa(
                    tuned(),
                    #[inline(always)]
                    || min_slice(c),
                )
                .expect("chunks are non-empty")
            })
            .reduce(T::min_of)
    }

    /// NaN-propagating maximum, `None` for an empty input.
    pub fn max<T: Num>(input: &[T]) -> Option<T> {
        input
            .chunks(EXTREMUM_BLOCK)
            .map(|c| {
                with_isa(
                    tuned(),
                    #[inline(always)]
                    || max_slice(c),
                )
                .expect("chunks are non-empty")
            })
            .reduce(T::max_of)
    }

    /// Number of elements for which `pred` holds.
    ///
    /// With AVX2 at most: AVX-512 compares into a mask register, which the
    /// count must then widen back into vector lanes, and on this project's
    /// VM (a Xeon with AVX-512) that form read 2 GiB of f64 at 11.6 GB/s on
    /// one thread against AVX2's 13.5 GB/s (the read limit: 14.3).
    pub fn count_where<T: Num, P: Predicate<T>>(pred: &P, input: &[T]) -> u64 {
        with_isa(
            Isa::Avx2,
            #[inline(always)]
            || count_slice(pred, input),
        )
    }
}

/// Over a [`Pool`](crate::pool::Pool): the input cut into one part per
/// worker at chunk boundaries, each part's answer the serial loop's, the
/// parts' answers combined by the same order-free combiner.
pub mod parallel {
    use super::*;
    use crate::pool::Pool;

    /// [`serial::min`] over the pool; the same bits.
    pub fn min<T: Num>(pool: &Pool, input: &[T]) -> Option<T> {
        if pool.reduction_runs_serially(size_of_val(input)) {
            return super::serial::min(input);
        }
        let parts = pool.map_each(pool.parts(input, SUM_CHUNK), super::serial::min);
        parts.into_iter().flatten().reduce(T::min_of)
    }

    /// [`serial::max`] over the pool; the same bits.
    pub fn max<T: Num>(pool: &Pool, input: &[T]) -> Option<T> {
        if pool.reduction_runs_serially(size_of_val(input)) {
            return super::serial::max(input);
        }
        let parts = pool.map_each(pool.parts(input, SUM_CHUNK), super::serial::max);
        parts.into_iter().flatten().reduce(T::max_of)
    }

    /// [`serial::count_where`] over the pool.
    pub fn count_where<T: Num, P: Predicate<T>>(pool: &Pool, pred: &P, input: &[T]) -> u64 {
        if pool.reduction_runs_serially(size_of_val(input)) {
            return super::serial::count_where(pred, input);
        }
        let parts = pool.map_each(pool.parts(input, SUM_CHUNK), |part| {
            super::serial::count_where(pred, part)
        });
        parts.into_iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::Pool;
    use hotloop_core::predicate::GreaterThan;
    use std::num::NonZeroUsize;

    #[test]
    fn ties_between_signed_zeros_and_nan_payloads_resolve_the_same_on_any_pool() {
        // The pool at every size: small inputs would otherwise run serially.
        crate::pool::set_serial_below_bytes(Some(0));
        // All zeros of both signs, NaNs with distinct payloads: the result
        // is -0 (min), +0 (max), and the canonical NaN.
        // Three blocks, the last partial; parts cut inside blocks.
        let n = 2 * EXTREMUM_BLOCK + 7 * SUM_CHUNK + 5;
        let mut x: Vec<f64> = (0..n)
            .map(|i| if i % 3 == 0 { -0.0 } else { 0.0 })
            .collect();
        let want_min = serial::min(&x).unwrap().to_bits();
        let want_max = serial::max(&x).unwrap().to_bits();
        x[2 * SUM_CHUNK + 9] = f64::from_bits(0x7ff8_0000_0000_0001);
        x[2 * EXTREMUM_BLOCK + 5 * SUM_CHUNK + 1] = f64::from_bits(0x7ff8_0000_0000_0002);
        let nan_min = serial::min(&x).unwrap().to_bits();
        let nan_max = serial::max(&x).unwrap().to_bits();
        let zeros: Vec<f64> = (0..n)
            .map(|i| if i % 3 == 0 { -0.0 } else { 0.0 })
            .collect();
        // One block's zero maximum, folded again exactly, beside another
        // block's larger one.
        let mut peak = zeros.clone();
        peak[EXTREMUM_BLOCK + 7] = 1.5;
        peak[n - 1] = -2.5;
        for t in [1, 2, 3, 8] {
            let pool = Pool::get(NonZeroUsize::new(t)).unwrap();
            assert_eq!(parallel::min(&pool, &zeros).unwrap().to_bits(), want_min);
            assert_eq!(parallel::max(&pool, &zeros).unwrap().to_bits(), want_max);
            assert_eq!(parallel::min(&pool, &x).unwrap().to_bits(), nan_min);
            assert_eq!(parallel::max(&pool, &x).unwrap().to_bits(), nan_max);
            assert_eq!(parallel::max(&pool, &peak), Some(1.5));
            assert_eq!(parallel::min(&pool, &peak), Some(-2.5));
            assert_eq!(
                parallel::count_where(&pool, &GreaterThan(-1.0), &x),
                n as u64 - 2
            );
        }
        assert_eq!(
            (want_min, want_max),
            ((-0.0f64).to_bits(), 0.0f64.to_bits())
        );
        assert_eq!((nan_min, nan_max), (f64::NAN.to_bits(), f64::NAN.to_bits()));
        assert_eq!(serial::min::<f32>(&[]), None);
    }
}
