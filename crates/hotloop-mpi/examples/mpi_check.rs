//! The distributed workloads checked bit for bit against hotloop's
//! one-process functions, run under `mpirun` (`cargo xtask test` runs it on
//! 1, 2, 3 and 4 ranks):
//!
//! ```text
//! cargo build --release -p hotloop-mpi --example mpi_check
//! mpirun -n 3 target/release/examples/mpi_check                  # the checks
//! mpirun -n 3 target/release/examples/mpi_check --fail-on-rank 1 # must abort
//! mpirun -n 2 target/release/examples/mpi_check --bench-pi 1e9 1 # timing
//! mpirun -n 2 target/release/examples/mpi_check --bench-jacobi 4096 100 1
//! target/release/examples/mpi_check --bench-jacobi-one 4096 100 2 # reference
//! ```
//!
//! The checks: pi; sum, min, max and count_where; add_scalar and maps;
//! scatter and gather; the 7-point Laplacian on slabs and the 5-point
//! Jacobi on grids (rows split) in every boundary mode, once and iterated
//! (1, 2 and 7 sweeps), kernels reaching past a neighbouring rank's planes;
//! on awkward sizes (fewer planes than ranks, one plane per rank, a prime
//! outer axis, empty arrays); and the typed errors, on every rank.
//!
//! Every rank computes each answer distributed and the one-process answer
//! on its own (the arrays here are small), and compares the bits; rank 0
//! prints one line per check, `✓` only where every rank agreed. The exit
//! status is non-zero if any check failed.

use hotloop_core::predicate::GreaterThan;
use hotloop_core::reduce::sum_slice;
use hotloop_cpu::montecarlo::{self, SAMPLES_PER_TASK};
use hotloop_cpu::reductions::serial as one;
use hotloop_mpi::mpi::collective::SystemOperation;
use hotloop_mpi::mpi::traits::*;
use hotloop_mpi::{Error, LaunchConfig, Local, MpiElement, Slab, World};
use ndarray::Array3;
use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::time::Instant;

/// The stencil checks and the Jacobi timing.
#[path = "mpi_check/stencil.rs"]
mod stencil;

fn main() -> ExitCode {
    let world = match World::init() {
        Ok(w) => w,
        Err(e) => {
            eprintln!("mpi_check: {e}");
            return ExitCode::FAILURE;
        }
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args[..] {
        [] => checks(&world),
        ["--fail-on-rank", r] => fail_on_rank(&world, r),
        ["--bench-pi", samples, threads] => bench_pi(&world, samples, threads),
        ["--bench-jacobi", n, sweeps, threads] => stencil::bench(&world, n, sweeps, threads, false),
        ["--bench-jacobi-one", n, sweeps, threads] => {
            stencil::bench(&world, n, sweeps, threads, true)
        }
        _ => {
            if world.is_root() {
                eprintln!(
                    "usage: mpi_check [--fail-on-rank R | --bench-pi SAMPLES THREADS_PER_RANK | \
                     --bench-jacobi N SWEEPS THREADS_PER_RANK | \
                     --bench-jacobi-one N SWEEPS THREADS]"
                );
            }
            ExitCode::FAILURE
        }
    }
}

/// The element types checked, with their bits for exact comparison.
trait Element: MpiElement {
    fn bit_pattern(self) -> u64;
}
impl Element for f32 {
    fn bit_pattern(self) -> u64 {
        self.to_bits().into()
    }
}
impl Element for f64 {
    fn bit_pattern(self) -> u64 {
        self.to_bits()
    }
}

/// Rank 0's tally of checks, each agreed over every rank.
struct Checks<'w> {
    world: &'w World,
    run: usize,
    failed: usize,
}

impl Checks<'_> {
    /// Records a check that passed on this rank if `ok`; it passes only if
    /// it passed on every rank (collective).
    fn check(&mut self, name: &str, ok: bool, detail: &str) {
        let mine = u8::from(!ok);
        let mut failing = 0u8;
        self.world
            .communicator()
            .all_reduce_into(&mine, &mut failing, SystemOperation::sum());
        self.run += 1;
        if failing != 0 {
            self.failed += 1;
        }
        if self.world.is_root() {
            let mark = if failing == 0 { "✓" } else { "✗" };
            let ranks = self.world.size();
            let who = if failing == 0 {
                String::new()
            } else {
                format!(" (wrong on {failing} of {ranks} ranks)")
            };
            println!("mpi_check {ranks} ranks: {mark} {name}: {detail}{who}");
        }
    }
}

