//! The simulator as a [`Runtime`]: each entry point runs the GPU kernel's
//! per-thread body over a simulated grid, at `launch` (or the simulator's
//! default for the work). It runs any op, closures included.

use crate::{elementwise, gufunc, map, montecarlo, reduce, stencil};
use hotloop_core::gufunc::GuKernel;
use hotloop_core::index::Shape3;
use hotloop_core::map::{BinaryOp, NaryOp, UnaryOp};
use hotloop_core::predicate::Predicate;
use hotloop_core::stencil::{Boundary, Stencil3};
use hotloop_runtime::{Element, GufuncPlan, LaunchConfig, Result, Runtime};
use std::ops::Range;

/// The simulator at one launch shape.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sim {
    /// The launch; `None`: [`crate::default_launch`] for the work.
    pub launch: Option<LaunchConfig>,
}

impl Runtime for Sim {
    fn add_scalar<T: Element>(&self, input: &[T], scalar: T, out: &mut [T]) -> Result<()> {
        elementwise::add_scalar(self.launch, input, scalar, out)
    }
    fn add_scalar_in_place<T: Element>(&self, data: &mut [T], scalar: T) -> Result<()> {
        elementwise::add_scalar_in_place(self.launch, data, scalar)
    }
    fn sum<T: Element>(&self, input: &[T]) -> Result<T::Sum> {
        reduce::sum(self.launch, input)
    }
    fn sum_chunks<T: Element>(&self, input: &[T]) -> Result<Vec<T::Sum>> {
        reduce::sum_partials(self.launch, input)
    }
    fn max<T: Element>(&self, input: &[T]) -> Result<Option<T>> {
        reduce::max(self.launch, input)
    }
    fn min<T: Element>(&self, input: &[T]) -> Result<Option<T>> {
        reduce::min(self.launch, input)
    }
    fn count_where<T: Element, P: Predicate<T>>(&self, pred: &P, input: &[T]) -> Result<u64> {
        reduce::count_where(self.launch, pred, input)
    }
    fn map<T: Element, U: Element, Op: UnaryOp<T, U>>(
        &self,
        op: &Op,
        input: &[T],
        out: &mut [U],
    ) -> Result<()> {
        map::map(self.launch, op, input, out)
    }
    fn map_in_place<T: Element, Op: UnaryOp<T>>(&self, op: &Op, data: &mut [T]) -> Result<()> {
        map::map_in_place(self.launch, op, data)
    }
    fn map_n<T: Element, Op: NaryOp<T, I, O>, const I: usize, const O: usize>(
        &self,
        op: &Op,
        inputs: [&[T]; I],
        outputs: [&mut [T]; O],
    ) -> Result<()> {
        map::map_n(self.launch, op, inputs, outputs)
    }
    fn zip<T: Element, Op: BinaryOp<T>>(
        &self,
        op: &Op,
        a: &[T],
        b: &[T],
        out: &mut [T],
    ) -> Result<()> {
        map::zip(self.launch, op, a, b, out)
    }
    fn zip_in_place<T: Element, Op: BinaryOp<T>>(
        &self,
        op: &Op,
        a: &mut [T],
        b: &[T],
    ) -> Result<()> {
        map::zip_in_place(self.launch, op, a, b)
    }
    fn gufunc<T: Element, K: GuKernel<T, I, O>, const I: usize, const O: usize>(
        &self,
        kernel: &K,
        plan: &GufuncPlan,
        inputs: [&[T]; I],
        outputs: [&mut [T]; O],
    ) -> Result<()> {
        let blocks = plan.blocks()?;
        gufunc::run(
            self.launch,
            kernel,
            &plan.core,
            inputs,
            outputs,
            &blocks,
            plan.loops,
        )
    }
    fn stencil<T: Element, K: Stencil3<T>>(
        &self,
        kernel: &K,
        shape: Shape3,
        boundary: Boundary<T>,
        input: &[T],
        out: &mut [T],
    ) -> Result<()> {
        stencil::run(self.launch, kernel, input, shape.dims(), boundary, out)
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
        // Refused as every other op refuses it, even for no sweep at all.
        if let Some(launch) = self.launch {
            launch.validate()?;
        }
        hotloop_runtime::sweep_by_sweep(self, kernel, shape, boundary, steps, input, out)
    }
    fn count_hits(&self, seed: u64, samples: Range<u64>) -> Result<u64> {
        montecarlo::count_hits(self.launch, seed, samples)
    }
}
