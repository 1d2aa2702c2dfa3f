//! The ported Numba CUDA programs and the kernel language's second half
//! (warps, block collectives, dynamic shared memory, random streams, the
//! grid barrier), each against a serial loop: rows for `main`'s table.

use crate::Launch;
use custom_kernels::ports::{
    TILE, barrier_votes, block_cumsum, grid_shift, jacobi_relax_core, monte_carlo_pi,
    reverse_blocks, shuffle_sum, warp_calls,
};
use hotloop::Error;
use hotloop::ndarray::Array2;
use hotloop_device::RandomStream;
use hotloop_device::host::Grid;

/// One row's outcome: right, wrong, or an error's text.
type Check = Result<bool, String>;

/// Appends `(kernel, launch, outcome)` rows for backend `b` through `row`.
pub fn run<B: Launch>(b: &B, row: &mut impl FnMut(&str, String, Check)) {
    laplace(b, row);
    let n = 40 * 256 * 3;
    let x: Vec<f64> = (0..n).map(|i| ((i * 7919) % 1013) as f64 - 500.0).collect();
    // Integers in f64: any order of additions is exact.
    let total: f64 = x.iter().sum();
    for (blocks, threads) in [(1, 32), (7, 96), (40, 256), (2, 1024)] {
        let r = (|| {
            let d = b.put(&x)?;
            let mut t = b.zeros::<f64>(1)?;
            shuffle_sum::launch(b, (blocks, threads), &d, &mut t).map_err(|e| e.to_string())?;
            Ok(b.get(&t)? == [total])
        })();
        row(
            "shuffle_sum (warp shuffles)",
            format!("[{blocks}, {threads}]"),
            r,
        );
    }
    let k: Vec<i64> = (0..n as i64).map(|i| (i * 7919) % 201 - 100).collect();
    for (blocks, threads) in [(n as u32, 1), (n as u32 / 20, 20), (n as u32 / 1024, 1024)] {
        let t = threads as usize;
        let (mut sums, mut slots) = (Vec::new(), Vec::new());
        for block in k.chunks(t) {
            let (mut run, mut kept) = (0, 0);
            for &v in block {
                run += v;
                sums.push(run);
                slots.push(if v > 0 { kept } else { u32::MAX });
                kept += u32::from(v > 0);
            }
        }
        let r = (|| {
            let d = b.put(&k)?;
            let (mut s, mut o) = (b.zeros::<i64>(n)?, b.zeros::<u32>(n)?);
            block_cumsum::launch(b, (blocks, threads), &d, &mut s, &mut o)
                .map_err(|e| e.to_string())?;
            Ok(b.get(&s)? == sums && b.get(&o)? == slots)
        })();
        row(
            "block_cumsum (block scans)",
            format!("[{blocks}, {threads}]"),
            r,
        );
    }
    // Every thread's estimate, as the CPU draws it from the same stream.
    let (seed, iterations) = (2026, 500);
    for (blocks, threads) in [(4, 64), (16, 16)] {
        let threads_all = (blocks * threads) as u64;
        let want: Vec<f32> = (0..threads_all)
            .map(|t| {
                let mut rng = RandomStream::new(seed, t);
                let inside = (0..iterations)
                    .filter(|_| {
                        let (x, y) = (rng.uniform_f32(), rng.uniform_f32());
                        x * x + y * y <= 1.0
                    })
                    .count();
                4.0 * inside as f32 / iterations as f32
            })
            .collect();
        let r = (|| {
            let mut d = b.zeros::<f32>(threads_all as usize)?;
            monte_carlo_pi::launch(b, (blocks, threads), seed, iterations, &mut d)
                .map_err(|e| e.to_string())?;
            let got = b.get(&d)?;
            let pi = got.iter().map(|&v| f64::from(v)).sum::<f64>() / got.len() as f64;
            Ok(got == want && (pi - std::f64::consts::PI).abs() < 0.02)
        })();
        row(
            "monte_carlo_pi (thread streams)",
            format!("[{blocks}, {threads}]"),
            r,
        );
    }
    warps(b, row);
    let y: Vec<f64> = (0..4 * 1024).map(|i| i as f64).collect();
    for (blocks, threads) in [(4, 1024), (128, 32), (64, 45)] {
        let t = threads as usize;
        let m = blocks as usize * t;
        let want: Vec<f64> = (0..m).map(|i| y[i / t * t + t - 1 - i % t]).collect();
        let r = (|| {
            let d = b.put(&y)?;
            let (mut out, mut len) = (b.zeros::<f64>(m)?, b.zeros::<u64>(1)?);
            let grid = Grid::from((blocks, threads)).with_shared_bytes(threads * 8);
            reverse_blocks::launch(b, grid, &d, &mut out, &mut len).map_err(|e| e.to_string())?;
            Ok(b.get(&out)? == want && b.get(&len)? == [u64::from(threads)])
        })();
        row(
            "reverse_blocks (dynamic shared)",
            format!("[{blocks}, {threads}]"),
            r,
        );
    }
    for (blocks, threads, rounds) in [(2u32, 64u32, 3u32), (24, 128, 2)] {
        let m = (blocks * threads) as usize;
        let want: Vec<u64> = (0..m).map(|i| ((i + rounds as usize) % m) as u64).collect();
        let r = (|| {
            let start: Vec<u64> = (0..m as u64).collect();
            let mut d = b.put(&start)?;
            let grid = Grid::from((blocks, threads)).cooperative();
            grid_shift::launch(b, grid, &mut d, rounds).map_err(|e| e.to_string())?;
            Ok(b.get(&d)? == want)
        })();
        row(
            "grid_shift (grid_sync)",
            format!("[{blocks}, {threads}]"),
            r,
        );
    }
    // Beyond any device: 1 MiB of shared memory a block, and a cooperative
    // grid of a million blocks; each refused with a typed error before it
    // runs (the launch's arrays untouched).
    let r = (|| {
        let d = b.put(&y)?;
        let (mut out, mut len) = (b.zeros::<f64>(y.len())?, b.zeros::<u64>(1)?);
        let grid = Grid::from((4u32, 1024u32)).with_shared_bytes(1 << 20);
        let shared = reverse_blocks::launch(b, grid, &d, &mut out, &mut len);
        let mut a = b.zeros::<u64>(1 << 20)?;
        let grid = Grid::from((1u32 << 20, 1u32)).cooperative();
        let coop = grid_shift::launch(b, grid, &mut a, 1);
        let limit = |e: Error| matches!(e, Error::LimitExceeded { .. });
        Ok(shared.is_err_and(limit) && coop.is_err_and(limit) && b.get(&len)? == [0])
    })();
    row("limits (shared memory, co-residency)", "refused".into(), r);
}

