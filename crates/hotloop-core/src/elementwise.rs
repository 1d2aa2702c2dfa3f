//! Per-element kernel bodies: what one thread, or one loop iteration, does.

use crate::Num;

/// The blog's workload: `out[i] = x[i] + scalar` (wrapping for integers, as NumPy's).
#[inline(always)]
pub fn add_scalar<T: Num>(x: T, scalar: T) -> T {
    x.plus(scalar)
}

/// Applies [`add_scalar`] to `input` into `out`, element by element, in
/// contiguous order. Both slices must have the same length (the callers
/// check; here it is only a debug assertion so the loop stays branch-free
/// and vectorizes).
#[inline(always)]
pub fn add_scalar_slice<T: Num>(input: &[T], scalar: T, out: &mut [T]) {
    debug_assert_eq!(input.len(), out.len());
    for (o, &x) in out.iter_mut().zip(input) {
        *o = add_scalar(x, scalar);
    }
}

/// In-place form of [`add_scalar_slice`].
#[inline(always)]
pub fn add_scalar_slice_in_place<T: Num>(data: &mut [T], scalar: T) {
    for x in data.iter_mut() {
        *x = add_scalar(*x, scalar);
    }
}
