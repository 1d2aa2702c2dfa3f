//! Stencils, Numba's `@stencil`: a neighbourhood kernel written with
//! relative indices, `out[x, y, z] = f(a[x + i, y + j, z + k] ...)`, run over
//! every cell of a 2-D or 3-D array.
//!
//! A kernel implements [`Stencil3`] (or [`Stencil2`] for 2-D arrays, run as
//! a `1 x ny x nx` 3-D array through [`Planar`]): it declares how far it
//! reads along each axis ([`Stencil3::NEIGHBOURHOOD`], Numba's
//! `neighborhood`) and computes one cell from an accessor `at(i, j, k)`
//! returning the input at that relative index. Reading outside the declared
//! neighbourhood is a bug in the kernel and panics (a constant offset's
//! check compiles away).
//!
//! What `at` returns where the neighbourhood leaves the array is the
//! [`Boundary`] mode:
//! - [`Boundary::ZeroBorder`], Numba's default: a cell whose neighbourhood
//!   leaves the array is not computed; it is set to 0.
//! - [`Boundary::Constant`]: out-of-range neighbours read as the constant.
//! - [`Boundary::Clamp`]: out-of-range indices clamp to the nearest edge.
//!
//! Bodies, at three grains, all computing a cell with the same arithmetic:
//! [`stencil_cell`] (one cell: a GPU thread's body; any cell, any mode),
//! [`stencil_segment`] (a run of cells within one row: border cells through
//! [`stencil_cell`], interior cells through a fast path without bounds
//! checks that vectorizes along the row) and [`stencil_range`] (any run of
//! cells in row-major order: one CPU task, or one block of a streaming
//! store). The fast path only changes how a value is fetched, never the
//! arithmetic on it, so every split of the cells gives the same bits.
//!
//! Built-ins: [`Laplacian7`] (3-D, 7 points) and [`Jacobi5`] (2-D, 5 points).

use crate::Real;
use crate::device_op::DeviceStencil;
use crate::index::Shape3;

/// What a stencil reads outside the array.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Boundary<T> {
    /// Numba's default: cells whose neighbourhood leaves the array are set
    /// to 0 (border cells are not computed).
    #[default]
    ZeroBorder,
    /// Out-of-range neighbours read as this constant; every cell is
    /// computed.
    Constant(T),
    /// Out-of-range indices clamp to the edge (`a[-1] = a[0]`); every cell
    /// is computed.
    Clamp,
}

/// A 3-D neighbourhood kernel over a row-major `[nx, ny, nz]` array.
pub trait Stencil3<T: Real>: Copy + Send + Sync {
    /// The relative indices the kernel reads along each axis, `(lo, hi)`
    /// inclusive (Numba's `neighborhood`): `[(-1, 1); 3]` for a 7-point
    /// Laplacian. Determines which cells are border cells.
    const NEIGHBOURHOOD: [(isize, isize); 3];

    /// One output cell from the accessor `at(i, j, k)`, the input at
    /// relative index `(i, j, k)` (axes `x`, `y`, `z`).
    fn apply<A: Fn(isize, isize, isize) -> T>(&self, at: A) -> T;

    /// The device entry point running this kernel, if it has one (the
    /// built-ins do). See [`crate::device_op`].
    fn device_stencil(&self) -> Option<DeviceStencil<T>> {
        None
    }
}

/// A 2-D neighbourhood kernel over a row-major `[ny, nx]` array.
pub trait Stencil2<T: Real>: Copy + Send + Sync {
    /// The relative indices read along each axis, `(lo, hi)` inclusive.
    const NEIGHBOURHOOD: [(isize, isize); 2];

    /// One output cell from the accessor `at(i, j)`, the input at relative
    /// index `(i, j)` (row, column).
    fn apply<A: Fn(isize, isize) -> T>(&self, at: A) -> T;

    /// The device entry point running this kernel (on each plane of a 3-D
    /// array, as [`Planar`] does), if it has one. See [`crate::device_op`].
    fn device_stencil(&self) -> Option<DeviceStencil<T>> {
        None
    }
}

/// A 2-D kernel run as a 3-D one over a `1 x ny x nx` array: every body of
/// this module is written once, for 3-D.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Planar<K>(pub K);

