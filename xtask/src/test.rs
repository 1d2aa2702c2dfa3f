//! `cargo xtask test`: everything CI checks, in the order that fails fastest.

use crate::{gpu_kit, kernels, mpi, process};
use std::process::Command;

pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(a) = args.first() {
        return Err(format!("`cargo xtask test` takes no arguments (got `{a}`)"));
    }
    ensure_lint_components()?;
    // The workspace builds hotloop-mpi, whose bindings need MPI and libclang.
    mpi::ensure_mpi()?;
    process::run(process::cargo().args(["fmt", "--all", "--", "--check"]))?;
    process::run(process::cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--locked",
        "--",
        "-D",
        "warnings",
    ]))?;
    check_docs_and_features()?;
    let ptx = kernels::build_ptx_files(&[])?;
    kernels::check_embedded_fresh(&ptx)?;
    kernels::check(&[])?;
    check_packages()?;
    process::run(process::cargo().args(["test", "--workspace", "--locked"]))?;
    mpi::check_ranks()?;
    check_custom_kernels()?;
    let kit = check_gpu_kit()?;
    let device_tests = run_device_tests(&kit)?;
    eprintln!("xtask test: all checks passed");
    eprintln!("xtask test: {device_tests}");
    Ok(())
}

/// The API docs build with no warning (broken intra-doc links, bad HTML),
/// and the facade builds and passes its own tests with its optional
/// backends left out: a CPU-only user compiles no CUDA code.
fn check_docs_and_features() -> Result<(), String> {
    process::run(
        process::cargo()
            .args([
                "doc",
                "--workspace",
                "--no-deps",
                "--locked",
                "--exclude",
                "xtask",
            ])
            .env("RUSTDOCFLAGS", "-D warnings"),
    )?;
    process::run(process::cargo().args([
        "test",
        "-p",
        "hotloop",
        "--lib",
        "--locked",
        "--no-default-features",
    ]))?;
    process::run(process::cargo().args([
        "check",
        "-p",
        "hotloop",
        "--locked",
        "--no-default-features",
        "--features",
        "sim",
    ]))
}

/// Each published crate as a user gets it from a registry: `cargo package`
/// packs every workspace member but the unpublished ones (`publish =
/// false`: the bench suite and this xtask, which depend on the others by
/// path alone), then builds each from its own `.crate` against the
/// others' `.crate`s, not the checkout: a file a crate uses from outside
/// its directory (hotloop-kernels' committed PTX is inside it) or a
/// dependency without a version fails here. First, each published crate
/// has the licence texts its `license` names: cargo packs a crate's own
/// directory only, so each links the root's `LICENSE-MIT` and
/// `LICENSE-APACHE`. `--allow-dirty`: like every other step, this checks
/// the working tree, committed or not. Measured on 2 cores: 53 s from a
/// cold target directory (no earlier step builds the dev profile), 27 s
/// with its dependencies already built.
///
/// Cargo takes a registry crate for immutable: our crates, packed again
/// under an unchanged name and version, would be verified from the
/// sources it unpacked and the builds it made at the last run, whatever
/// changed since. So those go first ([`forget_packaged`]); third-party
/// crates stay built.
fn check_packages() -> Result<(), String> {
    let root = process::workspace_root();
    let members = workspace_members(&root)?;
    let unlicensed = without_licence_texts(&root, &members)?;
    if !unlicensed.is_empty() {
        return Err(format!(
            "published crates without the root's licence texts: {}; in each, \
             `ln -s ../../LICENSE-MIT ../../LICENSE-APACHE .`",
            unlicensed.join(", ")
        ));
    }
    forget_packaged(&root, &members)?;
    let mut cmd = process::cargo();
    cmd.args(["package", "--workspace", "--locked", "--allow-dirty"]);
    for m in members.iter().filter(|m| !m.published) {
        cmd.args(["--exclude", &m.name]);
    }
    process::run(&mut cmd)
}

/// Removes what `cargo package` keeps of the workspace's own crates from
/// one run to the next: the sources it unpacked into cargo's home
/// (`registry/src/*/<crate>-<version>`) and the build records
/// (fingerprints) in the dev profile's target directory. The next run
/// unpacks and checks them afresh (the workspace's own dev builds lose
/// their records too and are rebuilt, a few seconds).
fn forget_packaged(root: &std::path::Path, members: &[Member]) -> Result<(), String> {
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cargo")));
    // `<package>-<version>`, the version starting with a digit (so
    // `hotloop-0.1.0` is the facade's, not `hotloop-core-0.1.0`).
    let unpacked = |name: &str| {
        members.iter().any(|m| {
            name.strip_prefix(m.name.as_str())
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
        })
    };
    // `<package>-<hash>`.
    let built = |name: &str| {
        name.rsplit_once('-')
            .is_some_and(|(pkg, _)| members.iter().any(|m| m.name == pkg))
    };
    let mut doomed = Vec::new();
    let registries = home.map(|h| h.join("registry/src"));
    for registry in registries
        .iter()
        .flat_map(|r| std::fs::read_dir(r).into_iter().flatten())
    {
        let dir = registry
            .map_err(|e| format!("reading cargo's registry: {e}"))?
            .path();
        doomed.extend(children(&dir, unpacked));
    }
    doomed.extend(children(&root.join("target/debug/.fingerprint"), built));
    for d in doomed {
        std::fs::remove_dir_all(&d).map_err(|e| format!("removing {}: {e}", d.display()))?;
    }
    Ok(())
}

