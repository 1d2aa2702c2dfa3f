//! The one error type of the public API.

use hotloop_core::abi::SliceError;
use hotloop_core::stencil::{MAX_REACH, ReachError};
use std::fmt;

/// Result of every fallible hotloop call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong across the public API. Bad input is
/// reported here, never by a panic and never by a wrong answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Two arrays that must agree in shape do not.
    #[error("shape mismatch: {left_name} has shape {left:?} but {right_name} has shape {right:?}")]
    ShapeMismatch {
        /// Which argument the first shape belongs to ("input").
        left_name: &'static str,
        /// Its shape.
        left: Vec<usize>,
        /// Which argument the second shape belongs to ("output").
        right_name: &'static str,
        /// Its shape.
        right: Vec<usize>,
    },
    /// An array is not in standard (C-contiguous, row-major) layout.
    #[error(
        "{name} is not contiguous in standard (row-major) layout (shape {shape:?}, strides {strides:?}); \
         pass `.as_standard_layout()` or a copy"
    )]
    NotContiguous {
        /// Which argument.
        name: &'static str,
        /// Its shape.
        shape: Vec<usize>,
        /// Its strides, in elements.
        strides: Vec<isize>,
    },
    /// A Monte Carlo run was asked for zero samples.
    #[error("zero samples requested: a Monte Carlo estimate needs at least one sample")]
    ZeroSamples,
    /// A Monte Carlo run was asked for more samples than one call takes.
    #[error(
        "{requested} samples exceeds the limit of {limit} per call (about {hours:.0} hours at \
         2e9 samples/s); split the count over several calls or seeds"
    , hours = *limit as f64 / 2e9 / 3600.0)]
    TooManySamples {
        /// Samples asked for.
        requested: u64,
        /// The most one call takes.
        limit: u64,
    },
    /// A reduction with no identity (max) was asked of an empty array.
    #[error("{op} of an empty array has no value")]
    EmptyInput {
        /// The reduction ("max").
        op: &'static str,
    },
    /// A shape whose element count, or byte size, does not fit the index type.
    #[error("shape {shape:?} has more elements than {index_type} can index")]
    IndexOverflow {
        /// The shape.
        shape: Vec<usize>,
        /// The index type that overflowed ("usize", "isize bytes").
        index_type: &'static str,
    },
    /// A slice's length does not match the shape given with it.
    #[error("{name} has {len} elements but shape {shape:?} needs {needed}")]
    LengthMismatch {
        /// Which argument.
        name: &'static str,
        /// Its length.
        len: usize,
        /// The shape given with it.
        shape: Vec<usize>,
        /// The element count the shape needs.
        needed: usize,
    },
    /// More memory was requested than the machine has available.
    #[error("{what} needs {} but only {} is available", Bytes(*requested), Bytes(*available))]
    InsufficientMemory {
        /// What the memory was for.
        what: &'static str,
        /// Bytes requested.
        requested: u64,
        /// Bytes available (host: MemAvailable; device: free device memory).
        available: u64,
    },
    /// The allocator refused an allocation (`try_reserve` failed).
    #[error("allocation of {} for {what} failed", Bytes(*bytes))]
    AllocationFailed {
        /// What the memory was for.
        what: &'static str,
        /// Bytes requested.
        bytes: u64,
    },
    /// A generalized ufunc's signature is malformed, or the arrays passed to
    /// it do not fit the signature.
    #[error("{kernel} with signature {signature}: {detail}")]
    Signature {
        /// The kernel ("moving_average").
        kernel: &'static str,
        /// Its signature ("(n),()->(n)").
        signature: &'static str,
        /// What does not fit, naming the dimension or argument
        /// ("core dimension n: input has 5, output has 4").
        detail: String,
    },
    /// Rows of a device array that cannot be sliced as asked
    /// (`d.slice(i..j)`, `d.split_at_mut(mid)`).
    #[error("slice of a device array: {0}")]
    Slice(#[from] SliceError),
    /// A kernel parameter out of its domain (a moving-average window of 0).
    #[error("invalid {what}: {reason}")]
    InvalidArgument {
        /// The kernel or parameter ("moving_average window").
        what: &'static str,
        /// What is wrong and what is accepted.
        reason: String,
    },
    /// A stencil's declared `NEIGHBOURHOOD` is unusable: an axis whose
    /// bounds are reversed or reach further than
    /// `hotloop_core::stencil::MAX_REACH`.
    #[error(
        "stencil NEIGHBOURHOOD {declared:?}: axis {axis} is reversed or reaches beyond \
         {max_reach} cells; declare (lo, hi) with lo <= hi, each within {max_reach}"
    )]
    InvalidNeighbourhood {
        /// The declared `(lo, hi)` per axis (two axes for a 2-D stencil).
        declared: Vec<(isize, isize)>,
        /// The axis at fault.
        axis: usize,
        /// The furthest reach allowed.
        max_reach: isize,
    },
    /// A stencil read a relative index outside its declared
    /// `NEIGHBOURHOOD` (found by probing the kernel before the run, or
    /// during it if its reads depend on the data).
    #[error(
        "stencil read relative index {index:?} outside its declared NEIGHBOURHOOD {declared:?}; \
         widen NEIGHBOURHOOD to cover every index the kernel reads"
    )]
    OutsideNeighbourhood {
        /// The relative index read.
        index: Vec<isize>,
        /// The declared `(lo, hi)` per axis.
        declared: Vec<(isize, isize)>,
    },
    /// A thread count of zero, or a pool that could not start.
    #[error("invalid thread configuration: {0}")]
    Threads(String),
    /// The backend cannot run on this machine.
    #[error("backend `{backend}` is unavailable: {reason}")]
    BackendUnavailable {
        /// The backend's name.
        backend: &'static str,
        /// Why, in words a user can act on.
        reason: String,
    },
    /// An op this backend cannot run, on a machine where the backend
    /// itself works: a closure on CUDA (the GPU runs only compiled
    /// kernels), an op without a device kernel, a kernels crate built
    /// without its PTX.
    #[error("{op} cannot run on `{backend}`: {reason}")]
    Unsupported {
        /// What was asked ("map of a closure").
        op: String,
        /// The backend's name.
        backend: &'static str,
        /// Why, and what to do instead.
        reason: String,
    },
    /// A launch configuration the backend cannot run.
    #[error("invalid launch configuration: {0}")]
    InvalidLaunch(String),
    /// A thread of a simulated kernel failed: an index out of bounds (of a
    /// slice, an `Out` or a shared array), or another panic in the kernel.
    #[error("kernel `{kernel}`, block {block:?}, thread {thread:?}: {message}")]
    KernelFault {
        /// The kernel's name.
        kernel: &'static str,
        /// The block's index `(x, y, z)`.
        block: [u32; 3],
        /// The thread's index in the block `(x, y, z)`.
        thread: [u32; 3],
        /// What went wrong (the panic's message).
        message: String,
    },
    /// A `sync_threads` barrier that only part of a block reached: on a GPU
    /// a hang or undefined behaviour, in the simulator this error.
    #[error(
        "kernel `{kernel}`, block {block:?}: {arrived} threads wait at sync_threads, but {} \
         returned without reaching it: {}",
        missing.len(),
        Threads(missing)
    )]
    DivergentBarrier {
        /// The kernel's name.
        kernel: &'static str,
        /// The block's index `(x, y, z)`.
        block: [u32; 3],
        /// Threads that reached the barrier.
        arrived: usize,
        /// Threads that did not (they returned first), `(x, y, z)` each.
        missing: Vec<[u32; 3]>,
    },
    /// A warp-wide call (`shfl_sync`, `ballot_sync`, `syncwarp`, ...) whose
    /// result CUDA leaves undefined: a lane named in the mask that exited
    /// or waits elsewhere, a mask without the caller or naming lanes the
    /// block does not have, lanes of one mask calling different operations,
    /// a shuffle from a lane outside the mask. On a GPU a hang or an
    /// invented value, silently; in the simulator this error.
    #[error("kernel `{kernel}`, block {block:?}, warp {warp}, lanes {lanes:?}: {problem}")]
    WarpMisuse {
        /// The kernel's name.
        kernel: &'static str,
        /// The block's index `(x, y, z)`.
        block: [u32; 3],
        /// The warp's index in the block (its threads' linear index over 32).
        warp: u32,
        /// The lanes at fault.
        lanes: Vec<u32>,
        /// What they did, naming the call.
        problem: String,
    },
    /// Two streams' operations on one device array with nothing ordering
    /// them (no event waited on, no synchronization between), one of them
    /// a write: on a GPU they may run at once or in either order; the
    /// simulator reports it before running the second.
    #[error(
        "race on {array}: {second} is not ordered after {first}; record an event after the \
         first (stream.record()) and wait for it on the second's stream (wait_event), or \
         synchronize between them"
    )]
    Race {
        /// The array, by its name or its type and shape.
        array: String,
        /// The earlier operation and its stream.
        first: String,
        /// The later one, its stream, and whether it reads or writes.
        second: String,
    },
    /// A launch needs more than a limit allows: shared memory per block
    /// beyond the GPU's, or more simulated threads than the simulator's
    /// budget. Found before the launch or when the block asks for it,
    /// never by a crash.
    #[error("kernel `{kernel}`: {what} of {requested} exceeds the limit of {limit}; {advice}")]
    LimitExceeded {
        /// The kernel's name.
        kernel: &'static str,
        /// What was asked for, with its unit ("shared memory per block, in bytes").
        what: &'static str,
        /// How much.
        requested: u64,
        /// The most allowed.
        limit: u64,
        /// What to do about it.
        advice: &'static str,
    },
    /// Simulated threads that spin (re-reading the same memory, writing
    /// nothing) while no thread of the launch changes memory, finishes or
    /// reaches a barrier: a wait nothing will end, such as one block
    /// waiting for another that CUDA does not promise to run at the same
    /// time. On a GPU a hang; in the simulator this error.
    #[error(
        "kernel `{kernel}`, block {block:?}: deadlock: {} threads spun for {} ms while no thread \
         of the launch changed memory, finished or reached a barrier: {}",
        spinning.len(),
        millis,
        Threads(spinning)
    )]
    Deadlock {
        /// The kernel's name.
        kernel: &'static str,
        /// The block's index `(x, y, z)`.
        block: [u32; 3],
        /// The threads that spin, `(x, y, z)` each.
        spinning: Vec<[u32; 3]>,
        /// How long nothing changed before the simulator gave up.
        millis: u64,
    },
    /// An error reported by the device (CUDA error name and message).
    #[error("device error {name} during {during}: {message}")]
    Device {
        /// The CUDA error name (`CUDA_ERROR_OUT_OF_MEMORY`).
        name: String,
        /// What was being done.
        during: &'static str,
        /// The driver's message.
        message: String,
    },
    /// Another MPI rank failed a check that every rank makes together
    /// (`hotloop-mpi`): this rank's part was fine, but the job's call fails
    /// on every rank, so that none is left waiting for the failed one.
    #[error("rank {rank} failed: {message}")]
    RemoteRank {
        /// The lowest rank that failed.
        rank: usize,
        /// Its error, as it printed it.
        message: String,
    },
}

