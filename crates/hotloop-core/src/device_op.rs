//! Which ops the GPU can run, and through which entry point.
//!
//! A generic [`UnaryOp`], [`BinaryOp`](crate::map::BinaryOp), [`Predicate`], [`GuKernel`] or
//! [`Stencil3`](crate::stencil::Stencil3) cannot cross to the device: the PTX is compiled ahead of
//! time, so the GPU runs only the ops that have entry points of their own
//! (`gpu-kernels/src/lib.rs`, listed in [`crate::registry`]). Each trait has
//! a provided method (`device_map`, `device_zip`, `device_predicate`,
//! `device_gufunc`, `device_stencil`) returning `None`; the built-ins
//! override it with one of the descriptions below, which names the entry
//! (`entry()`) and carries the op's fields, the kernel's scalar parameters.
//! The CUDA host launches that entry; an op answering `None` (a closure, a
//! user type) is refused on CUDA with a reason, and runs on the simulator,
//! which calls any op's body directly.
//!
//! Every entry runs the same per-thread body as the simulator
//! ([`crate::grid`]) over the *concrete* built-in op the description names,
//! so the GPU computes the bits the simulator and the CPU backends compute.
//! Ops that are re-expressed through another entry (array ⊕ scalar binds)
//! are re-expressed exactly: [`DeviceMap::apply`] is what the device
//! computes, and the tests below check it against the op bit for bit.

use crate::Real;
use crate::gufunc::{GuKernel, MovingAverage, NormalizeRows};
use crate::map::{Affine, Clamp, Exp, UnaryOp};
use crate::predicate::{GreaterThan, InRange, IsNan, LessThan, Predicate};
use crate::stencil::{Boundary, Jacobi5, Laplacian7, Planar};

/// A unary element op with a device entry point (`map_*`, or `add_scalar_*`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DeviceMap<'a, T> {
    /// `a * x + b` ([`Affine`]): `map_affine_T(input, out, len, a, b)`.
    Affine {
        /// The slope.
        a: T,
        /// The offset.
        b: T,
    },
    /// Horner's rule over `coeffs`, lowest degree first
    /// ([`crate::map::Polynomial`]): `map_polynomial_T(input, out, len,
    /// coeffs, n_coeffs)`, the coefficients in device memory.
    Polynomial(&'a [T]),
    /// `min(max(x, lo), hi)` ([`Clamp`]): `map_clamp_T(input, out, len, lo, hi)`.
    Clamp {
        /// Lower limit.
        lo: T,
        /// Upper limit.
        hi: T,
    },
    /// `e^x` ([`Exp`]): `map_exp_T(input, out, len)`.
    Exp,
    /// `x + s`: the existing `add_scalar_T(input, out, len, s)`.
    AddScalar(T),
}

impl<T: Real> DeviceMap<'_, T> {
    /// The entry point's name without its element suffix (`"map_affine"`).
    pub const fn entry(&self) -> &'static str {
        match self {
            DeviceMap::Affine { .. } => "map_affine",
            DeviceMap::Polynomial(_) => "map_polynomial",
            DeviceMap::Clamp { .. } => "map_clamp",
            DeviceMap::Exp => "map_exp",
            DeviceMap::AddScalar(_) => "add_scalar",
        }
    }

    /// What the entry point computes for one element: the concrete op's
    /// `apply` (the device body runs exactly that op).
    #[inline]
    pub fn apply(&self, x: T) -> T {
        match *self {
            DeviceMap::Affine { a, b } => Affine { a, b }.apply(x),
            DeviceMap::Polynomial(coeffs) => Horner { coeffs }.apply(x),
            DeviceMap::Clamp { lo, hi } => Clamp { lo, hi }.apply(x),
            DeviceMap::Exp => UnaryOp::<T>::apply(&Exp, x),
            DeviceMap::AddScalar(s) => crate::elementwise::add_scalar(x, s),
        }
    }
}