/// The Laplace solver's loop as the Python program runs it (sweep, swap,
/// the largest change) for a few sweeps on a mesh whose left column is 1,
/// against the same arithmetic serially: the same bits.
fn laplace<B: Launch>(b: &B, row: &mut impl FnMut(&str, String, Check)) {
    let (n, m, sweeps) = (96, 64, 20);
    let mut a = Array2::<f64>::zeros((n, m));
    a.column_mut(0).fill(1.0);
    let (mut want, mut next) = (a.clone(), a.clone());
    let mut want_error = 0.0f64;
    for _ in 0..sweeps {
        want_error = 0.0;
        for j in 1..n - 1 {
            for i in 1..m - 1 {
                let v = 0.25
                    * (want[[j, i + 1]] + want[[j, i - 1]] + want[[j - 1, i]] + want[[j + 1, i]]);
                next[[j, i]] = v;
                want_error = want_error.max((v - want[[j, i]]).abs());
            }
        }
        std::mem::swap(&mut want, &mut next);
    }
    let r = (|| {
        let mut d_a = b.put(&a)?;
        let mut d_new = b.put(&a)?;
        let mut d_error = b.zeros::<f64>((n, m))?;
        let grid = ((m / TILE) as u32, (n / TILE) as u32);
        let mut error = 0.0;
        for _ in 0..sweeps {
            jacobi_relax_core::launch(
                b,
                (grid, (TILE as u32, TILE as u32)),
                &d_a,
                &mut d_new,
                &mut d_error,
            )
            .map_err(|e| e.to_string())?;
            error = b.get(&d_error)?.iter().fold(0.0f64, |e, v| e.max(v.abs()));
            std::mem::swap(&mut d_a, &mut d_new);
        }
        let got = b.get(&d_a)?;
        Ok(error == want_error
            && got
                .iter()
                .zip(want.iter())
                .all(|(g, w)| g.to_bits() == w.to_bits()))
    })();
    row(
        "jacobi_relax_core (laplace2d smem)",
        format!("{n}x{m}, {sweeps} sweeps"),
        r,
    );
}

