//! Any `#[kernel]` on the simulator, with CUDA's semantics: every thread
//! of a block live at once, `sync_threads` a real barrier, a warp's lanes
//! in lockstep at each warp call (`shfl_sync`, `ballot_sync`, ...), shared
//! memory per block, atomics atomic, blocks in parallel across cores.
//!
//! Each simulated thread is a stackful coroutine (`corosensei`), the
//! equivalent of Numba's CUDA simulator's thread per CUDA thread without an
//! OS thread each: a block's threads run in turn until each returns,
//! suspends at a collective call (a barrier, a warp call), or has made
//! [`SLICE`] accesses to memory other threads write (an
//! [`Out`](hotloop_device::Out) or a shared array), so that a thread
//! spinning on a flag lets the thread that sets it run, as a GPU's
//! independent thread scheduling does. The barrier opens when every thread
//! of the block waits at it; a warp call completes when every lane of its
//! mask has made it, each lane getting CUDA's result
//! (`hotloop_device::host::WarpCall::resolve`).
//!
//! Beyond Numba's simulator, nothing a kernel does crashes or hangs the
//! process: a barrier that only part of a block reaches is an
//! [`Error::DivergentBarrier`] naming the threads that did not arrive; a
//! warp call CUDA leaves undefined (a lane of the mask that exited or
//! waits elsewhere, a shuffle from outside the mask) is an
//! [`Error::WarpMisuse`] naming the kernel, block, warp and lanes; an
//! index out of bounds, of a slice, an `Out` or a shared array, or any
//! other panic, is an [`Error::KernelFault`] naming the kernel, block and
//! thread, and stops the other blocks at their next access (a GPU's trap
//! ends the grid); threads that spin while nothing in the launch changes
//! are an [`Error::Deadlock`] after [`Simulator::with_stall_timeout`];
//! shared memory beyond a block's [`MAX_SHARED_BYTES`], and launches of
//! more threads than [`Simulator::with_thread_budget`], are an
//! [`Error::LimitExceeded`]. Each thread's stack holds a GPU thread's
//! [`MAX_LOCAL_BYTES`] of locals with room to spare.
//!
//! ```ignore
//! let sim = Simulator::new();
//! let d_in = sim.to_device(&input)?;
//! let mut d_out = sim.device_array_like(&d_in)?;
//! add_two::launch(&sim, (blocks, threads), &d_in, &mut d_out)?;
//! sim.synchronize();
//! let out = d_out.copy_to_host()?;
//! ```

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult, Yielder};
use hotloop_device::host::{
    self, Args, BarrierOp, Block, Buffer, Collective, DYNAMIC_KEY, DeviceBuffer, DeviceBufferMut,
    Grid, KernelInfo, Launcher, Layout, SimThread, WarpCall, lanes_of,
};
use hotloop_device::{DeviceCopy, Dim3, MAX_BLOCK_SHARED_BYTES, MAX_LOCAL_BYTES, MAX_SHARED_BYTES};
use hotloop_runtime::transfer::{HostArray, logical, place, reshape, to_ndarray};
use hotloop_runtime::{Error, Result, check_len, try_zeroed_vec};
use ndarray::{ArrayD, Dimension, IntoDimension};
use rayon::prelude::*;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// Stack of one simulated thread: a GPU thread's local memory four times
/// over, for the simulator's frames and an unoptimised build's copies
/// (virtual memory; only what a thread touches is committed).
const STACK_BYTES: usize = 4 * MAX_LOCAL_BYTES;

/// Accesses to shared memory (an `Out`, a shared array) a simulated thread
/// makes before the others get their turn.
pub const SLICE: u32 = 1024;

/// Simulated threads a launch may have unless raised: 2^28, some 20 s at
/// the rate measured on this project's 2-core development VM (2^31 - 1
/// one-thread blocks took 139 s, 1.5e7 threads a second).
pub const DEFAULT_THREAD_BUDGET: u64 = 1 << 28;

/// How long threads may spin while nothing in the launch changes before
/// the simulator reports a deadlock, unless set otherwise.
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(5);

/// The simulator as a [`Launcher`]: `my_kernel::launch(&Simulator::new(),
/// grid, ...)` runs any `#[kernel]`.
#[derive(Clone, Copy, Debug)]
pub struct Simulator {
    thread_budget: u64,
    stall_timeout: Duration,
    max_shared_bytes: usize,
    /// Which simulated device: its streams' order is tracked apart from
    /// other simulators'.
    device: u64,
}

/// The next simulated device's number.
static NEXT_DEVICE: AtomicU64 = AtomicU64::new(1);

impl Default for Simulator {
    fn default() -> Self {
        Self::new()
    }
}

