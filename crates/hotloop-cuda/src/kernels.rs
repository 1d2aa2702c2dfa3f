//! The kernel ABI of `gpu-kernels/` and launches on device arrays
//! (`kernel[blocks, threads](args)`).
//!
//! Entry points and parameter order, as `gpu-kernels/README.md` documents
//! them (`T` is `f32` or `f64`, pointers are device pointers, lengths
//! `u64`):
//!
//! | entry                    | parameters                                    |
//! |--------------------------|-----------------------------------------------|
//! | `add_scalar_T`           | `input, out, len, scalar`                     |
//! | `add_scalar_inplace_T`   | `data, len, scalar`                           |
//! | `add_scalar_blog_T`      | `input, out, nx, ny, nz, scalar`              |
//! | `sum_T`                  | `input, len, partials` (one per block)        |
//! | `max_T`                  | `input, len, partials` (one per block)        |
//! | `monte_carlo_pi`         | `seed, n_samples, block_counts` (`u64` each)  |
//!
//! The reductions use a static shared array (no dynamic shared memory);
//! every kernel is a grid-stride loop except the blog's, which needs one
//! thread per plane.
//!
//! Each launch here waits for the kernel to finish and reports its time
//! from CUDA events around the kernel alone ([`KernelRun`]).

use crate::array::DeviceArray;
use crate::device::Device;
use crate::driver::During;
use crate::timing::{Span, TIMED};
use cudarc::driver::{CudaFunction, CudaModule, CudaSlice, DriverError, LaunchArgs, PushKernelArg};
use hotloop_core::index::Shape3;
use hotloop_runtime::launch::MAX_BLOCKS;
use hotloop_runtime::{Element, Error, LaunchConfig, Result, check_same_shape};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Every entry point the host uses; a PTX module lacking one is refused
/// when the device is opened.
pub const ENTRIES: [&str; 11] = [
    "add_scalar_f32",
    "add_scalar_f64",
    "add_scalar_inplace_f32",
    "add_scalar_inplace_f64",
    "add_scalar_blog_f32",
    "add_scalar_blog_f64",
    "sum_f32",
    "sum_f64",
    "max_f32",
    "max_f64",
    "monte_carlo_pi",
];

/// The entry point of `base` for element type `T` (`"sum"` and `f32` give
/// `"sum_f32"`).
fn entry<T: Element>(base: &str) -> &'static str {
    let want = format!("{base}_{}", T::NAME);
    ENTRIES
        .iter()
        .find(|e| **e == want)
        .copied()
        .unwrap_or_else(|| unreachable!("no entry point {want}"))
}

/// The loaded kernel functions of one device.
pub(crate) struct Kernels {
    functions: HashMap<&'static str, CudaFunction>,
}

impl Kernels {
    /// Looks up every entry of [`ENTRIES`] in `module`.
    pub(crate) fn load(
        module: &Arc<CudaModule>,
    ) -> std::result::Result<Self, (&'static str, DriverError)> {
        let mut functions = HashMap::new();
        for name in ENTRIES {
            let f = module.load_function(name).map_err(|e| (name, e))?;
            functions.insert(name, f);
        }
        Ok(Self { functions })
    }

    fn get(&self, entry: &'static str) -> &CudaFunction {
        &self.functions[entry]
    }
}

/// A finished kernel launch: its shape and its execution time (CUDA events
/// around the kernel alone, read after the launch was synchronized).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelRun {
    /// The launch the kernel ran with.
    pub launch: LaunchConfig,
    /// Its execution time.
    pub kernel: Duration,
}

impl Device {
    /// `launch`, validated, or the default for `items`.
    pub(crate) fn resolve(&self, launch: Option<LaunchConfig>, items: u64) -> Result<LaunchConfig> {
        let cfg = launch.unwrap_or_else(|| self.default_launch(items));
        cfg.validate()?;
        Ok(cfg)
    }

