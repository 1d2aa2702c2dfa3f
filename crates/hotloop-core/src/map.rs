//! Element-wise maps, Numba's `@vectorize`: a scalar function written once,
//! applied to every element.
//!
//! A unary function is a type implementing [`UnaryOp`]; a binary one (array
//! ⊕ array) implements [`BinaryOp`], and [`BinaryOp::right`] /
//! [`BinaryOp::left`] bind a scalar operand to make a unary one (array ⊕
//! scalar, scalar ⊕ array). Closures `Fn(T) -> U` and `Fn(T, T) -> T` that
//! are `Copy + Send + Sync` implement the traits too. A unary op may give
//! another type than it takes (`UnaryOp<i16, f32>`, Numba's
//! `@vectorize(['float32(int16)'])`).
//!
//! Built-ins: [`Affine`], [`Polynomial`] (Horner), [`Clamp`], [`Exp`]
//! (hotloop's own, within 0.55 ulp of the exact value; see [`crate::math`]), [`Sigmoid`],
//! and the binary [`Add`], [`Mul`], [`Axpy`]. Each is declared for the GPU
//! by `#[device_op(builtin)]` on its trait impl.
//!
//! The slice loops ([`map_slice`], [`zip_slice`], ...) are what one CPU task
//! runs; [`map_at`] and [`zip_at`] are what one GPU thread would run per
//! index. Both call `apply` and nothing else, so every backend computes the
//! same bits.

use crate::abi::DeviceKernel;
use crate::{Num, Real};
use hotloop_macros::{DeviceValue, device_op};

/// A scalar function of one argument, applied element by element.
///
/// Implement it for a small `Copy` type holding the op's parameters, once
/// for every [`Real`] element type:
///
/// ```rust
/// use hotloop_core::Real;
/// use hotloop_core::map::{UnaryOp, map_slice};
///
/// /// Softsign, `x / (1 + |x|)`: a smooth squashing into (-1, 1).
/// #[derive(Clone, Copy, Debug)]
/// struct Softsign;
///
/// impl<T: Real> UnaryOp<T> for Softsign {
///     fn apply(&self, x: T) -> T {
///         x / (T::ONE + x.abs())
///     }
/// }
///
/// assert_eq!(Softsign.apply(1.0f64), 0.5);
/// assert_eq!(Softsign.apply(-3.0f32), -0.75);
/// // What one CPU task runs: `apply` on each element, nothing else.
/// let mut out = [0.0; 3];
/// map_slice(&Softsign, &[0.0f64, 1.0, -1.0], &mut out);
/// assert_eq!(out, [0.0, 0.5, -0.5]);
/// ```
///
/// Its output may be of another type (`U`, the input's by default): an
/// ADC's counts to volts, `int16` in, `float32` out:
///
/// ```rust
/// use hotloop_core::map::{UnaryOp, map_slice};
///
/// #[derive(Clone, Copy, Debug)]
/// struct Volts {
///     per_count: f32,
/// }
///
/// impl UnaryOp<i16, f32> for Volts {
///     fn apply(&self, counts: i16) -> f32 {
///         f32::from(counts) * self.per_count
///     }
/// }
///
/// let mut v = [0.0f32; 2];
/// map_slice(&Volts { per_count: 0.5 }, &[-3i16, 8], &mut v);
/// assert_eq!(v, [-1.5, 4.0]);
/// ```
///
/// Through the facade it runs on any backend,
/// `hotloop::map(Backend::parallel(), Softsign, &x)`. `#[device_op]` on the
/// impl (with `#[derive(DeviceValue)]` and `#[repr(C)]` on the type) adds
/// its GPU entry points, so `Backend::Cuda` runs it too: see the README,
/// "Your own `@vectorize`, on the GPU too".
pub trait UnaryOp<T: Num, U: Num = T>: Copy + Send + Sync {
    /// The function.
    fn apply(&self, x: T) -> U;

    /// The GPU kernel that runs this op, if it has one: filled in by
    /// `#[device_op]` on the impl (every built-in has it); `None` for a
    /// closure, which runs on every backend but CUDA.
    fn device_kernel(&self) -> Option<DeviceKernel> {
        None
    }
}

