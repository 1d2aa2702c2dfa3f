//! The error function and its complement, hotloop's own for f64 (the
//! `libm` crate's were 1.6x glibc's time: two calls of its slower `exp`).
//!
//! Below 0.84375, `erf x = x + x y(x^2)` from one polynomial. Above,
//! `erfc x = e^(-x^2) g(x)`: `x^2` as an exact sum of two doubles, one call
//! of hotloop's `exp`, and `g` from one of five polynomials (in `x` up to 2,
//! in `1/x^2` beyond: `g` tends to `1 / (x sqrt(pi))`). `erf = 1 - erfc`
//! there. The polynomials are Chebyshev interpolants (mpmath, 120 bits),
//! each within `2^-57` of its function (`2^-55.5` the first) with its
//! coefficients rounded to f64 but the constant term, kept as two.

use super::exp::exp_parts_f64;
use super::{exp_f64, horner};

/// `erf x` for f64, within 0.91 ulp of the exact value (measured; see
/// `hotloop_core::Real`).
#[inline]
pub fn erf_f64(x: f64) -> f64 {
    let a = x.abs();
    let y = if a < 0.84375 {
        a + a * small(a * a)
    } else if a < 6.0 {
        // erfc(a) < 0.24: its error is a quarter of an ulp of 1 - erfc.
        1.0 - erfc_tail(a)
    } else if a.is_nan() {
        return x;
    } else {
        1.0 // 1 - erfc(6) rounds to 1
    };
    f64::from_bits(y.to_bits() | (x.to_bits() & (1 << 63)))
}

/// `erfc x = 1 - erf x` for f64, within 2.56 ulp of the exact value
/// (measured; see `hotloop_core::Real`), to its underflow near 27.2.
#[inline]
pub fn erfc_f64(x: f64) -> f64 {
    let a = x.abs();
    if a < 0.84375 {
        // erf x = x + x y, odd.
        let xy = x * small(a * a);
        // The roundings before the last kept small against the result:
        // x - 0.5 is exact from 0.25, 1 - x from 0.5.
        return if x < 0.25 {
            1.0 - (x + xy)
        } else if x < 0.5 {
            0.5 - ((x - 0.5) + xy)
        } else {
            (1.0 - x) - xy
        };
    }
    if a < 28.0 {
        let t = erfc_tail(a);
        return if x < 0.0 { 2.0 - t } else { t };
    }
    if x > 0.0 {
        0.0
    } else if x < 0.0 {
        2.0
    } else {
        x // NaN
    }
}

/// `erf(sqrt z) / sqrt z - 1` for `z` in `[0, 0.84375^2]`.
#[inline(always)]
fn small(z: f64) -> f64 {
    let (c0, c0_lo) = SMALL.c0;
    (c0 - 1.0) + (c0_lo + z * horner(&SMALL.c, z))
}

/// `erfc a` for `a` in `[0.84375, 28)`: `e^(-a^2) g(a)`.
#[inline(always)]
fn erfc_tail(a: f64) -> f64 {
    // a^2 = h + l exactly (Dekker's product: a split into two 26-bit
    // halves, no fused multiply-add), and e^-(h + l) = e^-h (1 - l) to
    // within l^2 < 2^-86.
    let h = a * a;
    const SPLIT: f64 = 134_217_729.0; // 2^27 + 1
    let c = SPLIT * a;
    let (ah, al) = (c - (c - a), a - (c - (c - a)));
    let l = ((ah * ah - h) + 2.0 * ah * al) + al * al;
    let g = if a < 1.25 {
        G1.at(a - 1.0)
    } else if a < 2.0 {
        G2.at(a - 1.625)
    } else {
        // g = F(1/a^2) / a (F is flat: 1/h is as good as 1/a^2 for it).
        let t = 1.0 / h;
        let f = if a < 3.0 {
            F1.at(t - 0.17)
        } else if a < 6.0 {
            F2.at(t - 0.0625)
        } else {
            F3.at(t - 0.015)
        };
        f / a
    };
    if a < 26.0 {
        // e^-(h + l) as two doubles (normal here): e^-h's, the second
        // less e^-h l.
        let (eh, el) = exp_parts_f64(-h);
        eh * g + (el - eh * l) * g
    } else {
        exp_f64(-h) * (g - g * l) // near the underflow: subnormal results
    }
}