impl Simulator {
    /// A simulated device, with a budget of [`DEFAULT_THREAD_BUDGET`]
    /// threads a launch and a [`DEFAULT_STALL_TIMEOUT`]. Its copies are the
    /// same device; another `new()` is another device, whose streams
    /// ([`Simulator::stream`]) are ordered apart.
    pub fn new() -> Self {
        Simulator {
            thread_budget: DEFAULT_THREAD_BUDGET,
            stall_timeout: DEFAULT_STALL_TIMEOUT,
            max_shared_bytes: MAX_BLOCK_SHARED_BYTES,
            device: NEXT_DEVICE.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// Its device number.
    pub(crate) fn device(&self) -> u64 {
        self.device
    }

    /// The most simulated threads (blocks times threads per block) one
    /// launch may have: a larger launch is an [`Error::LimitExceeded`]
    /// before any thread runs, not hours of simulation. A GPU runs 2^31 - 1
    /// blocks of 1024 threads; the simulator runs some 10^7 threads a
    /// second ([`DEFAULT_THREAD_BUDGET`]).
    pub const fn with_thread_budget(mut self, threads: u64) -> Self {
        self.thread_budget = threads;
        self
    }

    /// The shared memory one block may have, static and dynamic together
    /// ([`MAX_BLOCK_SHARED_BYTES`], an sm_90 GPU's, unless set here; an
    /// sm_80 GPU has 163 KiB). A launch asking for more dynamic shared
    /// memory is an [`Error::LimitExceeded`] before any thread runs; static
    /// arrays beyond what is left, when a block declares them.
    pub const fn with_max_shared_bytes(mut self, bytes: usize) -> Self {
        self.max_shared_bytes = bytes;
        self
    }

    /// How long the threads of a block may spin (re-reading the same
    /// memory, writing nothing) while no thread of the launch changes
    /// memory, finishes or reaches a barrier, before the launch fails with
    /// [`Error::Deadlock`]. A thread that legitimately re-reads the same
    /// values for longer than this, writing nothing, is reported too: raise
    /// it for such a kernel.
    pub const fn with_stall_timeout(mut self, timeout: Duration) -> Self {
        self.stall_timeout = timeout;
        self
    }

    /// A simulated device copy of `host` (`cuda.to_device`): a slice, a
    /// `Vec`, or an `ndarray` array of any dimension, whose shape the copy
    /// keeps, and whose strides too where its elements fill one block of
    /// memory (a transposed array reaches a kernel's `View<T, D>` as it
    /// is); a strided one is copied in C order. More than
    /// [`MAX_DIMS`](hotloop_device::host::Layout) axes is an error.
    pub fn to_device<A: HostArray + ?Sized>(&self, host: &A) -> Result<SimArray<A::Elem>> {
        let img = host.image()?;
        Ok(SimArray {
            data: img.data.into_owned(),
            layout: img.layout,
            origin: img.origin,
            device: self.device,
        })
    }

    /// A zeroed array of `shape` in C order (`cuda.device_array`): a
    /// length, `[rows, cols]`, `(rows, cols)`, ...
    pub fn device_array<T: DeviceCopy>(&self, shape: impl IntoDimension) -> Result<SimArray<T>> {
        let shape = shape.into_dimension();
        let layout = Layout::standard(shape.slice()).ok_or_else(|| Error::InvalidArgument {
            what: "device_array",
            reason: format!(
                "shape {:?}: a device array has 1 to 8 axes and fewer than 2^63 elements",
                shape.slice()
            ),
        })?;
        Ok(SimArray {
            data: try_zeroed_vec::<T>("simulated device array", layout.len())?,
            layout,
            origin: 0,
            device: self.device,
        })
    }

    /// A zeroed array with `like`'s shape and strides
    /// (`cuda.device_array_like`).
    pub fn device_array_like<T: DeviceCopy>(&self, like: &SimArray<T>) -> Result<SimArray<T>> {
        Ok(SimArray {
            data: try_zeroed_vec::<T>("simulated device array", like.data.len())?,
            layout: like.layout,
            origin: like.origin,
            device: self.device,
        })
    }

    /// Waits for the work so far, of every stream (`cuda.synchronize()`):
    /// the simulator runs each launch and copy as it is queued, so this
    /// only orders the host after the streams' work.
    pub fn synchronize(&self) {
        crate::order::default_stream(self.device);
    }
}

/// An array in the simulator's "device memory" (host memory), with its
/// shape and strides.
#[derive(Clone, Debug, PartialEq)]
pub struct SimArray<T> {
    /// Every element once, in the order of the host array it came from.
    data: Vec<T>,
    layout: Layout,
    /// Element `[0, 0, ..]`'s index in `data`.
    origin: usize,
    /// The simulated device it belongs to.
    device: u64,
}

impl<T> Drop for SimArray<T> {
    fn drop(&mut self) {
        // Its memory may be reused: its history goes with it.
        let (lo, hi) = self.bytes();
        crate::order::forget(lo, hi);
    }
}

impl<T> SimArray<T> {
    /// The bytes `[lo, hi)` its elements are held in.
    fn bytes(&self) -> (u64, u64) {
        let lo = self.data.as_ptr() as u64;
        (lo, lo + size_of_val(self.data.as_slice()) as u64)
    }
}

impl<T: DeviceCopy> SimArray<T> {
    /// A host copy in C order, the array's logical order
    /// (`copy_to_host()`, flattened), on the default stream: after every
    /// stream's work so far.
    pub fn copy_to_host(&self) -> Result<Vec<T>> {
        crate::order::default_stream(self.device);
        self.host_copy()
    }

    /// [`SimArray::copy_to_host`] without the default stream's order.
    pub(crate) fn host_copy(&self) -> Result<Vec<T>> {
        logical(&self.data, &self.layout, self.origin)
    }

    /// A host copy with the array's shape (`copy_to_host()`).
    pub fn copy_to_host_array(&self) -> Result<ArrayD<T>> {
        crate::order::default_stream(self.device);
        to_ndarray(&self.data, &self.layout, self.origin)
    }

    /// Copies `host` (the array's elements in C order) into it, on the
    /// default stream (Numba's `d.copy_to_device(a)`): an array reused
    /// without a new allocation.
    pub fn copy_to_device(&mut self, host: &[T]) -> Result<()> {
        crate::order::default_stream(self.device);
        self.copy_from_host(host)
    }

    /// Overwrites it with `other`'s elements in C order (Numba's
    /// `d.copy_to_device(d_other)`); as many elements.
    pub fn copy_from_device(&mut self, other: &SimArray<T>) -> Result<()> {
        crate::order::default_stream(self.device);
        self.copy_from_host(&other.host_copy()?)
    }

    /// [`SimArray::copy_to_device`] without the default stream's order.
    pub(crate) fn copy_from_host(&mut self, host: &[T]) -> Result<()> {
        check_len(
            "copy_to_device's host array",
            host.len(),
            self.layout.shape(),
        )?;
        place(&mut self.data, &self.layout, self.origin, host);
        Ok(())
    }

    /// The same elements with another shape in C order (Numba's
    /// `d.reshape(shape)`), without a copy: for an array in C order whose
    /// length the new shape keeps; `Err` otherwise, and the array is
    /// dropped.
    pub fn reshape(mut self, shape: impl IntoDimension) -> Result<SimArray<T>> {
        let shape = shape.into_dimension();
        self.layout = reshape(self.layout, self.origin, shape.slice())?;
        Ok(self)
    }

    /// The array, named `name` in the simulator's race reports.
    pub fn named(self, name: impl Into<String>) -> Self {
        if !self.is_empty() {
            let (lo, hi) = self.bytes();
            crate::order::name(lo, hi, &name.into());
        }
        self
    }

    /// Its shape and strides.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Its extents (Numba's `d.shape`).
    pub fn shape(&self) -> &[usize] {
        self.layout.shape()
    }

    /// The elements in C order without a copy, if they lie that way (a
    /// flat array always does); `None` for a transposed one.
    pub fn as_slice(&self) -> Option<&[T]> {
        self.layout
            .is_standard()
            .then(|| &self.data[self.origin..self.origin + self.layout.len()])
    }
}

impl<T: DeviceCopy> Buffer<T> for SimArray<T> {
    fn addr(&self) -> u64 {
        self.data.as_ptr().wrapping_add(self.origin) as u64
    }
    fn len(&self) -> usize {
        self.layout.len()
    }
    fn layout(&self) -> Layout {
        self.layout
    }
}

/// The simulator's device memory, host memory: the [`Launcher::Memory`] of
/// [`Simulator`] and its streams, which launch kernels on [`SimArray`]s
/// and slices of them ([`DeviceBuffer::slice`]).
#[derive(Debug)]
pub enum SimMemory {}

// SAFETY: `data` is the array's own allocation, holding its layout's span
// from `addr()`; `&self` methods do not write it, and `&mut self` is the
// only access.
unsafe impl<T: DeviceCopy> DeviceBuffer<T> for SimArray<T> {
    type Memory = SimMemory;
}

// SAFETY: as above.
unsafe impl<T: DeviceCopy> DeviceBufferMut<T> for SimArray<T> {}

/// The elements of `b`'s span as host memory, and element `[0, 0, ..]`'s
/// index there: what a copy from any simulated buffer reads.
pub(crate) fn host_span<T: DeviceCopy, B: DeviceBuffer<T, Memory = SimMemory> + ?Sized>(
    b: &B,
) -> (&[T], usize) {
    let Some((lo, hi)) = b.layout().span() else {
        return (&[], 0);
    };
    // SAFETY: `DeviceBuffer`'s contract: the span is allocated host memory
    // (`SimMemory`) that nothing writes while `b` is borrowed.
    let span = unsafe {
        std::slice::from_raw_parts((b.addr() as *const T).offset(lo), (hi - lo) as usize + 1)
    };
    (span, lo.unsigned_abs())
}

/// [`host_span`] of a buffer that may be written.
pub(crate) fn host_span_mut<T: DeviceCopy, B: DeviceBufferMut<T, Memory = SimMemory> + ?Sized>(
    b: &mut B,
) -> (&mut [T], usize) {
    let Some((lo, hi)) = b.layout().span() else {
        return (&mut [], 0);
    };
    // SAFETY: `DeviceBufferMut`'s contract: as `host_span`, and nothing
    // else reads or writes the span while `b` is borrowed mutably.
    let span = unsafe {
        std::slice::from_raw_parts_mut((b.addr() as *mut T).offset(lo), (hi - lo) as usize + 1)
    };
    (span, lo.unsigned_abs())
}

// SAFETY: `body` runs only on host memory (`SimMemory`), which the
// `DeviceBuffer`s of the typed launcher's signature keep valid for the
// whole launch, and only from simulated threads made current first.
unsafe impl Launcher for Simulator {
    type Memory = SimMemory;
    type Array<T: DeviceCopy> = SimArray<T>;
    type Run = ();
    type Error = Error;

    /// A launch on the default stream: after every stream's work so far.
    fn launch(
        &self,
        kernel: &'static KernelInfo,
        grid: Grid,
        args: &Args,
        body: &(dyn Fn(&Args) + Sync),
    ) -> Result<()> {
        crate::order::default_stream(self.device);
        self.run(kernel, grid, args, body)
    }
}

impl Simulator {
    /// Runs a launch to its end: the blocks, in parallel, or all at once
    /// for a cooperative one. The caller has ordered it among the streams.
    pub(crate) fn run(
        &self,
        kernel: &'static KernelInfo,
        grid: Grid,
        args: &Args,
        body: &(dyn Fn(&Args) + Sync),
    ) -> Result<()> {
        grid.check().map_err(Error::InvalidLaunch)?;
        args.check().map_err(|reason| Error::InvalidArgument {
            what: "kernel arguments",
            reason: format!("`{}`'s {reason}", kernel.name),
        })?;
        let threads = grid.blocks.count() * grid.threads.count();
        if threads > self.thread_budget {
            return Err(Error::LimitExceeded {
                kernel: kernel.name,
                what: "a simulated launch, in threads",
                requested: threads,
                limit: self.thread_budget,
                advice: "launch fewer blocks (a grid-stride loop covers any length), or raise \
                         the budget with Simulator::with_thread_budget",
            });
        }
        if grid.shared_bytes as usize > self.max_shared_bytes {
            return Err(Error::LimitExceeded {
                kernel: kernel.name,
                what: "dynamic shared memory per block, in bytes",
                requested: grid.shared_bytes.into(),
                limit: self.max_shared_bytes as u64,
                advice: "ask for less (Grid::with_shared_bytes), or raise the simulated device's \
                         limit with Simulator::with_max_shared_bytes",
            });
        }
        let blocks = grid.blocks.count();
        if grid.cooperative {
            let most = co_resident_blocks(grid.threads.count(), grid.shared_bytes.into());
            if blocks > most {
                return Err(Error::LimitExceeded {
                    kernel: kernel.name,
                    what: "a cooperative launch, in blocks",
                    requested: blocks,
                    limit: most,
                    advice: "a cooperative grid must be resident at once (the simulator models \
                             an H100: 132 multiprocessors of 2048 threads, 32 blocks and \
                             228 KiB of shared memory); launch fewer blocks and loop over the \
                             work",
                });
            }
        }
        let launch = LaunchState {
            kernel,
            grid,
            stall_timeout: self.stall_timeout,
            max_shared_bytes: self.max_shared_bytes,
            aborted: AtomicBool::new(false),
            epoch: AtomicU64::new(0),
            failure: Mutex::new(None),
            grid_barrier: grid.cooperative.then(|| GridBarrier::new(blocks)),
        };
        let (bx, by) = (grid.blocks.x as u64, grid.blocks.y as u64);
        let block_at = |b: u64| {
            Dim3::new(
                (b % bx) as u32,
                (b / bx % by) as u32,
                (b / (bx * by)) as u32,
            )
        };
        let run = |b: u64| {
            // A fault ends the grid, as a GPU's trap does: blocks not yet
            // started do not start.
            if launch.aborted.load(Ordering::Relaxed) {
                return;
            }
            let result = run_block(&launch, block_at(b), args, body);
            if let Some(g) = &launch.grid_barrier {
                g.finish(b);
            }
            match result {
                Ok(()) | Err(Stop::Aborted) => {}
                Err(Stop::Failed(e)) => launch.fail(b, e),
            }
        };
        if grid.cooperative {
            // Every block live at once: an OS thread each, as the grid
            // barrier waits for all of them.
            std::thread::scope(|s| {
                for b in 0..blocks {
                    let spawned = std::thread::Builder::new().spawn_scoped(s, move || run(b));
                    if spawned.is_err() {
                        // The blocks already waiting see the launch fail.
                        launch.fail(
                            b,
                            Error::LimitExceeded {
                                kernel: kernel.name,
                                what: "OS threads of a simulated cooperative launch (one a block)",
                                requested: blocks,
                                limit: b,
                                advice: "the system refused another thread; launch fewer blocks",
                            },
                        );
                        break;
                    }
                }
            });
        } else {
            (0..blocks).into_par_iter().for_each(run);
        }
        match launch
            .failure
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
        {
            Some((_, e)) => Err(e),
            None => Ok(()),
        }
    }
}

/// Blocks a cooperative launch may have on the simulated device, an
/// H100 (SXM): 132 multiprocessors, each holding at most 32 blocks, 64
/// warps and 228 KiB of shared memory, of which a block takes its dynamic
/// shared memory and 1 KiB the driver reserves. (Registers and static
/// shared memory, unknown before the blocks run, are not counted.)
fn co_resident_blocks(threads_per_block: u64, shared_bytes: u64) -> u64 {
    const SMS: u64 = 132;
    let by_warps = 64 / threads_per_block.div_ceil(32).max(1);
    let by_shared = (228 << 10) / (shared_bytes + (1 << 10));
    SMS * by_warps.min(by_shared).min(32)
}

/// The grid barrier of a cooperative launch: each block's scheduler waits
/// here once all its threads have reached `grid_sync`.
struct GridBarrier {
    blocks: u64,
    state: Mutex<GridState>,
    changed: Condvar,
}

#[derive(Default)]
struct GridState {
    /// Blocks waiting in this round.
    arrived: u64,
    /// Rounds completed.
    round: u64,
    /// Blocks that have ended, and the first of them.
    finished: u64,
    first_finished: Option<u64>,
}

impl GridBarrier {
    fn new(blocks: u64) -> Self {
        GridBarrier {
            blocks,
            state: Mutex::new(GridState::default()),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GridState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Block `b` has ended.
    fn finish(&self, b: u64) {
        let mut s = self.lock();
        s.finished += 1;
        s.first_finished.get_or_insert(b);
        self.changed.notify_all();
    }

    /// Waits until every block has arrived; `Err` with the first block
    /// that ended instead, or when another block failed.
    fn wait(&self, launch: &LaunchState) -> std::result::Result<(), GridStop> {
        let mut s = self.lock();
        let round = s.round;
        s.arrived += 1;
        if s.arrived == self.blocks {
            s.arrived = 0;
            s.round += 1;
            self.changed.notify_all();
            return Ok(());
        }
        loop {
            if s.round != round {
                return Ok(());
            }
            if launch.aborted.load(Ordering::Relaxed) {
                return Err(GridStop::Aborted);
            }
            if let Some(b) = s.first_finished
                && s.arrived + s.finished == self.blocks
            {
                return Err(GridStop::Exited {
                    block: b,
                    blocks: s.finished,
                });
            }
            s = self
                .changed
                .wait_timeout(s, Duration::from_millis(20))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// Why a block left the grid barrier without it opening.
enum GridStop {
    Aborted,
    /// `blocks` blocks ended without reaching it, block `block` first.
    Exited {
        block: u64,
        blocks: u64,
    },
}

/// What the blocks of one launch share.
struct LaunchState {
    kernel: &'static KernelInfo,
    grid: Grid,
    stall_timeout: Duration,
    max_shared_bytes: usize,
    /// A cooperative launch's grid barrier.
    grid_barrier: Option<GridBarrier>,
    /// Set by the first failure: the other blocks stop.
    aborted: AtomicBool,
    /// Counts the rounds in which some block's threads changed memory,
    /// finished or reached a barrier: a spinning block waits for this to
    /// move before it calls its wait a deadlock.
    epoch: AtomicU64,
    /// The failure of the lowest-numbered block that failed.
    failure: Mutex<Option<(u64, Error)>>,
}

impl LaunchState {
    fn fail(&self, block: u64, e: Error) {
        self.aborted.store(true, Ordering::Relaxed);
        let mut f = self.failure.lock().unwrap_or_else(|p| p.into_inner());
        if f.as_ref().is_none_or(|(b, _)| block < *b) {
            *f = Some((block, e));
        }
    }
}

/// Why a block stopped early.
enum Stop {
    /// Another block failed first.
    Aborted,
    /// This block failed.
    Failed(Error),
}

/// Why a simulated thread gave the others its turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pause {
    /// It waits at a barrier or a warp call (its slot's `call`).
    Collective,
    /// It used its [`SLICE`].
    Slice,
}

/// The distinct `(address, bits)` pairs a thread read in one slice, up to
/// a few: a spinning thread reads the same few each slice; a working one
/// reads new ones.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Seen {
    pairs: [(usize, u64); 8],
    len: u8,
    /// More than `pairs` holds: the thread is reading through memory.
    many: bool,
}

impl Seen {
    fn note(&mut self, addr: usize, bits: u64) {
        let held = &self.pairs[..self.len as usize];
        if self.many || held.contains(&(addr, bits)) {
            return;
        }
        if (self.len as usize) < self.pairs.len() {
            self.pairs[self.len as usize] = (addr, bits);
            self.len += 1;
        } else {
            self.many = true;
        }
    }

    /// The pairs in a canonical order, for comparing two slices.
    fn sorted(mut self) -> Self {
        self.pairs[..self.len as usize].sort_unstable();
        self
    }
}

/// What one thread did in its current turn.
struct Turn {
    left: u32,
    wrote: bool,
    seen: Seen,
}

impl Turn {
    fn new() -> Self {
        Turn {
            left: SLICE,
            wrote: false,
            seen: Seen::default(),
        }
    }
}

/// One simulated thread's link to its block: its coroutine's yielder (for
/// a collective call and the end of a slice), the block's shared memory,
/// what it has done this turn, and the collective call it waits at (taken
/// by the scheduler, which leaves its result).
struct ThreadSlot<'b> {
    yielder: Cell<*const Yielder<(), Pause>>,
    shared: &'b SharedMemory,
    turn: RefCell<Turn>,
    call: Cell<Option<Collective>>,
    result: Cell<u64>,
}

// SAFETY: a slot is only used by the OS thread running its block.
unsafe impl Sync for ThreadSlot<'_> {}

impl ThreadSlot<'_> {
    fn pause(&self, why: Pause) {
        let y = self.yielder.get();
        assert!(
            !y.is_null(),
            "a simulated thread paused outside its coroutine"
        );
        // SAFETY: set by the coroutine at its start; it lives as long as
        // the coroutine, which is the caller.
        unsafe { &*y }.suspend(why);
    }
}

// SAFETY: `shared` returns `SharedMemory::get`'s buffers: zeroed, 8-aligned
// boxes of at least `bytes`, kept in place until the block ends.
unsafe impl Block for ThreadSlot<'_> {
    fn collective(&self, call: Collective) -> u64 {
        self.call.set(Some(call));
        self.pause(Pause::Collective);
        self.result.get()
    }

    fn shared(&self, key: u64, bytes: usize, align: usize) -> *mut u8 {
        self.shared.get(key, bytes, align)
    }

    fn access(&self, addr: usize, bits: u64, wrote: bool) {
        let mut turn = self.turn.borrow_mut();
        if wrote {
            turn.wrote = true;
        } else {
            turn.seen.note(addr, bits);
        }
        turn.left -= 1;
        // A thread being unwound (dropped after another's fault) runs to
        // its end: a coroutine cannot suspend while it unwinds.
        if turn.left == 0 && !std::thread::panicking() {
            drop(turn);
            self.pause(Pause::Slice);
        }
    }
}

/// A block's shared arrays, by key, zeroed on first use: the static ones
/// (`shared_array!`), at most [`MAX_SHARED_BYTES`] together, and the
/// launch's dynamic one ([`DYNAMIC_KEY`]), all within `limit`.
struct SharedMemory {
    arrays: Mutex<Arrays>,
    dynamic: usize,
    limit: usize,
}

#[derive(Default)]
struct Arrays {
    /// Each array's words, allocated as a `Box` and held as a raw pointer:
    /// handing an array out again then makes no new reference to it, which
    /// would invalidate the pointers the block's other threads hold (Miri's
    /// aliasing model found that of a `Box` looked up anew).
    by_key: HashMap<u64, (NonNull<u64>, usize)>,
    /// Their bytes together.
    total: usize,
}

impl Drop for Arrays {
    fn drop(&mut self) {
        for &(ptr, words) in self.by_key.values() {
            // SAFETY: from `Box::into_raw` of `words` words in `get`, freed
            // once, here, after every thread of the block has ended.
            drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr.as_ptr(), words)) });
        }
    }
}

