//! The kernel math every hotloop backend shares.
//!
//! `#![no_std]` and free of allocation so that the CPU backends, the CUDA
//! simulator and the device kernels compiled for `nvptx64-nvidia-cuda` call
//! exactly the same functions: a kernel body is written once, here.
//!
//! - [`elementwise`]: per-element bodies (`add_scalar`).
//! - [`map`]: `@vectorize`: unary and binary element ops ([`map::UnaryOp`],
//!   [`map::BinaryOp`]) and built-ins (affine, polynomial, clamp, exp).
//! - [`gufunc`]: `@guvectorize`: kernels over core dimensions
//!   ([`gufunc::GuKernel`]): moving average, row normalisation.
//! - [`stencil`]: `@stencil`: neighbourhood kernels with relative indices and
//!   boundary modes: 3-D Laplacian, 2-D Jacobi.
//! - [`reduce`]: reduction combiners (sum, min, max), the fixed-order chunk
//!   sum, and count-where over a [`predicate::Predicate`].
//! - [`math`]: `exp` and `sqrt` for `core`, shared by every backend; the
//!   rest of the math library is on [`Real`] (the `libm` crate's code).
//! - [`Num`]: the numeric element types (integers and floats) of the
//!   element-wise ops and reductions; [`Real`] the floats' math.
//! - [`index`]: shape and index arithmetic, grid-stride ranges.
//! - [`philox`]: the Philox4x32-10 counter-based generator.
//! - [`pi`]: the Monte Carlo pi sample test built on it.
//! - [`random`]: per-thread random streams on Philox (Numba's `cuda.random`).
//! - [`grid`]: per-thread bodies of the grid kernels, what one CUDA thread
//!   does (the GPU and the simulator both run them): the hand-written
//!   kernels', and the ops' forms (maps, zips, gufuncs, stencils, counts).
//! - [`abi`]: how a kernel crosses to the device: element types,
//!   parameter kinds, the metadata `#[kernel]` and `#[device_op]`
//!   generate, by-value ops, PTX modules.
//!
//! The built-in ops are declared with `#[device_op(builtin)]` on their
//! trait impls, which gives each its host half (the metadata of its GPU
//! entries); the entries themselves are in the `hotloop-kernels` crate
//! (`gpu-kernels/`), which lists the built-in ops once and is where the
//! device API (`hotloop-device`) is.
#![no_std]
// `sqrt.rn` on the GPU (`math`); the hosts' `sqrt` is `std`'s.
#![cfg_attr(target_arch = "nvptx64", feature(asm_experimental_arch))]

#[cfg(not(target_arch = "nvptx64"))]
extern crate std;

pub mod abi;
/// The `half` crate, whose `f16` and `bf16` are element types.
pub use half;
pub mod elementwise;
pub mod float;
pub mod grid;
pub mod gufunc;
pub mod index;
pub mod map;
pub mod math;
mod num;
pub mod philox;
pub mod pi;
pub mod predicate;
pub mod random;
pub mod reduce;
pub mod stencil;

pub use float::Real;
pub use num::Num;
