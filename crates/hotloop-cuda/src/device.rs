//! Opening a device: the one probe point, and the per-device state.

use crate::driver::{During, describe, mark_driver_loaded, panic_text};
use crate::ptx;
use cudarc::driver::sys::{self, CUdevice_attribute};
use cudarc::driver::{CudaContext, CudaModule, CudaStream, result};
use cudarc::nvrtc::Ptx;
use hotloop_runtime::{Error, LaunchConfig, Result};
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// The oldest driver the backend runs on: CUDA 12.0, as `cuDriverGetVersion`
/// reports it (`1000 * major + 10 * minor`).
pub const MIN_DRIVER_VERSION: i32 = 12000;

/// Blocks per multiprocessor of the default launch: enough resident blocks
/// to hide memory latency, few enough that the grid-stride loops (not block
/// scheduling) do the work on large inputs.
pub const BLOCKS_PER_MULTIPROCESSOR: u32 = 32;

/// What the driver says about an opened device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    /// The device ordinal.
    pub ordinal: usize,
    /// The device's name ("NVIDIA H100 80GB HBM3").
    pub name: String,
    /// Compute capability (major, minor).
    pub compute_capability: (i32, i32),
    /// Streaming multiprocessors.
    pub multiprocessors: u32,
    /// Device memory, bytes.
    pub total_memory: u64,
    /// CUDA version the driver supports (major, minor).
    pub driver_version: (i32, i32),
    /// The PTX file loaded.
    pub ptx_path: PathBuf,
    /// Its architecture ("sm_90").
    pub ptx_arch: &'static str,
    /// Its PTX ISA version, if it declares one.
    pub ptx_isa: Option<String>,
    /// Time to load the module (the driver JIT-compiles the PTX to the
    /// device's machine code): a one-time cost per process and device.
    pub module_load: Duration,
}

/// An opened CUDA device with the built-in kernels loaded: a context, the
/// stream every operation runs on, and its kernel modules.
///
/// Operations of the default stream (the synchronous API) are serialized
/// (one at a time), so the CUDA events that time them measure only their
/// own work; a [`crate::Stream`]'s run beside them.
pub struct Device {
    pub(crate) info: DeviceInfo,
    pub(crate) ctx: Arc<CudaContext>,
    pub(crate) stream: Arc<CudaStream>,
    /// The built-in kernels' module, loaded when the device was opened.
    pub(crate) builtin: Arc<CudaModule>,
    /// Other crates' kernel modules, loaded on first use, by address.
    pub(crate) modules: Mutex<HashMap<usize, Arc<CudaModule>>>,
    lock: Mutex<()>,
    /// Streams ([`crate::Stream`]) alive on the device: while there are
    /// any, the default stream's operations and frees wait for them.
    pub(crate) live_streams: AtomicUsize,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device").field("info", &self.info).finish()
    }
}

impl Device {
    /// What the driver says about this device.
    pub fn info(&self) -> &DeviceInfo {
        &self.info
    }

    /// The launch a kernel over `items` work items gets by default:
    /// [`LaunchConfig::for_items`] capped at
    /// [`BLOCKS_PER_MULTIPROCESSOR`] blocks per multiprocessor.
    pub fn default_launch(&self, items: u64) -> LaunchConfig {
        LaunchConfig::for_items(
            items,
            self.info
                .multiprocessors
                .saturating_mul(BLOCKS_PER_MULTIPROCESSOR),
        )
    }

    /// Waits for all work on the device's stream, reporting any error a
    /// kernel raised asynchronously (`cuda.synchronize()`).
    pub fn synchronize(&self) -> Result<()> {
        self.stream.synchronize().during("synchronize")?;
        self.check_deferred()
    }

    /// Errors the bindings recorded where they could not return one (frees
    /// in destructors).
    pub(crate) fn check_deferred(&self) -> Result<()> {
        self.ctx.check_err().during("deferred device operation")
    }

    /// Holds the device for one operation of the default stream, which
    /// (as Numba's default stream does) starts after every stream's work so
    /// far.
    pub(crate) fn exclusive(&self) -> MutexGuard<'_, ()> {
        let g = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.wait_for_streams();
        g
    }

    /// Waits for every stream's work, if the device has streams; an error
    /// the wait meets is the next operation's to report (the context's
    /// errors are sticky).
    pub(crate) fn wait_for_streams(&self) {
        if self.live_streams.load(Ordering::Acquire) > 0 {
            let _ = self.ctx.synchronize();
        }
    }

    /// [`Error::InsufficientMemory`] if `bytes` exceeds the device's free
    /// memory (checked before allocating; the driver's own refusal is still
    /// reported, as `CUDA_ERROR_OUT_OF_MEMORY`).
    pub(crate) fn check_fits(&self, what: &'static str, bytes: u64) -> Result<()> {
        let (free, _) = self
            .ctx
            .mem_get_info()
            .during("querying free device memory")?;
        if bytes > free as u64 {
            return Err(Error::InsufficientMemory {
                what,
                requested: bytes,
                available: free as u64,
            });
        }
        Ok(())
    }
}

