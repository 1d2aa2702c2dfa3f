//! `prange` over the caller's own loop body: Numba's
//! `for i in prange(n)` with a reduction, for a body hotloop does not know.
//!
//! The range is cut into chunks of `grain` iterations (by default as many
//! as make at most [`MAX_CHUNKS`] chunks), each folded in order from the
//! identity; the chunks' partials are then combined in a fixed pairwise
//! tree. Chunks, order and tree depend on the range and the grain alone,
//! never on the threads: serial and parallel give the same bits at any
//! thread count (hotloop's fixed-tree rule), and the parallel form hands
//! chunks to the pool as workers free up, so a body whose cost varies
//! (Lennard-Jones' triangular pair loop) still spreads evenly.

use crate::pool::Pool;
use rayon::prelude::*;
use std::num::NonZeroUsize;
use std::ops::Range;

/// Most chunks a range is cut into when no grain is given: enough for any
/// pool to balance uneven bodies, few enough that a light body's per-chunk
/// cost stays small.
pub const MAX_CHUNKS: usize = 4096;

/// How a range is cut: `grain` iterations a chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunks {
    range: Range<usize>,
    grain: usize,
}

impl Chunks {
    /// `range` in chunks of `grain` iterations, or of the default grain:
    /// the range's length over [`MAX_CHUNKS`], rounded up (at least 1).
    pub fn new(range: Range<usize>, grain: Option<NonZeroUsize>) -> Self {
        let len = range.len();
        let grain = grain.map_or_else(|| len.div_ceil(MAX_CHUNKS).max(1), NonZeroUsize::get);
        Self { range, grain }
    }

    /// Iterations a chunk.
    pub fn grain(&self) -> usize {
        self.grain
    }

    /// Number of chunks (0 for an empty range).
    pub fn count(&self) -> usize {
        self.range.len().div_ceil(self.grain)
    }

    /// The iterations of chunk `c`.
    pub fn chunk(&self, c: usize) -> Range<usize> {
        let start = self.range.start + c * self.grain;
        start..(start + self.grain).min(self.range.end)
    }

    /// Chunk `c` folded from `identity` in order, compiled for the
    /// instruction set [`crate::simd::tuned`] picks, which reaches
    /// the body where LLVM inlines it (certainly where it is
    /// `#[inline(always)]`): the same operations in the same order on every
    /// instruction set, so the same bits.
    fn fold<T>(
        &self,
        c: usize,
        identity: &T,
        map: &impl Fn(usize) -> T,
        combine: &impl Fn(T, T) -> T,
    ) -> T
    where
        T: Clone,
    {
        crate::simd::with_isa(
            crate::simd::tuned(),
            #[inline(always)]
            || {
                self.chunk(c)
                    .fold(identity.clone(), |acc, i| combine(acc, map(i)))
            },
        )
    }
}

/// The partials combined in the fixed pairwise tree: halves split at the
/// midpoint, left before right. `None` for no partials.
fn tree<T: Clone>(partials: &[T], combine: &impl Fn(T, T) -> T) -> Option<T> {
    match partials {
        [] => None,
        [one] => Some(one.clone()),
        _ => {
            let (l, r) = partials.split_at(partials.len() / 2);
            Some(combine(tree(l, combine)?, tree(r, combine)?))
        }
    }
}

/// `combine` over `map(i)` for every `i` of the chunks, on this thread:
/// `identity` for an empty range.
pub fn reduce_serial<T: Clone>(
    chunks: &Chunks,
    identity: T,
    map: impl Fn(usize) -> T,
    combine: impl Fn(T, T) -> T,
) -> T {
    let partials: Vec<T> = (0..chunks.count())
        .map(|c| chunks.fold(c, &identity, &map, &combine))
        .collect();
    tree(&partials, &combine).unwrap_or(identity)
}

/// [`reduce_serial`] with the chunks spread over `pool`: the same bits.
pub fn reduce_parallel<T: Clone + Send + Sync>(
    pool: &Pool,
    chunks: &Chunks,
    identity: T,
    map: impl Fn(usize) -> T + Sync,
    combine: impl Fn(T, T) -> T + Sync,
) -> T {
    let partials: Vec<T> = pool.install(|| {
        (0..chunks.count())
            .into_par_iter()
            .map(|c| chunks.fold(c, &identity, &map, &combine))
            .collect()
    });
    tree(&partials, &combine).unwrap_or(identity)
}

/// `out[k] = map(start + k)` for every iteration, the chunks spread over
/// `pool` (`None`: on this thread); `out` holds the range's length.
pub fn map_into<T: Send>(
    pool: Option<&Pool>,
    chunks: &Chunks,
    out: &mut [T],
    map: impl Fn(usize) -> T + Sync,
) {
    debug_assert_eq!(out.len(), chunks.range.len());
    let fill = |(c, part): (usize, &mut [T])| {
        for (slot, i) in part.iter_mut().zip(chunks.chunk(c)) {
            *slot = map(i);
        }
    };
    match pool {
        Some(p) => p.install(|| out.par_chunks_mut(chunks.grain).enumerate().for_each(fill)),
        None => out.chunks_mut(chunks.grain).enumerate().for_each(fill),
    }
}

/// `body(i, row)` for every iteration `i`, `row` its `row_len` elements
/// of `out` (`out[(i - start) * row_len..][..row_len]`), chunk by chunk,
/// each chunk compiled for the instruction set
/// [`crate::simd::tuned`] picks (which reaches the body where
/// LLVM inlines it, certainly where it is `#[inline(always)]`). `row_len`
/// is at least 1.
pub fn rows_into<T: Send>(
    pool: Option<&Pool>,
    chunks: &Chunks,
    out: &mut [T],
    row_len: usize,
    body: impl Fn(usize, &mut [T]) + Sync,
) {
    debug_assert!(row_len > 0 && out.len() == chunks.range.len() * row_len);
    let fill = |(c, part): (usize, &mut [T])| {
        crate::simd::with_isa(
            crate::simd::tuned(),
            #[inline(always)]
            || {
                for (row, i) in part.chunks_mut(row_len).zip(chunks.chunk(c)) {
                    body(i, row);
                }
            },
        )
    };
    let per_chunk = chunks.grain * row_len;
    match pool {
        Some(p) => p.install(|| out.par_chunks_mut(per_chunk).enumerate().for_each(fill)),
        None => out.chunks_mut(per_chunk).enumerate().for_each(fill),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_range_once_in_order() {
        let c = Chunks::new(5..20, NonZeroUsize::new(4));
        assert_eq!(c.count(), 4);
        let all: Vec<usize> = (0..c.count()).flat_map(|k| c.chunk(k)).collect();
        assert_eq!(all, (5..20).collect::<Vec<_>>());
        assert_eq!(Chunks::new(0..0, None).count(), 0);
        let d = Chunks::new(0..10_000, None);
        assert_eq!((d.grain(), d.count()), (3, 3334));
        assert!(Chunks::new(0..1_000_000_000, None).count() <= MAX_CHUNKS);
    }

    #[test]
    fn the_tree_is_fixed_and_left_before_right() {
        let s = |a: String, b: String| format!("({a}{b})");
        let leaves: Vec<String> = "abcde".chars().map(String::from).collect();
        assert_eq!(tree(&leaves, &s).unwrap(), "((ab)(c(de)))");
        assert_eq!(tree(&[] as &[String], &s), None);
    }
}
