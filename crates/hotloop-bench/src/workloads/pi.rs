//! Monte Carlo pi at the blog's sample counts.

use super::common::{SIMULATOR_ELEMS, extrapolated, extrapolation_note};
use super::{Data, PythonPeers, Workload};
use crate::config::Config;
use crate::measure::{Plan, time};
use crate::peers::Peers;
use crate::row::{Check, Row, row_id};
use crate::targets::{Target, largest, python, samples_too_few, time_ratio};
use hotloop::{Backend, PiEstimate, monte_carlo_pi, monte_carlo_pi_blog};
use ndarray::Array3;
use rand::SeedableRng;
use rand::rngs::SmallRng;

/// The seed every Philox row uses, so their hit counts must agree exactly.
pub const SEED: u64 = 2024;

/// Statistical check: within 5 standard errors of pi (a false alarm about
/// once in 1.7 million runs).
pub fn check_estimate(e: &PiEstimate) -> Check {
    let z = (e.estimate - std::f64::consts::PI) / e.standard_error();
    if z.abs() < 5.0 {
        Check::Passed
    } else {
        Check::Failed(format!(
            "estimate {} is {z:.1} standard errors from pi",
            e.estimate
        ))
    }
}

/// Fewer repeats for the long runs, so the suite's time stays bounded:
/// the spread of a 10 s run matters less than that of a 10 ms one.
fn plan_for(cfg: &Config, samples: u64) -> Plan {
    if samples >= 5_000_000_000 {
        Plan {
            warmup: 0,
            repeat: 1,
        }
    } else if samples >= 500_000_000 {
        Plan {
            warmup: 0,
            repeat: cfg.plan.repeat.min(3),
        }
    } else {
        cfg.plan
    }
}

/// The id of the parallel Philox rows (one per sample count).
pub const PI_PARALLEL: &str = "pi/parallel/philox";
/// The id of the parallel rows of Philox's draws alone (their bound).
const DRAWS_PARALLEL: &str = "pi/parallel/philox_draws";
/// The id of the GPU's Philox rows.
pub const PI_CUDA: &str = "pi/cuda/philox";

/// The XOR of every word Philox4x32-10 draws for blocks `blocks` under
/// `seed`'s key: the generator's work for those blocks' samples with none
/// of the hit test, compiled as the count is (the widest instruction set,
/// the same loop over blocks), so its rate bounds the count's. Philox
/// itself is fixed: it is what makes every backend's count the same.
fn draws(seed: u64, blocks: std::ops::Range<u64>) -> u32 {
    use hotloop::crates::core::philox::{counter_from_block, key_from_seed, philox4x32_10};
    let key = key_from_seed(seed);
    hotloop_cpu::simd::with_widest(
        #[inline(always)]
        || {
            let mut acc = 0u32;
            for b in blocks {
                let w = philox4x32_10(counter_from_block(b), key);
                acc ^= w[0] ^ w[1] ^ w[2] ^ w[3];
            }
            acc
        },
    )
}

/// [`draws`] for the samples `0..n`, over the parallel backend's pool in
/// the count's tasks.
fn draws_parallel(seed: u64, n: u64) -> u32 {
    use rayon::prelude::*;
    let blocks = n.div_ceil(2);
    let per_task = hotloop_cpu::montecarlo::SAMPLES_PER_TASK / 2;
    (0..blocks.div_ceil(per_task))
        .into_par_iter()
        .map(|t| draws(seed, t * per_task..((t + 1) * per_task).min(blocks)))
        .reduce(|| 0, |a, b| a ^ b)
}

/// The Monte Carlo workload (`--workload pi`), at each `--samples` count.
pub struct Pi;

impl Workload for Pi {
    fn name(&self) -> &'static str {
        "pi"
    }

    fn data(&self) -> Data {
        Data::Samples
    }

    fn memory(&self, _cfg: &Config, _python: bool) -> Result<u64, String> {
        Ok(0)
    }

    fn steps(&self, cfg: &Config) -> u64 {
        let on = |name: &str| u64::from(cfg.runs_backend(name));
        let cpu = cfg.runs_backend("serial") || cfg.runs_backend("parallel");
        // The blog's loop and Philox; Philox and its draws alone; the CPU's
        // count for the GPU's when no CPU row gives it; the simulator; the
        // GPU.
        let per_count = 2 * on("serial")
            + 2 * on("parallel")
            + u64::from(!cpu && cfg.runs_backend("cuda"))
            + on("simulator")
            + on("cuda");
        per_count * cfg.samples.len() as u64
    }

    fn rows(
        &self,
        cfg: &Config,
        _input: Option<&Array3<f64>>,
        _peers: &Peers,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Vec<Row>, String> {
        rows(cfg, progress)
    }

    fn python(&self) -> PythonPeers {
        PythonPeers {
            cpu: Some("Numba Monte Carlo"),
            gpu: true,
            simulator: false,
            rounds: false,
            script_too: false,
        }
    }

    fn targets(&self, rows: &[Row]) -> Vec<Target> {
        targets(rows)
    }
}

