//! `check-ptx`: each PTX module against its declarations, its float
//! rounding, and `ptxas`'s resource report.

use std::collections::BTreeMap;
use std::path::Path;

use super::files::rel;
use super::ptxas::Resources;
use hotloop_core::abi::{Elem, KernelInfo, ParamKind};
use hotloop_kernels::ops::OP_KERNELS;

/// Registers per thread that still let a block of 1024 threads launch
/// (64 K registers per SM on sm_80 and sm_90): the ABI allows any block size.
const MAX_REGISTERS: u32 = 64;

/// Shared memory of an entry that reduces in its block: the slots of
/// `hotloop_device::block_reduce`, one `u64` per warp of the largest block
/// and one for the result, padded to the 16-byte alignment of the dynamic
/// shared array every module declares after them (`ptxas` counts the
/// padding).
const BLOCK_REDUCE_BYTES: u64 = (33 * 8u64).next_multiple_of(16);

/// The architecture of a PTX module's `.target` line (`sm_80`).
pub(super) fn ptx_target(text: &str) -> Option<&str> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(".target"))
        .and_then(|rest| rest.split([',', ' ', '\t']).find(|w| !w.is_empty()))
}

/// An entry point the module must have, with its parameters as the PTX
/// declares them and whether it reduces in shared memory.
#[derive(Debug)]
pub(super) struct Expected {
    name: String,
    params: Vec<String>,
    uses_shared: bool,
}

/// The built-in ops' entries, from the metadata their own hooks give
/// (`hotloop_kernels::ops::OP_KERNELS`): generated from the ops' trait
/// impls, so the PTX, compiled from the same declarations, must agree. (The
/// `#[kernel]`s' entries and metadata come from one signature each; their
/// launches are checked by hotloop-cuda's tests.)
pub(super) fn expected_entries() -> Vec<Expected> {
    OP_KERNELS
        .iter()
        .map(|k: &KernelInfo| Expected {
            name: k.name.to_string(),
            params: ptx_params(k.params),
            // The count form reduces in the block; the others write
            // element by element.
            uses_shared: k.name.contains("_count_"),
        })
        .collect()
}

/// Parameters as the PTX declares them, from a kernel's metadata: a buffer
/// is a pointer and a length, a value its bytes.
pub(super) fn ptx_params(params: &[ParamKind]) -> Vec<String> {
    params
        .iter()
        .flat_map(|p| match *p {
            ParamKind::Slice(_) | ParamKind::Out(_) => vec![".u64 .ptr".to_string(), ".u64".into()],
            ParamKind::Scalar(Elem::F32) => vec![".f32".into()],
            ParamKind::Scalar(Elem::F64) => vec![".f64".into()],
            ParamKind::Scalar(Elem::U32 | Elem::I32) => vec![".u32".into()],
            ParamKind::Scalar(Elem::U64 | Elem::I64) => vec![".u64".into()],
            // The `half` types are `#[repr(transparent)]` u16s.
            ParamKind::Scalar(Elem::U16 | Elem::I16 | Elem::F16 | Elem::BF16) => {
                vec![".u16".into()]
            }
            ParamKind::Scalar(Elem::U8 | Elem::I8 | Elem::Bool) => vec![".u8".into()],
            ParamKind::Value { .. } | ParamKind::Array { .. } => {
                let (size, align) = p.bytes().expect("passed as bytes");
                vec![format!(".align {align} .b8 [{size}]")]
            }
        })
        .collect()
}

/// Checks the PTX text against its declarations ([`expected_entries`]): the
/// `.target`, every expected entry point with its parameters in order,
/// shared memory and `bar.sync` exactly in the ones that reduce in a block,
/// and IEEE-rounded float arithmetic throughout, in every entry
/// ([`check_float_rounding`]).
pub(super) fn check_structure(text: &str, arch: &str) -> Result<(), String> {
    if ptx_target(text) != Some(arch) {
        return Err(format!(
            "`.target` is {:?}, expected {arch}",
            ptx_target(text)
        ));
    }
    let bodies = entry_bodies(text);
    let expected = expected_entries();
    for e in &expected {
        let name = e.name.as_str();
        let body = bodies
            .get(name)
            .ok_or_else(|| format!("missing entry point `{name}`"))?;
        let got = entry_params(body);
        if got != e.params {
            return Err(format!(
                "`{name}` takes ({}) in the PTX but ({}) in its declaration",
                got.join(", "),
                e.params.join(", ")
            ));
        }
        let uses_shared = body.contains("cvta.shared.u64");
        let syncs = body.contains("bar.sync") || body.contains("barrier.sync");
        if e.uses_shared && !(uses_shared && syncs) {
            return Err(format!(
                "`{name}` should reduce in shared memory with barriers \
                 (shared array: {uses_shared}, bar.sync: {syncs})"
            ));
        }
        if !e.uses_shared && (uses_shared || syncs) {
            return Err(format!(
                "`{name}` unexpectedly uses shared memory or barriers"
            ));
        }
    }
    check_float_rounding(text)
}

