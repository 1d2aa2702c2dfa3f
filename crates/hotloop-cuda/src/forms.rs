//! Any op with a device kernel on the GPU: maps, zips, counts, gufuncs and
//! stencils of the built-ins and of a user's `#[device_op]` ops alike.
//!
//! An op's [`DeviceKernel`] names its entry point, the entry's parameters
//! (generated with it) and the module that holds it; `round_trip` is the
//! one copy-in, launch, copy-out of them all, pushing each argument where
//! the entry's metadata puts it: the op first, then the buffers, scalars
//! and values of the form (`hotloop_core::abi::Form`). An argument list
//! that does not fit the metadata is refused before any launch.

use crate::array::DeviceArray;
use crate::device::Device;
use crate::driver::During;
use crate::module::{function, launch_raw};
use crate::timing::{Clock, Timings, span};
use cudarc::driver::{CudaSlice, DevicePtr};
use hotloop_core::abi::{DeviceKernel, Elem, GufuncShape, ParamKind, ValueBytes};
use hotloop_core::stencil::Boundary;
use hotloop_device::Dim3;
use hotloop_device::host::{Args, Grid};
use hotloop_runtime::launch::finish_count;
use hotloop_runtime::{Element, Error, LaunchConfig, Result, check_same_shape};
use std::sync::Arc;
use std::time::Instant;

/// One `&[T]` parameter: a host slice copied in, or the output buffer
/// itself (in place).
#[derive(Clone, Copy)]
enum Input<'a, T> {
    Host(&'a [T]),
    Output,
}

/// A `u64` output buffer (per-block partials, a fault flag): its length for
/// a launch and its initial value (`None`: every element is written).
struct U64Out {
    what: &'static str,
    len: fn(LaunchConfig) -> usize,
    init: Option<u64>,
}

/// The round trip of one op kernel over `items` work items: copies the
/// host inputs (and `out`, when an input is the output) to the device,
/// launches `dk` with its arguments in parameter order, copies `out` and
/// the `u64` outputs back. An empty `out` touches no device memory (the
/// launch is still validated).
#[allow(clippy::too_many_arguments)]
fn round_trip<T: Element>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    dk: &DeviceKernel,
    items: u64,
    inputs: &[Input<'_, T>],
    out: Option<&mut [T]>,
    scalars: &[u64],
    values: &[ValueBytes],
    u64_outs: &[U64Out],
) -> Result<(Timings, Vec<Vec<u64>>)> {
    let mut clock = Clock::start(dev);
    let cfg = dev.resolve(launch, items)?;
    if items == 0 {
        clock.t.launch = Some(cfg);
        let outs = u64_outs
            .iter()
            .map(|o| vec![o.init.unwrap_or(0); (o.len)(cfg)])
            .collect();
        return Ok((clock.finish(dev)?, outs));
    }
    let module = dev.module(dk.module)?;
    let entry = function(&module, dk.kernel)?;
    let mut results = Vec::with_capacity(u64_outs.len());
    {
        let _g = dev.exclusive();
        let in_place = inputs.iter().any(|i| matches!(i, Input::Output));
        let (mut d_in, mut d_out, mut d_u64) = clock.alloc(|| {
            let mut d_in = Vec::new();
            for i in inputs {
                if let Input::Host(x) = i {
                    d_in.push(dev.alloc_array::<T>("kernel input", x.len())?);
                }
            }
            let d_out = match &out {
                Some(o) => Some(dev.alloc_array::<T>("kernel output", o.len())?),
                None => None,
            };
            let mut d_u64 = Vec::new();
            for o in u64_outs {
                let bytes = (o.len)(cfg).max(1) * 8;
                d_u64.push(dev.alloc_bytes(o.what, bytes)?);
            }
            Ok((d_in, d_out, d_u64))
        })?;
        let ((), h2d) = span(&dev.stream, || {
            let hosts = inputs.iter().filter_map(|i| match i {
                Input::Host(x) => Some(*x),
                Input::Output => None,
            });
            for (d, x) in d_in.iter_mut().zip(hosts) {
                d.enqueue_from_host(x)?;
            }
            if let (true, Some(d), Some(o)) = (in_place, d_out.as_mut(), out.as_deref()) {
                d.enqueue_from_host(o)?;
            }
            for (d, o) in d_u64.iter_mut().zip(u64_outs) {
                if let Some(v) = o.init {
                    let init = vec![v; (o.len)(cfg).max(1)];
                    dev.stream
                        .memcpy_htod(bytes_of_u64(&init), d)
                        .during("host-to-device copy")?;
                }
            }
            Ok(())
        })?;
        let args = arguments(
            dev,
            dk,
            inputs,
            &d_in,
            d_out.as_ref(),
            &d_u64,
            u64_outs,
            cfg,
            scalars,
            values,
        )?;
        let grid = Grid {
            blocks: Dim3::new(cfg.blocks, 1, 1),
            threads: Dim3::new(cfg.threads_per_block, 1, 1),
        };
        let kernel = launch_raw(dev, &entry, dk.kernel, grid, &args)?;
        let ((), d2h) = span(&dev.stream, || {
            if let (Some(d), Some(o)) = (&d_out, out) {
                d.enqueue_to_host(o)?;
            }
            for (d, o) in d_u64.iter().zip(u64_outs) {
                let mut host = vec![0u64; (o.len)(cfg)];
                if !host.is_empty() {
                    let n = host.len() * 8;
                    dev.stream
                        .memcpy_dtoh(&d.slice(..n), bytes_of_u64_mut(&mut host))
                        .during("device-to-host copy")?;
                }
                results.push(host);
            }
            Ok(())
        })?;
        dev.synchronize()?;
        clock.t.launch = Some(cfg);
        clock.t.kernel = kernel;
        clock.t.host_to_device = h2d.elapsed()?;
        clock.t.device_to_host = d2h.elapsed()?;
    }
    Ok((clock.finish(dev)?, results))
}

