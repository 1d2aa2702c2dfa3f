//! The host side of a kernel: what `#[kernel]` records about it, the
//! argument list its typed launcher builds, the [`Launcher`] a backend (the
//! simulator, a CUDA module) implements, and (from the crate's own module
//! for it) the simulated thread whose state the device functions read on
//! the host: [`Block`], [`SimThread`], [`set_current`], [`with_current`].

use crate::dim::Dim3;
use crate::elem::{DeviceCopy, Elem};
use crate::out::Out;
use crate::view::View;
use hotloop_core::abi::{ArrayParts, ByValue, DeviceValue, ValueBytes};
use std::format;
use std::string::{String, ToString};

pub use crate::collective::{
    BarrierOp, Collective, ShflMode, WarpCall, WarpFault, WarpOp, lanes_of, shfl_source,
};
pub use crate::shared::DYNAMIC_KEY;
pub use crate::sim_thread::{Block, SimThread, set_current, with_current};
pub use crate::slice::{ArraySlice, ArraySliceMut, DeviceBuffer, DeviceBufferMut, bytes_spanned};
pub use hotloop_core::abi::{KernelInfo, Layout, ParamKind};

/// A launch's configuration: `kernel[blocks, threads]`, each up to three
/// axes, with the block's dynamic shared memory (Numba's fourth launch
/// argument, `kernel[blocks, threads, stream, shared_bytes]`) and whether
/// the launch is cooperative.
///
/// ```rust
/// use hotloop_device::host::Grid;
///
/// let g = Grid::from((64, 256)).with_shared_bytes(256 * 8).cooperative();
/// assert_eq!((g.blocks.x, g.threads.x, g.shared_bytes, g.cooperative), (64, 256, 2048, true));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Grid {
    /// Blocks in the grid (`gridDim`).
    pub blocks: Dim3,
    /// Threads per block (`blockDim`).
    pub threads: Dim3,
    /// Dynamic shared memory per block, in bytes: what
    /// [`dynamic_shared_array`](crate::dynamic_shared_array) holds. A
    /// backend refuses a size beyond its device's limit before launching.
    pub shared_bytes: u32,
    /// Every block live at once, as [`grid_sync`](crate::grid_sync) needs
    /// (CUDA's cooperative launch): refused when the grid cannot be
    /// co-resident on the device.
    pub cooperative: bool,
}

impl<B: Into<Dim3>, T: Into<Dim3>> From<(B, T)> for Grid {
    /// `(blocks, threads)`, as Numba's `kernel[blocks, threads]`: each a
    /// `u32` or a 2- or 3-tuple; no dynamic shared memory, not cooperative.
    fn from((blocks, threads): (B, T)) -> Self {
        Self {
            blocks: blocks.into(),
            threads: threads.into(),
            shared_bytes: 0,
            cooperative: false,
        }
    }
}

impl Grid {
    /// The same launch with `bytes` of dynamic shared memory per block.
    pub const fn with_shared_bytes(mut self, bytes: u32) -> Self {
        self.shared_bytes = bytes;
        self
    }

    /// The same launch, cooperative: every block live at once, so that the
    /// kernel may call [`grid_sync`](crate::grid_sync).
    pub const fn cooperative(mut self) -> Self {
        self.cooperative = true;
        self
    }

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
    /// The bytes `[lo, hi)` a buffer's elements lie within
    /// ([`bytes_spanned`]); `None` for an empty buffer or a value.
    pub span: Option<(u64, u64)>,
}

