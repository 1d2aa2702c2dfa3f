//! rayon-parallel forms: the `prange` rows.
//!
//! Work is cut into fixed-size chunks independent of the thread count, so
//! the results (including floating-point sums) do not depend on it.

use crate::simd::with_widest;
use crate::store::{StoreMode, add_scalar_streaming, with_widest_for_cached_add};
use hotloop_core::Real;
use hotloop_core::elementwise::{add_scalar_slice, add_scalar_slice_in_place};
use hotloop_core::reduce::{MinValue, SUM_CHUNK, canonical_nan, sum_chunk, sum_chunk_tree};
use rayon::prelude::*;

pub use crate::pool::{ELEMENTWISE_CHUNK, POOL_CACHE, Pool, default_threads, max_threads};

/// `out = input + scalar` over the pool.
pub fn add_scalar<T: Real>(pool: &Pool, input: &[T], scalar: T, out: &mut [T], store: StoreMode) {
    debug_assert_eq!(input.len(), out.len());
    if pool.runs_serially(size_of_val(out)) {
        return crate::serial::add_scalar_vectorized(input, scalar, out, store);
    }
    let (bytes, streams) = (size_of_val(out), store.streams(size_of_val(out)));
    pool.install(|| {
        out.par_chunks_mut(ELEMENTWISE_CHUNK)
            .zip(input.par_chunks(ELEMENTWISE_CHUNK))
            .for_each(|(o, i)| {
                if streams {
                    add_scalar_streaming(i, scalar, o);
                } else {
                    with_widest_for_cached_add(
                        bytes,
                        #[inline(always)]
                        || add_scalar_slice(i, scalar, o),
                    );
                }
            });
    });
}

/// In-place `data += scalar` over the pool.
pub fn add_scalar_in_place<T: Real>(pool: &Pool, data: &mut [T], scalar: T) {
    if pool.runs_serially(size_of_val(data)) {
        return crate::serial::add_scalar_in_place(data, scalar);
    }
    let bytes = size_of_val(data);
    pool.install(|| {
        data.par_chunks_mut(ELEMENTWISE_CHUNK).for_each(|d| {
            with_widest_for_cached_add(
                bytes,
                #[inline(always)]
                || add_scalar_slice_in_place(d, scalar),
            )
        });
    });
}

/// Chunks below which [`sum`] stops splitting: 64 Ki elements a task.
const SUM_TASK_CHUNKS: usize = 16;

/// Deterministic sum: `hotloop_core::reduce::sum_chunk_tree`'s recursion, its
/// two halves joined on the pool. It splits exactly where the serial one
/// does, so the bits are [`crate::serial::sum`]'s on any thread count, and
/// it needs no scratch.
pub fn sum<T: Real>(pool: &Pool, input: &[T]) -> T {
    if pool.runs_serially(size_of_val(input)) {
        return crate::serial::sum(input);
    }
    fn halves<T: Real>(xs: &[T]) -> T {
        let chunks = xs.len().div_ceil(SUM_CHUNK);
        if chunks <= SUM_TASK_CHUNKS {
            return with_widest(
                #[inline(always)]
                || sum_chunk_tree(xs),
            );
        }
        let (a, b) = xs.split_at(chunks / 2 * SUM_CHUNK);
        let (a, b) = rayon::join(|| halves(a), || halves(b));
        a + b
    }
    canonical_nan(pool.install(|| halves(input)))
}

/// [`crate::serial::sum_chunks`] over the pool: the same chunk sums.
pub fn sum_chunks<T: Real>(pool: &Pool, input: &[T]) -> Vec<T> {
    if pool.runs_serially(size_of_val(input)) {
        return crate::serial::sum_chunks(input);
    }
    let one = |c: &[T]| {
        with_widest(
            #[inline(always)]
            || sum_chunk(c),
        )
    };
    pool.install(|| input.par_chunks(SUM_CHUNK).map(one).collect())
}

/// NaN-propagating maximum, `None` for an empty input: per-chunk maxima
/// combined by an order-free combiner, so the same bits as
/// [`crate::serial::max`] (signed zeros and NaNs included; see
/// [`crate::reductions`]).
pub fn max<T: Real + MinValue>(pool: &Pool, input: &[T]) -> Option<T> {
    if pool.runs_serially(size_of_val(input)) {
        return crate::serial::max(input);
    }
    crate::reductions::parallel::max(pool, input)
}

/// Copies `src` to `dst` over the pool with streaming stores: the suite's
/// STREAM-style bandwidth probe.
pub fn copy_streaming<T: Copy + Send + Sync>(pool: &Pool, src: &[T], dst: &mut [T]) {
    pool.install(|| {
        dst.par_chunks_mut(ELEMENTWISE_CHUNK)
            .zip(src.par_chunks(ELEMENTWISE_CHUNK))
            .for_each(|(d, s)| crate::store::copy_streaming(s, d));
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroUsize;

    #[test]
    fn parallel_sum_equals_serial_sum_bitwise() {
        // The pool at every size: small inputs would otherwise run serially.
        crate::pool::set_serial_below_bytes(Some(0));
        // Long enough that the pool splits it (past SUM_TASK_CHUNKS chunks),
        // at an awkward length.
        let xs: Vec<f64> = (0..1_000_003).map(|i| (i as f64).sin() * 1e3).collect();
        for n in [0, 1, 4097, 65_537, 1_000_003] {
            let serial = crate::serial::sum(&xs[..n]);
            for t in [1, 2, 3, 8] {
                let pool = Pool::get(NonZeroUsize::new(t)).unwrap();
                assert_eq!(
                    sum(&pool, &xs[..n]).to_bits(),
                    serial.to_bits(),
                    "threads={t}"
                );
            }
        }
    }
}
