//! Reduction combiners and the fixed-order sum every backend shares.
//!
//! A floating-point sum depends on the order of its additions. hotloop fixes
//! that order independently of the thread count: the input is cut into
//! [`SUM_CHUNK`]-element chunks, each chunk is summed by [`sum_chunk`] (eight
//! interleaved lanes, then a fixed tree), and the chunk sums are combined by
//! [`pairwise_sum`]. Serial and parallel CPU sums are therefore bit-identical.

use crate::Real;

/// Elements per chunk of the deterministic sum.
pub const SUM_CHUNK: usize = 1 << 14;

/// Independent accumulators in [`sum_chunk`]: enough to fill AVX-512 with
/// f64 and to hide the adder's latency.
const LANES: usize = 8;

/// A reduction: an identity and an associative combiner.
pub trait Reduction<T> {
    /// The value that leaves any other unchanged.
    fn identity() -> T;
    /// Combines two partial results.
    fn combine(a: T, b: T) -> T;
}

/// `+`.
pub struct Sum;
impl<T: Real> Reduction<T> for Sum {
    #[inline(always)]
    fn identity() -> T {
        T::ZERO
    }
    #[inline(always)]
    fn combine(a: T, b: T) -> T {
        a + b
    }
}

/// Exact integer sum, for hit counts.
impl Reduction<u64> for Sum {
    #[inline(always)]
    fn identity() -> u64 {
        0
    }
    #[inline(always)]
    fn combine(a: u64, b: u64) -> u64 {
        a + b
    }
}

/// Maximum, propagating NaN (as NumPy's `max`): any NaN in the input makes
/// the result NaN, whatever the order of combination.
pub struct Max;
impl Max {
    /// The combiner for a concrete type, usable where a trait call is awkward.
    #[inline(always)]
    pub fn max<T: Real>(a: T, b: T) -> T {
        if a.is_nan() || a > b { a } else { b }
    }
}
impl<T: Real + MinValue> Reduction<T> for Max {
    #[inline(always)]
    fn identity() -> T {
        T::NEG_INFINITY
    }
    #[inline(always)]
    fn combine(a: T, b: T) -> T {
        Max::max(a, b)
    }
}

/// Minimum, propagating NaN (as NumPy's `min`).
///
/// Like [`Max`], the combiner is a *selection*: it returns one of its
/// arguments (the left one if it is NaN, else the right one unless the left
/// is smaller). Over a sequence it therefore picks the leftmost NaN, or else
/// the rightmost minimal element, however the sequence is bracketed, as
/// long as its order is kept. That is what makes the chunked parallel
/// min/max bit-identical to the serial one, signed zeros and NaN payloads
/// included.
pub struct Min;
impl Min {
    /// The combiner for a concrete type, usable where a trait call is awkward.
    #[inline(always)]
    pub fn min<T: Real>(a: T, b: T) -> T {
        if a.is_nan() || a < b { a } else { b }
    }
}
impl<T: Real> Reduction<T> for Min {
    #[inline(always)]
    fn identity() -> T {
        T::INFINITY
    }
    #[inline(always)]
    fn combine(a: T, b: T) -> T {
        Min::min(a, b)
    }
}

/// Types with a negative infinity (the identity of `max`).
pub trait MinValue {
    /// Negative infinity.
    const NEG_INFINITY: Self;
}
impl MinValue for f32 {
    const NEG_INFINITY: Self = f32::NEG_INFINITY;
}
impl MinValue for f64 {
    const NEG_INFINITY: Self = f64::NEG_INFINITY;
}

/// Sum of one chunk in a fixed order: element `i` goes to lane `i % 8`, the
/// lanes are combined as a balanced tree. The order depends only on the
/// chunk's length, so the result does too.
#[inline]
pub fn sum_chunk<T: Real>(xs: &[T]) -> T {
    let mut acc = [T::ZERO; LANES];
    let mut groups = xs.chunks_exact(LANES);
    for g in &mut groups {
        for l in 0..LANES {
            acc[l] = acc[l] + g[l];
        }
    }
    for (l, &x) in groups.remainder().iter().enumerate() {
        acc[l] = acc[l] + x;
    }
    ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))
}

/// Pairwise (recursive halving) sum: the order depends only on the length.
/// Its rounding error grows as O(log n) rather than O(n).
pub fn pairwise_sum<T: Real>(xs: &[T]) -> T {
    match xs.len() {
        0 => T::ZERO,
        1 => xs[0],
        n => {
            let (a, b) = xs.split_at(n / 2);
            pairwise_sum(a) + pairwise_sum(b)
        }
    }
}

/// Maximum of a slice (NaN-propagating), or `None` if it is empty.
#[inline]
pub fn max_slice<T: Real + MinValue>(xs: &[T]) -> Option<T> {
    if xs.is_empty() {
        return None;
    }
    // Lanes let the compiler keep several comparisons in flight.
    let mut acc = [T::NEG_INFINITY; LANES];
    let mut groups = xs.chunks_exact(LANES);
    for g in &mut groups {
        for l in 0..LANES {
            acc[l] = Max::max(acc[l], g[l]);
        }
    }
    for (l, &x) in groups.remainder().iter().enumerate() {
        acc[l] = Max::max(acc[l], x);
    }
    Some(acc.into_iter().fold(T::NEG_INFINITY, Max::max))
}