/// Which operand of a binary op is bound to a scalar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// `x -> op(x, y)` ([`BindRight`]).
    Right,
    /// `y -> op(x, y)` ([`BindLeft`]).
    Left,
}

/// A scalar function of two arguments, applied element by element to two
/// arrays of the same shape (or to an array and a scalar, through
/// [`BinaryOp::right`] and [`BinaryOp::left`]).
///
/// Implement `apply`; binding an operand comes with the trait:
///
/// ```rust
/// use hotloop_core::Real;
/// use hotloop_core::map::{BinaryOp, UnaryOp, zip_slice};
///
/// /// Linear interpolation from `x` to `y`: `x + t (y - x)`.
/// #[derive(Clone, Copy, Debug)]
/// struct Lerp<T> {
///     t: T,
/// }
///
/// impl<T: Real> BinaryOp<T> for Lerp<T> {
///     fn apply(&self, x: T, y: T) -> T {
///         x + self.t * (y - x)
///     }
/// }
///
/// let half = Lerp { t: 0.5f64 };
/// let mut out = [0.0; 2];
/// zip_slice(&half, &[0.0, 2.0], &[4.0, 2.0], &mut out); // array ⊕ array
/// assert_eq!(out, [2.0, 2.0]);
/// assert_eq!(half.right(10.0).apply(4.0), 7.0); // array ⊕ scalar: a UnaryOp
/// ```
///
/// Through the facade: `hotloop::zip(backend, half, &a, &b)`, or
/// `hotloop::map(backend, half.right(10.0), &a)`; `#[device_op]` on the impl
/// adds the GPU entry points, the bound forms included.
pub trait BinaryOp<T: Num>: Copy + Send + Sync {
    /// The function.
    fn apply(&self, x: T, y: T) -> T;

    /// The GPU kernel that runs this op on two arrays, if it has one
    /// (filled in by `#[device_op]`).
    fn device_kernel(&self) -> Option<DeviceKernel> {
        None
    }

    /// The GPU kernel that runs this op with the `side` operand bound to
    /// `operand` (a map), if it has one (filled in by `#[device_op]`).
    fn device_kernel_bound(&self, operand: T, side: Side) -> Option<DeviceKernel> {
        let _ = (operand, side);
        None
    }

    /// The unary `x -> self(x, y)`: array ⊕ scalar.
    fn right(self, y: T) -> BindRight<Self, T>
    where
        Self: Sized,
    {
        BindRight { op: self, y }
    }

    /// The unary `y -> self(x, y)`: scalar ⊕ array.
    fn left(self, x: T) -> BindLeft<Self, T>
    where
        Self: Sized,
    {
        BindLeft { op: self, x }
    }
}

impl<T: Num, U: Num, F: Fn(T) -> U + Copy + Send + Sync> UnaryOp<T, U> for F {
    #[inline(always)]
    fn apply(&self, x: T) -> U {
        self(x)
    }
}

impl<T: Num, F: Fn(T, T) -> T + Copy + Send + Sync> BinaryOp<T> for F {
    #[inline(always)]
    fn apply(&self, x: T, y: T) -> T {
        self(x, y)
    }
}

/// Most inputs an [`NaryOp`] takes, and outputs it gives: the most arrays
/// an op's entry point takes (`crate::abi`).
pub use crate::abi::{MAX_NARY_INPUTS, MAX_NARY_OUTPUTS};

/// A scalar function of `I` arguments with `O` results, applied element by
/// element to `I` arrays of one shape, writing `O` arrays: Numba's
/// `@vectorize` of several inputs, and the element-wise `@guvectorize` with
/// several outputs (Black-Scholes' `(S, X, T) -> (call, put)`). Up to
/// [`MAX_NARY_INPUTS`] inputs and [`MAX_NARY_OUTPUTS`] outputs.
///
/// ```rust
/// use hotloop_core::Real;
/// use hotloop_core::map::{NaryOp, map_n_slice};
///
/// /// Polar to Cartesian: `(r, θ) -> (x, y)`.
/// #[derive(Clone, Copy, Debug)]
/// struct ToCartesian;
///
/// impl<T: Real> NaryOp<T, 2, 2> for ToCartesian {
///     fn apply(&self, [r, theta]: [T; 2]) -> [T; 2] {
///         let (s, c) = theta.sin_cos();
///         [r * c, r * s]
///     }
/// }
///
/// let (mut x, mut y) = ([0.0; 2], [0.0; 2]);
/// map_n_slice(&ToCartesian, [&[1.0f64, 2.0], &[0.0, 0.0]], [&mut x, &mut y]);
/// assert_eq!((x, y), ([1.0, 2.0], [0.0, 0.0]));
/// ```
///
/// Through the facade on any backend, `hotloop::map_n(backend, op, [&r,
/// &theta])`; `#[device_op]` on the impl adds its GPU entry points (one
/// per element type: the op, the `I` inputs, the `O` outputs).
pub trait NaryOp<T: Num, const I: usize, const O: usize>: Copy + Send + Sync {
    /// The function.
    fn apply(&self, x: [T; I]) -> [T; O];

