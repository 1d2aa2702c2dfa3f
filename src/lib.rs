//! hotloop: hot numeric loops on every backend a machine has.
//!
//! What Numba gives Python users, in Rust: compiled loops, `prange`-style
//! parallel loops on a rayon pool, and GPU kernels (CUDA, and a CPU
//! simulator of them), with the kernel math written once (in
//! `hotloop-core`) and run unchanged by every backend.
//!
//! ```
//! use hotloop::{Backend, add_scalar, monte_carlo_pi};
//! use ndarray::Array3;
//!
//! let a = Array3::<f64>::zeros((4, 5, 6));
//! let b = add_scalar(Backend::parallel(), &a, 2.0)?;
//! assert!(b.iter().all(|&x| x == 2.0));
//!
//! let pi = monte_carlo_pi(Backend::Serial, 1_000_000, 42)?;
//! assert!((pi.estimate - std::f64::consts::PI).abs() < 0.01);
//! # Ok::<(), hotloop::Error>(())
//! ```
//!
//! Numba's other decorators have their counterparts here, written once as a
//! small trait implementation in `hotloop-core` (or a closure) and run by
//! any backend: `@vectorize` is [`map`] / [`zip`] over a [`UnaryOp`] /
//! [`BinaryOp`] (built-ins [`Affine`], [`Polynomial`], [`Clamp`], [`Exp`],
//! [`Sigmoid`]); `prange` over your own loop body is [`prange`] (a
//! reduction with any associative op, the same bits at any thread count);
//! `@guvectorize` is [`gufunc`] over a [`GuKernel`] with a NumPy-style
//! signature ([`moving_average`], [`normalize_rows`]), and [`gufunc_n`]
//! over several arrays (`(m,n),(n,p)->(m,p)`); `@stencil` is
//! [`stencil3`] / [`stencil2`] over a [`Stencil3`] / [`Stencil2`] with a
//! [`Boundary`] mode ([`Laplacian7`], [`Jacobi5`]), swept again and again
//! by [`stencil3_steps`] / [`stencil2_steps`]; `prange` reductions are
//! [`sum`], [`min`], [`max`] and [`count_where`] over a [`Predicate`]. Every
//! backend runs them: the CPU backends and the CUDA simulator any op,
//! closures included; the GPU every op with a compiled kernel, declared by
//! `#[device_op]` on the op's trait impl: the built-ins named here, and a
//! user's own in their kernels crate (`examples/custom-kernels`). A closure
//! on `Backend::Cuda` is an [`Error::Unsupported`], saying so.
//!
//! Choose a backend by value ([`Backend`]); [`available`] lists what this
//! machine can run and why not the rest. Every function checks its input
//! and returns a typed [`Error`] rather than panicking.

mod backend;
mod dispatch;
mod elementwise;
pub mod forms;
mod gufunc;
mod map;
mod montecarlo;
mod prange;
mod reduce;
mod stencil;

pub use backend::{Backend, BackendStatus, available};
pub use elementwise::{add_scalar, add_scalar_in_place, add_scalar_into, add_scalar_slice_into};
/// The `half` crate, whose `f16` (NumPy's `float16`) and `bf16` are
/// element types (summed in `f32`).
pub use hotloop_core::half;
pub use hotloop_core::index::Shape3;
pub use hotloop_core::philox::Philox4x32Rng;
pub use hotloop_core::{Num, Real};
pub use hotloop_cpu::pool::bind_to_cpu;
pub use hotloop_cpu::store::StoreMode;
pub use hotloop_runtime::{Element, Error, LaunchConfig, Result};
pub use montecarlo::{MAX_SAMPLES, PiEstimate, monte_carlo_pi, monte_carlo_pi_blog};
/// The `ndarray` hotloop is built against: use it (`hotloop::ndarray`) so
/// your arrays are the types hotloop's functions take.
pub use ndarray;
pub use prange::{Prange, prange};
pub use reduce::{count_where, count_where_slice, max, max_slice, min, min_slice, sum, sum_slice};

// Numba parity: @vectorize, @guvectorize, @stencil, prange reductions.
pub use gufunc::{gufunc, gufunc_into, gufunc_n, moving_average, normalize_rows};
pub use hotloop_core::gufunc::{GuKernel, MovingAverage, NormalizeRows};
pub use hotloop_core::map::{Affine, BinaryOp, Clamp, Exp, NaryOp, Polynomial, Sigmoid, UnaryOp};
pub use hotloop_core::predicate::{GreaterThan, InRange, IsNan, LessThan, Predicate};
pub use hotloop_core::stencil::{Boundary, Jacobi5, Laplacian7, Stencil2, Stencil3};
pub use map::{
    map, map_in_place, map_into, map_n, map_n_slice_into, map_slice_into, zip, zip_in_place,
    zip_into, zip_slice_into,
};
pub use stencil::{
    stencil2, stencil2_into, stencil2_steps, stencil2_steps_into, stencil3, stencil3_into,
    stencil3_steps, stencil3_steps_into,
};

/// The workloads on MPI ranks (feature `mpi`): see `hotloop-mpi`.
#[cfg(feature = "mpi")]
pub use hotloop_mpi as mpi;

/// Every element op: the [`UnaryOp`] and [`BinaryOp`] traits, the
/// built-ins, and the binders of a scalar operand.
pub mod ops {
    pub use hotloop_core::map::{
        Add, Affine, Axpy, BinaryOp, BindLeft, BindRight, Clamp, Exp, Horner, Mul, Polynomial,
        Side, Sigmoid, UnaryOp,
    };
}

/// The crates under the facade, for users who want a backend's own API.
pub mod crates {
    pub use hotloop_core as core;
    pub use hotloop_cpu as cpu;
    #[cfg(feature = "cuda")]
    pub use hotloop_cuda as cuda;
    #[cfg(feature = "sim")]
    pub use hotloop_device as device;
    pub use hotloop_runtime as runtime;
    #[cfg(feature = "sim")]
    pub use hotloop_sim as sim;
}
