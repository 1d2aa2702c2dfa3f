//! The warp and block collectives on the simulator against the CPU: every
//! shuffle for every element type, block reductions and scans, at one
//! warp, a partial last warp, 1024 threads, many blocks and 2-D blocks;
//! and each misuse CUDA leaves undefined as an error naming the kernel,
//! block, warp and lanes. (The votes, matches, bit intrinsics and the
//! barrier's reductions are checked at such shapes by
//! `examples/custom-kernels`, whose host `cargo xtask test` runs on the
//! simulator, and the GPU kit on a GPU.)

use hotloop_core::reduce::{Reduction, block_tree};
use hotloop_device::prelude::*;
use hotloop_runtime::Error;
use hotloop_sim::Simulator;

/// The launch shapes of the done-when: one warp, a partial last warp, a
/// block of 1024, many blocks, and odd sizes.
const SHAPES: [(u32, u32); 7] = [
    (1, 32),
    (1, 20),
    (2, 45),
    (1, 1024),
    (37, 64),
    (5, 1),
    (3, 97),
];

/// Each thread's four shuffles of `x[i]` within its warp: from the next
/// lane round the warp, from `lane - 1`, from `lane + 1`, from `lane ^ 1`;
/// the edge lanes of `up`/`down` keep their own, and partial warps use
/// their own mask with sources inside it.
#[kernel(u8, i8, u16, i16, u32, i32, u64, i64, f32, f64)]
pub fn shuffles<T>(x: &[T], out: Out<T>) {
    let i = grid_1d();
    let mask = warp_mask();
    let lanes = popc(mask);
    let lane = lane_id();
    let v = x[i];
    let next = shfl_sync(mask, v, (lane + 1) % lanes);
    let up = shfl_up_sync(mask, v, 1);
    // Down and xor read lanes past a partial warp's end: the whole warp's
    // mask only when the warp is full.
    let (down, xor) = if lanes == 32 {
        (shfl_down_sync(mask, v, 1), shfl_xor_sync(mask, v, 1))
    } else {
        (v, v)
    };
    out.set(4 * i, next);
    out.set(4 * i + 1, up);
    out.set(4 * i + 2, down);
    out.set(4 * i + 3, xor);
}

fn shuffle_case<T: shuffles::Instance + PartialEq + std::fmt::Debug>(make: impl Fn(usize) -> T) {
    let sim = Simulator::new();
    for (blocks, threads) in SHAPES {
        let n = (blocks * threads) as usize;
        let x: Vec<T> = (0..n).map(&make).collect();
        let d_x = sim.to_device(&x).unwrap();
        let mut d_out = sim.device_array::<T>(4 * n).unwrap();
        shuffles::launch::<T, _>(&sim, (blocks, threads), &d_x, &mut d_out).unwrap();
        let got = d_out.copy_to_host().unwrap();
        let t = threads as usize;
        for i in 0..n {
            let (b, r) = (i / t, i % t);
            let (first, lane) = (b * t + r / 32 * 32, r % 32);
            let lanes = (t - r / 32 * 32).min(32);
            let at = |l: usize| x[first + l];
            let want = [
                at((lane + 1) % lanes),
                at(if lane >= 1 { lane - 1 } else { lane }),
                if lanes == 32 {
                    at(if lane + 1 < 32 { lane + 1 } else { lane })
                } else {
                    x[i]
                },
                if lanes == 32 { at(lane ^ 1) } else { x[i] },
            ];
            assert_eq!(
                got[4 * i..4 * i + 4],
                want,
                "{blocks}x{threads}, thread {i}"
            );
        }
    }
}

#[test]
fn shuffles_of_every_element_type_match_the_cpu() {
    shuffle_case(|i| (i * 7 % 251) as u8);
    shuffle_case(|i| (i as i8).wrapping_mul(-3));
    shuffle_case(|i| (i * 977) as u16);
    shuffle_case(|i| (i as i16).wrapping_mul(-301));
    shuffle_case(|i| (i as u32).wrapping_mul(2_654_435_761));
    shuffle_case(|i| -(i as i32) * 7919);
    // 64-bit values whose halves differ: both words must cross.
    shuffle_case(|i| (i as u64) << 40 | 0xdead_beef);
    shuffle_case(|i| -((i as i64) << 33) - 5);
    shuffle_case(|i| i as f32 * 0.37 - 11.5);
    shuffle_case(|i| (i as f64).sqrt() * 1e300);
}

