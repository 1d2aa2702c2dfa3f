//! The host side of a kernel: what `#[kernel]` records about it, the
//! argument list its typed launcher builds, the [`Launcher`] a backend (the
//! simulator, a CUDA module) implements, and the state of the simulated
//! thread that the device functions read on the host.

use crate::dim::Dim3;
use crate::elem::{DeviceCopy, Elem};
use crate::out::Out;
use hotloop_core::abi::{ByValue, DeviceValue, ValueBytes};
use std::cell::Cell;
use std::format;
use std::string::{String, ToString};

pub use hotloop_core::abi::{KernelInfo, ParamKind};

/// A launch shape: `kernel[blocks, threads]`, each up to three axes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Grid {
    /// Blocks in the grid (`gridDim`).
    pub blocks: Dim3,
    /// Threads per block (`blockDim`).
    pub threads: Dim3,
}

impl<B: Into<Dim3>, T: Into<Dim3>> From<(B, T)> for Grid {
    /// `(blocks, threads)`, as Numba's `kernel[blocks, threads]`: each a
    /// `u32` or a 2- or 3-tuple.
    fn from((blocks, threads): (B, T)) -> Self {
        Self {
            blocks: blocks.into(),
            threads: threads.into(),
        }
    }
}

impl Grid {
    /// Whether CUDA can launch this shape (every architecture since Volta):
    /// at least one block and thread on every axis, at most 1024 threads a
    /// block (64 along z), at most 2^31 - 1 blocks along x and 65535 along
    /// y and z. `Err` says which limit, for the backends' typed error.
    pub fn check(&self) -> Result<(), String> {
        let (b, t) = (self.blocks, self.threads);
        let why = if [b.x, b.y, b.z, t.x, t.y, t.z].contains(&0) {
            "every axis needs at least one block and one thread".to_string()
        } else if t.count() > 1024 {
            format!(
                "{} threads per block exceeds CUDA's limit of 1024",
                t.count()
            )
        } else if t.z > 64 {
            format!("{} threads along z exceeds CUDA's limit of 64", t.z)
        } else if b.x > i32::MAX as u32 || b.y > 65_535 || b.z > 65_535 {
            "blocks exceed CUDA's grid limits (2^31 - 1 along x, 65535 along y and z)".to_string()
        } else {
            return Ok(());
        };
        Err(format!("{b:?} blocks of {t:?} threads: {why}"))
    }
}

/// Most parameters a kernel may have.
pub const MAX_PARAMS: usize = 16;

/// One argument in its raw form: a buffer's address and length, a
/// scalar's bits, or a by-value parameter's bytes.
#[derive(Clone, Copy, Debug)]
pub struct RawArg {
    /// What it is.
    pub kind: ParamKind,
    /// A buffer's address (device or host, as the backend's arrays are).
    pub addr: u64,
    /// A buffer's length in elements; a scalar's bits; a value's size.
    pub value: u64,
    /// A [`ParamKind::Value`]'s bytes.
    pub bytes: Option<ValueBytes>,
}

/// The arguments of one launch, in parameter order, as the typed launcher
/// pushed them: each checked against the kernel's signature by the
/// compiler, since the launcher's own signature is generated from it.
#[derive(Clone, Debug)]
pub struct Args {
    args: [RawArg; MAX_PARAMS],
    len: usize,
}

impl Default for Args {
    fn default() -> Self {
        Self::new()
    }
}

impl Args {
    /// No arguments yet.
    pub const fn new() -> Self {
        Self {
            args: [RawArg {
                kind: ParamKind::Scalar(Elem::U32),
                addr: 0,
                value: 0,
                bytes: None,
            }; MAX_PARAMS],
            len: 0,
        }
    }

    fn push(&mut self, arg: RawArg) {
        assert!(
            self.len < MAX_PARAMS,
            "a kernel has at most {MAX_PARAMS} parameters"
        );
        self.args[self.len] = arg;
        self.len += 1;
    }

