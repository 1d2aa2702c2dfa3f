//! `sum` and `max` over arrays of any dimension.

use crate::Backend;
use hotloop_cpu::{parallel, serial};
use hotloop_runtime::{Element, Error, Result, contiguous, try_vec_with_capacity};
use ndarray::{ArrayBase, Data, Dimension};

/// Sum of all elements. Deterministic: the same bits on the serial backend
/// and on a parallel backend of any thread count (fixed chunking, then a
/// fixed-order combination). The grid backends (simulator, CUDA) add in
/// another fixed order, set by the length and the launch shape: the same
/// bits on the simulator and the GPU for the same launch, within rounding
/// of the CPU result. The sum of an empty array is 0.
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
        Backend::Serial => Ok(serial::sum(input, &mut cpu_partials(input)?)),
        Backend::Parallel { threads } => Ok(parallel::sum(
            &Backend::pool(threads)?,
            input,
            &mut cpu_partials(input)?,
        )),
        Backend::Simulator { launch } => hotloop_sim::reduce::sum(launch, input),
        Backend::Cuda { device, launch } => {
            hotloop_cuda::ops::sum(&Backend::cuda_device(device, launch)?, launch, input)
        }
    }
}

/// Room for the CPU backends' chunk sums, allocated fallibly.
fn cpu_partials<T: Element>(input: &[T]) -> Result<Vec<T>> {
    try_vec_with_capacity("sum partials", serial::sum_partials_len(input.len()))
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
