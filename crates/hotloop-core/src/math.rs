//! Elementary functions written for `core` alone: `core` has no `exp` or
//! `sqrt` on floats (those live in `std`, over the platform's libm), and the
//! device build has nothing but `core`. Every backend calls these, so a
//! kernel using them gives the same bits on the CPU, the simulator and the
//! GPU.
//!
//! - [`exp_f64`], [`exp_f32`]: Cody–Waite range reduction. f64: `x = (64 m
//!   + j) ln2/64 + r`, `|r| <= ln2/128`, a Taylor polynomial of degree 6
//!   for `e^r - 1`, times `2^(j/64)` from a 64-entry table held as two
//!   doubles each; f32: `x = k ln2 + r`, `|r| <= ln2/2`, degree 7, no
//!   table. Then a scaling by `2^m` with a single rounding (subnormal
//!   results). Stated bound, checked by
//!   the tests over the whole finite range, subnormal results included:
//!   **at most 2 ulp from `std`'s `exp`** (f64: 8e5 points; f32: every 97th
//!   bit pattern, against the f64 `exp` rounded to f32). Measured: at most
//!   1 ulp for both types. (The rounding analysis gives under 1 ulp from the
//!   exact value; the tests compare with libm, not with exact values.)
//!   Overflow gives `+inf`, underflow `+0`, `exp(NaN)` is NaN,
//!   `exp(-inf) = 0`. Branch-free, so maps of it vectorize.
//! - [`cbrt_f64`]: an estimate from a third of the exponent's bits, two
//!   Halley steps and a Newton step, within 1 ulp of `std`'s over the whole
//!   range (the test's 1e6 points), exact on perfect cubes.
//! - [`sqrt_f64`], [`sqrt_f32`]: correctly rounded (round to nearest even),
//!   as IEEE 754 requires of `sqrt`: each target's own instruction, which
//!   gives those bits (the tests hold it to an integer square root).
//!
//! No `libm`: plain arithmetic and one small table, which compiles for
//! `nvptx64` (the table is a `.global` array there).

/// `ln 2` rounded to 16 significant bits: `k * LN2_HI` is exact for every
/// `|k| < 2^8`.
const LN2_HI_F32: f32 = f32::from_bits(0x3f31_7200);
/// `ln 2 - LN2_HI_F32`, rounded to f32.
const LN2_LO_F32: f32 = 1.428_606_8e-6;

/// `ln 2 / 64` rounded to 32 significant bits: `k * LN2_64_HI_F64` is
/// exact for every `|k| < 2^21`, which covers every `k` of a finite f64
/// result of [`exp_f64`].
const LN2_64_HI_F64: f64 = f64::from_bits(0x3f86_2e42_fee0_0000);
/// `ln 2 / 64 - LN2_64_HI_F64`, rounded to f64.
const LN2_64_LO_F64: f64 = f64::from_bits(0x3d8a_39ef_3579_3c76);

