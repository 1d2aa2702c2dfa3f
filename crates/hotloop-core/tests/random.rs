//! The distributions of `hotloop_core::random`'s draws, over 10^7 draws
//! each in two shapes: 10 streams of 10^6 draws (a thread's sequence) and
//! 10^7 streams of one draw (one draw per thread, what a kernel launch
//! does). Each sample's mean, variance (and for the normals skewness and
//! kurtosis) must lie within 5 standard errors of the exact value, its
//! lag-1 correlation (in draw order, or across neighbouring streams) within
//! 5 standard errors of 0, and its Kolmogorov-Smirnov distance to the
//! exact CDF below the 0.1% critical value `1.95 / sqrt(n)`. The seeds are
//! fixed, so each run checks the same draws; the statistics are printed
//! (`--nocapture`).

use hotloop_core::Real;
use hotloop_core::random::RandomStream;

/// Draws a test: 10^7.
const N: usize = 10_000_000;
/// Streams of the long shape (of `N / LONG_STREAMS` draws each).
const LONG_STREAMS: u64 = 10;
/// How many standard errors a statistic may stray.
const SIGMAS: f64 = 5.0;

#[derive(Clone, Copy, Debug)]
enum Shape {
    /// `LONG_STREAMS` streams, each drawn `N / LONG_STREAMS` times in order.
    Long,
    /// `N` streams, draw 0 of each.
    Wide,
}

/// `N` draws of `draw` in `shape`, in order (stream by stream).
fn sample(shape: Shape, seed: u64, draw: impl Fn(&mut RandomStream) -> f64) -> Vec<f64> {
    let mut v = Vec::with_capacity(N);
    match shape {
        Shape::Long => {
            for s in 0..LONG_STREAMS {
                let mut rng = RandomStream::new(seed, s);
                v.extend((0..N as u64 / LONG_STREAMS).map(|_| draw(&mut rng)));
            }
        }
        Shape::Wide => v.extend((0..N as u64).map(|s| draw(&mut RandomStream::new(seed, s)))),
    }
    v
}

/// The sample's mean, central moments 2 to 4 (over `n`) and lag-1
/// autocorrelation.
struct Stats {
    mean: f64,
    m2: f64,
    m3: f64,
    m4: f64,
    lag1: f64,
}

fn stats(x: &[f64]) -> Stats {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
    for &v in x {
        let d = v - mean;
        let d2 = d * d;
        m2 += d2;
        m3 += d2 * d;
        m4 += d2 * d2;
    }
    let cross: f64 = x.windows(2).map(|w| (w[0] - mean) * (w[1] - mean)).sum();
    Stats {
        mean,
        m2: m2 / n,
        m3: m3 / n,
        m4: m4 / n,
        lag1: cross / m2,
    }
}

/// The Kolmogorov-Smirnov distance `sup |F_n - F|` of the sample to the
/// continuous CDF `cdf` (sorts the sample). Ties are handled: at a repeated
/// value the empirical CDF's left and right limits are both compared.
fn ks(x: &mut [f64], cdf: impl Fn(f64) -> f64) -> f64 {
    x.sort_unstable_by(f64::total_cmp);
    let n = x.len() as f64;
    x.iter().enumerate().fold(0.0f64, |d, (i, &v)| {
        let f = cdf(v);
        d.max((i + 1) as f64 / n - f).max(f - i as f64 / n)
    })
}

/// Asserts `|got - want| <= SIGMAS * se`, naming the statistic.
fn within(what: &str, got: f64, want: f64, se: f64) {
    let z = (got - want) / se;
    assert!(
        z.abs() <= SIGMAS,
        "{what}: {got} vs {want}, {z:.2} standard errors"
    );
}

/// The checks of a uniform sample on `{0, h, ..., 1 - h}` (`h` the
/// resolution): its exact mean `(1 - h) / 2` and variance `(1 - h^2) / 12`.
fn check_uniform(name: &str, mut x: Vec<f64>, h: f64) {
    let n = x.len() as f64;
    assert!(
        x.iter().all(|&v| (0.0..1.0).contains(&v)),
        "{name}: outside [0, 1)"
    );
    let s = stats(&x);
    let (mean, var) = ((1.0 - h) / 2.0, (1.0 - h * h) / 12.0);
    // Var(sample variance) = (mu4 - sigma^4) / n; for U(0, 1), 1/80 - 1/144.
    within(&format!("{name} mean"), s.mean, mean, (var / n).sqrt());
    within(
        &format!("{name} variance"),
        s.m2,
        var,
        (1.0 / 180.0 / n).sqrt(),
    );
    within(
        &format!("{name} lag-1 correlation"),
        s.lag1,
        0.0,
        1.0 / n.sqrt(),
    );
    let d = ks(&mut x, |v| v);
    eprintln!(
        "{name}: mean {:.6} (want {mean:.6}), variance {:.6} (want {var:.6}), \
         lag-1 {:+.2e}, KS {d:.3e} (n {n:e}, critical {:.3e})",
        s.mean,
        s.m2,
        s.lag1,
        1.95 / n.sqrt()
    );
    assert!(d < 1.95 / n.sqrt(), "{name}: KS distance {d}");
}

/// The standard normal CDF, `Phi(x) = erfc(-x / sqrt 2) / 2`.
fn phi(x: f64) -> f64 {
    0.5 * Real::erfc(-x * core::f64::consts::FRAC_1_SQRT_2)
}

