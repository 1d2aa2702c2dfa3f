//! The block barrier and its reductions, and the memory fences.

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

    #[inline(always)]
    pub fn barrier_and(pred: bool) -> bool {
        let r: u32;
        // SAFETY: as `barrier_count`, with `bar.red.and`.
        unsafe {
            asm!(
                "{{ .reg .pred %p, %q; setp.ne.u32 %p, {x}, 0; bar.red.and.pred %q, 0, %p; \
                 selp.u32 {r}, 1, 0, %q; }}",
                x = in(reg32) pred as u32,
                r = out(reg32) r,
                options(nostack),
            )
        };
        r != 0
    }

    #[inline(always)]
    pub fn barrier_or(pred: bool) -> bool {
        let r: u32;
        // SAFETY: as `barrier_count`, with `bar.red.or`.
        unsafe {
            asm!(
                "{{ .reg .pred %p, %q; setp.ne.u32 %p, {x}, 0; bar.red.or.pred %q, 0, %p; \
                 selp.u32 {r}, 1, 0, %q; }}",
                x = in(reg32) pred as u32,
                r = out(reg32) r,
                options(nostack),
            )
        };
        r != 0
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
