//! The timed round trip of every operation on host data, built-in or an
//! op's form: allocate, copy the host inputs in, launch, copy the outputs
//! back, each part timed ([`Timings`]).

use crate::array::DeviceArray;
use crate::device::Device;
use crate::launch::KernelRun;
use crate::timing::{Clock, Timings, span};
use hotloop_device::DeviceCopy;
use hotloop_runtime::{LaunchConfig, Result, try_vec_with_capacity};
use std::sync::Arc;

/// One input of a launch: a host slice copied in, or the output buffer
/// itself (in place: it is copied in too).
#[derive(Clone, Copy)]
pub(crate) enum Input<'a, T> {
    Host(&'a [T]),
    Output,
}

/// An output whose length the launch decides (per-block partials, chunk
/// sums, a fault flag), copied back whole.
pub(crate) struct Extra<E> {
    pub(crate) what: &'static str,
    pub(crate) len: usize,
    /// Its initial value, or `None`: the kernel writes every element.
    pub(crate) init: Option<E>,
}

/// What the launch is given: the device copies of the host inputs (in
/// order, the in-place one aside), the output (of its own type `O`: a map
/// may change the type), and the extra outputs.
pub(crate) struct OnDevice<T, O, E> {
    pub(crate) inputs: Vec<DeviceArray<T>>,
    pub(crate) out: Option<DeviceArray<O>>,
    pub(crate) extras: Vec<DeviceArray<E>>,
}

/// One round trip over the launch `cfg`: `inputs` copied in (and `out`
/// when an input is the output), `launch` run on the device arrays (with
/// the device held), `out` and the `extras` copied back (the extras
/// returned in order). With no work (`items == 0`) no device memory is
/// touched: the extras come back as their initial values.
pub(crate) fn round_trip<T: DeviceCopy, O: DeviceCopy, E: DeviceCopy>(
    dev: &Arc<Device>,
    cfg: LaunchConfig,
    items: u64,
    inputs: &[Input<'_, T>],
    out: Option<&mut [O]>,
    extras: &[Extra<E>],
    launch: impl FnOnce(&mut OnDevice<T, O, E>) -> Result<KernelRun>,
) -> Result<(Timings, Vec<Vec<E>>)> {
    let mut clock = Clock::start(dev);
    clock.t.launch = Some(cfg);
    if items == 0 {
        let outs = extras
            .iter()
            .map(|x| vec![x.init.unwrap_or(E::from_raw(0)); x.len])
            .collect();
        return Ok((clock.finish(dev)?, outs));
    }
    let mut results = Vec::with_capacity(extras.len());
    {
        let _g = dev.exclusive();
        let mut d = clock.alloc(|| {
            let mut d = OnDevice {
                inputs: Vec::new(),
                out: None,
                extras: Vec::new(),
            };
            for i in inputs {
                if let Input::Host(x) = i {
                    d.inputs
                        .push(dev.alloc_array::<T>("kernel input", x.len())?);
                }
            }
            if let Some(o) = &out {
                d.out = Some(dev.alloc_array::<O>("kernel output", o.len())?);
            }
            for x in extras {
                d.extras.push(dev.alloc_array::<E>(x.what, x.len)?);
            }
            Ok(d)
        })?;
        let in_place = inputs.iter().any(|i| matches!(i, Input::Output));
        // Alive until the copies are done.
        let inits: Vec<Vec<E>> = extras
            .iter()
            .map(|x| x.init.map_or_else(Vec::new, |v| vec![v; x.len]))
            .collect();
        let ((), h2d) = span(&dev.stream, || {
            let hosts = inputs.iter().filter_map(|i| match i {
                Input::Host(x) => Some(*x),
                Input::Output => None,
            });
            for (a, x) in d.inputs.iter_mut().zip(hosts) {
                a.enqueue_from_host(x)?;
            }
            if let (true, Some(a), Some(o)) = (in_place, d.out.as_mut(), out.as_deref()) {
                a.enqueue_from_host(o)?;
            }
            for ((a, x), init) in d.extras.iter_mut().zip(extras).zip(&inits) {
                if x.init.is_some() {
                    a.enqueue_from_host(init)?;
                }
            }
            Ok(())
        })?;
        let run = launch(&mut d)?;
        let ((), d2h) = span(&dev.stream, || {
            if let (Some(a), Some(o)) = (&d.out, out) {
                a.enqueue_to_host(o)?;
            }
            for a in &d.extras {
                let mut host = try_vec_with_capacity("kernel outputs", a.len())?;
                host.resize(a.len(), E::from_raw(0));
                a.enqueue_to_host(&mut host)?;
                results.push(host);
            }
            Ok(())
        })?;
        dev.synchronize()?;
        clock.t.launch = Some(run.launch);
        clock.t.kernel = run.kernel;
        clock.t.host_to_device = h2d.elapsed()?;
        clock.t.device_to_host = d2h.elapsed()?;
    }
    Ok((clock.finish(dev)?, results))
}
