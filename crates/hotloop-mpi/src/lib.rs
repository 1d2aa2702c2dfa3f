//! hotloop's workloads on MPI ranks, through rsmpi (the `mpi` crate) over
//! the system's Open MPI or MPICH, each answer bit-identical to the
//! one-process answer whatever the number of ranks.
//!
//! - [`World`]: MPI's world communicator, with the rank and size, an
//!   [`abort`](World::abort) that stops every rank, and
//!   [`or_abort`](World::or_abort), which turns one rank's error into the
//!   whole job's end with that error printed, never a hang.
//! - [`monte_carlo_pi`]: rank `r` counts a contiguous share of the global
//!   sample index; the hit counts are summed exactly (u64), so the count is
//!   the one-process count for any number of ranks and threads.
//! - [`Slab`]: a 3-D array split along its outermost axis, one slab of
//!   whole planes per rank ([`share_usize`]), made from a function of the
//!   global index ([`Slab::from_fn`]), or scattered from rank 0
//!   ([`scatter`]) and gathered back ([`gather`]).
//! - [`sum`], [`min`], [`max`], [`count_where`] over a [`Slab`]: the sum
//!   keeps `hotloop_core::reduce`'s global chunking and pairwise tree
//!   ([`partition`] says how), so it has `sum_slice`'s bits; min, max and
//!   count are order-free, so they need only the ranks' partial answers.
//! - [`add_scalar`], [`map`] (any `hotloop_core::map::UnaryOp`) and their
//!   in-place forms over a [`Slab`]: hotloop-cpu's loops on each rank's
//!   planes, no message needed.
//! - [`Grid`]: a 2-D array split in bands of whole rows (a [`Slab`] of
//!   shape `[ny, nx, 1]`), scattered and gathered as `Array2`
//!   ([`scatter_grid`], [`gather_grid`]).
//! - [`stencil`] (a `Stencil3` such as the 7-point Laplacian, on a
//!   [`Slab`]) and [`stencil_2d`] (a `Stencil2` such as the 5-point
//!   Jacobi, on a [`Grid`]), in every boundary mode, and their iterated
//!   forms [`iterate`], [`iterate_2d`] and [`jacobi`] (halos exchanged
//!   every sweep, the time in the exchange reported apart): each rank
//!   fills a halo of the kernel's reach from the ranks holding it
//!   ([`halo`], over a 1-D Cartesian communicator) and runs its backend's
//!   stencil on its planes, so every cell has the one-process bits.
//!
//! Each rank runs its share on a [`Local`] backend: one thread, a rayon
//! pool of hotloop's CPU backend, the CUDA simulator (feature `sim`) or
//! one of its host's GPUs ([`Local::cuda`], feature `cuda`: rank `r` of a
//! host takes device `r mod` the host's device count); every one gives the
//! same bits.
//!
//! Every call here is collective: every rank of the world must make it,
//! in the same order, with the same global arguments (checked where it is
//! cheap). A check that fails on one rank fails on all of them, the others
//! with [`Error::RemoteRank`] naming that rank and its reason, so no rank
//! is left waiting. MPI calls must come from the thread that made the
//! [`World`].
//!
//! Run a program with `mpirun -n 4 target/release/my-program` (on a
//! cluster, `mpirun -n 64 --hostfile hosts ...`).

mod elementwise;
mod grid;
pub mod halo;
mod local;
pub mod partition;
mod pi;
mod reduce;
mod slab;
mod stencil;
mod world;

pub use elementwise::{add_scalar, add_scalar_in_place, map, map_in_place};
pub use grid::{Grid, gather_grid, scatter_grid};
pub use hotloop_runtime::{Error, LaunchConfig, Result};
pub use local::Local;
pub use partition::{share, share_usize};
pub use pi::{MAX_SAMPLES_PER_RANK, PiCount, monte_carlo_pi};
pub use reduce::{count_where, max, min, sum};
pub use slab::{MpiElement, Slab, gather, scatter};
pub use stencil::{Sweeps, iterate, iterate_2d, jacobi, stencil, stencil_2d};
pub use world::World;

/// rsmpi, for what this crate does not wrap (the communicator is
/// [`World::communicator`]).
pub use mpi;
