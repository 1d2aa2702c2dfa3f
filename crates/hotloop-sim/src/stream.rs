//! Streams and events on the simulator (Numba's `cuda.stream()`,
//! `to_device(a, stream=s)`, `kernel[grid, block, s]`, `cuda.event()`),
//! with the ordering CUDA promises checked instead of assumed.
//!
//! A stream is a queue of copies and launches run in order. The simulator
//! runs each as it is queued, which is one schedule a GPU may choose; what
//! it adds is the check that the program does not depend on that choice.
//! It keeps a vector clock per stream and one for the host: an operation on
//! stream `s` is ordered after the earlier operations of `s`, after what
//! the host had finished when it queued it (synchronous copies, streams it
//! synchronized), and after the operations before any event `s` waits on.
//! The simulator remembers the writes and reads of device memory a later
//! operation must be ordered after, by the bytes they touched; an
//! operation that writes bytes another stream read or wrote, or reads
//! bytes another stream wrote, without such an order between them is a
//! race on a GPU (the two may run at once, in either order) and here an
//! [`Error::Race`] naming the array, both streams and both operations,
//! before the second one runs. Disjoint slices of one array
//! ([`DeviceBufferMut::split_at_mut`]) on two streams do not race.

use crate::kernel::{SimArray, SimMemory, Simulator, host_span, host_span_mut};
use crate::order::{self, Clock, Use};
use hotloop_device::DeviceCopy;
use hotloop_device::host::{
    Args, DeviceBuffer, DeviceBufferMut, Grid, KernelInfo, Launcher, ParamKind, bytes_spanned,
};
use hotloop_runtime::transfer::{HostArray, logical, place};
use hotloop_runtime::{Error, Result, check_len};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// The next stream's number.
static NEXT_STREAM: AtomicU64 = AtomicU64::new(1);

/// A stream of the simulator: copies and launches in order (Numba's
/// `cuda.stream()`). Launch a kernel on it with the typed launcher,
/// `my_kernel::launch(&stream, grid, ..)`.
#[derive(Debug)]
pub struct SimStream {
    sim: Simulator,
    id: u64,
}

/// A point in a stream (Numba's `cuda.event()`, recorded with
/// [`SimStream::record`]): another stream can wait for it, and two events
/// of one stream time the work between them.
#[derive(Clone, Debug)]
pub struct SimEvent {
    clock: Clock,
    at: Instant,
}

impl SimEvent {
    /// Wall time from `start` to this event (Numba's
    /// `cuda.event_elapsed_time(start, end)`, in a `Duration`): in the
    /// simulator, the host time between the two records, each stream's
    /// work running as it is queued.
    pub fn elapsed_since(&self, start: &SimEvent) -> std::time::Duration {
        self.at.saturating_duration_since(start.at)
    }
}

impl Simulator {
    /// A new stream (Numba's `cuda.stream()`).
    pub fn stream(&self) -> SimStream {
        let id = NEXT_STREAM.fetch_add(1, Ordering::Relaxed);
        order::new_stream(id, self.device());
        SimStream { sim: *self, id }
    }
}

impl Drop for SimStream {
    fn drop(&mut self) {
        // Destroying a stream waits for its work (as CUDA's
        // `cudaStreamDestroy` lets it finish): the host is ordered after it.
        order::end_stream(self.id);
    }
}

impl SimStream {
    /// The stream's number, as the race reports name it ("stream 3").
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Checks and records the operation `what` on `uses`:
    /// [`order::record_op`].
    fn record_op(&self, what: &str, uses: &[Use]) -> Result<()> {
        order::record_op(self.id, self.sim.device(), what, uses)
    }

    /// A device copy of `host` made on this stream (`cuda.to_device(a,
    /// stream=s)`).
    pub fn to_device<A: HostArray + ?Sized>(&self, host: &A) -> Result<SimArray<A::Elem>> {
        let d = self.sim.to_device(host)?;
        self.record_copy("to_device", &d, true)?;
        Ok(d)
    }

    /// Checks and records a copy `what` into (`writes`) or out of `device`.
    fn record_copy<T: DeviceCopy, B: DeviceBuffer<T> + ?Sized>(
        &self,
        what: &str,
        device: &B,
        writes: bool,
    ) -> Result<()> {
        match bytes_spanned::<T>((device.addr(), device.layout())) {
            Some((lo, hi)) => self.record_op(
                what,
                &[Use {
                    lo,
                    hi,
                    label: format!(
                        "a {:?} array of shape {:?}",
                        T::ELEM,
                        device.layout().shape()
                    ),
                    writes,
                }],
            ),
            None => Ok(()),
        }
    }

    /// Copies `host` (its elements in C order) into `device`, an array or
    /// a slice of one ([`DeviceBufferMut::slice_mut`]), on this stream
    /// (`d.copy_to_device(a, stream=s)`); the lengths must match.
    pub fn copy_to_device<T: DeviceCopy, B>(&self, host: &[T], device: &mut B) -> Result<()>
    where
        B: DeviceBufferMut<T, Memory = SimMemory> + ?Sized,
    {
        let layout = device.layout();
        check_len("copy_to_device's host array", host.len(), layout.shape())?;
        self.record_copy("copy_to_device", device, true)?;
        let (span, origin) = host_span_mut(device);
        place(span, &layout, origin, host);
        Ok(())
    }

