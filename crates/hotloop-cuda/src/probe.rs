//! Which devices the backend can run on: each opened once (context,
//! modules, a self-test launch of each kind of operation) and shared, or the
//! reason it cannot run, cached for the process.

use crate::BACKEND;
use crate::device::{Device, open};
use hotloop_runtime::{Error, LaunchConfig, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

type Registry = Mutex<HashMap<usize, std::result::Result<Arc<Device>, String>>>;

fn registry() -> &'static Registry {
    static DEVICES: OnceLock<Registry> = OnceLock::new();
    DEVICES.get_or_init(Default::default)
}

/// Device `ordinal`, opened on first use (context, PTX module, a self-test
/// launch) and shared afterwards. Where the backend cannot run, an
/// [`Error::BackendUnavailable`] says why; the answer is cached for the
/// process.
pub fn device(ordinal: usize) -> Result<Arc<Device>> {
    let mut devices = registry().lock().unwrap_or_else(PoisonError::into_inner);
    devices
        .entry(ordinal)
        .or_insert_with(|| {
            let device = open(ordinal)?;
            self_test(&device)
                .map_err(|e| format!("the self-test launch on device {ordinal} failed: {e}"))?;
            Ok(device)
        })
        .clone()
        .map_err(|reason| Error::BackendUnavailable {
            backend: BACKEND,
            reason,
        })
}

/// Every device the driver reports, opened (`cuda.gpus`): each one's
/// [`Device::info`] has its name, memory and compute capability, and a
/// module, stream or array of one runs on that device alone.
pub fn devices() -> Result<Vec<Arc<Device>>> {
    (0..device_count()?).map(device).collect()
}

/// How many CUDA devices this host's driver reports (at least one), or
/// why none can be used ([`Error::BackendUnavailable`]): an MPI rank takes
/// device `host-local rank mod device_count()`.
pub fn device_count() -> Result<usize> {
    crate::device::count().map_err(|reason| Error::BackendUnavailable {
        backend: BACKEND,
        reason,
    })
}

/// `Ok` if device `ordinal` can run the kernels, else the reason, in words
/// a user can act on (`cuda.is_available()` with an explanation).
pub fn availability(ordinal: usize) -> std::result::Result<(), String> {
    match device(ordinal) {
        Ok(_) => Ok(()),
        Err(Error::BackendUnavailable { reason, .. }) => Err(reason),
        Err(e) => Err(e.to_string()),
    }
}

/// Runs each kind of operation once on tiny inputs (allocation, copies both
/// ways, launches, events, the u64 partials) and checks the answers.
fn self_test(device: &Arc<Device>) -> Result<()> {
    let input = [1.0f32, 2.0, 3.0];
    let mut out = [0.0f32; 3];
    crate::ops::add_scalar(device, None, &input, 0.5, &mut out)?;
    let sum = crate::ops::sum(device, Some(LaunchConfig::new(2, 3)?), &input)?;
    let hits = crate::ops::count_hits(device, None, 7, 0..1001)?;
    let want = hotloop_core::pi::count_hits(hotloop_core::philox::key_from_seed(7), 0, 1001);
    if out != [1.5, 2.5, 3.5] || sum != 6.0 || hits != want {
        return Err(Error::Device {
            name: "HOTLOOP_SELF_TEST".to_string(),
            during: "self-test",
            message: format!(
                "wrong results: add {out:?}, sum {sum}, hits {hits} (want {want}); \
                 the PTX may not match this host crate's kernel ABI"
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::driver_library_present;

    #[test]
    fn probe_reports_a_reason_instead_of_panicking() {
        match availability(0) {
            Ok(()) => {
                let d = device(0).unwrap();
                eprintln!("CUDA device 0: {:?}", d.info());
                assert!(d.info().multiprocessors > 0);
                assert!(d.default_launch(1 << 30).blocks >= d.info().multiprocessors);
            }
            Err(reason) => {
                eprintln!("CUDA unavailable here: {reason}");
                assert!(!reason.is_empty());
                if !driver_library_present() {
                    assert!(reason.contains("libcuda"), "{reason}");
                }
                // Asking again gives the same answer, as an error value.
                match device(0) {
                    Err(Error::BackendUnavailable { backend, reason: r }) => {
                        assert_eq!((backend, r), (BACKEND, reason));
                    }
                    other => panic!("{other:?}"),
                }
            }
        }
    }

    #[test]
    fn a_device_beyond_the_last_is_unavailable() {
        let e = availability(1 << 20).unwrap_err();
        assert!(!e.is_empty());
    }
}
