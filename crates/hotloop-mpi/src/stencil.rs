//! Distributed stencils: a [`Stencil3`] over a [`Slab`] (the 7-point
//! Laplacian), a [`Stencil2`] over a [`Grid`] (the 5-point Jacobi), once
//! or iterated, in every [`Boundary`] mode, each equal bit for bit to
//! hotloop-cpu's one-process stencil.
//!
//! Each rank fills the halo of a window of the global array around its
//! planes (rows, for a grid) from the ranks that hold it
//! ([`halo`](crate::halo), over [`World::cartesian`]), then computes its
//! own planes from that window: the core's cell code and boundary rule on
//! the window's shape, for the cells of the planes this rank owns
//! (hotloop-cpu's `stencil::{serial, parallel}::run_cells` on the CPU; a
//! grid backend's stencil over the whole window, its planes kept). The
//! window ends where the array does at the global edges and at least the
//! reach beyond the rank's planes elsewhere, so every cell sees what it
//! sees in one process.
//!
//! The halo is the kernel's declared reach along the split axis
//! (`NEIGHBOURHOOD[0]`): one plane on each side for the built-ins, any
//! declared reach otherwise. A rank holding fewer planes than the reach, or
//! none, is no special case: a window gathers its halo from as many ranks
//! as hold it, and a rank without planes computes nothing.

use crate::halo::{HaloPlan, exchange};
#[cfg(any(feature = "sim", feature = "cuda"))]
use crate::local::with_runtime;
use crate::slab::{MpiElement, allocate_zeroed};
use crate::{Grid, Local, Slab, World};
use hotloop_core::index::Shape3;
use hotloop_core::stencil::{Boundary, Jacobi5, Planar, Stencil2, Stencil3, check_kernel};
use hotloop_cpu::stencil::{parallel, serial};
use hotloop_cpu::store::StoreMode;
use hotloop_runtime::{Error, Result};
#[cfg(any(feature = "sim", feature = "cuda"))]
use hotloop_runtime::{Runtime, try_zeroed_vec};
use mpi::traits::*;
use std::time::Instant;

/// The output of an iterated stencil ([`iterate`], [`iterate_2d`],
/// [`jacobi`]), with where this rank's time went.
#[derive(Clone, Debug)]
pub struct Sweeps<A> {
    /// The array after the sweeps: a [`Slab`] or a [`Grid`].
    pub result: A,
    /// The sweeps run.
    pub sweeps: usize,
    /// This rank's seconds in the halo exchange, waiting for its
    /// neighbours included (so a rank that finishes its planes early counts
    /// the wait for a slower one here).
    pub halo_seconds: f64,
    /// This rank's seconds computing its planes.
    pub compute_seconds: f64,
}

/// `100 sweeps: 2.310 s computing, 0.120 s in the halo exchange`.
impl<A> std::fmt::Display for Sweeps<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} sweeps: {:.3} s computing, {:.3} s in the halo exchange",
            self.sweeps, self.compute_seconds, self.halo_seconds
        )
    }
}

/// How the split axis maps onto the CPU stencil's 3-D shape.
#[derive(Clone, Copy)]
enum Layout {
    /// A 3-D array: the window is `[planes, n1, n2]`.
    Planes,
    /// A 2-D grid `[ny, nx]` held as `[ny, nx, 1]`: the window is
    /// `[1, rows, nx]`, the shape `Planar` runs a 2-D kernel on.
    Rows,
}

/// A rank's window of the global array: what it computes its planes from.
struct Window<'p> {
    layout: Layout,
    global: [usize; 3],
    plan: &'p HaloPlan,
}

