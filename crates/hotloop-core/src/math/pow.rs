//! `x^y` for f64, hotloop's own (the `libm` crate's was 3.5x glibc's
//! time): `e^(y ln x)` with `ln x` and the product as two doubles each,
//! every product exact by construction (short factors) rather than by a
//! fused multiply-add, which not every target rounds alike.

use super::exp::exp_sum_f64;
use super::log::{LN_N, LN2_HI_F64, LN2_LO_F64};
use super::pow2_f64;

/// `x^y` for f64, within 0.52 ulp of the exact value, `x` near 1 to a
/// large power included (measured; see `hotloop_core::Real`), with C99's and IEEE 754's special cases
/// (`x^0 = 1` and `1^y = 1` even for NaN; a negative `x` to an integer
/// power; `0`, infinities and NaN).
#[inline]
pub fn pow_f64(x: f64, y: f64) -> f64 {
    // x positive, normal and finite, y finite, as integer compares (x = 1
    // included: its ln comes out exactly 0).
    let (ix, iy) = (x.to_bits(), y.to_bits());
    const NORMAL: u64 = 0x0010_0000_0000_0000;
    if ix.wrapping_sub(NORMAL) < 0x7ff0_0000_0000_0000 - NORMAL && iy << 1 < 0xffe0 << 48 {
        return pow_positive(ix, 0.0, y);
    }
    special(x, y)
}

/// `x^y` for `x = 2^k' z` with `ix` the bits of a positive normal f64 and
/// `k'` its exponent plus `dk` (a subnormal `x` is scaled into the normal
/// range), and finite `y`.
#[inline(always)]
fn pow_positive(ix: u64, dk: f64, y: f64) -> f64 {
    let (h, l) = ln_parts(ix, dk);
    // Renormalized: near 1, the sums' errors about ln c may be a large
    // share of a small ln x.
    let s = h + l;
    let (h, l) = (s, l - (s - h));
    // y (h + l) = yh hh + (yl hh + y hl), the first product exact: each
    // factor cut to its top 26 bits. The second is below 2^-25 of it.
    let cut = |v: f64| f64::from_bits(v.to_bits() & !((1 << 27) - 1));
    let (yh, hh) = (cut(y), cut(h));
    let (yl, hl) = (y - yh, (h - hh) + l);
    exp_sum_f64(yh * hh, yl * hh + y * hl)
}

/// `ln x` as `hi + lo` to within about `2^-68` of `|ln x|`, for `x` of
/// bits `ix` (positive, normal, finite) times `2^dk`: `y ln x` may be some
/// 700 times `ln x`. `ln 1` is exactly 0.
///
/// `x = 2^k z` by [`POW_OFF`], `1/c` from [`POW_TABLE`], a multiple of
/// `2^-13`: with `z` cut to its top 19 bits, `zh / c - 1` is
/// exact and has at most 26 bits, so its square is exact too; the rest of
/// `z` adds a small `rl`. Then `ln(1 + r) = rh - rh^2/2 + rl (1 - rh -
/// rl/2) + r^3 T(r)`, Taylor's series (`|r| < 0.0040`: truncated below
/// `2^-75`), `rl` added to `hi` exactly. Not renormalized.
#[inline(always)]
fn ln_parts(ix: u64, dk: f64) -> (f64, f64) {
    let tmp = ix.wrapping_sub(POW_OFF);
    let row = ((tmp >> (52 - 7)) % LN_N) as usize;
    let k = (tmp as i64) >> 52;
    let iz = ix.wrapping_sub(tmp & (0xfff << 52));
    let (z, zh) = (
        f64::from_bits(iz),
        f64::from_bits(iz.wrapping_add(1 << 32) & !((1 << 33) - 1)),
    );
    let [invc, lhi, llo] = {
        let (a, b, c) = POW_TABLE[row];
        [a, b, c].map(f64::from_bits)
    };
    let rh = zh * invc - 1.0;
    let rl = (z - zh) * invc;
    let r = rh + rl;
    // k as f64 through 1.5 * 2^52 (see `log::reduce`).
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    let kd = (f64::from_bits(SHIFT.to_bits().wrapping_add(k as u64)) - SHIFT) + dk;
    // k ln2 + ln c + (rh - rh^2/2) + rl by fast two-sums: |k ln2| > |ln
    // c| unless k = 0; |ln c| > |rh - rh^2/2| + 2^-19 but in the row about
    // 1, where c = 1 and ln c = 0, and there rh is 0 or a multiple of
    // 2^-20 (2^-19 above 1), larger than rl; |rh| > rh^2/2.
    let q = -0.5 * (rh * rh);
    let u = rh + q;
    let eu = q - (u - rh);
    let a = kd * LN2_HI_F64;
    let t1 = a + lhi;
    let e1 = lhi - (t1 - a);
    let hi = t1 + u;
    let e2 = u - (hi - t1);
    // The Taylor rest in Estrin's order.
    let [c0, c1, c2, c3, c4, c5] = LN_TAYLOR_3;
    let (r2, r4) = (r * r, (r * r) * (r * r));
    let t = (c0 + r * c1) + r2 * (c2 + r * c3) + r4 * (c4 + r * c5);
    let cross = rl * (rh + 0.5 * rl);
    // rl itself (up to 2^-20) joins hi exactly: in lo its rounding would
    // be 2^-73, which y (up to 1e6 for x near 1) would make 0.5 ulp.
    let h = hi + rl;
    let e3 = rl - (h - hi);
    // One chain of additions, those known first first: a tree of them
    // would be vectorized into shuffles.
    (
        h,
        ((((((llo - cross) + kd * LN2_LO_F64) + e1) + eu) + e2) + e3) + (r2 * r) * t,
    )
}