/// Horner's rule over coefficients known only at run time (lowest degree
/// first): the same operations, in the same order, as
/// [`crate::map::Polynomial`] with as many coefficients, so the same bits.
/// The device's `map_polynomial_*` entries run it over coefficients in
/// device memory.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Horner<'a, T> {
    /// Coefficients, lowest degree first.
    pub coeffs: &'a [T],
}

impl<T: Real> UnaryOp<T> for Horner<'_, T> {
    fn device_map(&self) -> Option<DeviceMap<'_, T>> {
        Some(DeviceMap::Polynomial(self.coeffs))
    }

    #[inline(always)]
    fn apply(&self, x: T) -> T {
        let mut acc = T::ZERO;
        let mut i = self.coeffs.len();
        while i > 0 {
            i -= 1;
            acc = acc * x + self.coeffs[i];
        }
        acc
    }
}

/// A binary element op (array ⊕ array) with a device entry point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DeviceZip<T> {
    /// `x + y`: `zip_add_T(a, b, out, len)`.
    Add,
    /// `x * y`: `zip_mul_T(a, b, out, len)`.
    Mul,
    /// `alpha * x + y`: `zip_axpy_T(a, b, out, len, alpha)`.
    Axpy {
        /// The factor of `x`.
        alpha: T,
    },
}

impl<T: Real> DeviceZip<T> {
    /// The entry point's name without its element suffix (`"zip_add"`).
    pub const fn entry(&self) -> &'static str {
        match self {
            DeviceZip::Add => "zip_add",
            DeviceZip::Mul => "zip_mul",
            DeviceZip::Axpy { .. } => "zip_axpy",
        }
    }

    /// The op with its right operand fixed (array ⊕ scalar), through a map
    /// entry computing the same bits: `x + s` is `add_scalar`; `x * s` is
    /// `s * x + (-0)` (adding negative zero changes no product, signed
    /// zeros included); `alpha x + s` is affine.
    pub fn bind_right(self, y: T) -> DeviceMap<'static, T> {
        match self {
            DeviceZip::Add => DeviceMap::AddScalar(y),
            DeviceZip::Mul => DeviceMap::Affine { a: y, b: -T::ZERO },
            DeviceZip::Axpy { alpha } => DeviceMap::Affine { a: alpha, b: y },
        }
    }

    /// The op with its left operand fixed (scalar ⊕ array): `s + y` is
    /// `y + s`; `s * y` is `s * y + (-0)`; `alpha s + y` is `y + (alpha s)`,
    /// the product rounded once here as the op rounds it.
    pub fn bind_left(self, x: T) -> DeviceMap<'static, T> {
        match self {
            DeviceZip::Add => DeviceMap::AddScalar(x),
            DeviceZip::Mul => DeviceMap::Affine { a: x, b: -T::ZERO },
            DeviceZip::Axpy { alpha } => DeviceMap::AddScalar(alpha * x),
        }
    }

    /// What the entry point computes for one pair of elements.
    #[inline]
    pub fn apply(&self, x: T, y: T) -> T {
        use crate::map::{Add, Axpy, BinaryOp, Mul};
        match *self {
            DeviceZip::Add => Add.apply(x, y),
            DeviceZip::Mul => Mul.apply(x, y),
            DeviceZip::Axpy { alpha } => Axpy { a: alpha }.apply(x, y),
        }
    }
}

/// A count-where predicate with a device entry point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DevicePredicate<T> {
    /// `x > t`: `count_greater_T(input, len, partials, t)`.
    GreaterThan(T),
    /// `x < t`: `count_less_T(input, len, partials, t)`.
    LessThan(T),
    /// `lo <= x < hi`: `count_in_range_T(input, len, partials, lo, hi)`.
    InRange {
        /// Inclusive lower bound.
        lo: T,
        /// Exclusive upper bound.
        hi: T,
    },
    /// `x` is NaN: `count_nan_T(input, len, partials)`.
    IsNan,
}

