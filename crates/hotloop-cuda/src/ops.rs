//! Whole operations on host data, as the facade's `Backend::Cuda` runs
//! them: each one round trip (allocate, copy in, launch the built-in
//! kernel, copy out) and the host's finish over the per-block partials.
//!
//! Each has a `*_timed` form returning [`Timings`], the breakdown the
//! benchmark suite reports. Operations on one device run one at a time.
//! Empty inputs touch no device memory (the launch is still validated).
//!
//! The Numba-parity operations of ops (maps, gufuncs, stencils,
//! count-where) are [`crate::forms`]'. The sums, minima and maxima here are
//! the CPU backends' and the simulator's, bit for bit, at any launch.

use crate::array::DeviceArray;
use crate::device::Device;
use crate::driver::During;
use crate::kernels::{self, ReduceHeld, Reduction, blog_shape, pi_items};
use crate::round_trip::{Extra, Input, round_trip};
use crate::timing::{Clock, Timings, span};
use hotloop_core::Num;
use hotloop_runtime::launch::blog_launch;
use hotloop_runtime::launch::{finish_count, finish_max, finish_min, finish_sum};
use hotloop_runtime::{Element, LaunchConfig, Result, check_same_shape, shape3};
use std::ops::Range;
use std::sync::Arc;
use std::time::Instant;

/// No extra outputs (the `u64` type only names them).
const NONE: &[Extra<u64>] = &[];

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
    let items = input.len() as u64;
    let cfg = dev.resolve(launch, items)?;
    let inputs = [Input::Host(input)];
    let (t, _) = round_trip(dev, cfg, items, &inputs, Some(out), NONE, |d| {
        let out = d.out.as_mut().expect("an output");
        kernels::add_scalar_held(&dev.builtin(), &d.inputs[0], scalar, out, cfg)
    })?;
    Ok(t)
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
    let items = data.len() as u64;
    let cfg = dev.resolve(launch, items)?;
    let inputs: [Input<'_, T>; 1] = [Input::Output];
    let (t, _) = round_trip(dev, cfg, items, &inputs, Some(data), NONE, |d| {
        let data = d.out.as_mut().expect("an output");
        kernels::add_scalar_in_place_held(&dev.builtin(), data, scalar, cfg)
    })?;
    Ok(t)
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
    let cfg = blog_launch(launch, shape.dims())?;
    if !input.is_empty() {
        blog_shape(input.len(), out.len(), dims)?;
    }
    let inputs = [Input::Host(input)];
    let items = input.len() as u64;
    let (t, _) = round_trip(dev, cfg, items, &inputs, Some(out), NONE, |d| {
        let out = d.out.as_mut().expect("an output");
        kernels::add_scalar_blog_held(&dev.builtin(), &d.inputs[0], dims, scalar, out, cfg)
    })?;
    Ok(t)
}

/// Sum of `input` on the device (the sum of nothing is 0): the CPU
/// backends' pairwise sum, bit for bit, at any launch (a chunk per thread);
/// integers in `i64` or `u64`, wrapping.
pub fn sum<T: Element>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    input: &[T],
) -> Result<T::Sum> {
    sum_timed(dev, launch, input).map(|(v, _)| v)
}

/// [`sum`] with its [`Timings`].
pub fn sum_timed<T: Element>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    input: &[T],
) -> Result<(T::Sum, Timings)> {
    reduce_and_finish(
        dev,
        launch,
        input,
        Reduction::Sum,
        kernels::sum_held,
        finish_sum,
    )
    .map(|(v, t)| (v.unwrap_or(<T::Sum as Num>::ZERO), t))
}

/// The sums of `input`'s `SUM_CHUNK`-element chunks on the device, in
/// order: the `sum_*` kernel's output, which [`sum`] finishes pairwise
/// (each chunk `hotloop_core::reduce::sum_chunk`'s bits). Empty for an
/// empty input.
pub fn sum_chunks<T: Element>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    input: &[T],
) -> Result<Vec<T::Sum>> {
    Ok(reduce(dev, launch, input, Reduction::Sum, kernels::sum_held)?.0)
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
    reduce_and_finish(
        dev,
        launch,
        input,
        Reduction::Max,
        kernels::max_held,
        finish_max,
    )
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
    reduce_and_finish(
        dev,
        launch,
        input,
        Reduction::Min,
        kernels::min_held,
        finish_min,
    )
}