/// `2^(j/64)` for `j` in `0..64` as `(hi, lo)` bit patterns: `hi` the
/// value rounded to f64, `lo` the rest rounded to f64 (computed with 60
/// significant digits, `python3`'s `decimal`).
static EXP2_64THS: [(u64, u64); 64] = [
    (0x3ff0000000000000, 0x0000000000000000),
    (0x3ff02c9a3e778061, 0xbc719083535b085d),
    (0x3ff059b0d3158574, 0x3c8d73e2a475b465),
    (0x3ff0874518759bc8, 0x3c6186be4bb284ff),
    (0x3ff0b5586cf9890f, 0x3c98a62e4adc610b),
    (0x3ff0e3ec32d3d1a2, 0x3c403a1727c57b53),
    (0x3ff11301d0125b51, 0xbc96c51039449b3a),
    (0x3ff1429aaea92de0, 0xbc932fbf9af1369e),
    (0x3ff172b83c7d517b, 0xbc819041b9d78a76),
    (0x3ff1a35beb6fcb75, 0x3c8e5b4c7b4968e4),
    (0x3ff1d4873168b9aa, 0x3c9e016e00a2643c),
    (0x3ff2063b88628cd6, 0x3c8dc775814a8495),
    (0x3ff2387a6e756238, 0x3c99b07eb6c70573),
    (0x3ff26b4565e27cdd, 0x3c82bd339940e9d9),
    (0x3ff29e9df51fdee1, 0x3c8612e8afad1255),
    (0x3ff2d285a6e4030b, 0x3c90024754db41d5),
    (0x3ff306fe0a31b715, 0x3c86f46ad23182e4),
    (0x3ff33c08b26416ff, 0x3c932721843659a6),
    (0x3ff371a7373aa9cb, 0xbc963aeabf42eae2),
    (0x3ff3a7db34e59ff7, 0xbc75e436d661f5e3),
    (0x3ff3dea64c123422, 0x3c8ada0911f09ebc),
    (0x3ff4160a21f72e2a, 0xbc5ef3691c309278),
    (0x3ff44e086061892d, 0x3c489b7a04ef80d0),
    (0x3ff486a2b5c13cd0, 0x3c73c1a3b69062f0),
    (0x3ff4bfdad5362a27, 0x3c7d4397afec42e2),
    (0x3ff4f9b2769d2ca7, 0xbc94b309d25957e3),
    (0x3ff5342b569d4f82, 0xbc807abe1db13cad),
    (0x3ff56f4736b527da, 0x3c99bb2c011d93ad),
    (0x3ff5ab07dd485429, 0x3c96324c054647ad),
    (0x3ff5e76f15ad2148, 0x3c9ba6f93080e65e),
    (0x3ff6247eb03a5585, 0xbc9383c17e40b497),
    (0x3ff6623882552225, 0xbc9bb60987591c34),
    (0x3ff6a09e667f3bcd, 0xbc9bdd3413b26456),
    (0x3ff6dfb23c651a2f, 0xbc6bbe3a683c88ab),
    (0x3ff71f75e8ec5f74, 0xbc816e4786887a99),
    (0x3ff75feb564267c9, 0xbc90245957316dd3),
    (0x3ff7a11473eb0187, 0xbc841577ee04992f),
    (0x3ff7e2f336cf4e62, 0x3c705d02ba15797e),
    (0x3ff82589994cce13, 0xbc9d4c1dd41532d8),
    (0x3ff868d99b4492ed, 0xbc9fc6f89bd4f6ba),
    (0x3ff8ace5422aa0db, 0x3c96e9f156864b27),
    (0x3ff8f1ae99157736, 0x3c85cc13a2e3976c),
    (0x3ff93737b0cdc5e5, 0xbc675fc781b57ebc),
    (0x3ff97d829fde4e50, 0xbc9d185b7c1b85d1),
    (0x3ff9c49182a3f090, 0x3c7c7c46b071f2be),
    (0x3ffa0c667b5de565, 0xbc9359495d1cd533),
    (0x3ffa5503b23e255d, 0xbc9d2f6edb8d41e1),
    (0x3ffa9e6b5579fdbf, 0x3c90fac90ef7fd31),
    (0x3ffae89f995ad3ad, 0x3c97a1cd345dcc81),
    (0x3ffb33a2b84f15fb, 0xbc62805e3084d708),
    (0x3ffb7f76f2fb5e47, 0xbc75584f7e54ac3b),
    (0x3ffbcc1e904bc1d2, 0x3c823dd07a2d9e84),
    (0x3ffc199bdd85529c, 0x3c811065895048dd),
    (0x3ffc67f12e57d14b, 0x3c92884dff483cad),
    (0x3ffcb720dcef9069, 0x3c7503cbd1e949db),
    (0x3ffd072d4a07897c, 0xbc9cbc3743797a9c),
    (0x3ffd5818dcfba487, 0x3c82ed02d75b3707),
    (0x3ffda9e603db3285, 0x3c9c2300696db532),
    (0x3ffdfc97337b9b5f, 0xbc91a5cd4f184b5c),
    (0x3ffe502ee78b3ff6, 0x3c839e8980a9cc8f),
    (0x3ffea4afa2a490da, 0xbc9e9c23179c2893),
    (0x3ffefa1bee615a27, 0x3c9dc7f486a4b6b0),
    (0x3fff50765b6e4540, 0x3c99d3e12dd8a18b),
    (0x3fffa7c1819e90d8, 0x3c874853f3a5931e),
];

