//! Generalized-ufunc signatures (`(n),()->(n)`): parsing, and binding them
//! to the shapes of the arrays a call passes, with errors that name the
//! dimension or argument that does not fit.
//!
//! The grammar is NumPy's, restricted to named core dimensions:
//! `args -> args`, `args = arg {, arg}`, `arg = ( [name {, name}] )`,
//! names `[A-Za-z_][A-Za-z0-9_]*`, whitespace anywhere between tokens.
//!
//! hotloop's gufuncs take one array input and one array output
//! ([`Signature::plan`] checks that shape of signature): further inputs must
//! be `()` scalars, which the kernel holds in its fields. Every core
//! dimension of the output must appear in the input, so the output's shape
//! follows from the input's.

use crate::{Error, Result};

/// A parsed signature: the core dimension names of each argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// The kernel's name, for messages.
    pub kernel: &'static str,
    /// The signature's text.
    pub text: &'static str,
    /// Core dimension names of each input, in order.
    pub inputs: Vec<Vec<String>>,
    /// Core dimension names of each output, in order.
    pub outputs: Vec<Vec<String>>,
}

/// How a gufunc call runs: the outer loop and each iteration's blocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GufuncPlan {
    /// The loop (outer) dimensions, shared by the input and the output.
    pub loop_shape: Vec<usize>,
    /// Number of loop iterations (product of `loop_shape`).
    pub loops: usize,
    /// Sizes of the core dimensions, in order of first appearance.
    pub core: Vec<usize>,
    /// Elements of the input per iteration.
    pub in_block: usize,
    /// Elements of the output per iteration.
    pub out_block: usize,
    /// The output's full shape (`loop_shape` then its core dimensions).
    pub out_shape: Vec<usize>,
}

impl Signature {
    /// Parses `text`, the signature of `kernel`.
    pub fn parse(kernel: &'static str, text: &'static str) -> Result<Signature> {
        let err = |detail: String| Error::Signature {
            kernel,
            signature: text,
            detail,
        };
        let (ins, outs) = text
            .split_once("->")
            .ok_or_else(|| err("no `->` between the inputs and the outputs".into()))?;
        let inputs = parse_args(ins).map_err(|d| err(format!("inputs: {d}")))?;
        let outputs = parse_args(outs).map_err(|d| err(format!("outputs: {d}")))?;
        Ok(Signature {
            kernel,
            text,
            inputs,
            outputs,
        })
    }

    fn error(&self, detail: String) -> Error {
        Error::Signature {
            kernel: self.kernel,
            signature: self.text,
            detail,
        }
    }

