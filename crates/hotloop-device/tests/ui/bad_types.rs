use hotloop_device::prelude::*;

// A type with no device form.
#[kernel]
pub fn strings(names: &[String], out: Out<f64>) {
    out.set(0, names.len() as f64);
}

// A generic kernel without its instances: they are built ahead of time,
// so the attribute lists them.
#[kernel]
pub fn generic<T: Copy>(input: &[T]) {}

// Instances of a kernel that is not generic.
#[kernel(f32)]
pub fn not_generic(input: &[f32]) {}

// An instance that is not an element type.
#[kernel(f32, String)]
pub fn bad_instance<T: Copy>(input: &[T]) {}

// Two type parameters.
#[kernel(f32)]
pub fn two<T: Copy, U: Copy>(input: &[T], out: Out<U>) {}

// A kernel returns nothing.
#[kernel]
pub fn returns(x: u32) -> u32 {
    x
}

fn main() {}
