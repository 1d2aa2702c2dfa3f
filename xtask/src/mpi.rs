//! MPI for `crates/hotloop-mpi`: what its build needs, installed where we
//! may ([`ensure_mpi`]), and its checks under `mpirun` ([`check_ranks`]).
//!
//! rsmpi's `mpi-sys` finds the MPI library through `mpicc` and generates
//! its bindings with bindgen, which loads libclang: the workspace builds
//! every crate, so `cargo xtask test` needs both before clippy.

use crate::process;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The Debian/Ubuntu packages: Open MPI (its library, headers and
/// `mpicc`; `mpirun`) and libclang with clang's own headers.
const MPI_PACKAGES: [&str; 2] = ["libopenmpi-dev", "openmpi-bin"];
const LIBCLANG_PACKAGES: [&str; 1] = ["libclang-dev"];

/// The wall-clock limit of one `mpirun` of the checks: they take seconds;
/// a job still running after this has hung.
const CHECK_TIMEOUT: Duration = Duration::from_secs(120);
/// The limit for the job whose rank fails on purpose: its abort must end
/// it at once.
const ABORT_TIMEOUT: Duration = Duration::from_secs(30);

/// `cargo xtask mpi-check`: [`ensure_mpi`], then [`check_ranks`].
pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(a) = args.first() {
        return Err(format!(
            "`cargo xtask mpi-check` takes no arguments (got `{a}`)"
        ));
    }
    ensure_mpi()?;
    check_ranks()
}

/// Makes sure MPI (`mpicc`, `mpirun`) and libclang are installed: where one
/// is missing and this is root on Debian/Ubuntu, installs the packages
/// (printing the commands it runs); otherwise fails with the command to run.
pub fn ensure_mpi() -> Result<(), String> {
    let mut packages: Vec<&str> = Vec::new();
    if !on_path("mpicc") || !on_path("mpirun") {
        packages.extend(MPI_PACKAGES);
    }
    if !has_libclang() {
        packages.extend(LIBCLANG_PACKAGES);
    }
    if packages.is_empty() {
        return Ok(());
    }
    let list = packages.join(" ");
    if !on_path("apt-get") {
        return Err(format!(
            "hotloop-mpi needs an MPI library with `mpicc` and `mpirun` on PATH (Open MPI or \
             MPICH) and libclang with clang's headers (for rsmpi's bindgen; or set \
             LIBCLANG_PATH); on Debian/Ubuntu they are the packages {list}. Install them with \
             your system's package manager (Fedora: `dnf install openmpi-devel clang-devel`, \
             then `module load mpi/openmpi-x86_64`) and run this again"
        ));
    }
    let install = format!("apt-get install -y --no-install-recommends {list}");
    if !is_root() {
        return Err(format!(
            "hotloop-mpi needs {list} (MPI for the ranks, libclang for rsmpi's bindings); \
             install them with: sudo apt-get update && sudo {install}"
        ));
    }
    eprintln!("xtask: hotloop-mpi needs {list}; installing them");
    process::run(Command::new("apt-get").arg("update"))?;
    process::run(
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends"])
            .args(&packages)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    if !on_path("mpicc") || !on_path("mpirun") || !has_libclang() {
        return Err(format!(
            "`{install}` succeeded, but mpicc, mpirun or libclang is still not found"
        ));
    }
    Ok(())
}

/// Builds `mpi_check` and runs it under `mpirun -n 1..4`: every check must
/// pass (its answers bit-identical to one process), and a rank that fails
/// on purpose must end the whole job with its error, each within a limit.
pub fn check_ranks() -> Result<(), String> {
    process::run(process::cargo().args([
        "build",
        "--release",
        "--locked",
        "-p",
        "hotloop-mpi",
        "--example",
        "mpi_check",
    ]))?;
    let root = process::workspace_root();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|t| if t.is_absolute() { t } else { root.join(t) })
        .unwrap_or_else(|| root.join("target"));
    let bin = target.join("release/examples/mpi_check");
    let logs = target.join("mpi-check");
    std::fs::create_dir_all(&logs).map_err(|e| format!("creating {}: {e}", logs.display()))?;
    let launcher = Launcher::detect()?;
    for n in 1..=4 {
        let out = launcher.run(n, &bin, &[], &logs, CHECK_TIMEOUT)?;
        let summary = out.stdout.lines().last().unwrap_or("").to_string();
        let passed = out.status_ok && summary.ends_with(" 0 failed");
        if !passed {
            eprint!("{}{}", out.stdout, out.stderr);
            return Err(format!(
                "mpi_check on {n} ranks failed ({}): {summary}",
                out.status
            ));
        }
        eprintln!("xtask test: mpirun -n {n}: {summary}");
        // Backends the checks left out (no GPU), said once.
        if n == 1 {
            for skipped in out.stdout.lines().filter(|l| l.contains("are skipped")) {
                eprintln!("xtask test: {skipped}");
            }
        }

        let failing = 1.min(n - 1);
        let out = launcher.run(n, &bin, &["--fail-on-rank", "1"], &logs, ABORT_TIMEOUT)?;
        let said = format!("hotloop-mpi: rank {failing} of {n}: invalid mpi_check --fail-on-rank");
        if out.status_ok || !out.stderr.contains(&said) {
            eprint!("{}{}", out.stdout, out.stderr);
            return Err(format!(
                "mpi_check --fail-on-rank on {n} ranks: expected a failed job saying `{said}`, \
                 got {}",
                out.status
            ));
        }
        eprintln!(
            "xtask test: mpirun -n {n}, rank {failing} failing: the job ended in {:.1} s with \
             its error",
            out.seconds
        );
    }
    Ok(())
}

