//! The math library on `Real` against the platform's C library (glibc's
//! libm here, itself within 1 to a few ulp of the exact values by its own
//! documentation), over 100 000 points a function and type in each
//! function's domain: the largest distance in ulp, printed, and held to a
//! bound stated here (and in `hotloop_core::float`'s docs). The f32 forms
//! are also held to the f64 C function rounded to f32, a reference more
//! precise than either.

use hotloop_core::Real;

mod c {
    // The platform's libm, which std links on Linux.
    unsafe extern "C" {
        pub fn log(x: f64) -> f64;
        pub fn log2(x: f64) -> f64;
        pub fn log10(x: f64) -> f64;
        pub fn exp2(x: f64) -> f64;
        pub fn expm1(x: f64) -> f64;
        pub fn log1p(x: f64) -> f64;
        pub fn cbrt(x: f64) -> f64;
        pub fn sin(x: f64) -> f64;
        pub fn cos(x: f64) -> f64;
        pub fn tan(x: f64) -> f64;
        pub fn asin(x: f64) -> f64;
        pub fn acos(x: f64) -> f64;
        pub fn atan(x: f64) -> f64;
        pub fn sinh(x: f64) -> f64;
        pub fn cosh(x: f64) -> f64;
        pub fn tanh(x: f64) -> f64;
        pub fn asinh(x: f64) -> f64;
        pub fn acosh(x: f64) -> f64;
        pub fn atanh(x: f64) -> f64;
        pub fn erf(x: f64) -> f64;
        pub fn erfc(x: f64) -> f64;
        pub fn tgamma(x: f64) -> f64;
        pub fn lgamma(x: f64) -> f64;
        pub fn pow(x: f64, y: f64) -> f64;
        pub fn atan2(y: f64, x: f64) -> f64;
        pub fn hypot(x: f64, y: f64) -> f64;
    }
}

/// Distance in representable values (0 for equal values or two NaNs,
/// `u64::MAX` for one NaN).
fn ulps(a: f64, b: f64) -> u64 {
    if a.is_nan() || b.is_nan() {
        return if a.is_nan() && b.is_nan() {
            0
        } else {
            u64::MAX
        };
    }
    let key = |x: f64| {
        let b = x.to_bits() as i64;
        if b < 0 { i64::MIN - b } else { b }
    };
    key(a).abs_diff(key(b))
}

fn ulps32(a: f32, b: f32) -> u64 {
    if a.is_nan() || b.is_nan() {
        return if a.is_nan() && b.is_nan() {
            0
        } else {
            u64::MAX
        };
    }
    let key = |x: f32| {
        let b = x.to_bits() as i32;
        i64::from(if b < 0 { i32::MIN - b } else { b })
    };
    key(a).abs_diff(key(b))
}

/// Points a function is held to its bound at, per element type.
const POINTS: u64 = 1_000_000;

/// `POINTS` points over `[lo, hi]` from a fixed low-discrepancy sequence:
/// half spread evenly, half evenly in magnitude's logarithm (over the
/// domain's decades, both signs where it has both), so a domain of many
/// decades is sampled in each of them.
fn points(lo: f64, hi: f64) -> impl Iterator<Item = f64> {
    let top = lo.abs().max(hi.abs());
    let bottom = if lo > 0.0 {
        lo
    } else if hi < 0.0 {
        -hi
    } else {
        top * 1e-12
    };
    let (l0, l1) = (bottom.ln(), top.ln());
    (0..POINTS).map(move |i| {
        let u = (i as f64 * 0.618_033_988_749_894_9).fract();
        if i % 2 == 0 {
            return lo + (hi - lo) * u;
        }
        let v = (i as f64 * 0.754_877_666_246_692_7).fract();
        let m = (l0 + (l1 - l0) * u).exp();
        let x = if lo < 0.0 && (hi <= 0.0 || v < 0.5) {
            -m
        } else {
            m
        };
        x.clamp(lo, hi)
    })
}

