//! Monte Carlo pi: reproducibility across backends and thread counts, and
//! statistical soundness.

mod common;

use common::backends;
use hotloop::{Backend, Error, Philox4x32Rng, monte_carlo_pi, monte_carlo_pi_blog};
use hotloop_core::philox::{counter_from_block, key_from_seed, philox4x32_10};
use rand::SeedableRng;

#[test]
fn estimate_is_bit_identical_on_every_backend_and_thread_count() {
    for samples in [1, 2, 3, 10_001, (1 << 22) * 2 + 1, 30_000_000] {
        let want = monte_carlo_pi(Backend::Serial, samples, 1234).unwrap();
        for b in backends() {
            let got = monte_carlo_pi(b, samples, 1234).unwrap();
            assert_eq!(got.hits, want.hits, "{b}, {samples} samples");
            assert_eq!(got.estimate.to_bits(), want.estimate.to_bits());
        }
    }
}

#[test]
fn hits_match_an_independent_count_from_the_raw_generator() {
    // Recount from Philox blocks directly, with a 128-bit hit test.
    let (seed, n) = (77u64, 50_001u64);
    let key = key_from_seed(seed);
    let mut hits = 0;
    for i in 0..n {
        let w = philox4x32_10(counter_from_block(i / 2), key);
        let (a, b) = if i % 2 == 0 {
            (w[0], w[1])
        } else {
            (w[2], w[3])
        };
        // (a/2^32)^2 + (b/2^32)^2 < 1, exactly, in 128-bit integers.
        hits += ((a as u128).pow(2) + (b as u128).pow(2) < (1u128 << 64)) as u64;
    }
    assert_eq!(
        monte_carlo_pi(Backend::parallel(), n, seed).unwrap().hits,
        hits
    );
}

#[test]
fn estimate_is_within_five_standard_errors_at_1e7() {
    for b in [Backend::Serial, Backend::parallel()] {
        let est = monte_carlo_pi(b, 10_000_000, 2024).unwrap();
        let z = (est.estimate - std::f64::consts::PI) / est.standard_error();
        assert!(
            z.abs() < 5.0,
            "{b}: estimate {} is {z:.2} standard errors off",
            est.estimate
        );
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(2024);
    let blog = monte_carlo_pi_blog(&mut rng, 10_000_000).unwrap();
    let z = (blog.estimate - std::f64::consts::PI) / blog.standard_error();
    assert!(z.abs() < 5.0, "blog loop: {z:.2} standard errors off");
}

#[test]
fn philox_plugs_into_rand() {
    use rand::RngExt;
    let mut rng = Philox4x32Rng::seed_from_u64(9);
    let est = monte_carlo_pi_blog(&mut rng, 1_000_000).unwrap();
    assert!((est.estimate - std::f64::consts::PI).abs() < 5.0 * est.standard_error());
    let u: f64 = rng.random();
    assert!((0.0..1.0).contains(&u));
}

#[test]
fn zero_samples_is_an_error_everywhere() {
    for b in backends() {
        assert_eq!(monte_carlo_pi(b, 0, 1), Err(Error::ZeroSamples), "{b}");
    }
    let mut rng = Philox4x32Rng::seed_from_u64(1);
    assert_eq!(monte_carlo_pi_blog(&mut rng, 0), Err(Error::ZeroSamples));
}

#[test]
fn counts_that_would_run_for_days_are_refused_not_started() {
    for n in [hotloop::MAX_SAMPLES + 1, u64::MAX] {
        let want = Error::TooManySamples {
            requested: n,
            limit: hotloop::MAX_SAMPLES,
        };
        for b in backends() {
            assert_eq!(monte_carlo_pi(b, n, 1), Err(want.clone()), "{b}");
        }
        let mut rng = Philox4x32Rng::seed_from_u64(1);
        assert_eq!(monte_carlo_pi_blog(&mut rng, n), Err(want.clone()));
        let msg = want.to_string();
        assert!(msg.contains("limit") && msg.contains("split"), "{msg}");
    }
}

#[test]
fn sample_counts_beyond_u32_work_without_memory_in_samples() {
    // A range starting above 2^32 samples exercises 64-bit counters; the full
    // 1e10 run belongs to the benchmark suite.
    let start = (1u64 << 32) + 1;
    let n = 1_000_003;
    let direct = hotloop_cpu::montecarlo::count_hits(5, start, start + n);
    let key = key_from_seed(5);
    let by_sample: u64 = (start..start + n)
        .map(|i| hotloop_core::pi::sample_is_hit(key, i) as u64)
        .sum();
    assert_eq!(direct, by_sample);
}
