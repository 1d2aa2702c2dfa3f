//! How outputs are written: through the cache, or with non-temporal
//! (streaming) stores that skip it.
//!
//! A plain store to a line not in cache first reads that line (write
//! allocate), so an out-of-place `y = x + 2` over arrays larger than the
//! last-level cache moves three bytes for every two it needs. Streaming
//! stores write the line whole, which is what STREAM-style bandwidth
//! figures assume. They are a loss when the output is read again soon, so
//! [`StoreMode::Auto`] uses them only for outputs far beyond the cache.

use hotloop_core::Real;
use hotloop_core::elementwise::add_scalar_slice;

/// Output-store policy of the out-of-place kernels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StoreMode {
    /// Ordinary stores.
    Cached,
    /// Non-temporal stores where the CPU has them (x86-64), else ordinary.
    Streaming,
    /// Streaming when the output is at least [`STREAMING_THRESHOLD_BYTES`].
    #[default]
    Auto,
}

/// Outputs at least this large are written with streaming stores under
/// [`StoreMode::Auto`]: comfortably above the last-level cache of the
/// machines hotloop targets, so the output would be evicted before reuse.
pub const STREAMING_THRESHOLD_BYTES: usize = 64 << 20;

impl StoreMode {
    /// Whether an output of `bytes` bytes is written with streaming stores.
    pub fn streams(self, bytes: usize) -> bool {
        match self {
            StoreMode::Cached => false,
            StoreMode::Streaming => cfg!(target_arch = "x86_64"),
            StoreMode::Auto => cfg!(target_arch = "x86_64") && bytes >= STREAMING_THRESHOLD_BYTES,
        }
    }
}

/// Bytes per streaming store group: one 64-byte cache line.
const LINE: usize = 64;

/// Elements computed per scratch block of the streaming add: a multiple of
/// a line for both f32 and f64, and small enough to stay in L1.
const SCRATCH_ELEMS: usize = 512;

/// `out[i] = input[i] + scalar`, written with streaming stores where
/// supported. `input` and `out` have the same length.
pub fn add_scalar_streaming<T: Real>(input: &[T], scalar: T, out: &mut [T]) {
    debug_assert_eq!(input.len(), out.len());
    write_streaming(out, |start, dst| {
        add_scalar_slice(&input[start..start + dst.len()], scalar, dst)
    });
}

/// Writes `out` with streaming stores where supported (x86-64), computing
/// it with `fill`: `fill(start, dst)` must fill `dst` with output elements
/// `start .. start + dst.len()`, exactly as it would write them in place.
/// Any element-wise kernel streams through this without its math being
/// written twice: the kernel's own slice loop fills an L1-resident scratch
/// block (vectorized as usual), which is then stored around the cache line
/// by line; the extra trip through L1 is cheap next to memory. `fill` is
/// called on consecutive, non-overlapping ranges that cover `out` once.
pub fn write_streaming<T: Real>(out: &mut [T], mut fill: impl FnMut(usize, &mut [T])) {
    #[cfg(target_arch = "x86_64")]
    {
        let per_line = LINE / size_of::<T>();
        // Plain stores up to the first 64-byte boundary of `out`.
        let head = out.as_ptr().align_offset(LINE).min(out.len());
        fill(0, &mut out[..head]);
        let body = (out.len() - head) / per_line * per_line;
        let mut scratch = [T::ZERO; SCRATCH_ELEMS];
        let mut start = head;
        for o in out[head..head + body].chunks_mut(SCRATCH_ELEMS) {
            let tmp = &mut scratch[..o.len()];
            fill(start, tmp);
            start += o.len();
            for (dst, src) in o.chunks_exact_mut(per_line).zip(tmp.chunks_exact(per_line)) {
                // SAFETY: `dst` is one whole 64-byte line of `out`, 64-byte
                // aligned by the head split (and `o`'s length is a multiple
                // of a line); `src` holds 64 initialised bytes; SSE2 is part
                // of the x86-64 baseline.
                unsafe { stream_line(dst.as_mut_ptr().cast(), src.as_ptr().cast()) };
            }
        }
        fill(head + body, &mut out[head + body..]);
        // Streaming stores are weakly ordered: fence so the writes are
        // visible to whichever thread reads `out` next.
        // SAFETY: SSE2 (x86-64 baseline).
        unsafe { core::arch::x86_64::_mm_sfence() };
    }
    #[cfg(not(target_arch = "x86_64"))]
    fill(0, out);
}

/// `fill(0, out)` through ordinary stores, or through [`write_streaming`]
/// when `streams`: the one switch every out-of-place element-wise kernel
/// goes through.
#[inline]
pub fn write_with<T: Real>(streams: bool, out: &mut [T], mut fill: impl FnMut(usize, &mut [T])) {
    if streams {
        write_streaming(out, fill);
    } else {
        fill(0, out);
    }
}

