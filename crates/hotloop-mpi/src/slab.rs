//! A 3-D array split over the ranks in slabs along its outermost axis.

use crate::World;
use crate::partition::share_usize;
use hotloop_runtime::memory::{check_fits, try_vec_with_capacity, try_zeroed_vec};
use hotloop_runtime::{Element, Error, Result};
use mpi::traits::*;
use ndarray::{Array3, ArrayView3};
use std::ops::Range;

/// An element type the ranks exchange: `f32` or `f64`.
pub trait MpiElement: Element + hotloop_core::Real + Equivalence + Send + Sync {}
impl MpiElement for f32 {}
impl MpiElement for f64 {}

/// The most elements one point-to-point message carries: MPI counts are
/// `int`, so a slab beyond 2^31 elements goes in several messages.
const MAX_MESSAGE: usize = 1 << 26;

/// One rank's part of a global 3-D array of shape `global`: the planes
/// `planes` of the outermost axis ([`share_usize`] of `global[0]` over the
/// ranks: contiguous, in rank order, near-even; empty on the last ranks when
/// there are fewer planes than ranks), held as a standard-layout
/// `Array3` of shape `(planes.len(), global[1], global[2])`.
#[derive(Clone, Debug)]
pub struct Slab<T> {
    global: [usize; 3],
    planes: Range<usize>,
    data: Array3<T>,
}

impl<T: MpiElement> Slab<T> {
    /// This rank's slab of a global array of shape `global` whose element
    /// at global index `[i, j, k]` is `f([i, j, k])` (collective): no rank
    /// ever holds more than its slab. Every rank must pass the same shape
    /// ([`Error::InvalidArgument`] otherwise); a slab that does not fit a
    /// rank's memory is refused on every rank before any allocates.
    pub fn from_fn(
        world: &World,
        global: [usize; 3],
        f: impl Fn([usize; 3]) -> T,
    ) -> Result<Slab<T>> {
        let planes = slab_planes::<T>(world, global)?;
        let mut data = allocate::<T>(world, planes.len() * global[1] * global[2])?;
        for i in planes.clone() {
            for j in 0..global[1] {
                data.extend((0..global[2]).map(|k| f([i, j, k])));
            }
        }
        Slab::assemble(global, planes, data)
    }

    /// A slab from this rank's own data (collective): `local` must have the
    /// shape of this rank's slab of `global` ([`Slab::planes_of`]) and be
    /// in standard layout, else every rank fails.
    pub fn from_local(world: &World, global: [usize; 3], local: Array3<T>) -> Result<Slab<T>> {
        let planes = slab_planes::<T>(world, global)?;
        let want = [planes.len(), global[1], global[2]];
        let check = if local.shape() != want {
            Err(Error::ShapeMismatch {
                left_name: "local data",
                left: local.shape().to_vec(),
                right_name: "this rank's slab",
                right: want.to_vec(),
            })
        } else if !local.is_standard_layout() {
            Err(Error::NotContiguous {
                name: "local data",
                shape: local.shape().to_vec(),
                strides: local.strides().to_vec(),
            })
        } else {
            Ok(())
        };
        world.agree(check)?;
        Ok(Slab {
            global,
            planes,
            data: local,
        })
    }

    /// A slab of `global` holding `planes`, from their elements in
    /// row-major order.
    pub(crate) fn assemble(
        global: [usize; 3],
        planes: Range<usize>,
        data: Vec<T>,
    ) -> Result<Slab<T>> {
        let shape = (planes.len(), global[1], global[2]);
        let len = data.len();
        let data = Array3::from_shape_vec(shape, data).map_err(|_| Error::LengthMismatch {
            name: "slab",
            len,
            shape: vec![shape.0, shape.1, shape.2],
            needed: shape.0 * shape.1 * shape.2,
        })?;
        Ok(Slab {
            global,
            planes,
            data,
        })
    }
}

impl<T> Slab<T> {
    /// The planes of axis 0 that rank `rank` of `ranks` holds of an array
    /// whose outermost axis has `planes` planes.
    pub fn planes_of(planes: usize, ranks: usize, rank: usize) -> Range<usize> {
        share_usize(planes, ranks, rank)
    }

    /// The global array's shape.
    pub fn global_shape(&self) -> [usize; 3] {
        self.global
    }

    /// The global array's element count.
    pub fn global_len(&self) -> usize {
        self.global.iter().product()
    }

    /// The planes of axis 0 this slab holds.
    pub fn planes(&self) -> Range<usize> {
        self.planes.clone()
    }

    /// The elements this slab holds, as a range of the global array's
    /// row-major (flat) index.
    pub fn elements(&self) -> Range<usize> {
        let plane = self.global[1] * self.global[2];
        self.planes.start * plane..self.planes.end * plane
    }

    /// The slab's data: global plane `planes().start + i` is local plane
    /// `i`.
    pub fn local(&self) -> &Array3<T> {
        &self.data
    }

    /// The slab's data, to write in place (its shape cannot change).
    pub fn local_mut(&mut self) -> ndarray::ArrayViewMut3<'_, T> {
        self.data.view_mut()
    }

    /// The slab's elements in row-major order.
    pub fn as_slice(&self) -> &[T] {
        self.data
            .as_slice()
            .expect("a slab is built in standard layout")
    }

    /// The slab's elements in row-major order, to write in place.
    pub fn as_slice_mut(&mut self) -> &mut [T] {
        self.data
            .as_slice_mut()
            .expect("a slab is built in standard layout")
    }

    /// The slab's data.
    pub fn into_local(self) -> Array3<T> {
        self.data
    }
}

