//! `build-kernels` and `check-ptx`: the device half of the GPU backend.
//!
//! `build-kernels` compiles `gpu-kernels/` with rustc's own
//! `nvptx64-nvidia-cuda` target, once per architecture in [`ARCHS`], and
//! copies the PTX to `target/ptx/hotloop_kernels.<arch>.ptx` (see
//! `gpu-kernels/README.md` for the ABI and the path contract). It is cached:
//! a stamp file records a hash of every input, and an unchanged tree is a
//! no-op.
//!
//! `check-ptx` assembles each PTX file with NVIDIA's `ptxas` for its
//! `.target`, checks it against the kernel registry
//! (`hotloop_core::registry::KERNELS`, the one list of entry points: names,
//! parameter types in order, shared memory and barriers), checks that its
//! floating-point arithmetic is IEEE-rounded (so `ptxas` cannot fuse or
//! approximate it and the GPU computes the CPU's bits), and reports the
//! registers each kernel uses. `ptxas` comes from the `PTXAS` variable, a
//! recent enough `ptxas` on `PATH`, or NVIDIA's PyPI wheel fetched once
//! into `target/tools/`: no GPU, no CUDA toolkit needed.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

use crate::process::{self, workspace_root};
use hotloop_build::{ARCHS, Toolchain, build_ptx};
use hotloop_core::registry::{KERNELS, KernelSpec, SHARED_BYTES};

/// The crate's library name, hence the PTX file's stem.
const LIB_NAME: &str = "hotloop_kernels";

/// Registers per thread that still let a block of 1024 threads launch
/// (64 K registers per SM on sm_80 and sm_90): the ABI allows any block size.
const MAX_REGISTERS: u32 = 64;

/// The pinned `ptxas`: NVIDIA's `nvidia-cuda-nvcc-cu12` wheel from PyPI.
const PTXAS_WHEEL: &str = "nvidia-cuda-nvcc-cu12";
const PTXAS_WHEEL_VERSION: &str = "12.9.86";
/// Oldest `ptxas` release accepted from `PATH`: CUDA 12 knows sm_90 and the
/// PTX ISA versions LLVM emits for it.
const MIN_PTXAS_RELEASE: (u32, u32) = (12, 0);

/// Where the PTX files land, relative to the workspace root.
pub const PTX_DIR: &str = "target/ptx";

// ---------------------------------------------------------------------------
// build-kernels
// ---------------------------------------------------------------------------

/// Where the PTX the CUDA backend embeds is committed.
pub const EMBEDDED_DIR: &str = "crates/hotloop-cuda/ptx";

/// `cargo xtask build-kernels [--force]`: builds the PTX
/// ([`build_ptx_files`]) and updates the committed copy the CUDA backend
/// embeds where the kernels changed; returns the PTX paths, one per
/// architecture in [`ARCHS`] order.
pub fn build(args: &[String]) -> Result<Vec<PathBuf>, String> {
    let outputs = build_ptx_files(args)?;
    let root = workspace_root();
    for out in &outputs {
        let embedded = root
            .join(EMBEDDED_DIR)
            .join(out.file_name().expect("a PTX file"));
        let text =
            fs::read_to_string(out).map_err(|e| format!("reading {}: {e}", out.display()))?;
        let old = fs::read_to_string(&embedded).unwrap_or_default();
        if normalized(&old) != normalized(&text) {
            write_atomically(&embedded, text.as_bytes())?;
            eprintln!(
                "build-kernels: updated {} (commit it)",
                rel(&root, &embedded)
            );
        }
    }
    Ok(outputs)
}

/// PTX with the crate disambiguators of its mangled names (`Cs5Up44OOGB9R_`,
/// which depend on where the crates were built) blanked: two builds of the
/// same kernels compare equal.
pub fn normalized(ptx: &str) -> String {
    let mut out = String::with_capacity(ptx.len());
    let mut rest = ptx;
    while let Some(i) = rest.find("Cs") {
        out.push_str(&rest[..i + 2]);
        rest = &rest[i + 2..];
        let n = rest.bytes().take_while(u8::is_ascii_alphanumeric).count();
        if n > 0 && rest.as_bytes().get(n) == Some(&b'_') {
            rest = &rest[n..];
        }
    }
    out.push_str(rest);
    out
}

