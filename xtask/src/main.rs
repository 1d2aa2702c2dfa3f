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
  test             format check, clippy (warnings denied), PTX build and check, all tests
  bench [--quick]  the cross-backend comparison suite (see `cargo xtask bench --help`)
  build-kernels    compile gpu-kernels/ to PTX (cached; rebuilt when sources change)
  check-ptx        assemble the PTX with ptxas for sm_80 and sm_90
  mpi-check        install MPI and libclang where missing (root on Debian/Ubuntu), then run
                   hotloop-mpi's checks under mpirun -n 1, 2, 3 and 4 (part of `test`)
  gpu-kit          pack the CUDA tests, sanitizer runs and GPU bench into target/gpu-kit/
                   for a GPU machine without Rust: there, `bash target/gpu-kit/run.sh`
";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let task = args.next();
    let rest: Vec<String> = args.collect();
    let result = match task.as_deref() {
        Some("test") => test::run(&rest),
        Some("bench") => bench::run(&rest),
        Some("build-kernels") => kernels::build(&rest).map(|_| ()),
        Some("check-ptx") => kernels::check(&rest),
        Some("gpu-kit") => gpu_kit::run(&rest),
        Some("mpi-check") => mpi::run(&rest),
        Some("-h" | "--help" | "help") | None => {
            print!("{USAGE}");
            return if task.is_none() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
        Some(other) => Err(format!(
            "unknown task `{other}`; valid tasks: test, bench, build-kernels, check-ptx, gpu-kit, \
             mpi-check"
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
