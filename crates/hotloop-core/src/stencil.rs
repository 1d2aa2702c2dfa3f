//! Stencils, Numba's `@stencil`: a neighbourhood kernel written with
//! relative indices, `out[x, y, z] = f(a[x + i, y + j, z + k] ...)`, run over
//! every cell of a 2-D or 3-D array.
//!
//! A kernel implements [`Stencil3`] (or [`Stencil2`] for 2-D arrays, run as
//! a `1 x ny x nx` 3-D array through [`Planar`]): it declares how far it
//! reads along each axis ([`Stencil3::NEIGHBOURHOOD`], Numba's
//! `neighborhood`) and computes one cell from an accessor `at(i, j, k)`
//! returning the input at that relative index. The declaration is checked
//! before any cell is computed ([`check_kernel`]: bounds in order and within
//! [`MAX_REACH`], and one probe call of the kernel, Numba's inference of the
//! neighbourhood, reading only inside it); a read outside it during the run
//! (a kernel whose reads depend on the data) stops the run with a
//! [`ReachError`] too. Neither is ever a panic or a read outside the array.
//!
//! What `at` returns where the neighbourhood leaves the array is the
//! [`Boundary`] mode:
//! - [`Boundary::FillBorder`]`(c)`, Numba's `@stencil(cval=c)`: a cell whose
//!   neighbourhood leaves the array is not computed; it is set to `c`.
//!   `FillBorder(0)` is Numba's default, and the [`Default`].
//! - [`Boundary::PadConstant`]`(c)`, SciPy's `mode='constant', cval=c`:
//!   every cell is computed, out-of-range neighbours reading as `c`.
//! - [`Boundary::Clamp`], SciPy's `mode='nearest'`: every cell is computed,
//!   out-of-range indices clamped to the nearest edge.
//!
//! Bodies, at three grains, all computing a cell with the same arithmetic:
//! [`stencil_cell`] (one cell: a GPU thread's body; any cell, any mode),
//! [`stencil_segment`] (a run of cells within one row: border cells as
//! [`stencil_cell`] gives them, interior cells through a fast path without
//! bounds checks that vectorizes along the row) and [`stencil_range`] (any
//! run of cells in row-major order: one CPU task, or one block of a
//! streaming store). The fast path only changes how a value is fetched,
//! never the arithmetic on it, so every split of the cells gives the same
//! bits.
//!
//! Built-ins: [`Laplacian7`] (3-D, 7 points) and [`Jacobi5`] (2-D, 5 points).

use crate::abi::{DeviceKernel, DeviceValue};
use crate::index::Shape3;
use crate::{Num, Real};
use hotloop_macros::{DeviceValue, device_op};

use core::cell::Cell;

/// What a stencil does where its neighbourhood leaves the array.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C, u32)]
pub enum Boundary<T> {
    /// Border cells, whose neighbourhood leaves the array, are not computed:
    /// they are set to this value. Numba's `@stencil(cval=c)`;
    /// `FillBorder(0)` is Numba's default (and [`Boundary::default`]).
    FillBorder(T),
    /// Every cell is computed, out-of-range neighbours reading as this
    /// constant: SciPy's `mode='constant'`.
    PadConstant(T),
    /// Every cell is computed, out-of-range indices clamped to the edge
    /// (`a[-1] = a[0]`): SciPy's `mode='nearest'`.
    Clamp,
}

// SAFETY: `#[repr(C, u32)]`: a u32 tag and a union of `T`, the same on
// every target; the device reads it only as the host wrote it.
unsafe impl<T: DeviceValue> DeviceValue for Boundary<T> {}

impl<T: Num> Default for Boundary<T> {
    /// Numba's default: border cells set to 0.
    fn default() -> Self {
        Boundary::FillBorder(T::ZERO)
    }
}

/// The furthest a stencil may declare it reads along an axis, in cells.
/// Far beyond any real kernel, and small enough that a coordinate plus a
/// reach never overflows.
pub const MAX_REACH: isize = 1 << 30;

