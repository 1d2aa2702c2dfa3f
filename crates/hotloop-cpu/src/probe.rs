//! The machine's read limit, beside its copy limit
//! ([`crate::store::copy_streaming`]): a pass that only loads the data,
//! with the vectors that read fastest, doing no more per load than a
//! reduction must.
//! The suite times each reduction against it (a reduction reads and
//! writes nothing), as it times the element-wise ops against the copy.

use crate::pool::Pool;
use hotloop_core::Num;

/// The XOR of the aligned 64-bit words `src` lies in, read as
/// little-endian numbers, with the bytes outside `src` taken as zero: a
/// result that needs every byte, so no load can be skipped.
pub fn read_all<T: Num>(src: &[T]) -> u64 {
    // SAFETY: every bit pattern is a valid u64, and `T: Num` is a plain
    // number without padding.
    let (head, words, tail) = unsafe { src.align_to::<u64>() };
    let loose = |part: &[T]| {
        // SAFETY: as above, read as bytes.
        let bytes =
            unsafe { core::slice::from_raw_parts(part.as_ptr().cast::<u8>(), size_of_val(part)) };
        // Each byte at its place in its aligned word.
        let at = bytes.as_ptr() as usize;
        bytes.iter().enumerate().fold(0u64, |w, (i, &b)| {
            w ^ (u64::from(b) << (8 * ((at + i) % 8)))
        })
    };
    loose(head) ^ loose(tail) ^ xor_words(words)
}

/// Words per pass of the loop: eight vector registers, each its own
/// accumulator, as a hand-written STREAM-style read has (a plain Rust
/// loop of the same XORs read some 15% slower on this project's VM).
const WORDS: usize = 64;

/// The XOR of `words`, eight vector loads a pass.
fn xor_words(words: &[u64]) -> u64 {
    let body = words.len() / WORDS * WORDS;
    let (body, tail) = words.split_at(body);
    let tail = tail.iter().fold(0, |a, &w| a ^ w);
    #[cfg(target_arch = "x86_64")]
    {
        use crate::simd::{Isa, widest};
        // 256-bit loads even where AVX-512 is there: on this project's VM
        // (a Xeon with AVX-512, 4 GiB on huge pages) 512-bit loads read
        // 30.6 GB/s on two threads and 256-bit ones 36.2; the reference is
        // the fastest read.
        let lanes = match widest() {
            // SAFETY: AVX2 detected (AVX-512 CPUs have it).
            Isa::Avx512 | Isa::Avx2 => unsafe { x86::xor_avx2(body) },
            // SAFETY: SSE2 is x86-64's baseline.
            Isa::Baseline => unsafe { x86::xor_sse2(body) },
        };
        tail ^ lanes
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        tail ^ crate::simd::with_widest(
            #[inline(always)]
            || body.iter().fold(0, |a, &w| a ^ w),
        )
    }
}

/// The read loops, once per instruction set: eight vectors a pass (a
/// whole number of passes in [`WORDS`] words), one accumulator each,
/// folded at the end.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::*;

    macro_rules! reader {
        ($name:ident, $feature:literal, $vec:ty, $zero:ident, $load:ident, $xor:ident) => {
            /// # Safety
            /// The CPU has the instructions; `body` is whole passes.
            #[target_feature(enable = $feature)]
            pub(super) unsafe fn $name(body: &[u64]) -> u64 {
                const PER: usize = size_of::<$vec>() / 8;
                let mut acc = [$zero(); 8];
                for pass in body.chunks_exact(8 * PER) {
                    let p = pass.as_ptr();
                    for (k, a) in acc.iter_mut().enumerate() {
                        // SAFETY: vector `k` of the pass of 8 vectors; an
                        // unaligned load.
                        *a = $xor(*a, unsafe { $load(p.add(k * PER).cast()) });
                    }
                }
                // SAFETY: the accumulators are plain 64-bit words.
                let words =
                    unsafe { core::slice::from_raw_parts(acc.as_ptr().cast::<u64>(), 8 * PER) };
                words.iter().fold(0, |a, &w| a ^ w)
            }
        };
    }
    reader!(
        xor_avx2,
        "avx2",
        __m256i,
        _mm256_setzero_si256,
        _mm256_loadu_si256,
        _mm256_xor_si256
    );
    reader!(
        xor_sse2,
        "sse2",
        __m128i,
        _mm_setzero_si128,
        _mm_loadu_si128,
        _mm_xor_si128
    );
}

/// The loads [`read_all`] uses, for the reference row's label ("AVX2
/// loads").
pub fn loads() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        use crate::simd::{Isa, widest};
        if widest() >= Isa::Avx2 {
            return "AVX2 loads";
        }
        "SSE2 loads"
    }
    #[cfg(not(target_arch = "x86_64"))]
    "vector loads"
}

/// [`read_all`] over the pool, one part per thread.
pub fn read_all_parallel<T: Num>(pool: &Pool, src: &[T]) -> u64 {
    let parts = pool.map_each(pool.parts(src, 1 << 16), read_all);
    parts.into_iter().fold(0, |a, w| a ^ w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroUsize;

    #[test]
    fn the_read_needs_every_byte() {
        let x: Vec<f64> = (0..100_003).map(|i| i as f64 * 1.25).collect();
        let want = x.iter().fold(0u64, |a, v| a ^ v.to_bits());
        assert_eq!(read_all(&x), want);
        let pool = Pool::get(NonZeroUsize::new(2)).unwrap();
        assert_eq!(read_all_parallel(&pool, &x), want);
        // Unaligned element types: bytes at their places in a word.
        let all: Vec<u8> = (0..1001u32).map(|i| (i * 7) as u8).collect();
        let b = &all[3..];
        let want = b.iter().enumerate().fold(0u64, |a, (i, &v)| {
            a ^ (u64::from(v) << (8 * ((b.as_ptr() as usize + i) % 8)))
        });
        assert_eq!(read_all(b), want);
        assert_eq!(read_all::<f32>(&[]), 0);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn every_instruction_set_reads_every_word() {
        use std::arch::is_x86_feature_detected as has;
        let w: Vec<u64> = (0..10 * WORDS as u64)
            .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .collect();
        let want = w.iter().fold(0, |a, &v| a ^ v);
        // SAFETY: SSE2 is x86-64's baseline; the others where detected.
        unsafe {
            assert_eq!(x86::xor_sse2(&w), want);
            if has!("avx2") {
                assert_eq!(x86::xor_avx2(&w), want);
            }
        }
    }
}
