//! hotloop's CUDA simulator: the GPU backend's kernels run on the CPU, as
//! Numba's `NUMBA_ENABLE_CUDASIM=1` runs `@cuda.jit` kernels in Python.
//!
//! The simulator calls the very per-thread bodies the device kernels call
//! (`hotloop_core::grid`), once for every `(block, thread)` of a simulated
//! one-dimensional grid, with the same [`ThreadIdx`] a GPU thread would
//! read from its special registers. Block reductions go through simulated
//! shared memory and barrier phases ([`block`]) that mirror the device's
//! `__syncthreads()` steps; the host then finishes over the block partials
//! with the same functions the CUDA host uses. A launch therefore produces
//! the same block partials here as on a GPU: integer results (Monte Carlo
//! hits) and `max` are identical to every other backend, and sums are the
//! same bits as the GPU's for the same launch shape.
//!
//! - [`grid`]: launching a kernel over a simulated grid ([`Grid`]).
//! - [`block`]: one block's shared memory and barrier phases.
//! - [`elementwise`]: `add_scalar` (grid-stride, in place, the blog's shape).
//! - [`reduce`]: `sum` and `max` with per-block partials.
//! - [`montecarlo`]: Monte Carlo pi hit counts.
//!
//! Blocks run in parallel on rayon's pool; the threads of one block run one
//! after another within each barrier phase, which is a legal schedule of any
//! race-free kernel ([`ThreadOrder`] picks which one).
//!
//! [`ThreadIdx`]: hotloop_core::grid::ThreadIdx

pub mod block;
pub mod elementwise;
pub mod grid;
pub mod montecarlo;
pub mod reduce;

pub use block::{Block, ThreadOrder};
pub use grid::{DEFAULT_MAX_BLOCKS, Grid, default_launch};
pub use hotloop_runtime::LaunchConfig;
