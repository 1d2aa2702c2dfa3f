//! hotloop's CUDA simulator: the GPU backend's kernels run on the CPU, as
//! Numba's `NUMBA_ENABLE_CUDASIM=1` runs `@cuda.jit` kernels in Python.
//!
//! The simulator calls the very per-thread bodies the device kernels call
//! (`hotloop_core::grid`), once for every `(block, thread)` of a simulated
//! one-dimensional grid, with the same [`ThreadIdx`] a GPU thread would
//! read from its special registers. Block reductions store the threads'
//! partials in simulated shared memory ([`block`]) and fold them in the
//! device's order (`hotloop_core::reduce::block_tree`, the tree of
//! `hotloop_device::block_reduce`'s warp shuffles); the host then finishes
//! over the block partials
//! with the same functions the CUDA host uses. A launch therefore produces
//! the same partials here as on a GPU, and every result is the CPU
//! backends' bits at any launch: integer results (Monte Carlo hits,
//! counts) are exact, `max`/`min` combine order-free, sums add the CPU's
//! own chunk sums (a chunk per thread) in the CPU's order, and maps,
//! gufuncs and stencils compute each element, row or cell with the CPU
//! backends' own code. A launch larger than its work runs only the blocks
//! that have work ([`hotloop_runtime::LaunchConfig::trimmed_to`]).
//!
//! The GPU runs only ops that have entry points (the built-ins); the
//! simulator calls an op's body directly, so any op runs here, closures and
//! user-defined kernels included.
//!
//! - [`grid`]: launching a kernel over a simulated grid ([`Grid`]).
//! - [`block`]: one block's shared memory and barrier phases.
//! - [`elementwise`]: `add_scalar` (grid-stride, in place, the blog's shape).
//! - [`map`]: element-wise maps of any unary or binary op (`@vectorize`).
//! - [`gufunc`]: generalized ufuncs, one thread per row (`@guvectorize`).
//! - [`stencil`]: stencils in every boundary mode, one thread per cell
//!   (`@stencil`).
//! - [`reduce`]: `sum`, `max`, `min` and count-where with per-block partials.
//! - [`montecarlo`]: Monte Carlo pi hit counts.
//! - [`kernel`]: any user's `#[kernel]` ([`Simulator`]), every thread of a
//!   block live at once, with real barriers, warps in lockstep, shared
//!   memory (static and dynamic) and cooperative launches.
//! - [`stream`]: streams and events ([`SimStream`], [`SimEvent`]), with
//!   the races between streams reported.
//!
//! Blocks run in parallel on rayon's pool; the threads of one block run one
//! after another within each barrier phase, which is a legal schedule of any
//! race-free kernel ([`ThreadOrder`] picks which one).
//!
//! [`ThreadIdx`]: hotloop_core::grid::ThreadIdx

pub mod block;
pub mod elementwise;
pub mod grid;
pub mod gufunc;
pub mod kernel;
pub mod map;
mod mapped;
pub mod montecarlo;
mod order;
pub mod reduce;
pub mod runtime;
pub mod stencil;
pub mod stream;

pub use block::{Block, ThreadOrder};
pub use grid::{DEFAULT_MAX_BLOCKS, Grid, default_launch};
pub use hotloop_device::host::{ArraySlice, ArraySliceMut, DeviceBuffer, DeviceBufferMut};
pub use hotloop_runtime::LaunchConfig;
pub use hotloop_runtime::transfer::HostArray;
pub use kernel::{SimArray, SimMemory, Simulator};
pub use mapped::SimMappedArray;
pub use runtime::Sim;
pub use stream::{SimEvent, SimPending, SimPinnedArray, SimStream};