    /// Launches `args` with `cfg`, waits for the kernel, and returns its
    /// event-timed execution. A refused launch and a failed execution are
    /// both [`Error::Device`] with the CUDA error name.
    fn run(&self, mut args: LaunchArgs<'_>, cfg: LaunchConfig) -> Result<KernelRun> {
        let config = cudarc::driver::LaunchConfig {
            grid_dim: (cfg.blocks, 1, 1),
            block_dim: (cfg.threads_per_block, 1, 1),
            shared_mem_bytes: 0,
        };
        args.record_kernel_launch(TIMED);
        // SAFETY: every caller pushes the arguments in the entry's order and
        // types (the table above), with buffers of the lengths the kernel's
        // contract needs; the kernel is waited for before they can be freed.
        let events = unsafe { args.launch(config) }.during("kernel launch")?;
        self.stream.synchronize().during("kernel execution")?;
        let events = events.expect("record_kernel_launch was requested");
        Ok(KernelRun {
            launch: cfg,
            kernel: Span::from_events(events).elapsed()?,
        })
    }

    fn function<T: Element>(&self, base: &str) -> &CudaFunction {
        self.kernels.get(entry::<T>(base))
    }
}

/// Pushes a scalar of the element type: the kernels take `f32` or `f64`.
struct Scalar {
    f32: f32,
    f64: f64,
}

impl Scalar {
    fn new<T: Element>(v: T) -> Self {
        let f64 = v.to_f64();
        // Exact: an f32 widened to f64 narrows back to itself.
        Self {
            f32: f64 as f32,
            f64,
        }
    }

    fn push<'a, T: Element>(&'a self, args: &mut LaunchArgs<'a>) {
        if T::NAME == "f32" {
            args.arg(&self.f32);
        } else {
            args.arg(&self.f64);
        }
    }
}

fn same_device<T: Element>(a: &DeviceArray<T>, b: &DeviceArray<T>) -> Result<()> {
    if Arc::ptr_eq(a.device(), b.device()) {
        Ok(())
    } else {
        Err(Error::InvalidLaunch(format!(
            "arrays on devices {} and {} passed to one kernel",
            a.device().info.ordinal,
            b.device().info.ordinal
        )))
    }
}

/// `out[i] = input[i] + scalar` (`add_scalar_T`).
pub fn add_scalar<T: Element>(
    input: &DeviceArray<T>,
    scalar: T,
    out: &mut DeviceArray<T>,
    launch: Option<LaunchConfig>,
) -> Result<KernelRun> {
    let _g = input.device().exclusive();
    add_scalar_locked(input, scalar, out, launch)
}

pub(crate) fn add_scalar_locked<T: Element>(
    input: &DeviceArray<T>,
    scalar: T,
    out: &mut DeviceArray<T>,
    launch: Option<LaunchConfig>,
) -> Result<KernelRun> {
    same_device(input, out)?;
    check_same_shape("input", &[input.len()], "output", &[out.len()])?;
    let dev = input.device();
    let len = input.len() as u64;
    let cfg = dev.resolve(launch, len)?;
    let s = Scalar::new(scalar);
    let mut args = dev.stream.launch_builder(dev.function::<T>("add_scalar"));
    args.arg(&input.buf).arg(&mut out.buf).arg(&len);
    s.push::<T>(&mut args);
    dev.run(args, cfg)
}

/// `data[i] += scalar` (`add_scalar_inplace_T`).
pub fn add_scalar_in_place<T: Element>(
    data: &mut DeviceArray<T>,
    scalar: T,
    launch: Option<LaunchConfig>,
) -> Result<KernelRun> {
    let dev = data.device().clone();
    let _g = dev.exclusive();
    add_scalar_in_place_locked(data, scalar, launch)
}

pub(crate) fn add_scalar_in_place_locked<T: Element>(
    data: &mut DeviceArray<T>,
    scalar: T,
    launch: Option<LaunchConfig>,
) -> Result<KernelRun> {
    let dev = data.device().clone();
    let len = data.len() as u64;
    let cfg = dev.resolve(launch, len)?;
    let s = Scalar::new(scalar);
    let mut args = dev
        .stream
        .launch_builder(dev.function::<T>("add_scalar_inplace"));
    args.arg(&mut data.buf).arg(&len);
    s.push::<T>(&mut args);
    dev.run(args, cfg)
}

/// The blog's kernel (`add_scalar_blog_T`) over row-major arrays of shape
/// `dims`: thread `x` handles plane `x`. The launch needs at least
/// `dims[0]` threads ([`Error::InvalidLaunch`] otherwise); by default it
/// has one thread per plane.
pub fn add_scalar_blog<T: Element>(
    input: &DeviceArray<T>,
    dims: [usize; 3],
    scalar: T,
    out: &mut DeviceArray<T>,
    launch: Option<LaunchConfig>,
) -> Result<KernelRun> {
    let _g = input.device().exclusive();
    add_scalar_blog_locked(input, dims, scalar, out, launch)
}