fn checks(world: &World) -> ExitCode {
    let pool = match Local::parallel(NonZeroUsize::new(2)) {
        Ok(p) => p,
        Err(e) => world.or_abort(Err(e)),
    };
    let sim = world.or_abort(Local::simulator(None));
    let sim_3x7 = world.or_abort(Local::simulator(Some(
        world.or_abort(LaunchConfig::new(3, 7)),
    )));
    let mut locals = vec![
        ("serial", Local::Serial),
        ("2 threads", pool),
        ("simulator", sim),
        ("simulator 3x7", sim_3x7),
    ];
    // Every rank's GPU (device host-rank mod count) where the hosts have
    // them; the same checks there.
    match Local::cuda(world, None) {
        Ok(gpu) => locals.push(("cuda", gpu)),
        Err(e) if world.is_root() => println!("mpi_check: the cuda rows are skipped: {e}"),
        Err(_) => {}
    }
    let mut c = Checks {
        world,
        run: 0,
        failed: 0,
    };
    pi_checks(&mut c, &locals);
    for shape in [
        [1, 1, 1],
        [2, 3, 5],    // fewer slabs than ranks
        [4, 50, 97],  // one plane per rank on 4, planes cutting chunks
        [13, 37, 41], // a prime outer axis
        [3, 64, 64],  // a plane is exactly one chunk
        [1, 1, 100_003],
        [100_003, 1, 1], // a 1-D array: a plane is one element
        [7, 300, 301],
        [0, 4, 4], // empty
    ] {
        for (name, local) in &locals {
            reduction_checks::<f64>(&mut c, local, name, shape, Values::Mixed);
            reduction_checks::<f32>(&mut c, local, name, shape, Values::Mixed);
        }
    }
    for values in [Values::SignedZeros, Values::WithNan] {
        reduction_checks::<f64>(&mut c, &locals[1].1, "2 threads", [13, 37, 41], values);
        reduction_checks::<f32>(&mut c, &Local::Serial, "serial", [5, 1, 9001], values);
    }
    for shape in [
        [1, 1, 1],
        [2, 3, 5],
        [4, 50, 97],
        [13, 37, 41],
        [100_003, 1, 1],
        [0, 4, 4],
    ] {
        for (name, local) in &locals {
            elementwise_checks::<f64>(&mut c, local, name, shape);
            elementwise_checks::<f32>(&mut c, local, name, shape);
        }
    }
    scatter_checks::<f64>(&mut c, [13, 37, 41]);
    scatter_checks::<f32>(&mut c, [2, 3, 5]);
    scatter_checks::<f64>(&mut c, [0, 2, 2]);
    error_checks(&mut c);
    stencil::checks(&mut c, &locals);
    if world.is_root() {
        println!(
            "mpi_check {} ranks: {} checks, {} failed",
            world.size(),
            c.run,
            c.failed
        );
    }
    if c.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn pi_checks(c: &mut Checks, locals: &[(&str, Local)]) {
    // Fewer samples than ranks, odd counts (a share starting mid-block),
    // and a count spanning several parallel tasks.
    for samples in [1u64, 2, 3, 1001, 3 * SAMPLES_PER_TASK + 5] {
        for seed in [42u64, u64::MAX] {
            let want = montecarlo::count_hits_serial(seed, samples);
            for (name, local) in locals {
                let got = c
                    .world
                    .or_abort(hotloop_mpi::monte_carlo_pi(c.world, local, samples, seed));
                c.check(
                    &format!("pi {samples} samples seed {seed} {name}"),
                    got.hits == want && got.samples == samples,
                    &format!("{} hits, one process {want}", got.hits),
                );
            }
        }
    }
}

/// The element values of the reduction checks.
#[derive(Clone, Copy, Debug)]
enum Values {
    /// Signs and magnitudes over seven decades, so a sum in another order
    /// rounds differently.
    Mixed,
    /// Only `+0.0` and `-0.0`: min is `-0.0`, max `+0.0`.
    SignedZeros,
    /// Mixed, with two NaNs of different payloads.
    WithNan,
}

/// Element `i` (row-major global index) of the checks' arrays.
fn value<T: MpiElement>(values: Values, len: usize, i: usize) -> T {
    let mut h = (i as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    let mixed = ((h >> 11) as f64 * 2f64.powi(-53) - 0.5) * 10f64.powi((h % 7) as i32 - 3);
    let x = match values {
        Values::Mixed => mixed,
        Values::SignedZeros => {
            if h.is_multiple_of(3) {
                -0.0
            } else {
                0.0
            }
        }
        Values::WithNan if i == len / 3 => f64::from_bits(0x7ff8_0000_0000_0abc),
        Values::WithNan if i == len - 1 => f64::from_bits(0xfff8_0000_0000_0def),
        Values::WithNan => mixed,
    };
    T::from_f64(x)
}

fn global_index(shape: [usize; 3], [i, j, k]: [usize; 3]) -> usize {
    (i * shape[1] + j) * shape[2] + k
}

/// sum, min, max and count_where of a slab-distributed array against the
/// one-process functions over the whole array, bit for bit.
fn reduction_checks<T: Element>(
    c: &mut Checks,
    local: &Local,
    name: &str,
    shape: [usize; 3],
    values: Values,
) {
    let len: usize = shape.iter().product();
    let whole: Vec<T> = (0..len).map(|i| value(values, len, i)).collect();
    let slab = c.world.or_abort(Slab::from_fn(c.world, shape, |ix| {
        value::<T>(values, len, global_index(shape, ix))
    }));
    let what = format!("{shape:?} {} {values:?} {name}", T::NAME);
    let bits = |x: T| format!("{:#x}", x.bit_pattern());

    let got = c.world.or_abort(hotloop_mpi::sum(c.world, local, &slab));
    let want = sum_slice(&whole);
    let also = hotloop_cpu::serial::sum(&whole);
    c.check(
        &format!("sum {what}"),
        got.bit_pattern() == want.bit_pattern() && also.bit_pattern() == want.bit_pattern(),
        &format!("{got:?} ({}), one process {want:?}", bits(got)),
    );

    for (op, got, want) in [
        (
            "min",
            hotloop_mpi::min(c.world, local, &slab),
            one::min(&whole),
        ),
        (
            "max",
            hotloop_mpi::max(c.world, local, &slab),
            one::max(&whole),
        ),
    ] {
        let (ok, detail) = match (got, want) {
            (Ok(g), Some(w)) => (
                g.bit_pattern() == w.bit_pattern(),
                format!("{g:?} ({}), one process {w:?}", bits(g)),
            ),
            (Err(Error::EmptyInput { .. }), None) => (true, "empty, as one process".into()),
            (g, w) => (false, format!("{g:?}, one process {w:?}")),
        };
        c.check(&format!("{op} {what}"), ok, &detail);
    }

    let pred = GreaterThan(T::from_f64(0.01));
    let got = c
        .world
        .or_abort(hotloop_mpi::count_where(c.world, local, &pred, &slab));
    let want = one::count_where(&pred, &whole);
    c.check(
        &format!("count_where > 0.01 {what}"),
        got == want,
        &format!("{got}, one process {want}"),
    );
}

/// Whether two slices hold the same bits.
fn same_bits<T: Element>(a: &[T], b: &[T]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.bit_pattern() == y.bit_pattern())
}

/// add_scalar and maps on a slab against hotloop-cpu's one-process forms
/// over the whole array: each rank's planes must hold the one-process
/// output's bits at their global place.
fn elementwise_checks<T: Element>(c: &mut Checks, local: &Local, name: &str, shape: [usize; 3]) {
    use hotloop_core::map::{Affine, Exp, Sigmoid};
    use hotloop_cpu::store::StoreMode;
    let len: usize = shape.iter().product();
    let whole: Vec<T> = (0..len).map(|i| value(Values::Mixed, len, i)).collect();
    let slab = c.world.or_abort(Slab::from_fn(c.world, shape, |ix| {
        value::<T>(Values::Mixed, len, global_index(shape, ix))
    }));
    let what = format!("{shape:?} {} {name}", T::NAME);
    let mine = slab.elements();
    let mut want = vec![T::ZERO; len];
    let check = |c: &mut Checks, op: &str, got: &Slab<T>, want: &[T]| {
        c.check(
            &format!("{op} {what}"),
            got.planes() == slab.planes() && same_bits(got.as_slice(), &want[mine.clone()]),
            &format!("this rank's planes {:?} as one process", got.planes()),
        );
    };

    let scalar = T::from_f64(0.1);
    hotloop_cpu::serial::add_scalar_vectorized(&whole, scalar, &mut want, StoreMode::Cached);
    let got = c
        .world
        .or_abort(hotloop_mpi::add_scalar(c.world, local, &slab, scalar));
    check(c, "add_scalar 0.1", &got, &want);
    let mut inplace = slab.clone();
    c.world.or_abort(hotloop_mpi::add_scalar_in_place(
        local,
        &mut inplace,
        scalar,
    ));
    check(c, "add_scalar_in_place 0.1", &inplace, &want);

    let affine = Affine {
        a: T::from_f64(-1.5),
        b: T::from_f64(0.3),
    };
    hotloop_cpu::map::serial::map(&affine, &whole, &mut want, StoreMode::Cached);
    let got = c
        .world
        .or_abort(hotloop_mpi::map(c.world, local, &affine, &slab));
    check(c, "map Affine", &got, &want);
    let mut inplace = slab.clone();
    c.world
        .or_abort(hotloop_mpi::map_in_place(local, &affine, &mut inplace));
    check(c, "map_in_place Affine", &inplace, &want);

    hotloop_cpu::map::serial::map(&Exp, &whole, &mut want, StoreMode::Cached);
    let got = c
        .world
        .or_abort(hotloop_mpi::map(c.world, local, &Exp, &slab));
    check(c, "map Exp", &got, &want);
    hotloop_cpu::map::serial::map(&Sigmoid, &whole, &mut want, StoreMode::Cached);
    let got = c
        .world
        .or_abort(hotloop_mpi::map(c.world, local, &Sigmoid, &slab));
    check(c, "map Sigmoid", &got, &want);
    // A user's op: a closure.
    let cube = |x: T| x * x * x - x;
    hotloop_cpu::map::serial::map(&cube, &whole, &mut want, StoreMode::Cached);
    let got = c
        .world
        .or_abort(hotloop_mpi::map(c.world, local, &cube, &slab));
    check(c, "map closure x^3 - x", &got, &want);
}

/// Scatter from rank 0 and gather back: the same bits as the array, the
/// slabs those of [`Slab::from_fn`], and the sum of the scattered slabs the
/// one-process sum.
fn scatter_checks<T: Element>(c: &mut Checks, shape: [usize; 3]) {
    let len: usize = shape.iter().product();
    let whole = Array3::from_shape_fn((shape[0], shape[1], shape[2]), |(i, j, k)| {
        value::<T>(Values::Mixed, len, global_index(shape, [i, j, k]))
    });
    let input = c.world.is_root().then(|| whole.view());
    let slab = c.world.or_abort(hotloop_mpi::scatter(c.world, input));
    let built = c.world.or_abort(Slab::from_fn(c.world, shape, |ix| {
        value::<T>(Values::Mixed, len, global_index(shape, ix))
    }));
    let same = |a: &[T], b: &[T]| {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.bit_pattern() == y.bit_pattern())
    };
    let name = format!("{shape:?} {}", T::NAME);
    c.check(
        &format!("scatter {name}"),
        slab.planes() == built.planes() && same(slab.as_slice(), built.as_slice()),
        &format!("this rank's planes {:?}", slab.planes()),
    );
    let got = c
        .world
        .or_abort(hotloop_mpi::sum(c.world, &Local::Serial, &slab));
    let want = sum_slice(whole.as_slice().expect("standard layout"));
    c.check(
        &format!("sum of scattered {name}"),
        got.bit_pattern() == want.bit_pattern(),
        &format!("{got:?}, one process {want:?}"),
    );
    let back = c.world.or_abort(hotloop_mpi::gather(c.world, &slab));
    let ok = match &back {
        Some(b) => {
            c.world.is_root()
                && b.dim() == whole.dim()
                && same(
                    b.as_slice().expect("standard"),
                    whole.as_slice().expect("standard"),
                )
        }
        None => !c.world.is_root(),
    };
    c.check(
        &format!("gather {name}"),
        ok,
        "rank 0 holds the array, bit for bit",
    );
}

