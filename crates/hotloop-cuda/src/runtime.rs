//! A CUDA device as a [`Runtime`]: every entry point is one round trip
//! (copy in, launch, copy out) on the device, at `launch` or the device's
//! default. An op runs through its compiled kernel (`#[device_op]`: the
//! built-ins and a user's); a closure has none and is an
//! [`Error::Unsupported`], checked before the device is opened, so the
//! answer is the same on a machine without a GPU.

use crate::{BACKEND, Device, forms, ops};
use hotloop_core::abi::{DeviceKernel, GufuncShape, MAX_DEVICE_CORE_DIMS};
use hotloop_core::grid::cell_coords;
use hotloop_core::gufunc::GuKernel;
use hotloop_core::index::Shape3;
use hotloop_core::map::{BinaryOp, NaryOp, UnaryOp};
use hotloop_core::map::{MAX_NARY_INPUTS, MAX_NARY_OUTPUTS};
use hotloop_core::predicate::Predicate;
use hotloop_core::stencil::{Boundary, Stencil3, stencil_cell};
use hotloop_runtime::{Element, Error, GufuncPlan, LaunchConfig, Result, Runtime};
use std::ops::Range;
use std::sync::Arc;

/// Device `ordinal` at one launch shape, opened on first use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cuda {
    ordinal: usize,
    launch: Option<LaunchConfig>,
}

impl Cuda {
    /// Device `ordinal` at `launch` (`None`: the device's default for the
    /// work); an explicit launch a GPU would refuse is an
    /// [`Error::InvalidLaunch`] now, before any device is touched.
    pub fn new(ordinal: usize, launch: Option<LaunchConfig>) -> Result<Self> {
        if let Some(l) = launch {
            l.validate()?;
        }
        Ok(Self { ordinal, launch })
    }

    /// The device's ordinal.
    pub fn ordinal(&self) -> usize {
        self.ordinal
    }

    /// The opened device, or why the backend cannot run
    /// ([`Error::BackendUnavailable`]).
    pub fn device(&self) -> Result<Arc<Device>> {
        crate::device(self.ordinal)
    }
}

/// The op's compiled kernel, or why it has none.
fn compiled(kernel: Option<DeviceKernel>, op: &str) -> Result<DeviceKernel> {
    kernel.ok_or_else(|| Error::Unsupported {
        op: format!("{op} of a closure (or of an op without `#[device_op]`)"),
        backend: BACKEND,
        reason: "the GPU runs compiled kernels only: write the op as a type and put \
                 `#[device_op]` on its trait impl (CONTRIBUTING.md); a closure runs on \
                 Backend::Serial, Backend::Parallel and Backend::Simulator"
            .into(),
    })
}

/// A gufunc's plan as the device's gufunc form takes it, or why it cannot.
fn device_shape<T: Element, K: GuKernel<T, I, O>, const I: usize, const O: usize>(
    plan: &GufuncPlan,
) -> Result<GufuncShape> {
    if plan.core.len() > MAX_DEVICE_CORE_DIMS {
        return Err(Error::Unsupported {
            op: format!("{} with signature {}", K::NAME, K::SIGNATURE),
            backend: BACKEND,
            reason: format!(
                "{} core dimensions; the GPU's gufunc kernel takes at most {MAX_DEVICE_CORE_DIMS}",
                plan.core.len()
            ),
        });
    }
    if I > MAX_NARY_INPUTS || O > MAX_NARY_OUTPUTS {
        return Err(Error::Unsupported {
            op: format!("{} with signature {}", K::NAME, K::SIGNATURE),
            backend: BACKEND,
            reason: format!(
                "{I} inputs and {O} outputs; the GPU's gufunc kernel takes at most \
                 {MAX_NARY_INPUTS} and {MAX_NARY_OUTPUTS}"
            ),
        });
    }
    let blocks = plan.blocks::<I, O>()?;
    let widen = |xs: &[usize], to: &mut [u64]| {
        for (t, &x) in to.iter_mut().zip(xs) {
            *t = x as u64;
        }
    };
    let mut shape = GufuncShape {
        loops: plan.loops as u64,
        n_core: plan.core.len() as u64,
        core: [0; MAX_DEVICE_CORE_DIMS],
        in_block: [0; MAX_NARY_INPUTS],
        in_step: [0; MAX_NARY_INPUTS],
        out_block: [0; MAX_NARY_OUTPUTS],
    };
    widen(&plan.core, &mut shape.core);
    widen(&blocks.in_block, &mut shape.in_block);
    widen(&blocks.in_step, &mut shape.in_step);
    widen(&blocks.out_block, &mut shape.out_block);
    Ok(shape)
}