/// The launch's arguments, in the order of `dk`'s parameters: the op, then
/// each parameter from the list of its kind. A parameter with nothing left
/// to take, or anything left over, is a kernel that is not this form's.
#[allow(clippy::too_many_arguments)]
fn arguments<T: Element>(
    dev: &Device,
    dk: &DeviceKernel,
    inputs: &[Input<'_, T>],
    d_in: &[DeviceArray<T>],
    d_out: Option<&DeviceArray<T>>,
    d_u64: &[CudaSlice<u8>],
    u64_outs: &[U64Out],
    cfg: LaunchConfig,
    scalars: &[u64],
    values: &[ValueBytes],
) -> Result<Args> {
    let mismatch = |why: &str| Error::InvalidArgument {
        what: "kernel arguments",
        reason: format!(
            "`{}` does not take its form's parameters ({why}): {:?}",
            dk.kernel.name, dk.kernel.params
        ),
    };
    let elem = if T::NAME == "f32" {
        Elem::F32
    } else {
        Elem::F64
    };
    let addr = |b: &CudaSlice<u8>| b.device_ptr(&dev.stream).0;
    let mut args = Args::new();
    let (mut ins, mut hosts, mut outs, mut sc, mut vals) = (0, 0, 0, 0, 0);
    let mut out_taken = false;
    for (pos, kind) in dk.kernel.params.iter().enumerate() {
        match *kind {
            ParamKind::Value { .. } if pos == 0 => args.push_value(*kind, dk.op),
            ParamKind::Value { .. } => {
                let v = values
                    .get(vals)
                    .ok_or_else(|| mismatch("a value too many"))?;
                args.push_value(*kind, *v);
                vals += 1;
            }
            ParamKind::Slice(e) if e == elem => {
                let (a, len) = match inputs.get(ins) {
                    Some(Input::Host(_)) => {
                        let d = &d_in[hosts];
                        hosts += 1;
                        (addr(&d.buf), d.len())
                    }
                    Some(Input::Output) => {
                        let d = d_out.ok_or_else(|| mismatch("in place without an output"))?;
                        (addr(&d.buf), d.len())
                    }
                    None => return Err(mismatch("an input too many")),
                };
                args.push_raw(*kind, a, len as u64);
                ins += 1;
            }
            ParamKind::Out(e) if e == elem && !out_taken => {
                let d = d_out.ok_or_else(|| mismatch("an output it was not given"))?;
                args.push_raw(*kind, addr(&d.buf), d.len() as u64);
                out_taken = true;
            }
            ParamKind::Out(Elem::U64) => {
                let (d, o) = d_u64
                    .get(outs)
                    .zip(u64_outs.get(outs))
                    .ok_or_else(|| mismatch("a u64 output too many"))?;
                args.push_raw(*kind, addr(d), (o.len)(cfg) as u64);
                outs += 1;
            }
            ParamKind::Scalar(Elem::U64) => {
                let v = scalars
                    .get(sc)
                    .ok_or_else(|| mismatch("a scalar too many"))?;
                args.push_raw(*kind, 0, *v);
                sc += 1;
            }
            _ => return Err(mismatch("a parameter of another kind")),
        }
    }
    if ins != inputs.len()
        || out_taken != d_out.is_some()
        || outs != u64_outs.len()
        || sc != scalars.len()
        || vals != values.len()
    {
        return Err(mismatch("arguments left over"));
    }
    Ok(args)
}

fn bytes_of_u64(v: &[u64]) -> &[u8] {
    // SAFETY: u64s are plain bytes.
    unsafe { std::slice::from_raw_parts(v.as_ptr().cast(), size_of_val(v)) }
}

fn bytes_of_u64_mut(v: &mut [u64]) -> &mut [u8] {
    // SAFETY: any bytes are a valid u64.
    unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr().cast(), size_of_val(v)) }
}

