//! Reduction combiners and the fixed-order sum every backend shares.
//!
//! A floating-point sum depends on the order of its additions. hotloop fixes
//! that order once, for every backend, thread count and launch shape, as a
//! pairwise sum in the manner of NumPy's:
//!
//! 1. The input is cut into [`SUM_CHUNK`]-element *chunks* (the last may be
//!    shorter), and each chunk into [`SUM_BLOCK`]-element *blocks*.
//! 2. A block is summed in eight lanes, element `i` into lane `i % 8` in
//!    order from `0.0`, and the lanes are combined as the tree
//!    `((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7))` ([`sum_block`]).
//! 3. A chunk's block sums, and then the chunk sums, are each combined by
//!    recursive halving ([`pairwise_sum`]; [`sum_chunk`] does both steps
//!    for one chunk).
//!
//! The CPU backends sum chunks in parallel tasks, the grid backends one
//! chunk per thread (grid-stride); each then combines the chunk sums with
//! [`pairwise_sum`] in chunk order, so every backend gives the same bits.
//!
//! Rounding: every element passes through at most `d = 15 + 3 + 5 +
//! ceil(log2(chunks))` rounded additions, so the error is at most
//! `d * eps / (1 - d * eps) * sum |x|` ([`sum_error_bound`]), about NumPy's.
//! A pairwise sum is not a left-to-right one, so overflow depends on the
//! grouping: `[MAX, -MAX, MAX]` lands in lanes 0, 1, 2, and `(MAX + MAX) +
//! -MAX` is `inf` (NumPy, adding the three in order, gives `MAX`).

use crate::Num;

/// Elements per block of the deterministic sum: eight lanes of sixteen.
pub const SUM_BLOCK: usize = 128;

/// Elements per chunk of the deterministic sum: the unit of a CPU task's
/// work, of a grid thread's, and of the min/max/count chunking.
pub const SUM_CHUNK: usize = 32 * SUM_BLOCK;

/// Independent accumulators in [`sum_block`] (and the min/max lanes):
/// enough to fill AVX-512 with f64 and to hide the adder's latency.
const LANES: usize = 8;

/// A reduction: an identity and an associative combiner.
///
/// A GPU block's reduction ([`block_tree`]) folds with any reduction;
/// here the largest magnitude:
///
/// ```rust
/// use hotloop_core::reduce::{Reduction, block_tree};
///
/// /// `max |x|`; its identity is 0, the smallest magnitude.
/// struct MaxAbs;
///
/// impl Reduction<f64> for MaxAbs {
///     fn identity() -> f64 {
///         0.0
///     }
///     fn combine(a: f64, b: f64) -> f64 {
///         a.abs().max(b.abs())
///     }
/// }
///
/// // Five threads' partials, folded as a block of five threads does.
/// let mut partials = [3.0, -7.5, 1.0, 2.0, -0.5];
/// assert_eq!(block_tree::<f64, MaxAbs>(&mut partials), 7.5);
/// assert_eq!(MaxAbs::combine(MaxAbs::identity(), -2.0), 2.0);
/// ```
pub trait Reduction<T> {
    /// The value that leaves any other unchanged.
    fn identity() -> T;
    /// Combines two partial results.
    fn combine(a: T, b: T) -> T;
}

/// `+` ([`Num::plus`]: wrapping for integers).
pub struct Sum;
impl<T: Num> Reduction<T> for Sum {
    #[inline(always)]
    fn identity() -> T {
        T::ZERO
    }
    #[inline(always)]
    fn combine(a: T, b: T) -> T {
        a.plus(b)
    }
}

/// Maximum, propagating NaN (as NumPy's `max`): [`Num::max_of`], whose
/// result is a function of the *set* of values combined, not of their
/// order (any NaN gives the canonical NaN, whatever the input's payload;
/// `+0.0` is larger than `-0.0`). It is commutative and associative, bits
/// included, so every split of the input, every thread count and every
/// launch shape of every backend gives the same bits.
pub struct Max;
impl<T: Num> Reduction<T> for Max {
    #[inline(always)]
    fn identity() -> T {
        T::LOWEST
    }
    #[inline(always)]
    fn combine(a: T, b: T) -> T {
        T::max_of(a, b)
    }
}

