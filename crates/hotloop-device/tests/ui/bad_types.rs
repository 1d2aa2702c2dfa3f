use hotloop_device::prelude::*;

// A type with no device form.
#[kernel]
pub fn strings(names: &[String], out: Out<f64>) {
    out.set(0, names.len() as f64);
}

// A generic kernel: one entry point per instantiation cannot be compiled
// ahead of time.
#[kernel]
pub fn generic<T: Copy>(input: &[T]) {}

// A kernel returns nothing.
#[kernel]
pub fn returns(x: u32) -> u32 {
    x
}

fn main() {}
