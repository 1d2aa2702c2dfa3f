//! `prange` reductions beyond `sum` and `max`: `min` and count-where.
//!
//! ```
//! use hotloop::{Backend, GreaterThan, count_where, min};
//! use ndarray::array;
//!
//! let x = array![[3.0, -1.0], [7.5, 2.0]];
//! assert_eq!(min(Backend::parallel(), &x)?, -1.0);
//! assert_eq!(count_where(Backend::Serial, GreaterThan(1.0), &x)?, 3);
//! assert_eq!(count_where(Backend::Serial, |v: f64| v < 0.0, &x)?, 1);
//! # Ok::<(), hotloop::Error>(())
//! ```

use crate::Backend;
use crate::cpu_only::{Cpu, cpu_only};
use hotloop_core::predicate::Predicate;
use hotloop_cpu::reductions::{parallel, serial};
use hotloop_runtime::{Element, Error, Result, contiguous};
use ndarray::{ArrayBase, Data, Dimension};

/// Smallest element; NaN if any element is NaN (as NumPy's `min`); an
/// [`Error::EmptyInput`] for an empty array. Bit-identical on the serial
/// backend and a parallel one of any thread count (signed zeros included).
pub fn min<T, S, D>(backend: Backend, input: &ArrayBase<S, D>) -> Result<T>
where
    T: Element,
    S: Data<Elem = T>,
    D: Dimension,
{
    min_slice(backend, contiguous("input", input)?)
}

/// [`min`] over a slice.
pub fn min_slice<T: Element>(backend: Backend, input: &[T]) -> Result<T> {
    let m = match cpu_only(backend, "min")? {
        Cpu::Serial => serial::min(input),
        Cpu::Parallel(pool) => parallel::min(&pool, input),
    };
    m.ok_or(Error::EmptyInput { op: "min" })
}

/// Number of elements for which `pred` holds (exact; 0 for an empty array).
pub fn count_where<T, S, D, P>(backend: Backend, pred: P, input: &ArrayBase<S, D>) -> Result<u64>
where
    T: Element,
    S: Data<Elem = T>,
    D: Dimension,
    P: Predicate<T>,
{
    count_where_slice(backend, pred, contiguous("input", input)?)
}

/// [`count_where`] over a slice.
pub fn count_where_slice<T: Element, P: Predicate<T>>(
    backend: Backend,
    pred: P,
    input: &[T],
) -> Result<u64> {
    Ok(match cpu_only(backend, "count_where")? {
        Cpu::Serial => serial::count_where(&pred, input),
        Cpu::Parallel(pool) => parallel::count_where(&pool, &pred, input),
    })
}
