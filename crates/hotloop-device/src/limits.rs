//! The GPU's per-block and per-thread limits that device code can run
//! into, stated once: the simulator applies them too, so a kernel that
//! would not fit a GPU does not quietly run on the CPU.

/// The static shared memory one block may declare (every
/// [`shared_array!`](crate::shared_array) of the kernel together), in
/// bytes: 48 KiB, the most `ptxas` accepts on every architecture. (Larger
/// carve-outs, up to 227 KiB on Hopper, are dynamic shared memory, opted
/// into at launch.)
pub const MAX_SHARED_BYTES: usize = 48 << 10;

/// The local memory (stack) one GPU thread may use, in bytes: 512 KiB on
/// every architecture since compute capability 2.0. The simulator gives
/// each simulated thread a stack this large and more.
pub const MAX_LOCAL_BYTES: usize = 512 << 10;

/// The shared memory one block may have, static and dynamic together, on
/// an sm_90 GPU (Hopper: 227 KiB, dynamic shared memory beyond 48 KiB
/// opted into at launch; sm_80 has 163 KiB): the simulator's limit unless
/// set otherwise. A CUDA backend asks its device.
pub const MAX_BLOCK_SHARED_BYTES: usize = 227 << 10;
