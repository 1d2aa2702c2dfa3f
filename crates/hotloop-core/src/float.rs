//! The element types kernels are generic over.

use crate::math;

/// The math library on [`Real`], stated once: `(method, the f64 function,
/// the f32 function, what it is)`. Each is the `libm` crate's (Rust's own
/// port of musl's libm: `no_std`, plain Rust, so the CPU, the simulator and
/// the GPU compile the same code and get the same bits) but hotloop's own
/// ([`crate::math`]), where the crate's f64 form was beyond 1.3x glibc's
/// time: `ln`, `log2`, `exp2`, `sinh`, `cosh`, `acosh`, `erf`, `erfc`,
/// `powf`. The
/// methods have `std`'s names, so a kernel's `x.ln()` is this.
macro_rules! math_library {
    ($mode:tt) => {
        math_library!(@$mode
            unary (ln, crate::math::ln_f64, libm::logf, "The natural logarithm (NaN below 0, `-inf` at 0).")
            unary (log2, crate::math::log2_f64, libm::log2f, "The base-2 logarithm.")
            unary (log10, libm::log10, libm::log10f, "The base-10 logarithm.")
            unary (exp2, crate::math::exp2_f64, libm::exp2f, "`2^self`.")
            unary (exp_m1, libm::expm1, libm::expm1f, "`e^self - 1`, accurate near 0.")
            unary (ln_1p, libm::log1p, libm::log1pf, "`ln(1 + self)`, accurate near 0.")
            unary (sin, libm::sin, libm::sinf, "The sine (radians).")
            unary (cos, libm::cos, libm::cosf, "The cosine (radians).")
            unary (tan, libm::tan, libm::tanf, "The tangent (radians).")
            unary (asin, libm::asin, libm::asinf, "The arcsine, in `[-pi/2, pi/2]`.")
            unary (acos, libm::acos, libm::acosf, "The arccosine, in `[0, pi]`.")
            unary (atan, libm::atan, libm::atanf, "The arctangent, in `[-pi/2, pi/2]`.")
            unary (sinh, crate::math::sinh_f64, libm::sinhf, "The hyperbolic sine.")
            unary (cosh, crate::math::cosh_f64, libm::coshf, "The hyperbolic cosine.")
            unary (tanh, libm::tanh, libm::tanhf, "The hyperbolic tangent.")
            unary (asinh, libm::asinh, libm::asinhf, "The inverse hyperbolic sine.")
            unary (acosh, crate::math::acosh_f64, libm::acoshf, "The inverse hyperbolic cosine.")
            unary (atanh, libm::atanh, libm::atanhf, "The inverse hyperbolic tangent.")
            unary (erf, crate::math::erf_f64, libm::erff, "The error function.")
            unary (erfc, crate::math::erfc_f64, libm::erfcf, "The complementary error function, `1 - erf`, accurate in the tail.")
            unary (gamma, libm::tgamma, libm::tgammaf, "The gamma function (Numba's `math.gamma`).")
            unary (ln_gamma, libm::lgamma, libm::lgammaf, "`ln |gamma(self)|` (Numba's `math.lgamma`).")
            unary (floor, libm::floor, libm::floorf, "The largest integer not above (exact).")
            unary (ceil, libm::ceil, libm::ceilf, "The smallest integer not below (exact).")
            unary (round, libm::round, libm::roundf, "The nearest integer, ties away from 0 (exact).")
            unary (trunc, libm::trunc, libm::truncf, "The integer part (exact).")
            binary (powf, crate::math::pow_f64, libm::powf, "`self^y`.")
            binary (atan2, libm::atan2, libm::atan2f, "The angle of the point `(other, self)`: `atan(self / other)` in the right quadrant.")
            binary (hypot, libm::hypot, libm::hypotf, "`sqrt(self^2 + y^2)` without overflow or underflow on the way.")
            binary (copysign, libm::copysign, libm::copysignf, "`self`'s magnitude with `y`'s sign (exact).")
            ternary (mul_add, libm::fma, libm::fmaf, "`self * a + b` with one rounding (a fused multiply-add; Numba's `math.fma`).")
        );
    };
    (@declare $($kind:ident ($name:ident, $f64:path, $f32:path, $doc:literal))*) => {
        $(math_library!(@sig $kind $name $doc);)*
    };
    (@sig unary $name:ident $doc:literal) => {
        #[doc = $doc]
        fn $name(self) -> Self;
    };
    (@sig binary $name:ident $doc:literal) => {
        #[doc = $doc]
        fn $name(self, y: Self) -> Self;
    };
    (@sig ternary $name:ident $doc:literal) => {
        #[doc = $doc]
        fn $name(self, a: Self, b: Self) -> Self;
    };
    (@f64 $($kind:ident ($name:ident, $f64:path, $f32:path, $doc:literal))*) => {
        $(math_library!(@body $kind $name $f64);)*
    };
    (@f32 $($kind:ident ($name:ident, $f64:path, $f32:path, $doc:literal))*) => {
        $(math_library!(@body $kind $name $f32);)*
    };
    (@body unary $name:ident $f:path) => {
        #[inline]
        fn $name(self) -> Self {
            $f(self)
        }
    };
    (@body binary $name:ident $f:path) => {
        #[inline]
        fn $name(self, y: Self) -> Self {
            $f(self, y)
        }
    };
    (@body ternary $name:ident $f:path) => {
        #[inline]
        fn $name(self, a: Self, b: Self) -> Self {
            $f(self, a, b)
        }
    };
}

