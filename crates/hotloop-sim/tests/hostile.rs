//! Kernels a GPU runs (or refuses) that once crashed, corrupted memory or
//! hung the simulator: each now runs, or ends in a typed error naming the
//! kernel, block and thread, within seconds.

use hotloop_device::prelude::*;
use hotloop_device::{MAX_LOCAL_BYTES, MAX_SHARED_BYTES};
use hotloop_runtime::Error;
use hotloop_sim::Simulator;
use std::time::{Duration, Instant};

/// Tile width, at module scope as Numba's examples declare it.
const TPB: usize = 8;

/// `at = a` transposed for an `n x n` matrix, through a `TPB x TPB` tile
/// in shared memory per block (reads and writes both coalesced). The
/// parameters are named `a` and `grid`, names the typed launcher once used
/// for its own.
#[kernel]
pub fn transpose(a: &[u32], at: Out<u32>, grid: u32) {
    let tile = shared_array!(u32, TPB * TPB);
    let n = grid as usize;
    let (tx, ty) = (thread_idx().x as usize, thread_idx().y as usize);
    let (bx, by) = (block_idx().x as usize * TPB, block_idx().y as usize * TPB);
    // Row by + ty, column bx + tx of `a` into the tile, transposed.
    if by + ty < n && bx + tx < n {
        tile.set(tx * TPB + ty, a[(by + ty) * n + bx + tx]);
    }
    sync_threads();
    // Row bx + ty, column by + tx of `at`.
    if bx + ty < n && by + tx < n {
        at.set((bx + ty) * n + by + tx, tile.get(ty * TPB + tx));
    }
}

/// Parameters named after everything the expansion defines for itself.
#[kernel]
pub fn names(launcher: &[u32], body: Out<u32>, x: u32, x_len: u32, args: u32) {
    for i in grid_stride(launcher.len()) {
        body.set(i, launcher[i] + x + x_len + args);
    }
}

/// A shared array reached through a helper: one declaration, so one
/// array per block however often it is called.
fn counter() -> SharedArray<u32, 1> {
    shared_array!(u32, 1)
}

/// Every thread counts itself through the helper; thread 0 reads the
/// count through it again.
#[kernel]
pub fn helper_calls(out: Out<u32>) {
    counter().atomic_add(0, 1);
    sync_threads();
    if thread_idx().x == 0 {
        out.set(block_idx().x as usize, counter().get(0));
    }
}

/// Two arrays of 32 KiB: each fits, together they exceed a block's 48 KiB.
#[kernel]
pub fn too_much_shared(out: Out<u64>) {
    let first = shared_array!(u64, 4096);
    let second = shared_array!(u64, 4096);
    first.set(0, 1);
    second.set(0, 2);
    out.set(0, first.get(0) + second.get(0));
}

/// Locals of `WORDS` u64 per thread, most of a GPU thread's 512 KiB.
const WORDS: usize = 400 << 10 >> 3;

/// A sum over a local array of `WORDS` words.
#[kernel]
pub fn big_locals(out: Out<u64>, seed: u64) {
    let mut buf = [0u64; WORDS];
    for (i, w) in buf.iter_mut().enumerate() {
        *w = seed.wrapping_mul(i as u64 + 1);
    }
    let buf = core::hint::black_box(&buf);
    out.set(grid_1d(), buf.iter().fold(0u64, |s, &w| s.wrapping_add(w)));
}

/// Block 0's thread 0 faults; every other thread of the grid spins on a
/// flag it would have set.
#[kernel]
pub fn fault_while_others_spin(flag: Out<u32>, input: &[u32]) {
    if block_idx().x == 0 && thread_idx().x == 0 {
        let oops = input[input.len()];
        flag.set(0, oops);
    }
    while flag.get(0) == 0 {}
}

/// Thread 0 spins on thread 1's atomic, with no barrier between: sm_70's
/// independent thread scheduling finishes it.
#[kernel]
pub fn spin_on_neighbour(flag: Out<u32>, out: Out<u32>) {
    let t = thread_idx().x as usize;
    if t == 0 {
        while flag.atomic_add(0, 0) == 0 {}
        out.set(0, flag.get(0) + 1);
    } else if t == 1 {
        flag.atomic_add(0, 41);
    }
}