/// A polynomial `c0 + c[0] u + c[1] u^2 + ...` with its constant term as
/// two doubles.
struct Fit<const N: usize> {
    c0: (f64, f64),
    c: [f64; N],
}

impl<const N: usize> Fit<N> {
    #[inline(always)]
    fn at(&self, u: f64) -> f64 {
        self.c0.0 + (self.c0.1 + u * horner(&self.c, u))
    }
}

/// `erf(sqrt z) / sqrt z` in `z`, on `[0, 0.84375^2]` (degree 11).
const SMALL: Fit<11> = Fit {
    c0: (
        f64::from_bits(0x3ff20dd750429b6d),
        f64::from_bits(0x3c7184ae821fc052),
    ),
    c: [
        f64::from_bits(0xbfd812746b0379e6),
        f64::from_bits(0x3fbce2f21a042acf),
        f64::from_bits(0xbf9b82ce31281a71),
        f64::from_bits(0x3f7565bcd0ceb1d7),
        f64::from_bits(0xbf4c02db3a033205),
        f64::from_bits(0x3f1f9a317b0dcb87),
        f64::from_bits(0xbeef4d0c17daf57f),
        f64::from_bits(0x3ebb9c9ed1d47fd5),
        f64::from_bits(0xbe85e1b368bdf09e),
        f64::from_bits(0x3e4e819bbd6706fe),
        f64::from_bits(0xbe0e82ab4a2799ad),
    ],
};

/// `g(x) = erfc(x) e^(x^2)` in `x - 1`, on `[0.84375, 1.25]` (degree 12).
const G1: Fit<12> = Fit {
    c0: (
        f64::from_bits(0x3fdb5d8780f956b2),
        f64::from_bits(0x3c57a3ea3397be19),
    ),
    c: [
        f64::from_bits(0xbfd17c4e3f17c051),
        f64::from_bits(0x3fc3c27283c32ccf),
        f64::from_bits(0xbfb44837f8906344),
        f64::from_bits(0x3fa33cad0ef585cf),
        f64::from_bits(0xbf910fcf1b7c5983),
        f64::from_bits(0x3f7c8cb95b893e6e),
        f64::from_bits(0xbf66af25f53bebd2),
        f64::from_bits(0x3f5135220763f160),
        f64::from_bits(0xbf39087f840e33a7),
        f64::from_bits(0x3f218a7079ef7763),
        f64::from_bits(0xbf079e33a20a8ad4),
        f64::from_bits(0x3ee9dbd1d09181cc),
    ],
};

/// `g` in `x - 1.625`, on `[1.25, 2]` (degree 14).
const G2: Fit<14> = Fit {
    c0: (
        f64::from_bits(0x3fd3583f6644327b),
        f64::from_bits(0xbc788eb8ebfdccae),
    ),
    c: [
        f64::from_bits(0xbfc2b11e6959934d),
        f64::from_bits(0x3fb0a15ac2adab35),
        f64::from_bits(0xbf9ba018e64278ac),
        f64::from_bits(0x3f85a142948a96d0),
        f64::from_bits(0xbf7014eae28d0450),
        f64::from_bits(0x3f56d609f6b58f9f),
        f64::from_bits(0xbf3f1b43be885071),
        f64::from_bits(0x3f2465ecc645afac),
        f64::from_bits(0xbf09d62df8acc348),
        f64::from_bits(0x3eefafd4f8a3cc0b),
        f64::from_bits(0xbed2d7e8d1a33abc),
        f64::from_bits(0x3eb5ceba066057b1),
        f64::from_bits(0xbe99927ecc2742ad),
        f64::from_bits(0x3e7c10979c4f1d83),
    ],
};

/// `x g(x)` in `1/x^2 - 0.17`, for `x` in `[2, 3]` (degree 14).
const F1: Fit<14> = Fit {
    c0: (
        f64::from_bits(0x3fe0cd800626a548),
        f64::from_bits(0xbc6e114b7b901cce),
    ),
    c: [
        f64::from_bits(0xbfc87c0845348221),
        f64::from_bits(0x3fc63b1ac9d46b27),
        f64::from_bits(0xbfccf58250fa4029),
        f64::from_bits(0x3fd746cd38def173),
        f64::from_bits(0xbfe591354f94d69b),
        f64::from_bits(0x3ff62e606b75af10),
        f64::from_bits(0xc008bb370076243b),
        f64::from_bits(0x401d6c6ea6b6752a),
        f64::from_bits(0xc0327707ea936a16),
        f64::from_bits(0x404836e1c2d6632b),
        f64::from_bits(0xc06088b424b9ce03),
        f64::from_bits(0x40783a2fc90e7971),
        f64::from_bits(0xc09263b15cf28d5e),
        f64::from_bits(0x40a2995f15a6f723),
    ],
};

