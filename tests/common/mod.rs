//! What every cross-backend test shares: the backends to run on, the shapes
//! that catch indexing bugs, and references computed independently of the
//! kernels under test.
#![allow(dead_code)]

use hotloop::{Backend, LaunchConfig, available};
use hotloop_cuda as cuda;
use std::sync::Arc;

/// Set (to anything but empty) by the GPU kit's `run.sh`: the cross-backend
/// suites ([`backends`]) then fail with the reason where CUDA is
/// unavailable instead of leaving it out, so a kit run can never pass
/// without having used the GPU.
pub const REQUIRE_GPU: &str = "HOTLOOP_REQUIRE_GPU";

fn gpu_required() -> bool {
    std::env::var_os(REQUIRE_GPU).is_some_and(|v| !v.is_empty())
}

/// Device 0, for a test that needs one: such a test is
/// `#[ignore = "needs a CUDA device"]`, run only where there is one
/// (`cargo xtask test` adds `--ignored` when it finds a device; the GPU
/// kit's `run.sh` always does), and fails with the reason if there is none.
pub fn device() -> Arc<cuda::Device> {
    cuda::device(0).unwrap_or_else(|e| {
        panic!("this test needs a CUDA device (it is ignored unless asked for): {e}")
    })
}

/// Every backend this machine can run, each parallel one at several thread
/// counts and each grid one (simulator, CUDA) at its default launch and an
/// odd explicit one. Unavailable backends are printed with the reason (once
/// per test binary), never silently dropped.
pub fn backends() -> Vec<Backend> {
    static REPORTED: std::sync::Once = std::sync::Once::new();
    // The parallel forms run serially below a measured size; the tests'
    // arrays are mostly small, so make them run the pool's code at every
    // size (the results are the same bits either way).
    hotloop_cpu::pool::set_serial_below_bytes(Some(0));
    let mut out = Vec::new();
    let statuses = available();
    for s in &statuses {
        if let (Err(why), Backend::Cuda { .. }) = (&s.availability, s.backend) {
            assert!(
                !gpu_required(),
                "{REQUIRE_GPU} is set, but {}: {why}",
                s.backend
            );
        }
    }
    REPORTED.call_once(|| {
        for s in &statuses {
            if let Err(why) = &s.availability {
                note(&format!("skipping backend {}: {why}", s.backend));
            }
        }
    });
    for status in statuses {
        match (&status.availability, status.backend) {
            (Err(_), _) => {}
            (Ok(()), Backend::Parallel { .. }) => {
                for t in [1, 2, 3, 8] {
                    out.push(Backend::parallel_with_threads(t).unwrap());
                }
            }
            (Ok(()), Backend::Simulator { .. }) => {
                out.push(Backend::simulator());
                out.push(Backend::simulator_with(5, 33).unwrap());
            }
            (Ok(()), Backend::Cuda { device, .. }) => {
                out.push(Backend::Cuda {
                    device,
                    launch: None,
                });
                out.push(Backend::Cuda {
                    device,
                    launch: Some(LaunchConfig::new(5, 33).unwrap()),
                });
            }
            (Ok(()), b) => out.push(b),
        }
    }
    out
}

/// Prints `msg` on stderr past the test harness's output capture, so that
/// a skipped check is visible in every `cargo test` log, not only on failure
/// or with `--nocapture`.
pub fn note(msg: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "note: {msg}");
}

/// Whether `backend` runs ops without a compiled kernel: closures, and the
/// tests' own op types (a test binary has no PTX of its own, so they have no
/// `#[device_op]`). CUDA runs the ops that have one: every built-in, and a
/// user's from their kernels crate (examples/custom-kernels).
pub fn runs_closures(backend: Backend) -> bool {
    !matches!(backend, Backend::Cuda { .. })
}

/// The backends of [`backends`] that run closures ([`runs_closures`]): all
/// but CUDA, which is skipped with a printed note (once per test binary).
pub fn closure_backends() -> Vec<Backend> {
    static REPORTED: std::sync::Once = std::sync::Once::new();
    let all = backends();
    if all.iter().any(|b| !runs_closures(*b)) {
        REPORTED.call_once(|| {
            note(
                "closures and the tests' own ops skip CUDA: the GPU runs compiled kernels \
                 only (#[device_op]), which a test binary has none of",
            )
        });
    }
    all.into_iter().filter(|b| runs_closures(*b)).collect()
}

/// The CPU backends of [`backends`] (serial and parallel).
pub fn cpu_backends() -> Vec<Backend> {
    backends()
        .into_iter()
        .filter(|b| matches!(b, Backend::Serial | Backend::Parallel { .. }))
        .collect()
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

/// A rigorous bound on the error of every backend's sum of `xs` (one
/// order of additions for all: `hotloop_core::reduce`), with machine
/// epsilon `eps` (`f64::EPSILON`, or `f32::EPSILON` for f32 data).
pub fn sum_error_bound(xs: &[f64], eps: f64) -> f64 {
    let abs: f64 = xs.iter().map(|x| x.abs()).sum();
    hotloop_core::reduce::sum_error_bound(xs.len(), abs, eps / 2.0)
}
