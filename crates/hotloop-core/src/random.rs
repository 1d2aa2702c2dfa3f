//! Per-thread random streams for kernels: Numba's `cuda.random`, without
//! the states array.
//!
//! Numba seeds one xoroshiro128+ state per thread on the host
//! (`create_xoroshiro128p_states(n, seed)`), copies the array to the
//! device and has thread `t` advance `states[t]`. hotloop's streams are
//! counter-based instead ([`crate::philox`]): a [`RandomStream`] is a seed,
//! a stream id and a draw number, and draw `k` of stream `s` is a pure
//! function of `(seed, s, k)`. A kernel makes its thread's stream where it
//! runs, `RandomStream::new(seed, thread_id)`, so nothing is allocated,
//! seeded or copied, and every backend (CPU, simulator, GPU) draws the same
//! bits for the same thread.
//!
//! # Counter layout
//!
//! Draw `k` of stream `s` under `seed` is the Philox4x32-10 block
//!
//! ```text
//! philox4x32_10([k as u32, (k >> 32) as u32, s as u32, (s >> 32) as u32],
//!               key_from_seed(seed))
//! ```
//!
//! ([`draw_block`]): the draw number in counter words 0 and 1, the stream
//! in words 2 and 3. So `2^64` streams of `2^64` draws each, all disjoint;
//! stream 0 is the sequence of [`crate::philox::Philox4x32Rng`] (block `k`
//! for `k < 2^64`).
//!
//! Every draw method consumes exactly one block, whatever it returns (the
//! rest of the block is discarded), so the `k`-th draw's value depends on
//! `(seed, stream, k)` and the method alone, never on what was drawn
//! before: mixing types in any order keeps every draw reproducible, and
//! [`RandomStream::seek`] is random access.
//!
//! # Values
//!
//! With `w0..w3` the block's words:
//!
//! | method | Numba | value | support |
//! |---|---|---|---|
//! | [`next_u32`](RandomStream::next_u32) | | `w0` | all of `u32` |
//! | [`next_u64`](RandomStream::next_u64) | | `w1 << 32 \| w0` | all of `u64` |
//! | [`uniform_f32`](RandomStream::uniform_f32) | `xoroshiro128p_uniform_float32` | `(w0 >> 8) * 2^-24` | `{0, 2^-24, ..., 1 - 2^-24}` |
//! | [`uniform_f64`](RandomStream::uniform_f64) | `xoroshiro128p_uniform_float64` | `(next_u64 >> 11) * 2^-53` | `{0, 2^-53, ..., 1 - 2^-53}` |
//! | [`normal_f32`](RandomStream::normal_f32) | `xoroshiro128p_normal_float32` | Box-Muller, f32 | `\|z\| <= 5.7682` |
//! | [`normal_f64`](RandomStream::normal_f64) | `xoroshiro128p_normal_float64` | Box-Muller, f64 | `\|z\| <= 8.5717` |
//!
//! The uniforms take every multiple of their resolution in `[0, 1)` with
//! equal probability: the integer is exact in the float type and the
//! scaling is by a power of two, so no conversion rounds (1 is never
//! returned; 0 is, with probability `2^-24` or `2^-53`).
//!
//! The normals are Box-Muller, `z = sqrt(-2 ln u1) cos(2 pi u2)` (and
//! `sin` for the pair's second value), with `u1` in `(0, 1]`, so `ln` never
//! sees 0, and `u2` in `[0, 1)`:
//!
//! - f32: `u1 = ((w0 >> 8) + 1) * 2^-24`, `u2 = (w1 >> 8) * 2^-24`, in f32
//!   arithmetic (the GPU's fast path). The smallest `u1` is `2^-24`, so
//!   `|z| <= sqrt(48 ln 2) = 5.76811`: the tail beyond it, probability
//!   `8.0e-9`, is cut off.
//! - f64: `u1 = ((next_u64 >> 11) + 1) * 2^-53` from `w0, w1`,
//!   `u2 = ((w3 << 32 | w2) >> 11) * 2^-53` from `w2, w3`, in f64
//!   arithmetic; `|z| <= sqrt(106 ln 2) = 8.57167` (tail probability
//!   `1.0e-17`).
//!
//! Numba's normals draw twice from the state and discard `sin`'s value;
//! here one block gives both ([`normal_pair_f32`](RandomStream::normal_pair_f32),
//! [`normal_pair_f64`](RandomStream::normal_pair_f64)), and
//! `normal_f32`/`normal_f64` are the pair's first value. The math is the
//! crate's own ([`Real`]: `ln`, `sqrt`, `sin`, `cos`), no fused
//! multiply-add, so every backend gets the same bits.
//!
//! ```rust
//! use hotloop_core::random::RandomStream;
//!
//! // What thread `t` of a kernel does (Numba:
//! // `xoroshiro128p_uniform_float32(rng_states, t)`).
//! let t = 17;
//! let mut rng = RandomStream::new(1, t);
//! let x = rng.uniform_f32();
//! let z = rng.normal_f64();
//! assert!((0.0..1.0).contains(&x));
//! assert!(z.abs() < 8.6);
//!
//! // The same draws on any backend, in any order: draw 1 of stream 17.
//! let mut again = RandomStream::new(1, t);
//! again.seek(1);
//! assert_eq!(again.normal_f64(), z);
//! ```

