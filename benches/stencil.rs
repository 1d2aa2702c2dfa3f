//! Criterion: stencils, parallel (all cores) against serial, on grids
//! larger than the last-level cache. The target (checked here, not by a
//! test) is the parallel form at least 1.6x the serial one on 2 cores.
//!
//! Grids: `HOTLOOP_STENCIL_3D=N` for an N^3 Laplacian (default 256: 128 MiB
//! per f64 array) and `HOTLOOP_STENCIL_2D=N` for an N x N Jacobi step
//! (default 4096: 128 MiB).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hotloop::{Backend, Boundary, Jacobi5, Laplacian7, stencil2_into, stencil3_into};
use ndarray::{Array2, Array3};
use std::hint::black_box;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn bench(c: &mut Criterion) {
    let n3 = env("HOTLOOP_STENCIL_3D", 256);
    let a = Array3::from_shape_fn((n3, n3, n3), |(i, j, k)| ((i * 7 + j * 3 + k) % 101) as f64);
    let mut out = Array3::<f64>::from_elem((n3, n3, n3), 1.0);
    let mut g = c.benchmark_group(format!("laplacian7_f64_{n3}^3"));
    g.throughput(Throughput::Bytes(2 * (a.len() * 8) as u64));
    g.sample_size(10);
    for (name, be) in [
        ("serial", Backend::Serial),
        ("parallel", Backend::parallel()),
    ] {
        for (mode_name, mode) in [
            ("fill_border", Boundary::default()),
            ("clamp", Boundary::Clamp),
        ] {
            g.bench_function(format!("{name}/{mode_name}"), |b| {
                b.iter(|| {
                    stencil3_into(be, Laplacian7::unit(), black_box(&a), mode, &mut out).unwrap()
                })
            });
        }
    }
    g.finish();
    drop((a, out));

    let n2 = env("HOTLOOP_STENCIL_2D", 4096);
    let a = Array2::from_shape_fn((n2, n2), |(i, j)| ((i * 7 + j) % 101) as f64);
    let mut out = Array2::<f64>::from_elem((n2, n2), 1.0);
    let mut g = c.benchmark_group(format!("jacobi5_f64_{n2}^2"));
    g.throughput(Throughput::Bytes(2 * (a.len() * 8) as u64));
    g.sample_size(10);
    for (name, be) in [
        ("serial", Backend::Serial),
        ("parallel", Backend::parallel()),
    ] {
        g.bench_function(format!("{name}/fill_border"), |b| {
            b.iter(|| {
                stencil2_into(be, Jacobi5, black_box(&a), Boundary::default(), &mut out).unwrap()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
