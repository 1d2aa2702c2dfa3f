//! A kernel signature that cannot cross to the device is a compile error
//! that says why (`tests/ui/*.rs`, with the expected messages beside them).

#[test]
fn signatures_that_cannot_cross_to_the_device_do_not_compile() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
