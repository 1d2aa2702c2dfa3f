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
use crate::dispatch::cuda;
use hotloop_core::predicate::Predicate;
use hotloop_cpu::reductions::{parallel, serial};
use hotloop_runtime::{Element, Error, Result, contiguous};
use ndarray::{ArrayBase, Data, Dimension};

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
    min_slice(backend, contiguous("input", input)?)
}

/// [`min`] over a slice.
pub fn min_slice<T: Element>(backend: Backend, input: &[T]) -> Result<T> {
    let m = match backend {
        Backend::Serial => serial::min(input),
        Backend::Parallel { threads } => parallel::min(&Backend::pool(threads)?, input),
        Backend::Simulator { launch } => hotloop_sim::reduce::min(launch, input)?,
        Backend::Cuda { device, launch } => {
            hotloop_cuda::ops::min(&Backend::cuda_device(device, launch)?, launch, input)?
        }
    };
    m.ok_or(Error::EmptyInput { op: "min" })
}

/// Number of elements for which `pred` holds (exact, the same on every
/// backend; 0 for an empty array). The simulator runs any predicate;
/// `Backend::Cuda` runs the built-ins ([`GreaterThan`](crate::GreaterThan),
/// [`LessThan`](crate::LessThan), [`InRange`](crate::InRange),
/// [`IsNan`](crate::IsNan)), which have device entry points.
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
    Ok(match backend {
        Backend::Serial => serial::count_where(&pred, input),
        Backend::Parallel { threads } => {
            parallel::count_where(&Backend::pool(threads)?, &pred, input)
        }
        Backend::Simulator { launch } => hotloop_sim::reduce::count_where(launch, &pred, input)?,
        Backend::Cuda { device, launch } => {
            let (dev, k) = cuda(device, launch, "count_where", pred.device_kernel())?;
            hotloop_cuda::forms::count_timed(&dev, launch, &k, input)?.0
        }
    })
}
