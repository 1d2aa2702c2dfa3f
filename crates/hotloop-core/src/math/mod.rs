//! The elementary functions hotloop computes itself, for `core` alone:
//! `core` has no `exp` or `sqrt` on floats (those live in `std`, over the
//! platform's libm), the device build has nothing but `core`, and the
//! `libm` crate's forms of these were up to 3.5x glibc's time. Every
//! backend calls these, so a kernel using them gives the same bits on the
//! CPU, the simulator and the GPU.
//!
//! - [`exp_f64`], [`exp2_f64`] (`exp`): a 64-entry table of `2^(j/64)` and a
//!   short polynomial; [`exp_f32`] without a table.
//! - [`ln_f64`], [`log2_f64`] (`log`): a 128-row table of `1/c`, `ln c` and
//!   `log2 c`; near 1, one longer polynomial.
//! - [`pow_f64`] (`pow`): `e^(y ln x)` with `ln x` and the product as two
//!   doubles each.
//! - [`sinh_f64`], [`cosh_f64`], [`acosh_f64`] (`hyperbolic`): on the own
//!   `exp` and `ln`.
//! - [`erf_f64`], [`erfc_f64`] (`erf`): fitted polynomials about one `exp`.
//! - [`cbrt_f64`], [`sqrt_f64`], [`sqrt_f32`] (`root`): Halley steps; each
//!   target's correctly rounded instruction.
//!
//! Each function's error against exact values and its time against glibc
//! are measured and stated in `hotloop_core::Real`'s docs
//! (`tests/math_library.rs`, `benches/math.rs`); each module's tests hold
//! it near `std`'s or the `libm` crate's over the whole range and at the
//! special values. The rules that keep the bits the same everywhere: no
//! fused multiply-add (not every target rounds it alike; exact products
//! come from short factors or Dekker's splitting instead), no float-to-int
//! conversion where a target may saturate differently (the `1.5 * 2^52`
//! shift instead), and tables of bit patterns, which compile for `nvptx64`
//! (each a `.global` array there). Where a rare input needs it (`acosh`
//! near 1, `pow`'s special values), the `libm` crate's code is called,
//! the same on every target.

mod erf;
mod exp;
mod hyperbolic;
mod log;
mod pow;
mod root;

pub use erf::{erf_f64, erfc_f64};
pub use exp::{exp_f32, exp_f64, exp2_f64};

/// [`exp_f64`]'s constants and table, for a hand-vectorized form of it
/// (`hotloop-cpu`'s, whose table reads are register permutes where LLVM
/// would gather): the same operations on the same constants, the same
/// bits. Not an API.
#[doc(hidden)]
pub mod exp_f64_parts {
    pub use super::exp::{
        EXP2_64THS, EXPM1_POLY, INV_LN2_16, LN2_16_HI_F64, LN2_16_LO_F64, ROUNDING_SHIFT,
    };
}
pub use hyperbolic::{acosh_f64, cosh_f64, sinh_f64};
pub use log::{ln_f64, log2_f64};
pub use pow::pow_f64;
pub use root::{cbrt_f64, sqrt_f32, sqrt_f64};

/// `c[0] + c[1] x + ... ` by Horner's rule, in the order the source gives.
#[inline(always)]
fn horner<const N: usize>(c: &[f64; N], x: f64) -> f64 {
    let mut p = c[N - 1];
    for &ci in c[..N - 1].iter().rev() {
        p = p * x + ci;
    }
    p
}

/// `2^k` for `k` in the normal exponent range `[-1022, 1023]`.
#[inline(always)]
pub const fn pow2_f64(k: i32) -> f64 {
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// `2^k` for `k` in the normal exponent range `[-126, 127]`.
#[inline(always)]
pub const fn pow2_f32(k: i32) -> f32 {
    f32::from_bits(((k + 127) as u32) << 23)
}

/// `floor(log2 |x|)` for finite non-zero `x`, subnormals included.
#[inline]
pub const fn ilogb_f64(x: f64) -> i32 {
    let bits = x.to_bits() & !(1 << 63);
    let e = (bits >> 52) as i32;
    if e == 0 {
        // Subnormal: the leading set bit of the fraction sets the exponent.
        -1023 - (bits.leading_zeros() as i32 - 12)
    } else {
        e - 1023
    }
}

/// `floor(log2 |x|)` for finite non-zero `x`, subnormals included.
#[inline]
pub const fn ilogb_f32(x: f32) -> i32 {
    let bits = x.to_bits() & !(1 << 31);
    let e = (bits >> 23) as i32;
    if e == 0 {
        -127 - (bits.leading_zeros() as i32 - 9)
    } else {
        e - 127
    }
}

/// What the tests of every function share.
#[cfg(test)]
mod testing {
    /// The largest distance in ulp from `reference` that `ours` reaches
    /// over `points`, and the point where it does.
    pub fn worst(
        points: impl IntoIterator<Item = f64>,
        ours: impl Fn(f64) -> f64,
        reference: impl Fn(f64) -> f64,
    ) -> (u64, f64) {
        let mut worst = (0, f64::NAN);
        for x in points {
            let d = ulps64(ours(x), reference(x));
            if d > worst.0 {
                worst = (d, x);
            }
        }
        worst
    }

    /// Distance in representable values between two finite or infinite
    /// floats of the same sign class (0 if equal, both NaN counts as 0).
    pub fn ulps64(a: f64, b: f64) -> u64 {
        if a.is_nan() && b.is_nan() {
            return 0;
        }
        let key = |x: f64| {
            let b = x.to_bits() as i64;
            if b < 0 { i64::MIN - b } else { b }
        };
        key(a).abs_diff(key(b))
    }

    pub fn ulps32(a: f32, b: f32) -> u64 {
        if a.is_nan() && b.is_nan() {
            return 0;
        }
        let key = |x: f32| {
            let b = x.to_bits() as i32;
            (if b < 0 { i32::MIN - b } else { b }) as i64
        };
        key(a).abs_diff(key(b))
    }

    /// A small deterministic generator for test points (SplitMix64).
    pub struct Mix(pub u64);
    impl Mix {
        pub fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        pub fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    #[test]
    fn ilogb_matches_the_binade() {
        for (x, e) in [
            (1.0, 0),
            (1.5, 0),
            (2.0, 1),
            (0.75, -1),
            (f64::MAX, 1023),
            (f64::MIN_POSITIVE, -1022),
            (5e-324, -1074),
            (-3.0, 1),
        ] {
            assert_eq!(ilogb_f64(x), e, "{x:e}");
        }
        for (x, e) in [
            (1.0f32, 0),
            (3.0, 1),
            (f32::MAX, 127),
            (f32::MIN_POSITIVE, -126),
            (1e-45, -149),
            (-0.5, -1),
        ] {
            assert_eq!(ilogb_f32(x), e, "{x:e}");
        }
        assert_eq!(pow2_f64(-1022), f64::MIN_POSITIVE);
        assert_eq!(pow2_f32(127), 2f32.powi(127));
    }
}
