//! Stencils (`@stencil`) on every CPU backend, f32 and f64, in every
//! boundary mode, against plain nested loops written here. The loops add
//! the neighbours in the kernels' documented order, so results must match
//! bit for bit; tiny grids, where border cells dominate, are included.

mod common;

use common::{backends, closure_backends, cpu_backends, values};
use hotloop::Real;
use hotloop::{
    Backend, Boundary, Element, Error, Jacobi5, Laplacian7, Stencil2, Stencil3, stencil2,
    stencil2_into, stencil2_steps, stencil2_steps_into, stencil3, stencil3_into, stencil3_steps,
    stencil3_steps_into,
};
use ndarray::{Array2, Array3, s};

fn grid3<T: Element + Real>(d: (usize, usize, usize)) -> Array3<T> {
    let v = values(d.0 * d.1 * d.2)
        .into_iter()
        .map(|x| T::from_f64(x / 64.0));
    Array3::from_shape_vec(d, v.collect()).unwrap()
}

fn grid2<T: Element + Real>(d: (usize, usize)) -> Array2<T> {
    let v = values(d.0 * d.1).into_iter().map(|x| T::from_f64(x / 64.0));
    Array2::from_shape_vec(d, v.collect()).unwrap()
}

fn modes<T: Element + Real>() -> [Boundary<T>; 4] {
    [
        Boundary::default(),
        Boundary::FillBorder(T::from_f64(-3.5)),
        Boundary::PadConstant(T::from_f64(7.25)),
        Boundary::Clamp,
    ]
}

/// What a border cell holds under `mode` if the mode does not compute it.
fn fill<T: Element + Real>(mode: Boundary<T>) -> T {
    match mode {
        Boundary::FillBorder(c) => c,
        _ => T::ZERO,
    }
}

/// The input at `(i, j, k)` (possibly outside) under `mode`; `None` when
/// the fill-border mode skips the cell.
fn fetch3<T: Element + Real>(
    a: &Array3<T>,
    mode: Boundary<T>,
    i: isize,
    j: isize,
    k: isize,
) -> Option<T> {
    let (nx, ny, nz) = a.dim();
    let inside =
        i >= 0 && j >= 0 && k >= 0 && i < nx as isize && j < ny as isize && k < nz as isize;
    if inside {
        return Some(a[[i as usize, j as usize, k as usize]]);
    }
    match mode {
        Boundary::FillBorder(_) => None,
        Boundary::PadConstant(c) => Some(c),
        Boundary::Clamp => {
            let c = |v: isize, n: usize| v.clamp(0, n as isize - 1) as usize;
            Some(a[[c(i, nx), c(j, ny), c(k, nz)]])
        }
    }
}

/// 7-point Laplacian by nested loops.
fn laplacian_reference<T: Element + Real>(a: &Array3<T>, scale: T, mode: Boundary<T>) -> Array3<T> {
    let (nx, ny, nz) = a.dim();
    let mut out = Array3::from_elem((nx, ny, nz), T::ZERO);
    for x in 0..nx as isize {
        for y in 0..ny as isize {
            for z in 0..nz as isize {
                let g = |i, j, k| fetch3(a, mode, x + i, y + j, z + k);
                let faces = [
                    g(-1, 0, 0),
                    g(1, 0, 0),
                    g(0, -1, 0),
                    g(0, 1, 0),
                    g(0, 0, -1),
                    g(0, 0, 1),
                ];
                let v = if faces.iter().all(Option::is_some) {
                    let f = faces.map(Option::unwrap);
                    let sum = f[0] + f[1] + f[2] + f[3] + f[4] + f[5];
                    scale * (sum - T::from_f64(6.0) * g(0, 0, 0).unwrap())
                } else {
                    fill(mode)
                };
                out[[x as usize, y as usize, z as usize]] = v;
            }
        }
    }
    out
}