impl Window<'_> {
    /// The CPU stencil's shape for the window.
    fn shape(&self) -> Shape3 {
        let [_, n1, n2] = self.global;
        let planes = self.plan.window.len();
        match self.layout {
            Layout::Planes => Shape3::new(planes, n1, n2),
            Layout::Rows => Shape3::new(1, planes, n1 * n2),
        }
    }

    /// The planes `plan.own` of `kernel` over the global array, into `out`,
    /// from `window` (the planes `plan.window`, halo filled): the stencil
    /// on the window's shape, for the cells from `own`'s first. The CPU
    /// backends compute just those cells (hotloop-cpu's `run_cells`); a
    /// grid backend runs its stencil over the whole window (its halo planes
    /// too, at their window's edge, which no rank keeps) and this rank's
    /// planes are copied out of that.
    fn compute<T: MpiElement, K: Stencil3<T>>(
        &self,
        local: &Local,
        kernel: &K,
        boundary: Boundary<T>,
        window: &[T],
        out: &mut [T],
    ) -> Result<()> {
        if out.is_empty() {
            return Ok(());
        }
        let shape = self.shape();
        let first = self.plan.own_offset(self.global[1] * self.global[2]);
        match local {
            Local::Serial => {
                serial::run_cells(kernel, window, shape, boundary, first, out, StoreMode::Auto)?;
            }
            Local::Parallel(pool) => parallel::run_cells(
                pool,
                kernel,
                window,
                shape,
                boundary,
                first,
                out,
                StoreMode::Auto,
            )?,
            #[cfg(any(feature = "sim", feature = "cuda"))]
            grid => {
                let mut whole =
                    try_zeroed_vec::<T>("a rank's stencil window output", window.len())?;
                with_runtime!(grid, |rt| rt
                    .stencil(kernel, shape, boundary, window, &mut whole))?;
                out.copy_from_slice(&whole[first..first + out.len()]);
            }
        }
        Ok(())
    }
}

/// One collective stencil problem: the kernel as a [`Stencil3`] on the
/// window, its reach along the split axis, the global shape.
struct Problem<'a, T, K> {
    world: &'a World,
    local: &'a Local,
    kernel: K,
    boundary: Boundary<T>,
    reach: (isize, isize),
    layout: Layout,
    global: [usize; 3],
}

