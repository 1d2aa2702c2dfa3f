//! A 2-D array split over the ranks in bands of whole rows.

use crate::slab::MpiElement;
use crate::{Slab, World};
use hotloop_runtime::Result;
use ndarray::{Array2, ArrayView2, Axis};
use std::ops::Range;

/// One rank's part of a global 2-D array of shape `[ny, nx]`: the rows
/// `rows()` ([`share_usize`](crate::share_usize) of `ny` over the ranks:
/// contiguous, in rank order, near-even; empty on the last ranks when there
/// are fewer rows than ranks), in standard layout. The first axis is the
/// one split, as a [`Slab`] splits its outermost axis: a 2-D stencil's halo
/// is whole rows.
///
/// It is a [`Slab`] of shape `[ny, nx, 1]` (the same memory), so the
/// reductions take [`Grid::as_slab`].
#[derive(Clone, Debug)]
pub struct Grid<T> {
    slab: Slab<T>,
}

impl<T: MpiElement> Grid<T> {
    /// This rank's rows of a global array of shape `[ny, nx]` whose element
    /// at `[i, j]` is `f([i, j])` (collective), as [`Slab::from_fn`].
    pub fn from_fn(
        world: &World,
        [ny, nx]: [usize; 2],
        f: impl Fn([usize; 2]) -> T,
    ) -> Result<Self> {
        Slab::from_fn(world, [ny, nx, 1], |[i, j, _]| f([i, j])).map(Grid::from_slab)
    }

    /// A grid from this rank's own rows (collective): `local` must have
    /// the shape `(rows_of(ny, ranks, rank).len(), nx)` and be in standard
    /// layout, else every rank fails (as [`Slab::from_local`]).
    pub fn from_local(world: &World, [ny, nx]: [usize; 2], local: Array2<T>) -> Result<Self> {
        Slab::from_local(world, [ny, nx, 1], local.insert_axis(Axis(2))).map(Grid::from_slab)
    }

    /// The grid held as `slab`, of shape `[ny, nx, 1]`.
    pub(crate) fn from_slab(slab: Slab<T>) -> Self {
        debug_assert_eq!(slab.global_shape()[2], 1);
        Grid { slab }
    }
}

impl<T> Grid<T> {
    /// The rows rank `rank` of `ranks` holds of a grid of `ny` rows.
    pub fn rows_of(ny: usize, ranks: usize, rank: usize) -> Range<usize> {
        Slab::<T>::planes_of(ny, ranks, rank)
    }

    /// The global shape, `[ny, nx]`.
    pub fn global_shape(&self) -> [usize; 2] {
        let [ny, nx, _] = self.slab.global_shape();
        [ny, nx]
    }

    /// The rows this rank holds.
    pub fn rows(&self) -> Range<usize> {
        self.slab.planes()
    }

    /// The rows' data: global row `rows().start + i` is local row `i`.
    pub fn local(&self) -> ArrayView2<'_, T> {
        self.slab.local().view().remove_axis(Axis(2))
    }

    /// The rows' elements in row-major order.
    pub fn as_slice(&self) -> &[T] {
        self.slab.as_slice()
    }

    /// The rows' elements in row-major order, to write in place.
    pub fn as_slice_mut(&mut self) -> &mut [T] {
        self.slab.as_slice_mut()
    }

    /// The elements this rank holds, as a range of the global row-major
    /// (flat) index.
    pub fn elements(&self) -> Range<usize> {
        self.slab.elements()
    }

    /// The grid as the [`Slab`] of shape `[ny, nx, 1]` it is: for
    /// [`sum`](crate::sum), [`min`](crate::min), [`max`](crate::max),
    /// [`count_where`](crate::count_where) and the element-wise forms.
    pub fn as_slab(&self) -> &Slab<T> {
        &self.slab
    }

    /// The grid as its [`Slab`] of shape `[ny, nx, 1]`.
    pub fn into_slab(self) -> Slab<T> {
        self.slab
    }
}

/// Splits `input` (on rank 0; `None` on the others) into bands of rows,
/// one per rank (collective), as [`scatter`](crate::scatter) splits planes.
pub fn scatter_grid<T: MpiElement>(
    world: &World,
    input: Option<ArrayView2<'_, T>>,
) -> Result<Grid<T>> {
    crate::scatter(world, input.map(|a| a.insert_axis(Axis(2)))).map(Grid::from_slab)
}

/// The whole grid on rank 0 from every rank's rows (collective): `Some`
/// there, `None` on the others, as [`gather`](crate::gather).
pub fn gather_grid<T: MpiElement>(world: &World, grid: &Grid<T>) -> Result<Option<Array2<T>>> {
    Ok(crate::gather(world, &grid.slab)?.map(|a| a.remove_axis(Axis(2))))
}
