//! The example's kernels. The same functions are PTX entry points when this
//! crate is built for `nvptx64-nvidia-cuda` and typed launchers (with the
//! bodies the simulator runs) on the host.
#![cfg_attr(
    target_arch = "nvptx64",
    no_std,
    feature(abi_ptx, asm_experimental_arch)
)]

use hotloop_device::prelude::*;

/// The blog's `@cuda.jit` kernel: `x = cuda.grid(1)`, then every `(y, z)`
/// of plane `x`, z outer. Launch one thread per x (the blog used 16 per
/// block).
#[kernel]
pub fn add_two_blog(input: &[f64], output: Out<f64>, nx: u32, ny: u32, nz: u32) {
    let x = grid_1d();
    if x < nx as usize {
        for z in 0..nz as usize {
            for y in 0..ny as usize {
                let i = (x * ny as usize + y) * nz as usize + z;
                output.set(i, input[i] + 2.0);
            }
        }
    }
}

/// Add 2 to every element, grid-stride: any launch covers any length, and
/// neighbouring threads touch neighbouring elements (coalesced).
#[kernel]
pub fn add_two(input: &[f64], output: Out<f64>) {
    for i in grid_stride(input.len()) {
        output.set(i, input[i] + 2.0);
    }
}

/// `total[0] += sum(input)`: each thread sums its grid-stride share, the
/// block combines the shares in shared memory (a barrier between the
/// steps of the tree), and thread 0 adds the block's sum with one atomic.
#[kernel]
pub fn block_sum(input: &[u64], total: Out<u64>) {
    let tile = shared_array!(u64, 1024);
    let (t, n) = (thread_idx().x as usize, block_dim().x as usize);
    let mut acc = 0u64;
    for i in grid_stride(input.len()) {
        acc += input[i];
    }
    tile.set(t, acc);
    sync_threads();
    let mut stride = n.next_power_of_two() / 2;
    while stride > 0 {
        if t < stride && t + stride < n {
            tile.set(t, tile.get(t) + tile.get(t + stride));
        }
        sync_threads();
        stride /= 2;
    }
    if t == 0 {
        total.atomic_add(0, tile.get(0));
    }
}
