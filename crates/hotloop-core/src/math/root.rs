//! Roots: `sqrt` (each target's correctly rounded instruction) and
//! `cbrt` (hotloop's own, the same bits everywhere).

use super::pow2_f64;

/// Square root of an f64, correctly rounded: the target's own instruction
/// (x86-64 `sqrtsd`, AArch64 `fsqrt`, PTX `sqrt.rn.f64`). IEEE 754 requires
/// `sqrt` to round correctly, as it does `+`, so every backend gets the
/// same bits at the hardware's speed (the tests hold it to an exact
/// integer square root).
#[inline(always)]
pub fn sqrt_f64(x: f64) -> f64 {
    #[cfg(target_arch = "nvptx64")]
    {
        let r: f64;
        // SAFETY: one arithmetic instruction on registers.
        unsafe {
            core::arch::asm!(
                "sqrt.rn.f64 {r}, {x};",
                r = out(reg64) r,
                x = in(reg64) x,
                options(pure, nomem, nostack),
            )
        };
        r
    }
    #[cfg(not(target_arch = "nvptx64"))]
    {
        x.sqrt()
    }
}

/// Square root of an f32, correctly rounded: the target's instruction
/// (PTX `sqrt.rn.f32`), as [`sqrt_f64`].
#[inline(always)]
pub fn sqrt_f32(x: f32) -> f32 {
    #[cfg(target_arch = "nvptx64")]
    {
        let r: f32;
        // SAFETY: one arithmetic instruction on registers.
        unsafe {
            core::arch::asm!(
                "sqrt.rn.f32 {r}, {x};",
                r = out(reg32) r,
                x = in(reg32) x,
                options(pure, nomem, nostack),
            )
        };
        r
    }
    #[cfg(not(target_arch = "nvptx64"))]
    {
        x.sqrt()
    }
}

