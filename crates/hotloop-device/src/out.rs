//! [`Out`]: a kernel's output array.

use crate::elem::{AtomicAdd, AtomicBits, AtomicInt, AtomicNan, AtomicOrd, AtomicWrap, DeviceCopy};
use core::marker::PhantomData;

/// An output array every thread of a launch holds, writing (its own)
/// elements by index.
///
/// Many threads holding a `&mut [T]` of one array would be undefined
/// behaviour; `Out` is a pointer and a length instead, and every access is
/// a relaxed atomic one, so threads writing distinct elements is sound, and
/// two writing one element is a race of values, not undefined behaviour.
/// Indices are checked: out of bounds is a panic, which the GPU turns into
/// a launch error and the simulator into an error naming the kernel, block
/// and thread.
#[derive(Debug)]
pub struct Out<'a, T> {
    ptr: *mut T,
    len: usize,
    _array: PhantomData<&'a [T]>,
}

impl<T> Clone for Out<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Out<'_, T> {}

// SAFETY: every access is atomic (see the type's documentation).
unsafe impl<T: DeviceCopy> Send for Out<'_, T> {}
// SAFETY: as above.
unsafe impl<T: DeviceCopy> Sync for Out<'_, T> {}

impl<'a, T: DeviceCopy> Out<'a, T> {
    /// The output over `len` elements at `ptr`.
    ///
    /// # Safety
    /// `ptr` is valid and aligned for `len` elements for `'a`, and nothing
    /// but `Out`s (and atomics) accesses them meanwhile.
    #[inline(always)]
    pub unsafe fn from_raw(ptr: *mut T, len: usize) -> Self {
        Self {
            ptr,
            len,
            _array: PhantomData,
        }
    }

    /// The output over a whole slice, borrowed exclusively.
    pub fn from_slice(s: &'a mut [T]) -> Self {
        // SAFETY: the exclusive borrow keeps every other access out.
        unsafe { Self::from_raw(s.as_mut_ptr(), s.len()) }
    }

    /// Elements in the array.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the array has no elements.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first element's address, for code that writes its own
    /// elements through a pointer (`hotloop_core::grid`'s per-thread
    /// bodies, which the CPU backends share). Getting it is safe; writing
    /// through it is sound only for elements no other thread accesses
    /// during the launch.
    #[inline(always)]
    pub fn as_mut_ptr(&self) -> *mut T {
        self.ptr
    }

    #[inline(always)]
    fn at(&self, i: usize) -> *mut T {
        if i >= self.len {
            out_of_bounds(i, self.len);
        }
        // SAFETY: i < len.
        unsafe { self.ptr.add(i) }
    }

    /// `out[i] = v`.
    #[inline(always)]
    pub fn set(&self, i: usize, v: T) {
        let p = self.at(i);
        // SAFETY: `at` checked the index; the constructor vouches for it.
        unsafe { T::store(p, v) };
        seen(p, v, true);
    }

    /// `out[i]`.
    #[inline(always)]
    pub fn get(&self, i: usize) -> T {
        let p = self.at(i);
        // SAFETY: as `set`.
        let v = unsafe { T::load(p) };
        seen(p, v, false);
        v
    }

    /// An atomic read-modify-write `op` of element `i`; returns the old
    /// value.
    #[inline(always)]
    fn rmw(&self, i: usize, op: impl FnOnce(*mut T) -> T) -> T {
        let p = self.at(i);
        let old = op(p);
        rmw_seen(p, old);
        old
    }

    /// `out[i] += v`, atomically (wrapping for integers); returns the old
    /// value: Numba's `cuda.atomic.add`.
    #[inline(always)]
    pub fn atomic_add(&self, i: usize, v: T) -> T
    where
        T: AtomicAdd,
    {
        // SAFETY: `rmw` checked the index; the constructor vouches for it.
        self.rmw(i, |p| unsafe { T::atomic_add(p, v) })
    }

    /// `out[i] -= v`, atomically, wrapping; returns the old value
    /// (`atomic.sub`).
    #[inline(always)]
    pub fn atomic_sub(&self, i: usize, v: T) -> T
    where
        T: AtomicInt,
    {
        // SAFETY: as `atomic_add`.
        self.rmw(i, |p| unsafe { T::atomic_sub(p, v) })
    }

