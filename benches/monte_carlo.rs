//! Criterion benchmarks of Monte Carlo pi: the blog's serial loop (with a
//! `rand` generator), and the Philox form serial and parallel.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hotloop::{Backend, monte_carlo_pi, monte_carlo_pi_blog};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    for samples in [10_000u64, 33_000_000] {
        let mut g = c.benchmark_group(format!("monte_carlo_pi_{samples}"));
        g.throughput(Throughput::Elements(samples));
        g.sample_size(10);
        let mut rng = SmallRng::seed_from_u64(1);
        g.bench_function("serial_blog_loop", |b| {
            b.iter(|| monte_carlo_pi_blog(&mut rng, black_box(samples)).unwrap())
        });
        g.bench_function("serial_philox", |b| {
            b.iter(|| monte_carlo_pi(Backend::Serial, black_box(samples), 1).unwrap())
        });
        g.bench_function("parallel_philox", |b| {
            b.iter(|| monte_carlo_pi(Backend::parallel(), black_box(samples), 1).unwrap())
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