impl From<ReachError> for Error {
    /// A stencil's error, with the three axes every stencil runs on.
    fn from(e: ReachError) -> Self {
        match e {
            ReachError::Declared { declared, axis } => Error::InvalidNeighbourhood {
                declared: declared.to_vec(),
                axis,
                max_reach: MAX_REACH,
            },
            ReachError::Outside { declared, index } => Error::OutsideNeighbourhood {
                index: index.to_vec(),
                declared: declared.to_vec(),
            },
        }
    }
}

impl Error {
    /// This error as a 2-D stencil's caller declared it: a 2-D kernel runs
    /// as a 3-D one whose leading axis has reach 0, left out here. Other
    /// errors pass unchanged.
    pub fn into_planar(self) -> Self {
        match self {
            Error::InvalidNeighbourhood {
                declared,
                axis,
                max_reach,
            } if declared.len() == 3 => Error::InvalidNeighbourhood {
                declared: declared[1..].to_vec(),
                axis: axis.saturating_sub(1),
                max_reach,
            },
            Error::OutsideNeighbourhood { index, declared } if declared.len() == 3 => {
                Error::OutsideNeighbourhood {
                    index: index[1..].to_vec(),
                    declared: declared[1..].to_vec(),
                }
            }
            other => other,
        }
    }
}

