//! The kernel math every hotloop backend shares.
//!
//! `#![no_std]` and free of allocation so that the CPU backends, the CUDA
//! simulator and the device kernels compiled for `nvptx64-nvidia-cuda` call
//! exactly the same functions: a kernel body is written once, here.
//!
//! - [`elementwise`]: per-element bodies (`add_scalar`).
//! - [`reduce`]: reduction combiners and the fixed-order chunk sum.
//! - [`index`]: shape and index arithmetic, grid-stride ranges.
//! - [`philox`]: the Philox4x32-10 counter-based generator.
//! - [`pi`]: the Monte Carlo pi sample test built on it.
//! - [`grid`]: per-thread bodies of the grid kernels (device and simulator).
#![no_std]

pub mod elementwise;
pub mod float;
pub mod grid;
pub mod index;
pub mod philox;
pub mod pi;
pub mod reduce;

pub use float::Real;
