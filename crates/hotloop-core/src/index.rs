//! Shape and index arithmetic shared by every backend.

/// A row-major 3-D shape `[nx, ny, nz]`: `z` varies fastest in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Shape3 {
    /// Extent of the slowest-varying axis.
    pub nx: usize,
    /// Extent of the middle axis.
    pub ny: usize,
    /// Extent of the fastest-varying (contiguous) axis.
    pub nz: usize,
}

impl Shape3 {
    /// A shape from its three extents.
    pub const fn new(nx: usize, ny: usize, nz: usize) -> Self {
        Self { nx, ny, nz }
    }

    /// The shape as an array, `[nx, ny, nz]`.
    pub const fn dims(self) -> [usize; 3] {
        [self.nx, self.ny, self.nz]
    }

    /// Number of elements, or `None` if it overflows `usize`.
    pub const fn checked_len(self) -> Option<usize> {
        match self.nx.checked_mul(self.ny) {
            Some(xy) => xy.checked_mul(self.nz),
            None => None,
        }
    }

    /// Linear row-major offset of `(x, y, z)`. The caller guarantees the
    /// shape's length fits `usize` (checked once, up front), so this cannot
    /// overflow for in-bounds indices.
    #[inline(always)]
    pub const fn offset(self, x: usize, y: usize, z: usize) -> usize {
        (x * self.ny + y) * self.nz + z
    }
}

/// The indices one thread visits in a grid-stride loop: `start`,
/// `start + stride`, ... below `len`. 64-bit so that arrays beyond 2^32
/// elements work on the GPU, where thread indices are 32-bit.
#[derive(Clone, Copy, Debug)]
pub struct GridStride {
    next: u64,
    stride: u64,
    len: u64,
}

impl GridStride {
    /// The grid-stride range of global thread `thread` in a grid of
    /// `total_threads` threads over `len` items. `total_threads` must be
    /// non-zero.
    #[inline(always)]
    pub const fn new(thread: u64, total_threads: u64, len: u64) -> Self {
        Self {
            next: thread,
            stride: total_threads,
            len,
        }
    }
}

impl Iterator for GridStride {
    type Item = u64;
    #[inline(always)]
    fn next(&mut self) -> Option<u64> {
        if self.next < self.len {
            let i = self.next;
            // Saturate: a stride that would wrap past u64::MAX ends the loop.
            self.next = self.next.saturating_add(self.stride);
            Some(i)
        } else {
            None
        }
    }
}

/// The global index of a thread: `block * block_dim + thread`, in 64 bits.
#[inline(always)]
pub const fn global_thread_index(block: u32, block_dim: u32, thread: u32) -> u64 {
    block as u64 * block_dim as u64 + thread as u64
}

/// Number of blocks of `block_dim` threads needed to cover `len` items, one
/// item per thread, capped at `max_blocks`. `block_dim` must be non-zero.
#[inline]
pub const fn blocks_to_cover(len: u64, block_dim: u32, max_blocks: u32) -> u32 {
    let needed = len.div_ceil(block_dim as u64);
    if needed > max_blocks as u64 {
        max_blocks
    } else {
        needed as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_row_major() {
        let s = Shape3::new(2, 3, 5);
        assert_eq!(s.offset(0, 0, 0), 0);
        assert_eq!(s.offset(0, 0, 1), 1);
        assert_eq!(s.offset(0, 1, 0), 5);
        assert_eq!(s.offset(1, 0, 0), 15);
        assert_eq!(s.offset(1, 2, 4), 29);
        assert_eq!(s.checked_len(), Some(30));
    }

    #[test]
    fn overflowing_shape_has_no_len() {
        assert_eq!(Shape3::new(usize::MAX, 2, 1).checked_len(), None);
        assert_eq!(Shape3::new(1 << 32, 1 << 32, 1 << 1).checked_len(), None);
        assert_eq!(
            Shape3::new(0, usize::MAX, usize::MAX).checked_len(),
            Some(0)
        );
    }

    #[test]
    fn grid_stride_visits_each_index_once() {
        let len = 103;
        for threads in [1u64, 2, 7, 64, 200] {
            let mut seen = [0u8; 103];
            for t in 0..threads {
                for i in GridStride::new(t, threads, len) {
                    seen[i as usize] += 1;
                }
            }
            assert!(seen.iter().all(|&c| c == 1), "threads={threads}");
        }
    }

    #[test]
    fn grid_stride_stops_before_wrapping() {
        let v: [u64; 2] = {
            let mut it = GridStride::new(u64::MAX - 3, u64::MAX - 1, u64::MAX);
            [it.next().unwrap(), it.next().map_or(0, |_| 1)]
        };
        assert_eq!(v, [u64::MAX - 3, 0]);
    }

    #[test]
    fn blocks_cover_and_cap() {
        assert_eq!(blocks_to_cover(0, 256, 1024), 0);
        assert_eq!(blocks_to_cover(1, 256, 1024), 1);
        assert_eq!(blocks_to_cover(257, 256, 1024), 2);
        assert_eq!(blocks_to_cover(1 << 40, 256, 1024), 1024);
        assert_eq!(
            global_thread_index(u32::MAX, u32::MAX, 1),
            (u32::MAX as u64).pow(2) + 1
        );
    }
}
