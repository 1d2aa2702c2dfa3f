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
//! Each device array remembers its last write and its reads since; an
//! operation that writes an array another stream read or wrote, or reads
//! one another stream wrote, without such an order between them is a race
//! on a GPU (the two may run at once, in either order) and here an
//! [`Error::Race`] naming the array, both streams and both operations,
//! before the second one runs.

use crate::kernel::{SimArray, Simulator};
use crate::order::{self, Clock};
use hotloop_device::DeviceCopy;
use hotloop_device::host::{Args, Buffer, Grid, KernelInfo, Launcher, ParamKind};
use hotloop_runtime::transfer::HostArray;
use hotloop_runtime::{Error, Result};
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

    /// Checks and records the operation `what` on `accesses` (address,
    /// name, whether it writes): [`order::record_op`].
    fn record_op(&self, what: &str, accesses: &[(u64, String, bool)]) -> Result<()> {
        order::record_op(self.id, self.sim.device(), what, accesses)
    }

    /// A device copy of `host` made on this stream (`cuda.to_device(a,
    /// stream=s)`).
    pub fn to_device<A: HostArray + ?Sized>(&self, host: &A) -> Result<SimArray<A::Elem>> {
        let d = self.sim.to_device(host)?;
        if !d.is_empty() {
            self.record_op("to_device", &[(d.addr(), d.label(), true)])?;
        }
        Ok(d)
    }

    /// Copies `host` into `device` on this stream (`d.copy_to_device(a,
    /// stream=s)`); the lengths must match.
    pub fn copy_to_device<T: DeviceCopy>(
        &self,
        host: &[T],
        device: &mut SimArray<T>,
    ) -> Result<()> {
        if !device.is_empty() {
            self.record_op("copy_to_device", &[(device.addr(), device.label(), true)])?;
        }
        device.copy_from_host(host)
    }

    /// Copies `device` into `host` on this stream, in C order
    /// (`d.copy_to_host(ary, stream=s)`); the lengths must match.
    pub fn copy_to_host<T: DeviceCopy>(&self, device: &SimArray<T>, host: &mut [T]) -> Result<()> {
        if !device.is_empty() {
            self.record_op("copy_to_host", &[(device.addr(), device.label(), false)])?;
        }
        let v = device.host_copy()?;
        if v.len() != host.len() {
            return Err(Error::LengthMismatch {
                name: "copy_to_host's host buffer",
                len: host.len(),
                shape: device.shape().to_vec(),
                needed: v.len(),
            });
        }
        host.copy_from_slice(&v);
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
        let accesses: Vec<(u64, String, bool)> = args
            .as_slice()
            .iter()
            .filter_map(|a| {
                let writes = match a.kind {
                    ParamKind::Slice(_) => false,
                    ParamKind::Out(_) => true,
                    ParamKind::Array { written, .. } => written,
                    _ => return None,
                };
                // An empty array has no elements to race on (and no
                // address of its own).
                (a.value > 0).then(|| (a.addr, order::name_of(a.addr, a.kind, a.value), writes))
            })
            .collect();
        self.record_op(&format!("launch {}", kernel.name), &accesses)?;
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
    pub fn copy_to_device_async<'h, T: DeviceCopy>(
        &self,
        host: &'h SimPinnedArray<T>,
        device: &mut SimArray<T>,
    ) -> Result<SimPending<'h>> {
        self.copy_to_device(&host.data, device)?;
        Ok(SimPending {
            _host: std::marker::PhantomData,
        })
    }

    /// Copies `device` into `host` on this stream, returning before the
    /// data has moved on a GPU (`d.copy_to_host(pinned, stream=s)`): `host`
    /// stays borrowed, unreadable, until the [`SimPending`] is waited for.
    pub fn copy_to_host_async<'h, T: DeviceCopy>(
        &self,
        device: &SimArray<T>,
        host: &'h mut SimPinnedArray<T>,
    ) -> Result<SimPending<'h>> {
        self.copy_to_host(device, &mut host.data)?;
        Ok(SimPending {
            _host: std::marker::PhantomData,
        })
    }
}
