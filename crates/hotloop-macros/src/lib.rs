//! `#[kernel]`, `#[device_op]`, `#[derive(DeviceValue)]` and
//! `shared_array!`, re-exported by `hotloop-device`.
//!
//! `#[kernel]` reads a kernel's ABI from its signature, the one place it is
//! written, and generates both halves from it (the `kernel` module says
//! how). Any named type other than an element type is passed by value and
//! must be a `DeviceValue` (a `#[repr(C)]` struct of numbers:
//! `#[derive(DeviceValue)]`). A parameter that cannot cross to the device
//! (a `&mut [T]`, a reference to a scalar, a slice of a struct) is a
//! compile error saying why.

mod device_op;
mod kernel;
mod math;
mod value;

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::quote;
use std::sync::atomic::{AtomicU64, Ordering};
use syn::parse::{Parse, ParseStream};
use syn::{ItemFn, Token, Type};

/// Makes a function a kernel: a PTX entry point on `nvptx64`, and on the
/// host the function itself plus a module of the same name with its
/// metadata (`INFO`, a `hotloop_device::host::KernelInfo`) and the typed
/// `launch`.
///
/// ```ignore
/// #[kernel]
/// pub fn add_two(input: &[f64], output: Out<f64>) {
///     for i in grid_stride(input.len()) {
///         output.set(i, input[i] + 2.0);
///     }
/// }
/// // host: add_two::launch(&launcher, (blocks, threads), &d_in, &mut d_out)?;
/// ```
///
/// A kernel generic over its element type lists the types it is built for,
/// one entry point each (`add_scalar_f32`, `add_scalar_f64`), as Numba
/// compiles one kernel per signature:
///
/// ```ignore
/// #[kernel(f32, f64)]
/// pub fn add_scalar<T: Real>(input: &[T], output: Out<T>, value: T) {
///     for i in grid_stride(input.len()) {
///         output.set(i, input[i] + value);
///     }
/// }
/// // host: add_scalar::launch::<f32, _>(&launcher, grid, &d_in, &mut d_out, 2.0)?;
/// // its metadata: add_scalar::info::<f32>()
/// ```
///
/// Code generic over any element type reaches the instances with
/// `add_scalar::try_launch::<T, _>(..)` and `add_scalar::instance::<T>()`,
/// `None` for a type the kernel is not built for (Numba's "no matching
/// definition").
///
/// The crate that defines kernels enables, for its device build,
/// `#![cfg_attr(target_arch = "nvptx64", no_std, feature(abi_ptx, asm_experimental_arch))]`.
#[proc_macro_attribute]
pub fn kernel(attr: TokenStream, item: TokenStream) -> TokenStream {
    let f = syn::parse_macro_input!(item as ItemFn);
    match kernel::expand(attr.into(), f) {
        Ok(t) => t.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// Where the generated code finds `hotloop-core`: through `hotloop-device`
/// in a user's crate, or a path given (`crate` inside hotloop-core).
#[derive(Default)]
pub(crate) enum CratePath {
    #[default]
    ThroughDevice,
    Path(TokenStream2),
}

impl CratePath {
    /// From a `#[hotloop(crate = path)]` attribute among `attrs`, if any.
    fn from_attrs(attrs: &[syn::Attribute]) -> syn::Result<Self> {
        let mut out = CratePath::ThroughDevice;
        for a in attrs.iter().filter(|a| a.path().is_ident("hotloop")) {
            a.parse_nested_meta(|m| {
                if m.path.is_ident("crate") {
                    let p: syn::Path = m.value()?.parse()?;
                    out = CratePath::Path(quote!(#p));
                    Ok(())
                } else {
                    Err(m.error("expected `crate = path`"))
                }
            })?;
        }
        Ok(out)
    }

    /// The path of `hotloop-core`.
    fn abi_root(&self) -> TokenStream2 {
        match self {
            CratePath::ThroughDevice => quote!(::hotloop_device::__core),
            CratePath::Path(p) => p.clone(),
        }
    }

    /// The path of `hotloop-core` for `#[device_op]`: `crate` for a
    /// built-in unless given.
    fn core_root(&self, builtin: bool) -> TokenStream2 {
        match (self, builtin) {
            (CratePath::ThroughDevice, true) => quote!(crate),
            _ => self.abi_root(),
        }
    }
}

/// Declares an op's GPU entry points from its trait impl: put it on `impl
/// UnaryOp<T> for MyOp` (or `BinaryOp`, `Predicate`, `GuKernel`,
/// `Stencil3`, `Stencil2`), generic over the element type `T` (f32 and f64
/// are built for `T: Real`, every numeric type for `T: Num`) or for one
/// type (`impl BinaryOp<i16> for ZeroSuppress`).
///
/// ```ignore
/// #[derive(Clone, Copy, DeviceValue)]
/// #[repr(C)]
/// pub struct Softsign;
///
/// #[device_op]
/// impl<T: Real> UnaryOp<T> for Softsign {
///     fn apply(&self, x: T) -> T {
///         x / (T::ONE + x.abs())
///     }
/// }
/// ```
///
/// On `nvptx64` this adds one entry point per element type (and per form:
/// a `BinaryOp` also gets the maps with either operand bound), each taking
/// the op by value and running the per-thread body the simulator runs. On
/// the host it fills in the trait's `device_kernel`, so `Backend::Cuda`
/// runs the op from the crate's PTX module, `crate::KERNELS`
/// (`hotloop_device::kernel_module!()` at the crate root declares it; the
/// crate's `build.rs` builds it with `hotloop_build::build_this_crate()`).
/// The op must be a [`DeviceValue`](derive@DeviceValue).
///
/// The attribute changes nothing else: each trait's documentation in
/// `hotloop-core` shows a tested implementation written without it (a
/// doctest has no `KERNELS` module), which runs on every backend but CUDA
/// until the attribute is added.
#[proc_macro_attribute]
pub fn device_op(attr: TokenStream, item: TokenStream) -> TokenStream {
    let args = syn::parse_macro_input!(attr as device_op::Args);
    let item = syn::parse_macro_input!(item as syn::ItemImpl);
    match device_op::expand(args, item) {
        Ok(t) => t.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// The GPU entries of hotloop's built-in ops, for the crate that builds
/// the built-in module (`hotloop-kernels`): `crate = path;` (the crate of
/// the ops, whose `#[device_op(builtin)]` impls give their host half),
/// then each op's impl header with an empty body. Not for users' ops:
/// `#[device_op]` makes both halves of those.
#[doc(hidden)]
#[proc_macro]
pub fn builtin_entries(input: TokenStream) -> TokenStream {
    let list = syn::parse_macro_input!(input as device_op::Builtins);
    match device_op::builtin_entries(list) {
        Ok(t) => t.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// `#[derive(DeviceValue)]` on a `#[repr(C)]` struct whose fields are all
/// device values (numbers, arrays of them, other device values): the type
/// may then be passed to a kernel by value, as an op or a parameter.
#[proc_macro_derive(DeviceValue, attributes(hotloop))]
pub fn derive_device_value(item: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(item as syn::DeriveInput);
    match value::expand(input) {
        Ok(t) => t.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// `shared_array!(T, N)`: `N` elements of `T` shared by the threads of the
/// block (`__shared__ T a[N]`), a `hotloop_device::SharedArray<T, N>`;
/// `shared_array!(T, [R, C])` (or `(R, C)`, up to three axes) a tile of
/// that shape in C order (`__shared__ T a[R][C]`, Numba's
/// `cuda.shared.array((R, C), T)`), indexed as `a.set([r, c], v)`.
/// Each call site is its own array, one per block, as CUDA's `__shared__`
/// is one per declaration.
///
/// `N` and the extents are constant expressions evaluated at the module's scope, on the
/// host as on the GPU (whose `.shared` declaration is a module item): a
/// literal, or the module's `const` items and `const fn`s (`TPB * TPB`).
/// A function's own `const` or a generic parameter is out of reach on both
/// targets alike, since one declaration serves every call. An empty
/// array, or one over a block's 48 KiB of static shared memory, fails the
/// build on both.
#[proc_macro]
pub fn shared_array(input: TokenStream) -> TokenStream {
    let SharedArgs { ty, len } = syn::parse_macro_input!(input as SharedArgs);
    // `[a, b]` or `(a, b)` is a shape; any other expression a length.
    let extents: Vec<&syn::Expr> = match &len {
        syn::Expr::Array(a) => a.elems.iter().collect(),
        syn::Expr::Tuple(t) => t.elems.iter().collect(),
        e => vec![e],
    };
    if extents.is_empty() || extents.len() > 3 {
        return syn::Error::new_spanned(
            &len,
            "a shared array has a length `N`, or a shape of 1 to 3 axes, `[32, 32]`",
        )
        .to_compile_error()
        .into();
    }
    let dims = extents.len();
    // A name unique to this call site: the crate's name and a counter.
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let krate = std::env::var("CARGO_CRATE_NAME").unwrap_or_else(|_| "crate".into());
    let symbol = format!("__hotloop_shared_{krate}_{n}");
    let key = {
        // FNV-1a of the symbol: the host's key for this array.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in symbol.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        h
    };
    let decl = format!(".shared .align 8 .b8 {symbol}[{{bytes}}];");
    let cvta = format!("cvta.shared.u64 {{p}}, {symbol};");
    quote! {{
        // The length and size, evaluated where the GPU's declaration (an
        // item) sees them, and checked there (`shared_bytes`): the same
        // expressions build on both targets.
        mod __hotloop_shared {
            #[allow(unused_imports)]
            use super::*;
            pub const __HOTLOOP_SHAPE: [usize; #dims] = [#(#extents),*];
            pub const __HOTLOOP_LEN: usize =
                ::hotloop_device::__private::shared_len(&__HOTLOOP_SHAPE);
            pub const __HOTLOOP_BYTES: usize =
                ::hotloop_device::__private::shared_bytes::<#ty>(__HOTLOOP_LEN);
            #[cfg(target_arch = "nvptx64")]
            ::hotloop_device::__private::global_asm!(#decl, bytes = const __HOTLOOP_BYTES);
        }
        #[cfg(target_arch = "nvptx64")]
        let __ptr: *mut #ty = {
            let p: u64;
            // SAFETY: `cvta` only converts the array's `.shared` address
            // into a generic one.
            unsafe {
                ::hotloop_device::__private::asm!(#cvta, p = out(reg64) p, options(pure, nomem, nostack));
            }
            p as *mut #ty
        };
        #[cfg(not(target_arch = "nvptx64"))]
        let __ptr: *mut #ty = ::hotloop_device::host::with_current(|t| {
            t.shared(#key, __hotloop_shared::__HOTLOOP_BYTES, 8)
        })
        .cast();
        // SAFETY: the block's array of `__HOTLOOP_BYTES` bytes, `LEN`
        // elements of `T`, live
        // while the block runs (`Block`'s contract on the host); SharedArray
        // accesses it atomically only.
        unsafe {
            ::hotloop_device::SharedArray::<#ty, { __hotloop_shared::__HOTLOOP_LEN }, #dims>::from_raw_shaped(
                __ptr,
                __hotloop_shared::__HOTLOOP_SHAPE,
            )
        }
    }}
    .into()
}

struct SharedArgs {
    ty: Type,
    len: syn::Expr,
}

impl Parse for SharedArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let ty: Type = input.parse()?;
        input.parse::<Token![,]>()?;
        let len: syn::Expr = input.parse()?;
        if kernel::elem_tag(&ty).is_none() {
            return Err(syn::Error::new_spanned(
                &ty,
                format!("a shared array holds one of {}", kernel::elem_list()),
            ));
        }
        Ok(Self { ty, len })
    }
}
