//! Stencils, Numba's `@stencil`: a neighbourhood kernel ([`Stencil3`],
//! [`Stencil2`]) written with relative indices, over every cell of a 3-D or
//! 2-D array, with a [`Boundary`] mode for the cells near the edges.
//!
//! ```
//! use hotloop::{Backend, Boundary, Jacobi5, Stencil2, stencil2};
//! use ndarray::array;
//!
//! let a = array![[0.0, 4.0, 0.0], [4.0, 9.0, 4.0], [0.0, 4.0, 0.0]];
//! // Numba's default: border cells, whose neighbourhood leaves the array, are 0.
//! let b = stencil2(Backend::parallel(), Jacobi5, &a, Boundary::default())?;
//! assert_eq!(b, array![[0.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 0.0]]);
//! // Numba's `@stencil(cval=-1.0)`: the border set to -1 instead.
//! let c = stencil2(Backend::Serial, Jacobi5, &a, Boundary::FillBorder(-1.0))?;
//! assert_eq!(c[[0, 0]], -1.0);
//! assert_eq!(c[[1, 1]], 4.0);
//! // SciPy's `mode='constant'`: every cell computed, outside reads as 0.
//! let d = stencil2(Backend::Serial, Jacobi5, &a, Boundary::PadConstant(0.0))?;
//! assert_eq!(d[[0, 0]], 0.25 * (4.0 + 4.0));
//!
//! // Your own kernel: a 1-2-1 horizontal smoothing.
//! #[derive(Clone, Copy)]
//! struct Smooth;
//! impl Stencil2<f64> for Smooth {
//!     const NEIGHBOURHOOD: [(isize, isize); 2] = [(0, 0), (-1, 1)];
//!     fn apply<A: Fn(isize, isize) -> f64>(&self, a: A) -> f64 {
//!         0.25 * (a(0, -1) + 2.0 * a(0, 0) + a(0, 1))
//!     }
//! }
//! let s = stencil2(Backend::Serial, Smooth, &a, Boundary::Clamp)?;
//! assert_eq!(s[[1, 0]], 0.25 * (4.0 + 8.0 + 9.0));
//! # Ok::<(), hotloop::Error>(())
//! ```
//!
//! A solver sweeps again and again, each sweep over the one before:
//! [`stencil3_steps`] / [`stencil2_steps`] (and their `_into` forms) are
//! Numba's `for _ in range(steps): a = kernel(a)`, with that loop's bits.
//! On the CPU backends a grid larger than the caches is then swept
//! several times a tile at a time, the tile's neighbourhood in L2 (blocked
//! in time), so that it crosses memory once every few sweeps, not every
//! sweep; a kernel reading along all three axes of a grid, where that did
//! not pay, is swept plainly. The grid backends sweep plainly, each sweep
//! a call of the one-sweep kernel (on the GPU, the grid copied there and
//! back each time).
//!
//! ```
//! use hotloop::{Backend, Boundary, Jacobi5, stencil2, stencil2_steps};
//! use ndarray::Array2;
//!
//! let a = Array2::from_shape_fn((300, 400), |(i, j)| ((i * 7 + j * 3) % 11) as f64);
//! let mut b = a.clone();
//! for _ in 0..12 {
//!     b = stencil2(Backend::Serial, Jacobi5, &b, Boundary::Clamp)?;
//! }
//! assert_eq!(stencil2_steps(Backend::parallel(), Jacobi5, &a, Boundary::Clamp, 12)?, b);
//! # Ok::<(), hotloop::Error>(())
//! ```
//!
//! The parallel backend splits the rows over its pool, and the grid
//! backends (simulator, CUDA) run one thread per output cell; all compute
//! every cell with the serial backend's arithmetic: the results are
//! bit-identical in every mode.
//!
//! [`Boundary::FillBorder`] is Numba's `cval` (bit for bit, f32 and f64:
//! border outputs set to the value, 0 by default); [`Boundary::PadConstant`]
//! and [`Boundary::Clamp`] are SciPy's `mode='constant'` and
//! `mode='nearest'`, which compute every cell.
//!
//! A kernel's `NEIGHBOURHOOD` is checked before anything runs: an axis
//! whose bounds are reversed or reach beyond
//! [`MAX_REACH`](crate::crates::core::stencil::MAX_REACH) is an
//! [`Error::InvalidNeighbourhood`](crate::Error::InvalidNeighbourhood), and
//! the kernel is probed once, as Numba infers a neighbourhood: a read
//! outside the declaration is an
//! [`Error::OutsideNeighbourhood`](crate::Error::OutsideNeighbourhood)
//! naming the index (in the kernel's own two or three axes). A read that
//! leaves it only for some data stops the run with the same error. Never a
//! panic, never a read outside the array. The simulator runs any kernel;
//! `Backend::Cuda` runs any with a compiled kernel (`#[device_op]`: the
//! built-ins [`Laplacian7`](crate::Laplacian7) and
//! [`Jacobi5`](crate::Jacobi5), and a user's), and reports an out-of-reach
//! read the same way.

