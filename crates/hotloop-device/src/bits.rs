//! Numba's integer intrinsics (`cuda.popc`, `cuda.brev`, `cuda.clz`,
//! `cuda.ffs`): plain Rust bit operations, which the nvptx backend lowers
//! to the PTX instructions `popc`, `brev`, `clz` and `bfind`.

/// The integer types of the bit intrinsics. Sealed.
pub trait BitInt: Copy + sealed::Sealed {
    /// Set bits.
    fn popc(self) -> u32;
    /// The bits in reverse order.
    fn brev(self) -> Self;
    /// Leading zero bits (the type's width for 0).
    fn clz(self) -> u32;
    /// The 1-based position of the lowest set bit; 0 for 0.
    fn ffs(self) -> u32;
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! bit_int {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl BitInt for $t {
            #[inline(always)]
            fn popc(self) -> u32 {
                self.count_ones()
            }
            #[inline(always)]
            fn brev(self) -> Self {
                self.reverse_bits()
            }
            #[inline(always)]
            fn clz(self) -> u32 {
                self.leading_zeros()
            }
            #[inline(always)]
            fn ffs(self) -> u32 {
                if self == 0 { 0 } else { self.trailing_zeros() + 1 }
            }
        }
    )*};
}
bit_int!(u8, i8, u16, i16, u32, i32, u64, i64);

/// Set bits of `x` (Numba's `cuda.popc`): with [`crate::ballot_sync`],
/// how many lanes' predicate holds.
#[inline(always)]
pub fn popc<T: BitInt>(x: T) -> u32 {
    x.popc()
}

/// `x` with its bits reversed (Numba's `cuda.brev`).
#[inline(always)]
pub fn brev<T: BitInt>(x: T) -> T {
    x.brev()
}

/// Leading zero bits of `x`, its width for 0 (Numba's `cuda.clz`).
#[inline(always)]
pub fn clz<T: BitInt>(x: T) -> u32 {
    x.clz()
}

/// The 1-based position of `x`'s lowest set bit, 0 for 0 (Numba's
/// `cuda.ffs`, CUDA's `__ffs`).
#[inline(always)]
pub fn ffs<T: BitInt>(x: T) -> u32 {
    x.ffs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_as_cuda_defines_them() {
        assert_eq!((popc(0xf0f0u32), popc(-1i64), popc(0u8)), (8, 64, 0));
        assert_eq!(
            (brev(1u32), brev(0x8000_0000u32), brev(1u8)),
            (0x8000_0000, 1, 0x80)
        );
        assert_eq!(
            (clz(1u32), clz(0u32), clz(-1i16), clz(1u64 << 40)),
            (31, 32, 0, 23)
        );
        assert_eq!(
            (ffs(0u32), ffs(1u32), ffs(0x50u32), ffs(i64::MIN)),
            (0, 1, 5, 64)
        );
    }
}
