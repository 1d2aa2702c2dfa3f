//! How a kernel crosses to the device: the element types
//! ([`DeviceCopy`]) and parameter kinds a kernel's signature is made of,
//! the metadata `#[kernel]` and `#[device_op]` record from it, the values
//! an op passes by value, and the PTX module a kernel lives in.
//!
//! Nothing here is written by hand per kernel: the attribute macros read a
//! kernel's signature (or an op's trait impl) and generate its
//! [`KernelInfo`]; the CUDA host pushes arguments in the order the info
//! gives and the simulator unpacks them the same way, so the host and the
//! entry point cannot disagree.

use core::sync::atomic::{AtomicU8, AtomicU16, AtomicU32, AtomicU64, Ordering::Relaxed};

/// An element type's tag, as the kernel metadata records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Elem {
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// `u32`.
    U32,
    /// `i32`.
    I32,
    /// `u64`.
    U64,
    /// `i64`.
    I64,
    /// `u8` (images, bytes).
    U8,
    /// `i8`.
    I8,
    /// `u16`.
    U16,
    /// `i16` (waveforms, audio).
    I16,
    /// `bool` (masks), one byte: 0 or 1.
    Bool,
    /// `half::f16`, IEEE binary16 (arithmetic through `f32`).
    F16,
    /// `half::bf16`, bfloat16 (arithmetic through `f32`).
    BF16,
}

