//! The simulated thread running on this OS thread, and what its block
//! provides: the state the device functions read on the host (indices,
//! the barrier, shared memory, scheduling at shared accesses), public
//! through `host`. A module apart from the launch arguments (`host`, which
//! name `Out`), so that `Out`'s own accesses reach the running thread
//! without a circle of imports.

use crate::collective::Collective;
use crate::dim::Dim3;
use std::cell::Cell;

/// What a simulated thread's block provides: the barrier and the warps'
/// calls ([`Collective`]), shared memory, and a say in scheduling at each
/// access to memory other threads write.
///
/// The simulator's blocks implement it; the smallest is a block of one
/// thread, which device code can then run on directly:
///
/// ```rust
/// use hotloop_device::host::{Block, Collective, SimThread, set_current};
/// use hotloop_device::{Dim3, shared_array, sync_threads, thread_idx};
/// use std::{collections::HashMap, sync::Mutex};
///
/// /// One thread: the barrier and the warp calls wait for nobody; shared
/// /// arrays by key, zeroed.
/// #[derive(Default)]
/// struct Solo(Mutex<HashMap<u64, Box<[u64]>>>);
///
/// // SAFETY: `shared` returns `bytes` zeroed bytes, 8-aligned, that stay
/// // put (a Box) while the block lives, whatever is asked of it later.
/// unsafe impl Block for Solo {
///     fn collective(&self, call: Collective) -> u64 {
///         call.alone()
///     }
///     fn shared(&self, key: u64, bytes: usize, align: usize) -> *mut u8 {
///         assert!(align <= 8); // u64 words: 8-aligned
///         let mut arrays = self.0.lock().unwrap();
///         let words = arrays.entry(key).or_insert_with(|| vec![0; bytes.div_ceil(8)].into());
///         assert!(words.len() * 8 >= bytes, "key {key} asked for two sizes");
///         words.as_mut_ptr().cast() // a Box: stays put as the map grows
///     }
/// }
///
/// let (block, one, origin) = (Solo::default(), Dim3::from(1), Dim3::default());
/// let t = SimThread {
///     thread: origin,
///     block: origin,
///     block_dim: one,
///     grid_dim: one,
///     dynamic_shared_bytes: 0,
///     ctx: &block,
/// };
/// // SAFETY: `t` outlives its time as the current thread, reset below.
/// unsafe { set_current(&t) };
/// let a = shared_array!(u32, 4);
/// a.set(thread_idx().x as usize, 7);
/// sync_threads();
/// assert_eq!((a.get(0), a.get(1)), (7, 0));
/// assert_eq!(hotloop_device::ballot_sync(1, true), 1);
/// // SAFETY: null: no simulated thread.
/// unsafe { set_current(core::ptr::null()) };
/// ```
///
/// # Safety
/// [`Block::shared`] returns memory that safe device code then reads and
/// writes through [`crate::SharedArray`]: it must be valid for `bytes`
/// bytes, aligned to `align`, initialised, and stay valid and in place for
/// as long as the block runs.
pub unsafe trait Block: Sync {
    /// The calling thread's part in a call of its block or warp: suspends
    /// it until every thread the call names has made its part (a barrier:
    /// the block; a warp call: the lanes of its mask), then returns its
    /// result ([`Collective`]'s variants say which). A call that can never
    /// complete does not return: the simulator ends the launch with an
    /// error naming the threads.
    fn collective(&self, call: Collective) -> u64;
    /// The block's shared array `key` of `bytes` bytes (zeroed on first
    /// use, aligned to `align`).
    fn shared(&self, key: u64, bytes: usize, align: usize) -> *mut u8;
    /// The running thread read (`wrote: false`) or wrote the element at
    /// `addr` of an array other threads may write ([`crate::Out`], a shared
    /// array), leaving or finding `bits` there. A thread spinning on such
    /// an element waits for another thread; the simulator uses these calls
    /// to let the others run, and to find a wait nothing will end. The
    /// default does nothing (a block of one thread has no one to wait for).
    fn access(&self, addr: usize, bits: u64, wrote: bool) {
        let _ = (addr, bits, wrote);
    }
}

/// Where a simulated thread sits, and its block.
pub struct SimThread<'a> {
    /// `threadIdx`.
    pub thread: Dim3,
    /// `blockIdx`.
    pub block: Dim3,
    /// `blockDim`.
    pub block_dim: Dim3,
    /// `gridDim`.
    pub grid_dim: Dim3,
    /// The launch's dynamic shared memory, in bytes.
    pub dynamic_shared_bytes: usize,
    /// The block.
    pub ctx: &'a dyn Block,
}

impl SimThread<'_> {
    /// The thread's index in its block in one number, `x` fastest: its
    /// warp is this over 32, its lane this modulo 32.
    pub fn linear(&self) -> usize {
        let (t, d) = (self.thread, self.block_dim);
        t.x as usize + d.x as usize * (t.y as usize + d.y as usize * t.z as usize)
    }

    /// The thread's part in `call` ([`Block::collective`]).
    pub fn collective(&self, call: Collective) -> u64 {
        self.ctx.collective(call)
    }

    /// The block's shared array `key`.
    pub fn shared(&self, key: u64, bytes: usize, align: usize) -> *mut u8 {
        self.ctx.shared(key, bytes, align)
    }
}

/// Tells the running simulated thread's block (if any: device code may run
/// on plain host threads too, as `Out::from_slice` allows) of an access to
/// memory other threads write; see [`Block::access`].
#[inline]
pub fn access(addr: usize, bits: u64, wrote: bool) {
    let p = CURRENT.with(Cell::get);
    if !p.is_null() {
        // SAFETY: as in `with_current`.
        unsafe { &*p }.ctx.access(addr, bits, wrote);
    }
}

std::thread_local! {
    static CURRENT: Cell<*const SimThread<'static>> = const { Cell::new(core::ptr::null()) };
}

/// Makes `t` the simulated thread the device functions on this OS thread
/// see (null: none); returns the previous one.
///
/// # Safety
/// `t` stays valid until it is replaced.
pub unsafe fn set_current(t: *const SimThread<'_>) -> *const SimThread<'static> {
    CURRENT.with(|c| c.replace(t.cast()))
}

/// Calls `f` with the simulated thread running on this OS thread.
///
/// # Panics
/// Outside a simulated launch: a device function called from host code.
pub fn with_current<R>(f: impl FnOnce(&SimThread<'_>) -> R) -> R {
    let p = CURRENT.with(Cell::get);
    assert!(
        !p.is_null(),
        "a device function (thread_idx, sync_threads, shared_array!, ...) was called outside a \
         kernel launch; launch the kernel on the simulator or a GPU"
    );
    // SAFETY: `set_current`'s contract keeps it valid while it is current,
    // which covers this call: only the simulator replaces it, between the
    // steps of its threads.
    f(unsafe { &*p })
}
