//! Users' `#[kernel]`s on the simulator against serial loops: the blog's
//! add-2 kernel in its launch shape, a grid-stride add-2, 2-D and 3-D
//! grids, a block reduction (shared memory, `sync_threads`, one atomic per
//! block), at launch shapes from one thread to more threads than elements;
//! and the reports of a divergent barrier and of an index out of bounds.

use hotloop_device::host::ParamKind;
use hotloop_device::prelude::*;
use hotloop_device::{AtomicAdd as _, Elem};
use hotloop_runtime::Error;
use hotloop_sim::Simulator;

/// The blog's `@cuda.jit` kernel: thread `x` handles plane `x`, looping
/// over z then y.
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

/// A grid-stride add-2 over the flat array.
#[kernel]
pub fn add_two(input: &[f64], output: Out<f64>) {
    for i in grid_stride(input.len()) {
        output.set(i, input[i] + 2.0);
    }
}

/// Add-2 over a 3-D grid of threads: x along the contiguous axis.
#[kernel]
pub fn add_two_3d(input: &[f32], output: Out<f32>, nx: u32, ny: u32, nz: u32) {
    let (z, y, x) = grid_3d();
    if x < nx as usize && y < ny as usize && z < nz as usize {
        let i = (x * ny as usize + y) * nz as usize + z;
        output.set(i, input[i] + 2.0);
    }
}

/// A struct passed by value: the kernel's parameters as one `DeviceValue`.
#[derive(Clone, Copy, Debug, DeviceValue)]
#[repr(C)]
pub struct Affine2 {
    /// Slope.
    pub a: f64,
    /// Offset.
    pub b: f64,
    /// Every `stride`-th element only.
    pub stride: u32,
}

/// `output[i] = a * input[i] + b` for every `stride`-th `i` (0 elsewhere).
#[kernel]
pub fn affine_every(p: Affine2, input: &[f64], output: Out<f64>) {
    for i in grid_stride(input.len()) {
        if i % p.stride as usize == 0 {
            output.set(i, p.a * input[i] + p.b);
        }
    }
}

/// The sum of `input` into `total[0]`: each thread sums its grid-stride
/// share, the block combines them in a shared-memory tree (a barrier
/// between steps), thread 0 adds the block's sum with one atomic.
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

/// Floats too: a block's f64 partial added atomically.
#[kernel]
pub fn float_sum(input: &[f64], total: Out<f64>) {
    let mut acc = 0.0;
    for i in grid_stride(input.len()) {
        acc += input[i];
    }
    total.atomic_add(0, acc);
}

/// Half the block waits at a barrier the other half never reaches.
#[kernel]
pub fn divergent(out: Out<u32>) {
    if thread_idx().x.is_multiple_of(2) {
        sync_threads();
    }
    out.set(grid_1d(), 1);
}

/// Reads and writes one past the end when the grid is larger than the array.
#[kernel]
pub fn overrun(input: &[f64], output: Out<f64>) {
    let i = grid_1d();
    output.set(i, input[i]);
}

fn values(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| ((i * 7919) % 1013) as f64 * 0.25 - 100.0)
        .collect()
}

const LAUNCHES: [(u32, u32); 6] = [(1, 1), (3, 7), (2, 33), (5, 64), (1, 1024), (40, 256)];

#[test]
fn the_signature_is_the_abi() {
    assert_eq!(add_two::INFO.name, "add_two");
    assert_eq!(
        add_two_blog::INFO.params,
        [
            ParamKind::Slice(Elem::F64),
            ParamKind::Out(Elem::F64),
            ParamKind::Scalar(Elem::U32),
            ParamKind::Scalar(Elem::U32),
            ParamKind::Scalar(Elem::U32),
        ]
    );
    assert_eq!(
        block_sum::INFO.params,
        [ParamKind::Slice(Elem::U64), ParamKind::Out(Elem::U64)]
    );
}

#[test]
fn add_two_matches_the_serial_loop_at_every_launch() {
    let sim = Simulator::new();
    for n in [0usize, 1, 5, 1000, 10_007] {
        let x = values(n);
        let want: Vec<f64> = x.iter().map(|v| v + 2.0).collect();
        let d_in = sim.to_device(&x).unwrap();
        for (b, t) in LAUNCHES {
            let mut d_out = sim.device_array_like(&d_in).unwrap();
            add_two::launch(&sim, (b, t), &d_in, &mut d_out).unwrap();
            sim.synchronize();
            assert_eq!(d_out.copy_to_host().unwrap(), want, "{n} elements, {b}x{t}");
        }
    }
}