/// `e^x` for f64, within 2 ulp of libm (measured: 1); see the [module](self) documentation.
///
/// Branch-free (selects and a table read only), so a map of it vectorizes
/// (the table read becomes a gather).
#[inline]
pub fn exp_f64(x: f64) -> f64 {
    // Beyond these bounds every result is +inf or +0 (the exact thresholds
    // are 709.78... and -745.13...): clamping keeps k in range, and the
    // final scaling then overflows or underflows by itself. NaN passes
    // (`clamp` keeps it) and propagates through `p`; its k is garbage,
    // masked into the table and wrapped below.
    let x = x.clamp(-746.0, 710.0);
    // k = round(64 x / ln2), to nearest even, without a float-to-int
    // conversion: adding 1.5 * 2^52 leaves k in the low bits of the sum
    // (|64 x / ln2| < 70 000 here).
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    const INV_LN2_64: f64 = 92.332_482_616_893_66;
    let t = x * INV_LN2_64 + SHIFT;
    let kf = t - SHIFT;
    let k = t.to_bits().wrapping_sub(SHIFT.to_bits()) as i64;
    // x - k*ln2/64 in two steps (the first exact): |r| <= ln2/128 + 2^-45.
    let r = (x - kf * LN2_64_HI_F64) - kf * LN2_64_LO_F64;
    // e^r - 1 = r + r^2 (1/2 + r/6 + r^2/24 + r^3/120 + r^4/720): the
    // truncation is below 2^-60 for |r| <= ln2/128.
    let q = 0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))));
    let p = r + (r * r) * q;
    // e^x = 2^m * 2^(j/64) * e^r with k = 64 m + j.
    let (hi, lo) = EXP2_64THS[(k & 63) as usize];
    let (hi, lo) = (f64::from_bits(hi), f64::from_bits(lo));
    let s = hi + (lo + hi * p);
    // s * 2^m with m in [-1077, 1024], as two normal powers of two: the
    // first product is exact, the second rounds once (only when the result
    // is subnormal) or overflows to +inf. (m = floor(k / 64) and m1 =
    // floor(m / 2) through logical shifts of non-negative values.)
    let m = ((k.wrapping_add(1 << 17) as u64) >> 6) as i64 - (1 << 11);
    let m1 = ((m.wrapping_add(2048) as u64) >> 1) as i64 - 1024;
    let pow2 = |e: i64| f64::from_bits((e.wrapping_add(1023) as u64) << 52);
    (s * pow2(m1)) * pow2(m.wrapping_sub(m1))
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
    fn ln2_splits_are_exact_enough() {
        // hi has 21 trailing zero bits, so k * hi is exact for |k| < 2^21.
        assert_eq!(LN2_64_HI_F64.to_bits() & 0x1f_ffff, 0);
        assert_eq!(LN2_HI_F32.to_bits() & 0xff, 0);
        // hi + lo is ln2/64 to well beyond f64 precision (ln2/64's f64
        // tail is ln2's, 2.3190468138462996e-17, over 64), within lo's own
        // rounding.
        let tail = (LN2_64_HI_F64 - core::f64::consts::LN_2 / 64.0) + LN2_64_LO_F64;
        let err = (tail - 2.319_046_813_846_299_6e-17 / 64.0).abs();
        assert!(err <= LN2_64_LO_F64 * f64::EPSILON, "{tail}");
    }

    #[test]
    fn the_exp_table_holds_the_64ths_of_an_octave() {
        for (j, &(hi, lo)) in EXP2_64THS.iter().enumerate() {
            let (hi, lo) = (f64::from_bits(hi), f64::from_bits(lo));
            // std's exp2 is within an ulp; lo is below half of hi's ulp.
            assert!(ulps64(hi, (j as f64 / 64.0).exp2()) <= 1, "{j}");
            assert!(lo.abs() <= f64::EPSILON * hi / 2.0, "{j}");
        }
        // 2^(j/64) * 2^((64-j)/64) = 2, to the table's precision.
        for j in 1..64 {
            let (a, b) = (EXP2_64THS[j], EXP2_64THS[64 - j]);
            let (ah, al, bh, bl) = (
                f64::from_bits(a.0),
                f64::from_bits(a.1),
                f64::from_bits(b.0),
                f64::from_bits(b.1),
            );
            let err = ah.mul_add(bh, -2.0) + (ah * bl + al * bh);
            assert!(err.abs() < 1e-30, "{j}: {err}");
        }
    }

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
