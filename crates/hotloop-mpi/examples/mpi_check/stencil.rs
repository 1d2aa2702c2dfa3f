//! mpi_check's stencils: the 7-point Laplacian on slabs and the 5-point
//! Jacobi on grids, once and iterated, in every boundary mode, against
//! hotloop-cpu's one-process stencil bit for bit; kernels reaching further
//! than one rank's planes; the errors; and `--bench-jacobi`.

use super::{Checks, Element, Values, global_index, same_bits, value};
use hotloop_core::index::Shape3;
use hotloop_core::stencil::{Boundary, Jacobi5, Laplacian7, Planar, Stencil2, Stencil3};
use hotloop_cpu::stencil::{parallel, serial};
use hotloop_cpu::store::StoreMode;
use hotloop_mpi::{Error, Grid, Local, Slab, World};
use ndarray::Array2;
use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::time::Instant;

/// Every boundary mode, with more than one constant.
fn boundaries<T: Element>() -> [Boundary<T>; 5] {
    [
        Boundary::FillBorder(T::ZERO),
        Boundary::FillBorder(T::from_f64(-4.5)),
        Boundary::PadConstant(T::from_f64(2.5)),
        Boundary::PadConstant(T::ZERO),
        Boundary::Clamp,
    ]
}

/// A 3-D kernel reaching 2 planes down and 3 up along the split axis: on
/// 4 ranks of [5, ..] (2, 1, 1, 1 planes) a halo comes from 3 ranks away.
#[derive(Clone, Copy)]
struct Wide3;
impl<T: hotloop_core::Real> Stencil3<T> for Wide3 {
    const NEIGHBOURHOOD: [(isize, isize); 3] = [(-2, 3), (-1, 1), (0, 0)];
    fn apply<A: Fn(isize, isize, isize) -> T>(&self, at: A) -> T {
        T::from_f64(0.5) * at(-2, 0, 0) - at(3, 0, 0) + at(0, 1, 0) * T::from_f64(0.25)
            - at(0, -1, 0)
            + at(1, 0, 0)
    }
}

/// A 2-D kernel reaching 3 rows up and 1 down, and only to the right.
#[derive(Clone, Copy)]
struct Wide2;
impl<T: hotloop_core::Real> Stencil2<T> for Wide2 {
    const NEIGHBOURHOOD: [(isize, isize); 2] = [(-3, 1), (0, 2)];
    fn apply<A: Fn(isize, isize) -> T>(&self, at: A) -> T {
        at(-3, 0) * T::from_f64(0.75) + at(1, 2) - at(0, 1) * T::from_f64(0.125)
    }
}

/// A kernel reading only planes below and above it, never its own.
#[derive(Clone, Copy)]
struct Shifted;
impl<T: hotloop_core::Real> Stencil3<T> for Shifted {
    const NEIGHBOURHOOD: [(isize, isize); 3] = [(1, 2), (0, 0), (0, 0)];
    fn apply<A: Fn(isize, isize, isize) -> T>(&self, at: A) -> T {
        at(1, 0, 0) - T::from_f64(2.0) * at(2, 0, 0)
    }
}

/// Reads beyond its declared reach where the value is above 100: an error
/// found only when the data takes the branch.
#[derive(Clone, Copy)]
struct DataDependent;
impl Stencil3<f64> for DataDependent {
    const NEIGHBOURHOOD: [(isize, isize); 3] = [(-1, 1), (0, 0), (0, 0)];
    fn apply<A: Fn(isize, isize, isize) -> f64>(&self, at: A) -> f64 {
        if at(0, 0, 0) > 100.0 {
            at(0, 0, 2)
        } else {
            at(-1, 0, 0) + at(1, 0, 0)
        }
    }
}

/// A declaration that cannot be used: reversed bounds.
#[derive(Clone, Copy)]
struct Reversed;
impl Stencil3<f64> for Reversed {
    const NEIGHBOURHOOD: [(isize, isize); 3] = [(1, -1), (0, 0), (0, 0)];
    fn apply<A: Fn(isize, isize, isize) -> f64>(&self, at: A) -> f64 {
        at(0, 0, 0)
    }
}