/// A stencil whose declared reach cannot be used, or that read outside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReachError {
    /// Axis `axis` of the declared neighbourhood is reversed (`lo > hi`) or
    /// reaches beyond [`MAX_REACH`].
    Declared {
        /// The kernel's `NEIGHBOURHOOD`.
        declared: [(isize, isize); 3],
        /// The axis at fault.
        axis: usize,
    },
    /// The kernel read relative index `index`, outside its declaration.
    Outside {
        /// The kernel's `NEIGHBOURHOOD`.
        declared: [(isize, isize); 3],
        /// The relative index it read.
        index: [isize; 3],
    },
}

/// Checks `K`'s declared neighbourhood (each axis `lo <= hi`, both within
/// [`MAX_REACH`]), then calls the kernel once, as Numba infers a
/// neighbourhood, with an accessor that records its reads: any read outside
/// the declaration is an error before a cell is computed. (Reads that
/// depend on the data can still leave it later; the bodies below stop with
/// the same error then.)
pub fn check_kernel<T: Num, K: Stencil3<T>>(kernel: &K) -> Result<(), ReachError> {
    check_declared::<T, K>()?;
    let outside = Cell::new(None);
    kernel.apply(|i, j, k| {
        if !within::<T, K>(i, j, k) && outside.get().is_none() {
            outside.set(Some([i, j, k]));
        }
        T::ONE
    });
    outside.get().map_or(Ok(()), |index| {
        Err(ReachError::Outside {
            declared: K::NEIGHBOURHOOD,
            index,
        })
    })
}

/// The declaration check of [`check_kernel`], alone: a constant for a
/// given kernel type, so it folds away where it passes.
#[inline(always)]
fn check_declared<T: Num, K: Stencil3<T>>() -> Result<(), ReachError> {
    let declared = K::NEIGHBOURHOOD;
    let mut axis = 0;
    while axis < 3 {
        let (lo, hi) = declared[axis];
        if lo > hi || lo < -MAX_REACH || hi > MAX_REACH {
            return Err(ReachError::Declared { declared, axis });
        }
        axis += 1;
    }
    Ok(())
}

/// A 3-D neighbourhood kernel over a row-major `[nx, ny, nz]` array.
///
/// Declare the reach, read through `at`:
///
/// ```rust
/// use hotloop_core::Real;
/// use hotloop_core::index::Shape3;
/// use hotloop_core::stencil::{Boundary, Stencil3, check_kernel, stencil_range};
///
/// /// The central difference along `x`, `(a[1,0,0] - a[-1,0,0]) / 2h`.
/// #[derive(Clone, Copy, Debug)]
/// struct DiffX<T> {
///     inv_2h: T,
/// }
///
/// impl<T: Real> Stencil3<T> for DiffX<T> {
///     // Reads one cell either side along x, none along y and z.
///     const NEIGHBOURHOOD: [(isize, isize); 3] = [(-1, 1), (0, 0), (0, 0)];
///
///     fn apply<A: Fn(isize, isize, isize) -> T>(&self, at: A) -> T {
///         (at(1, 0, 0) - at(-1, 0, 0)) * self.inv_2h
///     }
/// }
///
/// let d = DiffX { inv_2h: 0.5f64 };
/// assert_eq!(check_kernel(&d), Ok(())); // it reads only what it declares
/// // All cells of a 3 x 1 x 1 array, the edges clamped (a[-1] = a[0]).
/// let mut out = [0.0; 3];
/// stencil_range(&d, &[0.0, 2.0, 6.0], Shape3::new(3, 1, 1), Boundary::Clamp, 0, &mut out)
///     .unwrap();
/// assert_eq!(out, [1.0, 3.0, 2.0]);
/// ```
///
/// Through the facade: `hotloop::stencil3(backend, d, &a, Boundary::Clamp)`;
/// `#[device_op]` on the impl adds its GPU entry points.
pub trait Stencil3<T: Num>: Copy + Send + Sync {
    /// The relative indices the kernel reads along each axis, `(lo, hi)`
    /// inclusive (Numba's `neighborhood`): `[(-1, 1); 3]` for a 7-point
    /// Laplacian. Determines which cells are border cells.
    const NEIGHBOURHOOD: [(isize, isize); 3];