/// The panic payload of a block that asked for more shared memory than a
/// GPU block has: turned into [`Error::LimitExceeded`].
struct SharedLimit {
    requested: usize,
    limit: usize,
}

impl SharedMemory {
    /// A block's, with `dynamic` bytes of dynamic shared memory.
    fn new(dynamic: usize, limit: usize) -> Self {
        SharedMemory {
            arrays: Mutex::default(),
            dynamic,
            limit,
        }
    }

    fn get(&self, key: u64, bytes: usize, align: usize) -> *mut u8 {
        assert!(align <= 8, "shared arrays are aligned to 8 bytes");
        let mut arrays = self.arrays.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&(ptr, words)) = arrays.by_key.get(&key) {
            // One call site, one size (the macro's constant); a second size
            // under one key would hand out a buffer too small.
            assert!(
                words * 8 >= bytes,
                "shared array {key:#x} was asked for {bytes} bytes but holds {}",
                words * 8
            );
            return ptr.as_ptr().cast();
        }
        let words = bytes.div_ceil(8).max(1);
        if key == DYNAMIC_KEY {
            // Sized by the launch, checked before it.
            assert!(
                bytes <= self.dynamic,
                "the dynamic array has the launch's size"
            );
        } else {
            let requested = arrays.total.saturating_add(words * 8);
            let limit = MAX_SHARED_BYTES.min(self.limit.saturating_sub(self.dynamic));
            if requested > limit {
                std::panic::panic_any(SharedLimit {
                    requested: requested + self.dynamic,
                    limit: self.limit.min(MAX_SHARED_BYTES + self.dynamic),
                });
            }
            arrays.total = requested;
        }
        let raw = Box::into_raw(vec![0u64; words].into_boxed_slice());
        let ptr = NonNull::new(raw.cast::<u64>()).expect("a Box is never null");
        arrays.by_key.insert(key, (ptr, words));
        ptr.as_ptr().cast()
    }
}

