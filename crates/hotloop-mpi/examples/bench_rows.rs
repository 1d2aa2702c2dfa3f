//! The suite's MPI rows (`cargo xtask bench --ranks N`): one workload on
//! every rank of the job, timed with the ranks in step, checked on rank 0
//! against the one-process answer, and printed by rank 0 as one JSON line
//! that the suite turns into a row of its table.
//!
//! `mpirun -n 2 bench_rows pi --size 1000000000 --threads 1 --repeat 3`
//!
//! Each timed call starts after a barrier and ends when the slowest rank
//! is done (a barrier again), so a row's time is the job's, not rank 0's.

use clap::{Parser, ValueEnum};
use hotloop_core::index::Shape3;
use hotloop_core::stencil::{Boundary, Jacobi5, Planar};
use hotloop_cpu::store::StoreMode;
use hotloop_mpi::{Grid, Local, Slab, World, jacobi, monte_carlo_pi, sum};
use serde::Serialize;
use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::time::Instant;

/// One MPI row of the suite.
#[derive(Parser, Debug)]
struct Args {
    /// What to run.
    op: Op,
    /// Samples (pi), elements (sum, as a 3-D array of `size / 2^20`
    /// planes of 1024 x 1024), or the side of the square grid (jacobi).
    #[arg(long)]
    size: u64,
    /// Jacobi sweeps, the halos exchanged before each.
    #[arg(long, default_value_t = 100)]
    sweeps: usize,
    /// Threads per rank (1: each rank serial).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Timed calls after the first.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
}

#[derive(Clone, Copy, Debug, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
enum Op {
    /// Monte Carlo pi over contiguous shares of the sample index.
    Pi,
    /// The pairwise sum of a slab-distributed array.
    Sum,
    /// Jacobi sweeps of the 5-point stencil on a grid split by rows, with
    /// the Dirichlet value 1 beyond its edge.
    Jacobi,
}

/// What rank 0 prints: the facts of the row; the suite labels it.
#[derive(Serialize)]
struct RowFacts {
    op: Op,
    ranks: usize,
    threads: usize,
    size: u64,
    first_call_s: f64,
    repeats_s: Vec<f64>,
    /// The job's answer (hits, or the sum's bits), as the suite compares it.
    answer: String,
    /// The one-process answer, computed on rank 0 outside the timings.
    one_process: String,
    /// Jacobi: the median call's seconds in the halo exchange on the rank
    /// that waited least (the exchange's own cost; the others' includes
    /// waiting for a slower rank).
    #[serde(skip_serializing_if = "Option::is_none")]
    halo_s: Option<f64>,
}

/// Seed of the pi rows (the suite's own).
const SEED: u64 = 2024;

/// The summed array's element at flat index `i`: varied signs and
/// magnitudes, so the order of the additions shows in the bits.
fn value(i: usize) -> f64 {
    ((i % 9973) as f64 - 4986.0) * 1.000_000_7 + (i % 7) as f64 * 0.125
}