impl Elem {
    /// Bytes of one element.
    pub const fn size(self) -> usize {
        match self {
            Elem::U8 | Elem::I8 | Elem::Bool => 1,
            Elem::U16 | Elem::I16 | Elem::F16 | Elem::BF16 => 2,
            Elem::F32 | Elem::U32 | Elem::I32 => 4,
            Elem::F64 | Elem::U64 | Elem::I64 => 8,
        }
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A type a kernel takes by value or in a slice: `f32`, `f64`, `i8`, `u8`,
/// `i16`, `u16`, `i32`, `u32`, `i64`, `u64`, `bool`, and the half-precision
/// `half::f16` and `half::bf16` (every [`Real`](crate::Real) is one). Every
/// access through `hotloop-device`'s `Out` and `SharedArray` is a relaxed
/// atomic one of its width ([`DeviceCopy::store`], [`DeviceCopy::load`]).
///
/// Sealed (to these types); use it as the bound of device code that
/// works for any of them:
///
/// ```rust
/// use hotloop_core::abi::{DeviceCopy, Elem};
///
/// // A scalar argument crosses as its tag and its bits, zero-extended.
/// assert_eq!(<f32 as DeviceCopy>::ELEM, Elem::F32);
/// assert_eq!(f32::from_raw(1.5f32.to_raw()), 1.5);
/// ```
pub trait DeviceCopy: Copy + Send + Sync + 'static + sealed::Sealed {
    /// Its tag.
    const ELEM: Elem;
    /// Its bits, zero-extended to 64 (a scalar argument's raw form).
    fn to_raw(self) -> u64;
    /// From [`DeviceCopy::to_raw`]'s bits.
    fn from_raw(raw: u64) -> Self;
    /// A relaxed atomic store.
    ///
    /// # Safety
    /// `p` is valid and aligned for `Self`.
    unsafe fn store(p: *mut Self, v: Self);
    /// A relaxed atomic load.
    ///
    /// # Safety
    /// As [`DeviceCopy::store`].
    unsafe fn load(p: *const Self) -> Self;
}

macro_rules! device_copy {
    ($t:ty, $elem:ident, $atomic:ty, $bits:ty) => {
        impl sealed::Sealed for $t {}
        impl DeviceCopy for $t {
            const ELEM: Elem = Elem::$elem;
            #[inline(always)]
            fn to_raw(self) -> u64 {
                self.to_bits_() as u64
            }
            #[inline(always)]
            fn from_raw(raw: u64) -> Self {
                Self::from_bits_(raw as $bits)
            }
            #[inline(always)]
            unsafe fn store(p: *mut Self, v: Self) {
                // SAFETY: the caller's; same size and alignment.
                unsafe { <$atomic>::from_ptr(p.cast()) }.store(v.to_bits_(), Relaxed);
            }
            #[inline(always)]
            unsafe fn load(p: *const Self) -> Self {
                // SAFETY: as store.
                Self::from_bits_(unsafe { <$atomic>::from_ptr(p.cast_mut().cast()) }.load(Relaxed))
            }
        }
    };
}

/// Bit casts of every element type to its atomic's integer.
trait Bits<B> {
    fn to_bits_(self) -> B;
    fn from_bits_(b: B) -> Self;
}
macro_rules! bits {
    (float $t:ty, $b:ty) => {
        impl Bits<$b> for $t {
            #[inline(always)]
            fn to_bits_(self) -> $b {
                self.to_bits()
            }
            #[inline(always)]
            fn from_bits_(b: $b) -> Self {
                <$t>::from_bits(b)
            }
        }
    };
    (int $t:ty, $b:ty) => {
        impl Bits<$b> for $t {
            #[inline(always)]
            fn to_bits_(self) -> $b {
                self as $b
            }
            #[inline(always)]
            fn from_bits_(b: $b) -> Self {
                b as $t
            }
        }
    };
}
bits!(float f32, u32);
bits!(float f64, u64);
bits!(int u32, u32);
bits!(int i32, u32);
bits!(int u64, u64);
bits!(int i64, u64);
bits!(int u8, u8);
bits!(int i8, u8);
bits!(int u16, u16);
bits!(int i16, u16);
impl Bits<u8> for bool {
    #[inline(always)]
    fn to_bits_(self) -> u8 {
        u8::from(self)
    }
    // Any non-zero byte reads as `true`: a load never makes an invalid
    // `bool`, whatever the memory holds.
    #[inline(always)]
    fn from_bits_(b: u8) -> Self {
        b != 0
    }
}
device_copy!(f32, F32, AtomicU32, u32);
device_copy!(f64, F64, AtomicU64, u64);
device_copy!(u32, U32, AtomicU32, u32);
device_copy!(i32, I32, AtomicU32, u32);
device_copy!(u64, U64, AtomicU64, u64);
device_copy!(i64, I64, AtomicU64, u64);
device_copy!(u8, U8, AtomicU8, u8);
device_copy!(i8, I8, AtomicU8, u8);
device_copy!(u16, U16, AtomicU16, u16);
device_copy!(i16, I16, AtomicU16, u16);
device_copy!(bool, Bool, AtomicU8, u8);
// The `half` types have floats' `to_bits` and `from_bits`.
bits!(float half::f16, u16);
bits!(float half::bf16, u16);
device_copy!(half::f16, F16, AtomicU16, u16);
device_copy!(half::bf16, BF16, AtomicU16, u16);

/// How a parameter crosses to the device, as the macros read it from the
/// signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParamKind {
    /// `&[T]`: a pointer and a `u64` length, read-only.
    Slice(Elem),
    /// `Out<T>`: a pointer and a `u64` length, written.
    Out(Elem),
    /// `T` by value.
    Scalar(Elem),
    /// `View<T, D>` (read) or `Out<T, D>` (`written`): an array of `dims`
    /// axes with its shape and strides, crossing as one by-value
    /// [`ArrayParts<D>`] (in its [`ByValue`] wrapper).
    Array {
        /// The element type.
        elem: Elem,
        /// Its number of axes, `D`.
        dims: u8,
        /// Whether the kernel writes it (`Out<T, D>`).
        written: bool,
    },
    /// A [`DeviceValue`] (an op, a shape) by value: `size` bytes aligned
    /// to `align`, the PTX `.param .align A .b8 name[size]` that CUDA C
    /// would declare for the same `#[repr(C)]` struct.
    Value {
        /// Its size in bytes (of its [`ByValue`] wrapper).
        size: u32,
        /// Its alignment.
        align: u32,
    },
}

impl ParamKind {
    /// The size and alignment of a parameter passed as bytes (a value, or
    /// an array's [`ArrayParts`] in its [`ByValue`]); `None` for the
    /// others.
    pub const fn bytes(&self) -> Option<(u32, u32)> {
        match *self {
            ParamKind::Value { size, align } => Some((size, align)),
            // The address, D extents and D strides (8 bytes each), then
            // `ByValue`'s pad word, rounded up to the alignment, 8.
            ParamKind::Array { dims, .. } => Some((16 * dims as u32 + 16, 8)),
            _ => None,
        }
    }

