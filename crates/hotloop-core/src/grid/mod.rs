//! Per-thread bodies of the grid kernels: what one CUDA thread does.
//!
//! A built-in `#[kernel]` (`gpu-kernels/`) reads its place in the launch
//! (`hotloop_device::thread_1d`, a [`ThreadIdx`]) and calls one of these;
//! the CUDA simulator builds the same [`ThreadIdx`] for every simulated
//! thread and calls the same function. The block-level reductions combine
//! the per-thread partials returned here in the tree of
//! [`crate::reduce::block_tree`] (on the GPU, `hotloop_device::block_reduce`,
//! the same tree by warp shuffles).
//!
//! Bodies take raw pointers because, on the device, every thread of the grid
//! holds the same buffer; each writes only its own indices.

use crate::Num;
use crate::elementwise::add_scalar;
use crate::index::{GridStride, Shape3};
use crate::philox::Key;
use crate::pi::{block_hits_in, blocks_of};
use crate::reduce::{SUM_CHUNK, sum_chunk};

mod ops;

pub use ops::{
    cell_coords, count_thread_partial, gufunc_thread, map_n_thread, map_thread, min_thread_partial,
    stencil_thread, zip_thread,
};

/// Where a thread sits in a one-dimensional launch grid (CUDA's `blockIdx.x`,
/// `blockDim.x`, `threadIdx.x`, `gridDim.x`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadIdx {
    /// Block index in the grid.
    pub block: u32,
    /// Threads per block.
    pub block_dim: u32,
    /// Thread index in the block.
    pub thread: u32,
    /// Blocks in the grid.
    pub grid_dim: u32,
}

impl ThreadIdx {
    /// Global thread index, in 64 bits.
    #[inline(always)]
    pub const fn global(self) -> u64 {
        self.block as u64 * self.block_dim as u64 + self.thread as u64
    }

    /// Threads in the whole grid, in 64 bits.
    #[inline(always)]
    pub const fn total(self) -> u64 {
        self.grid_dim as u64 * self.block_dim as u64
    }

    /// This thread's indices of a grid-stride loop over `len` items.
    #[inline(always)]
    pub const fn grid_stride(self, len: u64) -> GridStride {
        GridStride::new(self.global(), self.total(), len)
    }
}

/// `out[i] = input[i] + scalar` for this thread's grid-stride indices.
///
/// # Safety
/// `input` and `out` must be valid for `len` elements; `out` may equal
/// `input` (in place) but must not otherwise overlap it; no other thread
/// writes this thread's indices.
#[inline(always)]
pub unsafe fn add_scalar_thread<T: Num>(
    idx: ThreadIdx,
    input: *const T,
    out: *mut T,
    len: u64,
    scalar: T,
) {
    for i in idx.grid_stride(len) {
        // SAFETY: i < len, and the caller guarantees both buffers hold len
        // elements and that this index is this thread's alone.
        unsafe { *out.add(i as usize) = add_scalar(*input.add(i as usize), scalar) };
    }
}

/// The blog's launch shape: thread `x` (global index) handles plane `x`,
/// looping over `z` then `y`, so neighbouring threads are `ny * nz`
/// elements apart (uncoalesced) and each thread strides by `nz`.
///
/// # Safety
/// As [`add_scalar_thread`], with `shape.nx * ny * nz` elements.
#[inline(always)]
pub unsafe fn add_scalar_blog_thread<T: Num>(
    idx: ThreadIdx,
    input: *const T,
    out: *mut T,
    shape: Shape3,
    scalar: T,
) {
    let x = idx.global();
    if x >= shape.nx as u64 {
        return;
    }
    let x = x as usize;
    for z in 0..shape.nz {
        for y in 0..shape.ny {
            let i = shape.offset(x, y, z);
            // SAFETY: (x, y, z) is in bounds of the shape the caller vouches for.
            unsafe { *out.add(i) = add_scalar(*input.add(i), scalar) };
        }
    }
}

/// This thread's Monte Carlo hits among samples `start..end`: a
/// grid-stride loop over the Philox blocks that hold them ([`blocks_of`],
/// two samples each), counted from the range's first block.
#[inline(always)]
pub fn pi_thread_hits(idx: ThreadIdx, key: Key, start: u64, end: u64) -> u64 {
    let blocks = blocks_of(start, end);
    let mut hits = 0u64;
    for b in idx.grid_stride(blocks.end - blocks.start) {
        hits += block_hits_in(key, blocks.start + b, start, end) as u64;
    }
    hits
}

/// Work items of a grid sum over `len` elements: its `SUM_CHUNK`-element
/// chunks.
#[inline(always)]
pub const fn sum_chunks(len: u64) -> u64 {
    len.div_ceil(SUM_CHUNK as u64)
}

