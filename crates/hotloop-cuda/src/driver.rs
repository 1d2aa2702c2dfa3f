//! Turning driver failures into hotloop errors.

use cudarc::driver::DriverError;
use hotloop_runtime::{Error, Result};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once `cuInit` has succeeded: only then may the driver be asked to
/// describe an error (asking without a driver would panic in the bindings).
static DRIVER_LOADED: AtomicBool = AtomicBool::new(false);

/// Records that the driver library is loaded and initialised.
pub(crate) fn mark_driver_loaded() {
    DRIVER_LOADED.store(true, Ordering::Release);
}

/// The CUDA error name (`CUDA_ERROR_OUT_OF_MEMORY`): the binding's variant
/// name is the driver's, so no driver call is needed.
pub(crate) fn error_name(e: &DriverError) -> String {
    format!("{:?}", e.0)
}

/// The driver's description of the error.
pub(crate) fn error_message(e: &DriverError) -> String {
    if !DRIVER_LOADED.load(Ordering::Acquire) {
        return "(the CUDA driver is not loaded to describe it)".to_string();
    }
    match e.error_string() {
        Ok(msg) => msg.to_string_lossy().into_owned(),
        Err(_) => "(the driver gave no description)".to_string(),
    }
}

/// `CUDA_ERROR_NAME: description`, for unavailability reasons.
pub(crate) fn describe(e: &DriverError) -> String {
    format!("{}: {}", error_name(e), error_message(e))
}

/// [`Error::Device`] for a failure while doing `during`.
pub(crate) fn device_error(during: &'static str, e: DriverError) -> Error {
    Error::Device {
        name: error_name(&e),
        during,
        message: error_message(&e),
    }
}

/// `.during("kernel launch")` on a driver result.
pub(crate) trait During<T> {
    /// Maps a driver error to [`Error::Device`].
    fn during(self, what: &'static str) -> Result<T>;
}

impl<T> During<T> for std::result::Result<T, DriverError> {
    fn during(self, what: &'static str) -> Result<T> {
        self.map_err(|e| device_error(what, e))
    }
}

/// The text of a caught panic.
pub(crate) fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cudarc::driver::sys::CUresult;

    #[test]
    fn driver_errors_carry_the_cuda_error_name() {
        let e = device_error(
            "kernel launch",
            DriverError(CUresult::CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES),
        );
        match &e {
            Error::Device { name, during, .. } => {
                assert_eq!(name, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES");
                assert_eq!(*during, "kernel launch");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            e.to_string().starts_with(
                "device error CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES during kernel launch"
            )
        );
        let oom: std::result::Result<(), DriverError> =
            Err(DriverError(CUresult::CUDA_ERROR_OUT_OF_MEMORY));
        assert!(matches!(
            oom.during("device allocation"),
            Err(Error::Device { ref name, .. }) if name == "CUDA_ERROR_OUT_OF_MEMORY"
        ));
        assert_eq!(panic_text(&"boom"), "boom");
        assert_eq!(panic_text(&String::from("bang")), "bang");
    }
}
