//! Module loading: a PTX module of kernels loaded on a device (a user's
//! crate's, or the built-in one), as the [`Launcher`] every `#[kernel]`'s
//! typed launcher takes.
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

use crate::array::DeviceArray;
use crate::device::Device;
use crate::driver::{During, describe};
use crate::launch::Held;
use cudarc::driver::CudaModule;
use cudarc::nvrtc::Ptx;
use hotloop_core::abi::{KernelModule, ModuleRef};
use hotloop_device::DeviceCopy;
use hotloop_device::host::{Args, Grid, KernelInfo, Launcher};
use hotloop_runtime::transfer::HostArray;
use hotloop_runtime::{Error, Result};
use std::sync::{Arc, PoisonError};

/// A PTX module of kernels, loaded on one device.
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
            module: device.module(ModuleRef::Crate(kernels))?,
        })
    }

    /// hotloop's built-in kernels (`hotloop-kernels`) on `device`, to
    /// launch them on device arrays as any kernel
    /// (`hotloop_kernels::add_scalar::launch::<f64, _>(&module, ..)`).
    pub fn builtin(device: &Arc<Device>) -> Self {
        Self {
            device: device.clone(),
            module: device.builtin.clone(),
        }
    }

    /// The device the module lives on.
    pub fn device(&self) -> &Arc<Device> {
        &self.device
    }

    /// The loaded module.
    pub(crate) fn cuda_module(&self) -> &Arc<CudaModule> {
        &self.module
    }

    /// A device copy of `host`, its shape kept (`cuda.to_device`; see
    /// [`Device::to_device`]).
    pub fn to_device<A: HostArray + ?Sized>(&self, host: &A) -> Result<DeviceArray<A::Elem>> {
        self.device.to_device(host)
    }

    /// A zeroed device array of `shape` (`cuda.device_array`).
    pub fn device_array<T: DeviceCopy>(
        &self,
        shape: impl ndarray::IntoDimension,
    ) -> Result<DeviceArray<T>> {
        self.device.device_array(shape)
    }

    /// A zeroed device array with `like`'s shape and strides
    /// (`cuda.device_array_like`).
    pub fn device_array_like<T: DeviceCopy>(
        &self,
        like: &DeviceArray<T>,
    ) -> Result<DeviceArray<T>> {
        self.device.device_array_like(like)
    }

    /// Waits for the device's work (`cuda.synchronize()`).
    pub fn synchronize(&self) -> Result<()> {
        self.device.synchronize()
    }
}

// SAFETY: `body` is never called: the GPU runs the PTX entry point.
unsafe impl Launcher for Module {
    type Memory = crate::array::GpuMemory;
    type Array<T: DeviceCopy> = DeviceArray<T>;
    /// The kernel's execution time (CUDA events, read after a synchronize).
    type Run = std::time::Duration;
    type Error = Error;

    fn launch(
        &self,
        kernel: &'static KernelInfo,
        grid: Grid,
        args: &Args,
        body: &(dyn Fn(&Args) + Sync),
    ) -> Result<std::time::Duration> {
        let _g = self.device.exclusive();
        Held {
            device: &self.device,
            module: self.module.clone(),
        }
        .launch(kernel, grid, args, body)
    }
}

impl Device {
    /// The loaded module `kernels` names: the built-in one as opened (from
    /// `$HOTLOOP_PTX_DIR` if set), another crate's loaded on first use (the
    /// newest architecture it has that the device runs), or why not.
    pub(crate) fn module(&self, kernels: ModuleRef) -> Result<Arc<CudaModule>> {
        let kernels = match kernels {
            ModuleRef::Builtin => return Ok(self.builtin.clone()),
            ModuleRef::Crate(k) => k,
        };
        let key = kernels as *const KernelModule as usize;
        let mut cache = self.modules.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(m) = cache.get(&key) {
            return Ok(m.clone());
        }
        let unsupported = |reason: String| Error::Unsupported {
            op: format!("the kernels of `{}`", kernels.name),
            backend: crate::BACKEND,
            reason,
        };
        if let Some(why) = kernels.missing() {
            return Err(unsupported(format!(
                "the crate was built without its PTX ({why}); its build.rs builds it with \
                 hotloop-build, which needs the rust-src, llvm-bitcode-linker and llvm-tools \
                 components"
            )));
        }
        let (major, minor) = self.info.compute_capability;
        let device = (major.max(0) as u32) * 10 + minor.max(0) as u32;
        let (arch, text) = kernels
            .ptx
            .iter()
            .find(|(arch, _)| {
                arch.strip_prefix("sm_")
                    .and_then(|n| n.parse::<u32>().ok())
                    .is_some_and(|need| need <= device)
            })
            .ok_or_else(|| {
                unsupported(format!(
                    "its PTX is built for {:?}, all newer than this device's sm_{device}",
                    kernels.ptx.iter().map(|(a, _)| *a).collect::<Vec<_>>()
                ))
            })?;
        let module = self
            .ctx
            .load_module(Ptx::from_src(*text))
            .map_err(|e| Error::Device {
                name: format!("{e:?}"),
                during: "loading a kernels module",
                message: format!("`{}` ({arch}): {}", kernels.name, describe(&e)),
            })?;
        cache.insert(key, module.clone());
        Ok(module)
    }

    /// The built-in kernels' module, for an operation that holds the
    /// device.
    pub(crate) fn builtin(self: &Arc<Self>) -> Held<'_> {
        Held {
            device: self,
            module: self.builtin.clone(),
        }
    }
}