/// Minimum, propagating NaN (as NumPy's `min`): [`Num::min_of`], like
/// [`Max`] a function of the set of values alone (`-0.0` smaller than
/// `+0.0`).
pub struct Min;
impl<T: Num> Reduction<T> for Min {
    #[inline(always)]
    fn identity() -> T {
        T::HIGHEST
    }
    #[inline(always)]
    fn combine(a: T, b: T) -> T {
        T::min_of(a, b)
    }
}

/// Sum of one block (at most [`SUM_BLOCK`] elements, usually exactly that)
/// in a fixed order: element `i` goes to lane `i % 8`, the lanes are
/// combined as a balanced tree. The order depends only on the length.
#[inline(always)]
pub fn sum_block<T: Num>(xs: &[T]) -> T::Sum {
    if T::ASSOCIATIVE {
        // Any order gives these bits: a plain loop, which vectorizes as
        // well and keeps the GPU's 64-bit sums within 64 registers.
        return xs.iter().fold(T::Sum::ZERO, |s, &x| s.plus(x.to_sum()));
    }
    let mut acc = [T::Sum::ZERO; LANES];
    let mut groups = xs.chunks_exact(LANES);
    for g in &mut groups {
        for l in 0..LANES {
            acc[l] = acc[l].plus(g[l].to_sum());
        }
    }
    for (l, &x) in groups.remainder().iter().enumerate() {
        acc[l] = acc[l].plus(x.to_sum());
    }
    let [a0, a1, a2, a3, a4, a5, a6, a7] = acc;
    (a0.plus(a4).plus(a2.plus(a6))).plus(a1.plus(a5).plus(a3.plus(a7)))
}

/// Sum of one chunk (at most [`SUM_CHUNK`] elements): its
/// [`SUM_BLOCK`]-element blocks by [`sum_block`], then the block sums by
/// [`pairwise_sum`]. A longer slice is summed as [`sum_slice`] does.
#[inline(always)]
pub fn sum_chunk<T: Num>(xs: &[T]) -> T::Sum {
    if xs.len() > SUM_CHUNK {
        return sum_slice(xs);
    }
    let mut blocks = [T::Sum::ZERO; SUM_CHUNK / SUM_BLOCK];
    let mut n = 0;
    for (b, s) in xs.chunks(SUM_BLOCK).zip(blocks.iter_mut()) {
        *s = sum_block(b);
        n += 1;
    }
    pairwise_sum_in_place(&mut blocks[..n])
}

/// The deterministic sum of a whole slice, without allocation: the
/// [`pairwise_sum`] of its chunk sums, split where that would split them,
/// and a NaN result made the canonical NaN (which of several NaN payloads
/// an addition keeps is up to the compiler and the hardware). What every
/// backend's `sum` computes. Integers are summed in [`Num::Sum`],
/// wrapping.
pub fn sum_slice<T: Num>(xs: &[T]) -> T::Sum {
    sum_chunk_tree(xs).canonical()
}

/// [`sum_slice`] before NaN canonicalisation: the recursion over chunks.
/// Callers that split the recursion (a parallel sum) must split it as this
/// does, at `chunks / 2` whole chunks.
pub fn sum_chunk_tree<T: Num>(xs: &[T]) -> T::Sum {
    sum_chunk_tree_by(xs, &sum_leaf)
}

/// Chunks in a leaf of [`sum_chunk_tree_by`]'s recursion.
pub const SUM_LEAF_CHUNKS: usize = 64;

/// [`sum_chunk_tree`] with its leaves, subtrees of at most
/// [`SUM_LEAF_CHUNKS`] chunks, summed by `leaf` (which must give
/// [`sum_leaf`]'s bits). The CPU backends pass [`sum_leaf`] compiled for
/// the widest instruction set: the recursion itself cannot be inlined
/// into such a function, and a chunk's loop compiled outside one runs on
/// the baseline (SSE2).
pub fn sum_chunk_tree_by<T: Num>(xs: &[T], leaf: &impl Fn(&[T]) -> T::Sum) -> T::Sum {
    let chunks = xs.len().div_ceil(SUM_CHUNK);
    if chunks <= SUM_LEAF_CHUNKS {
        return leaf(xs);
    }
    let (a, b) = xs.split_at(chunks / 2 * SUM_CHUNK);
    sum_chunk_tree_by(a, leaf).plus(sum_chunk_tree_by(b, leaf))
}

