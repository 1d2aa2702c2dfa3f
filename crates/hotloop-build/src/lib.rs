//! Builds a kernels crate to PTX: the role Rust-CUDA's `cuda_builder`
//! plays, on rustc's own `nvptx64-nvidia-cuda` target.
//!
//! In a host crate's `build.rs`:
//!
//! ```ignore
//! fn main() {
//!     hotloop_build::Kernels::new("../kernels").build().unwrap();
//! }
//! ```
//!
//! and in the host crate, the PTX embedded from `OUT_DIR` (one file per
//! architecture, `<lib>.<arch>.ptx`):
//!
//! ```ignore
//! const PTX: &str = include_str!(concat!(env!("OUT_DIR"), "/my_kernels.sm_80.ptx"));
//! ```
//!
//! The nested build is `cargo build --release --target nvptx64-nvidia-cuda
//! -Zbuild-std=core` in the kernels crate, once per architecture in
//! [`ARCHS`], with `RUSTC_BOOTSTRAP=1` set for it alone (the PTX ABI and
//! `-Zbuild-std` are unstable), its own target directory, and none of the
//! outer build's cargo or rustc settings (`RUSTFLAGS`, `CARGO_*`, ...)
//! leaking in. It needs the toolchain components in [`COMPONENTS`]: with
//! rustup they are added when missing; without it, an error names them and
//! the command that installs them. Cargo reruns the build script when a
//! file of the kernels crate (or of hotloop's device crates, when built
//! from a checkout) changes; the nested build is incremental in its own
//! right.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fmt, fs};

/// The PTX architectures built: sm_80 (the driver JIT-compiles it for any
/// later GPU) and sm_90 (code generated for Hopper).
pub const ARCHS: [&str; 2] = ["sm_80", "sm_90"];

/// The rustc target.
pub const TARGET: &str = "nvptx64-nvidia-cuda";

/// Toolchain components the nested build needs besides rustc and cargo:
/// `core`'s source for `-Zbuild-std`, the linker that turns the bitcode
/// into one PTX module, and the LLVM tools that linker runs.
pub const COMPONENTS: [&str; 3] = ["rust-src", "llvm-bitcode-linker", "llvm-tools"];

/// Why a kernels crate did not build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError(pub String);

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BuildError {}

type Result<T> = std::result::Result<T, BuildError>;

fn err(msg: impl Into<String>) -> BuildError {
    BuildError(msg.into())
}

/// The toolchain a nested build runs with: through rustup (`rustup run
/// <toolchain> cargo`) when rustup is there, else the `cargo` given.
#[derive(Clone, Debug)]
pub struct Toolchain {
    rustup: Option<String>,
    cargo: PathBuf,
}

impl Toolchain {
    /// `toolchain` through rustup if rustup is installed (its components
    /// added when missing), else `cargo` as it is (which must then have
    /// them: [`Toolchain::ensure_components`] says which it lacks).
    pub fn new(toolchain: Option<&str>, cargo: PathBuf) -> Self {
        let rustup = Command::new("rustup")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        Self {
            rustup: toolchain.filter(|_| rustup).map(String::from),
            cargo,
        }
    }

