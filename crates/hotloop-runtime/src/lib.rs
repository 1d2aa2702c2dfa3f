//! What every hotloop host backend shares: the one backend trait
//! ([`Runtime`]), the one error type, the checks that turn user arrays into
//! (slice, shape) pairs, memory accounting, and the launch configuration of
//! the grid backends (simulator and CUDA).
//!
//! The kernel math is in `hotloop-core` (no_std, shared with the GPU); this
//! crate is the std side of the same contract, so the CPU, simulator and
//! CUDA backends reject bad input with the same errors.

mod array;
mod error;
pub mod gufunc;
pub mod launch;
pub mod layout;
pub mod memory;
mod runtime;
pub mod transfer;

pub use array::{Element, check_len, check_same_shape, contiguous, contiguous_mut, shape3};
pub use error::{Bytes, Error, Result};
pub use gufunc::{GufuncPlan, Signature};
pub use launch::LaunchConfig;
pub use memory::{try_vec_with_capacity, try_zeroed_vec};
pub use runtime::{Runtime, sweep_by_sweep};
