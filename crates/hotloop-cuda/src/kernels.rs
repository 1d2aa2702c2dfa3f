//! The kernel ABI of `gpu-kernels/` and launches on device arrays
//! (`kernel[blocks, threads](args)`).
//!
//! The entry points, their parameters and their shared-memory use are
//! listed once, in the kernel registry `hotloop_core::registry::KERNELS`
//! (documented in `gpu-kernels/README.md`): a device loads every entry the
//! registry names, and each launch here checks every argument it pushes
//! against the entry's registry row (type and position), so the host cannot
//! drift from the list `check-ptx` verifies the PTX against. `T` is `f32` or
//! `f64`; pointers are device pointers, lengths `u64`:
//!
//! | entry                          | parameters                                       |
//! |--------------------------------|--------------------------------------------------|
//! | `add_scalar_T`                 | `input, out, len, scalar`                        |
//! | `add_scalar_inplace_T`         | `data, len, scalar`                              |
//! | `add_scalar_blog_T`            | `input, out, nx, ny, nz, scalar`                 |
//! | `sum_T`, `max_T`, `min_T`      | `input, len, partials` (one per block)           |
//! | `monte_carlo_pi`               | `seed, first_sample, end_sample, block_counts`   |
//!
//! The reductions use a static shared array (no dynamic shared memory);
//! every kernel is a grid-stride loop except the blog's, which needs one
//! thread per plane. The ops' kernels (maps, zips, counts, gufuncs,
//! stencils) are not here: `#[device_op]` generates them and their
//! metadata, and [`crate::forms`] launches them.
//!
//! Each launch here waits for the kernel to finish and reports its time
//! from CUDA events around the kernel alone ([`KernelRun`]).

use crate::array::DeviceArray;
use crate::device::Device;
use crate::driver::During;
use crate::timing::{Span, TIMED};
use cudarc::driver::{CudaSlice, LaunchArgs, PushKernelArg};
use hotloop_core::index::Shape3;
use hotloop_core::registry::{KernelSpec, ParamType};
use hotloop_runtime::launch::blog_launch;
use hotloop_runtime::{Element, Error, LaunchConfig, Result, check_same_shape};
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

/// The registry row of `base` for element type `T` (`"sum"` and `f32` give
/// `sum_f32`).
fn entry<T: Element>(base: &str) -> &'static KernelSpec {
    let want = format!("{base}_{}", T::NAME);
    hotloop_core::registry::find(&want).unwrap_or_else(|| unreachable!("no entry point {want}"))
}

/// Checks that an argument of type `ty` may be pushed as parameter `pos`
/// of `spec`: the registry's type at that position. A mismatch is a bug in
/// this crate (the launch would read garbage), reported before the launch.
fn check_arg(spec: &KernelSpec, pos: usize, ty: ParamType) -> std::result::Result<(), String> {
    match spec.params.get(pos) {
        Some(&want) if want == ty => Ok(()),
        Some(want) => Err(format!(
            "parameter {pos} of `{}` is {want:?} in the kernel registry, but {ty:?} is pushed",
            spec.name
        )),
        None => Err(format!(
            "`{}` takes {} parameters in the kernel registry, but a {ty:?} is pushed as parameter {pos}",
            spec.name,
            spec.params.len()
        )),
    }
}

/// A launch being built: the entry's registry row and the arguments pushed
/// so far, each checked against the row.
pub(crate) struct Call<'a> {
    spec: &'static KernelSpec,
    args: LaunchArgs<'a>,
    pushed: usize,
}

impl<'a> Call<'a> {
    fn new(dev: &'a Device, spec: &'static KernelSpec) -> Self {
        Self {
            spec,
            args: dev.stream.launch_builder(dev.builtin_function(spec.name)),
            pushed: 0,
        }
    }

    fn check(&mut self, ty: ParamType) {
        if let Err(e) = check_arg(self.spec, self.pushed, ty) {
            panic!("hotloop-cuda does not follow the kernel ABI: {e}");
        }
        self.pushed += 1;
    }

    /// A device buffer, read by the kernel.
    fn input<X>(&mut self, buf: &'a CudaSlice<X>) -> &mut Self {
        self.check(ParamType::Ptr);
        self.args.arg(buf);
        self
    }

    /// A device buffer the kernel writes.
    fn output<X>(&mut self, buf: &'a mut CudaSlice<X>) -> &mut Self {
        self.check(ParamType::Ptr);
        self.args.arg(buf);
        self
    }

    fn u64(&mut self, v: &'a u64) -> &mut Self {
        self.check(ParamType::U64);
        self.args.arg(v);
        self
    }

