//! [`Out`]: a kernel's output array.

use crate::elem::{AtomicAdd, AtomicBits, AtomicInt, AtomicNan, AtomicOrd, AtomicWrap, DeviceCopy};
use crate::view::{ArrayIndex, Axes};
use core::marker::PhantomData;
use hotloop_core::abi::ArrayParts;

/// An output array every thread of a launch holds, writing (its own)
/// elements by index: `Out<T>` a flat one, `Out<T, D>` one of `D` axes
/// with its shape and strides (Numba's array argument, written), indexed
/// as `out.set([i, j], v)`.
///
/// Many threads holding a `&mut [T]` of one array would be undefined
/// behaviour; `Out` is a pointer and a shape instead, and every access is
/// a relaxed atomic one, so threads writing distinct elements is sound, and
/// two writing one element is a race of values, not undefined behaviour.
/// Indices are checked on every axis: out of bounds is a panic, which the
/// GPU turns into a launch error and the simulator into an error naming the
/// kernel, block, thread and index.
#[derive(Debug)]
pub struct Out<'a, T, const D: usize = 1> {
    ptr: *mut T,
    axes: Axes<D>,
    _array: PhantomData<&'a [T]>,
}

impl<T, const D: usize> Clone for Out<'_, T, D> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T, const D: usize> Copy for Out<'_, T, D> {}

// SAFETY: every access is atomic (see the type's documentation).
unsafe impl<T: DeviceCopy, const D: usize> Send for Out<'_, T, D> {}
// SAFETY: as above.
unsafe impl<T: DeviceCopy, const D: usize> Sync for Out<'_, T, D> {}

impl<'a, T: DeviceCopy> Out<'a, T> {
    /// The output over `len` elements at `ptr`.
    ///
    /// # Safety
    /// `ptr` is valid and aligned for `len` elements for `'a`, and nothing
    /// but `Out`s (and atomics) accesses them meanwhile.
    #[inline(always)]
    pub unsafe fn from_raw(ptr: *mut T, len: usize) -> Self {
        // SAFETY: the caller's.
        unsafe { Self::from_raw_parts(ptr, [len], [1]) }
    }

    /// The output over a whole slice, borrowed exclusively.
    pub fn from_slice(s: &'a mut [T]) -> Self {
        // SAFETY: the exclusive borrow keeps every other access out.
        unsafe { Self::from_raw(s.as_mut_ptr(), s.len()) }
    }
}

impl<'a, T: DeviceCopy, const D: usize> Out<'a, T, D> {
    /// The output with `shape` and `strides` (in elements) from `ptr`,
    /// element `[0, 0, ..]`.
    ///
    /// # Safety
    /// Every in-bounds index's element (at `ptr + Σ i·stride`) is valid and
    /// aligned for `'a`, and nothing but `Out`s (and atomics) accesses
    /// them meanwhile.
    #[inline(always)]
    pub unsafe fn from_raw_parts(ptr: *mut T, shape: [usize; D], strides: [isize; D]) -> Self {
        Self {
            ptr,
            axes: Axes { shape, strides },
            _array: PhantomData,
        }
    }

    /// The output an entry point rebuilds from its parameter.
    ///
    /// # Safety
    /// As [`Out::from_raw_parts`].
    #[inline(always)]
    pub unsafe fn from_parts(parts: &ArrayParts<D>) -> Self {
        Self {
            ptr: parts.ptr as *mut T,
            axes: Axes::of(parts),
            _array: PhantomData,
        }
    }

    /// The output with `shape` in C order over `ptr` (a shared array's).
    ///
    /// # Safety
    /// As [`Out::from_raw_parts`], for the product of `shape` elements.
    #[inline(always)]
    pub(crate) unsafe fn from_raw_standard(ptr: *mut T, shape: [usize; D]) -> Self {
        let mut strides = [1isize; D];
        for d in (0..D.saturating_sub(1)).rev() {
            strides[d] = strides[d + 1] * shape[d + 1] as isize;
        }
        // SAFETY: the caller's.
        unsafe { Self::from_raw_parts(ptr, shape, strides) }
    }

