//! hotloop's CUDA device kernels.
//!
//! Compiled to PTX by rustc's own `nvptx64-nvidia-cuda` target through
//! `cargo xtask build-kernels`; the ABI (entry names, parameters, launch
//! shapes) is documented in `gpu-kernels/README.md`, which the host launcher
//! and the CPU simulator follow.
//!
//! Every kernel is a thin entry point: it reads its thread and block indices
//! and calls the per-thread body in `hotloop_core::grid`, the same function
//! the CUDA simulator calls for each simulated thread. The only device-only
//! code here is what has no meaning on the host: the special registers, the
//! block-shared array and the barrier.
#![no_std]
// The nvptx kernel ABI, its special-register intrinsics and inline assembly
// are unstable: xtask builds this crate alone with RUSTC_BOOTSTRAP=1.
#![feature(abi_ptx, stdarch_nvptx, asm_experimental_arch)]

use core::arch::nvptx;
use core::arch::{asm, global_asm};

use hotloop_core::grid::{self, ThreadIdx};
use hotloop_core::index::Shape3;
use hotloop_core::philox::key_from_seed;
use hotloop_core::reduce::{Max, Reduction, Sum, first_tree_stride, tree_step_raw};

/// A kernel cannot unwind or report; stop the whole launch instead, which
/// the host sees as a launch error. (Release builds have no overflow checks
/// and the bodies use raw pointers, so no panic path is expected in the PTX.)
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // SAFETY: `trap` only aborts the kernel.
    unsafe { nvptx::trap() }
}