/// Checks that every rank passed `global`, that its size fits the index
/// types, and returns this rank's planes.
pub(crate) fn slab_planes<T>(world: &World, global: [usize; 3]) -> Result<Range<usize>> {
    world.check_same("the global shape", &global.map(|d| d as u64))?;
    global
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .filter(|n| {
            n.checked_mul(size_of::<T>())
                .is_some_and(|b| b <= isize::MAX as usize)
        })
        .ok_or_else(|| Error::IndexOverflow {
            shape: global.to_vec(),
            index_type: "usize",
        })?;
    Ok(share_usize(global[0], world.size(), world.rank()))
}

/// An empty vector with room for `len` elements, refused on every rank
/// before any allocates if one rank's does not fit its memory.
pub(crate) fn allocate<T>(world: &World, len: usize) -> Result<Vec<T>> {
    let bytes = (len * size_of::<T>()) as u64;
    world.agree(check_fits("a rank's slab", bytes))?;
    world.agree(try_vec_with_capacity("a rank's slab", len))
}

/// `len` zeros (an output to write), refused on every rank before any
/// allocates if one rank's does not fit its memory (collective).
pub(crate) fn allocate_zeroed<T: MpiElement>(
    world: &World,
    what: &'static str,
    len: usize,
) -> Result<Vec<T>> {
    let bytes = (len as u64).saturating_mul(size_of::<T>() as u64);
    world.agree(check_fits(what, bytes))?;
    world.agree(try_zeroed_vec(what, len))
}

/// Splits `input` (on rank 0) into slabs, one per rank ([`Slab`]), and
/// sends each rank its own (collective; other ranks' `input` is ignored,
/// pass `None`). Every rank learns the shape from rank 0; a slab that does
/// not fit its rank's memory is refused on every rank before any
/// allocates. Rank 0 without an input, or with one not in standard
/// layout, fails on every rank.
pub fn scatter<T: MpiElement>(world: &World, input: Option<ArrayView3<'_, T>>) -> Result<Slab<T>> {
    let header = match (world.is_root(), &input) {
        (false, _) => Ok([0u64; 3]),
        (true, None) => Err(Error::InvalidArgument {
            what: "scatter input",
            reason: "rank 0 must pass the array to scatter".into(),
        }),
        (true, Some(a)) if !a.is_standard_layout() => Err(Error::NotContiguous {
            name: "scatter input",
            shape: a.shape().to_vec(),
            strides: a.strides().to_vec(),
        }),
        (true, Some(a)) => Ok(a.dim()).map(|(p, r, c)| [p as u64, r as u64, c as u64]),
    };
    let mut shape = world.agree(header)?;
    let comm = world.communicator();
    let root = comm.process_at_rank(0);
    root.broadcast_into(&mut shape[..]);
    let global = shape.map(|d| d as usize);
    let planes = slab_planes::<T>(world, global)?;
    let plane = global[1] * global[2];
    let mut data = allocate::<T>(world, planes.len() * plane)?;
    match input.as_ref().and_then(|a| a.as_slice()) {
        Some(all) if world.is_root() => {
            data.extend_from_slice(&all[planes.start * plane..planes.end * plane]);
            for r in 1..world.size() {
                let theirs = share_usize(global[0], world.size(), r);
                let dest = comm.process_at_rank(r as i32);
                for piece in all[theirs.start * plane..theirs.end * plane].chunks(MAX_MESSAGE) {
                    dest.send(piece);
                }
            }
        }
        _ => {
            data.resize(planes.len() * plane, T::ZERO);
            for piece in data.chunks_mut(MAX_MESSAGE) {
                root.receive_into(piece);
            }
        }
    }
    Slab::assemble(global, planes, data)
}

/// The whole array on rank 0 from every rank's slab (collective): `Some`
/// there, `None` on the others. An array that does not fit rank 0's memory
/// is refused on every rank before it allocates.
pub fn gather<T: MpiElement>(world: &World, slab: &Slab<T>) -> Result<Option<Array3<T>>> {
    let global = slab.global_shape();
    slab_planes::<T>(world, global)?;
    let len = slab.global_len();
    let out = if world.is_root() {
        try_zeroed_vec::<T>("the gathered array", len).map(Some)
    } else {
        Ok(None)
    };
    let out = world.agree(out)?;
    let comm = world.communicator();
    let plane = global[1] * global[2];
    match out {
        Some(mut all) => {
            all[slab.elements()].copy_from_slice(slab.as_slice());
            for r in 1..world.size() {
                let theirs = share_usize(global[0], world.size(), r);
                let src = comm.process_at_rank(r as i32);
                for piece in all[theirs.start * plane..theirs.end * plane].chunks_mut(MAX_MESSAGE) {
                    src.receive_into(piece);
                }
            }
            let array =
                Array3::from_shape_vec((global[0], global[1], global[2]), all).map_err(|_| {
                    Error::LengthMismatch {
                        name: "the gathered array",
                        len,
                        shape: global.to_vec(),
                        needed: len,
                    }
                })?;
            Ok(Some(array))
        }
        None => {
            let root = comm.process_at_rank(0);
            for piece in slab.as_slice().chunks(MAX_MESSAGE) {
                root.send(piece);
            }
            Ok(None)
        }
    }
}
