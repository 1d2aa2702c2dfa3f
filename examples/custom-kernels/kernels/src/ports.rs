//! Numba CUDA programs ported line for line, and one kernel per part of
//! the kernel language's second half (warps, block collectives, dynamic
//! shared memory, random streams, the grid barrier): the host checks each
//! against a serial loop on the simulator and, where there is one, the GPU.

use hotloop_device::prelude::*;

/// Threads per block of [`jacobi_relax_core`]'s tile, along each axis.
pub const TILE: usize = 32;

/// numba-examples' `legacy/laplace2d/laplace2d-numba-cuda-smem.py`: one
/// Jacobi sweep of Laplace's equation over a 2-D mesh, each 32x32 block
/// staging its tile and a one-cell halo in shared memory. `error` gets
/// each interior cell's change. Two lines differ from the original, whose
/// halo loads read outside the mesh: it tests `j < m - 1` where it means
/// `j >= 1` (reading row -1, which Numba wraps to the last row), and `j >=
/// 1` where it means `i < m - 1` (reading column `m`, past the row). The
/// values so read are never used, so the GPU hides both; hotloop's
/// simulator reports them as out-of-bounds faults.
#[kernel]
pub fn jacobi_relax_core(a: View<f64, 2>, anew: Out<f64, 2>, error: Out<f64, 2>) {
    let smem = shared_array!(f64, [TILE + 2, TILE + 2]);
    let n = a.dim(0);
    let m = a.dim(1);

    let tx = thread_idx().x as usize;
    let ty = thread_idx().y as usize;

    let j = ty + (block_idx().y * block_dim().y) as usize;
    let i = tx + (block_idx().x * block_dim().x) as usize;

    let sy = ty + 1;
    let sx = tx + 1;

    smem.set([sy, sx], a[[j, i]]);
    if tx == 0 && i >= 1 {
        smem.set([sy, 0], a[[j, i - 1]]);
    }
    if ty == 0 && j >= 1 {
        smem.set([0, sx], a[[j - 1, i]]);
    }
    if tx == 31 && i < m - 1 {
        smem.set([sy, 33], a[[j, i + 1]]);
    }
    if ty == 31 && j < n - 1 {
        smem.set([33, sx], a[[j + 1, i]]);
    }

    sync_threads(); // ensure smem is visible by all threads in the block

    if j >= 1 && j < n - 1 && i >= 1 && i < m - 1 {
        let new = 0.25
            * (smem.get([sy, sx + 1])
                + smem.get([sy, sx - 1])
                + smem.get([sy - 1, sx])
                + smem.get([sy + 1, sx]));
        anew.set([j, i], new);
        error.set([j, i], new - a[[j, i]]);
    }
}

/// A reduction in the manner of numba-examples' `legacy/cudajit/sum.py`,
/// written with warp shuffles: each thread sums its grid-stride share,
/// each warp folds its lanes by `shfl_down_sync`, the warps' sums meet in
/// shared memory, and warp 0 folds those; thread 0 adds the block's sum to
/// `total[0]`. Blocks are whole warps (the full mask), as Numba's are.
#[kernel]
pub fn shuffle_sum(x: &[f64], total: Out<f64>) {
    let warp_sums = shared_array!(f64, 32);
    let mut v = 0.0;
    for i in grid_stride(x.len()) {
        v += x[i];
    }
    let mut offset = 16;
    while offset > 0 {
        v += shfl_down_sync(FULL_MASK, v, offset);
        offset /= 2;
    }
    let (lane, warp) = (lane_id(), thread_rank() / 32);
    if lane == 0 {
        warp_sums.set(warp, v);
    }
    sync_threads();
    if warp == 0 {
        let warps = (block_dim().count() / 32) as u32;
        let mut s = if lane < warps {
            warp_sums.get(lane as usize)
        } else {
            0.0
        };
        let mut offset = 16;
        while offset > 0 {
            s += shfl_down_sync(FULL_MASK, s, offset);
            offset /= 2;
        }
        if lane == 0 {
            total.atomic_add(0, s);
        }
    }
}

/// Each block's running sum of its slice of `x` (a block-wide `cumsum`,
/// [`block_scan`]), and where each positive element lands when the block
/// keeps only those ([`block_scan_exclusive`] of the flags: a stream
/// compaction's offsets), `u32::MAX` for the others.
#[kernel]
pub fn block_cumsum(x: &[i64], sums: Out<i64>, slots: Out<u32>) {
    let i = block_idx().x as usize * block_dim().count() as usize + thread_rank();
    let v = x[i];
    sums.set(i, block_scan(v, |a, b| a + b));
    let at = block_scan_exclusive((v > 0) as u32, 0, |a, b| a + b);
    slots.set(i, if v > 0 { at } else { u32::MAX });
}

