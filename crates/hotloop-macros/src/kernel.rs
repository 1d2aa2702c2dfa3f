//! `#[kernel]` and `#[kernel(T1, T2, ...)]`: a function's ABI read from its
//! signature, the one place it is written, and both halves generated from
//! it.
//!
//! - On `nvptx64`, one `extern "ptx-kernel"` entry point per instance:
//!   each `&[T]` and `Out<T>` parameter becomes a pointer and a `u64`
//!   length, each `View<T, D>` and `Out<T, D>` one by-value `ArrayParts<D>`
//!   (address, extents, strides), each scalar passes by value, and the
//!   function runs on the slices and views rebuilt from them.
//! - On the host, the function itself (the simulator runs it, one call per
//!   simulated thread) and a module of the same name holding the kernel's
//!   metadata and its typed launcher, whose arguments the compiler checks
//!   against the signature: a mismatch is a compile error, never a wrong
//!   push order.
//!
//! A generic kernel, `#[kernel(f32, f64)] fn k<T: Real>(..)`, is built
//! once per listed type, as Numba compiles one kernel per signature: entry
//! points `k_f32` and `k_f64`, launched as `k::launch::<f32, _>(..)`,
//! their metadata `k::info::<f32>()`. Each instance's ABI is the signature
//! with the type put in; `T: DeviceCopy` is added to the function's
//! bounds, since every instance is an element type.

use proc_macro2::TokenStream as TokenStream2;
use quote::{ToTokens, format_ident, quote};
use syn::punctuated::Punctuated;
use syn::visit_mut::VisitMut;
use syn::{
    FnArg, GenericArgument, GenericParam, Ident, ItemFn, Pat, PathArguments, ReturnType, Token,
    Type,
};

/// The element types that cross to the device.
const ELEMS: [(&str, &str); 13] = [
    ("f32", "F32"),
    ("f64", "F64"),
    ("i8", "I8"),
    ("u8", "U8"),
    ("i16", "I16"),
    ("u16", "U16"),
    ("i32", "I32"),
    ("u32", "U32"),
    ("i64", "I64"),
    ("u64", "U64"),
    ("bool", "Bool"),
    ("f16", "F16"),
    ("bf16", "BF16"),
];

/// The element types, for messages: `f32, f64, i8, ...`.
pub(crate) fn elem_list() -> String {
    ELEMS.map(|(name, _)| name).join(", ")
}

/// A device element type's tag (`F32`), if `ty` is one.
pub(crate) fn elem_tag(ty: &Type) -> Option<&'static str> {
    let Type::Path(p) = ty else { return None };
    let id = p.path.get_ident()?.to_string();
    ELEMS.iter().find(|(n, _)| *n == id).map(|(_, tag)| *tag)
}

/// Whether `ty` is an element type: one of [`ELEMS`] by name, or an
/// associated type (`<T as Num>::Sum`, a sum's type), which the compiler
/// checks is one.
fn is_elem(ty: &Type) -> bool {
    elem_tag(ty).is_some() || matches!(ty, Type::Path(p) if p.qself.is_some())
}

