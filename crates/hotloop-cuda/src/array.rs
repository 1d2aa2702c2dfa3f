//! Device memory: arrays (`cuda.to_device`, `cuda.device_array_like`,
//! `copy_to_host`), what every kernel, built-in or a user's, runs on.

use crate::device::Device;
use crate::driver::During;
use cudarc::driver::{CudaSlice, DevicePtr};
use hotloop_device::DeviceCopy;
use hotloop_device::host::Buffer;
use hotloop_runtime::{Error, Result, check_same_shape, try_vec_with_capacity};
use std::marker::PhantomData;
use std::sync::Arc;

/// An array of `len` elements of `T` (any element type a kernel takes:
/// `f32`, `f64`, `u32`, `i32`, `u64`, `i64`) in device memory, freed when
/// dropped. Created by [`Device::to_device`], [`Device::device_array`] and
/// [`Device::device_array_like`] (or a [`Module`](crate::Module)'s);
/// passed to kernels as `&[T]` and `Out<T>`.
pub struct DeviceArray<T> {
    pub(crate) buf: CudaSlice<u8>,
    len: usize,
    device: Arc<Device>,
    _elem: PhantomData<T>,
}

impl<T> std::fmt::Debug for DeviceArray<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceArray")
            .field("len", &self.len)
            .field("device", &self.device.info.ordinal)
            .finish()
    }
}

/// The bytes of a slice of elements.
pub(crate) fn bytes_of<T: DeviceCopy>(s: &[T]) -> &[u8] {
    // SAFETY: `DeviceCopy` is sealed to primitive numbers: no padding, any
    // alignment is at least u8's, and the length in bytes is the slice's
    // size.
    unsafe { std::slice::from_raw_parts(s.as_ptr().cast::<u8>(), size_of_val(s)) }
}

/// The bytes of a mutable slice of elements.
pub(crate) fn bytes_of_mut<T: DeviceCopy>(s: &mut [T]) -> &mut [u8] {
    // SAFETY: as `bytes_of`; moreover every bit pattern is a valid number,
    // so whatever the device writes is a valid element.
    unsafe { std::slice::from_raw_parts_mut(s.as_mut_ptr().cast::<u8>(), size_of_val(s)) }
}

/// Bytes of `len` elements of `T`, or an overflow error.
pub(crate) fn byte_len<T>(len: usize) -> Result<usize> {
    len.checked_mul(size_of::<T>())
        .filter(|&b| b <= isize::MAX as usize)
        .ok_or_else(|| Error::IndexOverflow {
            shape: vec![len],
            index_type: "isize bytes",
        })
}

impl Device {
    /// `bytes` of uninitialised device memory (at least one byte, so a
    /// zero-length array is still a valid allocation), checked against the
    /// free device memory first.
    pub(crate) fn alloc_bytes(&self, what: &'static str, bytes: usize) -> Result<CudaSlice<u8>> {
        self.check_fits(what, bytes as u64)?;
        // SAFETY: the memory is uninitialised bytes; every use writes before
        // it reads (a copy in, a kernel output, or a memset).
        unsafe { self.stream.alloc::<u8>(bytes.max(1)) }.during("device allocation")
    }

    /// An uninitialised device array (the caller writes all of it).
    pub(crate) fn alloc_array<T: DeviceCopy>(
        self: &Arc<Self>,
        what: &'static str,
        len: usize,
    ) -> Result<DeviceArray<T>> {
        let buf = self.alloc_bytes(what, byte_len::<T>(len)?)?;
        Ok(DeviceArray {
            buf,
            len,
            device: self.clone(),
            _elem: PhantomData,
        })
    }

    /// A device array of `len` zeros (`cuda.device_array`, zero-filled).
    pub fn device_array<T: DeviceCopy>(self: &Arc<Self>, len: usize) -> Result<DeviceArray<T>> {
        let _g = self.exclusive();
        let mut a = self.alloc_array::<T>("device array", len)?;
        self.stream
            .memset_zeros(&mut a.buf)
            .during("zeroing device memory")?;
        self.synchronize()?;
        Ok(a)
    }