/// Minimum of a slice (NaN-propagating), or `None` if it is empty. The
/// lane structure is that of [`max_slice`], so the result depends only on
/// the slice.
#[inline]
pub fn min_slice<T: Real>(xs: &[T]) -> Option<T> {
    if xs.is_empty() {
        return None;
    }
    let mut acc = [T::INFINITY; LANES];
    let mut groups = xs.chunks_exact(LANES);
    for g in &mut groups {
        for l in 0..LANES {
            acc[l] = Min::min(acc[l], g[l]);
        }
    }
    for (l, &x) in groups.remainder().iter().enumerate() {
        acc[l] = Min::min(acc[l], x);
    }
    Some(acc.into_iter().fold(T::INFINITY, Min::min))
}

/// Number of elements of `xs` for which `pred` holds: the `prange` loop
/// `for i in prange(n): if pred(x[i]): count += 1`. Exact, so any split of
/// the input gives the same count.
#[inline]
pub fn count_slice<T: Real, P: crate::predicate::Predicate<T>>(pred: &P, xs: &[T]) -> u64 {
    // Branch-free (a sum of 0/1) so the comparisons vectorize.
    let mut n = 0u64;
    for &x in xs {
        n += pred.test(x) as u64;
    }
    n
}

/// One step of a shared-memory tree reduction inside a block of `block_dim`
/// threads: thread `tid` folds slot `tid + stride` into slot `tid`. Run with
/// `stride = next_power_of_two(block_dim) / 2, ..., 2, 1`, with a barrier
/// after each step; slot 0 then holds the block's result. Works for any
/// `block_dim`, not only powers of two.
#[inline(always)]
pub fn tree_step<T: Copy, R: Reduction<T>>(shared: &mut [T], tid: usize, stride: usize) {
    // SAFETY: the slice is valid for its length and exclusively ours.
    unsafe { tree_step_raw::<T, R>(shared.as_mut_ptr(), shared.len(), tid, stride) }
}

/// [`tree_step`] through a raw pointer, for the device kernels: there every
/// thread of the block runs the step concurrently on the same shared array,
/// so none of them may hold a `&mut [T]` over all of it. Within one step a
/// thread writes only slot `tid < stride` and reads only slots `tid` and
/// `tid + stride >= stride`, which no thread writes in that step: the steps
/// are race-free given a barrier between them.
///
/// # Safety
/// `shared` must be valid for reads and writes of `len` elements, and no
/// other thread may access slots `tid` and `tid + stride` during the call
/// except to read `tid + stride`.
#[inline(always)]
pub unsafe fn tree_step_raw<T: Copy, R: Reduction<T>>(
    shared: *mut T,
    len: usize,
    tid: usize,
    stride: usize,
) {
    if tid < stride && tid + stride < len {
        // SAFETY: both indices are below len; the caller rules out races.
        unsafe {
            let other = *shared.add(tid + stride);
            let mine = shared.add(tid);
            *mine = R::combine(*mine, other);
        }
    }
}

/// The first stride of [`tree_step`] for a block of `block_dim` threads.
#[inline(always)]
pub const fn first_tree_stride(block_dim: usize) -> usize {
    block_dim.next_power_of_two() / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_sum_is_exact_on_integers() {
        let xs: [f64; 21] = core::array::from_fn(|i| i as f64);
        assert_eq!(sum_chunk(&xs), 210.0);
        assert_eq!(sum_chunk::<f64>(&[]), 0.0);
        assert_eq!(pairwise_sum(&xs), 210.0);
    }

    #[test]
    fn max_propagates_nan_from_either_side() {
        assert!(Max::max(f64::NAN, 1.0).is_nan());
        assert!(Max::max(1.0, f64::NAN).is_nan());
        assert_eq!(Max::max(1.0, 2.0), 2.0);
        assert!(max_slice(&[1.0, f64::NAN, 3.0]).unwrap().is_nan());
        assert_eq!(max_slice::<f32>(&[]), None);
        assert_eq!(max_slice(&[-3.0f32, -1.0, -2.0]), Some(-1.0));
    }

    #[test]
    fn min_propagates_nan_and_picks_the_smallest() {
        assert!(Min::min(f64::NAN, 1.0).is_nan());
        assert!(Min::min(1.0, f64::NAN).is_nan());
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
    fn tree_reduction_handles_any_block_size() {
        for n in 1..40usize {
            let mut shared = [0u64; 40];
            for (i, s) in shared[..n].iter_mut().enumerate() {
                *s = i as u64 + 1;
            }
            let mut stride = first_tree_stride(n);
            while stride > 0 {
                // Every "thread" of the step reads before any writes matter:
                // a step only reads slots >= stride and writes slots < stride.
                for tid in 0..n {
                    tree_step::<u64, Sum>(&mut shared[..n], tid, stride);
                }
                stride /= 2;
            }
            assert_eq!(shared[0], (n * (n + 1) / 2) as u64, "n={n}");
        }
    }

    #[test]
    fn raw_tree_step_matches_the_slice_form() {
        // Max over f64 with a NaN, any block size up to 70, through the raw
        // pointer, as a device block runs it.
        for n in 1..70usize {
            let mut shared: [f64; 70] = core::array::from_fn(|i| (i * 37 % 71) as f64);
            if n > 5 {
                shared[n / 2] = f64::NAN;
            }
            let want = max_slice(&shared[..n]).unwrap();
            let mut stride = first_tree_stride(n);
            while stride > 0 {
                for tid in 0..n {
                    // SAFETY: n <= 70 slots; "threads" run one after another.
                    unsafe { tree_step_raw::<f64, Max>(shared.as_mut_ptr(), n, tid, stride) };
                }
                stride /= 2;
            }
            assert!(
                shared[0] == want || (shared[0].is_nan() && want.is_nan()),
                "n={n}"
            );
        }
    }
}