/// The parameter declarations of an entry, without their names: `.u64
/// .ptr`, `.u64`, `.f32`, ...; a byte array keeps its alignment and size
/// (`.align 8 .b8 [24]`).
fn entry_params(body: &str) -> Vec<String> {
    let Some(open) = body.find('(') else {
        return Vec::new();
    };
    let close = body[open..].find(')').map_or(body.len(), |c| open + c);
    body[open + 1..close]
        .split(',')
        .filter_map(|p| {
            let words: Vec<&str> = p.split_whitespace().collect();
            if words.first() != Some(&".param") {
                return None;
            }
            let name = words.last()?;
            if words.contains(&".b8") {
                let align = words
                    .iter()
                    .position(|w| *w == ".align")
                    .and_then(|i| words.get(i + 1))
                    .unwrap_or(&"1");
                let size = name.find('[').map_or("", |i| &name[i..]);
                return Some(format!(".align {align} .b8 {size}"));
            }
            // Drop the name (last) and `.align N`.
            let mut ty = Vec::new();
            let mut i = 1;
            while i + 1 < words.len() {
                if words[i] == ".align" {
                    i += 2;
                    continue;
                }
                ty.push(words[i]);
                i += 1;
            }
            Some(ty.join(" "))
        })
        .collect()
}

/// Every f32/f64 addition, subtraction, multiplication and division in the
/// PTX carries an explicit IEEE rounding mode (`add.rn.f64`), and there is
/// no fused multiply-add, approximate or flush-to-zero float instruction.
///
/// PTX lets `ptxas` contract an unrounded `mul` and `add` into an `fma` and
/// lets `div.full`/`.approx` skip correct rounding; LLVM emits `.rn` when
/// the source forbids contraction (Rust does), so this holds today, and the
/// check keeps the GPU computing the CPU's bits if a change (a fast-math
/// flag, `mul_add` in a body) would break it.
fn check_float_rounding(text: &str) -> Result<(), String> {
    for (n, line) in text.lines().enumerate() {
        let Some(op) = line.split_whitespace().next() else {
            continue;
        };
        let parts: Vec<&str> = op.trim_end_matches(';').split('.').collect();
        let is_float = parts.iter().any(|p| *p == "f32" || *p == "f64");
        if !is_float {
            continue;
        }
        let base = parts[0];
        let rounded = parts
            .iter()
            .any(|p| matches!(*p, "rn" | "rz" | "rm" | "rp"));
        let bad = match base {
            "fma" | "mad" => Some("a fused multiply-add"),
            "add" | "sub" | "mul" | "div" if !rounded => {
                Some("no rounding mode (ptxas may fuse or approximate it)")
            }
            _ if parts
                .iter()
                .any(|p| matches!(*p, "approx" | "full" | "ftz")) =>
            {
                Some("an approximate or flush-to-zero float operation")
            }
            _ => None,
        };
        if let Some(why) = bad {
            return Err(format!(
                "line {}: `{}`: {why}; the device must round as the CPU does",
                n + 1,
                line.trim()
            ));
        }
    }
    Ok(())
}

/// Each `.entry`'s name and text up to the next entry.
fn entry_bodies(text: &str) -> BTreeMap<&str, &str> {
    let mut out = BTreeMap::new();
    let starts: Vec<usize> = text.match_indices(".entry ").map(|(i, _)| i).collect();
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(text.len());
        let chunk = &text[start..end];
        let name = chunk[".entry ".len()..]
            .split(|c: char| c == '(' || c.is_whitespace())
            .next()
            .unwrap_or("");
        out.insert(name, chunk);
    }
    out
}

/// Checks `ptxas`'s view against the ABI: shared memory and barriers exactly
/// where expected, and few enough registers for 1024-thread blocks.
/// `ptxas`'s report against what every entry may use: registers that let a
/// block of 1024 threads launch, and, for the built-in ops' entries, the
/// block reduction's shared memory exactly where they reduce.
pub(super) fn check_resources(
    report: &BTreeMap<String, Resources>,
    arch: &str,
) -> Result<(), String> {
    for (name, info) in report {
        if info.registers > MAX_REGISTERS {
            return Err(format!(
                "ptxas {arch}: `{name}` uses {} registers; more than {MAX_REGISTERS} \
                 and a block of 1024 threads cannot launch",
                info.registers
            ));
        }
    }
    for e in expected_entries() {
        let name = e.name.as_str();
        let info = report
            .get(name)
            .ok_or_else(|| format!("ptxas {arch}: no report for `{name}`"))?;
        let want_smem = if e.uses_shared { BLOCK_REDUCE_BYTES } else { 0 };
        if info.smem != want_smem || (info.barriers > 0) != e.uses_shared {
            return Err(format!(
                "ptxas {arch}: `{name}` uses {} bytes of shared memory and {} barriers; \
                 its form needs {want_smem} bytes",
                info.smem, info.barriers
            ));
        }
    }
    Ok(())
}