/// The arguments of one launch, in parameter order, as the typed launcher
/// pushed them: each checked against the kernel's signature by the
/// compiler, since the launcher's own signature is generated from it.
#[derive(Clone, Debug)]
pub struct Args {
    args: [RawArg; MAX_PARAMS],
    len: usize,
    /// The first argument that does not fit its parameter (an array of
    /// the wrong number of axes, a strided one for a flat slice): the
    /// backend refuses the launch with it ([`Args::check`]).
    misfit: Option<String>,
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
                span: None,
            }; MAX_PARAMS],
            len: 0,
            misfit: None,
        }
    }

    /// `Err` with what does not fit, if an array pushed does not fit its
    /// parameter: what every backend checks before it launches.
    pub fn check(&self) -> Result<(), String> {
        match &self.misfit {
            Some(why) => Err(why.clone()),
            None => Ok(()),
        }
    }

    fn misfit(&mut self, why: String) {
        if self.misfit.is_none() {
            self.misfit = Some(format!("parameter {}: {why}", self.len));
        }
    }

    /// Records a flat parameter's array that is not in C order.
    fn check_flat(&mut self, layout: Layout, form: &str) {
        if !layout.is_standard() {
            self.misfit(format!(
                "{form} is a flat array, which needs its elements one after another in C order; \
                 this one has {layout:?}: take it as a `View<T, {}>` or `Out<T, {0}>`, which \
                 keep the strides",
                layout.ndim()
            ));
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
        self.check_flat(b.layout(), "`&[T]`");
        self.push(RawArg {
            kind: ParamKind::Slice(T::ELEM),
            addr: b.addr(),
            value: b.len() as u64,
            bytes: None,
            span: bytes_spanned::<T>((b.addr(), b.layout())),
        });
    }

    /// A buffer the kernel writes.
    pub fn out<T: DeviceCopy, B: Buffer<T> + ?Sized>(&mut self, b: &mut B) {
        self.check_flat(b.layout(), "`Out<T>`");
        self.push(RawArg {
            kind: ParamKind::Out(T::ELEM),
            addr: b.addr(),
            value: b.len() as u64,
            bytes: None,
            span: bytes_spanned::<T>((b.addr(), b.layout())),
        });
    }

    /// A read-only array of `D` axes (`View<T, D>`), with its shape and
    /// strides.
    pub fn array<T: DeviceCopy, B: Buffer<T> + ?Sized, const D: usize>(&mut self, b: &B) {
        self.push_array::<T, B, D>(b, false);
    }

    /// An array of `D` axes the kernel writes (`Out<T, D>`).
    pub fn array_out<T: DeviceCopy, B: Buffer<T> + ?Sized, const D: usize>(&mut self, b: &mut B) {
        self.push_array::<T, B, D>(b, true);
    }

    fn push_array<T: DeviceCopy, B: Buffer<T> + ?Sized, const D: usize>(
        &mut self,
        b: &B,
        written: bool,
    ) {
        let layout = b.layout();
        let mut parts = ArrayParts {
            ptr: b.addr(),
            shape: [0; D],
            strides: [0; D],
        };
        if layout.ndim() == D {
            for d in 0..D {
                parts.shape[d] = layout.shape()[d] as u64;
                parts.strides[d] = layout.strides()[d] as i64;
            }
        } else {
            let form = if written { "Out" } else { "View" };
            self.misfit(format!(
                "`{form}<T, {D}>` takes an array of {D} axes; this one has {} ({layout:?})",
                layout.ndim()
            ));
        }
        self.push(RawArg {
            kind: ParamKind::Array {
                elem: T::ELEM,
                dims: D as u8,
                written,
            },
            addr: b.addr(),
            value: layout.len() as u64,
            bytes: Some(ValueBytes::of(parts)),
            span: bytes_spanned::<T>((b.addr(), layout)),
        });
    }

    /// A scalar, by value.
    pub fn scalar<T: DeviceCopy>(&mut self, v: T) {
        self.push(RawArg {
            kind: ParamKind::Scalar(T::ELEM),
            addr: 0,
            value: v.to_raw(),
            bytes: None,
            span: None,
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
        let span = match kind {
            ParamKind::Slice(e) | ParamKind::Out(e) if value > 0 => {
                Some((addr, addr + value * e.size() as u64))
            }
            _ => None,
        };
        self.push(RawArg {
            kind,
            addr,
            value,
            bytes: None,
            span,
        });
    }

    /// A by-value parameter already in its raw form.
    pub fn push_value(&mut self, kind: ParamKind, bytes: ValueBytes) {
        self.push(RawArg {
            kind,
            addr: 0,
            value: bytes.size() as u64,
            bytes: Some(bytes),
            span: None,
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

    /// Argument `i`'s parts, pushed by [`Args::array`] or
    /// [`Args::array_out`].
    fn parts<const D: usize>(&self, i: usize) -> ArrayParts<D> {
        let bytes = self.args[i].bytes.expect("an array argument");
        // SAFETY: `push_array` wrote a `ByValue<ArrayParts<D>>` (the
        // callers' kinds say so), 8-aligned.
        unsafe { bytes.as_ptr().cast::<ByValue<ArrayParts<D>>>().read().value }
    }

    /// Argument `i` as a [`View`] over host memory.
    ///
    /// # Safety
    /// Argument `i` was pushed by [`Args::array`] with a `T` and `D`, from
    /// an array in host memory valid for `'a` at every in-bounds index.
    pub unsafe fn host_view<'a, T: DeviceCopy, const D: usize>(&self, i: usize) -> View<'a, T, D> {
        debug_assert_eq!(
            self.args[i].kind,
            ParamKind::Array {
                elem: T::ELEM,
                dims: D as u8,
                written: false
            }
        );
        // SAFETY: the caller's.
        unsafe { View::from_parts(&self.parts::<D>(i)) }
    }

    /// Argument `i` as an [`Out`] of `D` axes over host memory.
    ///
    /// # Safety
    /// As [`Args::host_view`], pushed by [`Args::array_out`].
    pub unsafe fn host_out_view<'a, T: DeviceCopy, const D: usize>(
        &self,
        i: usize,
    ) -> Out<'a, T, D> {
        debug_assert_eq!(
            self.args[i].kind,
            ParamKind::Array {
                elem: T::ELEM,
                dims: D as u8,
                written: true
            }
        );
        // SAFETY: the caller's.
        unsafe { Out::from_parts(&self.parts::<D>(i)) }
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
    /// The address of element `[0, 0, ..]`.
    fn addr(&self) -> u64;
    /// Elements.
    fn len(&self) -> usize;
    /// Its shape and strides; by default flat and contiguous. Every
    /// in-bounds index's element lies in the buffer's memory (a kernel
    /// reads and writes there unchecked beyond its shape's bounds).
    fn layout(&self) -> Layout {
        Layout::flat(self.len())
    }
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
/// implementation calls it only if its `Memory` is host memory (then the
/// [`DeviceBuffer`]s a launch borrows are valid for the whole launch), and
/// only from a simulated thread ([`set_current`]).
pub unsafe trait Launcher {
    /// Where the arrays its kernels take lie: a launch takes any
    /// [`DeviceBuffer`] of this kind, the backend's arrays and their
    /// slices.
    type Memory;
    /// The backend's arrays (device arrays on a GPU).
    type Array<T: DeviceCopy>: DeviceBufferMut<T, Memory = Self::Memory>;
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