/// Checks that the committed PTX the CUDA backend embeds is the PTX the
/// kernels build to now (up to build paths): a kernel changed without
/// `cargo xtask build-kernels` and a commit is an error saying so.
pub fn check_embedded_fresh(outputs: &[PathBuf]) -> Result<(), String> {
    let root = workspace_root();
    for out in outputs {
        let embedded = root
            .join(EMBEDDED_DIR)
            .join(out.file_name().expect("a PTX file"));
        let built =
            fs::read_to_string(out).map_err(|e| format!("reading {}: {e}", out.display()))?;
        let committed = fs::read_to_string(&embedded)
            .map_err(|e| format!("reading {}: {e}", embedded.display()))?;
        if normalized(&built) != normalized(&committed) {
            return Err(format!(
                "{} is stale: the kernels build to different PTX; run `cargo xtask build-kernels` \
                 and commit {EMBEDDED_DIR}/",
                rel(&root, &embedded)
            ));
        }
    }
    eprintln!("build-kernels: the embedded PTX in {EMBEDDED_DIR}/ is fresh");
    Ok(())
}

/// Builds `gpu-kernels/` to `target/ptx/` (cached): the PTX paths, one per
/// architecture in [`ARCHS`] order.
pub fn build_ptx_files(args: &[String]) -> Result<Vec<PathBuf>, String> {
    let mut force = false;
    for a in args {
        match a.as_str() {
            "--force" => force = true,
            "-h" | "--help" => {
                eprintln!(
                    "usage: cargo xtask build-kernels [--force]\n\n\
                     Compiles gpu-kernels/ to {PTX_DIR}/{LIB_NAME}.<arch>.ptx for {}.\n\
                     Skipped when no input changed since the last build; --force rebuilds.",
                    ARCHS.join(", ")
                );
                return Ok(Vec::new());
            }
            other => return Err(format!("build-kernels: unknown argument `{other}`")),
        }
    }
    let root = workspace_root();
    let ptx_dir = root.join(PTX_DIR);
    let outputs: Vec<PathBuf> = ARCHS.iter().map(|a| ptx_path(&root, a)).collect();
    let stamp_path = ptx_dir.join(".stamp");
    let fingerprint = format!("{:016x}\n", input_fingerprint(&root)?);

    let stamp = fs::read_to_string(&stamp_path).unwrap_or_default();
    if !force && stamp == fingerprint && outputs.iter().all(|p| p.is_file()) {
        eprintln!(
            "build-kernels: up to date ({})",
            outputs
                .iter()
                .map(|p| rel(&root, p))
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Ok(outputs);
    }

    let toolchain = pinned_toolchain(&root)?;
    let tc = Toolchain::new(Some(&toolchain), "cargo".into());
    fs::create_dir_all(&ptx_dir).map_err(|e| format!("creating {}: {e}", ptx_dir.display()))?;
    let built = build_ptx(
        &tc,
        &root.join("gpu-kernels"),
        LIB_NAME,
        &root.join("target/gpu-kernels"),
    )
    .map_err(|e| e.to_string())?;
    for ((arch, built), out) in ARCHS.iter().zip(&built).zip(&outputs) {
        let text = fs::read_to_string(built)
            .map_err(|e| format!("reading the built PTX {}: {e}", built.display()))?;
        check_structure(&text, arch).map_err(|e| format!("{}: {e}", built.display()))?;
        write_atomically(out, text.as_bytes())?;
        eprintln!("build-kernels: wrote {}", rel(&root, out));
    }
    write_atomically(&stamp_path, fingerprint.as_bytes())?;
    Ok(outputs)
}

/// `target/ptx/hotloop_kernels.<arch>.ptx`.
fn ptx_path(root: &Path, arch: &str) -> PathBuf {
    root.join(PTX_DIR).join(format!("{LIB_NAME}.{arch}.ptx"))
}

/// The channel in `rust-toolchain.toml` (`channel = "1.95.0"`).
pub(crate) fn pinned_toolchain(root: &Path) -> Result<String, String> {
    let path = root.join("rust-toolchain.toml");
    let text = fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("channel"))
        .filter_map(|rest| rest.trim_start().strip_prefix('='))
        .map(|v| v.trim().trim_matches('"').to_string())
        .find(|v| !v.is_empty())
        .ok_or_else(|| format!("{}: no `channel = \"...\"` line", path.display()))
}

