//! [`SharedArray`]: a block's shared memory (`__shared__ T a[N]`).

use crate::elem::DeviceCopy;
use crate::limits::MAX_SHARED_BYTES;
use crate::out::Out;

/// The bytes of a `shared_array!(T, len)`, for the macro's constant: its
/// evaluation fails the build (on the host as on the GPU) for an empty
/// array, which `ptxas` rejects, and for one whose size overflows or
/// exceeds a block's [`MAX_SHARED_BYTES`].
#[doc(hidden)]
pub const fn shared_bytes<T>(len: usize) -> usize {
    assert!(
        len > 0,
        "shared_array! needs at least one element: ptxas rejects an empty .shared array"
    );
    match len.checked_mul(core::mem::size_of::<T>()) {
        Some(bytes) if bytes <= MAX_SHARED_BYTES => bytes,
        _ => panic!(
            "shared_array! is larger than the 48 KiB of static shared memory a block may \
             declare (hotloop_device::MAX_SHARED_BYTES)"
        ),
    }
}

/// `N` elements of `T` shared by the threads of one block, from
/// [`shared_array!`](crate::shared_array): `.shared` memory on the GPU, one
/// array per simulated block on the host. Its contents start undefined on
/// the GPU (zeros in the simulator). Accesses are [`Out`]'s: relaxed
/// atomics, bounds-checked, made visible to the rest of the block by
/// [`crate::sync_threads`].
#[derive(Debug)]
pub struct SharedArray<T: 'static, const N: usize> {
    slots: Out<'static, T>,
}

impl<T: 'static, const N: usize> Clone for SharedArray<T, N> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: 'static, const N: usize> Copy for SharedArray<T, N> {}

impl<T: DeviceCopy, const N: usize> SharedArray<T, N> {
    /// The array at `ptr`.
    ///
    /// # Safety
    /// `ptr` is valid and aligned for `N` elements of `T` while the block
    /// runs, and only accessed atomically.
    #[inline(always)]
    pub unsafe fn from_raw(ptr: *mut T) -> Self {
        // SAFETY: the caller's, for the block's lifetime, which is as long
        // as any thread can hold the array.
        Self {
            slots: unsafe { Out::from_raw(ptr, N) },
        }
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
}

/// A shared array is an array every thread of the block writes: [`Out`]'s
/// accesses (`set`, `get`, every atomic), bounds-checked to `N`.
impl<T: 'static, const N: usize> core::ops::Deref for SharedArray<T, N> {
    type Target = Out<'static, T>;
    #[inline(always)]
    fn deref(&self) -> &Out<'static, T> {
        &self.slots
    }
}