/// The `Elem` of an element type: its tag by name, or asked of the
/// compiler for an associated type.
fn elem_of(ty: &Type) -> TokenStream2 {
    match elem_tag(ty) {
        Some(tag) => {
            let tag = format_ident!("{tag}");
            quote!(::hotloop_device::Elem::#tag)
        }
        None => quote!(<#ty as ::hotloop_device::DeviceCopy>::ELEM),
    }
}

/// How one parameter crosses, with its type in one instance.
enum Param {
    Slice(Ident, Type),
    Out(Ident, Type),
    Scalar(Ident, Type),
    /// `View<T, D>` (read) or `Out<T, D>` (written): an array with its
    /// shape and strides, crossing as one `ArrayParts<D>`.
    Array {
        name: Ident,
        elem: Type,
        dims: TokenStream2,
        written: bool,
    },
    /// Any other named type: a `DeviceValue` by value (the compiler checks
    /// the bound).
    Value(Ident, Type),
}

impl Param {
    fn name(&self) -> &Ident {
        match self {
            Param::Slice(n, _) | Param::Out(n, _) | Param::Scalar(n, _) | Param::Value(n, _) => n,
            Param::Array { name, .. } => name,
        }
    }
}

fn cannot_cross(span: &impl ToTokens, why: &str) -> syn::Error {
    syn::Error::new_spanned(
        span,
        format!(
            "this parameter cannot cross to the device: {why}. A kernel takes `&[T]` and \
             `View<T, D>` (read), `Out<T>` and `Out<T, D>` (written) and scalars `T` by \
             value, with T one of {}, and `#[derive(DeviceValue)]` structs by value",
            elem_list()
        ),
    )
}

/// How `arg` (its type already an instance's) crosses.
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
            if !is_elem(&s.elem) {
                return Err(cannot_cross(&s.elem, "its element type has no device form"));
            }
            Ok(Param::Slice(name, (*s.elem).clone()))
        }
        Type::Path(p)
            if p.path
                .segments
                .last()
                .is_some_and(|s| s.ident == "Out" || s.ident == "View") =>
        {
            let seg = p.path.segments.last().expect("checked");
            let written = seg.ident == "Out";
            let form = if written {
                "`Out<T>` or `Out<T, D>`"
            } else {
                "`View<T, D>`"
            };
            let PathArguments::AngleBracketed(args) = &seg.arguments else {
                return Err(cannot_cross(
                    ty,
                    &format!("it needs its element type: {form}"),
                ));
            };
            // Lifetimes aside: the element type, then the axes if written.
            let mut rest = args
                .args
                .iter()
                .filter(|a| !matches!(a, GenericArgument::Lifetime(_)));
            let elem = match rest.next() {
                Some(GenericArgument::Type(t)) if is_elem(t) => t.clone(),
                Some(GenericArgument::Type(t)) => {
                    return Err(cannot_cross(t, "its element type has no device form"));
                }
                _ => {
                    return Err(cannot_cross(
                        ty,
                        &format!("it needs its element type: {form}"),
                    ));
                }
            };
            // `D`: a literal (`Const`) or a constant's name (parsed as a type).
            let dims = match rest.next() {
                Some(GenericArgument::Const(e)) => Some(e.to_token_stream()),
                Some(GenericArgument::Type(t)) => Some(t.to_token_stream()),
                None => None,
                Some(other) => {
                    return Err(cannot_cross(other, &format!("expected {form}")));
                }
            };
            match (dims, written) {
                (None, true) => Ok(Param::Out(name, elem)),
                (None, false) => Err(cannot_cross(
                    ty,
                    "a view needs its number of axes, `View<T, 2>` (a flat array is `&[T]`)",
                )),
                (Some(dims), written) => Ok(Param::Array {
                    name,
                    elem,
                    dims,
                    written,
                }),
            }
        }
        _ if elem_tag(ty).is_some() => Ok(Param::Scalar(name, ty.clone())),
        Type::Path(_) | Type::Array(_) => Ok(Param::Value(name, ty.clone())),
        _ => Err(cannot_cross(ty, "its type has no device form")),
    }
}

/// Puts a concrete type in for a generic parameter, in every type of a
/// signature.
struct Substitute<'a> {
    param: &'a Ident,
    with: &'a Type,
}

impl VisitMut for Substitute<'_> {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if let Type::Path(p) = ty
            && p.qself.is_none()
            && p.path.is_ident(self.param)
        {
            *ty = self.with.clone();
            return;
        }
        syn::visit_mut::visit_type_mut(self, ty);
    }
}

/// The kernel's generic element parameter and its instances, from the
/// signature and the attribute's list.
struct Generic {
    param: Ident,
    types: Vec<Type>,
}

