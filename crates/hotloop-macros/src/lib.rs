//! `#[kernel]` and `shared_array!`, re-exported by `hotloop-device`.
//!
//! `#[kernel]` reads a kernel's ABI from its signature, the one place it is
//! written, and generates both halves from it:
//!
//! - on `nvptx64`, the `extern "ptx-kernel"` entry point: each `&[T]` and
//!   `Out<T>` parameter becomes a pointer and a `u64` length, each scalar
//!   passes by value, and the body runs on the slices rebuilt from them;
//! - on the host, the function itself (the simulator runs it, one call per
//!   simulated thread) and a module of the same name holding the kernel's
//!   metadata (`INFO`: entry name, parameter kinds) and its typed launcher,
//!   `launch(&launcher, grid, args...)`, whose arguments the compiler checks
//!   against the signature: a mismatch is a compile error, never a wrong
//!   push order.
//!
//! Any other named type is passed by value and must be a `DeviceValue` (a
//! `#[repr(C)]` struct of numbers: `#[derive(DeviceValue)]`). A parameter
//! that cannot cross to the device (a `&mut [T]`, a reference to a scalar,
//! a slice of a struct) is a compile error saying why.

mod device_op;
mod value;

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{format_ident, quote};
use std::sync::atomic::{AtomicU64, Ordering};
use syn::parse::{Parse, ParseStream};
use syn::{FnArg, GenericArgument, ItemFn, Pat, PathArguments, ReturnType, Token, Type};

/// The element types that cross to the device.
const ELEMS: [(&str, &str); 6] = [
    ("f32", "F32"),
    ("f64", "F64"),
    ("u32", "U32"),
    ("i32", "I32"),
    ("u64", "U64"),
    ("i64", "I64"),
];

/// How one parameter crosses.
enum Param {
    Slice(syn::Ident, Type),
    Out(syn::Ident, Type),
    Scalar(syn::Ident, Type),
    /// Any other named type: a `DeviceValue` by value (the compiler checks
    /// the bound).
    Value(syn::Ident, Type),
}

fn elem_tag(ty: &Type) -> Option<&'static str> {
    let Type::Path(p) = ty else { return None };
    let id = p.path.get_ident()?.to_string();
    ELEMS.iter().find(|(n, _)| *n == id).map(|(_, tag)| *tag)
}

fn cannot_cross(span: &impl quote::ToTokens, why: &str) -> syn::Error {
    syn::Error::new_spanned(
        span,
        format!(
            "this parameter cannot cross to the device: {why}. A kernel takes `&[T]` (read), \
             `Out<T>` (written) and scalars `T` by value, with T one of f32, f64, u32, i32, u64, i64, \
             and `#[derive(DeviceValue)]` structs by value"
        ),
    )
}

fn classify(arg: &FnArg) -> syn::Result<Param> {
    let FnArg::Typed(pt) = arg else {
        return Err(syn::Error::new_spanned(
            arg,
            "a kernel is a free function, not a method",
        ));
    };
    let Pat::Ident(name) = &*pt.pat else {
        return Err(syn::Error::new_spanned(
            &pt.pat,
            "kernel parameters need plain names",
        ));
    };
    let name = name.ident.clone();
    let ty = &*pt.ty;
    match ty {
        Type::Reference(r) => {
            if r.mutability.is_some() {
                return Err(cannot_cross(
                    ty,
                    "every thread of the launch would hold this `&mut`, which is undefined \
                     behaviour; take `Out<T>` to write an array",
                ));
            }
            let Type::Slice(s) = &*r.elem else {
                return Err(cannot_cross(
                    ty,
                    "only slices cross by reference, not references to single values",
                ));
            };
            if elem_tag(&s.elem).is_none() {
                return Err(cannot_cross(&s.elem, "its element type has no device form"));
            }
            Ok(Param::Slice(name, (*s.elem).clone()))
        }
        Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Out") => {
            let seg = p.path.segments.last().expect("checked");
            let PathArguments::AngleBracketed(args) = &seg.arguments else {
                return Err(cannot_cross(ty, "`Out` needs its element type, `Out<T>`"));
            };
            let elem = args.args.iter().find_map(|a| match a {
                GenericArgument::Type(t) => Some(t.clone()),
                _ => None,
            });
            match elem {
                Some(t) if elem_tag(&t).is_some() => Ok(Param::Out(name, t)),
                Some(t) => Err(cannot_cross(&t, "its element type has no device form")),
                None => Err(cannot_cross(ty, "`Out` needs its element type, `Out<T>`")),
            }
        }
        _ if elem_tag(ty).is_some() => Ok(Param::Scalar(name, ty.clone())),
        Type::Path(_) | Type::Array(_) => Ok(Param::Value(name, ty.clone())),
        _ => Err(cannot_cross(ty, "its type has no device form")),
    }
}

