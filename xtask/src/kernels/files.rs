//! What the kernel jobs share: where the PTX goes, and writing files.

use std::fs;
use std::path::Path;

/// The crate's library name, hence the PTX file's stem.
pub(super) const LIB_NAME: &str = "hotloop_kernels";

/// Where the PTX files land, relative to the workspace root.
pub const PTX_DIR: &str = "target/ptx";

pub(super) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
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
pub(super) fn rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}
