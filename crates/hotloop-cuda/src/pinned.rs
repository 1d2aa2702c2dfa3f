//! Page-locked host memory (Numba's `cuda.pinned_array`), the host side of
//! copies that overlap with kernels: a stream's copy from or into it
//! returns before the data has moved, and the borrow it holds says so.
//!
//! [`Stream::copy_to_device_async`] and [`Stream::copy_to_host_async`]
//! return a [`Pending`] that borrows the host array (shared for a copy
//! in, exclusive for a copy out) until it is waited for: while a copy may
//! still read it, writing or freeing the array does not compile, and while
//! a copy may still write it, reading it does not either (Numba leaves
//! both to the user). Dropping a `Pending` waits too. And since a borrow
//! can be ended without waiting (`mem::forget`), the array itself also
//! remembers its last copy: reading, writing or freeing it first waits
//! for that copy.

use crate::array::{GpuMemory, check_contiguous};
use crate::device::Device;
use crate::driver::During;
use crate::stream::Stream;
use cudarc::driver::{CudaEvent, PinnedHostSlice};
use hotloop_device::DeviceCopy;
use hotloop_device::host::{DeviceBuffer, DeviceBufferMut};
use hotloop_runtime::{Error, Result, check_len};
use std::marker::PhantomData;
use std::sync::{Mutex, PoisonError};

/// `len` elements of `T` in page-locked host memory, zeroed, freed when
/// dropped (Numba's `cuda.pinned_array`); from [`Device::pinned_array`].
/// Its elements are reached through [`PinnedArray::as_slice`] and
/// [`PinnedArray::as_mut_slice`], which wait for a copy still moving them.
pub struct PinnedArray<T> {
    bytes: PinnedHostSlice<u8>,
    len: usize,
    /// The event after the last copy that read or wrote it.
    last_copy: Mutex<Option<CudaEvent>>,
    _elem: PhantomData<T>,
}

impl<T> std::fmt::Debug for PinnedArray<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PinnedArray")
            .field("len", &self.len)
            .finish()
    }
}

impl<T> Drop for PinnedArray<T> {
    fn drop(&mut self) {
        // The memory is freed after this: a copy still moving it waits.
        let _ = self.wait();
    }
}

impl Device {
    /// `len` zeroed elements of page-locked host memory
    /// (`cuda.pinned_array(len, dtype)`).
    pub fn pinned_array<T: DeviceCopy>(&self, len: usize) -> Result<PinnedArray<T>> {
        let n = crate::array::byte_len::<T>(len)?.max(1);
        // SAFETY: zeroed below before any read. Plain page-locked memory
        // (flags 0): the host reads what comes back, which write-combined
        // memory makes slow.
        let mut bytes = unsafe { self.ctx.alloc_pinned_with_flags::<u8>(n, 0) }.map_err(|_| {
            Error::AllocationFailed {
                what: "pinned host memory",
                bytes: n as u64,
            }
        })?;
        bytes
            .as_mut_slice()
            .during("zeroing pinned memory")?
            .fill(0);
        Ok(PinnedArray {
            bytes,
            len,
            last_copy: Mutex::new(None),
            _elem: PhantomData,
        })
    }
}

impl<T> PinnedArray<T> {
    /// Waits for the last copy from or into it.
    fn wait(&self) -> Result<()> {
        let last = self
            .last_copy
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match last {
            Some(e) => e
                .synchronize()
                .during("waiting for a copy of pinned memory"),
            None => Ok(()),
        }
    }
}

impl<T: DeviceCopy> PinnedArray<T> {
    /// Elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it has none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Its elements, once no copy moves them.
    pub fn as_slice(&self) -> Result<&[T]> {
        self.wait()?;
        let bytes = self.bytes.as_slice().during("reading pinned memory")?;
        // SAFETY: page-aligned memory holding `len` elements of `T` (any
        // bit pattern is a valid number), no copy in flight.
        Ok(unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast::<T>(), self.len) })
    }

    /// Its elements, writable, once no copy moves them.
    pub fn as_mut_slice(&mut self) -> Result<&mut [T]> {
        self.wait()?;
        let bytes = self.bytes.as_mut_slice().during("writing pinned memory")?;
        // SAFETY: as `as_slice`, exclusively borrowed.
        Ok(unsafe { std::slice::from_raw_parts_mut(bytes.as_mut_ptr().cast::<T>(), self.len) })
    }
}

