//! The element types kernels are generic over.

use crate::math;

/// A floating-point element type a kernel can run on (`f32` or `f64`).
///
/// Deliberately small: only what the shared kernel bodies need, so that it
/// compiles for every target, the GPU included, without `libm`. The
/// elementary functions ([`Real::exp`], [`Real::sqrt`]) are hotloop's own
/// (`crate::math`), so every backend computes the same bits.
///
/// It is implemented for `f32` and `f64`, the only element types the host
/// backends take (`hotloop_runtime::Element`, which is sealed): rather
/// than implementing it, write element code once, generic over `T: Real`,
/// as every built-in op does.
///
/// ```rust
/// use hotloop_core::Real;
///
/// /// Root mean square, `sqrt(sum x^2 / n)`, for f32 and f64 alike.
/// fn rms<T: Real>(xs: &[T]) -> T {
///     let sum = xs.iter().fold(T::ZERO, |s, &x| s + x * x);
///     (sum / T::from_f64(xs.len() as f64)).sqrt()
/// }
///
/// assert_eq!(rms(&[3.0f64, -3.0, 3.0, -3.0]), 3.0);
/// assert_eq!(rms(&[1.0f32, 7.0]), 5.0);
/// assert!(rms::<f64>(&[]).is_nan()); // 0 / 0
/// ```
pub trait Real:
    Copy
    + PartialOrd
    + core::ops::Add<Output = Self>
    + core::ops::Sub<Output = Self>
    + core::ops::Mul<Output = Self>
    + core::ops::Div<Output = Self>
    + core::ops::Neg<Output = Self>
    + Send
    + Sync
    + 'static
    + crate::abi::DeviceValue
    + crate::abi::DeviceCopy
{
    /// Additive identity.
    const ZERO: Self;
    /// Multiplicative identity.
    const ONE: Self;
    /// Positive infinity (the identity of `min`).
    const INFINITY: Self;
    /// The canonical quiet NaN (`f64::NAN`, `f32::NAN`): what the
    /// reductions return for any NaN input, whatever its payload.
    const NAN: Self;
    /// Name used in messages and benchmark rows ("f32", "f64").
    const NAME: &'static str;
    /// Smallest exponent `k` for which [`Real::pow2`] is defined.
    const MIN_EXP2: i32;
    /// Largest exponent `k` for which [`Real::pow2`] is defined.
    const MAX_EXP2: i32;
    /// Whether the value is NaN.
    fn is_nan(self) -> bool;
    /// Whether the value is neither infinite nor NaN.
    fn is_finite(self) -> bool;
    /// Whether the sign bit is set (`-0.0` included).
    fn is_sign_negative(self) -> bool;
    /// The bitwise AND of two values' representations (`+0 & -0 = +0`).
    fn and_bits(self, other: Self) -> Self;
    /// The bitwise OR of two values' representations (`+0 | -0 = -0`).
    fn or_bits(self, other: Self) -> Self;
    /// Widen to `f64` (exact for both types).
    fn to_f64(self) -> f64;
    /// Narrow from `f64`, rounding to nearest (exact for `f64`).
    fn from_f64(v: f64) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// Correctly rounded square root (NaN for negative inputs).
    fn sqrt(self) -> Self;
    /// `e^self`, within 2 ulp of libm's (measured: 1); `+inf` on overflow, `0` on underflow.
    fn exp(self) -> Self;
    /// `floor(log2 |self|)` for finite non-zero values (subnormals included).
    fn ilogb(self) -> i32;
    /// `2^k`, exactly, for `k` in `MIN_EXP2..=MAX_EXP2` (the normal range).
    fn pow2(k: i32) -> Self;
}

impl Real for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const INFINITY: Self = f32::INFINITY;
    const NAN: Self = f32::NAN;
    const NAME: &'static str = "f32";
    const MIN_EXP2: i32 = -126;
    const MAX_EXP2: i32 = 127;
    #[inline(always)]
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
    #[inline(always)]
    fn is_finite(self) -> bool {
        f32::is_finite(self)
    }
    #[inline(always)]
    fn is_sign_negative(self) -> bool {
        f32::is_sign_negative(self)
    }
    #[inline(always)]
    fn and_bits(self, other: Self) -> Self {
        f32::from_bits(self.to_bits() & other.to_bits())
    }
    #[inline(always)]
    fn or_bits(self, other: Self) -> Self {
        f32::from_bits(self.to_bits() | other.to_bits())
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn abs(self) -> Self {
        f32::abs(self)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        math::sqrt_f32(self)
    }
    #[inline(always)]
    fn exp(self) -> Self {
        math::exp_f32(self)
    }
    #[inline(always)]
    fn ilogb(self) -> i32 {
        math::ilogb_f32(self)
    }
    #[inline(always)]
    fn pow2(k: i32) -> Self {
        math::pow2_f32(k)
    }
}

impl Real for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const INFINITY: Self = f64::INFINITY;
    const NAN: Self = f64::NAN;
    const NAME: &'static str = "f64";
    const MIN_EXP2: i32 = -1022;
    const MAX_EXP2: i32 = 1023;
    #[inline(always)]
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
    #[inline(always)]
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
    #[inline(always)]
    fn is_sign_negative(self) -> bool {
        f64::is_sign_negative(self)
    }
    #[inline(always)]
    fn and_bits(self, other: Self) -> Self {
        f64::from_bits(self.to_bits() & other.to_bits())
    }
    #[inline(always)]
    fn or_bits(self, other: Self) -> Self {
        f64::from_bits(self.to_bits() | other.to_bits())
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn abs(self) -> Self {
        f64::abs(self)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        math::sqrt_f64(self)
    }
    #[inline(always)]
    fn exp(self) -> Self {
        math::exp_f64(self)
    }
    #[inline(always)]
    fn ilogb(self) -> i32 {
        math::ilogb_f64(self)
    }
    #[inline(always)]
    fn pow2(k: i32) -> Self {
        math::pow2_f64(k)
    }
}
