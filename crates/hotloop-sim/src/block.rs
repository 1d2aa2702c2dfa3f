//! One simulated thread block: its shared memory and its barriers.
//!
//! A CUDA block's threads run concurrently and meet at `__syncthreads()`.
//! The simulator runs a block as a sequence of *phases*, the code between
//! two barriers: [`Block::phase`] runs the phase's body for every thread of
//! the block, one thread after another, and returns only when all have
//! finished, which is exactly the guarantee a barrier gives. Shared memory
//! is one slice per block, visible to every thread of that block only.
//!
//! Running the threads of a phase one after another is one legal schedule
//! of the real, concurrent execution; for a race-free kernel every schedule
//! gives the same result. [`ThreadOrder`] selects ascending or descending
//! thread order, so a test can run both and compare bits: a difference
//! means two threads of one phase touch the same slot, a data race on the
//! GPU.

use hotloop_core::grid::ThreadIdx;
use hotloop_core::reduce::{Reduction, block_tree};
use hotloop_runtime::LaunchConfig;

/// The order the threads of a block run in within one barrier phase.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ThreadOrder {
    /// Thread 0 first.
    #[default]
    Ascending,
    /// The last thread first.
    Descending,
}

/// One simulated block: its index in the grid, its shared memory, and a
/// count of the barriers it has passed.
#[derive(Debug)]
pub struct Block<'s, T> {
    cfg: LaunchConfig,
    block: u32,
    shared: &'s mut [T],
    order: ThreadOrder,
    barriers: u32,
}

impl<'s, T: Copy> Block<'s, T> {
    /// Block `block` of a launch `cfg`, with `shared` (at least
    /// `cfg.threads_per_block` slots) as its shared memory.
    ///
    /// # Panics
    /// If `shared` has fewer slots than the block has threads.
    pub fn new(cfg: LaunchConfig, block: u32, shared: &'s mut [T], order: ThreadOrder) -> Self {
        let threads = cfg.threads_per_block as usize;
        assert!(
            shared.len() >= threads,
            "a block of {threads} threads needs as many shared slots"
        );
        Self {
            cfg,
            block,
            shared: &mut shared[..threads],
            order,
            barriers: 0,
        }
    }

    /// The block's index in the grid (`blockIdx.x`).
    pub fn index(&self) -> u32 {
        self.block
    }

    /// Where thread `thread` of this block sits in the grid.
    pub fn thread(&self, thread: u32) -> ThreadIdx {
        ThreadIdx {
            block: self.block,
            block_dim: self.cfg.threads_per_block,
            thread,
            grid_dim: self.cfg.blocks,
        }
    }

    /// Runs `body` for every thread of the block, then the barrier: when
    /// this returns, every thread has finished the phase, and all of their
    /// shared-memory writes are visible to the next phase.
    pub fn phase(&mut self, mut body: impl FnMut(ThreadIdx, &mut [T])) {
        let n = self.cfg.threads_per_block;
        match self.order {
            ThreadOrder::Ascending => {
                for t in 0..n {
                    body(self.thread(t), self.shared);
                }
            }
            ThreadOrder::Descending => {
                for t in (0..n).rev() {
                    body(self.thread(t), self.shared);
                }
            }
        }
        self.barriers += 1;
    }

    /// The block's shared memory, as it stands after the last barrier.
    pub fn shared(&self) -> &[T] {
        self.shared
    }

    /// Barriers passed so far (one per [`Block::phase`]).
    pub fn barriers(&self) -> u32 {
        self.barriers
    }
}

/// The block reduction of the device kernels (`block_reduce`): every
/// thread stores its `partial` in its shared slot (barrier), then the
/// slots are folded in the device's tree ([`block_tree`]: each warp's
/// lanes, then the warps'; on the GPU, shuffles and a second barrier).
/// Returns the block's result, which thread 0 writes to the block's
/// output.
pub fn reduce<T: Copy, R: Reduction<T>>(
    block: &mut Block<'_, T>,
    partial: impl Fn(ThreadIdx) -> T,
) -> T {
    block.phase(|t, shared| shared[t.thread as usize] = partial(t));
    let result = block_tree::<T, R>(block.shared);
    block.barriers += 1;
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotloop_core::reduce::{Max, Sum};

    fn cfg(threads: u32) -> LaunchConfig {
        LaunchConfig::new(3, threads).unwrap()
    }

    #[test]
    fn reduction_has_the_device_barriers() {
        for (threads, barriers) in [(1, 2), (2, 2), (3, 2), (33, 2), (256, 2), (1024, 2)] {
            let mut shared = vec![0u64; threads as usize];
            let mut b = Block::new(cfg(threads), 2, &mut shared, ThreadOrder::Ascending);
            let got = reduce::<u64, Sum>(&mut b, |t| t.global());
            let want: u64 = (0..threads as u64).map(|i| 2 * threads as u64 + i).sum();
            assert_eq!(got, want, "{threads} threads");
            assert_eq!(b.barriers(), barriers, "{threads} threads");
        }
    }

    #[test]
    fn phase_order_does_not_change_a_race_free_reduction() {
        for threads in [1u32, 5, 7, 31, 64, 100, 1000] {
            let value = |t: ThreadIdx| ((t.thread as f64) * 0.37).sin() * 1e3 + 1e-3;
            let run = |order| {
                let mut shared = vec![0.0f64; 1024];
                let mut b = Block::new(cfg(threads), 1, &mut shared, order);
                (
                    reduce::<f64, Sum>(&mut b, value),
                    reduce::<f64, Max>(&mut b, value),
                )
            };
            let (s0, m0) = run(ThreadOrder::Ascending);
            let (s1, m1) = run(ThreadOrder::Descending);
            assert_eq!(s0.to_bits(), s1.to_bits(), "{threads}");
            assert_eq!(m0, m1);
        }
    }

    #[test]
    fn a_racy_phase_is_caught_by_reordering() {
        // Every thread reads its left neighbour's slot in the same phase it
        // is written: a race, which the two schedules disagree on.
        let racy = |order| {
            let mut shared = vec![1u32; 8];
            let mut b = Block::new(cfg(8), 0, &mut shared, order);
            b.phase(|t, s| {
                let i = t.thread as usize;
                if i > 0 {
                    s[i] += s[i - 1];
                }
            });
            b.shared().to_vec()
        };
        assert_ne!(racy(ThreadOrder::Ascending), racy(ThreadOrder::Descending));
    }

    #[test]
    #[should_panic(expected = "shared slots")]
    fn shared_memory_must_cover_the_block() {
        let mut shared = [0u8; 4];
        let _ = Block::new(cfg(8), 0, &mut shared, ThreadOrder::Ascending);
    }
}