#[test]
fn the_blog_kernel_in_its_launch_shape() {
    let sim = Simulator::new();
    let (nx, ny, nz) = (37u32, 5u32, 11u32);
    let x = values((nx * ny * nz) as usize);
    let want: Vec<f64> = x.iter().map(|v| v + 2.0).collect();
    let d_in = sim.to_device(&x).unwrap();
    // 16 threads per block, one per x, as the blog launched it; and others.
    for (b, t) in [(nx.div_ceil(16), 16), (1, 64), (nx, 1), (3, 13)] {
        let mut d_out = sim.device_array_like(&d_in).unwrap();
        add_two_blog::launch(&sim, (b, t), &d_in, &mut d_out, nx, ny, nz).unwrap();
        assert_eq!(d_out.copy_to_host().unwrap(), want, "{b}x{t}");
    }
}

#[test]
fn two_and_three_dimensional_grids_cover_every_cell() {
    let sim = Simulator::new();
    let (nx, ny, nz) = (6u32, 5u32, 19u32);
    let x: Vec<f32> = values((nx * ny * nz) as usize)
        .iter()
        .map(|&v| v as f32)
        .collect();
    let want: Vec<f32> = x.iter().map(|v| v + 2.0).collect();
    let d_in = sim.to_device(&x).unwrap();
    for grid in [
        ((nz.div_ceil(4), ny.div_ceil(2), nx), (4, 2, 1)),
        ((1, 1, 1), (19, 5, 6)),
        ((3, 2, 2), (7, 3, 3)),
    ] {
        let mut d_out = sim.device_array_like(&d_in).unwrap();
        add_two_3d::launch(&sim, grid, &d_in, &mut d_out, nx, ny, nz).unwrap();
        assert_eq!(d_out.copy_to_host().unwrap(), want, "{grid:?}");
    }
    // A 2-D grid of one-thread blocks over the first plane (nx = 1): that
    // plane is written, the rest of the array is not.
    let mut d_out = sim.device_array_like(&d_in).unwrap();
    add_two_3d::launch(&sim, ((nz, ny), (1, 1)), &d_in, &mut d_out, 1, ny, nz).unwrap();
    let got = d_out.copy_to_host().unwrap();
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        let touched = i < (ny * nz) as usize;
        assert_eq!(*g, if touched { *w } else { 0.0 }, "cell {i}");
    }
}

#[test]
fn a_block_reduction_with_shared_memory_barriers_and_atomics_is_exact() {
    let sim = Simulator::new();
    for n in [1usize, 100, 4099, 70_001] {
        let x: Vec<u64> = (0..n as u64).map(|i| i * i % 1_000_003).collect();
        let want: u64 = x.iter().sum();
        let d_in = sim.to_device(&x).unwrap();
        for (b, t) in LAUNCHES {
            let mut total = sim.device_array::<u64>(1).unwrap();
            block_sum::launch(&sim, (b, t), &d_in, &mut total).unwrap();
            assert_eq!(
                total.copy_to_host().unwrap(),
                [want],
                "{n} elements, {b}x{t}"
            );
        }
    }
    // f64 atomics: exact on small integers whatever the order.
    let x: Vec<f64> = (0..5000).map(|i| (i % 17) as f64).collect();
    let d_in = sim.to_device(&x).unwrap();
    let mut total = sim.device_array::<f64>(1).unwrap();
    float_sum::launch(&sim, (7, 32), &d_in, &mut total).unwrap();
    assert_eq!(total.copy_to_host().unwrap(), [x.iter().sum::<f64>()]);
    let mut v = 1.5f64;
    // SAFETY: a valid, exclusive f64.
    assert_eq!(unsafe { f64::atomic_add(&mut v, 2.0) }, 1.5);
    assert_eq!(v, 3.5);
}

