//! Predicates for count-where reductions (`count += x[i] > t` in a
//! `prange` loop): a test written once, run per element by every backend.

use crate::abi::DeviceKernel;
use crate::{Num, Real};
use hotloop_macros::{DeviceValue, device_op};

/// A test on one element. Closures `Fn(T) -> bool` that are
/// `Copy + Send + Sync` are predicates too.
///
/// A predicate of your own, an outlier test:
///
/// ```rust
/// use hotloop_core::Real;
/// use hotloop_core::predicate::Predicate;
/// use hotloop_core::reduce::count_slice;
///
/// /// `|x| > limit` (false for NaN, as every comparison with NaN is).
/// #[derive(Clone, Copy, Debug)]
/// struct Outside<T>(T);
///
/// impl<T: Real> Predicate<T> for Outside<T> {
///     fn test(&self, x: T) -> bool {
///         x.abs() > self.0
///     }
/// }
///
/// let xs = [0.5f64, -3.0, 2.0, f64::NAN, 7.5];
/// assert!(Outside(2.0).test(-3.0) && !Outside(2.0).test(2.0));
/// // What one CPU task runs for `count_where`: exact, so any split agrees.
/// assert_eq!(count_slice(&Outside(2.0), &xs), 2);
/// ```
///
/// Through the facade: `hotloop::count_where(backend, Outside(2.0), &x)`;
/// `#[device_op]` on the impl adds its GPU entry points.
pub trait Predicate<T: Num>: Copy + Send + Sync {
    /// Whether `x` is counted.
    fn test(&self, x: T) -> bool;

    /// The GPU kernel counting with this predicate, if it has one (filled
    /// in by `#[device_op]`).
    fn device_kernel(&self) -> Option<DeviceKernel> {
        None
    }
}

impl<T: Num, F: Fn(T) -> bool + Copy + Send + Sync> Predicate<T> for F {
    #[inline(always)]
    fn test(&self, x: T) -> bool {
        self(x)
    }
}

/// `x > t` (false for NaN).
#[derive(Clone, Copy, Debug, PartialEq, DeviceValue)]
#[hotloop(crate = crate)]
#[repr(C)]
pub struct GreaterThan<T>(pub T);

#[device_op(builtin)]
impl<T: Num> Predicate<T> for GreaterThan<T> {
    #[inline(always)]
    fn test(&self, x: T) -> bool {
        x > self.0
    }
}

/// `x < t` (false for NaN).
#[derive(Clone, Copy, Debug, PartialEq, DeviceValue)]
#[hotloop(crate = crate)]
#[repr(C)]
pub struct LessThan<T>(pub T);

#[device_op(builtin)]
impl<T: Num> Predicate<T> for LessThan<T> {
    #[inline(always)]
    fn test(&self, x: T) -> bool {
        x < self.0
    }
}

/// `lo <= x < hi`, a histogram bin (false for NaN).
#[derive(Clone, Copy, Debug, PartialEq, DeviceValue)]
#[hotloop(crate = crate)]
#[repr(C)]
pub struct InRange<T> {
    /// Inclusive lower bound.
    pub lo: T,
    /// Exclusive upper bound.
    pub hi: T,
}

#[device_op(builtin)]
impl<T: Num> Predicate<T> for InRange<T> {
    #[inline(always)]
    fn test(&self, x: T) -> bool {
        self.lo <= x && x < self.hi
    }
}

/// `x` is NaN.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, DeviceValue)]
#[hotloop(crate = crate)]
#[repr(C)]
pub struct IsNan;

#[device_op(builtin)]
impl<T: Real> Predicate<T> for IsNan {
    #[inline(always)]
    fn test(&self, x: T) -> bool {
        x.is_nan()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins() {
        assert!(GreaterThan(1.0f64).test(2.0));
        assert!(!GreaterThan(1.0f64).test(f64::NAN));
        assert!(LessThan(1.0f32).test(0.5));
        let bin = InRange {
            lo: 0.0f64,
            hi: 1.0,
        };
        assert!(bin.test(0.0) && !bin.test(1.0) && !bin.test(f64::NAN));
        assert!(IsNan.test(f32::NAN) && !IsNan.test(1.0f32));
    }
}
