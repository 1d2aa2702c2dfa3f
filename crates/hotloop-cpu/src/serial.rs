//! One-thread loops. Each `add_scalar_*` form computes the same result; they
//! differ only in the order memory is visited, which is what the blog's
//! table actually measured.

use crate::simd::{Isa, with_isa, with_widest};
use crate::store::{StoreMode, add_scalar_streaming, with_widest_for_cached_add};
use hotloop_core::Num;
use hotloop_core::elementwise::{add_scalar, add_scalar_slice, add_scalar_slice_in_place};
use hotloop_core::index::Shape3;
use hotloop_core::reduce::{SUM_CHUNK, sum_chunk, sum_chunk_tree_by, sum_leaf};

/// The blog's compiled loop, in its order: `x` outermost, then `z`, then
/// `y`. Consecutive iterations are `nz` elements apart, so each one touches
/// a new cache line: kept to reproduce the blog's row and to show what loop
/// order costs, not to be used.
pub fn add_scalar_blog_order<T: Num>(input: &[T], shape: Shape3, scalar: T, out: &mut [T]) {
    debug_assert_eq!(Some(input.len()), shape.checked_len());
    debug_assert_eq!(input.len(), out.len());
    for x in 0..shape.nx {
        for z in 0..shape.nz {
            for y in 0..shape.ny {
                let i = shape.offset(x, y, z);
                out[i] = add_scalar(input[i], scalar);
            }
        }
    }
}

/// The natural triple loop: `x`, `y`, `z`, so `z` (contiguous in memory)
/// is innermost. Indexed like the blog's loop, in the right order.
pub fn add_scalar_row_major<T: Num>(input: &[T], shape: Shape3, scalar: T, out: &mut [T]) {
    debug_assert_eq!(Some(input.len()), shape.checked_len());
    debug_assert_eq!(input.len(), out.len());
    for x in 0..shape.nx {
        for y in 0..shape.ny {
            let row = shape.offset(x, y, 0);
            let (src, dst) = (&input[row..row + shape.nz], &mut out[row..row + shape.nz]);
            for z in 0..shape.nz {
                dst[z] = add_scalar(src[z], scalar);
            }
        }
    }
}

/// The NumPy row: one pass over the flat contiguous buffer, which the
/// compiler turns into SIMD; large outputs use streaming stores per `store`.
pub fn add_scalar_vectorized<T: Num>(input: &[T], scalar: T, out: &mut [T], store: StoreMode) {
    debug_assert_eq!(input.len(), out.len());
    if store.streams(size_of_val(out)) {
        add_scalar_streaming(input, scalar, out);
    } else {
        with_widest_for_cached_add(
            size_of_val(out),
            #[inline(always)]
            || add_scalar_slice(input, scalar, out),
        );
    }
}

/// In-place vectorized form.
pub fn add_scalar_in_place<T: Num>(data: &mut [T], scalar: T) {
    with_widest_for_cached_add(
        size_of_val(data),
        #[inline(always)]
        || add_scalar_slice_in_place(data, scalar),
    );
}

/// Deterministic sum: the fixed order of `hotloop_core::reduce`
/// ([`sum_slice`](hotloop_core::reduce::sum_slice)), so the result is bit-identical to
/// [`crate::parallel::sum`] on any thread count, and to the grid backends.
pub fn sum<T: Num>(input: &[T]) -> T::Sum {
    sum_tree(input).canonical()
}

/// `sum_chunk_tree`'s bits, its leaves compiled for AVX2 at most (the
/// recursion above them cannot be inlined into such a function, and
/// compiled alone it ran on SSE2). Not AVX-512: on this project's VM its
/// 512-bit loads streamed 2 GiB at 12.9 GB/s on one thread against
/// AVX2's 14.7 (SSE2: 13.7; the read limit: 18).
pub(crate) fn sum_tree<T: Num>(input: &[T]) -> T::Sum {
    sum_chunk_tree_by(input, &|leaf| {
        with_isa(
            Isa::Avx2,
            #[inline(always)]
            || sum_leaf(leaf),
        )
    })
}

/// The sums of `input`'s `SUM_CHUNK`-element chunks, in order: the pieces
/// [`sum`] combines, each `hotloop_core::reduce::sum_chunk`'s bits.
pub fn sum_chunks<T: Num>(input: &[T]) -> Vec<T::Sum> {
    with_widest(
        #[inline(always)]
        || input.chunks(SUM_CHUNK).map(sum_chunk).collect(),
    )
}

/// NaN-propagating maximum, `None` for an empty input: bit-identical to
/// [`crate::parallel::max`] on any thread count (see
/// [`crate::reductions`]).
pub fn max<T: Num>(input: &[T]) -> Option<T> {
    crate::reductions::serial::max(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_order_writes_every_element_once() {
        let shape = Shape3::new(3, 5, 7);
        let input: Vec<f64> = (0..105).map(|i| i as f64).collect();
        let want: Vec<f64> = input.iter().map(|x| x + 2.0).collect();
        let mut a = vec![f64::NAN; 105];
        add_scalar_blog_order(&input, shape, 2.0, &mut a);
        let mut b = vec![f64::NAN; 105];
        add_scalar_row_major(&input, shape, 2.0, &mut b);
        let mut c = vec![f64::NAN; 105];
        add_scalar_vectorized(&input, 2.0, &mut c, StoreMode::Streaming);
        assert_eq!(a, want);
        assert_eq!(b, want);
        assert_eq!(c, want);
    }
}