    /// One output cell from the accessor `at(i, j, k)`, the input at
    /// relative index `(i, j, k)` (axes `x`, `y`, `z`).
    fn apply<A: Fn(isize, isize, isize) -> T>(&self, at: A) -> T;

    /// The GPU kernel running this stencil, if it has one (filled in by
    /// `#[device_op]`).
    fn device_kernel(&self) -> Option<DeviceKernel> {
        None
    }
}

/// A 2-D neighbourhood kernel over a row-major `[ny, nx]` array.
///
/// A 3 x 3 box blur, Numba's `@stencil` with `cval=0` (the default
/// [`Boundary::FillBorder`]`(0)`):
///
/// ```rust
/// use hotloop_core::Real;
/// use hotloop_core::index::Shape3;
/// use hotloop_core::stencil::{Boundary, Planar, Stencil2, stencil_range};
///
/// #[derive(Clone, Copy, Debug)]
/// struct Box3;
///
/// impl<T: Real> Stencil2<T> for Box3 {
///     const NEIGHBOURHOOD: [(isize, isize); 2] = [(-1, 1), (-1, 1)];
///
///     fn apply<A: Fn(isize, isize) -> T>(&self, at: A) -> T {
///         let mut sum = T::ZERO;
///         for i in -1..=1 {
///             for j in -1..=1 {
///                 sum = sum + at(i, j);
///             }
///         }
///         sum / T::from_f64(9.0)
///     }
/// }
///
/// // A 3 x 3 array: only the centre's neighbourhood fits, the border is 0.
/// let a = [1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
/// let mut out = [f64::NAN; 9];
/// // The 2-D kernel runs as a 1 x 3 x 3 3-D one, through `Planar`.
/// stencil_range(&Planar(Box3), &a, Shape3::new(1, 3, 3), Boundary::default(), 0, &mut out)
///     .unwrap();
/// assert_eq!(out, [0.0, 0.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0, 0.0]);
/// ```
///
/// Through the facade: `hotloop::stencil2(backend, Box3, &a, Boundary::default())`;
/// `#[device_op]` on the impl adds its GPU entry points.
pub trait Stencil2<T: Num>: Copy + Send + Sync {
    /// The relative indices read along each axis, `(lo, hi)` inclusive.
    const NEIGHBOURHOOD: [(isize, isize); 2];

    /// One output cell from the accessor `at(i, j)`, the input at relative
    /// index `(i, j)` (row, column).
    fn apply<A: Fn(isize, isize) -> T>(&self, at: A) -> T;

    /// The GPU kernel running this stencil on each plane of a 3-D array,
    /// as [`Planar`] does, if it has one (filled in by `#[device_op]`).
    fn device_kernel(&self) -> Option<DeviceKernel> {
        None
    }
}

/// A 2-D kernel run as a 3-D one over a `1 x ny x nx` array: every body of
/// this module is written once, for 3-D.
#[derive(Clone, Copy, Debug, PartialEq, DeviceValue)]
#[hotloop(crate = crate)]
#[repr(transparent)]
pub struct Planar<K>(pub K);

impl<T: Num, K: Stencil2<T>> Stencil3<T> for Planar<K> {
    const NEIGHBOURHOOD: [(isize, isize); 3] = [(0, 0), K::NEIGHBOURHOOD[0], K::NEIGHBOURHOOD[1]];

    fn device_kernel(&self) -> Option<DeviceKernel> {
        Stencil2::<T>::device_kernel(&self.0)
    }

    #[inline(always)]
    fn apply<A: Fn(isize, isize, isize) -> T>(&self, at: A) -> T {
        self.0.apply(|i, j| at(0, i, j))
    }
}

/// The 7-point Laplacian, `scale * (sum of the 6 face neighbours - 6 a[0,0,0])`
/// (`scale = 1 / h^2` for grid spacing `h`).
#[derive(Clone, Copy, Debug, PartialEq, DeviceValue)]
#[hotloop(crate = crate)]
#[repr(C)]
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

