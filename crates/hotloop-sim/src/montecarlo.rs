//! Monte Carlo pi on the simulator: the device kernel `monte_carlo_pi`.

use crate::block;
use crate::grid::Grid;
use hotloop_core::grid as body;
use hotloop_core::philox::key_from_seed;
use hotloop_core::pi::SAMPLES_PER_BLOCK;
use hotloop_core::reduce::Sum;
use hotloop_runtime::launch::finish_count;
use hotloop_runtime::{LaunchConfig, Result};

/// The work items of a Monte Carlo launch: Philox blocks, two samples each.
/// The default launch has one thread per item (capped).
pub const fn work_items(samples: u64) -> u64 {
    samples.div_ceil(SAMPLES_PER_BLOCK)
}

/// The hit count of each block of the launch, in block order, as the
/// kernel writes `block_counts`.
pub fn hit_partials(launch: Option<LaunchConfig>, seed: u64, samples: u64) -> Result<Vec<u64>> {
    let key = key_from_seed(seed);
    Grid::resolve(launch, work_items(samples))?.block_outputs(0u64, |b| {
        block::reduce::<u64, Sum>(b, |t| body::pi_thread_hits(t, key, samples))
    })
}

/// Hits among samples `0..samples` of the Philox stream keyed by `seed`:
/// the same count as every other backend, whatever the launch shape.
pub fn count_hits(launch: Option<LaunchConfig>, seed: u64, samples: u64) -> Result<u64> {
    Ok(finish_count(&hit_partials(launch, seed, samples)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotloop_core::pi::count_hits as reference;

    #[test]
    fn hits_do_not_depend_on_the_launch_shape() {
        let key = key_from_seed(11);
        for n in [1u64, 2, 3, 1001, 100_000] {
            let want = reference(key, 0, n);
            for (b, t) in [(1, 1), (3, 7), (5, 33), (1, 1024), (64, 256)] {
                let cfg = Some(LaunchConfig::new(b, t).unwrap());
                assert_eq!(count_hits(cfg, 11, n).unwrap(), want, "{b}x{t}, n={n}");
            }
            assert_eq!(count_hits(None, 11, n).unwrap(), want);
        }
    }
}
