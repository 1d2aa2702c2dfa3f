//! Block-wide collectives built on shared memory and the barrier, for any
//! kernel (the built-ins' reductions are the same pattern).

use crate::elem::DeviceCopy;
use crate::index::{block_dim, sync_threads, thread_idx};

/// Most threads a block has (CUDA's limit): the reduction's slots.
const SLOTS: usize = 1024;

/// Combines one value from every thread of the block with `op` and
/// returns the block's result to every thread: `block_reduce(x, |a, b| a +
/// b)` is the block's sum. `op` must be associative; it is applied in a
/// fixed tree (thread `t` with `t + s` for `s` = half the block rounded up
/// to a power of two, then half that, down to 1), so a block of a given
/// shape gives the same bits on every run, on the GPU as in the simulator.
///
/// Every thread of the block must call it, as it must reach a
/// [`sync_threads`] (it contains several); two calls in a row are fine.
/// Its 8 KiB of shared memory (one `u64` slot per thread, holding a value's
/// bits) count toward the block's 48 KiB.
#[inline(always)]
pub fn block_reduce<T: DeviceCopy>(value: T, op: impl Fn(T, T) -> T) -> T {
    let slots = crate::shared_array!(u64, SLOTS);
    let (t, d) = (thread_idx(), block_dim());
    let n = d.count() as usize;
    let me = t.x as usize + d.x as usize * (t.y as usize + d.y as usize * t.z as usize);
    // A previous call's threads may still be reading slot 0.
    sync_threads();
    slots.set(me, value.to_raw());
    sync_threads();
    let mut stride = n.next_power_of_two() / 2;
    while stride > 0 {
        if me < stride && me + stride < n {
            let (a, b) = (
                T::from_raw(slots.get(me)),
                T::from_raw(slots.get(me + stride)),
            );
            slots.set(me, op(a, b).to_raw());
        }
        sync_threads();
        stride /= 2;
    }
    T::from_raw(slots.get(0))
}