/// Every block waits for a flag no thread sets.
#[kernel]
pub fn wait_forever(flag: Out<u32>) {
    while flag.get(0) == 0 {}
}

/// Block `b` waits for block `b + 1`'s flag and then sets its own; the
/// last block sets its flag at once. Whether this finishes depends on
/// blocks running at the same time, which CUDA does not promise.
#[kernel]
pub fn chain(flags: Out<u32>) {
    let (b, n) = (block_idx().x as usize, grid_dim().x as usize);
    if b + 1 < n {
        while flags.get(b + 1) == 0 {}
    }
    flags.set(b, 1);
}

/// Thread 0 reads through a large array it writes nothing to: work, not
/// a spin, however long it takes.
#[kernel]
pub fn long_reader(data: Out<u32>, total: Out<u64>) {
    if thread_idx().x == 0 {
        let mut s = 0u64;
        for _ in 0..4 {
            for i in 0..data.len() {
                s += u64::from(data.get(i));
            }
        }
        total.set(0, s);
    }
}

#[test]
fn a_module_constant_sizes_shared_tiles_and_any_parameter_name_works() {
    let sim = Simulator::new();
    for n in [1usize, 7, 8, 21] {
        let a: Vec<u32> = (0..(n * n) as u32).collect();
        let want: Vec<u32> = (0..n * n).map(|i| a[(i % n) * n + i / n]).collect();
        let d_a = sim.to_device(&a).unwrap();
        let mut d_at = sim.device_array::<u32>(n * n).unwrap();
        let tiles = n.div_ceil(TPB) as u32;
        let launch = ((tiles, tiles), (TPB as u32, TPB as u32));
        transpose::launch(&sim, launch, &d_a, &mut d_at, n as u32).unwrap();
        assert_eq!(d_at.copy_to_host().unwrap(), want, "n = {n}");
    }
    let input = sim.to_device(&[1u32, 2, 3]).unwrap();
    let mut out = sim.device_array::<u32>(3).unwrap();
    names::launch(&sim, (1, 2), &input, &mut out, 10, 100, 1000).unwrap();
    assert_eq!(out.copy_to_host().unwrap(), [1111, 1112, 1113]);
}

#[test]
fn a_helper_called_twice_reaches_one_shared_array() {
    let sim = Simulator::new();
    let mut out = sim.device_array::<u32>(3).unwrap();
    helper_calls::launch(&sim, (3, 37), &mut out).unwrap();
    assert_eq!(out.copy_to_host().unwrap(), [37, 37, 37]);
}

#[test]
fn shared_memory_beyond_a_blocks_48_kib_is_a_typed_error() {
    let sim = Simulator::new();
    let mut out = sim.device_array::<u64>(1).unwrap();
    match too_much_shared::launch(&sim, (2, 4), &mut out).unwrap_err() {
        Error::LimitExceeded {
            kernel,
            requested,
            limit,
            ..
        } => {
            assert_eq!(kernel, "too_much_shared");
            assert_eq!((requested, limit), (64 << 10, MAX_SHARED_BYTES as u64));
        }
        other => panic!("{other}"),
    }
}

#[test]
fn a_thread_may_use_most_of_a_gpu_threads_local_memory() {
    const { assert!(WORDS * 8 < MAX_LOCAL_BYTES) };
    let sim = Simulator::new();
    let mut out = sim.device_array::<u64>(2 * 64).unwrap();
    big_locals::launch(&sim, (2, 64), &mut out, 3).unwrap();
    let want = (1..=WORDS as u64).fold(0u64, |s, i| s.wrapping_add(3u64.wrapping_mul(i)));
    assert!(out.copy_to_host().unwrap().iter().all(|&v| v == want));
}

/// Runs `f` on another thread and fails if it takes longer than `limit`
/// (a hang fails the test instead of stalling the suite).
fn within<R: Send + 'static>(limit: Duration, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(f()).ok());
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("still running after {limit:?}: the simulator hung"))
}