use crate::Real;
use crate::philox::{Counter, Key, key_from_seed, philox4x32_10};

/// `2^-24`: the resolution of the f32 uniforms (f32's 24-bit significand).
const F32_STEP: f32 = 1.0 / 16_777_216.0;
/// `2^-53`: the resolution of the f64 uniforms (f64's 53-bit significand).
const F64_STEP: f64 = 1.0 / 9_007_199_254_740_992.0;

/// The counter of draw `k` of stream `stream`: the draw in words 0 and 1,
/// the stream in words 2 and 3.
#[inline(always)]
const fn counter(stream: u64, k: u64) -> Counter {
    [
        k as u32,
        (k >> 32) as u32,
        stream as u32,
        (stream >> 32) as u32,
    ]
}

/// The Philox4x32-10 block of draw `k` of stream `stream` under `seed`:
/// what [`RandomStream`]'s `k`-th draw is made from, whichever method
/// takes it.
#[inline(always)]
pub const fn draw_block(seed: u64, stream: u64, k: u64) -> [u32; 4] {
    philox4x32_10(counter(stream, k), key_from_seed(seed))
}

/// Two words, low first, as a u64.
#[inline(always)]
const fn u64_of(lo: u32, hi: u32) -> u64 {
    (hi as u64) << 32 | lo as u64
}

/// `(w >> 8) * 2^-24`: in `[0, 1)`, exact (a 24-bit integer is exact in
/// f32, and the scaling is a power of two).
#[inline(always)]
fn unit_f32(w: u32) -> f32 {
    (w >> 8) as f32 * F32_STEP
}

/// `(x >> 11) * 2^-53`: in `[0, 1)`, exact.
#[inline(always)]
fn unit_f64(x: u64) -> f64 {
    (x >> 11) as f64 * F64_STEP
}

/// Box-Muller's radius and angle in f32 from words 0 and 1: `(sqrt(-2 ln
/// u1), 2 pi u2)`.
#[inline(always)]
fn polar_f32(w: [u32; 4]) -> (f32, f32) {
    // u1 = u + 2^-24 is in (0, 1], so ln never sees 0; its integer,
    // (w >> 8) + 1 <= 2^24, is still exact in f32.
    let u1 = ((w[0] >> 8) + 1) as f32 * F32_STEP;
    let u2 = unit_f32(w[1]);
    (Real::sqrt(-2.0 * Real::ln(u1)), core::f32::consts::TAU * u2)
}

/// Box-Muller's radius and angle in f64 from words 0, 1 (`u1`) and 2, 3
/// (`u2`).
#[inline(always)]
fn polar_f64(w: [u32; 4]) -> (f64, f64) {
    let u1 = ((u64_of(w[0], w[1]) >> 11) + 1) as f64 * F64_STEP;
    let u2 = unit_f64(u64_of(w[2], w[3]));
    (Real::sqrt(-2.0 * Real::ln(u1)), core::f64::consts::TAU * u2)
}

/// Box-Muller in f32: `(r cos t, r sin t)`.
#[inline(always)]
fn box_muller_f32(w: [u32; 4]) -> (f32, f32) {
    let (r, t) = polar_f32(w);
    let (s, c) = Real::sin_cos(t);
    (r * c, r * s)
}

/// Box-Muller in f64: `(r cos t, r sin t)`.
#[inline(always)]
fn box_muller_f64(w: [u32; 4]) -> (f64, f64) {
    let (r, t) = polar_f64(w);
    let (s, c) = Real::sin_cos(t);
    (r * c, r * s)
}