    /// A read-only buffer.
    pub fn slice<T: DeviceCopy, B: Buffer<T> + ?Sized>(&mut self, b: &B) {
        self.push(RawArg {
            kind: ParamKind::Slice(T::ELEM),
            addr: b.addr(),
            value: b.len() as u64,
            bytes: None,
        });
    }

    /// A buffer the kernel writes.
    pub fn out<T: DeviceCopy, B: Buffer<T> + ?Sized>(&mut self, b: &mut B) {
        self.push(RawArg {
            kind: ParamKind::Out(T::ELEM),
            addr: b.addr(),
            value: b.len() as u64,
            bytes: None,
        });
    }

    /// A scalar, by value.
    pub fn scalar<T: DeviceCopy>(&mut self, v: T) {
        self.push(RawArg {
            kind: ParamKind::Scalar(T::ELEM),
            addr: 0,
            value: v.to_raw(),
            bytes: None,
        });
    }

    /// A [`DeviceValue`] (an op, a shape), by value.
    pub fn value<V: DeviceValue>(&mut self, v: V) {
        self.push_value(ParamKind::value::<V>(), ValueBytes::of(v));
    }

    /// A buffer (`addr`, `len` elements) or a scalar (`value`'s bits) in
    /// its raw form, for backends that build arguments from a kernel's
    /// metadata.
    pub fn push_raw(&mut self, kind: ParamKind, addr: u64, value: u64) {
        self.push(RawArg {
            kind,
            addr,
            value,
            bytes: None,
        });
    }

    /// A by-value parameter already in its raw form.
    pub fn push_value(&mut self, kind: ParamKind, bytes: ValueBytes) {
        self.push(RawArg {
            kind,
            addr: 0,
            value: bytes.size() as u64,
            bytes: Some(bytes),
        });
    }

    /// The arguments pushed, in order.
    pub fn as_slice(&self) -> &[RawArg] {
        &self.args[..self.len]
    }

    /// Argument `i` as a host slice (the simulator's arrays are host
    /// memory).
    ///
    /// # Safety
    /// Argument `i` is a [`ParamKind::Slice`] of `T` whose address is host
    /// memory valid for `'a`.
    pub unsafe fn host_slice<'a, T: DeviceCopy>(&self, i: usize) -> &'a [T] {
        let a = self.args[i];
        debug_assert_eq!(a.kind, ParamKind::Slice(T::ELEM));
        if a.value == 0 {
            return &[];
        }
        // SAFETY: the caller's.
        unsafe { core::slice::from_raw_parts(a.addr as *const T, a.value as usize) }
    }

    /// Argument `i` as an [`Out`] over host memory.
    ///
    /// # Safety
    /// As [`Args::host_slice`], for a [`ParamKind::Out`].
    pub unsafe fn host_out<'a, T: DeviceCopy>(&self, i: usize) -> Out<'a, T> {
        let a = self.args[i];
        debug_assert_eq!(a.kind, ParamKind::Out(T::ELEM));
        // SAFETY: the caller's.
        unsafe { Out::from_raw(a.addr as *mut T, a.value as usize) }
    }

    /// Argument `i`, a value of `V`.
    ///
    /// # Safety
    /// Argument `i` was pushed by [`Args::value`] with a `V`.
    pub unsafe fn host_value<V: DeviceValue>(&self, i: usize) -> V {
        let a = self.args[i];
        debug_assert_eq!(a.kind, ParamKind::value::<V>());
        let bytes = a.bytes.expect("a by-value argument");
        // SAFETY: the caller's: `bytes` holds a `ByValue<V>`, 8-aligned.
        unsafe { bytes.as_ptr().cast::<ByValue<V>>().read().value }
    }

    /// Argument `i`, a scalar of `T`.
    pub fn scalar_at<T: DeviceCopy>(&self, i: usize) -> T {
        T::from_raw(self.args[i].value)
    }
}

