//! What the host API rules out at compile time (`tests/ui/*.rs`, with the
//! compiler's messages beside them): a pinned host array that an
//! asynchronous copy may still be writing cannot be read, and one a copy
//! may still be reading cannot be written or freed, until the copy's
//! `Pending` is waited for, on the GPU's streams as on the simulator's;
//! and rows of a device array a kernel writes cannot be reached another
//! way while the slice lives.

#[test]
fn what_a_copy_or_a_kernel_may_still_use_is_out_of_reach() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