/// A copy to or from a [`PinnedArray`] that may still be moving data: it
/// borrows the array until [`Pending::wait`] (or its drop, which waits).
#[must_use = "a pending copy holds its host array until it is waited for"]
pub struct Pending<'h> {
    event: Option<CudaEvent>,
    _host: PhantomData<&'h mut ()>,
}

impl std::fmt::Debug for Pending<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending").finish_non_exhaustive()
    }
}

impl Pending<'_> {
    /// Waits for the copy; the host array is free again.
    pub fn wait(mut self) -> Result<()> {
        match self.event.take() {
            Some(e) => e.synchronize().during("waiting for an asynchronous copy"),
            None => Ok(()),
        }
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if let Some(e) = self.event.take() {
            let _ = e.synchronize();
        }
    }
}

impl Stream {
    /// An event after the stream's work so far, kept by `host` as its last
    /// copy and by the returned [`Pending`].
    fn pending<'h, T: DeviceCopy>(&self, host: &PinnedArray<T>) -> Result<Pending<'h>> {
        *host
            .last_copy
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(self.record_raw()?);
        Ok(Pending {
            event: Some(self.record_raw()?),
            _host: PhantomData,
        })
    }

    /// Copies `host` into `device`, an array or a slice of one in C order,
    /// on this stream and returns before the data has moved
    /// (`d.copy_to_device(pinned, stream=s)`): `host` stays borrowed,
    /// unwritable, until the [`Pending`] is waited for.
    pub fn copy_to_device_async<'h, T: DeviceCopy, B>(
        &self,
        host: &'h PinnedArray<T>,
        device: &mut B,
    ) -> Result<Pending<'h>>
    where
        B: DeviceBufferMut<T, Memory = GpuMemory> + ?Sized,
    {
        check_len("pinned array", host.len(), device.layout().shape())?;
        check_contiguous(device)?;
        // A copy still writing the host array comes first.
        host.wait()?;
        if !host.is_empty() {
            let n = host.len() * size_of::<T>();
            let p = host.bytes.as_ptr().during("reading pinned memory")?;
            // SAFETY: `n` bytes of the pinned allocation, which outlives
            // the copy: the `Pending` borrows the array, and the array's
            // drop waits for the event recorded after the copy. `device`
            // borrows its elements mutably.
            unsafe { self.htod(device.addr(), std::slice::from_raw_parts(p, n)) }?;
        }
        self.pending(host)
    }

    /// Copies `device`, an array or a slice of one in C order, into `host`
    /// on this stream and returns before the data has moved
    /// (`d.copy_to_host(pinned, stream=s)`): `host` stays borrowed,
    /// unreadable, until the [`Pending`] is waited for.
    pub fn copy_to_host_async<'h, T: DeviceCopy, B>(
        &self,
        device: &B,
        host: &'h mut PinnedArray<T>,
    ) -> Result<Pending<'h>>
    where
        B: DeviceBuffer<T, Memory = GpuMemory> + ?Sized,
    {
        check_len("pinned array", host.len(), device.layout().shape())?;
        check_contiguous(device)?;
        host.wait()?;
        if !host.is_empty() {
            let n = host.len() * size_of::<T>();
            let p = host.bytes.as_mut_ptr().during("writing pinned memory")?;
            // SAFETY: as in `copy_to_device_async`; nothing reads the
            // memory before the copy's event (the array waits for it).
            unsafe { self.dtoh(std::slice::from_raw_parts_mut(p, n), device.addr()) }?;
        }
        self.pending(host)
    }
}