/// Bad input fails on every rank with a typed error, and no rank hangs.
fn error_checks(c: &mut Checks) {
    let world = c.world;
    let local = Local::Serial;
    let r = hotloop_mpi::monte_carlo_pi(world, &local, 0, 1);
    c.check(
        "pi of 0 samples is ZeroSamples",
        matches!(r, Err(Error::ZeroSamples)),
        &format!("{r:?}"),
    );
    let r = hotloop_mpi::monte_carlo_pi(world, &local, u64::MAX, 1);
    c.check(
        "pi of u64::MAX samples is TooManySamples",
        matches!(r, Err(Error::TooManySamples { .. })),
        &format!("{r:?}"),
    );
    let r = hotloop_mpi::monte_carlo_pi(world, &local, 1000 + world.rank() as u64, 1);
    let want_invalid = world.size() > 1;
    c.check(
        "pi with samples differing between ranks is InvalidArgument",
        matches!(r, Err(Error::InvalidArgument { .. })) == want_invalid,
        &format!("{r:?}"),
    );
    // Rank 0 passes nothing: it fails, the others say it did.
    let r = hotloop_mpi::scatter::<f64>(world, None);
    let ok = match &r {
        Err(Error::InvalidArgument { .. }) => world.is_root(),
        Err(Error::RemoteRank { rank: 0, message }) => {
            !world.is_root() && message.contains("rank 0 must pass")
        }
        _ => false,
    };
    c.check(
        "scatter without an input fails on every rank",
        ok,
        &format!("{r:?}"),
    );
    // A transposed view is not in standard layout.
    let a = Array3::<f64>::zeros((3, 4, 5));
    let view = a.view().reversed_axes();
    let r = hotloop_mpi::scatter(world, world.is_root().then_some(view));
    let ok = match &r {
        Err(Error::NotContiguous { .. }) => world.is_root(),
        Err(Error::RemoteRank { rank: 0, .. }) => !world.is_root(),
        _ => false,
    };
    c.check(
        "scatter of a non-contiguous view fails on every rank",
        ok,
        &format!("{r:?}"),
    );
    // A slab that cannot fit: refused before anything is allocated.
    let r = Slab::<f64>::from_fn(world, [1 << 20, 1 << 20, 1 << 10], |_| 0.0);
    c.check(
        "a slab beyond memory is InsufficientMemory",
        matches!(
            r,
            Err(Error::InsufficientMemory { .. } | Error::AllocationFailed { .. })
        ),
        &format!("{:?}", r.as_ref().map(|_| ()).unwrap_err()),
    );
    // The wrong shape of local data: rank 0's is wrong, every rank fails.
    let shape = [4, 2, 2];
    let planes = Slab::<f64>::planes_of(4, world.size(), world.rank()).len();
    let rows = if world.is_root() { 3 } else { 2 };
    let r = Slab::from_local(world, shape, Array3::<f64>::zeros((planes, rows, 2)));
    let ok = match &r {
        Err(Error::ShapeMismatch { .. }) => world.is_root(),
        Err(Error::RemoteRank { rank: 0, .. }) => !world.is_root(),
        _ => false,
    };
    c.check(
        "local data of the wrong shape fails on every rank",
        ok,
        &format!("{:?}", r.as_ref().map(|_| ())),
    );
}

