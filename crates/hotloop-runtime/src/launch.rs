//! The one-dimensional launch configuration of the grid backends (the CUDA
//! simulator and the GPU): `kernel[blocks, threads_per_block](...)` in
//! Numba's terms.
//!
//! Both grid backends take the same [`LaunchConfig`], check it with the same
//! rules ([`LaunchConfig::validate`]) and compute the same default shape
//! ([`LaunchConfig::for_items`]), so a launch that runs on one runs on the
//! other and produces the same block partials.

use crate::{Error, Result};
use hotloop_core::Num;
use hotloop_core::index::blocks_to_cover;
use hotloop_core::reduce::pairwise_sum;
use std::fmt;

/// Most threads a CUDA block may have (every architecture since Fermi).
pub const MAX_THREADS_PER_BLOCK: u32 = 1024;

/// Most blocks in a one-dimensional CUDA grid (`gridDim.x`, 2^31 - 1).
pub const MAX_BLOCKS: u32 = i32::MAX as u32;

/// Threads per block of the default launch: a multiple of the warp size
/// that keeps enough blocks resident per multiprocessor.
pub const DEFAULT_THREADS_PER_BLOCK: u32 = 256;

/// A one-dimensional launch: `blocks` blocks of `threads_per_block` threads.
///
/// Every grid kernel is a grid-stride loop, so any valid configuration
/// covers any amount of work: more threads than items leaves some idle,
/// fewer makes each loop more than once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LaunchConfig {
    /// Blocks in the grid (`gridDim.x`).
    pub blocks: u32,
    /// Threads per block (`blockDim.x`).
    pub threads_per_block: u32,
}

impl LaunchConfig {
    /// A configuration checked by [`LaunchConfig::validate`].
    pub fn new(blocks: u32, threads_per_block: u32) -> Result<Self> {
        let cfg = Self {
            blocks,
            threads_per_block,
        };
        cfg.validate()?;
        Ok(cfg)
    }

    /// The default shape for `items` units of work (elements, or Philox
    /// blocks for Monte Carlo): [`DEFAULT_THREADS_PER_BLOCK`] threads per
    /// block, enough blocks for one item per thread, at most `max_blocks`
    /// (beyond that the grid-stride loops take over) and at least one.
    pub fn for_items(items: u64, max_blocks: u32) -> Self {
        let cap = max_blocks.clamp(1, MAX_BLOCKS);
        Self {
            blocks: blocks_to_cover(items, DEFAULT_THREADS_PER_BLOCK, cap).max(1),
            threads_per_block: DEFAULT_THREADS_PER_BLOCK,
        }
    }

    /// [`Error::InvalidLaunch`] for zero blocks, zero threads, more than
    /// [`MAX_THREADS_PER_BLOCK`] threads per block, or more than
    /// [`MAX_BLOCKS`] blocks.
    pub fn validate(&self) -> Result<()> {
        let why = if self.blocks == 0 {
            "a launch needs at least one block".to_string()
        } else if self.threads_per_block == 0 {
            "a launch needs at least one thread per block".to_string()
        } else if self.threads_per_block > MAX_THREADS_PER_BLOCK {
            format!(
                "{} threads per block exceeds CUDA's limit of {MAX_THREADS_PER_BLOCK}",
                self.threads_per_block
            )
        } else if self.blocks > MAX_BLOCKS {
            format!(
                "{} blocks exceeds CUDA's one-dimensional grid limit of {MAX_BLOCKS}",
                self.blocks
            )
        } else {
            return Ok(());
        };
        Err(Error::InvalidLaunch(format!("{self}: {why}")))
    }

    /// This launch with only the blocks that have work: at most
    /// `ceil(items / threads_per_block)` blocks, and at least one.
    ///
    /// Every built-in kernel hands work item `i` to global thread `i mod
    /// total threads` (a grid-stride loop, or the blog kernel's thread per
    /// plane), so in a grid with more threads than items each thread has at
    /// most item `global index`, and trimming changes no thread's work:
    /// only idle blocks go, and with them their partials. The grid
    /// backends trim every launch, so `simulator_with(i32::MAX, 1024)` over
    /// ten elements runs one block, and allocates one partial.
    pub fn trimmed_to(self, items: u64) -> Self {
        let needed = items.div_ceil(self.threads_per_block.max(1) as u64).max(1);
        Self {
            blocks: self.blocks.min(u32::try_from(needed).unwrap_or(u32::MAX)),
            ..self
        }
    }

    /// Threads in the whole grid.
    pub const fn total_threads(&self) -> u64 {
        self.blocks as u64 * self.threads_per_block as u64
    }
}

impl fmt::Display for LaunchConfig {
    /// `blocks x threads_per_block`, as in `kernel[blocks, threads]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.blocks, self.threads_per_block)
    }
}

