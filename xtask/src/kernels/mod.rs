//! `build-kernels` and `check-ptx`: the device half of the GPU backend,
//! by job:
//!
//! - [`build`]: the nested build of `gpu-kernels/` with rustc's own
//!   `nvptx64-nvidia-cuda` target, once per architecture in `ARCHS`, into
//!   `target/ptx/hotloop_kernels.<arch>.ptx` (cached by a hash of every
//!   input), and the committed copy the host embeds, kept fresh;
//! - [`check`]: `check-ptx`, the built-in ops' entries against their
//!   generated metadata, IEEE rounding throughout, and `ptxas`'s resource
//!   report;
//! - [`ptxas`]: finding NVIDIA's `ptxas` (`$PTXAS`, `PATH`, or the PyPI
//!   wheel fetched once into `target/tools/`): no GPU or CUDA toolkit
//!   needed.

mod build;
mod check;
mod files;
mod ptxas;

use std::fs;
use std::path::PathBuf;

use crate::process::workspace_root;
pub use build::{build, build_ptx_files, check_embedded_fresh, pinned_toolchain};
use check::{check_resources, check_structure, print_report, ptx_target};
use files::{LIB_NAME, PTX_DIR};
use hotloop_build::ARCHS;
use ptxas::{MIN_PTXAS_RELEASE, PTXAS_WHEEL, PTXAS_WHEEL_VERSION, Ptxas};

/// `cargo xtask check-ptx [FILE.ptx...]`: builds the kernels if needed and
/// assembles each PTX with `ptxas` for its `.target`; with files, checks
/// those instead (assembly only, no ABI checks).
pub fn check(args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        eprintln!(
            "usage: cargo xtask check-ptx [FILE.ptx...]\n\n\
             Assembles {PTX_DIR}/{LIB_NAME}.<arch>.ptx (built first if needed) with ptxas\n\
             for {} and checks the kernel ABI; with files, assembles those for\n\
             the architecture in their `.target` line.\n\
             ptxas: $PTXAS, else `ptxas` on PATH if release >= {}.{}, else\n\
             {PTXAS_WHEEL}=={PTXAS_WHEEL_VERSION} from PyPI, cached under target/tools/.",
            ARCHS.join(", "),
            MIN_PTXAS_RELEASE.0,
            MIN_PTXAS_RELEASE.1,
        );
        return Ok(());
    }
    if let Some(flag) = args.iter().find(|a| a.starts_with('-')) {
        return Err(format!("check-ptx: unknown option `{flag}`"));
    }
    let root = workspace_root();
    let (files, ours) = if args.is_empty() {
        (build_ptx_files(&[])?, true)
    } else {
        (args.iter().map(PathBuf::from).collect(), false)
    };
    let ptxas = Ptxas::find(&root)?;
    eprintln!("check-ptx: using {}", ptxas.describe());
    ptxas.self_test(&root)?;
    for file in &files {
        let text =
            fs::read_to_string(file).map_err(|e| format!("reading {}: {e}", file.display()))?;
        let arch = ptx_target(&text)
            .ok_or_else(|| format!("{}: no `.target sm_XX` line", file.display()))?;
        if ours {
            check_structure(&text, arch).map_err(|e| format!("{}: {e}", file.display()))?;
        }
        let report = ptxas.assemble(&root, file, arch)?;
        if ours {
            check_resources(&report, arch)?;
        }
        print_report(&root, file, arch, &report);
    }
    Ok(())
}