/// [`sum_chunk_tree`] of at most [`SUM_LEAF_CHUNKS`] chunks: their sums
/// combined by [`pairwise_sum`], which splits at `chunks / 2` as the
/// recursion does. Longer slices are summed as [`sum_chunk_tree`] does.
#[inline(always)]
pub fn sum_leaf<T: Num>(xs: &[T]) -> T::Sum {
    let chunks = xs.len().div_ceil(SUM_CHUNK);
    if chunks > SUM_LEAF_CHUNKS {
        return sum_chunk_tree(xs);
    }
    let mut sums = [T::Sum::ZERO; SUM_LEAF_CHUNKS];
    for (c, s) in xs.chunks(SUM_CHUNK).zip(&mut sums) {
        *s = sum_chunk(c);
    }
    pairwise_sum_in_place(&mut sums[..chunks])
}

/// Pairwise (recursive halving) sum: the order depends only on the length.
/// Its rounding error grows as O(log n) rather than O(n).
pub fn pairwise_sum<T: Num>(xs: &[T]) -> T {
    match xs.len() {
        0 => T::ZERO,
        1 => xs[0],
        n => {
            let (a, b) = xs.split_at(n / 2);
            pairwise_sum(a).plus(pairwise_sum(b))
        }
    }
}

/// [`pairwise_sum`] of `xs`, which it overwrites. A power-of-two length
/// (a whole chunk's blocks, a whole leaf's chunks) is summed level by
/// level, adjacent pairs and then pairs of those: the same tree, without
/// the recursion's two calls an addition, which in a chunk of the sum
/// were as many instructions as the blocks' own loop.
#[inline(always)]
fn pairwise_sum_in_place<T: Num>(xs: &mut [T]) -> T {
    let mut n = xs.len();
    if !n.is_power_of_two() {
        return pairwise_sum(xs);
    }
    while n > 1 {
        n /= 2;
        for i in 0..n {
            xs[i] = xs[2 * i].plus(xs[2 * i + 1]);
        }
    }
    xs[0]
}

/// The bound on `|sum_slice(xs) - exact sum|` for `n` elements whose
/// magnitudes add up to `abs_sum`, with unit roundoff `unit` (`eps / 2`:
/// `2^-53` for f64, `2^-24` for f32): `d u / (1 - d u) * abs_sum`, where
/// `d` is the most rounded additions one element passes through.
pub fn sum_error_bound(n: usize, abs_sum: f64, unit: f64) -> f64 {
    let chunks = n.div_ceil(SUM_CHUNK).max(1);
    let depth =
        (SUM_BLOCK / LANES - 1) + 3 + 5 + chunks.next_power_of_two().trailing_zeros() as usize;
    let du = depth as f64 * unit;
    du / (1.0 - du) * abs_sum
}

/// Maximum of a slice (NaN-propagating), or `None` if it is empty:
/// [`Num::max_of`] over every element, which depends only on the set of
/// values.
#[inline]
pub fn max_slice<T: Num>(xs: &[T]) -> Option<T> {
    extremum(xs, T::LOWEST, |x, acc| x > acc, T::max_of)
}

/// Minimum of a slice (NaN-propagating), or `None` if it is empty, as
/// [`max_slice`].
#[inline]
pub fn min_slice<T: Num>(xs: &[T]) -> Option<T> {
    extremum(xs, T::HIGHEST, |x, acc| x < acc, T::min_of)
}

/// Sets of [`LANES`] lanes in [`extremum`]: eight 256-bit registers of
/// f64 maxima, or four 512-bit ones.
const SETS: usize = 4;

