//! One function per name on every target. In a kernel's body, `x.exp()`
//! on an `f64` would be `std`'s inherent `exp` on the host (the simulator,
//! the CPU) and, on `nvptx64`, where `core` has none, hotloop's `Real::exp`:
//! the same source running two functions, with two results. `#[kernel]` and
//! `#[device_op]` therefore call the float math methods `std` has and
//! `core` lacks through hotloop's `Real` (`Real::exp(x)`), on every target:
//! one function, the same bits. A name `Real` does not have is then the
//! same compile error on both targets, never a silent difference.
//!
//! Exactly rounded methods (`abs`, `floor`, `min`, `mul_add`, ...) give the
//! same bits everywhere and are left as they are.

use proc_macro2::TokenStream as TokenStream2;
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;

/// `std`'s float methods whose results are not exactly specified (IEEE
/// leaves them to the library; `gamma`, `ln_gamma`, `erf` and `erfc` are
/// still unstable there), and those that are exact but not in `core`
/// (`sqrt`, `floor`, `ceil`, `round`, `trunc`, `mul_add`, `copysign`), so
/// the GPU build would not find them. Names integers have too (`abs`,
/// `min`, `max`) are left alone: the rewrite sees no types.
const STD_FLOAT_MATH: [&str; 37] = [
    "sqrt", "cbrt", "exp", "exp2", "exp_m1", "ln", "log", "log2", "log10", "ln_1p", "powi", "powf",
    "hypot", "sin", "cos", "tan", "sin_cos", "asin", "acos", "atan", "atan2", "sinh", "cosh",
    "tanh", "asinh", "acosh", "atanh", "gamma", "ln_gamma", "erf", "erfc", "floor", "ceil",
    "round", "trunc", "mul_add", "copysign",
];

/// Rewrites `recv.name(args)` into `<core>::Real::name(recv, args)` for the
/// names above, in every expression of a body.
pub(crate) struct ThroughReal {
    /// The path of `hotloop-core`.
    pub(crate) core: TokenStream2,
}

impl VisitMut for ThroughReal {
    fn visit_expr_mut(&mut self, e: &mut syn::Expr) {
        syn::visit_mut::visit_expr_mut(self, e);
        let syn::Expr::MethodCall(m) = e else { return };
        let name = m.method.to_string();
        if m.turbofish.is_some() || !STD_FLOAT_MATH.contains(&name.as_str()) {
            return;
        }
        let (core, method, args) = (&self.core, &m.method, &m.args);
        // `(a / b).ln()`: as an argument the receiver needs no parentheses.
        let receiver = match &*m.receiver {
            syn::Expr::Paren(p) => &p.expr,
            r => r,
        };
        let args = args.iter();
        *e = syn::parse_quote_spanned! {m.span()=>
            #core::Real::#method(#receiver #(, #args)*)
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::{ToTokens, quote};

    fn rewrite(body: TokenStream2) -> String {
        let mut block: syn::Block = syn::parse2(quote!({ #body })).unwrap();
        ThroughReal { core: quote!(::c) }.visit_block_mut(&mut block);
        block.to_token_stream().to_string()
    }

    #[test]
    fn float_math_goes_through_real_and_the_rest_stays() {
        let s = rewrite(quote!(let y = (a / b).ln() * x.exp().sqrt() + x.abs() + x.powi(2);));
        assert!(s.contains(":: c :: Real :: ln (a / b)"), "{s}");
        assert!(
            s.contains(":: c :: Real :: sqrt (:: c :: Real :: exp (x))"),
            "{s}"
        );
        assert!(s.contains(":: c :: Real :: powi (x , 2)"), "{s}");
        assert!(s.contains("x . abs ()"), "{s}");
        // A turbofish is not a float's method.
        let s = rewrite(quote!(let v = it.exp::<u8>();));
        assert!(s.contains("it . exp :: < u8 > ()"), "{s}");
    }
}
