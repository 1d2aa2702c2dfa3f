//! Dispatch of the kernels that so far run on the CPU backends only (maps,
//! gufuncs, stencils, min and count-where): their bodies are in
//! `hotloop-core`, ready for the simulator and the GPU, but those backends'
//! launchers are not written yet, and saying so beats a silent CPU fallback
//! that would report CPU timings under a GPU's name.

use crate::Backend;
use hotloop_cpu::parallel::Pool;
use hotloop_runtime::{Error, Result};

/// A CPU backend, resolved.
pub(crate) enum Cpu {
    /// One thread.
    Serial,
    /// The pool of a parallel backend.
    Parallel(Pool),
}

/// The CPU backend `backend` names, or [`Error::BackendUnavailable`] saying
/// that `op` is not yet implemented on it.
pub(crate) fn cpu_only(backend: Backend, op: &'static str) -> Result<Cpu> {
    match backend {
        Backend::Serial => Ok(Cpu::Serial),
        Backend::Parallel { threads } => Ok(Cpu::Parallel(Backend::pool(threads)?)),
        Backend::Simulator { .. } | Backend::Cuda { .. } => Err(Error::BackendUnavailable {
            backend: backend.name(),
            reason: format!(
                "{op} is not yet implemented on {}; run it on Backend::Serial or \
                 Backend::Parallel",
                backend.name()
            ),
        }),
    }
}
