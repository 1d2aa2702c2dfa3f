//! `prange` over your own loop body: the Lennard-Jones energy of 2000
//! atoms, the pair loop a Numba user writes under `@njit(parallel=True)`:
//!
//! ```python
//! for i in prange(n):
//!     for j in range(i + 1, n):
//!         r2 = ((pos[i] - pos[j]) ** 2).sum()
//!         s6 = (1.0 / r2) ** 3
//!         energy += 4.0 * (s6 * s6 - s6)
//! ```
//!
//! Run on one thread and on the pool (a first call, then the median of
//! seven), with the same bits on both.
//! `cargo run --release --example lennard_jones`.

use hotloop::{Backend, prange};
use std::time::Instant;

const ATOMS: usize = 2000;

/// Atoms on a jittered cubic lattice of spacing 1.1 (no two too close).
fn atoms(n: usize) -> Vec<[f64; 3]> {
    let side = (n as f64).cbrt().ceil() as usize;
    (0..n)
        .map(|i| {
            let cell = [i % side, (i / side) % side, i / (side * side)];
            let jitter = |k: usize| ((i * 7919 + k * 104_729) % 1000) as f64 * 1e-4;
            [0, 1, 2].map(|k| cell[k] as f64 * 1.1 + jitter(k))
        })
        .collect()
}

/// Atom `i`'s pairs with the atoms after it (`#[inline]`, and the closure
/// that calls it `#[inline(always)]`: the chunks are compiled for the
/// widest instruction set, which reaches the body only where it is
/// inlined).
#[inline]
fn pair_energy(pos: &[[f64; 3]], i: usize) -> f64 {
    let mut e = 0.0;
    for p in &pos[i + 1..] {
        let d = [0, 1, 2].map(|k| pos[i][k] - p[k]);
        let s6 = (1.0 / (d[0] * d[0] + d[1] * d[1] + d[2] * d[2])).powi(3);
        e += 4.0 * (s6 * s6 - s6);
    }
    e
}

fn main() -> hotloop::Result<()> {
    let pos = atoms(ATOMS);
    let mut energies = Vec::new();
    for backend in [Backend::Serial, Backend::parallel()] {
        // A first call (the pool wakes), then the median of seven.
        let run = || {
            prange(0..ATOMS).on(backend).sum(
                #[inline(always)]
                |i| pair_energy(&pos, i),
            )
        };
        let e = run()?;
        let mut ms = Vec::new();
        for _ in 0..7 {
            let t = Instant::now();
            assert_eq!(run()?.to_bits(), e.to_bits());
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        ms.sort_by(f64::total_cmp);
        println!(
            "{:<10} energy {e:.12e}, median {:.2} ms",
            backend.name(),
            ms[3]
        );
        energies.push(e);
    }
    assert_eq!(energies[0].to_bits(), energies[1].to_bits());
    println!("the same bits on one thread and on the pool");
    Ok(())
}