/// 5-point Jacobi step by nested loops.
fn jacobi_reference<T: Element + Real>(a: &Array2<T>, mode: Boundary<T>) -> Array2<T> {
    let (ny, nx) = a.dim();
    let a3 = a.clone().into_shape_with_order((1, ny, nx)).unwrap();
    let mut out = Array2::from_elem((ny, nx), fill(mode));
    for y in 0..ny as isize {
        for x in 0..nx as isize {
            let g = |i, j| fetch3(&a3, mode, 0, y + i, x + j);
            let n = [g(0, 1), g(1, 0), g(0, -1), g(-1, 0)];
            if n.iter().all(Option::is_some) {
                let n = n.map(Option::unwrap);
                out[[y as usize, x as usize]] = T::from_f64(0.25) * (n[0] + n[1] + n[2] + n[3]);
            }
        }
    }
    out
}

fn same_bits<T: Element + Real>(a: &[T], b: &[T]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.to_f64().to_bits() == y.to_f64().to_bits())
}

const SHAPES3: [(usize, usize, usize); 12] = [
    (1, 1, 1),
    (2, 2, 2),
    (3, 3, 3),
    (0, 3, 3),
    (3, 3, 0),
    (1, 4, 5),
    (4, 1, 1),
    (3, 5, 7),
    (5, 1, 9),
    (4, 4, 300),
    (20, 30, 70),
    (33, 17, 130),
];

fn laplacian_every_mode<T: Element + Real>() {
    let scale = T::from_f64(0.5);
    for d in SHAPES3 {
        let a = grid3::<T>(d);
        for mode in modes::<T>() {
            let want = laplacian_reference(&a, scale, mode);
            for be in backends() {
                let got = stencil3(be, Laplacian7 { scale }, &a, mode).unwrap();
                assert!(
                    same_bits(got.as_slice().unwrap(), want.as_slice().unwrap()),
                    "{be} {d:?} {mode:?}\ngot {got:?}\nwant {want:?}"
                );
                let mut out = Array3::from_elem(d, T::INFINITY);
                stencil3_into(be, Laplacian7 { scale }, &a, mode, &mut out).unwrap();
                assert!(
                    same_bits(out.as_slice().unwrap(), want.as_slice().unwrap()),
                    "{be} into"
                );
            }
        }
    }
}

#[test]
fn laplacian7_every_mode_every_backend_f64() {
    laplacian_every_mode::<f64>();
}

#[test]
fn laplacian7_every_mode_every_backend_f32() {
    laplacian_every_mode::<f32>();
}

const SHAPES2: [(usize, usize); 11] = [
    (1, 1),
    (2, 2),
    (3, 3),
    (0, 4),
    (4, 0),
    (1, 9),
    (9, 1),
    (3, 5),
    (2, 200),
    (300, 257),
    (7, 40_000),
];

fn jacobi_every_mode<T: Element + Real>() {
    for d in SHAPES2 {
        let a = grid2::<T>(d);
        for mode in modes::<T>() {
            let want = jacobi_reference(&a, mode);
            for be in backends() {
                let got = stencil2(be, Jacobi5, &a, mode).unwrap();
                assert!(
                    same_bits(got.as_slice().unwrap(), want.as_slice().unwrap()),
                    "{be} {d:?} {mode:?}\ngot {got:?}\nwant {want:?}"
                );
                let mut out = Array2::from_elem(d, T::INFINITY);
                stencil2_into(be, Jacobi5, &a, mode, &mut out).unwrap();
                assert!(
                    same_bits(out.as_slice().unwrap(), want.as_slice().unwrap()),
                    "{be} into"
                );
            }
        }
    }
}

#[test]
fn jacobi5_every_mode_every_backend_f64() {
    jacobi_every_mode::<f64>();
}

#[test]
fn jacobi5_every_mode_every_backend_f32() {
    jacobi_every_mode::<f32>();
}

