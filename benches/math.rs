//! Criterion: the math library on `Real` (the `libm` crate's code, the
//! same on every backend) against the platform's libm through `std`, one
//! thread, over 65 536 points in each function's domain: the target is at
//! most 1.3x the platform's time.

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

fn bench(c: &mut Criterion) {
    let cases: [Case; 7] = [
        ("ln", (1e-3, 1e3), Real::ln, f64::ln),
        ("exp", (-50.0, 50.0), Real::exp, f64::exp),
        ("sin", (-100.0, 100.0), Real::sin, f64::sin),
        ("tanh", (-20.0, 20.0), Real::tanh, f64::tanh),
        ("atan", (-1e3, 1e3), Real::atan, f64::atan),
        ("cbrt", (-1e6, 1e6), Real::cbrt, f64::cbrt),
        ("log10", (1e-3, 1e3), Real::log10, f64::log10),
    ];
    let mut g = c.benchmark_group("math_f64");
    g.throughput(Throughput::Elements(N as u64));
    for (name, (lo, hi), ours, platform) in cases {
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
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