std::thread_local! {
    /// Coroutine stacks kept between blocks on this worker.
    static STACKS: RefCell<Vec<DefaultStack>> = const { RefCell::new(Vec::new()) };
}

fn take_stack() -> Result<DefaultStack> {
    if let Some(s) = STACKS.with(|s| s.borrow_mut().pop()) {
        return Ok(s);
    }
    DefaultStack::new(STACK_BYTES).map_err(|_| Error::AllocationFailed {
        what: "a simulated thread's stack",
        bytes: STACK_BYTES as u64,
    })
}

type Thread = Coroutine<(), Pause, (), DefaultStack>;

/// The text of a panic's payload.
fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "the kernel panicked".into()
    }
}

fn run_block(
    launch: &LaunchState,
    block: Dim3,
    args: &Args,
    body: &(dyn Fn(&Args) + Sync),
) -> std::result::Result<(), Stop> {
    let dim = launch.grid.threads;
    let n = dim.count() as usize;
    let shared = SharedMemory::new(launch.grid.shared_bytes as usize, launch.max_shared_bytes);
    let slots: Vec<ThreadSlot<'_>> = (0..n)
        .map(|_| ThreadSlot {
            yielder: Cell::new(std::ptr::null()),
            shared: &shared,
            turn: RefCell::new(Turn::new()),
            call: Cell::new(None),
            result: Cell::new(0),
        })
        .collect();
    let index = |t: usize| {
        Dim3::new(
            (t % dim.x as usize) as u32,
            (t / dim.x as usize % dim.y as usize) as u32,
            (t / (dim.x as usize * dim.y as usize)) as u32,
        )
    };
    let states: Vec<SimThread<'_>> = (0..n)
        .map(|t| SimThread {
            thread: index(t),
            block,
            block_dim: dim,
            grid_dim: launch.grid.blocks,
            dynamic_shared_bytes: launch.grid.shared_bytes as usize,
            ctx: &slots[t],
        })
        .collect();
    let mut threads: Vec<Option<Thread>> = Vec::with_capacity(n);
    for slot in &slots {
        let stack = take_stack().map_err(Stop::Failed)?;
        let yielder = &slot.yielder;
        // SAFETY: the closure borrows `args`, `body` and `slot`, which all
        // outlive the coroutine: every coroutine is driven to its end or
        // dropped before this function returns.
        let c = unsafe {
            Coroutine::with_stack_unchecked(stack, move |y: &Yielder<(), Pause>, ()| {
                yielder.set(y);
                body(args);
            })
        };
        threads.push(Some(c));
    }
    let result = schedule(launch, block, &states, &slots, &mut threads);
    // Finished coroutines give their stacks back; the others (after an
    // error) unwind as they are dropped, with their thread current.
    for (t, c) in threads.iter_mut().enumerate() {
        if let Some(c) = c.take() {
            if c.done() {
                let stack = c.into_stack();
                STACKS.with(|s| s.borrow_mut().push(stack));
            } else {
                // SAFETY: `states[t]` outlives the drop.
                let prev = unsafe { host::set_current(&states[t]) };
                drop(c);
                // SAFETY: restoring what was current.
                unsafe { host::set_current(prev) };
            }
        }
    }
    result
}

