//! The CPU backends as a [`Runtime`]: [`Serial`] (one thread, the `@jit`
//! rows) and [`Parallel`] (a rayon pool, the `prange` rows). Outputs beyond
//! the streaming threshold are written with non-temporal stores
//! ([`StoreMode::Auto`]).

use crate::pool::Pool;
use crate::store::StoreMode;
use crate::{gufunc, map, montecarlo, parallel, reductions, serial, stencil, stencil_steps};
use hotloop_core::gufunc::GuKernel;
use hotloop_core::index::Shape3;
use hotloop_core::map::{BinaryOp, NaryOp, UnaryOp};
use hotloop_core::predicate::Predicate;
use hotloop_core::stencil::{Boundary, Stencil3};
use hotloop_runtime::{Element, GufuncPlan, Result, Runtime};
use std::ops::Range;

/// One thread.
#[derive(Clone, Copy, Debug, Default)]
pub struct Serial;

/// A rayon pool; every result is the serial one's bits on any thread count.
#[derive(Clone, Debug)]
pub struct Parallel {
    pool: Pool,
}

impl Parallel {
    /// On `pool`.
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }
}

impl Runtime for Serial {
    fn add_scalar<T: Element>(&self, input: &[T], scalar: T, out: &mut [T]) -> Result<()> {
        serial::add_scalar_vectorized(input, scalar, out, StoreMode::Auto);
        Ok(())
    }
    fn add_scalar_in_place<T: Element>(&self, data: &mut [T], scalar: T) -> Result<()> {
        serial::add_scalar_in_place(data, scalar);
        Ok(())
    }
    fn sum<T: Element>(&self, input: &[T]) -> Result<T::Sum> {
        Ok(serial::sum(input))
    }
    fn sum_chunks<T: Element>(&self, input: &[T]) -> Result<Vec<T::Sum>> {
        Ok(serial::sum_chunks(input))
    }
    fn max<T: Element>(&self, input: &[T]) -> Result<Option<T>> {
        Ok(serial::max(input))
    }
    fn min<T: Element>(&self, input: &[T]) -> Result<Option<T>> {
        Ok(reductions::serial::min(input))
    }
    fn count_where<T: Element, P: Predicate<T>>(&self, pred: &P, input: &[T]) -> Result<u64> {
        Ok(reductions::serial::count_where(pred, input))
    }
    fn map<T: Element, U: Element, Op: UnaryOp<T, U>>(
        &self,
        op: &Op,
        input: &[T],
        out: &mut [U],
    ) -> Result<()> {
        map::serial::map(op, input, out, StoreMode::Auto);
        Ok(())
    }
    fn map_in_place<T: Element, Op: UnaryOp<T>>(&self, op: &Op, data: &mut [T]) -> Result<()> {
        map::serial::map_in_place(op, data);
        Ok(())
    }
    fn map_n<T: Element, Op: NaryOp<T, I, O>, const I: usize, const O: usize>(
        &self,
        op: &Op,
        inputs: [&[T]; I],
        outputs: [&mut [T]; O],
    ) -> Result<()> {
        map::serial::map_n(op, inputs, outputs);
        Ok(())
    }
    fn zip<T: Element, Op: BinaryOp<T>>(
        &self,
        op: &Op,
        a: &[T],
        b: &[T],
        out: &mut [T],
    ) -> Result<()> {
        map::serial::zip(op, a, b, out, StoreMode::Auto);
        Ok(())
    }
    fn zip_in_place<T: Element, Op: BinaryOp<T>>(
        &self,
        op: &Op,
        a: &mut [T],
        b: &[T],
    ) -> Result<()> {
        map::serial::zip_in_place(op, a, b);
        Ok(())
    }
    fn gufunc<T: Element, K: GuKernel<T, I, O>, const I: usize, const O: usize>(
        &self,
        kernel: &K,
        plan: &GufuncPlan,
        inputs: [&[T]; I],
        outputs: [&mut [T]; O],
    ) -> Result<()> {
        let blocks = plan.blocks()?;
        let (core, loops) = (&plan.core[..], plan.loops);
        gufunc::serial::run(kernel, core, inputs, outputs, &blocks, loops);
        Ok(())
    }
    fn stencil<T: Element, K: Stencil3<T>>(
        &self,
        kernel: &K,
        shape: Shape3,
        boundary: Boundary<T>,
        input: &[T],
        out: &mut [T],
    ) -> Result<()> {
        Ok(stencil::serial::run(
            kernel,
            input,
            shape,
            boundary,
            out,
            StoreMode::Auto,
        )?)
    }
    fn stencil_steps<T: Element, K: Stencil3<T>>(
        &self,
        kernel: &K,
        shape: Shape3,
        boundary: Boundary<T>,
        steps: usize,
        input: &[T],
        out: &mut [T],
    ) -> Result<()> {
        let mut scratch = scratch::<T, K>(shape, steps)?;
        Ok(stencil_steps::serial::run(
            kernel,
            input,
            shape,
            boundary,
            steps,
            out,
            &mut scratch,
            StoreMode::Auto,
        )?)
    }
    fn count_hits(&self, seed: u64, samples: Range<u64>) -> Result<u64> {
        Ok(montecarlo::count_hits(seed, samples.start, samples.end))
    }
}