/// An array a backend launches kernels on: its address (device or host)
/// and length.
///
/// The simulator's arrays are host memory; a `Vec` wrapper is enough:
///
/// ```rust
/// use hotloop_device::Elem;
/// use hotloop_device::host::{Args, Buffer, ParamKind};
///
/// struct HostArray(Vec<f64>);
///
/// impl Buffer<f64> for HostArray {
///     fn addr(&self) -> u64 {
///         self.0.as_ptr() as u64
///     }
///     fn len(&self) -> usize {
///         self.0.len()
///     }
/// }
///
/// // What a typed launcher does with a kernel's `&[f64]` and `Out<f64>`.
/// let (x, mut y) = (HostArray(vec![1.0, 2.0]), HostArray(vec![0.0; 2]));
/// let mut args = Args::new();
/// args.slice(&x);
/// args.out(&mut y);
/// assert_eq!(args.as_slice()[1].kind, ParamKind::Out(Elem::F64));
/// // SAFETY: argument 0 is a slice of f64 in host memory, alive here.
/// let seen: &[f64] = unsafe { args.host_slice(0) };
/// assert_eq!(seen, [1.0, 2.0]);
/// ```
pub trait Buffer<T> {
    /// The first element's address.
    fn addr(&self) -> u64;
    /// Elements.
    fn len(&self) -> usize;
    /// Whether it has no elements.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What runs a kernel: the simulator, or a loaded CUDA module. The typed
/// launcher `#[kernel]` generates (`my_kernel::launch(&launcher, grid,
/// args...)`) takes its arguments as this backend's arrays, pushes them
/// into an [`Args`], and hands them over with the kernel's body, which the
/// simulator runs and the GPU ignores (it runs the PTX entry point).
///
/// # Safety
/// `body` rebuilds host slices from the arguments' addresses: an
/// implementation calls it only if its arrays are host memory, valid for
/// the whole launch, and only from a simulated thread
/// ([`set_current`]).
pub unsafe trait Launcher {
    /// The backend's arrays (device arrays on a GPU).
    type Array<T: DeviceCopy>: Buffer<T>;
    /// What a launch returns (its timing on a GPU).
    type Run;
    /// What a launch can fail with.
    type Error;
    /// Runs `kernel` over `grid` with `args`; `body(args)` is one thread of
    /// the kernel, run on the host with the simulated thread's state set.
    fn launch(
        &self,
        kernel: &'static KernelInfo,
        grid: Grid,
        args: &Args,
        body: &(dyn Fn(&Args) + Sync),
    ) -> Result<Self::Run, Self::Error>;
}

/// What a simulated thread's block provides: the barrier, shared memory,
/// and a say in scheduling at each access to memory other threads write.
///
/// The simulator's blocks implement it; the smallest is a block of one
/// thread, which device code can then run on directly:
///
/// ```rust
/// use hotloop_device::host::{Block, SimThread, set_current};
/// use hotloop_device::{Dim3, shared_array, sync_threads, thread_idx};
/// use std::{collections::HashMap, sync::Mutex};
///
/// /// One thread: the barrier waits for nobody; shared arrays by key, zeroed.
/// #[derive(Default)]
/// struct Solo(Mutex<HashMap<u64, Box<[u64]>>>);
///
/// // SAFETY: `shared` returns `bytes` zeroed bytes, 8-aligned, that stay
/// // put (a Box) while the block lives, whatever is asked of it later.
/// unsafe impl Block for Solo {
///     fn sync_threads(&self) {}
///     fn shared(&self, key: u64, bytes: usize, align: usize) -> *mut u8 {
///         assert!(align <= 8); // u64 words: 8-aligned
///         let mut arrays = self.0.lock().unwrap();
///         let words = arrays.entry(key).or_insert_with(|| vec![0; bytes.div_ceil(8)].into());
///         assert!(words.len() * 8 >= bytes, "key {key} asked for two sizes");
///         words.as_mut_ptr().cast() // a Box: stays put as the map grows
///     }
/// }
///
/// let (block, one, origin) = (Solo::default(), Dim3::from(1), Dim3::default());
/// let t = SimThread { thread: origin, block: origin, block_dim: one, grid_dim: one, ctx: &block };
/// // SAFETY: `t` outlives its time as the current thread, reset below.
/// unsafe { set_current(&t) };
/// let a = shared_array!(u32, 4);
/// a.set(thread_idx().x as usize, 7);
/// sync_threads();
/// assert_eq!((a.get(0), a.get(1)), (7, 0));
/// // SAFETY: null: no simulated thread.
/// unsafe { set_current(core::ptr::null()) };
/// ```
///
/// # Safety
/// [`Block::shared`] returns memory that safe device code then reads and
/// writes through [`crate::SharedArray`]: it must be valid for `bytes`
/// bytes, aligned to `align`, initialised, and stay valid and in place for
/// as long as the block runs.
pub unsafe trait Block: Sync {
    /// Suspends the calling thread until every thread of the block has
    /// reached the barrier.
    fn sync_threads(&self);
    /// The block's shared array `key` of `bytes` bytes (zeroed on first
    /// use, aligned to `align`).
    fn shared(&self, key: u64, bytes: usize, align: usize) -> *mut u8;
    /// The running thread read (`wrote: false`) or wrote the element at
    /// `addr` of an array other threads may write ([`crate::Out`], a shared
    /// array), leaving or finding `bits` there. A thread spinning on such
    /// an element waits for another thread; the simulator uses these calls
    /// to let the others run, and to find a wait nothing will end. The
    /// default does nothing (a block of one thread has no one to wait for).
    fn access(&self, addr: usize, bits: u64, wrote: bool) {
        let _ = (addr, bits, wrote);
    }
}

/// Where a simulated thread sits, and its block.
pub struct SimThread<'a> {
    /// `threadIdx`.
    pub thread: Dim3,
    /// `blockIdx`.
    pub block: Dim3,
    /// `blockDim`.
    pub block_dim: Dim3,
    /// `gridDim`.
    pub grid_dim: Dim3,
    /// The block.
    pub ctx: &'a dyn Block,
}

