//! Reductions over a [`Slab`]-distributed array.

use crate::local::with_runtime;
use crate::partition::{
    combine_sum, encode_sum, share_usize, sum_message_len, whole_chunk_elements,
};
use crate::slab::MpiElement;
use crate::{Local, Slab, World};
use hotloop_core::predicate::Predicate;
use hotloop_runtime::{Error, Result, Runtime};
use mpi::collective::SystemOperation;
use mpi::datatype::PartitionMut;
use mpi::traits::*;
use std::ops::Range;

/// The sum of the global array (collective; every rank gets it), with the
/// bits of `hotloop_core::reduce::sum_slice` over the whole array in one
/// process (and so of every hotloop backend's `sum`) for any number of
/// ranks: each rank sums the global `SUM_CHUNK`-element chunks it holds
/// whole, on `local` (`Runtime::sum_chunks`), and sends the pieces of the
/// at most two chunks its slab cuts; every rank then rebuilds the chunk
/// sums in global order and combines them with `hotloop_core`'s pairwise
/// tree ([`partition`](crate::partition)). MPI's own reduction would
/// combine in an order of its choosing, so it is not used.
///
/// Traffic: one value per chunk (1/4096 of the array) plus under two chunks
/// per rank, to every rank.
pub fn sum<T: MpiElement>(world: &World, local: &Local, slab: &Slab<T>) -> Result<T> {
    let [d0, d1, d2] = slab.global_shape();
    world.check_same(
        "the summed array's shape",
        &[d0 as u64, d1 as u64, d2 as u64],
    )?;
    let (len, plane) = (slab.global_len(), d1 * d2);
    let ranges: Vec<Range<usize>> = (0..world.size())
        .map(|r| {
            let p = share_usize(d0, world.size(), r);
            p.start * plane..p.end * plane
        })
        .collect();
    // Counts and offsets of every rank's message, as MPI's `int`s.
    let overflow = || Error::IndexOverflow {
        shape: vec![d0, d1, d2],
        index_type: "MPI count (i32) of chunk sums",
    };
    let mut counts = Vec::with_capacity(ranges.len());
    let mut displs = Vec::with_capacity(ranges.len());
    let mut total = 0i32;
    for r in &ranges {
        let n = i32::try_from(sum_message_len(r.start, r.end, len)).map_err(|_| overflow())?;
        displs.push(total);
        counts.push(n);
        total = total.checked_add(n).ok_or_else(overflow)?;
    }

    let mine = slab.elements();
    let xs = slab.as_slice();
    let whole = whole_chunk_elements(mine.start, mine.end, len);
    let whole = &xs[whole.start - mine.start..whole.end - mine.start];
    let chunk_sums = world.agree(with_runtime!(local, |rt| rt.sum_chunks(whole)))?;
    let mut message = Vec::with_capacity(counts[world.rank()] as usize);
    encode_sum(xs, mine.start, len, &chunk_sums, &mut message);

    let mut all = vec![T::ZERO; total as usize];
    let mut partition = PartitionMut::new(&mut all[..], &counts[..], &displs[..]);
    world
        .communicator()
        .all_gather_varcount_into(&message[..], &mut partition);
    combine_sum(&ranges, len, &all).ok_or_else(|| Error::InvalidArgument {
        what: "distributed sum",
        reason: "the ranks' slabs do not tile the global array".into(),
    })
}

/// Each rank's partial `min`/`max` (the identity for an empty slab),
/// gathered and folded with the order-free combiner.
fn fold_partials<T: MpiElement>(world: &World, mine: T, identity: T, f: fn(T, T) -> T) -> T {
    let mut all = vec![identity; world.size()];
    world.communicator().all_gather_into(&mine, &mut all[..]);
    all.into_iter().fold(identity, f)
}

/// The smallest element of the global array (collective), with the bits
/// of hotloop's one-process `min`: NaN (canonical) if any element is NaN,
/// `-0.0` below `+0.0`. The combiner depends only on the set of values, so
/// the ranks' minima folded in any order give those bits (MPI's `MPI_MIN`
/// does not promise NaN or signed zeros, so it is not used).
/// [`Error::EmptyInput`] for an empty array, on every rank.
pub fn min<T: MpiElement>(world: &World, local: &Local, slab: &Slab<T>) -> Result<T> {
    let xs = slab.as_slice();
    let mine = world.agree(with_runtime!(local, |rt| rt.min(xs)))?;
    let all = fold_partials(world, mine.unwrap_or(T::HIGHEST), T::HIGHEST, T::min_of);
    if slab.global_len() == 0 {
        return Err(Error::EmptyInput { op: "min" });
    }
    Ok(all)
}

/// The largest element of the global array (collective), as [`min`]:
/// the bits of hotloop's one-process `max`.
pub fn max<T: MpiElement>(world: &World, local: &Local, slab: &Slab<T>) -> Result<T> {
    let xs = slab.as_slice();
    let mine = world.agree(with_runtime!(local, |rt| rt.max(xs)))?;
    let all = fold_partials(world, mine.unwrap_or(T::LOWEST), T::LOWEST, T::max_of);
    if slab.global_len() == 0 {
        return Err(Error::EmptyInput { op: "max" });
    }
    Ok(all)
}

/// The number of elements of the global array for which `pred` holds
/// (collective): exact, summed with `MPI_SUM` over u64.
pub fn count_where<T, P>(world: &World, local: &Local, pred: &P, slab: &Slab<T>) -> Result<u64>
where
    T: MpiElement,
    P: Predicate<T> + Sync,
{
    let xs = slab.as_slice();
    let mine = world.agree(with_runtime!(local, |rt| rt.count_where(pred, xs)))?;
    let mut total = 0u64;
    world
        .communicator()
        .all_reduce_into(&mine, &mut total, SystemOperation::sum());
    Ok(total)
}
