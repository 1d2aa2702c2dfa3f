//! Iterated stencils: `steps` sweeps of one kernel, each reading the one
//! before (Numba's loop of `@stencil` calls, a Jacobi solver's
//! iterations), blocked in time. On a grid larger than the caches every
//! plain sweep is a pass through memory; here one pass runs several sweeps
//! a tile at a time. The first sweep reads the grid and writes the tile's
//! window (the tile and, around it, a reach for each sweep after it) into
//! a buffer the size of a share of L2; the sweeps after it run there, each
//! over one reach less on every side that is not the grid's edge, and the
//! last writes the tile to the output with streaming stores. The grid then
//! crosses memory once a pass, not once a sweep.
//!
//! Every cell of every sweep is computed by `hotloop_core::stencil`'s
//! segment body from the same neighbours as in a plain sweep, so the
//! result is bit-identical to `steps` calls of [`crate::stencil`]'s, in
//! every boundary mode: a window's edge is either the grid's edge (where
//! the boundary mode reads as it does on the whole grid) or at least one
//! reach per sweep still to come beyond every cell the sweep computes.

use crate::pool::Pool;
use crate::simd::with_widest;
use crate::stencil;
use crate::store::{StoreMode, write_side_by_side};
use hotloop_core::Num;
use hotloop_core::index::Shape3;
use hotloop_core::stencil::{Boundary, ReachError, Stencil3, stencil_segment};
use rayon::prelude::*;

/// Bytes of one tile's window: two of them (the sweep read and the sweep
/// written) take half of a 1 MiB L2 (AMD EPYC Zen 4), leaving room for
/// the output's lines and the next window's first rows. Eight 4096^2
/// Jacobi sweeps on two threads of that machine took 6.0 to 8.5 ms a
/// sweep with 128 KiB windows, 5.1 to 5.4 with these, 5.0 to 5.3 with 512
/// KiB (the whole L2 in two windows).
const WINDOW_BYTES: usize = 256 << 10;

/// The most sweeps one pass runs: past eight, the grid's passes through
/// memory are already a small part of the time, and every further sweep
/// widens the window's margin.
const MAX_SWEEPS_PER_PASS: usize = 8;

/// The fewest sweeps a blocked pass runs; fewer are swept plainly. On an
/// AMD EPYC (Zen 4), two threads, 4096^2 Jacobi steps: two sweeps blocked
/// took 9.6 to 9.8 ms a sweep against 6.5 plainly, four 6.3 to 6.8
/// against 6.8 to 8.6, eight 4.9 to 5.0 against 6.4 to 6.6. A sweep in
/// the window runs at the kernel's speed from L2 (0.43 ns a cell on one
/// thread), not much faster than a plain sweep streams memory on this
/// machine, so the margins take back what a short pass saves.
const MIN_SWEEPS_PER_PASS: usize = 4;

/// The most cells a window may hold per cell of its tile. A pass with a
/// wider margin (a kernel of long reach) runs fewer sweeps; one that
/// cannot keep under it at [`MIN_SWEEPS_PER_PASS`] is swept plainly.
const MAX_WINDOW_PER_TILE: usize = 2;

/// How far `K` reads back and forward along each axis, in cells.
fn reach<T: Num, K: Stencil3<T>>() -> [(usize, usize); 3] {
    K::NEIGHBOURHOOD.map(|(lo, hi)| (lo.min(0).unsigned_abs(), hi.max(0) as usize))
}

/// How one pass of `sweeps` sweeps cuts the grid: each tile `tile` cells
/// along each axis (the last of an axis shorter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Plan {
    sweeps: usize,
    tile: [usize; 3],
}

