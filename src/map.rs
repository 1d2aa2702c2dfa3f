//! Element-wise maps, Numba's `@vectorize`: a scalar function written once
//! (a [`UnaryOp`] or [`BinaryOp`], or a closure) applied to arrays of any
//! dimension, out of place, into an output, or in place.
//!
//! ```
//! use hotloop::{Backend, BinaryOp, Clamp, map, zip};
//! use hotloop::ops::Add;
//! use ndarray::array;
//!
//! let x = array![[-2.0, 0.5], [3.0, 1.0]];
//! let clipped = map(Backend::parallel(), Clamp { lo: -1.0, hi: 1.0 }, &x)?;
//! assert_eq!(clipped, array![[-1.0, 0.5], [1.0, 1.0]]);
//! // array ⊕ scalar: bind the scalar operand of a binary op.
//! let shifted = map(Backend::Serial, Add.right(2.0), &x)?;
//! assert_eq!(shifted, &x + 2.0);
//! // array ⊕ array, with a closure.
//! let hyp = zip(Backend::Serial, |a: f64, b: f64| a * a + b * b, &x, &x)?;
//! assert_eq!(hyp[[1, 0]], 18.0);
//! # Ok::<(), hotloop::Error>(())
//! ```
//!
//! Every backend computes each element with the same `apply`, so results
//! are bit-identical across the CPU backends, thread counts, the simulator
//! at any launch and the GPU (a NaN stays NaN, though the GPU's arithmetic
//! returns the canonical NaN where the CPU keeps an input's payload). On
//! the CPU, large outputs are written with streaming stores
//! ([`crate::StoreMode::Auto`]), and the loops are compiled for the widest
//! instruction set the CPU has, which reaches an op's `apply` where it is
//! inlined. `#[device_op]` marks an op's methods `#[inline(always)]`; an
//! op's `apply` without it, or a closure of more than a line or two, is
//! best marked by hand (`#[inline(always)] |a: f64, b: f64| ..`):
//! [`crate::prange`] says why.
//!
//! The simulator runs any op, closures included. `Backend::Cuda` runs any
//! op with a compiled kernel: every built-in, and a user's op whose trait
//! impl carries `#[device_op]` (with a scalar operand bound, too); a
//! closure is an [`Error::Unsupported`] there, saying so.

use crate::Backend;
use crate::dispatch::with_runtime;
use hotloop_core::map::{BinaryOp, NaryOp, UnaryOp};
use hotloop_runtime::layout::{binary_in_place, binary_into, in_place, logical_order, unary_into};
use hotloop_runtime::{Element, Error, Result, check_same_shape};
use ndarray::{Array, ArrayBase, Data, DataMut, Dimension};

/// `op(input)` element by element, into a new standard-layout array
/// (allocated fallibly) of the op's output type; `input` in any layout.
pub fn map<T, U, S, D, Op>(backend: Backend, op: Op, input: &ArrayBase<S, D>) -> Result<Array<U, D>>
where
    T: Element,
    U: Element,
    S: Data<Elem = T>,
    D: Dimension,
    Op: UnaryOp<T, U>,
{
    let src = logical_order("map input copy", input.view())?;
    let mut out = hotloop_runtime::try_zeroed_vec::<U>("map output", src.len())?;
    run_map(backend, &op, &src, &mut out)?;
    Ok(Array::from_shape_vec(input.raw_dim(), out).expect("same length as the input"))
}

/// `out = op(input)`; the same shape, any layouts (over the arrays' memory
/// when they share its order, through a copy when they do not).
pub fn map_into<T, U, S, SO, D, Op>(
    backend: Backend,
    op: Op,
    input: &ArrayBase<S, D>,
    out: &mut ArrayBase<SO, D>,
) -> Result<()>
where
    T: Element,
    U: Element,
    S: Data<Elem = T>,
    SO: DataMut<Elem = U>,
    D: Dimension,
    Op: UnaryOp<T, U>,
{
    check_same_shape("input", input.shape(), "output", out.shape())?;
    unary_into(input.view(), out.view_mut(), |src, dst| {
        run_map(backend, &op, src, dst)
    })
}

