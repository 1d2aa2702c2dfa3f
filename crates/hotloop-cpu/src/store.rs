//! How outputs are written: through the cache, or with non-temporal
//! (streaming) stores that skip it.
//!
//! A plain store to a line not in cache first reads that line (write
//! allocate), so an out-of-place `y = x + 2` over arrays larger than the
//! last-level cache moves three bytes for every two it needs. Streaming
//! stores write the line whole, which is what STREAM-style bandwidth
//! figures assume. They are a loss when the output is read again soon, so
//! [`StoreMode::Auto`] uses them only for outputs far beyond the cache.

use hotloop_core::Num;

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

/// Beyond this many bytes, `add_scalar` through the cache (the NumPy row,
/// and in place) is memory-bound and wider vectors only slowed it: a 4 GiB
/// cached add on the development machine (AMD EPYC, AVX-512) took 310 ms
/// with SSE2, 406 ms with AVX2 and 670-770 ms with AVX-512. It then keeps
/// the baseline; its streaming form, and every compute-bound loop, do not.
pub const WIDE_CACHED_ADD_MAX_BYTES: usize = STREAMING_THRESHOLD_BYTES;

/// `f()` with the widest instruction set for a cached add over `bytes`, the
/// baseline beyond [`WIDE_CACHED_ADD_MAX_BYTES`].
#[inline(always)]
pub fn with_widest_for_cached_add<R>(bytes: usize, f: impl FnOnce() -> R) -> R {
    if bytes < WIDE_CACHED_ADD_MAX_BYTES {
        crate::simd::with_widest(f)
    } else {
        f()
    }
}

/// Bytes per streaming store group: one 64-byte cache line.
const LINE: usize = 64;

/// Elements computed per scratch block of [`write_with`]: a multiple of a
/// line for every element type (two lines of bytes, sixteen of f64). The
/// loads of a block and the streaming stores of the one before overlap
/// better the shorter the block: on an AMD EPYC (Zen 4), one thread's
/// 4096^2 Jacobi step took 14.0 to 14.3 ms with 1 KiB blocks of f64
/// against 17.1 to 18.7 ms with 4 KiB, and a copy through a stencil 8.7
/// to 9.9 ms against 11.9 to 12.3 (the plain copy: 6.8 to 7.1).
const SCRATCH_ELEMS: usize = 128;

/// A stack buffer aligned to a cache line, so that no vector load or store
/// of it is split across two lines, or two pages. Unaligned, a scratch
/// block lay across a page boundary for a quarter of the stack offsets
/// ASLR gives a process when it did not start a line: on an AMD EPYC (Zen
/// 4) one thread's 256^3 Laplacian took 19.5 to 22 ms at those offsets
/// against 13.5 to 15.5 at the others, and in most processes some offsets
/// were slow; aligned, every offset of six processes took 13.4 to 15.6.
#[repr(C, align(64))]
struct Lines<A>(A);

/// `out[i] = input[i] + scalar`, written with streaming stores where
/// supported. `input` and `out` have the same length.
pub fn add_scalar_streaming<T: Num>(input: &[T], scalar: T, out: &mut [T]) {
    map_streaming(input, out, |x| {
        hotloop_core::elementwise::add_scalar(x, scalar)
    });
}

/// `out[i] = f(input[i])`, written with streaming stores where supported:
/// the streaming form of every element-wise map (`f` is the core body).
#[inline]
pub fn map_streaming<T: Num, U: Num>(input: &[T], out: &mut [U], f: impl Fn(T) -> U) {
    debug_assert_eq!(input.len(), out.len());
    let n = input.len().min(out.len());
    let input = &input[..n];
    stream_runs(&mut out[..n], |start, dst| {
        // Equal lengths, one line's inside the loop: a fixed-trip vector loop.
        let src = &input[start..start + dst.len()];
        for (d, &x) in dst.iter_mut().zip(src) {
            *d = f(x);
        }
    });
}

/// `out[i] = f(a[i], b[i])` with streaming stores: [`map_streaming`] for
/// two inputs.
#[inline]
pub fn zip_streaming<T: Num>(a: &[T], b: &[T], out: &mut [T], f: impl Fn(T, T) -> T) {
    debug_assert!(a.len() == out.len() && b.len() == out.len());
    let n = out.len().min(a.len()).min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    stream_runs(&mut out[..n], |start, dst| {
        let (x, y) = (&a[start..start + dst.len()], &b[start..start + dst.len()]);
        for ((d, &x), &y) in dst.iter_mut().zip(x).zip(y) {
            *d = f(x, y);
        }
    });
}

