//! Generalized-ufunc signatures (`(n),()->(n)`): parsing, and binding them
//! to the shapes of the arrays a call passes, with errors that name the
//! dimension or argument that does not fit.
//!
//! The grammar is NumPy's, restricted to named core dimensions:
//! `args -> args`, `args = arg {, arg}`, `arg = ( [name {, name}] )`,
//! names `[A-Za-z_][A-Za-z0-9_]*`, whitespace anywhere between tokens.
//!
//! A gufunc's array inputs are its signature's inputs that are not `()`;
//! `()` inputs are scalars, which the kernel holds in its fields. Every core
//! dimension of an output must appear in an input, so the outputs' shapes
//! follow from the inputs'.

use crate::{Error, Result};
use hotloop_core::gufunc::Blocks;

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
    /// The loop (outer) dimensions, shared by the inputs that have them
    /// and the outputs.
    pub loop_shape: Vec<usize>,
    /// Number of loop iterations (product of `loop_shape`).
    pub loops: usize,
    /// Sizes of the core dimensions, in order of first appearance.
    pub core: Vec<usize>,
    /// Elements of each array input per iteration.
    pub in_blocks: Vec<usize>,
    /// Each array input's step between iterations: its block, or 0 for an
    /// input with no loop dimensions (one block for every iteration, as
    /// NumPy broadcasts it).
    pub in_steps: Vec<usize>,
    /// Elements of each output per iteration.
    pub out_blocks: Vec<usize>,
    /// Each output's full shape (`loop_shape` then its core dimensions).
    pub out_shapes: Vec<Vec<usize>>,
}

impl GufuncPlan {
    /// The blocks of `I` inputs and `O` outputs, as the kernels take them;
    /// an [`Error::InvalidArgument`] if the plan is for other counts.
    pub fn blocks<const I: usize, const O: usize>(&self) -> Result<Blocks<I, O>> {
        let counts = || Error::InvalidArgument {
            what: "gufunc plan",
            reason: format!(
                "planned for {} inputs and {} outputs, run with {I} and {O}",
                self.in_blocks.len(),
                self.out_blocks.len()
            ),
        };
        Ok(Blocks {
            in_block: self.in_blocks.clone().try_into().map_err(|_| counts())?,
            in_step: self.in_steps.clone().try_into().map_err(|_| counts())?,
            out_block: self.out_blocks.clone().try_into().map_err(|_| counts())?,
        })
    }

    /// The elements input `k` holds: its step times the iterations, or one
    /// block if it is shared.
    pub fn input_len(&self, k: usize) -> usize {
        match self.in_steps[k] {
            0 => self.in_blocks[k],
            step => step * self.loops,
        }
    }
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

    /// The loop shape of a call with array inputs of shapes `inputs`:
    /// their loop dimensions (each input's axes before its core
    /// dimensions) broadcast together as NumPy broadcasts them, aligned on
    /// the right, a missing or length-1 axis taking the other's length.
    /// Inputs that do not fit the signature at all are left to
    /// [`Signature::plan`] to report; loop dimensions that do not
    /// broadcast are an [`Error::Signature`] naming the first two inputs
    /// that disagree.
    pub fn broadcast_loops(&self, inputs: &[&[usize]]) -> Result<Vec<usize>> {
        let name = |k: usize| {
            if inputs.len() == 1 {
                "input".to_string()
            } else {
                format!("input {}", k + 1)
            }
        };
        // Each input's loop dimensions, where it has the core ones.
        let loops: Vec<Option<&[usize]>> = self
            .inputs
            .iter()
            .filter(|a| !a.is_empty())
            .zip(inputs)
            .map(|(core, dims)| dims.len().checked_sub(core.len()).map(|n| &dims[..n]))
            .collect();
        // The shape so far, and for each axis the input that set a length
        // other than 1 there.
        let mut shape: Vec<usize> = Vec::new();
        let mut from: Vec<Option<usize>> = Vec::new();
        for (k, lp) in loops.iter().enumerate() {
            let Some(lp) = *lp else { continue };
            if lp.len() > shape.len() {
                let extra = &lp[..lp.len() - shape.len()];
                shape.splice(0..0, extra.iter().copied());
                from.splice(0..0, extra.iter().map(|&d| (d != 1).then_some(k)));
            }
            let offset = shape.len() - lp.len();
            for (axis, &d) in lp.iter().enumerate() {
                let (s, f) = (&mut shape[offset + axis], &mut from[offset + axis]);
                if d == *s || d == 1 {
                    continue;
                }
                if *s == 1 {
                    (*s, *f) = (d, Some(k));
                    continue;
                }
                let j = f.expect("a length other than 1 has its input");
                return Err(self.error(format!(
                    "loop dimensions: {} has {:?}, {} has {:?}",
                    name(j),
                    loops[j].expect("it set a length"),
                    name(k),
                    lp
                )));
            }
        }
        Ok(shape)
    }

