//! `#[device_op]`: an op's trait impl, and the GPU entry points that run
//! the op, from one declaration.
//!
//! On the trait impl of a [`UnaryOp`], `BinaryOp`, `NaryOp`, `Predicate`,
//! `GuKernel`, `Stencil3` or `Stencil2` (the trait's name says the form),
//! it generates:
//!
//! - on `nvptx64`, one entry point per element type and form: the op is
//!   the first parameter, by value; the entry calls the per-thread body the
//!   simulator calls (`hotloop_core::grid`) over it;
//! - on the host, the impl with its `device_kernel` method filled in: the
//!   entry's name and parameters, the crate's PTX module, the op's bytes.
//!
//! A built-in op (`#[device_op(builtin)]`, in `hotloop-core`, which the
//! device API is built on) gets the host half only: its entries are made
//! in `hotloop-kernels` by `builtin_entries!` from its impl header, with
//! the same [`entries`] as here, so names and parameters agree.
//!
//! The parameter list of each form is written once, in [`Form::params`]
//! (the entry's signature and the host's [`KernelInfo`] both come from it).
//!
//! [`UnaryOp`]: https://docs.rs/hotloop-core
//! [`KernelInfo`]: https://docs.rs/hotloop-core

use proc_macro2::TokenStream as TokenStream2;
use quote::{format_ident, quote};
use syn::{GenericArgument, GenericParam, ItemImpl, PathArguments, Type};

use crate::CratePath;

/// The kinds of entry, as `hotloop_core::abi::Form`.
#[derive(Clone, Copy, PartialEq)]
enum Form {
    Map,
    MapRight,
    MapLeft,
    Zip,
    /// `NaryOp<T, I, O>`: `I` inputs, `O` outputs.
    MapN(usize, usize),
    Count,
    /// `GuKernel<T, I, O>`: `I` array inputs, `O` outputs.
    Gufunc(usize, usize),
    Stencil,
}

/// The names of an `NaryOp`'s inputs and outputs in its entry.
const NARY_INPUTS: [&str; 4] = ["in0", "in1", "in2", "in3"];
const NARY_OUTPUTS: [&str; 3] = ["out0", "out1", "out2"];

