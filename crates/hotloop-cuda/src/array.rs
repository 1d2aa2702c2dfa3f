//! Device memory: arrays (`cuda.to_device`, `cuda.device_array_like`,
//! `copy_to_host`), what every kernel, built-in or a user's, runs on.

use crate::device::Device;
use crate::driver::During;
use cudarc::driver::{CudaSlice, DevicePtr};
use hotloop_device::DeviceCopy;
use hotloop_device::host::{Buffer, DeviceBuffer, DeviceBufferMut, Layout};
use hotloop_runtime::transfer::{HostArray, logical, reshape, to_ndarray};
use hotloop_runtime::{Error, Result, check_same_shape, try_vec_with_capacity};
use ndarray::{ArrayD, Dimension, IntoDimension};
use std::marker::PhantomData;
use std::sync::Arc;

/// An array of elements of `T` (any element type a kernel takes) in
/// device memory, with its shape and strides, freed when dropped. Created
/// by [`Device::to_device`], [`Device::device_array`] and
/// [`Device::device_array_like`] (or a [`Module`](crate::Module)'s);
/// passed to kernels as `&[T]` and `Out<T>` (flat, in C order) and as
/// `View<T, D>` and `Out<T, D>` (with its shape and strides).
pub struct DeviceArray<T> {
    pub(crate) buf: CudaSlice<u8>,
    /// Elements in `buf`: every element of the array once.
    len: usize,
    layout: Layout,
    /// Element `[0, 0, ..]`'s index in `buf` (non-zero for a reversed
    /// axis).
    origin: usize,
    device: Arc<Device>,
    _elem: PhantomData<T>,
}

impl<T> Drop for DeviceArray<T> {
    fn drop(&mut self) {
        // A stream's kernel or copy may still use the memory, which the
        // free (on the default stream, not ordered after other streams)
        // would hand back: wait for the streams first.
        self.device.wait_for_streams();
    }
}

impl<T> std::fmt::Debug for DeviceArray<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceArray")
            .field("layout", &self.layout)
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
            layout: Layout::flat(len),
            origin: 0,
            device: self.clone(),
            _elem: PhantomData,
        })
    }

    /// A zeroed device array of `len` elements in memory, then given
    /// `layout` with element `[0, 0, ..]` at `origin`.
    fn zeroed<T: DeviceCopy>(
        self: &Arc<Self>,
        len: usize,
        layout: Layout,
        origin: usize,
    ) -> Result<DeviceArray<T>> {
        let _g = self.exclusive();
        let mut a = self.alloc_array::<T>("device array", len)?;
        self.stream
            .memset_zeros(&mut a.buf)
            .during("zeroing device memory")?;
        self.synchronize()?;
        a.layout = layout;
        a.origin = origin;
        Ok(a)
    }

    /// A zeroed device array of `shape` in C order (`cuda.device_array`,
    /// zero-filled): a length, `[rows, cols]`, `(rows, cols)`, ...
    pub fn device_array<T: DeviceCopy>(
        self: &Arc<Self>,
        shape: impl IntoDimension,
    ) -> Result<DeviceArray<T>> {
        let shape = shape.into_dimension();
        let layout = Layout::standard(shape.slice()).ok_or_else(|| Error::InvalidArgument {
            what: "device_array",
            reason: format!(
                "shape {:?}: a device array has 1 to 8 axes and fewer than 2^63 elements",
                shape.slice()
            ),
        })?;
        self.zeroed(layout.len(), layout, 0)
    }

    /// A zeroed device array with the shape and strides of `like`
    /// (`cuda.device_array_like`).
    pub fn device_array_like<T: DeviceCopy>(
        self: &Arc<Self>,
        like: &DeviceArray<T>,
    ) -> Result<DeviceArray<T>> {
        self.zeroed(like.len, like.layout, like.origin)
    }

    /// A device copy of `host` (`cuda.to_device`): a slice, a `Vec`, or an
    /// `ndarray` array of any dimension, whose shape the copy keeps, and
    /// whose strides too where its elements fill one block of memory (a
    /// transposed array reaches a kernel's `View<T, D>` as it is); a
    /// strided one is copied in C order. Returns when the copy is
    /// complete.
    pub fn to_device<A: HostArray + ?Sized>(
        self: &Arc<Self>,
        host: &A,
    ) -> Result<DeviceArray<A::Elem>> {
        let img = host.image()?;
        let _g = self.exclusive();
        let mut a = self.alloc_array::<A::Elem>("device copy", img.data.len())?;
        a.enqueue_from_host(&img.data)?;
        self.synchronize()?;
        a.layout = img.layout;
        a.origin = img.origin;
        Ok(a)
    }
}

/// A GPU's memory: the [`Launcher::Memory`](hotloop_device::host::Launcher)
/// of a [`Module`](crate::Module) and its streams, which launch kernels on
/// [`DeviceArray`]s and slices of them ([`DeviceBuffer::slice`]).
#[derive(Debug)]
pub enum GpuMemory {}

// SAFETY: `buf` is the array's own device allocation, holding its layout's
// span from `addr()`, freed only after its streams' work; `&self` methods
// do not write it, and `&mut self` is the only access from the host.
unsafe impl<T: DeviceCopy> DeviceBuffer<T> for DeviceArray<T> {
    type Memory = GpuMemory;
}

// SAFETY: as above.
unsafe impl<T: DeviceCopy> DeviceBufferMut<T> for DeviceArray<T> {}