    /// The kind of a [`ByValue<V>`] parameter.
    pub const fn value<V: DeviceValue>() -> Self {
        ParamKind::Value {
            size: size_of::<ByValue<V>>() as u32,
            align: align_of::<ByValue<V>>() as u32,
        }
    }
}

/// Most axes an array has on its way to a kernel: NumPy allows 64, a
/// kernel's views have a few; eight keep a [`Layout`] a small `Copy`
/// value.
pub const MAX_DIMS: usize = 8;

/// An array's axes: the extent and the stride (in elements; negative for a
/// reversed axis, zero for a broadcast one) of each, as ndarray keeps them,
/// relative to its element `[0, 0, ..]`. What a device array keeps of the
/// host array it was copied from, so that a transposed or sliced array
/// reaches a kernel's `View<T, D>` as it is.
///
/// ```rust
/// use hotloop_core::abi::Layout;
///
/// let c = Layout::standard(&[2, 3]).unwrap();
/// assert_eq!((c.shape(), c.strides()), (&[2, 3][..], &[3, 1][..]));
/// assert!(c.is_standard() && c.is_dense());
/// let t = Layout::new(&[3, 2], &[1, 3]).unwrap(); // its transpose
/// assert!(!t.is_standard() && t.is_dense());
/// assert_eq!(t.span(), Some((0, 5)));
/// let every_other = Layout::new(&[3], &[2]).unwrap();
/// assert!(!every_other.is_dense());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Layout {
    ndim: u8,
    shape: [usize; MAX_DIMS],
    strides: [isize; MAX_DIMS],
}

impl core::fmt::Debug for Layout {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "shape {:?}, strides {:?}", self.shape(), self.strides())
    }
}

impl Layout {
    /// A flat, contiguous array of `len` elements.
    pub const fn flat(len: usize) -> Self {
        let mut shape = [0; MAX_DIMS];
        let mut strides = [0; MAX_DIMS];
        shape[0] = len;
        strides[0] = 1;
        Self {
            ndim: 1,
            shape,
            strides,
        }
    }

    /// `shape` in C order (the last axis contiguous), NumPy's and
    /// ndarray's default; `None` for more than [`MAX_DIMS`] axes, none, or
    /// more elements than an `isize` counts.
    pub fn standard(shape: &[usize]) -> Option<Self> {
        let mut strides = [0isize; MAX_DIMS];
        let mut step: isize = 1;
        for (s, &n) in strides.iter_mut().zip(shape).rev() {
            *s = step;
            step = step.checked_mul(isize::try_from(n).ok()?)?;
        }
        Self::new(shape, &strides[..shape.len().min(MAX_DIMS)])
    }

    /// `shape` with `strides` (in elements); `None` if their lengths differ,
    /// there are none or more than [`MAX_DIMS`], or the elements or the
    /// span of offsets overflow an `isize`.
    pub fn new(shape: &[usize], strides: &[isize]) -> Option<Self> {
        if shape.len() != strides.len() || shape.is_empty() || shape.len() > MAX_DIMS {
            return None;
        }
        let mut l = Self {
            ndim: shape.len() as u8,
            shape: [0; MAX_DIMS],
            strides: [0; MAX_DIMS],
        };
        l.shape[..shape.len()].copy_from_slice(shape);
        l.strides[..shape.len()].copy_from_slice(strides);
        let mut len: isize = 1;
        let mut reach: isize = 0;
        for (&n, &s) in shape.iter().zip(strides) {
            let n = isize::try_from(n).ok()?;
            len = len.checked_mul(n)?;
            if n > 0 {
                reach = reach.checked_add((n - 1).checked_mul(s.checked_abs()?)?)?;
            }
        }
        Some(l)
    }

    /// This layout's elements with `shape` instead, in C order, without
    /// moving them (NumPy's `reshape` of a contiguous array): `None` unless
    /// this layout is in C order and `shape` has as many elements.
    pub fn reshape(&self, shape: &[usize]) -> Option<Self> {
        let new = Self::standard(shape)?;
        (self.is_standard() && new.len() == self.len()).then_some(new)
    }