    /// The GPU kernel that runs this op, if it has one (filled in by
    /// `#[device_op]`); `None` for a closure.
    fn device_kernel(&self) -> Option<DeviceKernel> {
        None
    }
}

impl<T: Num, const I: usize, const O: usize, F> NaryOp<T, I, O> for F
where
    F: Fn([T; I]) -> [T; O] + Copy + Send + Sync,
{
    #[inline(always)]
    fn apply(&self, x: [T; I]) -> [T; O] {
        self(x)
    }
}

/// `outputs[k][i] = op(inputs[0][i], ..)[k]`: what one CPU task runs. Every
/// array has the outputs' length (asserted: the callers check first).
#[inline(always)]
pub fn map_n_slice<T: Num, Op: NaryOp<T, I, O>, const I: usize, const O: usize>(
    op: &Op,
    inputs: [&[T]; I],
    outputs: [&mut [T]; O],
) {
    let n = outputs.first().map_or(0, |o| o.len());
    assert!(
        inputs.iter().all(|x| x.len() == n) && outputs.iter().all(|o| o.len() == n),
        "map_n_slice: arrays of different lengths"
    );
    let ins = inputs.map(<[T]>::as_ptr);
    let outs = outputs.map(<[T]>::as_mut_ptr);
    for i in 0..n {
        // SAFETY: every array holds `n` elements (asserted above); the
        // outputs are exclusive borrows, so no input or other output
        // overlaps them.
        unsafe { map_n_at(op, ins, outs, i) };
    }
}

/// `outputs[k][i] = op(inputs[0][i], ..)[k]` at one index: what one GPU
/// thread runs per element, and the CPU loop's body.
///
/// # Safety
/// Every pointer is valid for index `i`; the outputs are disjoint from
/// each other, and from the inputs unless an output is an input read at
/// this index only (in place).
#[inline(always)]
pub unsafe fn map_n_at<T: Num, Op: NaryOp<T, I, O>, const I: usize, const O: usize>(
    op: &Op,
    inputs: [*const T; I],
    outputs: [*mut T; O],
    i: usize,
) {
    // SAFETY: the caller's.
    let x = inputs.map(|p| unsafe { *p.add(i) });
    let y = op.apply(x);
    for (p, v) in outputs.into_iter().zip(y) {
        // SAFETY: the caller's.
        unsafe { *p.add(i) = v };
    }
}

/// A binary op with its right operand fixed: `x -> op(x, y)`.
#[derive(Clone, Copy, Debug, PartialEq, DeviceValue)]
#[hotloop(crate = crate)]
#[repr(C)]
pub struct BindRight<Op, T> {
    /// The binary op.
    pub op: Op,
    /// The fixed right operand.
    pub y: T,
}

impl<T: Num, Op: BinaryOp<T>> UnaryOp<T> for BindRight<Op, T> {
    fn device_kernel(&self) -> Option<DeviceKernel> {
        self.op.device_kernel_bound(self.y, Side::Right)
    }

    #[inline(always)]
    fn apply(&self, x: T) -> T {
        self.op.apply(x, self.y)
    }
}

/// A binary op with its left operand fixed: `y -> op(x, y)`.
#[derive(Clone, Copy, Debug, PartialEq, DeviceValue)]
#[hotloop(crate = crate)]
#[repr(C)]
pub struct BindLeft<Op, T> {
    /// The binary op.
    pub op: Op,
    /// The fixed left operand.
    pub x: T,
}

