//! Monte Carlo pi: the blog's second workload.

use crate::Backend;
use crate::dispatch::with_runtime;
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

/// `pi ≈ 3.1416 ± 0.0016 (785398 of 1000000 samples hit)`: the estimate
/// to the digits its standard error leaves meaningful, plus one.
impl std::fmt::Display for PiEstimate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let se = self.standard_error();
        // Digits after the point down to the error's first significant one.
        let digits = (-se.log10()).ceil().clamp(1.0, 15.0) as usize + 1;
        write!(
            f,
            "pi ≈ {:.digits$} ± {:.digits$} ({} of {} samples hit)",
            self.estimate, se, self.hits, self.samples
        )
    }
}

/// The most samples one Monte Carlo call takes: 1e14, about 14 hours on
/// two cores at 2e9 samples/s and some minutes on a large GPU, and a
/// standard error of 1.6e-7. A call cannot be cancelled, so a count that
/// would run for days is refused ([`Error::TooManySamples`]) rather than
/// started.
pub const MAX_SAMPLES: u64 = 100_000_000_000_000;

/// [`Error::ZeroSamples`] or [`Error::TooManySamples`] for a count no call
/// takes.
fn check_samples(samples: u64) -> Result<()> {
    match samples {
        0 => Err(Error::ZeroSamples),
        n if n > MAX_SAMPLES => Err(Error::TooManySamples {
            requested: n,
            limit: MAX_SAMPLES,
        }),
        _ => Ok(()),
    }
}

/// Estimates pi from `samples` points of the Philox4x32-10 stream keyed by
/// `seed`. Sample `i` depends only on `(seed, i)`, so the result is the
/// same on every backend and thread count. Memory is O(threads); counts
/// from 1 to [`MAX_SAMPLES`] work.
pub fn monte_carlo_pi(backend: Backend, samples: u64, seed: u64) -> Result<PiEstimate> {
    check_samples(samples)?;
    let hits = with_runtime!(backend, |rt| rt.count_hits(seed, 0..samples))?;
    Ok(PiEstimate::new(hits, samples))
}

/// The blog's serial loop as written: a sequential generator from the `rand`
/// ecosystem, two `f64` draws per sample. The baseline row; not
/// reproducible across thread counts by construction.
pub fn monte_carlo_pi_blog<R: rand_core::Rng + ?Sized>(
    rng: &mut R,
    samples: u64,
) -> Result<PiEstimate> {
    check_samples(samples)?;
    Ok(PiEstimate::new(cpu::count_hits_blog(rng, samples), samples))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_estimate_prints_the_digits_its_error_allows() {
        let e = PiEstimate::new(785_398, 1_000_000);
        assert_eq!(
            e.to_string(),
            "pi ≈ 3.1416 ± 0.0016 (785398 of 1000000 samples hit)"
        );
        let one = PiEstimate::new(1, 1);
        assert_eq!(one.to_string(), "pi ≈ 4.00 ± 1.64 (1 of 1 samples hit)");
    }
}
