use hotloop_device::prelude::*;

// A device value must have one layout on the host and the GPU.
#[derive(Clone, Copy, DeviceValue)]
pub struct NotReprC {
    a: f32,
}

// Its fields must be device values too: no pointers.
#[derive(Clone, Copy, DeviceValue)]
#[repr(C)]
pub struct HoldsAReference {
    a: &'static f32,
}

// A device op is generic over its element type only.
#[derive(Clone, Copy, DeviceValue)]
#[repr(C)]
pub struct Scaled<T, const N: usize> {
    k: [T; N],
}

#[device_op]
impl<T: Real, const N: usize> UnaryOp<T> for Scaled<T, N> {
    fn apply(&self, x: T) -> T {
        x * self.k[0]
    }
}

// `#[device_op]` goes on an op trait's impl.
#[device_op]
impl Clone for Box<u8> {}

fn main() {}