use crate::Backend;
use crate::dispatch::with_runtime;
use hotloop_core::index::Shape3;
use hotloop_core::stencil::{Boundary, Planar, Stencil2, Stencil3, check_kernel};
use hotloop_runtime::layout::{logical_order, write_logical};
use hotloop_runtime::{Element, Error, Result, check_same_shape, shape3};
use ndarray::{Array2, Array3, ArrayBase, Data, DataMut, Ix2, Ix3};

/// The shape of `dims` once both slices hold it and `kernel`'s declared
/// reach is usable: what every stencil call checks before it runs.
fn checked<T: Element, K: Stencil3<T>>(
    kernel: &K,
    input: &[T],
    out: &[T],
    dims: [usize; 3],
) -> Result<Shape3> {
    let shape = shape3("input", input, dims)?;
    shape3("output", out, dims)?;
    check_kernel(kernel)?;
    Ok(shape)
}

fn run<T: Element, K: Stencil3<T>>(
    backend: Backend,
    kernel: &K,
    input: &[T],
    dims: [usize; 3],
    boundary: Boundary<T>,
    out: &mut [T],
) -> Result<()> {
    let shape = checked(kernel, input, out, dims)?;
    with_runtime!(backend, |rt| rt
        .stencil(kernel, shape, boundary, input, out))
}

/// [`run`] `steps` times, each sweep reading the one before.
fn run_steps<T: Element, K: Stencil3<T>>(
    backend: Backend,
    kernel: &K,
    input: &[T],
    dims: [usize; 3],
    (boundary, steps): (Boundary<T>, usize),
    out: &mut [T],
) -> Result<()> {
    let shape = checked(kernel, input, out, dims)?;
    with_runtime!(backend, |rt| rt
        .stencil_steps(kernel, shape, boundary, steps, input, out))
}

/// `kernel` over every cell of the 3-D `input`, into a new array.
pub fn stencil3<T, S, K>(
    backend: Backend,
    kernel: K,
    input: &ArrayBase<S, Ix3>,
    boundary: Boundary<T>,
) -> Result<Array3<T>>
where
    T: Element,
    S: Data<Elem = T>,
    K: Stencil3<T>,
{
    let src = logical_order("stencil input copy", input.view())?;
    let (x, y, z) = input.dim();
    let mut out = hotloop_runtime::try_zeroed_vec::<T>("stencil output", src.len())?;
    run(backend, &kernel, &src, [x, y, z], boundary, &mut out)?;
    Ok(Array3::from_shape_vec((x, y, z), out).expect("same length as the input"))
}

/// `kernel` over every cell of the 3-D `input`, into `out` (same shape;
/// it cannot be the input, whose neighbours the kernel still reads).
pub fn stencil3_into<T, S, SO, K>(
    backend: Backend,
    kernel: K,
    input: &ArrayBase<S, Ix3>,
    boundary: Boundary<T>,
    out: &mut ArrayBase<SO, Ix3>,
) -> Result<()>
where
    T: Element,
    S: Data<Elem = T>,
    SO: DataMut<Elem = T>,
    K: Stencil3<T>,
{
    check_same_shape("input", input.shape(), "output", out.shape())?;
    let (x, y, z) = input.dim();
    let src = logical_order("stencil input copy", input.view())?;
    write_logical(out.view_mut(), |dst| {
        run(backend, &kernel, &src, [x, y, z], boundary, dst)
    })
}

/// `steps` sweeps of `kernel` from the 3-D `input`, each over the one
/// before (`steps = 0`: a copy), into a new array: Numba's
/// `for _ in range(steps): a = kernel(a)`, with that loop's bits.
pub fn stencil3_steps<T, S, K>(
    backend: Backend,
    kernel: K,
    input: &ArrayBase<S, Ix3>,
    boundary: Boundary<T>,
    steps: usize,
) -> Result<Array3<T>>
where
    T: Element,
    S: Data<Elem = T>,
    K: Stencil3<T>,
{
    let src = logical_order("stencil input copy", input.view())?;
    let (x, y, z) = input.dim();
    let mut out = hotloop_runtime::try_zeroed_vec::<T>("stencil output", src.len())?;
    let sweeps = (boundary, steps);
    run_steps(backend, &kernel, &src, [x, y, z], sweeps, &mut out)?;
    Ok(Array3::from_shape_vec((x, y, z), out).expect("same length as the input"))
}

