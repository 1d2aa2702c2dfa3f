//! Generalized ufuncs, Numba's `@guvectorize`: a [`GuKernel`] over the core
//! dimensions of its signature, looped over the leading (outer) dimensions
//! of the input, in parallel across them on a parallel backend.
//!
//! ```
//! use hotloop::{Backend, moving_average, normalize_rows};
//! use ndarray::array;
//!
//! let x = array![[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0, 0.0]];
//! // signature (n),()->(n): each row's trailing mean over 2 elements.
//! let m = moving_average(Backend::parallel(), &x, 2)?;
//! assert_eq!(m.row(0).to_vec(), [1.0, 1.5, 2.5, 3.5]);
//! // signature (n)->(n): each row divided by its 2-norm; zero rows stay zero.
//! let u = normalize_rows(Backend::Serial, &array![[3.0, 4.0], [0.0, 0.0]])?;
//! assert_eq!(u, array![[0.6, 0.8], [0.0, 0.0]]);
//! # Ok::<(), hotloop::Error>(())
//! ```
//!
//! Shapes are checked against the signature before anything runs; a
//! mismatch is an [`Error::Signature`] naming the dimension ("core dimension
//! n: input has 5, output has 4").
//!
//! Every backend runs each row with the kernel's own `apply`, so the rows
//! are bit-identical across the CPU backends, the simulator and the GPU.
//! The grid backends run one thread per row (grid-stride over the rows),
//! each row sequentially in its thread: rows are the unit of parallelism,
//! so give them many rows. The simulator runs any [`GuKernel`];
//! `Backend::Cuda` runs the built-ins ([`MovingAverage`], [`NormalizeRows`]),
//! which have device entry points.

use crate::Backend;
use crate::dispatch::with_runtime;
use hotloop_core::Real;
use hotloop_core::gufunc::{GuKernel, MovingAverage, NormalizeRows};
use hotloop_runtime::layout::{logical_order, write_logical};
use hotloop_runtime::{Element, Error, GufuncPlan, Result, Signature};
use ndarray::{Array, ArrayBase, ArrayD, Data, DataMut, Dimension, IxDyn};

/// Binds `K`'s signature to the shapes and checks the kernel's parameters.
fn plan<T: Element, K: GuKernel<T>>(
    kernel: &K,
    input: &[usize],
    output: Option<&[usize]>,
) -> Result<GufuncPlan> {
    let plan = Signature::parse(K::NAME, K::SIGNATURE)?.plan(input, output)?;
    kernel.check().map_err(|reason| Error::InvalidArgument {
        what: K::NAME,
        reason: reason.into(),
    })?;
    Ok(plan)
}

fn run<T: Element, K: GuKernel<T>>(
    backend: Backend,
    kernel: &K,
    plan: &GufuncPlan,
    input: &[T],
    out: &mut [T],
) -> Result<()> {
    debug_assert_eq!(input.len(), plan.loops * plan.in_block);
    debug_assert_eq!(out.len(), plan.loops * plan.out_block);
    with_runtime!(backend, |rt| rt.gufunc(kernel, plan, input, out))
}

/// Runs `kernel` over `input` into a new array whose shape is the input's
/// loop dimensions followed by the output's core dimensions.
pub fn gufunc<T, S, D, K>(backend: Backend, kernel: K, input: &ArrayBase<S, D>) -> Result<ArrayD<T>>
where
    T: Element,
    S: Data<Elem = T>,
    D: Dimension,
    K: GuKernel<T>,
{
    let plan = plan(&kernel, input.shape(), None)?;
    let src = logical_order("gufunc input copy", input.view())?;
    let mut out =
        hotloop_runtime::try_zeroed_vec::<T>("gufunc output", plan.loops * plan.out_block)?;
    run(backend, &kernel, &plan, &src, &mut out)?;
    Ok(Array::from_shape_vec(IxDyn(&plan.out_shape), out).expect("length from the plan"))
}

/// Runs `kernel` over `input` into `out`, whose shape must be the input's
/// loop dimensions followed by the output's core dimensions.
pub fn gufunc_into<T, S, D, SO, DO, K>(
    backend: Backend,
    kernel: K,
    input: &ArrayBase<S, D>,
    out: &mut ArrayBase<SO, DO>,
) -> Result<()>
where
    T: Element,
    S: Data<Elem = T>,
    D: Dimension,
    SO: DataMut<Elem = T>,
    DO: Dimension,
    K: GuKernel<T>,
{
    let plan = plan(&kernel, input.shape(), Some(out.shape()))?;
    let src = logical_order("gufunc input copy", input.view())?;
    write_logical(out.view_mut(), |dst| {
        run(backend, &kernel, &plan, &src, dst)
    })
}

/// A `(n)->(n)`-shaped kernel into a new array of the input's own type.
fn same_shape<T, S, D, K>(
    backend: Backend,
    kernel: K,
    input: &ArrayBase<S, D>,
) -> Result<Array<T, D>>
where
    T: Element,
    S: Data<Elem = T>,
    D: Dimension,
    K: GuKernel<T>,
{
    let plan = plan(&kernel, input.shape(), Some(input.shape()))?;
    let src = logical_order("gufunc input copy", input.view())?;
    let mut out = hotloop_runtime::try_zeroed_vec::<T>("gufunc output", src.len())?;
    run(backend, &kernel, &plan, &src, &mut out)?;
    Ok(Array::from_shape_vec(input.raw_dim(), out).expect("same length as the input"))
}

/// Trailing moving average along the last axis, `(n),()->(n)`: `out[.., i]`
/// is the mean of `x[.., max(0, i - window + 1) ..= i]` (Numba's
/// `move_mean`). A window of 0 is an [`Error::InvalidArgument`].
pub fn moving_average<T, S, D>(
    backend: Backend,
    input: &ArrayBase<S, D>,
    window: usize,
) -> Result<Array<T, D>>
where
    T: Element + Real,
    S: Data<Elem = T>,
    D: Dimension,
{
    same_shape(backend, MovingAverage { window }, input)
}

/// Each row (last axis) divided by its 2-norm, `(n)->(n)`; zero rows stay
/// zero.
pub fn normalize_rows<T, S, D>(backend: Backend, input: &ArrayBase<S, D>) -> Result<Array<T, D>>
where
    T: Element + Real,
    S: Data<Elem = T>,
    D: Dimension,
{
    same_shape(backend, NormalizeRows, input)
}
