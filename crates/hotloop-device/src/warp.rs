//! The warp: 32 lanes that exchange values without shared memory
//! (Numba's `cuda.shfl_*_sync`, `cuda.ballot_sync`, `cuda.activemask`, ...).
//!
//! Every `_sync` call names the lanes taking part in a mask, the caller's
//! own among them; each lane of the mask must make the same call (a
//! shuffle's lane or offset may differ from lane to lane). On the GPU these
//! are the PTX instructions, and a mask that breaks the rule is undefined
//! behaviour, silently. The simulator runs a warp's lanes in lockstep at
//! each call and reports a lane of the mask that exits or waits elsewhere,
//! a mask naming lanes the block does not have, and a shuffle from a lane
//! outside the mask, as an error naming the kernel, block, warp and lanes.
//!
//! A thread's warp is its linear index in the block (`x` fastest) over 32,
//! its lane that index modulo 32; a block whose thread count is not a
//! multiple of 32 ends with a partial warp, whose masks name only the
//! lanes it has.

use crate::elem::DeviceCopy;

/// Lanes in a warp, on every NVIDIA GPU (Numba's `cuda.warpsize`).
pub const WARP_SIZE: u32 = 32;

/// A mask naming every lane of a full warp.
pub const FULL_MASK: u32 = u32::MAX;

#[cfg(target_arch = "nvptx64")]
mod imp {
    use core::arch::asm;

    #[inline(always)]
    pub fn lane_id() -> u32 {
        let r: u32;
        // SAFETY: reading a special register.
        unsafe { asm!("mov.u32 {r}, %laneid;", r = out(reg32) r, options(pure, nomem, nostack)) };
        r
    }

    #[inline(always)]
    pub fn lanemask_lt() -> u32 {
        let r: u32;
        // SAFETY: as above.
        unsafe {
            asm!("mov.u32 {r}, %lanemask_lt;", r = out(reg32) r, options(pure, nomem, nostack))
        };
        r
    }

    #[inline(always)]
    pub fn activemask() -> u32 {
        let r: u32;
        // SAFETY: reads which lanes execute together; not `pure`, as it
        // changes with divergence.
        unsafe { asm!("activemask.b32 {r};", r = out(reg32) r, options(nomem, nostack)) };
        r
    }

    macro_rules! shfl {
        ($name:ident, $mode:literal) => {
            #[inline(always)]
            pub fn $name(mask: u32, x: u32, b: u32, c: u32) -> u32 {
                let r: u32;
                // SAFETY: the lanes of `mask` exchange registers; the
                // caller is among them (the function's contract in the
                // public API, checked in the simulator).
                unsafe {
                    asm!(
                        concat!("shfl.sync.", $mode, ".b32 {r}, {x}, {b}, {c}, {m};"),
                        r = out(reg32) r,
                        x = in(reg32) x,
                        b = in(reg32) b,
                        c = in(reg32) c,
                        m = in(reg32) mask,
                        options(nostack),
                    )
                };
                r
            }
        };
    }
    shfl!(shfl_idx, "idx");
    shfl!(shfl_up, "up");
    shfl!(shfl_down, "down");
    shfl!(shfl_bfly, "bfly");

    macro_rules! vote {
        ($name:ident, $mode:literal) => {
            #[inline(always)]
            pub fn $name(mask: u32, pred: bool) -> bool {
                let r: u32;
                // SAFETY: as the shuffles.
                unsafe {
                    asm!(
                        concat!(
                            "{{ .reg .pred %p, %q; setp.ne.u32 %p, {x}, 0; vote.sync.",
                            $mode,
                            ".pred %q, %p, {m}; selp.u32 {r}, 1, 0, %q; }}"
                        ),
                        r = out(reg32) r,
                        x = in(reg32) pred as u32,
                        m = in(reg32) mask,
                        options(nostack),
                    )
                };
                r != 0
            }
        };
    }
    vote!(all, "all");
    vote!(any, "any");
    vote!(uni, "uni");

    #[inline(always)]
    pub fn ballot(mask: u32, pred: bool) -> u32 {
        let r: u32;
        // SAFETY: as the shuffles.
        unsafe {
            asm!(
                "{{ .reg .pred %p; setp.ne.u32 %p, {x}, 0; vote.sync.ballot.b32 {r}, %p, {m}; }}",
                r = out(reg32) r,
                x = in(reg32) pred as u32,
                m = in(reg32) mask,
                options(nostack),
            )
        };
        r
    }

    #[inline(always)]
    pub fn match_any(mask: u32, x: u64, wide: bool) -> u32 {
        let r: u32;
        // SAFETY: as the shuffles.
        unsafe {
            if wide {
                asm!("match.any.sync.b64 {r}, {x}, {m};", r = out(reg32) r, x = in(reg64) x,
                     m = in(reg32) mask, options(nostack))
            } else {
                asm!("match.any.sync.b32 {r}, {x}, {m};", r = out(reg32) r, x = in(reg32) x as u32,
                     m = in(reg32) mask, options(nostack))
            }
        };
        r
    }

