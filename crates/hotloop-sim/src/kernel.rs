//! Any `#[kernel]` on the simulator, with CUDA's semantics: every thread
//! of a block live at once, `sync_threads` a real barrier, shared memory per
//! block, atomics atomic, blocks in parallel across cores.
//!
//! Each simulated thread is a stackful coroutine (`corosensei`), the
//! equivalent of Numba's CUDA simulator's thread per CUDA thread without an
//! OS thread each: a block's threads run in turn until each returns or
//! suspends at `sync_threads`, and the barrier opens when every thread of
//! the block waits at it. Beyond Numba's simulator, a barrier that only part
//! of a block reaches is an [`Error::DivergentBarrier`] naming the threads
//! that did not arrive (never a hang), and an index out of bounds, of a
//! slice, an [`Out`](hotloop_device::Out) or a shared array, is an
//! [`Error::KernelFault`] naming the kernel, block and thread (never a
//! silent write).
//!
//! ```ignore
//! let sim = Simulator::new();
//! let d_in = sim.to_device(&input);
//! let mut d_out = sim.device_array_like(&d_in);
//! add_two::launch(&sim, (blocks, threads), &d_in, &mut d_out)?;
//! sim.synchronize();
//! let out = d_out.copy_to_host();
//! ```

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult, Yielder};
use hotloop_device::host::{self, Args, Block, Buffer, Grid, KernelInfo, Launcher, SimThread};
use hotloop_device::{DeviceCopy, Dim3};
use hotloop_runtime::{Error, Result};
use rayon::prelude::*;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;

/// Stack of one simulated thread (virtual memory; only what it touches is
/// committed).
const STACK_BYTES: usize = 256 << 10;

/// The simulator as a [`Launcher`]: `my_kernel::launch(&Simulator::new(),
/// grid, ...)` runs any `#[kernel]`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Simulator;

impl Simulator {
    /// The simulator.
    pub const fn new() -> Self {
        Simulator
    }

    /// A simulated device copy of `host` (`cuda.to_device`).
    pub fn to_device<T: DeviceCopy>(&self, host: &[T]) -> SimArray<T> {
        SimArray {
            data: host.to_vec(),
        }
    }

    /// A zeroed array of `len` elements (`cuda.device_array`).
    pub fn device_array<T: DeviceCopy>(&self, len: usize) -> SimArray<T> {
        SimArray {
            data: vec![T::from_raw(0); len],
        }
    }

    /// A zeroed array with `like`'s length (`cuda.device_array_like`).
    pub fn device_array_like<T: DeviceCopy>(&self, like: &SimArray<T>) -> SimArray<T> {
        self.device_array(like.data.len())
    }

    /// Waits for the launches so far (`cuda.synchronize()`): the simulator
    /// runs each launch to its end, so there is nothing to wait for.
    pub fn synchronize(&self) {}
}

/// An array in the simulator's "device memory" (host memory).
#[derive(Clone, Debug, PartialEq)]
pub struct SimArray<T> {
    data: Vec<T>,
}

impl<T: DeviceCopy> SimArray<T> {
    /// A host copy (`copy_to_host()`).
    pub fn copy_to_host(&self) -> Vec<T> {
        self.data.clone()
    }

    /// The elements, without a copy.
    pub fn as_slice(&self) -> &[T] {
        &self.data
    }
}

impl<T: DeviceCopy> Buffer<T> for SimArray<T> {
    fn addr(&self) -> u64 {
        self.data.as_ptr() as u64
    }
    fn len(&self) -> usize {
        self.data.len()
    }
}

// SAFETY: `body` runs only on this simulator's arrays, which are host
// memory borrowed for the whole launch (by the typed launcher's
// signature), and only from simulated threads made current first.
unsafe impl Launcher for Simulator {
    type Array<T: DeviceCopy> = SimArray<T>;
    type Run = ();
    type Error = Error;

    fn launch(
        &self,
        kernel: &'static KernelInfo,
        grid: Grid,
        args: &Args,
        body: &(dyn Fn(&Args) + Sync),
    ) -> Result<()> {
        grid.check().map_err(Error::InvalidLaunch)?;
        let (bx, by) = (grid.blocks.x as u64, grid.blocks.y as u64);
        (0..grid.blocks.count()).into_par_iter().try_for_each(|b| {
            let block = Dim3::new(
                (b % bx) as u32,
                (b / bx % by) as u32,
                (b / (bx * by)) as u32,
            );
            run_block(kernel, grid, block, args, body)
        })
    }
}