impl SimThread<'_> {
    /// The block barrier.
    pub fn sync_threads(&self) {
        self.ctx.sync_threads()
    }

    /// The block's shared array `key`.
    pub fn shared(&self, key: u64, bytes: usize, align: usize) -> *mut u8 {
        self.ctx.shared(key, bytes, align)
    }
}

/// Tells the running simulated thread's block (if any: device code may run
/// on plain host threads too, as `Out::from_slice` allows) of an access to
/// memory other threads write; see [`Block::access`].
#[inline]
pub fn access(addr: usize, bits: u64, wrote: bool) {
    let p = CURRENT.with(Cell::get);
    if !p.is_null() {
        // SAFETY: as in `with_current`.
        unsafe { &*p }.ctx.access(addr, bits, wrote);
    }
}

std::thread_local! {
    static CURRENT: Cell<*const SimThread<'static>> = const { Cell::new(core::ptr::null()) };
}

/// Makes `t` the simulated thread the device functions on this OS thread
/// see (null: none); returns the previous one.
///
/// # Safety
/// `t` stays valid until it is replaced.
pub unsafe fn set_current(t: *const SimThread<'_>) -> *const SimThread<'static> {
    CURRENT.with(|c| c.replace(t.cast()))
}

/// Calls `f` with the simulated thread running on this OS thread.
///
/// # Panics
/// Outside a simulated launch: a device function called from host code.
pub fn with_current<R>(f: impl FnOnce(&SimThread<'_>) -> R) -> R {
    let p = CURRENT.with(Cell::get);
    assert!(
        !p.is_null(),
        "a device function (thread_idx, sync_threads, shared_array!, ...) was called outside a \
         kernel launch; launch the kernel on the simulator or a GPU"
    );
    // SAFETY: `set_current`'s contract keeps it valid while it is current,
    // which covers this call: only the simulator replaces it, between the
    // steps of its threads.
    f(unsafe { &*p })
}