/// Copies `src` to `dst` with streaming stores: the STREAM "copy" kernel
/// the suite measures memory bandwidth with, so add_scalar's GB/s are
/// compared against a copy that writes memory the same way.
pub fn copy_streaming<T: Copy>(src: &[T], dst: &mut [T]) {
    debug_assert_eq!(src.len(), dst.len());
    #[cfg(target_arch = "x86_64")]
    {
        let esize = size_of::<T>().max(1);
        let head = dst.as_ptr().align_offset(LINE).min(dst.len());
        let (dst_head, dst_rest) = dst.split_at_mut(head);
        let (src_head, src_rest) = src.split_at(head);
        dst_head.copy_from_slice(src_head);
        let per_line = LINE / esize;
        if per_line * esize == LINE && per_line > 0 {
            let body = dst_rest.len() / per_line * per_line;
            for (o, i) in dst_rest[..body]
                .chunks_exact_mut(per_line)
                .zip(src_rest[..body].chunks_exact(per_line))
            {
                // SAFETY: as in `write_streaming`; `i` is 64 readable bytes.
                unsafe { stream_line(o.as_mut_ptr().cast(), i.as_ptr().cast()) };
            }
            dst_rest[body..].copy_from_slice(&src_rest[body..]);
        } else {
            dst_rest.copy_from_slice(src_rest);
        }
        // SAFETY: SSE2 (x86-64 baseline).
        unsafe { core::arch::x86_64::_mm_sfence() };
    }
    #[cfg(not(target_arch = "x86_64"))]
    dst.copy_from_slice(src);
}

/// Stores 64 bytes from `src` (any alignment) to `dst` (64-byte aligned)
/// with non-temporal stores.
///
/// # Safety
/// `dst` must be valid for 64 bytes of writes and 16-byte aligned; `src`
/// valid for 64 bytes of reads.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn stream_line(dst: *mut u8, src: *const u8) {
    use core::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_stream_si128};
    for k in 0..4 {
        // SAFETY: the caller guarantees 64 valid bytes at both pointers and
        // dst's alignment; offsets stay within them.
        unsafe {
            let v = _mm_loadu_si128(src.add(16 * k).cast::<__m128i>());
            _mm_stream_si128(dst.add(16 * k).cast::<__m128i>(), v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streaming_add_matches_plain_add_at_every_misalignment() {
        let input: Vec<f64> = (0..1000).map(|i| i as f64 * 0.5).collect();
        for offset in 0..9 {
            for len in [0, 1, 7, 8, 9, 63, 64, 65, 500] {
                let mut out = vec![0.0f64; len + offset];
                add_scalar_streaming(&input[..len], 2.0, &mut out[offset..]);
                for i in 0..len {
                    assert_eq!(
                        out[offset + i],
                        input[i] + 2.0,
                        "offset={offset} len={len} i={i}"
                    );
                }
            }
        }
        let input32: Vec<f32> = (0..333).map(|i| i as f32).collect();
        let mut out32 = vec![0.0f32; 334];
        add_scalar_streaming(&input32, -1.0, &mut out32[1..]);
        assert!(out32[1..].iter().zip(&input32).all(|(o, i)| *o == i - 1.0));
    }

    #[test]
    fn write_streaming_covers_every_element_once_in_order() {
        for offset in 0..9 {
            for len in [0usize, 1, 7, 8, 9, 511, 512, 513, 1500] {
                let mut out = vec![-1.0f32; len + offset];
                let mut next = 0;
                write_streaming(&mut out[offset..], |start, dst| {
                    assert_eq!(start, next, "ranges are consecutive");
                    next += dst.len();
                    for (k, d) in dst.iter_mut().enumerate() {
                        *d = (start + k) as f32;
                    }
                });
                assert_eq!(next, len);
                assert!(
                    out[offset..]
                        .iter()
                        .enumerate()
                        .all(|(i, &v)| v == i as f32)
                );
            }
        }
    }

    #[test]
    fn streaming_copy_copies() {
        let src: Vec<u64> = (0..777).collect();
        for offset in 0..8 {
            let mut dst = vec![0u64; 777 + offset];
            copy_streaming(&src, &mut dst[offset..]);
            assert_eq!(&dst[offset..], &src[..]);
        }
    }

    #[test]
    fn auto_streams_only_large_outputs() {
        assert!(!StoreMode::Auto.streams(1 << 20));
        assert_eq!(
            StoreMode::Auto.streams(1 << 30),
            cfg!(target_arch = "x86_64")
        );
        assert!(!StoreMode::Cached.streams(1 << 30));
    }
}