    /// Rows `start..end` of its first axis (NumPy's `a[start:end]`) and the
    /// offset, in elements, of the first one's element `[0, 0, ..]` from
    /// this layout's: `None` unless `start <= end <= shape[0]`. The other
    /// axes, and every stride, stay as they are.
    pub fn rows(&self, start: usize, end: usize) -> Option<(Self, isize)> {
        if start > end || end > self.shape[0] {
            return None;
        }
        let mut l = *self;
        l.shape[0] = end - start;
        let offset = isize::try_from(start).ok()?.checked_mul(self.strides[0])?;
        Some((l, offset))
    }

    /// Its number of axes.
    pub const fn ndim(&self) -> usize {
        self.ndim as usize
    }

    /// The extent of each axis.
    pub fn shape(&self) -> &[usize] {
        &self.shape[..self.ndim()]
    }

    /// The stride of each axis, in elements.
    pub fn strides(&self) -> &[isize] {
        &self.strides[..self.ndim()]
    }

    /// Its elements: the product of the extents.
    pub fn len(&self) -> usize {
        self.shape().iter().product()
    }

    /// Whether it has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether its elements lie in C order one after another, so that a
    /// flat slice (`&[T]`, `Out<T>`) sees them in their logical order.
    /// Axes of extent 1 may have any stride (they are never stepped).
    pub fn is_standard(&self) -> bool {
        let mut step = 1isize;
        for (&n, &s) in self.shape().iter().zip(self.strides()).rev() {
            if n > 1 && s != step {
                return false;
            }
            step = step.saturating_mul(n as isize);
        }
        true
    }

    /// The lowest and highest offsets (in elements, from element
    /// `[0, 0, ..]`) its elements are at; `None` if it has none.
    pub fn span(&self) -> Option<(isize, isize)> {
        if self.is_empty() {
            return None;
        }
        let (mut lo, mut hi) = (0isize, 0isize);
        for (&n, &s) in self.shape().iter().zip(self.strides()) {
            // `new` checked that these fit.
            let reach = (n as isize - 1) * s;
            if reach < 0 {
                lo += reach;
            } else {
                hi += reach;
            }
        }
        Some((lo, hi))
    }

    /// Whether its elements fill their span exactly, each once: a
    /// contiguous block in some axis order (C, Fortran, a transpose, a
    /// reversed axis), which a copy can move as it is.
    pub fn is_dense(&self) -> bool {
        let mut axes = [(0usize, 0usize); MAX_DIMS];
        let mut k = 0;
        for (&n, &s) in self.shape().iter().zip(self.strides()) {
            if n > 1 {
                axes[k] = (s.unsigned_abs(), n);
                k += 1;
            }
        }
        let axes = &mut axes[..k];
        axes.sort_unstable();
        let mut step = 1usize;
        for &(s, n) in axes.iter() {
            if s != step {
                return false;
            }
            step = step.saturating_mul(n);
        }
        true
    }
}

/// Why an array's rows cannot be sliced as asked (a backend's
/// `d.slice(i..j)`, Numba's `d[i:j]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SliceError {
    /// The rows asked for are not within the array's first axis.
    OutOfRange {
        /// First row asked for.
        start: usize,
        /// One past the last row asked for.
        end: usize,
        /// The array's rows.
        rows: usize,
    },
    /// The two parts of a split would share memory (a transposed array's
    /// rows interleave), so that one could not be written while the other
    /// is read.
    Interleaved {
        /// The row it was split at.
        mid: usize,
        /// The array's first axis's stride, in elements: less than a row
        /// spans.
        row_stride: isize,
    },
}

impl core::fmt::Display for SliceError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::OutOfRange { start, end, rows } => write!(
                f,
                "rows {start}..{end} of an array of {rows} rows: a slice needs start <= end <= rows"
            ),
            Self::Interleaved { mid, row_stride } => write!(
                f,
                "split at row {mid}: the two parts' elements interleave in memory (rows \
                 {row_stride} elements apart, a strided array's), so they cannot be written \
                 apart; split a copy in C order"
            ),
        }
    }
}

impl core::error::Error for SliceError {}

