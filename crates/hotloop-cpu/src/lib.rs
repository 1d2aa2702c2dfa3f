//! hotloop's CPU backends, over contiguous slices already validated by
//! `hotloop-runtime` (the `hotloop` facade does that for ndarray inputs).
//!
//! - [`serial`]: one thread; the blog's loop in its cache-hostile order, the
//!   natural row-major loop, and the vectorized (NumPy-like) form.
//! - [`parallel`]: the same bodies over a rayon pool of a chosen size.
//! - [`pool`]: those pools, their cache and their size limit, and the size
//!   below which the parallel forms run on the calling thread (measured).
//! - [`simd`]: the instruction set the loops run with, chosen at run time.
//! - [`store`]: cached or streaming (non-temporal) output stores.
//! - [`probe`]: the read-only pass the reductions are measured against.
//! - [`montecarlo`]: Monte Carlo pi, serial and parallel.
//! - [`map`]: element-wise maps of any `hotloop_core::map` op (`@vectorize`).
//! - [`gufunc`]: generalized ufuncs over the outer loop (`@guvectorize`).
//! - [`stencil`]: neighbourhood kernels with boundary modes (`@stencil`).
//! - [`stencil_steps`]: a stencil swept again and again, blocked in time.
//! - [`reductions`]: deterministic min, max and count-where (`prange`).
//! - [`prange`]: `prange` over the caller's own loop body, with a
//!   reduction whose bits do not depend on the thread count.
//! - [`runtime`]: the two as `hotloop_runtime::Runtime`s, [`runtime::Serial`]
//!   and [`runtime::Parallel`].
//!
//! Every body comes from `hotloop-core`, the crate the GPU kernels use too.

pub mod gufunc;
pub mod map;
pub mod montecarlo;
pub mod parallel;
pub mod parts;
pub mod pool;
pub mod prange;
pub(crate) mod prefetch;
pub mod probe;
pub mod reductions;
pub mod runtime;
pub mod serial;
pub mod simd;
pub mod stencil;
pub mod stencil_steps;
pub mod store;
pub mod vectorized;