/// The launch of the blog's kernel over an array of shape `dims`: `launch`
/// (validated) or one thread per plane, refused unless it has a thread for
/// each of the `dims[0]` planes (that kernel has no grid-stride loop), and
/// trimmed to the blocks that have a plane.
pub fn blog_launch(launch: Option<LaunchConfig>, dims: [usize; 3]) -> Result<LaunchConfig> {
    let planes = dims[0] as u64;
    let cfg = launch.unwrap_or_else(|| LaunchConfig::for_items(planes, MAX_BLOCKS));
    cfg.validate()?;
    if cfg.total_threads() < planes {
        return Err(Error::InvalidLaunch(format!(
            "{cfg}: the blog kernel needs one thread per plane, {planes} for shape {dims:?}"
        )));
    }
    Ok(cfg.trimmed_to(planes))
}

/// The host's half of a grid sum: combines the chunk sums (one per
/// `SUM_CHUNK` elements, in chunk order) pairwise, as the CPU backends do.
/// The simulator and the CUDA host both finish with this, so every backend
/// and launch gives the same bits. `S` is the sum's type
/// (`hotloop_core::Num::Sum`).
pub fn finish_sum<S: Num>(chunk_sums: &[S]) -> S {
    pairwise_sum(chunk_sums).canonical()
}

/// The host's half of a grid maximum (NaN-propagating); [`Num::LOWEST`]
/// for no partials.
pub fn finish_max<T: Num>(block_partials: &[T]) -> T {
    block_partials
        .iter()
        .fold(T::LOWEST, |acc, &x| T::max_of(acc, x))
}

/// The host's half of a grid minimum (NaN-propagating), over the partials
/// in block order; [`Num::HIGHEST`] for no partials.
pub fn finish_min<T: Num>(block_partials: &[T]) -> T {
    block_partials
        .iter()
        .fold(T::HIGHEST, |acc, &x| T::min_of(acc, x))
}

/// The host's half of a grid count (Monte Carlo hits): an exact sum.
pub fn finish_count(block_counts: &[u64]) -> u64 {
    block_counts.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_shapes_are_refused_with_the_reason() {
        for (b, t, needle) in [
            (0, 32, "at least one block"),
            (4, 0, "at least one thread"),
            (4, 1025, "limit of 1024"),
            (u32::MAX, 1, "grid limit"),
        ] {
            match LaunchConfig::new(b, t) {
                Err(Error::InvalidLaunch(msg)) => assert!(msg.contains(needle), "{msg}"),
                other => panic!("{b}x{t}: {other:?}"),
            }
        }
        assert!(LaunchConfig::new(1, 1).is_ok());
        assert!(LaunchConfig::new(MAX_BLOCKS, MAX_THREADS_PER_BLOCK).is_ok());
    }

    #[test]
    fn default_covers_caps_and_never_has_zero_blocks() {
        assert_eq!(LaunchConfig::for_items(0, 64).blocks, 1);
        assert_eq!(LaunchConfig::for_items(256, 64).blocks, 1);
        assert_eq!(LaunchConfig::for_items(257, 64).blocks, 2);
        assert_eq!(LaunchConfig::for_items(1 << 40, 64).blocks, 64);
        assert_eq!(LaunchConfig::for_items(1 << 40, 0).blocks, 1);
        let d = LaunchConfig::for_items(1000, 8);
        assert!(d.validate().is_ok());
        assert_eq!(d.to_string(), "4x256");
        assert_eq!(d.total_threads(), 1024);
    }

    #[test]
    fn trimming_keeps_only_blocks_with_work() {
        let huge = LaunchConfig::new(MAX_BLOCKS, 1024).unwrap();
        assert_eq!(huge.trimmed_to(10), LaunchConfig::new(1, 1024).unwrap());
        assert_eq!(huge.trimmed_to(0).blocks, 1);
        assert_eq!(huge.trimmed_to(1025).blocks, 2);
        assert_eq!(huge.trimmed_to(u64::MAX), huge);
        // A grid with fewer threads than items is left alone.
        let small = LaunchConfig::new(3, 7).unwrap();
        assert_eq!(small.trimmed_to(1000), small);
        assert_eq!(small.trimmed_to(15), small);
        assert_eq!(small.trimmed_to(14).blocks, 2);
    }

    #[test]
    fn finishers_combine_block_partials() {
        assert_eq!(finish_sum(&[1.0f64, 2.0, 3.5]), 6.5);
        assert_eq!(finish_sum::<f32>(&[]), 0.0);
        assert_eq!(finish_max(&[1.0f32, 7.0, -2.0]), 7.0);
        assert!(finish_max(&[1.0f64, f64::NAN, 3.0]).is_nan());
        assert_eq!(finish_max::<f64>(&[]), f64::NEG_INFINITY);
        assert_eq!(finish_min(&[1.0f32, 7.0, -2.0]), -2.0);
        assert!(finish_min(&[1.0f64, f64::NAN, -3.0]).is_nan());
        assert_eq!(finish_min::<f64>(&[]), f64::INFINITY);
        assert_eq!(finish_count(&[3, 4, 5]), 12);
    }
}
