//! `x^y` for f64, hotloop's own (the `libm` crate's was 3.5x glibc's
//! time): `e^(y ln x)` with `ln x` and the product as two doubles each,
//! every product exact by construction (short factors) rather than by a
//! fused multiply-add, which not every target rounds alike.

use super::exp::exp_sum_f64;
use super::log::{LN_N, LN_OFF, LN2_HI_F64, LN2_LO_F64};
use super::pow2_f64;

/// `x^y` for f64, within 0.52 ulp of the exact value, 0.64 for `x` near 1
/// to a large power (measured; see `hotloop_core::Real`), with C99's and IEEE 754's special cases
/// (`x^0 = 1` and `1^y = 1` even for NaN; a negative `x` to an integer
/// power; `0`, infinities and NaN).
#[inline]
pub fn pow_f64(x: f64, y: f64) -> f64 {
    // x positive, normal and finite, y finite, as integer compares, and
    // not 1 (whose ln would not come out exactly 0 below).
    let (ix, iy) = (x.to_bits(), y.to_bits());
    const NORMAL: u64 = 0x0010_0000_0000_0000;
    if ix.wrapping_sub(NORMAL) < 0x7ff0_0000_0000_0000 - NORMAL
        && iy << 1 < 0xffe0 << 48
        && x != 1.0
    {
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
/// 700 times `ln x`.
///
/// `x = 2^k z` as `ln_f64` cuts it, but `1/c` from [`POW_TABLE`], a
/// multiple of `2^-13`: with `z` cut to its top 19 bits, `zh / c - 1` is
/// exact and has at most 26 bits, so its square is exact too; the rest of
/// `z` adds a small `rl`. Then `ln(1 + r) = rh - rh^2/2 + rl (1 - rh -
/// rl/2) + r^3 T(r)`, Taylor's series (`|r| < 0.0040`: truncated below
/// `2^-75`), `rl` added to `hi` exactly. Not renormalized.
#[inline(always)]
fn ln_parts(ix: u64, dk: f64) -> (f64, f64) {
    let tmp = ix.wrapping_sub(LN_OFF);
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
    // k ln2 + ln c + (rh - rh^2/2) by fast two-sums: |k ln2| > |ln c|
    // unless k = 0; |ln c| >= |rh - rh^2/2| but in the row below 1, where
    // c = 1, ln c = 0 and the sum is exact; |rh| > rh^2/2.
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
    let tail = (r2 * r) * t - rl * (rh + 0.5 * rl);
    // rl itself (up to 2^-20) joins hi exactly: in lo its rounding would
    // be 2^-73, which y (up to 1e6 for x near 1) would make 0.5 ulp.
    let (h, e3) = two_sum(hi, rl);
    // One chain of additions, those known first first: a tree of them
    // would be vectorized into shuffles.
    (
        h,
        (((((llo + kd * LN2_LO_F64) + e1) + eu) + e2) + e3) + tail,
    )
}

/// `a + b` as the rounded sum and its exact error (Knuth's two-sum: no
/// order of size assumed).
#[inline(always)]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
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

/// Per row of `ln_f64`'s table (the same cut of `z`): `1/c` rounded to a
/// multiple of `2^-13`, and `ln c` for that `c` as two doubles (300 bits,
/// mpmath); `c = 1` for the row just below 1 (`z` in `[1 - 2^-8, 1)`),
/// where `|ln c|` would fall below `|r|`.
#[rustfmt::skip]
static POW_TABLE: [(u64, u64, u64); LN_N as usize] = [
    (0x3ff7350000000000, 0xbfd7cca97da6a214, 0x3c76643e0faa0e68),
    (0x3ff7138000000000, 0xbfd77003cb90ff75, 0xbc7f231a35f07a4a),
    (0x3ff6f28000000000, 0xbfd7143c3a08bfb5, 0x3c38ec4c5e354d50),
    (0x3ff6d18000000000, 0xbfd6b7f04ca63199, 0xbc5c69f9b7b25aec),
    (0x3ff6b18000000000, 0xbfd65df08c912f3a, 0x3c74bb4c19c2806e),
    (0x3ff6918000000000, 0xbfd603718a261140, 0x3c7e83a9fffaf4cf),
    (0x3ff6718000000000, 0xbfd5a871db80fd68, 0x3c7f60ab2ec0029e),
    (0x3ff6528000000000, 0xbfd54fce1ae4f083, 0xbc6126af6eb320b8),
    (0x3ff6338000000000, 0xbfd4f6aeeb4bf699, 0x3c69bbaf7e0dcd9c),
    (0x3ff6148000000000, 0xbfd49d12f30f5112, 0x3c7a2753d794d2e7),
    (0x3ff5f68000000000, 0xbfd445e2e0205d74, 0x3c467b43b8d73032),
    (0x3ff5d88000000000, 0xbfd3ee3b639a065c, 0x3c7fa9fc443cc53e),
    (0x3ff5ba8000000000, 0xbfd3961b34a16b81, 0xbc6087c4512b14c6),
    (0x3ff59d8000000000, 0xbfd340771270e9da, 0xbc70725e5d39124e),
    (0x3ff5808000000000, 0xbfd2ea5fbc671125, 0x3c4a97add5c64bdf),
    (0x3ff5638000000000, 0xbfd293d3faf1095f, 0x3c74502cbfb7dfcf),
    (0x3ff5470000000000, 0xbfd23e5398b931d0, 0xbc7d3331000bcafe),
    (0x3ff52b0000000000, 0xbfd1e9e3678891f4, 0xbc751d6e1f04c8fb),
    (0x3ff50f0000000000, 0xbfd195033b43fa99, 0xbc7c666783d93b26),
    (0x3ff4f38000000000, 0xbfd14138ef25357b, 0x3c7c47afa5ae511e),
    (0x3ff4d88000000000, 0xbfd0ee895fac2084, 0xbc4c4e153aeb104c),
    (0x3ff4bd0000000000, 0xbfd099e371c0bc82, 0x3c49f2684d93ab38),
    (0x3ff4a28000000000, 0xbfd047e70cde81b8, 0x3c707640deb4c766),
    (0x3ff4880000000000, 0xbfcfeb0233e607cc, 0xbc66e32d5e8c707f),
    (0x3ff46e0000000000, 0xbfcf488311d1b493, 0x3c6058a0d0c0c448),
    (0x3ff4540000000000, 0xbfcea5349e23ac0e, 0x3c5b2ce30cd2d061),
    (0x3ff43a0000000000, 0xbfce0114c533197f, 0x3c44990bcaac412f),
    (0x3ff4208000000000, 0xbfcd5f4f7dd1ee03, 0x3c43567a8c50cf03),
    (0x3ff4078000000000, 0xbfccbfeec9d9f852, 0xbc5b4a28eaf0447c),
    (0x3ff3ee8000000000, 0xbfcc1fc6aaf275a1, 0xbc658c3fd5f1f44e),
    (0x3ff3d60000000000, 0xbfcb820f2fc7e508, 0xbc677bcc3821db0f),
    (0x3ff3bd8000000000, 0xbfcae3946ec7c87c, 0xbc4b46060c70bdfd),
    (0x3ff3a50000000000, 0xbfca4454820d19fa, 0x3c589c33fab39712),
    (0x3ff38d0000000000, 0xbfc9a7938d209947, 0xbc663756352dcf6d),
    (0x3ff3758000000000, 0xbfc90d5bb91f79ec, 0x3c6e4e022034fb79),
    (0x3ff35e0000000000, 0xbfc8726935acac62, 0xbc6764c6465f6264),
    (0x3ff3468000000000, 0xbfc7d6ba3ca876d1, 0xbc69c66c1260cd47),
    (0x3ff32f8000000000, 0xbfc73da30679ee51, 0xbc65fd05e870840f),
    (0x3ff3188000000000, 0xbfc6a3d3daaeaf87, 0xbc677031bc37d594),
    (0x3ff3020000000000, 0xbfc60ca8fe8858af, 0xbc62287fa61504f0),
    (0x3ff2eb8000000000, 0xbfc574cac74dcbd3, 0xbc66bf4d957cf64e),
    (0x3ff2d50000000000, 0xbfc4dc378969b1c1, 0xbc5ad9bb79187618),
    (0x3ff2bf0000000000, 0xbfc446579dc223de, 0x3c6c2a5423d9a9f7),
    (0x3ff2a90000000000, 0xbfc3afc766c1e210, 0x3c52bf469fab63ca),
    (0x3ff2938000000000, 0xbfc31bf74d17cb96, 0x3c64a889b252be01),
    (0x3ff27e0000000000, 0xbfc2877bbc0b6ba6, 0x3c37205e9247dde8),
    (0x3ff2688000000000, 0xbfc1f25323fdb59c, 0x3c6b7bba62ed8bcb),
    (0x3ff2538000000000, 0xbfc15ffa01a562ff, 0x3c533b8c09d0a357),
    (0x3ff23e8000000000, 0xbfc0ccf8cb7a99d6, 0x3c5f18384109ec75),
    (0x3ff22a0000000000, 0xbfc03cd40a51ac0d, 0xbc62f3828ce0d1ff),
    (0x3ff2158000000000, 0xbfbf58187d7f7ddf, 0x3c5bbbaf1c4cd5d9),
    (0x3ff2010000000000, 0xbfbe353fec9a2699, 0x3c184447930b489e),
    (0x3ff1ed0000000000, 0xbfbd183f87ea737c, 0xbc546a84404a2c41),
    (0x3ff1d90000000000, 0xbfbbfa007672aa23, 0x3c5745a21d1323b7),
    (0x3ff1c50000000000, 0xbfbada7fec6ac801, 0xbc401a5d7c4daf48),
    (0x3ff1b18000000000, 0xbfb9c0f72d47dd49, 0x3c2312942a9beff8),
    (0x3ff19e0000000000, 0xbfb8a6377a915c29, 0x3c51296e6f9d7a43),
    (0x3ff18a8000000000, 0xbfb78a3e226a73c6, 0xbc51649411df8d79),
    (0x3ff1778000000000, 0xbfb6745c890b9269, 0xbc3c30219e1dedc6),
    (0x3ff1648000000000, 0xbfb55d4c04c2fb5d, 0xbc58958dd976109f),
    (0x3ff1518000000000, 0xbfb44509fe520b63, 0xbc5d1f2244eddaab),
    (0x3ff13f0000000000, 0xbfb332fff7bd1f18, 0xbc441527a4ec5456),
    (0x3ff12c8000000000, 0xbfb21fcf5c3e8c84, 0x3c552993d0364753),
    (0x3ff11a0000000000, 0xbfb10b75afd660c6, 0xbc37330e591f5790),
    (0x3ff1080000000000, 0xbfaffae9119b9303, 0xbc3ba13162a9c446),
    (0x3ff0f60000000000, 0xbfaddcaadb46ef1b, 0xbc109ab6f79cf161),
    (0x3ff0e40000000000, 0xbfabbc2bfc44f417, 0xbc3e5bafa0943c21),
    (0x3ff0d28000000000, 0xbfa9a89fa8df6c3b, 0x3c487a4bcf8c6fb2),
    (0x3ff0c08000000000, 0xbfa783a154a45ef9, 0x3c272d4f1724ba45),
    (0x3ff0af0000000000, 0xbfa56bac43ed7f9a, 0x3c25c8202e48debe),
    (0x3ff09e0000000000, 0xbfa360ebf5d83765, 0xbc49281d2d2c97b2),
    (0x3ff08c8000000000, 0xbfa1449bdd073e46, 0xbc479445c5cd28ef),
    (0x3ff07b8000000000, 0xbf9e6b2f20eda54f, 0x3c39ebcca90b3ac2),
    (0x3ff06a8000000000, 0xbf9a48e5337175d0, 0x3c3e2919c4d3b135),
    (0x3ff05a0000000000, 0xbf9641a176270d6f, 0xbc38ca45dca6d9e5),
    (0x3ff0498000000000, 0xbf92364b09c33f4e, 0xbc1aa1fb16e6ae7c),
    (0x3ff0390000000000, 0xbf8c4db352e6d472, 0x3c2f0d97312e07a1),
    (0x3ff0288000000000, 0xbf842689ee39ff66, 0x3c2267cc3fe9d925),
    (0x3ff0180000000000, 0xbf77ee11ebd82e94, 0x3c161e96e2fc5d90),
    (0x3ff0000000000000, 0x0000000000000000, 0x0000000000000000),
    (0x3fefe00000000000, 0x3f70080559588b35, 0x3c1f96638cf63677),
    (0x3fefa10000000000, 0x3f87e38762ca0c73, 0xbbeb5b9d2a6bfd31),
    (0x3fef630000000000, 0x3f93d0c443d725a8, 0x3c1c9e5eddd4a5dc),
    (0x3fef260000000000, 0x3f9b9e8027e1918e, 0xbc3bb4f4fcfb9727),
    (0x3feeea0000000000, 0x3fa1ad398c6cd588, 0xbc4b49716ef271a6),
    (0x3feeaf0000000000, 0x3fa5820bc10ef4f8, 0xbc37dc694696319d),
    (0x3fee740000000000, 0x3fa95e430f8ce45e, 0xbc367bb43a6e5d7f),
    (0x3fee3b0000000000, 0x3fad201b98392abd, 0xbc4430a9a7afffbc),
    (0x3fee020000000000, 0x3fb074883629640b, 0xbc451ee824c30c1f),
    (0x3fedca0000000000, 0x3fb254062f0a9417, 0xbbfaf40c3a9bab6d),
    (0x3fed930000000000, 0x3fb42e64bec266e7, 0x3c5c6f6d8a62a322),
    (0x3fed5d0000000000, 0x3fb60380ad426919, 0x3c5563656b2adeb6),
    (0x3fed270000000000, 0x3fb7dbfe6ea733ff, 0xbc39b0f7d9b24f2e),
    (0x3fecf20000000000, 0x3fb9af124d64c626, 0xbc44f5f8c466d77a),
    (0x3fecbe0000000000, 0x3fbb7c9832f5801a, 0x3c0358893be169bf),
    (0x3fec8b0000000000, 0x3fbd446bd753d42c, 0x3c5aefb328dcc584),
    (0x3fec590000000000, 0x3fbf0668c73770a1, 0x3c41f678d9a6721a),
    (0x3fec270000000000, 0x3fc065c1148de64f, 0xbc6d00e40bbecdd7),
    (0x3febf60000000000, 0x3fc1454d8953741c, 0x3c66f103ed5fdcea),
    (0x3febc50000000000, 0x3fc22663190aeacb, 0x3c6d147c1a009b7f),
    (0x3feb950000000000, 0x3fc304631931100b, 0xbc56c993046c8617),
    (0x3feb660000000000, 0x3fc3df3ab13505f7, 0xbc68a4f7c9ebdc82),
    (0x3feb370000000000, 0x3fc4bb8af55de905, 0x3c22d1cb8ed0a1e6),
    (0x3feb090000000000, 0x3fc5949cdb87341c, 0xbc5bca6621fbeb01),
    (0x3feadc0000000000, 0x3fc66a5d42a3ad34, 0x3c6267540052ff1d),
    (0x3feaaf0000000000, 0x3fc74184f58cc7dd, 0xbc689d029424e731),
    (0x3fea830000000000, 0x3fc81544a17f67c4, 0x3c38949310be1ff1),
    (0x3fea570000000000, 0x3fc8ea64e00e7fc3, 0xbc65ab5650e475a6),
    (0x3fea2c0000000000, 0x3fc9bc062f26fc3a, 0x3c6b03013cda9bfc),
    (0x3fea020000000000, 0x3fca8a14ffee66bd, 0x3c6f2ba95e8bb64b),
    (0x3fe9d80000000000, 0x3fcb5971a213acdb, 0xbc6e2f8aadc42f8f),
    (0x3fe9ae0000000000, 0x3fcc2a205610593f, 0x3c6839904bfa522d),
    (0x3fe9850000000000, 0x3fccf7214ee356e8, 0xbc627f419722637f),
    (0x3fe95d0000000000, 0x3fcdc060a284f924, 0xbc256288c887655b),
    (0x3fe9350000000000, 0x3fce8ade53f76865, 0x3c690b43e1557544),
    (0x3fe90d0000000000, 0x3fcf569e58c91075, 0xbc68b56ba84c2376),
    (0x3fe8e60000000000, 0x3fd00f40470c7324, 0x3c6a5f3a45f05206),
    (0x3fe8c00000000000, 0x3fd07138604d5862, 0x3c7cdb16ed4e9138),
    (0x3fe89a0000000000, 0x3fd0d3c7586cd5e4, 0x3c6642610bcbfdce),
    (0x3fe8740000000000, 0x3fd136ef02e8290c, 0xbc560c396093faf8),
    (0x3fe84f0000000000, 0x3fd1980f2dd42b6f, 0x3c79de7c5bcf7bf3),
    (0x3fe82a0000000000, 0x3fd1f9c39f74c557, 0x3c7515541d5d6c35),
    (0x3fe8060000000000, 0x3fd2596410df963a, 0xbc4f442de36410f7),
    (0x3fe7e20000000000, 0x3fd2b9943b06bd76, 0xbc04c4833124d84e),
    (0x3fe7bf0000000000, 0x3fd317a3ca9fc6be, 0xbc79ef02c8b19631),
    (0x3fe79c0000000000, 0x3fd3763e64645463, 0xbc6c1adc46953834),
    (0x3fe7790000000000, 0x3fd3d565a5c5bf10, 0x3c7942fddaf77a5b),
    (0x3fe7570000000000, 0x3fd4325d2aab6f16, 0x3c7cc877c687eab2),
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
