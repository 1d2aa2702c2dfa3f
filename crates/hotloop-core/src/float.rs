//! The element types kernels are generic over.

/// A floating-point element type a kernel can run on (`f32` or `f64`).
///
/// Deliberately tiny: only what the shared kernel bodies need, so that it
/// compiles for every target, the GPU included, without `libm`.
pub trait Real:
    Copy
    + PartialOrd
    + core::ops::Add<Output = Self>
    + core::ops::Sub<Output = Self>
    + core::ops::Mul<Output = Self>
    + Send
    + Sync
    + 'static
{
    /// Additive identity.
    const ZERO: Self;
    /// Name used in messages and benchmark rows ("f32", "f64").
    const NAME: &'static str;
    /// Whether the value is NaN.
    fn is_nan(self) -> bool;
    /// Widen to `f64` (exact for both types).
    fn to_f64(self) -> f64;
}

impl Real for f32 {
    const ZERO: Self = 0.0;
    const NAME: &'static str = "f32";
    #[inline(always)]
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl Real for f64 {
    const ZERO: Self = 0.0;
    const NAME: &'static str = "f64";
    #[inline(always)]
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
}
