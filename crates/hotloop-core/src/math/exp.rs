//! `e^x`: Cody–Waite reduction to a table of `2^(j/16)` (f64; the 64ths'
//! table, every fourth entry) or to `[-ln2/2, ln2/2]` (f32), a short Taylor
//! polynomial, one scaling; `2^x` and the more precise parts of `e^x` that
//! `pow`, `sinh`, `cosh` and `erfc` build on through the 64ths.

use super::horner;

/// `ln 2` rounded to 16 significant bits: `k * LN2_HI` is exact for every
/// `|k| < 2^8`.
const LN2_HI_F32: f32 = f32::from_bits(0x3f31_7200);
/// `ln 2 - LN2_HI_F32`, rounded to f32.
const LN2_LO_F32: f32 = 1.428_606_8e-6;

/// `ln 2 / 64` rounded to 32 significant bits: `k * LN2_64_HI_F64` is
/// exact for every `|k| < 2^21`, which covers every `k` of a finite f64
/// result (`|k| < 2^17`), and so is `k * LN2_16_HI_F64`.
const LN2_64_HI_F64: f64 = f64::from_bits(0x3f86_2e42_fee0_0000);
/// `ln 2 / 64 - LN2_64_HI_F64`, rounded to f64.
const LN2_64_LO_F64: f64 = f64::from_bits(0x3d8a_39ef_3579_3c76);
/// `64 / ln 2`.
const INV_LN2_64: f64 = 92.332_482_616_893_66;
/// `ln 2 / 16` as two doubles and `16 / ln 2`, for [`exp_f64`]: the 64ths'
/// constants times or over 4, exactly.
pub const LN2_16_HI_F64: f64 = LN2_64_HI_F64 * 4.0;
/// See [`LN2_16_HI_F64`].
pub const LN2_16_LO_F64: f64 = LN2_64_LO_F64 * 4.0;
/// See [`LN2_16_HI_F64`].
pub const INV_LN2_16: f64 = INV_LN2_64 / 4.0;
/// `1.5 * 2^52`: added to a value below `2^51` in magnitude, it leaves the
/// value rounded to an integer (to nearest even) in the sum's low bits.
pub const ROUNDING_SHIFT: f64 = 6_755_399_441_055_744.0;
/// `e^r - 1 = r + r^2 (1/2 + r/6 + r^2/24 + r^3/120 + r^4/720 + r^5/5040)`:
/// the coefficients after the `1/2`. [`exp_f64`]'s sixteenths take them
/// all, the 64ths' shorter `r` all but the last.
pub const EXPM1_POLY: [f64; 5] = [
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5040.0,
];