    /// A scalar of the element type `T`: the kernels take `f32` or `f64`.
    fn real<T: Element>(&mut self, s: &'a Scalar) -> &mut Self {
        if T::NAME == "f32" {
            self.check(ParamType::F32);
            self.args.arg(&s.f32);
        } else {
            self.check(ParamType::F64);
            self.args.arg(&s.f64);
        }
        self
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
    /// `launch`, validated, or the default for `items`; either
    /// [trimmed](LaunchConfig::trimmed_to) to the blocks that have work, as
    /// the simulator trims it.
    pub(crate) fn resolve(&self, launch: Option<LaunchConfig>, items: u64) -> Result<LaunchConfig> {
        let cfg = launch.unwrap_or_else(|| self.default_launch(items));
        cfg.validate()?;
        Ok(cfg.trimmed_to(items))
    }

    /// Launches `call` with `cfg`, waits for the kernel, and returns its
    /// event-timed execution. A refused launch and a failed execution are
    /// both [`Error::Device`] with the CUDA error name.
    fn run(&self, call: Call<'_>, cfg: LaunchConfig) -> Result<KernelRun> {
        let Call {
            spec,
            mut args,
            pushed,
        } = call;
        assert_eq!(
            pushed,
            spec.params.len(),
            "hotloop-cuda does not follow the kernel ABI: `{}` takes {} parameters in the \
             kernel registry, {pushed} pushed",
            spec.name,
            spec.params.len()
        );
        let config = cudarc::driver::LaunchConfig {
            grid_dim: (cfg.blocks, 1, 1),
            block_dim: (cfg.threads_per_block, 1, 1),
            shared_mem_bytes: 0,
        };
        args.record_kernel_launch(TIMED);
        // SAFETY: every argument was checked against the entry's registry
        // row as it was pushed (and their count above), with buffers of the
        // lengths the kernel's contract needs; the kernel is waited for
        // before they can be freed.
        let events = unsafe { args.launch(config) }.during("kernel launch")?;
        self.stream.synchronize().during("kernel execution")?;
        let events = events.expect("record_kernel_launch was requested");
        Ok(KernelRun {
            launch: cfg,
            kernel: Span::from_events(events).elapsed()?,
        })
    }

    /// A launch of entry `base` for element type `T`.
    fn call<T: Element>(&self, base: &str) -> Call<'_> {
        Call::new(self, entry::<T>(base))
    }
}

/// A scalar of the element type, in both widths: a [`Call`] pushes the one
/// the kernel takes.
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
    let mut call = dev.call::<T>("add_scalar");
    call.input(&input.buf)
        .output(&mut out.buf)
        .u64(&len)
        .real::<T>(&s);
    dev.run(call, cfg)
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
    let mut call = dev.call::<T>("add_scalar_inplace");
    call.output(&mut data.buf).u64(&len).real::<T>(&s);
    dev.run(call, cfg)
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

pub(crate) fn add_scalar_blog_locked<T: Element>(
    input: &DeviceArray<T>,
    dims: [usize; 3],
    scalar: T,
    out: &mut DeviceArray<T>,
    launch: Option<LaunchConfig>,
) -> Result<KernelRun> {
    same_device(input, out)?;
    let shape = blog_shape(input.len(), out.len(), dims)?;
    let cfg = blog_launch(launch, dims)?;
    let dev = input.device();
    let (nx, ny, nz) = (shape.nx as u64, shape.ny as u64, shape.nz as u64);
    let s = Scalar::new(scalar);
    let mut call = dev.call::<T>("add_scalar_blog");
    call.input(&input.buf)
        .output(&mut out.buf)
        .u64(&nx)
        .u64(&ny)
        .u64(&nz)
        .real::<T>(&s);
    dev.run(call, cfg)
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

/// Chunk sums (`sum_T`), left on the device: one per `SUM_CHUNK` elements,
/// in chunk order. Finish them with [`hotloop_runtime::launch::finish_sum`]
/// after copying them to the host: the CPU backends' sum, bit for bit.
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
    // The sum's work items are its chunks, one output each; the other
    // reductions' are elements, one output per block.
    let (cfg, mut out) = if base == "sum" {
        let chunks = hotloop_core::grid::sum_chunks(len);
        let cfg = dev.resolve(launch, chunks)?;
        (cfg, dev.alloc_array::<T>("chunk sums", chunks as usize)?)
    } else {
        let cfg = dev.resolve(launch, len)?;
        (cfg, partials::<T>(dev, cfg)?)
    };
    let mut call = dev.call::<T>(base);
    call.input(&input.buf).u64(&len).output(&mut out.buf);
    let run = dev.run(call, cfg)?;
    Ok((out, run))
}