#[device_op(builtin)]
impl<T: Real> Stencil3<T> for Laplacian7<T> {
    const NEIGHBOURHOOD: [(isize, isize); 3] = [(-1, 1); 3];

    #[inline(always)]
    fn apply<A: Fn(isize, isize, isize) -> T>(&self, at: A) -> T {
        let faces =
            at(-1, 0, 0) + at(1, 0, 0) + at(0, -1, 0) + at(0, 1, 0) + at(0, 0, -1) + at(0, 0, 1);
        self.scale * (faces - T::from_f64(6.0) * at(0, 0, 0))
    }
}

/// One Jacobi relaxation step of the 2-D Laplace equation, Numba's stencil
/// example: `0.25 * (a[0, 1] + a[1, 0] + a[0, -1] + a[-1, 0])`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, DeviceValue)]
#[hotloop(crate = crate)]
#[repr(C)]
pub struct Jacobi5;

#[device_op(builtin)]
impl<T: Real> Stencil2<T> for Jacobi5 {
    const NEIGHBOURHOOD: [(isize, isize); 2] = [(-1, 1); 2];

    #[inline(always)]
    fn apply<A: Fn(isize, isize) -> T>(&self, at: A) -> T {
        T::from_f64(0.25) * (at(0, 1) + at(1, 0) + at(0, -1) + at(-1, 0))
    }
}

/// Whether `(i, j, k)` is in `K`'s declared neighbourhood. Inlined, so
/// constant offsets check at compile time.
#[inline(always)]
fn within<T: Num, K: Stencil3<T>>(i: isize, j: isize, k: isize) -> bool {
    let [(lx, hx), (ly, hy), (lz, hz)] = K::NEIGHBOURHOOD;
    i >= lx && i <= hx && j >= ly && j <= hy && k >= lz && k <= hz
}

/// Records the first read outside `K`'s neighbourhood for the cell being
/// computed; [`Reads::finish`] turns it into the cell's result.
struct Reads<K>(Cell<Option<[isize; 3]>>, core::marker::PhantomData<K>);

impl<K> Reads<K> {
    #[inline(always)]
    fn new() -> Self {
        Self(Cell::new(None), core::marker::PhantomData)
    }

    /// Whether `(i, j, k)` may be read; records it if not.
    #[inline(always)]
    fn allow<T: Num>(&self, i: isize, j: isize, k: isize) -> bool
    where
        K: Stencil3<T>,
    {
        let ok = within::<T, K>(i, j, k);
        if !ok {
            self.0.set(Some([i, j, k]));
        }
        ok
    }

    #[inline(always)]
    fn finish<T: Num>(&self, v: T) -> Result<T, ReachError>
    where
        K: Stencil3<T>,
    {
        match self.0.get() {
            None => Ok(v),
            Some(index) => Err(ReachError::Outside {
                declared: K::NEIGHBOURHOOD,
                index,
            }),
        }
    }
}

/// Whether coordinate `c` of an axis of length `n` has its whole
/// neighbourhood `(lo, hi)` inside the axis. Saturating, so no declared
/// reach can wrap it.
#[inline(always)]
fn inside(c: usize, (lo, hi): (isize, isize), n: usize) -> bool {
    let c = c as isize;
    c.saturating_add(lo) >= 0 && c.saturating_add(hi) < n as isize
}

/// The interior range `[first, end)` of an axis of length `n`: the
/// coordinates whose neighbourhood `(lo, hi)` stays inside it.
#[inline(always)]
fn interior(n: usize, (lo, hi): (isize, isize)) -> (usize, usize) {
    let first = lo.saturating_neg().max(0) as usize;
    let end = (n as isize).saturating_sub(hi.max(0)).max(0) as usize;
    (first.min(n), end.max(first.min(n)))
}

