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
//! Choose a backend by value ([`Backend`]); [`available`] lists what this
//! machine can run and why not the rest. Every function checks its input
//! and returns a typed [`Error`] rather than panicking.

mod backend;
mod elementwise;
pub mod forms;
mod montecarlo;
mod reduce;

pub use backend::{Backend, BackendStatus, available};
pub use elementwise::{add_scalar, add_scalar_in_place, add_scalar_into, add_scalar_slice_into};
pub use hotloop_core::index::Shape3;
pub use hotloop_core::philox::Philox4x32Rng;
pub use hotloop_cpu::store::StoreMode;
pub use hotloop_runtime::{Element, Error, LaunchConfig, Result};
pub use montecarlo::{PiEstimate, monte_carlo_pi, monte_carlo_pi_blog};
pub use reduce::{max, max_slice, sum, sum_slice};

/// The crates under the facade, for users who want a backend's own API.
pub mod crates {
    pub use hotloop_core as core;
    pub use hotloop_cpu as cpu;
    pub use hotloop_cuda as cuda;
    pub use hotloop_runtime as runtime;
    pub use hotloop_sim as sim;
}
