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
//! [`sync_threads`] is `bar.sync`, [`shared_array!`] is `.shared` memory and
//! the atomics are `atom` instructions; on the host the same functions read
//! the state of the simulated thread that is running ([`host`]), and the
//! simulator (`hotloop_sim::Simulator`) provides the barrier, the block's
//! shared memory and the bounds reports.
//!
//! - Indices (CUDA's names): [`thread_idx`], [`block_idx`], [`block_dim`],
//!   [`grid_dim`], and Numba's [`grid_1d`] / [`grid_2d`] / [`grid_3d`]
//!   (`cuda.grid(n)`), [`grid_size_1d`] (`cuda.gridsize(1)`),
//!   [`grid_stride`].
//! - [`Out`]: the output type many threads write distinct elements of; each
//!   write is a relaxed atomic store, so two threads writing one element is a
//!   race of values, never undefined behaviour; out-of-bounds is reported.
//! - [`sync_threads`], [`shared_array!`], and atomics on [`Out`]
//!   ([`Out::atomic_add`] on `u32`, `u64`, `f32`, `f64`; [`Out::atomic_max`],
//!   [`Out::atomic_min`] on integers).
//! - [`kernel`]: the attribute that makes a function an entry point and its
//!   typed launcher (see `hotloop-macros`).
//! - [`math`] and [`Real`]: the core's `exp` and `sqrt`, the same bits on
//!   every backend.
#![no_std]
// The special registers and inline PTX are unstable on nvptx64; the kernel
// build enables them (RUSTC_BOOTSTRAP=1 for that build only).
#![cfg_attr(target_arch = "nvptx64", feature(stdarch_nvptx, asm_experimental_arch))]

#[cfg(not(target_arch = "nvptx64"))]
extern crate std;

mod dim;
mod elem;
mod index;
mod out;
mod shared;

#[cfg(not(target_arch = "nvptx64"))]
pub mod host;

pub use dim::Dim3;
pub use elem::{AtomicAdd, AtomicOrd, DeviceCopy, Elem};
pub use hotloop_core::{Real, math};
pub use hotloop_macros::{kernel, shared_array};
pub use index::{
    block_dim, block_idx, grid_1d, grid_2d, grid_3d, grid_dim, grid_size_1d, grid_stride,
    sync_threads, thread_idx,
};
pub use out::Out;
pub use shared::SharedArray;

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
        Dim3, Out, SharedArray, block_dim, block_idx, grid_1d, grid_2d, grid_3d, grid_dim,
        grid_size_1d, grid_stride, kernel, shared_array, sync_threads, thread_idx,
    };
}

/// What the `#[kernel]` expansion names; not for direct use.
#[doc(hidden)]
pub mod __private {
    pub use crate::out::Out;
    #[cfg(target_arch = "nvptx64")]
    pub use core::arch::{asm, global_asm};
    pub use core::slice::from_raw_parts;
}