    /// Elements in the array: the product of its extents.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.axes.len()
    }

    /// Whether the array has no elements.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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

    /// The stride of each axis, in elements.
    #[inline(always)]
    pub fn strides(&self) -> [isize; D] {
        self.axes.strides
    }

    /// Element `[0, 0, ..]`'s address, for code that writes its own
    /// elements through a pointer (`hotloop_core::grid`'s per-thread
    /// bodies, which the CPU backends share). Getting it is safe; writing
    /// through it is sound only for elements no other thread accesses
    /// during the launch.
    #[inline(always)]
    pub fn as_mut_ptr(&self) -> *mut T {
        self.ptr
    }

    #[inline(always)]
    fn at(&self, ix: impl ArrayIndex<D>) -> *mut T {
        let off = self.axes.offset(ix.axes());
        // SAFETY: `offset` checked every axis.
        unsafe { self.ptr.offset(off) }
    }

    /// `out[ix] = v`.
    #[inline(always)]
    pub fn set(&self, ix: impl ArrayIndex<D>, v: T) {
        let p = self.at(ix);
        // SAFETY: `at` checked the index; the constructor vouches for it.
        unsafe { T::store(p, v) };
        seen(p, v, true);
    }

    /// `out[ix]`.
    #[inline(always)]
    pub fn get(&self, ix: impl ArrayIndex<D>) -> T {
        let p = self.at(ix);
        // SAFETY: as `set`.
        let v = unsafe { T::load(p) };
        seen(p, v, false);
        v
    }

    /// An atomic read-modify-write `op` of element `i`; returns the old
    /// value.
    #[inline(always)]
    fn rmw(&self, ix: impl ArrayIndex<D>, op: impl FnOnce(*mut T) -> T) -> T {
        let p = self.at(ix);
        let old = op(p);
        rmw_seen(p, old);
        old
    }

    /// `out[ix] += v`, atomically (wrapping for integers); returns the old
    /// value: Numba's `cuda.atomic.add`.
    #[inline(always)]
    pub fn atomic_add(&self, ix: impl ArrayIndex<D>, v: T) -> T
    where
        T: AtomicAdd,
    {
        // SAFETY: `rmw` checked the index; the constructor vouches for it.
        self.rmw(ix, |p| unsafe { T::atomic_add(p, v) })
    }

    /// `out[ix] -= v`, atomically, wrapping; returns the old value
    /// (`atomic.sub`).
    #[inline(always)]
    pub fn atomic_sub(&self, ix: impl ArrayIndex<D>, v: T) -> T
    where
        T: AtomicInt,
    {
        // SAFETY: as `atomic_add`.
        self.rmw(ix, |p| unsafe { T::atomic_sub(p, v) })
    }

    /// `out[ix] &= v`, atomically; returns the old value (`atomic.and_`).
    #[inline(always)]
    pub fn atomic_and(&self, ix: impl ArrayIndex<D>, v: T) -> T
    where
        T: AtomicInt,
    {
        // SAFETY: as `atomic_add`.
        self.rmw(ix, |p| unsafe { T::atomic_and(p, v) })
    }

    /// `out[ix] |= v`, atomically; returns the old value (`atomic.or_`).
    #[inline(always)]
    pub fn atomic_or(&self, ix: impl ArrayIndex<D>, v: T) -> T
    where
        T: AtomicInt,
    {
        // SAFETY: as `atomic_add`.
        self.rmw(ix, |p| unsafe { T::atomic_or(p, v) })
    }

    /// `out[ix] ^= v`, atomically; returns the old value (`atomic.xor`).
    #[inline(always)]
    pub fn atomic_xor(&self, ix: impl ArrayIndex<D>, v: T) -> T
    where
        T: AtomicInt,
    {
        // SAFETY: as `atomic_add`.
        self.rmw(ix, |p| unsafe { T::atomic_xor(p, v) })
    }

    /// `out[ix] = v`, atomically; returns the old value (`atomic.exch`).
    #[inline(always)]
    pub fn atomic_exch(&self, ix: impl ArrayIndex<D>, v: T) -> T
    where
        T: AtomicBits,
    {
        // SAFETY: as `atomic_add`.
        self.rmw(ix, |p| unsafe { T::atomic_exch(p, v) })
    }

    /// `out[ix] = new` if `out[ix]` has `expected`'s bits, atomically;
    /// returns the old value (`atomic.compare_and_swap`).
    #[inline(always)]
    pub fn atomic_cas(&self, ix: impl ArrayIndex<D>, expected: T, new: T) -> T
    where
        T: AtomicBits,
    {
        // SAFETY: as `atomic_add`.
        self.rmw(ix, |p| unsafe { T::atomic_cas(p, expected, new) })
    }

    /// `out[ix] = if out[ix] >= v { 0 } else { out[ix] + 1 }`, atomically;
    /// returns the old value (`atomic.inc`).
    #[inline(always)]
    pub fn atomic_inc(&self, ix: impl ArrayIndex<D>, v: T) -> T
    where
        T: AtomicWrap,
    {
        // SAFETY: as `atomic_add`.
        self.rmw(ix, |p| unsafe { T::atomic_inc(p, v) })
    }

    /// `out[ix] = if out[ix] == 0 || out[ix] > v { v } else { out[ix] - 1 }`,
    /// atomically; returns the old value (`atomic.dec`).
    #[inline(always)]
    pub fn atomic_dec(&self, ix: impl ArrayIndex<D>, v: T) -> T
    where
        T: AtomicWrap,
    {
        // SAFETY: as `atomic_add`.
        self.rmw(ix, |p| unsafe { T::atomic_dec(p, v) })
    }

    /// `out[ix] = max(out[ix], v)`, atomically; returns the old value
    /// (`atomic.max`; for floats a NaN wins, see [`AtomicOrd`]).
    #[inline(always)]
    pub fn atomic_max(&self, ix: impl ArrayIndex<D>, v: T) -> T
    where
        T: AtomicOrd,
    {
        // SAFETY: as `atomic_add`.
        self.rmw(ix, |p| unsafe { T::atomic_max(p, v) })
    }

    /// `out[ix] = min(out[ix], v)`, atomically; returns the old value
    /// (`atomic.min`).
    #[inline(always)]
    pub fn atomic_min(&self, ix: impl ArrayIndex<D>, v: T) -> T
    where
        T: AtomicOrd,
    {
        // SAFETY: as `atomic_add`.
        self.rmw(ix, |p| unsafe { T::atomic_min(p, v) })
    }

    /// `out[ix] = nanmax(out[ix], v)`, NaN ignored, atomically; returns the
    /// old value (`atomic.nanmax`).
    #[inline(always)]
    pub fn atomic_nanmax(&self, ix: impl ArrayIndex<D>, v: T) -> T
    where
        T: AtomicNan,
    {
        // SAFETY: as `atomic_add`.
        self.rmw(ix, |p| unsafe { T::atomic_nanmax(p, v) })
    }

    /// `out[ix] = nanmin(out[ix], v)`, NaN ignored, atomically; returns the
    /// old value (`atomic.nanmin`).
    #[inline(always)]
    pub fn atomic_nanmin(&self, ix: impl ArrayIndex<D>, v: T) -> T
    where
        T: AtomicNan,
    {
        // SAFETY: as `atomic_add`.
        self.rmw(ix, |p| unsafe { T::atomic_nanmin(p, v) })
    }
}

/// On the host, each access to memory other threads write is a point where
/// the simulator may switch threads: a thread spinning on a flag lets the
/// thread that sets it run (`Block::access`). Nothing on the GPU.
#[inline(always)]
fn seen<T: DeviceCopy>(p: *const T, v: T, wrote: bool) {
    #[cfg(not(target_arch = "nvptx64"))]
    crate::sim_thread::access(p as usize, v.to_raw(), wrote);
    #[cfg(target_arch = "nvptx64")]
    let _ = (p, v, wrote);
}

/// [`seen`] after an atomic read-modify-write that found `old`: a write
/// only if it changed the element (an `atomic_add(i, 0)` spin writes
/// nothing).
#[inline(always)]
fn rmw_seen<T: DeviceCopy>(p: *mut T, old: T) {
    #[cfg(not(target_arch = "nvptx64"))]
    {
        // SAFETY: `p` was checked by `at`, as for the operation itself.
        let now = unsafe { T::load(p) };
        seen(p, now, now.to_raw() != old.to_raw());
    }
    #[cfg(target_arch = "nvptx64")]
    let _ = (p, old);
}