#[test]
fn a_barrier_part_of_a_block_skips_is_an_error_naming_the_threads() {
    let sim = Simulator::new();
    let mut out = sim.device_array::<u32>(2 * 6).unwrap();
    let e = divergent::launch(&sim, (2, 6), &mut out).unwrap_err();
    match &e {
        Error::DivergentBarrier {
            kernel,
            block,
            arrived,
            missing,
        } => {
            assert_eq!(*kernel, "divergent");
            assert_eq!(block[1..], [0, 0]);
            assert_eq!(*arrived, 3);
            assert_eq!(missing, &[[1, 0, 0], [3, 0, 0], [5, 0, 0]]);
        }
        other => panic!("{other}"),
    }
    let msg = e.to_string();
    assert!(
        msg.contains("divergent") && msg.contains("[3, 0, 0]"),
        "{msg}"
    );
}

#[test]
fn an_index_out_of_bounds_is_an_error_naming_kernel_block_and_thread() {
    let sim = Simulator::new();
    let d_in = sim.to_device(&values(10)).unwrap();
    let mut d_out = sim.device_array_like(&d_in).unwrap();
    // 3 blocks of 4 threads over 10 elements: threads 10 and 11 overrun.
    let e = overrun::launch(&sim, (3, 4), &d_in, &mut d_out).unwrap_err();
    match &e {
        Error::KernelFault {
            kernel,
            block,
            thread,
            message,
        } => {
            assert_eq!((*kernel, *block), ("overrun", [2, 0, 0]));
            assert_eq!(thread[0], 2, "{e}");
            assert!(message.contains("out of bounds"), "{message}");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn launches_beyond_cudas_limits_are_refused() {
    let sim = Simulator::new();
    let d_in = sim.to_device(&values(4)).unwrap();
    let mut d_out = sim.device_array_like(&d_in).unwrap();
    for grid in [
        ((0, 1, 1), (1, 1, 1)),
        ((1, 1, 1), (1025, 1, 1)),
        ((1, 1, 1), (1, 1, 65)),
        ((1, 70_000, 1), (1, 1, 1)),
    ] {
        let e = add_two::launch(&sim, grid, &d_in, &mut d_out).unwrap_err();
        assert!(matches!(e, Error::InvalidLaunch(_)), "{grid:?}: {e}");
    }
}

#[test]
#[should_panic(expected = "outside a kernel launch")]
fn device_functions_outside_a_launch_say_so() {
    let _ = grid_1d();
}

#[test]
fn a_struct_passes_by_value_and_its_kind_records_its_layout() {
    assert_eq!(
        affine_every::INFO.params,
        [
            // The struct's 24 bytes and the trailing word of its wrapper.
            ParamKind::Value { size: 32, align: 8 },
            ParamKind::Slice(Elem::F64),
            ParamKind::Out(Elem::F64),
        ]
    );
    let sim = Simulator::new();
    let x: Vec<f64> = (0..1001).map(|i| i as f64 * 0.5 - 100.0).collect();
    let p = Affine2 {
        a: -3.0,
        b: 0.25,
        stride: 3,
    };
    for (blocks, threads) in [(1, 1), (3, 7), (8, 128)] {
        let d_in = sim.to_device(&x).unwrap();
        let mut d_out = sim.device_array_like(&d_in).unwrap();
        affine_every::launch(&sim, (blocks, threads), p, &d_in, &mut d_out).unwrap();
        let got = d_out.copy_to_host().unwrap();
        for (i, (g, v)) in got.iter().zip(&x).enumerate() {
            let want = if i % 3 == 0 { p.a * v + p.b } else { 0.0 };
            assert_eq!(*g, want, "{blocks}x{threads} at {i}");
        }
    }
}

/// `output = input + value` for every element type listed: one entry point
/// per type, one launcher generic over them.
#[kernel(f32, f64, u32, i64)]
pub fn add_value<T: Copy + core::ops::Add<Output = T>>(input: &[T], output: Out<T>, value: T) {
    for i in grid_stride(input.len()) {
        output.set(i, input[i] + value);
    }
}

/// A generic kernel with a by-value struct over its type and a fixed-type
/// output beside the generic ones.
#[kernel(f32, f64)]
pub fn scale_count<T>(p: Scale<T>, input: &[T], output: Out<T>, nonzero: Out<u64>)
where
    T: Copy + PartialEq + Default + core::ops::Mul<Output = T>,
{
    for i in grid_stride(input.len()) {
        let y = input[i] * p.factor;
        output.set(i, y);
        if y != T::default() {
            nonzero.atomic_add(0, 1);
        }
    }
}

/// A factor, by value.
#[derive(Clone, Copy, Debug, DeviceValue)]
#[repr(C)]
pub struct Scale<T> {
    /// The factor.
    pub factor: T,
}

#[test]
fn a_generic_kernel_has_one_entry_per_listed_type() {
    assert_eq!(add_value::info::<f32>().name, "add_value_f32");
    assert_eq!(add_value::info::<i64>().name, "add_value_i64");
    assert_eq!(
        add_value::info::<u32>().params,
        [
            ParamKind::Slice(Elem::U32),
            ParamKind::Out(Elem::U32),
            ParamKind::Scalar(Elem::U32),
        ]
    );
    assert_eq!(
        scale_count::info::<f64>().params,
        [
            ParamKind::value::<Scale<f64>>(),
            ParamKind::Slice(Elem::F64),
            ParamKind::Out(Elem::F64),
            ParamKind::Out(Elem::U64),
        ]
    );
    let sim = Simulator::new();
    let x: Vec<f64> = values(1001);
    let d = sim.to_device(&x).unwrap();
    let mut out = sim.device_array_like(&d).unwrap();
    add_value::launch::<f64, _>(&sim, (3, 64), &d, &mut out, 2.0).unwrap();
    assert_eq!(
        out.copy_to_host().unwrap(),
        x.iter().map(|v| v + 2.0).collect::<Vec<_>>()
    );
    let xi: Vec<i64> = (0..1001).map(|i| i * 3 - 700).collect();
    let d = sim.to_device(&xi).unwrap();
    let mut out = sim.device_array_like(&d).unwrap();
    add_value::launch::<i64, _>(&sim, (2, 33), &d, &mut out, -5).unwrap();
    assert_eq!(
        out.copy_to_host().unwrap(),
        xi.iter().map(|v| v - 5).collect::<Vec<_>>()
    );
    let xf: Vec<f32> = (0..100).map(|i| (i % 7) as f32 - 3.0).collect();
    let d = sim.to_device(&xf).unwrap();
    let mut out = sim.device_array_like(&d).unwrap();
    let mut count = sim.device_array::<u64>(1).unwrap();
    let p = Scale { factor: 0.5f32 };
    scale_count::launch::<f32, _>(&sim, (2, 16), p, &d, &mut out, &mut count).unwrap();
    assert_eq!(
        out.copy_to_host().unwrap(),
        xf.iter().map(|v| v * 0.5).collect::<Vec<_>>()
    );
    assert_eq!(
        count.copy_to_host().unwrap(),
        [xf.iter().filter(|&&v| v != 0.0).count() as u64]
    );
}

/// Each block's sum, minimum and maximum of its threads' strided shares
/// through `block_reduce`, three calls in a row reusing its shared
/// slots; thread 0 writes them.
#[kernel]
pub fn block_stats(input: &[i64], sums: Out<i64>, mins: Out<i64>, maxs: Out<i64>) {
    // Every thread of a 2-D grid of 3-D blocks, linearly.
    let (t, d, b, g) = (thread_idx(), block_dim(), block_idx(), grid_dim());
    let per_block = (d.x * d.y * d.z) as usize;
    let block = (b.x + g.x * b.y) as usize;
    let me = (t.x + d.x * (t.y + d.y * t.z)) as usize + block * per_block;
    let all = per_block * (g.x * g.y) as usize;
    let (mut s, mut lo, mut hi) = (0i64, i64::MAX, i64::MIN);
    for i in (me..input.len()).step_by(all) {
        s += input[i];
        lo = lo.min(input[i]);
        hi = hi.max(input[i]);
    }
    let s = block_reduce(s, |a, b| a + b);
    let lo = block_reduce(lo, i64::min);
    let hi = block_reduce(hi, i64::max);
    if t.x == 0 && t.y == 0 && t.z == 0 {
        sums.set(block, s);
        mins.set(block, lo);
        maxs.set(block, hi);
    }
}

/// An f64 sum through `block_reduce`: the same bits at every run.
#[kernel]
pub fn block_fsum(input: &[f64], sums: Out<f64>) {
    let mut s = 0.0;
    for i in grid_stride(input.len()) {
        s += input[i];
    }
    let s = block_reduce(s, |a, b| a + b);
    if thread_idx().x == 0 {
        sums.set(block_idx().x as usize, s);
    }
}

#[test]
fn block_reduce_combines_every_thread_of_any_block_shape() {
    let sim = Simulator::new();
    let x: Vec<i64> = (0..5003).map(|i| (i * 7919 % 2003) - 1000).collect();
    let d = sim.to_device(&x).unwrap();
    for (blocks, threads) in [
        ((1, 1), (1, 1, 1)),
        ((3, 1), (7, 1, 1)),
        ((2, 2), (33, 1, 1)),
        ((5, 1), (8, 4, 3)),
        ((1, 1), (1024, 1, 1)),
    ] {
        let nb = (blocks.0 * blocks.1) as usize;
        let (mut sums, mut mins, mut maxs) = (
            sim.device_array::<i64>(nb).unwrap(),
            sim.device_array::<i64>(nb).unwrap(),
            sim.device_array::<i64>(nb).unwrap(),
        );
        block_stats::launch(&sim, (blocks, threads), &d, &mut sums, &mut mins, &mut maxs).unwrap();
        // Block `b` holds the elements whose index, modulo every thread of
        // the grid, falls among its threads.
        let per_block = (threads.0 * threads.1 * threads.2) as usize;
        let share = |b: usize| {
            x.iter()
                .enumerate()
                .filter(move |(i, _)| i % (per_block * nb) / per_block == b)
                .map(|(_, &v)| v)
        };
        let (sums, lo, hi) = (
            sums.copy_to_host().unwrap(),
            mins.copy_to_host().unwrap(),
            maxs.copy_to_host().unwrap(),
        );
        for b in 0..nb {
            let at = format!("block {b} of {blocks:?}, {threads:?}");
            assert_eq!(sums[b], share(b).sum::<i64>(), "{at}");
            assert_eq!(lo[b], share(b).min().unwrap_or(i64::MAX), "{at}");
            assert_eq!(hi[b], share(b).max().unwrap_or(i64::MIN), "{at}");
        }
    }
    // Floats: the same bits from run to run, and the exact sum of values
    // whose partial sums are all exact.
    let xf: Vec<f64> = (0..3000).map(|i| ((i % 101) as f64) * 0.5).collect();
    let d = sim.to_device(&xf).unwrap();
    let run = || {
        let mut sums = sim.device_array::<f64>(3).unwrap();
        block_fsum::launch(&sim, (3, 100), &d, &mut sums).unwrap();
        sums.copy_to_host().unwrap()
    };
    let first = run();
    assert_eq!(first.iter().sum::<f64>(), xf.iter().sum::<f64>());
    for _ in 0..3 {
        assert_eq!(run(), first);
    }
}

/// `x.exp()` and `x.sqrt()` on a concrete `f64`, as a Numba user writes
/// `math.exp(x)`: `std`'s inherent methods on the host, but the kernel
/// must run what the GPU runs, hotloop's `Real` functions.
#[kernel]
pub fn exp_sqrt(input: &[f64], output: Out<f64>) {
    for i in grid_stride(input.len()) {
        let x = input[i];
        output.set(i, x.exp() + (x * x).sqrt());
    }
}

#[test]
fn float_math_in_a_kernel_is_hotloops_on_the_host_as_on_the_gpu() {
    use hotloop_device::Real;
    let sim = Simulator::new();
    let x: Vec<f64> = (0..20_000)
        .map(|i| (i as f64 - 10_000.0) * 0.0613)
        .collect();
    let d = sim.to_device(&x).unwrap();
    let mut out = sim.device_array_like(&d).unwrap();
    exp_sqrt::launch(&sim, (7, 64), &d, &mut out).unwrap();
    let ours: Vec<f64> = x
        .iter()
        .map(|&v| Real::exp(v) + Real::sqrt(v * v))
        .collect();
    assert_eq!(out.copy_to_host().unwrap(), ours);
    // The test can tell: std's exp differs from hotloop's somewhere here.
    let std_exp = x.iter().filter(|&&v| f64::exp(v) != Real::exp(v)).count();
    assert!(std_exp > 0, "std's exp and hotloop's agree on every point");
}