    /// `out[i] &= v`, atomically; returns the old value (`atomic.and_`).
    #[inline(always)]
    pub fn atomic_and(&self, i: usize, v: T) -> T
    where
        T: AtomicInt,
    {
        // SAFETY: as `atomic_add`.
        self.rmw(i, |p| unsafe { T::atomic_and(p, v) })
    }

    /// `out[i] |= v`, atomically; returns the old value (`atomic.or_`).
    #[inline(always)]
    pub fn atomic_or(&self, i: usize, v: T) -> T
    where
        T: AtomicInt,
    {
        // SAFETY: as `atomic_add`.
        self.rmw(i, |p| unsafe { T::atomic_or(p, v) })
    }

    /// `out[i] ^= v`, atomically; returns the old value (`atomic.xor`).
    #[inline(always)]
    pub fn atomic_xor(&self, i: usize, v: T) -> T
    where
        T: AtomicInt,
    {
        // SAFETY: as `atomic_add`.
        self.rmw(i, |p| unsafe { T::atomic_xor(p, v) })
    }

    /// `out[i] = v`, atomically; returns the old value (`atomic.exch`).
    #[inline(always)]
    pub fn atomic_exch(&self, i: usize, v: T) -> T
    where
        T: AtomicBits,
    {
        // SAFETY: as `atomic_add`.
        self.rmw(i, |p| unsafe { T::atomic_exch(p, v) })
    }

    /// `out[i] = new` if `out[i]` has `expected`'s bits, atomically;
    /// returns the old value (`atomic.compare_and_swap`).
    #[inline(always)]
    pub fn atomic_cas(&self, i: usize, expected: T, new: T) -> T
    where
        T: AtomicBits,
    {
        // SAFETY: as `atomic_add`.
        self.rmw(i, |p| unsafe { T::atomic_cas(p, expected, new) })
    }

    /// `out[i] = if out[i] >= v { 0 } else { out[i] + 1 }`, atomically;
    /// returns the old value (`atomic.inc`).
    #[inline(always)]
    pub fn atomic_inc(&self, i: usize, v: T) -> T
    where
        T: AtomicWrap,
    {
        // SAFETY: as `atomic_add`.
        self.rmw(i, |p| unsafe { T::atomic_inc(p, v) })
    }

    /// `out[i] = if out[i] == 0 || out[i] > v { v } else { out[i] - 1 }`,
    /// atomically; returns the old value (`atomic.dec`).
    #[inline(always)]
    pub fn atomic_dec(&self, i: usize, v: T) -> T
    where
        T: AtomicWrap,
    {
        // SAFETY: as `atomic_add`.
        self.rmw(i, |p| unsafe { T::atomic_dec(p, v) })
    }

    /// `out[i] = max(out[i], v)`, atomically; returns the old value
    /// (`atomic.max`; for floats a NaN wins, see [`AtomicOrd`]).
    #[inline(always)]
    pub fn atomic_max(&self, i: usize, v: T) -> T
    where
        T: AtomicOrd,
    {
        // SAFETY: as `atomic_add`.
        self.rmw(i, |p| unsafe { T::atomic_max(p, v) })
    }

    /// `out[i] = min(out[i], v)`, atomically; returns the old value
    /// (`atomic.min`).
    #[inline(always)]
    pub fn atomic_min(&self, i: usize, v: T) -> T
    where
        T: AtomicOrd,
    {
        // SAFETY: as `atomic_add`.
        self.rmw(i, |p| unsafe { T::atomic_min(p, v) })
    }

    /// `out[i] = nanmax(out[i], v)`, NaN ignored, atomically; returns the
    /// old value (`atomic.nanmax`).
    #[inline(always)]
    pub fn atomic_nanmax(&self, i: usize, v: T) -> T
    where
        T: AtomicNan,
    {
        // SAFETY: as `atomic_add`.
        self.rmw(i, |p| unsafe { T::atomic_nanmax(p, v) })
    }

    /// `out[i] = nanmin(out[i], v)`, NaN ignored, atomically; returns the
    /// old value (`atomic.nanmin`).
    #[inline(always)]
    pub fn atomic_nanmin(&self, i: usize, v: T) -> T
    where
        T: AtomicNan,
    {
        // SAFETY: as `atomic_add`.
        self.rmw(i, |p| unsafe { T::atomic_nanmin(p, v) })
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

#[cold]
#[inline(never)]
fn out_of_bounds(i: usize, len: usize) -> ! {
    panic!("index {i} is out of bounds for an array of {len} elements")
}
