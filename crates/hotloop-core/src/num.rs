//! [`Num`]: the element types of hotloop's element-wise ops and
//! reductions, integers and floats alike.

use crate::abi::{DeviceCopy, DeviceValue};
use core::fmt::Debug;
use core::ops::{Add, Div, Mul, Sub};

/// A numeric element type: `i8`, `u8`, `i16`, `u16`, `i32`, `u32`, `i64`,
/// `u64`, `f32`, `f64`, and the half-precision `half::f16` (NumPy's
/// `float16`) and `half::bf16`, whose arithmetic goes through `f32`.
///
/// The maps, zips, counts and reductions are written once over it; the
/// floats' extra math is [`Real`](crate::Real). What the reductions do
/// with each kind, on every backend:
///
/// - **Sum**: floats add in the fixed pairwise order of
///   [`crate::reduce`] (the half types in `f32`); integers add into
///   [`Num::Sum`], `i64` for the
///   signed types and `u64` for the unsigned ones (as NumPy's `sum` of an
///   `int16` array is an `int64`), **wrapping** on overflow as NumPy's
///   does. Integer addition modulo 2^64 is associative, so the result is
///   exact (mod 2^64) and the same in any order.
/// - **Min and max**: floats propagate NaN and order `-0.0 < +0.0`
///   ([`Num::max_of`]); integers are totally ordered.
/// - **Add a scalar** ([`Num::plus`]): floats round; integers wrap, as
///   NumPy's `a + 2` on an `int16` array does (Rust's `+` would panic in a
///   debug build).
///
/// ```rust
/// use hotloop_core::Num;
///
/// assert_eq!(i16::MAX.to_sum() + 1, 32768i64); // widened before the sum
/// assert_eq!(i16::MAX.plus(1), i16::MIN); // an element wraps, as NumPy's
/// assert_eq!(Num::max_of(3u8, 250), 250);
/// assert!(Num::max_of(1.0, f64::NAN).is_nan());
/// assert_eq!(Num::min_of(0.0f32, -0.0).to_bits(), (-0.0f32).to_bits());
/// ```
pub trait Num:
    Copy
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Default
    + Debug
    + Send
    + Sync
    + 'static
    + DeviceValue
    + DeviceCopy
{
    /// Additive identity.
    const ZERO: Self;
    /// Multiplicative identity.
    const ONE: Self;
    /// The identity of [`Num::max_of`]: negative infinity, or the
    /// smallest integer.
    const LOWEST: Self;
    /// The identity of [`Num::min_of`]: positive infinity, or the largest
    /// integer.
    const HIGHEST: Self;
    /// NumPy's name for it, used in messages and benchmark rows ("f64",
    /// "int16" is "i16" here).
    const NAME: &'static str;
    /// What a sum of these is: the type itself for floats, `i64` or `u64`
    /// for integers.
    type Sum: Num<Sum = Self::Sum>;
    /// Whether [`Num::plus`] is associative (integers: exact modulo 2^64),
    /// so a sum may add in any order and get the same value.
    const ASSOCIATIVE: bool;
    /// Whether it has two zeros (floats), which [`Num::max_of`] and
    /// [`Num::min_of`] order, so a maximum or minimum of zeros depends on
    /// their signs.
    const SIGNED_ZERO: bool;
    /// Into the sum's type (exact).
    fn to_sum(self) -> Self::Sum;
    /// `self + other`, rounded for floats and wrapping for integers.
    fn plus(self, other: Self) -> Self;
    /// The larger; for floats NaN if either is (the canonical NaN) and
    /// `+0.0` above `-0.0` (IEEE 754-2019's `maximum`), so a maximum is a
    /// function of the set of values, whatever their order.
    fn max_of(a: Self, b: Self) -> Self;
    /// The smaller, as [`Num::max_of`] (`-0.0` below `+0.0`).
    fn min_of(a: Self, b: Self) -> Self;
    /// The value, any NaN made the canonical NaN (which of several NaN
    /// payloads an addition keeps is up to the compiler and the hardware):
    /// a sum's last step.
    fn canonical(self) -> Self;
}

