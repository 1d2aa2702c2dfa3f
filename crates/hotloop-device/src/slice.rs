//! What a launcher takes as an array argument: its own arrays and slices of
//! them along the first axis (Numba's `d[i:j]`), passed to a kernel without
//! a copy. The borrow checker keeps a slice a kernel writes apart from every
//! other use of its rows; the rules are stated once here, for every backend.

use crate::elem::DeviceCopy;
use crate::host::Buffer;
use core::marker::PhantomData;
use core::ops::{Bound, RangeBounds};
use hotloop_core::abi::{Layout, SliceError};

/// An array a launcher's kernels may read: a backend's own array, or a
/// slice of one ([`DeviceBuffer::slice`]).
///
/// # Safety
/// While `self` is borrowed, every element of [`Buffer::layout`]'s span
/// from [`Buffer::addr`] is allocated memory of kind `Memory` that nothing
/// writes: a kernel reads it there unchecked.
pub unsafe trait DeviceBuffer<T: DeviceCopy>: Buffer<T> {
    /// Where its elements are (the simulator's host memory, a GPU's):
    /// a launcher takes the buffers of its own kind only.
    type Memory;

    /// Rows `rows` of its first axis, the other axes whole (Numba's
    /// `d[i:j]`), without a copy: a buffer a kernel reads, borrowing this
    /// one. `Err` unless `start <= end <= rows`.
    fn slice(
        &self,
        rows: impl RangeBounds<usize>,
    ) -> Result<ArraySlice<'_, T, Self::Memory>, SliceError> {
        let (addr, layout) = narrow::<T>(self.addr(), self.layout(), &rows)?;
        Ok(ArraySlice {
            addr,
            layout,
            _borrow: PhantomData,
        })
    }
}

/// An array a launcher's kernels may write: a backend's own array, or a
/// slice of one that has its rows to itself ([`DeviceBufferMut::slice_mut`],
/// [`DeviceBufferMut::split_at_mut`]).
///
/// # Safety
/// As [`DeviceBuffer`], and moreover, while `self` is borrowed mutably,
/// nothing else reads or writes any element of its span.
pub unsafe trait DeviceBufferMut<T: DeviceCopy>: DeviceBuffer<T> {
    /// Rows `rows` of its first axis as a buffer a kernel may write,
    /// borrowing this one mutably. `Err` unless `start <= end <= rows`.
    fn slice_mut(
        &mut self,
        rows: impl RangeBounds<usize>,
    ) -> Result<ArraySliceMut<'_, T, Self::Memory>, SliceError> {
        let (addr, layout) = narrow::<T>(self.addr(), self.layout(), &rows)?;
        Ok(ArraySliceMut {
            addr,
            layout,
            _borrow: PhantomData,
        })
    }

    /// Rows `..mid` and `mid..` as two buffers kernels may write at once
    /// (`[T]::split_at_mut` for arrays). `Err` if `mid` is beyond the
    /// rows, or if the two parts' elements interleave in memory (rows of a
    /// transposed array), which would let one kernel write what another
    /// reads.
    #[allow(clippy::type_complexity)]
    fn split_at_mut(
        &mut self,
        mid: usize,
    ) -> Result<
        (
            ArraySliceMut<'_, T, Self::Memory>,
            ArraySliceMut<'_, T, Self::Memory>,
        ),
        SliceError,
    > {
        let (a, b) = (
            narrow::<T>(self.addr(), self.layout(), &(..mid))?,
            narrow::<T>(self.addr(), self.layout(), &(mid..))?,
        );
        if let (Some(x), Some(y)) = (bytes_spanned::<T>(a), bytes_spanned::<T>(b))
            && x.0 < y.1
            && y.0 < x.1
        {
            return Err(SliceError::Interleaved {
                mid,
                row_stride: self.layout().strides()[0],
            });
        }
        let part = |(addr, layout)| ArraySliceMut {
            addr,
            layout,
            _borrow: PhantomData,
        };
        Ok((part(a), part(b)))
    }
}

