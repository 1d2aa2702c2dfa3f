//! The nested build of `gpu-kernels/` and the committed PTX the host
//! embeds.

use std::fs;
use std::hash::{DefaultHasher, Hasher};
use std::path::{Path, PathBuf};

use super::check::check_structure;
use super::files::{LIB_NAME, PTX_DIR, rel, write_atomically};
use crate::process::workspace_root;
use hotloop_build::{ARCHS, Toolchain, build_ptx};

pub const EMBEDDED_DIR: &str = "gpu-kernels/ptx";

/// `cargo xtask build-kernels [--force]`: builds the PTX
/// ([`build_ptx_files`]) and updates the committed copy the CUDA backend
/// embeds where the kernels changed; returns the PTX paths, one per
/// architecture in [`ARCHS`] order.
pub fn build(args: &[String]) -> Result<Vec<PathBuf>, String> {
    let outputs = build_ptx_files(args)?;
    let root = workspace_root();
    for out in &outputs {
        let embedded = root
            .join(EMBEDDED_DIR)
            .join(out.file_name().expect("a PTX file"));
        let text =
            fs::read_to_string(out).map_err(|e| format!("reading {}: {e}", out.display()))?;
        let old = fs::read_to_string(&embedded).unwrap_or_default();
        if normalized(&old) != normalized(&text) {
            write_atomically(&embedded, text.as_bytes())?;
            eprintln!(
                "build-kernels: updated {} (commit it)",
                rel(&root, &embedded)
            );
        }
    }
    Ok(outputs)
}

/// PTX with what depends on where the crates were built blanked: the crate
/// disambiguators of mangled names (`Cs5Up44OOGB9R_`) and the hashes of
/// anonymous constants (`anon_$_325e6d5d..._$_38`). Two builds of the same
/// kernels compare equal.
pub fn normalized(ptx: &str) -> String {
    let blank = |text: &str, marker: &str, end: u8, hex_only: bool| {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(i) = rest.find(marker) {
            out.push_str(&rest[..i + marker.len()]);
            rest = &rest[i + marker.len()..];
            let n = rest
                .bytes()
                .take_while(|b| {
                    if hex_only {
                        b.is_ascii_hexdigit()
                    } else {
                        b.is_ascii_alphanumeric()
                    }
                })
                .count();
            if n > 0 && rest.as_bytes().get(n) == Some(&end) {
                rest = &rest[n..];
            }
        }
        out.push_str(rest);
        out
    };
    blank(&blank(ptx, "Cs", b'_', false), "anon_$_", b'_', true)
}

/// Checks that the committed PTX the CUDA backend embeds is the PTX the
/// kernels build to now (up to build paths): a kernel changed without
/// `cargo xtask build-kernels` and a commit is an error saying so.
pub fn check_embedded_fresh(outputs: &[PathBuf]) -> Result<(), String> {
    let root = workspace_root();
    for out in outputs {
        let embedded = root
            .join(EMBEDDED_DIR)
            .join(out.file_name().expect("a PTX file"));
        let built =
            fs::read_to_string(out).map_err(|e| format!("reading {}: {e}", out.display()))?;
        let committed = fs::read_to_string(&embedded)
            .map_err(|e| format!("reading {}: {e}", embedded.display()))?;
        if normalized(&built) != normalized(&committed) {
            return Err(format!(
                "{} is stale: the kernels build to different PTX; run `cargo xtask build-kernels` \
                 and commit {EMBEDDED_DIR}/",
                rel(&root, &embedded)
            ));
        }
    }
    eprintln!("build-kernels: the embedded PTX in {EMBEDDED_DIR}/ is fresh");
    Ok(())
}

