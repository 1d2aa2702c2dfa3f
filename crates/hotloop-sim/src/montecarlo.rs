//! Monte Carlo pi on the simulator: the device kernel `monte_carlo_pi`.

use crate::block;
use crate::grid::Grid;
use hotloop_core::grid as body;
use hotloop_core::philox::key_from_seed;
use hotloop_core::pi::blocks_of;
use hotloop_core::reduce::Sum;
use hotloop_runtime::launch::finish_count;
use hotloop_runtime::{LaunchConfig, Result};
use std::ops::Range;

/// The work items of a Monte Carlo launch over samples `samples`: the
/// Philox blocks holding them, two samples each. The default launch has
/// one thread per item (capped).
pub const fn work_items(samples: &Range<u64>) -> u64 {
    let blocks = blocks_of(samples.start, samples.end);
    blocks.end - blocks.start
}

/// The hit count of each block of the launch, in block order, as the
/// kernel writes `block_counts`.
pub fn hit_partials(
    launch: Option<LaunchConfig>,
    seed: u64,
    samples: Range<u64>,
) -> Result<Vec<u64>> {
    let key = key_from_seed(seed);
    let (start, end) = (samples.start, samples.end);
    Grid::resolve(launch, work_items(&samples))?.block_outputs(0u64, |b| {
        block::reduce::<u64, Sum>(b, |t| body::pi_thread_hits(t, key, start, end))
    })
}

/// Hits among samples `samples` of the Philox stream keyed by `seed`
/// (`0..n` for the first `n`, or any part of a larger count): the same
/// count as every other backend, whatever the launch shape.
pub fn count_hits(launch: Option<LaunchConfig>, seed: u64, samples: Range<u64>) -> Result<u64> {
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
            // The whole count and parts of it, from odd and even starts.
            for part in [0..n, 1..n, n / 2..n, n / 3 + 1..n - 1] {
                let want = reference(key, part.start, part.end);
                for (b, t) in [(1, 1), (3, 7), (5, 33), (1, 1024), (64, 256)] {
                    let cfg = Some(LaunchConfig::new(b, t).unwrap());
                    let got = count_hits(cfg, 11, part.clone()).unwrap();
                    assert_eq!(got, want, "{b}x{t}, {part:?}");
                }
                assert_eq!(count_hits(None, 11, part).unwrap(), want);
            }
        }
    }
}