/// A `View<T, D>` or `Out<T, D>` kernel parameter as it crosses: the
/// address of element `[0, 0, ..]`, and each axis's extent and stride in
/// elements. The typed launchers build it from a device array's
/// [`Layout`]; the entry point rebuilds the view from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct ArrayParts<const D: usize> {
    /// Element `[0, 0, ..]`'s address.
    pub ptr: u64,
    /// The extents.
    pub shape: [u64; D],
    /// The strides, in elements.
    pub strides: [i64; D],
}

// SAFETY: `#[repr(C)]` of u64s and i64s (the address is a number here; the
// device array it came from vouches for it).
unsafe impl<const D: usize> DeviceValue for ArrayParts<D> {}

/// What the host needs to know of a kernel: its entry point's name and its
/// parameters in order. Generated from the signature (the only place a
/// kernel's ABI is written).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelInfo {
    /// The PTX entry point.
    pub name: &'static str,
    /// The parameters, in order.
    pub params: &'static [ParamKind],
}

/// A value that may be copied bit for bit to the device and used there: no
/// references or pointers (a host address means nothing on the GPU), and
/// the same layout on the host and on `nvptx64` (`#[repr(C)]` of device
/// values, or a primitive). `#[derive(DeviceValue)]` implements it for a
/// `#[repr(C)]` struct whose fields are all device values.
///
/// # Safety
/// The type holds no pointer or reference, and its layout is the same on
/// every target hotloop builds for (a primitive, an array of device
/// values, or a `#[repr(C)]` struct of them).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be passed to the device by value",
    label = "not a DeviceValue",
    note = "a device value is a number, an array of them, or a `#[repr(C)]` struct of them with \
            `#[derive(DeviceValue)]`; references and pointers mean nothing on the GPU"
)]
pub unsafe trait DeviceValue: Copy + Send + Sync + 'static {}

macro_rules! device_values {
    ($($t:ty),*) => { $(
        // SAFETY: a primitive: no pointer, the same size and alignment on
        // x86_64, aarch64 and nvptx64.
        unsafe impl DeviceValue for $t {}
    )* };
}
device_values!(
    f32,
    f64,
    u8,
    u16,
    u32,
    u64,
    i8,
    i16,
    i32,
    i64,
    usize,
    isize,
    bool,
    ()
);
// SAFETY: `#[repr(transparent)]` over a `u16`: no pointer, the same layout
// on every target.
unsafe impl DeviceValue for half::f16 {}
// SAFETY: as above.
unsafe impl DeviceValue for half::bf16 {}

// SAFETY: an array of device values is laid out element after element.
unsafe impl<V: DeviceValue, const N: usize> DeviceValue for [V; N] {}
// SAFETY: zero-sized, no data.
unsafe impl<X: ?Sized + 'static> DeviceValue for core::marker::PhantomData<X> where
    core::marker::PhantomData<X>: Copy + Send + Sync
{
}

/// A [`DeviceValue`] as a kernel parameter: the value and a word after it,
/// so that even a zero-sized op is a parameter the PTX entry declares
/// (rustc drops zero-sized parameters from the entry's signature).
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct ByValue<V> {
    /// The value.
    pub value: V,
    /// Keeps the parameter non-empty; zero.
    pub pad: u32,
}

impl<V> ByValue<V> {
    /// `value`, wrapped.
    pub const fn new(value: V) -> Self {
        Self { value, pad: 0 }
    }
}

/// Most bytes a [`ByValue`] parameter may have in a [`DeviceKernel`] (CUDA
/// allows 4 KiB of parameters; an op is a few scalars).
pub const MAX_VALUE_BYTES: usize = 256;

/// The bytes of one by-value parameter, as the host pushes them (they
/// start at the struct's address, `#[repr(C)]`): the
/// driver copies the entry's declared size from [`ValueBytes::as_ptr`].
/// Padding bytes stay uninitialised (the device never reads them), so the
/// bytes are only ever read through that pointer, by the driver.
#[derive(Clone, Copy)]
#[repr(C)]
pub struct ValueBytes {
    words: [core::mem::MaybeUninit<u64>; MAX_VALUE_BYTES / 8],
    size: usize,
}

impl core::fmt::Debug for ValueBytes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "ValueBytes({} bytes)", self.size)
    }
}

