//! Whole operations on host data, as the facade's `Backend::Cuda` runs
//! them: allocate on the device, copy in, launch, copy out, finish the
//! per-block partials on the host, free.
//!
//! Each has a `*_timed` form returning [`Timings`], the breakdown the
//! benchmark suite reports. Operations on one device run one at a time.
//! Empty inputs touch no device memory (the launch is still validated).
//!
//! The Numba-parity operations (maps, gufuncs, stencils, min, count-where)
//! take the op's device description (`hotloop_core::abi::DeviceKernel`,
//! from its trait's `device_kernel` method, which `#[device_op]` fills in):
//! the GPU runs only ops with entry points. Their results, and the sums, minima and maxima,
//! are the CPU backends' and the simulator's, bit for bit, at any launch.

use crate::array::DeviceArray;
use crate::device::Device;
use crate::driver::During;
use crate::kernels::{self, blog_shape};
use crate::timing::{Clock, Timings, span};
use hotloop_runtime::launch::blog_launch;
use hotloop_runtime::launch::{finish_count, finish_max, finish_min, finish_sum};
use hotloop_runtime::{
    Element, LaunchConfig, Result, check_same_shape, shape3, try_vec_with_capacity,
};
use std::ops::Range;
use std::sync::Arc;
use std::time::Instant;

/// `out = input + scalar` on the device.
pub fn add_scalar<T: Element>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    input: &[T],
    scalar: T,
    out: &mut [T],
) -> Result<()> {
    add_scalar_timed(dev, launch, input, scalar, out).map(drop)
}

/// [`add_scalar`] with its [`Timings`].
pub fn add_scalar_timed<T: Element>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    input: &[T],
    scalar: T,
    out: &mut [T],
) -> Result<Timings> {
    check_same_shape("input", &[input.len()], "output", &[out.len()])?;
    let mut clock = Clock::start(dev);
    if input.is_empty() {
        clock.t.launch = Some(dev.resolve(launch, 0)?);
        return clock.finish(dev);
    }
    {
        let _g = dev.exclusive();
        let (mut d_in, mut d_out) = clock.alloc(|| {
            Ok((
                dev.alloc_array::<T>("add_scalar input", input.len())?,
                dev.alloc_array::<T>("add_scalar output", input.len())?,
            ))
        })?;
        let ((), h2d) = span(&dev.stream, || d_in.enqueue_from_host(input))?;
        let run = kernels::add_scalar_locked(&d_in, scalar, &mut d_out, launch)?;
        let ((), d2h) = span(&dev.stream, || d_out.enqueue_to_host(out))?;
        dev.synchronize()?;
        clock.t.launch = Some(run.launch);
        clock.t.kernel = run.kernel;
        clock.t.host_to_device = h2d.elapsed()?;
        clock.t.device_to_host = d2h.elapsed()?;
    }
    clock.finish(dev)
}

/// `data += scalar` on the device (copied in, updated, copied back).
pub fn add_scalar_in_place<T: Element>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    data: &mut [T],
    scalar: T,
) -> Result<()> {
    add_scalar_in_place_timed(dev, launch, data, scalar).map(drop)
}

/// [`add_scalar_in_place`] with its [`Timings`].
pub fn add_scalar_in_place_timed<T: Element>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    data: &mut [T],
    scalar: T,
) -> Result<Timings> {
    let mut clock = Clock::start(dev);
    if data.is_empty() {
        clock.t.launch = Some(dev.resolve(launch, 0)?);
        return clock.finish(dev);
    }
    {
        let _g = dev.exclusive();
        let mut d = clock.alloc(|| dev.alloc_array::<T>("add_scalar data", data.len()))?;
        let ((), h2d) = span(&dev.stream, || d.enqueue_from_host(data))?;
        let run = kernels::add_scalar_in_place_locked(&mut d, scalar, launch)?;
        let ((), d2h) = span(&dev.stream, || d.enqueue_to_host(data))?;
        dev.synchronize()?;
        clock.t.launch = Some(run.launch);
        clock.t.kernel = run.kernel;
        clock.t.host_to_device = h2d.elapsed()?;
        clock.t.device_to_host = d2h.elapsed()?;
    }
    clock.finish(dev)
}