/// The fold of `exact` over `xs` from `identity`, computed the fast way:
/// each of [`SETS`] sets of [`LANES`] lanes keeps the element `better`
/// than its own (a machine max or min, which vectorizes) and, for floats,
/// the plain sum of its elements, which is NaN from the first NaN on (and,
/// which is only slower, where infinities of both signs meet). That equals
/// the exact fold unless a NaN was seen, or the result is a zero whose
/// sign would be the first zero's (`exact` orders `-0.0` below `+0.0`):
/// those rare slices are folded again exactly.
///
/// The sets (a group of elements each, in turn) and one add a vector as
/// the NaN test keep the loop's instructions few and its chains many, so
/// more of the stream is in flight. Measured: one thread's max of 4 GiB of
/// f64 on an AMD EPYC (Zen 4), two sets: 129 to 133 ms, against 142 to 147
/// with one set and a NaN flag a lane (the read limit: 128 to 131). On a
/// Xeon VM with AVX-512, the plain sum as the probe took it from 448-456
/// ms to 415-426 ms against a sum of `x - x`; there, two threads over 4
/// GiB on huge pages, alternated: two sets 181 ms with 512-bit vectors and
/// 173-180 with 256-bit ones, four sets 179 and 151-154 (the read: 138-145).
#[inline(always)]
fn extremum<T: Num>(
    xs: &[T],
    identity: T,
    better: impl Fn(T, T) -> bool,
    exact: fn(T, T) -> T,
) -> Option<T> {
    if xs.is_empty() {
        return None;
    }
    let mut acc = [[identity; LANES]; SETS];
    let mut probe = [[T::ZERO; LANES]; SETS];
    let mut groups = xs.chunks_exact(SETS * LANES);
    for g in &mut groups {
        for (s, g) in g.chunks_exact(LANES).enumerate() {
            for l in 0..LANES {
                let x = g[l];
                acc[s][l] = if better(x, acc[s][l]) { x } else { acc[s][l] };
                if T::SIGNED_ZERO {
                    probe[s][l] = probe[s][l] + x;
                }
            }
        }
    }
    for (i, &x) in groups.remainder().iter().enumerate() {
        let (s, l) = (i / LANES, i % LANES);
        acc[s][l] = if better(x, acc[s][l]) { x } else { acc[s][l] };
        if T::SIGNED_ZERO {
            probe[s][l] = probe[s][l] + x;
        }
    }
    let (acc, probe) = (acc.as_flattened(), probe.as_flattened());
    let m = acc
        .iter()
        .copied()
        .fold(identity, |a, x| if better(x, a) { x } else { a });
    #[allow(clippy::eq_op)]
    let unordered = probe.iter().any(|&p| p != p);
    if unordered || (T::SIGNED_ZERO && m == T::ZERO) {
        return Some(xs.iter().copied().fold(identity, exact));
    }
    Some(m)
}

/// Number of elements of `xs` for which `pred` holds: the `prange` loop
/// `for i in prange(n): if pred(x[i]): count += 1`. Exact, so any split of
/// the input gives the same count.
#[inline]
pub fn count_slice<T: Num, P: crate::predicate::Predicate<T>>(pred: &P, xs: &[T]) -> u64 {
    // Branch-free (a sum of 0/1) so the comparisons vectorize.
    let mut n = 0u64;
    for &x in xs {
        n += pred.test(x) as u64;
    }
    n
}

/// Lanes in a GPU warp: the unit of [`block_tree`]'s first level.
const WARP: usize = 32;

/// A GPU block's reduction of its threads' `partials` (thread `t`'s at
/// index `t`), in the tree of `hotloop_device::block_reduce`, stated here
/// for the host: each warp of 32 threads (the last may be partial) folds
/// lane `l + s` into lane `l` for `s` = 16, 8, 4, 2, 1 where lane `l + s`
/// exists, then the warps' results are folded the same way. The order
/// depends only on the number of threads, so the simulator's blocks give
/// the GPU's bits for any combiner. Clobbers `partials`; the result of
/// none is the identity.
pub fn block_tree<T: Copy, R: Reduction<T>>(partials: &mut [T]) -> T {
    let (n, warps) = (partials.len(), partials.len().div_ceil(WARP));
    for w in 0..warps {
        partials[w] = warp_tree::<T, R>(&mut partials[w * WARP..((w + 1) * WARP).min(n)]);
    }
    if warps == 0 {
        return R::identity();
    }
    warp_tree::<T, R>(&mut partials[..warps])
}