/// The entries of `dir` (none if it cannot be read) whose names `keep`
/// accepts.
fn children(dir: &std::path::Path, keep: impl Fn(&str) -> bool) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| keep(&e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .collect()
}

/// A workspace member, as `cargo package` sees it.
#[derive(Debug)]
struct Member {
    name: String,
    dir: std::path::PathBuf,
    published: bool,
}

/// The root manifest's members (`.`, `crates/*`, `gpu-kernels`, `xtask`):
/// each one's `[package]` name and whether it says `publish = false`.
fn workspace_members(root: &std::path::Path) -> Result<Vec<Member>, String> {
    let crates = root.join("crates");
    let mut dirs = vec![
        root.to_path_buf(),
        root.join("gpu-kernels"),
        root.join("xtask"),
    ];
    for entry in
        std::fs::read_dir(&crates).map_err(|e| format!("reading {}: {e}", crates.display()))?
    {
        let dir = entry
            .map_err(|e| format!("reading {}: {e}", crates.display()))?
            .path();
        if dir.join("Cargo.toml").is_file() {
            dirs.push(dir);
        }
    }
    dirs.into_iter()
        .map(|dir| {
            let manifest = dir.join("Cargo.toml");
            let text = std::fs::read_to_string(&manifest)
                .map_err(|e| format!("reading {}: {e}", manifest.display()))?;
            let name = package_field(&text, "name")
                .ok_or_else(|| format!("{}: no [package] name", manifest.display()))?;
            let published = package_field(&text, "publish").as_deref() != Some("false");
            Ok(Member {
                name,
                dir,
                published,
            })
        })
        .collect()
}

/// A `key = value` line of a manifest's `[package]` table, the value
/// unquoted.
fn package_field(manifest: &str, key: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if let Some(v) = line
            .strip_prefix(key)
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix('='))
            .filter(|_| in_package)
        {
            return Some(v.trim().trim_matches('"').to_string());
        }
    }
    None
}

