//! What a hotloop kernel sees: the role Rust-CUDA's `cuda_std` plays, on
//! rustc's own `nvptx64-nvidia-cuda` target.
//!
//! ```ignore
//! #![no_std]
//! use hotloop_device::prelude::*;
//!
//! #[kernel]
//! pub fn add_two(input: &[f64], output: Out<f64>) {
//!     for i in grid_stride(input.len()) {
//!         output.set(i, input[i] + 2.0);
//!     }
//! }
//! ```
//!
//! One kernel function runs on the GPU and in the simulator unchanged: on
//! `nvptx64` the index functions read the PTX special registers,
//! [`sync_threads`] is `bar.sync`, the warp calls are `shfl.sync`,
//! `vote.sync` and `match.sync`, [`shared_array!`] is `.shared` memory and
//! the atomics are `atom` instructions; on the host the same functions read
//! the state of the simulated thread that is running ([`host`]), and the
//! simulator (`hotloop_sim::Simulator`) provides the barrier, the warps'
//! lockstep, the block's shared memory and the bounds reports.
//!
//! - Indices (CUDA's names): [`thread_idx`], [`block_idx`], [`block_dim`],
//!   [`grid_dim`], and Numba's [`grid_1d`] / [`grid_2d`] / [`grid_3d`]
//!   (`cuda.grid(n)`), [`grid_size_1d`] (`cuda.gridsize(1)`),
//!   [`grid_stride`]; [`thread_1d`], the place `hotloop_core::grid`'s
//!   per-thread bodies take.
//! - Arrays: `&[T]` (flat) and [`View<T, D>`](View) (with its shape and
//!   strides, `a[[i, j]]`, `a.dim(0)`) read; [`Out<T>`](Out) and
//!   `Out<T, D>` written, by [`ArrayIndex`] (`out.set([i, j], v)`): many
//!   threads write distinct elements of an `Out`; each write is a relaxed
//!   atomic store, so two threads writing one element is a race of values,
//!   never undefined behaviour; out-of-bounds, on any axis, is reported.
//! - The block: [`sync_threads`] and its reductions
//!   ([`sync_threads_count`], `_and`, `_or`), the fences
//!   ([`threadfence_block`], [`threadfence`], [`threadfence_system`]),
//!   [`shared_array!`] (of a length or a 2-D or 3-D shape),
//!   [`dynamic_shared_array`] (the size the launch asks for, of any
//!   element type), [`grid_sync`] (a cooperative launch's grid barrier),
//!   [`block_reduce`] and [`block_scan`] / [`block_scan_exclusive`] (any
//!   associative op, on the warp's shuffles).
//! - The warp (Numba's names, CUDA's semantics, checked in the simulator):
//!   [`lane_id`], [`warp_size`], [`shfl_sync`], [`shfl_up_sync`],
//!   [`shfl_down_sync`], [`shfl_xor_sync`] (every element type),
//!   [`ballot_sync`], [`all_sync`], [`any_sync`], [`eq_sync`],
//!   [`match_any_sync`], [`match_all_sync`], [`activemask`],
//!   [`lanemask_lt`], [`syncwarp`]; [`warp_mask`], the lanes a block's warp
//!   has; and the bit intrinsics [`popc`], [`ffs`], [`brev`], [`clz`].
//! - Numba's atomics on [`Out`] and
//!   shared arrays, each returning the old value: `atomic_add` (every
//!   element type), `atomic_sub`, `_and`, `_or`, `_xor` (integers),
//!   `atomic_exch`, `atomic_cas` (every type, by bits), `atomic_inc`,
//!   `atomic_dec` (`u32`, `u64`), `atomic_max`, `atomic_min` (integers, and
//!   floats by hotloop's NaN rule), `atomic_nanmax`, `atomic_nanmin`
//!   (floats).
//! - [`MAX_SHARED_BYTES`], [`MAX_BLOCK_SHARED_BYTES`] and
//!   [`MAX_LOCAL_BYTES`]: the GPU's limits a kernel can run into, which
//!   the simulator applies too.
//! - [`kernel`]: the attribute that makes a function an entry point and its
//!   typed launcher (see `hotloop-macros`).
//! - [`RandomStream`]: a thread's random numbers (Numba's
//!   `xoroshiro128p_uniform_float32(states, i)` and its siblings are
//!   `RandomStream::new(seed, i).uniform_f32()`), counter-based.
//! - [`math`] and [`Real`]: the core's `exp` and `sqrt` and the math
//!   library (`ln`, `sin`, `erf`, `gamma`, `powf`, ...), the same bits on
//!   every backend. In a `#[kernel]` or `#[device_op]` body a float's math
//!   method (`x.exp()`, `x.sqrt()`, `x.ln()`) is `Real`'s on every target,
//!   a concrete `f64`'s included (whose `std` method would otherwise run
//!   in the simulator and another function on the GPU); a name `Real` lacks
//!   is a compile error on both.
#![no_std]
// The special registers and inline PTX are unstable on nvptx64; the kernel
// build enables them (RUSTC_BOOTSTRAP=1 for that build only).
#![cfg_attr(target_arch = "nvptx64", feature(stdarch_nvptx, asm_experimental_arch))]

#[cfg(not(target_arch = "nvptx64"))]
extern crate std;
// `shared_array!` names this crate by its path, as in a user's crate.
extern crate self as hotloop_device;

mod bits;
mod block;
mod dim;
mod elem;
mod index;
mod limits;
mod out;
mod shared;
mod sync;
mod view;
mod warp;

