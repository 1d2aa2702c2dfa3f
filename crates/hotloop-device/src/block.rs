//! Block-wide collectives built on the warp's shuffles, shared memory for
//! the warps' partials, and the barrier: any kernel's, and the built-ins'
//! reductions (max, min, count, Monte Carlo hits).

use crate::elem::DeviceCopy;
use crate::index::{block_dim, thread_rank};
use crate::sync::sync_threads;
use crate::warp::{WARP_SIZE, shfl_sync, shfl_up_sync};

/// Most warps a block has (1024 threads): one shared slot each, and one
/// more for the block's result.
const WARPS: usize = 32;

/// Where this thread sits: its lane, its warp, the lanes its warp has and
/// the warps the block has.
struct Place {
    lane: u32,
    warp: usize,
    lanes: u32,
    warps: u32,
}

impl Place {
    #[inline(always)]
    fn here() -> Self {
        let n = block_dim().count() as usize;
        let me = thread_rank();
        let w = WARP_SIZE as usize;
        Place {
            lane: (me % w) as u32,
            warp: me / w,
            lanes: (n - me / w * w).min(w) as u32,
            warps: n.div_ceil(w) as u32,
        }
    }
}

/// The mask of lanes `0..lanes`.
#[inline(always)]
fn mask_of(lanes: u32) -> u32 {
    if lanes >= 32 {
        u32::MAX
    } else {
        (1u32 << lanes) - 1
    }
}

/// `op` over lanes `0..lanes` into lane 0, every lane of `mask` (which
/// holds those) taking part: lane `l` combines with lane `l + s` for `s` =
/// 16, 8, 4, 2, 1 where `l + s < lanes`. The tree depends only on
/// `lanes`.
#[inline(always)]
fn warp_reduce<T: DeviceCopy>(
    v: T,
    lane: u32,
    mask: u32,
    lanes: u32,
    op: &impl Fn(T, T) -> T,
) -> T {
    let mut v = v;
    let mut s = WARP_SIZE / 2;
    while s > 0 {
        // A lane whose partner is past the warp's end reads itself: an
        // index shuffle, so that no lane reads outside the mask.
        let src = if lane + s < lanes { lane + s } else { lane };
        let other = shfl_sync(mask, v, src);
        if lane + s < lanes {
            v = op(v, other);
        }
        s /= 2;
    }
    v
}

/// Combines one value from every thread of the block with `op` and
/// returns the block's result to every thread: `block_reduce(x, |a, b| a +
/// b)` is the block's sum. `op` must be associative; it is applied in a
/// fixed tree, each warp's lanes by shuffles (lane `l` with lane `l + s`,
/// `s` = 16, 8, 4, 2, 1), then the warps' results in warp 0 the same way,
/// so a block of a given shape gives the same bits on every run, on the
/// GPU as in the simulator (`hotloop_core::reduce::block_tree` states the
/// tree for the host).
///
/// Every thread of the block must call it, as it must reach a
/// [`sync_threads`] (it contains two; two calls in a row are fine). Its
/// shared memory is 33 `u64` slots (264 bytes) of the block's 48 KiB.
#[inline(always)]
pub fn block_reduce<T: DeviceCopy>(value: T, op: impl Fn(T, T) -> T) -> T {
    let slots = crate::shared_array!(u64, WARPS + 1);
    let p = Place::here();
    let mask = mask_of(p.lanes);
    let v = warp_reduce(value, p.lane, mask, p.lanes, &op);
    if p.lane == 0 {
        slots.set(p.warp, v.to_raw());
    }
    sync_threads();
    if p.warp == 0 {
        let partial = if p.lane < p.warps {
            T::from_raw(slots.get(p.lane as usize))
        } else {
            value
        };
        let total = warp_reduce(partial, p.lane, mask, p.warps, &op);
        if p.lane == 0 {
            slots.set(WARPS, total.to_raw());
        }
    }
    sync_threads();
    let total = T::from_raw(slots.get(WARPS));
    // The next call's warp 0 writes the slots only after its first
    // barrier, which every thread reaches after this read.
    total
}

/// Thread `i`'s inclusive prefix `x0 op x1 op ... op xi` over the block's
/// threads in [`thread_rank`] order (CUB's `InclusiveScan`; a block-wide
/// Numba `cumsum`). `op` must be associative. Each warp scans by shuffles
/// (`shfl_up_sync` by 1, 2, 4, 8, 16), warp 0 scans the warps' totals, and
/// each warp adds its predecessors' total: a fixed order for a block's
/// shape. Every thread of the block must call it; 33 `u64` slots of shared
/// memory.
#[inline(always)]
pub fn block_scan<T: DeviceCopy>(value: T, op: impl Fn(T, T) -> T) -> T {
    scan(value, &op).0
}

/// Thread `i`'s exclusive prefix `init op x0 op ... op x(i-1)`, `init`
/// for thread 0 (CUB's `ExclusiveScan` with an initial value): the
/// offsets at which each thread writes its `xi` items in a block-wide
/// compaction, with `init` 0 and `+`. As [`block_scan`] otherwise.
#[inline(always)]
pub fn block_scan_exclusive<T: DeviceCopy>(value: T, init: T, op: impl Fn(T, T) -> T) -> T {
    match scan(value, &op).1 {
        Some(before) => op(init, before),
        None => init,
    }
}

/// This thread's inclusive prefix, and the previous thread's (none for
/// thread 0).
#[inline(always)]
fn scan<T: DeviceCopy>(value: T, op: &impl Fn(T, T) -> T) -> (T, Option<T>) {
    let slots = crate::shared_array!(u64, WARPS + 1);
    let p = Place::here();
    let mask = mask_of(p.lanes);
    let v = warp_scan(value, p.lane, mask, op);
    if p.lane + 1 == p.lanes {
        slots.set(p.warp, v.to_raw());
    }
    sync_threads();
    if p.warp == 0 {
        let w = if p.lane < p.warps {
            T::from_raw(slots.get(p.lane as usize))
        } else {
            value
        };
        // Warp 0 scans the totals of the warps in place: slot `k` becomes
        // the total of warps `0..=k`.
        let lanes = p.warps.min(p.lanes);
        let scanned = warp_scan(w, p.lane, mask, op);
        if p.lane < lanes {
            slots.set(p.lane as usize, scanned.to_raw());
        }
    }
    sync_threads();
    // The warps before this one, then this warp's lanes up to this one.
    let before_warp = (p.warp > 0).then(|| T::from_raw(slots.get(p.warp - 1)));
    let inclusive = match before_warp {
        Some(b) => op(b, v),
        None => v,
    };
    // The previous lane's prefix in the warp, by one more shuffle.
    let prev_in_warp = shfl_up_sync(mask, v, 1);
    let before = if p.lane > 0 {
        Some(match before_warp {
            Some(b) => op(b, prev_in_warp),
            None => prev_in_warp,
        })
    } else {
        before_warp
    };
    // Before the next call's first barrier, every thread has read.
    sync_threads();
    (inclusive, before)
}

/// Lane `l`'s inclusive prefix over the lanes of `mask` (`0..lanes`), by
/// `shfl_up_sync`, which reads a lane below or the lane itself.
#[inline(always)]
fn warp_scan<T: DeviceCopy>(v: T, lane: u32, mask: u32, op: &impl Fn(T, T) -> T) -> T {
    let mut v = v;
    let mut d = 1;
    while d < WARP_SIZE {
        let other = shfl_up_sync(mask, v, d);
        if lane >= d {
            v = op(other, v);
        }
        d *= 2;
    }
    v
}
