//! The `prange` reductions over arrays of any dimension: `sum`, `max`,
//! `min` and count-where, deterministic on every backend.
//!
//! ```
//! use hotloop::{Backend, GreaterThan, count_where, max, min, sum};
//! use ndarray::array;
//!
//! let x = array![[3.0, -1.0], [7.5, 2.0]];
//! assert_eq!(min(Backend::parallel(), &x)?, -1.0);
//! assert_eq!(count_where(Backend::Serial, GreaterThan(1.0), &x)?, 3);
//! assert_eq!(count_where(Backend::Serial, |v: f64| v < 0.0, &x)?, 1);
//!
//! // Integers too: NumPy's int16 sum is an int64, and so is hotloop's.
//! let wave = array![30_000i16, 30_000, -5];
//! assert_eq!(sum(Backend::parallel(), &wave)?, 59_995i64);
//! assert_eq!(max(Backend::Simulator { launch: None }, &wave)?, 30_000);
//! assert_eq!(count_where(Backend::Serial, GreaterThan(0i16), &wave)?, 2);
//! # Ok::<(), hotloop::Error>(())
//! ```

use crate::Backend;
use crate::dispatch::with_runtime;
use hotloop_core::predicate::Predicate;
use hotloop_runtime::layout::{any_order, logical_order};
use hotloop_runtime::{Element, Error, Result};
use ndarray::{ArrayBase, Data, Dimension};

/// Sum of all elements. Deterministic: one fixed order of additions, a
/// pairwise sum in the manner of NumPy's (blocks of 128 in eight lanes,
/// then recursive halving; see `hotloop_core::reduce`), so every backend,
/// thread count and launch shape gives the same bits. Its error is at most
/// `d eps/2 * sum |x|` with `d = 23 + ceil(log2(n / 4096))`; being pairwise,
/// it can overflow where a left-to-right sum would not (`[MAX, -MAX, MAX]`
/// sums to `inf`). The sum of an empty array is 0.
///
/// Integers are summed as NumPy sums them: in `i64` (signed) or `u64`
/// (unsigned), whatever their width (`T::Sum`), wrapping on overflow;
/// integer addition is exact modulo 2^64 in any order, so every backend
/// gives the same value.
pub fn sum<T, S, D>(backend: Backend, input: &ArrayBase<S, D>) -> Result<T::Sum>
where
    T: Element,
    S: Data<Elem = T>,
    D: Dimension,
{
    // The order of the additions is the result's: logical order, so a
    // transposed or strided view sums to the bits of its standard copy.
    sum_slice(backend, &logical_order("sum input copy", input.view())?)
}

/// [`sum`] over a slice.
pub fn sum_slice<T: Element>(backend: Backend, input: &[T]) -> Result<T::Sum> {
    with_runtime!(backend, |rt| rt.sum(input))
}

/// Largest element; NaN if any element is NaN (as NumPy's `max`); an
/// [`Error::EmptyInput`] for an empty array.
pub fn max<T, S, D>(backend: Backend, input: &ArrayBase<S, D>) -> Result<T>
where
    T: Element,
    S: Data<Elem = T>,
    D: Dimension,
{
    max_slice(backend, &any_order("max input copy", input.view())?)
}

/// [`max`] over a slice.
pub fn max_slice<T: Element>(backend: Backend, input: &[T]) -> Result<T> {
    with_runtime!(backend, |rt| rt.max(input))?.ok_or(Error::EmptyInput { op: "max" })
}

/// Smallest element; NaN if any element is NaN (as NumPy's `min`); an
/// [`Error::EmptyInput`] for an empty array. The combiner depends only on
/// the values (any NaN gives the canonical NaN; `-0.0` is below `+0.0`),
/// so every backend, thread count and launch gives the same bits; the grid
/// backends (simulator, CUDA) reduce per block in shared memory and finish
/// on the host.
pub fn min<T, S, D>(backend: Backend, input: &ArrayBase<S, D>) -> Result<T>
where
    T: Element,
    S: Data<Elem = T>,
    D: Dimension,
{
    min_slice(backend, &any_order("min input copy", input.view())?)
}

/// [`min`] over a slice.
pub fn min_slice<T: Element>(backend: Backend, input: &[T]) -> Result<T> {
    with_runtime!(backend, |rt| rt.min(input))?.ok_or(Error::EmptyInput { op: "min" })
}

/// Number of elements for which `pred` holds (exact, the same on every
/// backend; 0 for an empty array). The simulator runs any predicate;
/// `Backend::Cuda` runs those with a compiled kernel (`#[device_op]`: the
/// built-ins [`GreaterThan`](crate::GreaterThan), [`LessThan`](crate::LessThan),
/// [`InRange`](crate::InRange), [`IsNan`](crate::IsNan), and a user's).
pub fn count_where<T, S, D, P>(backend: Backend, pred: P, input: &ArrayBase<S, D>) -> Result<u64>
where
    T: Element,
    S: Data<Elem = T>,
    D: Dimension,
    P: Predicate<T>,
{
    count_where_slice(
        backend,
        pred,
        &any_order("count_where input copy", input.view())?,
    )
}

/// [`count_where`] over a slice.
pub fn count_where_slice<T: Element, P: Predicate<T>>(
    backend: Backend,
    pred: P,
    input: &[T],
) -> Result<u64> {
    with_runtime!(backend, |rt| rt.count_where(&pred, input))
}