/// Measures every Monte Carlo row.
fn rows(cfg: &Config, progress: &mut dyn FnMut(&str)) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for &n in &cfg.samples {
        let workload = format!("monte carlo pi {:e} samples", n as f64);
        let plan = plan_for(cfg, n);
        // `kind`: the backend's name and the form's key, the row's id
        // after `pi/`.
        let row =
            |kind: [&str; 2], backend: &str, form: &str, timings, check, baseline, note: &str| {
                Row {
                    id: row_id(&["pi", kind[0], kind[1]]),
                    workload: workload.clone(),
                    backend: backend.into(),
                    form: form.into(),
                    timings,
                    bytes: None,
                    samples: Some(n),
                    baseline,
                    check,
                    compile_s: None,
                    gpu: None,
                    note: Some(note.into()),
                }
            };
        let mut reference: Option<u64> = None;
        // Every Philox row must reproduce the first one's count exactly.
        let mut check_philox = |e: &PiEstimate| match (check_estimate(e), reference) {
            (Check::Passed, Some(h)) if h != e.hits => Check::Failed(format!(
                "{} hits, but the first Philox row counted {h}",
                e.hits
            )),
            (c, _) => {
                reference.get_or_insert(e.hits);
                c
            }
        };

        if cfg.runs_backend("serial") {
            progress(&format!("pi {n}: serial, the blog's loop"));
            let mut rng = SmallRng::seed_from_u64(SEED);
            let mut last = None;
            let t = time(plan, || {
                last = Some(monte_carlo_pi_blog(&mut rng, n)?);
                Ok::<_, hotloop::Error>(())
            })
            .map_err(|e| e.to_string())?;
            let check = check_estimate(&last.expect("ran"));
            rows.push(row(
                ["serial", "blog"],
                "serial",
                "blog loop, rand SmallRng",
                t,
                check,
                true,
                "the blog's code: two f64 draws per sample from a sequential generator",
            ));

            progress(&format!("pi {n}: serial, Philox"));
            let mut last = None;
            let t = time(plan, || {
                last = Some(monte_carlo_pi(Backend::Serial, n, SEED)?);
                Ok::<_, hotloop::Error>(())
            })
            .map_err(|e| e.to_string())?;
            let check = check_philox(&last.expect("ran"));
            rows.push(row(
                ["serial", "philox"],
                "serial",
                "philox",
                t,
                check,
                false,
                "counter-based Philox4x32-10, integer hit test",
            ));
        }
        if cfg.runs_backend("parallel") {
            let backend = Backend::parallel();
            progress(&format!("pi {n}: parallel, Philox"));
            let mut last = None;
            let t = time(plan, || {
                last = Some(monte_carlo_pi(backend, n, SEED)?);
                Ok::<_, hotloop::Error>(())
            })
            .map_err(|e| e.to_string())?;
            let check = check_philox(&last.expect("ran"));
            rows.push(row(
                ["parallel", "philox"],
                &backend.to_string(),
                "philox",
                t,
                check,
                false,
                "prange row: same count as serial, bit for bit",
            ));

            progress(&format!("pi {n}: parallel, Philox's draws alone"));
            let mut got = 0;
            let t = time(plan, || {
                got = draws_parallel(SEED, n);
                Ok::<_, String>(())
            })?;
            let want = draws(SEED, 0..n.div_ceil(2));
            let check = if got == want {
                Check::Passed
            } else {
                Check::Failed(format!(
                    "the tasks' draws XOR to {got:#x}, one pass's to {want:#x}"
                ))
            };
            rows.push(row(
                ["parallel", "philox_draws"],
                &backend.to_string(),
                "philox draws alone",
                t,
                check,
                false,
                "the count's bound: Philox4x32-10's words XORed together, no hit test, compiled \
                 and split as the count is; checked against one serial pass",
            ));
        }
        let cpu_counted = cfg.runs_backend("serial") || cfg.runs_backend("parallel");
        if !cpu_counted && cfg.runs_backend("cuda") {
            // No CPU row ran: the GPU's count is checked against the CPU's
            // all the same (untimed).
            progress(&format!("pi {n}: the CPU's count, for the GPU's to match"));
            let cpu = monte_carlo_pi(Backend::parallel(), n, SEED).map_err(|e| e.to_string())?;
            check_philox(&cpu);
        }
        rows.extend(grid_rows(cfg, n, plan, progress, &mut check_philox, &row)?);
    }
    Ok(rows)
}

/// Builds a row of one sample count: (backend, form, timings, check,
/// baseline, note).
type MakeRow<'a> =
    dyn Fn([&str; 2], &str, &str, crate::measure::Timings, Check, bool, &str) -> Row + 'a;