/// A hash of everything the PTX depends on: the sources and manifests of
/// `gpu-kernels/` and `crates/hotloop-core/`, the root manifest they
/// inherit from, the toolchain pin, and this file (the build recipe).
fn input_fingerprint(root: &Path) -> Result<u64, String> {
    let mut files = Vec::new();
    for dir in ["gpu-kernels", "crates/hotloop-core"] {
        collect_files(&root.join(dir), &mut files)?;
    }
    files.push(root.join("Cargo.toml"));
    files.push(root.join("rust-toolchain.toml"));
    files.sort();
    let mut h = DefaultHasher::new();
    h.write(include_str!("kernels.rs").as_bytes());
    for f in &files {
        let bytes = fs::read(f).map_err(|e| format!("reading {}: {e}", f.display()))?;
        h.write(rel(root, f).as_bytes());
        h.write_u64(bytes.len() as u64);
        h.write(&bytes);
    }
    Ok(h.finish())
}

/// Every file under `dir`, skipping build outputs and hidden entries.
fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("reading {}: {e}", dir.display()))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name == "target" || name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let ty = entry
            .file_type()
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        if ty.is_dir() {
            collect_files(&path, out)?;
        } else if ty.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// check-ptx
// ---------------------------------------------------------------------------

/// `cargo xtask check-ptx [FILE.ptx...]`: builds the kernels if needed and
/// assembles each PTX with `ptxas` for its `.target`; with files, checks
/// those instead (assembly only, no ABI checks).
pub fn check(args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        eprintln!(
            "usage: cargo xtask check-ptx [FILE.ptx...]\n\n\
             Assembles {PTX_DIR}/{LIB_NAME}.<arch>.ptx (built first if needed) with ptxas\n\
             for {} and checks the kernel ABI; with files, assembles those for\n\
             the architecture in their `.target` line.\n\
             ptxas: $PTXAS, else `ptxas` on PATH if release >= {}.{}, else\n\
             {PTXAS_WHEEL}=={PTXAS_WHEEL_VERSION} from PyPI, cached under target/tools/.",
            ARCHS.join(", "),
            MIN_PTXAS_RELEASE.0,
            MIN_PTXAS_RELEASE.1,
        );
        return Ok(());
    }
    if let Some(flag) = args.iter().find(|a| a.starts_with('-')) {
        return Err(format!("check-ptx: unknown option `{flag}`"));
    }
    let root = workspace_root();
    let (files, ours) = if args.is_empty() {
        (build_ptx_files(&[])?, true)
    } else {
        (args.iter().map(PathBuf::from).collect(), false)
    };
    let ptxas = Ptxas::find(&root)?;
    eprintln!("check-ptx: using {}", ptxas.describe());
    ptxas.self_test(&root)?;
    for file in &files {
        let text =
            fs::read_to_string(file).map_err(|e| format!("reading {}: {e}", file.display()))?;
        let arch = ptx_target(&text)
            .ok_or_else(|| format!("{}: no `.target sm_XX` line", file.display()))?;
        if ours {
            check_structure(&text, arch).map_err(|e| format!("{}: {e}", file.display()))?;
        }
        let report = ptxas.assemble(&root, file, arch)?;
        if ours {
            check_resources(&report, arch)?;
        }
        print_report(&root, file, arch, &report);
    }
    Ok(())
}

