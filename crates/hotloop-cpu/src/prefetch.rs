//! Software prefetches: asking for the cache lines of a slice's range
//! before a loop reaches them. Where a loop does much work a line (a
//! stencil, the `exp` map) the hardware prefetcher, paced by the loop's
//! own misses, stayed too close, and these run ahead of it. Not in every
//! map: a user's Black-Scholes body in blocks of 4 KiB, each prefetching
//! the next, took 345-361 ms a call on one thread against 301-318 without
//! (this project's Xeon VM, alternated). A range past the slice's end is
//! clipped; a prefetch never faults and reads nothing architecturally.

/// Which cache a prefetch fills.
#[derive(Clone, Copy)]
pub enum Hint {
    /// L1, to be read.
    L1,
    /// L2, to be read.
    L2,
}

/// Prefetches the lines of `s[lo..hi]` (clipped to `s`) as `hint` says.
#[inline(always)]
pub fn lines<T>(s: &[T], lo: usize, hi: usize, hint: Hint) {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{_MM_HINT_T0, _MM_HINT_T1, _mm_prefetch};
        let per_line = (64 / size_of::<T>().max(1)).max(1);
        let mut i = lo;
        while i < hi.min(s.len()) {
            // SAFETY: `i < s.len()`; a prefetch never faults anyway.
            let at = unsafe { s.as_ptr().add(i) }.cast::<i8>();
            // SAFETY: a prefetch reads nothing architecturally.
            unsafe {
                match hint {
                    Hint::L1 => _mm_prefetch::<_MM_HINT_T0>(at),
                    Hint::L2 => _mm_prefetch::<_MM_HINT_T1>(at),
                }
            }
            i += per_line;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (s, lo, hi, hint);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_past_the_slice_are_clipped_without_a_panic() {
        let x = [1.0f64; 100];
        for hint in [Hint::L1, Hint::L2] {
            lines(&x, 0, 100, hint);
            lines(&x, 90, usize::MAX, hint);
            lines(&x, 500, 600, hint);
            lines(&[] as &[f32], 0, 10, hint);
            lines(&[(); 3], 0, 3, hint);
        }
    }
}
