//! `cargo xtask test`: everything CI checks, in the order that fails fastest.

use crate::{kernels, process};
use std::process::Command;

pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(a) = args.first() {
        return Err(format!("`cargo xtask test` takes no arguments (got `{a}`)"));
    }
    ensure_lint_components()?;
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
    kernels::build(&[])?;
    kernels::check(&[])?;
    process::run(process::cargo().args(["test", "--workspace", "--locked"]))?;
    eprintln!("xtask test: all checks passed");
    Ok(())
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