    /// A zeroed device array with the length of `like`
    /// (`cuda.device_array_like`).
    pub fn device_array_like<T: DeviceCopy>(
        self: &Arc<Self>,
        like: &DeviceArray<T>,
    ) -> Result<DeviceArray<T>> {
        self.device_array(like.len)
    }

    /// A device copy of `host` (`cuda.to_device`); returns when the copy
    /// is complete.
    pub fn to_device<T: DeviceCopy>(self: &Arc<Self>, host: &[T]) -> Result<DeviceArray<T>> {
        let _g = self.exclusive();
        let mut a = self.alloc_array::<T>("device copy", host.len())?;
        a.enqueue_from_host(host)?;
        self.synchronize()?;
        Ok(a)
    }
}

impl<T: DeviceCopy> Buffer<T> for DeviceArray<T> {
    fn addr(&self) -> u64 {
        // Event tracking is off (one stream per device): nothing to record.
        let (ptr, _record) = self.buf.device_ptr(&self.device.stream);
        ptr
    }
    fn len(&self) -> usize {
        self.len
    }
}

impl<T: DeviceCopy> DeviceArray<T> {
    /// Elements in the array.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The device the array lives on.
    pub fn device(&self) -> &Arc<Device> {
        &self.device
    }

    /// A host copy of the array (`copy_to_host()`), allocated fallibly.
    pub fn copy_to_host(&self) -> Result<Vec<T>> {
        let mut out = try_vec_with_capacity("host copy of a device array", self.len)?;
        out.resize(self.len, T::from_raw(0));
        self.copy_to_host_into(&mut out)?;
        Ok(out)
    }

    /// Copies the array into `out`, which must have the same length.
    pub fn copy_to_host_into(&self, out: &mut [T]) -> Result<()> {
        check_same_shape("device array", &[self.len], "host array", &[out.len()])?;
        let _g = self.device.exclusive();
        self.enqueue_to_host(out)?;
        self.device.synchronize()
    }

    /// Overwrites the array with `host`, which must have the same length.
    pub fn copy_from_host(&mut self, host: &[T]) -> Result<()> {
        check_same_shape("host array", &[host.len()], "device array", &[self.len])?;
        let device = self.device.clone();
        let _g = device.exclusive();
        self.enqueue_from_host(host)?;
        device.synchronize()
    }

    /// Enqueues the host-to-device copy (the caller synchronizes).
    pub(crate) fn enqueue_from_host(&mut self, host: &[T]) -> Result<()> {
        debug_assert_eq!(host.len(), self.len);
        if host.is_empty() {
            return Ok(());
        }
        self.device
            .stream
            .memcpy_htod(bytes_of(host), &mut self.buf)
            .during("host-to-device copy")
    }

    /// Enqueues the device-to-host copy (the caller synchronizes before
    /// reading `out`).
    pub(crate) fn enqueue_to_host(&self, out: &mut [T]) -> Result<()> {
        debug_assert_eq!(out.len(), self.len);
        if out.is_empty() {
            return Ok(());
        }
        let bytes = bytes_of_mut(out);
        let n = bytes.len();
        self.device
            .stream
            .memcpy_dtoh(&self.buf.slice(..n), bytes)
            .during("device-to-host copy")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_bytes_round_trip() {
        let v = [1.5f64, -2.0];
        let b = bytes_of(&v);
        assert_eq!(b.len(), 16);
        assert_eq!(&b[..8], &1.5f64.to_ne_bytes());
        let mut w = [0.0f32; 2];
        bytes_of_mut(&mut w)[..4].copy_from_slice(&3.0f32.to_ne_bytes());
        assert_eq!(w, [3.0, 0.0]);
        assert!(byte_len::<f64>(usize::MAX / 4).is_err());
        assert_eq!(byte_len::<f32>(3).unwrap(), 12);
    }
}
