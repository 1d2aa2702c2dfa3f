//! Timing device work with CUDA events.

use crate::device::Device;
use crate::driver::During;
use cudarc::driver::sys::CUevent_flags;
use cudarc::driver::{CudaEvent, CudaStream};
use hotloop_runtime::{LaunchConfig, Result};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where the time of one operation went, from a `*_timed` call in
/// [`crate::ops`].
///
/// The device intervals are CUDA events recorded on the stream around the
/// work alone and read after the stream is synchronized, so a kernel's time
/// is its execution, not its (asynchronous) launch; copies are timed the
/// same way, separately. Host intervals are wall-clock.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Timings {
    /// The launch the kernel ran with.
    pub launch: Option<LaunchConfig>,
    /// The device's one-time module load (PTX JIT and `cuModuleLoadData`),
    /// paid when the device was first opened in this process, not by this
    /// call: reported so that a benchmark can show it once, as Numba's
    /// first-call compile time.
    pub module_load: Duration,
    /// Device allocations (host wall-clock).
    pub alloc: Duration,
    /// Host-to-device copies (CUDA events).
    pub host_to_device: Duration,
    /// The kernel alone (CUDA events, read after a synchronize).
    pub kernel: Duration,
    /// Device-to-host copies (CUDA events).
    pub device_to_host: Duration,
    /// Combining the per-block partials on the host (wall-clock).
    pub host_finish: Duration,
    /// The whole call, wall-clock: everything above except `module_load`,
    /// plus checks, synchronizations and frees.
    pub total: Duration,
}

/// `kernel 1.234 ms, copies in 2.000 ms / out 1.000 ms, total 5.000 ms
/// (256x1024)`: the kernel first, as a reader wants it.
impl std::fmt::Display for Timings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        write!(
            f,
            "kernel {:.3} ms, copies in {:.3} ms / out {:.3} ms, total {:.3} ms",
            ms(self.kernel),
            ms(self.host_to_device),
            ms(self.device_to_host),
            ms(self.total)
        )?;
        if let Some(l) = self.launch {
            write!(f, " ({l})")?;
        }
        Ok(())
    }
}

/// Two events bracketing work on a stream.
pub(crate) struct Span {
    start: CudaEvent,
    end: CudaEvent,
}

impl Span {
    /// The time between the events; synchronizes on the end event.
    pub(crate) fn elapsed(&self) -> Result<Duration> {
        let ms = self
            .start
            .elapsed_ms(&self.end)
            .during("reading CUDA event times")?;
        Ok(ms_to_duration(ms))
    }

    /// From the events a launch recorded around the kernel.
    pub(crate) fn from_events((start, end): (CudaEvent, CudaEvent)) -> Self {
        Self { start, end }
    }
}

/// Records an event, runs `work` (which enqueues on `stream`), records
/// another.
pub(crate) fn span<R>(
    stream: &Arc<CudaStream>,
    work: impl FnOnce() -> Result<R>,
) -> Result<(R, Span)> {
    let start = record(stream)?;
    let r = work()?;
    let end = record(stream)?;
    Ok((r, Span { start, end }))
}

/// Event flags that keep timing enabled.
pub(crate) const TIMED: CUevent_flags = CUevent_flags::CU_EVENT_DEFAULT;

fn record(stream: &Arc<CudaStream>) -> Result<CudaEvent> {
    stream
        .record_event(Some(TIMED))
        .during("recording a CUDA event")
}

fn ms_to_duration(ms: f32) -> Duration {
    Duration::from_secs_f64(f64::from(ms.max(0.0)) / 1e3)
}

/// Accumulates the [`Timings`] of one call.
pub(crate) struct Clock {
    started: Instant,
    pub(crate) t: Timings,
}

impl Clock {
    pub(crate) fn start(dev: &Device) -> Self {
        Self {
            started: Instant::now(),
            t: Timings {
                module_load: dev.info.module_load,
                ..Timings::default()
            },
        }
    }

    /// Runs `f`, adding its wall-clock time to `alloc`.
    pub(crate) fn alloc<R>(&mut self, f: impl FnOnce() -> Result<R>) -> Result<R> {
        let t0 = Instant::now();
        let r = f()?;
        self.t.alloc += t0.elapsed();
        Ok(r)
    }

    pub(crate) fn finish(mut self, dev: &Device) -> Result<Timings> {
        // Frees of this call's buffers are enqueued by now; report any
        // error they recorded.
        dev.check_deferred()?;
        self.t.total = self.started.elapsed();
        Ok(self.t)
    }
}

#[cfg(test)]
mod display_tests {
    use super::*;

    #[test]
    fn timings_print_the_kernel_first() {
        let t = Timings {
            kernel: Duration::from_micros(1234),
            total: Duration::from_millis(5),
            ..Timings::default()
        };
        assert_eq!(
            t.to_string(),
            "kernel 1.234 ms, copies in 0.000 ms / out 0.000 ms, total 5.000 ms"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_convert() {
        assert_eq!(ms_to_duration(1.5), Duration::from_micros(1500));
        assert_eq!(ms_to_duration(-1.0), Duration::ZERO);
    }
}
