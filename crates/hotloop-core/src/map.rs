//! Element-wise maps, Numba's `@vectorize`: a scalar function written once,
//! applied to every element.
//!
//! A unary function is a type implementing [`UnaryOp`]; a binary one (array
//! ⊕ array) implements [`BinaryOp`], and [`BinaryOp::right`] /
//! [`BinaryOp::left`] bind a scalar operand to make a unary one (array ⊕
//! scalar, scalar ⊕ array). Closures `Fn(T) -> T` and `Fn(T, T) -> T` that
//! are `Copy + Send + Sync` implement the traits too.
//!
//! Built-ins: [`Affine`], [`Polynomial`] (Horner), [`Clamp`], [`Exp`]
//! (hotloop's own, within 2 ulp of libm; see [`crate::math`]), and the binary
//! [`Add`], [`Mul`], [`Axpy`].
//!
//! The slice loops ([`map_slice`], [`zip_slice`], ...) are what one CPU task
//! runs; [`map_at`] and [`zip_at`] are what one GPU thread would run per
//! index. Both call `apply` and nothing else, so every backend computes the
//! same bits.

use crate::Real;
use crate::device_op::{DeviceMap, DeviceZip};

/// A scalar function of one argument, applied element by element.
pub trait UnaryOp<T: Real>: Copy + Send + Sync {
    /// The function.
    fn apply(&self, x: T) -> T;

    /// The device entry point computing this op, if it has one (the
    /// built-ins do; closures and user types do not, and run on every
    /// backend but CUDA). See [`crate::device_op`].
    fn device_map(&self) -> Option<DeviceMap<'_, T>> {
        None
    }
}

/// A scalar function of two arguments, applied element by element to two
/// arrays of the same shape (or to an array and a scalar, through
/// [`BinaryOp::right`] and [`BinaryOp::left`]).
pub trait BinaryOp<T: Real>: Copy + Send + Sync {
    /// The function.
    fn apply(&self, x: T, y: T) -> T;

    /// The device entry point computing this op on two arrays, if it has
    /// one (the built-ins do). See [`crate::device_op`].
    fn device_zip(&self) -> Option<DeviceZip<T>> {
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

impl<T: Real, F: Fn(T) -> T + Copy + Send + Sync> UnaryOp<T> for F {
    #[inline(always)]
    fn apply(&self, x: T) -> T {
        self(x)
    }
}

impl<T: Real, F: Fn(T, T) -> T + Copy + Send + Sync> BinaryOp<T> for F {
    #[inline(always)]
    fn apply(&self, x: T, y: T) -> T {
        self(x, y)
    }
}

/// A binary op with its right operand fixed: `x -> op(x, y)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BindRight<Op, T> {
    /// The binary op.
    pub op: Op,
    /// The fixed right operand.
    pub y: T,
}

impl<T: Real, Op: BinaryOp<T>> UnaryOp<T> for BindRight<Op, T> {
    fn device_map(&self) -> Option<DeviceMap<'_, T>> {
        Some(self.op.device_zip()?.bind_right(self.y))
    }

    #[inline(always)]
    fn apply(&self, x: T) -> T {
        self.op.apply(x, self.y)
    }
}

/// A binary op with its left operand fixed: `y -> op(x, y)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BindLeft<Op, T> {
    /// The binary op.
    pub op: Op,
    /// The fixed left operand.
    pub x: T,
}

impl<T: Real, Op: BinaryOp<T>> UnaryOp<T> for BindLeft<Op, T> {
    fn device_map(&self) -> Option<DeviceMap<'_, T>> {
        Some(self.op.device_zip()?.bind_left(self.x))
    }

    #[inline(always)]
    fn apply(&self, y: T) -> T {
        self.op.apply(self.x, y)
    }
}

/// `a * x + b` (one multiplication, then one addition: no fused
/// multiply-add, so every backend rounds the same way).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Affine<T> {
    /// The slope.
    pub a: T,
    /// The offset.
    pub b: T,
}

impl<T: Real> UnaryOp<T> for Affine<T> {
    fn device_map(&self) -> Option<DeviceMap<'_, T>> {
        Some(DeviceMap::Affine {
            a: self.a,
            b: self.b,
        })
    }

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
    fn device_map(&self) -> Option<DeviceMap<'_, T>> {
        Some(DeviceMap::Polynomial(&self.coeffs))
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