/// Block collectives over a 2-D block: the sum (f64, in the device's
/// tree), max (i64), the inclusive and exclusive scans (u64 sum, and a
/// non-commutative op, "keep the later", which shows the order).
#[kernel]
pub fn block_ops(x: &[f64], k: &[u64], out: Out<f64>, scans: Out<u64>) {
    let b = block_idx().x as usize;
    let n = block_dim().count() as usize;
    let i = b * n + thread_rank();
    let sum = block_reduce(x[i], |a, c| a + c);
    let max = block_reduce(-(k[i] as i64), |a, c| a.max(c));
    let incl = block_scan(k[i], |a, c| a + c);
    let excl = block_scan_exclusive(k[i], 5, |a, c| a + c);
    // "Keep the later" is associative, not commutative: thread t's
    // inclusive prefix is its own value, its exclusive one thread t-1's.
    let later = block_scan_exclusive(k[i], u64::MAX, |_, c| c);
    out.set(2 * i, sum);
    out.set(2 * i + 1, max as f64);
    scans.set(3 * i, incl);
    scans.set(3 * i + 1, excl);
    scans.set(3 * i + 2, later);
}

struct Add;
impl Reduction<f64> for Add {
    fn identity() -> f64 {
        0.0
    }
    fn combine(a: f64, b: f64) -> f64 {
        a + b
    }
}

#[test]
fn block_reductions_and_scans_give_the_cpus_answer_at_every_shape() {
    let sim = Simulator::new();
    let shapes: [(u32, Dim3); 8] = [
        (1, Dim3::from(32)),
        (1, Dim3::from(20)),
        (2, Dim3::from(45)),
        (1, Dim3::from(1024)),
        (37, Dim3::from(64)),
        (5, Dim3::from(1)),
        (3, Dim3::new(7, 5, 1)),
        (2, Dim3::new(8, 4, 3)),
    ];
    for (blocks, dim) in shapes {
        let t = dim.count() as usize;
        let n = blocks as usize * t;
        // Magnitudes far apart: the float sum's bits show its order.
        let x: Vec<f64> = (0..n)
            .map(|i| ((i * 7919 % 101) as f64 - 50.0) * 1.1f64.powi((i % 60) as i32))
            .collect();
        let k: Vec<u64> = (0..n).map(|i| (i * 2_654_435_761 % 1000) as u64).collect();
        let (d_x, d_k) = (sim.to_device(&x).unwrap(), sim.to_device(&k).unwrap());
        let mut d_out = sim.device_array::<f64>(2 * n).unwrap();
        let mut d_scans = sim.device_array::<u64>(3 * n).unwrap();
        block_ops::launch(&sim, (blocks, dim), &d_x, &d_k, &mut d_out, &mut d_scans).unwrap();
        let (out, scans) = (
            d_out.copy_to_host().unwrap(),
            d_scans.copy_to_host().unwrap(),
        );
        for b in 0..blocks as usize {
            let xs = &x[b * t..(b + 1) * t];
            let ks = &k[b * t..(b + 1) * t];
            let sum = block_tree::<f64, Add>(&mut xs.to_vec());
            let max = -(*ks.iter().min().unwrap() as i64);
            let mut run = 0;
            for r in 0..t {
                let i = b * t + r;
                let at = format!("{blocks}x{dim:?}, block {b}, thread {r}");
                assert_eq!(out[2 * i].to_bits(), sum.to_bits(), "{at}");
                assert_eq!(out[2 * i + 1], max as f64, "{at}");
                let later = if r == 0 { u64::MAX } else { ks[r - 1] };
                assert_eq!(
                    scans[3 * i..3 * i + 3],
                    [run + ks[r], 5 + run, later],
                    "{at}"
                );
                run += ks[r];
            }
        }
    }
}

/// The warp-shuffle sum of numba-examples' reduction, for full warps: each
/// warp folds by `shfl_down_sync` over the whole warp.
#[kernel]
pub fn warp_sums(x: &[u64], out: Out<u64>) {
    let i = grid_1d();
    let mut v = x[i];
    let mut offset = 16;
    while offset > 0 {
        v += shfl_down_sync(FULL_MASK, v, offset);
        offset /= 2;
    }
    if lane_id() == 0 {
        out.set(i / 32, v);
    }
}

fn warp_error(e: Error) -> (&'static str, [u32; 3], u32, Vec<u32>, String) {
    match e {
        Error::WarpMisuse {
            kernel,
            block,
            warp,
            lanes,
            problem,
        } => (kernel, block, warp, lanes, problem),
        other => panic!("not a warp misuse: {other}"),
    }
}