/// The blog's kernel (one thread per plane of a row-major `dims` array).
pub fn add_scalar_blog<T: Element>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    input: &[T],
    dims: [usize; 3],
    scalar: T,
    out: &mut [T],
) -> Result<()> {
    add_scalar_blog_timed(dev, launch, input, dims, scalar, out).map(drop)
}

/// [`add_scalar_blog`] with its [`Timings`].
pub fn add_scalar_blog_timed<T: Element>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    input: &[T],
    dims: [usize; 3],
    scalar: T,
    out: &mut [T],
) -> Result<Timings> {
    shape3("input", input, dims)?;
    let shape = shape3("output", out, dims)?;
    let mut clock = Clock::start(dev);
    if input.is_empty() {
        clock.t.launch = Some(blog_launch(launch, shape.dims())?);
        return clock.finish(dev);
    }
    blog_shape(input.len(), out.len(), dims)?;
    {
        let _g = dev.exclusive();
        let (mut d_in, mut d_out) = clock.alloc(|| {
            Ok((
                dev.alloc_array::<T>("add_scalar input", input.len())?,
                dev.alloc_array::<T>("add_scalar output", input.len())?,
            ))
        })?;
        let ((), h2d) = span(&dev.stream, || d_in.enqueue_from_host(input))?;
        let run = kernels::add_scalar_blog_locked(&d_in, dims, scalar, &mut d_out, launch)?;
        let ((), d2h) = span(&dev.stream, || d_out.enqueue_to_host(out))?;
        dev.synchronize()?;
        clock.t.launch = Some(run.launch);
        clock.t.kernel = run.kernel;
        clock.t.host_to_device = h2d.elapsed()?;
        clock.t.device_to_host = d2h.elapsed()?;
    }
    clock.finish(dev)
}

/// Sum of `input` on the device (the sum of nothing is 0): the CPU
/// backends' pairwise sum, bit for bit, at any launch (a chunk per thread).
pub fn sum<T: Element>(dev: &Arc<Device>, launch: Option<LaunchConfig>, input: &[T]) -> Result<T> {
    sum_timed(dev, launch, input).map(|(v, _)| v)
}

/// [`sum`] with its [`Timings`].
pub fn sum_timed<T: Element>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    input: &[T],
) -> Result<(T, Timings)> {
    reduce_and_finish(dev, launch, input, "sum", finish_sum).map(|(v, t)| (v.unwrap_or(T::ZERO), t))
}

/// The sums of `input`'s `SUM_CHUNK`-element chunks on the device, in
/// order: the `sum_*` kernel's output, which [`sum`] finishes pairwise
/// (each chunk `hotloop_core::reduce::sum_chunk`'s bits). Empty for an
/// empty input.
pub fn sum_chunks<T: Element>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    input: &[T],
) -> Result<Vec<T>> {
    match reduce(dev, launch, input, "sum")? {
        Some((chunk_sums, _)) => Ok(chunk_sums),
        None => {
            dev.resolve(launch, 0)?;
            Ok(Vec::new())
        }
    }
}

/// Largest element of `input` on the device (NaN-propagating), `None`
/// for an empty input.
pub fn max<T: Element>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    input: &[T],
) -> Result<Option<T>> {
    max_timed(dev, launch, input).map(|(v, _)| v)
}

/// [`max`] with its [`Timings`].
pub fn max_timed<T: Element>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    input: &[T],
) -> Result<(Option<T>, Timings)> {
    reduce_and_finish(dev, launch, input, "max", finish_max)
}

/// [`reduce`], then `finish` over the partials on the host (timed as
/// `host_finish`); `None` for an empty input.
fn reduce_and_finish<T: Element>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    input: &[T],
    base: &'static str,
    finish: fn(&[T]) -> T,
) -> Result<(Option<T>, Timings)> {
    let Some((partials, mut clock)) = reduce(dev, launch, input, base)? else {
        let mut clock = Clock::start(dev);
        clock.t.launch = Some(dev.resolve(launch, 0)?);
        return Ok((None, clock.finish(dev)?));
    };
    let t0 = Instant::now();
    let v = finish(&partials);
    clock.t.host_finish = t0.elapsed();
    Ok((Some(v), clock.finish(dev)?))
}