    /// Adds whichever of [`COMPONENTS`] the rustup toolchain lacks; an
    /// error naming them and the install command where there is no rustup
    /// and the build then fails for want of them.
    pub fn ensure_components(&self) -> Result<()> {
        let Some(tc) = &self.rustup else {
            return Ok(());
        };
        let out = Command::new("rustup")
            .args(["component", "list", "--installed", "--toolchain", tc])
            .output()
            .map_err(|e| err(format!("running rustup: {e}")))?;
        if !out.status.success() {
            return Err(err(format!(
                "`rustup component list --installed --toolchain {tc}` failed: {}; is Rust {tc} \
                 installed? (`rustup toolchain install {tc}`)",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        let installed = String::from_utf8_lossy(&out.stdout);
        // Lines are `rust-src` or `llvm-tools-x86_64-unknown-linux-gnu`.
        let has = |c: &str| {
            installed
                .lines()
                .map(str::trim)
                .any(|l| l == c || l.strip_prefix(c).is_some_and(|rest| rest.starts_with('-')))
        };
        let missing: Vec<&str> = COMPONENTS.iter().copied().filter(|c| !has(c)).collect();
        if missing.is_empty() {
            return Ok(());
        }
        eprintln!(
            "hotloop-build: installing {} for Rust {tc}",
            missing.join(", ")
        );
        let status = Command::new("rustup")
            .args(["component", "add"])
            .args(&missing)
            .args(["--toolchain", tc])
            .status()
            .map_err(|e| err(format!("running rustup: {e}")))?;
        if status.success() {
            Ok(())
        } else {
            Err(err(format!(
                "`rustup component add {} --toolchain {tc}` failed ({status})",
                missing.join(" ")
            )))
        }
    }

    /// The nested `cargo build` of `crate_dir` for `arch` into
    /// `target_dir`, with a clean environment.
    pub fn nested_build(&self, crate_dir: &Path, arch: &str, target_dir: &Path) -> Command {
        let mut cmd = match &self.rustup {
            Some(tc) => {
                let mut c = Command::new("rustup");
                c.args(["run", tc, "cargo"]);
                c
            }
            None => Command::new(&self.cargo),
        };
        for (key, _) in env::vars_os() {
            let Some(key) = key.to_str() else { continue };
            if inherited_build_var(key) {
                cmd.env_remove(key);
            }
        }
        cmd.current_dir(crate_dir)
            .args(["build", "--release", "--target", TARGET, "-Zbuild-std=core"])
            .arg("--target-dir")
            .arg(target_dir)
            // abi_ptx, stdarch_nvptx, asm_experimental_arch and -Zbuild-std
            // on a stable toolchain, for this build only.
            .env("RUSTC_BOOTSTRAP", "1")
            .env("CARGO_ENCODED_RUSTFLAGS", format!("-Ctarget-cpu={arch}"))
            // A workspace's release profile may ask for debug info (for
            // profiling its host code); in PTX it is only line tables the
            // driver ignores, and they make the module depend on paths.
            .env("CARGO_PROFILE_RELEASE_DEBUG", "false");
        cmd
    }
}

/// Whether an inherited environment variable would change the nested
/// build: cargo's and rustc's configuration (`CARGO_*`, `RUSTC*`,
/// `RUSTFLAGS`, `RUSTDOC*`, `RUSTUP_TOOLCHAIN`, cargo's internal
/// `__CARGO_*`, a build script's `OUT_DIR`, `TARGET`, `HOST`, `PROFILE`,
/// `OPT_LEVEL`, `DEBUG`, `NUM_JOBS`) except where cargo keeps its caches
/// and how it reaches the network.
pub fn inherited_build_var(key: &str) -> bool {
    const KEEP: [&str; 6] = [
        "CARGO_HOME",
        "CARGO_NET_",
        "CARGO_HTTP_",
        "CARGO_REGISTRIES_",
        "CARGO_REGISTRY_",
        "CARGO_TERM_",
    ];
    const BUILD_SCRIPT: [&str; 7] = [
        "OUT_DIR",
        "TARGET",
        "HOST",
        "PROFILE",
        "OPT_LEVEL",
        "DEBUG",
        "NUM_JOBS",
    ];
    if KEEP.iter().any(|k| key.starts_with(k)) {
        return false;
    }
    BUILD_SCRIPT.contains(&key)
        || key == "CARGO"
        || key.starts_with("CARGO_")
        || key.starts_with("__CARGO")
        || key.starts_with("RUSTC")
        || key.starts_with("RUSTFLAGS")
        || key.starts_with("RUSTDOC")
        || key.starts_with("RUSTUP_TOOLCHAIN")
}

/// Builds the kernels crate at `crate_dir` (library `lib_name`) for every
/// architecture in [`ARCHS`], each into `target_dir/<arch>/`; returns the
/// PTX files in [`ARCHS`] order. The nested cargo's output passes through
/// as it comes; on failure the error holds the compiler's messages.
pub fn build_ptx(
    toolchain: &Toolchain,
    crate_dir: &Path,
    lib_name: &str,
    target_dir: &Path,
) -> Result<Vec<PathBuf>> {
    build_ptx_echoing(toolchain, crate_dir, lib_name, target_dir, true)
}

/// [`build_ptx`], passing the nested cargo's output through if `echo` (a
/// build script does not: its error repeats what matters).
fn build_ptx_echoing(
    toolchain: &Toolchain,
    crate_dir: &Path,
    lib_name: &str,
    target_dir: &Path,
    echo: bool,
) -> Result<Vec<PathBuf>> {
    toolchain.ensure_components()?;
    let mut out = Vec::new();
    for arch in ARCHS {
        let dir = target_dir.join(arch);
        let mut cmd = toolchain.nested_build(crate_dir, arch, &dir);
        eprintln!("hotloop-build: {} for {arch}", crate_dir.display());
        let (status, said) = run_keeping_stderr(&mut cmd, echo)?;
        if !status.success() {
            // With rustup the components were checked above; without it
            // they may be what is missing.
            let hint = match toolchain.rustup {
                Some(_) => String::new(),
                None => format!(
                    "\n(without rustup, the toolchain must have {} installed)",
                    COMPONENTS.join(", ")
                ),
            };
            return Err(err(format!(
                "building {} for {TARGET} ({arch}) failed ({status}):\n{}{hint}",
                crate_dir.display(),
                compiler_messages(&said)
            )));
        }
        out.push(
            dir.join(TARGET)
                .join("release")
                .join(format!("{lib_name}.ptx")),
        );
    }
    Ok(out)
}

/// Runs `cmd`, keeping its standard error for the error message and, if
/// `echo`, passing it through line by line as it comes (the nested
/// cargo's progress).
fn run_keeping_stderr(cmd: &mut Command, echo: bool) -> Result<(std::process::ExitStatus, String)> {
    use std::io::{BufRead, BufReader};
    let mut child = cmd
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| err(format!("could not start the nested cargo: {e}")))?;
    let mut said = String::new();
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr)
            .lines()
            .map_while(std::io::Result::ok)
        {
            if echo {
                eprintln!("{line}");
            }
            said.push_str(&line);
            said.push('\n');
        }
    }
    let status = child
        .wait()
        .map_err(|e| err(format!("waiting for the nested cargo: {e}")))?;
    Ok((status, said))
}

/// The compiler's own messages in a failed build's output: from the first
/// `error` or `warning` line on, without cargo's progress lines (all of
/// it if there is no such line).
fn compiler_messages(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().collect();
    let first = lines
        .iter()
        .position(|l| l.starts_with("error") || l.starts_with("warning"))
        .unwrap_or(0);
    let progress = [
        "Compiling ",
        "Updating ",
        "Downloaded ",
        "Downloading ",
        "Locking ",
    ];
    lines[first..]
        .iter()
        .filter(|l| !progress.iter().any(|p| l.trim_start().starts_with(p)))
        .copied()
        .collect::<Vec<_>>()
        .join("\n")
}

/// A kernels crate, built from a host crate's `build.rs`.
#[derive(Clone, Debug)]
pub struct Kernels {
    dir: PathBuf,
    lib_name: Option<String>,
    toolchain: Option<String>,
}

impl Kernels {
    /// The kernels crate at `path`, relative to the crate whose build
    /// script this is.
    pub fn new(path: impl AsRef<Path>) -> Self {
        let here = env::var_os("CARGO_MANIFEST_DIR").map_or_else(PathBuf::new, PathBuf::from);
        Self {
            dir: here.join(path),
            lib_name: None,
            toolchain: None,
        }
    }