impl<T: Num, Op: BinaryOp<T>> UnaryOp<T> for BindLeft<Op, T> {
    fn device_kernel(&self) -> Option<DeviceKernel> {
        self.op.device_kernel_bound(self.x, Side::Left)
    }

    #[inline(always)]
    fn apply(&self, y: T) -> T {
        self.op.apply(self.x, y)
    }
}

/// `a * x + b` (one multiplication, then one addition: no fused
/// multiply-add, so every backend rounds the same way).
#[derive(Clone, Copy, Debug, PartialEq, DeviceValue)]
#[hotloop(crate = crate)]
#[repr(C)]
pub struct Affine<T> {
    /// The slope.
    pub a: T,
    /// The offset.
    pub b: T,
}

#[device_op(builtin)]
impl<T: Real> UnaryOp<T> for Affine<T> {
    #[inline(always)]
    fn apply(&self, x: T) -> T {
        self.a * x + self.b
    }
}

/// The polynomial `c[0] + c[1] x + ... + c[N-1] x^(N-1)`, of fixed degree
/// `N - 1`, evaluated by Horner's rule from the highest coefficient:
/// `(...(c[N-1] x + c[N-2]) x + ...) x + c[0]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Polynomial<T, const N: usize> {
    /// Coefficients, lowest degree first.
    pub coeffs: [T; N],
}

impl<T: Real, const N: usize> UnaryOp<T> for Polynomial<T, N> {
    /// The GPU runs it as [`Horner`] (same operations, same order), up to
    /// [`MAX_DEVICE_COEFFS`] coefficients.
    fn device_kernel(&self) -> Option<DeviceKernel> {
        UnaryOp::<T>::device_kernel(&Horner::new(&self.coeffs)?)
    }

    #[inline(always)]
    fn apply(&self, x: T) -> T {
        let mut acc = T::ZERO;
        let mut i = N;
        while i > 0 {
            i -= 1;
            acc = acc * x + self.coeffs[i];
        }
        acc
    }
}

/// Most coefficients a [`Polynomial`] may have on the GPU.
pub const MAX_DEVICE_COEFFS: usize = 16;

/// Horner's rule over the first `len` of up to [`MAX_DEVICE_COEFFS`]
/// coefficients (lowest degree first): the operations of [`Polynomial`]
/// with as many coefficients, in the same order, so the same bits. One
/// device kernel for every degree.
#[derive(Clone, Copy, Debug, PartialEq, DeviceValue)]
#[hotloop(crate = crate)]
#[repr(C)]
pub struct Horner<T> {
    coeffs: [T; MAX_DEVICE_COEFFS],
    len: u32,
}

impl<T: Real> Horner<T> {
    /// Coefficients `coeffs`, lowest degree first; `None` beyond
    /// [`MAX_DEVICE_COEFFS`].
    pub fn new(coeffs: &[T]) -> Option<Self> {
        let mut c = [T::ZERO; MAX_DEVICE_COEFFS];
        c.get_mut(..coeffs.len())?.copy_from_slice(coeffs);
        Some(Self {
            coeffs: c,
            len: coeffs.len() as u32,
        })
    }
}

#[device_op(builtin)]
impl<T: Real> UnaryOp<T> for Horner<T> {
    #[inline(always)]
    fn apply(&self, x: T) -> T {
        let mut acc = T::ZERO;
        let mut i = (self.len as usize).min(MAX_DEVICE_COEFFS);
        while i > 0 {
            i -= 1;
            acc = acc * x + self.coeffs[i];
        }
        acc
    }
}

/// `x` limited to `[lo, hi]`: `lo` below, `hi` above, NaN stays NaN, and a
/// NaN `lo` or `hi` gives NaN, as NumPy's `clip`: `min(max(x, lo), hi)`
/// with NaN-propagating `min` and `max`, so with `lo > hi` every non-NaN
/// result is `hi`.
#[derive(Clone, Copy, Debug, PartialEq, DeviceValue)]
#[hotloop(crate = crate)]
#[repr(C)]
pub struct Clamp<T> {
    /// Lower limit.
    pub lo: T,
    /// Upper limit.
    pub hi: T,
}