/// One thread's random stream: hotloop's form of a Numba
/// `xoroshiro128p` state, made where it is used.
///
/// Draw `k` is the Philox4x32-10 block of counter
/// `[k, k >> 32, stream, stream >> 32]` (32-bit words) under
/// `key_from_seed(seed)` ([`draw_block`]; see the [module docs](self) for
/// the values each method makes of it). Each draw method takes one block
/// and advances the position by one; the position wraps after `2^64`
/// draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RandomStream {
    key: Key,
    stream: u64,
    /// The next draw's number.
    draw: u64,
}

impl RandomStream {
    /// Stream `stream` (a thread or sample id) of `seed`, at draw 0.
    /// Numba: `create_xoroshiro128p_states(n, seed)` and index `stream`,
    /// with no array.
    #[inline(always)]
    pub const fn new(seed: u64, stream: u64) -> Self {
        Self {
            key: key_from_seed(seed),
            stream,
            draw: 0,
        }
    }

    /// Jumps to draw `k`, in O(1): the next draw is the stream's `k`-th.
    #[inline(always)]
    pub const fn seek(&mut self, k: u64) {
        self.draw = k;
    }

    /// The number of the next draw (the draws taken so far, until the
    /// position wraps at `2^64`).
    #[inline(always)]
    pub const fn position(&self) -> u64 {
        self.draw
    }

    /// The stream's id.
    #[inline(always)]
    pub const fn stream(&self) -> u64 {
        self.stream
    }

    /// The next draw's whole Philox block, `[w0, w1, w2, w3]`.
    #[inline(always)]
    pub const fn next_block(&mut self) -> [u32; 4] {
        let w = philox4x32_10(counter(self.stream, self.draw), self.key);
        self.draw = self.draw.wrapping_add(1);
        w
    }

    /// A uniform `u32`: the block's word 0.
    #[inline(always)]
    pub const fn next_u32(&mut self) -> u32 {
        self.next_block()[0]
    }

    /// A uniform `u64`: words 0 (low) and 1 (high).
    #[inline(always)]
    pub const fn next_u64(&mut self) -> u64 {
        let w = self.next_block();
        u64_of(w[0], w[1])
    }

    /// Uniform on `[0, 1)`, a multiple of `2^-24`: the top 24 bits of word
    /// 0 times `2^-24`, so every value of the support equally likely (the
    /// largest is `1 - 2^-24`). Numba: `xoroshiro128p_uniform_float32`.
    #[inline(always)]
    pub fn uniform_f32(&mut self) -> f32 {
        unit_f32(self.next_u32())
    }

    /// Uniform on `[0, 1)`, a multiple of `2^-53`: the top 53 bits of
    /// [`next_u64`](Self::next_u64)'s value times `2^-53` (the largest is
    /// `1 - 2^-53`). Numba: `xoroshiro128p_uniform_float64`.
    #[inline(always)]
    pub fn uniform_f64(&mut self) -> f64 {
        unit_f64(self.next_u64())
    }

    /// A standard normal by Box-Muller in f32 arithmetic, within `|z| <=
    /// 5.7682` (see the [module docs](self)). Numba:
    /// `xoroshiro128p_normal_float32`.
    #[inline]
    pub fn normal_f32(&mut self) -> f32 {
        // The pair's first value, without computing the sine it discards
        // (a library call LLVM cannot always drop).
        let (r, t) = polar_f32(self.next_block());
        r * Real::cos(t)
    }

    /// A standard normal by Box-Muller in f64 arithmetic, within `|z| <=
    /// 8.5717`. Numba: `xoroshiro128p_normal_float64`.
    #[inline]
    pub fn normal_f64(&mut self) -> f64 {
        let (r, t) = polar_f64(self.next_block());
        r * Real::cos(t)
    }

    /// Two independent standard normals from one block, f32: Box-Muller's
    /// cosine and sine values (the first is [`normal_f32`](Self::normal_f32)'s).
    /// Numba has no equivalent (it discards the second).
    #[inline]
    pub fn normal_pair_f32(&mut self) -> (f32, f32) {
        box_muller_f32(self.next_block())
    }

