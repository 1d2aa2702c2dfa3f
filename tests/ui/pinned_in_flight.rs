// A copy out may still be writing the pinned array: reading it does not
// compile until the copy is waited for; a copy in may still be reading
// it: writing or freeing it does not compile either.
use hotloop::crates::cuda::{DeviceArray, PinnedArray, Stream};
use hotloop::crates::sim::{SimArray, SimPinnedArray, SimStream};

fn read_while_copying_out(s: &SimStream, d: &SimArray<f64>, pinned: &mut SimPinnedArray<f64>) {
    let copy_out = s.copy_to_host_async(d, pinned).unwrap();
    let first = pinned.as_slice().unwrap()[0];
    copy_out.wait().unwrap();
    let _ = first;
}

fn write_while_copying_in(s: &Stream, d: &mut DeviceArray<f64>, pinned: &mut PinnedArray<f64>) {
    let copy_in = s.copy_to_device_async(pinned, d).unwrap();
    pinned.as_mut_slice().unwrap()[0] = 1.0;
    copy_in.wait().unwrap();
}

fn free_while_copying_in(s: &Stream, d: &mut DeviceArray<f64>, pinned: PinnedArray<f64>) {
    let copy_in = s.copy_to_device_async(&pinned, d).unwrap();
    drop(pinned);
    copy_in.wait().unwrap();
}

fn main() {}
