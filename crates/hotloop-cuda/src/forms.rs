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
use crate::launch::{Held, KernelRun};
use crate::round_trip::{Extra, Input, OnDevice, round_trip};
use crate::timing::Timings;
use hotloop_core::abi::{DeviceKernel, Elem, GufuncShape, ParamKind, ValueBytes};
use hotloop_core::stencil::Boundary;
use hotloop_device::host::{Args, Buffer, Grid, Launcher};
use hotloop_runtime::launch::finish_count;
use hotloop_runtime::{Element, Error, LaunchConfig, Result, check_same_shape};
use std::sync::Arc;
use std::time::Instant;

/// A `u64` output of a form (per-block partials, a fault flag): its length
/// for a launch and its initial value (`None`: every element is written).
struct U64Out {
    what: &'static str,
    len: fn(LaunchConfig) -> usize,
    init: Option<u64>,
}

/// The round trip of one op kernel over `items` work items: the
/// arguments in `dk`'s parameter order (the op first, then the form's
/// buffers, `scalars` and `values`), launched from the op's module.
#[allow(clippy::too_many_arguments)]
fn op_round_trip<T: Element, O: Element>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    dk: &DeviceKernel,
    items: u64,
    inputs: &[Input<'_, T>],
    out: Option<&mut [O]>,
    scalars: &[u64],
    values: &[ValueBytes],
    u64_outs: &[U64Out],
) -> Result<(Timings, Vec<Vec<u64>>)> {
    let cfg = dev.resolve(launch, items)?;
    let module = dev.module(dk.module)?;
    let extras: Vec<Extra<u64>> = u64_outs
        .iter()
        .map(|o| Extra {
            what: o.what,
            len: (o.len)(cfg),
            init: o.init,
        })
        .collect();
    round_trip(dev, cfg, items, inputs, out, &extras, |d| {
        let args = arguments(dk, inputs, d, scalars, values)?;
        let held = Held {
            device: dev,
            module,
        };
        let grid = Grid::from((cfg.blocks, cfg.threads_per_block));
        let kernel = held.launch(dk.kernel, grid, &args, &|_| {})?;
        Ok(KernelRun {
            launch: cfg,
            kernel,
        })
    })
}

/// The launch's arguments, in the order of `dk`'s parameters: the op, then
/// each parameter from the list of its kind. A parameter with nothing left
/// to take, or anything left over, is a kernel that is not this form's.
fn arguments<T: Element, O: Element>(
    dk: &DeviceKernel,
    inputs: &[Input<'_, T>],
    d: &OnDevice<T, O, u64>,
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
    let (elem, out_elem) = (T::ELEM, O::ELEM);
    let buffer = |a: &DeviceArray<T>| (a.addr(), a.len() as u64);
    let out_buffer = |a: &DeviceArray<O>| (a.addr(), a.len() as u64);
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
                        hosts += 1;
                        buffer(&d.inputs[hosts - 1])
                    }
                    Some(Input::Output) => out_buffer(
                        d.out
                            .as_ref()
                            .ok_or_else(|| mismatch("in place without an output"))?,
                    ),
                    None => return Err(mismatch("an input too many")),
                };
                args.push_raw(*kind, a, len);
                ins += 1;
            }
            ParamKind::Out(e) if e == out_elem && !out_taken => {
                let o = d
                    .out
                    .as_ref()
                    .ok_or_else(|| mismatch("an output it was not given"))?;
                let (a, len) = out_buffer(o);
                args.push_raw(*kind, a, len);
                out_taken = true;
            }
            ParamKind::Out(Elem::U64) => {
                let x = d
                    .extras
                    .get(outs)
                    .ok_or_else(|| mismatch("a u64 output too many"))?;
                args.push_raw(*kind, x.addr(), x.len() as u64);
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
        || out_taken != d.out.is_some()
        || outs != d.extras.len()
        || sc != scalars.len()
        || vals != values.len()
    {
        return Err(mismatch("arguments left over"));
    }
    Ok(args)
}

/// `out[i] = op(input[i])` (a map kernel).
pub fn map_timed<T: Element, U: Element>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    op: &DeviceKernel,
    input: &[T],
    out: &mut [U],
) -> Result<Timings> {
    check_same_shape("input", &[input.len()], "output", &[out.len()])?;
    let items = out.len() as u64;
    let inputs = [Input::Host(input)];
    Ok(op_round_trip(dev, launch, op, items, &inputs, Some(out), &[], &[], &[])?.0)
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
    Ok(op_round_trip(dev, launch, op, items, &inputs, Some(data), &[], &[], &[])?.0)
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
    Ok(op_round_trip(dev, launch, op, items, &inputs, Some(out), &[], &[], &[])?.0)
}