/// Copies `input` in, runs the `base` reduction, copies the partials back.
/// `None` for an empty input.
fn reduce<T: Element>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    input: &[T],
    base: &str,
) -> Result<Option<(Vec<T>, Clock)>> {
    if input.is_empty() {
        return Ok(None);
    }
    let mut clock = Clock::start(dev);
    let _g = dev.exclusive();
    let mut d_in: DeviceArray<T> =
        clock.alloc(|| dev.alloc_array::<T>("reduction input", input.len()))?;
    let ((), h2d) = span(&dev.stream, || d_in.enqueue_from_host(input))?;
    let (d_partials, run) = kernels::reduce_locked(&d_in, base, launch)?;
    let mut partials = try_vec_with_capacity("per-block partials", d_partials.len())?;
    partials.resize(d_partials.len(), T::ZERO);
    let ((), d2h) = span(&dev.stream, || d_partials.enqueue_to_host(&mut partials))?;
    dev.synchronize()?;
    clock.t.launch = Some(run.launch);
    clock.t.kernel = run.kernel;
    clock.t.host_to_device = h2d.elapsed()?;
    clock.t.device_to_host = d2h.elapsed()?;
    Ok(Some((partials, clock)))
}

/// A device-to-device copy of `bytes` bytes through the driver
/// (`cuMemcpyDtoDAsync`), timed with CUDA events: the measured memory
/// bandwidth a memory-bound kernel is compared with (each byte read once
/// and written once), rather than a datasheet peak. The copy's time is the
/// [`Timings::kernel`] of the result; nothing crosses to or from the host.
pub fn copy_device_to_device_timed(dev: &Arc<Device>, bytes: usize) -> Result<Timings> {
    let mut clock = Clock::start(dev);
    {
        let _g = dev.exclusive();
        let (mut src, mut dst) = clock.alloc(|| {
            Ok((
                dev.alloc_bytes("copy source", bytes)?,
                dev.alloc_bytes("copy destination", bytes)?,
            ))
        })?;
        // Defined contents to copy; not timed.
        dev.stream
            .memset_zeros(&mut src)
            .during("zeroing the copy source")?;
        let ((), copy) = span(&dev.stream, || {
            dev.stream
                .memcpy_dtod(&src, &mut dst)
                .during("device-to-device copy")
        })?;
        dev.synchronize()?;
        clock.t.kernel = copy.elapsed()?;
    }
    clock.finish(dev)
}

/// Monte Carlo hits among samples `samples` (`0..n` for the first `n`;
/// any part of a larger count, as one MPI rank's share) under `seed` on the
/// device: the same count as every other backend.
pub fn count_hits(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    seed: u64,
    samples: Range<u64>,
) -> Result<u64> {
    count_hits_timed(dev, launch, seed, samples).map(|(v, _)| v)
}

/// [`count_hits`] with its [`Timings`] (no host-to-device copy: the
/// samples are generated on the device).
pub fn count_hits_timed(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    seed: u64,
    samples: Range<u64>,
) -> Result<(u64, Timings)> {
    let mut clock = Clock::start(dev);
    if samples.is_empty() {
        clock.t.launch = Some(dev.resolve(launch, 0)?);
        return Ok((0, clock.finish(dev)?));
    }
    let counts = {
        let _g = dev.exclusive();
        let (d_counts, run) = kernels::monte_carlo_pi_locked(dev, seed, samples, launch)?;
        let mut counts = try_vec_with_capacity("per-block hit counts", d_counts.len())?;
        counts.resize(d_counts.len(), 0u64);
        let ((), d2h) = span(&dev.stream, || {
            dev.stream
                .memcpy_dtoh(&d_counts, &mut counts)
                .during("device-to-host copy")
        })?;
        dev.synchronize()?;
        clock.t.launch = Some(run.launch);
        clock.t.kernel = run.kernel;
        clock.t.device_to_host = d2h.elapsed()?;
        counts
    };
    let t0 = Instant::now();
    let hits = finish_count(&counts);
    clock.t.host_finish = t0.elapsed();
    Ok((hits, clock.finish(dev)?))
}

/// Smallest element of `input` on the device (NaN-propagating), `None` for
/// an empty input: the bits every backend returns.
pub fn min<T: Element>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    input: &[T],
) -> Result<Option<T>> {
    min_timed(dev, launch, input).map(|(v, _)| v)
}

/// [`min`] with its [`Timings`].
pub fn min_timed<T: Element>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    input: &[T],
) -> Result<(Option<T>, Timings)> {
    reduce_and_finish(dev, launch, input, "min", finish_min)
}