/// The published members whose `LICENSE-MIT` or `LICENSE-APACHE` is
/// missing or not the root's text (a link that a checkout without
/// symbolic links turned into a file naming its target, say).
fn without_licence_texts(
    root: &std::path::Path,
    members: &[Member],
) -> Result<Vec<String>, String> {
    let mut texts = Vec::new();
    for file in ["LICENSE-MIT", "LICENSE-APACHE"] {
        let path = root.join(file);
        let text = std::fs::read(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        texts.push((file, text));
    }
    Ok(members
        .iter()
        .filter(|m| m.published)
        .filter(|m| {
            texts
                .iter()
                .any(|(file, text)| std::fs::read(m.dir.join(file)).ok().as_ref() != Some(text))
        })
        .map(|m| m.name.clone())
        .collect())
}

/// The tests that need a CUDA device (`#[ignore = "needs a CUDA device"]`):
/// run where the kit's probe finds one, counted either way; returns the
/// one line that says how many ran, and why none did.
fn run_device_tests(kit: &std::path::Path) -> Result<String, String> {
    let probe = Command::new(kit.join("bin/hotloop-bench"))
        .arg("--cuda-available")
        .output()
        .map_err(|e| format!("running the CUDA probe: {e}"))?;
    let said = String::from_utf8_lossy(&probe.stdout).trim().to_string();
    // --tests: the test targets, not the doctests (whose `ignore` blocks are
    // examples, not device tests).
    const IGNORED: [&str; 6] = [
        "test",
        "--workspace",
        "--locked",
        "--tests",
        "--",
        "--ignored",
    ];
    let listed = process::cargo()
        .args(IGNORED)
        .arg("--list")
        .stderr(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("listing the device tests: {e}"))?;
    let total = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .filter(|l| l.ends_with(": test"))
        .count();
    if !probe.status.success() {
        return Ok(format!("0 of {total} device tests ran: {said}"));
    }
    process::run(process::cargo().args(IGNORED))?;
    Ok(format!("{total} of {total} device tests ran, on {said}"))
}

/// The standalone example (`examples/custom-kernels/`, its own workspace,
/// depending on hotloop's crates by path as a user would by version):
/// formatted, clippy-clean, built (the kernels crate's `build.rs` builds
/// itself to PTX for sm_80 and sm_90 with `hotloop-build`), the PTX
/// assembled with `ptxas`, and its host run, which checks every kernel and
/// op on the simulator (and CUDA, where there is a device) and fails on a ✗.
fn check_custom_kernels() -> Result<(), String> {
    let root = process::workspace_root();
    let manifest = root.join("examples/custom-kernels/Cargo.toml");
    process::run(
        process::cargo()
            .arg("fmt")
            .arg("--manifest-path")
            .arg(&manifest)
            .args(["--all", "--", "--check"]),
    )?;
    process::run(
        process::cargo()
            .args([
                "clippy",
                "--locked",
                "--workspace",
                "--all-targets",
                "--manifest-path",
            ])
            .arg(&manifest)
            .args(["--", "-D", "warnings"]),
    )?;
    let out_dir = gpu_kit::build_custom_kernels()?;
    let ptx: Vec<String> = hotloop_build::ARCHS
        .iter()
        .map(|a| {
            out_dir
                .join(format!("{}.{a}.ptx", hotloop_build::MODULE_STEM))
                .display()
                .to_string()
        })
        .collect();
    kernels::check(&ptx)?;
    process::run(
        process::cargo()
            .args(["run", "--release", "--locked", "--manifest-path"])
            .arg(&manifest)
            .args(["-p", "custom-kernels-host"]),
    )
}

/// Builds the GPU kit and runs its `run.sh` here. On a machine without a
/// GPU that checks everything but the GPU: the kit builds, fits, and says
/// in one line why it cannot run, with its own exit status, in seconds. On
/// a machine with one, it is the whole GPU run.
fn check_gpu_kit() -> Result<std::path::PathBuf, String> {
    let kit = gpu_kit::build()?;
    let started = std::time::Instant::now();
    let out = Command::new("bash")
        .arg(kit.join("run.sh"))
        .env("OUT", kit.join("out"))
        .output()
        .map_err(|e| format!("could not start bash: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprint!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    match out.status.code() {
        Some(gpu_kit::NO_GPU_STATUS) => {
            let lines = stdout.lines().count();
            if lines != 1 || !stdout.starts_with("gpu-kit: cannot run here: ") {
                return Err(format!(
                    "gpu-kit run.sh without a GPU printed {lines} lines, not one reason"
                ));
            }
            if started.elapsed().as_secs() > 10 {
                return Err("gpu-kit run.sh took over 10 s to find that there is no GPU".into());
            }
            eprintln!(
                "xtask test: gpu-kit built; run.sh refused in {:.1} s as it should without a GPU",
                started.elapsed().as_secs_f64()
            );
            Ok(kit)
        }
        Some(0) => {
            eprintln!(
                "xtask test: gpu-kit ran on this machine's GPU: see {}",
                kit.join("out/summary.md").display()
            );
            Ok(kit)
        }
        _ => Err(format!(
            "gpu-kit run.sh failed ({}): see {}",
            out.status,
            kit.join("out/summary.md").display()
        )),
    }
}

/// rustup installs a toolchain file's components only with a new toolchain;
/// on a machine that already has the pinned one, add rustfmt and clippy
/// here (a no-op when present).
fn ensure_lint_components() -> Result<(), String> {
    let root = process::workspace_root();
    let toolchain = kernels::pinned_toolchain(&root)?;
    if Command::new("rustup").arg("--version").output().is_err() {
        eprintln!("xtask test: no rustup; assuming rustfmt and clippy are installed");
        return Ok(());
    }
    process::run(
        Command::new("rustup")
            .args(["component", "add", "--toolchain", &toolchain])
            .args(["rustfmt", "clippy"]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifests_package_fields_are_read_from_its_package_table() {
        let manifest = "[workspace]\nmembers = [\"a\"]\n\n[package]\nname = \"hotloop-x\"\n\
                        publish=false\n\n[dependencies]\nname = \"not-this\"\n";
        assert_eq!(
            package_field(manifest, "name").as_deref(),
            Some("hotloop-x")
        );
        assert_eq!(package_field(manifest, "publish").as_deref(), Some("false"));
        assert_eq!(
            package_field("[dependencies]\nname = \"y\"\n", "name"),
            None
        );
    }

    #[test]
    fn every_published_crate_has_the_licence_texts_and_the_tools_are_unpublished() {
        let root = process::workspace_root();
        let members = workspace_members(&root).unwrap();
        assert_eq!(
            without_licence_texts(&root, &members).unwrap(),
            Vec::<String>::new()
        );
        let unpublished: Vec<&str> = members
            .iter()
            .filter(|m| !m.published)
            .map(|m| m.name.as_str())
            .collect();
        assert!(unpublished.contains(&"xtask"), "{unpublished:?}");
        assert!(unpublished.contains(&"hotloop-bench"), "{unpublished:?}");
        assert!(members.iter().any(|m| m.name == "hotloop" && m.published));
        // hotloop-cuda depends on it: it is published too.
        assert!(
            members
                .iter()
                .any(|m| m.name == "hotloop-kernels" && m.published)
        );
    }
}