/// Per-block Monte Carlo hit counts (`monte_carlo_pi`), left on the device
/// as `u64`s in block order; [`hotloop_runtime::launch::finish_count`] of
/// them is the number of hits among samples `samples` under `seed`.
pub fn monte_carlo_pi(
    device: &Arc<Device>,
    seed: u64,
    samples: Range<u64>,
    launch: Option<LaunchConfig>,
) -> Result<(CudaSlice<u64>, KernelRun)> {
    let _g = device.exclusive();
    monte_carlo_pi_locked(device, seed, samples, launch)
}

/// Work items of a Monte Carlo launch: the Philox blocks holding the
/// samples, two samples each.
fn pi_items(samples: &Range<u64>) -> u64 {
    let blocks = hotloop_core::pi::blocks_of(samples.start, samples.end);
    blocks.end - blocks.start
}

pub(crate) fn monte_carlo_pi_locked(
    dev: &Arc<Device>,
    seed: u64,
    samples: Range<u64>,
    launch: Option<LaunchConfig>,
) -> Result<(CudaSlice<u64>, KernelRun)> {
    let cfg = dev.resolve(launch, pi_items(&samples))?;
    let mut counts = alloc_counts(dev, cfg, "per-block hit counts")?;
    let spec = hotloop_core::registry::find("monte_carlo_pi").expect("a registered entry");
    let mut call = Call::new(dev, spec);
    call.u64(&seed)
        .u64(&samples.start)
        .u64(&samples.end)
        .output(&mut counts);
    let run = dev.run(call, cfg)?;
    Ok((counts, run))
}

/// A `u64` per block (the counting kernels' output), uninitialised: thread
/// 0 of every block writes its block's.
fn alloc_counts(
    dev: &Arc<Device>,
    cfg: LaunchConfig,
    what: &'static str,
) -> Result<CudaSlice<u64>> {
    dev.check_fits(what, cfg.blocks as u64 * 8)?;
    // SAFETY: thread 0 of every block writes its block's count before the
    // host reads any.
    unsafe { dev.stream.alloc::<u64>(cfg.blocks as usize) }.during("device allocation")
}

// ---------------------------------------------------------------------------
// min
// ---------------------------------------------------------------------------

/// Per-block partial minima (`min_T`), left on the device; positive
/// infinity for a block with no elements. Finish them with
/// [`hotloop_runtime::launch::finish_min`].
pub fn min_partials<T: Element>(
    input: &DeviceArray<T>,
    launch: Option<LaunchConfig>,
) -> Result<(DeviceArray<T>, KernelRun)> {
    let _g = input.device().exclusive();
    reduce_locked(input, "min", launch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_follow_the_naming_rule() {
        assert_eq!(entry::<f32>("sum").name, "sum_f32");
        assert_eq!(
            entry::<f64>("add_scalar_inplace").name,
            "add_scalar_inplace_f64"
        );
        assert_eq!(entry::<f64>("add_scalar_blog").name, "add_scalar_blog_f64");
    }

    #[test]
    fn pushed_arguments_are_checked_against_the_registry() {
        let spec = entry::<f64>("add_scalar_blog");
        for (pos, ty) in [
            ParamType::Ptr,
            ParamType::Ptr,
            ParamType::U64,
            ParamType::U64,
            ParamType::U64,
            ParamType::F64,
        ]
        .into_iter()
        .enumerate()
        {
            assert_eq!(check_arg(spec, pos, ty), Ok(()));
        }
        let e = check_arg(spec, 5, ParamType::F32).unwrap_err();
        assert!(e.contains("parameter 5 of `add_scalar_blog_f64`"), "{e}");
        let e = check_arg(spec, 6, ParamType::F64).unwrap_err();
        assert!(e.contains("takes 6 parameters"), "{e}");
        let min = entry::<f32>("min");
        assert_eq!(check_arg(min, 2, ParamType::Ptr), Ok(()));
    }

    #[test]
    fn embedded_ptx_has_every_registry_entry_with_its_arity() {
        for (arch, ptx) in crate::ptx::EMBEDDED {
            assert!(crate::ptx::isa_version(ptx).is_some(), "{arch}");
            for spec in hotloop_core::registry::KERNELS {
                let head = format!(".entry {}(", spec.name);
                let start = ptx
                    .find(&head)
                    .unwrap_or_else(|| panic!("{arch} lacks {}", spec.name));
                let decl = &ptx[start..start + ptx[start..].find(')').unwrap()];
                assert_eq!(
                    decl.matches(".param").count(),
                    spec.params.len(),
                    "{arch} {}",
                    spec.name
                );
            }
        }
    }

    #[test]
    fn blog_launch_must_cover_the_planes() {
        let shape = Shape3::new(1000, 2, 3);
        assert_eq!(
            blog_launch(None, shape.dims()).unwrap(),
            LaunchConfig::new(4, 256).unwrap()
        );
        let small = Some(LaunchConfig::new(3, 7).unwrap());
        assert!(matches!(
            blog_launch(small, shape.dims()),
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