impl<T: MpiElement, K: Stencil3<T>> Problem<'_, T, K> {
    /// Checks what every rank must agree on before any message: the same
    /// global shape, and a kernel whose declared neighbourhood is usable.
    fn check(&self) -> Result<()> {
        self.world
            .check_same("the stencil input's shape", &self.global.map(|d| d as u64))?;
        self.world
            .agree(check_kernel(&self.kernel).map_err(Error::from))
    }

    fn plan(&self) -> HaloPlan {
        HaloPlan::new(
            self.global[0],
            self.world.size(),
            self.world.rank(),
            self.reach,
        )
    }

    /// Elements per index of the split axis.
    fn plane(&self) -> usize {
        self.global[1] * self.global[2]
    }

    /// A window with this rank's planes in place and room for the halo,
    /// refused on every rank before any allocates if one does not fit.
    fn window(&self, plan: &HaloPlan, input: &Slab<T>) -> Result<Vec<T>> {
        let plane = self.plane();
        let mut w = allocate_zeroed(
            self.world,
            "a rank's stencil window",
            plan.window_len(plane),
        )?;
        let at = plan.own_offset(plane);
        w[at..at + input.as_slice().len()].copy_from_slice(input.as_slice());
        Ok(w)
    }

    /// This rank's planes of the stencil of `window` (its halo filled),
    /// into `out` (`plan.own`'s elements).
    fn compute(&self, plan: &HaloPlan, window: &[T], out: &mut [T]) -> Result<()> {
        let w = Window {
            layout: self.layout,
            global: self.global,
            plan,
        };
        w.compute(self.local, &self.kernel, self.boundary, window, out)
    }

    fn once(&self, input: &Slab<T>) -> Result<Slab<T>> {
        self.check()?;
        let plan = self.plan();
        let mut window = self.window(&plan, input)?;
        let mut out = allocate_zeroed(
            self.world,
            "the stencil's output slab",
            input.as_slice().len(),
        )?;
        exchange(self.world.cartesian(), &plan, self.plane(), &mut window);
        // A read outside the declared reach fails on one rank: every rank
        // returns, with its error or that rank's.
        self.world.agree(self.compute(&plan, &window, &mut out))?;
        Slab::assemble(self.global, plan.own, out)
    }

    /// The error of the earliest failing sweep (the lowest rank among
    /// those failing in it), on every rank (collective): that rank's own
    /// error there, [`Error::RemoteRank`] naming it elsewhere. One process
    /// stops at that sweep; later failures, computed from a stopped rank's
    /// stale halo, are not errors of the stencil and are not reported.
    fn first_failure(&self, failed: Option<(usize, Error)>) -> Result<()> {
        let mine = failed.as_ref().map_or(u64::MAX, |(sweep, _)| *sweep as u64);
        let mut all = vec![0u64; self.world.size()];
        self.world
            .communicator()
            .all_gather_into(&mine, &mut all[..]);
        let first = all.iter().copied().min().unwrap_or(u64::MAX);
        if first == u64::MAX {
            return Ok(());
        }
        let culprit = all.iter().position(|&s| s == first);
        let local = match failed {
            Some((_, e)) if culprit == Some(self.world.rank()) => Err(e),
            _ => Ok(()),
        };
        self.world.agree(local)
    }

    fn iterate(&self, input: &Slab<T>, sweeps: usize) -> Result<Sweeps<Slab<T>>> {
        self.check()?;
        let plan = self.plan();
        let plane = self.plane();
        let mut cur = self.window(&plan, input)?;
        let mut next = allocate_zeroed(self.world, "a rank's second stencil window", cur.len())?;
        let own = plan.own_offset(plane)..plan.own_offset(plane) + plan.own.len() * plane;
        let (mut halo, mut compute) = (0.0, 0.0);
        let mut failed = None;
        for sweep in 0..sweeps {
            let t = Instant::now();
            exchange(self.world.cartesian(), &plan, plane, &mut cur);
            halo += t.elapsed().as_secs_f64();
            // After an error this rank keeps exchanging (garbage) so the
            // others are not left waiting, and reports it at the end.
            if failed.is_none() {
                let t = Instant::now();
                if let Err(e) = self.compute(&plan, &cur, &mut next[own.clone()]) {
                    failed = Some((sweep, e));
                }
                compute += t.elapsed().as_secs_f64();
            }
            std::mem::swap(&mut cur, &mut next);
        }
        self.first_failure(failed)?;
        drop(next);
        cur.copy_within(own.clone(), 0);
        cur.truncate(own.len());
        Ok(Sweeps {
            result: Slab::assemble(self.global, plan.own, cur)?,
            sweeps,
            halo_seconds: halo,
            compute_seconds: compute,
        })
    }
}

fn problem_3d<'a, T: MpiElement, K: Stencil3<T>>(
    world: &'a World,
    local: &'a Local,
    kernel: &K,
    boundary: Boundary<T>,
    input: &Slab<T>,
) -> Problem<'a, T, K> {
    Problem {
        world,
        local,
        kernel: *kernel,
        boundary,
        reach: K::NEIGHBOURHOOD[0],
        layout: Layout::Planes,
        global: input.global_shape(),
    }
}

fn problem_2d<'a, T: MpiElement, K: Stencil2<T>>(
    world: &'a World,
    local: &'a Local,
    kernel: &K,
    boundary: Boundary<T>,
    input: &Grid<T>,
) -> Problem<'a, T, Planar<K>> {
    Problem {
        world,
        local,
        kernel: Planar(*kernel),
        boundary,
        reach: K::NEIGHBOURHOOD[0],
        layout: Layout::Rows,
        global: input.as_slab().global_shape(),
    }
}

