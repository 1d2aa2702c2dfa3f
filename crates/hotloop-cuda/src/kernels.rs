//! The built-in kernels on device arrays (`kernel[blocks, threads](args)`):
//! each launched through its typed launcher (`hotloop_kernels::sum::
//! try_launch::<T, _>`), whose parameters are the kernel's signature, the
//! one statement of its ABI. The ops' kernels (maps, zips, counts, gufuncs,
//! stencils) are [`crate::forms`]'.
//!
//! Each function here waits for its kernel and reports its time from CUDA
//! events around the kernel alone ([`KernelRun`]). The `*_held` forms are
//! the same launches for [`crate::ops`], which hold the device for a whole
//! round trip and give the outputs.

use crate::array::DeviceArray;
use crate::device::Device;
use crate::launch::{Held, KernelRun};
use hotloop_core::Num;
use hotloop_core::grid::sum_chunks;
use hotloop_core::index::Shape3;
use hotloop_device::DeviceCopy;
use hotloop_kernels as k;
use hotloop_runtime::launch::blog_launch;
use hotloop_runtime::{Element, Error, LaunchConfig, Result, check_same_shape};
use std::ops::Range;
use std::sync::Arc;

fn same_device<T: DeviceCopy, U: DeviceCopy>(a: &DeviceArray<T>, b: &DeviceArray<U>) -> Result<()> {
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

/// `out[i] = input[i] + scalar` (`add_scalar`).
pub fn add_scalar<T: Element>(
    input: &DeviceArray<T>,
    scalar: T,
    out: &mut DeviceArray<T>,
    launch: Option<LaunchConfig>,
) -> Result<KernelRun> {
    same_device(input, out)?;
    check_same_shape("input", &[input.len()], "output", &[out.len()])?;
    let dev = input.device().clone();
    let cfg = dev.resolve(launch, input.len() as u64)?;
    let _g = dev.exclusive();
    add_scalar_held(&dev.builtin(), input, scalar, out, cfg)
}

pub(crate) fn add_scalar_held<T: Element>(
    h: &Held<'_>,
    input: &DeviceArray<T>,
    scalar: T,
    out: &mut DeviceArray<T>,
    cfg: LaunchConfig,
) -> Result<KernelRun> {
    h.run(
        cfg,
        |l, grid| k::add_scalar::try_launch::<T, _>(l, grid, input, out, scalar),
        "add_scalar",
    )
}

/// `data[i] += scalar` (`add_scalar_inplace`).
pub fn add_scalar_in_place<T: Element>(
    data: &mut DeviceArray<T>,
    scalar: T,
    launch: Option<LaunchConfig>,
) -> Result<KernelRun> {
    let dev = data.device().clone();
    let cfg = dev.resolve(launch, data.len() as u64)?;
    let _g = dev.exclusive();
    add_scalar_in_place_held(&dev.builtin(), data, scalar, cfg)
}

pub(crate) fn add_scalar_in_place_held<T: Element>(
    h: &Held<'_>,
    data: &mut DeviceArray<T>,
    scalar: T,
    cfg: LaunchConfig,
) -> Result<KernelRun> {
    h.run(
        cfg,
        |l, grid| k::add_scalar_inplace::try_launch::<T, _>(l, grid, data, scalar),
        "add_scalar_inplace",
    )
}

/// The blog's kernel (`add_scalar_blog`) over row-major arrays of shape
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
    same_device(input, out)?;
    blog_shape(input.len(), out.len(), dims)?;
    let cfg = blog_launch(launch, dims)?;
    let dev = input.device().clone();
    let _g = dev.exclusive();
    add_scalar_blog_held(&dev.builtin(), input, dims, scalar, out, cfg)
}

pub(crate) fn add_scalar_blog_held<T: Element>(
    h: &Held<'_>,
    input: &DeviceArray<T>,
    dims: [usize; 3],
    scalar: T,
    out: &mut DeviceArray<T>,
    cfg: LaunchConfig,
) -> Result<KernelRun> {
    let [nx, ny, nz] = dims.map(|d| d as u64);
    h.run(
        cfg,
        |l, grid| k::add_scalar_blog::try_launch::<T, _>(l, grid, input, out, nx, ny, nz, scalar),
        "add_scalar_blog",
    )
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

/// The built-in reductions: what each writes per launch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reduction {
    /// Chunk sums (`sum`), one per `SUM_CHUNK` elements, a chunk per
    /// thread.
    Sum,
    /// Per-block maxima (`max`).
    Max,
    /// Per-block minima (`min`).
    Min,
}

