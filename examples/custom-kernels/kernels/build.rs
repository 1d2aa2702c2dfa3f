//! Builds this crate to PTX (sm_80 and sm_90) into `OUT_DIR`, where
//! `kernel_module!()` embeds it: the host binary needs no PTX file and no
//! nvptx toolchain at run time.
fn main() {
    hotloop_build::build_this_crate();
}