    /// The core dimension names in order of first appearance (inputs, then
    /// outputs).
    pub fn core_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for n in self.inputs.iter().chain(&self.outputs).flatten() {
            if !names.contains(&n.as_str()) {
                names.push(n);
            }
        }
        names
    }

    /// Binds the signature to an input of shape `input` and, for the
    /// `_into` forms, an output of shape `output` (`None`: the output is to
    /// be allocated with [`GufuncPlan::out_shape`]). The loop dimensions
    /// are the input's leading axes before its core dimensions; the output
    /// must have the same loop dimensions, and every core dimension the same
    /// size wherever it appears.
    pub fn plan(&self, input: &[usize], output: Option<&[usize]>) -> Result<GufuncPlan> {
        if self.inputs.is_empty() {
            return Err(self.error("the signature has no input".into()));
        }
        for (i, arg) in self.inputs.iter().enumerate().skip(1) {
            if !arg.is_empty() {
                return Err(self.error(format!(
                    "input {} is {}: hotloop gufuncs take one array input; further inputs \
                     must be `()`, scalars held in the kernel's fields",
                    i + 1,
                    show(arg)
                )));
            }
        }
        if self.outputs.len() != 1 {
            return Err(self.error(format!(
                "{} outputs: hotloop gufuncs have exactly one output",
                self.outputs.len()
            )));
        }
        let (in_core, out_core) = (&self.inputs[0], &self.outputs[0]);
        if let Some(n) = out_core.iter().find(|n| !in_core.contains(n)) {
            return Err(self.error(format!(
                "output core dimension {n} does not appear in the input, so the output's \
                 size cannot be known"
            )));
        }
        if input.len() < in_core.len() {
            return Err(self.error(format!(
                "input has {} dimensions but the signature needs at least {} (core \
                 dimensions {})",
                input.len(),
                in_core.len(),
                show(in_core)
            )));
        }
        let split = input.len() - in_core.len();
        let loop_shape = input[..split].to_vec();
        let names = self.core_names();
        let mut sizes: Vec<Option<usize>> = vec![None; names.len()];
        let index = |n: &str| names.iter().position(|m| *m == n).expect("listed above");
        for (axis, (n, &len)) in in_core.iter().zip(&input[split..]).enumerate() {
            let slot = &mut sizes[index(n)];
            match *slot {
                Some(seen) if seen != len => {
                    return Err(self.error(format!(
                        "core dimension {n}: input axis {} has {seen}, input axis {} has {len}",
                        split + in_core.iter().position(|m| m == n).expect("present"),
                        split + axis
                    )));
                }
                _ => *slot = Some(len),
            }
        }
        let core: Vec<usize> = sizes.into_iter().map(|s| s.unwrap_or(0)).collect();
        let out_core_sizes: Vec<usize> = out_core.iter().map(|n| core[index(n)]).collect();
        let out_shape: Vec<usize> = loop_shape.iter().chain(&out_core_sizes).copied().collect();
        if let Some(out) = output {
            if out.len() != out_shape.len() {
                return Err(self.error(format!(
                    "output has {} dimensions but needs {} (loop dimensions {:?}, then core \
                     dimensions {})",
                    out.len(),
                    out_shape.len(),
                    loop_shape,
                    show(out_core)
                )));
            }
            if out[..split] != loop_shape[..] {
                return Err(self.error(format!(
                    "loop dimensions: input has {:?}, output has {:?}",
                    loop_shape,
                    &out[..split]
                )));
            }
            for (n, (&want, &got)) in out_core
                .iter()
                .zip(out_core_sizes.iter().zip(&out[split..]))
            {
                if want != got {
                    return Err(self.error(format!(
                        "core dimension {n}: input has {want}, output has {got}"
                    )));
                }
            }
        }
        let product = |dims: &[usize]| dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        let overflow = |shape: &[usize]| Error::IndexOverflow {
            shape: shape.to_vec(),
            index_type: "usize",
        };
        let loops = product(&loop_shape).ok_or_else(|| overflow(input))?;
        let in_block = product(&input[split..]).ok_or_else(|| overflow(input))?;
        let out_block = product(&out_core_sizes).ok_or_else(|| overflow(&out_shape))?;
        loops
            .checked_mul(out_block)
            .ok_or_else(|| overflow(&out_shape))?;
        Ok(GufuncPlan {
            loop_shape,
            loops,
            core,
            in_block,
            out_block,
            out_shape,
        })
    }
}

/// `(n, m)` for messages.
fn show(arg: &[String]) -> String {
    format!("({})", arg.join(", "))
}

