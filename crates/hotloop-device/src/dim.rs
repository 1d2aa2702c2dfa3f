//! [`Dim3`]: CUDA's `dim3`, for launch shapes and thread indices.

/// A 3-D extent or index (CUDA's `dim3`); unused axes are 1 (extents) or
/// 0 (indices).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Dim3 {
    /// Fastest-varying axis.
    pub x: u32,
    /// Middle axis.
    pub y: u32,
    /// Slowest axis.
    pub z: u32,
}

impl Dim3 {
    /// `(x, y, z)`.
    pub const fn new(x: u32, y: u32, z: u32) -> Self {
        Self { x, y, z }
    }

    /// Elements of an extent, in 64 bits.
    pub const fn count(self) -> u64 {
        self.x as u64 * self.y as u64 * self.z as u64
    }
}

impl From<u32> for Dim3 {
    /// A 1-D extent.
    fn from(x: u32) -> Self {
        Self::new(x, 1, 1)
    }
}

impl From<(u32, u32)> for Dim3 {
    /// A 2-D extent.
    fn from((x, y): (u32, u32)) -> Self {
        Self::new(x, y, 1)
    }
}

impl From<(u32, u32, u32)> for Dim3 {
    /// A 3-D extent.
    fn from((x, y, z): (u32, u32, u32)) -> Self {
        Self::new(x, y, z)
    }
}