/// Every warp call and the barrier's reductions at a full warp, a partial
/// last warp, 1024 threads and many blocks, against the warp's lanes
/// computed serially.
fn warps<B: Launch>(b: &B, row: &mut impl FnMut(&str, String, Check)) {
    for (blocks, threads) in [(1u32, 32u32), (3, 45), (1, 1024), (37, 64)] {
        let (t, n) = (threads as usize, (blocks * threads) as usize);
        let x: Vec<u32> = (0..n)
            .map(|i| {
                if i < 32 {
                    2 * i as u32 + 1
                } else {
                    (i as u32).wrapping_mul(2_654_435_761) >> 7
                }
            })
            .collect();
        let mut want = Vec::with_capacity(10 * n);
        let mut want_block = Vec::with_capacity(3 * n);
        for i in 0..n {
            let (blk, r) = (i / t, i % t);
            let first = blk * t + r / 32 * 32;
            let lanes = (t - r / 32 * 32).min(32);
            let lane = r % 32;
            let warp = &x[first..first + lanes];
            let bits = |f: &dyn Fn(u32) -> bool| {
                (0..lanes)
                    .filter(|&l| f(warp[l]))
                    .fold(0u32, |m, l| m | 1 << l)
            };
            let odd = |v: u32| v % 2 == 1;
            let v = x[i];
            let full = if lanes == 32 {
                u32::MAX
            } else {
                (1 << lanes) - 1
            };
            let (all, any) = (warp.iter().all(|&w| odd(w)), warp.iter().any(|&w| odd(w)));
            let at = |l: usize| warp[l];
            let shuffled = at((lane + 1) % lanes)
                .wrapping_add(at(lane.saturating_sub(1)))
                .wrapping_add(if lanes == 32 {
                    at((lane + 1).min(31)).wrapping_add(at(lane ^ 1))
                } else {
                    v.wrapping_add(v)
                });
            want.extend([
                bits(&odd),
                all as u32 | (any as u32) << 1 | ((all || !any) as u32) << 2,
                bits(&|w| w % 3 == v % 3),
                if warp.iter().all(|&w| w / 1000 == v / 1000) {
                    full
                } else {
                    0
                },
                full,
                (1u32 << lane) - 1,
                v.count_ones()
                    + 100 * if v == 0 { 0 } else { v.trailing_zeros() + 1 }
                    + 10_000 * v.leading_zeros(),
                v.reverse_bits(),
                shuffled,
                warp[0],
            ]);
            let block = &x[blk * t..(blk + 1) * t];
            let count = block.iter().filter(|&&w| odd(w)).count() as u32;
            want_block.extend([count, (count == threads) as u32, (count > 0) as u32]);
        }
        let r = (|| {
            let d = b.put(&x)?;
            let (mut w, mut v) = (b.zeros::<u32>(10 * n)?, b.zeros::<u32>(3 * n)?);
            warp_calls::launch(b, (blocks, threads), &d, &mut w).map_err(|e| e.to_string())?;
            barrier_votes::launch(b, (blocks, threads), &d, &mut v).map_err(|e| e.to_string())?;
            Ok(b.get(&w)? == want && b.get(&v)? == want_block)
        })();
        row(
            "warp_calls, barrier_votes",
            format!("[{blocks}, {threads}]"),
            r,
        );
    }
}
