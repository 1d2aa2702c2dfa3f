//! Monte Carlo pi on the CPU.
//!
//! The hot path is `hotloop_core::pi::count_hits`, the same definition the
//! simulator and the GPU run; this module only decides how the sample range
//! is split and which instruction set the loop is compiled for.

use crate::pool::Pool;
use hotloop_core::philox::key_from_seed;
use hotloop_core::pi;
use rayon::prelude::*;

/// Samples per parallel task: fixed, so the split does not depend on the
/// thread count (the count is an exact integer either way), and small
/// enough that 1e4 samples still make one task, not a pool wake-up per
/// sample.
pub const SAMPLES_PER_TASK: u64 = 1 << 22;

/// Hits among samples `start..end` for `seed`, on this thread.
pub fn count_hits(seed: u64, start: u64, end: u64) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { count_hits_avx2(seed, start, end) };
        }
    }
    pi::count_hits(key_from_seed(seed), start, end)
}

/// The same loop compiled with AVX2, where Philox's 32x32->64-bit
/// multiplies vectorize four blocks wide (`vpmuludq`).
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn count_hits_avx2(seed: u64, start: u64, end: u64) -> u64 {
    pi::count_hits(key_from_seed(seed), start, end)
}

/// Hits among the first `samples` samples, serially.
pub fn count_hits_serial(seed: u64, samples: u64) -> u64 {
    count_hits(seed, 0, samples)
}

/// Hits among the first `samples` samples over the pool, split into
/// [`SAMPLES_PER_TASK`] tasks. Memory is O(threads) whatever `samples` is.
pub fn count_hits_parallel(pool: &Pool, seed: u64, samples: u64) -> u64 {
    let tasks = samples.div_ceil(SAMPLES_PER_TASK);
    if tasks <= 1 {
        // One task: waking the pool would cost more than the work.
        return count_hits(seed, 0, samples);
    }
    pool.install(|| {
        (0..tasks)
            .into_par_iter()
            .map(|t| {
                let start = t * SAMPLES_PER_TASK;
                count_hits(seed, start, samples.min(start + SAMPLES_PER_TASK))
            })
            .sum()
    })
}

/// The blog's serial loop as it wrote it: two `f64` draws per sample from a
/// sequential generator (any `rand` RNG), hit when `x^2 + y^2 < 1`. Kept as
/// the baseline row; its stream is inherently sequential, so it cannot be
/// split across threads reproducibly, which is what the Philox form fixes.
pub fn count_hits_blog<R: rand::Rng + ?Sized>(rng: &mut R, samples: u64) -> u64 {
    use rand::RngExt;
    let mut hits = 0u64;
    for _ in 0..samples {
        let x: f64 = rng.random();
        let y: f64 = rng.random();
        hits += (x * x + y * y < 1.0) as u64;
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroUsize;

    #[test]
    fn dispatch_matches_the_portable_definition() {
        let key = key_from_seed(99);
        for (s, e) in [(0, 0), (0, 1), (1, 4097), (12345, 54321)] {
            assert_eq!(count_hits(99, s, e), pi::count_hits(key, s, e));
        }
    }

    #[test]
    fn parallel_count_crosses_task_boundaries_exactly() {
        let n = SAMPLES_PER_TASK * 2 + 3;
        let pool = Pool::get(NonZeroUsize::new(2)).unwrap();
        assert_eq!(count_hits_parallel(&pool, 5, n), count_hits_serial(5, n));
    }
}