impl<T: Real, K: Stencil2<T>> Stencil3<T> for Planar<K> {
    const NEIGHBOURHOOD: [(isize, isize); 3] = [(0, 0), K::NEIGHBOURHOOD[0], K::NEIGHBOURHOOD[1]];

    fn device_stencil(&self) -> Option<DeviceStencil<T>> {
        self.0.device_stencil()
    }

    #[inline(always)]
    fn apply<A: Fn(isize, isize, isize) -> T>(&self, at: A) -> T {
        self.0.apply(|i, j| at(0, i, j))
    }
}

/// The 7-point Laplacian, `scale * (sum of the 6 face neighbours - 6 a[0,0,0])`
/// (`scale = 1 / h^2` for grid spacing `h`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Laplacian7<T> {
    /// Factor applied to the sum (`1 / h^2`).
    pub scale: T,
}

impl<T: Real> Laplacian7<T> {
    /// The Laplacian on a unit grid (`scale = 1`).
    pub const fn unit() -> Self {
        Self { scale: T::ONE }
    }
}

impl<T: Real> Stencil3<T> for Laplacian7<T> {
    const NEIGHBOURHOOD: [(isize, isize); 3] = [(-1, 1); 3];

    fn device_stencil(&self) -> Option<DeviceStencil<T>> {
        Some(DeviceStencil::Laplacian7 { scale: self.scale })
    }

    #[inline(always)]
    fn apply<A: Fn(isize, isize, isize) -> T>(&self, at: A) -> T {
        let faces =
            at(-1, 0, 0) + at(1, 0, 0) + at(0, -1, 0) + at(0, 1, 0) + at(0, 0, -1) + at(0, 0, 1);
        self.scale * (faces - T::from_f64(6.0) * at(0, 0, 0))
    }
}

/// One Jacobi relaxation step of the 2-D Laplace equation, Numba's stencil
/// example: `0.25 * (a[0, 1] + a[1, 0] + a[0, -1] + a[-1, 0])`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Jacobi5;

impl<T: Real> Stencil2<T> for Jacobi5 {
    const NEIGHBOURHOOD: [(isize, isize); 2] = [(-1, 1); 2];

    fn device_stencil(&self) -> Option<DeviceStencil<T>> {
        Some(DeviceStencil::Jacobi5)
    }

    #[inline(always)]
    fn apply<A: Fn(isize, isize) -> T>(&self, at: A) -> T {
        T::from_f64(0.25) * (at(0, 1) + at(1, 0) + at(0, -1) + at(-1, 0))
    }
}

/// Panics unless `(i, j, k)` is in `K`'s declared neighbourhood. Inlined,
/// so constant offsets check at compile time.
#[inline(always)]
fn check_reach<T: Real, K: Stencil3<T>>(i: isize, j: isize, k: isize) {
    let [(lx, hx), (ly, hy), (lz, hz)] = K::NEIGHBOURHOOD;
    if i < lx || i > hx || j < ly || j > hy || k < lz || k > hz {
        outside_neighbourhood(i, j, k, K::NEIGHBOURHOOD);
    }
}

#[cold]
#[inline(never)]
fn outside_neighbourhood(i: isize, j: isize, k: isize, n: [(isize, isize); 3]) -> ! {
    panic!(
        "stencil read relative index ({i}, {j}, {k}) outside its declared NEIGHBOURHOOD {n:?}; \
         widen NEIGHBOURHOOD to cover every index the kernel reads"
    )
}

/// Whether coordinate `c` of an axis of length `n` has its whole
/// neighbourhood `(lo, hi)` inside the axis.
#[inline(always)]
fn inside(c: usize, (lo, hi): (isize, isize), n: usize) -> bool {
    let c = c as isize;
    c + lo >= 0 && c + hi < n as isize
}

/// The interior range `[first, end)` of an axis of length `n`: the
/// coordinates whose neighbourhood `(lo, hi)` stays inside it.
#[inline(always)]
fn interior(n: usize, (lo, hi): (isize, isize)) -> (usize, usize) {
    let first = (-lo).max(0) as usize;
    let end = (n as isize - hi.max(0)).max(0) as usize;
    (first.min(n), end.max(first.min(n)))
}