/// The blog's `@cuda.jit` Monte Carlo pi: each thread draws `iterations`
/// points from its own stream (Numba's `xoroshiro128p_uniform_float32(
/// rng_states, thread_id)`) and writes its estimate.
#[kernel]
pub fn monte_carlo_pi(seed: u64, iterations: u32, out: Out<f32>) {
    let thread_id = grid_1d();
    let mut rng = RandomStream::new(seed, thread_id as u64);
    let mut inside = 0u32;
    for _ in 0..iterations {
        let x = rng.uniform_f32();
        let y = rng.uniform_f32();
        if x * x + y * y <= 1.0 {
            inside += 1;
        }
    }
    out.set(thread_id, 4.0 * inside as f32 / iterations as f32);
}

/// Every warp call and bit intrinsic on each thread's `x[i]`, ten words a
/// thread: ballot, all, any and eq of "odd", match_any of `x % 3`,
/// match_all of `x / 1000`, activemask, lanemask_lt, the bit intrinsics,
/// and the sum of the four shuffles' values (from the next lane round the
/// warp, `lane - 1`, `lane + 1`, `lane ^ 1`; full warps for the last two).
#[kernel]
pub fn warp_calls(x: &[u32], out: Out<u32>) {
    let i = grid_1d();
    let mask = warp_mask();
    let lanes = popc(mask);
    let (lane, v) = (lane_id(), x[i]);
    let odd = v % 2 == 1;
    syncwarp(mask);
    let shuffled = shfl_sync(mask, v, (lane + 1) % lanes)
        .wrapping_add(shfl_up_sync(mask, v, 1))
        .wrapping_add(if lanes == 32 {
            shfl_down_sync(mask, v, 1).wrapping_add(shfl_xor_sync(mask, v, 1))
        } else {
            v.wrapping_add(v)
        });
    let row = [
        ballot_sync(mask, odd),
        all_sync(mask, odd) as u32
            | (any_sync(mask, odd) as u32) << 1
            | (eq_sync(mask, odd) as u32) << 2,
        match_any_sync(mask, v % 3),
        match_all_sync(mask, (v / 1000) as u64).0,
        activemask(),
        lanemask_lt(),
        popc(v) + 100 * ffs(v) + 10_000 * clz(v),
        brev(v),
        shuffled,
        // 64-bit shuffle: both halves cross.
        (shfl_sync(mask, (v as u64) << 32 | 7, 0) >> 32) as u32,
    ];
    for (k, r) in row.into_iter().enumerate() {
        out.set(10 * i + k, r);
    }
}

/// The barrier's reductions over each block (`sync_threads_count`,
/// `_and`, `_or` of "odd") and the fences, three words a thread.
#[kernel]
pub fn barrier_votes(x: &[u32], out: Out<u32>) {
    let i = grid_1d();
    let odd = x[i] % 2 == 1;
    let count = sync_threads_count(odd);
    let all = sync_threads_and(odd);
    let any = sync_threads_or(odd);
    threadfence_block();
    threadfence();
    threadfence_system();
    out.set(3 * i, count);
    out.set(3 * i + 1, all as u32);
    out.set(3 * i + 2, any as u32);
}

/// Reverses each block's slice of `x` through the launch's dynamic shared
/// memory (one `f64` per thread); the first thread also writes its length.
#[kernel]
pub fn reverse_blocks(x: &[f64], out: Out<f64>, len: Out<u64>) {
    let tile = dynamic_shared_array::<f64>();
    let (t, n) = (thread_rank(), block_dim().count() as usize);
    let i = block_idx().x as usize * n + t;
    tile.set(t, x[i]);
    sync_threads();
    out.set(i, tile.get(n - 1 - t));
    if i == 0 {
        len.set(0, tile.len() as u64);
    }
}

/// `rounds` grid-wide shifts in one cooperative launch: every thread reads
/// its right neighbour (another block's, at a block's edge), the grid
/// meets, every thread writes, the grid meets again.
#[kernel]
pub fn grid_shift(a: Out<u64>, rounds: u32) {
    let i = grid_1d();
    let n = grid_size_1d();
    for _ in 0..rounds {
        let next = a.get((i + 1) % n);
        grid_sync();
        a.set(i, next);
        grid_sync();
    }
}
