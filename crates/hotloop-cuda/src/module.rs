//! A user's kernels on the GPU: a PTX module loaded on a device, as the
//! [`Launcher`] every `#[kernel]`'s typed launcher takes.
//!
//! ```ignore
//! let module = Module::load(&hotloop_cuda::device(0)?, MY_KERNELS_PTX)?;
//! let d_in = module.to_device(&input)?;
//! let mut d_out = module.device_array_like(&d_in)?;
//! add_two::launch(&module, (blocks, threads), &d_in, &mut d_out)?;
//! module.synchronize()?;
//! let out = d_out.copy_to_host()?;
//! ```
//!
//! A device loads any number of modules. The kernel's entry is looked up
//! by the name its `#[kernel]` metadata gives, and each argument is pushed
//! as the signature says (a buffer as its device pointer and `u64` length,
//! a scalar by value): the same expansion wrote the entry point, so they
//! cannot disagree. A missing entry, a launch beyond the device's limits
//! and device out-of-memory are typed errors.

use crate::device::Device;
use crate::driver::During;
use crate::timing::{Span, TIMED};
use cudarc::driver::{CudaFunction, CudaModule, CudaSlice, DevicePtr, DeviceRepr, PushKernelArg};
use cudarc::nvrtc::Ptx;
use hotloop_core::abi::{KernelModule, ValueBytes};
use hotloop_device::host::{Args, Buffer, Grid, KernelInfo, Launcher, ParamKind};
use hotloop_device::{DeviceCopy, Elem};
use hotloop_runtime::{Error, Result};
use std::marker::PhantomData;
use std::sync::Arc;

/// A PTX module of a user's kernels, loaded on one device.
pub struct Module {
    device: Arc<Device>,
    module: Arc<CudaModule>,
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module")
            .field("device", &self.device.info.ordinal)
            .finish()
    }
}

/// An array of any [`DeviceCopy`] type in device memory, for users'
/// kernels.
pub struct DeviceBuffer<T> {
    buf: CudaSlice<u8>,
    len: usize,
    device: Arc<Device>,
    _elem: PhantomData<T>,
}

impl<T: DeviceCopy> Buffer<T> for DeviceBuffer<T> {
    fn addr(&self) -> u64 {
        let (ptr, _sync) = self.buf.device_ptr(&self.device.stream);
        ptr
    }
    fn len(&self) -> usize {
        self.len
    }
}

impl<T: DeviceCopy> DeviceBuffer<T> {
    /// A host copy (`copy_to_host()`).
    pub fn copy_to_host(&self) -> Result<Vec<T>> {
        let mut out = vec![T::from_raw(0); self.len];
        if self.len > 0 {
            let _g = self.device.exclusive();
            // SAFETY: `out` is `len` elements of plain data.
            let bytes = unsafe {
                std::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<u8>(), size_of_val(&out[..]))
            };
            let n = bytes.len();
            self.device
                .stream
                .memcpy_dtoh(&self.buf.slice(..n), bytes)
                .during("device-to-host copy")?;
            self.device.synchronize()?;
        }
        Ok(out)
    }
}

impl Module {
    /// Loads `ptx` (the text the kernel build wrote) on `device`: the
    /// driver JIT-compiles it for the device. A module built for a newer
    /// architecture than the device's is the driver's typed error.
    pub fn load(device: &Arc<Device>, ptx: &str) -> Result<Self> {
        let module = device
            .ctx
            .load_module(Ptx::from_src(ptx))
            .during("loading a kernels module")?;
        Ok(Self {
            device: device.clone(),
            module,
        })
    }

    /// The kernels of a crate that embeds its own PTX (`crate::KERNELS`,
    /// from `hotloop_device::kernel_module!()`): the newest architecture it
    /// has that the device runs, loaded once per device; a crate built
    /// without its PTX is an [`Error::Unsupported`] saying why.
    pub fn of_crate(device: &Arc<Device>, kernels: &'static KernelModule) -> Result<Self> {
        Ok(Self {
            device: device.clone(),
            module: device.module(kernels)?,
        })
    }

    /// The device the module lives on.
    pub fn device(&self) -> &Arc<Device> {
        &self.device
    }

    fn alloc<T: DeviceCopy>(&self, len: usize) -> Result<DeviceBuffer<T>> {
        let bytes = len
            .checked_mul(size_of::<T>())
            .ok_or_else(|| Error::IndexOverflow {
                shape: vec![len],
                index_type: "usize bytes",
            })?;
        Ok(DeviceBuffer {
            buf: self.device.alloc_bytes("device buffer", bytes)?,
            len,
            device: self.device.clone(),
            _elem: PhantomData,
        })
    }

    /// A device copy of `host` (`cuda.to_device`).
    pub fn to_device<T: DeviceCopy>(&self, host: &[T]) -> Result<DeviceBuffer<T>> {
        let _g = self.device.exclusive();
        let mut b = self.alloc::<T>(host.len())?;
        if !host.is_empty() {
            // SAFETY: plain data, `host.len()` elements.
            let bytes = unsafe {
                std::slice::from_raw_parts(host.as_ptr().cast::<u8>(), size_of_val(host))
            };
            self.device
                .stream
                .memcpy_htod(bytes, &mut b.buf)
                .during("host-to-device copy")?;
        }
        self.device.synchronize()?;
        Ok(b)
    }

    /// A zeroed device array (`cuda.device_array`).
    pub fn device_array<T: DeviceCopy>(&self, len: usize) -> Result<DeviceBuffer<T>> {
        let _g = self.device.exclusive();
        let mut b = self.alloc::<T>(len)?;
        self.device
            .stream
            .memset_zeros(&mut b.buf)
            .during("zeroing device memory")?;
        self.device.synchronize()?;
        Ok(b)
    }

