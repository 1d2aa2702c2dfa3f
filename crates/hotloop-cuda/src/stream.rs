//! Streams and events on a GPU (Numba's `cuda.stream()`,
//! `to_device(a, stream=s)`, `kernel[grid, block, s]`,
//! `copy_to_host(ary, stream=s)`, `cuda.event()`), the simulator's
//! `SimStream` API.
//!
//! A stream's launches return at once; its copies return once the host
//! buffer is free again (CUDA copies pageable host memory that way: a copy
//! in has read it, a copy out has written it), so no host buffer outlives
//! a borrow. Device arrays outlive the work queued on them: while a device
//! has streams, freeing a device array, and every operation of the default
//! stream (the synchronous API), first waits for all of its streams'
//! work, as Numba's default stream waits for its blocking streams.

use crate::array::{DeviceArray, bytes_of, bytes_of_mut};
use crate::device::Device;
use crate::driver::During;
use crate::launch::{enqueue, function};
use crate::module::Module;
use cudarc::driver::{CudaEvent, CudaModule, CudaStream};
use hotloop_device::DeviceCopy;
use hotloop_device::host::{Args, Grid, KernelInfo, Launcher};
use hotloop_runtime::transfer::HostArray;
use hotloop_runtime::{Error, Result, check_same_shape};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// A stream of a device: copies and launches in order, concurrent with
/// other streams' (Numba's `cuda.stream()`, from [`Module::stream`]).
/// Launch a kernel on it with the typed launcher,
/// `my_kernel::launch(&stream, grid, ..)`. Dropping it waits for its work.
pub struct Stream {
    device: Arc<Device>,
    module: Arc<CudaModule>,
    stream: Arc<CudaStream>,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("device", &self.device.info.ordinal)
            .finish()
    }
}

/// A point in a stream ([`Stream::record`]; Numba's `cuda.event()`):
/// another stream can wait for it, and two events time the work between
/// them.
pub struct Event {
    event: CudaEvent,
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Event").finish_non_exhaustive()
    }
}

impl Event {
    /// GPU time from `start` to this event (Numba's
    /// `cuda.event_elapsed_time(start, end)`), once both have completed
    /// (this waits for them).
    pub fn elapsed_since(&self, start: &Event) -> Result<Duration> {
        self.event.synchronize().during("waiting for an event")?;
        let ms = start
            .event
            .elapsed_ms(&self.event)
            .during("reading an event pair's time")?;
        Ok(Duration::from_secs_f64(f64::from(ms.max(0.0)) / 1e3))
    }
}

impl Module {
    /// A new stream on the module's device, launching this module's
    /// kernels (`cuda.stream()`).
    pub fn stream(&self) -> Result<Stream> {
        let device = self.device().clone();
        let stream = device.ctx.new_stream().during("creating a stream")?;
        device.live_streams.fetch_add(1, Ordering::AcqRel);
        Ok(Stream {
            module: self.cuda_module().clone(),
            device,
            stream,
        })
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        // Its work may still use device arrays the next frees would hand
        // back: wait for it, then stop counting it.
        let _ = self.stream.synchronize();
        self.device.live_streams.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Stream {
    /// A device copy of `host` made on this stream (`cuda.to_device(a,
    /// stream=s)`): the allocation is the device's, the copy this stream's.
    pub fn to_device<A: HostArray + ?Sized>(&self, host: &A) -> Result<DeviceArray<A::Elem>> {
        let img = host.image()?;
        let mut a = self
            .device
            .alloc_array::<A::Elem>("device copy", img.data.len())?;
        // The allocation is ordered on the default stream: this stream
        // writes the memory after it.
        self.stream
            .join(&self.device.stream)
            .during("ordering a stream after an allocation")?;
        if !img.data.is_empty() {
            self.stream
                .memcpy_htod(bytes_of(&img.data), &mut a.buf)
                .during("host-to-device copy")?;
        }
        a.set_layout(img.layout, img.origin);
        Ok(a)
    }

    /// Copies `host` into `device` on this stream (`d.copy_to_device(a,
    /// stream=s)`); as many elements, `device` in C order. Returns once
    /// `host` has been read.
    pub fn copy_to_device<T: DeviceCopy>(
        &self,
        host: &[T],
        device: &mut DeviceArray<T>,
    ) -> Result<()> {
        check_same_shape("host array", &[host.len()], "device array", &[device.len()])?;
        device.check_flat()?;
        if host.is_empty() {
            return Ok(());
        }
        self.stream
            .memcpy_htod(bytes_of(host), &mut device.buf)
            .during("host-to-device copy")
    }

    /// Copies `device` (in C order) into `host` on this stream
    /// (`d.copy_to_host(ary, stream=s)`); returns once `host` holds it.
    pub fn copy_to_host<T: DeviceCopy>(
        &self,
        device: &DeviceArray<T>,
        host: &mut [T],
    ) -> Result<()> {
        check_same_shape("device array", device.shape(), "host array", &[host.len()])?;
        device.check_flat()?;
        if host.is_empty() {
            return Ok(());
        }
        let bytes = bytes_of_mut(host);
        let n = bytes.len();
        self.stream
            .memcpy_dtoh(&device.buf.slice(..n), bytes)
            .during("device-to-host copy")
    }

    /// Records an event here (`event.record(stream=s)`).
    pub fn record(&self) -> Result<Event> {
        Ok(Event {
            event: self.record_raw()?,
        })
    }

    /// A timing event after the stream's work so far.
    pub(crate) fn record_raw(&self) -> Result<CudaEvent> {
        self.stream
            .record_event(Some(cudarc::driver::sys::CUevent_flags::CU_EVENT_DEFAULT))
            .during("recording an event")
    }

    /// The driver's stream.
    pub(crate) fn cuda(&self) -> &Arc<CudaStream> {
        &self.stream
    }

    /// Orders this stream's later work after `event` (`s.wait_event(e)`).
    pub fn wait_event(&self, event: &Event) -> Result<()> {
        self.stream.wait(&event.event).during("waiting on an event")
    }

    /// Waits for the stream's work (`s.synchronize()`), reporting an error
    /// a kernel raised.
    pub fn synchronize(&self) -> Result<()> {
        self.stream.synchronize().during("synchronizing a stream")?;
        self.device.check_deferred()
    }

    /// Whether the stream's work so far has finished (CUDA's
    /// `cudaStreamQuery`).
    pub fn query(&self) -> Result<bool> {
        Ok(self.record()?.event.is_complete())
    }
}

// SAFETY: `body` is never called: the GPU runs the PTX entry point.
unsafe impl Launcher for Stream {
    type Array<T: DeviceCopy> = DeviceArray<T>;
    type Run = ();
    type Error = Error;

    /// Queues the kernel and returns.
    fn launch(
        &self,
        kernel: &'static KernelInfo,
        grid: Grid,
        args: &Args,
        _body: &(dyn Fn(&Args) + Sync),
    ) -> Result<()> {
        let f = function(&self.module, kernel)?;
        // SAFETY: the arrays outlive the kernel: freeing a device array
        // waits for every stream of its device while this stream lives,
        // and dropping the stream waits for its work.
        unsafe { enqueue(&self.device, &self.stream, &f, kernel, grid, args, false) }?;
        Ok(())
    }
}
