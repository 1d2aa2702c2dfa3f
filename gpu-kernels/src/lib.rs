//! hotloop's built-in CUDA kernels, written as any user writes one: each a
//! `#[kernel]` over `hotloop-device`, its ABI stated once, in its
//! signature. The same source is
//!
//! - on `nvptx64-nvidia-cuda` (`cargo xtask build-kernels`), the PTX entry
//!   points, committed in `ptx/` and embedded in [`KERNELS`], so a crate
//!   that depends on hotloop needs no nvptx toolchain for its GPU;
//! - on the host, each kernel's typed launcher and metadata
//!   (`add_scalar::try_launch::<T, _>(..)`, `sum::info::<f64>()`), which
//!   `hotloop-cuda` launches them through, as it launches a user's.
//!
//! Every kernel is thin: it reads its place in the launch
//! ([`thread_1d`]) and calls the per-thread
//! body in `hotloop_core::grid`, the very function the CUDA simulator
//! calls for each simulated thread; the block-level reductions are
//! [`block_reduce`], whose tree is the
//! simulator's. So every result here is the simulator's, bit for bit.
//!
//! The built-in ops' entries (maps, zips, counts, gufuncs, stencils) are
//! in [`ops`]: one list of the ops whose `#[device_op(builtin)]` impls are
//! in `hotloop-core`.
#![cfg_attr(
    target_arch = "nvptx64",
    no_std,
    feature(abi_ptx, asm_experimental_arch)
)]

pub mod ops;

use hotloop_core::Num;
use hotloop_core::grid::{self, sum_chunks};
use hotloop_core::index::Shape3;
use hotloop_core::philox::key_from_seed;
use hotloop_core::reduce::{Max, Min, Reduction, Sum};
use hotloop_device::prelude::*;
use hotloop_device::thread_1d;

/// The built-in kernels' PTX, one module per architecture (newest first),
/// committed in `ptx/`: `cargo xtask build-kernels` rewrites it when the
/// kernels change and `cargo xtask test` fails while it is stale.
#[cfg(not(target_arch = "nvptx64"))]
pub static KERNELS: hotloop_device::KernelModule = hotloop_device::KernelModule {
    name: "hotloop-kernels",
    ptx: &[
        ("sm_90", include_str!("../ptx/hotloop_kernels.sm_90.ptx")),
        ("sm_80", include_str!("../ptx/hotloop_kernels.sm_80.ptx")),
    ],
};

/// `out[i] = input[i] + scalar` for `i < min(len)`, grid-stride (any grid
/// covers any length, beyond 2^32 elements too).
#[kernel(f32, f64, i8, u8, i16, u16, i32, u32, i64, u64)]
pub fn add_scalar<T: Num>(input: &[T], out: Out<T>, scalar: T) {
    let len = input.len().min(out.len()) as u64;
    // SAFETY: both hold `len` elements and are distinct arrays (a `&[T]`
    // and an `Out<T>` never alias); grid-stride indices are this
    // thread's alone.
    unsafe { grid::add_scalar_thread(thread_1d(), input.as_ptr(), out.as_mut_ptr(), len, scalar) }
}

/// `data[i] += scalar`, grid-stride.
#[kernel(f32, f64, i8, u8, i16, u16, i32, u32, i64, u64)]
pub fn add_scalar_inplace<T: Num>(data: Out<T>, scalar: T) {
    let p = data.as_mut_ptr();
    // SAFETY: the body allows `out == input`; each index is read, then
    // written, by one thread.
    unsafe { grid::add_scalar_thread(thread_1d(), p, p, data.len() as u64, scalar) }
}

/// The blog's launch shape over a row-major `nx * ny * nz` array: global
/// thread `x < nx` handles plane `x`, looping over `z` then `y`.
/// Deliberately uncoalesced: a named variant for the benchmark table. A
/// shape its arrays do not hold traps (the host checks it first).
#[kernel(f32, f64)]
pub fn add_scalar_blog<T: Num>(input: &[T], out: Out<T>, nx: u64, ny: u64, nz: u64, scalar: T) {
    // u64 -> usize is lossless on nvptx64 and the 64-bit hosts.
    let shape = Shape3::new(nx as usize, ny as usize, nz as usize);
    let held = shape
        .checked_len()
        .is_some_and(|n| n <= input.len() && n <= out.len());
    assert!(held);
    // SAFETY: both hold the shape's elements, checked above; thread x
    // writes plane x only.
    unsafe {
        grid::add_scalar_blog_thread(thread_1d(), input.as_ptr(), out.as_mut_ptr(), shape, scalar)
    }
}

