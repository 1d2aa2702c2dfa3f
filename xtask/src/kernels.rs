//! `build-kernels` and `check-ptx` (filled in by the GPU issue).

use std::path::PathBuf;

pub fn build(_args: &[String]) -> Result<Vec<PathBuf>, String> {
    eprintln!("xtask build-kernels: no device kernels yet");
    Ok(Vec::new())
}

pub fn check(_args: &[String]) -> Result<(), String> {
    eprintln!("xtask check-ptx: no device kernels yet");
    Ok(())
}
