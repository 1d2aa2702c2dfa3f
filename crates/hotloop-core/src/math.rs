//! Elementary functions written for `core` alone: `core` has no `exp` or
//! `sqrt` on floats (those live in `std`, over the platform's libm), and the
//! device build has nothing but `core`. Every backend calls these, so a
//! kernel using them gives the same bits on the CPU, the simulator and the
//! GPU.
//!
//! - [`exp_f64`], [`exp_f32`]: Cody–Waite range reduction `x = k ln2 + r`,
//!   `|r| <= ln2 / 2`, a Taylor polynomial for `e^r - 1` (degree 13 for f64,
//!   7 for f32, truncation error below 0.1 ulp), and a scaling by `2^k`
//!   with a single rounding (subnormal results). Stated bound, checked by
//!   the tests over the whole finite range, subnormal results included:
//!   **at most 2 ulp from `std`'s `exp`** (f64: 8e5 points; f32: every 97th
//!   bit pattern, against the f64 `exp` rounded to f32). Measured: at most
//!   1 ulp for both types. (The rounding analysis gives under 1 ulp from the
//!   exact value; the tests compare with libm, not with exact values.)
//!   Overflow gives `+inf`, underflow `+0`, `exp(NaN)` is NaN,
//!   `exp(-inf) = 0`. Branch-free, so maps of it vectorize.
//! - [`sqrt_f64`], [`sqrt_f32`]: correctly rounded (round to nearest even),
//!   as IEEE 754 requires of `sqrt`: each target's own instruction, which
//!   gives those bits (the tests hold it to an integer square root).
//!
//! No tables, no `libm`: plain arithmetic that compiles for `nvptx64`.

/// `ln 2` rounded to 42 significant bits: `k * LN2_HI` is exact for every
/// `|k| < 2^11`, which covers every `k` of a finite f64 result.
const LN2_HI_F64: f64 = f64::from_bits(0x3fe6_2e42_fefa_3800);
/// `ln 2 - LN2_HI_F64`, rounded to f64.
const LN2_LO_F64: f64 = 5.497_923_018_708_371e-14;
/// `ln 2` rounded to 16 significant bits: `k * LN2_HI` is exact for every
/// `|k| < 2^8`.
const LN2_HI_F32: f32 = f32::from_bits(0x3f31_7200);
/// `ln 2 - LN2_HI_F32`, rounded to f32.
const LN2_LO_F32: f32 = 1.428_606_8e-6;

/// `e^x` for f64, within 2 ulp of libm (measured: 1); see the [module](self) documentation.
///
/// Branch-free (selects only), so a map of it vectorizes.
#[inline]
pub fn exp_f64(x: f64) -> f64 {
    // Beyond these bounds every result is +inf or +0 (the exact thresholds
    // are 709.78... and -745.13...): clamping keeps k in range, and the
    // final scaling then overflows or underflows by itself. NaN passes
    // (`clamp` keeps it), becomes k = 0, and propagates.
    let x = x.clamp(-746.0, 710.0);
    // k = round(x / ln2), to nearest even, without a float-to-int
    // conversion: adding 1.5 * 2^52 leaves k in the low bits of the sum
    // (|v| < 1100 here), so everything stays in vector-friendly operations.
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    let t = x * core::f64::consts::LOG2_E + SHIFT;
    let kf = t - SHIFT;
    // (For NaN, k is garbage and p is NaN: wrapping arithmetic below.)
    let k = t.to_bits().wrapping_sub(SHIFT.to_bits()) as i64;
    // x - k*LN2_HI is exact (Sterbenz), r carries the rounding of the
    // low part only: |r| <= ln2/2 + 2^-40.
    let r = (x - kf * LN2_HI_F64) - kf * LN2_LO_F64;
    // e^r - 1 = r + r^2 (1/2! + r/3! + ... + r^11/13!).
    const C: [f64; 12] = {
        let mut c = [0.0; 12];
        let mut fact = 2.0;
        let mut i = 0;
        while i < 12 {
            c[i] = 1.0 / fact;
            fact *= (i + 3) as f64;
            i += 1;
        }
        c
    };
    let mut q = C[11];
    let mut i = 11;
    while i > 0 {
        i -= 1;
        q = C[i] + r * q;
    }
    let p = 1.0 + (r + (r * r) * q);
    // p * 2^k with k in [-1076, 1024], as two normal powers of two: the
    // first product is exact, the second rounds once (only when the result
    // is subnormal) or overflows to +inf. (k1 = floor(k / 2) through a
    // logical shift of a non-negative value.)
    let k1 = ((k.wrapping_add(2048) as u64) >> 1) as i64 - 1024;
    let pow2 = |e: i64| f64::from_bits((e.wrapping_add(1023) as u64) << 52);
    (p * pow2(k1)) * pow2(k.wrapping_sub(k1))
}