impl Plan {
    /// The tiles for `sweeps` sweeps of `K` over `shape` whose windows
    /// hold at most `window_cells` cells: every axis whole, then the
    /// longest window cut by a quarter until it fits (a row counted at
    /// half its length, so that rows stay long: they vectorize and
    /// prefetch). `None` where the windows would hold more than
    /// [`MAX_WINDOW_PER_TILE`] cells per cell computed, and for a kernel
    /// that reads along all three axes of a grid: its margins grow in
    /// three directions, and the 256^3 Laplacian blocked took 17 to 25 ms
    /// a sweep on two threads of an AMD EPYC (Zen 4), against 9.3 to 14
    /// plainly.
    fn new<T: Num, K: Stencil3<T>>(
        shape: Shape3,
        sweeps: usize,
        window_cells: usize,
    ) -> Option<Self> {
        let dims = shape.dims();
        let reach = reach::<T, K>();
        if (0..3).all(|a| dims[a] > 1 && reach[a] != (0, 0)) {
            return None;
        }
        // The first sweep's cells, which the buffers hold: a reach for
        // each sweep after it, either side of the tile.
        let margin = |a: usize| (sweeps - 1).saturating_mul(reach[a].0.saturating_add(reach[a].1));
        let window = |tile: &[usize; 3], a: usize| tile[a].saturating_add(margin(a)).min(dims[a]);
        let cells = |tile: &[usize; 3]| (0..3).map(|a| window(tile, a)).product::<usize>();
        let mut tile = dims.map(|d| d.max(1));
        while cells(&tile) > window_cells {
            // The last of equal keys wins: x, then y, before z.
            let longest = (0..3)
                .rev()
                .filter(|&a| tile[a] > 1)
                .max_by_key(|&a| window(&tile, a) / if a == 2 { 2 } else { 1 });
            let Some(a) = longest else { break };
            tile[a] = (tile[a] - tile[a] / 4).clamp(1, tile[a] - 1);
        }
        let computed = tile.iter().product::<usize>();
        (cells(&tile) <= MAX_WINDOW_PER_TILE.saturating_mul(computed))
            .then_some(Self { sweeps, tile })
    }

    /// The passes for `steps` sweeps: as many sweeps a pass as
    /// [`Plan::new`] allows, from [`MIN_SWEEPS_PER_PASS`] up to
    /// [`MAX_SWEEPS_PER_PASS`], spread evenly over the passes.
    fn passes<T: Num, K: Stencil3<T>>(shape: Shape3, steps: usize, window_cells: usize) -> Passes {
        let most = (MIN_SWEEPS_PER_PASS..=MAX_SWEEPS_PER_PASS.min(steps))
            .rev()
            .find(|&s| Self::new::<T, K>(shape, s, window_cells).is_some());
        let Some(most) = most else {
            return Passes([(None, steps), (None, 0)]);
        };
        // `n` passes: the first `steps % n` one sweep longer.
        let n = steps.div_ceil(most);
        let group =
            |sweeps: usize, passes: usize| match Self::new::<T, K>(shape, sweeps, window_cells) {
                Some(plan) if sweeps >= MIN_SWEEPS_PER_PASS => (Some(plan), passes),
                _ => (None, sweeps * passes),
            };
        Passes([
            group(steps / n + 1, steps % n),
            group(steps / n, n - steps % n),
        ])
    }

    /// The axis the output is split on between tasks: the first longer
    /// than one cell (every axis after it is whole in a task's part, so
    /// the part is contiguous).
    fn outer(shape: Shape3) -> usize {
        shape.dims().iter().position(|&d| d > 1).unwrap_or(2)
    }

    /// Cells of the output in one task's part: one tile along
    /// [`Plan::outer`], every axis after it whole.
    fn part_len(&self, shape: Shape3) -> usize {
        let (dims, o) = (shape.dims(), Self::outer(shape));
        self.tile[o] * dims[o + 1..].iter().product::<usize>()
    }
}

/// The passes of a run of sweeps, in order: each group a pass's [`Plan`]
/// (`None`: a plain sweep, a pass of one) and how many passes it makes.
/// Counted, not listed: a count of sweeps may be as large as `usize`.
struct Passes([(Option<Plan>, usize); 2]);

impl Passes {
    fn len(&self) -> usize {
        self.0.iter().map(|&(_, n)| n).sum()
    }

    fn iter(&self) -> impl Iterator<Item = Option<Plan>> + '_ {
        self.0
            .iter()
            .flat_map(|&(plan, n)| core::iter::repeat_n(plan, n))
    }
}

/// A tile's window as the last sweep left it, and the buffer the next
/// sweep writes: one pair per task, reused from tile to tile.
struct Buffers<T>(Vec<T>, Vec<T>);

impl<T> Default for Buffers<T> {
    fn default() -> Self {
        Self(Vec::new(), Vec::new())
    }
}