    /// A zeroed device array with `like`'s length (`cuda.device_array_like`).
    pub fn device_array_like<T: DeviceCopy>(
        &self,
        like: &DeviceBuffer<T>,
    ) -> Result<DeviceBuffer<T>> {
        self.device_array(like.len)
    }

    /// Waits for the device's work (`cuda.synchronize()`).
    pub fn synchronize(&self) -> Result<()> {
        self.device.synchronize()
    }
}

/// The driver's launch shape, once CUDA's limits are checked.
pub(crate) fn cuda_config(grid: Grid) -> Result<cudarc::driver::LaunchConfig> {
    grid.check().map_err(Error::InvalidLaunch)?;
    let (b, t) = (grid.blocks, grid.threads);
    Ok(cudarc::driver::LaunchConfig {
        grid_dim: (b.x, b.y, b.z),
        block_dim: (t.x, t.y, t.z),
        shared_mem_bytes: 0,
    })
}

// SAFETY: `body` is never called: the GPU runs the PTX entry point.
unsafe impl Launcher for Module {
    type Array<T: DeviceCopy> = DeviceBuffer<T>;
    /// The kernel's execution time (CUDA events, read after a synchronize).
    type Run = std::time::Duration;
    type Error = Error;

    fn launch(
        &self,
        kernel: &'static KernelInfo,
        grid: Grid,
        args: &Args,
        _body: &(dyn Fn(&Args) + Sync),
    ) -> Result<std::time::Duration> {
        let function = function(&self.module, kernel)?;
        let _g = self.device.exclusive();
        launch_raw(&self.device, &function, kernel, grid, args)
    }
}

/// `kernel`'s entry in `module`, or a typed error naming it.
pub(crate) fn function(module: &Arc<CudaModule>, kernel: &KernelInfo) -> Result<CudaFunction> {
    module
        .load_function(kernel.name)
        .map_err(|e| Error::Device {
            name: format!("{e:?}"),
            during: "looking up a kernel's entry point",
            message: format!("the module has no entry `{}`", kernel.name),
        })
}

/// A by-value parameter as the driver reads it: its bytes from its
/// address.
#[repr(transparent)]
struct ValueParam(ValueBytes);

// SAFETY: the driver copies the entry's declared parameter size from this
// value's address, where `ValueBytes` (`#[repr(C)]`) holds the bytes.
unsafe impl DeviceRepr for ValueParam {}

/// Launches `function` (the entry `kernel` describes) over `grid` with
/// `args`, pushed in the order and widths of `kernel`'s parameters, and
/// waits for it: its event-timed execution. Arguments that do not match the
/// parameters are refused before the launch. The caller holds the device.
pub(crate) fn launch_raw(
    device: &Device,
    function: &CudaFunction,
    kernel: &KernelInfo,
    grid: Grid,
    args: &Args,
) -> Result<std::time::Duration> {
    let config = cuda_config(grid)?;
    let raw = args.as_slice();
    let kinds: Vec<ParamKind> = raw.iter().map(|a| a.kind).collect();
    if kinds != kernel.params {
        return Err(Error::InvalidArgument {
            what: "kernel arguments",
            reason: format!(
                "`{}` takes {:?}, but {kinds:?} were pushed (a kernel built by another version \
                 of hotloop?)",
                kernel.name, kernel.params
            ),
        });
    }
    // Every value pushed must live until the launch: pointers and lengths
    // as u64, scalars in their own widths, values as their bytes.
    let mut words: Vec<u64> = Vec::with_capacity(2 * raw.len());
    let mut halves: Vec<u32> = Vec::with_capacity(raw.len());
    let mut values: Vec<ValueParam> = Vec::new();
    for a in raw {
        match a.kind {
            ParamKind::Slice(_) | ParamKind::Out(_) => words.extend([a.addr, a.value]),
            ParamKind::Scalar(Elem::F64 | Elem::U64 | Elem::I64) => words.push(a.value),
            ParamKind::Scalar(Elem::F32 | Elem::U32 | Elem::I32) => halves.push(a.value as u32),
            ParamKind::Value { .. } => {
                values.push(ValueParam(a.bytes.expect("a value argument has its bytes")))
            }
        }
    }
    let mut builder = device.stream.launch_builder(function);
    let (mut w, mut h, mut v) = (0, 0, 0);
    for a in raw {
        match a.kind {
            ParamKind::Slice(_) | ParamKind::Out(_) => {
                builder.arg(&words[w]).arg(&words[w + 1]);
                w += 2;
            }
            ParamKind::Scalar(Elem::F64 | Elem::U64 | Elem::I64) => {
                builder.arg(&words[w]);
                w += 1;
            }
            ParamKind::Scalar(Elem::F32 | Elem::U32 | Elem::I32) => {
                builder.arg(&halves[h]);
                h += 1;
            }
            ParamKind::Value { .. } => {
                builder.arg(&values[v]);
                v += 1;
            }
        }
    }
    builder.record_kernel_launch(TIMED);
    // SAFETY: the arguments follow the entry point's parameters (checked
    // above against the metadata generated from the same declaration as
    // the entry); the buffers are the caller's for the whole call, and the
    // kernel is waited for before it returns.
    let events = unsafe { builder.launch(config) }.during("kernel launch")?;
    device.stream.synchronize().during("kernel execution")?;
    let events = events.expect("record_kernel_launch was requested");
    Span::from_events(events).elapsed()
}