/// `(ln(1 + r) - r + r^2/2) / r^3`: `1/3 - r/4 + r^2/5 - ... - r^5/8`.
const LN_TAYLOR_3: [f64; 6] = [
    1.0 / 3.0,
    -1.0 / 4.0,
    1.0 / 5.0,
    -1.0 / 6.0,
    1.0 / 7.0,
    -1.0 / 8.0,
];

/// `pow`'s reduction: `x = 2^k z` with `z` in `[POW_OFF, 2 POW_OFF)`,
/// cut into [`LN_N`] rows by its bits as `ln_f64` cuts it, but half a row
/// later, so that 1 falls in the middle of a row (`[1 - 2^-9, 1 + 2^-8)`)
/// rather than between two.
const POW_OFF: u64 = 0x3fe6_1000_0000_0000;

/// Per row of [`POW_OFF`]'s cut of `z`: `1/c` for its midpoint `c`
/// rounded to a multiple of `2^-13`, and `ln c` for that `c` as two
/// doubles (300 bits, mpmath); `c = 1` in the row about 1. Checked when
/// generated: `|z/c - 1| < 0.0040` in every row, and `|ln c| > |z/c - 1|
/// + 2^-19` in every other.
#[rustfmt::skip]
static POW_TABLE: [(u64, u64, u64); LN_N as usize] = [
    (0x3ff7240000000000, 0xbfd79db6681afacb, 0xbc6cdd3cbdc10aac),
    (0x3ff7030000000000, 0xbfd742307689fbe9, 0x3c64dd4fefd5c18e),
    (0x3ff6e20000000000, 0xbfd6e626e6aa9973, 0xbc6b2bb891785ac9),
    (0x3ff6c18000000000, 0xbfd68b003e83ea22, 0xbc79418d23abd6a3),
    (0x3ff6a10000000000, 0xbfd62f570a538aab, 0xbc5eeb126251944f),
    (0x3ff6818000000000, 0xbfd5d601df353f49, 0xbc6ea300c4686331),
    (0x3ff6620000000000, 0xbfd57c2f53b05209, 0xbc64c017c2a52127),
    (0x3ff6430000000000, 0xbfd5234e0670a525, 0xbc607a43681b2b27),
    (0x3ff6240000000000, 0xbfd4c9f09e152c3c, 0xbc710c78fe91038b),
    (0x3ff6058000000000, 0xbfd47189c271a41b, 0xbc33a5f67f701666),
    (0x3ff5e78000000000, 0xbfd41a1e237e2128, 0xbc4c28a895c18f3c),
    (0x3ff5c98000000000, 0xbfd3c23a772eb183, 0x3c7aad3c2510a1fb),
    (0x3ff5ac0000000000, 0xbfd36b5776bc1117, 0x3c7a1e958f770386),
    (0x3ff58f0000000000, 0xbfd31579e142ddb0, 0xbc792d2c961708bd),
    (0x3ff5720000000000, 0xbfd2bf287cc41362, 0x3c56156c4e26290b),
    (0x3ff5558000000000, 0xbfd269e210b4dc3d, 0xbc60f34bdd5c2d24),
    (0x3ff5390000000000, 0xbfd214296d0898d2, 0xbc7d67f9b4135c44),
    (0x3ff51d0000000000, 0xbfd1bf816355eb94, 0x3c70958a02185c47),
    (0x3ff5018000000000, 0xbfd16beecb067471, 0x3c78f1ec0f2eaa80),
    (0x3ff4e60000000000, 0xbfd117ee81dfe4c4, 0x3c610eba2e6869b7),
    (0x3ff4ca8000000000, 0xbfd0c37f6674d936, 0xbc75de2503be43fa),
    (0x3ff4b00000000000, 0xbfd071b85fcd590d, 0xbc5d1707f97bde80),
    (0x3ff4950000000000, 0xbfd01dfa5529a4b6, 0xbc75d563713318be),
    (0x3ff47b0000000000, 0xbfcf99dc6c23b409, 0xbc6f3dd09792dd7b),
    (0x3ff4610000000000, 0xbfcef6f5e338c2b4, 0x3c5c91e4bce58918),
    (0x3ff4470000000000, 0xbfce533effde1014, 0xbc6489af90893273),
    (0x3ff42d8000000000, 0xbfcdb1e1b06b799a, 0x3c3ad2ad55fd606f),
    (0x3ff4140000000000, 0xbfcd0fb7f2255e51, 0x3c64ac818ceca4c4),
    (0x3ff3fb0000000000, 0xbfcc6ff3c6efcf71, 0x3c699035df024fb6),
    (0x3ff3e20000000000, 0xbfcbcf6736f7d6c7, 0xbc376b0a6e1c43a2),
    (0x3ff3c98000000000, 0xbfcb314c570f3e05, 0x3c5656b0a16bd113),
    (0x3ff3b10000000000, 0xbfca926d3a4ad563, 0xbc6942f48aa70ea9),
    (0x3ff3990000000000, 0xbfc9f60c068455e5, 0xbc655f07d3794c64),
    (0x3ff3810000000000, 0xbfc958eadae5fd89, 0xbc57a844e05c5048),
    (0x3ff3698000000000, 0xbfc8be53eb17ee7c, 0xbc64c0871ee7cb70),
    (0x3ff3520000000000, 0xbfc8230164c1a332, 0x3c614bad17a5bddb),
    (0x3ff33b0000000000, 0xbfc78a4584c00cf2, 0x3c25058157a3785c),
    (0x3ff3240000000000, 0xbfc6f0d28ae56b4c, 0x3c6906d99184b992),
    (0x3ff30d0000000000, 0xbfc656a6be1dd2d9, 0xbc6e41a4408638d8),
    (0x3ff2f68000000000, 0xbfc5bf206b503db1, 0xbc6435f21092dc3d),
    (0x3ff2e00000000000, 0xbfc526e5e3a1b438, 0x3c6746ff8a470d3a),
    (0x3ff2ca0000000000, 0xbfc4915d832fb562, 0x3c6dc00d79ec3456),
    (0x3ff2b40000000000, 0xbfc3fb25a59528cb, 0x3c5065329c022936),
    (0x3ff29e8000000000, 0xbfc367acad3c967e, 0xbc67dc1b45433232),
    (0x3ff2888000000000, 0xbfc2d0150ad7ee51, 0xbc635e6c645188a0),
    (0x3ff2738000000000, 0xbfc23eb928a584d0, 0x3c6ce71a50945da5),
    (0x3ff25e0000000000, 0xbfc1a93b7d42f611, 0x3c677e9d8abe639f),
    (0x3ff2490000000000, 0xbfc1168e8127e327, 0x3c6e487351a45ac2),
    (0x3ff2348000000000, 0xbfc086bcb4512c01, 0xbc3b2d67b9becb18),
    (0x3ff21f8000000000, 0xbfbfe581352b4bd2, 0xbc5e613d00f98f7c),
    (0x3ff20b8000000000, 0xbfbeca617e0efb9b, 0x3c4ce8db768dc32b),
    (0x3ff1f70000000000, 0xbfbda6e7637c46a1, 0x3c1536ae3e558707),
    (0x3ff1e30000000000, 0xbfbc8948014bcb6a, 0x3c51d390b1209438),
    (0x3ff1cf0000000000, 0xbfbb6a688d9b5b17, 0xbc57fcef8959605c),
    (0x3ff1bb8000000000, 0xbfba517e3c19a580, 0xbc552e13d51b883d),
    (0x3ff1a78000000000, 0xbfb9301e58113e17, 0xbc4e71c064965402),
    (0x3ff1948000000000, 0xbfb81c062c0cc958, 0xbc1d6f970ff0fbf6),
    (0x3ff1810000000000, 0xbfb6ff7309f8c003, 0xbc3e33329e6eb569),
    (0x3ff16e0000000000, 0xbfb5e8fa4d8591c7, 0x3c08fb947780f93d),
    (0x3ff15b0000000000, 0xbfb4d1515b987ce3, 0xbc17e8e050b54ada),
    (0x3ff1488000000000, 0xbfb3bfdda600d0b3, 0xbc512c2205b3a095),
    (0x3ff1360000000000, 0xbfb2ad449eff2316, 0x3c4d72f82dc39ca0),
    (0x3ff1238000000000, 0xbfb19983ceac395c, 0x3c4262cd26bc4aa1),
    (0x3ff1110000000000, 0xbfb08498b51e39b1, 0xbc49875409b62802),
    (0x3ff0ff0000000000, 0xbfaeec11bf25b908, 0xbc44024b5ed25318),
    (0x3ff0ed0000000000, 0xbfacccb3cd79b2f5, 0xbc38b99b50357323),
    (0x3ff0db0000000000, 0xbfaaab12cd3a0c23, 0x3c3bc09d312f8433),
    (0x3ff0c98000000000, 0xbfa8966a13dbb3b6, 0x3c4d7777e258fcb9),
    (0x3ff0b80000000000, 0xbfa67f94f094bd98, 0xbc3f3e7e4ed6b2d6),
    (0x3ff0a68000000000, 0xbfa4668ed42ce3ea, 0x3c4f881a49f4bfc2),
    (0x3ff0950000000000, 0xbfa24b532103f34d, 0x3c465b9cea12d02a),
    (0x3ff0840000000000, 0xbfa03d5d85e73eef, 0xbc22c1da539d60ed),
    (0x3ff0730000000000, 0xbf9c5a92e1629a74, 0xbc36a4308a1af991),
    (0x3ff0628000000000, 0xbf9855651606f10a, 0xbc323eadef6e78ee),
    (0x3ff0518000000000, 0xbf942cc921478887, 0xbc1acc943ed3603d),
    (0x3ff0410000000000, 0xbf901f5658735842, 0x3c06c8368a59d82f),
    (0x3ff0308000000000, 0xbf881b889ebf9f2d, 0x3c0cf13b24d1bbcb),
    (0x3ff0208000000000, 0xbf802f953785813a, 0x3c1bf5a90a595ffd),
    (0x3ff0100000000000, 0xbf6ff00aa2b10bc0, 0xbc02821ad5a6d353),
    (0x3ff0000000000000, 0x0000000000000000, 0x0000000000000000),
    (0x3fefc00000000000, 0x3f8010157588de71, 0x3c146662d417ced0),
    (0x3fef820000000000, 0x3f8fbea8b13c03d9, 0x3c127b17e4e134e1),
    (0x3fef440000000000, 0x3f97c61b1cf5dee0, 0x3c3b83db2ddc8012),
    (0x3fef080000000000, 0x3f9f7a9b16782856, 0xbc336c720c147756),
    (0x3feecc0000000000, 0x3fa39f07ba0ebd62, 0x3c44eb2172bbbf58),
    (0x3fee910000000000, 0x3fa77798f8d6dfd9, 0xbc483e4ae01af5aa),
    (0x3fee570000000000, 0x3fab46bd74da7698, 0x3c24438ade670a10),
    (0x3fee1e0000000000, 0x3faf0c30c1116351, 0x3c194ee90500a333),
    (0x3fede60000000000, 0x3fb163d6ef957a03, 0x3c33f1c9c64537c0),
    (0x3fedae0000000000, 0x3fb345179b63dd42, 0x3c0e9b0a868391a8),
    (0x3fed780000000000, 0x3fb518874226130a, 0x3c3d96258b3d8a8f),
    (0x3fed420000000000, 0x3fb6ef528c056a2c, 0xbc58b5d9f2b77346),
    (0x3fed0d0000000000, 0x3fb8c0b5d97a1585, 0x3c42e4bdd36ff7c5),
    (0x3fecd80000000000, 0x3fba956d3ecade63, 0x3c5e5300b12bd55e),
    (0x3feca50000000000, 0x3fbc5ba492f840cb, 0xbc509d2b4beeac70),
    (0x3fec720000000000, 0x3fbe2507702af03b, 0x3c50cff5bbb6e609),
    (0x3fec400000000000, 0x3fbfe89139dbd566, 0xbc5ac9f4215f9393),
    (0x3fec0e0000000000, 0x3fc0d79e7cd48e5a, 0x3c41423c24f1d3c1),
    (0x3febdd0000000000, 0x3fc1b7f2d5cba843, 0xbc439093de035bfc),
    (0x3febad0000000000, 0x3fc29532f823f523, 0xbc67a92b8e6bc685),
    (0x3feb7d0000000000, 0x3fc373f423fed9a1, 0x3c0d9d58bfd28e32),
    (0x3feb4f0000000000, 0x3fc44adb72246ca2, 0xbc6d141b68092ab9),
    (0x3feb200000000000, 0x3fc527e5e4a1b58d, 0xbc271a9682395bfd),
    (0x3feaf30000000000, 0x3fc5fcf075b784a4, 0xbc212b59e9e085f2),
    (0x3feac50000000000, 0x3fc6d827eb7c1e5a, 0xbc66643d054f567c),
    (0x3fea990000000000, 0x3fc7ab390229d8ff, 0xbc63b0975fec68d7),
    (0x3fea6d0000000000, 0x3fc87fa865210911, 0xbc6b4d530cf5e289),
    (0x3fea420000000000, 0x3fc9509aa0044f8f, 0x3c59d6d34d717c19),
    (0x3fea170000000000, 0x3fca22e42098f496, 0x3c423a8e722bdaf8),
    (0x3fe9ed0000000000, 0x3fcaf1995349b1fe, 0x3c4beeb7281e782c),
    (0x3fe9c30000000000, 0x3fcbc19e74ffcbd8, 0x3c4dfdd15ef90f45),
    (0x3fe99a0000000000, 0x3fcc8df7cb9a8f77, 0x3c50bd63879b9fb6),
    (0x3fe9710000000000, 0x3fcd5b996b97fb5e, 0x3c57324006fcf195),
    (0x3fe9490000000000, 0x3fce2577709bedd0, 0xbc4f7f29228abb50),
    (0x3fe9210000000000, 0x3fcef095cbde9936, 0x3c3431d0e86b06cb),
    (0x3fe8fa0000000000, 0x3fcfb7d86eee3b90, 0xbc48736e025ebdae),
    (0x3fe8d30000000000, 0x3fd0402994b4f041, 0xbc61e41764fa571c),
    (0x3fe8ad0000000000, 0x3fd0a26ce37c0ee8, 0x3c7b98ee5e2a1552),
    (0x3fe8870000000000, 0x3fd10547f9d26abc, 0xbc7f7da9802cbd74),
    (0x3fe8620000000000, 0x3fd1661caecb9ba4, 0xbc7fff9fc4aba901),
    (0x3fe83d0000000000, 0x3fd1c784c3bcb34c, 0x3c55643af21e4262),
    (0x3fe8180000000000, 0x3fd22981fbef797b, 0xbc40b04ac06cebe0),
    (0x3fe7f40000000000, 0x3fd2896a13e086a4, 0xbc72fd81e96ad9cf),
    (0x3fe7d00000000000, 0x3fd2e9e2bce12286, 0x3c18251a3b83d97a),
    (0x3fe7ad0000000000, 0x3fd348399ada9d94, 0x3c6a9a322c9533a0),
    (0x3fe78a0000000000, 0x3fd3a71c56bb48c6, 0x3c61bed6a2120b29),
    (0x3fe7680000000000, 0x3fd403d086cea79c, 0xbc70a8bb78cf7cda),
    (0x3fe7460000000000, 0x3fd4610bc29c5e18, 0xbc664f9886472e95),
];