/// The one-process stencil on the whole row-major array.
fn one_process<T: Element, K: Stencil3<T>>(
    kernel: &K,
    whole: &[T],
    shape: Shape3,
    boundary: Boundary<T>,
) -> Vec<T> {
    let mut out = vec![T::ZERO; whole.len()];
    serial::run(kernel, whole, shape, boundary, &mut out, StoreMode::Cached)
        .expect("the checks' kernels read inside their reach");
    out
}

/// `sweeps` one-process stencils in a row, buffers swapped.
fn one_process_sweeps<T: Element, K: Stencil3<T>>(
    kernel: &K,
    whole: &[T],
    shape: Shape3,
    boundary: Boundary<T>,
    sweeps: usize,
) -> Vec<T> {
    let mut cur = whole.to_vec();
    for _ in 0..sweeps {
        cur = one_process(kernel, &cur, shape, boundary);
    }
    cur
}

pub(super) fn checks(c: &mut Checks, locals: &[(&str, Local)]) {
    let lap = Laplacian7 { scale: 0.5f64 };
    let lap32 = Laplacian7 { scale: 0.5f32 };
    for shape in [
        [1, 1, 1],
        [2, 3, 5],    // fewer planes than ranks on 3 and 4
        [4, 50, 97],  // one plane per rank on 4
        [3, 4, 1],    // one plane per rank on 3, a plane of one column
        [13, 37, 41], // a prime outer axis
        [7, 1, 300],
        [0, 4, 4], // empty
    ] {
        for (name, local) in locals {
            slab_checks(c, local, name, &lap, "Laplacian7", shape);
        }
        slab_checks(c, &Local::Serial, "serial", &lap32, "Laplacian7", shape);
    }
    for shape in [[5, 6, 7], [13, 4, 5], [2, 3, 3]] {
        for (name, local) in locals {
            slab_checks::<f64, _>(c, local, name, &Wide3, "Wide3 reach (-2, 3)", shape);
            slab_checks::<f64, _>(c, local, name, &Shifted, "Shifted reach (1, 2)", shape);
        }
    }
    for shape in [
        [1, 1],
        [2, 7],   // fewer rows than ranks on 3 and 4
        [3, 5],   // one row per rank on 3
        [4, 33],  // one row per rank on 4
        [13, 17], // a prime number of rows
        [31, 64],
        [0, 3],
    ] {
        for (name, local) in locals {
            grid_checks::<f64, _>(c, local, name, &Jacobi5, "Jacobi5", shape, &[1, 2, 7]);
        }
        grid_checks::<f32, _>(
            c,
            &Local::Serial,
            "serial",
            &Jacobi5,
            "Jacobi5",
            shape,
            &[1, 7],
        );
        grid_checks::<f64, _>(
            c,
            &locals[0].1,
            locals[0].0,
            &Wide2,
            "Wide2",
            shape,
            &[1, 2],
        );
    }
    for (name, local) in locals {
        iterate_3d_checks(c, local, name, [13, 10, 11], &[0, 2, 7]);
        iterate_3d_checks(c, local, name, [2, 3, 5], &[2]);
    }
    grid_scatter_checks(c, [13, 17]);
    grid_scatter_checks(c, [2, 5]);
    error_checks(c);
}

/// A 3-D stencil on a slab against the one-process stencil: each rank's
/// planes hold the one-process output's bits at their global place.
fn slab_checks<T: Element, K: Stencil3<T>>(
    c: &mut Checks,
    local: &Local,
    name: &str,
    kernel: &K,
    kernel_name: &str,
    shape: [usize; 3],
) {
    let len: usize = shape.iter().product();
    let whole: Vec<T> = (0..len).map(|i| value(Values::Mixed, len, i)).collect();
    let input = c.world.or_abort(Slab::from_fn(c.world, shape, |ix| {
        value::<T>(Values::Mixed, len, global_index(shape, ix))
    }));
    let [a, b, d] = shape;
    for boundary in boundaries::<T>() {
        let want = one_process(kernel, &whole, Shape3::new(a, b, d), boundary);
        let got = c.world.or_abort(hotloop_mpi::stencil(
            c.world, local, kernel, boundary, &input,
        ));
        c.check(
            &format!(
                "stencil {kernel_name} {boundary:?} {shape:?} {} {name}",
                T::NAME
            ),
            got.planes() == input.planes() && same_bits(got.as_slice(), &want[input.elements()]),
            &format!("this rank's planes {:?} as one process", got.planes()),
        );
    }
}

