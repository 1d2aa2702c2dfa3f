//! Mapped host memory on the simulator (Numba's `cuda.mapped_array`):
//! memory the host and kernels both reach in place, with the GPU's rules:
//! the host's access first waits for every stream's work.

use crate::kernel::{SimMemory, Simulator};
use hotloop_device::DeviceCopy;
use hotloop_device::host::{Buffer, DeviceBuffer, DeviceBufferMut};
use hotloop_runtime::Result;

/// `len` elements of host memory that the simulator's kernels read and
/// write in place ([`Simulator::mapped_array`]).
#[derive(Debug)]
pub struct SimMappedArray<T> {
    data: Vec<T>,
    device: u64,
}

impl Simulator {
    /// `len` zeroed elements of "mapped" host memory
    /// (`cuda.mapped_array(len, dtype)`).
    pub fn mapped_array<T: DeviceCopy>(&self, len: usize) -> Result<SimMappedArray<T>> {
        Ok(SimMappedArray {
            data: hotloop_runtime::try_zeroed_vec("mapped host array", len)?,
            device: self.device(),
        })
    }
}

impl<T> Drop for SimMappedArray<T> {
    fn drop(&mut self) {
        let lo = self.data.as_ptr() as u64;
        crate::order::forget(lo, lo + size_of_val(self.data.as_slice()) as u64);
    }
}

impl<T: DeviceCopy> SimMappedArray<T> {
    /// Elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether it has none.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Its elements, after every stream's work so far (on a GPU, a kernel
    /// may still be using them).
    pub fn as_slice(&self) -> Result<&[T]> {
        crate::order::default_stream(self.device);
        Ok(&self.data)
    }

    /// Its elements, writable, after every stream's work so far.
    pub fn as_mut_slice(&mut self) -> Result<&mut [T]> {
        crate::order::default_stream(self.device);
        Ok(&mut self.data)
    }
}

impl<T: DeviceCopy> Buffer<T> for SimMappedArray<T> {
    fn addr(&self) -> u64 {
        self.data.as_ptr() as u64
    }
    fn len(&self) -> usize {
        self.data.len()
    }
}

// SAFETY: `data` is its own allocation, flat; written only through
// `&mut self`.
unsafe impl<T: DeviceCopy> DeviceBuffer<T> for SimMappedArray<T> {
    type Memory = SimMemory;
}

// SAFETY: as above.
unsafe impl<T: DeviceCopy> DeviceBufferMut<T> for SimMappedArray<T> {}