/// One output cell `(x, y, z)` under `boundary`: what one GPU thread
/// computes. `input` holds the row-major array of `shape`; the cell must be
/// in bounds. A [`ReachError`] if `K`'s declaration is unusable or the
/// kernel reads outside it.
#[inline(always)]
pub fn stencil_cell<T: Num, K: Stencil3<T>>(
    kernel: &K,
    input: &[T],
    shape: Shape3,
    boundary: Boundary<T>,
    x: usize,
    y: usize,
    z: usize,
) -> Result<T, ReachError> {
    check_declared::<T, K>()?;
    let [nx, ny, nz] = shape.dims();
    let n = K::NEIGHBOURHOOD;
    // Reads are within the declared reach, so these sums cannot overflow.
    let (x, y, z) = (x as isize, y as isize, z as isize);
    let offset = |i: isize, j: isize, k: isize| shape.offset(i as usize, j as usize, k as usize);
    let reads = Reads::<K>::new();
    let v = match boundary {
        Boundary::FillBorder(c) => {
            if !(inside(x as usize, n[0], nx)
                && inside(y as usize, n[1], ny)
                && inside(z as usize, n[2], nz))
            {
                return Ok(c);
            }
            kernel.apply(|i, j, k| {
                if !reads.allow(i, j, k) {
                    return T::ZERO;
                }
                input[offset(x + i, y + j, z + k)]
            })
        }
        Boundary::PadConstant(c) => kernel.apply(|i, j, k| {
            if !reads.allow(i, j, k) {
                return T::ZERO;
            }
            let (a, b, d) = (x + i, y + j, z + k);
            if a < 0 || b < 0 || d < 0 || a >= nx as isize || b >= ny as isize || d >= nz as isize {
                c
            } else {
                input[offset(a, b, d)]
            }
        }),
        Boundary::Clamp => kernel.apply(|i, j, k| {
            if !reads.allow(i, j, k) {
                return T::ZERO;
            }
            let clamp = |v: isize, n: usize| v.clamp(0, n as isize - 1);
            input[offset(clamp(x + i, nx), clamp(y + j, ny), clamp(z + k, nz))]
        }),
    };
    reads.finish(v)
}

/// Cells `(x, y, first_z ..)` of one row of the output, `out.len()` of them
/// (a whole row when `first_z == 0` and `out.len() == nz`): border cells
/// as [`stencil_cell`] gives them, interior cells through a fast path
/// without bounds checks that vectorizes along `z`. Stops at the first
/// [`ReachError`] (the cells before it written).
#[inline(always)]
pub fn stencil_segment<T: Num, K: Stencil3<T>>(
    kernel: &K,
    input: &[T],
    shape: Shape3,
    boundary: Boundary<T>,
    (x, y, first_z): (usize, usize, usize),
    out: &mut [T],
) -> Result<(), ReachError> {
    check_declared::<T, K>()?;
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
    if let Boundary::FillBorder(c) = boundary {
        // What `stencil_cell` gives a border cell, as one run. Cell by
        // cell (two a row, and every cell of the border rows and planes),
        // the 256^3 Laplacian took 8.3 ms on two threads of an AMD EPYC,
        // against 7.7 as runs.
        out[..a - first_z].fill(c);
        out[b - first_z..].fill(c);
    } else {
        for z in (first_z..a).chain(b..end_z) {
            out[z - first_z] = stencil_cell(kernel, input, shape, boundary, x, y, z)?;
        }
    }
    let (sx, sy) = ((ny * nz) as isize, nz as isize);
    let base = input.as_ptr();
    let row = shape.offset(x, y, 0) as isize;
    for (z, o) in (a..b).zip(out[a - first_z..b - first_z].iter_mut()) {
        let centre = row + z as isize;
        let reads = Reads::<K>::new();
        let v = kernel.apply(|i, j, k| {
            if !reads.allow(i, j, k) {
                return T::ZERO;
            }
            // SAFETY: (x, y, z) is an interior cell: x + i, y + j, z + k are
            // in bounds for every (i, j, k) of the neighbourhood, which
            // (i, j, k) was just checked to be in, and `input` holds the
            // whole array (asserted).
            unsafe { *base.offset(centre + i * sx + j * sy + k) }
        });
        *o = reads.finish(v)?;
    }
    Ok(())
}

