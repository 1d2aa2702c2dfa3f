//! `build-kernels` and `check-ptx`: the device half of the GPU backend,
//! by job:
//!
//! - [`build`]: the nested build of `gpu-kernels/` with rustc's own
//!   `nvptx64-nvidia-cuda` target, once per architecture in `ARCHS`, into
//!   `target/ptx/hotloop_kernels.<arch>.ptx` (cached by a hash of every
//!   input), and the committed copy the host embeds, kept fresh;
//! - [`check`]: `check-ptx`, the PTX against its declarations (the
//!   registry's hand-written entries and the ops' generated metadata),
//!   IEEE rounding throughout, and `ptxas`'s resource report;
//! - [`ptxas`]: finding NVIDIA's `ptxas` (`$PTXAS`, `PATH`, or the PyPI
//!   wheel fetched once into `target/tools/`): no GPU or CUDA toolkit
//!   needed.

mod build;
mod check;
mod ptxas;

pub use build::{build, build_ptx_files, check_embedded_fresh, pinned_toolchain};
pub use check::check;
