//! What every cross-backend test shares: the backends to run on, the shapes
//! that catch indexing bugs, and references computed independently of the
//! kernels under test.
#![allow(dead_code)]

use hotloop::{Backend, available};

/// Every backend this machine can run, each parallel one at several thread
/// counts. Unavailable backends are printed with the reason, never silently
/// dropped.
pub fn backends() -> Vec<Backend> {
    let mut out = Vec::new();
    for status in available() {
        match (&status.availability, status.backend) {
            (Err(why), b) => eprintln!("skipping backend {b}: {why}"),
            (Ok(()), Backend::Parallel { .. }) => {
                for t in [1, 2, 3, 8] {
                    out.push(Backend::parallel_with_threads(t).unwrap());
                }
            }
            (Ok(()), b) => out.push(b),
        }
    }
    out
}

/// Shapes that catch indexing bugs: empty, single, primes, sizes that are
/// not a multiple of any chunk, and one (8 MiB of f64) larger than L2.
pub const SHAPES: [[usize; 3]; 9] = [
    [0, 3, 4],
    [3, 0, 4],
    [1, 1, 1],
    [1, 1, 2],
    [3, 5, 7],
    [2, 13, 31],
    [1, 1, 65_537],
    [7, 11, 16_411],
    [64, 128, 131],
];

/// Deterministic, varied test values (both signs, several magnitudes).
pub fn values(len: usize) -> Vec<f64> {
    (0..len)
        .map(|i| {
            let h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
            (h as f64 / (1u64 << 53) as f64 - 0.5) * 1e3
        })
        .collect()
}

/// Neumaier-compensated sum in f64: an independent reference whose own error
/// is negligible next to the kernels' tolerance.
pub fn reference_sum(xs: impl IntoIterator<Item = f64>) -> f64 {
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for x in xs {
        let t = s + x;
        c += if s.abs() >= x.abs() {
            (s - t) + x
        } else {
            (x - t) + s
        };
        s = t;
    }
    s + c
}

/// A rigorous bound on a blocked/pairwise floating-point sum's error:
/// `(depth) * eps * sum |x|`, with depth the additions along the longest
/// path (chunk lanes, lane tree, pairwise tree).
pub fn sum_error_bound(xs: &[f64], eps: f64) -> f64 {
    let n = xs.len().max(2) as f64;
    let depth = n.log2().ceil() + 16_384.0 / 8.0 + 4.0;
    let depth = depth.min(n);
    depth * eps * xs.iter().map(|x| x.abs()).sum::<f64>()
}