/// Part `part` of a pass (`out`: the output cells of one tile along
/// [`Plan::outer`]) from `input`, the grid the sweep before the pass left:
/// each of its tiles in turn.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn part<T: Num, K: Stencil3<T>>(
    kernel: &K,
    input: &[T],
    shape: Shape3,
    boundary: Boundary<T>,
    plan: Plan,
    index: usize,
    out: &mut [T],
    buffers: &mut Buffers<T>,
    streams: bool,
) -> Result<(), ReachError> {
    let dims = shape.dims();
    let o = Plan::outer(shape);
    // This part's cells on every axis: one tile along `outer`, every axis
    // after it whole, the ones before it one cell.
    let mut lo = [0; 3];
    let mut hi = [1; 3];
    lo[o] = index * plan.tile[o];
    hi[o] = (lo[o] + plan.tile[o]).min(dims[o]);
    hi[o + 1..].copy_from_slice(&dims[o + 1..]);
    let starts = |a: usize| (lo[a]..hi[a]).step_by(plan.tile[a]);
    let mut result = Ok(());
    with_widest(
        #[inline(always)]
        || {
            for x in starts(0) {
                for y in starts(1) {
                    for z in starts(2) {
                        let first = [x, y, z];
                        let end = [0, 1, 2].map(|a| (first[a] + plan.tile[a]).min(hi[a]));
                        result = tile(
                            kernel,
                            input,
                            shape,
                            boundary,
                            plan.sweeps,
                            (first, end),
                            lo,
                            out,
                            buffers,
                            streams,
                        );
                        if result.is_err() {
                            return;
                        }
                    }
                }
            }
        },
    );
    result
}

/// One tile, cells `first..end` on each axis, after `sweeps` sweeps of
/// `input`, into `out` (the part holding it, whose first cell is
/// `origin`).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn tile<T: Num, K: Stencil3<T>>(
    kernel: &K,
    input: &[T],
    shape: Shape3,
    boundary: Boundary<T>,
    sweeps: usize,
    (first, end): ([usize; 3], [usize; 3]),
    origin: [usize; 3],
    out: &mut [T],
    Buffers(read, written): &mut Buffers<T>,
    streams: bool,
) -> Result<(), ReachError> {
    let dims = shape.dims();
    let reach = reach::<T, K>();
    // The cells sweep `s` (1-based) computes: the tile and, around it, a
    // reach for each sweep still to come, within the grid.
    let span = |s: usize, a: usize| {
        let left = sweeps - s;
        (
            first[a].saturating_sub(left.saturating_mul(reach[a].0)),
            end[a]
                .saturating_add(left.saturating_mul(reach[a].1))
                .min(dims[a]),
        )
    };
    // The buffers hold the cells of the first sweep, read from the grid
    // itself; the sweeps after it read them.
    let window = [0, 1, 2].map(|a| span(1, a));
    let wshape = Shape3::new(
        window[0].1 - window[0].0,
        window[1].1 - window[1].0,
        window[2].1 - window[2].0,
    );
    let cells = wshape.nx * wshape.ny * wshape.nz;
    read.resize(cells, T::ZERO);
    written.resize(cells, T::ZERO);
    // In the window's own coordinates.
    let local = |c: [usize; 3]| [0, 1, 2].map(|a| c[a] - window[a].0);
    for s in 1..sweeps {
        let [(x0, x1), (y0, y1), (z0, z1)] = [0, 1, 2].map(|a| span(s, a));
        let (from, from_shape) = if s == 1 {
            (input, shape)
        } else {
            (&read[..], wshape)
        };
        for x in x0..x1 {
            for y in y0..y1 {
                let [lx, ly, lz] = local([x, y, z0]);
                let at = wshape.offset(lx, ly, lz);
                let cell = if s == 1 { (x, y, z0) } else { (lx, ly, lz) };
                stencil_segment(
                    kernel,
                    from,
                    from_shape,
                    boundary,
                    cell,
                    &mut written[at..at + (z1 - z0)],
                )?;
            }
        }
        core::mem::swap(read, written);
    }
    // The last sweep: the tile, plane by plane, its rows side by side
    // into the part (whose rows are whole: the tile's rows lie a row of
    // the grid apart).
    let (rows, row) = (end[1] - first[1], end[2] - first[2]);
    for x in first[0]..end[0] {
        let at = shape.offset(x - origin[0], first[1] - origin[1], first[2] - origin[2]);
        let len = (rows - 1) * dims[2] + row;
        let mut result = Ok(());
        write_side_by_side(
            streams,
            &mut out[at..at + len],
            row,
            dims[2],
            |mut start, mut dst| {
                // A run of cells within one row (several rows where the
                // tile's rows are whole).
                while !dst.is_empty() && result.is_ok() {
                    let (r, z) = (start / dims[2], start % dims[2]);
                    let (cells, rest) = dst.split_at_mut((dims[2] - z).min(dst.len()));
                    let [lx, ly, lz] = local([x, first[1] + r, first[2] + z]);
                    result = stencil_segment(kernel, read, wshape, boundary, (lx, ly, lz), cells);
                    (start, dst) = (start + cells.len(), rest);
                }
            },
        );
        result?;
    }
    Ok(())
}

