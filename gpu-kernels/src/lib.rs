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
//!
//! The entries are listed, with their parameter types and shared-memory
//! use, in the kernel registry `hotloop_core::registry::KERNELS`, which
//! `check-ptx` checks this crate's PTX against and the CUDA host loads from:
//! a new entry here needs its row there (and in the README's ABI table).
#![no_std]
// The nvptx kernel ABI, its special-register intrinsics and inline assembly
// are unstable: xtask builds this crate alone with RUSTC_BOOTSTRAP=1.
#![feature(abi_ptx, stdarch_nvptx, asm_experimental_arch)]

use core::arch::nvptx;
use core::arch::{asm, global_asm};

use hotloop_core::device_op::{Horner, boundary_abi};
use hotloop_core::grid::{self, ThreadIdx};
use hotloop_core::gufunc::{MovingAverage, NormalizeRows};
use hotloop_core::index::Shape3;
use hotloop_core::map::{Add, Affine, Axpy, Clamp, Exp, Mul};
use hotloop_core::philox::key_from_seed;
use hotloop_core::predicate::{GreaterThan, InRange, IsNan, LessThan};
use hotloop_core::reduce::{Max, Min, Reduction, Sum, first_tree_stride, tree_step_raw};
use hotloop_core::registry::{BLOCK_SLOTS, SHARED_BYTES};
use hotloop_core::stencil::{Jacobi5, Laplacian7, Planar};

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