/// The cube root for f64, within 1 ulp of the platform's (see
/// `tests/math_library.rs`): an estimate from the exponent's third (`bits /
/// 3`, good to a few percent), two Halley steps (cubic convergence) and a
/// Newton step. `cbrt(±0) = ±0`, `cbrt(±inf) = ±inf`, NaN is NaN.
/// Branch-free (selects only).
#[inline]
pub fn cbrt_f64(x: f64) -> f64 {
    let a = x.abs();
    // Subnormals scaled up by 2^54, the largest values down by 2^-96, so
    // that the cubes below neither underflow nor overflow (the cube roots
    // of the factors, 2^18 and 2^-32, are undone at the end).
    let (sub, big) = (a < f64::MIN_POSITIVE, a > pow2_f64(960));
    let a = if sub {
        a * pow2_f64(54)
    } else if big {
        a * pow2_f64(-96)
    } else {
        a
    };
    // bits(a^(1/3)) ~ bits(a) / 3 + (2/3) bits(1.0).
    let t = f64::from_bits(a.to_bits() / 3 + (682 << 52));
    let halley = |t: f64| {
        let t3 = t * t * t;
        t * ((t3 + 2.0 * a) / (2.0 * t3 + a))
    };
    let t = halley(halley(t));
    let t = t - (t * t * t - a) / (3.0 * t * t);
    let y = if sub {
        t * pow2_f64(-18)
    } else if big {
        t * pow2_f64(32)
    } else {
        t
    };
    if x == 0.0 || !x.is_finite() {
        x
    } else {
        f64::from_bits(y.to_bits() | (x.to_bits() & (1 << 63)))
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::{pow2_f32, pow2_f64};
    use super::*;
    use crate::math::testing::{Mix, ulps64};

    #[test]
    fn cbrt_f64_is_within_1_ulp_of_std_everywhere() {
        let mut rng = Mix(13);
        let mut worst = (0u64, 0.0f64);
        // Every finite bit pattern's binade, both signs, subnormals
        // included; and perfect cubes, which come out exact.
        for _ in 0..1_000_000 {
            let x = f64::from_bits(rng.next() & !(0x7ff << 52) | (rng.next() % 0x7ff) << 52);
            let d = ulps64(cbrt_f64(x), x.cbrt());
            if d > worst.0 {
                worst = (d, x);
            }
        }
        std::eprintln!(
            "cbrt_f64: max {} ulp vs std (at x = {:e})",
            worst.0,
            worst.1
        );
        assert!(worst.0 <= 1, "{worst:?}");
        for k in -300i32..=300 {
            let c = (k as f64) * 1.5;
            assert_eq!(cbrt_f64(c * c * c), c, "{c}");
        }
        for x in [0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(cbrt_f64(x).to_bits(), x.to_bits());
        }
        assert!(cbrt_f64(f64::NAN).is_nan());
        assert_eq!(cbrt_f64(f64::MAX), f64::MAX.cbrt());
        assert_eq!(cbrt_f64(5e-324), 5e-324f64.cbrt());
    }

    /// The exactly rounded square root by integer arithmetic: the reference.
    fn exact_sqrt_f64(x: f64) -> f64 {
        if x.is_nan() || x < 0.0 {
            return f64::NAN;
        }
        if x == 0.0 || x == f64::INFINITY {
            return x; // keeps the sign of -0.0, as IEEE sqrt does
        }
        // x = m * 2^e with the leading bit of m at position 52.
        let bits = x.to_bits();
        let (mut m, mut e) = if bits >> 52 == 0 {
            let shift = bits.leading_zeros() - 11;
            (bits << shift, -1074 - shift as i32)
        } else {
            (
                (bits & ((1 << 52) - 1)) | (1 << 52),
                (bits >> 52) as i32 - 1075,
            )
        };
        // Make e even: m in [2^52, 2^54).
        if e & 1 != 0 {
            m <<= 1;
            e -= 1;
        }
        // sqrt(m * 2^56) in [2^54, 2^55): 53 bits, a round bit and one more.
        let wide = (m as u128) << 56;
        let q = wide.isqrt();
        let sticky = q * q != wide;
        let q = q as u64;
        let mut s = q >> 2;
        let low = q & 3;
        if low > 2 || (low == 2 && (sticky || s & 1 == 1)) {
            s += 1;
        }
        // s <= 2^53 is exact in f64; the scale is a normal power of two.
        s as f64 * pow2_f64(e / 2 - 26)
    }

    /// As [`exact_sqrt_f64`].
    fn exact_sqrt_f32(x: f32) -> f32 {
        if x.is_nan() || x < 0.0 {
            return f32::NAN;
        }
        if x == 0.0 || x == f32::INFINITY {
            return x;
        }
        // x = m * 2^e with the leading bit of m at position 24.
        let bits = x.to_bits();
        let (m, mut e) = if bits >> 23 == 0 {
            let shift = bits.leading_zeros() - 7;
            (bits << shift, -149 - shift as i32)
        } else {
            (
                ((bits & ((1 << 23) - 1)) | (1 << 23)) << 1,
                (bits >> 23) as i32 - 151,
            )
        };
        let mut m = m as u64;
        if e & 1 != 0 {
            m <<= 1;
            e -= 1;
        }
        // m in [2^24, 2^26); sqrt(m * 2^26) in [2^25, 2^26).
        let wide = m << 26;
        let q = wide.isqrt();
        let sticky = q * q != wide;
        let mut s = q >> 2;
        let low = q & 3;
        if low > 2 || (low == 2 && (sticky || s & 1 == 1)) {
            s += 1;
        }
        s as f32 * pow2_f32(e / 2 - 11)
    }

    #[test]
    fn sqrt_is_correctly_rounded() {
        let mut rng = Mix(11);
        let check64 = |x: f64| {
            let (got, want) = (sqrt_f64(x), exact_sqrt_f64(x));
            assert!(
                got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                "sqrt({x:e}) = {got:e}, want {want:e}"
            );
        };
        for _ in 0..300_000 {
            check64(f64::from_bits(rng.next() & !(1 << 63)));
            check64(f64::from_bits(rng.next() >> 12)); // subnormals
            check64(rng.unit() * 100.0);
        }
        for x in [
            0.0,
            -0.0,
            1.0,
            2.0,
            4.0,
            5e-324,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::INFINITY,
            -1.0,
            f64::NAN,
        ] {
            check64(x);
        }
        let check32 = |x: f32| {
            let (got, want) = (sqrt_f32(x), exact_sqrt_f32(x));
            assert!(
                got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                "sqrt({x:e}) = {got:e}, want {want:e}"
            );
        };
        for b in (0..0x7F80_0000u32).step_by(61) {
            check32(f32::from_bits(b));
        }
        for x in [
            0.0f32,
            -0.0,
            1.0,
            2.0,
            f32::MAX,
            f32::INFINITY,
            -1.0,
            f32::NAN,
            1e-45,
        ] {
            check32(x);
        }
    }
}
