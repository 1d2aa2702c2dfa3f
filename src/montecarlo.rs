//! Monte Carlo pi: the blog's second workload.

use crate::Backend;
use hotloop_core::pi;
use hotloop_cpu::montecarlo as cpu;
use hotloop_runtime::{Error, Result};

/// A Monte Carlo estimate of pi with what it was computed from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PiEstimate {
    /// `4 * hits / samples`.
    pub estimate: f64,
    /// Samples inside the quarter circle.
    pub hits: u64,
    /// Samples drawn.
    pub samples: u64,
}

impl PiEstimate {
    /// From a hit count.
    pub fn new(hits: u64, samples: u64) -> Self {
        Self {
            estimate: pi::estimate(hits, samples),
            hits,
            samples,
        }
    }

    /// The estimate's standard error, `4 sqrt(p (1 - p) / n)` with
    /// `p = pi / 4`.
    pub fn standard_error(&self) -> f64 {
        let p = std::f64::consts::FRAC_PI_4;
        4.0 * (p * (1.0 - p) / self.samples as f64).sqrt()
    }
}

/// Estimates pi from `samples` points of the Philox4x32-10 stream keyed by
/// `seed`. Sample `i` depends only on `(seed, i)`, so the result is the
/// same on every backend and thread count. Memory is O(threads); any `u64`
/// sample count works.
pub fn monte_carlo_pi(backend: Backend, samples: u64, seed: u64) -> Result<PiEstimate> {
    if samples == 0 {
        return Err(Error::ZeroSamples);
    }
    let hits = match backend {
        Backend::Serial => cpu::count_hits_serial(seed, samples),
        Backend::Parallel { threads } => {
            cpu::count_hits_parallel(&Backend::pool(threads)?, seed, samples)
        }
        Backend::Simulator { launch } => {
            hotloop_sim::montecarlo::count_hits(launch, seed, samples)?
        }
        Backend::Cuda { device, launch } => hotloop_cuda::ops::count_hits(
            &Backend::cuda_device(device, launch)?,
            launch,
            seed,
            samples,
        )?,
    };
    Ok(PiEstimate::new(hits, samples))
}

/// The blog's serial loop as written: a sequential generator from the `rand`
/// ecosystem, two `f64` draws per sample. The baseline row; not
/// reproducible across thread counts by construction.
pub fn monte_carlo_pi_blog<R: rand_core::Rng + ?Sized>(
    rng: &mut R,
    samples: u64,
) -> Result<PiEstimate> {
    if samples == 0 {
        return Err(Error::ZeroSamples);
    }
    Ok(PiEstimate::new(cpu::count_hits_blog(rng, samples), samples))
}
