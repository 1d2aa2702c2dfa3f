//! Finding NVIDIA's `ptxas`: `$PTXAS`, a recent enough one on `PATH`, or
//! the pinned PyPI wheel fetched once into `target/tools/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

use super::files::{PTX_DIR, write_atomically};
use crate::process;

/// The pinned `ptxas`: NVIDIA's `nvidia-cuda-nvcc-cu12` wheel from PyPI.
pub(super) const PTXAS_WHEEL: &str = "nvidia-cuda-nvcc-cu12";
pub(super) const PTXAS_WHEEL_VERSION: &str = "12.9.86";
/// Oldest `ptxas` release accepted from `PATH`: CUDA 12 knows sm_90 and the
/// PTX ISA versions LLVM emits for it.
pub(super) const MIN_PTXAS_RELEASE: (u32, u32) = (12, 0);

/// A `ptxas` executable and where it came from.
pub(super) struct Ptxas {
    path: PathBuf,
    origin: String,
    version: String,
}

impl Ptxas {
    /// `$PTXAS`, else `ptxas` on PATH if recent enough, else the pinned
    /// wheel's, fetched on first use.
    pub(super) fn find(root: &Path) -> Result<Self, String> {
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

    pub(super) fn describe(&self) -> String {
        format!(
            "ptxas {} ({}: {})",
            self.version,
            self.origin,
            self.path.display()
        )
    }

    /// Runs `ptxas -v -arch=<arch>` on `file`; an error carries ptxas's
    /// diagnostics.
    pub(super) fn assemble(
        &self,
        root: &Path,
        file: &Path,
        arch: &str,
    ) -> Result<BTreeMap<String, Resources>, String> {
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
    pub(super) fn self_test(&self, root: &Path) -> Result<(), String> {
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
pub(super) fn parse_release(version: &str) -> Option<(u32, u32)> {
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

/// What `ptxas -v` said about one kernel.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Resources {
    pub(super) registers: u32,
    pub(super) barriers: u32,
    pub(super) smem: u64,
    pub(super) spill_bytes: u64,
    pub(super) stack: u64,
}

/// Parses `ptxas -v` output into per-kernel resource usage.
pub(super) fn parse_ptxas_verbose(output: &str) -> BTreeMap<String, Resources> {
    let mut out: BTreeMap<String, Resources> = BTreeMap::new();
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