/// Makes a function a kernel: a PTX entry point on `nvptx64`, and on the
/// host the function itself plus a module of the same name with `INFO`
/// (`hotloop_device::host::KernelInfo`) and the typed `launch`.
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
/// The crate that defines kernels enables, for its device build,
/// `#![cfg_attr(target_arch = "nvptx64", no_std, feature(abi_ptx, asm_experimental_arch))]`.
#[proc_macro_attribute]
pub fn kernel(attr: TokenStream, item: TokenStream) -> TokenStream {
    if !attr.is_empty() {
        return syn::Error::new(Span::call_site(), "#[kernel] takes no arguments")
            .to_compile_error()
            .into();
    }
    let f = syn::parse_macro_input!(item as ItemFn);
    match expand_kernel(f) {
        Ok(t) => t.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn expand_kernel(f: ItemFn) -> syn::Result<TokenStream2> {
    let sig = &f.sig;
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &sig.generics,
            "a kernel cannot be generic: the PTX is compiled ahead of time, one entry point per \
             kernel; write one kernel per element type",
        ));
    }
    if sig.asyncness.is_some() || sig.constness.is_some() || sig.unsafety.is_some() {
        return Err(syn::Error::new_spanned(
            sig,
            "a kernel is a plain, safe `fn`",
        ));
    }
    if !matches!(sig.output, ReturnType::Default) {
        return Err(syn::Error::new_spanned(
            &sig.output,
            "a kernel returns nothing: it writes its results through `Out<T>`",
        ));
    }
    let params = sig
        .inputs
        .iter()
        .map(classify)
        .collect::<syn::Result<Vec<_>>>()?;
    if params.len() > 16 {
        return Err(syn::Error::new_spanned(
            &sig.inputs,
            "a kernel has at most 16 parameters",
        ));
    }
    let name = &sig.ident;
    let name_str = name.to_string();
    let vis = &f.vis;
    let attrs = &f.attrs;
    let block = &f.block;
    let inputs = &sig.inputs;

    // The device entry point's parameters and the slices rebuilt from them.
    let mut entry_params = Vec::new();
    let mut rebuild = Vec::new();
    // The host's metadata, launcher parameters, pushes and the simulator's unpacking.
    let mut kinds = Vec::new();
    let mut launch_params = Vec::new();
    let mut pushes = Vec::new();
    let mut unpack = Vec::new();
    let mut names = Vec::new();
    for (i, p) in params.iter().enumerate() {
        match p {
            Param::Slice(n, t) => {
                let (ptr, len) = (
                    format_ident!("__hotloop_{n}_ptr"),
                    format_ident!("__hotloop_{n}_len"),
                );
                entry_params.push(quote!(#ptr: *const #t, #len: u64));
                rebuild.push(quote! {
                    let #n: &[#t] = if #len == 0 {
                        &[]
                    } else {
                        // SAFETY: the launch contract: `len` elements at `ptr`.
                        unsafe { ::hotloop_device::__private::from_raw_parts(#ptr, #len as usize) }
                    };
                });
                let tag = format_ident!("{}", elem_tag(t).expect("classified"));
                kinds.push(
                    quote!(::hotloop_device::host::ParamKind::Slice(::hotloop_device::Elem::#tag)),
                );
                launch_params.push(quote!(#n: &__HotloopL::Array<#t>));
                pushes.push(quote!(__hotloop_args.slice::<#t, _>(#n);));
                unpack.push(quote! {
                    // SAFETY: `Launcher`'s contract: `body` runs only on host arrays.
                    let #n: &[#t] = unsafe { __hotloop_a.host_slice::<#t>(#i) };
                });
            }
            Param::Out(n, t) => {
                let (ptr, len) = (
                    format_ident!("__hotloop_{n}_ptr"),
                    format_ident!("__hotloop_{n}_len"),
                );
                entry_params.push(quote!(#ptr: *mut #t, #len: u64));
                rebuild.push(quote! {
                    // SAFETY: the launch contract: `len` elements at `ptr`.
                    let #n = unsafe { ::hotloop_device::Out::<#t>::from_raw(#ptr, #len as usize) };
                });
                let tag = format_ident!("{}", elem_tag(t).expect("classified"));
                kinds.push(
                    quote!(::hotloop_device::host::ParamKind::Out(::hotloop_device::Elem::#tag)),
                );
                launch_params.push(quote!(#n: &mut __HotloopL::Array<#t>));
                pushes.push(quote!(__hotloop_args.out::<#t, _>(#n);));
                unpack.push(quote! {
                    // SAFETY: as above.
                    let #n = unsafe { __hotloop_a.host_out::<#t>(#i) };
                });
            }
            Param::Scalar(n, t) => {
                entry_params.push(quote!(#n: #t));
                let tag = format_ident!("{}", elem_tag(t).expect("classified"));
                kinds.push(
                    quote!(::hotloop_device::host::ParamKind::Scalar(::hotloop_device::Elem::#tag)),
                );
                launch_params.push(quote!(#n: #t));
                pushes.push(quote!(__hotloop_args.scalar::<#t>(#n);));
                unpack.push(quote!(let #n: #t = __hotloop_a.scalar_at::<#t>(#i);));
            }
            Param::Value(n, t) => {
                entry_params.push(quote!(#n: ::hotloop_device::__core::abi::ByValue<#t>));
                rebuild.push(quote!(let #n: #t = #n.value;));
                kinds.push(quote!(::hotloop_device::__core::abi::ParamKind::value::<#t>()));
                launch_params.push(quote!(#n: #t));
                pushes.push(quote!(__hotloop_args.value::<#t>(#n);));
                unpack.push(quote! {
                    // SAFETY: pushed by `value::<T>` above.
                    let #n: #t = unsafe { __hotloop_a.host_value::<#t>(#i) };
                });
            }
        }
        names.push(match p {
            Param::Slice(n, _) | Param::Out(n, _) | Param::Scalar(n, _) | Param::Value(n, _) => {
                n.clone()
            }
        });
    }
    let doc_launch = format!(
        "Launches `{name_str}` over `grid` (`(blocks, threads)`, each a `u32` or a 2- or 3-tuple) \
         with these arguments, on the simulator or a CUDA module."
    );
    Ok(quote! {
        #[cfg(target_arch = "nvptx64")]
        #[unsafe(no_mangle)]
        #(#attrs)*
        #[allow(clippy::too_many_arguments)]
        #vis unsafe extern "ptx-kernel" fn #name(#(#entry_params),*) {
            #[inline(always)]
            #[allow(clippy::too_many_arguments)]
            fn __hotloop_body(#inputs) #block
            #(#rebuild)*
            __hotloop_body(#(#names),*)
        }

        #[cfg(not(target_arch = "nvptx64"))]
        #(#attrs)*
        #[allow(clippy::too_many_arguments)]
        #vis fn #name(#inputs) #block

        /// The kernel's metadata and typed launcher (generated by `#[kernel]`).
        #[cfg(not(target_arch = "nvptx64"))]
        #vis mod #name {
            // The signature's own types (a by-value struct) by their names.
            #[allow(unused_imports)]
            use super::*;

            /// The entry point's name and parameters, from the signature.
            pub static INFO: ::hotloop_device::host::KernelInfo = ::hotloop_device::host::KernelInfo {
                name: #name_str,
                params: &[#(#kinds),*],
            };

            #[doc = #doc_launch]
            #[allow(clippy::too_many_arguments)]
            // The launcher's own names start with `__hotloop`/`__Hotloop`,
            // so that a kernel parameter of any other name (`a`, `grid`,
            // `launcher`) cannot clash with them.
            pub fn launch<__HotloopL: ::hotloop_device::host::Launcher>(
                __hotloop_launcher: &__HotloopL,
                __hotloop_grid: impl ::core::convert::Into<::hotloop_device::host::Grid>,
                #(#launch_params),*
            ) -> ::core::result::Result<__HotloopL::Run, __HotloopL::Error> {
                let mut __hotloop_args = ::hotloop_device::host::Args::new();
                #(#pushes)*
                __hotloop_launcher.launch(
                    &INFO,
                    __hotloop_grid.into(),
                    &__hotloop_args,
                    &|__hotloop_a: &::hotloop_device::host::Args| {
                        #(#unpack)*
                        super::#name(#(#names),*)
                    },
                )
            }
        }
    })
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
/// are both built) or for one of them.
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
/// block (`__shared__ T a[N]`), a `hotloop_device::SharedArray<T, N>`.
/// Each call site is its own array, one per block, as CUDA's `__shared__`
/// is one per declaration.
///
/// `N` is a constant expression evaluated at the module's scope, on the
/// host as on the GPU (whose `.shared` declaration is a module item): a
/// literal, or the module's `const` items and `const fn`s (`TPB * TPB`).
/// A function's own `const` or a generic parameter is out of reach on both
/// targets alike, since one declaration serves every call. An empty
/// array, or one over a block's 48 KiB of static shared memory, fails the
/// build on both.
#[proc_macro]
pub fn shared_array(input: TokenStream) -> TokenStream {
    let SharedArgs { ty, len } = syn::parse_macro_input!(input as SharedArgs);
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
            pub const __HOTLOOP_LEN: usize = #len;
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
        unsafe { ::hotloop_device::SharedArray::<#ty, { __hotloop_shared::__HOTLOOP_LEN }>::from_raw(__ptr) }
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
        if elem_tag(&ty).is_none() {
            return Err(syn::Error::new_spanned(
                &ty,
                "a shared array holds f32, f64, u32, i32, u64 or i64",
            ));
        }
        Ok(Self { ty, len })
    }
}
