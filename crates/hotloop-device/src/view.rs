//! Arrays with a shape: [`View`], a kernel's read-only `D`-dimensional
//! array, and [`ArrayIndex`], the index every array takes (`a[[i, j]]`,
//! `out.set([i, j], v)`; a plain `usize` on one axis).

use core::marker::PhantomData;
use hotloop_core::abi::ArrayParts;

/// An index into a `D`-dimensional array: `[i, j, ..]` (one per axis), or
/// a plain `usize` for one axis.
pub trait ArrayIndex<const D: usize>: Copy {
    /// The index on each axis.
    fn axes(self) -> [usize; D];
}

impl<const D: usize> ArrayIndex<D> for [usize; D] {
    #[inline(always)]
    fn axes(self) -> [usize; D] {
        self
    }
}

impl ArrayIndex<1> for usize {
    #[inline(always)]
    fn axes(self) -> [usize; 1] {
        [self]
    }
}

/// The axes of a [`View`] or an [`Out`](crate::Out): each one's extent and
/// stride (in elements), and the index arithmetic both share.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Axes<const D: usize> {
    pub(crate) shape: [usize; D],
    pub(crate) strides: [isize; D],
}

impl<const D: usize> Axes<D> {
    /// The axes of a kernel parameter as it crossed.
    #[inline(always)]
    pub(crate) fn of(parts: &ArrayParts<D>) -> Self {
        Self {
            shape: parts.shape.map(|n| n as usize),
            strides: parts.strides.map(|s| s as isize),
        }
    }

    /// Elements: the product of the extents.
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// The offset (in elements) of `ix`, each axis checked: out of bounds
    /// is a panic naming the index and the shape, which the simulator
    /// reports with the kernel, block and thread and the GPU turns into a
    /// trap.
    #[inline(always)]
    pub(crate) fn offset(&self, ix: [usize; D]) -> isize {
        let mut off = 0isize;
        for d in 0..D {
            if ix[d] >= self.shape[d] {
                out_of_bounds(&ix, &self.shape);
            }
            // No overflow: `ix[d] < shape[d]`, and the array's layout
            // (checked on the host) keeps every in-bounds offset within an
            // `isize`.
            off = off.wrapping_add((ix[d] as isize).wrapping_mul(self.strides[d]));
        }
        off
    }
}

#[cold]
#[inline(never)]
fn out_of_bounds(ix: &[usize], shape: &[usize]) -> ! {
    if let ([i], [len]) = (ix, shape) {
        panic!("index {i} is out of bounds for an array of {len} elements")
    }
    panic!("index {ix:?} is out of bounds for an array of shape {shape:?}")
}

/// A read-only `D`-dimensional array a kernel takes (Numba's array
/// argument): its shape ([`View::shape`], [`View::dim`], Numba's
/// `a.shape[n]`) and strides come with it, so a transposed or sliced host
/// array is read as it is. Indexed as `a[[i, j]]` (a one-axis view also as
/// `a[i]`), every axis bounds-checked.
///
/// ```rust
/// use hotloop_device::View;
///
/// // A 2x3 matrix stored by columns (Fortran order), read by row and column.
/// let data = [1.0, 4.0, 2.0, 5.0, 3.0, 6.0];
/// let a = View::<f64, 2>::new(&data, [2, 3], [1, 2]).unwrap();
/// assert_eq!((a.dim(0), a.dim(1)), (2, 3));
/// assert_eq!((a[[0, 2]], a[[1, 0]]), (3.0, 4.0));
/// ```
#[derive(Debug)]
pub struct View<'a, T, const D: usize> {
    ptr: *const T,
    axes: Axes<D>,
    _array: PhantomData<&'a [T]>,
}

impl<T, const D: usize> Clone for View<'_, T, D> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T, const D: usize> Copy for View<'_, T, D> {}

// SAFETY: a shared, read-only view, as `&[T]` (which is Send and Sync for
// T: Sync).
unsafe impl<T: Sync, const D: usize> Send for View<'_, T, D> {}
// SAFETY: as above.
unsafe impl<T: Sync, const D: usize> Sync for View<'_, T, D> {}

impl<'a, T, const D: usize> View<'a, T, D> {
    /// The view of `data` with `shape` and `strides` (in elements) from
    /// `data[0]`; `None` if some in-bounds index would fall outside `data`
    /// or a stride is negative (a reversed axis reaches such a kernel
    /// through a device array).
    pub fn new(data: &'a [T], shape: [usize; D], strides: [isize; D]) -> Option<Self> {
        let mut hi = 0usize;
        for d in 0..D {
            if shape[d] == 0 {
                // No elements: nothing is read.
                return Some(Self::from_raw_unchecked(data.as_ptr(), shape, strides));
            }
            if strides[d] < 0 {
                return None;
            }
            hi = hi.checked_add((shape[d] - 1).checked_mul(strides[d] as usize)?)?;
        }
        (hi < data.len()).then(|| Self::from_raw_unchecked(data.as_ptr(), shape, strides))
    }

    #[inline(always)]
    const fn from_raw_unchecked(ptr: *const T, shape: [usize; D], strides: [isize; D]) -> Self {
        Self {
            ptr,
            axes: Axes { shape, strides },
            _array: PhantomData,
        }
    }

    /// The view an entry point rebuilds from its parameter.
    ///
    /// # Safety
    /// Every in-bounds index's element (at `ptr + Σ i·stride`) is valid,
    /// aligned and unwritten for `'a`.
    #[inline(always)]
    pub unsafe fn from_parts(parts: &ArrayParts<D>) -> Self {
        Self {
            ptr: parts.ptr as *const T,
            axes: Axes::of(parts),
            _array: PhantomData,
        }
    }

    /// The extent of each axis (Numba's `a.shape`).
    #[inline(always)]
    pub fn shape(&self) -> [usize; D] {
        self.axes.shape
    }

    /// The extent of axis `n` (Numba's `a.shape[n]`).
    #[inline(always)]
    pub fn dim(&self, n: usize) -> usize {
        self.axes.shape[n]
    }

    /// The stride of each axis, in elements (Numba's `a.strides`, in
    /// bytes there).
    #[inline(always)]
    pub fn strides(&self) -> [isize; D] {
        self.axes.strides
    }

    /// Elements: the product of the extents (Numba's `a.size`).
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.axes.len()
    }

    /// Whether it has no elements.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element at `ix`, bounds-checked.
    #[inline(always)]
    pub fn get(&self, ix: impl ArrayIndex<D>) -> &'a T {
        let off = self.axes.offset(ix.axes());
        // SAFETY: `offset` checked every axis; the constructor vouches for
        // every in-bounds element.
        unsafe { &*self.ptr.offset(off) }
    }
}

impl<T, const D: usize> core::ops::Index<[usize; D]> for View<'_, T, D> {
    type Output = T;
    #[inline(always)]
    fn index(&self, ix: [usize; D]) -> &T {
        self.get(ix)
    }
}

impl<T> core::ops::Index<usize> for View<'_, T, 1> {
    type Output = T;
    #[inline(always)]
    fn index(&self, i: usize) -> &T {
        self.get(i)
    }
}
