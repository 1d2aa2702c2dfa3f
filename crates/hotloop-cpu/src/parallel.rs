//! rayon-parallel forms: the `prange` rows.
//!
//! The element-wise forms cut their arrays into one part per thread
//! ([`Pool::for_each_part`]); the reductions into fixed-size chunks
//! independent of the thread count, so their results (floating-point sums
//! included) do not depend on it.

use crate::store::{StoreMode, add_scalar_streaming, with_widest_for_cached_add};
use hotloop_core::Num;
use hotloop_core::elementwise::{add_scalar_slice, add_scalar_slice_in_place};
use hotloop_core::reduce::SUM_CHUNK;

pub use crate::pool::{
    ELEMENTWISE_CHUNK, POOL_CACHE, Pool, bind_to_cpu, default_threads, max_threads,
};

/// `out = input + scalar` over the pool.
pub fn add_scalar<T: Num>(pool: &Pool, input: &[T], scalar: T, out: &mut [T], store: StoreMode) {
    debug_assert_eq!(input.len(), out.len());
    if pool.runs_serially(size_of_val(out)) {
        return crate::serial::add_scalar_vectorized(input, scalar, out, store);
    }
    let (bytes, streams) = (size_of_val(out), store.streams(size_of_val(out)));
    pool.for_each_part((out, input), ELEMENTWISE_CHUNK, |(o, i)| {
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
}

/// In-place `data += scalar` over the pool.
pub fn add_scalar_in_place<T: Num>(pool: &Pool, data: &mut [T], scalar: T) {
    if pool.runs_serially(size_of_val(data)) {
        return crate::serial::add_scalar_in_place(data, scalar);
    }
    let bytes = size_of_val(data);
    pool.for_each_part(data, ELEMENTWISE_CHUNK, |d| {
        with_widest_for_cached_add(
            bytes,
            #[inline(always)]
            || add_scalar_slice_in_place(d, scalar),
        )
    });
}

/// Deterministic sum: the top of `hotloop_core::reduce::sum_chunk_tree`'s
/// recursion cut into a leaf per worker (the next power of two), the
/// leaves summed on the pool ([`Pool::map_each`]) and joined back up the
/// same tree. It splits exactly where the serial one does, so the bits are
/// [`crate::serial::sum`]'s on any thread count.
pub fn sum<T: Num>(pool: &Pool, input: &[T]) -> T::Sum {
    if pool.reduction_runs_serially(size_of_val(input)) {
        return crate::serial::sum(input);
    }
    let depth = pool.threads().next_power_of_two().trailing_zeros();
    let mut leaves = Vec::with_capacity(1 << depth);
    cut_tree(input, depth, &mut leaves);
    let sums = pool.map_each(leaves, crate::serial::sum_tree);
    join_tree(input.len(), depth, &mut sums.into_iter()).canonical()
}

/// `sum_chunk_tree`'s subtrees `depth` levels down (fewer where a subtree
/// is one chunk), in order.
fn cut_tree<'a, T>(xs: &'a [T], depth: u32, leaves: &mut Vec<&'a [T]>) {
    let chunks = xs.len().div_ceil(SUM_CHUNK);
    if depth == 0 || chunks <= 1 {
        return leaves.push(xs);
    }
    let (a, b) = xs.split_at(chunks / 2 * SUM_CHUNK);
    cut_tree(a, depth - 1, leaves);
    cut_tree(b, depth - 1, leaves);
}

/// The subtrees' sums of [`cut_tree`], added up the same tree.
fn join_tree<T: Num>(len: usize, depth: u32, sums: &mut impl Iterator<Item = T>) -> T {
    let chunks = len.div_ceil(SUM_CHUNK);
    if depth == 0 || chunks <= 1 {
        return sums.next().unwrap_or(T::ZERO);
    }
    let half = chunks / 2 * SUM_CHUNK;
    let a = join_tree(half, depth - 1, sums);
    a.plus(join_tree(len - half, depth - 1, sums))
}

/// [`crate::serial::sum_chunks`] over the pool: the same chunk sums.
pub fn sum_chunks<T: Num>(pool: &Pool, input: &[T]) -> Vec<T::Sum> {
    if pool.reduction_runs_serially(size_of_val(input)) {
        return crate::serial::sum_chunks(input);
    }
    let parts = pool.map_each(pool.parts(input, SUM_CHUNK), crate::serial::sum_chunks);
    parts.concat()
}

/// NaN-propagating maximum, `None` for an empty input: per-chunk maxima
/// combined by an order-free combiner, so the same bits as
/// [`crate::serial::max`] (signed zeros and NaNs included; see
/// [`crate::reductions`]).
pub fn max<T: Num>(pool: &Pool, input: &[T]) -> Option<T> {
    crate::reductions::parallel::max(pool, input)
}

/// Copies `src` to `dst` over the pool with streaming stores: the suite's
/// STREAM-style bandwidth probe.
pub fn copy_streaming<T: Copy + Send + Sync>(pool: &Pool, src: &[T], dst: &mut [T]) {
    pool.for_each_part((dst, src), ELEMENTWISE_CHUNK, |(d, s)| {
        crate::store::copy_streaming(s, d)
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