/// The architecture of a PTX module's `.target` line (`sm_80`).
fn ptx_target(text: &str) -> Option<&str> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(".target"))
        .and_then(|rest| rest.split([',', ' ', '\t']).find(|w| !w.is_empty()))
}

/// Checks the PTX text against the kernel registry: the expected
/// `.target`, every entry point of [`KERNELS`] and no other, each with the
/// registry's parameter types in order, the `.shared` array and `bar.sync`
/// exactly in the kernels that reduce in a block, and IEEE-rounded float
/// arithmetic throughout ([`check_float_rounding`]).
fn check_structure(text: &str, arch: &str) -> Result<(), String> {
    if ptx_target(text) != Some(arch) {
        return Err(format!(
            "`.target` is {:?}, expected {arch}",
            ptx_target(text)
        ));
    }
    if !text.contains(".shared .align 8 .b8 hotloop_block_slots[") {
        return Err("no `.shared` declaration of hotloop_block_slots".into());
    }
    let bodies = entry_bodies(text);
    for spec in KERNELS {
        let name = spec.name;
        let body = bodies
            .get(name)
            .ok_or_else(|| format!("missing entry point `{name}`"))?;
        check_params(spec, body)?;
        let uses_shared = body.contains("cvta.shared.u64") && body.contains("hotloop_block_slots");
        let syncs = body.contains("bar.sync") || body.contains("barrier.sync");
        if spec.uses_shared && !(uses_shared && syncs) {
            return Err(format!(
                "`{name}` should reduce in shared memory with barriers \
                 (shared array: {uses_shared}, bar.sync: {syncs})"
            ));
        }
        if !spec.uses_shared && (uses_shared || syncs) {
            return Err(format!(
                "`{name}` unexpectedly uses shared memory or barriers"
            ));
        }
    }
    if let Some(extra) = bodies
        .keys()
        .find(|k| !KERNELS.iter().any(|spec| spec.name == **k))
    {
        return Err(format!(
            "entry point `{extra}` is not in the kernel registry \
             (hotloop_core::registry::KERNELS; document it in gpu-kernels/README.md)"
        ));
    }
    check_float_rounding(text)
}

/// The parameter declarations of an entry, without their names: `.u64
/// .ptr`, `.u64`, `.f32`, ... (alignment qualifiers dropped).
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