    /// Binds the signature to the array inputs' shapes `inputs` and, for
    /// the `_into` forms, the outputs' `outputs` (`None`: the outputs are
    /// to be allocated with [`GufuncPlan::out_shapes`]). An input's loop
    /// dimensions are its leading axes before its core dimensions: every
    /// input with loop dimensions has the same ones (an input without any
    /// is shared by every iteration), and so does every output; each core
    /// dimension has one size wherever it appears.
    pub fn plan(&self, inputs: &[&[usize]], outputs: Option<&[&[usize]]>) -> Result<GufuncPlan> {
        // The array inputs: the signature's inputs that are not `()`.
        let arrays: Vec<&Vec<String>> = self.inputs.iter().filter(|a| !a.is_empty()).collect();
        if arrays.len() != inputs.len() {
            return Err(self.error(format!(
                "{} array inputs in the signature, {} arrays given (a `()` input is a scalar \
                 held in the kernel's fields)",
                arrays.len(),
                inputs.len()
            )));
        }
        if arrays.is_empty() {
            return Err(self.error("the signature has no array input".into()));
        }
        if let Some(o) = outputs
            && o.len() != self.outputs.len()
        {
            return Err(self.error(format!(
                "{} outputs in the signature, {} given",
                self.outputs.len(),
                o.len()
            )));
        }
        // "input" alone, or "input 2" among several.
        let name = |k: usize| {
            if inputs.len() == 1 {
                "input".to_string()
            } else {
                format!("input {}", k + 1)
            }
        };
        let names = self.core_names();
        let index = |n: &str| names.iter().position(|m| *m == n).expect("listed");
        let mut sizes: Vec<Option<(usize, String)>> = vec![None; names.len()];
        let mut loop_shape: Option<(Vec<usize>, usize)> = None;
        let mut splits = Vec::with_capacity(inputs.len());
        for (k, (core, shape)) in arrays.iter().zip(inputs).enumerate() {
            if shape.len() < core.len() {
                return Err(self.error(format!(
                    "{} has {} dimensions but the signature needs at least {} (core \
                     dimensions {})",
                    name(k),
                    shape.len(),
                    core.len(),
                    show(core)
                )));
            }
            let split = shape.len() - core.len();
            splits.push(split);
            if split > 0 {
                match &loop_shape {
                    Some((seen, j)) if seen[..] != shape[..split] => {
                        return Err(self.error(format!(
                            "loop dimensions: {} has {:?}, {} has {:?}",
                            name(*j),
                            seen,
                            name(k),
                            &shape[..split]
                        )));
                    }
                    Some(_) => {}
                    None => loop_shape = Some((shape[..split].to_vec(), k)),
                }
            }
            for (axis, (n, &len)) in core.iter().zip(&shape[split..]).enumerate() {
                let here = if inputs.len() == 1 {
                    format!("input axis {}", split + axis)
                } else {
                    format!("input {} axis {}", k + 1, split + axis)
                };
                match &sizes[index(n)] {
                    Some((seen, at)) if *seen != len => {
                        return Err(self.error(format!(
                            "core dimension {n}: {at} has {seen}, {here} has {len}"
                        )));
                    }
                    Some(_) => {}
                    None => sizes[index(n)] = Some((len, here)),
                }
            }
        }
        let loop_shape = loop_shape.map(|(s, _)| s).unwrap_or_default();
        for out_core in &self.outputs {
            if let Some(n) = out_core.iter().find(|n| sizes[index(n)].is_none()) {
                return Err(self.error(format!(
                    "output core dimension {n} does not appear in the inputs, so the output's \
                     size cannot be known"
                )));
            }
        }
        let core: Vec<usize> = sizes
            .iter()
            .map(|s| s.as_ref().map_or(0, |s| s.0))
            .collect();
        let product = |dims: &[usize]| dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        let overflow = |shape: &[usize]| Error::IndexOverflow {
            shape: shape.to_vec(),
            index_type: "usize",
        };
        let loops = product(&loop_shape).ok_or_else(|| overflow(&loop_shape))?;
        let mut out_shapes = Vec::with_capacity(self.outputs.len());
        let mut out_blocks = Vec::with_capacity(self.outputs.len());
        for (k, out_core) in self.outputs.iter().enumerate() {
            let out_core_sizes: Vec<usize> = out_core.iter().map(|n| core[index(n)]).collect();
            let out_shape: Vec<usize> = loop_shape.iter().chain(&out_core_sizes).copied().collect();
            let out_name = if self.outputs.len() == 1 {
                "output".to_string()
            } else {
                format!("output {}", k + 1)
            };
            if let Some(out) = outputs.map(|o| o[k]) {
                if out.len() != out_shape.len() {
                    return Err(self.error(format!(
                        "{out_name} has {} dimensions but needs {} (loop dimensions {:?}, \
                         then core dimensions {})",
                        out.len(),
                        out_shape.len(),
                        loop_shape,
                        show(out_core)
                    )));
                }
                let split = loop_shape.len();
                if out[..split] != loop_shape[..] {
                    return Err(self.error(format!(
                        "loop dimensions: {} has {:?}, {out_name} has {:?}",
                        if inputs.len() == 1 {
                            "input"
                        } else {
                            "the inputs"
                        },
                        loop_shape,
                        &out[..split]
                    )));
                }
                for (n, (&want, &got)) in out_core
                    .iter()
                    .zip(out_core_sizes.iter().zip(&out[split..]))
                {
                    if want != got {
                        let at = &sizes[index(n)].as_ref().expect("bound above").1;
                        let at = at.split(" axis").next().unwrap_or(at);
                        return Err(self.error(format!(
                            "core dimension {n}: {at} has {want}, {out_name} has {got}"
                        )));
                    }
                }
            }
            let block = product(&out_core_sizes).ok_or_else(|| overflow(&out_shape))?;
            loops
                .checked_mul(block)
                .ok_or_else(|| overflow(&out_shape))?;
            out_blocks.push(block);
            out_shapes.push(out_shape);
        }
        let mut in_blocks = Vec::with_capacity(inputs.len());
        let mut in_steps = Vec::with_capacity(inputs.len());
        for (shape, &split) in inputs.iter().zip(&splits) {
            let block = product(&shape[split..]).ok_or_else(|| overflow(shape))?;
            product(shape).ok_or_else(|| overflow(shape))?;
            in_blocks.push(block);
            in_steps.push(if split > 0 { block } else { 0 });
        }
        Ok(GufuncPlan {
            loop_shape,
            loops,
            core,
            in_blocks,
            in_steps,
            out_blocks,
            out_shapes,
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
        let p = s.plan(&[&[3, 4, 5]], Some(&[&[3, 4, 5]])).unwrap();
        assert_eq!(p.loop_shape, [3, 4]);
        assert_eq!(
            (p.loops, p.in_blocks.clone(), p.out_blocks.clone()),
            (12, vec![5], vec![5])
        );
        assert_eq!((p.core.clone(), p.in_steps.clone()), (vec![5], vec![5]));
        let p = s.plan(&[&[7]], None).unwrap();
        assert_eq!((p.loops, p.out_shapes.clone()), (1, vec![vec![7]]));
        let r = Signature::parse("k", "(m,n)->(n)").unwrap();
        let p = r.plan(&[&[2, 3, 4]], None).unwrap();
        assert_eq!(
            (p.loops, p.in_blocks.clone(), p.out_blocks.clone()),
            (2, vec![12], vec![4])
        );
        assert_eq!(p.out_shapes, [vec![2, 4]]);
    }

    #[test]
    fn several_arrays_share_the_loop_and_the_core_sizes() {
        let s = Signature::parse("matmul", "(m,n),(n,p)->(m,p)").unwrap();
        let p = s.plan(&[&[5, 2, 3], &[5, 3, 4]], None).unwrap();
        assert_eq!((p.loops, p.core.clone()), (5, vec![2, 3, 4]));
        assert_eq!(
            (p.in_blocks.clone(), p.in_steps.clone()),
            (vec![6, 12], vec![6, 12])
        );
        assert_eq!(p.out_shapes, [vec![5, 2, 4]]);
        assert_eq!(p.input_len(1), 60);
        // A core-only input is shared by every iteration (step 0).
        let p = s.plan(&[&[5, 2, 3], &[3, 4]], None).unwrap();
        assert_eq!((p.in_steps.clone(), p.input_len(1)), (vec![6, 0], 12));
        let b = p.blocks::<2, 1>().unwrap();
        assert_eq!((b.in_step, b.out_block), ([6, 0], [8]));
        assert!(p.blocks::<1, 1>().is_err());
        // Two outputs, one of them a scalar per iteration.
        let t = Signature::parse("k", "(n),()->(n),()").unwrap();
        let p = t.plan(&[&[4, 9]], Some(&[&[4, 9], &[4]])).unwrap();
        assert_eq!(
            (p.out_blocks.clone(), p.out_shapes.clone()),
            (vec![9, 1], vec![vec![4, 9], vec![4]])
        );
        let d = detail(s.plan(&[&[5, 2, 3], &[4, 3, 4]], None).unwrap_err());
        assert_eq!(d, "loop dimensions: input 1 has [5], input 2 has [4]");
        let d = detail(s.plan(&[&[2, 3], &[2, 4]], None).unwrap_err());
        assert_eq!(
            d,
            "core dimension n: input 1 axis 1 has 3, input 2 axis 0 has 2"
        );
        let d = detail(s.plan(&[&[2, 3]], None).unwrap_err());
        assert!(
            d.starts_with("2 array inputs in the signature, 1 arrays given"),
            "{d}"
        );
        let d = detail(s.plan(&[&[2, 3], &[3, 4]], Some(&[&[2, 5]])).unwrap_err());
        assert_eq!(d, "core dimension p: input 2 has 4, output has 5");
    }

    #[test]
    fn loop_dimensions_broadcast_as_numpy_s() {
        let s = Signature::parse("matmul", "(m,n),(n,p)->(m,p)").unwrap();
        let b = |a: &[usize], c: &[usize]| s.broadcast_loops(&[a, c]);
        assert_eq!(b(&[5, 1, 2, 3], &[4, 3, 4]).unwrap(), [5, 4]);
        assert_eq!(b(&[2, 3], &[7, 3, 4]).unwrap(), [7]);
        assert_eq!(b(&[1, 2, 3], &[3, 4]).unwrap(), [1]);
        assert_eq!(b(&[6, 1, 2, 3], &[1, 5, 3, 4]).unwrap(), [6, 5]);
        assert_eq!(b(&[0, 2, 3], &[1, 3, 4]).unwrap(), [0]);
        assert!(b(&[2, 3], &[3, 4]).unwrap().is_empty());
        let d = detail(b(&[5, 2, 3], &[4, 3, 4]).unwrap_err());
        assert_eq!(d, "loop dimensions: input 1 has [5], input 2 has [4]");
        let d = detail(b(&[3, 1, 2, 3], &[2, 4, 3, 4]).unwrap_err());
        assert_eq!(d, "loop dimensions: input 1 has [3, 1], input 2 has [2, 4]");
        // Inputs short of their core dimensions are plan's to report.
        assert_eq!(b(&[3], &[2, 3, 4]).unwrap(), [2]);
    }

    #[test]
    fn mismatches_name_the_dimension() {
        let s = Signature::parse("moving_average", "(n),()->(n)").unwrap();
        let e = s.plan(&[&[3, 5]], Some(&[&[3, 4]])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "moving_average with signature (n),()->(n): core dimension n: input has 5, output has 4"
        );
        let d = detail(s.plan(&[&[3, 5]], Some(&[&[2, 5]])).unwrap_err());
        assert_eq!(d, "loop dimensions: input has [3], output has [2]");
        let d = detail(s.plan(&[&[3, 5]], Some(&[&[15]])).unwrap_err());
        assert!(d.starts_with("output has 1 dimensions but needs 2"), "{d}");
        let d = detail(s.plan(&[&[]], None).unwrap_err());
        assert!(
            d.contains("input has 0 dimensions") && d.contains("(n)"),
            "{d}"
        );
        let sq = Signature::parse("k", "(n,n)->(n)").unwrap();
        let d = detail(sq.plan(&[&[3, 4]], None).unwrap_err());
        assert_eq!(
            d,
            "core dimension n: input axis 0 has 3, input axis 1 has 4"
        );
        let d = detail(
            Signature::parse("k", "(n)->(m)")
                .unwrap()
                .plan(&[&[3]], None)
                .unwrap_err(),
        );
        assert!(d.contains("output core dimension m"), "{d}");
        let d = detail(
            Signature::parse("k", "(n)->(n),(n)")
                .unwrap()
                .plan(&[&[3]], Some(&[&[3]]))
                .unwrap_err(),
        );
        assert!(d.contains("2 outputs in the signature, 1 given"), "{d}");
    }

    #[test]
    fn overflowing_shapes_are_errors() {
        let s = Signature::parse("k", "(n)->(n)").unwrap();
        assert!(matches!(
            s.plan(&[&[usize::MAX, 2, 2]], None),
            Err(Error::IndexOverflow { .. })
        ));
    }
}