macro_rules! int {
    ($($t:ty => $sum:ty),*) => { $(
        impl Num for $t {
            const ZERO: Self = 0;
            const ONE: Self = 1;
            const LOWEST: Self = <$t>::MIN;
            const HIGHEST: Self = <$t>::MAX;
            const NAME: &'static str = stringify!($t);
            type Sum = $sum;
            const ASSOCIATIVE: bool = true;
            const SIGNED_ZERO: bool = false;
            #[inline(always)]
            fn to_sum(self) -> $sum {
                self as $sum
            }
            #[inline(always)]
            fn plus(self, other: Self) -> Self {
                self.wrapping_add(other)
            }
            #[inline(always)]
            fn max_of(a: Self, b: Self) -> Self {
                Ord::max(a, b)
            }
            #[inline(always)]
            fn min_of(a: Self, b: Self) -> Self {
                Ord::min(a, b)
            }
            #[inline(always)]
            fn canonical(self) -> Self {
                self
            }
        }
    )* };
}
int!(i8 => i64, i16 => i64, i32 => i64, i64 => i64, u8 => u64, u16 => u64, u32 => u64, u64 => u64);

/// The floats' `max_of`, `min_of` and `canonical` (IEEE 754-2019's
/// `maximum` and `minimum`, NaN made canonical), for every float type.
macro_rules! ieee_order {
    ($t:ty) => {
        #[inline(always)]
        fn max_of(a: Self, b: Self) -> Self {
            if a > b {
                a
            } else if b > a {
                b
            } else if a == b {
                // Equal: the same bits, or two zeros, of which the AND is +0.
                <$t>::from_bits(a.to_bits() & b.to_bits())
            } else {
                <$t>::NAN
            }
        }
        #[inline(always)]
        fn min_of(a: Self, b: Self) -> Self {
            if a < b {
                a
            } else if b < a {
                b
            } else if a == b {
                // Equal: the same bits, or two zeros, of which the OR is -0.
                <$t>::from_bits(a.to_bits() | b.to_bits())
            } else {
                <$t>::NAN
            }
        }
        #[inline(always)]
        fn canonical(self) -> Self {
            if self.is_nan() { <$t>::NAN } else { self }
        }
    };
}

macro_rules! float {
    ($($t:ident),*) => { $(
        impl Num for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const LOWEST: Self = $t::NEG_INFINITY;
            const HIGHEST: Self = $t::INFINITY;
            const NAME: &'static str = stringify!($t);
            type Sum = $t;
            const ASSOCIATIVE: bool = false;
            const SIGNED_ZERO: bool = true;
            #[inline(always)]
            fn to_sum(self) -> $t {
                self
            }
            #[inline(always)]
            fn plus(self, other: Self) -> Self {
                self + other
            }
            ieee_order!($t);
        }
    )* };
}
float!(f32, f64);

macro_rules! half {
    ($($t:ty => $name:literal),*) => { $(
        impl Num for $t {
            const ZERO: Self = <$t>::ZERO;
            const ONE: Self = <$t>::ONE;
            const LOWEST: Self = <$t>::NEG_INFINITY;
            const HIGHEST: Self = <$t>::INFINITY;
            const NAME: &'static str = $name;
            // Summed in f32: a sum of more than a few thousand halves
            // would otherwise lose every further element to rounding.
            type Sum = f32;
            const ASSOCIATIVE: bool = false;
            const SIGNED_ZERO: bool = true;
            #[inline(always)]
            fn to_sum(self) -> f32 {
                self.to_f32()
            }
            #[inline(always)]
            fn plus(self, other: Self) -> Self {
                self + other
            }
            ieee_order!($t);
        }
    )* };
}
half!(half::f16 => "f16", half::bf16 => "bf16");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_widen_by_signedness_and_elements_wrap() {
        assert_eq!(i8::MIN.to_sum(), -128i64);
        assert_eq!(u64::MAX.to_sum(), u64::MAX);
        assert_eq!(200u8.plus(100), 44);
        assert_eq!(i64::MAX.plus(1), i64::MIN);
        assert_eq!(Num::max_of(i32::LOWEST, -5), -5);
        assert_eq!(Num::min_of(u16::HIGHEST, 7), 7);
        assert_eq!(Num::max_of(-0.0f64, 0.0).to_bits(), 0.0f64.to_bits());
        assert!(Num::min_of(f32::NAN, 1.0).is_nan());
        assert_eq!(Num::min_of(f64::HIGHEST, 2.0), 2.0);
    }
}