/// Zeros, infinities, NaN, `x = 1` and negative `x`.
#[cold]
fn special(x: f64, y: f64) -> f64 {
    if y == 0.0 || x == 1.0 {
        return 1.0;
    }
    if x > 0.0 && x < f64::MIN_POSITIVE && y.is_finite() {
        // Subnormal: x 2^52 is normal.
        return pow_positive((x * pow2_f64(52)).to_bits(), -52.0, y);
    }
    if x < 0.0 && x > f64::NEG_INFINITY && y.is_finite() {
        // (-a)^y = a^y for even integer y, -(a^y) for odd, NaN otherwise.
        if libm::trunc(y) != y {
            return f64::NAN;
        }
        let odd = y.abs() < 9_007_199_254_740_992.0 && (y as i64) & 1 == 1;
        let m = pow_f64(-x, y);
        return if odd { -m } else { m };
    }
    // What remains has an exact value IEEE 754 states (0, infinity, 1,
    // NaN), which the `libm` crate gives.
    libm::pow(x, y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::testing::{Mix, ulps64};

    #[test]
    fn pow_is_within_1_ulp_of_libm_over_the_range() {
        let mut rng = Mix(37);
        let mut worst = (0u64, 0.0f64, 0.0f64);
        for _ in 0..300_000 {
            let x = f64::from_bits(rng.next() % 0x7ff0_0000_0000_0000);
            // y so that x^y spans the finite range, and small y.
            let lx = libm::log(x).abs().max(1e-300);
            let y = (rng.unit() - 0.5) * 1500.0 / lx;
            for (x, y) in [
                (x, y),
                (1.0 + (rng.unit() - 0.5) * 1e-3, (rng.unit() - 0.5) * 1e6),
                (rng.unit() * 10.0, (rng.unit() - 0.5) * 40.0),
            ] {
                let (ours, want) = (pow_f64(x, y), libm::pow(x, y));
                let d = ulps64(ours, want);
                if d > worst.0 {
                    worst = (d, x, y);
                }
            }
        }
        assert!(worst.0 <= 1, "{worst:?}");
    }

    #[test]
    fn pow_special_cases_are_ieee_754s() {
        let values = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            -0.5,
            2.0,
            -2.0,
            3.0,
            -3.0,
            2.5,
            -2.5,
            1e300,
            -1e300,
            5e-324,
            -5e-324,
            9_007_199_254_740_993.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        for x in values {
            for y in values {
                let (ours, want) = (pow_f64(x, y), libm::pow(x, y));
                // Exact values exactly (0, infinities, 1, NaN, powers of
                // two); the others (sqrt(2) at 0.5^-0.5) within an ulp.
                let exact = want == 0.0 || !want.is_finite() || want.abs() == 1.0;
                assert!(
                    ours.to_bits() == want.to_bits()
                        || (ours.is_nan() && want.is_nan())
                        || (!exact && ulps64(ours, want) <= 1),
                    "pow({x:e}, {y:e}) = {ours:e}, want {want:e}"
                );
            }
        }
        assert_eq!(pow_f64(2.0, 10.0), 1024.0);
        assert_eq!(pow_f64(-2.0, 3.0), -8.0);
        assert_eq!(pow_f64(10.0, -2.0), 0.01);
        assert_eq!(pow_f64(2.0, -1074.0), 5e-324);
        assert_eq!(pow_f64(2.0, 1024.0), f64::INFINITY);
    }
}
