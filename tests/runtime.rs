//! The pieces a computation spread over MPI ranks is built from, on every
//! backend's `Runtime`: a range of the Monte Carlo samples counts what the
//! whole count holds there, and the chunk sums are the serial loop's bits
//! (each within the pairwise sum's error bound of an exact reference).

mod common;

use common::{reference_sum, sum_error_bound, values};
use hotloop_core::Real;
use hotloop_core::philox::key_from_seed;
use hotloop_core::pi;
use hotloop_core::reduce::SUM_CHUNK;
use hotloop_cpu::pool::Pool;
use hotloop_cpu::runtime::{Parallel, Serial};
use hotloop_runtime::{Element, LaunchConfig, Runtime};
use std::num::NonZeroUsize;

/// Lengths on both sides of a chunk boundary, and several chunks.
const LENGTHS: [usize; 7] = [
    0,
    1,
    SUM_CHUNK - 1,
    SUM_CHUNK,
    SUM_CHUNK + 1,
    3 * SUM_CHUNK + 17,
    100_003,
];

fn same_bits<T: Element + Real>(a: &[T], b: &[T]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.to_f64().to_bits() == y.to_f64().to_bits())
}

fn chunk_sums_are_serials<R: Runtime>(rt: &R, name: &str) {
    for len in LENGTHS {
        let x = values(len);
        let want = Serial.sum_chunks(&x).unwrap();
        assert_eq!(want.len(), len.div_ceil(SUM_CHUNK), "{len}");
        for (c, (s, chunk)) in want.iter().zip(x.chunks(SUM_CHUNK)).enumerate() {
            let exact = reference_sum(chunk.iter().copied());
            let bound = sum_error_bound(chunk, f64::EPSILON);
            assert!(
                (s - exact).abs() <= bound,
                "chunk {c} of {len}: {s} vs {exact}"
            );
        }
        let got = rt.sum_chunks(&x).unwrap();
        assert!(same_bits(&got, &want), "{name}: chunk sums of {len} f64");
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let want32 = Serial.sum_chunks(&x32).unwrap();
        let got32 = rt.sum_chunks(&x32).unwrap();
        assert!(
            same_bits(&got32, &want32),
            "{name}: chunk sums of {len} f32"
        );
        // The pairwise tree over them is the sum.
        assert_eq!(
            hotloop_runtime::launch::finish_sum(&got).to_bits(),
            rt.sum(&x).unwrap().to_bits(),
            "{name}: {len}"
        );
    }
}

fn ranges_count_what_the_whole_holds<R: Runtime>(rt: &R, name: &str) {
    let (seed, n) = (2027u64, 200_001u64);
    let key = key_from_seed(seed);
    // Odd and even ends, one sample, the whole count, an empty range.
    for range in [0..n, 1..n, 0..n - 1, 77..78, 78..79, 12_345..150_000, 9..9] {
        let want = pi::count_hits(key, range.start, range.end);
        assert_eq!(
            rt.count_hits(seed, range.clone()).unwrap(),
            want,
            "{name}: {range:?}"
        );
    }
    let whole = rt.count_hits(seed, 0..n).unwrap();
    for cut in [1, 2, 3, n / 2, n / 2 + 1, n - 1] {
        let parts = rt.count_hits(seed, 0..cut).unwrap() + rt.count_hits(seed, cut..n).unwrap();
        assert_eq!(parts, whole, "{name}: cut at {cut}");
    }
}

fn check<R: Runtime>(rt: &R, name: &str) {
    chunk_sums_are_serials(rt, name);
    ranges_count_what_the_whole_holds(rt, name);
}

#[test]
fn cpu_runtimes_and_the_simulator() {
    // The pool's own code at every size, not its serial cutoff.
    hotloop_cpu::pool::set_serial_below_bytes(Some(0));
    check(&Serial, "serial");
    check(
        &Parallel::new(Pool::get(None).unwrap()),
        "parallel (current pool)",
    );
    check(
        &Parallel::new(Pool::get(NonZeroUsize::new(3)).unwrap()),
        "parallel (3 threads)",
    );
    check(&hotloop_sim::Sim { launch: None }, "simulator");
    let odd = Some(LaunchConfig::new(3, 7).unwrap());
    check(&hotloop_sim::Sim { launch: odd }, "simulator 3x7");
}

#[test]
#[ignore = "needs a CUDA device"]
fn cuda_runtime() {
    common::device();
    check(&hotloop_cuda::Cuda::new(0, None).unwrap(), "cuda:0");
    let odd = Some(LaunchConfig::new(3, 7).unwrap());
    check(&hotloop_cuda::Cuda::new(0, odd).unwrap(), "cuda:0 3x7");
}