/// `2^(j/64)` for `j` in `0..64` as `(hi, lo)` bit patterns: `hi` the
/// value rounded to f64, `lo` the rest rounded to f64 (computed with 60
/// significant digits, `python3`'s `decimal`).
pub static EXP2_64THS: [(u64, u64); 64] = [
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

/// `e^x` for f64, within 0.55 ulp of the exact value (measured; see
/// `hotloop_core::Real`). `x = (16 m + j) ln2/16 + r`, `|r| <= ln2/32`, a
/// degree-7 Taylor polynomial for `e^r - 1`, times the table's `2^(j/16)`
/// as two doubles, then `2^m` with a single rounding (subnormal results
/// included). `+inf` on overflow, `+0` on underflow, NaN for NaN.
///
/// Branch-free (selects and a table read only), so a map of it vectorizes
/// (the table read becomes a gather, or one register permute: 16 entries
/// are two AVX-512 registers, where 64 took eight and three blends).
#[inline]
pub fn exp_f64(x: f64) -> f64 {
    // Beyond these bounds every result is +inf or +0 (the exact thresholds
    // are 709.78... and -745.13...): clamping keeps k in range, and the
    // final scaling then overflows or underflows by itself. NaN passes
    // (`clamp` keeps it) and propagates through `p`; its k is garbage,
    // masked into the table and wrapped below.
    let (k, p) = exp_reduce::<4>(x.clamp(-746.0, 710.0));
    octaves::<4>(k, p)
}

/// `e^x / 2`, finite up to `x = 710.47` where `e^x` overflows at 709.78
/// (`sinh` and `cosh` of large arguments), with one rounding.
#[inline]
pub(super) fn half_exp_f64(x: f64) -> f64 {
    let (k, p) = exp_reduce::<6>(x.clamp(-746.0, 711.0));
    octaves::<6>(k - 64, p)
}

/// `e^x` as `hi + lo` with `|lo| <= ulp(hi)` and a relative error below
/// `2^-60`, for `|x| <= 700` (normal results): the table's two doubles and
/// the polynomial, not yet rounded into one.
#[inline]
pub(super) fn exp_parts_f64(x: f64) -> (f64, f64) {
    let (k, p) = exp_reduce::<6>(x);
    let (hi, lo) = EXP2_64THS[(k & 63) as usize];
    let (hi, lo) = (f64::from_bits(hi), f64::from_bits(lo));
    let scale = f64::from_bits((((k >> 6) + 1023) as u64) << 52);
    // hi + (lo + hi p), renormalized (a fast two-sum: |hi p| < hi).
    let t = lo + hi * p;
    let s = hi + t;
    (s * scale, (t - (s - hi)) * scale)
}

/// `e^(x + tail)` for `|tail| < 2^-14`, with `exp_f64`'s one rounding:
/// `pow`'s last step, its exponent as two doubles. The tail joins the
/// reduced argument (where a clamped `x` drops it).
#[inline]
pub(super) fn exp_sum_f64(x: f64, tail: f64) -> f64 {
    if x.abs() < 708.0 {
        // A normal result: one scaling through the exponent's bits, as in
        // `exp2_f64`.
        let (k, p) = exp_reduce_sum(x, tail);
        let (hi, lo) = EXP2_64THS[(k & 63) as usize];
        let (hi, lo) = (f64::from_bits(hi), f64::from_bits(lo));
        let s = hi + (lo + hi * p);
        return f64::from_bits(s.to_bits().wrapping_add(((k >> 6) as u64) << 52));
    }
    exp_sum_far(x, tail)
}

/// [`exp_sum_f64`] near and beyond the ends of the range (and NaN).
#[cold]
fn exp_sum_far(x: f64, tail: f64) -> f64 {
    let tail = if x.abs() < 746.0 { tail } else { 0.0 };
    let (k, p) = exp_reduce_sum(x.clamp(-746.0, 710.0), tail);
    octaves::<6>(k, p)
}

/// `x = k ln2/2^B + r` and `p = e^r - 1`, for `|x| < 746`: `B = 4` for
/// [`exp_f64`] (`|r| <= ln2/32 + 2^-43`), 6 for the 64ths.
#[inline(always)]
fn exp_reduce<const B: u32>(x: f64) -> (i64, f64) {
    let (k, kf) = steps::<B>(x);
    // x - k*ln2/2^B in two steps (the first exact).
    let r = (x - kf * ln2_hi::<B>()) - kf * ln2_lo::<B>();
    (k, expm1_small::<B>(r))
}

/// [`exp_reduce`] of `x + tail` in 64ths, `|tail| < 2^-14`: `k` from `x`
/// alone.
#[inline(always)]
fn exp_reduce_sum(x: f64, tail: f64) -> (i64, f64) {
    let (k, kf) = steps::<6>(x);
    // A chain, not a tree: a tree of these is vectorized into shuffles.
    let r = ((x - kf * ln2_hi::<6>()) - kf * ln2_lo::<6>()) + tail;
    (k, expm1_small::<6>(r))
}

/// `ln2 / 2^B`'s two parts (the 64ths' times a power of two: exact).
#[inline(always)]
const fn ln2_hi<const B: u32>() -> f64 {
    LN2_64_HI_F64 * (1u32 << (6 - B)) as f64
}

/// See [`ln2_hi`].
#[inline(always)]
const fn ln2_lo<const B: u32>() -> f64 {
    LN2_64_LO_F64 * (1u32 << (6 - B)) as f64
}

/// `k = round(2^B x / ln2)`, to nearest even, as an integer and as f64,
/// without a float-to-int conversion: adding 1.5 * 2^52 leaves k in the
/// low bits of the sum (|2^B x / ln2| < 70 000 here).
#[inline(always)]
fn steps<const B: u32>(x: f64) -> (i64, f64) {
    let t = x * (INV_LN2_64 / (1u32 << (6 - B)) as f64) + ROUNDING_SHIFT;
    (
        t.to_bits().wrapping_sub(ROUNDING_SHIFT.to_bits()) as i64,
        t - ROUNDING_SHIFT,
    )
}

/// `e^r - 1` by [`EXPM1_POLY`]: for `|r| <= ln2/32` (`B = 4`) through
/// `r^7`, for `|r| <= ln2/128` through `r^6`; either truncation is below
/// `2^-59` of the result's `1 + p`. The bracket in Estrin's form on `r^2`
/// (which `p` needs anyway): as many operations as Horner's rule, four
/// fewer in a row.
#[inline(always)]
fn expm1_small<const B: u32>(r: f64) -> f64 {
    let [c3, c4, c5, c6, c7] = EXPM1_POLY;
    let r2 = r * r;
    let top = if B < 6 { c6 + r * c7 } else { c6 };
    let q = (0.5 + r * c3) + r2 * ((c4 + r * c5) + r2 * top);
    r + r2 * q
}

/// `2^(k/2^B) (1 + p)`, for `exp` and `exp2` alike: `k = 2^B m + j`, the
/// table's `2^(j/2^B)` (its entry `j 2^(6-B)`) as two doubles, times `2^m`.
#[inline(always)]
fn octaves<const B: u32>(k: i64, p: f64) -> f64 {
    let (hi, lo) = EXP2_64THS[((k & ((1 << B) - 1)) << (6 - B)) as usize];
    let (hi, lo) = (f64::from_bits(hi), f64::from_bits(lo));
    let s = hi + (lo + hi * p);
    // s * 2^m with m in [-1077, 1024], as two normal powers of two: the
    // first product is exact, the second rounds once (only when the result
    // is subnormal) or overflows to +inf. (m = floor(k / 2^B) and m1 =
    // floor(m / 2) through logical shifts of non-negative values.)
    let m = ((k.wrapping_add(1 << (11 + B)) as u64) >> B) as i64 - (1 << 11);
    let m1 = ((m.wrapping_add(2048) as u64) >> 1) as i64 - 1024;
    let pow2 = |e: i64| f64::from_bits((e.wrapping_add(1023) as u64) << 52);
    (s * pow2(m1)) * pow2(m.wrapping_sub(m1))
}

/// `2^x` for f64, within 0.52 ulp of the exact value (measured; see
/// `hotloop_core::Real`): [`exp_f64`]'s table, with an exact reduction
/// (`x - k/64` rounds nothing).
#[inline]
pub fn exp2_f64(x: f64) -> f64 {
    // A normal result, not near the ends: one scaling through the
    // exponent's bits. Elsewhere (and NaN), `octaves`' two-step scaling.
    if x.abs() >= 1020.0 || x.is_nan() {
        return exp2_far(x);
    }
    let (k, p) = exp2_reduce(x);
    let (hi, lo) = EXP2_64THS[(k & 63) as usize];
    let (hi, lo) = (f64::from_bits(hi), f64::from_bits(lo));
    let s = hi + (lo + hi * p);
    f64::from_bits(s.to_bits().wrapping_add(((k >> 6) as u64) << 52))
}

/// [`exp2_f64`] at `|x| >= 1020` and NaN: results near or beyond the ends
/// of the range.
#[cold]
fn exp2_far(x: f64) -> f64 {
    // Beyond these every result is +inf or +0, as in `exp_f64`.
    let (k, p) = exp2_reduce(x.clamp(-1080.0, 1025.0));
    octaves::<6>(k, p)
}

/// `x = k/64 + r`, `|r| <= 1/128`, exactly, and `p = 2^r - 1`.
#[inline(always)]
fn exp2_reduce(x: f64) -> (i64, f64) {
    // k = round(64 x), to nearest even: 1.5 * 2^46 has an ulp of 1/64.
    const SHIFT: f64 = 105_553_116_266_496.0;
    let t = x + SHIFT;
    let kf = t - SHIFT;
    let k = t.to_bits().wrapping_sub(SHIFT.to_bits()) as i64;
    let r = x - kf;
    // 2^r - 1 = r ln2 + (r ln2)^2/2 + ...: the truncation is below 2^-60.
    (k, r * horner(&EXP2_POLY, r))
}

/// `(2^r - 1) / r = ln2 + ln2^2 r/2 + ... + ln2^6 r^5/6!`, Taylor's
/// coefficients rounded to f64 (`python3`'s `decimal`, 40 digits).
const EXP2_POLY: [f64; 6] = [
    f64::from_bits(0x3fe62e42fefa39ef),
    f64::from_bits(0x3fcebfbdff82c58f),
    f64::from_bits(0x3fac6b08d704a0c0),
    f64::from_bits(0x3f83b2ab6fba4e77),
    f64::from_bits(0x3f55d87fe78a6731),
    f64::from_bits(0x3f2430912f86c787),
];

/// `e^x` for f32, within 1 ulp of the f64 function rounded (measured):
/// `x = k ln2 + r`, `|r| <= ln2/2`, a degree-7 Taylor polynomial, no
/// table.
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

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::math::pow2_f64;
    use crate::math::testing::{Mix, ulps32, ulps64, worst};
    use std::vec::Vec;

    #[test]
    fn ln2_splits_are_exact_enough() {
        // hi has 21 trailing zero bits, so k * hi is exact for |k| < 2^21.
        assert_eq!(LN2_64_HI_F64.to_bits() & 0x1f_ffff, 0);
        // The sixteenths' constants are the 64ths' scaled by 4, exactly.
        assert_eq!(LN2_16_HI_F64.to_bits() & 0x1f_ffff, 0);
        assert_eq!(
            (LN2_16_HI_F64 / 4.0, LN2_16_LO_F64 / 4.0),
            (LN2_64_HI_F64, LN2_64_LO_F64)
        );
        assert_eq!(INV_LN2_16 * 4.0, INV_LN2_64);
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
    fn exp2_f64_is_within_1_ulp_of_std_and_exact_at_integers() {
        let mut rng = Mix(17);
        // The whole range, subnormal results and both ends included.
        let points = (0..400_000).flat_map(|_| {
            [
                -1080.0 + rng.unit() * 2110.0,
                (rng.unit() - 0.5) * 2.0,
                1019.0 + rng.unit() * 6.0,
                -1076.0 + rng.unit() * 60.0,
            ]
        });
        let worst = worst(points, exp2_f64, f64::exp2);
        std::eprintln!(
            "exp2_f64: max {} ulp vs std (at x = {:e})",
            worst.0,
            worst.1
        );
        assert!(worst.0 <= 1, "{worst:?}");
        for k in -1074..=1023 {
            let want = if k >= -1022 {
                pow2_f64(k)
            } else {
                pow2_f64(k + 60) * pow2_f64(-60)
            };
            assert_eq!(exp2_f64(k as f64), want, "2^{k}");
        }
        assert_eq!(exp2_f64(1024.0), f64::INFINITY);
        assert_eq!(exp2_f64(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp2_f64(-1075.0).to_bits(), 0);
        assert_eq!(exp2_f64(f64::NEG_INFINITY).to_bits(), 0);
        assert_eq!(exp2_f64(-0.0), 1.0);
        assert!(exp2_f64(f64::NAN).is_nan());
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
}