/// The blog kernel's launch: `launch` or one thread per plane, checked to
/// cover every plane.
pub(crate) fn blog_launch(launch: Option<LaunchConfig>, shape: Shape3) -> Result<LaunchConfig> {
    let cfg = launch.unwrap_or_else(|| LaunchConfig::for_items(shape.nx as u64, MAX_BLOCKS));
    cfg.validate()?;
    if cfg.total_threads() < shape.nx as u64 {
        return Err(Error::InvalidLaunch(format!(
            "{cfg}: the blog kernel needs one thread per plane, {} for shape {:?}",
            shape.nx,
            shape.dims()
        )));
    }
    Ok(cfg)
}

pub(crate) fn add_scalar_blog_locked<T: Element>(
    input: &DeviceArray<T>,
    dims: [usize; 3],
    scalar: T,
    out: &mut DeviceArray<T>,
    launch: Option<LaunchConfig>,
) -> Result<KernelRun> {
    same_device(input, out)?;
    let shape = blog_shape(input.len(), out.len(), dims)?;
    let cfg = blog_launch(launch, shape)?;
    let dev = input.device();
    let (nx, ny, nz) = (shape.nx as u64, shape.ny as u64, shape.nz as u64);
    let s = Scalar::new(scalar);
    let mut args = dev
        .stream
        .launch_builder(dev.function::<T>("add_scalar_blog"));
    args.arg(&input.buf)
        .arg(&mut out.buf)
        .arg(&nx)
        .arg(&ny)
        .arg(&nz);
    s.push::<T>(&mut args);
    dev.run(args, cfg)
}

/// Checks two array lengths against a shape, as `shape3` checks slices.
pub(crate) fn blog_shape(input: usize, out: usize, dims: [usize; 3]) -> Result<Shape3> {
    let shape = Shape3::new(dims[0], dims[1], dims[2]);
    let needed = shape.checked_len().ok_or_else(|| Error::IndexOverflow {
        shape: dims.to_vec(),
        index_type: "usize",
    })?;
    if input != needed {
        return Err(mismatch("input", input, dims, needed));
    }
    if out != needed {
        return Err(mismatch("output", out, dims, needed));
    }
    Ok(shape)
}

fn mismatch(name: &'static str, len: usize, dims: [usize; 3], needed: usize) -> Error {
    Error::LengthMismatch {
        name,
        len,
        shape: dims.to_vec(),
        needed,
    }
}

/// Allocates `blocks` partials of `T` (the reductions' output).
fn partials<T: Element>(dev: &Arc<Device>, cfg: LaunchConfig) -> Result<DeviceArray<T>> {
    dev.alloc_array::<T>("per-block partials", cfg.blocks as usize)
}

/// Per-block partial sums (`sum_T`), left on the device: one per block, in
/// block order. Finish them with [`hotloop_runtime::launch::finish_sum`]
/// after copying them to the host.
pub fn sum_partials<T: Element>(
    input: &DeviceArray<T>,
    launch: Option<LaunchConfig>,
) -> Result<(DeviceArray<T>, KernelRun)> {
    let _g = input.device().exclusive();
    reduce_locked(input, "sum", launch)
}

/// Per-block partial maxima (`max_T`), left on the device; negative
/// infinity for a block with no elements.
pub fn max_partials<T: Element>(
    input: &DeviceArray<T>,
    launch: Option<LaunchConfig>,
) -> Result<(DeviceArray<T>, KernelRun)> {
    let _g = input.device().exclusive();
    reduce_locked(input, "max", launch)
}

pub(crate) fn reduce_locked<T: Element>(
    input: &DeviceArray<T>,
    base: &str,
    launch: Option<LaunchConfig>,
) -> Result<(DeviceArray<T>, KernelRun)> {
    let dev = input.device();
    let len = input.len() as u64;
    let cfg = dev.resolve(launch, len)?;
    let mut out = partials::<T>(dev, cfg)?;
    let mut args = dev.stream.launch_builder(dev.function::<T>(base));
    args.arg(&input.buf).arg(&len).arg(&mut out.buf);
    let run = dev.run(args, cfg)?;
    Ok((out, run))
}