/// `fill(start, dst)` over consecutive runs of `out` (`dst` holds the
/// values of `out[start..start + dst.len()]`), written with streaming
/// stores on x86-64: each 64-byte line is computed by one `fill` call into
/// registers (a vector loop of one line) and stored whole, with the widest
/// non-temporal store the CPU has ([`crate::simd::widest`]: one AVX-512
/// store a line, two AVX, or four SSE2), so loads and stores overlap as in
/// a STREAM copy.
#[inline(always)]
fn stream_runs<T: Num>(out: &mut [T], fill: impl Fn(usize, &mut [T])) {
    #[cfg(target_arch = "x86_64")]
    {
        use crate::simd::{Isa, widest};
        match widest() {
            // SAFETY: the CPU has AVX-512 F (detected).
            Isa::Avx512 => unsafe { lines::runs_avx512(out, fill) },
            // SAFETY: the CPU has AVX (detected with AVX2).
            Isa::Avx2 => unsafe { lines::runs_avx2(out, fill) },
            Isa::Baseline => lines::runs_body::<T, lines::Sse2>(out, fill),
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    fill(0, out);
}

/// The instruction set of the streaming stores: the widest the CPU has
/// ("AVX-512 non-temporal stores"), for the bandwidth reference's label.
pub fn streaming_stores() -> String {
    if cfg!(target_arch = "x86_64") {
        format!("{} non-temporal stores", crate::simd::widest().name())
    } else {
        "ordinary stores".into()
    }
}

/// The line loops of the streaming stores, once per instruction set.
#[cfg(target_arch = "x86_64")]
mod lines {
    use super::LINE;
    use core::arch::x86_64::*;
    use hotloop_core::Num;

    /// One 64-byte line stored non-temporally from 64 bytes at `src`.
    pub(super) trait LineStore {
        /// # Safety
        /// `dst` is 64-byte aligned and valid for 64 bytes; `src` is valid
        /// for 64 bytes; the CPU has the instructions.
        unsafe fn store(dst: *mut u8, src: *const u8);
    }

    pub(super) struct Sse2;
    pub(super) struct Avx;
    pub(super) struct Avx512;

    impl LineStore for Sse2 {
        #[inline(always)]
        unsafe fn store(dst: *mut u8, src: *const u8) {
            for k in 0..4 {
                // SAFETY: the caller's; SSE2 is x86-64's baseline.
                unsafe {
                    let v = _mm_loadu_si128(src.add(16 * k).cast::<__m128i>());
                    _mm_stream_si128(dst.add(16 * k).cast::<__m128i>(), v);
                }
            }
        }
    }

    impl LineStore for Avx {
        #[inline(always)]
        unsafe fn store(dst: *mut u8, src: *const u8) {
            for k in 0..2 {
                // SAFETY: the caller's (AVX present, 32-byte aligned halves).
                unsafe {
                    let v = _mm256_loadu_si256(src.add(32 * k).cast::<__m256i>());
                    _mm256_stream_si256(dst.add(32 * k).cast::<__m256i>(), v);
                }
            }
        }
    }

    impl LineStore for Avx512 {
        #[inline(always)]
        unsafe fn store(dst: *mut u8, src: *const u8) {
            // SAFETY: the caller's (AVX-512 F present, 64-byte aligned).
            unsafe {
                let v = _mm512_loadu_si512(src.cast::<__m512i>());
                _mm512_stream_si512(dst.cast::<__m512i>(), v);
            }
        }
    }

    /// Plain stores up to the first line boundary of `out`, whole lines
    /// computed into a register-sized buffer and streamed, plain stores for
    /// the tail, then a fence (streaming stores are weakly ordered) so the
    /// next reader sees them.
    #[inline(always)]
    pub(super) fn runs_body<T: Num, S: LineStore>(out: &mut [T], fill: impl Fn(usize, &mut [T])) {
        let n = out.len();
        let head = out.as_ptr().align_offset(LINE).min(n);
        fill(0, &mut out[..head]);
        let per_line = LINE / size_of::<T>();
        let body = (n - head) / per_line * per_line;
        // A line's elements for the narrowest type (u8: 64).
        let mut line = super::Lines([T::ZERO; LINE]);
        for (l, o) in out[head..head + body]
            .chunks_exact_mut(per_line)
            .enumerate()
        {
            let buf = &mut line.0[..per_line];
            fill(head + l * per_line, buf);
            // SAFETY: `o` is one whole 64-byte line of `out`, aligned by
            // the head split; `buf` holds its values; the CPU has S's
            // stores (the dispatch's check).
            unsafe { S::store(o.as_mut_ptr().cast(), buf.as_ptr().cast()) };
        }
        fill(head + body, &mut out[head + body..]);
        // SAFETY: SSE2 (x86-64 baseline).
        unsafe { _mm_sfence() };
    }

    /// [`runs_body`] compiled for AVX-512.
    ///
    /// # Safety
    /// The CPU has AVX-512 F, VL, DQ and BW.
    #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw,avx2")]
    pub(super) unsafe fn runs_avx512<T: Num>(out: &mut [T], fill: impl Fn(usize, &mut [T])) {
        runs_body::<T, Avx512>(out, fill)
    }

    /// [`runs_body`] compiled for AVX2.
    ///
    /// # Safety
    /// The CPU has AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn runs_avx2<T: Num>(out: &mut [T], fill: impl Fn(usize, &mut [T])) {
        runs_body::<T, Avx>(out, fill)
    }

    /// Streams whole lines from `src` to `dst` (same length, a multiple
    /// of a line's elements, `dst` line-aligned).
    #[inline(always)]
    pub(super) fn copy_lines<T: Copy, S: LineStore>(src: &[T], dst: &mut [T]) {
        let per_line = LINE / size_of::<T>().max(1);
        for (o, i) in dst
            .chunks_exact_mut(per_line)
            .zip(src.chunks_exact(per_line))
        {
            // SAFETY: a whole aligned line of `dst` and one of `src`; the
            // CPU has S's stores (the dispatch's check).
            unsafe { S::store(o.as_mut_ptr().cast(), i.as_ptr().cast()) };
        }
    }

    /// [`copy_lines`], dispatched to the widest stores.
    pub(super) fn copy_lines_widest<T: Copy>(src: &[T], dst: &mut [T]) {
        use crate::simd::{Isa, widest};
        #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw,avx2")]
        unsafe fn avx512<T: Copy>(src: &[T], dst: &mut [T]) {
            copy_lines::<T, Avx512>(src, dst)
        }
        #[target_feature(enable = "avx2")]
        unsafe fn avx2<T: Copy>(src: &[T], dst: &mut [T]) {
            copy_lines::<T, Avx>(src, dst)
        }
        match widest() {
            // SAFETY: AVX-512 detected.
            Isa::Avx512 => unsafe { avx512(src, dst) },
            // SAFETY: AVX2 detected.
            Isa::Avx2 => unsafe { avx2(src, dst) },
            Isa::Baseline => copy_lines::<T, Sse2>(src, dst),
        }
    }
}

/// Which pieces of its runs [`write_side_by_side`] is writing.
enum Phase {
    Heads,
    Blocks,
    Tails,
}

/// `fill(0, out)`, or with `streams`, `out` written with streaming stores:
/// its values computed block by block into an L1 scratch buffer by
/// `fill(start, block)`, called on consecutive ranges covering `out` in
/// order (`block` is `out[start..start + block.len()]`'s values). For
/// kernels that produce runs of values (stencils, maps over a
/// `hotloop-core` range body); per-element maps use [`map_streaming`].
#[inline(always)]
pub fn write_with<T: Num>(streams: bool, out: &mut [T], fill: impl FnMut(usize, &mut [T])) {
    write_side_by_side(streams, out, out.len(), out.len(), fill)
}

/// [`write_with`] over the runs of `run` elements that start every
/// `stride` elements of `out` (the last may be shorter; the cells between
/// them are not written), side by side: with `streams`, the first block
/// of every run, then the second of every run, and so on (each run's
/// unaligned head first, its tail last). A stencil over two long rows, or
/// over the same rows of two planes, so finds the cells they share, and
/// those it read for the first, still in L1 when it computes the second:
/// on an AMD EPYC (Zen 4) a 5-point stencil over 4096^2 in C
/// (`benches/c/stencil_bound.c`) took 9.2 to 9.3 ms a step on one thread
/// with two rows side by side, against 11.8 to 12.2 ms a row at a time (a
/// streaming copy: 6.6 to 6.9 ms); in the suite, hotloop's took 6.3 to
/// 6.5 ms on two threads against 7.0 to 7.1 before. Without `streams`,
/// `fill` on each run whole, in order.
#[inline(always)]
pub fn write_side_by_side<T: Num>(
    streams: bool,
    out: &mut [T],
    run: usize,
    stride: usize,
    mut fill: impl FnMut(usize, &mut [T]),
) {
    let n = out.len();
    let stride = stride.clamp(1, n.max(1));
    let (run, runs) = (run.min(stride), n.div_ceil(stride));
    if !(streams && cfg!(target_arch = "x86_64")) {
        // No scratch buffer to zero: small outputs pay for nothing.
        if run == stride {
            return fill(0, out);
        }
        for r in 0..runs {
            let start = r * stride;
            fill(start, &mut out[start..(start + run).min(n)]);
        }
        return;
    }
    let size = size_of::<T>();
    let per_line = LINE / size;
    let addr = out.as_ptr() as usize;
    // Run r's cells [start, end), streamed whole lines [head, body_end)
    // between its first line boundary and its last.
    let bounds = |r: usize| {
        let (start, end) = (r * stride, (r * stride + run).min(n));
        let misaligned = (addr + start * size) % LINE;
        let head = if misaligned.is_multiple_of(size) {
            (start + (LINE - misaligned) % LINE / size).min(end)
        } else {
            end
        };
        (start, head, head + (end - head) / per_line * per_line, end)
    };
    let mut scratch = Lines([T::ZERO; SCRATCH_ELEMS]);
    let scratch = &mut scratch.0;
    let mut streamed_any = false;
    // Run r's heads, then block b of every run in turn (b from 0 while
    // any run has one), then its tails: the pieces in the order written.
    let (mut phase, mut r, mut b, mut more) = (Phase::Heads, 0, 0, false);
    // One call of `fill` for every piece, so that the compiler can inline
    // it into a caller compiled for wider vectors
    // ([`crate::simd::with_widest`]).
    loop {
        if r == runs {
            r = 0;
            match phase {
                Phase::Heads => phase = Phase::Blocks,
                Phase::Blocks if more => (b, more) = (b + 1, false),
                Phase::Blocks => phase = Phase::Tails,
                Phase::Tails => break,
            }
            continue;
        }
        let (start, head, body_end, end) = bounds(r);
        r += 1;
        let (start, end, streamed) = match phase {
            Phase::Heads => (start, head, false),
            Phase::Blocks => {
                let from = (head + b * SCRATCH_ELEMS).min(body_end);
                let to = (from + SCRATCH_ELEMS).min(body_end);
                more |= to < body_end;
                (from, to, true)
            }
            Phase::Tails => (body_end, end, false),
        };
        if start == end {
            continue;
        }
        let dst = if streamed {
            &mut scratch[..end - start]
        } else {
            &mut out[start..end]
        };
        fill(start, dst);
        #[cfg(target_arch = "x86_64")]
        if streamed {
            lines::copy_lines_widest(&scratch[..end - start], &mut out[start..end]);
            streamed_any = true;
        }
    }
    #[cfg(target_arch = "x86_64")]
    if streamed_any {
        // SAFETY: SSE2 (x86-64 baseline).
        unsafe { core::arch::x86_64::_mm_sfence() };
    }
}

/// `dst = src` with streaming stores, the widest the CPU has: the
/// STREAM-style copy that measures the machine's bandwidth.
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
            let (dst_body, dst_tail) = dst_rest.split_at_mut(body);
            let (src_body, src_tail) = src_rest.split_at(body);
            lines::copy_lines_widest(src_body, dst_body);
            dst_tail.copy_from_slice(src_tail);
        } else {
            dst_rest.copy_from_slice(src_rest);
        }
        // SAFETY: SSE2 (x86-64 baseline).
        unsafe { core::arch::x86_64::_mm_sfence() };
    }
    #[cfg(not(target_arch = "x86_64"))]
    dst.copy_from_slice(src);
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
    fn write_with_covers_every_element_once_in_order() {
        for (offset, streams) in (0..9).flat_map(|o| [(o, true), (o, false)]) {
            for len in [0usize, 1, 7, 8, 9, 511, 512, 513, 1500] {
                let mut out = vec![-1.0f32; len + offset];
                let mut next = 0;
                write_with(streams, &mut out[offset..], |start, dst| {
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
    fn side_by_side_covers_every_element_once_block_by_block() {
        for (offset, run, len) in [(0, 700, 1400), (3, 700, 1400), (1, 300, 1000), (5, 64, 64)] {
            let mut out = vec![-1.0f64; len + offset];
            let mut calls = Vec::new();
            write_side_by_side(true, &mut out[offset..], run, run, |start, dst| {
                calls.push((start, dst.len()));
                for (k, d) in dst.iter_mut().enumerate() {
                    *d = (start + k) as f64;
                }
            });
            assert!(
                out[offset..]
                    .iter()
                    .enumerate()
                    .all(|(i, &v)| v == i as f64)
            );
            let mut seen: Vec<_> = calls.iter().flat_map(|&(s, l)| s..s + l).collect();
            seen.sort_unstable();
            assert_eq!(seen, (0..len).collect::<Vec<_>>(), "each element once");
            if cfg!(target_arch = "x86_64") && len > run {
                // The second run's first block comes before the first
                // run's last one.
                let second = calls
                    .iter()
                    .position(|&(s, l)| s >= run && l == SCRATCH_ELEMS);
                let last_of_first = calls
                    .iter()
                    .rposition(|&(s, l)| s < run && l == SCRATCH_ELEMS);
                let (Some(second), Some(last_of_first)) = (second, last_of_first) else {
                    panic!("whole blocks in both runs: {calls:?}");
                };
                assert!(second < last_of_first, "{calls:?}");
            }
        }
    }

    #[test]
    fn side_by_side_strided_runs_write_only_the_runs() {
        // Bands of 250 cells every 1000, as a tile's band in two planes.
        for (offset, streams) in (0..9).flat_map(|o| [(o, true), (o, false)]) {
            let mut out = vec![-1.0f64; 1250 + offset];
            let mut calls = 0;
            write_side_by_side(streams, &mut out[offset..], 250, 1000, |start, dst| {
                calls += 1;
                for (k, d) in dst.iter_mut().enumerate() {
                    *d = (start + k) as f64;
                }
            });
            let written = |i: usize| !(250..1000).contains(&i);
            assert!(
                out[offset..]
                    .iter()
                    .enumerate()
                    .all(|(i, &v)| v == if written(i) { i as f64 } else { -1.0 }),
                "offset={offset} streams={streams}"
            );
            assert!(calls >= 2);
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
    fn streaming_stores_take_every_element_width() {
        // 1- and 2-byte elements: 64 and 32 of them a line, and a map that
        // changes the width.
        let a: Vec<i16> = (0..700).map(|i| (i * 37 % 501) as i16 - 250).collect();
        for offset in 0..65 {
            for len in [0, 1, 31, 32, 33, 64, 65, 699] {
                let mut out = vec![0i16; len + offset];
                map_streaming(&a[..len], &mut out[offset..], |x| x.wrapping_mul(3));
                assert!((0..len).all(|i| out[offset + i] == a[i].wrapping_mul(3)));
                let mut bytes = vec![0u8; len + offset];
                map_streaming(&a[..len], &mut bytes[offset..], |x| x as u8);
                assert!((0..len).all(|i| bytes[offset + i] == a[i] as u8));
                let mut wide = vec![0.0f64; len + offset];
                map_streaming(&a[..len], &mut wide[offset..], f64::from);
                assert!((0..len).all(|i| wide[offset + i] == f64::from(a[i])));
            }
        }
        let mut out = vec![0u8; 3000];
        write_with(true, &mut out[5..], |start, dst| {
            for (k, d) in dst.iter_mut().enumerate() {
                *d = (start + k) as u8;
            }
        });
        assert!((0..2995).all(|i| out[5 + i] == i as u8));
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