/// `passes` over `input`, ending in `out`, through `scratch` (as long as
/// `out`) where there are two or more: `pass(plan, from, to)` runs one.
fn alternate<T: Num>(
    passes: &Passes,
    input: &[T],
    out: &mut [T],
    scratch: &mut [T],
    mut pass: impl FnMut(Option<Plan>, &[T], &mut [T]) -> Result<(), ReachError>,
) -> Result<(), ReachError> {
    let mut plans = passes.iter();
    let Some(head) = plans.next() else {
        out.copy_from_slice(input);
        return Ok(());
    };
    // The pass before the last writes `scratch`, the one before that
    // `out`, and so on back to the first.
    let (mut to, mut other) = if passes.len() % 2 == 1 {
        (out, scratch)
    } else {
        (scratch, out)
    };
    pass(head, input, to)?;
    for plan in plans {
        pass(plan, to, other)?;
        core::mem::swap(&mut to, &mut other);
    }
    Ok(())
}

/// The length of the scratch grid [`serial::run`] and [`parallel::run`]
/// need for `steps` sweeps of `K` over `shape`: the grid's, or 0 where
/// one pass runs them all.
pub fn scratch_len<T: Num, K: Stencil3<T>>(shape: Shape3, steps: usize) -> usize {
    if Plan::passes::<T, K>(shape, steps, window_cells::<T>()).len() > 1 {
        shape.checked_len().unwrap_or(0)
    } else {
        0
    }
}

/// Cells of `T` in [`WINDOW_BYTES`].
fn window_cells<T>() -> usize {
    WINDOW_BYTES / size_of::<T>().max(1)
}

/// One thread.
pub mod serial {
    use super::*;

    /// `out` = `steps` sweeps of `kernel` from `input` under `boundary`
    /// (`steps = 0`: a copy), through `scratch` (the grid's length; unused
    /// below two passes), each cell with the bits of `steps` calls of
    /// [`stencil::serial::run`]. Stops at the first read outside the
    /// kernel's declared neighbourhood, with that error.
    #[allow(clippy::too_many_arguments)]
    pub fn run<T: Num, K: Stencil3<T>>(
        kernel: &K,
        input: &[T],
        shape: Shape3,
        boundary: Boundary<T>,
        steps: usize,
        out: &mut [T],
        scratch: &mut [T],
        store: StoreMode,
    ) -> Result<(), ReachError> {
        let (grid, window) = ((shape, steps, store), window_cells::<T>());
        run_in(kernel, input, boundary, grid, out, scratch, window)
    }

    /// [`run`] with windows of at most `window` cells.
    pub(super) fn run_in<T: Num, K: Stencil3<T>>(
        kernel: &K,
        input: &[T],
        boundary: Boundary<T>,
        (shape, steps, store): (Shape3, usize, StoreMode),
        out: &mut [T],
        scratch: &mut [T],
        window: usize,
    ) -> Result<(), ReachError> {
        let passes = Plan::passes::<T, K>(shape, steps, window);
        let streams = store.streams(size_of_val(out));
        let mut buffers = Buffers::default();
        alternate(&passes, input, out, scratch, |plan, from, to| match plan {
            None => stencil::serial::run(kernel, from, shape, boundary, to, store),
            Some(plan) => to
                .chunks_mut(plan.part_len(shape).max(1))
                .enumerate()
                .try_for_each(|(i, o)| {
                    part(
                        kernel,
                        from,
                        shape,
                        boundary,
                        plan,
                        i,
                        o,
                        &mut buffers,
                        streams,
                    )
                }),
        })
    }
}

/// Over a [`Pool`].
pub mod parallel {
    use super::*;