/// Parses `(a, b), (), (c)`.
fn parse_args(text: &str) -> std::result::Result<Vec<Vec<String>>, String> {
    let mut args = Vec::new();
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err("no arguments (write `()` for a scalar)".into());
    }
    loop {
        rest = rest
            .strip_prefix('(')
            .ok_or_else(|| format!("expected `(` at `{rest}`"))?;
        let close = rest
            .find(')')
            .ok_or_else(|| format!("no `)` closing `({rest}`"))?;
        let inner = rest[..close].trim();
        let mut names = Vec::new();
        if !inner.is_empty() {
            for name in inner.split(',').map(str::trim) {
                let mut chars = name.chars();
                let ok = chars
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !ok {
                    return Err(format!(
                        "`{name}` is not a core dimension name (letters, digits, `_`, not \
                         starting with a digit; fixed sizes are not supported)"
                    ));
                }
                names.push(name.to_string());
            }
        }
        args.push(names);
        rest = rest[close + 1..].trim_start();
        if rest.is_empty() {
            return Ok(args);
        }
        rest = rest
            .strip_prefix(',')
            .ok_or_else(|| format!("expected `,` or the end at `{rest}`"))?
            .trim_start();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail(e: Error) -> String {
        match e {
            Error::Signature { detail, .. } => detail,
            other => panic!("not a signature error: {other}"),
        }
    }

    #[test]
    fn parses_numpy_signatures() {
        let s = Signature::parse("k", "(n),()->(n)").unwrap();
        assert_eq!(s.inputs, vec![vec!["n".to_string()], vec![]]);
        assert_eq!(s.outputs, vec![vec!["n".to_string()]]);
        let s = Signature::parse("k", " ( m , n_2 ) -> ( n_2 ) ").unwrap();
        assert_eq!(s.inputs, vec![vec!["m".to_string(), "n_2".to_string()]]);
        assert_eq!(s.core_names(), ["m", "n_2"]);
        for bad in [
            "(n)(n)",
            "(n),()",
            "(n)->",
            "(n->(n)",
            "(3)->(3)",
            "n->n",
            "(n,)->(n)",
        ] {
            let e = Signature::parse("k", bad).unwrap_err();
            assert!(matches!(e, Error::Signature { .. }), "{bad}: {e}");
        }
    }

    #[test]
    fn plans_loop_over_leading_axes() {
        let s = Signature::parse("k", "(n),()->(n)").unwrap();
        let p = s.plan(&[3, 4, 5], Some(&[3, 4, 5])).unwrap();
        assert_eq!(p.loop_shape, [3, 4]);
        assert_eq!((p.loops, p.in_block, p.out_block), (12, 5, 5));
        assert_eq!(p.core, [5]);
        let p = s.plan(&[7], None).unwrap();
        assert_eq!((p.loops, p.out_shape.clone()), (1, vec![7]));
        let r = Signature::parse("k", "(m,n)->(n)").unwrap();
        let p = r.plan(&[2, 3, 4], None).unwrap();
        assert_eq!((p.loops, p.in_block, p.out_block), (2, 12, 4));
        assert_eq!(p.out_shape, [2, 4]);
    }

    #[test]
    fn mismatches_name_the_dimension() {
        let s = Signature::parse("moving_average", "(n),()->(n)").unwrap();
        let e = s.plan(&[3, 5], Some(&[3, 4])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "moving_average with signature (n),()->(n): core dimension n: input has 5, output has 4"
        );
        let d = detail(s.plan(&[3, 5], Some(&[2, 5])).unwrap_err());
        assert_eq!(d, "loop dimensions: input has [3], output has [2]");
        let d = detail(s.plan(&[3, 5], Some(&[15])).unwrap_err());
        assert!(d.starts_with("output has 1 dimensions but needs 2"), "{d}");
        let d = detail(s.plan(&[], None).unwrap_err());
        assert!(
            d.contains("input has 0 dimensions") && d.contains("(n)"),
            "{d}"
        );
        let sq = Signature::parse("k", "(n,n)->(n)").unwrap();
        let d = detail(sq.plan(&[3, 4], None).unwrap_err());
        assert_eq!(
            d,
            "core dimension n: input axis 0 has 3, input axis 1 has 4"
        );
        let d = detail(
            Signature::parse("k", "(n)->(m)")
                .unwrap()
                .plan(&[3], None)
                .unwrap_err(),
        );
        assert!(d.contains("output core dimension m"), "{d}");
        let d = detail(
            Signature::parse("k", "(n),(n)->(n)")
                .unwrap()
                .plan(&[3], None)
                .unwrap_err(),
        );
        assert!(d.contains("input 2 is (n)"), "{d}");
        let d = detail(
            Signature::parse("k", "(n)->(n),(n)")
                .unwrap()
                .plan(&[3], None)
                .unwrap_err(),
        );
        assert!(d.contains("2 outputs"), "{d}");
    }

    #[test]
    fn overflowing_shapes_are_errors() {
        let s = Signature::parse("k", "(n)->(n)").unwrap();
        assert!(matches!(
            s.plan(&[usize::MAX, 2, 2], None),
            Err(Error::IndexOverflow { .. })
        ));
    }
}
