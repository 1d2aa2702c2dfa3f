//! Runs the example's kernels on the simulator and, where a GPU and the
//! kernels' PTX are found, on CUDA, with Numba's flow (`to_device`,
//! `device_array_like`, a launch with `(blocks, threads)`, `synchronize`,
//! `copy_to_host`); prints one row per kernel and backend, checked against
//! a serial loop (✓/✗), and exits non-zero on a ✗.
//!
//! The kernels' PTX is built by `build.rs` (`hotloop-build`) and embedded
//! here; the driver JIT-compiles the sm_80 module for any newer GPU.

use custom_kernels::{add_two, add_two_blog, block_sum};
use hotloop_cuda::Module;
use hotloop_device::DeviceCopy;
use hotloop_device::host::Launcher;
use hotloop_sim::Simulator;
use std::fmt::Display;
use std::process::ExitCode;

/// Numba's device-array flow on either backend.
trait Backend: Launcher<Error: Display> {
    fn name(&self) -> String;
    fn put<T: DeviceCopy>(&self, host: &[T]) -> Result<Self::Array<T>, String>;
    fn zeros<T: DeviceCopy>(&self, len: usize) -> Result<Self::Array<T>, String>;
    fn get<T: DeviceCopy>(&self, a: &Self::Array<T>) -> Result<Vec<T>, String>;
}

impl Backend for Simulator {
    fn name(&self) -> String {
        "simulator".into()
    }
    fn put<T: DeviceCopy>(&self, host: &[T]) -> Result<Self::Array<T>, String> {
        Ok(self.to_device(host))
    }
    fn zeros<T: DeviceCopy>(&self, len: usize) -> Result<Self::Array<T>, String> {
        Ok(self.device_array(len))
    }
    fn get<T: DeviceCopy>(&self, a: &Self::Array<T>) -> Result<Vec<T>, String> {
        self.synchronize();
        Ok(a.copy_to_host())
    }
}

impl Backend for Module {
    fn name(&self) -> String {
        format!("cuda:0 {}", self.device().info().name)
    }
    fn put<T: DeviceCopy>(&self, host: &[T]) -> Result<Self::Array<T>, String> {
        self.to_device(host).map_err(|e| e.to_string())
    }
    fn zeros<T: DeviceCopy>(&self, len: usize) -> Result<Self::Array<T>, String> {
        self.device_array(len).map_err(|e| e.to_string())
    }
    fn get<T: DeviceCopy>(&self, a: &Self::Array<T>) -> Result<Vec<T>, String> {
        self.synchronize().map_err(|e| e.to_string())?;
        a.copy_to_host().map_err(|e| e.to_string())
    }
}

const DIMS: (u32, u32, u32) = (64, 24, 40);

/// `(kernel, launch, passed, detail)` rows of one backend.
fn run<B: Backend>(b: &B) -> Vec<(String, String, bool, String)> {
    let (nx, ny, nz) = DIMS;
    let n = (nx * ny * nz) as usize;
    let x: Vec<f64> = (0..n)
        .map(|i| ((i * 7919) % 1013) as f64 * 0.25 - 100.0)
        .collect();
    let want: Vec<f64> = x.iter().map(|v| v + 2.0).collect();
    let ints: Vec<u64> = (0..n as u64).map(|i| i * i % 1_000_003).collect();
    let total: u64 = ints.iter().sum();
    let mut rows = Vec::new();
    let mut row = |kernel: &str, launch: String, r: Result<bool, String>| {
        let (ok, detail) = match r {
            Ok(true) => (true, String::new()),
            Ok(false) => (false, "wrong answer".into()),
            Err(e) => (false, e),
        };
        rows.push((kernel.to_string(), launch, ok, detail));
    };
    // One thread per x at least: the blog's kernel has no grid-stride loop.
    for (blocks, threads) in [(nx.div_ceil(16), 16), (1, 64), (nx, 1)] {
        let r = (|| {
            let d_in = b.put(&x)?;
            let mut d_out = b.zeros::<f64>(n)?;
            add_two_blog::launch(b, (blocks, threads), &d_in, &mut d_out, nx, ny, nz)
                .map_err(|e| e.to_string())?;
            Ok(b.get(&d_out)? == want)
        })();
        row("add_two_blog", format!("[{blocks}, {threads}]"), r);
    }
    for (blocks, threads) in [(1, 1), (5, 33), (40, 256)] {
        let r = (|| {
            let d_in = b.put(&x)?;
            let mut d_out = b.zeros::<f64>(n)?;
            add_two::launch(b, (blocks, threads), &d_in, &mut d_out).map_err(|e| e.to_string())?;
            Ok(b.get(&d_out)? == want)
        })();
        row("add_two (grid-stride)", format!("[{blocks}, {threads}]"), r);
    }
    for (blocks, threads) in [(1, 1), (3, 7), (8, 256), (2, 1024)] {
        let r = (|| {
            let d_in = b.put(&ints)?;
            let mut d_sum = b.zeros::<u64>(1)?;
            block_sum::launch(b, (blocks, threads), &d_in, &mut d_sum)
                .map_err(|e| e.to_string())?;
            Ok(b.get(&d_sum)? == [total])
        })();
        row(
            "block_sum (shared + atomic)",
            format!("[{blocks}, {threads}]"),
            r,
        );
    }
    rows
}

fn cuda() -> Result<Module, String> {
    let dev = hotloop_cuda::device(0).map_err(|e| e.to_string())?;
    let path = std::env::var("CUSTOM_KERNELS_PTX").map_err(|_| {
        "CUSTOM_KERNELS_PTX names no PTX file (cargo xtask test sets it)".to_string()
    })?;
    let ptx = std::fs::read_to_string(&path).map_err(|e| format!("reading {path}: {e}"))?;
    Module::load(&dev, &ptx).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let mut all = Vec::new();
    let sim = Simulator::new();
    all.extend(run(&sim).into_iter().map(|r| (sim.name(), r)));
    match cuda() {
        Ok(m) => all.extend(run(&m).into_iter().map(|r| (m.name(), r))),
        Err(why) => println!("cuda: skipped: {why}"),
    }
    println!("{:<12} {:<28} {:<12} ok", "backend", "kernel", "launch");
    let mut failed = 0;
    for (backend, (kernel, launch, ok, detail)) in &all {
        println!(
            "{backend:<12} {kernel:<28} {launch:<12} {} {detail}",
            if *ok { "✓" } else { "✗" }
        );
        failed += usize::from(!ok);
    }
    if failed > 0 {
        println!("{failed} rows wrong");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