/// `2^k` for `k` in the normal exponent range `[-1022, 1023]`.
#[inline(always)]
pub const fn pow2_f64(k: i32) -> f64 {
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// `e^x` for f32, within 2 ulp of libm (measured: 1); see the [module](self) documentation.
///
/// Branch-free (selects only), so a map of it vectorizes.
#[inline]
pub fn exp_f32(x: f32) -> f32 {
    let x = x.clamp(-104.0, 89.0);
    // k = round(x / ln2) through 1.5 * 2^23, as in `exp_f64`.
    const SHIFT: f32 = 12_582_912.0;
    let t = x * core::f32::consts::LOG2_E + SHIFT;
    let kf = t - SHIFT;
    let k = t.to_bits().wrapping_sub(SHIFT.to_bits()) as i32;
    let r = (x - kf * LN2_HI_F32) - kf * LN2_LO_F32;
    // e^r - 1 = r + r^2 (1/2! + ... + r^5/7!).
    const C: [f32; 6] = [
        1.0 / 2.0,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5040.0,
    ];
    let mut q = C[5];
    let mut i = 5;
    while i > 0 {
        i -= 1;
        q = C[i] + r * q;
    }
    let p = 1.0 + (r + (r * r) * q);
    // k in [-150, 128]: two normal powers of two, one rounding.
    let k1 = ((k.wrapping_add(256) as u32) >> 1) as i32 - 128;
    let pow2 = |e: i32| f32::from_bits((e.wrapping_add(127) as u32) << 23);
    (p * pow2(k1)) * pow2(k.wrapping_sub(k1))
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

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    /// Distance in representable values between two finite or infinite
    /// floats of the same sign class (0 if equal, both NaN counts as 0).
    fn ulps64(a: f64, b: f64) -> u64 {
        if a.is_nan() && b.is_nan() {
            return 0;
        }
        let key = |x: f64| {
            let b = x.to_bits() as i64;
            if b < 0 { i64::MIN - b } else { b }
        };
        key(a).abs_diff(key(b))
    }

    fn ulps32(a: f32, b: f32) -> u64 {
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
    struct Mix(u64);
    impl Mix {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    #[test]
    fn ln2_split_is_exact_enough() {
        // hi has 11 trailing zero bits, so k * hi is exact for |k| < 2^11.
        assert_eq!(LN2_HI_F64.to_bits() & 0x7ff, 0);
        assert_eq!(LN2_HI_F32.to_bits() & 0xff, 0);
        // hi + lo is ln2 to well beyond f64 precision (ln2's f64 tail is
        // 2.3190468138462996e-17).
        let tail = (LN2_HI_F64 - core::f64::consts::LN_2) + LN2_LO_F64;
        assert!((tail - 2.319_046_813_846_299_6e-17).abs() < 1e-30, "{tail}");
    }

    #[test]
    fn exp_f64_is_within_2_ulp_of_std_everywhere() {
        let mut points: Vec<f64> = Vec::new();
        let mut rng = Mix(7);
        // Uniform over the finite range, and dense near 0 and the edges.
        for _ in 0..400_000 {
            points.push(-745.2 + rng.unit() * (709.8 + 745.2));
        }
        for _ in 0..100_000 {
            points.push((rng.unit() - 0.5) * 2.0);
            points.push((rng.unit() - 0.5) * 1e-6);
            points.push(709.0 + rng.unit() * 0.79);
            points.push(-745.2 + rng.unit() * 37.0); // subnormal results
        }
        // Multiples of ln2/2, where the reduction switches k.
        for k in -2160..2050 {
            let x = k as f64 * core::f64::consts::LN_2 / 2.0;
            points.extend([
                x,
                f64::from_bits(x.to_bits() + 1),
                f64::from_bits(x.to_bits().wrapping_sub(1)),
            ]);
        }
        points.extend([
            0.0,
            -0.0,
            1.0,
            -1.0,
            f64::MIN_POSITIVE,
            5e-324,
            709.782_712_893_383_9,
            709.782_712_893_384,
            709.782_712_893_384_1,
            -708.396_418_532_264_1,
            -745.133_219_101_941_1,
            -745.133_219_101_941_2,
            -744.44,
        ]);
        let mut worst = (0u64, 0.0f64);
        for &x in &points {
            let (got, want) = (exp_f64(x), x.exp());
            let d = ulps64(got, want);
            if d > worst.0 {
                worst = (d, x);
            }
        }
        std::eprintln!(
            "exp_f64: max {} ulp vs std over {} points (at x = {:e})",
            worst.0,
            points.len(),
            worst.1
        );
        assert!(worst.0 <= 2, "max ulp {} at x = {:e}", worst.0, worst.1);
    }

    #[test]
    fn exp_f32_is_within_2_ulp_of_the_rounded_f64_exp() {
        // Every f32 in [-104, 89] would be 2^31 points; take every 97th bit
        // pattern (about 22 million points) plus the edges.
        let mut worst = (0u64, 0.0f32);
        let mut check = |x: f32| {
            // std's f64 exp rounded to f32: correctly rounded except in
            // double-rounding cases, within 0.5 ulp + 2^-29 ulp.
            let want = (x as f64).exp() as f32;
            let d = ulps32(exp_f32(x), want);
            if d > worst.0 {
                worst = (d, x);
            }
        };
        for b in (0..=0x42B2_0000u32).step_by(97) {
            check(f32::from_bits(b));
        }
        for b in (0x8000_0000..=0xC2D0_0000u32).step_by(97) {
            check(f32::from_bits(b));
        }
        for x in [
            88.722_83f32,
            88.722_84,
            88.73,
            -87.336_55,
            -103.972_08,
            -103.973,
            -104.0,
            89.0,
        ] {
            check(x);
        }
        std::eprintln!("exp_f32: max {} ulp (at x = {:e})", worst.0, worst.1);
        assert!(worst.0 <= 2, "max ulp {} at x = {:e}", worst.0, worst.1);
    }

    #[test]
    fn exp_special_values() {
        assert_eq!(exp_f64(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp_f64(f64::NEG_INFINITY).to_bits(), 0);
        assert!(exp_f64(f64::NAN).is_nan());
        assert!(exp_f64(-f64::NAN).is_nan());
        assert!(exp_f64(f64::from_bits(0x7ff0_0000_0000_0001)).is_nan());
        assert_eq!(exp_f64(709.79), f64::INFINITY);
        assert_eq!(exp_f64(1000.0), f64::INFINITY);
        assert_eq!(exp_f64(-745.14).to_bits(), 0);
        assert_eq!(exp_f64(-1e300).to_bits(), 0);
        assert_eq!(exp_f64(0.0), 1.0);
        assert_eq!(exp_f64(-0.0), 1.0);
        assert_eq!(exp_f64(f64::MAX), f64::INFINITY);
        assert_eq!(exp_f32(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp_f32(f32::NEG_INFINITY).to_bits(), 0);
        assert!(exp_f32(f32::NAN).is_nan());
        assert!(exp_f32(-f32::NAN).is_nan());
        assert_eq!(exp_f32(88.8), f32::INFINITY);
        assert_eq!(exp_f32(-104.0).to_bits(), 0);
        assert_eq!(exp_f32(0.0), 1.0);
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
