use hotloop_device::prelude::*;

// A shared array with no element: ptxas rejects the whole module.
#[kernel]
pub fn empty(out: Out<u32>) {
    let s = shared_array!(u32, 0);
    out.set(0, s.len() as u32);
}

// A size that overflows usize (2^61 + 1 elements of 8 bytes): no wrap
// to a tiny buffer.
#[kernel]
pub fn wraps(out: Out<u64>) {
    let s = shared_array!(u64, (1usize << 61) + 1);
    s.set(1000, 7);
    out.set(0, s.get(1000));
}

// More than a block's 48 KiB of static shared memory.
#[kernel]
pub fn huge(out: Out<u64>) {
    let s = shared_array!(u64, 1usize << 33);
    out.set(0, s.get(0));
}

// A generic length: the GPU's one declaration per call site cannot
// depend on it, so the host refuses it too (one tile buffer for every N
// was a buffer overflow).
fn tile<const N: usize>() -> SharedArray<u64, N> {
    shared_array!(u64, N)
}

#[kernel]
pub fn generic_tile(out: Out<u64>) {
    tile::<1>().set(0, 1);
    out.set(0, tile::<512>().get(511));
}

fn main() {}