impl<T: Real> DevicePredicate<T> {
    /// The entry point's name without its element suffix.
    pub const fn entry(&self) -> &'static str {
        match self {
            DevicePredicate::GreaterThan(_) => "count_greater",
            DevicePredicate::LessThan(_) => "count_less",
            DevicePredicate::InRange { .. } => "count_in_range",
            DevicePredicate::IsNan => "count_nan",
        }
    }

    /// What the entry point tests.
    #[inline]
    pub fn test(&self, x: T) -> bool {
        match *self {
            DevicePredicate::GreaterThan(t) => GreaterThan(t).test(x),
            DevicePredicate::LessThan(t) => LessThan(t).test(x),
            DevicePredicate::InRange { lo, hi } => InRange { lo, hi }.test(x),
            DevicePredicate::IsNan => IsNan.test(x),
        }
    }
}

/// A generalized ufunc with a device entry point. Both built-ins have the
/// layout `(n)->(n)` (a scalar `()` input, the window, is a kernel
/// parameter); the device runs one thread per row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceGufunc {
    /// [`MovingAverage`]: `gufunc_moving_average_T(input, out, rows, n, window)`.
    MovingAverage {
        /// The window, at least 1.
        window: usize,
    },
    /// [`NormalizeRows`]: `gufunc_normalize_rows_T(input, out, rows, n)`.
    NormalizeRows,
}

impl DeviceGufunc {
    /// The entry point's name without its element suffix.
    pub const fn entry(&self) -> &'static str {
        match self {
            DeviceGufunc::MovingAverage { .. } => "gufunc_moving_average",
            DeviceGufunc::NormalizeRows => "gufunc_normalize_rows",
        }
    }

    /// Runs the kernel the entry point runs on one row (`core = [n]`).
    pub fn apply<T: Real>(&self, input: &[T], out: &mut [T]) {
        let core = [input.len()];
        match *self {
            DeviceGufunc::MovingAverage { window } => {
                MovingAverage { window }.apply(&core, input, out)
            }
            DeviceGufunc::NormalizeRows => NormalizeRows.apply(&core, input, out),
        }
    }
}

/// A stencil with a device entry point. Both run over a row-major
/// `nx x ny x nz` array; the 2-D Jacobi step runs on each of the `nx`
/// planes (`nx = 1` for a 2-D array), as [`Planar`] does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DeviceStencil<T> {
    /// [`Laplacian7`]: `stencil_laplacian7_T(input, out, nx, ny, nz, scale,
    /// mode, constant)`.
    Laplacian7 {
        /// Factor applied to the sum.
        scale: T,
    },
    /// [`Planar`]`(`[`Jacobi5`]`)`: `stencil_jacobi5_T(input, out, nx, ny,
    /// nz, mode, constant)`.
    Jacobi5,
}

impl<T: Real> DeviceStencil<T> {
    /// The entry point's name without its element suffix.
    pub const fn entry(&self) -> &'static str {
        match self {
            DeviceStencil::Laplacian7 { .. } => "stencil_laplacian7",
            DeviceStencil::Jacobi5 => "stencil_jacobi5",
        }
    }

    /// The cell `(x, y, z)` as the entry point computes it.
    pub fn cell(
        &self,
        input: &[T],
        shape: crate::index::Shape3,
        boundary: Boundary<T>,
        (x, y, z): (usize, usize, usize),
    ) -> Result<T, crate::stencil::ReachError> {
        use crate::stencil::stencil_cell;
        match *self {
            DeviceStencil::Laplacian7 { scale } => {
                stencil_cell(&Laplacian7 { scale }, input, shape, boundary, x, y, z)
            }
            DeviceStencil::Jacobi5 => {
                stencil_cell(&Planar(Jacobi5), input, shape, boundary, x, y, z)
            }
        }
    }
}

/// The device ABI's encoding of a [`Boundary`]: a mode code and a constant
/// (the fill or pad value of modes 0 and 1).
pub mod boundary_abi {
    use super::*;

    /// [`Boundary::FillBorder`], with its value in `constant`.
    pub const FILL_BORDER: u32 = 0;
    /// [`Boundary::PadConstant`], with its value in `constant`.
    pub const PAD_CONSTANT: u32 = 1;
    /// [`Boundary::Clamp`].
    pub const CLAMP: u32 = 2;

