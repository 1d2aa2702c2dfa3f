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
use hotloop_mpi::{Local, Slab, World, monte_carlo_pi, sum};
use serde::Serialize;
use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::time::Instant;

/// One MPI row of the suite.
#[derive(Parser, Debug)]
struct Args {
    /// What to run.
    op: Op,
    /// Samples (pi) or elements (sum, as a 3-D array of `size / 2^20`
    /// planes of 1024 x 1024).
    #[arg(long)]
    size: u64,
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
        };
        println!("{}", world.or_abort(serde_json::to_string(&facts)));
    }
    ExitCode::SUCCESS
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