/// One output cell `(x, y, z)` under `boundary`: what one GPU thread
/// computes. `input` holds the row-major array of `shape`; the cell must be
/// in bounds.
#[inline(always)]
pub fn stencil_cell<T: Real, K: Stencil3<T>>(
    kernel: &K,
    input: &[T],
    shape: Shape3,
    boundary: Boundary<T>,
    x: usize,
    y: usize,
    z: usize,
) -> T {
    let [nx, ny, nz] = shape.dims();
    let n = K::NEIGHBOURHOOD;
    let (x, y, z) = (x as isize, y as isize, z as isize);
    let offset = |i: isize, j: isize, k: isize| shape.offset(i as usize, j as usize, k as usize);
    match boundary {
        Boundary::ZeroBorder => {
            if !(inside(x as usize, n[0], nx)
                && inside(y as usize, n[1], ny)
                && inside(z as usize, n[2], nz))
            {
                return T::ZERO;
            }
            kernel.apply(|i, j, k| {
                check_reach::<T, K>(i, j, k);
                input[offset(x + i, y + j, z + k)]
            })
        }
        Boundary::Constant(c) => kernel.apply(|i, j, k| {
            check_reach::<T, K>(i, j, k);
            let (a, b, d) = (x + i, y + j, z + k);
            if a < 0 || b < 0 || d < 0 || a >= nx as isize || b >= ny as isize || d >= nz as isize {
                c
            } else {
                input[offset(a, b, d)]
            }
        }),
        Boundary::Clamp => kernel.apply(|i, j, k| {
            check_reach::<T, K>(i, j, k);
            let clamp = |v: isize, n: usize| v.clamp(0, n as isize - 1);
            input[offset(clamp(x + i, nx), clamp(y + j, ny), clamp(z + k, nz))]
        }),
    }
}

/// Cells `(x, y, first_z ..)` of one row of the output, `out.len()` of them
/// (a whole row when `first_z == 0` and `out.len() == nz`): border cells
/// through [`stencil_cell`], interior cells through a fast path without
/// bounds checks that vectorizes along `z`.
#[inline]
pub fn stencil_segment<T: Real, K: Stencil3<T>>(
    kernel: &K,
    input: &[T],
    shape: Shape3,
    boundary: Boundary<T>,
    (x, y, first_z): (usize, usize, usize),
    out: &mut [T],
) {
    let [nx, ny, nz] = shape.dims();
    let end_z = first_z + out.len();
    assert!(
        input.len() == shape.checked_len().unwrap_or(0) && x < nx && y < ny && end_z <= nz,
        "stencil_segment: input, segment or coordinates do not match the shape"
    );
    let n = K::NEIGHBOURHOOD;
    // The interior part of this segment: [a, b).
    let (a, b) = if inside(x, n[0], nx) && inside(y, n[1], ny) {
        let (z0, z1) = interior(nz, n[2]);
        let a = z0.clamp(first_z, end_z);
        (a, z1.clamp(a, end_z))
    } else {
        (end_z, end_z)
    };
    for z in (first_z..a).chain(b..end_z) {
        out[z - first_z] = stencil_cell(kernel, input, shape, boundary, x, y, z);
    }
    let (sx, sy) = ((ny * nz) as isize, nz as isize);
    let base = input.as_ptr();
    let row = shape.offset(x, y, 0) as isize;
    for (z, o) in (a..b).zip(out[a - first_z..b - first_z].iter_mut()) {
        let centre = row + z as isize;
        *o = kernel.apply(|i, j, k| {
            check_reach::<T, K>(i, j, k);
            // SAFETY: (x, y, z) is an interior cell: x + i, y + j, z + k are
            // in bounds for every (i, j, k) of the neighbourhood, checked
            // just above, and `input` holds the whole array (asserted).
            unsafe { *base.offset(centre + i * sx + j * sy + k) }
        });
    }
}