/// How this machine's `mpirun` is run.
struct Launcher {
    /// Open MPI (its root and oversubscription options), else MPICH's
    /// Hydra, which needs neither.
    open_mpi: bool,
}

/// What a finished `mpirun` said.
struct Output {
    status: String,
    status_ok: bool,
    stdout: String,
    stderr: String,
    seconds: f64,
}

impl Launcher {
    fn detect() -> Result<Launcher, String> {
        let v = Command::new("mpirun")
            .arg("--version")
            .output()
            .map_err(|e| format!("running `mpirun --version`: {e}"))?;
        let text = String::from_utf8_lossy(&v.stdout) + String::from_utf8_lossy(&v.stderr);
        Ok(Launcher {
            open_mpi: text.contains("Open MPI") || text.contains("OpenRTE"),
        })
    }

    /// Runs `mpirun -n n bin args`, its output in files under `logs` (no
    /// pipe to fill), killed with its ranks after `limit`.
    fn run(
        &self,
        n: usize,
        bin: &Path,
        args: &[&str],
        logs: &Path,
        limit: Duration,
    ) -> Result<Output, String> {
        let mut cmd = Command::new("mpirun");
        if self.open_mpi {
            // Root is refused unless confirmed twice; more ranks than cores
            // (4 on 2 here) unless oversubscribed; binding ranks to cores
            // would pin oversubscribed ranks to the same ones.
            cmd.env("OMPI_ALLOW_RUN_AS_ROOT", "1")
                .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
                .args(["--oversubscribe", "--bind-to", "none"]);
            if !on_path("ssh") && !on_path("rsh") {
                // Open MPI refuses to start without a remote shell, which a
                // job on this host alone never uses.
                cmd.env("OMPI_MCA_plm_rsh_agent", "false");
            }
        }
        cmd.arg("-n").arg(n.to_string()).arg(bin).args(args);
        let tag = format!("n{n}{}", args.join("").replace('-', "_"));
        let (out_path, err_path) = (
            logs.join(format!("{tag}.stdout")),
            logs.join(format!("{tag}.stderr")),
        );
        let file = |p: &Path| {
            std::fs::File::create(p).map_err(|e| format!("creating {}: {e}", p.display()))
        };
        cmd.stdout(file(&out_path)?).stderr(file(&err_path)?);
        {
            use std::os::unix::process::CommandExt;
            // Its own process group, so a timeout kills the ranks too.
            cmd.process_group(0);
        }
        eprintln!("$ {}", describe(&cmd));
        let started = Instant::now();
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("could not start mpirun: {e}"))?;
        let status = loop {
            if let Some(s) = child
                .try_wait()
                .map_err(|e| format!("waiting for mpirun: {e}"))?
            {
                break s;
            }
            if started.elapsed() > limit {
                let group = format!("-{}", child.id());
                // mpirun forwards TERM to its ranks; KILL whatever is left.
                let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
                std::thread::sleep(Duration::from_secs(3));
                let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
                let _ = child.wait();
                return Err(format!(
                    "`{}` was still running after {} s: a hang (its output: {})",
                    describe(&cmd),
                    limit.as_secs(),
                    logs.display()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        Ok(Output {
            status: status.to_string(),
            status_ok: status.success(),
            stdout: read(&out_path),
            stderr: read(&err_path),
            seconds: started.elapsed().as_secs_f64(),
        })
    }
}

/// The command as a shell would take it, its environment settings first.
fn describe(cmd: &Command) -> String {
    let env = cmd
        .get_envs()
        .filter_map(|(k, v)| v.map(|v| format!("{}={}", k.to_string_lossy(), v.to_string_lossy())));
    let words = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned());
    env.chain(words).collect::<Vec<_>>().join(" ")
}

/// Whether an executable `name` is on PATH.
fn on_path(name: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            std::fs::metadata(dir.join(name))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Whether bindgen will find libclang (`LIBCLANG_PATH`, or the places
/// clang-sys searches on Linux) and clang's own headers (`stddef.h`, which
/// the MPI headers include).
fn has_libclang() -> bool {
    let is_lib = |p: &Path| {
        p.file_name().is_some_and(|n| {
            let n = n.to_string_lossy();
            (n.starts_with("libclang.so") || n.starts_with("libclang-"))
                && !n.starts_with("libclang-cpp")
                && n.contains(".so")
        })
    };
    let lib_in = |dir: &Path| {
        std::fs::read_dir(dir).is_ok_and(|entries| entries.flatten().any(|e| is_lib(&e.path())))
    };
    if let Some(dir) = std::env::var_os("LIBCLANG_PATH") {
        return lib_in(Path::new(&dir));
    }
    let llvm_dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib")
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("llvm"))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut lib_dirs: Vec<PathBuf> = llvm_dirs.iter().map(|d| d.join("lib")).collect();
    lib_dirs.extend(
        [
            "/usr/lib/x86_64-linux-gnu",
            "/usr/lib/aarch64-linux-gnu",
            "/usr/lib64",
            "/usr/lib",
            "/usr/local/lib",
        ]
        .map(PathBuf::from),
    );
    if !lib_dirs.iter().any(|d| lib_in(d)) {
        return false;
    }
    // clang's resource headers: <llvm>/lib/clang/<version>/include.
    let mut clang_dirs: Vec<PathBuf> = llvm_dirs.iter().map(|d| d.join("lib/clang")).collect();
    clang_dirs
        .extend(["/usr/lib/clang", "/usr/lib64/clang", "/usr/local/lib/clang"].map(PathBuf::from));
    clang_dirs.iter().any(|d| {
        std::fs::read_dir(d).is_ok_and(|versions| {
            versions
                .flatten()
                .any(|v| v.path().join("include/stddef.h").is_file())
        })
    })
}
