//! `cargo xtask test`: everything CI checks, in the order that fails fastest.

use crate::{kernels, process};

pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(a) = args.first() {
        return Err(format!("`cargo xtask test` takes no arguments (got `{a}`)"));
    }
    process::run(process::cargo().args(["fmt", "--all", "--", "--check"]))?;
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