#[test]
fn tiny_grids_by_hand() {
    // 1x1: every neighbour is outside.
    let one = Array2::from_elem((1, 1), 8.0f64);
    for be in backends() {
        assert_eq!(
            stencil2(be, Jacobi5, &one, Boundary::default()).unwrap()[[0, 0]],
            0.0
        );
        assert_eq!(
            stencil2(be, Jacobi5, &one, Boundary::PadConstant(2.0)).unwrap()[[0, 0]],
            2.0
        );
        assert_eq!(
            stencil2(be, Jacobi5, &one, Boundary::Clamp).unwrap()[[0, 0]],
            8.0
        );
    }
    // 2x2x2: every cell is a border cell; clamping a constant field keeps
    // it, so its Laplacian is 0 everywhere.
    let c = Array3::from_elem((2, 2, 2), 3.0f32);
    for be in backends() {
        let l = stencil3(be, Laplacian7::unit(), &c, Boundary::Clamp).unwrap();
        assert!(l.iter().all(|&v| v == 0.0), "{be} {l}");
        let l = stencil3(be, Laplacian7::unit(), &c, Boundary::PadConstant(0.0)).unwrap();
        // Each corner cell has 3 outside neighbours: 3 * 3 - 6 * 3 = -9.
        assert!(l.iter().all(|&v| v == -9.0), "{be} {l}");
    }
    // 3x3x3: only the centre is computed by default.
    let mut g = Array3::<f64>::zeros((3, 3, 3));
    g[[1, 1, 1]] = 1.0;
    for be in backends() {
        let l = stencil3(be, Laplacian7::unit(), &g, Boundary::default()).unwrap();
        assert_eq!(l[[1, 1, 1]], -6.0);
        assert_eq!(l.iter().filter(|&&v| v != 0.0).count(), 1, "{be}");
    }
}

/// A one-sided kernel: `a[0, 1] - a[0, 0]` (forward difference along a row).
#[derive(Clone, Copy)]
struct ForwardDiff;
impl Stencil2<f64> for ForwardDiff {
    const NEIGHBOURHOOD: [(isize, isize); 2] = [(0, 0), (0, 1)];
    fn apply<A: Fn(isize, isize) -> f64>(&self, a: A) -> f64 {
        a(0, 1) - a(0, 0)
    }
}

#[test]
fn one_sided_neighbourhoods_have_one_sided_borders() {
    let a = Array2::from_shape_fn((3, 5), |(i, j)| (i * 10 + j * j) as f64);
    for be in closure_backends() {
        let d = stencil2(be, ForwardDiff, &a, Boundary::default()).unwrap();
        for i in 0..3 {
            for j in 0..4 {
                assert_eq!(d[[i, j]], (2 * j + 1) as f64, "{be}");
            }
            assert_eq!(d[[i, 4]], 0.0, "{be}: only the last column is border");
        }
        let d = stencil2(be, ForwardDiff, &a, Boundary::Clamp).unwrap();
        assert!(d.column(4).iter().all(|&v| v == 0.0));
        let d = stencil2(be, ForwardDiff, &a, Boundary::PadConstant(100.0)).unwrap();
        assert_eq!(d[[2, 4]], 100.0 - 36.0);
    }
}

/// A 3-D kernel with a wider reach along z: `a[0,0,-2] + a[0,0,2]`.
#[derive(Clone, Copy)]
struct Reach2;
impl Stencil3<f32> for Reach2 {
    const NEIGHBOURHOOD: [(isize, isize); 3] = [(0, 0), (0, 0), (-2, 2)];
    fn apply<A: Fn(isize, isize, isize) -> f32>(&self, a: A) -> f32 {
        a(0, 0, -2) + a(0, 0, 2)
    }
}

#[test]
fn wider_neighbourhoods_widen_the_border() {
    let a = grid3::<f32>((2, 3, 9));
    for be in closure_backends() {
        for mode in modes::<f32>() {
            let got = stencil3(be, Reach2, &a, mode).unwrap();
            for ((x, y, z), &g) in got.indexed_iter() {
                let (z, n) = (z as isize, 9);
                let l = fetch3(&a, mode, x as isize, y as isize, z - 2);
                let r = fetch3(&a, mode, x as isize, y as isize, z + 2);
                let want = match (l, r) {
                    (Some(l), Some(r)) => l + r,
                    _ => fill(mode),
                };
                assert_eq!(g, want, "{be} {mode:?} z={z} of {n}");
            }
        }
    }
}

