//! Monte Carlo pi on the CPU.
//!
//! The hot path is `hotloop_core::pi::count_hits`, the same definition the
//! simulator and the GPU run; this module only decides how the sample range
//! is split and which instruction set the loop is compiled for.

use crate::pool::Pool;
use crate::simd::{Isa, with_isa, with_widest};
use hotloop_core::philox::key_from_seed;
use hotloop_core::pi;
use rayon::prelude::*;

/// Samples per parallel task: fixed, so the split does not depend on the
/// thread count (the count is an exact integer either way), and small
/// enough that 1e4 samples still make one task, not a pool wake-up per
/// sample.
pub const SAMPLES_PER_TASK: u64 = 1 << 22;

/// Hits among samples `start..end` for `seed`, on this thread, with the
/// widest vectors the CPU has ([`with_widest`]): Philox's 32x32->64-bit
/// multiplies vectorize across consecutive blocks (`vpmuludq`: eight blocks
/// a vector with AVX-512, four with AVX2), each lane the scalar
/// generator's words exactly.
pub fn count_hits(seed: u64, start: u64, end: u64) -> u64 {
    with_widest(
        #[inline(always)]
        || pi::count_hits(key_from_seed(seed), start, end),
    )
}

/// [`count_hits`] compiled for `isa` (or the baseline where the CPU lacks
/// it): the tests hold every instruction set to the same count.
pub fn count_hits_with(isa: Isa, seed: u64, start: u64, end: u64) -> u64 {
    with_isa(
        isa,
        #[inline(always)]
        || pi::count_hits(key_from_seed(seed), start, end),
    )
}

/// Hits among the first `samples` samples, serially.
pub fn count_hits_serial(seed: u64, samples: u64) -> u64 {
    count_hits(seed, 0, samples)
}

/// Hits among the first `samples` samples over the pool, split into
/// [`SAMPLES_PER_TASK`] tasks. Memory is O(threads) whatever `samples` is.
pub fn count_hits_parallel(pool: &Pool, seed: u64, samples: u64) -> u64 {
    count_hits_range_parallel(pool, seed, 0, samples)
}

/// Hits among samples `start..end` over the pool, in tasks cut at the
/// global multiples of [`SAMPLES_PER_TASK`]: a part of a larger count (one
/// MPI rank's share of a job's samples) runs the whole count's tasks, cut
/// at its ends.
pub fn count_hits_range_parallel(pool: &Pool, seed: u64, start: u64, end: u64) -> u64 {
    if start >= end {
        return 0;
    }
    let (first, last) = (start / SAMPLES_PER_TASK, (end - 1) / SAMPLES_PER_TASK);
    if first == last {
        // One task: waking the pool would cost more than the work.
        return count_hits(seed, start, end);
    }
    pool.install(|| {
        (first..=last)
            .into_par_iter()
            .map(|t| {
                let task = t * SAMPLES_PER_TASK;
                let task_end = task.saturating_add(SAMPLES_PER_TASK);
                count_hits(seed, task.max(start), task_end.min(end))
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
    fn every_instruction_set_counts_the_same_over_millions_of_counters() {
        // 2^23 samples: four million Philox counters, from odd offsets so
        // every lane position and the scalar edges are exercised.
        for (seed, start) in [(7u64, 0u64), (2024, 1), (u64::MAX, 12_345_677)] {
            let end = start + (1 << 23);
            let base = count_hits_with(Isa::Baseline, seed, start, end);
            for isa in [Isa::Avx2, Isa::Avx512] {
                assert_eq!(
                    count_hits_with(isa, seed, start, end),
                    base,
                    "{isa:?} seed {seed}"
                );
            }
            assert_eq!(count_hits(seed, start, end), base);
        }
        // And against the per-sample definition, sample by sample.
        let key = key_from_seed(5);
        let direct = (3..200_003u64)
            .filter(|&i| pi::sample_is_hit(key, i))
            .count() as u64;
        assert_eq!(
            count_hits_with(crate::simd::widest(), 5, 3, 200_003),
            direct
        );
    }

    #[test]
    fn parallel_count_crosses_task_boundaries_exactly() {
        let n = SAMPLES_PER_TASK * 2 + 3;
        let pool = Pool::get(NonZeroUsize::new(2)).unwrap();
        assert_eq!(count_hits_parallel(&pool, 5, n), count_hits_serial(5, n));
    }

    #[test]
    fn a_range_counts_what_the_whole_count_holds_there() {
        let pool = Pool::get(NonZeroUsize::new(2)).unwrap();
        let n = SAMPLES_PER_TASK * 3 + 5;
        // Cuts inside a task, on a task boundary, and an empty range.
        for (s, e) in [
            (0, n),
            (1, SAMPLES_PER_TASK + 1),
            (SAMPLES_PER_TASK, 2 * SAMPLES_PER_TASK),
            (SAMPLES_PER_TASK - 3, n),
            (7, 7),
            (9, 3),
        ] {
            assert_eq!(
                count_hits_range_parallel(&pool, 11, s, e),
                count_hits(11, s, e),
                "{s}..{e}"
            );
        }
        let cut = 2 * SAMPLES_PER_TASK - 1;
        assert_eq!(
            count_hits_range_parallel(&pool, 11, 0, cut)
                + count_hits_range_parallel(&pool, 11, cut, n),
            count_hits_serial(11, n)
        );
    }
}