/// Rank `r` (the last rank if there are fewer) fails while the others wait
/// for it in a collective call: the job must end, with its error.
fn fail_on_rank(world: &World, r: &str) -> ExitCode {
    let Ok(r) = r.parse::<usize>() else {
        eprintln!("mpi_check: --fail-on-rank takes a rank number, not `{r}`");
        return ExitCode::FAILURE;
    };
    let failing = r.min(world.size() - 1);
    if world.rank() == failing {
        let e: Result<(), Error> = Err(Error::InvalidArgument {
            what: "mpi_check --fail-on-rank",
            reason: format!("rank {failing} fails on purpose"),
        });
        world.or_abort(e);
    }
    // Waits for the failed rank forever, unless the abort ends the job.
    let r = hotloop_mpi::monte_carlo_pi(world, &Local::Serial, 1 << 20, 1);
    eprintln!("mpi_check: rank {} was not stopped: {r:?}", world.rank());
    ExitCode::FAILURE
}

/// Times the distributed pi count (each rank on `threads` threads) and, on
/// rank 0 alone, the one-process count on `threads` threads for the same
/// samples, checking that the counts agree.
fn bench_pi(world: &World, samples: &str, threads: &str) -> ExitCode {
    let (Ok(samples), Ok(threads)) = (samples.parse::<f64>(), threads.parse::<usize>()) else {
        eprintln!("mpi_check: --bench-pi takes a sample count and a thread count");
        return ExitCode::FAILURE;
    };
    let samples = samples as u64;
    let local = match NonZeroUsize::new(threads) {
        Some(t) if t.get() > 1 => world.or_abort(Local::parallel(Some(t))),
        _ => Local::Serial,
    };
    // A warm-up on a small count: the pool's threads started, pages touched.
    world.or_abort(hotloop_mpi::monte_carlo_pi(world, &local, 1 << 24, 3));
    world.barrier();
    let t = Instant::now();
    let got = world.or_abort(hotloop_mpi::monte_carlo_pi(world, &local, samples, 7));
    let distributed = t.elapsed().as_secs_f64();
    if world.is_root() {
        println!(
            "mpi_check bench-pi: {samples} samples on {} ranks x {} threads: {distributed:.3} s \
             ({:.3e} samples/s), {} hits",
            world.size(),
            local.threads(),
            samples as f64 / distributed,
            got.hits
        );
    }
    ExitCode::SUCCESS
}
