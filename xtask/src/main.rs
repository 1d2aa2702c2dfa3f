//! `cargo xtask <task>`: the project's tasks as one Rust binary (the
//! cargo-xtask pattern), so a fresh machine needs nothing but cargo.
//!
//! - `test`: everything CI checks.
//! - `bench`: the cross-backend comparison suite.
//! - `build-kernels`: compile `gpu-kernels/` to PTX.
//! - `check-ptx`: assemble that PTX with `ptxas` for sm_80 and sm_90.
//! - `gpu-kit`: pack the CUDA checks for a GPU machine without Rust.
//! - `mpi-check`: MPI installed where missing, hotloop-mpi's checks on 1-4 ranks.

mod bench;
mod gpu_kit;
mod kernels;
mod mpi;
mod process;
mod test;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task> [options]

tasks:
  test             format check, clippy (warnings denied), PTX build and check, crate
                   packages built from their .crate, all tests
  bench [--quick]  the cross-backend comparison suite (see `cargo xtask bench --help`)
  build-kernels    compile gpu-kernels/ to PTX (cached; rebuilt when sources change)
  check-ptx        assemble the PTX with ptxas for sm_80 and sm_90
  mpi-check        install MPI and libclang where missing (root on Debian/Ubuntu), then run
                   hotloop-mpi's checks under mpirun -n 1, 2, 3 and 4 (part of `test`)
  gpu-kit          pack the CUDA tests, sanitizer runs and GPU bench into target/gpu-kit/
                   for a GPU machine without Rust: there, `bash target/gpu-kit/run.sh`
";

/// Exit status of a bad argument, as the bench suite's (clap's).
const USAGE_ERROR: u8 = 2;

/// How a task failed.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// A bad argument, already explained in one line (by the bench suite,
    /// whose exit status 2 this passes on): nothing more to print.
    Usage,
    /// Anything else, with its message (exit 1).
    Message(String),
}

impl From<String> for Failure {
    fn from(e: String) -> Self {
        Failure::Message(e)
    }
}

fn main() -> ExitCode {
    // `args_os`: `args` panics on an argument that is not UTF-8. The tasks
    // take their arguments as text (the bench quotes them back and rewrites
    // `--out`), so such an argument is a usage error.
    let args: Vec<String> = match std::env::args_os()
        .skip(1)
        .map(|a| a.into_string())
        .collect()
    {
        Ok(args) => args,
        Err(bad) => {
            eprintln!(
                "xtask: the argument '{}' is not valid UTF-8",
                bad.to_string_lossy()
            );
            return ExitCode::from(USAGE_ERROR);
        }
    };
    let mut args = args.into_iter();
    let task = args.next();
    let rest: Vec<String> = args.collect();
    let result: Result<(), Failure> = match task.as_deref() {
        Some("test") => test::run(&rest).map_err(Failure::from),
        Some("bench") => bench::run(&rest),
        Some("build-kernels") => kernels::build(&rest).map(|_| ()).map_err(Failure::from),
        Some("check-ptx") => kernels::check(&rest).map_err(Failure::from),
        Some("gpu-kit") => gpu_kit::run(&rest).map_err(Failure::from),
        Some("mpi-check") => mpi::run(&rest).map_err(Failure::from),
        Some("-h" | "--help" | "help") | None => {
            print!("{USAGE}");
            return if task.is_none() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
        Some(other) => {
            eprintln!(
                "xtask: unknown task `{other}`; valid tasks: test, bench, build-kernels, \
                 check-ptx, gpu-kit, mpi-check"
            );
            return ExitCode::from(USAGE_ERROR);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage) => ExitCode::from(USAGE_ERROR),
        Err(Failure::Message(e)) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