    /// The library's name, if it is not the package's with `-` as `_`.
    pub fn lib_name(mut self, name: &str) -> Self {
        self.lib_name = Some(name.into());
        self
    }

    /// The rustup toolchain to build with (default: the one building this
    /// crate, `$RUSTUP_TOOLCHAIN`).
    pub fn toolchain(mut self, toolchain: &str) -> Self {
        self.toolchain = Some(toolchain.into());
        self
    }

    /// Builds the PTX into `$OUT_DIR/<lib>.<arch>.ptx` for every
    /// architecture in [`ARCHS`] and tells cargo to rerun when the kernels
    /// change; returns the files.
    pub fn build(self) -> Result<Vec<PathBuf>> {
        self.build_as(None)
    }

    /// [`Kernels::build`], the files named `<stem>.<arch>.ptx` if `stem` is
    /// given.
    fn build_as(self, stem: Option<&str>) -> Result<Vec<PathBuf>> {
        let out_dir = PathBuf::from(
            env::var_os("OUT_DIR")
                .ok_or_else(|| err("OUT_DIR is unset: call this from a build.rs"))?,
        );
        let dir = fs::canonicalize(&self.dir)
            .map_err(|e| err(format!("the kernels crate {}: {e}", self.dir.display())))?;
        let lib = match self.lib_name {
            Some(l) => l,
            None => package_name(&dir)?.replace('-', "_"),
        };
        println!("cargo:rerun-if-changed={}", dir.join("src").display());
        println!(
            "cargo:rerun-if-changed={}",
            dir.join("Cargo.toml").display()
        );
        // hotloop's device crates, when built from a checkout.
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        for sibling in ["hotloop-core", "hotloop-device", "hotloop-macros"] {
            let d = here.with_file_name(sibling).join("src");
            if d.is_dir() {
                println!("cargo:rerun-if-changed={}", d.display());
            }
        }
        let toolchain = self.toolchain.or_else(|| env::var("RUSTUP_TOOLCHAIN").ok());
        let cargo = env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from);
        let tc = Toolchain::new(toolchain.as_deref(), cargo);
        let built = build_ptx_echoing(&tc, &dir, &lib, &out_dir.join("nvptx"), false)?;
        let mut out = Vec::new();
        for (arch, ptx) in ARCHS.iter().zip(&built) {
            let dest = out_dir.join(format!("{}.{arch}.ptx", stem.unwrap_or(&lib)));
            fs::copy(ptx, &dest).map_err(|e| {
                err(format!(
                    "copying {} to {}: {e}",
                    ptx.display(),
                    dest.display()
                ))
            })?;
            out.push(dest);
        }
        Ok(out)
    }
}