/// `data = op(data)` in place, in any layout.
pub fn map_in_place<T, S, D, Op>(backend: Backend, op: Op, data: &mut ArrayBase<S, D>) -> Result<()>
where
    T: Element,
    S: DataMut<Elem = T>,
    D: Dimension,
    Op: UnaryOp<T>,
{
    in_place(data.view_mut(), |data| {
        with_runtime!(backend, |rt| rt.map_in_place(&op, data))
    })
}

/// `out = op(input)` over slices of the same length.
pub fn map_slice_into<T: Element, U: Element, Op: UnaryOp<T, U>>(
    backend: Backend,
    op: Op,
    input: &[T],
    out: &mut [U],
) -> Result<()> {
    same_len("input", input, "output", out)?;
    run_map(backend, &op, input, out)
}

fn run_map<T: Element, U: Element, Op: UnaryOp<T, U>>(
    backend: Backend,
    op: &Op,
    input: &[T],
    out: &mut [U],
) -> Result<()> {
    with_runtime!(backend, |rt| rt.map(op, input, out))
}

/// `op(a, b)` element by element, into a new standard-layout array; `a`
/// and `b` have the same shape, in any layouts. For array ⊕ scalar, [`map`] with [`BinaryOp::right`].
pub fn zip<T, SA, SB, D, Op>(
    backend: Backend,
    op: Op,
    a: &ArrayBase<SA, D>,
    b: &ArrayBase<SB, D>,
) -> Result<Array<T, D>>
where
    T: Element,
    SA: Data<Elem = T>,
    SB: Data<Elem = T>,
    D: Dimension,
    Op: BinaryOp<T>,
{
    check_same_shape("a", a.shape(), "b", b.shape())?;
    let x = logical_order("zip input copy", a.view())?;
    let y = logical_order("zip input copy", b.view())?;
    let mut out = hotloop_runtime::try_zeroed_vec::<T>("zip output", x.len())?;
    run_zip(backend, &op, &x, &y, &mut out)?;
    Ok(Array::from_shape_vec(a.raw_dim(), out).expect("same length as the inputs"))
}

/// `out = op(a, b)`; all three of the same shape, in any layouts.
pub fn zip_into<T, SA, SB, SO, D, Op>(
    backend: Backend,
    op: Op,
    a: &ArrayBase<SA, D>,
    b: &ArrayBase<SB, D>,
    out: &mut ArrayBase<SO, D>,
) -> Result<()>
where
    T: Element,
    SA: Data<Elem = T>,
    SB: Data<Elem = T>,
    SO: DataMut<Elem = T>,
    D: Dimension,
    Op: BinaryOp<T>,
{
    check_same_shape("a", a.shape(), "b", b.shape())?;
    check_same_shape("a", a.shape(), "output", out.shape())?;
    binary_into(a.view(), b.view(), out.view_mut(), |x, y, dst| {
        run_zip(backend, &op, x, y, dst)
    })
}

/// `a = op(a, b)` in place; the same shape, in any layouts.
pub fn zip_in_place<T, SA, SB, D, Op>(
    backend: Backend,
    op: Op,
    a: &mut ArrayBase<SA, D>,
    b: &ArrayBase<SB, D>,
) -> Result<()>
where
    T: Element,
    SA: DataMut<Elem = T>,
    SB: Data<Elem = T>,
    D: Dimension,
    Op: BinaryOp<T>,
{
    check_same_shape("a", a.shape(), "b", b.shape())?;
    binary_in_place(a.view_mut(), b.view(), |x, y| {
        with_runtime!(backend, |rt| rt.zip_in_place(&op, x, y))
    })
}

/// `out = op(a, b)` over slices of the same length.
pub fn zip_slice_into<T: Element, Op: BinaryOp<T>>(
    backend: Backend,
    op: Op,
    a: &[T],
    b: &[T],
    out: &mut [T],
) -> Result<()> {
    same_len("a", a, "b", b)?;
    same_len("a", a, "output", out)?;
    run_zip(backend, &op, a, b, out)
}

fn run_zip<T: Element, Op: BinaryOp<T>>(
    backend: Backend,
    op: &Op,
    a: &[T],
    b: &[T],
    out: &mut [T],
) -> Result<()> {
    with_runtime!(backend, |rt| rt.zip(op, a, b, out))
}