/// Whether the CUDA driver library (`libcuda.so.1`, `nvcuda.dll`) can be
/// loaded. Never panics.
pub fn driver_library_present() -> bool {
    // SAFETY: only tries to dlopen the candidate names (and closes them).
    unsafe { sys::is_culib_present() }
}

/// The probe: every kind of driver call the backend makes is made here
/// first, inside `catch_unwind`, so a missing library or symbol becomes a
/// reason rather than a panic later.
pub(crate) fn open(ordinal: usize) -> std::result::Result<Arc<Device>, String> {
    probe(|| open_with_driver(ordinal))
}

/// The number of devices the driver reports (at least one), or why there
/// is none to use.
pub(crate) fn count() -> std::result::Result<usize, String> {
    probe(init_and_count)
}

/// `cuInit`, then the number of devices (at least one). The library loaded
/// (checked by [`probe`]); its error descriptions can be asked for even if
/// `cuInit` fails.
fn init_and_count() -> std::result::Result<usize, String> {
    mark_driver_loaded();
    result::init().map_err(|e| format!("cuInit failed: {}", describe(&e)))?;
    let count = CudaContext::device_count()
        .map_err(|e| format!("cuDeviceGetCount failed: {}", describe(&e)))?;
    match usize::try_from(count) {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("the driver reports no CUDA device".to_string()),
    }
}

/// `call` once the driver library is known to load, inside `catch_unwind`
/// (a missing symbol panics in the bindings).
fn probe<R>(
    call: impl FnOnce() -> std::result::Result<R, String>,
) -> std::result::Result<R, String> {
    if !driver_library_present() {
        return Err(
            "the CUDA driver library (libcuda.so.1) was not found: no NVIDIA driver is \
             installed, or it is not on the dynamic loader's path (LD_LIBRARY_PATH)"
                .to_string(),
        );
    }
    match catch_unwind(AssertUnwindSafe(call)) {
        Ok(result) => result,
        Err(payload) => Err(format!(
            "the CUDA driver failed while being probed ({}); the installed driver may be \
             older than CUDA 12.0, which hotloop needs",
            panic_text(payload.as_ref())
        )),
    }
}

fn open_with_driver(ordinal: usize) -> std::result::Result<Arc<Device>, String> {
    let count = init_and_count()?;
    let mut version = 0;
    // SAFETY: writes one int.
    unsafe { sys::cuDriverGetVersion(&mut version) }
        .result()
        .map_err(|e| format!("cuDriverGetVersion failed: {}", describe(&e)))?;
    let driver_version = (version / 1000, version % 1000 / 10);
    if version < MIN_DRIVER_VERSION {
        return Err(format!(
            "the NVIDIA driver is too old: it supports CUDA {}.{}, hotloop needs CUDA 12.0 or newer",
            driver_version.0, driver_version.1
        ));
    }
    if ordinal >= count {
        return Err(format!(
            "device {ordinal} was requested but the driver reports {count} device(s)"
        ));
    }
    let ctx = CudaContext::new(ordinal).map_err(|e| {
        format!(
            "creating a context on device {ordinal} failed: {}",
            describe(&e)
        )
    })?;
    // hotloop orders its streams itself (the default stream's operations
    // and every free wait for them): the bindings' per-buffer events are
    // not needed.
    // SAFETY: no slice of this context exists yet; a buffer used on a
    // stream is freed only after the device's streams have finished.
    unsafe { ctx.disable_event_tracking() };
    let query = |e| format!("querying device {ordinal} failed: {}", describe(&e));
    let name = ctx.name().map_err(query)?;
    let compute_capability = ctx.compute_capability().map_err(query)?;
    let multiprocessors = ctx
        .attribute(CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)
        .map_err(query)?
        .max(1) as u32;
    let total_memory = ctx.total_mem().map_err(query)? as u64;

    let (source, ptx_arch, ptx_path) = ptx::select(compute_capability)?;
    let ptx_isa = ptx::isa_version(&source).map(str::to_string);
    let started = Instant::now();
    let module = ctx.load_module(Ptx::from_src(source.as_ref())).map_err(|e| {
        let isa = ptx_isa.as_deref().unwrap_or("unknown");
        match e.0 {
            sys::CUresult::CUDA_ERROR_UNSUPPORTED_PTX_VERSION => format!(
                "the NVIDIA driver (CUDA {}.{}) is too old for PTX ISA {isa} in {}: update the driver",
                driver_version.0,
                driver_version.1,
                ptx_path.display()
            ),
            _ => format!("loading {} failed: {}", ptx_path.display(), describe(&e)),
        }
    })?;
    let module_load = started.elapsed();
    let device = Arc::new(Device {
        info: DeviceInfo {
            ordinal,
            name,
            compute_capability,
            multiprocessors,
            total_memory,
            driver_version,
            ptx_path,
            ptx_arch,
            ptx_isa,
            module_load,
        },
        stream: ctx.default_stream(),
        ctx,
        builtin: module,
        modules: Mutex::new(HashMap::new()),
        lock: Mutex::new(()),
        live_streams: AtomicUsize::new(0),
    });
    Ok(device)
}
