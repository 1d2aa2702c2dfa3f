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

use crate::array::{DeviceArray, GpuMemory, bytes_of, bytes_of_mut, check_contiguous};
use crate::device::Device;
use crate::driver::During;
use crate::launch::{enqueue, function};
use crate::module::Module;
use cudarc::driver::{CudaEvent, CudaModule, CudaStream};
use hotloop_device::DeviceCopy;
use hotloop_device::host::{Args, DeviceBuffer, DeviceBufferMut, Grid, KernelInfo, Launcher};
use hotloop_runtime::transfer::HostArray;
use hotloop_runtime::{Error, Result, check_len};
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

    /// Copies `host` (its elements in C order) into `device`, an array or
    /// a slice of one ([`DeviceBufferMut::slice_mut`]) in C order, on this
    /// stream (`d.copy_to_device(a, stream=s)`); as many elements. Returns
    /// once `host` has been read.
    pub fn copy_to_device<T: DeviceCopy, B>(&self, host: &[T], device: &mut B) -> Result<()>
    where
        B: DeviceBufferMut<T, Memory = GpuMemory> + ?Sized,
    {
        check_len(
            "copy_to_device's host array",
            host.len(),
            device.layout().shape(),
        )?;
        check_contiguous(device)?;
        // SAFETY: `host` is read before this returns (pageable memory is
        // staged); `device` borrows the `len` elements at its address
        // mutably (`DeviceBufferMut`).
        unsafe { self.htod(device.addr(), bytes_of(host)) }
    }

    /// Copies `device`, an array or a slice of one
    /// ([`DeviceBuffer::slice`]) in C order, into `host` on this stream
    /// (`d.copy_to_host(ary, stream=s)`); returns once `host` holds it.
    pub fn copy_to_host<T: DeviceCopy, B>(&self, device: &B, host: &mut [T]) -> Result<()>
    where
        B: DeviceBuffer<T, Memory = GpuMemory> + ?Sized,
    {
        check_len(
            "copy_to_host's host buffer",
            host.len(),
            device.layout().shape(),
        )?;
        check_contiguous(device)?;
        // SAFETY: a copy into pageable memory returns once it is done;
        // `device` borrows the elements it reads.
        unsafe { self.dtoh(bytes_of_mut(host), device.addr()) }
    }

    /// Queues a copy of `src` to the device bytes at `dst`.
    ///
    /// # Safety
    /// `dst` is `src.len()` bytes of this device's memory that nothing else
    /// uses meanwhile, and `src` stays valid until the copy has read it.
    pub(crate) unsafe fn htod(&self, dst: u64, src: &[u8]) -> Result<()> {
        if src.is_empty() {
            return Ok(());
        }
        self.device
            .ctx
            .bind_to_thread()
            .during("binding the context")?;
        // SAFETY: the caller's.
        unsafe { cudarc::driver::result::memcpy_htod_async(dst, src, self.stream.cu_stream()) }
            .during("host-to-device copy")
    }

    /// Queues a copy of the device bytes at `src` into `dst`.
    ///
    /// # Safety
    /// `src` is `dst.len()` bytes of this device's memory, and `dst` stays
    /// valid and unread until the copy has written it.
    pub(crate) unsafe fn dtoh(&self, dst: &mut [u8], src: u64) -> Result<()> {
        if dst.is_empty() {
            return Ok(());
        }
        self.device
            .ctx
            .bind_to_thread()
            .during("binding the context")?;
        // SAFETY: the caller's.
        unsafe { cudarc::driver::result::memcpy_dtoh_async(dst, src, self.stream.cu_stream()) }
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
    type Memory = crate::array::GpuMemory;
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
