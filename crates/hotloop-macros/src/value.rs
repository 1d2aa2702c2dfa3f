//! `#[derive(DeviceValue)]`: a `#[repr(C)]` struct of device values is one
//! itself.

use proc_macro2::TokenStream as TokenStream2;
use quote::quote;
use syn::{Data, DeriveInput, Fields, GenericParam};

use crate::CratePath;

pub(crate) fn expand(input: DeriveInput) -> syn::Result<TokenStream2> {
    let krate = CratePath::from_attrs(&input.attrs)?.abi_root();
    let repr_c = input.attrs.iter().any(|a| {
        a.path().is_ident("repr")
            && a.parse_args_with(
                syn::punctuated::Punctuated::<syn::Ident, syn::Token![,]>::parse_terminated,
            )
            .is_ok_and(|ids| ids.iter().any(|i| i == "C" || i == "transparent"))
    });
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "DeviceValue is derived for structs: an op or a shape passed to the device by value",
        ));
    };
    if !repr_c {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "a DeviceValue needs `#[repr(C)]` (or `#[repr(transparent)]`): the host and the \
             GPU must lay its fields out the same way",
        ));
    }
    let fields: Vec<_> = match &data.fields {
        Fields::Named(f) => f.named.iter().map(|f| f.ty.clone()).collect(),
        Fields::Unnamed(f) => f.unnamed.iter().map(|f| f.ty.clone()).collect(),
        Fields::Unit => Vec::new(),
    };
    let name = &input.ident;
    let mut generics = input.generics.clone();
    for p in &mut generics.params {
        if let GenericParam::Type(t) = p {
            t.bounds.push(syn::parse_quote!(#krate::abi::DeviceValue));
        }
    }
    let (impl_g, ty_g, where_g) = generics.split_for_impl();
    Ok(quote! {
        // SAFETY: `#[repr(C)]` (checked by the derive) of fields that are
        // all device values (checked by the bound below).
        unsafe impl #impl_g #krate::abi::DeviceValue for #name #ty_g #where_g {}

        const _: () = {
            #[allow(dead_code)]
            fn every_field_is_a_device_value #impl_g () #where_g {
                fn is<V: #krate::abi::DeviceValue>() {}
                #( is::<#fields>(); )*
            }
        };
    })
}