/// One simulated thread's link to its block: its own barrier (suspending
/// its coroutine) and the block's shared memory.
struct ThreadSlot<'b> {
    yielder: Cell<*const Yielder<(), ()>>,
    shared: &'b SharedMemory,
}

// SAFETY: a slot is only used by the OS thread running its block.
unsafe impl Sync for ThreadSlot<'_> {}

impl Block for ThreadSlot<'_> {
    fn sync_threads(&self) {
        let y = self.yielder.get();
        assert!(!y.is_null(), "sync_threads outside a simulated thread");
        // SAFETY: set by the coroutine at its start; it lives as long as
        // the coroutine, which is the caller.
        unsafe { &*y }.suspend(());
    }

    fn shared(&self, key: u64, bytes: usize, align: usize) -> *mut u8 {
        self.shared.get(key, bytes, align)
    }
}

/// A block's shared arrays, by key, zeroed on first use.
#[derive(Default)]
struct SharedMemory {
    arrays: Mutex<HashMap<u64, Box<[u64]>>>,
}

impl SharedMemory {
    fn get(&self, key: u64, bytes: usize, align: usize) -> *mut u8 {
        assert!(align <= 8, "shared arrays are aligned to 8 bytes");
        let mut arrays = self.arrays.lock().unwrap_or_else(|e| e.into_inner());
        let words = bytes.div_ceil(8).max(1);
        arrays
            .entry(key)
            .or_insert_with(|| vec![0u64; words].into_boxed_slice())
            .as_mut_ptr()
            .cast()
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

type Thread = Coroutine<(), (), (), DefaultStack>;

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
    kernel: &'static KernelInfo,
    grid: Grid,
    block: Dim3,
    args: &Args,
    body: &(dyn Fn(&Args) + Sync),
) -> Result<()> {
    let dim = grid.threads;
    let n = dim.count() as usize;
    let shared = SharedMemory::default();
    let slots: Vec<ThreadSlot<'_>> = (0..n)
        .map(|_| ThreadSlot {
            yielder: Cell::new(std::ptr::null()),
            shared: &shared,
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
            grid_dim: grid.blocks,
            ctx: &slots[t],
        })
        .collect();
    let mut threads: Vec<Option<Thread>> = Vec::with_capacity(n);
    for slot in &slots {
        let stack = take_stack()?;
        let yielder = &slot.yielder;
        // SAFETY: the closure borrows `args`, `body` and `slot`, which all
        // outlive the coroutine: every coroutine is driven to its end or
        // dropped before this function returns.
        let c = unsafe {
            Coroutine::with_stack_unchecked(stack, move |y: &Yielder<(), ()>, ()| {
                yielder.set(y);
                body(args);
            })
        };
        threads.push(Some(c));
    }
    let result = schedule(kernel, block, &states, &mut threads);
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

/// Runs the block's threads in turn, barrier phase by barrier phase.
fn schedule(
    kernel: &'static KernelInfo,
    block: Dim3,
    states: &[SimThread<'_>],
    threads: &mut [Option<Thread>],
) -> Result<()> {
    let n = threads.len();
    let mut returned = vec![false; n];
    loop {
        let mut waiting = 0;
        for t in 0..n {
            if returned[t] {
                continue;
            }
            let c = threads[t].as_mut().expect("live until the block ends");
            // SAFETY: `states[t]` outlives the resume.
            let prev = unsafe { host::set_current(&states[t]) };
            let step = catch_unwind(AssertUnwindSafe(|| c.resume(())));
            // SAFETY: restoring what was current.
            unsafe { host::set_current(prev) };
            match step {
                Ok(CoroutineResult::Yield(())) => waiting += 1,
                Ok(CoroutineResult::Return(())) => returned[t] = true,
                Err(payload) => {
                    let th = states[t].thread;
                    return Err(Error::KernelFault {
                        kernel: kernel.name,
                        block: [block.x, block.y, block.z],
                        thread: [th.x, th.y, th.z],
                        message: panic_text(payload.as_ref()),
                    });
                }
            }
        }
        if waiting == 0 {
            return Ok(());
        }
        if returned.iter().any(|&r| r) {
            let missing = (0..n)
                .filter(|&t| returned[t])
                .map(|t| {
                    let th = states[t].thread;
                    [th.x, th.y, th.z]
                })
                .collect();
            return Err(Error::DivergentBarrier {
                kernel: kernel.name,
                block: [block.x, block.y, block.z],
                arrived: waiting,
                missing,
            });
        }
        // Every thread waits: the barrier opens.
    }
}