pub(super) fn print_report(
    root: &Path,
    file: &Path,
    arch: &str,
    report: &BTreeMap<String, Resources>,
) {
    println!(
        "ptxas {arch}: ok ({} kernels, {})",
        report.len(),
        rel(root, file)
    );
    for (name, k) in report {
        let mut line = format!("    {name:<26} {:>3} registers", k.registers);
        if k.barriers > 0 || k.smem > 0 {
            line += &format!(", {} B shared, {} barrier", k.smem, k.barriers);
        }
        if k.spill_bytes > 0 || k.stack > 0 {
            line += &format!(", {} B stack, {} B spilled", k.stack, k.spill_bytes);
        }
        println!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::super::ptxas::{parse_ptxas_verbose, parse_release};
    use super::*;

    #[test]
    fn parses_ptxas_verbose_output() {
        let out = "\
ptxas info    : 0 bytes gmem
ptxas info    : Compiling entry function 'sum_f64' for 'sm_80'
ptxas info    : Function properties for sum_f64
    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 20 registers, used 1 barriers, 8192 bytes smem, 376 bytes cmem[0]
ptxas info    : Compile time = 4.195 ms
ptxas info    : Compiling entry function 'add_scalar_f64' for 'sm_80'
ptxas info    : Function properties for add_scalar_f64
    16 bytes stack frame, 8 bytes spill stores, 4 bytes spill loads
ptxas info    : Used 12 registers, used 0 barriers, 384 bytes cmem[0]
";
        let r = parse_ptxas_verbose(out);
        assert_eq!(
            r["sum_f64"],
            Resources {
                registers: 20,
                barriers: 1,
                smem: 8192,
                spill_bytes: 0,
                stack: 0
            }
        );
        assert_eq!(
            r["add_scalar_f64"],
            Resources {
                registers: 12,
                barriers: 0,
                smem: 0,
                spill_bytes: 12,
                stack: 16
            }
        );
    }

    #[test]
    fn reads_versions_and_targets() {
        assert_eq!(
            parse_release("Cuda compilation tools, release 12.9, V12.9.86"),
            Some((12, 9))
        );
        assert_eq!(parse_release("garbage"), None);
        assert_eq!(
            ptx_target(".version 7.8\n.target sm_90\n.address_size 64\n"),
            Some("sm_90")
        );
        assert_eq!(ptx_target(".target sm_80, debug\n"), Some("sm_80"));
        assert_eq!(ptx_target(".version 7.0\n"), None);
    }

    #[test]
    fn structure_check_finds_missing_and_mistyped_entries() {
        let mut ptx = String::from(".version 7.0\n.target sm_80\n");
        for e in expected_entries() {
            let params: Vec<String> = e
                .params
                .iter()
                .enumerate()
                .map(
                    |(i, p)| match p.strip_suffix(']').and_then(|p| p.split_once('[')) {
                        // `.align A .b8 [N]`: the size follows the name.
                        Some((ty, n)) => {
                            format!("\t.param {} {}_param_{i}[{n}]", ty.trim(), e.name)
                        }
                        None => format!("\t.param {p} .align 8 {}_param_{i}", e.name),
                    },
                )
                .collect();
            ptx += &format!(
                ".visible .entry {}(\n{}\n)\n{{\n",
                e.name,
                params.join(",\n")
            );
            if e.uses_shared {
                ptx += "cvta.shared.u64 %rd1, __hotloop_shared_hotloop_device_0;\nbar.sync 0;\n";
            }
            ptx += "add.rn.f64 %rd2, %rd3, %rd4;\nret;\n}\n";
        }
        assert_eq!(check_structure(&ptx, "sm_80"), Ok(()));
        assert!(check_structure(&ptx, "sm_90").is_err());
        let renamed = ptx.replace(
            ".entry hotloop_core_map_Exp_f32(",
            ".entry hotloop_core_map_Tanh_f32(",
        );
        assert!(
            check_structure(&renamed, "sm_80")
                .unwrap_err()
                .contains("hotloop_core_map_Exp_f32")
        );
        let unsynced = ptx.replacen("bar.sync 0;", "", 1);
        assert!(check_structure(&unsynced, "sm_80").is_err());
        // A parameter of the wrong type, or one too few.
        let retyped = ptx.replacen(
            ".param .u64 .ptr .align 8 hotloop_core_map_Exp_f64_param_1",
            ".param .u32 .align 8 hotloop_core_map_Exp_f64_param_1",
            1,
        );
        let e = check_structure(&retyped, "sm_80").unwrap_err();
        assert!(
            e.contains("hotloop_core_map_Exp_f64") && e.contains("declaration"),
            "{e}"
        );
        // An entry whose op is not the size its metadata says.
        let resized = ptx.replacen(
            "hotloop_core_map_Clamp_f64_param_0[24]",
            "hotloop_core_map_Clamp_f64_param_0[16]",
            1,
        );
        let e = check_structure(&resized, "sm_80").unwrap_err();
        assert!(e.contains("hotloop_core_map_Clamp_f64"), "{e}");
        let dropped = ptx.replacen(
            ",\n\t.param .u64 .align 8 hotloop_core_map_Exp_f64_param_4",
            "",
            1,
        );
        assert!(
            check_structure(&dropped, "sm_80")
                .unwrap_err()
                .contains("hotloop_core_map_Exp_f64")
        );
        // An unrounded multiply that ptxas could fuse.
        let fusable = ptx.replacen("add.rn.f64", "mul.f64", 1);
        assert!(
            check_structure(&fusable, "sm_80")
                .unwrap_err()
                .contains("rounding")
        );
    }

    #[test]
    fn float_rounding_check() {
        for ok in [
            "\tadd.rn.f32 \t%r6, %r1, %r5;",
            "\tdiv.rn.f64 \t%rd1, %rd2, %rd3;",
            "\tsetp.lt.f64 \t%p1, %rd1, %rd2;",
            "\tneg.f64 \t%rd1, %rd2;",
            "\tadd.s64 \t%rd1, %rd2, 4;",
            "\tld.param.f64 \t%rd1, [p];",
        ] {
            assert_eq!(check_float_rounding(ok), Ok(()), "{ok}");
        }
        for bad in [
            "\tmul.f64 \t%rd1, %rd2, %rd3;",
            "\tadd.f32 \t%r1, %r2, %r3;",
            "\tfma.rn.f64 \t%rd1, %rd2, %rd3, %rd4;",
            "\tdiv.full.f32 \t%r1, %r2, %r3;",
            "\tadd.rn.ftz.f32 \t%r1, %r2, %r3;",
            "\tsqrt.approx.f32 \t%r1, %r2;",
        ] {
            assert!(check_float_rounding(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn params_are_read_without_names_or_alignment() {
        let body = ".entry f(\n\t.param .u64 .ptr .align 1 f_param_0,\n\t.param .u32 f_param_1,\n\t.param .f64 f_param_2,\n\t.param .align 8 .b8 f_param_3[24]\n)\n{\nret;\n}";
        assert_eq!(
            entry_params(body),
            [".u64 .ptr", ".u32", ".f64", ".align 8 .b8 [24]"]
        );
        assert!(entry_params(".entry g()\n{\n}").is_empty());
    }

    /// The forms table of gpu-kernels/README.md gives each form's
    /// parameters after the op as the generated metadata has them.
    #[test]
    fn readme_forms_table_matches_the_generated_metadata() {
        let readme = include_str!("../../../gpu-kernels/README.md");
        let row = |form: &str| -> Vec<String> {
            let line = readme
                .lines()
                .find(|l| l.starts_with(&format!("| `{form}` |")))
                .unwrap_or_else(|| panic!("README has no row for the `{form}` form"));
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            cells[2]
                .trim_matches('`')
                .split(", ")
                .map(|p| p.split_once(": ").map_or(p, |(_, ty)| ty).to_string())
                .collect()
        };
        let describe = |k: &ParamKind| match *k {
            ParamKind::Slice(_) => "&[T]".to_string(),
            ParamKind::Out(Elem::U64) => "Out<u64>".to_string(),
            ParamKind::Out(_) => "Out<T>".to_string(),
            ParamKind::Scalar(Elem::U64) => "u64".to_string(),
            ParamKind::Scalar(e) => format!("{e:?}"),
            ParamKind::Value { .. } => "value".to_string(),
            ParamKind::Array { dims, written, .. } => {
                format!("{}<T, {dims}>", if written { "Out" } else { "View" })
            }
        };
        for k in OP_KERNELS {
            let name = k.name;
            let form = ["map", "zip", "count", "gufunc", "stencil"]
                .into_iter()
                .find(|f| name.starts_with(&format!("hotloop_core_{f}_")))
                .unwrap_or_else(|| panic!("{name}: no form in its name"));
            let want: Vec<String> = row(form)
                .iter()
                .map(|ty| match ty.as_str() {
                    "GufuncShape" | "Boundary<T>" => "value".to_string(),
                    t => t.to_string(),
                })
                .collect();
            let got: Vec<String> = k.params[1..].iter().map(describe).collect();
            assert_eq!(got, want, "{name}");
            assert!(matches!(k.params[0], ParamKind::Value { .. }), "{name}");
        }
    }
}
