//! The element types that cross to the device, and their atomics.

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

pub use hotloop_core::abi::{DeviceCopy, Elem};

/// Element types with an atomic add (`i32`, `u32`, `i64`, `u64` wrapping,
/// `f32`, `f64`).
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

/// Element types with atomic max and min: the integers, and `f32` and
/// `f64` with hotloop's reductions' rules (a NaN wins, as the canonical
/// NaN; `-0.0` is below `+0.0`): so a block's atomic max is the bits
/// `hotloop::max` gives.
///
/// The bound of code that keeps an extreme from many threads:
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

/// Every element type: an atomic exchange and compare-and-swap of its bits
/// (Numba's `atomic.exch`, `atomic.compare_and_swap`).
pub trait AtomicBits: DeviceCopy {
    /// `*p = v` atomically; returns the old value.
    ///
    /// # Safety
    /// As [`DeviceCopy::store`].
    unsafe fn atomic_exch(p: *mut Self, v: Self) -> Self;
    /// `*p = new` if `*p` has `expected`'s bits, atomically; returns the
    /// old value (equal to `expected`'s bits when it swapped).
    ///
    /// # Safety
    /// As [`DeviceCopy::store`].
    unsafe fn atomic_cas(p: *mut Self, expected: Self, new: Self) -> Self;
}

/// The integer element types' bitwise and subtracting atomics (`i32`,
/// `u32`, `i64`, `u64`; wrapping, as CUDA's).
pub trait AtomicInt: AtomicAdd + AtomicOrd {
    /// `*p -= v` (wrapping); returns the old value.
    ///
    /// # Safety
    /// As [`DeviceCopy::store`].
    unsafe fn atomic_sub(p: *mut Self, v: Self) -> Self;
    /// `*p &= v`; returns the old value.
    ///
    /// # Safety
    /// As [`DeviceCopy::store`].
    unsafe fn atomic_and(p: *mut Self, v: Self) -> Self;
    /// `*p |= v`; returns the old value.
    ///
    /// # Safety
    /// As [`DeviceCopy::store`].
    unsafe fn atomic_or(p: *mut Self, v: Self) -> Self;
    /// `*p ^= v`; returns the old value.
    ///
    /// # Safety
    /// As [`DeviceCopy::store`].
    unsafe fn atomic_xor(p: *mut Self, v: Self) -> Self;
}

/// The unsigned counters' wrapping increment and decrement (`u32`, `u64`:
/// CUDA's `atomicInc`, `atomicDec`, Numba's `atomic.inc`, `atomic.dec`).
pub trait AtomicWrap: AtomicInt {
    /// `*p = if *p >= v { 0 } else { *p + 1 }`; returns the old value.
    ///
    /// # Safety
    /// As [`DeviceCopy::store`].
    unsafe fn atomic_inc(p: *mut Self, v: Self) -> Self;
    /// `*p = if *p == 0 || *p > v { v } else { *p - 1 }`; returns the old
    /// value.
    ///
    /// # Safety
    /// As [`DeviceCopy::store`].
    unsafe fn atomic_dec(p: *mut Self, v: Self) -> Self;
}

/// `f32` and `f64`: max and min that ignore NaN (Numba's `atomic.nanmax`,
/// `atomic.nanmin`: a NaN value leaves the element, a NaN element takes
/// the value).
pub trait AtomicNan: AtomicOrd {
    /// `*p = nanmax(*p, v)`; returns the old value.
    ///
    /// # Safety
    /// As [`DeviceCopy::store`].
    unsafe fn atomic_nanmax(p: *mut Self, v: Self) -> Self;
    /// `*p = nanmin(*p, v)`; returns the old value.
    ///
    /// # Safety
    /// As [`DeviceCopy::store`].
    unsafe fn atomic_nanmin(p: *mut Self, v: Self) -> Self;
}

/// A compare-and-swap loop over `*p`'s bits: `*p = f(*p)`, returning the
/// old value; no write when `f` keeps the bits.
///
/// # Safety
/// As [`DeviceCopy::store`].
#[inline(always)]
unsafe fn update<T: AtomicBits>(p: *mut T, f: impl Fn(T) -> T) -> T {
    // SAFETY: the caller's.
    let mut old = unsafe { T::load(p) };
    loop {
        let new = f(old);
        if new.to_raw() == old.to_raw() {
            return old;
        }
        // SAFETY: the caller's.
        let seen = unsafe { T::atomic_cas(p, old, new) };
        if seen.to_raw() == old.to_raw() {
            return old;
        }
        old = seen;
    }
}