    /// Two independent standard normals from one block, f64 (the first is
    /// [`normal_f64`](Self::normal_f64)'s).
    #[inline]
    pub fn normal_pair_f64(&mut self) -> (f64, f64) {
        box_muller_f64(self.next_block())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::philox::{Philox4x32Rng, counter_from_block};

    const SEED: u64 = 0x0123_4567_89ab_cdef;

    #[test]
    fn draw_k_is_philox_of_the_documented_counter() {
        let key = key_from_seed(SEED);
        for stream in [0, 1, 7, u32::MAX as u64, 1 << 32, u64::MAX - 3] {
            let mut rng = RandomStream::new(SEED, stream);
            for k in 0..9u64 {
                let want = philox4x32_10(
                    [
                        k as u32,
                        (k >> 32) as u32,
                        stream as u32,
                        (stream >> 32) as u32,
                    ],
                    key,
                );
                assert_eq!(draw_block(SEED, stream, k), want);
                assert_eq!(rng.position(), k);
                // Each method takes exactly one block: cycle through them.
                match k {
                    0 => assert_eq!(rng.next_block(), want),
                    1 => assert_eq!(rng.next_u32(), want[0]),
                    2 => assert_eq!(rng.next_u64(), u64_of(want[0], want[1])),
                    3 => assert_eq!(rng.uniform_f32(), unit_f32(want[0])),
                    4 => assert_eq!(rng.uniform_f64(), unit_f64(u64_of(want[0], want[1]))),
                    5 => assert_eq!(rng.normal_f32(), box_muller_f32(want).0),
                    6 => assert_eq!(rng.normal_f64(), box_muller_f64(want).0),
                    7 => assert_eq!(rng.normal_pair_f32(), box_muller_f32(want)),
                    _ => assert_eq!(rng.normal_pair_f64(), box_muller_f64(want)),
                }
            }
            assert_eq!(rng.stream(), stream);
        }
        // The upper words of the draw number and the stream land in words 1
        // and 3.
        assert_eq!(
            draw_block(SEED, 5 << 32 | 9, 3 << 32 | 4),
            philox4x32_10([4, 3, 9, 5], key)
        );
    }

    #[test]
    fn stream_zero_is_the_sequential_generator() {
        let mut seq = Philox4x32Rng::new(SEED);
        let mut rng = RandomStream::new(SEED, 0);
        for k in 0..4 {
            let block = rng.next_block();
            assert_eq!(
                block,
                philox4x32_10(counter_from_block(k), key_from_seed(SEED))
            );
            for w in block {
                assert_eq!(seq.next_word(), w);
            }
        }
    }

    #[test]
    fn seek_is_random_access() {
        let mut a = RandomStream::new(SEED, 3);
        let forward: [f64; 8] = core::array::from_fn(|_| a.uniform_f64());
        assert_eq!(a.position(), 8);
        let mut b = RandomStream::new(SEED, 3);
        for k in [5u64, 0, 7, 2, 2] {
            b.seek(k);
            assert_eq!(b.uniform_f64(), forward[k as usize]);
            assert_eq!(b.position(), k + 1);
        }
        // Far draws and the wrap at 2^64.
        b.seek(u64::MAX);
        assert_eq!(b.next_block(), draw_block(SEED, 3, u64::MAX));
        assert_eq!(b.position(), 0);
        assert_eq!(b.next_block(), draw_block(SEED, 3, 0));
    }

    #[test]
    fn streams_and_seeds_differ() {
        // Neighbouring streams, the stream's upper half, and a swapped
        // (stream, draw) pair: all different blocks.
        let base = draw_block(SEED, 0, 1);
        for other in [
            draw_block(SEED, 1, 1),
            draw_block(SEED, 1, 0),
            draw_block(SEED, 1 << 32, 1),
            draw_block(SEED, 0, 1 | 1 << 32),
            draw_block(SEED + 1, 0, 1),
            draw_block(SEED ^ 1 << 63, 0, 1),
        ] {
            assert_ne!(other, base);
        }
        let mut a = RandomStream::new(SEED, 10);
        let mut b = RandomStream::new(SEED, 11);
        let same = (0..1000).filter(|_| a.next_u32() == b.next_u32()).count();
        assert!(same <= 1, "{same} equal words of 1000");
    }

    #[test]
    fn uniform_edges() {
        assert_eq!(unit_f32(0), 0.0);
        assert_eq!(unit_f32(u32::MAX), 1.0 - f32::EPSILON / 2.0);
        assert_eq!(unit_f32(u32::MAX), f32::from_bits(1.0f32.to_bits() - 1));
        // The low 8 bits are dropped, the top 24 kept exactly.
        assert_eq!(unit_f32(0xff), 0.0);
        assert_eq!(unit_f32(0x100), F32_STEP);
        assert_eq!(unit_f32(0x8000_0000), 0.5);
        assert_eq!(unit_f64(0), 0.0);
        assert_eq!(unit_f64(u64::MAX), f64::from_bits(1.0f64.to_bits() - 1));
        assert_eq!(unit_f64(1 << 11), F64_STEP);
        assert_eq!(unit_f64(1 << 63), 0.5);
        // Exactness: the value times 2^24 (2^53) is the integer back.
        for w in [1u32 << 8, 0x1234_5678, 0xdead_beef, u32::MAX - 0x100] {
            assert_eq!((unit_f32(w) * 16_777_216.0) as u32, w >> 8);
        }
        for x in [0x0123_4567_89ab_cdefu64, u64::MAX - (1 << 11)] {
            assert_eq!((unit_f64(x) * 9_007_199_254_740_992.0) as u64, x >> 11);
        }
        // Through the stream: a thousand draws in range.
        let mut rng = RandomStream::new(SEED, 2);
        for _ in 0..1000 {
            let (x, y) = (rng.uniform_f32(), rng.uniform_f64());
            assert!((0.0..1.0).contains(&x) && (0.0..1.0).contains(&y));
        }
    }

    /// Box-Muller in std's f64 math from the same `u1`, `u2`.
    fn reference(u1: f64, u2: f64) -> (f64, f64, f64) {
        let r = (-2.0 * u1.ln()).sqrt();
        let t = core::f64::consts::TAU * u2;
        (r, r * t.cos(), r * t.sin())
    }

    /// Blocks to test the normals on: the edge words and some draws.
    fn blocks() -> std::vec::Vec<[u32; 4]> {
        let mut v = std::vec![
            [0; 4],
            [u32::MAX; 4],
            [0, 0, u32::MAX, u32::MAX],
            [u32::MAX, u32::MAX, 0, 0],
            [0x100, 0x4000_0000, 0, 0x4000_0000],
            [0, 0x8000_0000, 0, 0x8000_0000],
        ];
        v.extend((0..2000).map(|k| draw_block(SEED, 9, k)));
        v
    }

    #[test]
    fn normal_f64_is_box_muller() {
        for w in blocks() {
            let u1 = ((u64_of(w[0], w[1]) >> 11) + 1) as f64 * F64_STEP;
            let u2 = unit_f64(u64_of(w[2], w[3]));
            assert!(u1 > 0.0 && u1 <= 1.0);
            let (_, zc, zs) = reference(u1, u2);
            let (c, s) = box_muller_f64(w);
            // A few ulp of each value: ln, cos and sin each within 1 ulp
            // of exact, sqrt and the products correctly rounded (both sides
            // share `2 pi u2`'s rounding).
            for (got, want) in [(c, zc), (s, zs)] {
                let tol = 4.0 * f64::EPSILON * want.abs() + f64::MIN_POSITIVE;
                assert!((got - want).abs() <= tol, "{w:08x?}: {got} vs {want}");
            }
        }
        // The edges: u1 = 2^-53 is the largest radius, u1 = 1 gives 0.
        let (c, _) = box_muller_f64([0; 4]);
        assert!((c - (106.0 * core::f64::consts::LN_2).sqrt()).abs() < 1e-14);
        assert_eq!(box_muller_f64([u32::MAX, u32::MAX, 0, 0]), (0.0, 0.0));
    }

    #[test]
    fn normal_f32_is_box_muller() {
        for w in blocks() {
            let u1 = ((w[0] >> 8) + 1) as f64 / 16_777_216.0;
            let u2 = unit_f32(w[1]) as f64;
            assert!(u1 > 0.0 && u1 <= 1.0);
            let (r, zc, zs) = reference(u1, u2);
            let (c, s) = box_muller_f32(w);
            // In f32, `2 pi u2` rounds by up to 1 ulp of 2 pi (4.8e-7
            // absolute), which moves `cos` by as much: an error relative to
            // the radius, not to the value (near a zero of cos).
            for (got, want) in [(c, zc), (s, zs)] {
                let tol = 8.0 * f32::EPSILON as f64 * r.max(1.0);
                assert!(
                    (got as f64 - want).abs() <= tol,
                    "{w:08x?}: {got} vs {want}"
                );
            }
        }
        let (c, _) = box_muller_f32([0; 4]);
        assert!((c as f64 - (48.0 * core::f64::consts::LN_2).sqrt()).abs() < 1e-5);
        assert_eq!(box_muller_f32([u32::MAX, 0, 0, 0]), (0.0, 0.0));
    }
}