/// A 2-D stencil on a grid, once and `sweeps` times, against the
/// one-process stencil on the whole grid (as `Planar` on `[1, ny, nx]`).
fn grid_checks<T: Element, K: Stencil2<T>>(
    c: &mut Checks,
    local: &Local,
    name: &str,
    kernel: &K,
    kernel_name: &str,
    [ny, nx]: [usize; 2],
    sweeps: &[usize],
) {
    let len = ny * nx;
    let whole: Vec<T> = (0..len).map(|i| value(Values::Mixed, len, i)).collect();
    let input = c.world.or_abort(Grid::from_fn(c.world, [ny, nx], |[i, j]| {
        value::<T>(Values::Mixed, len, i * nx + j)
    }));
    let shape = Shape3::new(1, ny, nx);
    let planar = Planar(*kernel);
    for boundary in boundaries::<T>() {
        let what = format!("{kernel_name} {boundary:?} [{ny}, {nx}] {} {name}", T::NAME);
        let want = one_process(&planar, &whole, shape, boundary);
        let got = c.world.or_abort(hotloop_mpi::stencil_2d(
            c.world, local, kernel, boundary, &input,
        ));
        c.check(
            &format!("stencil_2d {what}"),
            got.rows() == input.rows() && same_bits(got.as_slice(), &want[input.elements()]),
            &format!("this rank's rows {:?} as one process", got.rows()),
        );
        for &n in sweeps {
            let want = one_process_sweeps(&planar, &whole, shape, boundary, n);
            let got = c.world.or_abort(hotloop_mpi::iterate_2d(
                c.world, local, kernel, boundary, &input, n,
            ));
            c.check(
                &format!("iterate_2d {n} sweeps {what}"),
                got.sweeps == n
                    && got.result.rows() == input.rows()
                    && same_bits(got.result.as_slice(), &want[input.elements()])
                    && got.halo_seconds >= 0.0
                    && got.compute_seconds >= 0.0,
                &format!(
                    "rows {:?} as {n} one-process sweeps; halo {:.1e} s, compute {:.1e} s",
                    got.result.rows(),
                    got.halo_seconds,
                    got.compute_seconds
                ),
            );
        }
    }
}

/// The iterated 3-D Laplacian (a heat step) against one-process sweeps.
fn iterate_3d_checks(
    c: &mut Checks,
    local: &Local,
    name: &str,
    shape: [usize; 3],
    sweeps: &[usize],
) {
    let len: usize = shape.iter().product();
    let whole: Vec<f64> = (0..len).map(|i| value(Values::Mixed, len, i)).collect();
    let input = c.world.or_abort(Slab::from_fn(c.world, shape, |ix| {
        value::<f64>(Values::Mixed, len, global_index(shape, ix))
    }));
    let kernel = Laplacian7 { scale: 0.1 };
    let [a, b, d] = shape;
    for boundary in boundaries::<f64>() {
        for &n in sweeps {
            let want = one_process_sweeps(&kernel, &whole, Shape3::new(a, b, d), boundary, n);
            let got = c.world.or_abort(hotloop_mpi::iterate(
                c.world, local, &kernel, boundary, &input, n,
            ));
            c.check(
                &format!("iterate Laplacian7 {n} sweeps {boundary:?} {shape:?} f64 {name}"),
                got.sweeps == n && same_bits(got.result.as_slice(), &want[input.elements()]),
                &format!("planes {:?} as {n} one-process sweeps", got.result.planes()),
            );
        }
    }
}

