//! How work is split over ranks: pure arithmetic on index ranges, no MPI,
//! so it is tested by `cargo test` without `mpirun`.
//!
//! - [`share`]: a contiguous, near-even share of `0..total` (the Monte Carlo
//!   sample index, the planes of a slab).
//! - The distributed sum's pieces: a rank holds the global element range
//!   `lo..hi` of its slab, which need not start or end on a
//!   [`SUM_CHUNK`] boundary. For each global chunk it touches it sends the
//!   chunk's sum if it holds the whole chunk, or else its piece of the
//!   chunk, raw ([`encode_sum`]); [`combine_sum`] rebuilds every chunk sum
//!   in global order from all ranks' messages and combines them with
//!   `hotloop_core`'s own pairwise tree, so the result has
//!   [`sum_slice`](hotloop_core::reduce::sum_slice)'s bits for any split.

use core::ops::Range;
use hotloop_core::Real;
use hotloop_core::reduce::{SUM_CHUNK, pairwise_sum, sum_chunk};

/// Share `index` of `0..total` split over `parts`: contiguous, in order,
/// the first `total % parts` shares one longer than the rest, so shares
/// differ by at most one and any `total` works (with fewer items than
/// parts, the last shares are empty). An `index` beyond `parts` gets an
/// empty share.
pub fn share(total: u64, parts: usize, index: usize) -> Range<u64> {
    if index >= parts {
        return total..total;
    }
    let (parts, index) = (parts as u64, index as u64);
    let (base, rem) = (total / parts, total % parts);
    // index * base <= total: no overflow.
    let start = index * base + index.min(rem);
    start..start + base + u64::from(index < rem)
}

/// [`share`] of a `usize` count (the planes of an array's outermost axis).
pub fn share_usize(total: usize, parts: usize, index: usize) -> Range<usize> {
    let r = share(total as u64, parts, index);
    r.start as usize..r.end as usize
}

/// How rank-held element range `lo..hi` meets chunk `c` of an array of
/// `len` elements: the part of the chunk it holds, and whether that part
/// is the whole chunk.
fn chunk_part(c: usize, lo: usize, hi: usize, len: usize) -> (Range<usize>, bool) {
    let whole = c * SUM_CHUNK..((c + 1) * SUM_CHUNK).min(len);
    let part = whole.start.max(lo)..whole.end.min(hi);
    let is_whole = part == whole;
    (part, is_whole)
}

/// The chunks that range `lo..hi` touches.
fn touched_chunks(lo: usize, hi: usize) -> Range<usize> {
    if lo >= hi {
        0..0
    } else {
        lo / SUM_CHUNK..(hi - 1) / SUM_CHUNK + 1
    }
}

/// The values a rank holding elements `lo..hi` of `len` sends for the
/// sum: one per whole chunk, and one per element of the (at most two)
/// chunks it holds only part of. Known to every rank, so the gather needs
/// no count exchange.
pub fn sum_message_len(lo: usize, hi: usize, len: usize) -> usize {
    touched_chunks(lo, hi)
        .map(|c| {
            let (part, whole) = chunk_part(c, lo, hi, len);
            if whole { 1 } else { part.len() }
        })
        .sum()
}

/// The whole chunks of `lo..hi`, as a range of global element indices
/// (empty if there are none): they are consecutive, so a caller can sum
/// them in parallel and hand the sums to [`encode_sum`].
pub fn whole_chunk_elements(lo: usize, hi: usize, len: usize) -> Range<usize> {
    let mut whole = touched_chunks(lo, hi).filter(|&c| chunk_part(c, lo, hi, len).1);
    match whole.next() {
        None => lo..lo,
        Some(first) => {
            let last = whole.next_back().unwrap_or(first);
            first * SUM_CHUNK..((last + 1) * SUM_CHUNK).min(len)
        }
    }
}