    /// `(mode, constant)` for the kernel parameters.
    pub fn encode<T: Real>(b: Boundary<T>) -> (u32, T) {
        match b {
            Boundary::FillBorder(c) => (FILL_BORDER, c),
            Boundary::PadConstant(c) => (PAD_CONSTANT, c),
            Boundary::Clamp => (CLAMP, T::ZERO),
        }
    }

    /// The boundary the kernel parameters encode. An unknown mode (which
    /// the host never sends) reads as Numba's, a filled border.
    #[inline(always)]
    pub fn decode<T: Real>(mode: u32, constant: T) -> Boundary<T> {
        match mode {
            PAD_CONSTANT => Boundary::PadConstant(constant),
            CLAMP => Boundary::Clamp,
            _ => Boundary::FillBorder(constant),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::map::{Add, Axpy, BinaryOp, Mul, Polynomial};
    use crate::registry;
    use crate::stencil::Stencil3;

    /// Values that trip a re-expressed op: signed zeros, subnormals,
    /// infinities, NaN, both signs, large and small.
    const SPECIAL: [f64; 14] = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        5e-324,
        -2.2e-308,
        1e308,
        -1e308,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        0.1,
        -3.75,
        1e-300,
    ];

    fn same<T: Real>(a: T, b: T) -> bool {
        // Bit for bit, but any NaN equals any NaN: the GPU returns the
        // canonical NaN where the CPU propagates an input's payload.
        (a.is_nan() && b.is_nan()) || (!a.is_nan() && a.to_f64().to_bits() == b.to_f64().to_bits())
    }

    fn check_bound<T: Real + core::fmt::Debug, Op: BinaryOp<T>>(op: Op) {
        let dev = op.device_zip().expect("a built-in binary op");
        for &s in &SPECIAL {
            let s = T::from_f64(s);
            let (r, l) = (op.right(s), op.left(s));
            let (dr, dl) = (r.device_map().unwrap(), l.device_map().unwrap());
            for &x in &SPECIAL {
                let x = T::from_f64(x);
                assert!(same(dr.apply(x), r.apply(x)), "{dr:?} at {}", x.to_f64());
                assert!(same(dl.apply(x), l.apply(x)), "{dl:?} at {}", x.to_f64());
                assert!(same(dev.apply(x, s), op.apply(x, s)));
            }
        }
    }

    #[test]
    fn scalar_binds_are_re_expressed_exactly() {
        check_bound::<f64, _>(Add);
        check_bound::<f64, _>(Mul);
        check_bound::<f64, _>(Axpy { a: -0.75 });
        check_bound::<f64, _>(Axpy { a: 3.0 });
        check_bound::<f32, _>(Add);
        check_bound::<f32, _>(Mul);
        check_bound::<f32, _>(Axpy { a: 1.5 });
        // Closures have no entry point.
        let f = |x: f64, y: f64| x - y;
        assert_eq!(f.device_zip(), None);
        assert_eq!(f.right(1.0).device_map(), None);
    }

    #[test]
    fn builtins_describe_themselves_and_compute_the_same_bits() {
        let p = Polynomial {
            coeffs: [0.5, -1.25, 0.75, 2e-3],
        };
        type Case<'a> = (&'a dyn Fn(f64) -> f64, DeviceMap<'a, f64>);
        let ops: [Case<'_>; 4] = [
            (
                &|x| Affine { a: 2.0, b: -1.0 }.apply(x),
                Affine { a: 2.0, b: -1.0 }.device_map().unwrap(),
            ),
            (&|x| p.apply(x), p.device_map().unwrap()),
            (
                &|x| Clamp { lo: -1.0, hi: 2.0 }.apply(x),
                Clamp { lo: -1.0, hi: 2.0 }.device_map().unwrap(),
            ),
            (
                &|x| UnaryOp::<f64>::apply(&Exp, x),
                UnaryOp::<f64>::device_map(&Exp).unwrap(),
            ),
        ];
        for (f, d) in ops {
            for i in 0..2000 {
                let x = (i as f64 - 1000.0) * 0.37;
                assert_eq!(d.apply(x).to_bits(), f(x).to_bits(), "{d:?} at {x}");
            }
            for &x in &SPECIAL {
                assert!(same(d.apply(x), f(x)), "{d:?} at {x}");
            }
        }
        let q = Polynomial::<f32, 0> { coeffs: [] };
        assert_eq!(q.device_map().unwrap().apply(3.0), 0.0);
        let sq = |x: f64| x * x;
        assert_eq!(sq.device_map(), None);
    }

    #[test]
    fn predicates_gufuncs_and_stencils_describe_themselves() {
        let preds = [
            (GreaterThan(1.0).device_predicate(), 2.0, true),
            (LessThan(1.0).device_predicate(), 2.0, false),
            (InRange { lo: 0.0, hi: 1.0 }.device_predicate(), 1.0, false),
            (Predicate::<f64>::device_predicate(&IsNan), f64::NAN, true),
        ];
        for (p, x, want) in preds {
            assert_eq!(p.unwrap().test(x), want);
        }
        assert_eq!((|x: f64| x > 0.0).device_predicate(), None);
        assert_eq!(
            GuKernel::<f64>::device_gufunc(&MovingAverage { window: 3 }),
            Some(DeviceGufunc::MovingAverage { window: 3 })
        );
        assert_eq!(
            GuKernel::<f32>::device_gufunc(&NormalizeRows),
            Some(DeviceGufunc::NormalizeRows)
        );
        assert_eq!(
            Laplacian7 { scale: 2.0f64 }.device_stencil(),
            Some(DeviceStencil::Laplacian7 { scale: 2.0 })
        );
        assert_eq!(
            Stencil3::<f32>::device_stencil(&Planar(Jacobi5)),
            Some(DeviceStencil::Jacobi5)
        );
    }

    #[test]
    fn every_description_names_a_registered_entry_for_both_types() {
        let mut buf = [0u8; 64];
        let mut has = |base: &str, suffix: &str| {
            let n = base.len();
            buf[..n].copy_from_slice(base.as_bytes());
            buf[n..n + 4].copy_from_slice(suffix.as_bytes());
            let name = core::str::from_utf8(&buf[..n + 4]).unwrap();
            assert!(registry::find(name).is_some(), "{name} is not registered");
        };
        let bases = [
            DeviceMap::Affine { a: 1.0, b: 1.0 }.entry(),
            DeviceMap::<f64>::Polynomial(&[]).entry(),
            DeviceMap::Clamp { lo: 0.0, hi: 1.0 }.entry(),
            DeviceMap::<f64>::Exp.entry(),
            DeviceMap::AddScalar(1.0).entry(),
            DeviceZip::<f64>::Add.entry(),
            DeviceZip::<f64>::Mul.entry(),
            DeviceZip::Axpy { alpha: 1.0 }.entry(),
            DevicePredicate::GreaterThan(1.0).entry(),
            DevicePredicate::LessThan(1.0).entry(),
            DevicePredicate::InRange { lo: 0.0, hi: 1.0 }.entry(),
            DevicePredicate::<f64>::IsNan.entry(),
            DeviceGufunc::MovingAverage { window: 1 }.entry(),
            DeviceGufunc::NormalizeRows.entry(),
            DeviceStencil::Laplacian7 { scale: 1.0 }.entry(),
            DeviceStencil::<f64>::Jacobi5.entry(),
        ];
        for base in bases {
            has(base, "_f32");
            has(base, "_f64");
        }
    }

    #[test]
    fn boundaries_round_trip_through_the_abi() {
        for b in [
            Boundary::FillBorder(0.0f64),
            Boundary::FillBorder(3.5),
            Boundary::PadConstant(-2.5),
            Boundary::Clamp,
        ] {
            let (mode, c) = boundary_abi::encode(b);
            assert_eq!(boundary_abi::decode(mode, c), b);
        }
        assert_eq!(boundary_abi::decode(99, 1.0f32), Boundary::FillBorder(1.0));
    }
}