#[test]
fn a_full_mask_in_a_partial_warp_names_the_lanes_it_lacks() {
    let sim = Simulator::new();
    let x: Vec<u64> = (0..64).collect();
    let d_x = sim.to_device(&x).unwrap();
    let mut d_out = sim.device_array::<u64>(2).unwrap();
    warp_sums::launch(&sim, (1, 64), &d_x, &mut d_out).unwrap();
    assert_eq!(d_out.copy_to_host().unwrap(), [496, 1520]);
    // 52 threads: warp 1 has lanes 0..20 and no more.
    let e = warp_sums::launch(&sim, (1, 52), &d_x, &mut d_out).unwrap_err();
    let msg = e.to_string();
    let (kernel, block, warp, lanes, problem) = warp_error(e);
    assert_eq!((kernel, block, warp), ("warp_sums", [0, 0, 0], 1));
    assert_eq!(lanes, (20..32).collect::<Vec<_>>());
    assert!(problem.contains("shfl_down_sync"), "{problem}");
    assert!(msg.contains("warp 1") && msg.contains("warp_sums"), "{msg}");
}

/// Misuses selected by `case`, each in warp 1 of block 1.
#[kernel]
pub fn misuse(case: u32, out: Out<u32>) {
    let (lane, warp) = (lane_id(), thread_rank() / 32);
    let target = block_idx().x == 1 && warp == 1;
    let v = thread_rank() as u32;
    let r = match case {
        // Lane 5 returns before a full-warp shuffle.
        0 if target && lane == 5 => return,
        // Lanes 0..16 shuffle down by one with their half's mask: lane 15
        // reads lane 16, outside it.
        1 if target => {
            if lane < 16 {
                shfl_down_sync(0xffff, v, 1)
            } else {
                0
            }
        }
        // Half the warp at syncwarp, the other half at sync_threads.
        2 if target => {
            if lane < 16 {
                syncwarp(FULL_MASK);
            } else {
                sync_threads();
            }
            0
        }
        // A mask without the caller.
        3 if target && lane == 3 => ballot_sync(0b10, true),
        // Lanes of one mask calling different votes.
        4 if target => {
            if lane == 7 {
                any_sync(FULL_MASK, true) as u32
            } else {
                ballot_sync(FULL_MASK, true)
            }
        }
        // Two kinds of barrier.
        5 => {
            if target && lane == 9 {
                sync_threads_count(true)
            } else {
                sync_threads();
                0
            }
        }
        _ => shfl_sync(FULL_MASK, v, 0),
    };
    out.set(block_idx().x as usize * 64 + thread_rank(), r);
}

#[test]
fn each_warp_misuse_is_an_error_naming_kernel_block_warp_and_lanes() {
    let sim = Simulator::new();
    let mut d_out = sim.device_array::<u32>(3 * 64).unwrap();
    let mut run = |case| misuse::launch(&sim, (3, 64), case, &mut d_out);
    let (kernel, block, warp, lanes, problem) = warp_error(run(0).unwrap_err());
    assert_eq!(
        (kernel, block, warp, lanes),
        ("misuse", [1, 0, 0], 1, vec![5])
    );
    assert!(
        problem.contains("exited") && problem.contains("shfl_sync"),
        "{problem}"
    );
    let (_, _, _, lanes, problem) = warp_error(run(1).unwrap_err());
    assert_eq!(lanes, [15]);
    assert!(problem.contains("15 from 16"), "{problem}");
    let (_, _, _, lanes, problem) = warp_error(run(2).unwrap_err());
    assert_eq!(lanes, (16..32).collect::<Vec<_>>());
    assert!(problem.contains("lane 16 at sync_threads"), "{problem}");
    let (_, _, _, lanes, problem) = warp_error(run(3).unwrap_err());
    assert_eq!(lanes, [3]);
    assert!(
        problem.contains("does not name the calling lane"),
        "{problem}"
    );
    let (_, _, _, lanes, problem) = warp_error(run(4).unwrap_err());
    assert_eq!(lanes, [7]);
    assert!(
        problem.contains("any_sync") && problem.contains("ballot_sync"),
        "{problem}"
    );
    match run(5).unwrap_err() {
        Error::KernelFault {
            kernel,
            block,
            thread,
            message,
        } => {
            assert_eq!((kernel, block, thread), ("misuse", [1, 0, 0], [41, 0, 0]));
            assert!(message.contains("sync_threads_count"), "{message}");
        }
        other => panic!("{other}"),
    }
    // The well-formed case runs: every lane reads lane 0 of its warp.
    run(6).unwrap();
    let got = d_out.copy_to_host().unwrap();
    assert!((0..3 * 64).all(|i| got[i] == (i % 64 / 32 * 32) as u32));
}