/// scatter_grid and gather_grid: rows as Grid::from_fn makes them, and
/// the whole grid back on rank 0.
fn grid_scatter_checks(c: &mut Checks, [ny, nx]: [usize; 2]) {
    let len = ny * nx;
    let whole = Array2::from_shape_fn((ny, nx), |(i, j)| {
        value::<f64>(Values::Mixed, len, i * nx + j)
    });
    let grid = c.world.or_abort(hotloop_mpi::scatter_grid(
        c.world,
        c.world.is_root().then(|| whole.view()),
    ));
    let built = c.world.or_abort(Grid::from_fn(c.world, [ny, nx], |[i, j]| {
        value::<f64>(Values::Mixed, len, i * nx + j)
    }));
    c.check(
        &format!("scatter_grid [{ny}, {nx}]"),
        grid.rows() == built.rows()
            && grid.local().dim() == (built.rows().len(), nx)
            && same_bits(grid.as_slice(), built.as_slice()),
        &format!("this rank's rows {:?}", grid.rows()),
    );
    let back = c.world.or_abort(hotloop_mpi::gather_grid(c.world, &grid));
    let ok = match &back {
        Some(b) => {
            c.world.is_root()
                && b.dim() == whole.dim()
                && same_bits(
                    b.as_slice().expect("standard"),
                    whole.as_slice().expect("standard"),
                )
        }
        None => !c.world.is_root(),
    };
    c.check(
        &format!("gather_grid [{ny}, {nx}]"),
        ok,
        "rank 0 holds the grid, bit for bit",
    );
}

/// A read outside the declared reach on one rank fails the call on every
/// rank (that rank's error, the others naming it); an unusable declaration
/// fails everywhere before any message; no rank hangs.
fn error_checks(c: &mut Checks) {
    let world = c.world;
    let shape = [9, 3, 3];
    // One cell of plane 6 takes the branch reading outside the reach.
    let trigger = [6, 1, 1];
    let slab = world.or_abort(Slab::from_fn(world, shape, |ix| {
        if ix == trigger { 1000.0 } else { 1.0 }
    }));
    let holder = (0..world.size())
        .find(|&r| Slab::<f64>::planes_of(9, world.size(), r).contains(&6))
        .expect("some rank holds plane 6");
    for (name, r) in [
        (
            "stencil",
            hotloop_mpi::stencil(
                world,
                &Local::Serial,
                &DataDependent,
                Boundary::Clamp,
                &slab,
            )
            .map(|_| ()),
        ),
        (
            "iterate 3 sweeps",
            hotloop_mpi::iterate(
                world,
                &Local::Serial,
                &DataDependent,
                Boundary::Clamp,
                &slab,
                3,
            )
            .map(|_| ()),
        ),
    ] {
        let ok = match &r {
            Err(Error::OutsideNeighbourhood { .. }) => world.rank() == holder,
            Err(Error::RemoteRank { rank, .. }) => world.rank() != holder && *rank == holder,
            _ => false,
        };
        c.check(
            &format!("{name}: a read outside the reach on rank {holder} fails on every rank"),
            ok,
            &format!("{r:?}"),
        );
    }
    let r = hotloop_mpi::stencil(world, &Local::Serial, &Reversed, Boundary::Clamp, &slab);
    c.check(
        "stencil with a reversed neighbourhood is InvalidNeighbourhood on every rank",
        matches!(r, Err(Error::InvalidNeighbourhood { .. })),
        &format!("{:?}", r.map(|_| ())),
    );
}