    #[inline(always)]
    pub fn match_all(mask: u32, x: u64, wide: bool) -> u32 {
        let r: u32;
        // SAFETY: as the shuffles. The predicate output is left out: the
        // mask is 0 exactly when it is false.
        unsafe {
            if wide {
                asm!("match.all.sync.b64 {r}, {x}, {m};", r = out(reg32) r, x = in(reg64) x,
                     m = in(reg32) mask, options(nostack))
            } else {
                asm!("match.all.sync.b32 {r}, {x}, {m};", r = out(reg32) r, x = in(reg32) x as u32,
                     m = in(reg32) mask, options(nostack))
            }
        };
        r
    }

    #[inline(always)]
    pub fn syncwarp(mask: u32) {
        // SAFETY: as the shuffles.
        unsafe { asm!("bar.warp.sync {m};", m = in(reg32) mask, options(nostack)) }
    }
}

#[cfg(not(target_arch = "nvptx64"))]
mod imp {
    use crate::collective::{Collective, ShflMode, WarpCall, WarpOp};
    use crate::sim_thread::with_current;

    fn call(mask: u32, op: WarpOp, value: u64) -> u64 {
        with_current(|t| t.collective(Collective::Warp(WarpCall { mask, op, value })))
    }

    pub fn lane_id() -> u32 {
        with_current(|t| t.linear() % 32) as u32
    }
    pub fn lanemask_lt() -> u32 {
        (1u32 << lane_id()) - 1
    }
    pub fn activemask() -> u32 {
        with_current(|t| t.collective(Collective::ActiveMask)) as u32
    }
    pub fn shuffle(mode: ShflMode, mask: u32, x: u64, b: u32, c: u32) -> u64 {
        call(mask, WarpOp::Shfl { mode, b, c }, x)
    }
    pub fn vote(op: WarpOp, mask: u32, pred: bool) -> u32 {
        call(mask, op, pred.into()) as u32
    }
    pub fn matching(op: WarpOp, mask: u32, x: u64) -> u32 {
        call(mask, op, x) as u32
    }
    pub fn syncwarp(mask: u32) {
        call(mask, WarpOp::Sync, 0);
    }
}

/// The modes of a shuffle, for both targets.
#[derive(Clone, Copy)]
enum Mode {
    Idx,
    Up,
    Down,
    Bfly,
}

/// A shuffle of any element type: one 32-bit exchange, or two for a 64-bit
/// type (CUDA's `__shfl_sync` of a `double` is the same pair).
#[inline(always)]
fn shuffle<T: DeviceCopy>(mode: Mode, mask: u32, value: T, b: u32) -> T {
    // `c`: the whole warp is one segment; the clamp lane is 31, except for
    // `up`, whose bound is the segment's first lane, 0.
    let c = if matches!(mode, Mode::Up) { 0 } else { 0x1f };
    #[cfg(target_arch = "nvptx64")]
    {
        let f = match mode {
            Mode::Idx => imp::shfl_idx,
            Mode::Up => imp::shfl_up,
            Mode::Down => imp::shfl_down,
            Mode::Bfly => imp::shfl_bfly,
        };
        let raw = value.to_raw();
        let lo = f(mask, raw as u32, b, c) as u64;
        let hi = if core::mem::size_of::<T>() > 4 {
            (f(mask, (raw >> 32) as u32, b, c) as u64) << 32
        } else {
            0
        };
        T::from_raw(lo | hi)
    }
    #[cfg(not(target_arch = "nvptx64"))]
    {
        use crate::collective::ShflMode;
        let mode = match mode {
            Mode::Idx => ShflMode::Idx,
            Mode::Up => ShflMode::Up,
            Mode::Down => ShflMode::Down,
            Mode::Bfly => ShflMode::Bfly,
        };
        T::from_raw(imp::shuffle(mode, mask, value.to_raw(), b, c))
    }
}

/// This thread's lane in its warp, 0 to 31 (Numba's `cuda.laneid`).
#[inline(always)]
pub fn lane_id() -> u32 {
    imp::lane_id()
}

/// [`WARP_SIZE`], as a function (Numba's `cuda.warpsize`).
#[inline(always)]
pub const fn warp_size() -> u32 {
    WARP_SIZE
}

/// The lanes below this one (`%lanemask_lt`; Numba's `cuda.lanemask_lt()`):
/// with [`ballot_sync`] and [`popc`](crate::popc), a lane's rank among the
/// lanes whose predicate holds.
#[inline(always)]
pub fn lanemask_lt() -> u32 {
    imp::lanemask_lt()
}

/// The lanes of this warp executing now (Numba's `cuda.activemask()`).
/// Not a synchronization: on the GPU, the lanes converged with this one at
/// this point, which after a branch may be fewer than the warp's; in the
/// simulator, the lanes that reach it in the same scheduling round (lanes
/// that run here together, never a lane that exited or waits elsewhere).
#[inline(always)]
pub fn activemask() -> u32 {
    imp::activemask()
}