impl Reduction {
    fn name(self) -> &'static str {
        match self {
            Reduction::Sum => "sum",
            Reduction::Max => "max",
            Reduction::Min => "min",
        }
    }

    /// The launch's work items over `len` elements: chunks for the sum,
    /// elements for the others.
    pub(crate) fn items(self, len: u64) -> u64 {
        match self {
            Reduction::Sum => sum_chunks(len),
            Reduction::Max | Reduction::Min => len,
        }
    }

    /// Partials a launch `cfg` over `len` elements writes.
    pub(crate) fn partials(self, len: u64, cfg: LaunchConfig) -> usize {
        match self {
            Reduction::Sum => sum_chunks(len) as usize,
            Reduction::Max | Reduction::Min => cfg.blocks as usize,
        }
    }
}

/// Chunk sums (`sum`), left on the device: one per `SUM_CHUNK` elements,
/// in chunk order, in the sum's type (`i64` or `u64` for integers). Finish
/// them with [`hotloop_runtime::launch::finish_sum`] after copying them to
/// the host: the CPU backends' sum, bit for bit.
pub fn sum_partials<T: Element>(
    input: &DeviceArray<T>,
    launch: Option<LaunchConfig>,
) -> Result<(DeviceArray<T::Sum>, KernelRun)> {
    reduce(Reduction::Sum, input, launch, sum_held)
}

/// Per-block partial maxima (`max`), left on the device; `Num::LOWEST`
/// for a block with no elements.
pub fn max_partials<T: Element>(
    input: &DeviceArray<T>,
    launch: Option<LaunchConfig>,
) -> Result<(DeviceArray<T>, KernelRun)> {
    reduce(Reduction::Max, input, launch, max_held)
}

/// Per-block partial minima (`min`), left on the device; `Num::HIGHEST`
/// for a block with no elements. Finish them with
/// [`hotloop_runtime::launch::finish_min`].
pub fn min_partials<T: Element>(
    input: &DeviceArray<T>,
    launch: Option<LaunchConfig>,
) -> Result<(DeviceArray<T>, KernelRun)> {
    reduce(Reduction::Min, input, launch, min_held)
}