/// `kernel` over the global 3-D array (collective), this rank's planes of
/// the output: the bits of hotloop-cpu's one-process stencil
/// (`hotloop_cpu::stencil::serial::run` over the whole array) under
/// `boundary`, for any number of ranks and threads. Halo: the kernel's
/// reach along axis 0, exchanged once.
///
/// Every rank must pass the same kernel and boundary. Errors, on every
/// rank: a global shape that differs between ranks
/// ([`Error::InvalidArgument`]), an unusable declared neighbourhood
/// ([`Error::InvalidNeighbourhood`]), a read outside it
/// ([`Error::OutsideNeighbourhood`] on the rank that made it,
/// [`Error::RemoteRank`] on the others), a window or output beyond a
/// rank's memory.
pub fn stencil<T: MpiElement, K: Stencil3<T>>(
    world: &World,
    local: &Local,
    kernel: &K,
    boundary: Boundary<T>,
    input: &Slab<T>,
) -> Result<Slab<T>> {
    problem_3d(world, local, kernel, boundary, input).once(input)
}

/// A 2-D `kernel` over the global grid (collective), this rank's rows of
/// the output: the bits of hotloop-cpu's one-process stencil on the whole
/// grid (run as `Planar(kernel)` on shape `[1, ny, nx]`). The rows are
/// split, so the halo is the kernel's reach along its first axis. Errors
/// as [`stencil`].
pub fn stencil_2d<T: MpiElement, K: Stencil2<T>>(
    world: &World,
    local: &Local,
    kernel: &K,
    boundary: Boundary<T>,
    input: &Grid<T>,
) -> Result<Grid<T>> {
    problem_2d(world, local, kernel, boundary, input)
        .once(input.as_slab())
        .map(Grid::from_slab)
}

/// `sweeps` applications of `kernel` (collective), each sweep's output the
/// next one's input, with the halo exchanged before each sweep (two
/// windows, swapped): the bits of `sweeps` one-process stencils in a row.
/// Zero sweeps give the input. Errors as [`stencil`], after every rank
/// has run every sweep's exchange (a rank whose kernel read outside its
/// reach stops computing, not exchanging, so nobody waits for it); such a
/// read is reported from the first sweep that made one, where one process
/// would have stopped.
pub fn iterate<T: MpiElement, K: Stencil3<T>>(
    world: &World,
    local: &Local,
    kernel: &K,
    boundary: Boundary<T>,
    input: &Slab<T>,
    sweeps: usize,
) -> Result<Sweeps<Slab<T>>> {
    problem_3d(world, local, kernel, boundary, input).iterate(input, sweeps)
}

/// [`iterate`] for a 2-D kernel over a [`Grid`].
pub fn iterate_2d<T: MpiElement, K: Stencil2<T>>(
    world: &World,
    local: &Local,
    kernel: &K,
    boundary: Boundary<T>,
    input: &Grid<T>,
    sweeps: usize,
) -> Result<Sweeps<Grid<T>>> {
    let s = problem_2d(world, local, kernel, boundary, input).iterate(input.as_slab(), sweeps)?;
    Ok(Sweeps {
        result: Grid::from_slab(s.result),
        sweeps: s.sweeps,
        halo_seconds: s.halo_seconds,
        compute_seconds: s.compute_seconds,
    })
}

/// An iterated Jacobi solve of the 2-D Laplace equation: `sweeps` sweeps
/// of [`Jacobi5`] over the grid ([`iterate_2d`]), the boundary mode
/// holding the edge (`PadConstant(c)`: the Dirichlet value `c` beyond the
/// grid).
pub fn jacobi<T: MpiElement>(
    world: &World,
    local: &Local,
    boundary: Boundary<T>,
    input: &Grid<T>,
    sweeps: usize,
) -> Result<Sweeps<Grid<T>>> {
    iterate_2d(world, local, &Jacobi5, boundary, input, sweeps)
}

