//! `cargo xtask gpu-kit`: everything the CUDA checks need, built here and
//! packed into `target/gpu-kit/`, for a GPU machine that has no Rust
//! toolchain and no network. `bash target/gpu-kit/run.sh` runs the checks
//! there (`run.sh` beside this file says what it does) and writes what it
//! measured under `$OUT`.
//!
//! The kit holds, stripped of debug info: every test binary of the
//! facade (each runs on CUDA when a device is present) and of
//! `hotloop-cuda`, packed into one xz archive (they share most of their
//! code: 48 MiB of binaries travel as about 3.5 MiB; `run.sh` unpacks
//! them), the bench binary, the standalone example's host (a user's own
//! `#[kernel]`s, their PTX embedded), the PTX for every architecture, the
//! Python scripts and `run.sh`.

use crate::{kernels, process};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The kit's folder, under the workspace root.
pub const KIT_DIR: &str = "target/gpu-kit";

/// What travels to the GPU machine must stay below this: 48 MiB, well
/// under the 64 MiB a carried path may be, so the tests can grow.
const MAX_KIT_BYTES: u64 = 48 << 20;

/// The test binaries' archive in the kit, which `run.sh` unpacks.
const TESTS_ARCHIVE: &str = "tests.tar.xz";

/// `run.sh`'s exit status where there is no GPU to run on.
pub const NO_GPU_STATUS: i32 = 3;

/// The packages whose test binaries go into the kit.
const TEST_PACKAGES: [&str; 2] = ["hotloop", "hotloop-cuda"];

pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(a) = args.first() {
        if a == "-h" || a == "--help" {
            eprintln!(
                "usage: cargo xtask gpu-kit\n\n\
                 Builds the CUDA test binaries, the bench and the PTX in release mode and packs\n\
                 them with the Python scripts into {KIT_DIR}/ (under 48 MiB). On a GPU machine,\n\
                 `bash {KIT_DIR}/run.sh` runs every CUDA test, compute-sanitizer and the GPU\n\
                 bench rows, writing its results under $OUT (default {KIT_DIR}/out)."
            );
            return Ok(());
        }
        return Err(format!(
            "`cargo xtask gpu-kit` takes no arguments (got `{a}`)"
        ));
    }
    build().map(drop)
}

/// Builds the kit; returns its folder.
pub fn build() -> Result<PathBuf, String> {
    let root = process::workspace_root();
    let ptx = kernels::build(&[])?;
    let tests = build_tests()?;
    process::run(process::cargo().args(["build", "--release", "--locked", "-p", "hotloop-bench"]))?;
    let bench = root.join("target/release/hotloop-bench");
    // The standalone example: a user's own kernels, on the GPU.
    let example = root.join("examples/custom-kernels");
    build_custom_kernels()?;

    let kit = root.join(KIT_DIR);
    if kit.exists() {
        fs::remove_dir_all(&kit).map_err(|e| format!("clearing {}: {e}", kit.display()))?;
    }
    for sub in ["bin", "tests", "ptx", "python"] {
        mkdir(&kit.join(sub))?;
    }
    copy_binary(&bench, &kit.join("bin/hotloop-bench"))?;
    copy_binary(
        &example.join("target/release/custom-kernels-host"),
        &kit.join("bin/custom-kernels-host"),
    )?;
    for (name, path) in &tests {
        copy_binary(path, &kit.join("tests").join(name))?;
    }
    pack_tests(&kit)?;
    for p in &ptx {
        copy(p, &kit.join("ptx").join(p.file_name().expect("a PTX file")))?;
    }
    for script in ["blog_bench.py", "gpu_bench.py", "peers.py"] {
        copy(
            &root.join("python").join(script),
            &kit.join("python").join(script),
        )?;
    }
    let run_sh = kit.join("run.sh");
    fs::write(&run_sh, include_str!("gpu_kit/run.sh"))
        .map_err(|e| format!("writing {}: {e}", run_sh.display()))?;
    fs::write(kit.join("VERSION"), version_text(&root))
        .map_err(|e| format!("writing the kit's VERSION: {e}"))?;

    let mut files = Vec::new();
    list_files(&kit, &mut files)?;
    files.sort();
    let total: u64 = files.iter().map(|(_, n)| n).sum();
    eprintln!(
        "gpu-kit: {} ({}, {} files):",
        KIT_DIR,
        mib(total),
        files.len()
    );
    for (path, bytes) in &files {
        let rel = path.strip_prefix(&kit).unwrap_or(path);
        eprintln!("  {:>9}  {}", mib(*bytes), rel.display());
    }
    if total > MAX_KIT_BYTES {
        return Err(format!(
            "the kit is {}, over the {} that can travel to the GPU machine",
            mib(total),
            mib(MAX_KIT_BYTES)
        ));
    }
    eprintln!("gpu-kit: on a GPU machine, run `bash {KIT_DIR}/run.sh` (results under $OUT)");
    Ok(kit)
}

/// Packs `kit/tests/` into `kit/tests.tar.xz` and removes the folder: xz's
/// window spans the binaries, which share the facade, rayon and the
/// runtime, so the archive is a fraction of any one compressor's per-file
/// size (gzip: 14 MiB for 48).
fn pack_tests(kit: &Path) -> Result<(), String> {
    process::run(
        Command::new("tar")
            .arg("-cJf")
            .arg(kit.join(TESTS_ARCHIVE))
            .arg("-C")
            .arg(kit)
            .arg("tests"),
    )?;
    fs::remove_dir_all(kit.join("tests"))
        .map_err(|e| format!("removing {}: {e}", kit.join("tests").display()))
}