/// `--bench-jacobi N SWEEPS THREADS` (distributed: each rank on THREADS
/// threads, halo exchanged every sweep) or `--bench-jacobi-one N SWEEPS
/// THREADS` (the one-process reference on rank 0 alone: hotloop-cpu's
/// parallel stencil in a loop, buffers swapped): Jacobi5 on an N x N
/// grid, `PadConstant(1.0)` (a Dirichlet edge), after a one-sweep warm-up.
/// Prints, from rank 0, the total, halo and compute seconds and the sum
/// of the result (its bits, to compare the two modes).
pub(super) fn bench(world: &World, n: &str, sweeps: &str, threads: &str, one: bool) -> ExitCode {
    let (Ok(n), Ok(sweeps), Ok(threads)) = (
        n.parse::<f64>(),
        sweeps.parse::<usize>(),
        threads.parse::<usize>(),
    ) else {
        eprintln!("mpi_check: --bench-jacobi takes a grid side, a sweep count and a thread count");
        return ExitCode::FAILURE;
    };
    let n = n as usize;
    let local = match NonZeroUsize::new(threads) {
        Some(t) if t.get() > 1 || one => world.or_abort(Local::parallel(Some(t))),
        _ => Local::Serial,
    };
    let boundary = Boundary::PadConstant(1.0f64);
    let init = |i: usize, j: usize| ((i * 31 + j * 17) % 1000) as f64 * 1e-3;
    if one {
        if !world.is_root() {
            return ExitCode::SUCCESS;
        }
        let Local::Parallel(pool) = &local else {
            unreachable!("--bench-jacobi-one runs on a pool")
        };
        let shape = Shape3::new(1, n, n);
        let k = Planar(Jacobi5);
        let sweep = |a: &[f64], b: &mut [f64]| {
            world.or_abort(
                parallel::run(pool, &k, a, shape, boundary, b, StoreMode::Auto)
                    .map_err(Error::from),
            )
        };
        {
            let a: Vec<f64> = (0..n * n).map(|x| init(x / n, x % n)).collect();
            let mut b = vec![0.0; n * n];
            sweep(&a, &mut b);
        }
        let mut a: Vec<f64> = (0..n * n).map(|x| init(x / n, x % n)).collect();
        let t = Instant::now();
        let mut b = vec![0.0; n * n];
        for _ in 0..sweeps {
            sweep(&a, &mut b);
            std::mem::swap(&mut a, &mut b);
        }
        let total = t.elapsed().as_secs_f64();
        let sum = hotloop_cpu::serial::sum(&a);
        println!(
            "mpi_check bench-jacobi-one: {n}x{n}, {sweeps} sweeps, 1 process x {} threads: \
             total {total:.3} s ({:.3e} cells/s), sum {sum:?} ({:#x})",
            pool.threads(),
            (n * n * sweeps) as f64 / total,
            sum.to_bits()
        );
        return ExitCode::SUCCESS;
    }
    let grid = world.or_abort(Grid::from_fn(world, [n, n], |[i, j]| init(i, j)));
    world.or_abort(hotloop_mpi::jacobi(world, &local, boundary, &grid, 1));
    world.barrier();
    let t = Instant::now();
    let out = world.or_abort(hotloop_mpi::jacobi(world, &local, boundary, &grid, sweeps));
    world.barrier();
    let total = t.elapsed().as_secs_f64();
    // The halo times of every rank, besides rank 0's.
    let mine = [out.halo_seconds, out.compute_seconds];
    let mut all = vec![0.0f64; 2 * world.size()];
    {
        use hotloop_mpi::mpi::traits::*;
        world
            .communicator()
            .all_gather_into(&mine[..], &mut all[..]);
    }
    let max_halo = all.chunks(2).map(|h| h[0]).fold(0.0, f64::max);
    // The rank that waited least: its halo time bounds the exchange's own
    // cost (the rest of the others' is waiting for a slower rank).
    let min_halo = all.chunks(2).map(|h| h[0]).fold(f64::INFINITY, f64::min);
    let sum = world.or_abort(hotloop_mpi::sum(world, &local, out.result.as_slab()));
    if world.is_root() {
        println!(
            "mpi_check bench-jacobi: {n}x{n}, {sweeps} sweeps, {} ranks x {} threads: total \
             {total:.3} s ({:.3e} cells/s), rank 0: halo {:.3} s ({:.1}%), compute {:.3} s; \
             halo time over the ranks {min_halo:.3}..{max_halo:.3} s; sum {sum:?} ({:#x})",
            world.size(),
            local.threads(),
            (n * n * sweeps) as f64 / total,
            out.halo_seconds,
            100.0 * out.halo_seconds / total,
            out.compute_seconds,
            sum.to_bits()
        );
    }
    ExitCode::SUCCESS
}
