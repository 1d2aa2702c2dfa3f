//! Dispatch of the ops' kernels (maps, zips, gufuncs, stencils,
//! count-where) to CUDA: the CPU backends and the simulator run any op,
//! closures included; the GPU runs an op's compiled kernel, which
//! `#[device_op]` on the op's trait impl declares (every built-in has one).
//!
//! A closure has no compiled kernel (the PTX is built ahead of time), so on
//! `Backend::Cuda` it is an [`Error::Unsupported`] saying so, rather than
//! silently run elsewhere (which would report CPU timings under a GPU's
//! name). [`Error::BackendUnavailable`] is kept for a machine without a
//! usable GPU.

use crate::Backend;
use hotloop_core::abi::DeviceKernel;
use hotloop_runtime::{Error, LaunchConfig, Result};
use std::sync::Arc;

/// The opened CUDA device and the op's kernel, or why not: an explicit
/// launch is validated first ([`Error::InvalidLaunch`]), then the op must
/// have a kernel ([`Error::Unsupported`]), then the device must be usable
/// ([`Error::BackendUnavailable`]).
pub(crate) fn cuda(
    device: usize,
    launch: Option<LaunchConfig>,
    op: &str,
    kernel: Option<DeviceKernel>,
) -> Result<(Arc<hotloop_cuda::Device>, DeviceKernel)> {
    if let Some(l) = launch {
        l.validate()?;
    }
    let Some(k) = kernel else {
        return Err(Error::Unsupported {
            op: format!("{op} of a closure (or of an op without `#[device_op]`)"),
            backend: Backend::cuda().name(),
            reason: "the GPU runs compiled kernels only: write the op as a type and put \
                     `#[device_op]` on its trait impl (CONTRIBUTING.md); a closure runs on \
                     Backend::Serial, Backend::Parallel and Backend::Simulator"
                .into(),
        });
    };
    Ok((Backend::cuda_device(device, launch)?, k))
}
