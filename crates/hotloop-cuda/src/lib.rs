//! hotloop's CUDA backend, host side: Numba's `@cuda.jit` flow in Rust.
//!
//! The device code is `#[kernel]`s: hotloop's built-ins
//! (`hotloop-kernels`, in `gpu-kernels/`) and a user's own, whose entry
//! points call the same per-thread bodies (`hotloop_core::grid`) the CUDA
//! simulator (`hotloop-sim`) runs on the CPU. This crate loads their PTX
//! through the CUDA driver API and runs it:
//!
//! | Numba                         | hotloop-cuda                                   |
//! |-------------------------------|------------------------------------------------|
//! | `cuda.is_available()`         | [`availability`]                               |
//! | `cuda.select_device(n)`       | [`device`]                                     |
//! | `cuda.to_device(a)`           | [`Device::to_device`]                          |
//! | `cuda.device_array_like(a)`   | [`Device::device_array_like`]                  |
//! | `kernel[blocks, threads](..)` | a kernel's `launch(&module, (blocks, threads), ..)` on a [`Module`]; the built-ins in [`kernels`] |
//! | `cuda.synchronize()`          | [`Device::synchronize`]                        |
//! | `d_a.copy_to_host()`          | [`DeviceArray::copy_to_host`]                  |
//! | `d_a.copy_to_device(a)`       | [`DeviceArray::copy_to_device`]                |
//! | `cuda.stream()`, `kernel[b, t, s]` | [`Module::stream`], a kernel's `launch(&stream, ..)` |
//! | `cuda.event()`, `e.record(s)` | [`Stream::record`], [`Event`]                  |
//! | `cuda.pinned_array(n)`        | [`Device::pinned_array`], copied by [`Stream::copy_to_device_async`] |
//!
//! One module per concept: the device and its context (`device`), memory
//! ([`DeviceArray`], [`PinnedArray`]), streams and events (`stream`),
//! module loading ([`module`]), the launch every kernel
//! takes, typed or from an op's metadata, with its event timing (`launch`,
//! [`KernelRun`], [`Timings`]), and the one round trip of an operation on
//! host data (copy in, launch, copy out). [`ops`] runs the built-in
//! operations that way (`add_scalar`, sum, max, min, Monte Carlo) and
//! finishes their per-block partials on the host; [`forms`] runs any op's
//! form (maps, zips, counts, gufuncs, stencils of the built-in ops and of a
//! user's `#[device_op]`s, see `hotloop_core::abi::DeviceKernel`). The
//! `*_timed` forms return [`Timings`] that separate what the blog's
//! measurement lumped together: host-to-device copies, the kernel alone
//! (CUDA events, read after a synchronize), device-to-host copies, and the
//! one-time module load (PTX JIT).
//!
//! # No driver, no GPU, no PTX
//!
//! The driver library is loaded at run time (`dlopen`), never linked, so the
//! crate builds and runs everywhere. [`availability`] says why the backend
//! cannot run: `libcuda` not found, no device, a driver older than CUDA
//! 12.0, a compute capability below sm_80, or PTX not built. Every driver
//! call of the backend is first made inside one probe ([`device`]), which
//! catches a panic of the bindings (a symbol an old driver lacks) and turns
//! it into that reason; after a successful probe, driver failures are
//! [`Error::Device`] values carrying the CUDA error name.
//!
//! # Where the PTX comes from
//!
//! The built-in kernels' PTX is embedded in the binary
//! ([`ptx::EMBEDDED`], `hotloop_kernels::KERNELS`, committed in
//! `gpu-kernels/ptx/` and checked fresh by `cargo xtask test`); the newest
//! architecture not above the device's is loaded when a device is first
//! opened. `$HOTLOOP_PTX_DIR`, when set, names a directory to load it from
//! instead. A user's own kernels are a [`Module`] of their own PTX.
//!
//! [`Error::Device`]: hotloop_runtime::Error::Device

mod array;
mod device;
mod driver;
pub mod forms;
pub mod kernels;
mod launch;
mod mapped;
pub mod module;
pub mod ops;
mod pinned;
mod probe;
pub mod ptx;
mod round_trip;
mod runtime;
mod stream;
mod timing;

pub use array::{DeviceArray, GpuMemory};
pub use device::{
    BLOCKS_PER_MULTIPROCESSOR, Device, DeviceInfo, MIN_DRIVER_VERSION, driver_library_present,
};
pub use hotloop_device::host::{ArraySlice, ArraySliceMut, DeviceBuffer, DeviceBufferMut};
pub use hotloop_runtime::LaunchConfig;
pub use hotloop_runtime::transfer::HostArray;
pub use launch::KernelRun;
pub use mapped::MappedArray;
pub use module::Module;
pub use pinned::{Pending, PinnedArray};
pub use probe::{availability, device, device_count, devices};
pub use runtime::Cuda;
pub use stream::{Event, Stream};
pub use timing::Timings;

/// The backend's name in errors and tables.
pub const BACKEND: &str = "cuda";