/// `x g(x)` in `1/x^2 - 0.0625`, for `x` in `[3, 6]` (degree 14).
const F2: Fit<14> = Fit {
    c0: (
        f64::from_bits(0x3fe18932bf08e154),
        f64::from_bits(0x3c80f96e494dd463),
    ),
    c: [
        f64::from_bits(0xbfce9412fa33c73f),
        f64::from_bits(0x3fd2341cce86ee4c),
        f64::from_bits(0xbfe09e7229039da1),
        f64::from_bits(0x3ff3b590f0895850),
        f64::from_bits(0xc00c130402f67516),
        f64::from_bits(0x4026f505af1c3242),
        f64::from_bits(0xc044f07b98778fcc),
        f64::from_bits(0x4064e213b7a3b498),
        f64::from_bits(0xc08670bcca6a26cc),
        f64::from_bits(0x40a9a7b17359c102),
        f64::from_bits(0xc0cf21027e275e39),
        f64::from_bits(0x40f4c48b2a304cc0),
        f64::from_bits(0xc11c8425207001a2),
        f64::from_bits(0x4138e010942912f2),
    ],
};

/// `x g(x)` in `1/x^2 - 0.015`, for `x` in `[6, 28]` (degree 10).
const F3: Fit<10> = Fit {
    c0: (
        f64::from_bits(0x3fe1ebedec61d2e5),
        f64::from_bits(0x3c6dddceefd38838),
    ),
    c: [
        f64::from_bits(0xbfd148cd200dd0a5),
        f64::from_bits(0x3fd85282c095b7c4),
        f64::from_bits(0xbfebc5de1bba8462),
        f64::from_bits(0x4005a33d7ff79144),
        f64::from_bits(0xc025252a193e17fd),
        f64::from_bits(0x4048a9023a58e5de),
        f64::from_bits(0xc0709a4e95d98b34),
        f64::from_bits(0x409934ab0996f369),
        f64::from_bits(0xc0c5df92b6eec670),
        f64::from_bits(0x40f526ca7d3c5cdb),
    ],
};

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::math::testing::{Mix, ulps64, worst};
    use std::vec::Vec;

    #[test]
    fn erf_and_erfc_are_near_libm_and_keep_their_symmetries() {
        let mut rng = Mix(31);
        let points: Vec<f64> = (0..300_000)
            .flat_map(|_| {
                [
                    (rng.unit() - 0.5) * 2.0,
                    (rng.unit() - 0.5) * 14.0,
                    rng.unit() * 28.0,
                    (rng.unit() - 0.5) * 1e-6,
                ]
            })
            .collect();
        let worst_c = worst(points.iter().copied(), erfc_f64, libm::erfc);
        let worst = worst(points.iter().copied(), erf_f64, libm::erf);
        for &x in &points {
            assert_eq!(erf_f64(-x).to_bits(), (-erf_f64(x)).to_bits());
        }
        // Both are a couple of ulp from the exact values at worst.
        assert!(worst.0 <= 2 && worst_c.0 <= 4, "{worst:?} {worst_c:?}");
        assert_eq!(erf_f64(0.0).to_bits(), 0);
        assert_eq!(erf_f64(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(erf_f64(5e-324), libm::erf(5e-324));
        assert_eq!(erf_f64(f64::INFINITY), 1.0);
        assert_eq!(erf_f64(f64::NEG_INFINITY), -1.0);
        assert_eq!(erfc_f64(0.0), 1.0);
        assert_eq!(erfc_f64(f64::INFINITY), 0.0);
        assert_eq!(erfc_f64(30.0), 0.0);
        assert_eq!(erfc_f64(-30.0), 2.0);
        assert_eq!(erfc_f64(f64::NEG_INFINITY), 2.0);
        assert!(erf_f64(f64::NAN).is_nan() && erfc_f64(f64::NAN).is_nan());
        // Subnormal results just above the underflow.
        assert!(ulps64(erfc_f64(27.0), libm::erfc(27.0)) <= 1);
    }
}
