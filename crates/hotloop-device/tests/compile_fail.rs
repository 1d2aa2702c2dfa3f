//! A kernel signature that cannot cross to the device, and a shared array
//! the GPU cannot hold (empty, over a block's 48 KiB, a size that wraps, a
//! generic length), are compile errors that say why, on the host as on the
//! GPU (`tests/ui/*.rs`, with the expected messages beside them).

#[test]
fn signatures_that_cannot_cross_to_the_device_do_not_compile() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