/// `Err` unless `b`'s elements lie one after another in C order from its
/// address, as a copy in one piece needs.
pub(crate) fn check_contiguous<T, B: Buffer<T> + ?Sized>(b: &B) -> Result<()> {
    let layout = b.layout();
    if layout.is_standard() {
        return Ok(());
    }
    Err(Error::NotContiguous {
        name: "device array",
        shape: layout.shape().to_vec(),
        strides: layout.strides().to_vec(),
    })
}

impl<T: DeviceCopy> Buffer<T> for DeviceArray<T> {
    fn addr(&self) -> u64 {
        // Event tracking is off (hotloop orders its streams itself):
        // nothing to record.
        let (ptr, _record) = self.buf.device_ptr(&self.device.stream);
        ptr + (self.origin * size_of::<T>()) as u64
    }
    fn len(&self) -> usize {
        self.layout.len()
    }
    fn layout(&self) -> Layout {
        self.layout
    }
}

impl<T: DeviceCopy> DeviceArray<T> {
    /// Elements in the array.
    pub fn len(&self) -> usize {
        self.layout.len()
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Its shape and strides.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Its extents (Numba's `d.shape`).
    pub fn shape(&self) -> &[usize] {
        self.layout.shape()
    }

    /// Whether its elements lie in C order from the start of its memory,
    /// so that a flat copy moves them in logical order.
    fn is_flat(&self) -> bool {
        self.layout.is_standard() && self.origin == 0 && self.len == self.layout.len()
    }

    /// `Err` unless the array [is flat](Self::is_flat): what a copy of its
    /// memory in one piece needs.
    pub(crate) fn check_flat(&self) -> Result<()> {
        if self.is_flat() {
            return Ok(());
        }
        Err(Error::NotContiguous {
            name: "device array",
            shape: self.shape().to_vec(),
            strides: self.layout.strides().to_vec(),
        })
    }

    /// Gives the array `layout`, element `[0, 0, ..]` at `origin`.
    pub(crate) fn set_layout(&mut self, layout: Layout, origin: usize) {
        self.layout = layout;
        self.origin = origin;
    }

    /// Its memory as it is, every element once, allocated fallibly.
    fn memory(&self) -> Result<Vec<T>> {
        let mut out = try_vec_with_capacity("host copy of a device array", self.len)?;
        out.resize(self.len, T::from_raw(0));
        let _g = self.device.exclusive();
        self.enqueue_to_host(&mut out)?;
        self.device.synchronize()?;
        Ok(out)
    }

    /// The device the array lives on.
    pub fn device(&self) -> &Arc<Device> {
        &self.device
    }

    /// A host copy of the array in C order, its logical order
    /// (`copy_to_host()`, flattened), allocated fallibly.
    pub fn copy_to_host(&self) -> Result<Vec<T>> {
        if self.is_flat() {
            return self.memory();
        }
        logical(&self.memory()?, &self.layout, self.origin)
    }

    /// A host copy with the array's shape (`copy_to_host()`).
    pub fn copy_to_host_array(&self) -> Result<ArrayD<T>> {
        to_ndarray(&self.memory()?, &self.layout, self.origin)
    }

    /// Copies the array into `out` in C order, which must have as many
    /// elements.
    pub fn copy_to_host_into(&self, out: &mut [T]) -> Result<()> {
        check_same_shape("device array", self.shape(), "host array", &[out.len()])?;
        if !self.is_flat() {
            out.copy_from_slice(&self.copy_to_host()?);
            return Ok(());
        }
        let _g = self.device.exclusive();
        self.enqueue_to_host(out)?;
        self.device.synchronize()
    }

    /// Overwrites the array with `host`, its elements in C order, which
    /// must have as many elements (Numba's `d.copy_to_device(ary)`): a
    /// device array reused without a new allocation. Only for an array in
    /// C order (a flat one, or one of a C-order host array's shape); make
    /// another with `to_device` for a transposed one.
    pub fn copy_to_device(&mut self, host: &[T]) -> Result<()> {
        check_same_shape("host array", &[host.len()], "device array", &[self.len()])?;
        self.check_flat()?;
        let device = self.device.clone();
        let _g = device.exclusive();
        self.enqueue_from_host(host)?;
        device.synchronize()
    }

    /// The same elements with another shape in C order (Numba's
    /// `d.reshape(shape)`), without a copy: for an array in C order whose
    /// length the new shape keeps; `Err` otherwise, and the array is
    /// dropped.
    pub fn reshape(mut self, shape: impl IntoDimension) -> Result<DeviceArray<T>> {
        let shape = shape.into_dimension();
        self.layout = reshape(self.layout, self.origin, shape.slice())?;
        Ok(self)
    }

    /// Overwrites the array with `other`'s elements, device to device
    /// (Numba's `d.copy_to_device(d_other)`); both in C order, of the same
    /// length. `other` may be on another GPU: a peer copy (direct where
    /// the devices allow it, else the driver stages it through the host).
    pub fn copy_from_device(&mut self, other: &DeviceArray<T>) -> Result<()> {
        check_same_shape(
            "source device array",
            other.shape(),
            "device array",
            &[self.len()],
        )?;
        self.check_flat()?;
        other.check_flat()?;
        if self.is_empty() {
            return Ok(());
        }
        if !Arc::ptr_eq(&self.device, &other.device) {
            // The source's own streams finish writing it first.
            other.device.wait_for_streams();
        }
        let device = self.device.clone();
        let _g = device.exclusive();
        let n = byte_len::<T>(self.len)?;
        device
            .stream
            .memcpy_dtod(&other.buf.slice(..n), &mut self.buf)
            .during("device-to-device copy")?;
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