/// One parameter of a form after the op: how it is declared in the entry
/// and in the host's metadata.
enum P {
    Slice(&'static str),
    Out(&'static str),
    OutU64(&'static str),
    U64(&'static str),
    /// A by-value parameter of this type (tokens, `E` the element type).
    Value(
        &'static str,
        fn(&TokenStream2, &TokenStream2) -> TokenStream2,
    ),
}

impl Form {
    fn tag(self) -> &'static str {
        match self {
            Form::Map => "map",
            Form::MapRight => "map_right",
            Form::MapLeft => "map_left",
            Form::Zip => "zip",
            Form::MapN(..) => "map_n",
            Form::Count => "count",
            Form::Gufunc(..) => "gufunc",
            Form::Stencil => "stencil",
        }
    }

    /// The parameters after the op, in order: the one statement of each
    /// form's ABI.
    fn params(self) -> Vec<P> {
        match self {
            Form::Map | Form::MapRight | Form::MapLeft => vec![P::Slice("input"), P::Out("out")],
            Form::Zip => vec![P::Slice("a"), P::Slice("b"), P::Out("out")],
            Form::MapN(i, o) => NARY_INPUTS[..i]
                .iter()
                .map(|n| P::Slice(n))
                .chain(NARY_OUTPUTS[..o].iter().map(|n| P::Out(n)))
                .collect(),
            Form::Count => vec![P::Slice("input"), P::OutU64("partials")],
            Form::Gufunc(i, o) => NARY_INPUTS[..i]
                .iter()
                .map(|n| P::Slice(n))
                .chain(NARY_OUTPUTS[..o].iter().map(|n| P::Out(n)))
                .chain([P::Value("shape", |c, _| quote!(#c::abi::GufuncShape))])
                .collect(),
            Form::Stencil => vec![
                P::Slice("input"),
                P::Out("out"),
                P::U64("nx"),
                P::U64("ny"),
                P::U64("nz"),
                P::Value("boundary", |c, e| quote!(#c::stencil::Boundary<#e>)),
                P::OutU64("first_fault"),
            ],
        }
    }

    /// The entry's body, over `op` (a `&` to the op value) and the
    /// parameters by name: the per-thread bodies of `hotloop_core::grid`
    /// (the simulator's), with the thread's place and the block reduction
    /// from `hotloop-device`, as any kernel has them.
    fn body(self, c: &TokenStream2) -> TokenStream2 {
        let idx = quote!(::hotloop_device::thread_1d());
        match self {
            Form::Map | Form::MapRight | Form::MapLeft => quote! {
                let len = if input_len < out_len { input_len } else { out_len };
                // SAFETY: the launch contract: `len` elements in each
                // buffer, equal (in place) or disjoint; grid-stride
                // indices are this thread's alone.
                unsafe { #c::grid::map_thread(#idx, op, input_ptr, out_ptr, len) }
            },
            Form::Zip => quote! {
                let len = if a_len < b_len { a_len } else { b_len };
                let len = if len < out_len { len } else { out_len };
                // SAFETY: as the map form, for three buffers.
                unsafe { #c::grid::zip_thread(#idx, op, a_ptr, b_ptr, out_ptr, len) }
            },
            Form::MapN(i, o) => {
                let [ins, in_lens, outs, out_lens] = array_names(i, o);
                quote! {
                    let mut len = u64::MAX;
                    for l in [#(#in_lens,)* #(#out_lens,)*] {
                        if l < len {
                            len = l;
                        }
                    }
                    // SAFETY: the launch contract: `len` elements in each
                    // buffer, the outputs disjoint; grid-stride indices
                    // are this thread's alone.
                    unsafe { #c::grid::map_n_thread(#idx, op, [#(#ins),*], [#(#outs),*], len) }
                }
            }
            Form::Count => quote! {
                let idx = #idx;
                // SAFETY: the launch contract: `input_len` elements.
                let n = unsafe { #c::grid::count_thread_partial(idx, op, input_ptr, input_len) };
                // Every thread reaches the reduction's barriers.
                let block = ::hotloop_device::block_reduce(
                    n,
                    <#c::reduce::Sum as #c::reduce::Reduction<u64>>::combine,
                );
                if idx.thread == 0 && u64::from(idx.block) < partials_len {
                    // SAFETY: one partial per block, written by its thread 0.
                    unsafe { *partials_ptr.add(idx.block as usize) = block };
                }
            },
            Form::Gufunc(i, o) => {
                let [ins, in_lens, outs, out_lens] = array_names(i, o);
                quote! {
                    let s = shape.value;
                    let _ = (#(#in_lens,)* #(#out_lens,)*);
                    let core: [usize; #c::abi::MAX_DEVICE_CORE_DIMS] =
                        ::core::array::from_fn(|i| s.core[i] as usize);
                    let n_core = if (s.n_core as usize) < core.len() { s.n_core as usize } else { core.len() };
                    let blocks = s.blocks::<#i, #o>();
                    // SAFETY: the launch contract: `loops` iterations'
                    // blocks in each buffer, the outputs disjoint; the
                    // iterations are this thread's.
                    unsafe {
                        #c::grid::gufunc_thread(
                            #idx, op, &core[..n_core], [#(#ins),*], [#(#outs),*], &blocks, s.loops,
                        )
                    }
                }
            }
            Form::Stencil => quote! {
                let _ = (input_len, out_len, first_fault_len);
                let shape = #c::index::Shape3::new(nx as usize, ny as usize, nz as usize);
                // SAFETY: the launch contract: `nx * ny * nz` elements in
                // each buffer, disjoint; cells are this thread's.
                let r = unsafe {
                    #c::grid::stencil_thread(#idx, op, input_ptr, out_ptr, shape, boundary.value)
                };
                if let Err((cell, _)) = r {
                    // The lowest cell at fault: the host recomputes its
                    // error on the CPU, as the serial backend reports it.
                    // SAFETY: one u64 the host allocated for it.
                    unsafe {
                        ::core::sync::atomic::AtomicU64::from_ptr(first_fault_ptr)
                            .fetch_min(cell, ::core::sync::atomic::Ordering::Relaxed)
                    };
                }
            },
        }
    }
}

/// The entry's names of `i` inputs' and `o` outputs' pointers and lengths
/// (`in0_ptr`, `in0_len`, ..., `out0_ptr`, ...), as [`Form::params`] names
/// them.
fn array_names(i: usize, o: usize) -> [Vec<proc_macro2::Ident>; 4] {
    let names = |list: &[&str], suffix: &str| -> Vec<proc_macro2::Ident> {
        list.iter().map(|n| format_ident!("{n}_{suffix}")).collect()
    };
    [
        names(&NARY_INPUTS[..i], "ptr"),
        names(&NARY_INPUTS[..i], "len"),
        names(&NARY_OUTPUTS[..o], "ptr"),
        names(&NARY_OUTPUTS[..o], "len"),
    ]
}

/// What the trait's name says: the forms its entries are, and which hook
/// the host's impl gets.
struct Trait {
    forms: Vec<Form>,
    hook: &'static str,
}

fn trait_of(name: &str) -> Option<Trait> {
    let (forms, hook) = match name {
        "UnaryOp" => (vec![Form::Map], "map"),
        "BinaryOp" => (vec![Form::Zip, Form::MapRight, Form::MapLeft], "zip"),
        // The arity is read from the trait's arguments (`decl`).
        "NaryOp" => (vec![Form::MapN(0, 0)], "map_n"),
        "Predicate" => (vec![Form::Count], "count"),
        // The arity is read from the trait's arguments (`decl`).
        "GuKernel" => (vec![Form::Gufunc(1, 1)], "gufunc"),
        "Stencil3" => (vec![Form::Stencil], "stencil3"),
        "Stencil2" => (vec![Form::Stencil], "stencil2"),
        _ => return None,
    };
    Some(Trait { forms, hook })
}

pub(crate) struct Args {
    pub(crate) krate: CratePath,
    /// `builtin`: the host half only, its entries in the built-in module
    /// (`hotloop-kernels` generates them from its list of built-ins).
    pub(crate) builtin: bool,
}

impl syn::parse::Parse for Args {
    fn parse(input: syn::parse::ParseStream<'_>) -> syn::Result<Self> {
        let mut args = Args {
            krate: CratePath::default(),
            builtin: false,
        };
        while !input.is_empty() {
            let key: syn::Ident = if input.peek(syn::Token![crate]) {
                let k: syn::Token![crate] = input.parse()?;
                syn::Ident::new("crate", k.span)
            } else {
                input.parse()?
            };
            if key == "builtin" {
                args.builtin = true;
            } else if key == "crate" {
                input.parse::<syn::Token![=]>()?;
                let p: syn::Path = input.parse()?;
                args.krate = CratePath::Path(quote!(#p));
            } else {
                return Err(syn::Error::new(
                    key.span(),
                    "#[device_op] takes no arguments (hotloop's own crates pass `builtin` and `crate = ...`)",
                ));
            }
            if !input.is_empty() {
                input.parse::<syn::Token![,]>()?;
            }
        }
        Ok(args)
    }
}

/// The numeric element types ([`Num`]'s), which a device op may be over.
const NUMS: [&str; 10] = [
    "f32", "f64", "i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64",
];

/// The element types to instantiate for, and the generic parameter they
/// replace (`None`: the impl is for one concrete type). A generic
/// parameter bounded by `Num` is every numeric type; otherwise (`Real`,
/// or a list header without bounds) `f32` and `f64`.
fn elements(
    item: &ItemImpl,
    trait_arg: &Type,
) -> syn::Result<(Vec<&'static str>, Option<syn::Ident>)> {
    let type_params: Vec<_> = item
        .generics
        .params
        .iter()
        .filter_map(|p| match p {
            GenericParam::Type(t) => Some(t.ident.clone()),
            GenericParam::Const(c) => Some(c.ident.clone()),
            GenericParam::Lifetime(_) => None,
        })
        .collect();
    let arg = match trait_arg {
        Type::Path(p) => p.path.get_ident().cloned(),
        _ => None,
    };
    let only_generic = |p: &syn::Ident| {
        syn::Error::new_spanned(
            p,
            "a device op is generic over its element type only: the GPU's code is compiled \
             ahead of time, once per element type",
        )
    };
    match arg {
        Some(a) if NUMS.iter().any(|n| a == n) => {
            if let Some(p) = type_params.first() {
                return Err(only_generic(p));
            }
            let name = NUMS.into_iter().find(|n| a == n).expect("found above");
            Ok((vec![name], None))
        }
        Some(a) if type_params.contains(&a) => {
            if let Some(other) = type_params.iter().find(|p| **p != a) {
                return Err(only_generic(other));
            }
            Ok((
                if bounded_by_num(item, &a) {
                    NUMS.to_vec()
                } else {
                    vec!["f32", "f64"]
                },
                Some(a),
            ))
        }
        _ => Err(syn::Error::new_spanned(
            trait_arg,
            format!(
                "the element type is one of {}, or the impl's one generic parameter",
                NUMS.join(", ")
            ),
        )),
    }
}

/// Whether the impl bounds `param` by `Num` (in its list or a where
/// clause), which makes the op one for every numeric type.
fn bounded_by_num(item: &ItemImpl, param: &syn::Ident) -> bool {
    let is_num = |b: &syn::TypeParamBound| match b {
        syn::TypeParamBound::Trait(t) => t.path.segments.last().is_some_and(|s| s.ident == "Num"),
        _ => false,
    };
    let in_list = item.generics.params.iter().any(|p| match p {
        GenericParam::Type(t) => t.ident == *param && t.bounds.iter().any(is_num),
        _ => false,
    });
    let in_where = item.generics.where_clause.iter().any(|w| {
        w.predicates.iter().any(|p| match p {
            syn::WherePredicate::Type(t) => {
                matches!(&t.bounded_ty, Type::Path(tp) if tp.path.is_ident(param))
                    && t.bounds.iter().any(is_num)
            }
            _ => false,
        })
    });
    in_list || in_where
}

/// `ty` with generic parameter `param` replaced by `with`.
fn substitute(ty: &Type, param: &Option<syn::Ident>, with: &TokenStream2) -> TokenStream2 {
    let Some(param) = param else {
        return quote!(#ty);
    };
    fn walk(ts: TokenStream2, param: &syn::Ident, with: &TokenStream2) -> TokenStream2 {
        ts.into_iter()
            .map(|tt| match tt {
                proc_macro2::TokenTree::Ident(i) if i == *param => with.clone(),
                proc_macro2::TokenTree::Group(g) => {
                    let mut ng =
                        proc_macro2::Group::new(g.delimiter(), walk(g.stream(), param, with));
                    ng.set_span(g.span());
                    quote!(#ng)
                }
                other => quote!(#other),
            })
            .collect()
    }
    walk(quote!(#ty), param, with)
}

fn type_ident(ty: &Type) -> syn::Result<String> {
    match ty {
        Type::Path(p) => Ok(p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default()),
        _ => Err(syn::Error::new_spanned(
            ty,
            "#[device_op] goes on an impl for a named struct",
        )),
    }
}

/// An op's trait impl as the macros read it: the forms its entries are,
/// the element types, and the type the entries take.
struct Decl {
    tr: Trait,
    /// The trait's element type argument, as written (`T`, `f32`).
    trait_arg: Type,
    /// A `UnaryOp`'s output type where it names one (`UnaryOp<i16, f32>`):
    /// a numeric type's name; `None` for the input's type.
    out_elem: Option<&'static str>,
    elems: Vec<&'static str>,
    /// The impl's generic element parameter, if it has one.
    param: Option<syn::Ident>,
    self_ty: Type,
    /// The op type's name, in its entries' names.
    ident: String,
}

fn decl(item: &ItemImpl) -> syn::Result<Decl> {
    let Some((_, trait_path, _)) = &item.trait_ else {
        return Err(syn::Error::new_spanned(
            &item.self_ty,
            "#[device_op] goes on an op's trait impl: `impl<T: Real> UnaryOp<T> for MyOp`",
        ));
    };
    let seg = trait_path.segments.last().expect("a path has a segment");
    let Some(tr) = trait_of(&seg.ident.to_string()) else {
        return Err(syn::Error::new_spanned(
            &seg.ident,
            "#[device_op] goes on an impl of UnaryOp, BinaryOp, NaryOp, Predicate, GuKernel, \
             Stencil3 or Stencil2",
        ));
    };
    let type_args: Vec<Type> = match &seg.arguments {
        PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|g| match g {
                GenericArgument::Type(t) => Some(t.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let trait_arg = type_args.first().cloned().ok_or_else(|| {
        syn::Error::new_spanned(seg, "the trait needs its element type, `UnaryOp<T>`")
    })?;
    let (elems, param) = elements(item, &trait_arg)?;
    let out_elem = match type_args.get(1) {
        Some(out) if tr.hook == "map" => output_elem(out, &param)?,
        _ => None,
    };
    let mut tr = tr;
    if tr.hook == "map_n" {
        tr.forms = vec![nary_arity(seg)?];
    }
    if tr.hook == "gufunc" {
        tr.forms = vec![gufunc_arity(seg)?];
    }
    Ok(Decl {
        tr,
        trait_arg,
        out_elem,
        elems,
        param,
        self_ty: (*item.self_ty).clone(),
        ident: type_ident(&item.self_ty)?,
    })
}

/// A `UnaryOp<T, U>`'s `U`: a numeric type's name, or `None` where it is
/// the impl's element parameter (the input's type again).
fn output_elem(out: &Type, param: &Option<syn::Ident>) -> syn::Result<Option<&'static str>> {
    let id = match out {
        Type::Path(p) => p.path.get_ident().cloned(),
        _ => None,
    };
    match id {
        Some(id) if param.as_ref() == Some(&id) => Ok(None),
        Some(id) => match NUMS.into_iter().find(|n| id == n) {
            Some(name) => Ok(Some(name)),
            None => Err(syn::Error::new_spanned(
                out,
                format!("a device op's output type is one of {}", NUMS.join(", ")),
            )),
        },
        None => Err(syn::Error::new_spanned(
            out,
            format!("a device op's output type is one of {}", NUMS.join(", ")),
        )),
    }
}

/// `GuKernel<T, I, O>`'s form: `I` and `O` as integer literals (one of
/// each when the trait names neither), within the limits.
fn gufunc_arity(seg: &syn::PathSegment) -> syn::Result<Form> {
    let has_consts = matches!(&seg.arguments, PathArguments::AngleBracketed(a)
        if a.args.iter().any(|g| matches!(g, GenericArgument::Const(_))));
    if !has_consts {
        return Ok(Form::Gufunc(1, 1));
    }
    match nary_arity(seg)? {
        Form::MapN(i, o) => Ok(Form::Gufunc(i, o)),
        _ => unreachable!("nary_arity gives MapN"),
    }
}

/// `NaryOp<T, I, O>`'s form: `I` and `O` as integer literals, within
/// the limits.
fn nary_arity(seg: &syn::PathSegment) -> syn::Result<Form> {
    let consts: Vec<&syn::Expr> = match &seg.arguments {
        PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|g| match g {
                GenericArgument::Const(e) => Some(e),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let literal = |e: &syn::Expr, max: usize, what: &str| -> syn::Result<usize> {
        let n = match e {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Int(i),
                ..
            }) => i.base10_parse::<usize>().ok(),
            _ => None,
        };
        n.filter(|n| (1..=max).contains(n)).ok_or_else(|| {
            syn::Error::new_spanned(
                e,
                format!("a device op's number of {what} is a literal from 1 to {max}"),
            )
        })
    };
    match consts[..] {
        [i, o] => Ok(Form::MapN(
            literal(i, NARY_INPUTS.len(), "inputs")?,
            literal(o, NARY_OUTPUTS.len(), "outputs")?,
        )),
        _ => Err(syn::Error::new_spanned(
            seg,
            "`NaryOp<T, I, O>` with its numbers of inputs and outputs as literals",
        )),
    }
}

/// One entry of an op: its form, element type and metadata initializer.
struct Entry {
    form: Form,
    elem: &'static str,
    name: String,
    /// The `KernelInfo` initializer.
    info: TokenStream2,
    /// The `nvptx64` entry point.
    code: TokenStream2,
}

/// Every entry of `d` (per form and element type), named
/// `<prefix>_<form>_<op>_<elem>`, the core crate at path `c`.
fn entries(d: &Decl, c: &TokenStream2, prefix: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    let self_ty = &d.self_ty;
    for &form in &d.tr.forms {
        for &e in &d.elems {
            let e_ty = format_ident!("{e}");
            let e_tok = quote!(#e_ty);
            let concrete = substitute(self_ty, &d.param, &e_tok);
            // The op value this form's entry takes.
            let op_ty = match (form, d.tr.hook) {
                (Form::MapRight, _) => quote!(#c::map::BindRight<#concrete, #e_ty>),
                (Form::MapLeft, _) => quote!(#c::map::BindLeft<#concrete, #e_ty>),
                (_, "stencil2") => quote!(#c::stencil::Planar<#concrete>),
                _ => concrete.clone(),
            };
            // An output of another type names it: `..._map_Volts_i16_f32`.
            let out_e = d.out_elem.unwrap_or(e);
            let name = match d.out_elem {
                Some(o) => format!("{prefix}_{}_{}_{e}_{o}", form.tag(), d.ident),
                None => format!("{prefix}_{}_{}_{e}", form.tag(), d.ident),
            };
            let entry = format_ident!("{name}");
            let mut sig = vec![quote!(op: #c::abi::ByValue<#op_ty>)];
            let mut kinds = vec![quote!(#c::abi::ParamKind::value::<#op_ty>())];
            let elem_tag = format_ident!("{}", e.to_uppercase());
            let (out_ty, out_tag) = (
                format_ident!("{out_e}"),
                format_ident!("{}", out_e.to_uppercase()),
            );
            for p in form.params() {
                match p {
                    P::Slice(n) => {
                        let (ptr, len) = (format_ident!("{n}_ptr"), format_ident!("{n}_len"));
                        sig.push(quote!(#ptr: *const #e_ty, #len: u64));
                        kinds.push(quote!(#c::abi::ParamKind::Slice(#c::abi::Elem::#elem_tag)));
                    }
                    P::Out(n) => {
                        let (ptr, len) = (format_ident!("{n}_ptr"), format_ident!("{n}_len"));
                        sig.push(quote!(#ptr: *mut #out_ty, #len: u64));
                        kinds.push(quote!(#c::abi::ParamKind::Out(#c::abi::Elem::#out_tag)));
                    }
                    P::OutU64(n) => {
                        let (ptr, len) = (format_ident!("{n}_ptr"), format_ident!("{n}_len"));
                        sig.push(quote!(#ptr: *mut u64, #len: u64));
                        kinds.push(quote!(#c::abi::ParamKind::Out(#c::abi::Elem::U64)));
                    }
                    P::U64(n) => {
                        let n = format_ident!("{n}");
                        sig.push(quote!(#n: u64));
                        kinds.push(quote!(#c::abi::ParamKind::Scalar(#c::abi::Elem::U64)));
                    }
                    P::Value(n, ty) => {
                        let n = format_ident!("{n}");
                        let t = ty(c, &e_tok);
                        sig.push(quote!(#n: #c::abi::ByValue<#t>));
                        kinds.push(quote!(#c::abi::ParamKind::value::<#t>()));
                    }
                }
            }
            let body = form.body(c);
            let doc = format!(
                "The `{}` entry of `{}` over `{e}` (generated by `#[device_op]`).",
                form.tag(),
                d.ident
            );
            let code = quote! {
                #[doc = #doc]
                ///
                /// # Safety
                /// The form's launch contract (`hotloop_core::abi::Form`).
                #[unsafe(no_mangle)]
                #[allow(clippy::too_many_arguments, non_snake_case)]
                pub unsafe extern "ptx-kernel" fn #entry(#(#sig),*) {
                    let op = &op.value;
                    #body
                }
            };
            let info = quote! {
                #c::abi::KernelInfo {
                    name: #name,
                    params: &[#(#kinds),*],
                }
            };
            out.push(Entry {
                form,
                elem: e,
                name,
                info,
                code,
            });
        }
    }
    out
}

pub(crate) fn expand(args: Args, mut item: ItemImpl) -> syn::Result<TokenStream2> {
    let d = decl(&item)?;
    let c = args.krate.core_root(args.builtin);
    // One function per math name on every target (`crate::math`).
    let mut through_real = crate::math::ThroughReal { core: c.clone() };
    for it in &mut item.items {
        if let syn::ImplItem::Fn(f) = it {
            syn::visit_mut::VisitMut::visit_block_mut(&mut through_real, &mut f.block);
            // The CPU backends run an op's loop in a function compiled for
            // the widest instruction set the CPU has (`hotloop_cpu::simd`),
            // which vectorizes the op's body only where it is inlined
            // there; a plain `#[inline]` is a hint that LLVM declines for a
            // body of loops (a gufunc's), which then runs on the baseline
            // instruction set. So every method is `#[inline(always)]`,
            // unless it says `#[inline(never)]`.
            let never = f.attrs.iter().any(|a| {
                a.path().is_ident("inline")
                    && a.parse_args::<syn::Ident>().is_ok_and(|i| i == "never")
            });
            if !never {
                f.attrs.retain(|a| !a.path().is_ident("inline"));
                f.attrs.push(syn::parse_quote!(#[inline(always)]));
            }
        }
    }
    // A built-in's entries are in `hotloop-kernels` (`builtin_entries!`),
    // where the device API is: this crate, hotloop-core, is under it.
    let krate_name = std::env::var("CARGO_CRATE_NAME").unwrap_or_else(|_| "crate".into());
    let module = if args.builtin {
        quote!(#c::abi::ModuleRef::Builtin)
    } else {
        quote!(#c::abi::ModuleRef::Crate(&crate::KERNELS))
    };
    let entries = entries(&d, &c, &krate_name);

    let mut statics = Vec::new();
    // `(form, element, the info static's name)`, for the host's hooks.
    let mut infos = Vec::new();
    for e in &entries {
        let info = format_ident!("__HOTLOOP_INFO_{}", e.name);
        let init = &e.info;
        statics.push(quote! {
            #[cfg(not(target_arch = "nvptx64"))]
            #[doc(hidden)]
            #[allow(non_upper_case_globals)]
            static #info: #c::abi::KernelInfo = #init;
        });
        infos.push((e.form, e.elem, info));
    }
    let trait_arg = &d.trait_arg;

    // The host's hooks pick the entry by the element type.
    let elem_name = match &d.param {
        Some(p) => quote!(<#p as #c::Num>::NAME),
        None => quote!(<#trait_arg as #c::Num>::NAME),
    };
    let pick = |form: Form| {
        let arms: Vec<_> = infos
            .iter()
            .filter(|(f, ..)| *f == form)
            .map(|(_, e, info)| quote!(#e => &#info,))
            .collect();
        quote! {
            let kernel: &'static #c::abi::KernelInfo = match #elem_name {
                #(#arms)*
                _ => return None,
            };
        }
    };
    let dk = quote!(#c::abi::DeviceKernel);
    let made = |value: TokenStream2| quote!(Some(#dk { kernel, module: #module, op: #c::abi::ValueBytes::of(#value) }));
    let hooks = if d.tr.hook == "zip" {
        let (z, r, l) = (pick(Form::Zip), pick(Form::MapRight), pick(Form::MapLeft));
        let (mz, mr, ml) = (
            made(quote!(*self)),
            made(quote!(#c::map::BindRight { op: *self, y: operand })),
            made(quote!(#c::map::BindLeft { op: *self, x: operand })),
        );
        quote! {
            fn device_kernel(&self) -> ::core::option::Option<#dk> {
                #z
                #mz
            }
            fn device_kernel_bound(
                &self,
                operand: #trait_arg,
                side: #c::map::Side,
            ) -> ::core::option::Option<#dk> {
                match side {
                    #c::map::Side::Right => {
                        #r
                        #mr
                    }
                    #c::map::Side::Left => {
                        #l
                        #ml
                    }
                }
            }
        }
    } else {
        let p = pick(d.tr.forms[0]);
        let m = made(if d.tr.hook == "stencil2" {
            quote!(#c::stencil::Planar(*self))
        } else {
            quote!(*self)
        });
        quote! {
            fn device_kernel(&self) -> ::core::option::Option<#dk> {
                #p
                #m
            }
        }
    };

    let mut host_impl = item.clone();
    let hooks: syn::ItemImpl = syn::parse2(quote!(impl X { #hooks }))?;
    host_impl.items.extend(hooks.items);
    let codes: Vec<&TokenStream2> = if args.builtin {
        Vec::new()
    } else {
        entries.iter().map(|e| &e.code).collect()
    };
    Ok(quote! {
        #[cfg(target_arch = "nvptx64")]
        #item

        #[cfg(target_arch = "nvptx64")]
        const _: () = {
            #(#codes)*
        };

        #[cfg(not(target_arch = "nvptx64"))]
        #host_impl

        #(#statics)*
    })
}

/// `builtin_entries!`: the GPU entries of ops declared elsewhere with
/// `#[device_op(builtin)]`, for the crate that builds the built-in module.
pub(crate) struct Builtins {
    krate: syn::Path,
    impls: Vec<ItemImpl>,
}

impl syn::parse::Parse for Builtins {
    fn parse(input: syn::parse::ParseStream<'_>) -> syn::Result<Self> {
        input.parse::<syn::Token![crate]>()?;
        input.parse::<syn::Token![=]>()?;
        let krate: syn::Path = input.parse()?;
        input.parse::<syn::Token![;]>()?;
        let mut impls = Vec::new();
        while !input.is_empty() {
            impls.push(input.parse()?);
        }
        Ok(Self { krate, impls })
    }
}

/// On `nvptx64`, the entries of every listed impl, named as the impls'
/// own crate names them (its hooks find them by those names); on the
/// host, `OP_KERNELS`, their metadata, for the PTX checks.
pub(crate) fn builtin_entries(b: Builtins) -> syn::Result<TokenStream2> {
    let krate = &b.krate;
    let c = quote!(#krate);
    let prefix = krate
        .segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default();
    let mut codes = Vec::new();
    let mut infos = Vec::new();
    for item in &b.impls {
        if !item.items.is_empty() {
            return Err(syn::Error::new_spanned(
                &item.items[0],
                "the list names each op's impl header only, `impl<T> UnaryOp<T> for Exp {}`: \
                 its body is in its own crate",
            ));
        }
        for e in entries(&decl(item)?, &c, &prefix) {
            codes.push(e.code);
            infos.push(e.info);
        }
    }
    Ok(quote! {
        #[cfg(target_arch = "nvptx64")]
        const _: () = {
            #(#codes)*
        };

        /// The metadata of every built-in op's entry in this module, as the
        /// ops' own `device_kernel` hooks give it.
        #[cfg(not(target_arch = "nvptx64"))]
        pub static OP_KERNELS: &[#c::abi::KernelInfo] = &[#(#infos),*];
    })
}
