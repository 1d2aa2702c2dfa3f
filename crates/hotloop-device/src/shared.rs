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

/// The elements of a `shared_array!` of `shape`: their product, which
/// fails the build if it overflows.
#[doc(hidden)]
pub const fn shared_len(shape: &[usize]) -> usize {
    let mut n = 1usize;
    let mut d = 0;
    while d < shape.len() {
        n = match n.checked_mul(shape[d]) {
            Some(n) => n,
            None => panic!("a shared_array!'s shape overflows usize"),
        };
        d += 1;
    }
    n
}

/// `N` elements of `T` shared by the threads of one block, from
/// [`shared_array!`](crate::shared_array): `.shared` memory on the GPU, one
/// array per simulated block on the host. Its contents start undefined on
/// the GPU (zeros in the simulator). `D` is its number of axes:
/// `shared_array!(f32, [32, 32])` is a 32x32 tile in C order, indexed as
/// `tile.set([ty, tx], v)` (Numba's `cuda.shared.array((32, 32), float32)`).
/// Accesses are [`Out`]'s: relaxed atomics, bounds-checked on every axis,
/// made visible to the rest of the block by [`crate::sync_threads`].
#[derive(Debug)]
pub struct SharedArray<T: 'static, const N: usize, const D: usize = 1> {
    slots: Out<'static, T, D>,
}

impl<T: 'static, const N: usize, const D: usize> Clone for SharedArray<T, N, D> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: 'static, const N: usize, const D: usize> Copy for SharedArray<T, N, D> {}

impl<T: DeviceCopy, const N: usize> SharedArray<T, N> {
    /// The array at `ptr`.
    ///
    /// # Safety
    /// `ptr` is valid and aligned for `N` elements of `T` while the block
    /// runs, and only accessed atomically.
    #[inline(always)]
    pub unsafe fn from_raw(ptr: *mut T) -> Self {
        // SAFETY: the caller's.
        unsafe { Self::from_raw_shaped(ptr, [N]) }
    }
}

impl<T: DeviceCopy, const N: usize, const D: usize> SharedArray<T, N, D> {
    /// The array of `shape` (C order, its product `N`) at `ptr`.
    ///
    /// # Safety
    /// As [`SharedArray::from_raw`].
    #[inline(always)]
    pub unsafe fn from_raw_shaped(ptr: *mut T, shape: [usize; D]) -> Self {
        let mut n = 1usize;
        for e in shape {
            n = n.saturating_mul(e);
        }
        assert!(n == N, "a shared array's shape has N elements");
        // SAFETY: the caller's, for the block's lifetime, which is as long
        // as any thread can hold the array; `shape` covers its `N`
        // elements exactly.
        Self {
            slots: unsafe { Out::from_raw_standard(ptr, shape) },
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
/// accesses (`set`, `get`, `shape`, every atomic), bounds-checked to its
/// shape.
impl<T: 'static, const N: usize, const D: usize> core::ops::Deref for SharedArray<T, N, D> {
    type Target = Out<'static, T, D>;
    #[inline(always)]
    fn deref(&self) -> &Out<'static, T, D> {
        &self.slots
    }
}

/// The launch's dynamic shared memory as `len` elements of `T`, `len` the
/// bytes the launch asked for ([`Grid::with_shared_bytes`]) over `T`'s
/// size: Numba's `cuda.shared.array(0, dtype)`, CUDA's `extern __shared__
/// T a[]`. Every call, of any `T`, views the same bytes (as in CUDA), so a
/// kernel that wants two arrays splits one. Contents start undefined on
/// the GPU (zeros in the simulator); accesses are [`Out`]'s, bounds-checked
/// to the launched size.
///
/// [`Grid::with_shared_bytes`]: crate::host::Grid::with_shared_bytes
#[inline(always)]
pub fn dynamic_shared_array<T: DeviceCopy>() -> Out<'static, T> {
    let (ptr, bytes) = imp::dynamic_shared();
    // SAFETY: the block's dynamic shared memory, `bytes` bytes aligned to
    // 8 (16 on the GPU), live while the block runs; `Out` accesses it
    // atomically only.
    unsafe { Out::from_raw(ptr.cast::<T>(), bytes / core::mem::size_of::<T>()) }
}

#[cfg(target_arch = "nvptx64")]
mod imp {
    use core::arch::{asm, global_asm};

    // One declaration per module: CUDA's `extern __shared__`, sized by the
    // launch.
    global_asm!(".extern .shared .align 16 .b8 __hotloop_dynamic_shared[];");

    #[inline(always)]
    pub fn dynamic_shared() -> (*mut u8, usize) {
        let (p, bytes): (u64, u32);
        // SAFETY: an address conversion and a special register read.
        unsafe {
            asm!(
                "cvta.shared.u64 {p}, __hotloop_dynamic_shared;",
                "mov.u32 {b}, %dynamic_smem_size;",
                p = out(reg64) p,
                b = out(reg32) bytes,
                options(pure, nomem, nostack),
            )
        };
        (p as *mut u8, bytes as usize)
    }
}

#[cfg(not(target_arch = "nvptx64"))]
mod imp {
    use crate::sim_thread::with_current;

    /// The simulator's key for the dynamic array: no `shared_array!`'s
    /// (those are FNV-1a hashes of their symbols).
    pub const DYNAMIC_KEY: u64 = 0;

    pub fn dynamic_shared() -> (*mut u8, usize) {
        with_current(|t| {
            let bytes = t.dynamic_shared_bytes;
            (t.shared(DYNAMIC_KEY, bytes, 8), bytes)
        })
    }
}

#[cfg(not(target_arch = "nvptx64"))]
pub use imp::DYNAMIC_KEY;