fn generic(f: &ItemFn, list: Vec<Type>) -> syn::Result<Option<Generic>> {
    let g = &f.sig.generics;
    if g.params.is_empty() {
        if let Some(t) = list.first() {
            return Err(syn::Error::new_spanned(
                t,
                "`#[kernel(types...)]` lists the instances of a generic kernel; this one is not \
                 generic (`fn k<T: ...>`)",
            ));
        }
        return Ok(None);
    }
    let mut params = g.params.iter();
    let (Some(GenericParam::Type(t)), None) = (params.next(), params.next()) else {
        return Err(syn::Error::new_spanned(
            g,
            "a generic kernel has one type parameter, its element type (`fn k<T: Real>`)",
        ));
    };
    if list.is_empty() {
        return Err(syn::Error::new_spanned(
            g,
            format!(
                "a generic kernel is built once per element type, ahead of time: list them, \
                 `#[kernel(f32, f64)]`, to build `{}` for each",
                f.sig.ident
            ),
        ));
    }
    for ty in &list {
        if elem_tag(ty).is_none() {
            return Err(syn::Error::new_spanned(
                ty,
                format!("a kernel's instances are element types: {}", elem_list()),
            ));
        }
    }
    Ok(Some(Generic {
        param: t.ident.clone(),
        types: list,
    }))
}

/// One instance's parameters, its types put in.
fn instance_params(f: &ItemFn, generic: Option<(&Ident, &Type)>) -> syn::Result<Vec<Param>> {
    let mut inputs = f.sig.inputs.clone();
    if let Some((param, with)) = generic {
        for arg in &mut inputs {
            Substitute { param, with }.visit_fn_arg_mut(arg);
        }
    }
    let params = inputs
        .iter()
        .map(classify)
        .collect::<syn::Result<Vec<_>>>()?;
    if params.len() > 16 {
        return Err(syn::Error::new_spanned(
            &f.sig.inputs,
            "a kernel has at most 16 parameters",
        ));
    }
    Ok(params)
}

