//! Monte Carlo pi over the ranks.

use crate::local::with_runtime;
use crate::partition::share;
use crate::{Local, World};
use hotloop_runtime::{Error, Result, Runtime};
use mpi::collective::SystemOperation;
use mpi::traits::*;

/// The most samples one call gives each rank: 1e14, hotloop's limit for
/// one process (`hotloop::MAX_SAMPLES`, some 14 hours on two cores), so a
/// job of `n` ranks takes up to `n` times that, and none runs for days.
pub const MAX_SAMPLES_PER_RANK: u64 = 100_000_000_000_000;

/// A Monte Carlo count: hits among samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PiCount {
    /// Samples inside the quarter circle.
    pub hits: u64,
    /// Samples drawn.
    pub samples: u64,
}

impl PiCount {
    /// The estimate of pi, `4 * hits / samples`.
    pub fn estimate(&self) -> f64 {
        hotloop_core::pi::estimate(self.hits, self.samples)
    }
}

/// `pi ≈ 3.14159 (785398163 of 1000000000 samples hit)`.
impl std::fmt::Display for PiCount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pi ≈ {:.6} ({} of {} samples hit)",
            self.estimate(),
            self.hits,
            self.samples
        )
    }
}

/// Counts hits among `samples` samples of the Philox stream keyed by
/// `seed` over every rank (collective; every rank gets the count). Rank `r`
/// counts the `r`-th contiguous share of the global sample index
/// ([`share`]) on `local`; the counts are summed exactly (an `MPI_SUM` of
/// u64), so the total is the one-process count
/// (`hotloop_cpu::montecarlo::count_hits_serial(seed, samples)`) for any
/// number of ranks and threads, fewer samples than ranks included.
///
/// Every rank must pass the same `samples` and `seed` (checked:
/// [`Error::InvalidArgument`] on every rank otherwise); zero samples is
/// [`Error::ZeroSamples`], more than [`MAX_SAMPLES_PER_RANK`] a rank
/// [`Error::TooManySamples`].
pub fn monte_carlo_pi(world: &World, local: &Local, samples: u64, seed: u64) -> Result<PiCount> {
    world.check_same("monte_carlo_pi samples and seed", &[samples, seed])?;
    let limit = MAX_SAMPLES_PER_RANK.saturating_mul(world.size() as u64);
    if samples == 0 {
        return Err(Error::ZeroSamples);
    }
    if samples > limit {
        return Err(Error::TooManySamples {
            requested: samples,
            limit,
        });
    }
    let mine = share(samples, world.size(), world.rank());
    let hits = world.agree(with_runtime!(local, |rt| rt.count_hits(seed, mine.clone())))?;
    let mut total = 0u64;
    world
        .communicator()
        .all_reduce_into(&hits, &mut total, SystemOperation::sum());
    Ok(PiCount {
        hits: total,
        samples,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_prints_its_estimate_and_hits() {
        let c = PiCount {
            hits: 785_398_163,
            samples: 1_000_000_000,
        };
        assert_eq!(
            c.to_string(),
            "pi ≈ 3.141593 (785398163 of 1000000000 samples hit)"
        );
    }
}