impl ValueBytes {
    /// `value`, wrapped in [`ByValue`]. A value larger than
    /// [`MAX_VALUE_BYTES`] (or aligned beyond 8) is a compile error.
    pub fn of<V: DeviceValue>(value: V) -> Self {
        const {
            assert!(
                size_of::<ByValue<V>>() <= MAX_VALUE_BYTES && align_of::<ByValue<V>>() <= 8,
                "a device op is at most 256 bytes, aligned to at most 8"
            )
        };
        let mut words = [core::mem::MaybeUninit::<u64>::uninit(); MAX_VALUE_BYTES / 8];
        // SAFETY: `ByValue<V>` fits in `words` (asserted above), whose
        // alignment (8) is at least its own.
        unsafe {
            words
                .as_mut_ptr()
                .cast::<ByValue<V>>()
                .write(ByValue::new(value))
        };
        Self {
            words,
            size: size_of::<ByValue<V>>(),
        }
    }

    /// The parameter's size in bytes.
    pub const fn size(&self) -> usize {
        self.size
    }

    /// The bytes, 8-aligned, for the driver to copy [`ValueBytes::size`]
    /// of.
    pub fn as_ptr(&self) -> *const u8 {
        self.words.as_ptr().cast()
    }
}

/// The PTX of a crate's kernels: one module per architecture, newest first,
/// as `(arch, text)`. A module put together by hand may hold no PTX: an
/// empty text, or a `// hotloop-build:` comment saying why, which the CUDA
/// backend reports instead of loading it. (`hotloop_build::build_this_crate`
/// never writes one: a kernels crate whose PTX fails to build fails to
/// build.)
#[derive(Debug)]
pub struct KernelModule {
    /// The crate the kernels are in, for messages.
    pub name: &'static str,
    /// `(arch, PTX text)`, newest architecture first (`sm_90`, `sm_80`).
    pub ptx: &'static [(&'static str, &'static str)],
}

impl KernelModule {
    /// Why the module has no PTX, if it has none: the build's own comment
    /// (`// hotloop-build: ...`), or a generic reason.
    pub fn missing(&self) -> Option<&'static str> {
        let (_, text) = self.ptx.first()?;
        let t = text.trim_start();
        if t.starts_with("// hotloop-build:") {
            Some(t.lines().next().unwrap_or(t))
        } else if t.is_empty() {
            Some("the PTX is empty")
        } else {
            None
        }
    }
}

/// Where a kernel's PTX is.
#[derive(Clone, Copy, Debug)]
pub enum ModuleRef {
    /// hotloop's built-in kernels (the `hotloop-kernels` crate, whose
    /// module every CUDA host loads when it opens a device): the built-in
    /// ops' entries are there.
    Builtin,
    /// A crate's own module (`crate::KERNELS`, from
    /// `hotloop_device::kernel_module!()`).
    Crate(&'static KernelModule),
}

/// How an op runs on a GPU: the compiled kernel that runs it, the module
/// that holds that kernel, and the op's value, its first parameter. The op
/// traits' `device_kernel` methods return one for ops declared with
/// `#[device_op]`, and `None` for closures.
#[derive(Clone, Copy, Debug)]
pub struct DeviceKernel {
    /// The entry point and its parameters.
    pub kernel: &'static KernelInfo,
    /// Where its PTX is.
    pub module: ModuleRef,
    /// The op, the first parameter.
    pub op: ValueBytes,
}

/// The kinds of element-wise and per-row kernels an op runs in on a device;
/// each has one parameter list, written once in `#[device_op]`, after the
/// op itself (a [`ParamKind::Value`]):
///
/// | form      | parameters after the op                                        |
/// |-----------|----------------------------------------------------------------|
/// | `map`     | `input: &[T], out: Out<U>` (`U`: the op's output type)         |
/// | `zip`     | `a: &[T], b: &[T], out: Out<T>`                                |
/// | `map_n`   | `in0: &[T], .., out0: Out<T>, ..` (`I` inputs, `O` outputs)    |
/// | `count`   | `input: &[T], partials: Out<u64>` (one count per block)        |
/// | `gufunc`  | `in0..: &[T], out0..: Out<T>, shape: GufuncShape`              |
/// | `stencil` | `input: &[T], out: Out<T>, nx: u64, ny: u64, nz: u64, mode: u32, constant: T` |
///
/// In-place forms pass one buffer as both input and output (the entries
/// read an element before writing it, by one thread only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Form {
    /// `@vectorize` of a unary op (and of a binary op with one operand
    /// bound).
    Map,
    /// `@vectorize` of a binary op over two arrays.
    Zip,
    /// An op of several inputs and outputs (`NaryOp`).
    MapN,
    /// A `prange` count-where over a predicate.
    Count,
    /// `@guvectorize`: one thread per outer iteration.
    Gufunc,
    /// `@stencil`: one thread per output cell.
    Stencil,
}

