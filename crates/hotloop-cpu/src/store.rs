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
    map_streaming(input, out, |x| {
        hotloop_core::elementwise::add_scalar(x, scalar)
    });
}

/// `out[i] = f(input[i])`, written with streaming stores where supported:
/// the streaming form of every element-wise map (`f` is the core body).
#[inline]
pub fn map_streaming<T: Copy>(input: &[T], out: &mut [T], f: impl Fn(T) -> T) {
    debug_assert_eq!(input.len(), out.len());
    let n = input.len().min(out.len());
    let input = &input[..n];
    stream_indexed(&mut out[..n], |i| f(input[i]));
}

/// `out[i] = f(a[i], b[i])` with streaming stores: [`map_streaming`] for
/// two inputs.
#[inline]
pub fn zip_streaming<T: Copy>(a: &[T], b: &[T], out: &mut [T], f: impl Fn(T, T) -> T) {
    debug_assert!(a.len() == out.len() && b.len() == out.len());
    let n = out.len().min(a.len()).min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    stream_indexed(&mut out[..n], |i| f(a[i], b[i]));
}

/// `out[i] = value(i)` for every `i`, in order, with streaming stores on
/// x86-64 for 4- and 8-byte elements.
///
/// Unlike [`write_streaming`], values go from registers straight to
/// memory, two f64 or four f32 per 16-byte store, so loads and stores
/// overlap as in a STREAM copy: a round trip through an L1 scratch block
/// cost about a third of the bandwidth on a 2-core machine.
#[inline(always)]
fn stream_indexed<T: Copy>(out: &mut [T], value: impl Fn(usize) -> T) {
    let n = out.len();
    #[cfg(target_arch = "x86_64")]
    if matches!(size_of::<T>(), 4 | 8) {
        // Plain stores up to the first 64-byte boundary of `out`.
        let head = out.as_ptr().align_offset(LINE).min(n);
        for (i, o) in out[..head].iter_mut().enumerate() {
            *o = value(i);
        }
        let per_line = LINE / size_of::<T>();
        let body = (n - head) / per_line * per_line;
        for (l, o) in out[head..head + body]
            .chunks_exact_mut(per_line)
            .enumerate()
        {
            let first = head + l * per_line;
            // SAFETY: `o` is one whole 64-byte line of `out`, 64-byte
            // aligned by the head split; T is 4 or 8 bytes (checked).
            unsafe { stream_line_of(o, |k| value(first + k)) };
        }
        for (i, o) in out.iter_mut().enumerate().skip(head + body) {
            *o = value(i);
        }
        // Streaming stores are weakly ordered: fence so the writes are
        // visible to whichever thread reads `out` next.
        // SAFETY: SSE2 (x86-64 baseline).
        unsafe { core::arch::x86_64::_mm_sfence() };
        return;
    }
    for (i, o) in out.iter_mut().enumerate() {
        *o = value(i);
    }
}

/// Stores `value(0..64 / size_of::<T>())` to the line `dst`
/// non-temporally, as four 16-byte vectors built from the values' bits.
///
/// # Safety
/// `T` is 4 or 8 bytes; `dst` is one 64-byte line (`64 / size_of::<T>()`
/// elements), 16-byte aligned.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn stream_line_of<T: Copy>(dst: &mut [T], value: impl Fn(usize) -> T) {
    use core::arch::x86_64::{__m128i, _mm_set_epi32, _mm_set_epi64x, _mm_stream_si128};
    // The bits of a T as an integer: a register move once inlined.
    // SAFETY (both): the caller guarantees size_of::<T>() is 8, resp. 4,
    // where each is used.
    let b64 = |v: T| unsafe { core::mem::transmute_copy::<T, u64>(&v) } as i64;
    let b32 = |v: T| unsafe { core::mem::transmute_copy::<T, u32>(&v) } as i32;
    let out = dst.as_mut_ptr().cast::<__m128i>();
    for v in 0..4 {
        let vec = if size_of::<T>() == 8 {
            let i = 2 * v;
            // SAFETY: SSE2 (x86-64 baseline).
            unsafe { _mm_set_epi64x(b64(value(i + 1)), b64(value(i))) }
        } else {
            let i = 4 * v;
            // SAFETY: SSE2 (x86-64 baseline).
            unsafe {
                _mm_set_epi32(
                    b32(value(i + 3)),
                    b32(value(i + 2)),
                    b32(value(i + 1)),
                    b32(value(i)),
                )
            }
        };
        // SAFETY: `dst` is one line, 16-byte aligned; vector `v` is its
        // bytes 16v..16v + 16.
        unsafe { _mm_stream_si128(out.add(v), vec) };
    }
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
    fn streaming_maps_and_zips_match_plain_loops_at_every_misalignment() {
        let a: Vec<f32> = (0..300).map(|i| i as f32 * 0.25).collect();
        let b: Vec<f32> = (0..300).map(|i| 7.0 - i as f32).collect();
        for offset in 0..17 {
            for len in [0, 1, 15, 16, 17, 64, 299] {
                let mut out = vec![f32::NAN; len + offset];
                map_streaming(&a[..len], &mut out[offset..], |x| x * 3.0 - 1.0);
                assert!(
                    (0..len).all(|i| out[offset + i] == a[i] * 3.0 - 1.0),
                    "map offset={offset} len={len}"
                );
                zip_streaming(&a[..len], &b[..len], &mut out[offset..], |x, y| x - y);
                assert!(
                    (0..len).all(|i| out[offset + i] == a[i] - b[i]),
                    "zip offset={offset} len={len}"
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
