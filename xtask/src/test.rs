//! `cargo xtask test`: everything CI checks, in the order that fails fastest.

use crate::{gpu_kit, kernels, mpi, process};
use std::process::Command;

pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(a) = args.first() {
        return Err(format!("`cargo xtask test` takes no arguments (got `{a}`)"));
    }
    ensure_lint_components()?;
    // The workspace builds hotloop-mpi, whose bindings need MPI and libclang.
    mpi::ensure_mpi()?;
    process::run(process::cargo().args(["fmt", "--all", "--", "--check"]))?;
    // The device crate is outside the workspace: check its format too.
    process::run(process::cargo().args([
        "fmt",
        "--manifest-path",
        "gpu-kernels/Cargo.toml",
        "--",
        "--check",
    ]))?;
    process::run(process::cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--locked",
        "--",
        "-D",
        "warnings",
    ]))?;
    check_docs_and_features()?;
    let ptx = kernels::build_ptx_files(&[])?;
    kernels::check_embedded_fresh(&ptx)?;
    kernels::check(&[])?;
    process::run(process::cargo().args(["test", "--workspace", "--locked"]))?;
    mpi::check_ranks()?;
    check_custom_kernels()?;
    let kit = check_gpu_kit()?;
    let device_tests = run_device_tests(&kit)?;
    eprintln!("xtask test: all checks passed");
    eprintln!("xtask test: {device_tests}");
    Ok(())
}

/// The API docs build with no warning (broken intra-doc links, bad HTML),
/// and the facade builds and passes its own tests with its optional
/// backends left out: a CPU-only user compiles no CUDA code.
fn check_docs_and_features() -> Result<(), String> {
    process::run(
        process::cargo()
            .args([
                "doc",
                "--workspace",
                "--no-deps",
                "--locked",
                "--exclude",
                "xtask",
            ])
            .env("RUSTDOCFLAGS", "-D warnings"),
    )?;
    process::run(process::cargo().args([
        "test",
        "-p",
        "hotloop",
        "--lib",
        "--locked",
        "--no-default-features",
    ]))?;
    process::run(process::cargo().args([
        "check",
        "-p",
        "hotloop",
        "--locked",
        "--no-default-features",
        "--features",
        "sim",
    ]))
}

/// The tests that need a CUDA device (`#[ignore = "needs a CUDA device"]`):
/// run where the kit's probe finds one, counted either way; returns the
/// one line that says how many ran, and why none did.
fn run_device_tests(kit: &std::path::Path) -> Result<String, String> {
    let probe = Command::new(kit.join("bin/hotloop-bench"))
        .arg("--cuda-available")
        .output()
        .map_err(|e| format!("running the CUDA probe: {e}"))?;
    let said = String::from_utf8_lossy(&probe.stdout).trim().to_string();
    // --tests: the test targets, not the doctests (whose `ignore` blocks are
    // examples, not device tests).
    const IGNORED: [&str; 6] = [
        "test",
        "--workspace",
        "--locked",
        "--tests",
        "--",
        "--ignored",
    ];
    let listed = process::cargo()
        .args(IGNORED)
        .arg("--list")
        .stderr(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("listing the device tests: {e}"))?;
    let total = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .filter(|l| l.ends_with(": test"))
        .count();
    if !probe.status.success() {
        return Ok(format!("0 of {total} device tests ran: {said}"));
    }
    process::run(process::cargo().args(IGNORED))?;
    Ok(format!("{total} of {total} device tests ran, on {said}"))
}

/// The standalone example (`examples/custom-kernels/`, its own workspace,
/// depending on hotloop's crates by path as a user would by version):
/// formatted, clippy-clean, built (the kernels crate's `build.rs` builds
/// itself to PTX for sm_80 and sm_90 with `hotloop-build`), the PTX
/// assembled with `ptxas`, and its host run, which checks every kernel and
/// op on the simulator (and CUDA, where there is a device) and fails on a ✗.
fn check_custom_kernels() -> Result<(), String> {
    let root = process::workspace_root();
    let manifest = root.join("examples/custom-kernels/Cargo.toml");
    process::run(
        process::cargo()
            .arg("fmt")
            .arg("--manifest-path")
            .arg(&manifest)
            .args(["--all", "--", "--check"]),
    )?;
    process::run(
        process::cargo()
            .args([
                "clippy",
                "--locked",
                "--workspace",
                "--all-targets",
                "--manifest-path",
            ])
            .arg(&manifest)
            .args(["--", "-D", "warnings"]),
    )?;
    let out_dir = gpu_kit::build_custom_kernels()?;
    let ptx: Vec<String> = hotloop_build::ARCHS
        .iter()
        .map(|a| {
            out_dir
                .join(format!("{}.{a}.ptx", hotloop_build::MODULE_STEM))
                .display()
                .to_string()
        })
        .collect();
    kernels::check(&ptx)?;
    process::run(
        process::cargo()
            .args(["run", "--release", "--locked", "--manifest-path"])
            .arg(&manifest)
            .args(["-p", "custom-kernels-host"]),
    )
}

/// Builds the GPU kit and runs its `run.sh` here. On a machine without a
/// GPU that checks everything but the GPU: the kit builds, fits, and says
/// in one line why it cannot run, with its own exit status, in seconds. On
/// a machine with one, it is the whole GPU run.
fn check_gpu_kit() -> Result<std::path::PathBuf, String> {
    let kit = gpu_kit::build()?;
    let started = std::time::Instant::now();
    let out = Command::new("bash")
        .arg(kit.join("run.sh"))
        .env("OUT", kit.join("out"))
        .output()
        .map_err(|e| format!("could not start bash: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprint!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    match out.status.code() {
        Some(gpu_kit::NO_GPU_STATUS) => {
            let lines = stdout.lines().count();
            if lines != 1 || !stdout.starts_with("gpu-kit: cannot run here: ") {
                return Err(format!(
                    "gpu-kit run.sh without a GPU printed {lines} lines, not one reason"
                ));
            }
            if started.elapsed().as_secs() > 10 {
                return Err("gpu-kit run.sh took over 10 s to find that there is no GPU".into());
            }
            eprintln!(
                "xtask test: gpu-kit built; run.sh refused in {:.1} s as it should without a GPU",
                started.elapsed().as_secs_f64()
            );
            Ok(kit)
        }
        Some(0) => {
            eprintln!(
                "xtask test: gpu-kit ran on this machine's GPU: see {}",
                kit.join("out/summary.md").display()
            );
            Ok(kit)
        }
        _ => Err(format!(
            "gpu-kit run.sh failed ({}): see {}",
            out.status,
            kit.join("out/summary.md").display()
        )),
    }
}

/// rustup installs a toolchain file's components only with a new toolchain;
/// on a machine that already has the pinned one, add rustfmt and clippy
/// here (a no-op when present).
fn ensure_lint_components() -> Result<(), String> {
    let root = process::workspace_root();
    let toolchain = kernels::pinned_toolchain(&root)?;
    if Command::new("rustup").arg("--version").output().is_err() {
        eprintln!("xtask test: no rustup; assuming rustfmt and clippy are installed");
        return Ok(());
    }
    process::run(
        Command::new("rustup")
            .args(["component", "add", "--toolchain", &toolchain])
            .args(["rustfmt", "clippy"]),
    )
}
