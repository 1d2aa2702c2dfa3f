//! The built-in ops' GPU entries: the one list of them. Each op's body
//! and host half are its `#[device_op(builtin)]` impl in `hotloop-core`
//! (whose `device_kernel` hooks name these entries); here each is named
//! once more, by its impl header, for its entries to be built into this
//! module, where the device API is. A built-in op added to hotloop-core is
//! added here (a test in `hotloop-cuda` checks every op's hook against the
//! PTX).
//!
//! On the host, [`OP_KERNELS`] is the entries' metadata, which
//! `cargo xtask check-ptx` checks the PTX against.

// The ops' types; the traits in the headers are read by name (they say
// the forms), and a `T: Num` bound says every numeric type (else f32 and
// f64), as on the ops' own impls.
use hotloop_core::gufunc::{MovingAverage, NormalizeRows};
use hotloop_core::map::{Add, Affine, Axpy, Clamp, Exp, Horner, Mul, Sigmoid};
use hotloop_core::predicate::{GreaterThan, InRange, IsNan, LessThan};
use hotloop_core::stencil::{Jacobi5, Laplacian7};

hotloop_device::builtin_entries! {
    crate = hotloop_core;

    impl<T> UnaryOp<T> for Affine<T> {}
    impl<T> UnaryOp<T> for Horner<T> {}
    impl<T> UnaryOp<T> for Clamp<T> {}
    impl<T> UnaryOp<T> for Exp {}
    impl<T> UnaryOp<T> for Sigmoid {}
    impl<T> BinaryOp<T> for Add {}
    impl<T> BinaryOp<T> for Mul {}
    impl<T> BinaryOp<T> for Axpy<T> {}
    impl<T: Num> Predicate<T> for GreaterThan<T> {}
    impl<T: Num> Predicate<T> for LessThan<T> {}
    impl<T: Num> Predicate<T> for InRange<T> {}
    impl<T> Predicate<T> for IsNan {}
    impl<T> GuKernel<T> for MovingAverage {}
    impl<T> GuKernel<T> for NormalizeRows {}
    impl<T> Stencil3<T> for Laplacian7<T> {}
    impl<T> Stencil2<T> for Jacobi5 {}
}