/// Thread indices, the first eight listed.
struct Threads<'a>(&'a [[u32; 3]]);

impl fmt::Display for Threads<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.0.iter().take(8).enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{t:?}")?;
        }
        if self.0.len() > 8 {
            write!(f, " and {} more", self.0.len() - 8)?;
        }
        Ok(())
    }
}

/// A byte count printed with a binary unit ("4.00 KiB"): the errors'
/// sizes, and the bench's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bytes(pub u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
        let mut v = self.0 as f64;
        let mut u = 0;
        while v >= 1024.0 && u + 1 < UNITS.len() {
            v /= 1024.0;
            u += 1;
        }
        if u == 0 {
            write!(f, "{} B", self.0)
        } else {
            write!(f, "{v:.2} {}", UNITS[u])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_mismatch_names_both_shapes() {
        let e = Error::ShapeMismatch {
            left_name: "input",
            left: vec![2, 3, 4],
            right_name: "output",
            right: vec![2, 3, 5],
        };
        let msg = e.to_string();
        assert!(
            msg.contains("[2, 3, 4]") && msg.contains("[2, 3, 5]"),
            "{msg}"
        );
    }

    #[test]
    fn memory_errors_print_units() {
        let e = Error::InsufficientMemory {
            what: "output",
            requested: 3 << 30,
            available: 1 << 30,
        };
        assert_eq!(
            e.to_string(),
            "output needs 3.00 GiB but only 1.00 GiB is available"
        );
        let e = Error::AllocationFailed {
            what: "x",
            bytes: 12,
        };
        assert_eq!(e.to_string(), "allocation of 12 B for x failed");
    }
}
