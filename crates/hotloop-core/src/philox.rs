//! Philox4x32 (Salmon et al., "Parallel Random Numbers: As Easy as 1, 2, 3",
//! SC'11), the counter-based generator of the Random123 library.
//!
//! A counter-based generator is a pure function `(counter, key) -> block`,
//! so the random numbers of sample `i` depend only on `(seed, i)`: any
//! thread, on any backend, can compute any sample without shared state.
//! That is what makes hotloop's Monte Carlo results identical on 1 thread,
//! 8 threads, the simulator and the GPU.

/// Multiplier of the first word pair (Random123's `PHILOX_M4x32_0`).
const M0: u32 = 0xD251_1F53;
/// Multiplier of the second word pair (`PHILOX_M4x32_1`).
const M1: u32 = 0xCD9E_8D57;
/// Key schedule increments: the golden ratio and sqrt(3) - 1, as 32-bit
/// fractions (`PHILOX_W32_0`, `PHILOX_W32_1`).
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// A 128-bit counter, as four 32-bit words (word 0 least significant).
pub type Counter = [u32; 4];
/// A 64-bit key, as two 32-bit words.
pub type Key = [u32; 2];

#[inline(always)]
const fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let p = a as u64 * b as u64;
    ((p >> 32) as u32, p as u32)
}

#[inline(always)]
const fn round(c: Counter, k: Key) -> Counter {
    let (hi0, lo0) = mulhilo(M0, c[0]);
    let (hi1, lo1) = mulhilo(M1, c[2]);
    [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0]
}

/// Philox4x32 with `R` rounds. Random123's default, and the one hotloop
/// uses, is `R = 10`; 7 is exposed for its known-answer vectors.
#[inline(always)]
pub const fn philox4x32<const R: usize>(counter: Counter, key: Key) -> Counter {
    let mut c = counter;
    let mut k = key;
    let mut r = 0;
    while r < R {
        if r > 0 {
            k = [k[0].wrapping_add(W0), k[1].wrapping_add(W1)];
        }
        c = round(c, k);
        r += 1;
    }
    c
}

/// Philox4x32-10: the generator hotloop uses everywhere.
#[inline(always)]
pub const fn philox4x32_10(counter: Counter, key: Key) -> Counter {
    philox4x32::<10>(counter, key)
}

/// The key for a 64-bit seed.
#[inline(always)]
pub const fn key_from_seed(seed: u64) -> Key {
    [seed as u32, (seed >> 32) as u32]
}

/// The counter for 64-bit block number `block` (upper words zero).
#[inline(always)]
pub const fn counter_from_block(block: u64) -> Counter {
    [block as u32, (block >> 32) as u32, 0, 0]
}

/// The counter for 128-bit block number `block`: all four words, so a
/// stream of blocks runs `2^128` blocks before it repeats.
#[inline(always)]
pub const fn counter_from_block128(block: u128) -> Counter {
    [
        block as u32,
        (block >> 32) as u32,
        (block >> 64) as u32,
        (block >> 96) as u32,
    ]
}

/// Philox4x32-10 as a sequential generator for the `rand` ecosystem.
///
/// Its stream is block `0, 1, 2, ...` under the key of `seed`, each block's
/// four words in order, so word `n` of the stream is word `n % 4` of block
/// `n / 4`. `next_u64` takes two consecutive words, low word first. The
/// block number uses the whole 128-bit counter
/// ([`counter_from_block128`]), so the stream's period is `2^128` blocks
/// (`2^130` words); its first `2^64` blocks are those of
/// [`counter_from_block`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Philox4x32Rng {
    key: Key,
    /// Next block number to generate.
    block: u128,
    buffer: [u32; 4],
    /// Index of the next unused word in `buffer` (4: empty).
    used: usize,
}

impl Philox4x32Rng {
    /// A generator keyed by `seed`, positioned at the start of its stream.
    pub const fn new(seed: u64) -> Self {
        Self::from_key(key_from_seed(seed))
    }

    /// A generator with an explicit key, positioned at block 0.
    pub const fn from_key(key: Key) -> Self {
        Self {
            key,
            block: 0,
            buffer: [0; 4],
            used: 4,
        }
    }

    /// Jumps to the start of block `block` (word `4 * block` of the stream),
    /// in O(1): the counter-based generator's random access.
    pub const fn seek_block(&mut self, block: u128) {
        self.block = block;
        self.used = 4;
    }

    /// The next 32-bit word of the stream.
    #[inline]
    pub fn next_word(&mut self) -> u32 {
        if self.used == 4 {
            self.buffer = philox4x32_10(counter_from_block128(self.block), self.key);
            self.block = self.block.wrapping_add(1);
            self.used = 0;
        }
        let w = self.buffer[self.used];
        self.used += 1;
        w
    }
}

#[cfg(feature = "rand")]
mod rand_impls {
    use super::Philox4x32Rng;
    use core::convert::Infallible;
    use rand_core::{SeedableRng, TryRng};

