//! [`SharedArray`]: a block's shared memory (`__shared__ T a[N]`).

use crate::elem::{AtomicAdd, DeviceCopy};

/// `N` elements of `T` shared by the threads of one block, from
/// [`shared_array!`](crate::shared_array): `.shared` memory on the GPU, one
/// array per simulated block on the host. Its contents start undefined on
/// the GPU (zeros in the simulator); accesses are relaxed atomics, made
/// visible to the rest of the block by [`crate::sync_threads`]. Indices are
/// checked as [`crate::Out`]'s are.
#[derive(Debug)]
pub struct SharedArray<T, const N: usize> {
    ptr: *mut T,
}

impl<T, const N: usize> Clone for SharedArray<T, N> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T, const N: usize> Copy for SharedArray<T, N> {}

impl<T: DeviceCopy, const N: usize> SharedArray<T, N> {
    /// The array at `ptr`.
    ///
    /// # Safety
    /// `ptr` is valid and aligned for `N` elements of `T` while the block
    /// runs, and only accessed atomically.
    #[inline(always)]
    pub unsafe fn from_raw(ptr: *mut T) -> Self {
        Self { ptr }
    }

    /// `N`.
    #[inline(always)]
    pub const fn len(&self) -> usize {
        N
    }

    /// Whether `N` is 0.
    #[inline(always)]
    pub const fn is_empty(&self) -> bool {
        N == 0
    }

    #[inline(always)]
    fn at(&self, i: usize) -> *mut T {
        if i >= N {
            out_of_bounds(i, N);
        }
        // SAFETY: i < N.
        unsafe { self.ptr.add(i) }
    }

    /// `a[i] = v`.
    #[inline(always)]
    pub fn set(&self, i: usize, v: T) {
        // SAFETY: `at` checked the index; the constructor vouches for it.
        unsafe { T::store(self.at(i), v) }
    }

    /// `a[i]`.
    #[inline(always)]
    pub fn get(&self, i: usize) -> T {
        // SAFETY: as `set`.
        unsafe { T::load(self.at(i)) }
    }

    /// `a[i] += v` atomically; returns the old value.
    #[inline(always)]
    pub fn atomic_add(&self, i: usize, v: T) -> T
    where
        T: AtomicAdd,
    {
        // SAFETY: as `set`.
        unsafe { T::atomic_add(self.at(i), v) }
    }
}

#[cold]
#[inline(never)]
fn out_of_bounds(i: usize, n: usize) -> ! {
    panic!("shared index {i} is out of bounds for a shared array of {n} elements")
}
