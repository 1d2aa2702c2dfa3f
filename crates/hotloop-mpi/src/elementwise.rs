//! Element-wise operations on a [`Slab`]-distributed array: `add_scalar`
//! and the maps of any `hotloop_core::map::UnaryOp`. Each rank runs
//! hotloop-cpu's own serial or parallel form over its planes, and an
//! element's value depends on that element alone, so the global array has
//! the one-process bits for any number of ranks and threads. No message
//! is exchanged; the out-of-place forms are collective only so that an
//! output one rank cannot hold is refused on every rank.

use crate::slab::{MpiElement, allocate_zeroed};
use crate::{Local, Slab, World};
use hotloop_core::map::UnaryOp;
use hotloop_cpu::store::StoreMode;
use hotloop_cpu::{map, parallel, serial};
use hotloop_runtime::Result;

/// `input + scalar`, a new slab of the same global array's planes
/// (collective): hotloop-cpu's `add_scalar` on each rank's planes, on
/// `local`, so the bits of the one-process `add_scalar`. An output that
/// does not fit a rank's memory is refused on every rank before any
/// allocates.
pub fn add_scalar<T: MpiElement>(
    world: &World,
    local: &Local,
    input: &Slab<T>,
    scalar: T,
) -> Result<Slab<T>> {
    let xs = input.as_slice();
    let mut out = allocate_zeroed::<T>(world, "add_scalar's output slab", xs.len())?;
    match local {
        Local::Serial => serial::add_scalar_vectorized(xs, scalar, &mut out, StoreMode::Auto),
        Local::Parallel(pool) => parallel::add_scalar(pool, xs, scalar, &mut out, StoreMode::Auto),
    }
    Slab::assemble(input.global_shape(), input.planes(), out)
}

/// `data += scalar` on this rank's planes (not collective: no rank waits
/// for another), on `local`.
pub fn add_scalar_in_place<T: MpiElement>(local: &Local, data: &mut Slab<T>, scalar: T) {
    let xs = data.as_slice_mut();
    match local {
        Local::Serial => serial::add_scalar_in_place(xs, scalar),
        Local::Parallel(pool) => parallel::add_scalar_in_place(pool, xs, scalar),
    }
}

/// `op(x)` for every element, a new slab of the same global array's planes
/// (collective): hotloop-cpu's `map` on each rank's planes, on `local`, so
/// the bits of the one-process `map` for any op (the built-ins of
/// `hotloop_core::map` or a user's). An output that does not fit a rank's
/// memory is refused on every rank before any allocates.
pub fn map<T: MpiElement, Op: UnaryOp<T>>(
    world: &World,
    local: &Local,
    op: &Op,
    input: &Slab<T>,
) -> Result<Slab<T>> {
    let xs = input.as_slice();
    let mut out = allocate_zeroed::<T>(world, "map's output slab", xs.len())?;
    match local {
        Local::Serial => map::serial::map(op, xs, &mut out, StoreMode::Auto),
        Local::Parallel(pool) => map::parallel::map(pool, op, xs, &mut out, StoreMode::Auto),
    }
    Slab::assemble(input.global_shape(), input.planes(), out)
}

/// `x = op(x)` on this rank's planes (not collective), on `local`.
pub fn map_in_place<T: MpiElement, Op: UnaryOp<T>>(local: &Local, op: &Op, data: &mut Slab<T>) {
    let xs = data.as_slice_mut();
    match local {
        Local::Serial => map::serial::map_in_place(op, xs),
        Local::Parallel(pool) => map::parallel::map_in_place(pool, op, xs),
    }
}