/// [`stencil3_steps`] into `out` (same shape; it cannot be the input).
pub fn stencil3_steps_into<T, S, SO, K>(
    backend: Backend,
    kernel: K,
    input: &ArrayBase<S, Ix3>,
    boundary: Boundary<T>,
    steps: usize,
    out: &mut ArrayBase<SO, Ix3>,
) -> Result<()>
where
    T: Element,
    S: Data<Elem = T>,
    SO: DataMut<Elem = T>,
    K: Stencil3<T>,
{
    check_same_shape("input", input.shape(), "output", out.shape())?;
    let (x, y, z) = input.dim();
    let src = logical_order("stencil input copy", input.view())?;
    write_logical(out.view_mut(), |dst| {
        run_steps(backend, &kernel, &src, [x, y, z], (boundary, steps), dst)
    })
}

/// `kernel` over every cell of the 2-D `input`, into a new array.
pub fn stencil2<T, S, K>(
    backend: Backend,
    kernel: K,
    input: &ArrayBase<S, Ix2>,
    boundary: Boundary<T>,
) -> Result<Array2<T>>
where
    T: Element,
    S: Data<Elem = T>,
    K: Stencil2<T>,
{
    let src = logical_order("stencil input copy", input.view())?;
    let (y, z) = input.dim();
    let mut out = hotloop_runtime::try_zeroed_vec::<T>("stencil output", src.len())?;
    run(
        backend,
        &Planar(kernel),
        &src,
        [1, y, z],
        boundary,
        &mut out,
    )
    .map_err(Error::into_planar)?;
    Ok(Array2::from_shape_vec((y, z), out).expect("same length as the input"))
}

/// `kernel` over every cell of the 2-D `input`, into `out` (same shape).
pub fn stencil2_into<T, S, SO, K>(
    backend: Backend,
    kernel: K,
    input: &ArrayBase<S, Ix2>,
    boundary: Boundary<T>,
    out: &mut ArrayBase<SO, Ix2>,
) -> Result<()>
where
    T: Element,
    S: Data<Elem = T>,
    SO: DataMut<Elem = T>,
    K: Stencil2<T>,
{
    check_same_shape("input", input.shape(), "output", out.shape())?;
    let (y, z) = input.dim();
    let src = logical_order("stencil input copy", input.view())?;
    write_logical(out.view_mut(), |dst| {
        run(backend, &Planar(kernel), &src, [1, y, z], boundary, dst)
    })
    .map_err(Error::into_planar)
}

/// `steps` sweeps of `kernel` from the 2-D `input`, each over the one
/// before (`steps = 0`: a copy), into a new array: Numba's
/// `for _ in range(steps): a = kernel(a)`, with that loop's bits.
pub fn stencil2_steps<T, S, K>(
    backend: Backend,
    kernel: K,
    input: &ArrayBase<S, Ix2>,
    boundary: Boundary<T>,
    steps: usize,
) -> Result<Array2<T>>
where
    T: Element,
    S: Data<Elem = T>,
    K: Stencil2<T>,
{
    let src = logical_order("stencil input copy", input.view())?;
    let (y, z) = input.dim();
    let mut out = hotloop_runtime::try_zeroed_vec::<T>("stencil output", src.len())?;
    let sweeps = (boundary, steps);
    run_steps(backend, &Planar(kernel), &src, [1, y, z], sweeps, &mut out)
        .map_err(Error::into_planar)?;
    Ok(Array2::from_shape_vec((y, z), out).expect("same length as the input"))
}

/// [`stencil2_steps`] into `out` (same shape; it cannot be the input).
pub fn stencil2_steps_into<T, S, SO, K>(
    backend: Backend,
    kernel: K,
    input: &ArrayBase<S, Ix2>,
    boundary: Boundary<T>,
    steps: usize,
    out: &mut ArrayBase<SO, Ix2>,
) -> Result<()>
where
    T: Element,
    S: Data<Elem = T>,
    SO: DataMut<Elem = T>,
    K: Stencil2<T>,
{
    check_same_shape("input", input.shape(), "output", out.shape())?;
    let (y, z) = input.dim();
    let src = logical_order("stencil input copy", input.view())?;
    let sweeps = (boundary, steps);
    write_logical(out.view_mut(), |dst| {
        run_steps(backend, &Planar(kernel), &src, [1, y, z], sweeps, dst)
    })
    .map_err(Error::into_planar)
}
