//! The element types that cross to the device, and their atomics.

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

pub use hotloop_core::abi::{DeviceCopy, Elem};

/// Element types with an atomic add (`u32`, `u64`, `f32`, `f64`).
///
/// Sealed, as [`DeviceCopy`]; the bound of code that accumulates from many
/// threads:
///
/// ```rust
/// use hotloop_device::{AtomicAdd, Out};
///
/// /// Adds each value into `total[0]`: threads may race, no update is lost.
/// fn accumulate<T: AtomicAdd>(total: Out<'_, T>, xs: &[T]) {
///     for &x in xs {
///         total.atomic_add(0, x);
///     }
/// }
///
/// let mut sum = [0.0f64];
/// let total = Out::from_slice(&mut sum); // `Copy`: one per thread
/// std::thread::scope(|s| {
///     for part in [[1.0, 2.0], [3.0, 4.0]] {
///         s.spawn(move || accumulate(total, &part));
///     }
/// });
/// assert_eq!(sum, [10.0]); // exact here; in general the order of adds varies
/// ```
pub trait AtomicAdd: DeviceCopy {
    /// Adds `v` to `*p` atomically; returns the old value.
    ///
    /// # Safety
    /// As [`DeviceCopy::store`].
    unsafe fn atomic_add(p: *mut Self, v: Self) -> Self;
}

/// Integer element types with atomic max and min.
///
/// Sealed, as [`DeviceCopy`] (`u32`, `i32`, `u64`, `i64`); the bound of
/// code that keeps an extreme from many threads:
///
/// ```rust
/// use hotloop_device::{AtomicOrd, Out};
///
/// /// Keeps the smallest and largest of `xs` in `range[0]` and `range[1]`.
/// fn extremes<T: AtomicOrd>(range: Out<'_, T>, xs: &[T]) {
///     for &x in xs {
///         range.atomic_min(0, x);
///         range.atomic_max(1, x);
///     }
/// }
///
/// let mut range = [i64::MAX, i64::MIN];
/// extremes(Out::from_slice(&mut range), &[4, -12, 9]);
/// assert_eq!(range, [-12, 9]);
/// ```
pub trait AtomicOrd: DeviceCopy {
    /// `*p = max(*p, v)` atomically; returns the old value.
    ///
    /// # Safety
    /// As [`DeviceCopy::store`].
    unsafe fn atomic_max(p: *mut Self, v: Self) -> Self;
    /// `*p = min(*p, v)` atomically; returns the old value.
    ///
    /// # Safety
    /// As [`DeviceCopy::store`].
    unsafe fn atomic_min(p: *mut Self, v: Self) -> Self;
}

macro_rules! int_atomics {
    ($t:ty, $atomic:ty) => {
        impl AtomicOrd for $t {
            #[inline(always)]
            unsafe fn atomic_max(p: *mut Self, v: Self) -> Self {
                // SAFETY: the caller's.
                unsafe { <$atomic>::from_ptr(p) }.fetch_max(v, Relaxed)
            }
            #[inline(always)]
            unsafe fn atomic_min(p: *mut Self, v: Self) -> Self {
                // SAFETY: the caller's.
                unsafe { <$atomic>::from_ptr(p) }.fetch_min(v, Relaxed)
            }
        }
    };
}
int_atomics!(u32, AtomicU32);
int_atomics!(u64, AtomicU64);
int_atomics!(i32, core::sync::atomic::AtomicI32);
int_atomics!(i64, core::sync::atomic::AtomicI64);

impl AtomicAdd for u32 {
    #[inline(always)]
    unsafe fn atomic_add(p: *mut Self, v: Self) -> Self {
        // SAFETY: the caller's.
        unsafe { AtomicU32::from_ptr(p) }.fetch_add(v, Relaxed)
    }
}
impl AtomicAdd for u64 {
    #[inline(always)]
    unsafe fn atomic_add(p: *mut Self, v: Self) -> Self {
        // SAFETY: the caller's.
        unsafe { AtomicU64::from_ptr(p) }.fetch_add(v, Relaxed)
    }
}
macro_rules! float_add {
    ($t:ty, $atomic:ty) => {
        impl AtomicAdd for $t {
            /// A compare-and-swap loop on the bits: portable to every
            /// target, and as fast as `atom.add.f*` while contention is
            /// low (one add per block, as the reductions do).
            #[inline(always)]
            unsafe fn atomic_add(p: *mut Self, v: Self) -> Self {
                // SAFETY: the caller's.
                let a = unsafe { <$atomic>::from_ptr(p.cast()) };
                let mut old = a.load(Relaxed);
                loop {
                    let new = (<$t>::from_bits(old) + v).to_bits();
                    match a.compare_exchange_weak(old, new, Relaxed, Relaxed) {
                        Ok(_) => return <$t>::from_bits(old),
                        Err(seen) => old = seen,
                    }
                }
            }
        }
    };
}
float_add!(f32, AtomicU32);
float_add!(f64, AtomicU64);
