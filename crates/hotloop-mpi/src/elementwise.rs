//! Element-wise operations on a [`Slab`]-distributed array: `add_scalar`
//! and the maps of any `hotloop_core::map::UnaryOp`. Each rank runs its
//! backend's form ([`Local`]) over its planes, and an element's value
//! depends on that element alone, so the global array has the one-process
//! bits for any number of ranks, threads and backends. No message
//! is exchanged; the out-of-place forms are collective only so that an
//! output one rank cannot hold is refused on every rank.

use crate::local::with_runtime;
use crate::slab::{MpiElement, allocate_zeroed};
use crate::{Local, Slab, World};
use hotloop_core::map::UnaryOp;
use hotloop_runtime::{Result, Runtime};

/// `input + scalar`, a new slab of the same global array's planes
/// (collective): `add_scalar` on each rank's planes, on `local`, so the
/// bits of the one-process `add_scalar`. An output that does not fit a
/// rank's memory is refused on every rank before any allocates; a backend
/// error on one rank (a GPU's) is every rank's error.
pub fn add_scalar<T: MpiElement>(
    world: &World,
    local: &Local,
    input: &Slab<T>,
    scalar: T,
) -> Result<Slab<T>> {
    let xs = input.as_slice();
    let mut out = allocate_zeroed::<T>(world, "add_scalar's output slab", xs.len())?;
    world.agree(with_runtime!(local, |rt| rt.add_scalar(xs, scalar, &mut out)))?;
    Slab::assemble(input.global_shape(), input.planes(), out)
}

/// `data += scalar` on this rank's planes (not collective: no rank waits
/// for another), on `local`.
pub fn add_scalar_in_place<T: MpiElement>(
    local: &Local,
    data: &mut Slab<T>,
    scalar: T,
) -> Result<()> {
    let xs = data.as_slice_mut();
    with_runtime!(local, |rt| rt.add_scalar_in_place(xs, scalar))
}

/// `op(x)` for every element, a new slab of the same global array's planes
/// (collective): `map` on each rank's planes, on `local`, so the bits of
/// the one-process `map` for any op (the built-ins of `hotloop_core::map`
/// or a user's; on a GPU, an op with `#[device_op]`). An output that does
/// not fit a rank's memory is refused on every rank before any allocates;
/// a backend error on one rank is every rank's error.
pub fn map<T: MpiElement, Op: UnaryOp<T>>(
    world: &World,
    local: &Local,
    op: &Op,
    input: &Slab<T>,
) -> Result<Slab<T>> {
    let xs = input.as_slice();
    let mut out = allocate_zeroed::<T>(world, "map's output slab", xs.len())?;
    world.agree(with_runtime!(local, |rt| rt.map(op, xs, &mut out)))?;
    Slab::assemble(input.global_shape(), input.planes(), out)
}

/// `x = op(x)` on this rank's planes (not collective), on `local`.
pub fn map_in_place<T: MpiElement, Op: UnaryOp<T>>(
    local: &Local,
    op: &Op,
    data: &mut Slab<T>,
) -> Result<()> {
    let xs = data.as_slice_mut();
    with_runtime!(local, |rt| rt.map_in_place(op, xs))
}