/// A rank's message for the distributed sum, given its elements `local`
/// (global `lo..lo + local.len()` of `len`) and the sums of its whole
/// chunks in order (`chunk_sums`, one per [`SUM_CHUNK`] of
/// [`whole_chunk_elements`], each [`sum_chunk`] of it). Appends
/// [`sum_message_len`] values to `out`.
pub fn encode_sum<T: Real>(local: &[T], lo: usize, len: usize, chunk_sums: &[T], out: &mut Vec<T>) {
    let hi = lo + local.len();
    let mut sums = chunk_sums.iter();
    for c in touched_chunks(lo, hi) {
        let (part, whole) = chunk_part(c, lo, hi, len);
        if whole {
            out.push(*sums.next().expect("one sum per whole chunk"));
        } else {
            out.extend_from_slice(&local[part.start - lo..part.end - lo]);
        }
    }
    debug_assert!(sums.next().is_none(), "one sum per whole chunk");
}

/// The sum of an array of `len` elements from every rank's [`encode_sum`]
/// message, concatenated in rank order (`messages`), where rank `r` held
/// elements `ranges[r]` (contiguous, in order, covering `0..len`): each
/// chunk's sum in global order (a chunk split between ranks is rebuilt from
/// its pieces and summed whole), combined by `hotloop_core`'s
/// [`pairwise_sum`] and the canonical NaN, exactly as
/// [`sum_slice`](hotloop_core::reduce::sum_slice) combines them.
/// `None` if the messages do not have the lengths the ranges imply.
pub fn combine_sum<T: Real>(ranges: &[Range<usize>], len: usize, messages: &[T]) -> Option<T> {
    let mut sums = Vec::with_capacity(len.div_ceil(SUM_CHUNK));
    // The pieces of the chunk being rebuilt (< SUM_CHUNK elements).
    let mut pending: Vec<T> = Vec::new();
    let mut at = 0;
    for r in ranges {
        for c in touched_chunks(r.start, r.end) {
            let (part, whole) = chunk_part(c, r.start, r.end, len);
            if whole {
                sums.push(*messages.get(at)?);
                at += 1;
            } else {
                pending.extend_from_slice(messages.get(at..at + part.len())?);
                at += part.len();
                if part.end == ((c + 1) * SUM_CHUNK).min(len) {
                    sums.push(sum_chunk(&pending));
                    pending.clear();
                }
            }
        }
    }
    if at != messages.len() || !pending.is_empty() {
        return None;
    }
    Some(pairwise_sum(&sums).canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotloop_core::reduce::sum_slice;

    #[test]
    fn shares_are_contiguous_even_and_cover_everything() {
        for total in [0u64, 1, 2, 3, 5, 7, 100, 1001, u64::MAX] {
            for parts in 1..=9usize {
                let mut next = 0u64;
                let lens: Vec<u64> = (0..parts)
                    .map(|i| {
                        let r = share(total, parts, i);
                        assert_eq!(r.start, next, "{total} over {parts}, share {i}");
                        next = r.end;
                        r.end - r.start
                    })
                    .collect();
                assert_eq!(next, total, "{total} over {parts}");
                let (lo, hi) = (lens.iter().min().unwrap(), lens.iter().max().unwrap());
                assert!(hi - lo <= 1, "{total} over {parts}: {lens:?}");
                // The longer shares come first.
                assert!(lens.windows(2).all(|w| w[0] >= w[1]), "{lens:?}");
            }
        }
        // Fewer items than parts: one each, then empty shares.
        assert_eq!(share(2, 4, 0), 0..1);
        assert_eq!(share(2, 4, 1), 1..2);
        assert_eq!(share(2, 4, 3), 2..2);
        assert_eq!(share(10, 3, 3), 10..10);
        assert_eq!(share_usize(13, 4, 0), 0..4);
        assert_eq!(share_usize(13, 4, 3), 10..13);
    }

    /// Each rank's message built from its slab, then combined: the bits
    /// must be `sum_slice`'s over the whole array.
    fn distributed_sum<T: Real>(xs: &[T], plane: usize, ranks: usize) -> T {
        let planes = xs.len().checked_div(plane).unwrap_or(0);
        let ranges: Vec<Range<usize>> = (0..ranks)
            .map(|r| {
                let p = share_usize(planes, ranks, r);
                p.start * plane..p.end * plane
            })
            .collect();
        let mut messages = Vec::new();
        for r in &ranges {
            let whole = whole_chunk_elements(r.start, r.end, xs.len());
            let sums: Vec<T> = xs[whole].chunks(SUM_CHUNK).map(sum_chunk).collect();
            let before = messages.len();
            encode_sum(&xs[r.clone()], r.start, xs.len(), &sums, &mut messages);
            assert_eq!(
                messages.len() - before,
                sum_message_len(r.start, r.end, xs.len())
            );
        }
        combine_sum(&ranges, xs.len(), &messages).expect("consistent messages")
    }

    #[test]
    fn any_split_into_slabs_sums_to_the_one_process_bits() {
        // Values whose sum rounds, so a different order shows in the bits.
        let xs: Vec<f64> = (0..5 * SUM_CHUNK as u64 + 977)
            .map(|i| {
                let h = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 11;
                (h as f64 * 2f64.powi(-53) - 0.5) * 10f64.powi((i % 7) as i32 - 3)
            })
            .collect();
        let xs32: Vec<f32> = xs.iter().map(|&x| x as f32).collect();
        // Planes: one element (a 1-D array), smaller than a block, not
        // dividing a chunk, exactly a chunk, larger than a chunk.
        for plane in [1, 5, 97, 1000, SUM_CHUNK, SUM_CHUNK + 3, 3 * SUM_CHUNK - 1] {
            for planes in [0, 1, 2, 3, 7] {
                let n = (plane * planes).min(xs.len()) / plane * plane;
                for ranks in 1..=6 {
                    let want = sum_slice(&xs[..n]);
                    let got = distributed_sum(&xs[..n], plane, ranks);
                    assert_eq!(got.to_bits(), want.to_bits(), "{planes}x{plane} on {ranks}");
                    let want = sum_slice(&xs32[..n]);
                    let got = distributed_sum(&xs32[..n], plane, ranks);
                    assert_eq!(got.to_bits(), want.to_bits(), "f32 {planes}x{plane}");
                }
            }
        }
        // Every plane split over many ranks at an awkward total length.
        for ranks in [1, 2, 3, 4, 5, 17, 64] {
            let got = distributed_sum(&xs, 1, ranks);
            assert_eq!(got.to_bits(), sum_slice(&xs).to_bits(), "{ranks} ranks");
        }
    }

    #[test]
    fn a_nan_anywhere_gives_the_canonical_nan() {
        // 2000 planes of 7: a NaN with a payload in a chunk that a slab cuts.
        let mut xs = vec![1.0f64; 7 * 2000];
        xs[SUM_CHUNK + 2] = f64::from_bits(0xfff8_0000_0000_0123);
        for ranks in [1, 2, 5] {
            let got = distributed_sum(&xs, 7, ranks);
            assert_eq!(got.to_bits(), f64::NAN.to_bits());
        }
    }

    #[test]
    fn whole_chunks_and_message_lengths() {
        let len = 3 * SUM_CHUNK + 10;
        // Inside one chunk: no whole chunk, the piece itself.
        assert!(whole_chunk_elements(5, 10, len).is_empty());
        assert_eq!(sum_message_len(5, 10, len), 5);
        // Straddling: piece, two whole chunks, piece.
        assert_eq!(
            whole_chunk_elements(5, 3 * SUM_CHUNK + 1, len),
            SUM_CHUNK..3 * SUM_CHUNK
        );
        assert_eq!(
            sum_message_len(5, 3 * SUM_CHUNK + 1, len),
            (SUM_CHUNK - 5) + 2 + 1
        );
        // The short last chunk held whole is one value.
        assert_eq!(
            whole_chunk_elements(3 * SUM_CHUNK, len, len),
            3 * SUM_CHUNK..len
        );
        assert_eq!(sum_message_len(3 * SUM_CHUNK, len, len), 1);
        assert_eq!(sum_message_len(0, 0, 0), 0);
        // Messages of the wrong length are refused, not misread.
        let ranges = [0..SUM_CHUNK, SUM_CHUNK..len];
        assert!(combine_sum(&ranges, len, &[1.0f64; 3]).is_none());
        assert!(combine_sum(&ranges, len, &[1.0f64; 2]).is_none());
    }
}