/// `x` limited to `[lo, hi]`: `lo` below, `hi` above, NaN stays NaN, and a
/// NaN `lo` or `hi` gives NaN, as NumPy's `clip`: `min(max(x, lo), hi)`
/// with NaN-propagating `min` and `max`, so with `lo > hi` every non-NaN
/// result is `hi`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Clamp<T> {
    /// Lower limit.
    pub lo: T,
    /// Upper limit.
    pub hi: T,
}

impl<T: Real> UnaryOp<T> for Clamp<T> {
    fn device_map(&self) -> Option<DeviceMap<'_, T>> {
        Some(DeviceMap::Clamp {
            lo: self.lo,
            hi: self.hi,
        })
    }

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

/// `e^x`, hotloop's own implementation (within 2 ulp of libm; [`crate::math`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Exp;

impl<T: Real> UnaryOp<T> for Exp {
    fn device_map(&self) -> Option<DeviceMap<'_, T>> {
        Some(DeviceMap::Exp)
    }

    #[inline(always)]
    fn apply(&self, x: T) -> T {
        x.exp()
    }
}

/// `x + y`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Add;

impl<T: Real> BinaryOp<T> for Add {
    fn device_zip(&self) -> Option<DeviceZip<T>> {
        Some(DeviceZip::Add)
    }

    #[inline(always)]
    fn apply(&self, x: T, y: T) -> T {
        x + y
    }
}

/// `x * y`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mul;

impl<T: Real> BinaryOp<T> for Mul {
    fn device_zip(&self) -> Option<DeviceZip<T>> {
        Some(DeviceZip::Mul)
    }

    #[inline(always)]
    fn apply(&self, x: T, y: T) -> T {
        x * y
    }
}

/// `a * x + y` (BLAS's axpy; multiplication, then addition).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Axpy<T> {
    /// The factor of `x`.
    pub a: T,
}

impl<T: Real> BinaryOp<T> for Axpy<T> {
    fn device_zip(&self) -> Option<DeviceZip<T>> {
        Some(DeviceZip::Axpy { alpha: self.a })
    }

    #[inline(always)]
    fn apply(&self, x: T, y: T) -> T {
        self.a * x + y
    }
}

/// `out[i] = op(input[i])`, contiguous, branch-free: vectorizes like
/// `add_scalar_slice` when `op` does. Same lengths (the callers check).
#[inline(always)]
pub fn map_slice<T: Real, Op: UnaryOp<T>>(op: &Op, input: &[T], out: &mut [T]) {
    debug_assert_eq!(input.len(), out.len());
    for (o, &x) in out.iter_mut().zip(input) {
        *o = op.apply(x);
    }
}

/// In-place form of [`map_slice`].
#[inline(always)]
pub fn map_slice_in_place<T: Real, Op: UnaryOp<T>>(op: &Op, data: &mut [T]) {
    for x in data.iter_mut() {
        *x = op.apply(*x);
    }
}

/// `out[i] = op(a[i], b[i])`. Same lengths (the callers check).
#[inline(always)]
pub fn zip_slice<T: Real, Op: BinaryOp<T>>(op: &Op, a: &[T], b: &[T], out: &mut [T]) {
    debug_assert!(a.len() == out.len() && b.len() == out.len());
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = op.apply(x, y);
    }
}

/// `a[i] = op(a[i], b[i])`.
#[inline(always)]
pub fn zip_slice_in_place<T: Real, Op: BinaryOp<T>>(op: &Op, a: &mut [T], b: &[T]) {
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
/// but must not otherwise overlap it; no other thread writes index `i`.
#[inline(always)]
pub unsafe fn map_at<T: Real, Op: UnaryOp<T>>(op: &Op, input: *const T, out: *mut T, i: usize) {
    // SAFETY: guaranteed by the caller.
    unsafe { *out.add(i) = op.apply(*input.add(i)) };
}

/// One element of a binary map: `out[i] = op(a[i], b[i])`.
///
/// # Safety
/// As [`map_at`], for `a`, `b` and `out` (`out` may equal `a` or `b`).
#[inline(always)]
pub unsafe fn zip_at<T: Real, Op: BinaryOp<T>>(
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
}