/// This thread's chunk sums: for each chunk `c` of its grid-stride share of
/// the [`sum_chunks`]`(len)` chunks, `chunk_sums[c] = sum_chunk(chunk c)`,
/// the CPU's own arithmetic for that chunk. The host's pairwise sum of
/// `chunk_sums` is then the CPU's sum, bit for bit, at any launch.
///
/// # Safety
/// `input` must be valid for `len` elements, `chunk_sums` for writes of
/// `sum_chunks(len)`; no other thread writes this thread's chunks.
#[inline(always)]
pub unsafe fn sum_chunks_thread<T: Num>(
    idx: ThreadIdx,
    input: *const T,
    len: u64,
    chunk_sums: *mut T::Sum,
) {
    for c in idx.grid_stride(sum_chunks(len)) {
        let first = c * SUM_CHUNK as u64;
        let n = (len - first).min(SUM_CHUNK as u64) as usize;
        // SAFETY: first + n <= len; the slice is only read.
        let chunk = unsafe { core::slice::from_raw_parts(input.add(first as usize), n) };
        // SAFETY: c < sum_chunks(len), and chunk c is this thread's alone.
        unsafe { *chunk_sums.add(c as usize) = sum_chunk(chunk) };
    }
}

/// This thread's NaN-propagating partial maximum ([`Num::LOWEST`] if it
/// has no indices).
///
/// # Safety
/// `input` must be valid for `len` elements.
#[inline(always)]
pub unsafe fn max_thread_partial<T: Num>(idx: ThreadIdx, input: *const T, len: u64) -> T {
    let mut acc = T::LOWEST;
    for i in idx.grid_stride(len) {
        // SAFETY: i < len.
        acc = T::max_of(acc, unsafe { *input.add(i as usize) });
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::philox::key_from_seed;
    use crate::pi::count_hits;

    fn grid(blocks: u32, threads: u32) -> impl Iterator<Item = ThreadIdx> {
        (0..blocks).flat_map(move |block| {
            (0..threads).map(move |thread| ThreadIdx {
                block,
                block_dim: threads,
                thread,
                grid_dim: blocks,
            })
        })
    }

    #[test]
    fn pi_threads_partition_the_samples() {
        let key = key_from_seed(3);
        for (blocks, threads, n) in [(1, 1, 5u64), (3, 7, 1001), (2, 64, 10), (5, 33, 4096)] {
            // The whole count, and ranges from odd and even starts.
            for (s, e) in [(0, n), (1, n), (n / 2, n), (n / 2 + 1, n - 1), (n, n)] {
                let total: u64 = grid(blocks, threads)
                    .map(|t| pi_thread_hits(t, key, s, e))
                    .sum();
                assert_eq!(total, count_hits(key, s, e), "{blocks}x{threads}, {s}..{e}");
            }
        }
    }

    #[test]
    fn add_and_reduce_threads_cover_every_index() {
        let input: [f64; 37] = core::array::from_fn(|i| i as f64);
        let mut out = [0.0f64; 37];
        let mut max = f64::NEG_INFINITY;
        for t in grid(2, 5) {
            // SAFETY: both arrays hold 37 elements; threads write disjoint indices.
            unsafe {
                add_scalar_thread(t, input.as_ptr(), out.as_mut_ptr(), 37, 1.0);
                max = Num::max_of(max, max_thread_partial(t, input.as_ptr(), 37));
            }
        }
        assert!(out.iter().enumerate().all(|(i, &o)| o == i as f64 + 1.0));
        assert_eq!(max, 36.0);
    }

    #[test]
    fn sum_threads_give_the_cpu_chunk_sums_at_any_launch() {
        use crate::reduce::{pairwise_sum, sum_slice};
        const N: usize = 3 * SUM_CHUNK + 1001;
        let input: [f32; N] = core::array::from_fn(|i| ((i * 7919 % 1013) as f32 - 500.0) * 0.37);
        let want = sum_slice(&input).to_bits();
        for (blocks, threads) in [(1, 1), (1, 3), (2, 1), (3, 7)] {
            let mut sums = [f32::NAN; 4];
            assert_eq!(sum_chunks(N as u64), 4);
            for t in grid(blocks, threads) {
                // SAFETY: N elements in, 4 chunk sums out, disjoint chunks.
                unsafe { sum_chunks_thread(t, input.as_ptr(), N as u64, sums.as_mut_ptr()) };
            }
            assert_eq!(pairwise_sum(&sums).to_bits(), want, "{blocks}x{threads}");
        }
    }

    #[test]
    fn blog_threads_cover_their_planes() {
        let shape = Shape3::new(3, 4, 5);
        let input = [1.0f32; 60];
        let mut out = [0.0f32; 60];
        for t in grid(2, 2) {
            // SAFETY: 60 elements; thread x writes plane x only.
            unsafe { add_scalar_blog_thread(t, input.as_ptr(), out.as_mut_ptr(), shape, 2.0) };
        }
        assert!(out.iter().all(|&o| o == 3.0));
    }
}
