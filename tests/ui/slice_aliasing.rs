// A kernel may not write rows that anything else can see: a slice it
// writes borrows its array mutably, so another slice of the same array, a
// copy into it, or the array itself as another argument, does not compile
// while the written slice lives. (Two halves from `split_at_mut` do.)
use hotloop::crates::sim::{DeviceBuffer, DeviceBufferMut, SimArray, Simulator};
use hotloop_kernels::add_scalar;

fn read_rows_another_kernel_writes(sim: &Simulator, d: &mut SimArray<f64>) {
    let src = d.slice(0..10).unwrap();
    let mut dst = d.slice_mut(5..15).unwrap();
    add_scalar::launch(sim, (1, 32), &src, &mut dst, 2.0).unwrap();
}

fn write_an_array_through_two_arguments(sim: &Simulator, d: &mut SimArray<f64>) {
    add_scalar::launch(sim, (1, 32), &*d, d, 2.0).unwrap();
}

fn copy_into_rows_a_slice_holds(sim: &Simulator, d: &mut SimArray<f64>) {
    let s = sim.stream();
    let mut rows = d.slice_mut(0..4).unwrap();
    s.copy_to_device(&[0.0; 16], d).unwrap();
    add_scalar::launch(&s, (1, 32), &d.slice(4..8).unwrap(), &mut rows, 2.0).unwrap();
}

fn main() {}