/// The address of element `[0, 0, ..]` of rows `rows` of the array at
/// `addr` with `layout`, and the rows' layout.
fn narrow<T>(
    addr: u64,
    layout: Layout,
    rows: &impl RangeBounds<usize>,
) -> Result<(u64, Layout), SliceError> {
    let n = layout.shape()[0];
    let start = match rows.start_bound() {
        Bound::Included(&s) => s,
        Bound::Excluded(&s) => s.saturating_add(1),
        Bound::Unbounded => 0,
    };
    let end = match rows.end_bound() {
        Bound::Included(&e) => e.saturating_add(1),
        Bound::Excluded(&e) => e,
        Bound::Unbounded => n,
    };
    let (part, offset) = layout.rows(start, end).ok_or(SliceError::OutOfRange {
        start,
        end,
        rows: n,
    })?;
    // Within the array's span (or one row past it, for an empty part), so
    // the byte offset fits.
    let bytes = offset as i64 * size_of::<T>() as i64;
    Ok((addr.wrapping_add_signed(bytes), part))
}

/// The bytes `[lo, hi)` the elements of `layout` at `addr` lie within;
/// `None` if it has none.
pub fn bytes_spanned<T>((addr, layout): (u64, Layout)) -> Option<(u64, u64)> {
    let (lo, hi) = layout.span()?;
    let size = size_of::<T>() as i64;
    Some((
        addr.wrapping_add_signed(lo as i64 * size),
        addr.wrapping_add_signed((hi as i64 + 1) * size),
    ))
}

/// A memory kind, named without holding one (so that it does not change
/// whether a slice is `Send` or `Sync`).
type Kind<M> = fn() -> M;

/// Rows of an array of a backend, read by kernels without a copy
/// ([`DeviceBuffer::slice`]): a [`DeviceBuffer`] itself, so it can be sliced
/// again and passed wherever the array can be read.
pub struct ArraySlice<'a, T, M> {
    addr: u64,
    layout: Layout,
    _borrow: PhantomData<(&'a [T], Kind<M>)>,
}

impl<T, M> Clone for ArraySlice<'_, T, M> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T, M> Copy for ArraySlice<'_, T, M> {}

impl<T, M> core::fmt::Debug for ArraySlice<'_, T, M> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "ArraySlice({:?} at {:#x})", self.layout, self.addr)
    }
}

/// Rows of an array of a backend that kernels may write, borrowed from it
/// alone ([`DeviceBufferMut::slice_mut`], [`DeviceBufferMut::split_at_mut`]).
pub struct ArraySliceMut<'a, T, M> {
    addr: u64,
    layout: Layout,
    _borrow: PhantomData<(&'a mut [T], Kind<M>)>,
}

impl<T, M> core::fmt::Debug for ArraySliceMut<'_, T, M> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "ArraySliceMut({:?} at {:#x})", self.layout, self.addr)
    }
}

macro_rules! slice_buffer {
    ($($t:ident)*) => {$(
        impl<T, M> Buffer<T> for $t<'_, T, M> {
            fn addr(&self) -> u64 {
                self.addr
            }
            fn len(&self) -> usize {
                self.layout.len()
            }
            fn layout(&self) -> Layout {
                self.layout
            }
        }

        impl<T, M> $t<'_, T, M> {
            /// Its extents (Numba's `d.shape`).
            pub fn shape(&self) -> &[usize] {
                self.layout.shape()
            }
            /// Its shape and strides.
            pub fn layout(&self) -> Layout {
                self.layout
            }
            /// Elements.
            pub fn len(&self) -> usize {
                self.layout.len()
            }
            /// Whether it has no elements.
            pub fn is_empty(&self) -> bool {
                self.layout.is_empty()
            }
        }
    )*};
}
slice_buffer!(ArraySlice ArraySliceMut);

// SAFETY: its rows lie within the span of the buffer it borrows (shared),
// whose contract covers them for as long.
unsafe impl<T: DeviceCopy, M> DeviceBuffer<T> for ArraySlice<'_, T, M> {
    type Memory = M;
}

// SAFETY: as above, the buffer borrowed mutably, and the rows apart from
// any other part `split_at_mut` made.
unsafe impl<T: DeviceCopy, M> DeviceBuffer<T> for ArraySliceMut<'_, T, M> {
    type Memory = M;
}

// SAFETY: as above.
unsafe impl<T: DeviceCopy, M> DeviceBufferMut<T> for ArraySliceMut<'_, T, M> {}
