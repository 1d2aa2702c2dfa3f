//! hotloop's CPU backends, over contiguous slices already validated by
//! `hotloop-runtime` (the `hotloop` facade does that for ndarray inputs).
//!
//! - [`serial`]: one thread; the blog's loop in its cache-hostile order, the
//!   natural row-major loop, and the vectorized (NumPy-like) form.
//! - [`parallel`]: the same bodies over a rayon pool of a chosen size.
//! - [`store`]: cached or streaming (non-temporal) output stores.
//! - [`montecarlo`]: Monte Carlo pi, serial and parallel.
//!
//! Every body comes from `hotloop-core`, the crate the GPU kernels use too.

pub mod montecarlo;
pub mod parallel;
pub mod serial;
pub mod store;