fn main() -> ExitCode {
    let world = match World::init() {
        Ok(w) => w,
        Err(e) => {
            eprintln!("bench_rows: {e}");
            return ExitCode::FAILURE;
        }
    };
    let args = Args::parse();
    let local = match args.threads {
        1 => Local::Serial,
        t => world.or_abort(Local::parallel(NonZeroUsize::new(t))),
    };
    let mut halo_s = None;
    let (facts_answer, one_process, timings) = match args.op {
        Op::Pi => {
            let run = || monte_carlo_pi(&world, &local, args.size, SEED).map(|c| c.hits);
            let (answer, timings) = timed(&world, args.repeat, run);
            let one = world
                .is_root()
                .then(|| hotloop_cpu::montecarlo::count_hits_serial(SEED, args.size));
            (answer.to_string(), one.map(|h| h.to_string()), timings)
        }
        Op::Sum => {
            let planes = (args.size as usize).div_ceil(1 << 20).max(1);
            let shape = [planes, 1024, 1024];
            let slab = world.or_abort(Slab::from_fn(&world, shape, |[i, j, k]| {
                value((i * 1024 + j) * 1024 + k)
            }));
            let run = || sum(&world, &local, &slab);
            let (answer, timings) = timed(&world, args.repeat, run);
            let one = world.is_root().then(|| {
                let all: Vec<f64> = (0..planes << 20).map(value).collect();
                hotloop_core::reduce::sum_slice(&all)
            });
            (
                format!("{:#x}", answer.to_bits()),
                one.map(|s| format!("{:#x}", s.to_bits())),
                timings,
            )
        }
        Op::Jacobi => {
            let n = args.size as usize;
            let boundary = Boundary::PadConstant(1.0f64);
            let grid = world.or_abort(Grid::from_fn(&world, [n, n], |[i, j]| grid_value(i, j)));
            let mut halos = Vec::new();
            let run = || {
                let out = jacobi(&world, &local, boundary, &grid, args.sweeps)?;
                halos.push(out.halo_seconds);
                sum(&world, &local, out.result.as_slab())
            };
            let (answer, timings) = timed(&world, args.repeat, run);
            halo_s = Some(least_halo(&world, &halos));
            let one = world
                .is_root()
                .then(|| one_process_jacobi(n, args.sweeps, boundary));
            (
                format!("{:#x}", answer.to_bits()),
                one.map(|s| format!("{:#x}", s.to_bits())),
                timings,
            )
        }
    };
    if let Some(one_process) = one_process {
        let (first_call_s, repeats_s) = timings;
        let facts = RowFacts {
            op: args.op,
            ranks: world.size(),
            threads: local.threads(),
            size: args.size,
            first_call_s,
            repeats_s,
            answer: facts_answer,
            one_process,
            halo_s,
        };
        println!("{}", world.or_abort(serde_json::to_string(&facts)));
    }
    ExitCode::SUCCESS
}

/// The Jacobi grid's starting value at row `i`, column `j`.
fn grid_value(i: usize, j: usize) -> f64 {
    ((i * 31 + j * 17) % 1000) as f64 * 1e-3
}

/// The median of this rank's halo seconds per call, least over the ranks.
fn least_halo(world: &World, halos: &[f64]) -> f64 {
    use hotloop_mpi::mpi::collective::SystemOperation;
    use hotloop_mpi::mpi::traits::*;
    let mut h = halos.to_vec();
    h.sort_by(f64::total_cmp);
    let mine = h.get(h.len() / 2).copied().unwrap_or(0.0);
    let mut least = 0.0f64;
    world
        .communicator()
        .all_reduce_into(&mine, &mut least, SystemOperation::min());
    least
}

/// `sweeps` one-process sweeps (hotloop-cpu's serial stencil, the
/// reference every backend matches), summed as the job sums its result.
fn one_process_jacobi(n: usize, sweeps: usize, boundary: Boundary<f64>) -> f64 {
    let shape = Shape3::new(1, n, n);
    let mut a: Vec<f64> = (0..n * n).map(|x| grid_value(x / n, x % n)).collect();
    let mut b = vec![0.0; n * n];
    for _ in 0..sweeps {
        hotloop_cpu::stencil::serial::run(
            &Planar(Jacobi5),
            &a,
            shape,
            boundary,
            &mut b,
            StoreMode::Auto,
        )
        .expect("Jacobi5 reads within its reach");
        std::mem::swap(&mut a, &mut b);
    }
    hotloop_core::reduce::sum_slice(&a)
}

/// The first call, then `repeat` timed calls, each between barriers; a
/// rank's error ends the job with it.
fn timed<T>(
    world: &World,
    repeat: usize,
    mut run: impl FnMut() -> hotloop_mpi::Result<T>,
) -> (T, (f64, Vec<f64>)) {
    let mut call = || {
        world.barrier();
        let t = Instant::now();
        let answer = world.or_abort(run());
        world.barrier();
        (answer, t.elapsed().as_secs_f64())
    };
    let (mut answer, first) = call();
    let mut repeats = Vec::with_capacity(repeat);
    for _ in 0..repeat {
        let (a, s) = call();
        answer = a;
        repeats.push(s);
    }
    (answer, (first, repeats))
}