/// The outer-loop shape of a gufunc on the device (a [`DeviceValue`]
/// parameter of the `gufunc` form): the host's plan in fixed-size arrays,
/// of which the entry reads the first `I` inputs and `O` outputs
/// ([`GufuncShape::blocks`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct GufuncShape {
    /// Outer iterations.
    pub loops: u64,
    /// How many of `core` are used.
    pub n_core: u64,
    /// The core dimensions' sizes, in order of first appearance.
    pub core: [u64; MAX_DEVICE_CORE_DIMS],
    /// Elements of each input's block.
    pub in_block: [u64; MAX_NARY_INPUTS],
    /// Each input's step between iterations (its block, or 0).
    pub in_step: [u64; MAX_NARY_INPUTS],
    /// Elements of each output's block.
    pub out_block: [u64; MAX_NARY_OUTPUTS],
}

impl GufuncShape {
    /// The first `I` inputs' and `O` outputs' blocks (`u64` to `usize`:
    /// lossless on the 64-bit targets).
    #[inline(always)]
    pub fn blocks<const I: usize, const O: usize>(&self) -> Blocks<I, O> {
        Blocks {
            in_block: core::array::from_fn(|k| self.in_block[k] as usize),
            in_step: core::array::from_fn(|k| self.in_step[k] as usize),
            out_block: core::array::from_fn(|k| self.out_block[k] as usize),
        }
    }
}

/// Where iteration `l` of the outer loop finds its core blocks: input `k`'s
/// at `l * in_step[k]`, `in_block[k]` elements (a step of 0: an input with
/// no loop dimensions, the same block for every iteration, as NumPy
/// broadcasts it), output `k`'s at `l * out_block[k]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Blocks<const I: usize, const O: usize> {
    /// Elements of each input's block.
    pub in_block: [usize; I],
    /// Each input's step between iterations: its block, or 0.
    pub in_step: [usize; I],
    /// Elements of each output's block.
    pub out_block: [usize; O],
}

/// Most array inputs an op's entry point takes (an `NaryOp`'s, a
/// gufunc's).
pub const MAX_NARY_INPUTS: usize = 4;
/// Most array outputs an op's entry point gives.
pub const MAX_NARY_OUTPUTS: usize = 3;

/// Most core dimensions a gufunc may have on the device.
pub const MAX_DEVICE_CORE_DIMS: usize = 4;