/// `value` from lane `src_lane` (Numba's `cuda.shfl_sync`): every lane of
/// `mask` calls it, and reads a lane of `mask`.
#[inline(always)]
pub fn shfl_sync<T: DeviceCopy>(mask: u32, value: T, src_lane: u32) -> T {
    shuffle(Mode::Idx, mask, value, src_lane)
}

/// `value` from lane `lane - delta`, or this lane's own below lane 0
/// (Numba's `cuda.shfl_up_sync`): the step of a warp scan.
#[inline(always)]
pub fn shfl_up_sync<T: DeviceCopy>(mask: u32, value: T, delta: u32) -> T {
    shuffle(Mode::Up, mask, value, delta)
}

/// `value` from lane `lane + delta`, or this lane's own past lane 31
/// (Numba's `cuda.shfl_down_sync`): the step of a warp reduction. The
/// lane read must be in `mask`, a partial warp's included.
#[inline(always)]
pub fn shfl_down_sync<T: DeviceCopy>(mask: u32, value: T, delta: u32) -> T {
    shuffle(Mode::Down, mask, value, delta)
}

/// `value` from lane `lane ^ lane_mask` (Numba's `cuda.shfl_xor_sync`):
/// the butterfly, after which every lane holds the reduction.
#[inline(always)]
pub fn shfl_xor_sync<T: DeviceCopy>(mask: u32, value: T, lane_mask: u32) -> T {
    shuffle(Mode::Bfly, mask, value, lane_mask)
}

/// The lanes of `mask` whose `pred` holds (Numba's `cuda.ballot_sync`).
#[inline(always)]
pub fn ballot_sync(mask: u32, pred: bool) -> u32 {
    #[cfg(target_arch = "nvptx64")]
    return imp::ballot(mask, pred);
    #[cfg(not(target_arch = "nvptx64"))]
    return imp::vote(crate::collective::WarpOp::Ballot, mask, pred);
}

/// Whether `pred` holds for every lane of `mask` (Numba's
/// `cuda.all_sync`).
#[inline(always)]
pub fn all_sync(mask: u32, pred: bool) -> bool {
    #[cfg(target_arch = "nvptx64")]
    return imp::all(mask, pred);
    #[cfg(not(target_arch = "nvptx64"))]
    return imp::vote(crate::collective::WarpOp::All, mask, pred) != 0;
}

/// Whether `pred` holds for any lane of `mask` (Numba's `cuda.any_sync`).
#[inline(always)]
pub fn any_sync(mask: u32, pred: bool) -> bool {
    #[cfg(target_arch = "nvptx64")]
    return imp::any(mask, pred);
    #[cfg(not(target_arch = "nvptx64"))]
    return imp::vote(crate::collective::WarpOp::Any, mask, pred) != 0;
}

/// Whether `pred` is the same for every lane of `mask` (Numba's
/// `cuda.eq_sync`).
#[inline(always)]
pub fn eq_sync(mask: u32, pred: bool) -> bool {
    #[cfg(target_arch = "nvptx64")]
    return imp::uni(mask, pred);
    #[cfg(not(target_arch = "nvptx64"))]
    return imp::vote(crate::collective::WarpOp::Eq, mask, pred) != 0;
}

/// The lanes of `mask` whose `value` has this lane's bits (Numba's
/// `cuda.match_any_sync`): the groups of equal keys of a warp.
#[inline(always)]
pub fn match_any_sync<T: DeviceCopy>(mask: u32, value: T) -> u32 {
    #[cfg(target_arch = "nvptx64")]
    return imp::match_any(mask, value.to_raw(), core::mem::size_of::<T>() > 4);
    #[cfg(not(target_arch = "nvptx64"))]
    return imp::matching(crate::collective::WarpOp::MatchAny, mask, value.to_raw());
}

/// `(mask, true)` if every lane of `mask` has `value`'s bits, else
/// `(0, false)` (Numba's `cuda.match_all_sync`).
#[inline(always)]
pub fn match_all_sync<T: DeviceCopy>(mask: u32, value: T) -> (u32, bool) {
    #[cfg(target_arch = "nvptx64")]
    let m = imp::match_all(mask, value.to_raw(), core::mem::size_of::<T>() > 4);
    #[cfg(not(target_arch = "nvptx64"))]
    let m = imp::matching(crate::collective::WarpOp::MatchAll, mask, value.to_raw());
    (m, m != 0)
}

/// Waits until every lane of `mask` has reached a `syncwarp` of the same
/// mask, and orders their memory accesses (Numba's `cuda.syncwarp`).
#[inline(always)]
pub fn syncwarp(mask: u32) {
    imp::syncwarp(mask)
}

/// The mask of this thread's warp's lanes that the block has: [`FULL_MASK`]
/// but in a block's last, partial warp. What a warp-wide call over
/// "every lane" passes, whatever the block's size.
#[inline(always)]
pub fn warp_mask() -> u32 {
    let n = crate::block_dim().count() as usize;
    let me = crate::thread_rank();
    let first = me - me % 32;
    let lanes = (n - first).min(32);
    if lanes == 32 {
        FULL_MASK
    } else {
        (1u32 << lanes) - 1
    }
}