impl Runtime for Parallel {
    fn add_scalar<T: Element>(&self, input: &[T], scalar: T, out: &mut [T]) -> Result<()> {
        parallel::add_scalar(&self.pool, input, scalar, out, StoreMode::Auto);
        Ok(())
    }
    fn add_scalar_in_place<T: Element>(&self, data: &mut [T], scalar: T) -> Result<()> {
        parallel::add_scalar_in_place(&self.pool, data, scalar);
        Ok(())
    }
    fn sum<T: Element>(&self, input: &[T]) -> Result<T::Sum> {
        Ok(parallel::sum(&self.pool, input))
    }
    fn sum_chunks<T: Element>(&self, input: &[T]) -> Result<Vec<T::Sum>> {
        Ok(parallel::sum_chunks(&self.pool, input))
    }
    fn max<T: Element>(&self, input: &[T]) -> Result<Option<T>> {
        Ok(parallel::max(&self.pool, input))
    }
    fn min<T: Element>(&self, input: &[T]) -> Result<Option<T>> {
        Ok(reductions::parallel::min(&self.pool, input))
    }
    fn count_where<T: Element, P: Predicate<T>>(&self, pred: &P, input: &[T]) -> Result<u64> {
        Ok(reductions::parallel::count_where(&self.pool, pred, input))
    }
    fn map<T: Element, U: Element, Op: UnaryOp<T, U>>(
        &self,
        op: &Op,
        input: &[T],
        out: &mut [U],
    ) -> Result<()> {
        map::parallel::map(&self.pool, op, input, out, StoreMode::Auto);
        Ok(())
    }
    fn map_in_place<T: Element, Op: UnaryOp<T>>(&self, op: &Op, data: &mut [T]) -> Result<()> {
        map::parallel::map_in_place(&self.pool, op, data);
        Ok(())
    }
    fn map_n<T: Element, Op: NaryOp<T, I, O>, const I: usize, const O: usize>(
        &self,
        op: &Op,
        inputs: [&[T]; I],
        outputs: [&mut [T]; O],
    ) -> Result<()> {
        map::parallel::map_n(&self.pool, op, inputs, outputs);
        Ok(())
    }
    fn zip<T: Element, Op: BinaryOp<T>>(
        &self,
        op: &Op,
        a: &[T],
        b: &[T],
        out: &mut [T],
    ) -> Result<()> {
        map::parallel::zip(&self.pool, op, a, b, out, StoreMode::Auto);
        Ok(())
    }
    fn zip_in_place<T: Element, Op: BinaryOp<T>>(
        &self,
        op: &Op,
        a: &mut [T],
        b: &[T],
    ) -> Result<()> {
        map::parallel::zip_in_place(&self.pool, op, a, b);
        Ok(())
    }
    fn gufunc<T: Element, K: GuKernel<T, I, O>, const I: usize, const O: usize>(
        &self,
        kernel: &K,
        plan: &GufuncPlan,
        inputs: [&[T]; I],
        outputs: [&mut [T]; O],
    ) -> Result<()> {
        let blocks = plan.blocks()?;
        let (core, loops) = (&plan.core[..], plan.loops);
        gufunc::parallel::run(&self.pool, kernel, core, inputs, outputs, &blocks, loops);
        Ok(())
    }
    fn stencil<T: Element, K: Stencil3<T>>(
        &self,
        kernel: &K,
        shape: Shape3,
        boundary: Boundary<T>,
        input: &[T],
        out: &mut [T],
    ) -> Result<()> {
        Ok(stencil::parallel::run(
            &self.pool,
            kernel,
            input,
            shape,
            boundary,
            out,
            StoreMode::Auto,
        )?)
    }
    fn stencil_steps<T: Element, K: Stencil3<T>>(
        &self,
        kernel: &K,
        shape: Shape3,
        boundary: Boundary<T>,
        steps: usize,
        input: &[T],
        out: &mut [T],
    ) -> Result<()> {
        let mut scratch = scratch::<T, K>(shape, steps)?;
        Ok(stencil_steps::parallel::run(
            &self.pool,
            kernel,
            input,
            shape,
            boundary,
            steps,
            out,
            &mut scratch,
            StoreMode::Auto,
        )?)
    }
    fn count_hits(&self, seed: u64, samples: Range<u64>) -> Result<u64> {
        Ok(montecarlo::count_hits_range_parallel(
            &self.pool,
            seed,
            samples.start,
            samples.end,
        ))
    }
}

/// The scratch grid [`stencil_steps`] needs for `steps` sweeps of `K` over
/// `shape` (empty where one pass runs them all).
fn scratch<T: Element, K: Stencil3<T>>(shape: Shape3, steps: usize) -> Result<Vec<T>> {
    let len = stencil_steps::scratch_len::<T, K>(shape, steps);
    hotloop_runtime::try_zeroed_vec("stencil sweeps' scratch grid", len)
}
