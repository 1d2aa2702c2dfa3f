//! Mapped host memory (Numba's `cuda.mapped_array`): page-locked host
//! memory that kernels read and write in place over the bus, with no copy,
//! for data a kernel touches once or the host needs while the GPU works.
//!
//! A kernel reaches it as any device array ([`DeviceBuffer`]), borrowing it
//! for the launch; the host reaches it through [`MappedArray::as_slice`] and
//! [`MappedArray::as_mut_slice`], which first wait for all of the device's
//! work, since a kernel queued on a stream may still be using it after its
//! launch has returned (Numba leaves that wait to the user).

use crate::array::{GpuMemory, byte_len};
use crate::device::Device;
use crate::driver::During;
use cudarc::driver::{result, sys};
use hotloop_device::DeviceCopy;
use hotloop_device::host::{Buffer, DeviceBuffer, DeviceBufferMut};
use hotloop_runtime::{Error, Result};
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::Arc;

/// `len` elements of `T` in host memory mapped into the device's address
/// space, zeroed, freed when dropped (Numba's `cuda.mapped_array`); from
/// [`Device::mapped_array`].
pub struct MappedArray<T> {
    host: NonNull<T>,
    /// The same memory's device address.
    device_ptr: u64,
    len: usize,
    device: Arc<Device>,
    _elem: PhantomData<T>,
}

// SAFETY: it owns its allocation, as a `Vec<T>` does; the device side is
// reached only through borrows the launches hold.
unsafe impl<T: Send> Send for MappedArray<T> {}
// SAFETY: as above; `&self` gives only reads.
unsafe impl<T: Sync> Sync for MappedArray<T> {}

impl<T> std::fmt::Debug for MappedArray<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MappedArray")
            .field("len", &self.len)
            .field("device", &self.device.info.ordinal)
            .finish()
    }
}

impl Device {
    /// `len` zeroed elements of host memory that this device's kernels
    /// read and write in place (`cuda.mapped_array(len, dtype)`).
    pub fn mapped_array<T: DeviceCopy>(self: &Arc<Self>, len: usize) -> Result<MappedArray<T>> {
        let bytes = byte_len::<T>(len)?.max(1);
        self.ctx.bind_to_thread().during("binding the context")?;
        // SAFETY: a plain allocation; zeroed below before any read.
        let p = unsafe { result::malloc_host(bytes, sys::CU_MEMHOSTALLOC_DEVICEMAP) }.map_err(
            |_| Error::AllocationFailed {
                what: "mapped host memory",
                bytes: bytes as u64,
            },
        )?;
        // SAFETY: `bytes` bytes were just allocated at `p`.
        unsafe { std::ptr::write_bytes(p.cast::<u8>(), 0, bytes) };
        let mut device_ptr: sys::CUdeviceptr = 0;
        // SAFETY: `p` is a mapped allocation of this context (flags must
        // be 0).
        let mapped = unsafe { sys::cuMemHostGetDevicePointer_v2(&mut device_ptr, p, 0) }
            .result()
            .during("mapping host memory");
        if let Err(e) = mapped {
            // SAFETY: allocated above, used by nothing.
            let _ = unsafe { result::free_host(p) };
            return Err(e);
        }
        Ok(MappedArray {
            host: NonNull::new(p.cast::<T>()).expect("the driver returned an allocation"),
            device_ptr,
            len,
            device: self.clone(),
            _elem: PhantomData,
        })
    }
}

impl<T> Drop for MappedArray<T> {
    fn drop(&mut self) {
        // A kernel queued earlier may still use the memory: wait for the
        // device's work before handing it back.
        let _ = self.device.ctx.synchronize();
        if self.device.ctx.bind_to_thread().is_ok() {
            // SAFETY: allocated by `malloc_host`, no longer used.
            let _ = unsafe { result::free_host(self.host.as_ptr().cast()) };
        }
    }
}

impl<T: DeviceCopy> MappedArray<T> {
    /// Elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it has none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Its elements, once the device's work so far is done.
    pub fn as_slice(&self) -> Result<&[T]> {
        self.device
            .ctx
            .synchronize()
            .during("waiting for kernels on mapped memory")?;
        // SAFETY: `len` initialised elements (any bit pattern is a valid
        // number); no kernel runs on them now, and none that writes can be
        // launched while `self` is borrowed shared.
        Ok(unsafe { std::slice::from_raw_parts(self.host.as_ptr(), self.len) })
    }

    /// Its elements, writable, once the device's work so far is done.
    pub fn as_mut_slice(&mut self) -> Result<&mut [T]> {
        self.device
            .ctx
            .synchronize()
            .during("waiting for kernels on mapped memory")?;
        // SAFETY: as `as_slice`; no launch can borrow it meanwhile.
        Ok(unsafe { std::slice::from_raw_parts_mut(self.host.as_ptr(), self.len) })
    }
}

impl<T: DeviceCopy> Buffer<T> for MappedArray<T> {
    fn addr(&self) -> u64 {
        self.device_ptr
    }
    fn len(&self) -> usize {
        self.len
    }
}

// SAFETY: `device_ptr` maps the array's own allocation of `len` elements,
// freed only after the device's work; the host writes it only through
// `as_mut_slice(&mut self)`.
unsafe impl<T: DeviceCopy> DeviceBuffer<T> for MappedArray<T> {
    type Memory = GpuMemory;
}

// SAFETY: as above; the host reads it only through a borrow of `self`.
unsafe impl<T: DeviceCopy> DeviceBufferMut<T> for MappedArray<T> {}
