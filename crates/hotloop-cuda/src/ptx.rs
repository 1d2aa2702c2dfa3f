//! The built-in kernels' PTX.
//!
//! The kernels are built for the architectures in [`ARCHS`], one module
//! each, `hotloop_kernels.<arch>.ptx`. A device loads the newest one its compute
//! capability can run; the driver JIT-compiles PTX for newer GPUs too.
//!
//! The modules are embedded in the binary ([`EMBEDDED`]): they are
//! committed in `gpu-kernels/ptx/`, rewritten by `cargo xtask
//! build-kernels` when the kernels change and checked fresh by `cargo
//! xtask test`, so a crate that depends on hotloop needs no nvptx
//! toolchain for a working CUDA backend. `$HOTLOOP_PTX_DIR`, when set,
//! names a directory of PTX files to load instead (a kernel under
//! development, or the GPU kit's copy).

use std::path::{Path, PathBuf};

/// Environment variable naming the directory that holds the PTX files.
pub const PTX_DIR_ENV: &str = "HOTLOOP_PTX_DIR";

/// The architectures the kernels are built for, newest first, with the
/// compute capability each needs (`major * 10 + minor`).
pub const ARCHS: [(&str, u32); 2] = [("sm_90", 90), ("sm_80", 80)];

/// The PTX file name for `arch`: `hotloop_kernels.<arch>.ptx`.
pub fn file_name(arch: &str) -> String {
    format!("hotloop_kernels.{arch}.ptx")
}

/// The embedded modules, `(arch, PTX text)`, in [`ARCHS`] order: the
/// built-in module, `hotloop_kernels::KERNELS`.
pub const EMBEDDED: &[(&str, &str)] = hotloop_kernels::KERNELS.ptx;

/// The directory `$HOTLOOP_PTX_DIR` names, if set.
pub fn ptx_dir_override() -> Option<PathBuf> {
    match std::env::var_os(PTX_DIR_ENV) {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => None,
    }
}

/// The PTX a device of compute capability `cc` loads: `(text, arch,
/// where it came from)`, from `$HOTLOOP_PTX_DIR` if set, else embedded.
pub fn select(
    cc: (i32, i32),
) -> Result<(std::borrow::Cow<'static, str>, &'static str, PathBuf), String> {
    if let Some(dir) = ptx_dir_override() {
        let (path, arch) = locate_in(&dir, cc)?;
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("reading {} failed: {e}", path.display()))?;
        return Ok((text.into(), arch, path));
    }
    let device = (cc.0.max(0) as u32) * 10 + cc.1.max(0) as u32;
    for ((arch, need), (_, text)) in ARCHS.iter().zip(EMBEDDED.iter().copied()) {
        if *need <= device {
            return Ok((
                text.into(),
                arch,
                PathBuf::from(format!("embedded {}", file_name(arch))),
            ));
        }
    }
    Err(format!(
        "compute capability {}.{} is older than {}, the oldest architecture the kernels are built for",
        cc.0,
        cc.1,
        ARCHS[ARCHS.len() - 1].0
    ))
}

/// The PTX a device of compute capability `cc` should load from `dir`:
/// `(path, arch)` of the newest architecture not above the device's that
/// is present, or the reason none can be used.
pub fn locate_in(dir: &Path, cc: (i32, i32)) -> Result<(PathBuf, &'static str), String> {
    let device = (cc.0.max(0) as u32) * 10 + cc.1.max(0) as u32;
    let usable: Vec<_> = ARCHS.iter().filter(|(_, need)| *need <= device).collect();
    if usable.is_empty() {
        return Err(format!(
            "compute capability {}.{} is older than {}, the oldest architecture the kernels are built for",
            cc.0,
            cc.1,
            ARCHS[ARCHS.len() - 1].0
        ));
    }
    for (arch, _) in &usable {
        let path = dir.join(file_name(arch));
        if path.is_file() {
            return Ok((path, arch));
        }
    }
    let names: Vec<String> = usable.iter().map(|(a, _)| file_name(a)).collect();
    Err(format!(
        "PTX not built: no {} in {}; run `cargo xtask build-kernels` (or set {PTX_DIR_ENV} to a directory holding it)",
        names.join(" or "),
        dir.display()
    ))
}

/// The PTX ISA version a module declares (`.version 8.0` gives `"8.0"`).
pub fn isa_version(ptx: &str) -> Option<&str> {
    ptx.lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix(".version"))
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("hotloop-ptx-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn newest_usable_arch_is_chosen() {
        let dir = scratch("both");
        for (arch, _) in ARCHS {
            std::fs::write(dir.join(file_name(arch)), ".version 8.0\n").unwrap();
        }
        assert_eq!(locate_in(&dir, (9, 0)).unwrap().1, "sm_90");
        assert_eq!(locate_in(&dir, (10, 0)).unwrap().1, "sm_90");
        assert_eq!(locate_in(&dir, (8, 9)).unwrap().1, "sm_80");
        std::fs::remove_file(dir.join(file_name("sm_90"))).unwrap();
        assert_eq!(locate_in(&dir, (9, 0)).unwrap().1, "sm_80");
        let e = locate_in(&dir, (7, 5)).unwrap_err();
        assert!(e.contains("older than sm_80"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_ptx_says_how_to_build_it() {
        let dir = scratch("none");
        let e = locate_in(&dir, (9, 0)).unwrap_err();
        assert!(
            e.contains("PTX not built") && e.contains("cargo xtask build-kernels"),
            "{e}"
        );
        assert!(
            e.contains("hotloop_kernels.sm_90.ptx or hotloop_kernels.sm_80.ptx"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_embedded_modules_are_the_newest_usable() {
        assert_eq!(select((9, 0)).unwrap().1, "sm_90");
        assert_eq!(select((8, 6)).unwrap().1, "sm_80");
        assert!(select((7, 5)).unwrap_err().contains("older than sm_80"));
        for &(arch, text) in EMBEDDED {
            assert!(text.contains(&format!(".target {arch}")), "{arch}");
        }
    }

    #[test]
    fn isa_version_is_read_from_the_header() {
        let ptx = "//\n// Generated by LLVM NVPTX Back-End\n//\n\n.version 7.8\n.target sm_80\n";
        assert_eq!(isa_version(ptx), Some("7.8"));
        assert_eq!(isa_version("nothing"), None);
    }
}