    /// [`serial::run`] with each pass's tiles split over the pool in parts
    /// of a tile along the first axis longer than a cell.
    #[allow(clippy::too_many_arguments)]
    pub fn run<T: Num, K: Stencil3<T>>(
        pool: &Pool,
        kernel: &K,
        input: &[T],
        shape: Shape3,
        boundary: Boundary<T>,
        steps: usize,
        out: &mut [T],
        scratch: &mut [T],
        store: StoreMode,
    ) -> Result<(), ReachError> {
        let (grid, window) = ((shape, steps, store), window_cells::<T>());
        run_in(pool, kernel, input, boundary, grid, out, scratch, window)
    }

    /// [`run`] with windows of at most `window` cells.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn run_in<T: Num, K: Stencil3<T>>(
        pool: &Pool,
        kernel: &K,
        input: &[T],
        boundary: Boundary<T>,
        (shape, steps, store): (Shape3, usize, StoreMode),
        out: &mut [T],
        scratch: &mut [T],
        window: usize,
    ) -> Result<(), ReachError> {
        let passes = Plan::passes::<T, K>(shape, steps, window);
        let streams = store.streams(size_of_val(out));
        alternate(&passes, input, out, scratch, |plan, from, to| match plan {
            None => stencil::parallel::run(pool, kernel, from, shape, boundary, to, store),
            Some(plan) => pool.install(|| {
                to.par_chunks_mut(plan.part_len(shape).max(1))
                    .enumerate()
                    .try_for_each_init(Buffers::default, |buffers, (i, o)| {
                        part(kernel, from, shape, boundary, plan, i, o, buffers, streams)
                    })
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotloop_core::stencil::{Jacobi5, Laplacian7, Planar};
    use std::num::NonZeroUsize;

    /// `steps` plain sweeps, one after the other: what blocking must give.
    fn plainly<K: Stencil3<f64>>(
        k: &K,
        x: &[f64],
        shape: Shape3,
        b: Boundary<f64>,
        steps: usize,
    ) -> Vec<f64> {
        let mut now = x.to_vec();
        for _ in 0..steps {
            let mut next = vec![f64::NAN; now.len()];
            stencil::serial::run(k, &now, shape, b, &mut next, StoreMode::Cached).unwrap();
            now = next;
        }
        now
    }

    /// Reads one cell forward along x and two back along z: margins of
    /// different widths on each side, on two axes of a 3-D grid.
    #[derive(Clone, Copy)]
    struct Lopsided;

    impl Stencil3<f64> for Lopsided {
        const NEIGHBOURHOOD: [(isize, isize); 3] = [(0, 1), (0, 0), (-2, 0)];
        fn apply<A: Fn(isize, isize, isize) -> f64>(&self, at: A) -> f64 {
            0.5 * at(0, 0, 0) + 0.25 * at(1, 0, -2) + 0.125 * at(0, 0, -1) - 0.0625 * at(1, 0, 0)
        }
    }

    /// Blocked sweeps of `k` over `shape`, serial and on three threads, in
    /// windows of each of `windows` cells, against the plain sweeps.
    fn blocked_as_plain<K: Stencil3<f64>>(k: K, shape: Shape3, windows: &[usize]) {
        let n = shape.checked_len().unwrap();
        let x: Vec<f64> = (0..n)
            .map(|i| ((i * 7919) % 1009) as f64 / 7.0 - 70.0)
            .collect();
        let same = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(a, b)| a.to_bits() == b.to_bits());
        let pool = Pool::get(NonZeroUsize::new(3)).unwrap();
        for b in [
            Boundary::FillBorder(0.0),
            Boundary::FillBorder(2.0),
            Boundary::PadConstant(-1.5),
            Boundary::Clamp,
        ] {
            for steps in [0, 1, 2, 3, 8, 11] {
                let want = plainly(&k, &x, shape, b, steps);
                for &window in windows {
                    for store in [StoreMode::Cached, StoreMode::Streaming] {
                        let grid = (shape, steps, store);
                        let (mut out, mut scratch) = (vec![f64::NAN; n], vec![f64::NAN; n]);
                        serial::run_in(&k, &x, b, grid, &mut out, &mut scratch, window).unwrap();
                        assert!(same(&out, &want), "serial {b:?} {steps} {window}");
                        out.fill(f64::NAN);
                        parallel::run_in(&pool, &k, &x, b, grid, &mut out, &mut scratch, window)
                            .unwrap();
                        assert!(same(&out, &want), "parallel {b:?} {steps} {window}");
                    }
                }
            }
        }
    }

    /// The tiles of the first pass of `steps` sweeps: how many along each
    /// axis (`None`: swept plainly).
    fn tiles<K: Stencil3<f64>>(shape: Shape3, steps: usize, window: usize) -> Option<[usize; 3]> {
        let plan = Plan::passes::<f64, K>(shape, steps, window)
            .iter()
            .next()??;
        Some([0, 1, 2].map(|a| shape.dims()[a].div_ceil(plan.tile[a])))
    }

    #[test]
    fn blocked_sweeps_give_the_plain_sweeps_bits() {
        // Odd extents, so that the last tile of every axis is short.
        let cube = Shape3::new(13, 17, 31);
        let plane = Shape3::new(1, 67, 93);
        // Windows small enough to cut every axis the kernel reads along.
        assert!(tiles::<Planar<Jacobi5>>(plane, 8, 1500).is_some_and(|t| t[1] > 1 && t[2] > 1));
        assert!(tiles::<Lopsided>(cube, 8, 3000).is_some_and(|t| t.iter().all(|&t| t > 1)));
        // A window too small for any margin, too few sweeps, a kernel
        // reading along all three axes: plain sweeps.
        assert_eq!(tiles::<Planar<Jacobi5>>(plane, 8, 40), None);
        assert_eq!(tiles::<Planar<Jacobi5>>(plane, 3, 1500), None);
        assert_eq!(tiles::<Laplacian7<f64>>(cube, 8, 1 << 15), None);
        // Eleven sweeps: passes of six and five.
        let passes = Plan::passes::<f64, Planar<Jacobi5>>(plane, 11, 1500);
        assert_eq!(
            passes
                .iter()
                .map(|p| p.map(|p| p.sweeps))
                .collect::<Vec<_>>(),
            [Some(6), Some(5)]
        );
        // Counted, not listed: as many sweeps as `usize` holds, in passes
        // of six (as eleven were), or plainly.
        let passes = Plan::passes::<f64, Planar<Jacobi5>>(plane, usize::MAX, 1500);
        assert_eq!(passes.len(), usize::MAX.div_ceil(6));
        let plain = Plan::passes::<f64, Laplacian7<f64>>(cube, usize::MAX, 1 << 15);
        assert_eq!((plain.len(), plain.iter().next()), (usize::MAX, Some(None)));
        blocked_as_plain(Laplacian7 { scale: 0.3 }, cube, &[1 << 15]);
        blocked_as_plain(Planar(Jacobi5), plane, &[40, 1500, 1 << 15]);
        blocked_as_plain(Lopsided, cube, &[3000, 6000]);
    }

    /// Declares a reach of one cell along z, and reads two where the
    /// centre is large: a read outside the declaration found while running.
    #[derive(Clone, Copy)]
    struct Overreach;

    impl Stencil3<f64> for Overreach {
        const NEIGHBOURHOOD: [(isize, isize); 3] = [(0, 0), (0, 0), (-1, 1)];
        fn apply<A: Fn(isize, isize, isize) -> f64>(&self, at: A) -> f64 {
            let c = at(0, 0, 0);
            if c > 100.0 {
                at(0, 0, 2)
            } else {
                0.5 * (at(0, 0, -1) + at(0, 0, 1)) + 1.0
            }
        }
    }

    #[test]
    fn a_read_outside_the_reach_stops_the_sweeps_with_that_error() {
        // Grows by one a sweep: the first cells over 100 come at sweep 100.
        let shape = Shape3::new(1, 40, 64);
        let x = vec![1.0; shape.checked_len().unwrap()];
        let want = ReachError::Outside {
            declared: Overreach::NEIGHBOURHOOD,
            index: [0, 0, 2],
        };
        let pool = Pool::get(NonZeroUsize::new(2)).unwrap();
        let (mut out, mut scratch) = (x.clone(), x.clone());
        for (steps, result) in [(99, Ok(())), (101, Err(want))] {
            let grid = (shape, steps, StoreMode::Cached);
            let b = Boundary::PadConstant(1.0);
            assert_eq!(
                serial::run_in(&Overreach, &x, b, grid, &mut out, &mut scratch, 200),
                result
            );
            assert_eq!(
                parallel::run_in(&pool, &Overreach, &x, b, grid, &mut out, &mut scratch, 200),
                result
            );
        }
    }
}