/// The checks of a standard normal sample. Standard errors (normal
/// population): mean `1/sqrt n`, variance `sqrt(2/n)`, skewness
/// `sqrt(6/n)`, kurtosis `sqrt(24/n)`. The f32 normals' tail cut at
/// `|z| = 5.77` lowers the variance by 3e-7 and the kurtosis by 1e-5, far
/// below those (4.5e-4, 1.5e-3).
fn check_normal(name: &str, mut x: Vec<f64>) {
    let n = x.len() as f64;
    assert!(x.iter().all(|v| v.is_finite()), "{name}: not finite");
    let s = stats(&x);
    let skew = s.m3 / s.m2.powf(1.5);
    let kurt = s.m4 / (s.m2 * s.m2);
    within(&format!("{name} mean"), s.mean, 0.0, 1.0 / n.sqrt());
    within(&format!("{name} variance"), s.m2, 1.0, (2.0 / n).sqrt());
    within(&format!("{name} skewness"), skew, 0.0, (6.0 / n).sqrt());
    within(&format!("{name} kurtosis"), kurt, 3.0, (24.0 / n).sqrt());
    within(
        &format!("{name} lag-1 correlation"),
        s.lag1,
        0.0,
        1.0 / n.sqrt(),
    );
    let d = ks(&mut x, phi);
    eprintln!(
        "{name}: mean {:+.2e}, variance {:.6}, skewness {:+.2e}, kurtosis {:.5}, \
         lag-1 {:+.2e}, min {:.4}, max {:.4}, KS {d:.3e} (n {n:e}, critical {:.3e})",
        s.mean,
        s.m2,
        skew,
        kurt,
        s.lag1,
        x[0],
        x[x.len() - 1],
        1.95 / n.sqrt()
    );
    assert!(d < 1.95 / n.sqrt(), "{name}: KS distance {d}");
}

/// `2^-24`, `2^-53`: the uniforms' resolutions.
const H32: f64 = 1.0 / 16_777_216.0;
const H64: f64 = 1.0 / 9_007_199_254_740_992.0;

#[test]
fn uniform_f64_long_streams() {
    let x = sample(Shape::Long, 1, |r| r.uniform_f64());
    check_uniform("uniform_f64, 10 x 1e6", x, H64);
}

#[test]
fn uniform_f64_many_streams() {
    let x = sample(Shape::Wide, 2, |r| r.uniform_f64());
    check_uniform("uniform_f64, 1e7 x 1", x, H64);
}

#[test]
fn uniform_f32_long_streams() {
    let x = sample(Shape::Long, 3, |r| f64::from(r.uniform_f32()));
    check_uniform("uniform_f32, 10 x 1e6", x, H32);
}

#[test]
fn uniform_f32_many_streams() {
    let x = sample(Shape::Wide, 4, |r| f64::from(r.uniform_f32()));
    check_uniform("uniform_f32, 1e7 x 1", x, H32);
}

#[test]
fn normal_f64_long_streams() {
    let x = sample(Shape::Long, 5, |r| r.normal_f64());
    check_normal("normal_f64, 10 x 1e6", x);
}

#[test]
fn normal_f64_many_streams() {
    let x = sample(Shape::Wide, 6, |r| r.normal_f64());
    check_normal("normal_f64, 1e7 x 1", x);
}

#[test]
fn normal_f32_long_streams() {
    let x = sample(Shape::Long, 7, |r| f64::from(r.normal_f32()));
    check_normal("normal_f32, 10 x 1e6", x);
}

#[test]
fn normal_f32_many_streams() {
    let x = sample(Shape::Wide, 8, |r| f64::from(r.normal_f32()));
    check_normal("normal_f32, 1e7 x 1", x);
}

/// Pearson's correlation of two samples.
fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (&a, &b) in x.iter().zip(y) {
        let (da, db) = (a - mx, b - my);
        sxy += da * db;
        sxx += da * da;
        syy += db * db;
    }
    sxy / (sxx * syy).sqrt()
}

/// A pair's two values: each a standard normal, and independent of the
/// other (uncorrelated, and so are their squares, which a shared radius
/// would correlate). 1e7 pairs from 10 streams.
fn check_pairs(name: &str, draw: impl Fn(&mut RandomStream) -> (f64, f64)) {
    let (mut c, mut s) = (Vec::with_capacity(N), Vec::with_capacity(N));
    for stream in 0..LONG_STREAMS {
        let mut rng = RandomStream::new(9, stream);
        for _ in 0..N as u64 / LONG_STREAMS {
            let (a, b) = draw(&mut rng);
            c.push(a);
            s.push(b);
        }
    }
    let se = 1.0 / (N as f64).sqrt();
    let r = correlation(&c, &s);
    let sq = |v: &[f64]| v.iter().map(|x| x * x).collect::<Vec<_>>();
    let r2 = correlation(&sq(&c), &sq(&s));
    eprintln!("{name}: correlation {r:+.2e}, of the squares {r2:+.2e}");
    within(&format!("{name} correlation"), r, 0.0, se);
    within(&format!("{name} correlation of the squares"), r2, 0.0, se);
    drop(c);
    check_normal(&format!("{name}, second values"), s);
}

#[test]
fn normal_pair_f64_values_are_independent_normals() {
    check_pairs("normal_pair_f64", |r| r.normal_pair_f64());
}

#[test]
fn normal_pair_f32_values_are_independent_normals() {
    check_pairs("normal_pair_f32", |r| {
        let (a, b) = r.normal_pair_f32();
        (f64::from(a), f64::from(b))
    });
}
