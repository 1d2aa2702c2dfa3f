//! Builds the kernels crate to PTX (sm_80 and sm_90) into `OUT_DIR`, where
//! `main.rs` embeds it: the binary needs no PTX file, and no nvptx
//! toolchain at run time.
fn main() {
    if let Err(e) = hotloop_build::Kernels::new("../kernels").build() {
        panic!("building the kernels to PTX: {e}");
    }
}