/// Where this thread sits in its (one-dimensional) launch.
#[inline(always)]
fn thread_idx() -> ThreadIdx {
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

// ---------------------------------------------------------------------------
// Block-shared memory and the block reduction
// ---------------------------------------------------------------------------

/// Threads per block CUDA allows at most, hence slots of the shared array.
const MAX_BLOCK_DIM: usize = 1024;

/// Bytes of the shared array: one 8-byte slot per thread (u64 and f64; f32
/// uses the first half).
const SHARED_BYTES: usize = MAX_BLOCK_DIM * 8;

// Rust has no way to place a static in the PTX `.shared` state space
// (address space 3), so the array is declared in module-scope PTX. It is a
// *static* allocation: every kernel that refers to it gets its own
// `SHARED_BYTES` per block, reported by `ptxas -v` as smem; the host passes
// no dynamic shared memory.
global_asm!(
    ".shared .align 8 .b8 hotloop_block_slots[{bytes}];",
    bytes = const SHARED_BYTES,
);

/// The block's shared array as a generic pointer to `T` slots.
///
/// `cvta` turns the `.shared` address into a generic one that ordinary Rust
/// loads and stores (and `hotloop_core`'s reduction step) can use; the
/// hardware routes generic accesses in the shared window to shared memory.
#[inline(always)]
fn block_slots<T>() -> *mut T {
    let p: *mut T;
    // SAFETY: only takes the address of the array declared above.
    unsafe {
        asm!(
            "cvta.shared.u64 {p}, hotloop_block_slots;",
            p = out(reg64) p,
            options(pure, nomem, nostack),
        );
    }
    p
}

/// `__syncthreads()`: every thread of the block waits here, and their
/// shared-memory writes before it are visible to all after it.
#[inline(always)]
fn sync_threads() {
    // SAFETY: called only where every thread of the block reaches it
    // (never under a thread-dependent condition).
    unsafe { nvptx::_syncthreads() }
}

/// Reduces one value per thread to one value per block: each thread stores
/// its partial in its shared slot, then the block runs `hotloop_core`'s tree
/// steps (the simulator runs the same ones), a barrier after each. Returns
/// the block's result on thread 0, `None` elsewhere.
///
/// Works for any block size up to [`MAX_BLOCK_DIM`], not only powers of two.
/// Every thread of the block must call it (it contains barriers).
#[inline(always)]
fn block_reduce<T: Copy, R: Reduction<T>>(idx: ThreadIdx, partial: T) -> Option<T> {
    const { assert!(size_of::<T>() <= 8) };
    let slots = block_slots::<T>();
    let tid = idx.thread as usize;
    let len = idx.block_dim as usize;
    // SAFETY: tid < block_dim <= MAX_BLOCK_DIM slots of at most 8 bytes; the
    // slot is this thread's alone until the barrier.
    unsafe { *slots.add(tid) = partial };
    sync_threads();
    let mut stride = first_tree_stride(len);
    while stride > 0 {
        // SAFETY: len slots are valid; within a step, thread `tid` writes
        // only slot tid < stride and reads only slots no thread writes.
        unsafe { tree_step_raw::<T, R>(slots, len, tid, stride) };
        sync_threads();
        stride /= 2;
    }
    // SAFETY: slot 0 is valid and, after the last barrier, final.
    (tid == 0).then(|| unsafe { *slots })
}

/// Writes the block's result to `out[blockIdx.x]` (thread 0 only).
///
/// # Safety
/// `out` must be valid for `gridDim.x` elements.
#[inline(always)]
unsafe fn write_block_result<T>(idx: ThreadIdx, out: *mut T, result: Option<T>) {
    if let Some(r) = result {
        // SAFETY: block < gridDim.x, the caller's bound; one writer per block.
        unsafe { *out.add(idx.block as usize) = r };
    }
}

// ---------------------------------------------------------------------------
// add_scalar: out[i] = input[i] + scalar
// ---------------------------------------------------------------------------

/// `out[i] = input[i] + scalar` for `i < len`, grid-stride (any grid covers
/// any `len`, including beyond 2^32 elements).
///
/// # Safety
/// `input` and `out` hold `len` elements and do not overlap.
#[unsafe(no_mangle)]
pub unsafe extern "ptx-kernel" fn add_scalar_f64(
    input: *const f64,
    out: *mut f64,
    len: u64,
    scalar: f64,
) {
    // SAFETY: the launch contract above; grid-stride indices are disjoint.
    unsafe { grid::add_scalar_thread(thread_idx(), input, out, len, scalar) }
}

/// f32 form of [`add_scalar_f64`].
///
/// # Safety
/// As [`add_scalar_f64`].
#[unsafe(no_mangle)]
pub unsafe extern "ptx-kernel" fn add_scalar_f32(
    input: *const f32,
    out: *mut f32,
    len: u64,
    scalar: f32,
) {
    // SAFETY: as add_scalar_f64.
    unsafe { grid::add_scalar_thread(thread_idx(), input, out, len, scalar) }
}

/// `data[i] += scalar` for `i < len`, grid-stride.
///
/// # Safety
/// `data` holds `len` elements.
#[unsafe(no_mangle)]
pub unsafe extern "ptx-kernel" fn add_scalar_inplace_f64(data: *mut f64, len: u64, scalar: f64) {
    // SAFETY: the body allows out == input; each index read then written by
    // one thread.
    unsafe { grid::add_scalar_thread(thread_idx(), data, data, len, scalar) }
}

/// f32 form of [`add_scalar_inplace_f64`].
///
/// # Safety
/// As [`add_scalar_inplace_f64`].
#[unsafe(no_mangle)]
pub unsafe extern "ptx-kernel" fn add_scalar_inplace_f32(data: *mut f32, len: u64, scalar: f32) {
    // SAFETY: as add_scalar_inplace_f64.
    unsafe { grid::add_scalar_thread(thread_idx(), data, data, len, scalar) }
}

/// The blog's launch shape over a row-major `nx * ny * nz` array: global
/// thread `x < nx` handles plane `x`, looping over `z` then `y`. Deliberately
/// uncoalesced; a named variant for the benchmark table.
///
/// # Safety
/// `input` and `out` hold `nx * ny * nz` elements (no overflow) and do not
/// overlap.
#[unsafe(no_mangle)]
pub unsafe extern "ptx-kernel" fn add_scalar_blog_f64(
    input: *const f64,
    out: *mut f64,
    nx: u64,
    ny: u64,
    nz: u64,
    scalar: f64,
) {
    // u64 -> usize is lossless on nvptx64.
    let shape = Shape3::new(nx as usize, ny as usize, nz as usize);
    // SAFETY: the launch contract above; thread x writes plane x only.
    unsafe { grid::add_scalar_blog_thread(thread_idx(), input, out, shape, scalar) }
}

/// f32 form of [`add_scalar_blog_f64`].
///
/// # Safety
/// As [`add_scalar_blog_f64`].
#[unsafe(no_mangle)]
pub unsafe extern "ptx-kernel" fn add_scalar_blog_f32(
    input: *const f32,
    out: *mut f32,
    nx: u64,
    ny: u64,
    nz: u64,
    scalar: f32,
) {
    let shape = Shape3::new(nx as usize, ny as usize, nz as usize);
    // SAFETY: as add_scalar_blog_f64.
    unsafe { grid::add_scalar_blog_thread(thread_idx(), input, out, shape, scalar) }
}

// ---------------------------------------------------------------------------
// Monte Carlo pi
// ---------------------------------------------------------------------------

/// Hits among samples `0..n_samples` under `seed` (Philox4x32-10, two samples
/// per generator block, see `hotloop_core::pi`): each thread counts its
/// grid-stride share of the Philox blocks, the block sums the counts in
/// shared memory, and thread 0 writes `block_counts[blockIdx.x]`. The host
/// sums the `gridDim.x` counts; the total does not depend on the launch shape.
///
/// # Safety
/// `block_counts` holds `gridDim.x` elements.
#[unsafe(no_mangle)]
pub unsafe extern "ptx-kernel" fn monte_carlo_pi(
    seed: u64,
    n_samples: u64,
    block_counts: *mut u64,
) {
    let idx = thread_idx();
    let hits = grid::pi_thread_hits(idx, key_from_seed(seed), n_samples);
    let block_hits = block_reduce::<u64, Sum>(idx, hits);
    // SAFETY: the launch contract above.
    unsafe { write_block_result(idx, block_counts, block_hits) }
}

// ---------------------------------------------------------------------------
// Reductions: one partial per block, the host finishes
// ---------------------------------------------------------------------------

/// Per-block partial sums of `input[..len]`: `partials[blockIdx.x]` is the
/// tree-combined sum of the block's threads' grid-stride partial sums. The
/// order of additions is fixed by `len` and the launch shape.
///
/// # Safety
/// `input` holds `len` elements; `partials` holds `gridDim.x`.
#[unsafe(no_mangle)]
pub unsafe extern "ptx-kernel" fn sum_f64(input: *const f64, len: u64, partials: *mut f64) {
    let idx = thread_idx();
    // SAFETY: the launch contract above.
    unsafe {
        let partial = grid::sum_thread_partial(idx, input, len);
        write_block_result(idx, partials, block_reduce::<f64, Sum>(idx, partial));
    }
}

/// f32 form of [`sum_f64`] (accumulates in f32, as the CPU backends do).
///
/// # Safety
/// As [`sum_f64`].
#[unsafe(no_mangle)]
pub unsafe extern "ptx-kernel" fn sum_f32(input: *const f32, len: u64, partials: *mut f32) {
    let idx = thread_idx();
    // SAFETY: as sum_f64.
    unsafe {
        let partial = grid::sum_thread_partial(idx, input, len);
        write_block_result(idx, partials, block_reduce::<f32, Sum>(idx, partial));
    }
}

/// Per-block partial maxima of `input[..len]`, NaN-propagating; a block
/// whose threads have no elements writes negative infinity.
///
/// # Safety
/// `input` holds `len` elements; `partials` holds `gridDim.x`.
#[unsafe(no_mangle)]
pub unsafe extern "ptx-kernel" fn max_f64(input: *const f64, len: u64, partials: *mut f64) {
    let idx = thread_idx();
    // SAFETY: the launch contract above.
    unsafe {
        let partial = grid::max_thread_partial(idx, input, len);
        write_block_result(idx, partials, block_reduce::<f64, Max>(idx, partial));
    }
}

/// f32 form of [`max_f64`].
///
/// # Safety
/// As [`max_f64`].
#[unsafe(no_mangle)]
pub unsafe extern "ptx-kernel" fn max_f32(input: *const f32, len: u64, partials: *mut f32) {
    let idx = thread_idx();
    // SAFETY: as max_f64.
    unsafe {
        let partial = grid::max_thread_partial(idx, input, len);
        write_block_result(idx, partials, block_reduce::<f32, Max>(idx, partial));
    }
}