// The shared array's size comes from the kernel registry
// (`hotloop_core::registry::{BLOCK_SLOTS, SHARED_BYTES}`: one 8-byte slot
// per thread of the largest block), which `check-ptx` checks `ptxas -v`
// against.
const _: () = assert!(SHARED_BYTES == BLOCK_SLOTS * 8);

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
/// Works for any block size up to [`BLOCK_SLOTS`], not only powers of two.
/// Every thread of the block must call it (it contains barriers).
#[inline(always)]
fn block_reduce<T: Copy, R: Reduction<T>>(idx: ThreadIdx, partial: T) -> Option<T> {
    const { assert!(size_of::<T>() <= 8) };
    let slots = block_slots::<T>();
    let tid = idx.thread as usize;
    let len = idx.block_dim as usize;
    // SAFETY: tid < block_dim <= BLOCK_SLOTS slots of at most 8 bytes; the
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
// Numba parity: maps (@vectorize), one entry pair per built-in op
// ---------------------------------------------------------------------------
//
// A generic op cannot cross to the device: each built-in op has its own
// entries, whose parameters are the op's fields, and each runs the
// per-thread body the simulator runs (`grid::map_thread`, `grid::zip_thread`)
// over that concrete op. `out` may equal `input` (in place: the host passes
// one buffer twice); otherwise the buffers must not overlap.

/// Defines the f64 and f32 entries of a unary map over `$op`, whose fields
/// are the scalar parameters `$p`.
macro_rules! map_entries {
    ($(#[$doc:meta])* $f64:ident, $f32:ident, ($($p:ident),*) => $op:expr) => {
        $(#[$doc])*
        ///
        /// # Safety
        /// `input` and `out` hold `len` elements and are equal or disjoint.
        #[unsafe(no_mangle)]
        pub unsafe extern "ptx-kernel" fn $f64(
            input: *const f64,
            out: *mut f64,
            len: u64,
            $($p: f64),*
        ) {
            // SAFETY: the launch contract above; grid-stride indices are
            // disjoint between threads.
            unsafe { grid::map_thread(thread_idx(), &$op, input, out, len) }
        }

        $(#[$doc])*
        /// (f32.)
        ///
        /// # Safety
        /// `input` and `out` hold `len` elements and are equal or disjoint.
        #[unsafe(no_mangle)]
        pub unsafe extern "ptx-kernel" fn $f32(
            input: *const f32,
            out: *mut f32,
            len: u64,
            $($p: f32),*
        ) {
            // SAFETY: as the f64 entry.
            unsafe { grid::map_thread(thread_idx(), &$op, input, out, len) }
        }
    };
}

map_entries!(
    /// `out[i] = a * input[i] + b` (`map::Affine`: a multiplication, then
    /// an addition, no fused multiply-add).
    map_affine_f64, map_affine_f32, (a, b) => Affine { a, b }
);

map_entries!(
    /// `out[i] = min(max(input[i], lo), hi)`, NaN passing through (`map::Clamp`).
    map_clamp_f64, map_clamp_f32, (lo, hi) => Clamp { lo, hi }
);

map_entries!(
    /// `out[i] = e^input[i]`, hotloop's own exp (`map::Exp`, `math::exp_*`).
    map_exp_f64, map_exp_f32, () => Exp
);

/// `out[i] = p(input[i])`, Horner's rule over `coeffs[..n_coeffs]` (lowest
/// degree first), in device memory: `device_op::Horner`, the operations of
/// `map::Polynomial` with as many coefficients.
///
/// # Safety
/// `input` and `out` hold `len` elements and are equal or disjoint;
/// `coeffs` holds `n_coeffs`.
#[unsafe(no_mangle)]
pub unsafe extern "ptx-kernel" fn map_polynomial_f64(
    input: *const f64,
    out: *mut f64,
    len: u64,
    coeffs: *const f64,
    n_coeffs: u64,
) {
    // SAFETY: the launch contract above (u64 -> usize is lossless on
    // nvptx64); the coefficients are read-only for the launch.
    unsafe {
        let coeffs = core::slice::from_raw_parts(coeffs, n_coeffs as usize);
        grid::map_thread(thread_idx(), &Horner { coeffs }, input, out, len)
    }
}

/// f32 form of [`map_polynomial_f64`].
///
/// # Safety
/// As [`map_polynomial_f64`].
#[unsafe(no_mangle)]
pub unsafe extern "ptx-kernel" fn map_polynomial_f32(
    input: *const f32,
    out: *mut f32,
    len: u64,
    coeffs: *const f32,
    n_coeffs: u64,
) {
    // SAFETY: as map_polynomial_f64.
    unsafe {
        let coeffs = core::slice::from_raw_parts(coeffs, n_coeffs as usize);
        grid::map_thread(thread_idx(), &Horner { coeffs }, input, out, len)
    }
}

/// Defines the f64 and f32 entries of a binary map (array ⊕ array) over
/// `$op`.
macro_rules! zip_entries {
    ($(#[$doc:meta])* $f64:ident, $f32:ident, ($($p:ident),*) => $op:expr) => {
        $(#[$doc])*
        ///
        /// # Safety
        /// `a`, `b` and `out` hold `len` elements; `out` equals `a` or `b`
        /// or overlaps neither.
        #[unsafe(no_mangle)]
        pub unsafe extern "ptx-kernel" fn $f64(
            a: *const f64,
            b: *const f64,
            out: *mut f64,
            len: u64,
            $($p: f64),*
        ) {
            // SAFETY: the launch contract above; disjoint indices per thread.
            unsafe { grid::zip_thread(thread_idx(), &$op, a, b, out, len) }
        }

        $(#[$doc])*
        /// (f32.)
        ///
        /// # Safety
        /// As the f64 entry.
        #[unsafe(no_mangle)]
        pub unsafe extern "ptx-kernel" fn $f32(
            a: *const f32,
            b: *const f32,
            out: *mut f32,
            len: u64,
            $($p: f32),*
        ) {
            // SAFETY: as the f64 entry.
            unsafe { grid::zip_thread(thread_idx(), &$op, a, b, out, len) }
        }
    };
}

zip_entries!(
    /// `out[i] = a[i] + b[i]` (`map::Add`).
    zip_add_f64, zip_add_f32, () => Add
);

zip_entries!(
    /// `out[i] = a[i] * b[i]` (`map::Mul`).
    zip_mul_f64, zip_mul_f32, () => Mul
);

zip_entries!(
    /// `out[i] = alpha * a[i] + b[i]` (`map::Axpy`).
    zip_axpy_f64, zip_axpy_f32, (alpha) => Axpy { a: alpha }
);

// ---------------------------------------------------------------------------
// Numba parity: gufuncs (@guvectorize), one thread per row
// ---------------------------------------------------------------------------

/// Trailing moving average of each of the `rows` rows of `n` elements
/// (`gufunc::MovingAverage`, signature `(n),()->(n)`): thread `t` runs rows
/// `t, t + G*B, ...` (grid-stride), each row sequentially, as one CPU task
/// runs it. `window >= 1` (the host checks).
///
/// # Safety
/// `input` and `out` hold `rows * n` elements (no overflow) and do not
/// overlap.
#[unsafe(no_mangle)]
pub unsafe extern "ptx-kernel" fn gufunc_moving_average_f64(
    input: *const f64,
    out: *mut f64,
    rows: u64,
    n: u64,
    window: u64,
) {
    let k = MovingAverage {
        window: window as usize,
    };
    let n = n as usize;
    // SAFETY: the launch contract above; rows are disjoint per thread.
    unsafe { grid::gufunc_thread(thread_idx(), &k, &[n], input, n, out, n, rows) }
}

/// f32 form of [`gufunc_moving_average_f64`].
///
/// # Safety
/// As [`gufunc_moving_average_f64`].
#[unsafe(no_mangle)]
pub unsafe extern "ptx-kernel" fn gufunc_moving_average_f32(
    input: *const f32,
    out: *mut f32,
    rows: u64,
    n: u64,
    window: u64,
) {
    let k = MovingAverage {
        window: window as usize,
    };
    let n = n as usize;
    // SAFETY: as gufunc_moving_average_f64.
    unsafe { grid::gufunc_thread(thread_idx(), &k, &[n], input, n, out, n, rows) }
}

/// Each of the `rows` rows of `n` elements divided by its 2-norm
/// (`gufunc::NormalizeRows`, `(n)->(n)`), one thread per row, grid-stride.
///
/// # Safety
/// `input` and `out` hold `rows * n` elements (no overflow) and do not
/// overlap.
#[unsafe(no_mangle)]
pub unsafe extern "ptx-kernel" fn gufunc_normalize_rows_f64(
    input: *const f64,
    out: *mut f64,
    rows: u64,
    n: u64,
) {
    let n = n as usize;
    // SAFETY: the launch contract above; rows are disjoint per thread.
    unsafe { grid::gufunc_thread(thread_idx(), &NormalizeRows, &[n], input, n, out, n, rows) }
}

/// f32 form of [`gufunc_normalize_rows_f64`].
///
/// # Safety
/// As [`gufunc_normalize_rows_f64`].
#[unsafe(no_mangle)]
pub unsafe extern "ptx-kernel" fn gufunc_normalize_rows_f32(
    input: *const f32,
    out: *mut f32,
    rows: u64,
    n: u64,
) {
    let n = n as usize;
    // SAFETY: as gufunc_normalize_rows_f64.
    unsafe { grid::gufunc_thread(thread_idx(), &NormalizeRows, &[n], input, n, out, n, rows) }
}

// ---------------------------------------------------------------------------
// Numba parity: stencils (@stencil), one thread per output cell
// ---------------------------------------------------------------------------
//
// `mode` encodes the boundary (`device_op::boundary_abi`: 0 border cells
// set to `constant`, 1 out-of-range reads as `constant`, 2 clamp). Each
// cell is `stencil::stencil_cell`, the CPU's own per-cell arithmetic; the
// built-ins read only their declared neighbourhood, so its error result
// never arises here.

/// The 7-point Laplacian (`stencil::Laplacian7 { scale }`) of the row-major
/// `nx * ny * nz` array, cells grid-stride.
///
/// # Safety
/// `input` and `out` hold `nx * ny * nz` elements (no overflow) and do not
/// overlap.
#[unsafe(no_mangle)]
pub unsafe extern "ptx-kernel" fn stencil_laplacian7_f64(
    input: *const f64,
    out: *mut f64,
    nx: u64,
    ny: u64,
    nz: u64,
    scale: f64,
    mode: u32,
    constant: f64,
) {
    let shape = Shape3::new(nx as usize, ny as usize, nz as usize);
    let boundary = boundary_abi::decode(mode, constant);
    // SAFETY: the launch contract above; cells are disjoint per thread.
    let _ = unsafe {
        grid::stencil_thread(
            thread_idx(),
            &Laplacian7 { scale },
            input,
            out,
            shape,
            boundary,
        )
    };
}

/// f32 form of [`stencil_laplacian7_f64`].
///
/// # Safety
/// As [`stencil_laplacian7_f64`].
#[unsafe(no_mangle)]
pub unsafe extern "ptx-kernel" fn stencil_laplacian7_f32(
    input: *const f32,
    out: *mut f32,
    nx: u64,
    ny: u64,
    nz: u64,
    scale: f32,
    mode: u32,
    constant: f32,
) {
    let shape = Shape3::new(nx as usize, ny as usize, nz as usize);
    let boundary = boundary_abi::decode(mode, constant);
    // SAFETY: as stencil_laplacian7_f64.
    let _ = unsafe {
        grid::stencil_thread(
            thread_idx(),
            &Laplacian7 { scale },
            input,
            out,
            shape,
            boundary,
        )
    };
}

/// One Jacobi step (`stencil::Planar(Jacobi5)`) on each of the `nx` planes
/// of `ny * nz` cells of the row-major array (`nx = 1` for a 2-D array),
/// cells grid-stride.
///
/// # Safety
/// `input` and `out` hold `nx * ny * nz` elements (no overflow) and do not
/// overlap.
#[unsafe(no_mangle)]
pub unsafe extern "ptx-kernel" fn stencil_jacobi5_f64(
    input: *const f64,
    out: *mut f64,
    nx: u64,
    ny: u64,
    nz: u64,
    mode: u32,
    constant: f64,
) {
    let shape = Shape3::new(nx as usize, ny as usize, nz as usize);
    let boundary = boundary_abi::decode(mode, constant);
    // SAFETY: the launch contract above; cells are disjoint per thread.
    let _ = unsafe {
        grid::stencil_thread(thread_idx(), &Planar(Jacobi5), input, out, shape, boundary)
    };
}

/// f32 form of [`stencil_jacobi5_f64`].
///
/// # Safety
/// As [`stencil_jacobi5_f64`].
#[unsafe(no_mangle)]
pub unsafe extern "ptx-kernel" fn stencil_jacobi5_f32(
    input: *const f32,
    out: *mut f32,
    nx: u64,
    ny: u64,
    nz: u64,
    mode: u32,
    constant: f32,
) {
    let shape = Shape3::new(nx as usize, ny as usize, nz as usize);
    let boundary = boundary_abi::decode(mode, constant);
    // SAFETY: as stencil_jacobi5_f64.
    let _ = unsafe {
        grid::stencil_thread(thread_idx(), &Planar(Jacobi5), input, out, shape, boundary)
    };
}

// ---------------------------------------------------------------------------
// Numba parity: min and count-where, one partial per block
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

/// Defines the f64 and f32 entries counting the elements that satisfy
/// `$pred` (whose fields are the scalar parameters `$p`): each thread counts
/// its grid-stride elements, the block sums the counts in shared memory,
/// thread 0 writes `partials[blockIdx.x]` (a `u64`).
macro_rules! count_entries {
    ($(#[$doc:meta])* $f64:ident, $f32:ident, ($($p:ident),*) => $pred:expr) => {
        $(#[$doc])*
        ///
        /// # Safety
        /// `input` holds `len` elements; `partials` holds `gridDim.x` u64s.
        #[unsafe(no_mangle)]
        pub unsafe extern "ptx-kernel" fn $f64(
            input: *const f64,
            len: u64,
            partials: *mut u64,
            $($p: f64),*
        ) {
            let idx = thread_idx();
            // SAFETY: the launch contract above.
            unsafe {
                let n = grid::count_thread_partial(idx, &$pred, input, len);
                write_block_result(idx, partials, block_reduce::<u64, Sum>(idx, n));
            }
        }

        $(#[$doc])*
        /// (f32.)
        ///
        /// # Safety
        /// As the f64 entry.
        #[unsafe(no_mangle)]
        pub unsafe extern "ptx-kernel" fn $f32(
            input: *const f32,
            len: u64,
            partials: *mut u64,
            $($p: f32),*
        ) {
            let idx = thread_idx();
            // SAFETY: as the f64 entry.
            unsafe {
                let n = grid::count_thread_partial(idx, &$pred, input, len);
                write_block_result(idx, partials, block_reduce::<u64, Sum>(idx, n));
            }
        }
    };
}

count_entries!(
    /// Per-block counts of `input[i] > t` (`predicate::GreaterThan`).
    count_greater_f64, count_greater_f32, (t) => GreaterThan(t)
);

count_entries!(
    /// Per-block counts of `input[i] < t` (`predicate::LessThan`).
    count_less_f64, count_less_f32, (t) => LessThan(t)
);

count_entries!(
    /// Per-block counts of `lo <= input[i] < hi` (`predicate::InRange`).
    count_in_range_f64, count_in_range_f32, (lo, hi) => InRange { lo, hi }
);

count_entries!(
    /// Per-block counts of NaN elements (`predicate::IsNan`).
    count_nan_f64, count_nan_f32, () => IsNan
);
