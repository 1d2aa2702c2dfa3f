//! Running child commands with a clear message when they fail.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

/// The workspace root (the parent of `xtask/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Runs `cmd`, echoing it first; an error names the command and its status.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    run_with(cmd, Echo::Yes)
}

/// Whether [`run_with`] prints the command before running it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Echo {
    /// `$ command ...` on stderr first (what [`run`] does).
    Yes,
    /// Nothing: for a task whose command is an implementation detail (the
    /// bench's own `cargo run`); a failure still names it.
    No,
}

/// Runs `cmd`, echoing it first if `echo` says so; an error names the
/// command and its status.
pub fn run_with(cmd: &mut Command, echo: Echo) -> Result<(), String> {
    let status = status_with(cmd, echo)?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", describe(cmd)))
    }
}

/// Runs `cmd` to its end, echoing it first if `echo` says so, and returns
/// its exit status, for a caller that words the failure itself; `Err` only
/// if it could not start.
pub fn status_with(cmd: &mut Command, echo: Echo) -> Result<ExitStatus, String> {
    if echo == Echo::Yes {
        eprintln!("$ {}", describe(cmd));
    }
    cmd.status()
        .map_err(|e| format!("could not start `{}`: {e}", describe(cmd)))
}

/// A cargo command run from the workspace root, with the same cargo that
/// runs xtask.
pub fn cargo() -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace_root());
    cmd
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}