/// One warp's level of [`block_tree`] over its (at most 32) lanes. The
/// lanes of one step read before any writes: lane `l` reads `l + s`, which
/// a later iteration of the ascending loop writes.
fn warp_tree<T: Copy, R: Reduction<T>>(lanes: &mut [T]) -> T {
    let mut s = WARP / 2;
    while s > 0 {
        for l in 0..lanes.len().saturating_sub(s) {
            lanes[l] = R::combine(lanes[l], lanes[l + s]);
        }
        s /= 2;
    }
    lanes[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_leaves_are_the_recursion_over_chunks() {
        /// The definition: halves at `chunks / 2` whole chunks, down to one.
        fn by_chunks(xs: &[f64]) -> f64 {
            let chunks = xs.len().div_ceil(SUM_CHUNK);
            if chunks <= 1 {
                return sum_chunk(xs);
            }
            let (a, b) = xs.split_at(chunks / 2 * SUM_CHUNK);
            by_chunks(a) + by_chunks(b)
        }
        let xs: std::vec::Vec<f64> = (0..200 * SUM_CHUNK + 77)
            .map(|i| ((i * 7919 % 10007) as f64 - 5003.0) * 1.000_000_1f64.powi((i % 50) as i32))
            .collect();
        for len in [
            0,
            5,
            SUM_CHUNK + 1,
            63 * SUM_CHUNK,
            64 * SUM_CHUNK + 3,
            130 * SUM_CHUNK,
            xs.len(),
        ] {
            let xs = &xs[..len];
            assert_eq!(
                sum_chunk_tree(xs).to_bits(),
                by_chunks(xs).to_bits(),
                "{len}"
            );
        }
    }

    #[test]
    fn chunk_sum_is_exact_on_integers() {
        let xs: [f64; 21] = core::array::from_fn(|i| i as f64);
        assert_eq!(sum_chunk(&xs), 210.0);
        assert_eq!(sum_chunk::<f64>(&[]), 0.0);
        assert_eq!(pairwise_sum(&xs), 210.0);
        assert_eq!(sum_block(&xs), 210.0);
        assert_eq!(sum_slice(&xs), 210.0);
    }

    #[test]
    fn the_sum_in_place_is_the_pairwise_tree() {
        // Values whose partial sums round, at lengths around the powers of
        // two.
        let xs: [f32; 70] = core::array::from_fn(|i| ((i * 7919 % 1013) as f32 - 500.0) * 1.37e-3);
        for n in 0..=70 {
            let mut copy = xs;
            assert_eq!(
                pairwise_sum_in_place(&mut copy[..n]).to_bits(),
                pairwise_sum(&xs[..n]).to_bits(),
                "n={n}"
            );
        }
    }

    #[test]
    fn slice_sum_is_the_pairwise_sum_of_chunk_sums() {
        // Lengths around chunk and block edges; values whose sum rounds.
        for n in [
            1,
            127,
            128,
            129,
            SUM_CHUNK - 1,
            SUM_CHUNK,
            SUM_CHUNK + 1,
            5 * SUM_CHUNK + 77,
        ] {
            let xs: [f32; 5 * SUM_CHUNK + 77] =
                core::array::from_fn(|i| ((i * 7919 % 1013) as f32 - 500.0) * 1.37e-3);
            let xs = &xs[..n];
            let mut parts = [0.0f32; 6];
            let mut k = 0;
            for (c, p) in xs.chunks(SUM_CHUNK).zip(parts.iter_mut()) {
                *p = sum_chunk(c);
                k += 1;
            }
            assert_eq!(
                sum_slice(xs).to_bits(),
                pairwise_sum(&parts[..k]).to_bits(),
                "n={n}"
            );
        }
    }

    #[test]
    fn rounding_is_pairwise_not_sequential() {
        // Lanes 0, 1, 2: (MAX + MAX) + -MAX overflows.
        assert_eq!(sum_slice(&[f64::MAX, -f64::MAX, f64::MAX]), f64::INFINITY);
        // Ten thousand times 0.1f32: a sequential f32 sum drifts by ~3e-4
        // relative; the pairwise sum stays within its bound of the exact
        // value.
        let xs = [0.1f32; 10_000];
        let exact = 0.1f32 as f64 * 10_000.0;
        let err = (sum_slice(&xs) as f64 - exact).abs();
        assert!(
            err <= sum_error_bound(xs.len(), exact, 2f64.powi(-24)),
            "{err}"
        );
        assert!(err < 2e-4, "{err}");
    }

    #[test]
    fn min_and_max_depend_on_the_values_not_their_order() {
        let a = f64::from_bits(0x7ff8_0000_0000_00aa);
        let b = f64::from_bits(0xfff8_0000_0000_00bb);
        for (x, y) in [(a, b), (b, a), (a, 1.0), (1.0, b), (a, a)] {
            assert_eq!(Num::max_of(x, y).to_bits(), f64::NAN.to_bits());
            assert_eq!(Num::min_of(x, y).to_bits(), f64::NAN.to_bits());
        }
        for (x, y) in [(0.0f32, -0.0), (-0.0, 0.0)] {
            assert_eq!(Num::max_of(x, y).to_bits(), 0.0f32.to_bits());
            assert_eq!(Num::min_of(x, y).to_bits(), (-0.0f32).to_bits());
        }
        // Every permutation of two multisets (Heap's algorithm) gives the
        // same bits, folded or through the lanes of the slice forms.
        for (vals, want_min, want_max) in [
            ([0.0f64, -0.0, -0.0, 0.0, 0.0], -0.0f64, 0.0f64),
            ([2.0, -0.0, a, 0.0, b], f64::NAN, f64::NAN),
        ] {
            let mut v = vals;
            let mut c = [0usize; 5];
            let check = |v: &[f64; 5]| {
                assert_eq!(min_slice(v).unwrap().to_bits(), want_min.to_bits(), "{v:?}");
                assert_eq!(max_slice(v).unwrap().to_bits(), want_max.to_bits(), "{v:?}");
                let folded = v.iter().fold(f64::INFINITY, |m, &x| Num::min_of(m, x));
                assert_eq!(folded.to_bits(), want_min.to_bits(), "{v:?}");
            };
            check(&v);
            let mut i = 0;
            while i < 5 {
                if c[i] < i {
                    v.swap(if i % 2 == 0 { 0 } else { c[i] }, i);
                    check(&v);
                    c[i] += 1;
                    i = 0;
                } else {
                    c[i] = 0;
                    i += 1;
                }
            }
        }
    }

    #[test]
    fn the_fast_extrema_equal_the_exact_fold_bit_for_bit() {
        // Slices of zeros of both signs, NaNs of several payloads,
        // infinities, the largest finite values and ordinary values, at
        // every length around the lanes: the fast lanes and their exact
        // fallback agree with a plain fold of `max_of`/`min_of`, bits and
        // all.
        let pool = [
            0.0f64,
            -0.0,
            f64::NAN,
            -f64::NAN,
            f64::from_bits(0x7ff8_0000_0000_0001),
            f64::INFINITY,
            f64::NEG_INFINITY,
            -1.5,
            2.5,
            1e-310,
            // Sums that overflow to an infinity, of either sign.
            f64::MAX,
            -f64::MAX,
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        // Two groups of `SETS * LANES` and every remainder.
        for len in 1..2 * SETS * LANES + LANES {
            for _ in 0..200 {
                // Mostly one kind of value, so that zero-only and NaN-free
                // slices are common.
                let kinds = 1 + (next() % 4) as usize;
                let first = (next() % pool.len() as u64) as usize;
                let mut buf = [0.0f64; 80];
                for v in &mut buf[..len] {
                    *v = pool[(first + (next() % kinds as u64) as usize) % pool.len()];
                }
                let xs = &buf[..len];
                let max = xs.iter().copied().fold(f64::LOWEST, Num::max_of);
                let min = xs.iter().copied().fold(f64::HIGHEST, Num::min_of);
                assert_eq!(max_slice(xs).unwrap().to_bits(), max.to_bits(), "{xs:?}");
                assert_eq!(min_slice(xs).unwrap().to_bits(), min.to_bits(), "{xs:?}");
                let mut ints = [0i16; 80];
                for (i, v) in ints.iter_mut().zip(xs) {
                    *i = v.clamp(-9.0, 9.0) as i16;
                }
                let ints = &ints[..len];
                assert_eq!(max_slice(ints), ints.iter().copied().max());
                assert_eq!(min_slice(ints), ints.iter().copied().min());
            }
        }
    }

    #[test]
    fn max_propagates_nan_from_either_side() {
        assert!(Num::max_of(f64::NAN, 1.0).is_nan());
        assert!(Num::max_of(1.0, f64::NAN).is_nan());
        assert_eq!(Num::max_of(1.0, 2.0), 2.0);
        assert!(max_slice(&[1.0, f64::NAN, 3.0]).unwrap().is_nan());
        assert_eq!(max_slice::<f32>(&[]), None);
        assert_eq!(max_slice(&[-3.0f32, -1.0, -2.0]), Some(-1.0));
    }

    #[test]
    fn min_propagates_nan_and_picks_the_smallest() {
        assert!(Num::min_of(f64::NAN, 1.0).is_nan());
        assert!(Num::min_of(1.0, f64::NAN).is_nan());
        assert_eq!(
            min_slice(&[3.0f64, -1.0, 2.0, -7.5, 0.0, 1.0, 9.0, 4.0, -7.0]),
            Some(-7.5)
        );
        assert!(min_slice(&[1.0, f32::NAN]).unwrap().is_nan());
        assert_eq!(min_slice::<f64>(&[]), None);
        assert_eq!(<Min as Reduction<f32>>::identity(), f32::INFINITY);
    }

    #[test]
    fn count_counts() {
        use crate::predicate::GreaterThan;
        let xs = [1.0f64, 5.0, f64::NAN, 7.0, -2.0];
        assert_eq!(count_slice(&GreaterThan(2.0), &xs), 2);
        assert_eq!(count_slice(&|x: f64| x.is_nan(), &xs), 1);
        assert_eq!(count_slice(&GreaterThan(2.0), &[] as &[f64]), 0);
    }

    #[test]
    fn block_tree_is_the_warp_shuffle_tree() {
        // Integers: the sum, for every size up to two full warps and some
        // over; Max with a NaN: the NaN.
        for n in (1..70usize).chain([255, 256, 1000, 1024]) {
            let mut xs: std::vec::Vec<u64> = (1..=n as u64).collect();
            assert_eq!(block_tree::<u64, Sum>(&mut xs), (n * (n + 1) / 2) as u64);
            let mut fs: std::vec::Vec<f64> = (0..n).map(|i| (i * 37 % 71) as f64).collect();
            if n > 5 {
                fs[n / 2] = f64::NAN;
            }
            let want = max_slice(&fs).unwrap();
            let got = block_tree::<f64, Max>(&mut fs);
            assert!(got == want || (got.is_nan() && want.is_nan()), "n={n}");
        }
        // The order, seen through a combiner that records it: 3 lanes fold
        // as (x0 + x2) + x1 (s = 2, then s = 1); a second warp of 1 lane
        // joins last.
        struct Order;
        impl Reduction<u64> for Order {
            fn identity() -> u64 {
                0
            }
            fn combine(a: u64, b: u64) -> u64 {
                a * 10 + b
            }
        }
        assert_eq!(block_tree::<u64, Order>(&mut [1, 2, 3]), 132);
        let mut two_warps = [1u64; 33];
        two_warps[32] = 9;
        assert_eq!(block_tree::<u64, Order>(&mut two_warps) % 10, 9);
        assert_eq!(block_tree::<u64, Sum>(&mut []), 0);
    }
}