/// A floating-point element type a kernel can run on (`f32` or `f64`).
///
/// What the shared kernel bodies need, compiled for every target, the GPU
/// included: arithmetic, [`Real::exp`] (hotloop's own, `crate::math`),
/// [`Real::sqrt`] (each target's correctly rounded instruction), and a
/// math library with `std`'s names (`ln`, `sin`, `erf`, `gamma`, `powf`,
/// ...: the `libm` crate's code, the same on the CPU, in the simulator and
/// on the GPU), so every backend computes the same bits.
///
/// Its error, measured against exact values over 1 000 000 points a
/// function in its domain, half spread evenly and half over its decades
/// (`tests/math_library.rs`, which holds 100 000 of them to these bounds
/// in every test run; the reference is 128-bit multiple precision, the
/// `astro-float` crate, with `erf`, `erfc` and the log-gamma summed in it),
/// in ulp of the exact value, f64: 0.50 `sqrt` (correctly rounded), 0.55
/// `exp`, 0.52 `exp2`, 0.55 `ln`, 0.57 `log2`, 0.56 `log10`, 0.84
/// `exp_m1`, 0.77 `ln_1p`, 0.94 `cbrt`, 0.77 `sin` and `cos` (on `[-100,
/// 100]`), 0.80 `tan`, 0.86 `asin`, 0.88 `acos`, 0.84 `atan`, 0.91 `erf`,
/// 0.52 `powf` (`x` in `[1e-3, 1e3]`, `y` in `[-20, 20]`, and `x` in `1 ±
/// 1e-3` with `|y ln x|` to 700), 0.96 `hypot`; 1.46 `atan2`, 1.51 `asinh`, 1.59 `atanh`,
/// 0.74 `sinh`, 0.63 `cosh`, 1.88 `acosh` (1.22 above 2), 2.05 `tanh`, 1.85 `ln_gamma` (on
/// `[2.5, 1e6]`), 2.56 `erfc` and 8.76 `gamma`. f32, against the f64 C
/// function rounded (a reference 29 bits more precise): at most 1 ulp
/// (`sqrt` and `cbrt` 0: correctly rounded) but for `sinh`, `tanh`,
/// `asinh`, `acosh`, `atanh`, `ln_gamma` (2) and `erfc` (3).
///
/// Its time against the platform's (glibc), one call at a time over 65 536
/// points (`benches/math.rs`, a 2-vCPU Sapphire Rapids Xeon, x86-64's
/// baseline instruction set, one run on 2026-12-06): `cbrt` 0.53x, `asinh`
/// 0.55x, `acos` 0.68x, `sinh` 0.70x, `atan2` 0.77x, `cosh` 0.84x, `asin`
/// 0.86x, `atan` 0.91x, `hypot` and `erfc` 0.93x, `ln_1p` 0.97x, `sqrt`
/// 1.00x, `exp` 1.02x, `cos` 1.03x, `gamma` 1.05x, `sin` 1.09x, `tanh`
/// 1.10x, `atanh`, `erf` and `log10` 1.13x, `tan` 1.15x, `exp_m1` 1.16x,
/// `ln` and `log2` 1.17x, `ln_gamma` 1.20x, `exp2` 1.22x, `acosh` 1.27x,
/// `powf` 1.30x (1.30x to 1.35x over the day's runs: glibc's forms use the
/// fused multiply-add; hotloop's take exact products from short factors and
/// Dekker's splitting, which every target rounds alike), all within the
/// goal of 1.3x. The own functions ([`crate::math`]) replaced the `libm`
/// crate's where it was beyond 1.3x: `exp` 1.54x, `ln` 1.42x, `cbrt` 3.9x,
/// `exp2` 1.42x, `log2` 1.96x, `sinh` 1.47x, `cosh` 1.33x, `acosh` 3.43x,
/// `erf` 1.63x, `erfc` 1.56x, `powf` 3.46x. Inlined into a map, the own
/// `exp` vectorizes; the C one does not.
///
/// It is implemented for `f32` and `f64`, the floats among the
/// [`Num`](crate::Num) types (whose constants and combiners it shares):
/// rather than implementing it, write element code once, generic over
/// `T: Real` (or `T: Num` for integers too), as every built-in op does.
///
/// ```rust
/// use hotloop_core::{Num, Real};
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
pub trait Real: crate::Num<Sum = Self> + core::ops::Neg<Output = Self> {
    /// Positive infinity.
    const INFINITY: Self;
    /// The canonical quiet NaN (`f64::NAN`, `f32::NAN`): what the
    /// reductions return for any NaN input, whatever its payload.
    const NAN: Self;
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
    /// `e^self`, within 0.55 ulp of the exact value (measured); `+inf` on overflow, `0` on underflow.
    fn exp(self) -> Self;
    /// The cube root: hotloop's own for f64 (`math::cbrt_f64`, within 1
    /// ulp, some 4x the speed of the library's correctly rounded one), the
    /// library's for f32.
    fn cbrt(self) -> Self;
    /// `floor(log2 |self|)` for finite non-zero values (subnormals included).
    fn ilogb(self) -> i32;
    math_library!(declare);
    /// `self` to the integer power `n` (`pow(self, n)`, as the library's
    /// `powf`: the same bits on every backend).
    #[inline]
    fn powi(self, n: i32) -> Self {
        self.powf(Self::from_f64(f64::from(n)))
    }
    /// The logarithm in base `base`: `ln(self) / ln(base)`, as `std` has
    /// it.
    #[inline]
    fn log(self, base: Self) -> Self {
        self.ln() / base.ln()
    }
    /// `(sin(self), cos(self))`.
    #[inline]
    fn sin_cos(self) -> (Self, Self) {
        (self.sin(), self.cos())
    }
    /// `2^k`, exactly, for `k` in `MIN_EXP2..=MAX_EXP2` (the normal range).
    fn pow2(k: i32) -> Self;
}

impl Real for f32 {
    const INFINITY: Self = f32::INFINITY;
    const NAN: Self = f32::NAN;
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
    #[inline]
    fn cbrt(self) -> Self {
        libm::cbrtf(self)
    }
    #[inline(always)]
    fn ilogb(self) -> i32 {
        math::ilogb_f32(self)
    }
    math_library!(f32);
    #[inline(always)]
    fn pow2(k: i32) -> Self {
        math::pow2_f32(k)
    }
}

impl Real for f64 {
    const INFINITY: Self = f64::INFINITY;
    const NAN: Self = f64::NAN;
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
    #[inline]
    fn cbrt(self) -> Self {
        math::cbrt_f64(self)
    }
    #[inline(always)]
    fn ilogb(self) -> i32 {
        math::ilogb_f64(self)
    }
    math_library!(f64);
    #[inline(always)]
    fn pow2(k: i32) -> Self {
        math::pow2_f64(k)
    }
}