#[derive(Clone, Copy)]
struct Overreach;
impl Stencil2<f64> for Overreach {
    const NEIGHBOURHOOD: [(isize, isize); 2] = [(-1, 1), (-1, 1)];
    fn apply<A: Fn(isize, isize) -> f64>(&self, a: A) -> f64 {
        a(0, 2)
    }
}

#[test]
fn reading_beyond_the_declared_neighbourhood_is_a_typed_error_in_the_kernels_axes() {
    let a = Array2::<f64>::zeros((5, 5));
    let want = Error::OutsideNeighbourhood {
        index: vec![0, 2],
        declared: vec![(-1, 1), (-1, 1)],
    };
    for be in closure_backends() {
        for mode in modes::<f64>() {
            assert_eq!(stencil2(be, Overreach, &a, mode).unwrap_err(), want, "{be}");
        }
    }
    assert!(want.to_string().contains("[0, 2]"), "{want}");
}

/// Declares the extreme reach of the soundness report, reads `a(0, 0, -1)`.
#[derive(Clone, Copy)]
struct ExtremeReach<const LO: isize, const HI: isize>;
impl<const LO: isize, const HI: isize> Stencil3<f64> for ExtremeReach<LO, HI> {
    const NEIGHBOURHOOD: [(isize, isize); 3] = [(0, 0), (0, 0), (LO, HI)];
    fn apply<A: Fn(isize, isize, isize) -> f64>(&self, a: A) -> f64 {
        a(0, 0, -1)
    }
}

#[test]
fn extreme_declared_reaches_are_refused_and_nothing_outside_the_input_is_read() {
    // A sentinel just before a sub-view: a kernel that could read outside
    // its input would copy it into the output.
    let mut backing = Array3::<f64>::from_elem((1, 1, 9), 1.0);
    backing[[0, 0, 0]] = 12345.0;
    let view = backing.slice(s![.., .., 1..]);
    for be in closure_backends() {
        for mode in modes::<f64>() {
            let e = stencil3(be, ExtremeReach::<{ isize::MIN }, 0>, &view, mode).unwrap_err();
            assert!(
                matches!(&e, Error::InvalidNeighbourhood { axis: 2, .. }),
                "{be} {mode:?}: {e}"
            );
            let e = stencil3(be, ExtremeReach::<0, { isize::MAX }>, &view, mode).unwrap_err();
            // The probe reads (0, 0, -1), outside (0, MAX): refused either way.
            assert!(
                matches!(
                    &e,
                    Error::InvalidNeighbourhood { .. } | Error::OutsideNeighbourhood { .. }
                ),
                "{be}: {e}"
            );
            let mut out = Array3::from_elem((1, 1, 8), -7.0);
            let e = stencil3_into(be, ExtremeReach::<-1, 1>, &view, mode, &mut out);
            assert!(e.is_ok(), "{be}: a sane reach runs");
            assert!(
                out.iter().all(|&v| v != 12345.0),
                "{be} {mode:?}: read outside: {out}"
            );
        }
    }
}

/// Reads past its declared reach only where a value exceeds 5.
#[derive(Clone, Copy)]
struct DataDependent;
impl Stencil2<f32> for DataDependent {
    const NEIGHBOURHOOD: [(isize, isize); 2] = [(0, 0), (0, 1)];
    fn apply<A: Fn(isize, isize) -> f32>(&self, a: A) -> f32 {
        if a(0, 0) > 5.0 { a(0, 3) } else { a(0, 1) }
    }
}

#[test]
fn a_data_dependent_read_outside_the_reach_stops_the_run_with_the_error() {
    let mut a = Array2::<f32>::from_elem((40, 300), 1.0);
    for be in closure_backends() {
        assert!(
            stencil2(be, DataDependent, &a, Boundary::Clamp).is_ok(),
            "{be}"
        );
    }
    a[[33, 150]] = 9.0;
    for be in closure_backends() {
        for mode in modes::<f32>() {
            let e = stencil2(be, DataDependent, &a, mode).unwrap_err();
            assert_eq!(
                e,
                Error::OutsideNeighbourhood {
                    index: vec![0, 3],
                    declared: vec![(0, 0), (0, 1)]
                },
                "{be} {mode:?}"
            );
        }
    }
}