/// `out[i] = input[i]`, written as a user writes a kernel: a grid-stride
/// loop storing through `Out::set` (a relaxed store per element). Timed
/// beside the driver's copy engine, it is what the device API's own
/// stores reach.
#[kernel(f32, f64)]
pub fn copy<T: Num>(input: &[T], out: Out<T>) {
    for i in grid_stride(input.len().min(out.len())) {
        out.set(i, input[i]);
    }
}

/// Hits among samples `first_sample..end_sample` under `seed`
/// (Philox4x32-10, two samples per generator block, see `hotloop_core::pi`):
/// each thread counts its grid-stride share of the Philox blocks, the
/// block sums the counts, and thread 0 writes `block_counts[blockIdx.x]`.
/// The host sums the `gridDim.x` counts; the total does not depend on the
/// launch shape, and any split of a range (one MPI rank's share) counts
/// what the whole range holds there.
#[kernel]
pub fn monte_carlo_pi(seed: u64, first_sample: u64, end_sample: u64, block_counts: Out<u64>) {
    let place = thread_1d();
    let hits = grid::pi_thread_hits(place, key_from_seed(seed), first_sample, end_sample);
    let block = block_reduce(hits, <Sum as Reduction<u64>>::combine);
    if place.thread == 0 {
        block_counts.set(place.block as usize, block);
    }
}

/// Chunk sums of `input`: `chunk_sums[c]` is the CPU's sum of chunk `c`
/// (`hotloop_core::reduce::sum_chunk`, `SUM_CHUNK` elements), one thread
/// per chunk, grid-stride. The host's pairwise sum of them is the CPU
/// backends' sum, bit for bit, at any launch. `chunk_sums` holds at least
/// `sum_chunks(len)` (else the kernel traps). Integers are summed in
/// `i64` or `u64` (`Num::Sum`), wrapping.
#[kernel(f32, f64, i8, u8, i16, u16, i32, u32, i64, u64)]
pub fn sum<T: Num>(input: &[T], chunk_sums: Out<<T as Num>::Sum>) {
    let len = input.len() as u64;
    assert!(chunk_sums.len() as u64 >= sum_chunks(len));
    // SAFETY: `input` holds `len` elements and `chunk_sums` a sum for each
    // chunk (checked above); chunks are this thread's alone.
    unsafe { grid::sum_chunks_thread(thread_1d(), input.as_ptr(), len, chunk_sums.as_mut_ptr()) }
}

/// Per-block maxima of `input` in `partials[blockIdx.x]`, NaN-propagating;
/// a block whose threads have no elements writes `Num::LOWEST`.
#[kernel(f32, f64, i8, u8, i16, u16, i32, u32, i64, u64)]
pub fn max<T: Num>(input: &[T], partials: Out<T>) {
    let place = thread_1d();
    // SAFETY: `input` holds its length; only read.
    let partial = unsafe { grid::max_thread_partial(place, input.as_ptr(), input.len() as u64) };
    let block = block_reduce(partial, <Max as Reduction<T>>::combine);
    if place.thread == 0 {
        partials.set(place.block as usize, block);
    }
}

/// Per-block minima of `input` in `partials[blockIdx.x]`, NaN-propagating;
/// a block whose threads have no elements writes `Num::HIGHEST`.
#[kernel(f32, f64, i8, u8, i16, u16, i32, u32, i64, u64)]
pub fn min<T: Num>(input: &[T], partials: Out<T>) {
    let place = thread_1d();
    // SAFETY: as in `max`.
    let partial = unsafe { grid::min_thread_partial(place, input.as_ptr(), input.len() as u64) };
    let block = block_reduce(partial, <Min as Reduction<T>>::combine);
    if place.thread == 0 {
        partials.set(place.block as usize, block);
    }
}
