//! What a launch can ask for beyond its shape, on the simulator: dynamic
//! shared memory (Numba's fourth launch argument) of any element type and
//! its limits; a cooperative launch and its grid barrier (`grid_sync`),
//! with the misuses reported; per-thread random streams that give the same
//! values at every launch shape.

use hotloop_device::MAX_BLOCK_SHARED_BYTES;
use hotloop_device::host::Grid;
use hotloop_device::prelude::*;
use hotloop_runtime::Error;
use hotloop_sim::Simulator;

/// Reverses each block's slice of `x` through the dynamic shared memory,
/// and records its length seen as `f64`s and as `u16`s.
#[kernel]
pub fn reverse_blocks(x: &[f64], out: Out<f64>, lens: Out<u64>) {
    let tile = dynamic_shared_array::<f64>();
    let (t, n) = (thread_rank(), block_dim().count() as usize);
    let i = block_idx().x as usize * n + t;
    tile.set(t, x[i]);
    sync_threads();
    out.set(i, tile.get(n - 1 - t));
    if i == 0 {
        lens.set(0, tile.len() as u64);
        lens.set(1, dynamic_shared_array::<u16>().len() as u64);
    }
}

#[test]
fn dynamic_shared_memory_has_the_launched_size_in_any_type() {
    let sim = Simulator::new();
    for (blocks, threads) in [(1u32, 1u32), (3, 20), (2, 1024), (40, 64)] {
        let n = (blocks * threads) as usize;
        let x: Vec<f64> = (0..n).map(|i| i as f64 * 0.5).collect();
        let d_x = sim.to_device(&x).unwrap();
        let mut d_out = sim.device_array::<f64>(n).unwrap();
        let mut d_lens = sim.device_array::<u64>(2).unwrap();
        // One f64 per thread and 8 bytes to spare.
        let bytes = threads * 8 + 8;
        let grid = Grid::from((blocks, threads)).with_shared_bytes(bytes);
        reverse_blocks::launch(&sim, grid, &d_x, &mut d_out, &mut d_lens).unwrap();
        let t = threads as usize;
        let want: Vec<f64> = (0..n).map(|i| x[i / t * t + t - 1 - i % t]).collect();
        assert_eq!(d_out.copy_to_host().unwrap(), want, "{blocks}x{threads}");
        let lens = d_lens.copy_to_host().unwrap();
        assert_eq!(lens, [bytes as u64 / 8, bytes as u64 / 2]);
    }
    // Too little: the first thread past the end faults, naming itself.
    let x = vec![1.0; 64];
    let d_x = sim.to_device(&x).unwrap();
    let mut d_out = sim.device_array::<f64>(64).unwrap();
    let mut d_lens = sim.device_array::<u64>(2).unwrap();
    let grid = Grid::from((1, 64)).with_shared_bytes(63 * 8);
    match reverse_blocks::launch(&sim, grid, &d_x, &mut d_out, &mut d_lens).unwrap_err() {
        Error::KernelFault { thread, .. } => assert_eq!(thread, [63, 0, 0]),
        other => panic!("{other}"),
    }
}

/// Touches a static 40 KiB array besides the dynamic one.
#[kernel]
pub fn static_and_dynamic(out: Out<u64>) {
    let fixed = shared_array!(u64, 5120);
    let dynamic = dynamic_shared_array::<u64>();
    fixed.set(0, 1);
    dynamic.set(0, 2);
    sync_threads();
    out.set(0, fixed.get(0) + dynamic.get(0));
}

#[test]
fn shared_memory_beyond_the_device_limit_is_a_typed_error() {
    let sim = Simulator::new();
    let mut d_out = sim.device_array::<u64>(1).unwrap();
    let launch = |sim: &Simulator, bytes: usize, d_out: &mut _| {
        let grid = Grid::from((2, 32)).with_shared_bytes(bytes as u32);
        static_and_dynamic::launch(sim, grid, d_out)
    };
    // 40 KiB static and 180 KiB dynamic fit the default 227 KiB.
    launch(&sim, 180 << 10, &mut d_out).unwrap();
    assert_eq!(d_out.copy_to_host().unwrap(), [3]);
    // More dynamic memory than the device has: refused before launching.
    match launch(&sim, MAX_BLOCK_SHARED_BYTES + 1, &mut d_out).unwrap_err() {
        Error::LimitExceeded {
            kernel,
            requested,
            limit,
            ..
        } => {
            assert_eq!(kernel, "static_and_dynamic");
            assert_eq!(
                (requested, limit),
                (
                    MAX_BLOCK_SHARED_BYTES as u64 + 1,
                    MAX_BLOCK_SHARED_BYTES as u64
                )
            );
        }
        other => panic!("{other}"),
    }
    // Fits alone, not with the static 40 KiB: reported when the block
    // declares the static array.
    match launch(&sim, 200 << 10, &mut d_out).unwrap_err() {
        Error::LimitExceeded {
            requested, limit, ..
        } => {
            assert_eq!(
                (requested, limit),
                ((240 << 10) as u64, MAX_BLOCK_SHARED_BYTES as u64)
            );
        }
        other => panic!("{other}"),
    }
    // A smaller simulated device (an sm_80's 163 KiB).
    let small = Simulator::new().with_max_shared_bytes(163 << 10);
    assert!(launch(&small, 120 << 10, &mut d_out).is_ok());
    assert!(matches!(
        launch(&small, 124 << 10, &mut d_out),
        Err(Error::LimitExceeded { .. })
    ));
}