    /// Copies `device`, an array or a slice of one
    /// ([`DeviceBuffer::slice`]), into `host` on this stream, in C order
    /// (`d.copy_to_host(ary, stream=s)`); the lengths must match.
    pub fn copy_to_host<T: DeviceCopy, B>(&self, device: &B, host: &mut [T]) -> Result<()>
    where
        B: DeviceBuffer<T, Memory = SimMemory> + ?Sized,
    {
        let layout = device.layout();
        check_len("copy_to_host's host buffer", host.len(), layout.shape())?;
        self.record_copy("copy_to_host", device, false)?;
        let (span, origin) = host_span(device);
        host.copy_from_slice(&logical(span, &layout, origin)?);
        Ok(())
    }

    /// Records an event here (`event.record(stream=s)`).
    pub fn record(&self) -> SimEvent {
        SimEvent {
            clock: order::clock(self.id),
            at: Instant::now(),
        }
    }

    /// Orders this stream's later work after `event` (`s.wait_event(e)`,
    /// CUDA's `cudaStreamWaitEvent`): without such a wait, or a host
    /// synchronization between them, two streams' uses of one array race.
    pub fn wait_event(&self, event: &SimEvent) {
        order::wait(self.id, &event.clock);
    }

    /// Waits for the stream's work (`s.synchronize()`): in the simulator
    /// it has run; the host is now ordered after it.
    pub fn synchronize(&self) {
        order::synchronize(self.id);
    }

    /// Whether the stream's work has finished (CUDA's `cudaStreamQuery`):
    /// always, in the simulator, which runs it as it is queued.
    pub fn query(&self) -> bool {
        true
    }
}

// SAFETY: as the simulator's own: `body` runs on this launch's arrays,
// host memory borrowed for the launch, from simulated threads only.
unsafe impl Launcher for SimStream {
    type Memory = SimMemory;
    type Array<T: DeviceCopy> = SimArray<T>;
    type Run = ();
    type Error = Error;

    fn launch(
        &self,
        kernel: &'static KernelInfo,
        grid: Grid,
        args: &Args,
        body: &(dyn Fn(&Args) + Sync),
    ) -> Result<()> {
        let uses: Vec<Use> = args
            .as_slice()
            .iter()
            .filter_map(|a| {
                let writes = match a.kind {
                    ParamKind::Slice(_) => false,
                    ParamKind::Out(_) => true,
                    ParamKind::Array { written, .. } => written,
                    _ => return None,
                };
                // An empty array has no elements to race on.
                let (lo, hi) = a.span?;
                Some(Use {
                    lo,
                    hi,
                    label: order::label_of(a.addr, a.kind, a.value),
                    writes,
                })
            })
            .collect();
        self.record_op(&format!("launch {}", kernel.name), &uses)?;
        self.sim.run(kernel, grid, args, body)
    }
}

/// Host memory for a stream's asynchronous copies (Numba's
/// `cuda.pinned_array`; on a GPU page-locked, here ordinary memory), with
/// the GPU's rules: its elements through [`SimPinnedArray::as_slice`] and
/// [`SimPinnedArray::as_mut_slice`], and a copy from or into it borrowing
/// it until the copy's [`SimPending`] is waited for.
#[derive(Clone, Debug, PartialEq)]
pub struct SimPinnedArray<T> {
    data: Vec<T>,
}

impl Simulator {
    /// `len` zeroed elements of "pinned" host memory
    /// (`cuda.pinned_array(len, dtype)`).
    pub fn pinned_array<T: DeviceCopy>(&self, len: usize) -> Result<SimPinnedArray<T>> {
        Ok(SimPinnedArray {
            data: hotloop_runtime::try_zeroed_vec("pinned host array", len)?,
        })
    }
}

impl<T: DeviceCopy> SimPinnedArray<T> {
    /// Elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether it has none.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Its elements (on a GPU, once no copy moves them).
    pub fn as_slice(&self) -> Result<&[T]> {
        Ok(&self.data)
    }

    /// Its elements, writable (on a GPU, once no copy moves them).
    pub fn as_mut_slice(&mut self) -> Result<&mut [T]> {
        Ok(&mut self.data)
    }
}

/// A copy to or from a [`SimPinnedArray`] that, on a GPU, may still be
/// moving data: it borrows the array until [`SimPending::wait`] (in the
/// simulator the copy has run).
#[must_use = "a pending copy holds its host array until it is waited for"]
#[derive(Debug)]
pub struct SimPending<'h> {
    _host: std::marker::PhantomData<&'h mut ()>,
}

impl SimPending<'_> {
    /// Waits for the copy; the host array is free again.
    pub fn wait(self) -> Result<()> {
        Ok(())
    }
}

impl SimStream {
    /// Copies `host` into `device` on this stream, returning before the
    /// data has moved on a GPU (`d.copy_to_device(pinned, stream=s)`):
    /// `host` stays borrowed, unwritable, until the [`SimPending`] is
    /// waited for.
    pub fn copy_to_device_async<'h, T: DeviceCopy, B>(
        &self,
        host: &'h SimPinnedArray<T>,
        device: &mut B,
    ) -> Result<SimPending<'h>>
    where
        B: DeviceBufferMut<T, Memory = SimMemory> + ?Sized,
    {
        self.copy_to_device(&host.data, device)?;
        Ok(SimPending {
            _host: std::marker::PhantomData,
        })
    }

    /// Copies `device` into `host` on this stream, returning before the
    /// data has moved on a GPU (`d.copy_to_host(pinned, stream=s)`): `host`
    /// stays borrowed, unreadable, until the [`SimPending`] is waited for.
    pub fn copy_to_host_async<'h, T: DeviceCopy, B>(
        &self,
        device: &B,
        host: &'h mut SimPinnedArray<T>,
    ) -> Result<SimPending<'h>>
    where
        B: DeviceBuffer<T, Memory = SimMemory> + ?Sized,
    {
        self.copy_to_host(device, &mut host.data)?;
        Ok(SimPending {
            _host: std::marker::PhantomData,
        })
    }
}