/// The arity limits of an [`NaryOp`], checked where the op is used: a
/// build error, not a run-time one.
const fn check_arity<const I: usize, const O: usize>() {
    assert!(
        I >= 1 && I <= hotloop_core::map::MAX_NARY_INPUTS,
        "an NaryOp takes 1 to 4 inputs"
    );
    assert!(
        O >= 1 && O <= hotloop_core::map::MAX_NARY_OUTPUTS,
        "an NaryOp gives 1 to 3 outputs"
    );
}

/// `op(inputs..)` element by element, several inputs and outputs (Numba's
/// `@vectorize` of several arguments, and the element-wise `@guvectorize`
/// with several outputs): `I` arrays of one shape, in any layouts, into
/// `O` new standard-layout arrays (allocated fallibly).
///
/// ```
/// use hotloop::{Backend, map_n};
/// use ndarray::array;
///
/// // Black-Scholes' shape: (S, X) -> (S - X, S / X), as a closure.
/// let s = array![10.0, 20.0];
/// let x = array![5.0, 40.0];
/// let [diff, ratio] = map_n(Backend::parallel(), |[s, x]: [f64; 2]| [s - x, s / x], [&s, &x])?;
/// assert_eq!((diff, ratio), (array![5.0, -20.0], array![2.0, 0.5]));
/// # Ok::<(), hotloop::Error>(())
/// ```
///
/// Every output element is the op's `apply` on every backend: the same
/// bits. `Backend::Cuda` runs ops whose `NaryOp` impl carries
/// `#[device_op]`.
pub fn map_n<T, S, D, Op, const I: usize, const O: usize>(
    backend: Backend,
    op: Op,
    inputs: [&ArrayBase<S, D>; I],
) -> Result<[Array<T, D>; O]>
where
    T: Element,
    S: Data<Elem = T>,
    D: Dimension,
    Op: NaryOp<T, I, O>,
{
    const { check_arity::<I, O>() };
    let first = inputs[0];
    for x in &inputs[1..] {
        check_same_shape("first input", first.shape(), "input", x.shape())?;
    }
    let srcs = inputs
        .iter()
        .map(|x| logical_order("map_n input copy", x.view()))
        .collect::<Result<Vec<_>>>()?;
    let mut outs = Vec::with_capacity(O);
    for _ in 0..O {
        outs.push(hotloop_runtime::try_zeroed_vec::<T>(
            "map_n output",
            first.len(),
        )?);
    }
    {
        let ins: [&[T]; I] = std::array::from_fn(|k| &*srcs[k]);
        let mut it = outs.iter_mut();
        let dsts: [&mut [T]; O] =
            std::array::from_fn(|_| it.next().expect("O outputs").as_mut_slice());
        with_runtime!(backend, |rt| rt.map_n(&op, ins, dsts))?;
    }
    let mut arrays = outs
        .into_iter()
        .map(|o| Array::from_shape_vec(first.raw_dim(), o).expect("same length as the inputs"));
    Ok(std::array::from_fn(|_| arrays.next().expect("O outputs")))
}

/// `outputs = op(inputs..)` over slices, every one of the same length.
pub fn map_n_slice_into<T: Element, Op: NaryOp<T, I, O>, const I: usize, const O: usize>(
    backend: Backend,
    op: Op,
    inputs: [&[T]; I],
    outputs: [&mut [T]; O],
) -> Result<()> {
    const { check_arity::<I, O>() };
    for x in &inputs {
        same_len("input", x, "first output", outputs[0])?;
    }
    for o in &outputs[1..] {
        same_len("output", o, "first output", outputs[0])?;
    }
    with_runtime!(backend, |rt| rt.map_n(&op, inputs, outputs))
}

fn same_len<T, U>(
    left_name: &'static str,
    l: &[T],
    right_name: &'static str,
    r: &[U],
) -> Result<()> {
    if l.len() == r.len() {
        Ok(())
    } else {
        Err(Error::ShapeMismatch {
            left_name,
            left: vec![l.len()],
            right_name,
            right: vec![r.len()],
        })
    }
}