/// Output cells `first .. first + out.len()` in row-major order, into
/// `out`: one CPU task's share, or one block of a streaming store. Any
/// split of the cells gives the same bits.
#[inline]
pub fn stencil_range<T: Real, K: Stencil3<T>>(
    kernel: &K,
    input: &[T],
    shape: Shape3,
    boundary: Boundary<T>,
    first: usize,
    out: &mut [T],
) {
    let [_, ny, nz] = shape.dims();
    let (mut cell, mut out) = (first, out);
    while !out.is_empty() {
        let (r, z) = (cell / nz, cell % nz);
        let (seg, rest) = out.split_at_mut((nz - z).min(out.len()));
        stencil_segment(kernel, input, shape, boundary, (r / ny, r % ny, z), seg);
        cell += seg.len();
        out = rest;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A kernel that reads one step beyond what it declares.
    #[derive(Clone, Copy)]
    struct Liar;
    impl Stencil3<f64> for Liar {
        const NEIGHBOURHOOD: [(isize, isize); 3] = [(0, 0), (0, 0), (-1, 1)];
        fn apply<A: Fn(isize, isize, isize) -> f64>(&self, at: A) -> f64 {
            at(0, 0, 2)
        }
    }

    #[test]
    #[should_panic(expected = "outside its declared NEIGHBOURHOOD")]
    fn reading_beyond_the_neighbourhood_panics() {
        let input = [1.0f64; 8];
        let mut out = [0.0; 8];
        stencil_range(
            &Liar,
            &input,
            Shape3::new(1, 1, 8),
            Boundary::Clamp,
            0,
            &mut out,
        );
    }

    #[test]
    fn every_split_agrees_with_the_cell_body() {
        let shape = Shape3::new(4, 5, 9);
        let input: [f64; 180] = core::array::from_fn(|i| ((i * 37) % 101) as f64 * 0.125 - 3.0);
        let k = Laplacian7 { scale: 0.5 };
        for b in [
            Boundary::ZeroBorder,
            Boundary::Constant(2.5),
            Boundary::Clamp,
        ] {
            let mut out = [f64::NAN; 180];
            stencil_range(&k, &input, shape, b, 0, &mut out);
            // Any split of the cells, rows cut anywhere: the same bits.
            for split in [1, 5, 9, 13, 100] {
                let mut parts = [f64::NAN; 180];
                for (t, chunk) in parts.chunks_mut(split).enumerate() {
                    stencil_range(&k, &input, shape, b, t * split, chunk);
                }
                assert_eq!(
                    parts.map(f64::to_bits),
                    out.map(f64::to_bits),
                    "split {split}"
                );
            }
            for x in 0..4 {
                for y in 0..5 {
                    for z in 0..9 {
                        let want = stencil_cell(&k, &input, shape, b, x, y, z);
                        assert_eq!(out[shape.offset(x, y, z)].to_bits(), want.to_bits());
                    }
                }
            }
        }
    }

    #[test]
    fn interior_ranges() {
        assert_eq!(interior(5, (-1, 1)), (1, 4));
        assert_eq!(interior(2, (-1, 1)), (1, 1));
        assert_eq!(interior(1, (-1, 1)), (1, 1));
        assert_eq!(interior(0, (-1, 1)), (0, 0));
        assert_eq!(interior(5, (0, 2)), (0, 3));
        assert_eq!(interior(5, (-2, 0)), (2, 5));
        assert_eq!(interior(4, (0, 0)), (0, 4));
    }

    #[test]
    fn jacobi_on_a_3x3_computes_only_the_centre_by_default() {
        let input = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
        let mut out = [f32::NAN; 9];
        let k = Planar(Jacobi5);
        stencil_range(
            &k,
            &input,
            Shape3::new(1, 3, 3),
            Boundary::ZeroBorder,
            0,
            &mut out,
        );
        assert_eq!(out, [0.0, 0.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0, 0.0]);
        stencil_range(
            &k,
            &input,
            Shape3::new(1, 3, 3),
            Boundary::Constant(0.0),
            0,
            &mut out,
        );
        // Corner (0, 0): (2 + 4 + 0 + 0) / 4.
        assert_eq!(out[0], 1.5);
        stencil_range(
            &k,
            &input,
            Shape3::new(1, 3, 3),
            Boundary::Clamp,
            0,
            &mut out,
        );
        // Corner (0, 0): (2 + 4 + 1 + 1) / 4.
        assert_eq!(out[0], 2.0);
    }
}
