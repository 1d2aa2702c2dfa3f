//! The block barrier and its reductions, the grid barrier, and the memory
//! fences.

#[cfg(target_arch = "nvptx64")]
mod imp {
    use core::arch::asm;

    #[inline(always)]
    pub fn sync_threads() {
        // SAFETY: `bar.sync 0`; every thread of the block must reach it.
        unsafe { core::arch::nvptx::_syncthreads() }
    }

    #[inline(always)]
    pub fn barrier_count(pred: bool) -> u32 {
        let r: u32;
        // SAFETY: `bar.red.popc` on barrier 0, as `sync_threads` with a
        // count; every thread of the block must reach it.
        unsafe {
            asm!(
                "{{ .reg .pred %p; setp.ne.u32 %p, {x}, 0; bar.red.popc.u32 {r}, 0, %p; }}",
                x = in(reg32) pred as u32,
                r = out(reg32) r,
                options(nostack),
            )
        };
        r
    }

    macro_rules! barrier_vote {
        ($name:ident, $op:literal) => {
            #[inline(always)]
            pub fn $name(pred: bool) -> bool {
                let r: u32;
                // SAFETY: as `barrier_count`, with `bar.red.and` / `.or`.
                unsafe {
                    asm!(
                        concat!(
                            "{{ .reg .pred %p, %q; setp.ne.u32 %p, {x}, 0; bar.red.",
                            $op,
                            ".pred %q, 0, %p; selp.u32 {r}, 1, 0, %q; }}"
                        ),
                        x = in(reg32) pred as u32,
                        r = out(reg32) r,
                        options(nostack),
                    )
                };
                r != 0
            }
        };
    }
    barrier_vote!(barrier_and, "and");
    barrier_vote!(barrier_or, "or");

    // The grid barrier's counter: one word per module, zero at load.
    core::arch::global_asm!(".global .align 4 .u32 __hotloop_grid_barrier;");

    #[inline(always)]
    pub fn grid_sync() {
        sync_threads();
        let (t, b) = (crate::thread_idx(), crate::block_idx());
        if t.x == 0 && t.y == 0 && t.z == 0 {
            // Each block adds 1, block 0 adds 2^31 - (blocks - 1): once all
            // have added, the top bit has flipped, whatever the word held
            // (the counter needs no reset between launches).
            let blocks = crate::grid_dim().count() as u32;
            let add = if b.x == 0 && b.y == 0 && b.z == 0 {
                0x8000_0000u32.wrapping_sub(blocks - 1)
            } else {
                1
            };
            let (before, mut now): (u32, u32);
            // SAFETY: the module's word, only accessed by these atomics. The
            // add releases the block's writes (ordered before it by the
            // barrier) at the device's scope, the load acquires the other
            // blocks'; LLVM's atomics would drop the orderings on nvptx.
            unsafe {
                asm!(
                    "{{ .reg .u64 %a; cvta.global.u64 %a, __hotloop_grid_barrier; \
                     atom.add.release.gpu.u32 {before}, [%a], {add}; }}",
                    before = out(reg32) before,
                    add = in(reg32) add,
                    options(nostack),
                )
            };
            loop {
                // SAFETY: as above.
                unsafe {
                    asm!(
                        "{{ .reg .u64 %a; cvta.global.u64 %a, __hotloop_grid_barrier; \
                         ld.acquire.gpu.u32 {now}, [%a]; }}",
                        now = out(reg32) now,
                        options(nostack),
                    )
                };
                if (now ^ before) & 0x8000_0000 != 0 {
                    break;
                }
            }
        }
        sync_threads();
    }

    #[inline(always)]
    pub fn threadfence_block() {
        // SAFETY: a fence only orders this thread's accesses.
        unsafe { asm!("membar.cta;", options(nostack)) }
    }

    #[inline(always)]
    pub fn threadfence() {
        // SAFETY: as above.
        unsafe { asm!("membar.gl;", options(nostack)) }
    }

    #[inline(always)]
    pub fn threadfence_system() {
        // SAFETY: as above.
        unsafe { asm!("membar.sys;", options(nostack)) }
    }
}