#[cfg(not(target_arch = "nvptx64"))]
mod collective;
#[cfg(not(target_arch = "nvptx64"))]
pub mod host;
#[cfg(not(target_arch = "nvptx64"))]
mod sim_thread;
#[cfg(not(target_arch = "nvptx64"))]
mod slice;

pub use bits::{BitInt, brev, clz, ffs, popc};
pub use block::{block_reduce, block_scan, block_scan_exclusive};
pub use dim::Dim3;
pub use elem::{
    AtomicAdd, AtomicBits, AtomicInt, AtomicNan, AtomicOrd, AtomicWrap, DeviceCopy, Elem,
};
pub use hotloop_core::abi::{DeviceKernel, DeviceValue, KernelModule};
pub use hotloop_core::gufunc::GuKernel;
/// The half-precision element types (the `half` crate's): stored as 16
/// bits, computed through `f32` (`x.to_f32()`, `f16::from_f32(y)`).
pub use hotloop_core::half::{bf16, f16};
pub use hotloop_core::map::{BinaryOp, NaryOp, UnaryOp};
pub use hotloop_core::predicate::Predicate;
/// Per-thread random streams (Numba's `cuda.random`): draw `k` of stream
/// `s` is a function of `(seed, s, k)` alone, the same on every backend.
pub use hotloop_core::random::RandomStream;
pub use hotloop_core::stencil::{Stencil2, Stencil3};
pub use hotloop_core::{Real, math};
#[doc(hidden)]
pub use hotloop_macros::builtin_entries;
pub use hotloop_macros::{DeviceValue, device_op, kernel, shared_array};
pub use index::{
    block_dim, block_idx, grid_1d, grid_2d, grid_3d, grid_dim, grid_size_1d, grid_stride,
    thread_1d, thread_idx, thread_rank,
};
pub use limits::{MAX_BLOCK_SHARED_BYTES, MAX_LOCAL_BYTES, MAX_SHARED_BYTES};
pub use out::Out;
pub use shared::{SharedArray, dynamic_shared_array};
pub use sync::{
    grid_sync, sync_threads, sync_threads_and, sync_threads_count, sync_threads_or, threadfence,
    threadfence_block, threadfence_system,
};
pub use view::{ArrayIndex, View};
pub use warp::{
    FULL_MASK, WARP_SIZE, activemask, all_sync, any_sync, ballot_sync, eq_sync, lane_id,
    lanemask_lt, match_all_sync, match_any_sync, shfl_down_sync, shfl_sync, shfl_up_sync,
    shfl_xor_sync, syncwarp, warp_mask, warp_size,
};

/// A kernel cannot unwind or report: a panic (an index out of bounds, say)
/// stops the whole launch, which the host sees as a launch error. So a
/// kernels crate needs no panic handler of its own.
#[cfg(target_arch = "nvptx64")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    // SAFETY: `trap` only aborts the kernel.
    unsafe { core::arch::nvptx::trap() }
}

/// Everything a kernel file needs: `use hotloop_device::prelude::*;`.
pub mod prelude {
    pub use crate::{
        BinaryOp, DeviceValue, Dim3, FULL_MASK, GuKernel, NaryOp, Out, Predicate, RandomStream,
        Real, SharedArray, Stencil2, Stencil3, UnaryOp, View, WARP_SIZE, activemask, all_sync,
        any_sync, ballot_sync, block_dim, block_idx, block_reduce, block_scan,
        block_scan_exclusive, brev, clz, device_op, dynamic_shared_array, eq_sync, ffs, grid_1d,
        grid_2d, grid_3d, grid_dim, grid_size_1d, grid_stride, grid_sync, kernel, lane_id,
        lanemask_lt, match_all_sync, match_any_sync, popc, shared_array, shfl_down_sync, shfl_sync,
        shfl_up_sync, shfl_xor_sync, sync_threads, sync_threads_and, sync_threads_count,
        sync_threads_or, syncwarp, thread_idx, thread_rank, threadfence, threadfence_block,
        threadfence_system, warp_mask, warp_size,
    };
}

/// Declares the crate's PTX module, `KERNELS` (a
/// [`KernelModule`]), at the crate root: what `#[device_op]`'s host code
/// and [`Module`-loading](KernelModule) hosts find the crate's kernels in.
/// The crate's `build.rs` builds it (`hotloop_build::build_this_crate()`)
/// into `OUT_DIR`; on `nvptx64` the macro expands to nothing.
#[macro_export]
macro_rules! kernel_module {
    () => {
        /// This crate's kernels, as PTX (built by its `build.rs`).
        #[cfg(not(target_arch = "nvptx64"))]
        pub static KERNELS: $crate::KernelModule = $crate::KernelModule {
            name: env!("CARGO_PKG_NAME"),
            ptx: &[
                (
                    "sm_90",
                    include_str!(concat!(
                        env!(
                            "OUT_DIR",
                            "the crate's build.rs builds its PTX: `fn main() { hotloop_build::build_this_crate(); }`"
                        ),
                        "/hotloop-kernels.sm_90.ptx"
                    )),
                ),
                (
                    "sm_80",
                    include_str!(concat!(env!("OUT_DIR"), "/hotloop-kernels.sm_80.ptx")),
                ),
            ],
        };
    };
}

/// `hotloop-core`, for the macros' expansions in crates that depend on this
/// one alone.
#[doc(hidden)]
pub use hotloop_core as __core;

/// What the `#[kernel]` expansion names; not for direct use.
#[doc(hidden)]
pub mod __private {
    pub use crate::out::Out;
    pub use crate::shared::{shared_bytes, shared_len};
    #[cfg(target_arch = "nvptx64")]
    pub use core::arch::{asm, global_asm};
    pub use core::slice::from_raw_parts;
}