#[device_op(builtin)]
impl<T: Real> UnaryOp<T> for Clamp<T> {
    #[inline(always)]
    fn apply(&self, x: T) -> T {
        // NumPy's `clip`, `minimum(maximum(x, lo), hi)` with NaN-propagating
        // minimum and maximum: a NaN `x`, `lo` or `hi` gives NaN.
        let y = if x < self.lo || self.lo.is_nan() {
            self.lo
        } else {
            x
        };
        if y > self.hi || self.hi.is_nan() {
            self.hi
        } else {
            y
        }
    }
}

/// `e^x`, hotloop's own implementation (within 0.55 ulp of the exact value,
/// measured; [`crate::math`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, DeviceValue)]
#[hotloop(crate = crate)]
#[repr(C)]
pub struct Exp;

#[device_op(builtin)]
impl<T: Real> UnaryOp<T> for Exp {
    #[inline(always)]
    fn apply(&self, x: T) -> T {
        x.exp()
    }
}

/// The logistic sigmoid `1 / (1 + e^-x)`, within 4 ulp of the exact value
/// on f32 and f64 (hotloop's own `exp`, then one addition and one
/// division). For `x < 0` it is computed as `e^x / (1 + e^x)`, so it never
/// overflows and keeps full relative precision towards 0; `NaN` gives NaN,
/// `+inf` 1, `-inf` 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, DeviceValue)]
#[hotloop(crate = crate)]
#[repr(C)]
pub struct Sigmoid;

#[device_op(builtin)]
impl<T: Real> UnaryOp<T> for Sigmoid {
    #[inline(always)]
    fn apply(&self, x: T) -> T {
        if x >= T::ZERO {
            T::ONE / (T::ONE + (-x).exp())
        } else {
            let e = x.exp();
            e / (T::ONE + e)
        }
    }
}

/// `x + y`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, DeviceValue)]
#[hotloop(crate = crate)]
#[repr(C)]
pub struct Add;

#[device_op(builtin)]
impl<T: Real> BinaryOp<T> for Add {
    #[inline(always)]
    fn apply(&self, x: T, y: T) -> T {
        x + y
    }
}

/// `x * y`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, DeviceValue)]
#[hotloop(crate = crate)]
#[repr(C)]
pub struct Mul;

#[device_op(builtin)]
impl<T: Real> BinaryOp<T> for Mul {
    #[inline(always)]
    fn apply(&self, x: T, y: T) -> T {
        x * y
    }
}

/// `a * x + y` (BLAS's axpy; multiplication, then addition).
#[derive(Clone, Copy, Debug, PartialEq, DeviceValue)]
#[hotloop(crate = crate)]
#[repr(C)]
pub struct Axpy<T> {
    /// The factor of `x`.
    pub a: T,
}

#[device_op(builtin)]
impl<T: Real> BinaryOp<T> for Axpy<T> {
    #[inline(always)]
    fn apply(&self, x: T, y: T) -> T {
        self.a * x + y
    }
}

/// `out[i] = op(input[i])`, contiguous, branch-free: vectorizes like
/// `add_scalar_slice` when `op` does. Same lengths (the callers check).
#[inline(always)]
pub fn map_slice<T: Num, U: Num, Op: UnaryOp<T, U>>(op: &Op, input: &[T], out: &mut [U]) {
    debug_assert_eq!(input.len(), out.len());
    for (o, &x) in out.iter_mut().zip(input) {
        *o = op.apply(x);
    }
}

/// In-place form of [`map_slice`].
#[inline(always)]
pub fn map_slice_in_place<T: Num, Op: UnaryOp<T>>(op: &Op, data: &mut [T]) {
    for x in data.iter_mut() {
        *x = op.apply(*x);
    }
}

/// `out[i] = op(a[i], b[i])`. Same lengths (the callers check).
#[inline(always)]
pub fn zip_slice<T: Num, Op: BinaryOp<T>>(op: &Op, a: &[T], b: &[T], out: &mut [T]) {
    debug_assert!(a.len() == out.len() && b.len() == out.len());
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = op.apply(x, y);
    }
}

