//! Generalized ufuncs, Numba's `@guvectorize`: a [`GuKernel`] over the core
//! dimensions of its signature, looped over the leading (outer) dimensions
//! of the inputs, in parallel across them on a parallel backend: one array
//! in and one out ([`gufunc`]), or several of each ([`gufunc_n`]).
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
use ndarray::{Array, ArrayBase, ArrayD, ArrayViewD, Data, DataMut, Dimension, IxDyn};
use std::borrow::Cow;

/// Binds `K`'s signature to the shapes and checks the kernel's parameters.
fn plan<T: Element, K: GuKernel<T, I, O>, const I: usize, const O: usize>(
    kernel: &K,
    inputs: &[&[usize]],
    outputs: Option<&[&[usize]]>,
) -> Result<GufuncPlan> {
    let sig = Signature::parse(K::NAME, K::SIGNATURE)?;
    if sig.outputs.len() != O {
        return Err(Error::Signature {
            kernel: K::NAME,
            signature: K::SIGNATURE,
            detail: format!(
                "{} outputs in the signature, the kernel writes {O}",
                sig.outputs.len()
            ),
        });
    }
    let plan = sig.plan(inputs, outputs)?;
    kernel.check().map_err(|reason| Error::InvalidArgument {
        what: K::NAME,
        reason: reason.into(),
    })?;
    Ok(plan)
}

fn run<T: Element, K: GuKernel<T, I, O>, const I: usize, const O: usize>(
    backend: Backend,
    kernel: &K,
    plan: &GufuncPlan,
    inputs: [&[T]; I],
    outputs: [&mut [T]; O],
) -> Result<()> {
    with_runtime!(backend, |rt| rt.gufunc(kernel, plan, inputs, outputs))
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
    let [out] = gufunc_n(backend, kernel, [input.view().into_dyn()])?;
    Ok(out)
}

/// Runs `kernel` over `I` input arrays into `O` new arrays, Numba's
/// `@guvectorize` of several arguments: the inputs' loop dimensions (the
/// leading axes before their core dimensions) broadcast together as
/// NumPy's do (`(5, 1, m, n)` with `(4, n, p)` loops over `(5, 4)`; an input
/// without any, a weight matrix, is shared by every iteration), and each
/// output's shape is the loop shape followed by its core dimensions. An
/// input broadcast along some loop axes but not all is copied to the whole
/// loop shape first.
///
/// ```
/// use hotloop::{Backend, GuKernel, Num, gufunc_n};
/// use ndarray::{Array3, array};
///
/// /// numba-examples' `@guvectorize` matrix product.
/// #[derive(Clone, Copy, Debug)]
/// struct MatMul;
///
/// impl<T: Num> GuKernel<T, 2, 1> for MatMul {
///     const NAME: &'static str = "matmul";
///     const SIGNATURE: &'static str = "(m,n),(n,p)->(m,p)";
///
///     fn apply(&self, core: &[usize], [a, b]: [&[T]; 2], [c]: [&mut [T]; 1]) {
///         let [m, n, p] = [core[0], core[1], core[2]];
///         for i in 0..m {
///             for j in 0..p {
///                 let mut s = T::ZERO;
///                 for k in 0..n {
///                     s = s + a[i * n + k] * b[k * p + j];
///                 }
///                 c[i * p + j] = s;
///             }
///         }
///     }
/// }
///
/// // Three 2x2 matrices, each times one shared 2x2 matrix.
/// let a = Array3::from_shape_fn((3, 2, 2), |(l, i, j)| (l * 4 + i * 2 + j) as i64);
/// let b = array![[0i64, 1], [1, 0]]; // swaps the columns
/// let [c] = gufunc_n(Backend::parallel(), MatMul, [a.view().into_dyn(), b.view().into_dyn()])?;
/// assert_eq!(c.shape(), [3, 2, 2]);
/// assert_eq!(c[[2, 1, 0]], a[[2, 1, 1]]);
/// # Ok::<(), hotloop::Error>(())
/// ```
pub fn gufunc_n<T, K, const I: usize, const O: usize>(
    backend: Backend,
    kernel: K,
    inputs: [ArrayViewD<'_, T>; I],
) -> Result<[ArrayD<T>; O]>
where
    T: Element,
    K: GuKernel<T, I, O>,
{
    let sig = Signature::parse(K::NAME, K::SIGNATURE)?;
    let shapes: Vec<&[usize]> = inputs.iter().map(|a| a.shape()).collect();
    let full = sig.broadcast_loops(&shapes)?;
    // NumPy's broadcasting of the loop dimensions: an input with all of
    // them, or none (shared by every iteration), passes as it is; one whose
    // loop dimensions are all 1 is shared too; any other is expanded to
    // the whole loop shape, a copy (the kernels step through an input by
    // whole blocks or not at all).
    let cores: Vec<usize> = sig
        .inputs
        .iter()
        .filter(|a| !a.is_empty())
        .map(Vec::len)
        .collect();
    let mut srcs = Vec::with_capacity(I);
    let mut shaped: Vec<Vec<usize>> = Vec::with_capacity(I);
    for (k, mut a) in inputs.into_iter().enumerate() {
        if let Some(split) = cores.get(k).and_then(|&c| a.ndim().checked_sub(c)) {
            let lp = &a.shape()[..split];
            if !lp.is_empty() && lp != &full[..] {
                if lp.iter().all(|&d| d == 1) {
                    for _ in 0..split {
                        a = a.index_axis_move(ndarray::Axis(0), 0);
                    }
                } else {
                    let whole: Vec<usize> =
                        full.iter().chain(&a.shape()[split..]).copied().collect();
                    let wide = a
                        .broadcast(IxDyn(&whole))
                        .expect("broadcast_loops checked it");
                    srcs.push(Cow::Owned(
                        logical_order("gufunc broadcast copy", wide)?.into_owned(),
                    ));
                    shaped.push(whole);
                    continue;
                }
            }
        }
        shaped.push(a.shape().to_vec());
        srcs.push(logical_order("gufunc input copy", a)?);
    }
    let shapes: Vec<&[usize]> = shaped.iter().map(Vec::as_slice).collect();
    let plan = plan(&kernel, &shapes, None)?;
    let mut outs = Vec::with_capacity(O);
    for k in 0..O {
        let len = plan.loops * plan.out_blocks[k];
        outs.push(hotloop_runtime::try_zeroed_vec::<T>("gufunc output", len)?);
    }
    {
        let ins: [&[T]; I] = std::array::from_fn(|k| &srcs[k][..]);
        let mut it = outs.iter_mut();
        let dsts: [&mut [T]; O] = std::array::from_fn(|_| &mut it.next().expect("O outputs")[..]);
        run(backend, &kernel, &plan, ins, dsts)?;
    }
    let mut shaped = outs
        .into_iter()
        .zip(&plan.out_shapes)
        .map(|(o, s)| Array::from_shape_vec(IxDyn(s), o).expect("length from the plan"));
    Ok(std::array::from_fn(|_| shaped.next().expect("O outputs")))
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
    let plan = plan(&kernel, &[input.shape()], Some(&[out.shape()]))?;
    let src = logical_order("gufunc input copy", input.view())?;
    write_logical(out.view_mut(), |dst| {
        run(backend, &kernel, &plan, [&src], [dst])
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
    let plan = plan(&kernel, &[input.shape()], Some(&[input.shape()]))?;
    let src = logical_order("gufunc input copy", input.view())?;
    let mut out = hotloop_runtime::try_zeroed_vec::<T>("gufunc output", src.len())?;
    run(backend, &kernel, &plan, [&src], [&mut out])?;
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