/// `outputs[k][i] = op(inputs[..][i])[k]` (an `NaryOp`'s kernel): the
/// inputs copied in, the outputs copied back, every array of one length.
pub fn map_n_timed<T: Element, const I: usize, const O: usize>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    op: &DeviceKernel,
    inputs: [&[T]; I],
    outputs: [&mut [T]; O],
) -> Result<Timings> {
    let n = outputs.first().map_or(0, |o| o.len());
    for x in &inputs {
        check_same_shape("input", &[x.len()], "output", &[n])?;
    }
    for o in &outputs {
        check_same_shape("output", &[o.len()], "first output", &[n])?;
    }
    arrays_round_trip(dev, launch, op, n as u64, inputs, outputs, &[])
}

/// The round trip of a kernel over `I` input and `O` output arrays (of any
/// lengths), `items` work items: the op, then the arrays in order, then
/// `values` by value, as the `map_n` and `gufunc` forms declare them.
fn arrays_round_trip<T: Element, const I: usize, const O: usize>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    op: &DeviceKernel,
    items: u64,
    inputs: [&[T]; I],
    outputs: [&mut [T]; O],
    values: &[ValueBytes],
) -> Result<Timings> {
    let hosts = inputs.map(Input::Host);
    // The outputs come back as the round trip's extra outputs, in order.
    let extras: Vec<Extra<T>> = outputs
        .iter()
        .map(|o| Extra {
            what: "kernel output",
            len: o.len(),
            init: None,
        })
        .collect();
    let cfg = dev.resolve(launch, items)?;
    let module = dev.module(op.module)?;
    let not_this_form = || Error::InvalidArgument {
        what: "kernel arguments",
        reason: format!(
            "`{}` is not a kernel of {I} input and {O} output arrays and {} values: {:?}",
            op.kernel.name,
            values.len(),
            op.kernel.params
        ),
    };
    let (timings, results) = round_trip(dev, cfg, items, &hosts, None::<&mut [T]>, &extras, |d| {
        let mut args = Args::new();
        let mut bufs = d
            .inputs
            .iter()
            .map(|a| (false, a))
            .chain(d.extras.iter().map(|a| (true, a)));
        let mut vals = values.iter();
        for (pos, kind) in op.kernel.params.iter().enumerate() {
            match (*kind, pos) {
                (ParamKind::Value { .. }, 0) => args.push_value(*kind, op.op),
                (ParamKind::Value { .. }, _) => {
                    args.push_value(*kind, *vals.next().ok_or_else(not_this_form)?)
                }
                (ParamKind::Slice(_) | ParamKind::Out(_), _) => {
                    // `launch` refuses kinds that do not match what is pushed.
                    let (written, a) = bufs.next().ok_or_else(not_this_form)?;
                    let kind = if written {
                        ParamKind::Out(T::ELEM)
                    } else {
                        ParamKind::Slice(T::ELEM)
                    };
                    args.push_raw(kind, a.addr(), a.len() as u64);
                }
                _ => return Err(not_this_form()),
            }
        }
        if bufs.next().is_some() || vals.next().is_some() {
            return Err(not_this_form());
        }
        let held = Held {
            device: dev,
            module,
        };
        let grid = Grid::from((cfg.blocks, cfg.threads_per_block));
        let kernel = held.launch(op.kernel, grid, &args, &|_| {})?;
        Ok(KernelRun {
            launch: cfg,
            kernel,
        })
    })?;
    if items > 0 {
        for (o, r) in outputs.into_iter().zip(results) {
            o.copy_from_slice(&r);
        }
    }
    Ok(timings)
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
    Ok(op_round_trip(dev, launch, op, items, &inputs, Some(a), &[], &[], &[])?.0)
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
    let (mut t, outs) = op_round_trip(
        dev,
        launch,
        op,
        items,
        &inputs,
        None::<&mut [T]>,
        &[],
        &[],
        std::slice::from_ref(&partials),
    )?;
    let t0 = Instant::now();
    let n = finish_count(&outs[0]);
    t.host_finish = t0.elapsed();
    Ok((n, t))
}

/// `shape.loops` outer iterations of a gufunc over the core blocks of
/// `shape` (one thread per iteration), its arrays copied in and out.
pub fn gufunc_timed<T: Element, const I: usize, const O: usize>(
    dev: &Arc<Device>,
    launch: Option<LaunchConfig>,
    op: &DeviceKernel,
    shape: GufuncShape,
    inputs: [&[T]; I],
    outputs: [&mut [T]; O],
) -> Result<Timings> {
    let values = [ValueBytes::of(shape)];
    arrays_round_trip(dev, launch, op, shape.loops, inputs, outputs, &values)
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
    let (t, outs) = op_round_trip(
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
