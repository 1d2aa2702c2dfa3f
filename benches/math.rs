//! Criterion: the math library on `Real` (the `libm` crate's code and
//! hotloop's own, `hotloop_core::math`: the same on every backend) against
//! the platform's libm, one call at a time, one thread, over 65 536
//! points in each function's domain: the target is at most 1.3x the
//! platform's time.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hotloop::Real;
use std::hint::black_box;

const N: usize = 1 << 16;

fn points(lo: f64, hi: f64) -> Vec<f64> {
    (0..N)
        .map(|i| lo + (hi - lo) * (i as f64 * 0.618_033_988_749_894_9).fract())
        .collect()
}

/// `(name, domain, hotloop's, the platform's)`.
type Case = (&'static str, (f64, f64), fn(f64) -> f64, fn(f64) -> f64);

/// Every one-argument function of the library but the exact ones, in
/// `Real`'s docs' domains (narrower where the platform's time depends on
/// the magnitude alone).
const CASES: [Case; 25] = [
    ("ln", (1e-3, 1e3), Real::ln, f64::ln),
    ("log2", (1e-3, 1e3), Real::log2, f64::log2),
    ("log10", (1e-3, 1e3), Real::log10, f64::log10),
    ("exp", (-50.0, 50.0), Real::exp, f64::exp),
    ("exp2", (-50.0, 50.0), Real::exp2, f64::exp2),
    ("exp_m1", (-40.0, 40.0), Real::exp_m1, f64::exp_m1),
    ("ln_1p", (-0.999, 1e3), Real::ln_1p, f64::ln_1p),
    ("sqrt", (0.0, 1e6), Real::sqrt, f64::sqrt),
    ("cbrt", (-1e6, 1e6), Real::cbrt, f64::cbrt),
    ("sin", (-100.0, 100.0), Real::sin, f64::sin),
    ("cos", (-100.0, 100.0), Real::cos, f64::cos),
    ("tan", (-1.5, 1.5), Real::tan, f64::tan),
    ("asin", (-1.0, 1.0), Real::asin, f64::asin),
    ("acos", (-1.0, 1.0), Real::acos, f64::acos),
    ("atan", (-1e3, 1e3), Real::atan, f64::atan),
    ("sinh", (-80.0, 80.0), Real::sinh, f64::sinh),
    ("cosh", (-80.0, 80.0), Real::cosh, f64::cosh),
    ("tanh", (-20.0, 20.0), Real::tanh, f64::tanh),
    ("asinh", (-1e3, 1e3), Real::asinh, f64::asinh),
    ("acosh", (1.0, 1e3), Real::acosh, f64::acosh),
    ("atanh", (-0.999, 0.999), Real::atanh, f64::atanh),
    ("erf", (-6.0, 6.0), Real::erf, platform::erf),
    ("erfc", (-6.0, 26.0), Real::erfc, platform::erfc),
    ("gamma", (0.01, 170.0), Real::gamma, platform::tgamma),
    ("ln_gamma", (2.5, 1e6), Real::ln_gamma, platform::lgamma),
];

/// `(name, hotloop's, the platform's)` of two arguments, over `x` in `[1e-3,
/// 1e3]` and `y` in `[-20, 20]`.
type Case2 = (&'static str, fn(f64, f64) -> f64, fn(f64, f64) -> f64);
const CASES2: [Case2; 3] = [
    ("powf", Real::powf, f64::powf),
    ("atan2", Real::atan2, f64::atan2),
    ("hypot", Real::hypot, f64::hypot),
];

/// The platform's functions `std` does not wrap (glibc's libm, which std
/// links on Linux).
mod platform {
    unsafe extern "C" {
        #[link_name = "erf"]
        fn c_erf(x: f64) -> f64;
        #[link_name = "erfc"]
        fn c_erfc(x: f64) -> f64;
        #[link_name = "tgamma"]
        fn c_tgamma(x: f64) -> f64;
        #[link_name = "lgamma"]
        fn c_lgamma(x: f64) -> f64;
    }
    pub fn erf(x: f64) -> f64 {
        // SAFETY: a pure C math function of one double.
        unsafe { c_erf(x) }
    }
    pub fn erfc(x: f64) -> f64 {
        // SAFETY: as above.
        unsafe { c_erfc(x) }
    }
    pub fn tgamma(x: f64) -> f64 {
        // SAFETY: as above.
        unsafe { c_tgamma(x) }
    }
    pub fn lgamma(x: f64) -> f64 {
        // SAFETY: as above.
        unsafe { c_lgamma(x) }
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("math_f64");
    g.throughput(Throughput::Elements(N as u64));
    for (name, (lo, hi), ours, platform) in CASES {
        let x = points(lo, hi);
        let mut out = vec![0.0; N];
        g.bench_function(format!("{name}/hotloop"), |b| {
            b.iter(|| {
                for (o, &v) in out.iter_mut().zip(black_box(&x)) {
                    *o = ours(v);
                }
            })
        });
        g.bench_function(format!("{name}/platform"), |b| {
            b.iter(|| {
                for (o, &v) in out.iter_mut().zip(black_box(&x)) {
                    *o = platform(v);
                }
            })
        });
    }
    let (x, y) = (points(1e-3, 1e3), points(-20.0, 20.0));
    for (name, ours, platform) in CASES2 {
        let mut out = vec![0.0; N];
        g.bench_function(format!("{name}/hotloop"), |b| {
            b.iter(|| {
                for ((o, &u), &v) in out.iter_mut().zip(black_box(&x)).zip(&y) {
                    *o = ours(u, v);
                }
            })
        });
        g.bench_function(format!("{name}/platform"), |b| {
            b.iter(|| {
                for ((o, &u), &v) in out.iter_mut().zip(black_box(&x)).zip(&y) {
                    *o = platform(u, v);
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