/// Per-block Monte Carlo hit counts (`monte_carlo_pi`), left on the device
/// as `u64`s in block order; [`hotloop_runtime::launch::finish_count`] of
/// them is the number of hits among samples `0..samples` under `seed`.
pub fn monte_carlo_pi(
    device: &Arc<Device>,
    seed: u64,
    samples: u64,
    launch: Option<LaunchConfig>,
) -> Result<(CudaSlice<u64>, KernelRun)> {
    let _g = device.exclusive();
    monte_carlo_pi_locked(device, seed, samples, launch)
}

/// Work items of a Monte Carlo launch: Philox blocks, two samples each.
pub(crate) fn pi_items(samples: u64) -> u64 {
    samples.div_ceil(hotloop_core::pi::SAMPLES_PER_BLOCK)
}

pub(crate) fn monte_carlo_pi_locked(
    dev: &Arc<Device>,
    seed: u64,
    samples: u64,
    launch: Option<LaunchConfig>,
) -> Result<(CudaSlice<u64>, KernelRun)> {
    let cfg = dev.resolve(launch, pi_items(samples))?;
    let bytes = cfg.blocks as u64 * 8;
    dev.check_fits("per-block hit counts", bytes)?;
    // SAFETY: thread 0 of every block writes its block's count.
    let mut counts =
        unsafe { dev.stream.alloc::<u64>(cfg.blocks as usize) }.during("device allocation")?;
    let mut args = dev.stream.launch_builder(dev.kernels.get("monte_carlo_pi"));
    args.arg(&seed).arg(&samples).arg(&mut counts);
    let run = dev.run(args, cfg)?;
    Ok((counts, run))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_follow_the_naming_rule() {
        assert_eq!(entry::<f32>("sum"), "sum_f32");
        assert_eq!(entry::<f64>("add_scalar_inplace"), "add_scalar_inplace_f64");
        assert_eq!(entry::<f64>("add_scalar_blog"), "add_scalar_blog_f64");
    }

    /// Parameters each entry is launched with here (the pushes above).
    const PARAMS: [(&str, usize); 11] = [
        ("add_scalar_f32", 4),
        ("add_scalar_f64", 4),
        ("add_scalar_inplace_f32", 3),
        ("add_scalar_inplace_f64", 3),
        ("add_scalar_blog_f32", 6),
        ("add_scalar_blog_f64", 6),
        ("sum_f32", 3),
        ("sum_f64", 3),
        ("max_f32", 3),
        ("max_f64", 3),
        ("monte_carlo_pi", 3),
    ];

    #[test]
    fn built_ptx_has_every_entry_with_the_launched_arity() {
        let dir = crate::ptx::ptx_dir();
        for (arch, _) in crate::ptx::ARCHS {
            let path = dir.join(crate::ptx::file_name(arch));
            let Ok(ptx) = std::fs::read_to_string(&path) else {
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "note: {} not built (cargo xtask build-kernels): skipping its ABI check",
                    path.display()
                );
                continue;
            };
            assert!(
                crate::ptx::isa_version(&ptx).is_some(),
                "{}",
                path.display()
            );
            assert_eq!(PARAMS.map(|(e, _)| e), ENTRIES);
            for (entry, params) in PARAMS {
                let head = format!(".entry {entry}(");
                let start = ptx
                    .find(&head)
                    .unwrap_or_else(|| panic!("{} lacks {entry}", path.display()));
                let decl = &ptx[start..start + ptx[start..].find(')').unwrap()];
                assert_eq!(decl.matches(".param").count(), params, "{arch} {entry}");
            }
        }
    }

    #[test]
    fn blog_launch_must_cover_the_planes() {
        let shape = Shape3::new(1000, 2, 3);
        assert_eq!(
            blog_launch(None, shape).unwrap(),
            LaunchConfig::new(4, 256).unwrap()
        );
        let small = Some(LaunchConfig::new(3, 7).unwrap());
        assert!(matches!(
            blog_launch(small, shape),
            Err(Error::InvalidLaunch(_))
        ));
        assert!(blog_shape(6000, 6000, [1000, 2, 3]).is_ok());
        assert!(matches!(
            blog_shape(6000, 5999, [1000, 2, 3]),
            Err(Error::LengthMismatch { name: "output", .. })
        ));
        assert!(matches!(
            blog_shape(6000, 6000, [usize::MAX, 2, 3]),
            Err(Error::IndexOverflow { .. })
        ));
    }
}