#[test]
fn fill_border_is_numbas_cval_and_pad_constant_is_scipys() {
    // Numba's @stencil(cval=c) sets the border outputs to c and computes
    // the rest; PadConstant(c) computes every cell, reading c outside.
    let a = Array2::from_shape_fn((4, 5), |(i, j)| (i * 5 + j) as f64);
    for be in backends() {
        let numba = stencil2(be, Jacobi5, &a, Boundary::FillBorder(9.0)).unwrap();
        let scipy = stencil2(be, Jacobi5, &a, Boundary::PadConstant(9.0)).unwrap();
        for ((i, j), &v) in numba.indexed_iter() {
            let border = i == 0 || j == 0 || i == 3 || j == 4;
            if border {
                assert_eq!(v, 9.0, "{be} ({i}, {j})");
                assert_ne!(scipy[[i, j]], 9.0, "{be} ({i}, {j})");
            } else {
                assert_eq!(v, scipy[[i, j]], "{be} ({i}, {j})");
            }
        }
    }
}

#[test]
fn shape_and_layout_errors() {
    let a = Array3::<f64>::zeros((3, 4, 5));
    let mut out = Array3::<f64>::zeros((3, 4, 6));
    let e = stencil3_into(
        Backend::Serial,
        Laplacian7::unit(),
        &a,
        Boundary::Clamp,
        &mut out,
    )
    .unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    let e = stencil3(
        Backend::cuda(),
        Reach2,
        &grid3::<f32>((2, 3, 9)),
        Boundary::Clamp,
    )
    .unwrap_err();
    assert!(
        matches!(&e, Error::Unsupported { backend: "cuda", reason, .. } if reason.contains("#[device_op]")),
        "{e}"
    );
}

#[test]
fn outputs_beyond_the_streaming_threshold_are_right() {
    // 72 MiB of f64: the default store mode writes it with streaming
    // stores; check every 997th cell against the reference definition.
    let d = (9, 1024, 1024);
    let a = grid3::<f64>(d);
    let mut out = Array3::<f64>::zeros(d);
    for be in cpu_backends() {
        for mode in modes::<f64>() {
            out.fill(f64::NAN);
            stencil3_into(be, Laplacian7::unit(), &a, mode, &mut out).unwrap();
            for (c, &got) in out.as_slice().unwrap().iter().enumerate().step_by(997) {
                let (x, y, z) = (
                    (c / (1 << 20)) as isize,
                    ((c >> 10) & 1023) as isize,
                    (c & 1023) as isize,
                );
                let g = |i, j, k| fetch3(&a, mode, x + i, y + j, z + k);
                let f = [
                    g(-1, 0, 0),
                    g(1, 0, 0),
                    g(0, -1, 0),
                    g(0, 1, 0),
                    g(0, 0, -1),
                    g(0, 0, 1),
                ];
                let want = if f.iter().all(Option::is_some) {
                    let f = f.map(Option::unwrap);
                    (f[0] + f[1] + f[2] + f[3] + f[4] + f[5]) - 6.0 * g(0, 0, 0).unwrap()
                } else {
                    fill(mode)
                };
                assert_eq!(got.to_bits(), want.to_bits(), "{be} {mode:?} cell {c}");
            }
        }
    }
}

/// Reads one plane forward and two cells back along each row, and no other
/// row: a 3-D kernel along two axes, which the CPU backends block in time.
#[derive(Clone, Copy)]
struct PlaneAndRow;

impl Stencil3<f64> for PlaneAndRow {
    const NEIGHBOURHOOD: [(isize, isize); 3] = [(0, 1), (0, 0), (-2, 0)];
    fn apply<A: Fn(isize, isize, isize) -> f64>(&self, at: A) -> f64 {
        0.5 * at(0, 0, 0) + 0.25 * at(1, 0, -2) - 0.125 * at(1, 0, -1)
    }
}

/// `steps` calls of `stencil`, each over the one before.
fn swept<A: Clone>(a: &A, steps: usize, stencil: impl Fn(&A) -> A) -> A {
    (0..steps).fold(a.clone(), |a, _| stencil(&a))
}

