//! The hyperbolic functions hotloop computes itself, on its own `exp` and
//! `ln`: `sinh`, `cosh` and `acosh` (the `libm` crate's were 1.5x, 1.3x and
//! 3.4x glibc's time).

use super::exp::{exp_parts_f64, half_exp_f64};
use super::{horner, ln_f64, sqrt_f64};

/// `sinh x` for f64, within 0.74 ulp of the exact value (measured; see
/// `hotloop_core::Real`).
///
/// Below 0.75, the odd Taylor series to `x^19` (truncated below `2^-64`);
/// below 22, `(e^x - e^-x) / 2` with `e^x` as two doubles from `exp`'s table
/// and the difference taken exactly; beyond, `e^x / 2` (`e^-x` is below
/// the last bit), finite up to 710.47.
#[inline]
pub fn sinh_f64(x: f64) -> f64 {
    let a = x.abs();
    let y = if a < 0.75 {
        let z = a * a;
        a + a * (z * horner(&SINH_TAYLOR, z))
    } else if a < 22.0 {
        let (h, l) = exp_parts_f64(a);
        // 1 / (h + l) = inv (1 - l inv), to within 2^-100.
        let inv = 1.0 / h;
        let d = h - inv;
        let e = (h - d) - inv;
        (d + (e + (l + l * inv * inv))) * 0.5
    } else {
        half_exp_f64(a) // NaN included
    };
    f64::from_bits(y.to_bits() | (x.to_bits() & (1 << 63)))
}

/// `cosh x` for f64 (measured error in `hotloop_core::Real`'s docs):
/// below 22, `(e^x + e^-x) / 2` with `e^x` as two doubles and the sum taken
/// exactly; beyond, `e^x / 2`, finite up to 710.47.
#[inline]
pub fn cosh_f64(x: f64) -> f64 {
    let a = x.abs();
    if a < 22.0 {
        let (h, l) = exp_parts_f64(a);
        // 1 / (h + l) = inv (1 - l inv), as in `sinh_f64`; h >= 1 >= inv.
        let inv = 1.0 / h;
        let d = h + inv;
        let e = (h - d) + inv;
        (d + (e + (l - l * inv * inv))) * 0.5
    } else {
        half_exp_f64(a) // NaN included
    }
}

/// `(sinh x - x) / x^3` as a series in `x^2`: `1/3!, 1/5!, ..., 1/19!`
/// (each rounded once: the factorials are exact in f64).
const SINH_TAYLOR: [f64; 9] = [
    1.0 / 6.0,
    1.0 / 120.0,
    1.0 / 5_040.0,
    1.0 / 362_880.0,
    1.0 / 39_916_800.0,
    1.0 / 6_227_020_800.0,
    1.0 / 1_307_674_368_000.0,
    1.0 / 355_687_428_096_000.0,
    1.0 / 121_645_100_408_832_000.0,
];

/// `acosh x` for f64, within 1.88 ulp of the exact value below 2 and 1.22
/// above (measured; see `hotloop_core::Real`); NaN below 1.
///
/// Below 2, `ln_1p(t + sqrt(t^2 + 2t))` with `t = x - 1` exact (the
/// `libm` crate's `log1p`); below `2^26`, `ln(x + sqrt(x^2 - 1))` (the
/// `libm` crate's `2x - 1 / (x + sqrt(x^2 - 1))` is 0.2 ulp closer and a
/// third slower: a division beside the square root); beyond, `ln 2x` (the
/// rest is below the last bit).
#[inline]
pub fn acosh_f64(x: f64) -> f64 {
    if x < 2.0 {
        if x < 1.0 {
            return f64::NAN;
        }
        let t = x - 1.0;
        return libm::log1p(t + sqrt_f64(t * t + 2.0 * t));
    }
    if x < 67_108_864.0 {
        return ln_f64(x + sqrt_f64(x * x - 1.0));
    }
    if x < f64::MAX / 2.0 {
        ln_f64(2.0 * x)
    } else {
        ln_f64(x) + core::f64::consts::LN_2 // +inf and NaN pass
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::math::testing::{Mix, worst};
    use std::vec::Vec;

    /// Points for `sinh` and `cosh`: about 0, over the exp path, up to and
    /// past the overflow, and tiny.
    fn sinh_cosh_points(seed: u64) -> Vec<f64> {
        let mut rng = Mix(seed);
        (0..300_000)
            .flat_map(|_| {
                [
                    (rng.unit() - 0.5) * 2.0,
                    (rng.unit() - 0.5) * 50.0,
                    700.0 + rng.unit() * 10.5,
                    rng.unit() * 1e-9,
                ]
            })
            .collect()
    }

    #[test]
    fn sinh_is_within_2_ulp_of_std_and_odd() {
        let points = sinh_cosh_points(23);
        let worst = worst(points.iter().copied(), sinh_f64, libm::sinh);
        for &x in &points {
            assert_eq!(sinh_f64(-x).to_bits(), (-sinh_f64(x)).to_bits());
        }
        assert!(worst.0 <= 2, "{worst:?}");
        assert_eq!(sinh_f64(0.0).to_bits(), 0);
        assert_eq!(sinh_f64(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(sinh_f64(5e-324), 5e-324);
        assert_eq!(sinh_f64(710.4), libm::sinh(710.4));
        assert_eq!(sinh_f64(710.5), f64::INFINITY);
        assert_eq!(sinh_f64(f64::NEG_INFINITY), f64::NEG_INFINITY);
        assert!(sinh_f64(f64::NAN).is_nan());
    }

    #[test]
    fn cosh_is_within_1_ulp_of_std_and_even() {
        let points = sinh_cosh_points(41);
        let worst = worst(points.iter().copied(), cosh_f64, libm::cosh);
        for &x in &points {
            assert_eq!(cosh_f64(-x).to_bits(), cosh_f64(x).to_bits());
        }
        assert!(worst.0 <= 1, "{worst:?}");
        assert_eq!(cosh_f64(0.0), 1.0);
        assert_eq!(cosh_f64(710.4), libm::cosh(710.4));
        assert_eq!(cosh_f64(710.5), f64::INFINITY);
        assert_eq!(cosh_f64(f64::NEG_INFINITY), f64::INFINITY);
        assert!(cosh_f64(f64::NAN).is_nan());
    }

    #[test]
    fn acosh_is_within_2_ulp_of_std_and_nan_below_1() {
        let mut rng = Mix(29);
        let points: Vec<f64> = (0..300_000)
            .flat_map(|_| {
                [
                    1.0 + rng.unit(),
                    1.0 + rng.unit() * 1e-10,
                    2.0 + rng.unit() * 1e3,
                    f64::from_bits(0x3ff0_0000_0000_0000 + (rng.next() % (0x7fe << 52))),
                ]
            })
            .collect();
        let worst = worst(points.iter().copied(), acosh_f64, libm::acosh);
        assert!(worst.0 <= 2, "{worst:?}");
        assert_eq!(acosh_f64(1.0).to_bits(), 0);
        assert_eq!(acosh_f64(f64::MAX), libm::acosh(f64::MAX));
        assert_eq!(acosh_f64(f64::INFINITY), f64::INFINITY);
        for x in [0.999_999, 0.0, -1.0, -5.0, f64::NEG_INFINITY, f64::NAN] {
            assert!(acosh_f64(x).is_nan(), "{x}");
        }
    }
}