/// `rounds` rounds of a grid-wide shift: every thread writes its value,
/// the grid meets, and every thread reads its right neighbour's (another
/// block's, at a block's edge), then the grid meets again.
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

#[test]
fn grid_sync_orders_the_whole_grid_in_a_cooperative_launch() {
    let sim = Simulator::new();
    for (blocks, threads, rounds) in [(1u32, 32u32, 3u32), (4, 45, 5), (37, 64, 2), (264, 32, 1)] {
        let n = (blocks * threads) as usize;
        let start: Vec<u64> = (0..n as u64).collect();
        let mut d_a = sim.to_device(&start).unwrap();
        let grid = Grid::from((blocks, threads)).cooperative();
        grid_shift::launch(&sim, grid, &mut d_a, rounds).unwrap();
        let want: Vec<u64> = (0..n).map(|i| ((i + rounds as usize) % n) as u64).collect();
        assert_eq!(d_a.copy_to_host().unwrap(), want, "{blocks}x{threads}");
    }
}

/// `grid_sync`, except that block 1 returns first.
#[kernel]
pub fn grid_sync_skipped(a: Out<u64>) {
    if block_idx().x == 1 {
        return;
    }
    grid_sync();
    a.set(grid_1d(), 1);
}

#[test]
fn grid_sync_misuses_are_errors_never_hangs() {
    let sim = Simulator::new();
    let mut d_a = sim.device_array::<u64>(4 * 32).unwrap();
    // Not cooperative.
    match grid_shift::launch(&sim, (4, 32), &mut d_a, 1).unwrap_err() {
        Error::KernelFault {
            kernel, message, ..
        } => {
            assert_eq!(kernel, "grid_shift");
            assert!(message.contains("cooperative"), "{message}");
        }
        other => panic!("{other}"),
    }
    // A block that ends without the grid barrier.
    let grid = Grid::from((4, 32)).cooperative();
    match grid_sync_skipped::launch(&sim, grid, &mut d_a).unwrap_err() {
        Error::KernelFault { message, .. } => {
            assert!(
                message.contains("1 blocks that ended") && message.contains("block 1"),
                "{message}"
            );
        }
        other => panic!("{other}"),
    }
    // More blocks than an H100 holds at once: 132 multiprocessors of 64
    // warps, so 132 * 2 blocks of 1024 threads.
    let mut big = sim.device_array::<u64>(265 * 1024).unwrap();
    let too_many = Grid::from((265, 1024)).cooperative();
    match grid_shift::launch(&sim, too_many, &mut big, 1).unwrap_err() {
        Error::LimitExceeded {
            requested, limit, ..
        } => assert_eq!((requested, limit), (265, 264)),
        other => panic!("{other}"),
    }
}

/// Each thread's first three draws: uniform f32, uniform f64, normal f64.
#[kernel]
pub fn draws(seed: u64, out: Out<f64>) {
    let i = grid_1d();
    let mut rng = RandomStream::new(seed, i as u64);
    out.set(3 * i, rng.uniform_f32() as f64);
    out.set(3 * i + 1, rng.uniform_f64());
    out.set(3 * i + 2, rng.normal_f64());
}

#[test]
fn thread_streams_give_the_same_values_at_every_launch_shape() {
    let sim = Simulator::new();
    let n = 4096usize;
    let want: Vec<f64> = (0..n as u64)
        .flat_map(|i| {
            let mut r = RandomStream::new(7, i);
            [r.uniform_f32() as f64, r.uniform_f64(), r.normal_f64()]
        })
        .collect();
    for (blocks, threads) in [(16u32, 256u32), (4, 1024), (64, 64), (128, 32)] {
        assert_eq!((blocks * threads) as usize, n);
        let mut d = sim.device_array::<f64>(3 * n).unwrap();
        draws::launch(&sim, (blocks, threads), 7, &mut d).unwrap();
        let got = d.copy_to_host().unwrap();
        assert!(
            got.iter()
                .zip(&want)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "{blocks}x{threads}"
        );
    }
}