/// The entry's parameters are the registry's, in order.
fn check_params(spec: &KernelSpec, body: &str) -> Result<(), String> {
    let got = entry_params(body);
    let want: Vec<&str> = spec.params.iter().map(|p| p.ptx()).collect();
    if got != want {
        return Err(format!(
            "`{}` takes ({}) in the PTX but ({}) in the kernel registry",
            spec.name,
            got.join(", "),
            want.join(", ")
        ));
    }
    Ok(())
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

/// What `ptxas -v` said about one kernel.
#[derive(Debug, Default, PartialEq, Eq)]
struct KernelInfo {
    registers: u32,
    barriers: u32,
    smem: u64,
    spill_bytes: u64,
    stack: u64,
}

/// Checks `ptxas`'s view against the ABI: shared memory and barriers exactly
/// where expected, and few enough registers for 1024-thread blocks.
fn check_resources(report: &BTreeMap<String, KernelInfo>, arch: &str) -> Result<(), String> {
    for spec in KERNELS {
        let name = spec.name;
        let info = report
            .get(name)
            .ok_or_else(|| format!("ptxas {arch}: no report for `{name}`"))?;
        if info.registers > MAX_REGISTERS {
            return Err(format!(
                "ptxas {arch}: `{name}` uses {} registers; more than {MAX_REGISTERS} \
                 and a block of 1024 threads cannot launch",
                info.registers
            ));
        }
        let want_smem = if spec.uses_shared {
            SHARED_BYTES as u64
        } else {
            0
        };
        if info.smem != want_smem || (info.barriers > 0) != spec.uses_shared {
            return Err(format!(
                "ptxas {arch}: `{name}` uses {} bytes of shared memory and {} barriers; \
                 the registry says {want_smem} bytes",
                info.smem, info.barriers
            ));
        }
    }
    Ok(())
}

fn print_report(root: &Path, file: &Path, arch: &str, report: &BTreeMap<String, KernelInfo>) {
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

/// Parses `ptxas -v` output into per-kernel resource usage.
fn parse_ptxas_verbose(output: &str) -> BTreeMap<String, KernelInfo> {
    let mut out: BTreeMap<String, KernelInfo> = BTreeMap::new();
    let mut current: Option<String> = None;
    // The number before `unit` in `... N unit ...`.
    fn number_before(line: &str, unit: &str) -> Option<u64> {
        let words: Vec<&str> = line.split([' ', ',']).filter(|w| !w.is_empty()).collect();
        words
            .windows(2)
            .find(|w| w[1] == unit)
            .and_then(|w| w[0].parse().ok())
    }
    for line in output.lines() {
        if let Some(rest) = line.split("Compiling entry function '").nth(1) {
            let name = rest.split('\'').next().unwrap_or("").to_string();
            out.entry(name.clone()).or_default();
            current = Some(name);
            continue;
        }
        let Some(k) = current.as_ref().and_then(|n| out.get_mut(n)) else {
            continue;
        };
        if line.contains("stack frame") {
            k.stack = number_before(line, "bytes").unwrap_or(0);
            let spills = line.split(',').filter(|p| p.contains("spill"));
            k.spill_bytes = spills.filter_map(|p| number_before(p, "bytes")).sum();
        } else if line.contains("Used ") && line.contains("registers") {
            k.registers = number_before(line, "registers").unwrap_or(0) as u32;
            k.barriers = number_before(line, "barriers").unwrap_or(0) as u32;
            k.smem = line
                .split(',')
                .find(|p| p.contains("smem"))
                .and_then(|p| number_before(p, "bytes"))
                .unwrap_or(0);
        }
    }
    out
}

/// A `ptxas` executable and where it came from.
struct Ptxas {
    path: PathBuf,
    origin: String,
    version: String,
}

impl Ptxas {
    /// `$PTXAS`, else `ptxas` on PATH if recent enough, else the pinned
    /// wheel's, fetched on first use.
    fn find(root: &Path) -> Result<Self, String> {
        if let Some(p) = env::var_os("PTXAS").filter(|p| !p.is_empty()) {
            let path = PathBuf::from(p);
            let version =
                ptxas_version(&path).map_err(|e| format!("PTXAS={}: {e}", path.display()))?;
            return Ok(Self {
                path,
                origin: "$PTXAS".into(),
                version,
            });
        }
        if let Ok(version) = ptxas_version(Path::new("ptxas")) {
            match parse_release(&version) {
                Some(r) if r >= MIN_PTXAS_RELEASE => {
                    return Ok(Self {
                        path: "ptxas".into(),
                        origin: "PATH".into(),
                        version,
                    });
                }
                _ => eprintln!(
                    "check-ptx: ignoring `ptxas` on PATH ({version}): release {}.{} or \
                     newer needed; using {PTXAS_WHEEL}=={PTXAS_WHEEL_VERSION}",
                    MIN_PTXAS_RELEASE.0, MIN_PTXAS_RELEASE.1
                ),
            }
        }
        let path = fetch_pinned_ptxas(root)?;
        let version = ptxas_version(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Self {
            path,
            origin: format!("{PTXAS_WHEEL}=={PTXAS_WHEEL_VERSION}"),
            version,
        })
    }

    fn describe(&self) -> String {
        format!(
            "ptxas {} ({}: {})",
            self.version,
            self.origin,
            self.path.display()
        )
    }

    /// Runs `ptxas -v -arch=<arch>` on `file`; an error carries ptxas's
    /// diagnostics.
    fn assemble(
        &self,
        root: &Path,
        file: &Path,
        arch: &str,
    ) -> Result<BTreeMap<String, KernelInfo>, String> {
        let out_dir = root.join(PTX_DIR).join("check");
        fs::create_dir_all(&out_dir).map_err(|e| format!("creating {}: {e}", out_dir.display()))?;
        let stem = file
            .file_stem()
            .map_or("out".into(), |s| s.to_string_lossy());
        // Per process, and removed after: only ptxas's verdict matters.
        let cubin = out_dir.join(format!("{stem}.{arch}.{}.cubin", std::process::id()));
        let output = Command::new(&self.path)
            .args(["-v", "--warning-as-error", &format!("-arch={arch}")])
            .arg(file)
            .arg("-o")
            .arg(&cubin)
            .output()
            .map_err(|e| format!("running {}: {e}", self.path.display()))?;
        let _ = fs::remove_file(&cubin);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        if !output.status.success() {
            let errors: Vec<&str> = text.lines().filter(|l| !l.contains("ptxas info")).collect();
            return Err(format!(
                "ptxas {arch}: FAILED on {} ({}):\n{}",
                file.display(),
                output.status,
                errors.join("\n")
            ));
        }
        Ok(parse_ptxas_verbose(&text))
    }

    /// Makes sure this `ptxas` rejects invalid PTX, so that a passing check
    /// means something (a `PTXAS=true` would otherwise pass everything).
    fn self_test(&self, root: &Path) -> Result<(), String> {
        let dir = root.join(PTX_DIR).join("check");
        fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let bad = dir.join("self-test-invalid.ptx");
        write_atomically(&bad, INVALID_PTX.as_bytes())?;
        match self.assemble(root, &bad, "sm_80") {
            Err(_) => Ok(()),
            Ok(_) => Err(format!(
                "{} accepted deliberately invalid PTX ({}); it cannot be trusted to check anything",
                self.describe(),
                bad.display()
            )),
        }
    }
}

/// A PTX module that must not assemble: it stores through an undeclared
/// register.
const INVALID_PTX: &str = "\
.version 7.0
.target sm_80
.address_size 64
.visible .entry self_test()
{
\tst.global.u32 [%rd_undeclared], 1;
\tret;
}
";

/// `ptxas --version`'s last line (`Cuda compilation tools, release 12.9, V12.9.86`).
fn ptxas_version(path: &Path) -> Result<String, String> {
    let out = Command::new(path)
        .arg("--version")
        .output()
        .map_err(|e| format!("cannot run `{} --version`: {e}", path.display()))?;
    if !out.status.success() {
        return Err(format!(
            "`{} --version` failed ({})",
            path.display(),
            out.status
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text
        .lines()
        .find(|l| l.contains("release"))
        .or_else(|| text.lines().last())
        .unwrap_or("unknown version")
        .trim()
        .to_string())
}

/// `(12, 9)` from `... release 12.9, V12.9.86`.
fn parse_release(version: &str) -> Option<(u32, u32)> {
    let rest = version.split("release ").nth(1)?;
    let num = rest.split(|c: char| c == ',' || c.is_whitespace()).next()?;
    let (major, minor) = num.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// The pinned wheel's `ptxas`, downloaded with pip and unpacked with
/// Python's zipfile into `target/tools/ptxas-<version>/` on first use.
fn fetch_pinned_ptxas(root: &Path) -> Result<PathBuf, String> {
    let dir = root
        .join("target/tools")
        .join(format!("ptxas-{PTXAS_WHEEL_VERSION}"));
    let exe = dir.join(format!("ptxas{}", env::consts::EXE_SUFFIX));
    if exe.is_file() {
        return Ok(exe);
    }
    // Per process: concurrent first runs (parallel tests) must not share it.
    let download = dir.join(format!("download{}", std::process::id()));
    let _ = fs::remove_dir_all(&download);
    fs::create_dir_all(&download).map_err(|e| format!("creating {}: {e}", download.display()))?;
    let python = find_python()?;
    eprintln!(
        "check-ptx: fetching ptxas from PyPI ({PTXAS_WHEEL}=={PTXAS_WHEEL_VERSION}, ~40 MB, once)"
    );
    process::run(
        Command::new(&python)
            .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:"])
            .args(["--disable-pip-version-check", "--quiet", "-d"])
            .arg(&download)
            .arg(format!("{PTXAS_WHEEL}=={PTXAS_WHEEL_VERSION}")),
    )
    .map_err(|e| {
        format!(
            "{e}\n(no usable ptxas: set PTXAS=/path/to/ptxas, put CUDA >= {}.{}'s ptxas on PATH, \
             or allow pip to reach PyPI)",
            MIN_PTXAS_RELEASE.0, MIN_PTXAS_RELEASE.1
        )
    })?;
    // Unpack only ptxas, to a temporary name, then rename: a concurrent
    // run never sees a half-written executable.
    let member = format!("nvidia/cuda_nvcc/bin/ptxas{}", env::consts::EXE_SUFFIX);
    let tmp = dir.join(format!("ptxas.tmp{}", std::process::id()));
    const UNPACK: &str = "\
import glob, os, shutil, sys, zipfile
wheels = glob.glob(os.path.join(sys.argv[1], '*.whl'))
if len(wheels) != 1:
    sys.exit('expected one wheel in %s, found %r' % (sys.argv[1], wheels))
with zipfile.ZipFile(wheels[0]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], 'wb') as dst:
    shutil.copyfileobj(src, dst)
os.chmod(sys.argv[3], 0o755)
";
    let script = download.join("unpack_ptxas.py");
    fs::write(&script, UNPACK).map_err(|e| format!("writing {}: {e}", script.display()))?;
    process::run(
        Command::new(&python)
            .arg(&script)
            .arg(&download)
            .arg(&member)
            .arg(&tmp),
    )?;
    fs::rename(&tmp, &exe)
        .map_err(|e| format!("renaming {} to {}: {e}", tmp.display(), exe.display()))?;
    let _ = fs::remove_dir_all(&download);
    eprintln!("check-ptx: ptxas cached at {}", exe.display());
    Ok(exe)
}

fn find_python() -> Result<String, String> {
    for p in ["python3", "python"] {
        let ok = Command::new(p)
            .args(["-m", "pip", "--version"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Ok(p.to_string());
        }
    }
    Err(format!(
        "no ptxas: set PTXAS, put CUDA >= {}.{}'s ptxas on PATH, or install python3 with pip \
         so that {PTXAS_WHEEL}=={PTXAS_WHEEL_VERSION} can be fetched",
        MIN_PTXAS_RELEASE.0, MIN_PTXAS_RELEASE.1
    ))
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/// Writes `bytes` to `path` via a temporary file and a rename, so readers
/// (a host build embedding the PTX) never see a partial file.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = path.parent().expect("output paths have a parent");
    fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let name = path.file_name().expect("output paths name a file");
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    fs::write(&tmp, bytes).map_err(|e| format!("writing {}: {e}", tmp.display()))?;
    fs::rename(&tmp, path).map_err(|e| format!("renaming to {}: {e}", path.display()))
}

/// `path` relative to the workspace root, for messages.
fn rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizing_blanks_crate_disambiguators_only() {
        let a = "call _RNvNtCs5Up44OOGB9R_14hotloop_device3out; // Cs x_y Csy";
        let b = "call _RNvNtCsQQ1_14hotloop_device3out; // Cs x_y Csy";
        assert_eq!(normalized(a), normalized(b));
        assert_eq!(
            normalized(a),
            "call _RNvNtCs_14hotloop_device3out; // Cs x_y Csy"
        );
        assert_ne!(
            normalized(a),
            normalized("call _RNvNtCs5Up_13hotloop_devic3out;")
        );
    }

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
            KernelInfo {
                registers: 20,
                barriers: 1,
                smem: 8192,
                spill_bytes: 0,
                stack: 0
            }
        );
        assert_eq!(
            r["add_scalar_f64"],
            KernelInfo {
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
    fn structure_check_finds_missing_and_unexpected_entries() {
        let mut ptx = String::from(
            ".version 7.0\n.target sm_80\n.shared .align 8 .b8 hotloop_block_slots[8192];\n",
        );
        for spec in KERNELS {
            let params: Vec<String> = spec
                .params
                .iter()
                .enumerate()
                .map(|(i, p)| format!("\t.param {} .align 8 {}_param_{i}", p.ptx(), spec.name))
                .collect();
            ptx += &format!(
                ".visible .entry {}(\n{}\n)\n{{\n",
                spec.name,
                params.join(",\n")
            );
            if spec.uses_shared {
                ptx += "cvta.shared.u64 %rd1, hotloop_block_slots;\nbar.sync 0;\n";
            }
            ptx += "add.rn.f64 %rd2, %rd3, %rd4;\nret;\n}\n";
        }
        assert_eq!(check_structure(&ptx, "sm_80"), Ok(()));
        assert!(check_structure(&ptx, "sm_90").is_err());
        let renamed = ptx.replace(".entry sum_f32(", ".entry sum_f32_v2(");
        assert!(
            check_structure(&renamed, "sm_80")
                .unwrap_err()
                .contains("sum_f32")
        );
        let unsynced = ptx.replacen("bar.sync 0;", "", 1);
        assert!(check_structure(&unsynced, "sm_80").is_err());
        // A parameter of the wrong type, or one too few.
        let retyped = ptx.replacen(
            ".param .f64 .align 8 map_affine_f64_param_4",
            ".param .f32 .align 8 map_affine_f64_param_4",
            1,
        );
        let e = check_structure(&retyped, "sm_80").unwrap_err();
        assert!(
            e.contains("map_affine_f64") && e.contains("registry"),
            "{e}"
        );
        let dropped = ptx.replacen(",\n\t.param .u64 .ptr .align 8 sum_f64_param_2", "", 1);
        assert!(
            check_structure(&dropped, "sm_80")
                .unwrap_err()
                .contains("sum_f64")
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
        let body = ".entry f(\n\t.param .u64 .ptr .align 1 f_param_0,\n\t.param .u32 f_param_1,\n\t.param .f64 f_param_2\n)\n{\nret;\n}";
        assert_eq!(entry_params(body), [".u64 .ptr", ".u32", ".f64"]);
        assert!(entry_params(".entry g()\n{\n}").is_empty());
    }

    /// The ABI table of gpu-kernels/README.md documents exactly the
    /// registry's entries, with the registry's shared-memory column.
    #[test]
    fn readme_abi_table_lists_the_registry() {
        let readme = include_str!("../../gpu-kernels/README.md");
        let mut rows = BTreeMap::new();
        for line in readme.lines() {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            if cells.len() < 6 {
                continue;
            }
            let Some(name) = cells[1].strip_prefix('`').and_then(|c| c.strip_suffix('`')) else {
                continue;
            };
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            rows.insert(
                name.to_string(),
                (cells[4].to_string(), cells[5].to_string()),
            );
        }
        for spec in KERNELS {
            let (smem, barriers) = rows
                .remove(spec.name)
                .unwrap_or_else(|| panic!("README's ABI table lacks `{}`", spec.name));
            let want = if spec.uses_shared {
                (format!("{SHARED_BYTES} B"), "yes".to_string())
            } else {
                ("0".to_string(), "no".to_string())
            };
            assert_eq!((smem, barriers), want, "README row of `{}`", spec.name);
        }
        assert!(
            rows.is_empty(),
            "README rows not in the registry: {:?}",
            rows.keys()
        );
    }
}
