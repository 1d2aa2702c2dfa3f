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
//!   [`grid_stride`]; [`thread_1d`], the place `hotloop_core::grid`'s
//!   per-thread bodies take.
//! - Arrays: `&[T]` (flat) and [`View<T, D>`](View) (with its shape and
//!   strides, `a[[i, j]]`, `a.dim(0)`) read; [`Out<T>`](Out) and
//!   `Out<T, D>` written, by [`ArrayIndex`] (`out.set([i, j], v)`): many
//!   threads write distinct elements of an `Out`; each write is a relaxed
//!   atomic store, so two threads writing one element is a race of values,
//!   never undefined behaviour; out-of-bounds, on any axis, is reported.
//! - [`sync_threads`], [`shared_array!`] (of a length or a 2-D or 3-D
//!   shape), [`block_reduce`] (a block-wide
//!   reduction with any associative op), and Numba's atomics on [`Out`] and
//!   shared arrays, each returning the old value: `atomic_add` (every
//!   element type), `atomic_sub`, `_and`, `_or`, `_xor` (integers),
//!   `atomic_exch`, `atomic_cas` (every type, by bits), `atomic_inc`,
//!   `atomic_dec` (`u32`, `u64`), `atomic_max`, `atomic_min` (integers, and
//!   floats by hotloop's NaN rule), `atomic_nanmax`, `atomic_nanmin`
//!   (floats).
//! - [`MAX_SHARED_BYTES`] and [`MAX_LOCAL_BYTES`]: the GPU's limits a
//!   kernel can run into, which the simulator applies too.
//! - [`kernel`]: the attribute that makes a function an entry point and its
//!   typed launcher (see `hotloop-macros`).
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

mod block;
mod dim;
mod elem;
mod index;
mod limits;
mod out;
mod shared;
mod view;

#[cfg(not(target_arch = "nvptx64"))]
pub mod host;
#[cfg(not(target_arch = "nvptx64"))]
mod sim_thread;

pub use block::block_reduce;
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
pub use hotloop_core::stencil::{Stencil2, Stencil3};
pub use hotloop_core::{Real, math};
#[doc(hidden)]
pub use hotloop_macros::builtin_entries;
pub use hotloop_macros::{DeviceValue, device_op, kernel, shared_array};
pub use index::{
    block_dim, block_idx, grid_1d, grid_2d, grid_3d, grid_dim, grid_size_1d, grid_stride,
    sync_threads, thread_1d, thread_idx,
};
pub use limits::{MAX_LOCAL_BYTES, MAX_SHARED_BYTES};
pub use out::Out;
pub use shared::SharedArray;
pub use view::{ArrayIndex, View};

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
        BinaryOp, DeviceValue, Dim3, GuKernel, NaryOp, Out, Predicate, Real, SharedArray, Stencil2,
        Stencil3, UnaryOp, View, block_dim, block_idx, block_reduce, device_op, grid_1d, grid_2d,
        grid_3d, grid_dim, grid_size_1d, grid_stride, kernel, shared_array, sync_threads,
        thread_idx,
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