    impl TryRng for Philox4x32Rng {
        type Error = Infallible;

        #[inline]
        fn try_next_u32(&mut self) -> Result<u32, Infallible> {
            Ok(self.next_word())
        }

        #[inline]
        fn try_next_u64(&mut self) -> Result<u64, Infallible> {
            let lo = self.next_word() as u64;
            let hi = self.next_word() as u64;
            Ok(hi << 32 | lo)
        }

        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
            for chunk in dst.chunks_mut(4) {
                let bytes = self.next_word().to_le_bytes();
                chunk.copy_from_slice(&bytes[..chunk.len()]);
            }
            Ok(())
        }
    }

    impl SeedableRng for Philox4x32Rng {
        /// The 64-bit key, little-endian.
        type Seed = [u8; 8];

        fn from_seed(seed: [u8; 8]) -> Self {
            Self::new(u64::from_le_bytes(seed))
        }

        fn seed_from_u64(state: u64) -> Self {
            Self::new(state)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known-answer vectors from Random123's `kat_vectors` file:
    /// (rounds, counter, key, expected output).
    const KAT: [(usize, Counter, Key, Counter); 6] = [
        (
            7,
            [0; 4],
            [0; 2],
            [0x5f6fb709, 0x0d893f64, 0x4f121f81, 0x4f730a48],
        ),
        (
            7,
            [u32::MAX; 4],
            [u32::MAX; 2],
            [0x5207ddc2, 0x45165e59, 0x4d8ee751, 0x8c52f662],
        ),
        (
            7,
            [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
            [0xa4093822, 0x299f31d0],
            [0x4dfccaba, 0x190a87f0, 0xc47362ba, 0xb6b5242a],
        ),
        (
            10,
            [0; 4],
            [0; 2],
            [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
        ),
        (
            10,
            [u32::MAX; 4],
            [u32::MAX; 2],
            [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
        ),
        (
            10,
            [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
            [0xa4093822, 0x299f31d0],
            [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
        ),
    ];

    #[test]
    fn random123_known_answers() {
        for (rounds, ctr, key, want) in KAT {
            let got = match rounds {
                7 => philox4x32::<7>(ctr, key),
                10 => philox4x32_10(ctr, key),
                _ => unreachable!(),
            };
            assert_eq!(
                got, want,
                "philox4x32-{rounds} ctr={ctr:08x?} key={key:08x?}"
            );
        }
    }

    #[test]
    fn sequential_stream_is_blocks_in_order() {
        let seed = 0x0123_4567_89ab_cdef;
        let mut rng = Philox4x32Rng::new(seed);
        let key = key_from_seed(seed);
        for block in 0..5u64 {
            let want = philox4x32_10(counter_from_block(block), key);
            for w in want {
                assert_eq!(rng.next_word(), w);
            }
        }
        rng.seek_block(1 << 33);
        assert_eq!(rng.next_word(), philox4x32_10([0, 2, 0, 0], key)[0]);
    }

    #[test]
    fn the_stream_carries_into_the_upper_counter_words() {
        // Past block 2^64 - 1 comes block 2^64, counter [0, 0, 1, 0], not a
        // repeat of block 0.
        let key = key_from_seed(5);
        let mut rng = Philox4x32Rng::new(5);
        rng.seek_block(u64::MAX as u128);
        for _ in 0..4 {
            rng.next_word();
        }
        let next = [
            rng.next_word(),
            rng.next_word(),
            rng.next_word(),
            rng.next_word(),
        ];
        assert_eq!(next, philox4x32_10([0, 0, 1, 0], key));
        assert_ne!(next, philox4x32_10([0; 4], key));
        // And the very last block wraps to block 0 after 2^128 blocks.
        rng.seek_block(u128::MAX);
        assert_eq!(rng.next_word(), philox4x32_10([u32::MAX; 4], key)[0]);
        for _ in 0..3 {
            rng.next_word();
        }
        assert_eq!(rng.next_word(), philox4x32_10([0; 4], key)[0]);
        assert_eq!(counter_from_block128(7), counter_from_block(7));
    }

    #[cfg(feature = "rand")]
    #[test]
    fn rand_core_traits_follow_the_stream() {
        use rand_core::{Rng, SeedableRng};
        let mut a = Philox4x32Rng::seed_from_u64(7);
        let mut b = Philox4x32Rng::new(7);
        let lo = b.next_word() as u64;
        let hi = b.next_word() as u64;
        assert_eq!(a.next_u64(), hi << 32 | lo);
        let mut bytes = [0u8; 6];
        a.fill_bytes(&mut bytes);
        let w = b.next_word().to_le_bytes();
        let w2 = b.next_word().to_le_bytes();
        assert_eq!(bytes, [w[0], w[1], w[2], w[3], w2[0], w2[1]]);
        assert_eq!(
            Philox4x32Rng::from_seed(7u64.to_le_bytes()),
            Philox4x32Rng::new(7)
        );
    }
}
