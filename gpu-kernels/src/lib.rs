//! hotloop's CUDA device kernels: the PTX module of the built-ins.
//!
//! Compiled to PTX by rustc's own `nvptx64-nvidia-cuda` target through
//! `cargo xtask build-kernels`. The module holds two kinds of entry point:
//!
//! - the built-in ops' (maps, zips, counts, gufuncs, stencils): declared
//!   once, by `#[device_op(builtin)]` on each op's trait impl in
//!   `hotloop-core`, which generates the entries there when that crate is
//!   built with feature `kernels` (as this crate builds it);
//! - the hand-written ones below, the blog's workloads and the sums and
//!   extrema, listed in `hotloop_core::registry::KERNELS`.
//!
//! Every entry is thin: it reads its thread's indices and calls the
//! per-thread body in `hotloop_core::grid`, the function the CUDA simulator
//! calls for each simulated thread. `hotloop_core::nvptx` holds what only
//! the GPU has: the special registers, the barrier, the block reduction in
//! shared memory.
#![no_std]
// The nvptx kernel ABI is unstable: xtask builds this crate alone with
// RUSTC_BOOTSTRAP=1.
#![feature(abi_ptx, stdarch_nvptx)]

use hotloop_core::grid;
use hotloop_core::index::Shape3;
use hotloop_core::nvptx::{block_reduce, thread_idx, write_block_result};
use hotloop_core::philox::key_from_seed;
use hotloop_core::reduce::{Max, Min, Sum};

/// A kernel cannot unwind or report; stop the whole launch instead, which
/// the host sees as a launch error. (Release builds have no overflow checks
/// and the bodies use raw pointers, so no panic path is expected in the PTX.)
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // SAFETY: `trap` only aborts the kernel.
    unsafe { core::arch::nvptx::trap() }
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

/// Hits among samples `first_sample..end_sample` under `seed`
/// (Philox4x32-10, two samples per generator block, see `hotloop_core::pi`):
/// each thread counts its grid-stride share of the Philox blocks holding
/// them, the block sums the counts in shared memory, and thread 0 writes
/// `block_counts[blockIdx.x]`. The host sums the `gridDim.x` counts; the
/// total does not depend on the launch shape, and any split of a range
/// (one MPI rank's share) counts what the whole range holds there.
///
/// # Safety
/// `block_counts` holds `gridDim.x` elements.
#[unsafe(no_mangle)]
pub unsafe extern "ptx-kernel" fn monte_carlo_pi(
    seed: u64,
    first_sample: u64,
    end_sample: u64,
    block_counts: *mut u64,
) {
    let idx = thread_idx();
    let hits = grid::pi_thread_hits(idx, key_from_seed(seed), first_sample, end_sample);
    // SAFETY: every thread of the block reaches the reduction.
    let block_hits = unsafe { block_reduce::<u64, Sum>(idx, hits) };
    // SAFETY: the launch contract above.
    unsafe { write_block_result(idx, block_counts, block_hits) }
}

// ---------------------------------------------------------------------------
// Reductions: one partial per block, the host finishes
// ---------------------------------------------------------------------------

/// Chunk sums of `input[..len]`: `chunk_sums[c]` is the CPU's sum of
/// chunk `c` (`hotloop_core::reduce::sum_chunk`, `SUM_CHUNK` elements), one
/// thread per chunk, grid-stride. The host's pairwise sum of them is the
/// CPU backends' sum, bit for bit, at any launch.
///
/// # Safety
/// `input` holds `len` elements; `chunk_sums` holds `grid::sum_chunks(len)`.
#[unsafe(no_mangle)]
pub unsafe extern "ptx-kernel" fn sum_f64(input: *const f64, len: u64, chunk_sums: *mut f64) {
    // SAFETY: the launch contract above.
    unsafe { grid::sum_chunks_thread(thread_idx(), input, len, chunk_sums) }
}

/// f32 form of [`sum_f64`] (accumulates in f32, as the CPU backends do).
///
/// # Safety
/// As [`sum_f64`].
#[unsafe(no_mangle)]
pub unsafe extern "ptx-kernel" fn sum_f32(input: *const f32, len: u64, chunk_sums: *mut f32) {
    // SAFETY: as sum_f64.
    unsafe { grid::sum_chunks_thread(thread_idx(), input, len, chunk_sums) }
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

// ---------------------------------------------------------------------------
// min, one partial per block
// ---------------------------------------------------------------------------

/// Per-block partial minima of `input[..len]`, NaN-propagating; a block
/// whose threads have no elements writes positive infinity.
///
/// # Safety
/// `input` holds `len` elements; `partials` holds `gridDim.x`.
#[unsafe(no_mangle)]
pub unsafe extern "ptx-kernel" fn min_f64(input: *const f64, len: u64, partials: *mut f64) {
    let idx = thread_idx();
    // SAFETY: the launch contract above.
    unsafe {
        let partial = grid::min_thread_partial(idx, input, len);
        write_block_result(idx, partials, block_reduce::<f64, Min>(idx, partial));
    }
}

/// f32 form of [`min_f64`].
///
/// # Safety
/// As [`min_f64`].
#[unsafe(no_mangle)]
pub unsafe extern "ptx-kernel" fn min_f32(input: *const f32, len: u64, partials: *mut f32) {
    let idx = thread_idx();
    // SAFETY: as min_f64.
    unsafe {
        let partial = grid::min_thread_partial(idx, input, len);
        write_block_result(idx, partials, block_reduce::<f32, Min>(idx, partial));
    }
}
