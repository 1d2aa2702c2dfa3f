//! `prange` over a user's own loop body: Lennard-Jones over atoms (a heavy,
//! uneven body: atom i's pair loop runs over j > i) and plain reductions,
//! the same bits on one thread and on pools of every size, and the
//! errors of bad input.

use hotloop::{Backend, Error, prange};

/// Atom positions on a jittered cubic lattice (no two atoms too close).
fn atoms(n: usize) -> Vec<[f64; 3]> {
    let side = (n as f64).cbrt().ceil() as usize;
    (0..n)
        .map(|i| {
            let (x, y, z) = (i % side, (i / side) % side, i / (side * side));
            let jitter = |k: usize| ((i * 7919 + k * 104_729) % 1000) as f64 * 1e-4;
            [
                x as f64 * 1.1 + jitter(0),
                y as f64 * 1.1 + jitter(1),
                z as f64 * 1.1 + jitter(2),
            ]
        })
        .collect()
}

/// Atom `i`'s share of the Lennard-Jones energy: its pairs with `j > i`.
fn pair_energy(pos: &[[f64; 3]], i: usize) -> f64 {
    let mut e = 0.0;
    for j in i + 1..pos.len() {
        let d = [0, 1, 2].map(|k| pos[i][k] - pos[j][k]);
        let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
        let s6 = (1.0 / r2).powi(3);
        e += 4.0 * (s6 * s6 - s6);
    }
    e
}

fn backends() -> Vec<Backend> {
    let mut b = vec![Backend::Serial, Backend::parallel(), Backend::simulator()];
    for t in [1, 2, 3, 7] {
        b.push(Backend::parallel_with_threads(t).unwrap());
    }
    b
}

#[test]
fn lennard_jones_energy_is_the_same_bits_on_every_thread_count() {
    let pos = atoms(600);
    let n = pos.len();
    // The serial loop the prange stands for, chunk by chunk in the same
    // tree, is what Serial computes; every other backend must match it.
    let want = prange(0..n)
        .on(Backend::Serial)
        .sum(|i| pair_energy(&pos, i))
        .unwrap();
    let plain: f64 = (0..n).map(|i| pair_energy(&pos, i)).sum();
    assert!(
        (want - plain).abs() <= 1e-9 * plain.abs(),
        "{want} vs {plain}"
    );
    for b in backends() {
        for grain in [None, Some(1), Some(7), Some(n)] {
            let mut p = prange(0..n).on(b);
            if let Some(g) = grain {
                p = p.grain(g);
            }
            let got = p.sum(|i| pair_energy(&pos, i)).unwrap();
            // The grain is part of the result's definition; the threads
            // are not.
            let same_grain = match grain {
                None => want,
                Some(g) => prange(0..n)
                    .on(Backend::Serial)
                    .grain(g)
                    .sum(|i| pair_energy(&pos, i))
                    .unwrap(),
            };
            assert_eq!(got.to_bits(), same_grain.to_bits(), "{b:?} grain {grain:?}");
        }
    }
}

#[test]
fn reductions_map_into_and_for_each_over_a_range() {
    for b in backends() {
        let p = prange(10..100_010).on(b);
        // Exact: every partial sum of these integers is representable.
        assert_eq!(
            p.sum(|i| i as f64).unwrap(),
            (10..100_010u64).sum::<u64>() as f64
        );
        assert_eq!(
            p.reduce(0u64, |i| i as u64, |a, b| a.max(b)).unwrap(),
            100_009
        );
        let with_nan = |i: usize| if i == 5_000 { f64::NAN } else { i as f64 };
        assert!(p.max(with_nan).unwrap().unwrap().is_nan());
        assert_eq!(p.min(|i| -(i as f64)).unwrap(), Some(-100_009.0));
        let signed_zero = |i: usize| if i.is_multiple_of(2) { 0.0f64 } else { -0.0 };
        assert!(p.min(signed_zero).unwrap().unwrap().is_sign_negative());
        let mut out = vec![0usize; 100_000];
        p.map_into(&mut out, |i| i * 3).unwrap();
        assert!(out.iter().enumerate().all(|(k, &v)| v == (k + 10) * 3));
        let hits = std::sync::atomic::AtomicUsize::new(0);
        p.for_each(|i| {
            if i.is_multiple_of(1000) {
                hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        })
        .unwrap();
        assert_eq!(hits.into_inner(), 100);
        // An empty range: the identity, or no extremum.
        let empty = prange(5..5).on(b);
        assert_eq!(empty.sum(|i| i as f64).unwrap(), 0.0);
        assert_eq!(empty.max(|i| i as f32).unwrap(), None);
        assert_eq!(empty.reduce(7u8, |_| 1, |a, b| a + b).unwrap(), 7);
    }
}

#[test]
fn bad_input_is_a_typed_error_before_any_iteration() {
    let ran = std::sync::atomic::AtomicBool::new(false);
    let body = |i: usize| {
        ran.store(true, std::sync::atomic::Ordering::Relaxed);
        i as f64
    };
    let e = prange(0..10).grain(0).sum(body).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
    let mut short = vec![0.0; 9];
    let e = prange(0..10).map_into(&mut short, body).unwrap_err();
    assert!(matches!(e, Error::LengthMismatch { .. }), "{e}");
    let e = prange(0..10).on(Backend::cuda()).sum(body).unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e}");
    assert!(!ran.into_inner());
}

#[test]
fn rows_into_fills_every_row_once_on_every_backend() {
    // c = a @ b, 37x29 @ 29x41, i-k-j as a Numba user writes it; small
    // integers, so every backend's sums are exact and equal.
    let (n, k, m) = (37, 29, 41);
    let a: Vec<f32> = (0..n * k).map(|i| (i % 7) as f32 - 3.0).collect();
    let b: Vec<f32> = (0..k * m).map(|i| (i % 5) as f32).collect();
    let mut want = vec![0.0f32; n * m];
    for i in 0..n {
        for j in 0..m {
            want[i * m + j] = (0..k).map(|p| a[i * k + p] * b[p * m + j]).sum();
        }
    }
    let body = |i: usize, row: &mut [f32]| {
        row.fill(0.0);
        for p in 0..k {
            let aip = a[i * k + p];
            for (j, c) in row.iter_mut().enumerate() {
                *c += aip * b[p * m + j];
            }
        }
    };
    for backend in [Backend::Serial, Backend::parallel(), Backend::simulator()] {
        for grain in [1, 3, 100] {
            let mut c = vec![f32::NAN; n * m];
            prange(0..n)
                .on(backend)
                .grain(grain)
                .rows_into(&mut c, m, body)
                .unwrap();
            assert_eq!(c, want, "{backend} grain {grain}");
        }
    }
    // A shifted range: iteration i fills row i - start.
    let mut c = vec![0u32; 3 * 2];
    prange(10..13)
        .rows_into(&mut c, 2, |i, row| row.fill(i as u32))
        .unwrap();
    assert_eq!(c, [10, 10, 11, 11, 12, 12]);
    // Lengths that do not fit are refused, row_len 0 included.
    let mut short = vec![0.0f32; 5];
    assert!(matches!(
        prange(0..3).rows_into(&mut short, 2, |_, _| {}),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(prange(0..3).rows_into(&mut short, 0, |_, _| {}).is_err());
}