#[cfg(test)]
mod tests {
    //! The windows alone, without MPI: each rank's planes computed from its
    //! window (cut from the whole array, as the exchange fills it) must be
    //! the one-process output's planes, for every split and boundary mode.
    use super::*;
    use hotloop_core::stencil::Laplacian7;
    use std::num::NonZeroUsize;

    /// Reaches 2 planes down and 3 up, 1 along the rows.
    #[derive(Clone, Copy)]
    struct Wide;
    impl Stencil3<f64> for Wide {
        const NEIGHBOURHOOD: [(isize, isize); 3] = [(-2, 3), (-1, 1), (0, 0)];
        fn apply<A: Fn(isize, isize, isize) -> f64>(&self, at: A) -> f64 {
            0.5 * at(-2, 0, 0) - at(3, 0, 0) + 0.25 * at(0, 1, 0) - at(0, -1, 0) + at(1, 0, 0)
        }
    }

    fn split_matches_one_process<K: Stencil3<f64>>(
        kernel: &K,
        reach: (isize, isize),
        layout: Layout,
        global: [usize; 3],
        locals: &[Local],
    ) {
        let len: usize = global.iter().product();
        let whole: Vec<f64> = (0..len)
            .map(|i| ((i * 7919) % 1013) as f64 / 9.0 - 50.0)
            .collect();
        let one_shape = match layout {
            Layout::Planes => Shape3::new(global[0], global[1], global[2]),
            Layout::Rows => Shape3::new(1, global[0], global[1] * global[2]),
        };
        let plane = global[1] * global[2];
        for boundary in [
            Boundary::FillBorder(0.0),
            Boundary::FillBorder(-3.5),
            Boundary::PadConstant(2.0),
            Boundary::Clamp,
        ] {
            let mut want = vec![f64::NAN; len];
            serial::run(
                kernel,
                &whole,
                one_shape,
                boundary,
                &mut want,
                StoreMode::Cached,
            )
            .unwrap();
            for ranks in 1..=6 {
                for rank in 0..ranks {
                    let plan = HaloPlan::new(global[0], ranks, rank, reach);
                    let w = Window {
                        layout,
                        global,
                        plan: &plan,
                    };
                    let window = &whole[plan.window.start * plane..plan.window.end * plane];
                    let own = plan.own.start * plane..plan.own.end * plane;
                    for local in locals {
                        let mut out = vec![f64::NAN; own.len()];
                        w.compute(local, kernel, boundary, window, &mut out)
                            .unwrap();
                        let same = out
                            .iter()
                            .zip(&want[own.clone()])
                            .all(|(a, b)| a.to_bits() == b.to_bits());
                        assert!(
                            same,
                            "{global:?} {boundary:?}: rank {rank} of {ranks}, {}",
                            local.name()
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn every_rank_window_gives_the_one_process_planes() {
        let locals = [
            Local::Serial,
            Local::parallel(NonZeroUsize::new(2)).unwrap(),
            // A grid backend runs the whole window and keeps its planes.
            #[cfg(feature = "sim")]
            Local::simulator(None).unwrap(),
            #[cfg(feature = "sim")]
            Local::simulator(Some(hotloop_runtime::LaunchConfig::new(3, 7).unwrap())).unwrap(),
        ];
        for global in [[1, 1, 1], [2, 3, 5], [5, 6, 7], [13, 9, 11], [4, 1, 300]] {
            let lap = Laplacian7 { scale: 0.5 };
            split_matches_one_process(&lap, (-1, 1), Layout::Planes, global, &locals);
            split_matches_one_process(&Wide, (-2, 3), Layout::Planes, global, &locals);
        }
        // Grids [ny, nx] held as [ny, nx, 1], Jacobi5 on their rows.
        for global in [[1, 1, 1], [2, 7, 1], [3, 5, 1], [13, 17, 1], [40, 64, 1]] {
            let k = Planar(Jacobi5);
            split_matches_one_process(&k, (-1, 1), Layout::Rows, global, &locals);
        }
    }
}
