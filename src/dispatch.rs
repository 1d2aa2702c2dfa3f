//! Dispatch of the Numba-parity kernels (maps, gufuncs, stencils, min and
//! count-where): the CPU backends and the simulator run any op; CUDA runs
//! the built-in ops, those with device entry points.
//!
//! A generic op cannot cross to the device (the PTX is compiled ahead of
//! time), so on `Backend::Cuda` an op without an entry point is refused
//! with [`Error::BackendUnavailable`] saying so, rather than silently run
//! elsewhere (which would report CPU timings under a GPU's name).

use crate::Backend;
use hotloop_runtime::{Error, LaunchConfig, Result};
use std::sync::Arc;

/// The opened CUDA device and the op's device description, or why not:
/// an explicit launch is validated first ([`Error::InvalidLaunch`]), then
/// the op must have an entry point, then the device must be usable.
pub(crate) fn cuda<X>(
    device: usize,
    launch: Option<LaunchConfig>,
    op: &'static str,
    description: Option<X>,
    builtins: &'static str,
) -> Result<(Arc<hotloop_cuda::Device>, X)> {
    if let Some(l) = launch {
        l.validate()?;
    }
    let Some(d) = description else {
        return Err(Error::BackendUnavailable {
            backend: Backend::cuda().name(),
            reason: format!(
                "{op} of this op needs a device entry point, which only the built-ins have \
                 ({builtins}); a closure or user-defined op runs on Backend::Serial, \
                 Backend::Parallel and Backend::Simulator, or on the GPU once it has its own \
                 entry points (CONTRIBUTING.md)"
            ),
        });
    };
    Ok((Backend::cuda_device(device, launch)?, d))
}

/// The built-ins with entry points, per kind, for the error message.
pub(crate) const MAP_BUILTINS: &str =
    "Affine, Polynomial, Clamp, Exp, and Add, Mul or Axpy with a scalar operand bound";
/// See [`MAP_BUILTINS`].
pub(crate) const ZIP_BUILTINS: &str = "Add, Mul, Axpy";
/// See [`MAP_BUILTINS`].
pub(crate) const GUFUNC_BUILTINS: &str = "MovingAverage, NormalizeRows";
/// See [`MAP_BUILTINS`].
pub(crate) const STENCIL_BUILTINS: &str = "Laplacian7, Jacobi5";
/// See [`MAP_BUILTINS`].
pub(crate) const PREDICATE_BUILTINS: &str = "GreaterThan, LessThan, InRange, IsNan";
