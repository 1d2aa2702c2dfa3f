//! `sum` and `max` over arrays of any dimension.

use crate::Backend;
use hotloop_cpu::{parallel, serial};
use hotloop_runtime::{Element, Error, Result, contiguous};
use ndarray::{ArrayBase, Data, Dimension};

/// Sum of all elements. Deterministic: one fixed order of additions, a
/// pairwise sum in the manner of NumPy's (blocks of 128 in eight lanes,
/// then recursive halving; see `hotloop_core::reduce`), so every backend,
/// thread count and launch shape gives the same bits. Its error is at most
/// `d eps/2 * sum |x|` with `d = 23 + ceil(log2(n / 4096))`; being pairwise,
/// it can overflow where a left-to-right sum would not (`[MAX, -MAX, MAX]`
/// sums to `inf`). The sum of an empty array is 0.
pub fn sum<T, S, D>(backend: Backend, input: &ArrayBase<S, D>) -> Result<T>
where
    T: Element,
    S: Data<Elem = T>,
    D: Dimension,
{
    sum_slice(backend, contiguous("input", input)?)
}

/// [`sum`] over a slice.
pub fn sum_slice<T: Element>(backend: Backend, input: &[T]) -> Result<T> {
    match backend {
        Backend::Serial => Ok(serial::sum(input)),
        Backend::Parallel { threads } => Ok(parallel::sum(&Backend::pool(threads)?, input)),
        Backend::Simulator { launch } => hotloop_sim::reduce::sum(launch, input),
        Backend::Cuda { device, launch } => {
            hotloop_cuda::ops::sum(&Backend::cuda_device(device, launch)?, launch, input)
        }
    }
}

/// Largest element; NaN if any element is NaN (as NumPy's `max`); an
/// [`Error::EmptyInput`] for an empty array.
pub fn max<T, S, D>(backend: Backend, input: &ArrayBase<S, D>) -> Result<T>
where
    T: Element,
    S: Data<Elem = T>,
    D: Dimension,
{
    max_slice(backend, contiguous("input", input)?)
}

/// [`max`] over a slice.
pub fn max_slice<T: Element>(backend: Backend, input: &[T]) -> Result<T> {
    let m = match backend {
        Backend::Serial => serial::max(input),
        Backend::Parallel { threads } => parallel::max(&Backend::pool(threads)?, input),
        Backend::Simulator { launch } => hotloop_sim::reduce::max(launch, input)?,
        Backend::Cuda { device, launch } => {
            hotloop_cuda::ops::max(&Backend::cuda_device(device, launch)?, launch, input)?
        }
    };
    m.ok_or(Error::EmptyInput { op: "max" })
}