#[cfg(not(target_arch = "nvptx64"))]
mod imp {
    use crate::collective::{BarrierOp, Collective};
    use crate::sim_thread::with_current;
    use core::sync::atomic::{Ordering, fence};

    fn barrier(op: BarrierOp, pred: bool) -> u32 {
        with_current(|t| t.collective(Collective::Barrier { op, pred })) as u32
    }

    pub fn sync_threads() {
        barrier(BarrierOp::Sync, false);
    }
    pub fn barrier_count(pred: bool) -> u32 {
        barrier(BarrierOp::Count, pred)
    }
    pub fn barrier_and(pred: bool) -> bool {
        barrier(BarrierOp::And, pred) != 0
    }
    pub fn barrier_or(pred: bool) -> bool {
        barrier(BarrierOp::Or, pred) != 0
    }
    pub fn grid_sync() {
        with_current(|t| t.collective(Collective::Grid));
    }
    // A simulated block runs on one OS thread, so its threads see each
    // other's accesses in program order already; blocks run on several,
    // where a sequentially consistent fence is the GPU's fence's promise.
    pub fn threadfence_block() {
        fence(Ordering::SeqCst)
    }
    pub fn threadfence() {
        fence(Ordering::SeqCst)
    }
    pub fn threadfence_system() {
        fence(Ordering::SeqCst)
    }
}

/// Waits until every thread of the block has reached this barrier, and
/// makes their writes to shared and global memory visible to each other
/// (`__syncthreads()`, Numba's `cuda.syncthreads()`). Every thread of the
/// block must call it the same number of times: the simulator reports a
/// barrier that only part of a block reaches as an error naming the
/// threads that did not arrive.
#[inline(always)]
pub fn sync_threads() {
    imp::sync_threads()
}

/// [`sync_threads`] that also counts the threads of the block whose
/// `pred` holds, and returns the count to each (Numba's
/// `cuda.syncthreads_count`). Every thread of the block must reach the
/// same kind of barrier: one at `sync_threads` while another is here is an
/// error in the simulator (undefined on the GPU).
#[inline(always)]
pub fn sync_threads_count(pred: bool) -> u32 {
    imp::barrier_count(pred)
}

/// [`sync_threads`] that returns whether `pred` holds for every thread of
/// the block (Numba's `cuda.syncthreads_and`).
#[inline(always)]
pub fn sync_threads_and(pred: bool) -> bool {
    imp::barrier_and(pred)
}

/// [`sync_threads`] that returns whether `pred` holds for any thread of
/// the block (Numba's `cuda.syncthreads_or`).
#[inline(always)]
pub fn sync_threads_or(pred: bool) -> bool {
    imp::barrier_or(pred)
}

/// Waits until every thread of the grid has reached this barrier, and
/// makes their writes visible to each other (Numba's
/// `cuda.cg.this_grid().sync()`): a kernel's phases over the whole grid in
/// one launch. The launch must be cooperative
/// ([`Grid::cooperative`](crate::host::Grid::cooperative)), which the
/// backends refuse when the grid's blocks cannot all be resident at once;
/// the simulator reports a grid barrier in a launch that is not, and one
/// that some block exits without reaching. Every thread of every block
/// must call it the same number of times.
#[inline(always)]
pub fn grid_sync() {
    imp::grid_sync()
}

/// Orders this thread's memory accesses as seen by the threads of its
/// block (`__threadfence_block()`, Numba's `cuda.threadfence_block`): the
/// writes before it are seen before the writes after it.
#[inline(always)]
pub fn threadfence_block() {
    imp::threadfence_block()
}

/// [`threadfence_block`] for every thread of the device
/// (`__threadfence()`, Numba's `cuda.threadfence`): what a block that
/// publishes a result and then raises a flag for other blocks needs.
#[inline(always)]
pub fn threadfence() {
    imp::threadfence()
}

/// [`threadfence`] for the host and other devices too
/// (`__threadfence_system()`, Numba's `cuda.threadfence_system`).
#[inline(always)]
pub fn threadfence_system() {
    imp::threadfence_system()
}