#[test]
fn sweeps_give_the_bits_of_a_loop_of_stencils() {
    // Grids larger than a blocked window (32768 f64 cells), with odd
    // extents; a count of sweeps that is no multiple of a pass's.
    let plane = grid2::<f64>((301, 517));
    let cube = grid3::<f64>((23, 41, 67));
    let small = grid3::<f64>((17, 19, 23));
    for mode in modes::<f64>() {
        for steps in [0, 1, 2, 5, 13] {
            let jacobi = swept(&plane, steps, |a| {
                stencil2(Backend::Serial, Jacobi5, a, mode).unwrap()
            });
            let lopsided = swept(&cube, steps, |a| {
                stencil3(Backend::Serial, PlaneAndRow, a, mode).unwrap()
            });
            let laplacian = swept(&small, steps, |a| {
                stencil3(Backend::Serial, Laplacian7::unit(), a, mode).unwrap()
            });
            for be in closure_backends() {
                let what = format!("{be} {steps} {mode:?}");
                let got = stencil2_steps(be, Jacobi5, &plane, mode, steps).unwrap();
                let got2 = got.clone();
                assert!(
                    same_bits(got.as_slice().unwrap(), jacobi.as_slice().unwrap()),
                    "jacobi {what}"
                );
                let got = stencil3_steps(be, PlaneAndRow, &cube, mode, steps).unwrap();
                assert!(
                    same_bits(got.as_slice().unwrap(), lopsided.as_slice().unwrap()),
                    "3-d {what}"
                );
                let mut into = Array2::from_elem(plane.dim(), f64::NAN);
                stencil2_steps_into(be, Jacobi5, &plane, mode, steps, &mut into).unwrap();
                assert_eq!(into, got2, "jacobi into {what}");
                let mut into = Array3::from_elem(small.dim(), f64::NAN);
                stencil3_steps_into(be, Laplacian7::unit(), &small, mode, steps, &mut into)
                    .unwrap();
                assert_eq!(into, laplacian, "laplacian into {what}");
                let got = stencil3_steps(be, Laplacian7::unit(), &small, mode, steps).unwrap();
                assert!(
                    same_bits(got.as_slice().unwrap(), laplacian.as_slice().unwrap()),
                    "laplacian {what}"
                );
            }
        }
    }
    // A transposed view is swept in its logical order.
    let t = plane.t();
    let want = swept(&t.to_owned(), 5, |a| {
        stencil2(Backend::Serial, Jacobi5, a, Boundary::Clamp).unwrap()
    });
    let got = stencil2_steps(Backend::parallel(), Jacobi5, &t, Boundary::Clamp, 5).unwrap();
    assert_eq!(got, want);
}

#[test]
fn sweeps_stop_at_the_first_read_outside_the_reach() {
    // The kernel's declared reach is checked before any sweep, even none.
    #[derive(Clone, Copy)]
    struct Reversed;
    impl Stencil2<f64> for Reversed {
        const NEIGHBOURHOOD: [(isize, isize); 2] = [(1, -1), (0, 0)];
        fn apply<A: Fn(isize, isize) -> f64>(&self, at: A) -> f64 {
            at(0, 0)
        }
    }
    let a = Array2::<f64>::from_elem((300, 200), 1.0);
    for be in closure_backends() {
        assert!(matches!(
            stencil2_steps(be, Reversed, &a, Boundary::Clamp, 0),
            Err(Error::InvalidNeighbourhood { .. })
        ));
    }
    // A read outside it that only the data leads to, in a grid the CPU
    // backends block in time.
    let mut a = Array2::<f32>::from_elem((300, 200), 1.0);
    a[[150, 100]] = 9.0;
    for be in closure_backends() {
        let e = stencil2_steps(be, DataDependent, &a, Boundary::Clamp, 6).unwrap_err();
        assert_eq!(
            e,
            Error::OutsideNeighbourhood {
                index: vec![0, 3],
                declared: vec![(0, 0), (0, 1)]
            },
            "{be}"
        );
    }
}