/// `a[i] = op(a[i], b[i])`.
#[inline(always)]
pub fn zip_slice_in_place<T: Num, Op: BinaryOp<T>>(op: &Op, a: &mut [T], b: &[T]) {
    debug_assert_eq!(a.len(), b.len());
    for (x, &y) in a.iter_mut().zip(b) {
        *x = op.apply(*x, y);
    }
}

/// One element of a unary map, as one GPU thread computes it: `out[i] =
/// op(input[i])`.
///
/// # Safety
/// `input` and `out` must be valid for index `i`; `out` may equal `input`
/// (of the same type) but must not otherwise overlap it; no other thread
/// writes index `i`.
#[inline(always)]
pub unsafe fn map_at<T: Num, U: Num, Op: UnaryOp<T, U>>(
    op: &Op,
    input: *const T,
    out: *mut U,
    i: usize,
) {
    // SAFETY: guaranteed by the caller.
    unsafe { *out.add(i) = op.apply(*input.add(i)) };
}

/// One element of a binary map: `out[i] = op(a[i], b[i])`.
///
/// # Safety
/// As [`map_at`], for `a`, `b` and `out` (`out` may equal `a` or `b`).
#[inline(always)]
pub unsafe fn zip_at<T: Num, Op: BinaryOp<T>>(
    op: &Op,
    a: *const T,
    b: *const T,
    out: *mut T,
    i: usize,
) {
    // SAFETY: guaranteed by the caller.
    unsafe { *out.add(i) = op.apply(*a.add(i), *b.add(i)) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_compute_what_they_say() {
        assert_eq!(Affine { a: 3.0, b: -1.0 }.apply(2.0f64), 5.0);
        // 1 + 2x + 3x^2 at x = 2: 17.
        assert_eq!(
            Polynomial {
                coeffs: [1.0, 2.0, 3.0]
            }
            .apply(2.0f32),
            17.0
        );
        assert_eq!(Polynomial::<f64, 0> { coeffs: [] }.apply(2.0), 0.0);
        let c = Clamp { lo: -1.0, hi: 1.0 };
        assert_eq!(c.apply(-5.0f64), -1.0);
        assert_eq!(c.apply(0.5f64), 0.5);
        assert_eq!(c.apply(f64::INFINITY), 1.0);
        assert!(c.apply(f64::NAN).is_nan());
        assert_eq!(Exp.apply(0.0f64), 1.0);
        assert_eq!(Add.apply(1.0f64, 2.0), 3.0);
        assert_eq!(Mul.apply(3.0f32, 2.0), 6.0);
        assert_eq!(Axpy { a: 2.0 }.apply(3.0f64, 1.0), 7.0);
        assert_eq!(Axpy { a: 2.0 }.right(1.0).apply(3.0f64), 7.0);
        assert_eq!(Axpy { a: 2.0 }.left(3.0).apply(1.0f64), 7.0);
    }

    #[test]
    fn closures_are_ops() {
        let sq = |x: f64| x * x;
        let mut v = [1.0, 2.0, 3.0];
        map_slice_in_place(&sq, &mut v);
        assert_eq!(v, [1.0, 4.0, 9.0]);
        let hyp = |x: f64, y: f64| x * x + y * y;
        let mut out = [0.0; 3];
        zip_slice(&hyp, &[3.0, 1.0, 0.0], &[4.0, 1.0, 2.0], &mut out);
        assert_eq!(out, [25.0, 2.0, 4.0]);
    }

    #[test]
    fn per_index_bodies_match_the_slice_loops() {
        let x = [0.5f64, -2.0, 7.0];
        let y = [1.0f64, 2.0, 3.0];
        let op = Affine { a: 2.0, b: 1.0 };
        let mut a = [0.0; 3];
        let mut b = [0.0; 3];
        map_slice(&op, &x, &mut a);
        for i in 0..3 {
            // SAFETY: i < 3 for all three arrays.
            unsafe { map_at(&op, x.as_ptr(), b.as_mut_ptr(), i) };
        }
        assert_eq!(a, b);
        zip_slice(&Mul, &x, &y, &mut a);
        for i in 0..3 {
            // SAFETY: as above.
            unsafe { zip_at(&Mul, x.as_ptr(), y.as_ptr(), b.as_mut_ptr(), i) };
        }
        assert_eq!(a, b);
    }

    use crate::abi::{Elem, ParamKind};

    #[test]
    fn device_op_names_the_entry_its_parameters_and_the_module() {
        let k = UnaryOp::<f32>::device_kernel(&Clamp {
            lo: -1.0f32,
            hi: 1.0,
        })
        .unwrap();
        assert_eq!(k.kernel.name, "hotloop_core_map_Clamp_f32");
        assert_eq!(
            k.kernel.params,
            [
                ParamKind::Value { size: 12, align: 4 },
                ParamKind::Slice(Elem::F32),
                ParamKind::Out(Elem::F32),
            ]
        );
        assert!(matches!(k.module, crate::abi::ModuleRef::Builtin));
        assert_eq!(k.op.size(), 12);
        // SAFETY: the op's fields are initialised, at their repr(C) offsets.
        let (lo, hi) = unsafe {
            let p = k.op.as_ptr().cast::<f32>();
            (p.read(), p.add(1).read())
        };
        assert_eq!((lo, hi), (-1.0, 1.0));
        let k = UnaryOp::<f64>::device_kernel(&Exp).unwrap();
        assert_eq!(k.kernel.name, "hotloop_core_map_Exp_f64");
        assert_eq!(k.kernel.params[0], ParamKind::Value { size: 4, align: 4 });
    }

    #[test]
    fn a_bound_binary_op_runs_its_own_map_entry() {
        let k = UnaryOp::<f64>::device_kernel(&Axpy { a: 2.0 }.right(3.0)).unwrap();
        assert_eq!(k.kernel.name, "hotloop_core_map_right_Axpy_f64");
        // BindRight { op: Axpy { a }, y }: two f64s, then the pad word.
        assert_eq!(k.kernel.params[0], ParamKind::Value { size: 24, align: 8 });
        let k = UnaryOp::<f32>::device_kernel(&Mul.left(3.0f32)).unwrap();
        assert_eq!(k.kernel.name, "hotloop_core_map_left_Mul_f32");
        let z = BinaryOp::<f32>::device_kernel(&Add).unwrap();
        assert_eq!(z.kernel.name, "hotloop_core_zip_Add_f32");
        assert_eq!(z.kernel.params.len(), 4);
    }

    #[test]
    fn closures_have_no_device_kernel_and_polynomials_run_as_horner() {
        let sq = |x: f64| x * x;
        assert!(UnaryOp::<f64>::device_kernel(&sq).is_none());
        let add = |x: f32, y: f32| x + y;
        assert!(BinaryOp::<f32>::device_kernel(&add).is_none());
        assert!(UnaryOp::<f32>::device_kernel(&add.right(1.0)).is_none());
        let p = Polynomial {
            coeffs: [1.0f64, -0.5, 0.25],
        };
        let k = UnaryOp::<f64>::device_kernel(&p).unwrap();
        assert_eq!(k.kernel.name, "hotloop_core_map_Horner_f64");
        let h = Horner::new(&p.coeffs).unwrap();
        for x in [-3.0, -0.0, 0.1, 7.5, f64::INFINITY, f64::NAN, 1e300] {
            assert_eq!(h.apply(x).to_bits(), p.apply(x).to_bits(), "{x}");
        }
        let big = Polynomial {
            coeffs: [1.0f64; MAX_DEVICE_COEFFS + 1],
        };
        assert!(UnaryOp::<f64>::device_kernel(&big).is_none());
    }

    #[test]
    fn sigmoid_limits_and_symmetry() {
        assert_eq!(UnaryOp::<f64>::apply(&Sigmoid, 0.0), 0.5);
        assert_eq!(UnaryOp::<f64>::apply(&Sigmoid, f64::INFINITY), 1.0);
        assert_eq!(UnaryOp::<f64>::apply(&Sigmoid, f64::NEG_INFINITY), 0.0);
        assert!(UnaryOp::<f32>::apply(&Sigmoid, f32::NAN).is_nan());
        // Far in the tails: no overflow, the tiny side keeps its precision.
        let tiny = UnaryOp::<f64>::apply(&Sigmoid, -700.0);
        assert!(tiny > 0.0 && tiny < 1e-300, "{tiny}");
        assert_eq!(UnaryOp::<f32>::apply(&Sigmoid, 100.0f32), 1.0);
    }
}
