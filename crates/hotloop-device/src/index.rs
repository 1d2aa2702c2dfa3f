//! Where a thread sits in its launch.

use crate::dim::Dim3;

#[cfg(target_arch = "nvptx64")]
mod imp {
    use crate::dim::Dim3;
    use core::arch::nvptx as r;

    #[inline(always)]
    pub fn thread_idx() -> Dim3 {
        // SAFETY: reading special registers has no preconditions.
        unsafe {
            Dim3::new(
                r::_thread_idx_x() as u32,
                r::_thread_idx_y() as u32,
                r::_thread_idx_z() as u32,
            )
        }
    }
    #[inline(always)]
    pub fn block_idx() -> Dim3 {
        // SAFETY: as above.
        unsafe {
            Dim3::new(
                r::_block_idx_x() as u32,
                r::_block_idx_y() as u32,
                r::_block_idx_z() as u32,
            )
        }
    }
    #[inline(always)]
    pub fn block_dim() -> Dim3 {
        // SAFETY: as above.
        unsafe {
            Dim3::new(
                r::_block_dim_x() as u32,
                r::_block_dim_y() as u32,
                r::_block_dim_z() as u32,
            )
        }
    }
    #[inline(always)]
    pub fn grid_dim() -> Dim3 {
        // SAFETY: as above.
        unsafe {
            Dim3::new(
                r::_grid_dim_x() as u32,
                r::_grid_dim_y() as u32,
                r::_grid_dim_z() as u32,
            )
        }
    }
}

#[cfg(not(target_arch = "nvptx64"))]
mod imp {
    use crate::dim::Dim3;
    use crate::sim_thread::with_current;

    pub fn thread_idx() -> Dim3 {
        with_current(|t| t.thread)
    }
    pub fn block_idx() -> Dim3 {
        with_current(|t| t.block)
    }
    pub fn block_dim() -> Dim3 {
        with_current(|t| t.block_dim)
    }
    pub fn grid_dim() -> Dim3 {
        with_current(|t| t.grid_dim)
    }
}

/// This thread's index in its block (`threadIdx`).
#[inline(always)]
pub fn thread_idx() -> Dim3 {
    imp::thread_idx()
}

/// This block's index in the grid (`blockIdx`).
#[inline(always)]
pub fn block_idx() -> Dim3 {
    imp::block_idx()
}

/// Threads per block (`blockDim`).
#[inline(always)]
pub fn block_dim() -> Dim3 {
    imp::block_dim()
}

/// Blocks in the grid (`gridDim`).
#[inline(always)]
pub fn grid_dim() -> Dim3 {
    imp::grid_dim()
}

/// This thread's place along x in a one-dimensional launch (its block,
/// the block's size, its index in it, the grid's size), as the per-thread
/// bodies of `hotloop_core::grid` take it: what the built-in kernels pass
/// them, on the GPU and in the simulator alike.
#[inline(always)]
pub fn thread_1d() -> hotloop_core::grid::ThreadIdx {
    hotloop_core::grid::ThreadIdx {
        block: block_idx().x,
        block_dim: block_dim().x,
        thread: thread_idx().x,
        grid_dim: grid_dim().x,
    }
}

/// The global index along x, `blockIdx.x * blockDim.x + threadIdx.x`:
/// Numba's `cuda.grid(1)`.
#[inline(always)]
pub fn grid_1d() -> usize {
    (block_idx().x as usize) * (block_dim().x as usize) + thread_idx().x as usize
}

/// The global `(x, y)` index: Numba's `cuda.grid(2)`.
#[inline(always)]
pub fn grid_2d() -> (usize, usize) {
    let (b, d, t) = (block_idx(), block_dim(), thread_idx());
    (
        b.x as usize * d.x as usize + t.x as usize,
        b.y as usize * d.y as usize + t.y as usize,
    )
}

/// The global `(x, y, z)` index: Numba's `cuda.grid(3)`.
#[inline(always)]
pub fn grid_3d() -> (usize, usize, usize) {
    let (b, d, t) = (block_idx(), block_dim(), thread_idx());
    (
        b.x as usize * d.x as usize + t.x as usize,
        b.y as usize * d.y as usize + t.y as usize,
        b.z as usize * d.z as usize + t.z as usize,
    )
}

/// Threads along x in the whole grid: Numba's `cuda.gridsize(1)`.
#[inline(always)]
pub fn grid_size_1d() -> usize {
    grid_dim().x as usize * block_dim().x as usize
}

/// This thread's indices of a grid-stride loop over `len` items:
/// [`grid_1d`], then every [`grid_size_1d`] after it, below `len`.
#[inline(always)]
pub fn grid_stride(len: usize) -> core::iter::StepBy<core::ops::Range<usize>> {
    (grid_1d().min(len)..len).step_by(grid_size_1d().max(1))
}

/// This thread's index in its block as one number, `x` fastest:
/// `threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z)`
/// (cooperative groups' `thread_rank()`). Its warp is this over 32, its
/// lane this modulo 32.
#[inline(always)]
pub fn thread_rank() -> usize {
    let (t, d) = (thread_idx(), block_dim());
    t.x as usize + d.x as usize * (t.y as usize + d.y as usize * t.z as usize)
}