/// A launch of a reduction's kernel into partials of type `P`.
pub(crate) type ReduceHeld<T, P> =
    fn(&Held<'_>, &DeviceArray<T>, &mut DeviceArray<P>, LaunchConfig) -> Result<KernelRun>;

fn reduce<T: Element, P: Num>(
    r: Reduction,
    input: &DeviceArray<T>,
    launch: Option<LaunchConfig>,
    held: ReduceHeld<T, P>,
) -> Result<(DeviceArray<P>, KernelRun)> {
    let dev = input.device().clone();
    let len = input.len() as u64;
    let cfg = dev.resolve(launch, r.items(len))?;
    let _g = dev.exclusive();
    let mut out = dev.alloc_array::<P>("partials", r.partials(len, cfg))?;
    let run = held(&dev.builtin(), input, &mut out, cfg)?;
    Ok((out, run))
}

/// The chunk sums of `input` into `partials`, which holds
/// [`Reduction::partials`] for the launch `cfg`.
pub(crate) fn sum_held<T: Element>(
    h: &Held<'_>,
    input: &DeviceArray<T>,
    partials: &mut DeviceArray<T::Sum>,
    cfg: LaunchConfig,
) -> Result<KernelRun> {
    let name = Reduction::Sum.name();
    h.run(
        cfg,
        |l, grid| k::sum::try_launch::<T, _>(l, grid, input, partials),
        name,
    )
}

/// The per-block maxima of `input` into `partials`, which holds
/// [`Reduction::partials`] for the launch `cfg`.
pub(crate) fn max_held<T: Element>(
    h: &Held<'_>,
    input: &DeviceArray<T>,
    partials: &mut DeviceArray<T>,
    cfg: LaunchConfig,
) -> Result<KernelRun> {
    let name = Reduction::Max.name();
    h.run(
        cfg,
        |l, grid| k::max::try_launch::<T, _>(l, grid, input, partials),
        name,
    )
}

/// The per-block minima of `input` into `partials`, as [`max_held`].
pub(crate) fn min_held<T: Element>(
    h: &Held<'_>,
    input: &DeviceArray<T>,
    partials: &mut DeviceArray<T>,
    cfg: LaunchConfig,
) -> Result<KernelRun> {
    let name = Reduction::Min.name();
    h.run(
        cfg,
        |l, grid| k::min::try_launch::<T, _>(l, grid, input, partials),
        name,
    )
}

/// Work items of a Monte Carlo launch: the Philox blocks holding the
/// samples, two samples each.
pub(crate) fn pi_items(samples: &Range<u64>) -> u64 {
    let blocks = hotloop_core::pi::blocks_of(samples.start, samples.end);
    blocks.end - blocks.start
}

/// Per-block Monte Carlo hit counts (`monte_carlo_pi`), left on the device
/// in block order; [`hotloop_runtime::launch::finish_count`] of them is the
/// number of hits among samples `samples` under `seed`.
pub fn monte_carlo_pi(
    device: &Arc<Device>,
    seed: u64,
    samples: Range<u64>,
    launch: Option<LaunchConfig>,
) -> Result<(DeviceArray<u64>, KernelRun)> {
    let cfg = device.resolve(launch, pi_items(&samples))?;
    let _g = device.exclusive();
    let mut counts = device.alloc_array::<u64>("per-block hit counts", cfg.blocks as usize)?;
    let run = monte_carlo_pi_held(&device.builtin(), seed, samples, &mut counts, cfg)?;
    Ok((counts, run))
}

/// Monte Carlo hit counts into `counts`, one per block of `cfg`.
pub(crate) fn monte_carlo_pi_held(
    h: &Held<'_>,
    seed: u64,
    samples: Range<u64>,
    counts: &mut DeviceArray<u64>,
    cfg: LaunchConfig,
) -> Result<KernelRun> {
    h.run(
        cfg,
        |l, grid| {
            Some(k::monte_carlo_pi::launch(
                l,
                grid,
                seed,
                samples.start,
                samples.end,
                counts,
            ))
        },
        "monte_carlo_pi",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_element_type_has_every_builtin_kernel() {
        fn all<T: Element>(floats: bool) {
            let infos = [
                k::add_scalar::instance::<T>(),
                k::add_scalar_inplace::instance::<T>(),
                k::sum::instance::<T>(),
                k::max::instance::<T>(),
                k::min::instance::<T>(),
            ];
            for info in infos {
                let info = info.expect("an instance for every element type");
                assert!(info.name.ends_with(T::NAME), "{}", info.name);
            }
            // The blog's kernel and the copy are the float benchmarks'.
            let blog = k::add_scalar_blog::instance::<T>();
            assert_eq!(blog.is_some(), floats, "{}", T::NAME);
        }
        all::<f32>(true);
        all::<f64>(true);
        all::<i8>(false);
        all::<u8>(false);
        all::<i16>(false);
        all::<u16>(false);
        all::<i32>(false);
        all::<u32>(false);
        all::<i64>(false);
        all::<u64>(false);
        // An integer's chunk sums are its sum type's (`i64`, `u64`).
        let out = k::sum::info::<i16>().params[1];
        assert_eq!(
            out,
            hotloop_device::host::ParamKind::Out(hotloop_device::Elem::I64)
        );
        let out = k::sum::info::<u8>().params[1];
        assert_eq!(
            out,
            hotloop_device::host::ParamKind::Out(hotloop_device::Elem::U64)
        );
        assert!(k::sum::instance::<bool>().is_none());
    }

    #[test]
    fn embedded_ptx_has_every_builtin_kernel_with_its_arity() {
        let infos = [
            k::add_scalar::info::<f64>(),
            k::add_scalar_inplace::info::<f32>(),
            k::add_scalar_blog::info::<f64>(),
            k::sum::info::<f32>(),
            k::max::info::<f64>(),
            k::min::info::<f32>(),
            &k::monte_carlo_pi::INFO,
        ];
        for (arch, ptx) in crate::ptx::EMBEDDED {
            assert!(crate::ptx::isa_version(ptx).is_some(), "{arch}");
            for info in infos.iter().copied().chain(k::ops::OP_KERNELS) {
                let head = format!(".entry {}(", info.name);
                let start = ptx
                    .find(&head)
                    .unwrap_or_else(|| panic!("{arch} lacks {}", info.name));
                let decl = &ptx[start..start + ptx[start..].find(')').unwrap()];
                // A buffer is two parameters: its pointer and length.
                let want: usize = info
                    .params
                    .iter()
                    .map(|p| match p {
                        hotloop_core::abi::ParamKind::Slice(_)
                        | hotloop_core::abi::ParamKind::Out(_) => 2,
                        _ => 1,
                    })
                    .sum();
                assert_eq!(decl.matches(".param").count(), want, "{arch} {}", info.name);
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
