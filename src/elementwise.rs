//! `add_scalar`, the blog's "add 2", in its out-of-place, in-place and
//! allocating forms.

use crate::Backend;
use crate::dispatch::with_runtime;
use hotloop_runtime::layout::{in_place, logical_order, unary_into};
use hotloop_runtime::{Element, Result, check_same_shape, shape3};
use ndarray::{Array3, ArrayBase, Data, DataMut, Ix3};

/// `input + scalar` into a new standard-layout array, allocated fallibly
/// (an error, not an abort, if it cannot fit). The new pages are first
/// touched by the kernel itself: on the parallel backend, by the worker
/// that writes them. `input` may have any layout (see
/// [`hotloop_runtime::layout`]).
pub fn add_scalar<T, S>(backend: Backend, input: &ArrayBase<S, Ix3>, scalar: T) -> Result<Array3<T>>
where
    T: Element,
    S: Data<Elem = T>,
{
    let src = logical_order("add_scalar input copy", input.view())?;
    let dim = input.dim();
    let mut out = hotloop_runtime::try_zeroed_vec::<T>("add_scalar output", src.len())?;
    add_scalar_slice_into(backend, &src, [dim.0, dim.1, dim.2], scalar, &mut out)?;
    Ok(Array3::from_shape_vec(dim, out).expect("length equals the input's, checked above"))
}

/// `out = input + scalar`, for two arrays of the same shape in any layout:
/// over their memory directly when they share its order (standard,
/// transposed, Fortran), through a copy when they do not.
pub fn add_scalar_into<T, S, SO>(
    backend: Backend,
    input: &ArrayBase<S, Ix3>,
    scalar: T,
    out: &mut ArrayBase<SO, Ix3>,
) -> Result<()>
where
    T: Element,
    S: Data<Elem = T>,
    SO: DataMut<Elem = T>,
{
    check_same_shape("input", input.shape(), "output", out.shape())?;
    unary_into(input.view(), out.view_mut(), |src, dst| {
        with_runtime!(backend, |rt| rt.add_scalar(src, scalar, dst))
    })
}

/// `data += scalar` in place, in any layout.
pub fn add_scalar_in_place<T, S>(
    backend: Backend,
    data: &mut ArrayBase<S, Ix3>,
    scalar: T,
) -> Result<()>
where
    T: Element,
    S: DataMut<Elem = T>,
{
    in_place(data.view_mut(), |data| {
        with_runtime!(backend, |rt| rt.add_scalar_in_place(data, scalar))
    })
}

/// `out = input + scalar` over plain slices holding a row-major array of
/// shape `dims`.
pub fn add_scalar_slice_into<T: Element>(
    backend: Backend,
    input: &[T],
    dims: [usize; 3],
    scalar: T,
    out: &mut [T],
) -> Result<()> {
    shape3("input", input, dims)?;
    shape3("output", out, dims)?;
    with_runtime!(backend, |rt| rt.add_scalar(input, scalar, out))
}
