//! Load: 16 threads calling every operation on every backend at once, in
//! different orders, some inside a pool of the caller's own. Every result
//! must be the bits computed alone, on one thread, before the load; no
//! pool may deadlock (the run is bounded: a watchdog fails it); and memory
//! stays bounded (the peak resident set may grow by a few working sets,
//! not by the number of calls).

use hotloop::ops::Add;
use hotloop::{
    Backend, Boundary, Exp, GreaterThan, Jacobi5, Laplacian7, add_scalar, count_where, map, max,
    min, monte_carlo_pi, moving_average, stencil2, stencil3, sum, zip,
};
use ndarray::{Array2, Array3};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const THREADS: usize = 16;
const ROUNDS: usize = 3;
/// Far beyond what the load takes on two cores (a few seconds), far below
/// CI's patience: a deadlock fails the test instead of hanging it.
const WATCHDOG: Duration = Duration::from_secs(240);

/// Every operation's answer, as bits, so "the same" means the same bits.
#[derive(Debug, PartialEq, Eq)]
struct Answers {
    add: Vec<u64>,
    exp: Vec<u64>,
    zip: Vec<u64>,
    sum: u64,
    min: u64,
    max: u64,
    count: u64,
    laplacian: Vec<u64>,
    jacobi: Vec<u64>,
    moving_average: Vec<u64>,
    pi_hits: u64,
}

fn bits<'a>(v: impl IntoIterator<Item = &'a f64>) -> Vec<u64> {
    v.into_iter().map(|x| x.to_bits()).collect()
}

fn inputs() -> (Array3<f64>, Array2<f64>) {
    let cube = Array3::from_shape_fn((24, 40, 36), |(i, j, k)| {
        ((i * 1440 + j * 36 + k) as f64 * 0.377).sin() * 50.0
    });
    let plane = Array2::from_shape_fn((96, 80), |(i, j)| ((i * 80 + j) as f64 * 0.113).cos());
    (cube, plane)
}

fn answers(b: Backend, cube: &Array3<f64>, plane: &Array2<f64>) -> hotloop::Result<Answers> {
    Ok(Answers {
        add: bits(&add_scalar(b, cube, 2.0)?),
        exp: bits(&map(b, Exp, &cube.mapv(|v| v / 50.0))?),
        zip: bits(&zip(b, Add, cube, cube)?),
        sum: sum(b, cube)?.to_bits(),
        min: min(b, cube)?.to_bits(),
        max: max(b, cube)?.to_bits(),
        count: count_where(b, GreaterThan(0.25), cube)?,
        laplacian: bits(&stencil3(
            b,
            Laplacian7 { scale: 1.0 },
            cube,
            Boundary::Clamp,
        )?),
        jacobi: bits(&stencil2(b, Jacobi5, plane, Boundary::FillBorder(0.0))?),
        moving_average: bits(&moving_average(b, cube, 5)?),
        pi_hits: monte_carlo_pi(b, 1_000_003, 77)?.hits,
    })
}

/// Peak resident set of this process, in KiB (Linux), if known.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn sixteen_threads_on_every_backend_at_once_give_the_bits_of_one() {
    let (cube, plane) = inputs();
    // Alone first: one thread, serial, the reference every call must match
    // (every backend gives the serial bits; the cross-backend tests say so).
    let alone = answers(Backend::Serial, &cube, &plane).unwrap();
    for b in [Backend::parallel(), Backend::simulator()] {
        assert_eq!(answers(b, &cube, &plane).unwrap(), alone, "{b} alone");
    }
    let rss_before = peak_rss_kib();

    let backends = [
        Backend::Serial,
        Backend::parallel(),
        Backend::parallel_with_threads(3).unwrap(),
        Backend::parallel_with_threads(5).unwrap(),
        Backend::simulator(),
    ];
    let theirs = std::sync::Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap(),
    );
    let (done, finished) = mpsc::channel();
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (cube, plane, alone, done) = (&cube, &plane, &alone, done.clone());
            let theirs = theirs.clone();
            s.spawn(move || {
                let mut calls = 0;
                for round in 0..ROUNDS {
                    for k in 0..backends.len() {
                        // Each thread walks the backends from its own start.
                        let b = backends[(t + k + round) % backends.len()];
                        let got = if t % 4 == 0 && matches!(b, Backend::Parallel { threads: None })
                        {
                            // Inside a caller's pool: hotloop runs there.
                            theirs.install(|| answers(b, cube, plane))
                        } else {
                            answers(b, cube, plane)
                        };
                        match got {
                            Ok(a) if a == *alone => calls += 1,
                            Ok(_) => panic!("thread {t}: {b} gave other bits under load"),
                            Err(e) => panic!("thread {t}: {b} failed under load: {e}"),
                        }
                    }
                }
                done.send(calls).unwrap();
            });
        }
        drop(done);
        let mut total = 0;
        for _ in 0..THREADS {
            let left = WATCHDOG.saturating_sub(started.elapsed());
            match finished.recv_timeout(left) {
                Ok(n) => total += n,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    // Scoped threads would be joined (hang) on return:
                    // fail the whole process instead.
                    eprintln!("load test: no progress within {WATCHDOG:?}: a deadlock");
                    std::process::exit(101);
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    break; // a thread panicked: the scope re-raises it
                }
            }
        }
        assert_eq!(total, THREADS * ROUNDS * backends.len());
    });

    if let (Some(before), Some(after)) = (rss_before, peak_rss_kib()) {
        // One set of answers is about 5 arrays of 276 KiB plus inputs; 16
        // threads at once hold at most a few sets each (the simulator's
        // stacks included), so the peak may grow by tens of MiB, not by the
        // 240 calls' worth of results.
        let grown_mib = (after.saturating_sub(before)) / 1024;
        assert!(
            grown_mib < 512,
            "peak resident memory grew by {grown_mib} MiB under load"
        );
    }
}
