use hotloop_device::prelude::*;

// Every thread would hold this `&mut`: refused, with the way out.
#[kernel]
pub fn scale(data: &mut [f64], k: f64) {
    data[grid_1d()] *= k;
}

fn main() {}