/// The stem of the PTX files [`build_this_crate`] writes and
/// `hotloop_device::kernel_module!()` embeds: `$OUT_DIR/<stem>.<arch>.ptx`.
pub const MODULE_STEM: &str = "hotloop-kernels";

/// The build script of a kernels crate that embeds its own PTX: a crate
/// with `#[device_op]` ops, or `#[kernel]`s whose host finds them in
/// `crate::KERNELS` (`hotloop_device::kernel_module!()`):
///
/// ```ignore
/// // build.rs
/// fn main() {
///     hotloop_build::build_this_crate();
/// }
/// ```
///
/// It builds the crate itself for `nvptx64-nvidia-cuda` (once per
/// architecture in [`ARCHS`]) into `$OUT_DIR/hotloop-kernels.<arch>.ptx`.
/// In that nested build, where this script runs again for the device
/// target, it does nothing. A kernel that does not build for the GPU fails
/// the crate's build with the compiler's own message, as a host error
/// would: a crate never builds without the PTX its `KERNELS` promises.
pub fn build_this_crate() {
    if env::var("TARGET").is_ok_and(|t| t == TARGET) {
        return;
    }
    if env::var_os("OUT_DIR").is_none() {
        panic!("hotloop_build::build_this_crate() runs from a build.rs (OUT_DIR is unset)");
    }
    if let Err(e) = Kernels::new(".").build_as(Some(MODULE_STEM)) {
        // A build script's failure: cargo prints this and stops the build.
        eprintln!("hotloop-build: the kernels did not build for the GPU: {e}");
        std::process::exit(1);
    }
}

/// The `name` of a manifest's `[package]`.
fn package_name(crate_dir: &Path) -> Result<String> {
    let manifest = crate_dir.join("Cargo.toml");
    let text = fs::read_to_string(&manifest)
        .map_err(|e| err(format!("reading {}: {e}", manifest.display())))?;
    let mut in_package = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if let Some(v) = line
            .strip_prefix("name")
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix('='))
            .filter(|_| in_package)
        {
            return Ok(v.trim().trim_matches('"').to_string());
        }
    }
    Err(err(format!("{}: no [package] name", manifest.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outer_builds_settings_do_not_leak_in() {
        for k in [
            "RUSTC",
            "RUSTC_WRAPPER",
            "RUSTC_WORKSPACE_WRAPPER",
            "RUSTFLAGS",
            "CARGO_ENCODED_RUSTFLAGS",
            "CARGO_TARGET_DIR",
            "CARGO_BUILD_TARGET",
            "CARGO_PROFILE_RELEASE_LTO",
            "RUSTUP_TOOLCHAIN",
            "CARGO",
            "CARGO_MANIFEST_DIR",
            "OUT_DIR",
            "TARGET",
            "__CARGO_FIX_YOLO",
        ] {
            assert!(inherited_build_var(k), "{k}");
        }
        for k in [
            "CARGO_HOME",
            "CARGO_NET_OFFLINE",
            "RUSTUP_HOME",
            "HOME",
            "PATH",
            "PTXAS",
            "CARGO_REGISTRIES_CRATES_IO_PROTOCOL",
        ] {
            assert!(!inherited_build_var(k), "{k}");
        }
    }

    #[test]
    fn a_failed_builds_message_is_the_compilers() {
        let said = "   Compiling core v0.0.0\n   Compiling k v0.1.0\nerror[E0425]: cannot find value `TPB` in this scope\n --> src/lib.rs:3:5\n\nerror: could not compile `k`\n";
        let m = compiler_messages(said);
        assert!(
            m.starts_with("error[E0425]: cannot find value `TPB`"),
            "{m}"
        );
        assert!(
            m.contains("src/lib.rs:3:5") && !m.contains("Compiling"),
            "{m}"
        );
    }

    #[test]
    fn the_package_name_comes_from_the_manifest() {
        let dir = env::temp_dir().join(format!("hotloop-build-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("Cargo.toml"),
            "[workspace]\n\n[package]\nname = \"my-kernels\"\nversion = \"0.1.0\"\n\n[dependencies]\nname = 1\n",
        )
        .unwrap();
        assert_eq!(package_name(&dir).unwrap(), "my-kernels");
        fs::remove_dir_all(&dir).unwrap();
        assert!(package_name(Path::new("/nonexistent")).is_err());
    }
}