impl Runtime for Cuda {
    fn add_scalar<T: Element>(&self, input: &[T], scalar: T, out: &mut [T]) -> Result<()> {
        ops::add_scalar(&self.device()?, self.launch, input, scalar, out)
    }
    fn add_scalar_in_place<T: Element>(&self, data: &mut [T], scalar: T) -> Result<()> {
        ops::add_scalar_in_place(&self.device()?, self.launch, data, scalar)
    }
    fn sum<T: Element>(&self, input: &[T]) -> Result<T::Sum> {
        ops::sum(&self.device()?, self.launch, input)
    }
    fn sum_chunks<T: Element>(&self, input: &[T]) -> Result<Vec<T::Sum>> {
        ops::sum_chunks(&self.device()?, self.launch, input)
    }
    fn max<T: Element>(&self, input: &[T]) -> Result<Option<T>> {
        ops::max(&self.device()?, self.launch, input)
    }
    fn min<T: Element>(&self, input: &[T]) -> Result<Option<T>> {
        ops::min(&self.device()?, self.launch, input)
    }
    fn count_where<T: Element, P: Predicate<T>>(&self, pred: &P, input: &[T]) -> Result<u64> {
        let k = compiled(pred.device_kernel(), "count_where")?;
        Ok(forms::count_timed(&self.device()?, self.launch, &k, input)?.0)
    }
    fn map<T: Element, U: Element, Op: UnaryOp<T, U>>(
        &self,
        op: &Op,
        input: &[T],
        out: &mut [U],
    ) -> Result<()> {
        let k = compiled(op.device_kernel(), "map")?;
        forms::map_timed(&self.device()?, self.launch, &k, input, out).map(drop)
    }
    fn map_in_place<T: Element, Op: UnaryOp<T>>(&self, op: &Op, data: &mut [T]) -> Result<()> {
        let k = compiled(op.device_kernel(), "map")?;
        forms::map_in_place_timed(&self.device()?, self.launch, &k, data).map(drop)
    }
    fn map_n<T: Element, Op: NaryOp<T, I, O>, const I: usize, const O: usize>(
        &self,
        op: &Op,
        inputs: [&[T]; I],
        outputs: [&mut [T]; O],
    ) -> Result<()> {
        let k = compiled(op.device_kernel(), "map_n")?;
        forms::map_n_timed(&self.device()?, self.launch, &k, inputs, outputs).map(drop)
    }
    fn zip<T: Element, Op: BinaryOp<T>>(
        &self,
        op: &Op,
        a: &[T],
        b: &[T],
        out: &mut [T],
    ) -> Result<()> {
        let k = compiled(op.device_kernel(), "zip")?;
        forms::zip_timed(&self.device()?, self.launch, &k, a, b, out).map(drop)
    }
    fn zip_in_place<T: Element, Op: BinaryOp<T>>(
        &self,
        op: &Op,
        a: &mut [T],
        b: &[T],
    ) -> Result<()> {
        let k = compiled(op.device_kernel(), "zip")?;
        forms::zip_in_place_timed(&self.device()?, self.launch, &k, a, b).map(drop)
    }
    fn gufunc<T: Element, K: GuKernel<T, I, O>, const I: usize, const O: usize>(
        &self,
        kernel: &K,
        plan: &GufuncPlan,
        inputs: [&[T]; I],
        outputs: [&mut [T]; O],
    ) -> Result<()> {
        let k = compiled(kernel.device_kernel(), K::NAME)?;
        let shape = device_shape::<T, K, I, O>(plan)?;
        forms::gufunc_timed(&self.device()?, self.launch, &k, shape, inputs, outputs).map(drop)
    }
    fn stencil<T: Element, K: Stencil3<T>>(
        &self,
        kernel: &K,
        shape: Shape3,
        boundary: Boundary<T>,
        input: &[T],
        out: &mut [T],
    ) -> Result<()> {
        let k = compiled(kernel.device_kernel(), "stencil")?;
        let dev = self.device()?;
        let (_, fault) =
            forms::stencil_timed(&dev, self.launch, &k, shape.dims(), boundary, input, out)?;
        if let Some(cell) = fault {
            // The lowest cell that read outside the neighbourhood: its
            // error, recomputed on the CPU, is the serial backend's.
            let (x, y, z) = cell_coords(shape, cell as usize);
            stencil_cell(kernel, input, shape, boundary, x, y, z)?;
        }
        Ok(())
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
        // A kernel without a device form, or no device: refused as one
        // sweep is, even for none.
        compiled(kernel.device_kernel(), "stencil")?;
        self.device()?;
        hotloop_runtime::sweep_by_sweep(self, kernel, shape, boundary, steps, input, out)
    }
    fn count_hits(&self, seed: u64, samples: Range<u64>) -> Result<u64> {
        ops::count_hits(&self.device()?, self.launch, seed, samples)
    }
}