/// One instance's `KernelInfo` initializer: its entry point's name and
/// parameter kinds.
fn info(entry: &str, params: &[Param]) -> TokenStream2 {
    let kinds = params.iter().map(|p| match p {
        Param::Slice(_, t) => {
            let e = elem_of(t);
            quote!(::hotloop_device::host::ParamKind::Slice(#e))
        }
        Param::Out(_, t) => {
            let e = elem_of(t);
            quote!(::hotloop_device::host::ParamKind::Out(#e))
        }
        Param::Scalar(_, t) => {
            let tag = format_ident!("{}", elem_tag(t).expect("classified"));
            quote!(::hotloop_device::host::ParamKind::Scalar(::hotloop_device::Elem::#tag))
        }
        Param::Array {
            elem,
            dims,
            written,
            ..
        } => {
            let e = elem_of(elem);
            quote!(::hotloop_device::host::ParamKind::Array {
                elem: #e,
                dims: (#dims) as u8,
                written: #written,
            })
        }
        Param::Value(_, t) => quote!(::hotloop_device::__core::abi::ParamKind::value::<#t>()),
    });
    quote! {
        ::hotloop_device::host::KernelInfo {
            name: #entry,
            params: &[#(#kinds),*],
        }
    }
}

/// The `nvptx64` entry point `entry` of one instance: its parameters in
/// their raw form, the kernel's own rebuilt from them, then `call`.
fn entry_point(f: &ItemFn, entry: &Ident, params: &[Param], call: TokenStream2) -> TokenStream2 {
    let mut raw = Vec::new();
    let mut rebuild = Vec::new();
    for p in params {
        match p {
            Param::Slice(n, t) => {
                let (ptr, len) = (
                    format_ident!("__hotloop_{n}_ptr"),
                    format_ident!("__hotloop_{n}_len"),
                );
                raw.push(quote!(#ptr: *const #t, #len: u64));
                rebuild.push(quote! {
                    let #n: &[#t] = if #len == 0 {
                        &[]
                    } else {
                        // SAFETY: the launch contract: `len` elements at `ptr`.
                        unsafe { ::hotloop_device::__private::from_raw_parts(#ptr, #len as usize) }
                    };
                });
            }
            Param::Out(n, t) => {
                let (ptr, len) = (
                    format_ident!("__hotloop_{n}_ptr"),
                    format_ident!("__hotloop_{n}_len"),
                );
                raw.push(quote!(#ptr: *mut #t, #len: u64));
                rebuild.push(quote! {
                    // SAFETY: the launch contract: `len` elements at `ptr`.
                    let #n = unsafe { ::hotloop_device::Out::<#t>::from_raw(#ptr, #len as usize) };
                });
            }
            Param::Scalar(n, t) => raw.push(quote!(#n: #t)),
            Param::Array {
                name: n,
                elem: t,
                dims,
                written,
            } => {
                raw.push(quote! {
                    #n: ::hotloop_device::__core::abi::ByValue<
                        ::hotloop_device::__core::abi::ArrayParts<{ #dims }>,
                    >
                });
                let ty = if *written {
                    quote!(::hotloop_device::Out::<#t, { #dims }>)
                } else {
                    quote!(::hotloop_device::View::<#t, { #dims }>)
                };
                rebuild.push(quote! {
                    // SAFETY: the launch contract: the parts describe the
                    // device array the host pushed, every in-bounds element
                    // within it.
                    let #n = unsafe { #ty::from_parts(&#n.value) };
                });
            }
            Param::Value(n, t) => {
                raw.push(quote!(#n: ::hotloop_device::__core::abi::ByValue<#t>));
                rebuild.push(quote!(let #n: #t = #n.value;));
            }
        }
    }
    let attrs = &f.attrs;
    let vis = &f.vis;
    quote! {
        #[cfg(target_arch = "nvptx64")]
        #[unsafe(no_mangle)]
        #(#attrs)*
        #[allow(clippy::too_many_arguments)]
        #vis unsafe extern "ptx-kernel" fn #entry(#(#raw),*) {
            #(#rebuild)*
            #call
        }
    }
}

/// The typed launcher's parameters, pushes and the simulator's unpacking,
/// for parameters whose types are as the signature writes them (generic
/// or not).
struct Launch {
    params: Vec<TokenStream2>,
    pushes: Vec<TokenStream2>,
    unpack: Vec<TokenStream2>,
    /// A generic `DeviceValue` parameter's bound, for the launcher.
    bounds: Vec<TokenStream2>,
}

fn launch_parts(params: &[Param]) -> Launch {
    let mut l = Launch {
        params: Vec::new(),
        pushes: Vec::new(),
        unpack: Vec::new(),
        bounds: Vec::new(),
    };
    for (i, p) in params.iter().enumerate() {
        match p {
            Param::Slice(n, t) => {
                l.params.push(quote!(#n: &impl ::hotloop_device::host::DeviceBuffer<#t, Memory = <__HotloopL as ::hotloop_device::host::Launcher>::Memory>));
                l.pushes.push(quote!(__hotloop_args.slice::<#t, _>(#n);));
                l.unpack.push(quote! {
                    // SAFETY: `Launcher`'s contract: `body` runs only on host arrays.
                    let #n: &[#t] = unsafe { __hotloop_a.host_slice::<#t>(#i) };
                });
            }
            Param::Out(n, t) => {
                l.params.push(quote!(#n: &mut impl ::hotloop_device::host::DeviceBufferMut<#t, Memory = <__HotloopL as ::hotloop_device::host::Launcher>::Memory>));
                l.pushes.push(quote!(__hotloop_args.out::<#t, _>(#n);));
                l.unpack.push(quote! {
                    // SAFETY: as above.
                    let #n = unsafe { __hotloop_a.host_out::<#t>(#i) };
                });
            }
            Param::Scalar(n, t) => {
                l.params.push(quote!(#n: #t));
                l.pushes.push(quote!(__hotloop_args.scalar::<#t>(#n);));
                l.unpack
                    .push(quote!(let #n: #t = __hotloop_a.scalar_at::<#t>(#i);));
            }
            Param::Array {
                name: n,
                elem: t,
                dims,
                written,
            } => {
                if *written {
                    l.params.push(quote!(#n: &mut impl ::hotloop_device::host::DeviceBufferMut<#t, Memory = <__HotloopL as ::hotloop_device::host::Launcher>::Memory>));
                    l.pushes
                        .push(quote!(__hotloop_args.array_out::<#t, _, { #dims }>(#n);));
                    l.unpack.push(quote! {
                        // SAFETY: as above.
                        let #n = unsafe { __hotloop_a.host_out_view::<#t, { #dims }>(#i) };
                    });
                } else {
                    l.params.push(quote!(#n: &impl ::hotloop_device::host::DeviceBuffer<#t, Memory = <__HotloopL as ::hotloop_device::host::Launcher>::Memory>));
                    l.pushes
                        .push(quote!(__hotloop_args.array::<#t, _, { #dims }>(#n);));
                    l.unpack.push(quote! {
                        // SAFETY: as above.
                        let #n = unsafe { __hotloop_a.host_view::<#t, { #dims }>(#i) };
                    });
                }
            }
            Param::Value(n, t) => {
                l.params.push(quote!(#n: #t));
                l.pushes.push(quote!(__hotloop_args.value::<#t>(#n);));
                l.unpack.push(quote! {
                    // SAFETY: pushed by `value::<T>` above.
                    let #n: #t = unsafe { __hotloop_a.host_value::<#t>(#i) };
                });
                l.bounds
                    .push(quote!(#t: ::hotloop_device::__core::abi::DeviceValue));
            }
        }
    }
    l
}

/// The parameters as the signature writes them, classified with the
/// generic element parameter standing for an element type (its
/// instances' classification is the same: it depends on the shape).
fn written_params(f: &ItemFn, generic: Option<&Generic>) -> syn::Result<Vec<Param>> {
    let Some(g) = generic else {
        return instance_params(f, None);
    };
    let first = instance_params(f, Some((&g.param, &g.types[0])))?;
    // The same names and kinds, with the signature's own types.
    let written: Vec<Type> = f
        .sig
        .inputs
        .iter()
        .map(|a| match a {
            FnArg::Typed(pt) => (*pt.ty).clone(),
            FnArg::Receiver(_) => unreachable!("classified above"),
        })
        .collect();
    Ok(first
        .into_iter()
        .zip(written)
        .map(|(p, ty)| {
            let elem = |ty: &Type| match ty {
                Type::Reference(r) => match &*r.elem {
                    Type::Slice(s) => (*s.elem).clone(),
                    _ => ty.clone(),
                },
                Type::Path(p) => p
                    .path
                    .segments
                    .last()
                    .and_then(|s| match &s.arguments {
                        PathArguments::AngleBracketed(a) => a.args.iter().find_map(|a| match a {
                            GenericArgument::Type(t) => Some(t.clone()),
                            _ => None,
                        }),
                        _ => None,
                    })
                    .unwrap_or_else(|| ty.clone()),
                _ => ty.clone(),
            };
            match p {
                Param::Slice(n, _) => Param::Slice(n, elem(&ty)),
                Param::Out(n, _) => Param::Out(n, elem(&ty)),
                Param::Scalar(n, _) => Param::Scalar(n, ty),
                Param::Value(n, _) => Param::Value(n, ty),
                Param::Array {
                    name,
                    dims,
                    written,
                    ..
                } => Param::Array {
                    name,
                    elem: elem(&ty),
                    dims,
                    written,
                },
            }
        })
        .collect())
}

/// `#[kernel]`'s expansion; `attr` is the list of instances, if any.
pub(crate) fn expand(attr: TokenStream2, f: ItemFn) -> syn::Result<TokenStream2> {
    let list: Vec<Type> =
        syn::parse::Parser::parse2(Punctuated::<Type, Token![,]>::parse_terminated, attr)?
            .into_iter()
            .collect();
    let sig = &f.sig;
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
    let mut f = f;
    // One function per math name on every target (`crate::math`).
    crate::math::ThroughReal {
        core: quote!(::hotloop_device::__core),
    }
    .visit_block_mut(&mut f.block);
    let generic = generic(&f, list)?;
    match &generic {
        None => plain(&f),
        Some(g) => instances(&f, g),
    }
}

/// A kernel with one instance: the entry point has the function's name.
fn plain(f: &ItemFn) -> syn::Result<TokenStream2> {
    let params = instance_params(f, None)?;
    let name = &f.sig.ident;
    let (vis, attrs, block, inputs) = (&f.vis, &f.attrs, &f.block, &f.sig.inputs);
    let names: Vec<&Ident> = params.iter().map(Param::name).collect();
    // On the device the entry takes the function's name: the function is
    // nested inside it.
    let entry = entry_point(
        f,
        name,
        &params,
        quote! {
            #[inline(always)]
            #[allow(clippy::too_many_arguments)]
            fn __hotloop_body(#inputs) #block
            __hotloop_body(#(#names),*)
        },
    );
    let info = info(&name.to_string(), &params);
    let Launch {
        params: launch_params,
        pushes,
        unpack,
        bounds: _,
    } = launch_parts(&params);
    let doc_launch = format!(
        "Launches `{name}` over `grid` (`(blocks, threads)`, each a `u32` or a 2- or 3-tuple) \
         with these arguments, on the simulator or a CUDA module."
    );
    Ok(quote! {
        #entry

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
            pub static INFO: ::hotloop_device::host::KernelInfo = #info;

            #[doc = #doc_launch]
            // The launcher's own names start with `__hotloop`/`__Hotloop`,
            // so that a kernel parameter of any other name (`a`, `grid`,
            // `launcher`) cannot clash with them.
            #[allow(clippy::too_many_arguments)]
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

/// A generic kernel built for each listed element type: entry points
/// `<name>_<type>`, one launcher generic over the instances.
fn instances(f: &ItemFn, g: &Generic) -> syn::Result<TokenStream2> {
    // Every instance is an element type: the function may use `Out<T>`'s
    // and the atomics' methods without saying so.
    let param = &g.param;
    let mut f = f.clone();
    add_device_copy(&mut f.sig.generics, param);
    let f = &f;
    let name = &f.sig.ident;
    let vis = &f.vis;
    let mut entries = Vec::new();
    let mut impls = Vec::new();
    let mut entry_names = Vec::new();
    for ty in &g.types {
        let params = instance_params(f, Some((param, ty)))?;
        let suffix = ty.to_token_stream().to_string();
        let entry = format_ident!("{name}_{suffix}");
        let names: Vec<&Ident> = params.iter().map(Param::name).collect();
        entries.push(entry_point(
            f,
            &entry,
            &params,
            quote!(#name::<#ty>(#(#names),*)),
        ));
        let info = info(&entry.to_string(), &params);
        impls.push(quote! {
            impl sealed::Sealed for #ty {}
            impl Instance for #ty {
                fn info() -> &'static ::hotloop_device::host::KernelInfo {
                    static INFO: ::hotloop_device::host::KernelInfo = #info;
                    &INFO
                }
            }
        });
        entry_names.push(format!("`{entry}`"));
    }
    let written = written_params(f, Some(g))?;
    let names: Vec<&Ident> = written.iter().map(Param::name).collect();
    let Launch {
        params: launch_params,
        pushes,
        unpack,
        bounds,
    } = launch_parts(&written);
    let user_bounds = f
        .sig
        .generics
        .params
        .iter()
        .find_map(|p| match p {
            GenericParam::Type(t) => Some(t.bounds.clone()),
            _ => None,
        })
        .unwrap_or_default();
    let user_where = f
        .sig
        .generics
        .where_clause
        .as_ref()
        .map(|w| w.predicates.clone())
        .unwrap_or_default();
    let types = g.types.iter().map(|t| t.to_token_stream().to_string());
    let doc_instance = format!(
        "An element type `{name}` is built for ({}): its entry point is `{name}_<type>`.",
        types.collect::<Vec<_>>().join(", ")
    );
    let doc_launch = format!(
        "Launches the `T` instance of `{name}` ({}) over `grid` (`(blocks, threads)`, each a \
         `u32` or a 2- or 3-tuple) with these arguments, on the simulator or a CUDA module.",
        entry_names.join(", ")
    );
    let doc_try_launch = format!(
        "[`launch`] for any element type `T`: `None` (nothing launched) if `{name}` is not \
         built for `T`, as Numba refuses a call that matches none of a kernel's signatures."
    );
    let arms = g.types.iter().map(|ty| {
        let tag = format_ident!("{}", elem_tag(ty).expect("checked in `generic`"));
        quote!(::hotloop_device::Elem::#tag => ::core::option::Option::Some(<#ty as Instance>::info()),)
    });
    Ok(quote! {
        #(#entries)*

        #[cfg_attr(target_arch = "nvptx64", inline(always))]
        #[allow(clippy::too_many_arguments)]
        #f

        /// The kernel's instances, their metadata and the typed launcher
        /// (generated by `#[kernel]`).
        #[cfg(not(target_arch = "nvptx64"))]
        #vis mod #name {
            // The signature's own types (a by-value struct) by their names.
            #[allow(unused_imports)]
            use super::*;

            mod sealed {
                pub trait Sealed {}
            }

            #[doc = #doc_instance]
            pub trait Instance: sealed::Sealed + ::hotloop_device::DeviceCopy {
                /// This instance's entry point name and parameters.
                fn info() -> &'static ::hotloop_device::host::KernelInfo;
            }

            #(#impls)*

            /// The `T` instance's entry point name and parameters, from the signature.
            pub fn info<#param: Instance>() -> &'static ::hotloop_device::host::KernelInfo {
                #param::info()
            }

            /// The `T` instance's metadata if `T` is one of the instances,
            /// `None` if it is not: for code generic over any element type.
            pub fn instance<#param: ::hotloop_device::DeviceCopy>(
            ) -> ::core::option::Option<&'static ::hotloop_device::host::KernelInfo> {
                match <#param as ::hotloop_device::DeviceCopy>::ELEM {
                    #(#arms)*
                    #[allow(unreachable_patterns)]
                    _ => ::core::option::Option::None,
                }
            }

            #[doc = #doc_launch]
            #[allow(clippy::too_many_arguments)]
            pub fn launch<#param, __HotloopL>(
                __hotloop_launcher: &__HotloopL,
                __hotloop_grid: impl ::core::convert::Into<::hotloop_device::host::Grid>,
                #(#launch_params),*
            ) -> ::core::result::Result<__HotloopL::Run, __HotloopL::Error>
            where
                #param: Instance + #user_bounds,
                __HotloopL: ::hotloop_device::host::Launcher,
                #(#bounds,)*
                #user_where
            {
                match try_launch::<#param, __HotloopL>(__hotloop_launcher, __hotloop_grid, #(#names),*) {
                    ::core::option::Option::Some(__hotloop_run) => __hotloop_run,
                    // `Instance` is implemented for the instances only.
                    ::core::option::Option::None => ::core::unreachable!(),
                }
            }

            #[doc = #doc_try_launch]
            #[allow(clippy::too_many_arguments)]
            pub fn try_launch<#param, __HotloopL>(
                __hotloop_launcher: &__HotloopL,
                __hotloop_grid: impl ::core::convert::Into<::hotloop_device::host::Grid>,
                #(#launch_params),*
            ) -> ::core::option::Option<::core::result::Result<__HotloopL::Run, __HotloopL::Error>>
            where
                #param: ::hotloop_device::DeviceCopy + #user_bounds,
                __HotloopL: ::hotloop_device::host::Launcher,
                #(#bounds,)*
                #user_where
            {
                let __hotloop_info = instance::<#param>()?;
                let mut __hotloop_args = ::hotloop_device::host::Args::new();
                #(#pushes)*
                ::core::option::Option::Some(__hotloop_launcher.launch(
                    __hotloop_info,
                    __hotloop_grid.into(),
                    &__hotloop_args,
                    &|__hotloop_a: &::hotloop_device::host::Args| {
                        #(#unpack)*
                        super::#name::<#param>(#(#names),*)
                    },
                ))
            }
        }
    })
}

/// Adds `param: DeviceCopy` where the function bounds `param` already: to
/// its `where` clause if that names it, else beside its own bounds (one
/// place, as Clippy asks).
fn add_device_copy(generics: &mut syn::Generics, param: &Ident) {
    let bound: syn::TypeParamBound = syn::parse_quote!(::hotloop_device::DeviceCopy);
    if let Some(w) = &mut generics.where_clause {
        for pred in &mut w.predicates {
            if let syn::WherePredicate::Type(t) = pred
                && matches!(&t.bounded_ty, Type::Path(p) if p.path.is_ident(param))
            {
                t.bounds.push(bound);
                return;
            }
        }
    }
    for p in &mut generics.params {
        if let GenericParam::Type(t) = p {
            t.bounds.push(bound);
            return;
        }
    }
}
