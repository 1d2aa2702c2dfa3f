//! [`Runtime`]: what every backend implements, the entry points of
//! hotloop's kernels over slices. The serial loops and a rayon pool
//! (`hotloop-cpu`), the CUDA simulator at a launch (`hotloop-sim`) and a
//! CUDA device at a launch (`hotloop-cuda`) each implement it once, so the
//! facade is its argument checks and one call, and the cross-backend tests
//! hold every backend to the same contract.
//!
//! Callers check the arguments first (equal lengths, a shape that fits the
//! slices, a gufunc's plan, a stencil's declared reach); an implementation
//! returns its own backend's errors only: a launch the device refuses,
//! device memory, an op it cannot run ([`crate::Error::Unsupported`]), a
//! read outside a stencil's reach found while running.

use crate::{Element, GufuncPlan, Result};
use hotloop_core::gufunc::GuKernel;
use hotloop_core::index::Shape3;
use hotloop_core::map::{BinaryOp, UnaryOp};
use hotloop_core::predicate::Predicate;
use hotloop_core::stencil::{Boundary, Stencil3};

/// The entry points of hotloop's kernels, over slices the caller checked.
pub trait Runtime {
    /// `out[i] = input[i] + scalar`.
    fn add_scalar<T: Element>(&self, input: &[T], scalar: T, out: &mut [T]) -> Result<()>;
    /// `data[i] += scalar`.
    fn add_scalar_in_place<T: Element>(&self, data: &mut [T], scalar: T) -> Result<()>;
    /// The pairwise sum (the same bits on every backend).
    fn sum<T: Element>(&self, input: &[T]) -> Result<T>;
    /// The largest element (NaN if any), `None` for an empty input.
    fn max<T: Element>(&self, input: &[T]) -> Result<Option<T>>;
    /// The smallest element (NaN if any), `None` for an empty input.
    fn min<T: Element>(&self, input: &[T]) -> Result<Option<T>>;
    /// How many elements `pred` holds for.
    fn count_where<T: Element, P: Predicate<T>>(&self, pred: &P, input: &[T]) -> Result<u64>;
    /// `out[i] = op(input[i])`.
    fn map<T: Element, Op: UnaryOp<T>>(&self, op: &Op, input: &[T], out: &mut [T]) -> Result<()>;
    /// `data[i] = op(data[i])`.
    fn map_in_place<T: Element, Op: UnaryOp<T>>(&self, op: &Op, data: &mut [T]) -> Result<()>;
    /// `out[i] = op(a[i], b[i])`.
    fn zip<T: Element, Op: BinaryOp<T>>(
        &self,
        op: &Op,
        a: &[T],
        b: &[T],
        out: &mut [T],
    ) -> Result<()>;
    /// `a[i] = op(a[i], b[i])`.
    fn zip_in_place<T: Element, Op: BinaryOp<T>>(
        &self,
        op: &Op,
        a: &mut [T],
        b: &[T],
    ) -> Result<()>;
    /// The gufunc `kernel` over the outer loop of `plan` (`input` holds
    /// `plan.loops * plan.in_block` elements, `out` `plan.loops *
    /// plan.out_block`).
    fn gufunc<T: Element, K: GuKernel<T>>(
        &self,
        kernel: &K,
        plan: &GufuncPlan,
        input: &[T],
        out: &mut [T],
    ) -> Result<()>;
    /// The stencil `kernel` over every cell of the row-major `shape` under
    /// `boundary`.
    fn stencil<T: Element, K: Stencil3<T>>(
        &self,
        kernel: &K,
        shape: Shape3,
        boundary: Boundary<T>,
        input: &[T],
        out: &mut [T],
    ) -> Result<()>;
    /// Monte Carlo hits among samples `0..samples` of the Philox stream
    /// keyed by `seed` (the same count on every backend).
    fn count_hits(&self, seed: u64, samples: u64) -> Result<u64>;
}