// SAFETY: `#[repr(C)]` of u64s.
unsafe impl DeviceValue for GufuncShape {}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy)]
    #[repr(C)]
    struct Op {
        a: f64,
        b: u32,
    }
    // SAFETY: repr(C) of primitives.
    unsafe impl DeviceValue for Op {}

    #[derive(Clone, Copy)]
    #[repr(C)]
    struct Zst;
    // SAFETY: no data.
    unsafe impl DeviceValue for Zst {}

    #[test]
    fn rows_narrow_the_first_axis_and_keep_the_strides() {
        let c = Layout::standard(&[4, 3]).unwrap();
        let (r, off) = c.rows(1, 3).unwrap();
        assert_eq!((r.shape(), r.strides(), off), (&[2, 3][..], &[3, 1][..], 3));
        assert!(r.is_standard());
        // A transposed array's rows are columns of its memory: strided.
        let t = Layout::new(&[3, 4], &[1, 3]).unwrap();
        let (r, off) = t.rows(2, 3).unwrap();
        assert_eq!((r.shape(), r.strides(), off), (&[1, 4][..], &[1, 3][..], 2));
        // A reversed axis counts back from element [0].
        let rev = Layout::new(&[5], &[-1]).unwrap();
        assert_eq!(rev.rows(1, 4).map(|(l, o)| (l.len(), o)), Some((3, -1)));
        assert_eq!(c.rows(4, 4).map(|(l, o)| (l.len(), o)), Some((0, 12)));
        assert_eq!(c.rows(3, 2), None);
        assert_eq!(c.rows(0, 5), None);
    }

    #[test]
    fn a_value_is_its_bytes_then_a_zero_word() {
        let v = ValueBytes::of(Op { a: 1.5, b: 7 });
        assert_eq!(v.size(), 24);
        // SAFETY: the fields' bytes are initialised, at their repr(C) offsets.
        let (a, b, pad) = unsafe {
            let p = v.as_ptr();
            (
                p.cast::<f64>().read(),
                p.add(8).cast::<u32>().read(),
                p.add(16).cast::<u32>().read(),
            )
        };
        assert_eq!((a, b, pad), (1.5, 7, 0));
        assert_eq!(
            ParamKind::value::<Op>(),
            ParamKind::Value { size: 24, align: 8 }
        );
    }

    #[test]
    fn a_zero_sized_op_is_still_a_parameter() {
        let v = ValueBytes::of(Zst);
        assert_eq!(v.size(), 4);
        // SAFETY: the pad word is initialised.
        assert_eq!(unsafe { v.as_ptr().cast::<u32>().read() }, 0);
        assert_eq!(
            ParamKind::value::<Zst>(),
            ParamKind::Value { size: 4, align: 4 }
        );
    }

    #[test]
    fn an_arrays_parts_are_the_bytes_its_kind_says() {
        fn parts<const D: usize>() -> (u32, u32) {
            (
                size_of::<ByValue<ArrayParts<D>>>() as u32,
                align_of::<ByValue<ArrayParts<D>>>() as u32,
            )
        }
        let kind = |dims| ParamKind::Array {
            elem: Elem::F32,
            dims,
            written: false,
        };
        assert_eq!(kind(1).bytes(), Some(parts::<1>()));
        assert_eq!(kind(2).bytes(), Some(parts::<2>()));
        assert_eq!(kind(3).bytes(), Some(parts::<3>()));
        assert_eq!(kind(4).bytes(), Some(parts::<4>()));
    }

    #[test]
    fn layouts_know_their_order_and_span() {
        let c = Layout::standard(&[2, 3, 4]).unwrap();
        assert_eq!(c.strides(), [12, 4, 1]);
        assert!(c.is_standard() && c.is_dense());
        assert_eq!((c.len(), c.span()), (24, Some((0, 23))));
        // Reversed along the last axis: element [0, 0, 0] is at the top.
        let r = Layout::new(&[2, 3, 4], &[12, 4, -1]).unwrap();
        assert!(!r.is_standard() && r.is_dense());
        assert_eq!(r.span(), Some((-3, 20)));
        // Unit axes may have any stride; broadcasts repeat elements.
        assert!(Layout::new(&[1, 5], &[99, 1]).unwrap().is_standard());
        let b = Layout::new(&[3, 4], &[0, 1]).unwrap();
        assert!(!b.is_dense() && !b.is_standard());
        assert_eq!(Layout::new(&[0, 4], &[4, 1]).unwrap().span(), None);
        // Malformed or overflowing layouts are refused.
        assert_eq!(Layout::new(&[2], &[1, 1]), None);
        assert_eq!(Layout::new(&[], &[]), None);
        assert_eq!(Layout::standard(&[usize::MAX, 2]), None);
        assert_eq!(Layout::new(&[1 << 40, 1 << 40], &[1, 1]), None);
        assert_eq!(Layout::standard(&[1; MAX_DIMS + 1]), None);
    }

    #[test]
    fn a_module_without_ptx_says_why() {
        static NONE: KernelModule = KernelModule {
            name: "k",
            ptx: &[("sm_80", "// hotloop-build: not built: no rust-src\n")],
        };
        static SOME: KernelModule = KernelModule {
            name: "k",
            ptx: &[("sm_80", ".version 8.0\n")],
        };
        assert_eq!(
            NONE.missing(),
            Some("// hotloop-build: not built: no rust-src")
        );
        assert_eq!(SOME.missing(), None);
    }
}