macro_rules! atomic_bits {
    ($($t:ty, $atomic:ty);*) => { $(
        impl AtomicBits for $t {
            #[inline(always)]
            unsafe fn atomic_exch(p: *mut Self, v: Self) -> Self {
                // SAFETY: the caller's; same size and alignment.
                let a = unsafe { <$atomic>::from_ptr(p.cast()) };
                Self::from_raw(a.swap(v.to_raw() as _, Relaxed) as u64)
            }
            #[inline(always)]
            unsafe fn atomic_cas(p: *mut Self, expected: Self, new: Self) -> Self {
                // SAFETY: the caller's; same size and alignment.
                let a = unsafe { <$atomic>::from_ptr(p.cast()) };
                let r = a.compare_exchange(expected.to_raw() as _, new.to_raw() as _, Relaxed, Relaxed);
                Self::from_raw(r.unwrap_or_else(|seen| seen) as u64)
            }
        }
    )* };
}
atomic_bits!(f32, AtomicU32; f64, AtomicU64; u32, AtomicU32; i32, AtomicU32; u64, AtomicU64; i64, AtomicU64);

macro_rules! int_rmw {
    ($($t:ty, $atomic:ty);*) => { $(
        impl AtomicInt for $t {
            #[inline(always)]
            unsafe fn atomic_sub(p: *mut Self, v: Self) -> Self {
                // SAFETY: the caller's.
                unsafe { <$atomic>::from_ptr(p) }.fetch_sub(v, Relaxed)
            }
            #[inline(always)]
            unsafe fn atomic_and(p: *mut Self, v: Self) -> Self {
                // SAFETY: the caller's.
                unsafe { <$atomic>::from_ptr(p) }.fetch_and(v, Relaxed)
            }
            #[inline(always)]
            unsafe fn atomic_or(p: *mut Self, v: Self) -> Self {
                // SAFETY: the caller's.
                unsafe { <$atomic>::from_ptr(p) }.fetch_or(v, Relaxed)
            }
            #[inline(always)]
            unsafe fn atomic_xor(p: *mut Self, v: Self) -> Self {
                // SAFETY: the caller's.
                unsafe { <$atomic>::from_ptr(p) }.fetch_xor(v, Relaxed)
            }
        }
    )* };
}
int_rmw!(u32, AtomicU32; u64, AtomicU64; i32, core::sync::atomic::AtomicI32; i64, core::sync::atomic::AtomicI64);

macro_rules! signed_add {
    ($($t:ty, $atomic:ty);*) => { $(
        impl AtomicAdd for $t {
            #[inline(always)]
            unsafe fn atomic_add(p: *mut Self, v: Self) -> Self {
                // SAFETY: the caller's.
                unsafe { <$atomic>::from_ptr(p) }.fetch_add(v, Relaxed)
            }
        }
    )* };
}
signed_add!(i32, core::sync::atomic::AtomicI32; i64, core::sync::atomic::AtomicI64);

macro_rules! wrap {
    ($($t:ty),*) => { $(
        impl AtomicWrap for $t {
            #[inline(always)]
            unsafe fn atomic_inc(p: *mut Self, v: Self) -> Self {
                // SAFETY: the caller's.
                unsafe { update(p, |old| if old >= v { 0 } else { old + 1 }) }
            }
            #[inline(always)]
            unsafe fn atomic_dec(p: *mut Self, v: Self) -> Self {
                // SAFETY: the caller's.
                unsafe { update(p, |old| if old == 0 || old > v { v } else { old - 1 }) }
            }
        }
    )* };
}
wrap!(u32, u64);

macro_rules! float_ord {
    ($($t:ty),*) => { $(
        impl AtomicOrd for $t {
            #[inline(always)]
            unsafe fn atomic_max(p: *mut Self, v: Self) -> Self {
                // SAFETY: the caller's.
                unsafe { update(p, |old| <Self as hotloop_core::Num>::max_of(old, v)) }
            }
            #[inline(always)]
            unsafe fn atomic_min(p: *mut Self, v: Self) -> Self {
                // SAFETY: the caller's.
                unsafe { update(p, |old| <Self as hotloop_core::Num>::min_of(old, v)) }
            }
        }
        impl AtomicNan for $t {
            #[inline(always)]
            unsafe fn atomic_nanmax(p: *mut Self, v: Self) -> Self {
                let keep = |old: Self| if v.is_nan() { old } else if old.is_nan() { v } else { <Self as hotloop_core::Num>::max_of(old, v) };
                // SAFETY: the caller's.
                unsafe { update(p, keep) }
            }
            #[inline(always)]
            unsafe fn atomic_nanmin(p: *mut Self, v: Self) -> Self {
                let keep = |old: Self| if v.is_nan() { old } else if old.is_nan() { v } else { <Self as hotloop_core::Num>::min_of(old, v) };
                // SAFETY: the caller's.
                unsafe { update(p, keep) }
            }
        }
    )* };
}
float_ord!(f32, f64);