/// The mask of lanes `0..lanes` (all 32 for 32 or more).
fn lanes_mask(lanes: usize) -> u32 {
    if lanes >= 32 {
        u32::MAX
    } else {
        (1u32 << lanes) - 1
    }
}

/// Runs the block's threads in turn, round after round, each until it
/// returns, reaches a collective call or ends its slice; after each round
/// completes the warp calls whose lanes have all arrived, and opens the
/// barrier when every thread waits at it.
fn schedule(
    launch: &LaunchState,
    block: Dim3,
    states: &[SimThread<'_>],
    slots: &[ThreadSlot<'_>],
    threads: &mut [Option<Thread>],
) -> std::result::Result<(), Stop> {
    let n = threads.len();
    let kernel = launch.kernel.name;
    let block_at = [block.x, block.y, block.z];
    let at = |t: usize| {
        let th = states[t].thread;
        [th.x, th.y, th.z]
    };
    let mut returned = vec![false; n];
    // What each thread read in its last slice, to tell a spin from work.
    let mut last_seen = vec![Seen::default(); n];
    // Since when, and at which launch epoch, nothing has changed.
    let mut stalled: Option<(Instant, u64)> = None;
    let mut spinning = Vec::new();
    loop {
        if launch.aborted.load(Ordering::Relaxed) {
            return Err(Stop::Aborted);
        }
        let mut progressed = false;
        spinning.clear();
        for t in 0..n {
            if returned[t] || slots[t].call.get().is_some() {
                continue;
            }
            let c = threads[t].as_mut().expect("live until the block ends");
            *slots[t].turn.borrow_mut() = Turn::new();
            // SAFETY: `states[t]` outlives the resume.
            let prev = unsafe { host::set_current(&states[t]) };
            let step = catch_unwind(AssertUnwindSafe(|| c.resume(())));
            // SAFETY: restoring what was current.
            unsafe { host::set_current(prev) };
            match step {
                Ok(CoroutineResult::Return(())) => {
                    returned[t] = true;
                    progressed = true;
                }
                Ok(CoroutineResult::Yield(Pause::Collective)) => progressed = true,
                Ok(CoroutineResult::Yield(Pause::Slice)) => {
                    let turn = slots[t].turn.borrow();
                    let seen = turn.seen.sorted();
                    if turn.wrote || seen.many || seen != last_seen[t] {
                        progressed = true;
                    } else {
                        spinning.push(at(t));
                    }
                    last_seen[t] = seen;
                }
                Err(payload) => {
                    let e = match payload.downcast_ref::<SharedLimit>() {
                        Some(l) => Error::LimitExceeded {
                            kernel,
                            what: "shared memory per block (static and dynamic), in bytes",
                            requested: l.requested as u64,
                            limit: l.limit as u64,
                            advice: "a GPU block declares at most 48 KiB of static shared \
                                     memory, and has its device's limit for static and dynamic \
                                     together; use smaller tiles or fewer shared arrays",
                        },
                        None => Error::KernelFault {
                            kernel,
                            block: block_at,
                            thread: at(t),
                            message: panic_text(payload.as_ref()),
                        },
                    };
                    return Err(Stop::Failed(e));
                }
            }
        }
        let live = returned.iter().filter(|&&r| !r).count();
        if live == 0 {
            return Ok(());
        }
        let warps = Warps {
            kernel,
            block: block_at,
            slots,
            returned: &returned,
        };
        progressed |= warps.settle().map_err(Stop::Failed)?;
        let at_barrier = (0..n)
            .filter(|&t| {
                matches!(
                    slots[t].call.get(),
                    Some(Collective::Barrier { .. } | Collective::Grid)
                )
            })
            .count();
        if at_barrier == live {
            if live < n {
                let missing = (0..n).filter(|&t| returned[t]).map(at).collect();
                return Err(Stop::Failed(Error::DivergentBarrier {
                    kernel,
                    block: block_at,
                    arrived: live,
                    missing,
                }));
            }
            let fault = |t: usize, message: String| {
                Stop::Failed(Error::KernelFault {
                    kernel,
                    block: block_at,
                    thread: at(t),
                    message,
                })
            };
            if open_barrier(slots).map_err(|(t, m)| fault(t, m))? {
                let Some(grid) = &launch.grid_barrier else {
                    return Err(fault(
                        0,
                        "grid_sync needs a cooperative launch (Grid::cooperative()): without \
                         one a GPU's blocks need not all be resident, and the barrier can hang"
                            .into(),
                    ));
                };
                match grid.wait(launch) {
                    Ok(()) => {}
                    Err(GridStop::Aborted) => return Err(Stop::Aborted),
                    Err(GridStop::Exited { block, blocks }) => {
                        return Err(fault(
                            0,
                            format!(
                                "grid_sync waits for {blocks} blocks that ended without reaching \
                                 it (block {block}, counting x fastest, first): on a GPU a hang"
                            ),
                        ));
                    }
                }
                for slot in slots {
                    slot.result.set(0);
                    slot.call.set(None);
                }
            }
            progressed = true;
        }
        if progressed {
            stalled = None;
            launch.epoch.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let waiting = (0..n)
            .filter(|&t| !returned[t] && slots[t].call.get().is_some())
            .count();
        if waiting == live {
            // Every live thread waits at a call that cannot complete.
            return Err(Stop::Failed(warps.stuck()));
        }
        // Every thread still running spins: wait for another block to
        // change something, or give up.
        let epoch = launch.epoch.load(Ordering::Relaxed);
        match stalled {
            Some((_, e)) if e != epoch => stalled = Some((Instant::now(), epoch)),
            Some((since, _)) if since.elapsed() >= launch.stall_timeout => {
                return Err(Stop::Failed(Error::Deadlock {
                    kernel,
                    block: block_at,
                    spinning: std::mem::take(&mut spinning),
                    millis: since.elapsed().as_millis() as u64,
                }));
            }
            Some(_) => {}
            None => stalled = Some((Instant::now(), epoch)),
        }
        // Let the OS run the other blocks' workers, which may hold the
        // thread this one waits for.
        std::thread::yield_now();
    }
}

/// Opens the barrier every thread of the block waits at: each gets the
/// barrier's result; `Ok(true)` if it is the grid barrier, which the
/// caller opens once every block is there. `Err` names the first thread
/// at a different kind of barrier than thread 0 (`sync_threads` beside
/// `sync_threads_count` or `grid_sync`), a mix the GPU leaves undefined.
fn open_barrier(slots: &[ThreadSlot<'_>]) -> std::result::Result<bool, (usize, String)> {
    let kind = |t: usize| match slots[t].call.get() {
        Some(Collective::Barrier { op, pred }) => (Some(op), pred),
        Some(Collective::Grid) => (None, false),
        other => unreachable!("thread {t} waits at a barrier, not {other:?}"),
    };
    let name = |op: Option<BarrierOp>| op.map_or("grid_sync", BarrierOp::name);
    let op = kind(0).0;
    if let Some(t) = (0..slots.len()).find(|&t| kind(t).0 != op) {
        return Err((
            t,
            format!(
                "this thread waits at {} while thread 0 waits at {}: every thread of a block \
                 must reach the same kind of barrier",
                name(kind(t).0),
                name(op)
            ),
        ));
    }
    let Some(op) = op else { return Ok(true) };
    let preds: Vec<bool> = (0..slots.len()).map(|t| kind(t).1).collect();
    let result = op.resolve(&preds).into();
    for slot in slots {
        slot.result.set(result);
        slot.call.set(None);
    }
    Ok(false)
}

/// The warps of one block, between two rounds.
struct Warps<'a, 'b> {
    kernel: &'static str,
    block: [u32; 3],
    slots: &'a [ThreadSlot<'b>],
    returned: &'a [bool],
}

impl Warps<'_, '_> {
    fn fault(&self, warp: usize, lanes: Vec<u32>, problem: String) -> Error {
        Error::WarpMisuse {
            kernel: self.kernel,
            block: self.block,
            warp: warp as u32,
            lanes,
            problem,
        }
    }

    /// Lane `l`'s warp call in warp `w`, if it waits at one.
    fn call(&self, w: usize, l: usize) -> Option<WarpCall> {
        match self.slots.get(32 * w + l)?.call.get() {
            Some(Collective::Warp(c)) => Some(c),
            _ => None,
        }
    }

    /// Completes every warp call whose lanes have all arrived with the
    /// same mask; `Ok(true)` if any did. `Err` for a call that is wrong
    /// whatever the other lanes do next.
    fn settle(&self) -> Result<bool> {
        let n = self.slots.len();
        let mut settled = false;
        for w in 0..n.div_ceil(32) {
            let lanes = (n - 32 * w).min(32);
            let slot = |l: usize| &self.slots[32 * w + l];
            // `activemask`: the lanes that reached it this round.
            let active = (0..lanes)
                .filter(|&l| slot(l).call.get() == Some(Collective::ActiveMask))
                .fold(0u32, |m, l| m | 1 << l);
            for l in lanes_of(active) {
                slot(l as usize).result.set(active.into());
                slot(l as usize).call.set(None);
                settled = true;
            }
            let calls: [Option<WarpCall>; 32] = std::array::from_fn(|l| self.call(w, l));
            let mut done = 0u32;
            for l in 0..lanes {
                let Some(call) = calls[l] else { continue };
                let (mask, name) = (call.mask, call.op.name());
                if done >> l & 1 == 1 {
                    continue;
                }
                if mask >> l & 1 == 0 {
                    return Err(self.fault(
                        w,
                        vec![l as u32],
                        format!("{name}'s mask {mask:#010x} does not name the calling lane"),
                    ));
                }
                let missing = mask & !lanes_mask(lanes);
                if missing != 0 {
                    return Err(self.fault(
                        w,
                        lanes_of(missing),
                        format!(
                            "{name}'s mask {mask:#010x} names lanes this warp of {lanes} does \
                             not have (the block ends inside it)"
                        ),
                    ));
                }
                let exited: u32 = lanes_of(mask)
                    .into_iter()
                    .filter(|&k| self.returned[32 * w + k as usize])
                    .fold(0, |m, k| m | 1 << k);
                if exited != 0 {
                    return Err(self.fault(
                        w,
                        lanes_of(exited),
                        format!(
                            "these lanes, named in {name}'s mask {mask:#010x}, exited without \
                             calling it"
                        ),
                    ));
                }
                let arrived = lanes_of(mask)
                    .into_iter()
                    .all(|k| calls[k as usize].is_some_and(|c| c.mask == mask));
                if !arrived {
                    continue;
                }
                let results = call
                    .resolve(&calls, lanes)
                    .map_err(|f| self.fault(w, f.lanes, f.problem))?;
                for k in lanes_of(mask) {
                    let slot = &self.slots[32 * w + k as usize];
                    slot.result.set(results[k as usize]);
                    slot.call.set(None);
                }
                done |= mask;
                settled = true;
            }
        }
        Ok(settled)
    }

    /// Why no call can complete when every live thread waits: the first
    /// warp call, and what the lanes of its mask that did not join it wait
    /// at instead.
    fn stuck(&self) -> Error {
        let n = self.slots.len();
        for w in 0..n.div_ceil(32) {
            for l in 0..(n - 32 * w).min(32) {
                let Some(call) = self.call(w, l) else {
                    continue;
                };
                let (mask, name) = (call.mask, call.op.name());
                let mut lanes = Vec::new();
                let mut elsewhere = Vec::new();
                for k in lanes_of(mask) {
                    let at = match self.slots[32 * w + k as usize].call.get() {
                        Some(Collective::Warp(c)) if c.mask == mask => continue,
                        Some(Collective::Warp(c)) => {
                            format!("{} with mask {:#010x}", c.op.name(), c.mask)
                        }
                        Some(Collective::Barrier { op, .. }) => op.name().to_string(),
                        Some(Collective::Grid) => "grid_sync".to_string(),
                        Some(Collective::ActiveMask) => "activemask".to_string(),
                        None => "no call (it has returned)".to_string(),
                    };
                    lanes.push(k);
                    elsewhere.push(format!("lane {k} at {at}"));
                }
                return self.fault(
                    w,
                    lanes,
                    format!(
                        "{name} with mask {mask:#010x} waits for these lanes, which wait \
                         elsewhere ({}): on a GPU a hang",
                        elsewhere.join(", ")
                    ),
                );
            }
        }
        unreachable!("every live thread waits, and the barrier did not open: a warp call waits")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_keeps_its_size_and_a_block_its_48_kib() {
        let m = SharedMemory::new(0, MAX_BLOCK_SHARED_BYTES);
        let p = m.get(1, 64, 8);
        assert_eq!(m.get(1, 64, 8), p, "one array per key");
        assert_eq!(m.get(1, 60, 4), p, "a smaller view of it");
        // A larger size under the same key would hand out too few bytes.
        let wider = catch_unwind(AssertUnwindSafe(|| m.get(1, 72, 8)));
        assert!(wider.is_err());
        m.get(2, MAX_SHARED_BYTES - 64, 8);
        let over = catch_unwind(AssertUnwindSafe(|| m.get(3, 1, 8))).unwrap_err();
        assert_eq!(
            over.downcast_ref::<SharedLimit>()
                .map(|l| (l.requested, l.limit)),
            Some((MAX_SHARED_BYTES + 8, MAX_SHARED_BYTES))
        );
        // With 200 KiB of dynamic memory, 27 KiB is left of 227 KiB.
        let m = SharedMemory::new(200 << 10, MAX_BLOCK_SHARED_BYTES);
        m.get(DYNAMIC_KEY, 200 << 10, 8);
        m.get(1, 27 << 10, 8);
        let over = catch_unwind(AssertUnwindSafe(|| m.get(2, 8, 8))).unwrap_err();
        assert_eq!(
            over.downcast_ref::<SharedLimit>()
                .map(|l| (l.requested, l.limit)),
            Some((MAX_BLOCK_SHARED_BYTES + 8, MAX_BLOCK_SHARED_BYTES))
        );
        // Zeroed, and as many bytes as asked for.
        // SAFETY: key 1's array holds 64 bytes, 8-aligned.
        let words = unsafe { std::slice::from_raw_parts_mut(p.cast::<u64>(), 8) };
        assert_eq!(words, [0; 8]);
        words[7] = 1;
    }
}