/// Output cells `first .. first + out.len()` in row-major order, into
/// `out`: one CPU task's share, or one block of a streaming store. Any
/// split of the cells gives the same bits. Stops at the first
/// [`ReachError`].
#[inline(always)]
pub fn stencil_range<T: Num, K: Stencil3<T>>(
    kernel: &K,
    input: &[T],
    shape: Shape3,
    boundary: Boundary<T>,
    first: usize,
    out: &mut [T],
) -> Result<(), ReachError> {
    let [_, ny, nz] = shape.dims();
    let (mut cell, mut out) = (first, out);
    while !out.is_empty() {
        let (r, z) = (cell / nz, cell % nz);
        let (seg, rest) = out.split_at_mut((nz - z).min(out.len()));
        stencil_segment(kernel, input, shape, boundary, (r / ny, r % ny, z), seg)?;
        cell += seg.len();
        out = rest;
    }
    Ok(())
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

    /// A kernel declaring an extreme reach: `-isize::MIN` overflows.
    #[derive(Clone, Copy)]
    struct Extreme<const LO: isize, const HI: isize>;
    impl<const LO: isize, const HI: isize> Stencil3<f64> for Extreme<LO, HI> {
        const NEIGHBOURHOOD: [(isize, isize); 3] = [(0, 0), (0, 0), (LO, HI)];
        fn apply<A: Fn(isize, isize, isize) -> f64>(&self, at: A) -> f64 {
            at(0, 0, -1) + at(0, 0, 0)
        }
    }

    /// Reads beyond its reach only where the data says so.
    #[derive(Clone, Copy)]
    struct DataDependent;
    impl Stencil3<f64> for DataDependent {
        const NEIGHBOURHOOD: [(isize, isize); 3] = [(0, 0), (0, 0), (0, 1)];
        fn apply<A: Fn(isize, isize, isize) -> f64>(&self, at: A) -> f64 {
            if at(0, 0, 0) > 5.0 {
                at(0, 0, 3)
            } else {
                at(0, 0, 1)
            }
        }
    }

    fn run<K: Stencil3<f64>>(k: &K, input: &[f64], b: Boundary<f64>) -> Result<(), ReachError> {
        let mut out = [0.0f64; 64];
        let out = &mut out[..input.len()];
        stencil_range(k, input, Shape3::new(1, 1, input.len()), b, 0, out)
    }

    #[test]
    fn reading_beyond_the_neighbourhood_is_an_error_not_a_panic() {
        let input = [1.0f64; 8];
        let want = ReachError::Outside {
            declared: Liar::NEIGHBOURHOOD,
            index: [0, 0, 2],
        };
        assert_eq!(check_kernel(&Liar), Err(want));
        for b in [
            Boundary::FillBorder(0.0),
            Boundary::PadConstant(1.0),
            Boundary::Clamp,
        ] {
            assert_eq!(run(&Liar, &input, b), Err(want), "{b:?}");
        }
        // Found only when the data takes the branch: at run time.
        assert_eq!(check_kernel(&DataDependent), Ok(()));
        let mut input = [1.0f64; 8];
        assert_eq!(run(&DataDependent, &input, Boundary::Clamp), Ok(()));
        input[4] = 9.0;
        for b in [
            Boundary::FillBorder(0.0),
            Boundary::PadConstant(1.0),
            Boundary::Clamp,
        ] {
            assert!(matches!(
                run(&DataDependent, &input, b),
                Err(ReachError::Outside {
                    index: [0, 0, 3],
                    ..
                })
            ));
        }
    }

    #[test]
    fn extreme_declared_reaches_are_refused_before_any_read() {
        let input = [1.0f64; 8];
        let e = check_kernel(&Extreme::<{ isize::MIN }, 0>);
        assert!(
            matches!(e, Err(ReachError::Declared { axis: 2, .. })),
            "{e:?}"
        );
        let e = check_kernel(&Extreme::<-1, { isize::MAX }>);
        assert!(
            matches!(e, Err(ReachError::Declared { axis: 2, .. })),
            "{e:?}"
        );
        let e = check_kernel(&Extreme::<1, -1>);
        assert!(
            matches!(e, Err(ReachError::Declared { axis: 2, .. })),
            "{e:?}"
        );
        for b in [
            Boundary::FillBorder(0.0),
            Boundary::PadConstant(1.0),
            Boundary::Clamp,
        ] {
            // The bodies refuse them too, whoever calls them.
            let e = run(&Extreme::<{ isize::MIN }, 0>, &input, b);
            assert!(matches!(e, Err(ReachError::Declared { .. })), "{e:?}");
            let e = run(&Extreme::<0, { isize::MAX }>, &input, b);
            assert!(matches!(e, Err(ReachError::Declared { .. })), "{e:?}");
        }
        // The largest allowed reach is fine: every cell is a border cell.
        assert_eq!(check_kernel(&Extreme::<{ -MAX_REACH }, MAX_REACH>), Ok(()));
        let mut out = [7.0f64; 8];
        let k = Extreme::<{ -MAX_REACH }, MAX_REACH>;
        stencil_range(
            &k,
            &input,
            Shape3::new(1, 1, 8),
            Boundary::FillBorder(-1.0),
            0,
            &mut out,
        )
        .unwrap();
        assert_eq!(out, [-1.0; 8]);
        stencil_range(
            &k,
            &input,
            Shape3::new(1, 1, 8),
            Boundary::Clamp,
            0,
            &mut out,
        )
        .unwrap();
        assert_eq!(out, [2.0; 8]);
    }

    #[test]
    fn every_split_agrees_with_the_cell_body() {
        let shape = Shape3::new(4, 5, 9);
        let input: [f64; 180] = core::array::from_fn(|i| ((i * 37) % 101) as f64 * 0.125 - 3.0);
        let k = Laplacian7 { scale: 0.5 };
        for b in [
            Boundary::FillBorder(0.0),
            Boundary::FillBorder(-4.5),
            Boundary::PadConstant(2.5),
            Boundary::Clamp,
        ] {
            let mut out = [f64::NAN; 180];
            stencil_range(&k, &input, shape, b, 0, &mut out).unwrap();
            // Any split of the cells, rows cut anywhere: the same bits.
            for split in [1, 5, 9, 13, 100] {
                let mut parts = [f64::NAN; 180];
                for (t, chunk) in parts.chunks_mut(split).enumerate() {
                    stencil_range(&k, &input, shape, b, t * split, chunk).unwrap();
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
                        let want = stencil_cell(&k, &input, shape, b, x, y, z).unwrap();
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
        assert_eq!(interior(4, (isize::MIN, isize::MAX)), (4, 4));
        assert!(!inside(3, (isize::MIN, 0), 8));
        assert!(!inside(3, (0, isize::MAX), 8));
    }

    #[test]
    fn jacobi_on_a_3x3_computes_only_the_centre_by_default() {
        let input = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
        let mut out = [f32::NAN; 9];
        let k = Planar(Jacobi5);
        let shape = Shape3::new(1, 3, 3);
        stencil_range(&k, &input, shape, Boundary::default(), 0, &mut out).unwrap();
        assert_eq!(out, [0.0, 0.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0, 0.0]);
        // Numba's cval: the border cells are set to it, the centre computed.
        stencil_range(&k, &input, shape, Boundary::FillBorder(-1.0), 0, &mut out).unwrap();
        assert_eq!(out, [-1.0, -1.0, -1.0, -1.0, 5.0, -1.0, -1.0, -1.0, -1.0]);
        stencil_range(&k, &input, shape, Boundary::PadConstant(0.0), 0, &mut out).unwrap();
        // Corner (0, 0): (2 + 4 + 0 + 0) / 4.
        assert_eq!(out[0], 1.5);
        stencil_range(&k, &input, shape, Boundary::Clamp, 0, &mut out).unwrap();
        // Corner (0, 0): (2 + 4 + 1 + 1) / 4.
        assert_eq!(out[0], 2.0);
    }
}