#[test]
fn a_fault_ends_the_grid_while_other_blocks_spin() {
    let e = within(Duration::from_secs(30), || {
        let sim = Simulator::new();
        let input = sim.to_device(&[0u32; 4]).unwrap();
        let mut flag = sim.device_array::<u32>(1).unwrap();
        fault_while_others_spin::launch(&sim, (64, 32), &mut flag, &input).unwrap_err()
    });
    match e {
        Error::KernelFault {
            kernel,
            block,
            thread,
            message,
        } => {
            assert_eq!(
                (kernel, block, thread),
                ("fault_while_others_spin", [0; 3], [0; 3])
            );
            assert!(message.contains("out of bounds"), "{message}");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn a_thread_spinning_on_its_neighbour_lets_the_neighbour_run() {
    let out = within(Duration::from_secs(30), || {
        let sim = Simulator::new();
        [2, 32, 1024].map(|threads| {
            let mut flag = sim.device_array::<u32>(1).unwrap();
            let mut out = sim.device_array::<u32>(1).unwrap();
            spin_on_neighbour::launch(&sim, (1, threads), &mut flag, &mut out).unwrap();
            out.copy_to_host().unwrap()[0]
        })
    });
    assert_eq!(out, [42; 3]);
}

#[test]
fn a_wait_nothing_ends_is_a_deadlock_naming_the_threads() {
    let started = Instant::now();
    let e = within(Duration::from_secs(30), || {
        let sim = Simulator::new().with_stall_timeout(Duration::from_millis(300));
        let mut flag = sim.device_array::<u32>(1).unwrap();
        wait_forever::launch(&sim, (3, 4), &mut flag).unwrap_err()
    });
    match &e {
        Error::Deadlock {
            kernel,
            spinning,
            millis,
            ..
        } => {
            assert_eq!(*kernel, "wait_forever");
            assert_eq!(spinning.len(), 4, "{e}");
            assert!(*millis >= 300, "{e}");
        }
        other => panic!("{other}"),
    }
    assert!(started.elapsed() < Duration::from_secs(20));
    // A chain of more blocks than the pool runs at once either finishes or
    // is reported: never a hang.
    let r = within(Duration::from_secs(60), || {
        let sim = Simulator::new().with_stall_timeout(Duration::from_millis(300));
        let mut flags = sim.device_array::<u32>(64).unwrap();
        chain::launch(&sim, (64, 1), &mut flags).map(|()| flags.copy_to_host().unwrap())
    });
    match r {
        Ok(flags) => assert!(flags.iter().all(|&f| f == 1)),
        Err(Error::Deadlock { kernel, .. }) => assert_eq!(kernel, "chain"),
        Err(other) => panic!("{other}"),
    }
}

#[test]
fn reading_through_memory_for_longer_than_the_stall_timeout_is_not_a_deadlock() {
    let sim = Simulator::new().with_stall_timeout(Duration::from_millis(1));
    let data: Vec<u32> = (0..1 << 18).collect();
    let mut d = sim.to_device(&data).unwrap();
    let mut total = sim.device_array::<u64>(1).unwrap();
    long_reader::launch(&sim, (1, 8), &mut d, &mut total).unwrap();
    assert_eq!(
        total.copy_to_host().unwrap(),
        [4 * data.iter().map(|&v| u64::from(v)).sum::<u64>()]
    );
}

#[test]
fn a_launch_beyond_the_thread_budget_is_refused_before_it_runs() {
    let started = Instant::now();
    let sim = Simulator::new();
    let input = sim.to_device(&[0u32; 10]).unwrap();
    let mut out = sim.device_array::<u32>(10).unwrap();
    let e = names::launch(&sim, (i32::MAX as u32, 1024), &input, &mut out, 0, 0, 0).unwrap_err();
    match e {
        Error::LimitExceeded {
            kernel,
            requested,
            limit,
            ..
        } => {
            assert_eq!(kernel, "names");
            assert_eq!(requested, i32::MAX as u64 * 1024);
            assert_eq!(limit, hotloop_sim::kernel::DEFAULT_THREAD_BUDGET);
        }
        other => panic!("{other}"),
    }
    assert!(started.elapsed() < Duration::from_secs(1));
    // Raised, the same kernel runs a launch beyond the default.
    let small = Simulator::new().with_thread_budget(64);
    assert!(names::launch(&small, (3, 32), &input, &mut out, 0, 0, 0).is_err());
    names::launch(&small, (2, 32), &input, &mut out, 1, 0, 0).unwrap();
    assert_eq!(out.copy_to_host().unwrap(), [1; 10]);
}