/// [`reduce`], then `finish` over the partials on the host (timed as
/// `host_finish`); `None` for an empty input.
fn reduce_and_finish<T: Element, P: Num>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    input: &[T],
    r: Reduction,
    held: ReduceHeld<T, P>,
    finish: fn(&[P]) -> P,
) -> Result<(Option<P>, Timings)> {
    let (partials, mut t) = reduce(dev, launch, input, r, held)?;
    if input.is_empty() {
        return Ok((None, t));
    }
    let t0 = Instant::now();
    let v = finish(&partials);
    t.host_finish = t0.elapsed();
    Ok((Some(v), t))
}

/// The partials of reduction `r` over `input` (none for an empty input),
/// launched by `held`.
fn reduce<T: Element, P: Num>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    input: &[T],
    r: Reduction,
    held: ReduceHeld<T, P>,
) -> Result<(Vec<P>, Timings)> {
    let len = input.len() as u64;
    let cfg = dev.resolve(launch, r.items(len))?;
    let partials = Extra {
        what: "partials",
        len: if len == 0 { 0 } else { r.partials(len, cfg) },
        init: None,
    };
    let inputs = [Input::Host(input)];
    let (t, mut outs) = round_trip(
        dev,
        cfg,
        len,
        &inputs,
        None::<&mut [T]>,
        std::slice::from_ref(&partials),
        |d| {
            let (input, partials) = (&d.inputs[0], &mut d.extras[0]);
            held(&dev.builtin(), input, partials, cfg)
        },
    )?;
    Ok((outs.pop().expect("one output"), t))
}

/// A device-to-device copy of `len` elements of `T` through the driver
/// (`cuMemcpyDtoDAsync`), timed with CUDA events: the measured memory
/// bandwidth a memory-bound kernel is compared with (each byte read once
/// and written once), rather than a datasheet peak. The copy's time is the
/// [`Timings::kernel`] of the result; nothing crosses to or from the host.
pub fn copy_device_to_device_timed<T: Element>(dev: &Arc<Device>, len: usize) -> Result<Timings> {
    copy_timed::<T>(dev, len, |src, dst| {
        let ((), copy) = span(&dev.stream, || {
            dev.stream
                .memcpy_dtod(&src.buf, &mut dst.buf)
                .during("device-to-device copy")
        })?;
        dev.synchronize()?;
        Ok((None, copy.elapsed()?))
    })
}

/// The same copy by the built-in `copy` kernel, each element stored
/// through `Out::set` as a user's kernel stores it: beside
/// [`copy_device_to_device_timed`], what the device API's stores reach.
pub fn copy_kernel_timed<T: Element>(dev: &Arc<Device>, len: usize) -> Result<Timings> {
    copy_timed::<T>(dev, len, |src, dst| {
        let cfg = dev.resolve(None, len as u64)?;
        let run = dev.builtin().run(
            cfg,
            |l, grid| hotloop_kernels::copy::try_launch::<T, _>(l, grid, src, dst),
            "copy",
        )?;
        Ok((Some(run.launch), run.kernel))
    })
}

/// A timed copy between two device arrays of `len` elements: `copy` gets
/// a zeroed source and the destination (their allocation and zeroing not
/// timed as the copy) and returns its launch, if any, and its time.
fn copy_timed<T: Element>(
    dev: &Arc<Device>,
    len: usize,
    copy: impl FnOnce(
        &DeviceArray<T>,
        &mut DeviceArray<T>,
    ) -> Result<(Option<LaunchConfig>, std::time::Duration)>,
) -> Result<Timings> {
    let mut clock = Clock::start(dev);
    {
        let _g = dev.exclusive();
        let (mut src, mut dst) = clock.alloc(|| {
            Ok((
                dev.alloc_array::<T>("copy source", len)?,
                dev.alloc_array::<T>("copy destination", len)?,
            ))
        })?;
        // Defined contents to copy.
        dev.stream
            .memset_zeros(&mut src.buf)
            .during("zeroing the copy source")?;
        let (launch, time) = copy(&src, &mut dst)?;
        clock.t.launch = launch;
        clock.t.kernel = time;
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
    let items = pi_items(&samples);
    let cfg = dev.resolve(launch, items)?;
    let counts = Extra {
        what: "per-block hit counts",
        len: cfg.blocks as usize,
        init: Some(0),
    };
    let (mut t, outs) = round_trip::<f64, f64, u64>(
        dev,
        cfg,
        items,
        &[],
        None,
        std::slice::from_ref(&counts),
        |d| kernels::monte_carlo_pi_held(&dev.builtin(), seed, samples, &mut d.extras[0], cfg),
    )?;
    let t0 = Instant::now();
    let hits = finish_count(&outs[0]);
    t.host_finish = t0.elapsed();
    Ok((hits, t))
}
