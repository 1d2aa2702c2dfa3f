//! Launching a kernel over a simulated one-dimensional grid.

use crate::block::{Block, ThreadOrder};
use hotloop_core::grid::ThreadIdx;
use hotloop_runtime::{LaunchConfig, Result, try_vec_with_capacity};
use rayon::prelude::*;

/// Most blocks of the simulator's default launch. Past `256 * 1024` work
/// items each simulated thread loops (grid-stride), as on a GPU.
pub const DEFAULT_MAX_BLOCKS: u32 = 1024;

/// The launch a kernel over `items` work items gets when the caller gives
/// none: [`LaunchConfig::for_items`] capped at [`DEFAULT_MAX_BLOCKS`].
pub fn default_launch(items: u64) -> LaunchConfig {
    LaunchConfig::for_items(items, DEFAULT_MAX_BLOCKS)
}

/// A validated launch on the simulator: `kernel[blocks, threads]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grid {
    cfg: LaunchConfig,
    order: ThreadOrder,
}

impl Grid {
    /// A grid for `cfg`, or [`Error::InvalidLaunch`] as the GPU would refuse
    /// it.
    ///
    /// [`Error::InvalidLaunch`]: hotloop_runtime::Error::InvalidLaunch
    pub fn new(cfg: LaunchConfig) -> Result<Self> {
        cfg.validate()?;
        Ok(Self {
            cfg,
            order: ThreadOrder::Ascending,
        })
    }

    /// `launch` if given (validated), else [`default_launch`] for `items`;
    /// either [trimmed](LaunchConfig::trimmed_to) to the blocks that have
    /// work, so the simulated threads and any per-block memory grow with
    /// the work, not with the launch.
    pub fn resolve(launch: Option<LaunchConfig>, items: u64) -> Result<Self> {
        Ok(Self::new(launch.unwrap_or_else(|| default_launch(items)))?.trimmed_to(items))
    }

    fn trimmed_to(self, items: u64) -> Self {
        Self {
            cfg: self.cfg.trimmed_to(items),
            ..self
        }
    }

    /// The same grid with the threads of each block run in `order`.
    pub fn with_thread_order(self, order: ThreadOrder) -> Self {
        Self { order, ..self }
    }

    /// The launch configuration.
    pub fn config(&self) -> LaunchConfig {
        self.cfg
    }

    /// Runs `kernel` once for every thread of the grid, as a kernel without
    /// barriers: blocks in parallel on rayon's pool, the threads of a block
    /// one after another.
    pub fn for_each_thread(&self, kernel: impl Fn(ThreadIdx) + Sync) {
        let (cfg, order) = (self.cfg, self.order);
        (0..cfg.blocks).into_par_iter().for_each(|b| {
            let idx = |thread| ThreadIdx {
                block: b,
                block_dim: cfg.threads_per_block,
                thread,
                grid_dim: cfg.blocks,
            };
            match order {
                ThreadOrder::Ascending => (0..cfg.threads_per_block).for_each(|t| kernel(idx(t))),
                ThreadOrder::Descending => (0..cfg.threads_per_block)
                    .rev()
                    .for_each(|t| kernel(idx(t))),
            }
        });
    }

    /// Runs a kernel whose every block produces one value (thread 0 writes
    /// `out[blockIdx.x]`), and returns those values in block order.
    /// `block_kernel` runs once per block with the block's shared memory
    /// (`threads_per_block` slots, initially `fill`) and its barrier phases.
    ///
    /// The output array is allocated fallibly, as the device allocates its
    /// partials: a grid of 2^31 blocks is an error, not an abort.
    pub fn block_outputs<T: Copy + Send + Sync>(
        &self,
        fill: T,
        block_kernel: impl Fn(&mut Block<'_, T>) -> T + Sync,
    ) -> Result<Vec<T>> {
        let (cfg, order) = (self.cfg, self.order);
        let mut out = try_vec_with_capacity("simulated block outputs", cfg.blocks as usize)?;
        (0..cfg.blocks)
            .into_par_iter()
            .map_init(
                // Shared memory: one allocation per worker, reset per block.
                || vec![fill; cfg.threads_per_block as usize],
                |shared, b| {
                    shared.fill(fill);
                    block_kernel(&mut Block::new(cfg, b, shared, order))
                },
            )
            .collect_into_vec(&mut out);
        Ok(out)
    }
}

/// A pointer into simulated global memory, shared by every simulated
/// thread. The kernels' contracts (each index written by one thread only)
/// are what make sharing it across rayon's workers sound.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Global<T>(*mut T);

// SAFETY: a `Global` is only dereferenced by kernel bodies whose contract
// gives each thread disjoint indices to write; reads of shared input are
// read-only for the whole launch.
unsafe impl<T: Send> Send for Global<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Global<T> {}

impl<T> Global<T> {
    /// Global memory holding `data` (read-only for the launch).
    pub(crate) fn input(data: &[T]) -> Self {
        Self(data.as_ptr().cast_mut())
    }

    /// Global memory holding `data`.
    pub(crate) fn output(data: &mut [T]) -> Self {
        Self(data.as_mut_ptr())
    }

    /// The raw pointer (a method, so closures capture the whole `Global`).
    pub(crate) fn ptr(self) -> *mut T {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotloop_runtime::Error;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn every_thread_runs_once_with_its_index() {
        for (blocks, threads) in [(1, 1), (3, 7), (5, 33), (2, 1024)] {
            let cfg = LaunchConfig::new(blocks, threads).unwrap();
            for order in [ThreadOrder::Ascending, ThreadOrder::Descending] {
                let grid = Grid::new(cfg).unwrap().with_thread_order(order);
                let seen: Vec<AtomicU64> = (0..cfg.total_threads())
                    .map(|_| AtomicU64::new(0))
                    .collect();
                grid.for_each_thread(|t| {
                    assert_eq!((t.block_dim, t.grid_dim), (threads, blocks));
                    seen[t.global() as usize].fetch_add(1, Ordering::Relaxed);
                });
                assert!(seen.iter().all(|c| c.load(Ordering::Relaxed) == 1));
            }
        }
    }

    #[test]
    fn block_outputs_are_in_block_order() {
        let grid = Grid::new(LaunchConfig::new(37, 3).unwrap()).unwrap();
        let out = grid
            .block_outputs(0u32, |b| {
                b.phase(|t, s| s[t.thread as usize] = t.block);
                b.shared()[0] + b.shared()[2]
            })
            .unwrap();
        assert_eq!(out, (0..37).map(|b| 2 * b).collect::<Vec<_>>());
    }

    #[test]
    fn invalid_launches_are_refused() {
        for (b, t) in [(0, 1), (1, 0), (1, 1025)] {
            let cfg = LaunchConfig {
                blocks: b,
                threads_per_block: t,
            };
            assert!(matches!(Grid::new(cfg), Err(Error::InvalidLaunch(_))));
            assert!(matches!(
                Grid::resolve(Some(cfg), 10),
                Err(Error::InvalidLaunch(_))
            ));
        }
        assert_eq!(
            Grid::resolve(None, 1000).unwrap().config(),
            default_launch(1000)
        );
    }
}
