//! Timing the CUDA rows: every repeat's kernel time from CUDA events (after
//! a synchronize), with the copies and the whole call beside it.

use crate::measure::{Plan, Timings};
use crate::row::GpuBreakdown;
use hotloop_cuda as cuda;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Runs `f` (a `*_timed` CUDA operation) as [`crate::measure::time`] does:
/// the first call alone, warm-up, repeats. The row's times are the kernel's;
/// the breakdown holds the medians of every part.
pub fn time(
    plan: Plan,
    mut f: impl FnMut() -> hotloop::Result<cuda::Timings>,
) -> hotloop::Result<(Timings, GpuBreakdown)> {
    let first = f()?;
    let plan = plan.after_first_call(first.total.as_secs_f64());
    for _ in 0..plan.warmup {
        f()?;
    }
    let mut runs = Vec::with_capacity(plan.repeat);
    for _ in 0..plan.repeat {
        runs.push(f()?);
    }
    let pick = |g: fn(&cuda::Timings) -> std::time::Duration| {
        median(runs.iter().map(|t| g(t).as_secs_f64()).collect())
    };
    let breakdown = GpuBreakdown {
        host_to_device_s: pick(|t| t.host_to_device),
        kernel_s: pick(|t| t.kernel),
        device_to_host_s: pick(|t| t.device_to_host),
        total_s: pick(|t| t.total),
        module_load_s: first.module_load.as_secs_f64(),
    };
    let timings = Timings {
        // What a first user call costs: the module load plus the call.
        first_call_s: Some((first.module_load + first.total).as_secs_f64()),
        repeats_s: runs.iter().map(|t| t.kernel.as_secs_f64()).collect(),
        rounds: None,
    };
    Ok((timings, breakdown))
}
