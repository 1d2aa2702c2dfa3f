//! What the per-thread bodies need on the GPU alone (`nvptx64` builds
//! only): the thread's place in a one-dimensional launch, read from the
//! special registers; the block barrier; and the block reduction in shared
//! memory, whose tree steps are [`crate::reduce`]'s, as the simulator's are.
//!
//! The entry points `#[device_op]` generates and the hand-written ones in
//! `gpu-kernels/` call these, so neither needs the unstable intrinsics
//! itself.

use crate::grid::ThreadIdx;
use crate::reduce::{Reduction, first_tree_stride, tree_step_raw};
use core::arch::nvptx;
use core::arch::{asm, global_asm};

/// Slots of the block-shared array: one per thread of the largest block.
pub const BLOCK_SLOTS: usize = 1024;

/// Bytes of the block-shared array (8 per slot), each kernel that reduces
/// holds it statically (`ptxas -v` reports it as smem).
pub const SHARED_BYTES: usize = BLOCK_SLOTS * 8;

// Rust cannot place a static in the `.shared` state space, so the array is
// declared in module-scope PTX; kernels that do not use it do not hold it.
global_asm!(
    ".shared .align 8 .b8 hotloop_block_slots[{bytes}];",
    bytes = const SHARED_BYTES,
);

/// Where this thread sits in its (one-dimensional) launch.
#[inline(always)]
pub fn thread_idx() -> ThreadIdx {
    // SAFETY: reading the special registers has no preconditions.
    unsafe {
        ThreadIdx {
            block: nvptx::_block_idx_x(),
            block_dim: nvptx::_block_dim_x(),
            thread: nvptx::_thread_idx_x(),
            grid_dim: nvptx::_grid_dim_x(),
        }
    }
}

/// `__syncthreads()`: every thread of the block waits here, and their
/// shared-memory writes before it are visible to all after it.
///
/// # Safety
/// Every thread of the block reaches it (never under a thread-dependent
/// condition).
#[inline(always)]
pub unsafe fn sync_threads() {
    // SAFETY: the caller's.
    unsafe { nvptx::_syncthreads() }
}

/// The block's shared array as a generic pointer to `T` slots.
#[inline(always)]
fn block_slots<T>() -> *mut T {
    let p: *mut T;
    // SAFETY: only converts the array's `.shared` address into a generic
    // one, which ordinary loads and stores route to shared memory.
    unsafe {
        asm!(
            "cvta.shared.u64 {p}, hotloop_block_slots;",
            p = out(reg64) p,
            options(pure, nomem, nostack),
        );
    }
    p
}

/// Reduces one value per thread to one value per block: each thread stores
/// its partial in its shared slot, then the block runs the tree steps of
/// [`crate::reduce`] (the simulator runs the same ones), a barrier after
/// each. Returns the block's result on thread 0, `None` elsewhere. Any
/// block size up to [`BLOCK_SLOTS`].
///
/// # Safety
/// Every thread of the block calls it (it holds barriers).
#[inline(always)]
pub unsafe fn block_reduce<T: Copy, R: Reduction<T>>(idx: ThreadIdx, partial: T) -> Option<T> {
    const { assert!(size_of::<T>() <= 8) };
    let slots = block_slots::<T>();
    let tid = idx.thread as usize;
    let len = idx.block_dim as usize;
    // SAFETY: tid < block_dim <= BLOCK_SLOTS slots of at most 8 bytes; the
    // slot is this thread's alone until the barrier.
    unsafe { *slots.add(tid) = partial };
    // SAFETY: every thread of the block is here (the caller's).
    unsafe { sync_threads() };
    let mut stride = first_tree_stride(len);
    while stride > 0 {
        // SAFETY: len slots are valid; within a step, thread `tid` writes
        // only slot tid < stride and reads only slots no thread writes.
        unsafe { tree_step_raw::<T, R>(slots, len, tid, stride) };
        // SAFETY: as above; `stride` is the same on every thread.
        unsafe { sync_threads() };
        stride /= 2;
    }
    // SAFETY: slot 0 is valid and, after the last barrier, final.
    (tid == 0).then(|| unsafe { *slots })
}

/// Writes the block's result to `out[blockIdx.x]` (thread 0 only).
///
/// # Safety
/// `out` is valid for `gridDim.x` elements.
#[inline(always)]
pub unsafe fn write_block_result<T>(idx: ThreadIdx, out: *mut T, result: Option<T>) {
    if let Some(r) = result {
        // SAFETY: block < gridDim.x, the caller's bound; one writer per block.
        unsafe { *out.add(idx.block as usize) = r };
    }
}