/// Builds the standalone example's host in release mode (the kernels
/// crate's `build.rs` builds its own PTX, which it embeds); returns that
/// build script's `OUT_DIR`, where the PTX is.
pub fn build_custom_kernels() -> Result<PathBuf, String> {
    let root = process::workspace_root();
    eprintln!("$ cargo build --release -p custom-kernels-host (examples/custom-kernels)");
    let out = process::cargo()
        .args([
            "build",
            "--release",
            "--locked",
            "-p",
            "custom-kernels-host",
            "--manifest-path",
        ])
        .arg(root.join("examples/custom-kernels/Cargo.toml"))
        .arg("--message-format=json")
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("could not start cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "building examples/custom-kernels failed ({})",
            out.status
        ));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| {
            l.contains(r#""reason":"build-script-executed""#) && l.contains("#custom-kernels@")
        })
        .find_map(|l| json_string(l, "out_dir").map(PathBuf::from))
        .ok_or_else(|| "cargo reported no build script run for custom-kernels".into())
}

/// Builds the test binaries of [`TEST_PACKAGES`] in release mode; returns
/// `(name, path)` for each, named after its target (`cuda`, `cuda_ops`,
/// and `hotloop_cuda` for that crate's unit tests).
fn build_tests() -> Result<Vec<(String, PathBuf)>, String> {
    let mut cmd = process::cargo();
    cmd.args([
        "test",
        "--release",
        "--locked",
        "--no-run",
        "--message-format=json",
    ]);
    for p in TEST_PACKAGES {
        cmd.args(["-p", p]);
    }
    eprintln!(
        "$ cargo test --release --no-run -p {}",
        TEST_PACKAGES.join(" -p ")
    );
    let out = cmd
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("could not start cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "building the test binaries failed ({})",
            out.status
        ));
    }
    let tests = test_executables(&String::from_utf8_lossy(&out.stdout));
    if tests.is_empty() {
        return Err("cargo built no test binaries".into());
    }
    Ok(tests)
}

/// The test executables among cargo's JSON messages, by target name.
fn test_executables(messages: &str) -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = Vec::new();
    for line in messages.lines() {
        if !line.contains(r#""reason":"compiler-artifact""#) || !line.contains(r#""test":true"#) {
            continue;
        }
        let (Some(exe), Some(name)) = (
            json_string(line, "executable"),
            line.find(r#""target":{"#)
                .and_then(|i| json_string(&line[i..], "name")),
        ) else {
            continue;
        };
        let name = name.replace('-', "_");
        if !out.iter().any(|(n, _)| *n == name) {
            out.push((name, PathBuf::from(exe)));
        }
    }
    out
}

/// The first `"key":"value"` string in `json` (cargo's messages hold no
/// escaped quotes in paths or target names).
fn json_string<'a>(json: &'a str, key: &str) -> Option<&'a str> {
    let pat = format!("\"{key}\":\"");
    let start = json.find(&pat)? + pat.len();
    let len = json[start..].find('"')?;
    Some(&json[start..start + len])
}

/// Copies an executable and strips its debug info and symbols (`strip`
/// from binutils, which every machine with gcc has); unstripped, with a
/// note, where there is no `strip`.
fn copy_binary(from: &Path, to: &Path) -> Result<(), String> {
    copy(from, to)?;
    match Command::new("strip").arg("--strip-all").arg(to).status() {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("strip {} failed ({s})", to.display())),
        Err(e) => {
            eprintln!(
                "gpu-kit: no `strip` ({e}); {} keeps its debug info",
                to.display()
            );
            Ok(())
        }
    }
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    fs::copy(from, to)
        .map(drop)
        .map_err(|e| format!("copying {} to {}: {e}", from.display(), to.display()))
}

fn mkdir(dir: &Path) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))
}

fn list_files(dir: &Path, out: &mut Vec<(PathBuf, u64)>) -> Result<(), String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("reading {}: {e}", dir.display()))?;
        let path = entry.path();
        let meta = entry
            .metadata()
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        if meta.is_dir() {
            list_files(&path, out)?;
        } else {
            out.push((path, meta.len()));
        }
    }
    Ok(())
}

/// The commit the kit was built from, for the results to name.
fn version_text(root: &Path) -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let dirty = git(&["status", "--porcelain"]).is_some_and(|s| !s.is_empty());
    format!(
        "hotloop {commit}{}\n",
        if dirty {
            " (with uncommitted changes)"
        } else {
            ""
        }
    )
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1u64 << 20) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_executables_come_from_cargos_messages() {
        let messages = concat!(
            r#"{"reason":"compiler-artifact","package_id":"x","target":{"kind":["test"],"crate_types":["bin"],"name":"cuda_ops","src_path":"/w/tests/cuda_ops.rs"},"profile":{"opt_level":"3","test":true},"executable":"/w/target/release/deps/cuda_ops-1a2b"}"#,
            "\n",
            r#"{"reason":"compiler-artifact","target":{"kind":["lib"],"name":"hotloop"},"profile":{"test":false},"executable":null}"#,
            "\n",
            r#"{"reason":"compiler-artifact","target":{"kind":["lib"],"name":"hotloop-cuda"},"profile":{"test":true},"executable":"/w/target/release/deps/hotloop_cuda-9f"}"#,
            "\n",
            r#"{"reason":"build-finished","success":true}"#,
        );
        assert_eq!(
            test_executables(messages),
            vec![
                (
                    "cuda_ops".to_string(),
                    PathBuf::from("/w/target/release/deps/cuda_ops-1a2b")
                ),
                (
                    "hotloop_cuda".to_string(),
                    PathBuf::from("/w/target/release/deps/hotloop_cuda-9f")
                ),
            ]
        );
    }
}