/// `out[i] = op(input[i])` (a map kernel).
pub fn map_timed<T: Element>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    op: &DeviceKernel,
    input: &[T],
    out: &mut [T],
) -> Result<Timings> {
    check_same_shape("input", &[input.len()], "output", &[out.len()])?;
    let items = out.len() as u64;
    let inputs = [Input::Host(input)];
    Ok(round_trip(dev, launch, op, items, &inputs, Some(out), &[], &[], &[])?.0)
}

/// `data[i] = op(data[i])`: the map kernel with one buffer as its input
/// and output.
pub fn map_in_place_timed<T: Element>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    op: &DeviceKernel,
    data: &mut [T],
) -> Result<Timings> {
    let items = data.len() as u64;
    let inputs = [Input::<T>::Output];
    Ok(round_trip(dev, launch, op, items, &inputs, Some(data), &[], &[], &[])?.0)
}

/// `out[i] = op(a[i], b[i])` (a zip kernel).
pub fn zip_timed<T: Element>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    op: &DeviceKernel,
    a: &[T],
    b: &[T],
    out: &mut [T],
) -> Result<Timings> {
    check_same_shape("a", &[a.len()], "b", &[b.len()])?;
    check_same_shape("a", &[a.len()], "output", &[out.len()])?;
    let items = out.len() as u64;
    let inputs = [Input::Host(a), Input::Host(b)];
    Ok(round_trip(dev, launch, op, items, &inputs, Some(out), &[], &[], &[])?.0)
}

/// `a[i] = op(a[i], b[i])`: the zip kernel with `a` as its output.
pub fn zip_in_place_timed<T: Element>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    op: &DeviceKernel,
    a: &mut [T],
    b: &[T],
) -> Result<Timings> {
    check_same_shape("a", &[a.len()], "b", &[b.len()])?;
    let items = a.len() as u64;
    let inputs = [Input::Output, Input::Host(b)];
    Ok(round_trip(dev, launch, op, items, &inputs, Some(a), &[], &[], &[])?.0)
}

/// How many elements of `input` the op's predicate holds for (a count
/// kernel: one count per block, summed on the host; exact, so the count
/// every backend gives).
pub fn count_timed<T: Element>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    op: &DeviceKernel,
    input: &[T],
) -> Result<(u64, Timings)> {
    let items = input.len() as u64;
    let partials = U64Out {
        what: "per-block counts",
        len: |cfg| cfg.blocks as usize,
        init: None,
    };
    let inputs = [Input::Host(input)];
    let (mut t, outs) = round_trip(
        dev,
        launch,
        op,
        items,
        &inputs,
        None,
        &[],
        &[],
        std::slice::from_ref(&partials),
    )?;
    let t0 = Instant::now();
    let n = finish_count(&outs[0]);
    t.host_finish = t0.elapsed();
    Ok((n, t))
}

/// `loops` outer iterations of a gufunc over core blocks of `shape` (one
/// thread per iteration).
pub fn gufunc_timed<T: Element>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    op: &DeviceKernel,
    shape: GufuncShape,
    input: &[T],
    out: &mut [T],
) -> Result<Timings> {
    let inputs = [Input::Host(input)];
    let values = [ValueBytes::of(shape)];
    Ok(round_trip(
        dev,
        launch,
        op,
        shape.loops,
        &inputs,
        Some(out),
        &[],
        &values,
        &[],
    )?
    .0)
}

/// A stencil over every cell of the row-major array of `dims` under
/// `boundary` (one thread per cell). Also returns the lowest cell whose
/// kernel read outside its declared neighbourhood, if any, for the caller
/// to report as the CPU does.
pub fn stencil_timed<T: Element>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    op: &DeviceKernel,
    dims: [usize; 3],
    boundary: Boundary<T>,
    input: &[T],
    out: &mut [T],
) -> Result<(Timings, Option<u64>)> {
    check_same_shape("input", &[input.len()], "output", &[out.len()])?;
    let inputs = [Input::Host(input)];
    let scalars = dims.map(|d| d as u64);
    let values = [ValueBytes::of(boundary)];
    let fault = U64Out {
        what: "stencil fault flag",
        len: |_| 1,
        init: Some(u64::MAX),
    };
    let (t, outs) = round_trip(
        dev,
        launch,
        op,
        out.len() as u64,
        &inputs,
        Some(out),
        &scalars,
        &values,
        std::slice::from_ref(&fault),
    )?;
    let first = outs[0][0];
    Ok((t, (first != u64::MAX).then_some(first)))
}