/// Builds `gpu-kernels/` to `target/ptx/` (cached): the PTX paths, one per
/// architecture in [`ARCHS`] order.
pub fn build_ptx_files(args: &[String]) -> Result<Vec<PathBuf>, String> {
    let mut force = false;
    for a in args {
        match a.as_str() {
            "--force" => force = true,
            "-h" | "--help" => {
                eprintln!(
                    "usage: cargo xtask build-kernels [--force]\n\n\
                     Compiles gpu-kernels/ to {PTX_DIR}/{LIB_NAME}.<arch>.ptx for {}.\n\
                     Skipped when no input changed since the last build; --force rebuilds.",
                    ARCHS.join(", ")
                );
                return Ok(Vec::new());
            }
            other => return Err(format!("build-kernels: unknown argument `{other}`")),
        }
    }
    let root = workspace_root();
    let ptx_dir = root.join(PTX_DIR);
    let outputs: Vec<PathBuf> = ARCHS.iter().map(|a| ptx_path(&root, a)).collect();
    let stamp_path = ptx_dir.join(".stamp");
    let fingerprint = format!("{:016x}\n", input_fingerprint(&root)?);

    let stamp = fs::read_to_string(&stamp_path).unwrap_or_default();
    if !force && stamp == fingerprint && outputs.iter().all(|p| p.is_file()) {
        eprintln!(
            "build-kernels: up to date ({})",
            outputs
                .iter()
                .map(|p| rel(&root, p))
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Ok(outputs);
    }

    let toolchain = pinned_toolchain(&root)?;
    let tc = Toolchain::new(Some(&toolchain), "cargo".into());
    fs::create_dir_all(&ptx_dir).map_err(|e| format!("creating {}: {e}", ptx_dir.display()))?;
    let built = build_ptx(
        &tc,
        &root.join("gpu-kernels"),
        LIB_NAME,
        &root.join("target/gpu-kernels"),
    )
    .map_err(|e| e.to_string())?;
    for ((arch, built), out) in ARCHS.iter().zip(&built).zip(&outputs) {
        let text = fs::read_to_string(built)
            .map_err(|e| format!("reading the built PTX {}: {e}", built.display()))?;
        check_structure(&text, arch).map_err(|e| format!("{}: {e}", built.display()))?;
        write_atomically(out, text.as_bytes())?;
        eprintln!("build-kernels: wrote {}", rel(&root, out));
    }
    write_atomically(&stamp_path, fingerprint.as_bytes())?;
    Ok(outputs)
}

/// `target/ptx/hotloop_kernels.<arch>.ptx`.
fn ptx_path(root: &Path, arch: &str) -> PathBuf {
    root.join(PTX_DIR).join(format!("{LIB_NAME}.{arch}.ptx"))
}

/// The channel in `rust-toolchain.toml` (`channel = "1.95.0"`).
pub fn pinned_toolchain(root: &Path) -> Result<String, String> {
    let path = root.join("rust-toolchain.toml");
    let text = fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("channel"))
        .filter_map(|rest| rest.trim_start().strip_prefix('='))
        .map(|v| v.trim().trim_matches('"').to_string())
        .find(|v| !v.is_empty())
        .ok_or_else(|| format!("{}: no `channel = \"...\"` line", path.display()))
}

/// A hash of everything the PTX depends on: the sources and manifests of
/// `gpu-kernels/` (its committed PTX aside, the output), of the crates it
/// builds on and of the build's driver (`hotloop-build`), the root manifest they inherit from, the toolchain pin,
/// and this file (the build recipe).
fn input_fingerprint(root: &Path) -> Result<u64, String> {
    let mut files = Vec::new();
    for dir in [
        "gpu-kernels/src",
        "crates/hotloop-core",
        "crates/hotloop-device",
        "crates/hotloop-macros",
        "crates/hotloop-build",
    ] {
        collect_files(&root.join(dir), &mut files)?;
    }
    files.push(root.join("gpu-kernels/Cargo.toml"));
    files.push(root.join("Cargo.toml"));
    files.push(root.join("rust-toolchain.toml"));
    files.sort();
    let mut h = DefaultHasher::new();
    // The checks run on every build: a change to them is a change of input.
    for own in [
        include_str!("build.rs"),
        include_str!("check.rs"),
        include_str!("files.rs"),
        include_str!("mod.rs"),
    ] {
        h.write(own.as_bytes());
    }
    for f in &files {
        let bytes = fs::read(f).map_err(|e| format!("reading {}: {e}", f.display()))?;
        h.write(rel(root, f).as_bytes());
        h.write_u64(bytes.len() as u64);
        h.write(&bytes);
    }
    Ok(h.finish())
}

/// Every file under `dir`, skipping build outputs and hidden entries.
fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("reading {}: {e}", dir.display()))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name == "target" || name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let ty = entry
            .file_type()
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        if ty.is_dir() {
            collect_files(&path, out)?;
        } else if ty.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizing_blanks_crate_disambiguators_only() {
        let a = "call _RNvNtCs5Up44OOGB9R_14hotloop_device3out; // Cs x_y Csy";
        let b = "call _RNvNtCsQQ1_14hotloop_device3out; // Cs x_y Csy";
        assert_eq!(normalized(a), normalized(b));
        assert_eq!(
            normalized(a),
            "call _RNvNtCs_14hotloop_device3out; // Cs x_y Csy"
        );
        assert_ne!(
            normalized(a),
            normalized("call _RNvNtCs5Up_13hotloop_devic3out;")
        );
        assert_eq!(
            normalized("mov.b64 %rd60, anon_$_325e6d5d8beea0428378add46fbc474a_$_38;"),
            normalized("mov.b64 %rd60, anon_$_e1289bd1f9da16a773b85588220c186a_$_38;")
        );
        assert_ne!(
            normalized("anon_$_325e_$_38"),
            normalized("anon_$_325e_$_39")
        );
    }
}