/// The simulator's and the GPU's Monte Carlo rows for `n` samples.
fn grid_rows(
    cfg: &Config,
    n: u64,
    plan: Plan,
    progress: &mut dyn FnMut(&str),
    check_philox: &mut dyn FnMut(&PiEstimate) -> Check,
    row: &MakeRow<'_>,
) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    if cfg.runs_backend("simulator") {
        // At most SIMULATOR_ELEMS samples, extrapolated; the count is
        // checked against the parallel backend's for the same samples.
        let m = n.min(SIMULATOR_ELEMS as u64);
        let factor = n as f64 / m as f64;
        let sim = Backend::simulator();
        progress(&format!("pi {n}: simulator"));
        let mut last = None;
        let sim_plan = Plan {
            warmup: 0,
            repeat: plan.repeat.min(cfg.simulator_plan().repeat),
        };
        let t = time(sim_plan, || {
            last = Some(monte_carlo_pi(sim, m, SEED)?);
            Ok::<_, hotloop::Error>(())
        })
        .map_err(|e| e.to_string())?;
        let launch = sim
            .launch_for(m.div_ceil(2))
            .map_err(|e| e.to_string())?
            .expect("grid");
        let got = last.expect("ran");
        let check = if m == n {
            check_philox(&got)
        } else {
            let want = monte_carlo_pi(Backend::parallel(), m, SEED).map_err(|e| e.to_string())?;
            if got.hits == want.hits {
                check_estimate(&got)
            } else {
                Check::Failed(format!(
                    "{} hits in {m} samples, the parallel backend counted {}",
                    got.hits, want.hits
                ))
            }
        };
        let what = "the GPU kernel over a simulated grid: shared-memory tree per block";
        let note = match extrapolation_note(&format!("{m:e} samples"), factor) {
            Some(e) => format!("{what}; {e}"),
            None => what.to_string(),
        };
        rows.push(row(
            ["simulator", "philox"],
            &format!("simulator ({launch})"),
            "philox, block reduction",
            extrapolated(t, factor),
            check,
            false,
            &note,
        ));
    }
    if cfg.runs_backend("cuda") {
        let dev = hotloop_cuda::device(0).map_err(|e| e.to_string())?;
        progress(&format!("pi {n}: cuda"));
        let mut hits = 0;
        let (t, gpu) = crate::gpu::time(plan, || {
            let (h, timings) = hotloop_cuda::ops::count_hits_timed(&dev, None, SEED, 0..n)?;
            hits = h;
            Ok(timings)
        })
        .map_err(|e| e.to_string())?;
        let mut r = row(
            ["cuda", "philox"],
            &format!("cuda:0 {}", dev.info().name),
            "philox, block reduction",
            t,
            check_philox(&PiEstimate::new(hits, n)),
            false,
            "kernel time from CUDA events after a synchronize; copies in their own columns",
        );
        r.gpu = Some(gpu);
        rows.push(r);
    }
    Ok(rows)
}

/// The speedup over Numba's `prange` loop the parallel count must reach.
const SPEEDUP_OVER_NUMBA: f64 = 40.0;

/// Samples per second at the largest count, on the CPU (and against
/// Numba's `prange` where the Python rows ran) and on the GPU.
fn targets(rows: &[Row]) -> Vec<Target> {
    let mut out = Vec::new();
    if let Some(pi) = largest(rows, PI_PARALLEL) {
        out.push(
            Target::new(
                format!("parallel Monte Carlo samples/s ({})", pi.workload),
                pi.samples_per_s().unwrap_or(0.0),
                1e9,
                false,
            )
            .per_second()
            .unless_too_small(samples_too_few(pi)),
        );
        if let Some(numba) = python(rows, &pi.workload, "numba prange, np.random") {
            // The goal as a rate, against the rate of the draws alone.
            let rate = |r: &Row| r.samples_per_s().unwrap_or(0.0);
            let bound = rows
                .iter()
                .find(|r| r.id == DRAWS_PARALLEL && r.samples == pi.samples)
                .filter(|draws| rate(draws) < SPEEDUP_OVER_NUMBA * rate(numba))
                .map(|draws| {
                    format!(
                        "Philox's draws alone, no hit test, ran at {:.2e} samples/s on as many \
                         threads, below the {:.2e} the goal asks",
                        rate(draws),
                        SPEEDUP_OVER_NUMBA * rate(numba)
                    )
                });
            out.push(
                Target::new(
                    format!(
                        "parallel Monte Carlo speedup over Numba prange ({})",
                        pi.workload
                    ),
                    time_ratio(numba, pi),
                    SPEEDUP_OVER_NUMBA,
                    false,
                )
                .explained_by(bound)
                .unless_too_small(samples_too_few(pi)),
            );
        }
    }
    if let Some(pi) = largest(rows, PI_CUDA) {
        out.push(
            Target::new(
                format!("GPU Monte Carlo samples/s ({})", pi.workload),
                pi.samples_per_s().unwrap_or(0.0),
                1e11,
                false,
            )
            .per_second()
            .unless_too_small(samples_too_few(pi)),
        );
    }
    out
}