/// Ours in f64, the C function, ours in f32.
type Pair = (
    fn(f64) -> f64,
    unsafe extern "C" fn(f64) -> f64,
    fn(f32) -> f32,
);
/// `(name, functions, domain, bound in f64, bound in f32)`.
type Case = (&'static str, Pair, (f64, f64), u64, u64);

fn unary() -> Vec<Case> {
    vec![
        ("ln", (Real::ln, c::log, Real::ln), (1e-300, 1e300), 1, 1),
        (
            "log2",
            (Real::log2, c::log2, Real::log2),
            (1e-300, 1e300),
            1,
            1,
        ),
        (
            "log10",
            (Real::log10, c::log10, Real::log10),
            (1e-300, 1e300),
            1,
            1,
        ),
        (
            "exp2",
            (Real::exp2, c::exp2, Real::exp2),
            (-1000.0, 1000.0),
            1,
            1,
        ),
        (
            "exp_m1",
            (Real::exp_m1, c::expm1, Real::exp_m1),
            (-40.0, 40.0),
            1,
            1,
        ),
        (
            "ln_1p",
            (Real::ln_1p, c::log1p, Real::ln_1p),
            (-0.999, 1e6),
            1,
            1,
        ),
        (
            "cbrt",
            (Real::cbrt, c::cbrt, Real::cbrt),
            (-1e300, 1e300),
            1,
            1,
        ),
        ("sin", (Real::sin, c::sin, Real::sin), (-100.0, 100.0), 1, 1),
        ("cos", (Real::cos, c::cos, Real::cos), (-100.0, 100.0), 1, 1),
        ("tan", (Real::tan, c::tan, Real::tan), (-1.5, 1.5), 1, 1),
        ("asin", (Real::asin, c::asin, Real::asin), (-1.0, 1.0), 1, 1),
        ("acos", (Real::acos, c::acos, Real::acos), (-1.0, 1.0), 1, 1),
        ("atan", (Real::atan, c::atan, Real::atan), (-1e6, 1e6), 1, 1),
        (
            "sinh",
            (Real::sinh, c::sinh, Real::sinh),
            (-80.0, 80.0),
            2,
            2,
        ),
        (
            "cosh",
            (Real::cosh, c::cosh, Real::cosh),
            (-80.0, 80.0),
            2,
            2,
        ),
        (
            "tanh",
            (Real::tanh, c::tanh, Real::tanh),
            (-20.0, 20.0),
            3,
            2,
        ),
        (
            "asinh",
            (Real::asinh, c::asinh, Real::asinh),
            (-1e6, 1e6),
            2,
            2,
        ),
        (
            "acosh",
            (Real::acosh, c::acosh, Real::acosh),
            (1.0, 1e6),
            2,
            2,
        ),
        (
            "atanh",
            (Real::atanh, c::atanh, Real::atanh),
            (-0.999, 0.999),
            2,
            2,
        ),
        ("erf", (Real::erf, c::erf, Real::erf), (-6.0, 6.0), 1, 1),
        (
            "erfc",
            (Real::erfc, c::erfc, Real::erfc),
            (-6.0, 26.0),
            4,
            4,
        ),
        (
            "gamma",
            (Real::gamma, c::tgamma, Real::gamma),
            (0.01, 170.0),
            9,
            8,
        ),
        (
            "ln_gamma",
            (Real::ln_gamma, c::lgamma, Real::ln_gamma),
            (2.5, 1e6),
            3,
            2,
        ),
    ]
}

#[test]
fn unary_functions_are_within_their_bounds_of_the_c_library() {
    let (mut report, mut over) = (Vec::new(), Vec::new());
    for (name, (ours, theirs, ours32), (lo, hi), bound, bound32) in unary() {
        let (mut worst, mut worst32) = (0u64, 0u64);
        for x in points(lo, hi) {
            // SAFETY: a pure C math function of one double.
            let want = unsafe { theirs(x) };
            worst = worst.max(ulps(ours(x), want));
            let x32 = x as f32;
            if x32.is_finite() && (lo..=hi).contains(&f64::from(x32)) {
                // SAFETY: as above.
                let want32 = unsafe { theirs(f64::from(x32)) } as f32;
                worst32 = worst32.max(ulps32(ours32(x32), want32));
            }
        }
        report.push(format!("{name}: f64 {worst} ulp, f32 {worst32} ulp"));
        if worst > bound || worst32 > bound32 {
            over.push(format!(
                "{name}: f64 {worst} > {bound} or f32 {worst32} > {bound32}"
            ));
        }
    }
    println!("{}", report.join("\n"));
    assert!(over.is_empty(), "beyond their bounds: {over:?}");
}

#[test]
fn binary_functions_powi_log_and_sin_cos() {
    let mut worst = [0u64; 3];
    for (k, x) in points(1e-3, 1e3).enumerate() {
        let y = (k as f64 * 0.754_877_666_246_692_7).fract() * 40.0 - 20.0;
        // SAFETY: pure C math functions.
        let (p, a, h) = unsafe { (c::pow(x, y), c::atan2(y, x - 500.0), c::hypot(x, y)) };
        worst[0] = worst[0].max(ulps(Real::powf(x, y), p));
        worst[1] = worst[1].max(ulps(Real::atan2(y, x - 500.0), a));
        worst[2] = worst[2].max(ulps(Real::hypot(x, y), h));
    }
    println!(
        "powf {} ulp, atan2 {} ulp, hypot {} ulp",
        worst[0], worst[1], worst[2]
    );
    assert!(worst[0] <= 1 && worst[1] <= 1 && worst[2] <= 1, "{worst:?}");
    // powi is powf at an integer exponent; log is ln over ln; sin_cos is
    // the pair.
    assert_eq!(Real::powi(1.5f64, 7), Real::powf(1.5f64, 7.0));
    assert_eq!(Real::powi(2.0f32, -3), 0.125);
    assert_eq!(
        Real::log(1000.0f64, 10.0),
        Real::ln(1000.0) / Real::ln(10.0)
    );
    assert_eq!(Real::sin_cos(0.3f64), (Real::sin(0.3), Real::cos(0.3)));
    // Exact ones are exact.
    assert_eq!(
        [2.5f64, -2.5, 0.49999999999999994].map(Real::round),
        [3.0, -3.0, 0.0]
    );
    assert_eq!(
        [
            Real::floor(-0.5f32),
            Real::ceil(-0.5f32),
            Real::trunc(-1.7f32)
        ],
        [-1.0, -0.0, -1.0]
    );
    assert_eq!(
        [
            Real::copysign(2.0f64, -0.0),
            Real::copysign(-3.0f32, 1.0) as f64
        ],
        [-2.0, 3.0]
    );
}

#[test]
fn mul_add_rounds_once_as_the_hardware_fma_does() {
    // `std`'s `mul_add` is the platform's fused multiply-add: one
    // rounding, exactly specified, so the library's must agree bit for bit.
    for (k, x) in points(-1e3, 1e3).enumerate() {
        let a = (k as f64 * 0.618_033_988_749_894_9).fract() * 2.0 - 1.0;
        let b = -x * a * (1.0 + f64::EPSILON * (k % 7) as f64);
        assert_eq!(
            Real::mul_add(x, a, b).to_bits(),
            x.mul_add(a, b).to_bits(),
            "{x} {a} {b}"
        );
        let (xf, af, bf) = (x as f32, a as f32, b as f32);
        assert_eq!(
            Real::mul_add(xf, af, bf).to_bits(),
            xf.mul_add(af, bf).to_bits()
        );
    }
    // Where a separate multiply and add would round twice.
    let (x, a) = (1.0 + f64::EPSILON, 1.0 - f64::EPSILON);
    assert_eq!(Real::mul_add(x, a, -1.0), -f64::EPSILON * f64::EPSILON);
}
